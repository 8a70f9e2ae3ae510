//! Linearisation of a flat-pair series by its own response curve (pure).
//!
//! A PTC campaign exposes the same stable source for increasing times, so the pair means
//! against the (shutter-calibrated) exposure time trace the detector response
//! `y(t) = y0 + k t + b2 t^2 + ... + bd t^d`. Its non-linear part bends the mean-variance
//! curve: with `y = NL(x)` the measured variance is `NL'(x)^2` times the linear one, which for
//! a 1 % output non-linearity moves a quadratic-fit gain by ~2 %. [`FlatResponse`] undoes it per
//! pair: the linear signal is `x = y - (b2 t^2 + ... )` and variances and covariances are
//! divided by `(dy/dx)^2 = ((k + 2 b2 t + ...) / k)^2`. This is what LSST cp_pipe does with a
//! separately measured linearizer; here the series linearises itself.

use serde::{Deserialize, Serialize};

use crate::covariance::PairCovariance;
use crate::lsq::linear_lsq;
use crate::ptc::PtcPoint;
use crate::{Error, Result};

/// Relative uncertainty given to each mean in the response fit (shutter repeatability, source
/// stability): only the relative weights matter, the errors are rescaled by the scatter.
const MEAN_REL_SIGMA: f64 = 1e-3;

/// Response of a flat series: `y(t) = sum_p coeffs[p] t^p`, ADU against seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatResponse {
    /// Polynomial coefficients `[y0_adu, k_adu_per_s, b2, ..., bd]` (ADU / s^p).
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub coeffs: Vec<f64>,
    /// Pairs in the fit.
    pub n_points: usize,
    /// RMS of the relative residuals of the fit.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub rms_resid_frac: f64,
    /// Largest fractional departure from linearity, `|y / (y0 + k t) - 1|`, over the fitted
    /// points.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub max_nonlin_frac: f64,
}

impl FlatResponse {
    /// Fits the response to `(exposure time, mean)` points (means above `max_mean_adu` or
    /// non-finite are ignored); `degree` >= 1 (3 covers a quadratic + cubic output
    /// non-linearity).
    ///
    /// # Errors
    /// Fewer than `degree + 2` usable points with at least `degree + 1` distinct times, or a
    /// failed fit.
    pub fn fit(
        exptimes_s: &[f64],
        means_adu: &[f64],
        degree: usize,
        max_mean_adu: f64,
    ) -> Result<Self> {
        if degree == 0 {
            return Err(Error::InvalidConfig {
                key: "degree",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        let (ts, ys): (Vec<f64>, Vec<f64>) = exptimes_s
            .iter()
            .zip(means_adu)
            .filter(|(t, y)| {
                t.is_finite() && **t > 0.0 && y.is_finite() && **y > 0.0 && **y <= max_mean_adu
            })
            .map(|(t, y)| (*t, *y))
            .unzip();
        let mut distinct: Vec<f64> = ts.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup_by(|a, b| (*a - *b).abs() <= 1e-9 * b.abs().max(1e-9));
        let n_par = degree + 1;
        if ts.len() < n_par + 1 || distinct.len() < n_par {
            return Err(Error::TooSmall {
                what: "exposure times of the response fit",
                got: distinct.len(),
                need: n_par,
            });
        }
        let sig: Vec<f64> = ys.iter().map(|y| MEAN_REL_SIGMA * y).collect();
        let fit = linear_lsq("flat response", &ts, &ys, &sig, n_par, |t, r| {
            let mut p = 1.0;
            for v in r.iter_mut() {
                *v = p;
                p *= t;
            }
        })?;
        let coeffs = fit.params;
        let resp = FlatResponse {
            coeffs,
            n_points: ts.len(),
            rms_resid_frac: f64::NAN,
            max_nonlin_frac: f64::NAN,
        };
        let rel: Vec<f64> = ts
            .iter()
            .zip(&ys)
            .map(|(t, y)| y / resp.mean_adu(*t) - 1.0)
            .collect();
        let rms = (rel.iter().map(|r| r * r).sum::<f64>() / rel.len() as f64).sqrt();
        let max_nl = ts
            .iter()
            .map(|t| (resp.mean_adu(*t) / (resp.coeffs[0] + resp.coeffs[1] * t) - 1.0).abs())
            .fold(0.0, f64::max);
        Ok(FlatResponse {
            rms_resid_frac: rms,
            max_nonlin_frac: max_nl,
            ..resp
        })
    }

    /// Model mean at exposure time `t_s`, ADU.
    #[must_use]
    pub fn mean_adu(&self, t_s: f64) -> f64 {
        self.coeffs.iter().rev().fold(0.0, |acc, c| acc * t_s + c)
    }

    /// Non-linear part `b2 t^2 + ... + bd t^d` at `t_s`, ADU.
    #[must_use]
    pub fn nonlinear_part_adu(&self, t_s: f64) -> f64 {
        self.mean_adu(t_s) - self.coeffs[0] - self.coeffs[1] * t_s
    }

    /// Local response slope relative to the linear one, `dy/dx = y'(t) / k`.
    #[must_use]
    pub fn slope_factor(&self, t_s: f64) -> f64 {
        let d: f64 = self
            .coeffs
            .iter()
            .enumerate()
            .skip(1)
            .map(|(p, c)| p as f64 * c * t_s.powi(p as i32 - 1))
            .sum();
        d / self.coeffs[1]
    }

    /// Linear signal of a measured signal `y_adu`, ADU: the exposure time where the response
    /// reaches `y_adu` is found by bisection on `[0, 4 t_lin]` (`t_lin = (y - y0) / k`), which
    /// extrapolates the polynomial a little above the fitted range; NaN if the response does
    /// not reach `y_adu` there.
    #[must_use]
    pub fn linear_adu(&self, y_adu: f64) -> f64 {
        let (y0, k) = (self.coeffs[0], self.coeffs[1]);
        if !(y_adu.is_finite() && k > 0.0) {
            return f64::NAN;
        }
        let (mut lo, mut hi) = (0.0, 4.0 * ((y_adu - y0) / k).max(0.0));
        if self.mean_adu(hi) < y_adu {
            return f64::NAN;
        }
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if self.mean_adu(mid) < y_adu {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let t = 0.5 * (lo + hi);
        y_adu - self.nonlinear_part_adu(t)
    }

    /// A mean-variance point at exposure time `t_s` on the linear scale.
    #[must_use]
    pub fn linearise_point(&self, p: &PtcPoint, t_s: f64) -> PtcPoint {
        let s2 = self.slope_factor(t_s).powi(2);
        PtcPoint {
            mean_adu: p.mean_adu - self.nonlinear_part_adu(t_s),
            var_adu2: p.var_adu2 / s2,
            n_pixels: p.n_pixels,
        }
    }

    /// A pair's mean, variance and covariances at exposure time `t_s` on the linear scale.
    #[must_use]
    pub fn linearise_covariance(&self, c: &PairCovariance, t_s: f64) -> PairCovariance {
        let s = self.slope_factor(t_s);
        let s2 = s * s;
        let dm = self.nonlinear_part_adu(t_s);
        PairCovariance {
            mean_adu: c.mean_adu - dm,
            mean1_adu: c.mean1_adu - dm,
            mean2_adu: c.mean2_adu - dm,
            var_adu2: c.var_adu2 / s2,
            cov_adu2: c.cov_adu2.iter().map(|v| v / s2).collect(),
            ..c.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simulator's output non-linearity `y = x (1 + c1 u + c2 u^2)`, `u = x / 65536`.
    fn nl(x: f64) -> f64 {
        let u = x / 65536.0;
        x * (1.0 - 0.01 * u + 0.004 * u * u)
    }

    #[test]
    fn recovers_the_linear_signal_and_the_variance_of_a_nonlinear_series() {
        let k = 20_000.0;
        let ts: Vec<f64> = (1..=12).map(|i| 0.25 * f64::from(i)).collect();
        let ys: Vec<f64> = ts.iter().map(|t| nl(k * t)).collect();
        let r = FlatResponse::fit(&ts, &ys, 3, 65_000.0).unwrap();
        assert!((r.coeffs[1] / k - 1.0).abs() < 1e-9, "{:?}", r.coeffs);
        assert!(r.max_nonlin_frac > 0.004 && r.max_nonlin_frac < 0.01);
        for &t in &ts {
            let x = k * t;
            // Linear signal back exactly; dy/dx from the derivative of the NL polynomial.
            let p = PtcPoint {
                mean_adu: nl(x),
                var_adu2: 1.0,
                n_pixels: 1000,
            };
            let lp = r.linearise_point(&p, t);
            assert!((lp.mean_adu - x).abs() < 1e-6 * x, "{} vs {x}", lp.mean_adu);
            let u = x / 65536.0;
            let dydx = 1.0 - 2.0 * 0.01 * u + 3.0 * 0.004 * u * u;
            assert!((lp.var_adu2 * dydx * dydx - 1.0).abs() < 1e-9);
            assert!((r.linear_adu(nl(x)) - x).abs() < 1e-6 * x);
        }
    }

    #[test]
    fn a_linear_series_is_left_alone_and_bad_input_is_an_error() {
        let ts = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let ys: Vec<f64> = ts.iter().map(|t| 10.0 + 1000.0 * t).collect();
        let r = FlatResponse::fit(&ts, &ys, 3, f64::INFINITY).unwrap();
        assert!(r.max_nonlin_frac < 1e-9);
        assert!((r.slope_factor(3.0) - 1.0).abs() < 1e-9);
        assert!(FlatResponse::fit(&ts[..3], &ys[..3], 3, f64::INFINITY).is_err());
        assert!(FlatResponse::fit(&ts, &ys, 0, f64::INFINITY).is_err());
        let same = [2.0; 6];
        assert!(FlatResponse::fit(&same, &ys, 1, f64::INFINITY).is_err());
    }
}
