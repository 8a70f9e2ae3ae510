//! Display limits for image maps: IRAF-style zscale, percentiles or fixed values.

use ndarray::ArrayView2;

/// How the colour scale limits of an image map are chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScaleLimits {
    /// IRAF zscale: a line fitted to the sorted sample, slope divided by `contrast` (0.25 is
    /// the usual value), clipped to the data range.
    ZScale {
        /// Contrast parameter (> 0).
        contrast: f64,
    },
    /// Percentiles of the finite pixel values, e.g. 1 and 99.
    Percentile {
        /// Lower percentile in `[0, 100]`.
        lo_pct: f64,
        /// Upper percentile in `[0, 100]`.
        hi_pct: f64,
    },
    /// Fixed limits in data units.
    Fixed {
        /// Value mapped to the bottom of the colour bar.
        lo: f64,
        /// Value mapped to the top of the colour bar.
        hi: f64,
    },
}

impl Default for ScaleLimits {
    fn default() -> Self {
        Self::ZScale { contrast: 0.25 }
    }
}

/// Largest number of pixels sampled for zscale.
const ZSCALE_SAMPLE: usize = 10_000;
/// Largest number of pixels sampled for percentiles.
const PERCENTILE_SAMPLE: usize = 200_000;

impl ScaleLimits {
    /// Computes `(lo, hi)` with `lo < hi` for `data` (ignoring non-finite pixels); never fails.
    ///
    /// Without finite pixels the result is `(0, 1)`; constant data get `v +/- 0.5`; invalid
    /// parameters fall back to the data min and max.
    pub fn compute(&self, data: ArrayView2<'_, f32>) -> (f64, f64) {
        let (lo, hi) = match *self {
            Self::Fixed { lo, hi } if lo.is_finite() && hi.is_finite() && lo < hi => (lo, hi),
            Self::Fixed { .. } => min_max(&sample_sorted(data, PERCENTILE_SAMPLE)),
            Self::Percentile { lo_pct, hi_pct } => {
                let s = sample_sorted(data, PERCENTILE_SAMPLE);
                let valid = (0.0..=100.0).contains(&lo_pct)
                    && (0.0..=100.0).contains(&hi_pct)
                    && lo_pct < hi_pct;
                if valid {
                    (percentile(&s, lo_pct), percentile(&s, hi_pct))
                } else {
                    min_max(&s)
                }
            }
            Self::ZScale { contrast } => zscale(&sample_sorted(data, ZSCALE_SAMPLE), contrast),
        };
        widen_if_degenerate(lo, hi)
    }
}

fn widen_if_degenerate(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        (0.0, 1.0)
    } else if lo < hi {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

/// Up to `max_n` finite values taken at a regular stride, sorted.
fn sample_sorted(data: ArrayView2<'_, f32>, max_n: usize) -> Vec<f64> {
    let n = data.len();
    let stride = n.div_ceil(max_n.max(1)).max(1);
    let mut s: Vec<f64> = data
        .iter()
        .step_by(stride)
        .filter(|v| v.is_finite())
        .map(|&v| f64::from(v))
        .collect();
    s.sort_by(f64::total_cmp);
    s
}

fn min_max(sorted: &[f64]) -> (f64, f64) {
    match (sorted.first(), sorted.last()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (f64::NAN, f64::NAN),
    }
}

/// Linear-interpolated percentile of sorted data (`p` in `[0, 100]`).
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = p / 100.0 * (n - 1) as f64;
            let i = (pos.floor() as usize).min(n - 2);
            let f = pos - i as f64;
            sorted[i] + f * (sorted[i + 1] - sorted[i])
        }
    }
}

/// zscale on sorted samples: iterative 2.5-sigma rejection line fit, 5 iterations at most.
fn zscale(sorted: &[f64], contrast: f64) -> (f64, f64) {
    let n = sorted.len();
    let (zmin, zmax) = min_max(sorted);
    if n < 5 || contrast.is_nan() || contrast <= 0.0 {
        return (zmin, zmax);
    }
    let median = percentile(sorted, 50.0);
    let center = (n - 1) as f64 / 2.0;
    let mut keep = vec![true; n];
    let min_keep = n / 2;
    let mut slope = 0.0;
    for _ in 0..5 {
        let (mut sx, mut sy, mut sxx, mut sxy, mut k) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, &y) in sorted.iter().enumerate().filter(|(i, _)| keep[*i]) {
            let x = i as f64 - center;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
            k += 1.0;
        }
        let det = k * sxx - sx * sx;
        if det <= 0.0 {
            break;
        }
        slope = (k * sxy - sx * sy) / det;
        let intercept = (sy - slope * sx) / k;
        let resid = |i: usize| sorted[i] - (intercept + slope * (i as f64 - center));
        let kept: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
        let var = kept.iter().map(|&i| resid(i).powi(2)).sum::<f64>() / kept.len() as f64;
        let thresh = 2.5 * var.sqrt();
        let next: Vec<bool> = (0..n).map(|i| resid(i).abs() <= thresh).collect();
        let n_next = next.iter().filter(|k| **k).count();
        if n_next < min_keep || next == keep {
            break;
        }
        keep = next;
    }
    let slope = slope / contrast;
    let z1 = (median - center * slope).max(zmin);
    let z2 = (median + center * slope).min(zmax);
    (z1, z2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn percentile_interpolates() {
        let s = [0.0, 10.0, 20.0, 30.0, 40.0];
        assert_eq!(percentile(&s, 0.0), 0.0);
        assert_eq!(percentile(&s, 50.0), 20.0);
        assert_eq!(percentile(&s, 100.0), 40.0);
        assert!((percentile(&s, 10.0) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn percentile_limits_on_ramp() {
        // Values 0..=999 -> 1st and 99th percentiles are 9.99 and 989.01.
        let a = Array2::from_shape_fn((10, 100), |(r, c)| (r * 100 + c) as f32);
        let (lo, hi) = ScaleLimits::Percentile {
            lo_pct: 1.0,
            hi_pct: 99.0,
        }
        .compute(a.view());
        assert!(
            (lo - 9.99).abs() < 1e-9 && (hi - 989.01).abs() < 1e-9,
            "{lo} {hi}"
        );
    }

    #[test]
    fn zscale_on_ramp_with_contrast_one_spans_the_ramp() {
        let a = Array2::from_shape_fn((10, 100), |(r, c)| (r * 100 + c) as f32);
        let (lo, hi) = ScaleLimits::ZScale { contrast: 1.0 }.compute(a.view());
        assert!(lo.abs() < 1e-6 && (hi - 999.0).abs() < 1e-6, "{lo} {hi}");
    }

    #[test]
    fn zscale_ignores_hot_pixels() {
        // Flat 1000 ADU field with a gentle ramp (+/- 5 ADU) and 1% of pixels at 65535.
        let a = Array2::from_shape_fn((100, 100), |(r, c)| {
            if (r * 100 + c) % 100 == 7 {
                65535.0
            } else {
                1000.0 + (c as f32 - 50.0) / 10.0
            }
        });
        let (lo, hi) = ScaleLimits::default().compute(a.view());
        // The fitted slope is 0.1 ADU per 100 samples; contrast 0.25 stretches it 4x around
        // the median (about 1000): hi ~ 1000 + 5000 * 0.004 = 1020; lo clips to the minimum.
        assert!((lo - 995.0).abs() < 1e-3, "{lo}");
        assert!(hi > 1015.0 && hi < 1025.0, "{hi}");
    }

    #[test]
    fn degenerate_inputs() {
        let nan = Array2::from_elem((4, 4), f32::NAN);
        assert_eq!(ScaleLimits::default().compute(nan.view()), (0.0, 1.0));
        let flat = Array2::from_elem((4, 4), 7.0f32);
        assert_eq!(ScaleLimits::default().compute(flat.view()), (6.5, 7.5));
        let empty = Array2::<f32>::zeros((0, 3));
        assert_eq!(
            ScaleLimits::Percentile {
                lo_pct: 5.0,
                hi_pct: 95.0
            }
            .compute(empty.view()),
            (0.0, 1.0)
        );
        let ramp = Array2::from_shape_fn((2, 2), |(r, c)| (r * 2 + c) as f32);
        assert_eq!(
            ScaleLimits::Fixed { lo: 5.0, hi: 1.0 }.compute(ramp.view()),
            (0.0, 3.0)
        );
        assert_eq!(
            ScaleLimits::Fixed { lo: -1.0, hi: 1.0 }.compute(ramp.view()),
            (-1.0, 1.0)
        );
    }
}
