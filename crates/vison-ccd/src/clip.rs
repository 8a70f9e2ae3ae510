//! Robust estimators shared by every crate: median and MAD of `f64` values, the grouped-data
//! median of integer ADU values, and iterative sigma clipping in its three usual forms.
//!
//! For pixel views and large `f32` sets use [`crate::stats`] (exact counting/selection).

/// Scale from the median absolute deviation to a Gaussian sigma.
pub use crate::stats::MAD_TO_SIGMA;

/// Median of finite `f64` values, reordering them (mean of the two middle values for even
/// counts); NaN when empty. Non-finite values must be removed by the caller.
pub fn median_f64_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    let (lo, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if n % 2 == 1 {
        m
    } else {
        0.5 * (m + lo.iter().copied().fold(f64::NEG_INFINITY, f64::max))
    }
}

/// Median of `f64` values (copied; non-finite values ignored).
pub fn median_f64(v: &[f64]) -> f64 {
    let mut w: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    median_f64_in_place(&mut w)
}

/// Gaussian-consistent scale: 1.4826 x median absolute deviation from the median (non-finite
/// values ignored); NaN when empty.
pub fn mad_std_f64(v: &[f64]) -> f64 {
    let med = median_f64(v);
    let mut dev: Vec<f64> = v
        .iter()
        .filter(|x| x.is_finite())
        .map(|x| (x - med).abs())
        .collect();
    MAD_TO_SIGMA * median_f64_in_place(&mut dev)
}

/// Mean and population variance (ddof 0) of finite values; NaN when empty.
pub fn mean_var_f64(v: &[f64]) -> (f64, f64) {
    let w: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if w.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = w.len() as f64;
    let m = w.iter().sum::<f64>() / n;
    (m, w.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n)
}

/// Median of values interpolated within the unit step when every finite value is an integer
/// (grouped data: value `v` spread uniformly over `[v - 0.5, v + 0.5)`), so that the offset of
/// raw ADU data is not quantised to 0.5 ADU; the plain median otherwise; NaN when empty.
pub fn grouped_median(vals: &[f32]) -> f64 {
    let mut finite: Vec<f32> = vals.iter().copied().filter(|x| x.is_finite()).collect();
    grouped_median_of_finite(&mut finite)
}

/// [`grouped_median`] of finite values, reordering them in place instead of copying.
pub fn grouped_median_of_finite(finite: &mut [f32]) -> f64 {
    let n = finite.len();
    if n == 0 {
        return f64::NAN;
    }
    if finite.iter().any(|x| x.fract() != 0.0) {
        return crate::stats::median_of_values(finite);
    }
    let v_mid = *finite.select_nth_unstable_by(n / 2, f32::total_cmp).1;
    let (below, equal) = finite.iter().fold((0usize, 0usize), |(b, e), &x| {
        (b + usize::from(x < v_mid), e + usize::from(x == v_mid))
    });
    f64::from(v_mid) - 0.5 + (n as f64 / 2.0 - below as f64) / equal.max(1) as f64
}

/// The iteration of [`crate::quadcheck::clipped_mean_std`] (interval around the mean of all
/// values, recomputed from the whole set each pass) over any source of values: `sums(lo, hi, shift)`
/// gives the count, sum and sum of squares of `x - shift` over the values in `[lo, hi]`.
pub(crate) fn clip_iterate(
    sigma: f64,
    max_iter: usize,
    sums: impl Fn(f64, f64, f64) -> (u64, f64, f64),
) -> (f64, f64, usize) {
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut last = (f64::NAN, f64::NAN, 0usize);
    for _ in 0..=max_iter {
        let shift = if last.0.is_finite() { last.0 } else { 0.0 };
        let (n, s, s2) = sums(lo, hi, shift);
        if n == 0 {
            return (f64::NAN, f64::NAN, 0);
        }
        let md = s / n as f64;
        let var = (s2 / n as f64 - md * md).max(0.0);
        let cur = (shift + md, var.sqrt(), n as usize);
        if cur.2 == last.2 || cur.1 == 0.0 {
            return cur;
        }
        last = cur;
        lo = cur.0 - sigma * cur.1;
        hi = cur.0 + sigma * cur.1;
    }
    last
}

/// Centre of the clipping interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipCentre {
    /// Mean of the kept values (astropy `sigma_clipped_stats(cenfunc="mean")`).
    Mean,
    /// Median of the kept values (scipy `sigmaclip`-like, vison-ccd's `clipped_stats`).
    Median,
}

/// Iterative sigma clipping: keep `|x - centre| <= sigma x scale`, recompute, repeat until
/// nothing changes or `max_iter` clipping passes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SigmaClip {
    /// Half-width of the kept interval in units of the scale (`<= 0` or infinite: no clipping).
    pub sigma: f64,
    /// Clipping passes at most.
    pub max_iter: usize,
    /// Centre of the interval.
    pub centre: ClipCentre,
    /// First pass around the median with the MAD scale (robust start), then `centre` / std.
    pub robust_start: bool,
}

/// What survives the clipping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clipped {
    /// Mean of the kept values.
    pub mean: f64,
    /// Population standard deviation (ddof 0) of the kept values.
    pub std: f64,
    /// Values kept.
    pub n: usize,
}

impl SigmaClip {
    /// Clips the finite `values`; all figures NaN (and `n` 0) when none is finite.
    pub fn apply(&self, values: &[f64]) -> Clipped {
        let mut kept: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let summary = |k: &[f64]| {
            let (m, v) = mean_var_f64(k);
            Clipped {
                mean: m,
                std: v.sqrt(),
                n: k.len(),
            }
        };
        if kept.is_empty() || !(self.sigma > 0.0 && self.sigma.is_finite()) {
            return summary(&kept);
        }
        for pass in 0..self.max_iter {
            let (centre, scale) = if pass == 0 && self.robust_start {
                let mad = mad_std_f64(&kept);
                if mad > 0.0 {
                    (median_f64(&kept), mad)
                } else {
                    let (m, v) = mean_var_f64(&kept);
                    (m, v.sqrt())
                }
            } else {
                let (m, v) = mean_var_f64(&kept);
                let c = match self.centre {
                    ClipCentre::Mean => m,
                    ClipCentre::Median => median_f64(&kept),
                };
                (c, v.sqrt())
            };
            if scale.is_nan() || scale <= 0.0 {
                break;
            }
            let (lo, hi) = (centre - self.sigma * scale, centre + self.sigma * scale);
            let next: Vec<f64> = kept
                .iter()
                .copied()
                .filter(|x| (lo..=hi).contains(x))
                .collect();
            if next.len() == kept.len() || next.is_empty() {
                break;
            }
            kept = next;
        }
        summary(&kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_mad_by_hand() {
        assert_eq!(median_f64(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_f64(&[4.0, 1.0, f64::NAN, 2.0, 3.0]), 2.5);
        assert!(median_f64(&[]).is_nan());
        // |x - 3| = 2, 1, 0, 1, 97 -> MAD 1.
        assert_eq!(mad_std_f64(&[1.0, 2.0, 3.0, 4.0, 100.0]), MAD_TO_SIGMA);
    }

    #[test]
    fn grouped_median_interpolates_integer_data() {
        // [1, 2, 2, 2, 3]: middle value 2, 1 below, 3 equal -> 2 - 0.5 + (2.5 - 1) / 3.
        assert!((grouped_median(&[1.0, 2.0, 2.0, 2.0, 3.0]) - 2.0).abs() < 1e-12);
        assert!((grouped_median(&[1.0, 1.0, 1.0, 2.0]) - (0.5 + 2.0 / 3.0)).abs() < 1e-12);
        assert_eq!(grouped_median(&[1.5, 2.5]), 2.0);
        assert!(grouped_median(&[f32::NAN]).is_nan());
        assert_eq!(grouped_median(&[7.0]), 7.0);
    }

    #[test]
    fn clipping_removes_an_outlier_in_every_form() {
        let mut v: Vec<f64> = (0..100).map(|i| f64::from(i % 5)).collect();
        v.push(1000.0);
        for centre in [ClipCentre::Mean, ClipCentre::Median] {
            for robust_start in [false, true] {
                let c = SigmaClip {
                    sigma: 3.0,
                    max_iter: 5,
                    centre,
                    robust_start,
                }
                .apply(&v);
                assert_eq!(c.n, 100, "{centre:?} {robust_start}");
                assert!((c.mean - 2.0).abs() < 1e-12 && (c.std - 2f64.sqrt()).abs() < 1e-12);
            }
        }
        let none = SigmaClip {
            sigma: 0.0,
            max_iter: 5,
            centre: ClipCentre::Mean,
            robust_start: false,
        }
        .apply(&v);
        assert_eq!(none.n, 101);
        let empty = SigmaClip {
            sigma: 3.0,
            max_iter: 5,
            centre: ClipCentre::Mean,
            robust_start: true,
        }
        .apply(&[f64::NAN]);
        assert_eq!(empty.n, 0);
        assert!(empty.mean.is_nan());
    }

    #[test]
    fn median_centre_matches_clipped_stats() {
        let a = ndarray::Array2::from_shape_fn((20, 20), |(r, c)| {
            if (r, c) == (3, 4) {
                500.0f32
            } else {
                ((r * 7 + c * 3) % 11) as f32
            }
        });
        let s = crate::stats::clipped_stats(a.view(), None, 3.0, 5);
        let v: Vec<f64> = a.iter().map(|&x| f64::from(x)).collect();
        let c = SigmaClip {
            sigma: 3.0,
            max_iter: 5,
            centre: ClipCentre::Median,
            robust_start: false,
        }
        .apply(&v);
        assert_eq!(c.n, s.n);
        assert!((c.mean - s.mean).abs() < 1e-9 && (c.std - s.std).abs() < 1e-9);
    }
}
