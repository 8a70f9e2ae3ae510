//! Linearisation of flat-pair statistics by a *measured* non-linearity (pure).
//!
//! An output non-linearity `y = NL(x)` bends the mean-variance curve: the measured variance is
//! `NL'(x)^2` times the linear one, which for a 1 % non-linearity at full scale moves a PTC
//! gain by ~1-2 %. The correction comes from a separate measurement, the NL0x product
//! ([`NonlinCorrection`], `L(y)` mapping a measured signal to the linear one, as LSST cp_pipe
//! applies its linearizer before the PTC): a pair's mean becomes `L(y)` and its variance and
//! covariances are multiplied by `L'(y)^2`, both at the pair mean.
//!
//! The PTC never linearises a series by its own exposure times: the pair means against the
//! (shutter-calibrated) times mix the detector response with any error of the time base, and
//! rescaling the variances by that mixture biases the gain, the full well and a_ij whenever the
//! lamp time base is not the assumed one. Exposure times may order a series, never rescale it.
//!
//! Outside the correction's valid signal range `L` is continued by its tangent at the nearest
//! end of the range (a degree-4 polynomial must not be extrapolated far).

use crate::covariance::PairCovariance;
use crate::nonlin::NonlinCorrection;
use crate::ptc::PtcPoint;

/// A non-linearity correction applied to flat-pair statistics.
#[derive(Debug, Clone, Copy)]
pub struct Linearity<'a> {
    corr: &'a NonlinCorrection,
}

impl<'a> Linearity<'a> {
    /// Linearisation by the correction product `corr` (NL0x, one CCD and quadrant).
    #[must_use]
    pub fn new(corr: &'a NonlinCorrection) -> Self {
        Linearity { corr }
    }

    fn clamp(&self, y_adu: f64) -> f64 {
        let (lo, hi) = (self.corr.valid_min_adu, self.corr.valid_max_adu);
        if lo.is_finite() && hi.is_finite() && lo < hi {
            y_adu.clamp(lo, hi)
        } else {
            y_adu
        }
    }

    /// `L'(y)` of the polynomial (no continuation).
    fn poly_slope(&self, y_adu: f64) -> f64 {
        self.corr
            .coefficients
            .iter()
            .enumerate()
            .skip(1)
            .rev()
            .fold(0.0, |acc, (k, c)| acc * y_adu + k as f64 * c)
    }

    /// Linear signal of a measured signal, ADU (`L(y)`, tangent continuation outside the valid
    /// range).
    #[must_use]
    pub fn linear_adu(&self, y_adu: f64) -> f64 {
        let yc = self.clamp(y_adu);
        self.corr.correct_adu(yc) + self.poly_slope(yc) * (y_adu - yc)
    }

    /// Local slope `dL/dy` at a measured signal (constant outside the valid range).
    #[must_use]
    pub fn slope(&self, y_adu: f64) -> f64 {
        self.poly_slope(self.clamp(y_adu))
    }

    /// Whether a measured signal lies inside the correction's valid range.
    #[must_use]
    pub fn is_valid(&self, y_adu: f64) -> bool {
        self.corr.is_valid(y_adu)
    }

    /// A mean-variance point on the linear scale.
    #[must_use]
    pub fn linearise_point(&self, p: &PtcPoint) -> PtcPoint {
        let s = self.slope(p.mean_adu);
        PtcPoint {
            mean_adu: self.linear_adu(p.mean_adu),
            var_adu2: p.var_adu2 * s * s,
            n_pixels: p.n_pixels,
        }
    }

    /// A pair's means, variance and covariances on the linear scale (slope at the pair mean).
    #[must_use]
    pub fn linearise_covariance(&self, c: &PairCovariance) -> PairCovariance {
        let s = self.slope(c.mean_adu);
        let s2 = s * s;
        PairCovariance {
            mean_adu: self.linear_adu(c.mean_adu),
            mean1_adu: self.linear_adu(c.mean1_adu),
            mean2_adu: self.linear_adu(c.mean2_adu),
            var_adu2: c.var_adu2 * s2,
            cov_adu2: c.cov_adu2.iter().map(|v| v * s2).collect(),
            ..c.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The correction of `y = x (1 + c u)`, `u = x / 65536`, to second order:
    /// `L(y) = y (1 - c v + 2 c^2 v^2)`, `v = y / 65536`.
    fn corr(c: f64) -> NonlinCorrection {
        let k = 65_536.0_f64;
        NonlinCorrection {
            coefficients: vec![0.0, 1.0, -c / k, 2.0 * c * c / (k * k)],
            valid_min_adu: 100.0,
            valid_max_adu: 60_000.0,
        }
    }

    #[test]
    fn linear_signal_and_slope_follow_the_polynomial_inside_and_its_tangent_outside() {
        let c = corr(-0.01);
        let l = Linearity::new(&c);
        for y in [1_000.0, 30_000.0, 59_000.0] {
            assert_eq!(l.linear_adu(y), c.correct_adu(y));
            let h = 1.0;
            let num = (c.correct_adu(y + h) - c.correct_adu(y - h)) / (2.0 * h);
            assert!(
                (l.slope(y) - num).abs() < 1e-8,
                "{y}: {} vs {num}",
                l.slope(y)
            );
        }
        // Tangent continuation above the range.
        let (hi, s_hi) = (60_000.0, l.slope(60_000.0));
        assert_eq!(l.slope(64_000.0), s_hi);
        assert!((l.linear_adu(64_000.0) - (c.correct_adu(hi) + s_hi * 4_000.0)).abs() < 1e-9);
        assert!(!l.is_valid(64_000.0) && l.is_valid(30_000.0));
    }

    #[test]
    fn a_point_gets_the_linear_mean_and_the_variance_times_the_slope_squared() {
        let c = corr(-0.01);
        let l = Linearity::new(&c);
        let p = PtcPoint {
            mean_adu: 40_000.0,
            var_adu2: 12_000.0,
            n_pixels: 1000,
        };
        let q = l.linearise_point(&p);
        let s = l.slope(40_000.0);
        // -1 % non-linearity: the linear signal is higher, the slope above 1.
        assert!(q.mean_adu > p.mean_adu && s > 1.005, "{q:?} {s}");
        assert!((q.var_adu2 - 12_000.0 * s * s).abs() < 1e-9);
        let cov = PairCovariance {
            mean_adu: 40_000.0,
            mean1_adu: 39_990.0,
            mean2_adu: 40_010.0,
            var_adu2: 12_000.0,
            cov_adu2: vec![12_000.0, 30.0, 20.0, 1.0],
            n_pairs: vec![1; 4],
            max_lag_px: 1,
            n_valid_px: 1000,
            n_clipped_px: 0,
        };
        let lc = l.linearise_covariance(&cov);
        assert_eq!(lc.mean_adu, q.mean_adu);
        assert!((lc.cov_adu2[1] - 30.0 * s * s).abs() < 1e-12);
        assert_eq!(lc.n_valid_px, 1000);
    }
}
