//! Display limits by the IRAF zscale algorithm, as astropy's `ZScaleInterval` computes them
//! (what DS9 users see with "zscale").
//!
//! Steps: take at most `n_samples` finite values at a regular stride, sort them, fit a line to
//! value versus rank with iterative `krej`-sigma rejection (rejected ranks dilated by 1 % of
//! the sample each iteration), divide the slope by `contrast` and centre the range on the
//! sample median, clipped to the sample's minimum and maximum.

use ndarray::ArrayView2;

/// Parameters of zscale (defaults: astropy's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZScale {
    /// Largest number of values sampled.
    pub n_samples: usize,
    /// Contrast: the fitted slope is divided by it (no division when `<= 0`).
    pub contrast: f64,
    /// When fewer than `max_reject x samples` values survive, the limits are min and max.
    pub max_reject: f64,
    /// When fewer than this many values survive, the limits are min and max.
    pub min_npixels: usize,
    /// Rejection threshold in standard deviations of the residuals.
    pub krej: f64,
    /// Rejection iterations at most.
    pub max_iterations: usize,
}

impl Default for ZScale {
    fn default() -> Self {
        ZScale {
            n_samples: 1000,
            contrast: 0.25,
            max_reject: 0.5,
            min_npixels: 5,
            krej: 2.5,
            max_iterations: 5,
        }
    }
}

impl ZScale {
    /// `(lo, hi)` limits of the finite values in slice order; `None` when none is finite.
    pub fn limits(&self, values: &[f32]) -> Option<(f64, f64)> {
        let n_finite = values.iter().filter(|x| x.is_finite()).count();
        if n_finite == values.len() {
            self.limits_of_sample(self.sample(values))
        } else {
            let finite: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
            self.limits_of_sample(self.sample(&finite))
        }
    }

    /// Limits of the finite values of a view in logical (row-major) order.
    pub fn limits_view(&self, v: ArrayView2<'_, f32>) -> Option<(f64, f64)> {
        match v.as_slice() {
            Some(s) => self.limits(s),
            None => self.limits(&v.iter().copied().collect::<Vec<_>>()),
        }
    }

    /// Every `stride`-th value (astropy: `values[::stride][:n_samples]`), sorted.
    fn sample(&self, finite: &[f32]) -> Vec<f64> {
        let n = finite.len();
        let stride = ((n as f64 / self.n_samples.max(1) as f64).max(1.0)) as usize;
        let mut s: Vec<f64> = finite
            .iter()
            .step_by(stride)
            .take(self.n_samples)
            .map(|&x| f64::from(x))
            .collect();
        s.sort_unstable_by(f64::total_cmp);
        s
    }

    /// zscale of a sorted, finite sample.
    fn limits_of_sample(&self, s: Vec<f64>) -> Option<(f64, f64)> {
        let npix = s.len();
        let (mut vmin, mut vmax) = (*s.first()?, *s.last()?);
        let minpix = self
            .min_npixels
            .max((npix as f64 * self.max_reject) as usize);
        let ngrow = ((npix as f64 * 0.01) as usize).max(1);
        let mut bad = vec![false; npix];
        let (mut ngood, mut last_ngood) = (npix, npix + 1);
        let mut slope = None;
        for _ in 0..self.max_iterations {
            if ngood >= last_ngood || ngood < minpix {
                break;
            }
            let Some((b, a)) = fit_line(&s, &bad) else {
                break;
            };
            slope = Some(b);
            let flat: Vec<f64> = s
                .iter()
                .enumerate()
                .map(|(i, &y)| y - (a + b * i as f64))
                .collect();
            let threshold = self.krej * std_of_good(&flat, &bad);
            for (k, &f) in bad.iter_mut().zip(&flat) {
                *k |= f < -threshold || f > threshold;
            }
            bad = dilate(&bad, ngrow);
            last_ngood = ngood;
            ngood = bad.iter().filter(|&&b| !b).count();
        }
        if let (true, Some(mut slope)) = (ngood >= minpix, slope) {
            if self.contrast > 0.0 {
                slope /= self.contrast;
            }
            let centre = (npix - 1) / 2;
            let median = if npix % 2 == 1 {
                s[npix / 2]
            } else {
                0.5 * (s[npix / 2 - 1] + s[npix / 2])
            };
            vmin = vmin.max(median - (centre as f64 - 1.0) * slope);
            vmax = vmax.min(median + (npix - centre) as f64 * slope);
        }
        Some((vmin, vmax))
    }
}

/// Least-squares line `y = a + b i` over the good ranks: `(b, a)`; `None` with < 2 points.
fn fit_line(y: &[f64], bad: &[bool]) -> Option<(f64, f64)> {
    let good = || y.iter().enumerate().filter(|(i, _)| !bad[*i]);
    let n = good().count() as f64;
    if n < 2.0 {
        return None;
    }
    let mx = good().map(|(i, _)| i as f64).sum::<f64>() / n;
    let my = good().map(|(_, &v)| v).sum::<f64>() / n;
    let (sxy, sxx) = good().fold((0.0, 0.0), |(sxy, sxx), (i, &v)| {
        let dx = i as f64 - mx;
        (sxy + dx * (v - my), sxx + dx * dx)
    });
    let b = sxy / sxx;
    Some((b, my - b * mx))
}

/// Population standard deviation of the residuals at good ranks.
fn std_of_good(flat: &[f64], bad: &[bool]) -> f64 {
    let good: Vec<f64> = flat
        .iter()
        .zip(bad)
        .filter(|(_, b)| !**b)
        .map(|(f, _)| *f)
        .collect();
    let n = good.len() as f64;
    let m = good.iter().sum::<f64>() / n;
    (good.iter().map(|f| (f - m).powi(2)).sum::<f64>() / n).sqrt()
}

/// numpy `convolve(mask, ones(k), mode="same")` on booleans: rank `t` becomes bad when any
/// rank in `[t - k / 2, t + (k - 1) / 2]` is.
fn dilate(bad: &[bool], k: usize) -> Vec<bool> {
    let n = bad.len();
    let (before, after) = (k / 2, (k - 1) / 2);
    // Prefix counts make each window O(1).
    let mut prefix = vec![0usize; n + 1];
    for (i, &b) in bad.iter().enumerate() {
        prefix[i + 1] = prefix[i] + usize::from(b);
    }
    (0..n)
        .map(|t| {
            let lo = t.saturating_sub(before);
            let hi = (t + after + 1).min(n);
            prefix[hi] > prefix[lo]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_with_contrast_one_spans_the_ramp() {
        let v: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        let z = ZScale {
            contrast: 1.0,
            ..ZScale::default()
        };
        // Exact fit (no residual, nothing rejected): slope 1, median 499.5, centre 499:
        // [499.5 - 498, 499.5 + 501] clipped to [0, 999]. (astropy's floating-point residuals
        // reject ranks here and give the data range instead.)
        assert_eq!(z.limits(&v), Some((1.5, 999.0)));
        // Contrast 0.25 widens the range to the data limits.
        assert_eq!(ZScale::default().limits(&v), Some((0.0, 999.0)));
    }

    #[test]
    fn outliers_do_not_move_the_limits_and_nan_is_ignored() {
        // 2000 values: a narrow ramp 100..101 plus 5 % hot pixels and NaNs.
        let v: Vec<f32> = (0..2000)
            .map(|i| match i % 20 {
                0 => 60000.0,
                7 => f32::NAN,
                _ => 100.0 + (i % 97) as f32 / 97.0,
            })
            .collect();
        let (lo, hi) = ZScale::default().limits(&v).unwrap();
        assert!(
            (99.0..101.5).contains(&lo) && (100.0..103.0).contains(&hi),
            "{lo} {hi}"
        );
        assert_eq!(ZScale::default().limits(&[f32::NAN]), None);
        assert_eq!(ZScale::default().limits(&[3.0; 50]), Some((3.0, 3.0)));
    }

    #[test]
    fn dilation_matches_numpy_same_mode() {
        // numpy.convolve([0,0,1,0,0,0,1,0], ones(4), "same") > 0 -> window [t-2, t+1].
        let bad = [false, false, true, false, false, false, true, false];
        let got = dilate(&bad, 4);
        let want = [false, true, true, true, true, true, true, true];
        assert_eq!(got, want);
        assert_eq!(dilate(&bad, 1), bad.to_vec());
    }
}
