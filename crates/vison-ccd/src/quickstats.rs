//! Quick statistics of the `check` step for tests whose image holds injected charge or spots
//! (reference 4.1 `check_data`, 4.4 `chk_*_inject`, 4.13/4.14 spot checks): arrays in
//! (offset-subtracted canonical image areas), numbers out.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::stats::median_in_place;

/// Injection statistics of the injected ("on") lines of an image area.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InjectionQuick {
    /// Mean of the on-line pixels, ADU above the offset.
    pub inject_mean_adu: f64,
    /// Median of the on-line pixels, ADU above the offset.
    pub inject_median_adu: f64,
    /// Standard deviation of the on-line pixels, ADU.
    pub inject_std_adu: f64,
    /// Lines taken as injected.
    pub n_on_lines: usize,
}

/// Injection statistics of an offset-subtracted image area (`rows x cols`, canonical): a line
/// is injected ("on") when its median is above half the highest line median; no line is on
/// when the highest line median is below `min_level_adu` (nothing injected). NaN figures and
/// 0 lines then.
pub fn injection_quick(img: ArrayView2<'_, f32>, min_level_adu: f64) -> InjectionQuick {
    let mut row = Vec::with_capacity(img.ncols());
    let medians: Vec<f64> = img
        .rows()
        .into_iter()
        .map(|r| {
            row.clear();
            row.extend(r.iter().copied().filter(|x| x.is_finite()));
            median_in_place(&mut row)
        })
        .collect();
    let top = medians
        .iter()
        .copied()
        .filter(|m| m.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let none = InjectionQuick {
        inject_mean_adu: f64::NAN,
        inject_median_adu: f64::NAN,
        inject_std_adu: f64::NAN,
        n_on_lines: 0,
    };
    if !top.is_finite() || top < min_level_adu {
        return none;
    }
    let mut on: Vec<f32> = Vec::new();
    let mut n_on_lines = 0;
    for (r, m) in img.rows().into_iter().zip(&medians) {
        if *m > 0.5 * top {
            n_on_lines += 1;
            on.extend(r.iter().copied().filter(|x| x.is_finite()));
        }
    }
    if on.is_empty() {
        return none;
    }
    let n = on.len() as f64;
    let mean = on.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = on
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n;
    InjectionQuick {
        inject_mean_adu: mean,
        inject_median_adu: median_in_place(&mut on),
        inject_std_adu: var.sqrt(),
        n_on_lines,
    }
}

/// Background, peak and size of the brightest spot of an offset-subtracted image area.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpotQuick {
    /// Background: median of the image area, ADU above the offset.
    pub bgd_adu: f64,
    /// Highest pixel above the background, ADU.
    pub peak_adu: f64,
    /// Background-subtracted flux within `half_px` of the brightest pixel, ADU.
    pub flux_adu: f64,
    /// Size: square root of the mean of the unweighted second moments in x and y around the
    /// flux-weighted centre of the same stamp, px (NaN for a flat stamp).
    pub sigma_px: f64,
}

/// Quick measurement of the brightest spot of an image area: the stamp of half-size
/// `half_px` around the highest pixel, background from the area's median.
pub fn spot_quick(img: ArrayView2<'_, f32>, half_px: usize) -> SpotQuick {
    let mut all: Vec<f32> = img.iter().copied().filter(|x| x.is_finite()).collect();
    let bgd = median_in_place(&mut all);
    let best = img
        .indexed_iter()
        .filter(|(_, x)| x.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1));
    let Some(((r0, c0), &peak)) = best else {
        return SpotQuick {
            bgd_adu: bgd,
            peak_adu: f64::NAN,
            flux_adu: f64::NAN,
            sigma_px: f64::NAN,
        };
    };
    let (nr, nc) = img.dim();
    let (ra, rb) = (r0.saturating_sub(half_px), (r0 + half_px + 1).min(nr));
    let (ca, cb) = (c0.saturating_sub(half_px), (c0 + half_px + 1).min(nc));
    let (mut s, mut sx, mut sy) = (0.0f64, 0.0f64, 0.0f64);
    let mut px: Vec<(f64, f64, f64)> = Vec::new();
    for r in ra..rb {
        for c in ca..cb {
            let v = f64::from(img[[r, c]]) - bgd;
            if v.is_finite() {
                s += v;
                sx += v * c as f64;
                sy += v * r as f64;
                px.push((c as f64, r as f64, v));
            }
        }
    }
    let sigma_px = if s > 0.0 {
        let (xc, yc) = (sx / s, sy / s);
        let m2 = px
            .iter()
            .map(|(x, y, v)| v * ((x - xc).powi(2) + (y - yc).powi(2)))
            .sum::<f64>()
            / s;
        if m2 > 0.0 {
            (m2 / 2.0).sqrt()
        } else {
            f64::NAN
        }
    } else {
        f64::NAN
    };
    SpotQuick {
        bgd_adu: bgd,
        peak_adu: f64::from(peak) - bgd,
        flux_adu: s,
        sigma_px,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn injection_on_lines_by_hand() {
        // 10 rows: rows 2..5 injected at 1000 ADU (+ column ramp 0..3), others 0.
        let a = Array2::from_shape_fn((10, 4), |(r, c)| {
            if (2..5).contains(&r) {
                1000.0 + c as f32
            } else {
                0.0
            }
        });
        let q = injection_quick(a.view(), 10.0);
        assert_eq!(q.n_on_lines, 3);
        assert!((q.inject_mean_adu - 1001.5).abs() < 1e-9);
        assert!((q.inject_median_adu - 1001.5).abs() < 1e-9);
        assert!((q.inject_std_adu - 1.25f64.sqrt()).abs() < 1e-9);
        // Nothing injected: no line on.
        let z = Array2::<f32>::zeros((10, 4));
        assert_eq!(injection_quick(z.view(), 10.0).n_on_lines, 0);
    }

    #[test]
    fn spot_quick_recovers_gaussian_sigma() {
        let sigma = 1.7;
        let (x0, y0) = (23.3, 17.6);
        let a = Array2::from_shape_fn((40, 50), |(r, c)| {
            let d2 = (c as f64 - x0).powi(2) + (r as f64 - y0).powi(2);
            (100.0 + 5000.0 * (-d2 / (2.0 * sigma * sigma)).exp()) as f32
        });
        let q = spot_quick(a.view(), 10);
        assert!((q.bgd_adu - 100.0).abs() < 1e-3);
        let flux = 5000.0 * 2.0 * std::f64::consts::PI * sigma * sigma;
        assert!((q.flux_adu / flux - 1.0).abs() < 0.01, "{}", q.flux_adu);
        assert!((q.sigma_px / sigma - 1.0).abs() < 0.01, "{}", q.sigma_px);
        assert!(q.peak_adu > 4000.0 && q.peak_adu <= 5000.0);
    }
}
