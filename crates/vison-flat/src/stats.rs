//! Small robust statistics used by several modules.

// One implementation of the f64 robust statistics: vison-ccd's `clip` module.
pub(crate) use vison_ccd::clip::{
    mad_std_f64 as mad_std, mean_var_f64 as mean_var, median_f64 as median,
    median_f64_in_place as median_in_place,
};

/// Iterative sigma clipping about the mean (start: median / MAD); returns (mean, std, kept).
/// `nsigma <= 0` disables clipping.
pub(crate) fn sigma_clipped_stats(
    values: &[f64],
    nsigma: f64,
    max_iter: usize,
) -> (f64, f64, usize) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN, 0);
    }
    if nsigma <= 0.0 {
        let (m, v) = mean_var(values);
        return (m, v.sqrt(), values.len());
    }
    let mut centre = median(values);
    let mut scale = mad_std(values);
    if scale <= 0.0 || !scale.is_finite() {
        let (m, v) = mean_var(values);
        scale = v.sqrt();
        centre = m;
    }
    let mut kept_prev = usize::MAX;
    let mut out = (centre, scale, values.len());
    for _ in 0..max_iter.max(1) {
        let lo = centre - nsigma * scale;
        let hi = centre + nsigma * scale;
        let kept: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| *v >= lo && *v <= hi)
            .collect();
        if kept.is_empty() {
            break;
        }
        let (m, v) = mean_var(&kept);
        out = (m, v.sqrt(), kept.len());
        if kept.len() == kept_prev || v <= 0.0 {
            break;
        }
        kept_prev = kept.len();
        centre = m;
        scale = v.sqrt();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn clipping_rejects_outlier() {
        let mut v: Vec<f64> = (0..100).map(|i| f64::from(i % 10)).collect();
        v.push(1e6);
        let (m, s, n) = sigma_clipped_stats(&v, 4.0, 5);
        assert_eq!(n, 100);
        assert!((m - 4.5).abs() < 1e-12);
        assert!((s - 8.25_f64.sqrt()).abs() < 1e-12);
    }
}
