//! Elliptical, rotated 2-D Gaussian plus a constant background, fitted by Levenberg-Marquardt
//! (the `levenberg-marquardt` crate, MINPACK's algorithm) with an analytic Jacobian.
//!
//! Model (point-sampled at pixel centres, as astropy's `Gaussian2D`):
//! `B + A exp(-(a dx^2 + 2 b dx dy + c dy^2) / 2)`, `dx = x - x0`, `dy = y - y0`; the quadratic
//! form `[[a, b], [b, c]]` is the inverse covariance, which keeps the problem well conditioned.
//! Widths, axis ratio and angle are derived afterwards. Parameter errors are
//! `sqrt(diag(s^2 (J^T J)^-1))` with `s^2 = chi^2 / (n - 7)` (unweighted fit); derived widths
//! use first-order propagation. A failed fit is `converged = false`, never a panic.

use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt};
use nalgebra::storage::Owned;
use nalgebra::{Dyn, OMatrix, OVector, SMatrix, SVector, U7};
use serde::{Deserialize, Serialize};

use crate::error::is_positive;
use crate::fwhm::SIGMA_TO_FWHM;
use crate::stamp::{Stamp, index_range};
use crate::{Error, Result};

/// Starting point of a fit (stamp frame).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gauss2dGuess {
    /// Peak above background.
    pub amp_adu: f64,
    /// Centre column.
    pub x_px: f64,
    /// Centre row.
    pub y_px: f64,
    /// Covariance xx.
    pub cxx_px2: f64,
    /// Covariance xy.
    pub cxy_px2: f64,
    /// Covariance yy.
    pub cyy_px2: f64,
    /// Background.
    pub bgd_adu: f64,
}

/// Result of a 2-D Gaussian fit (stamp frame; NaN where not computable).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gauss2dFit {
    /// Peak above background.
    pub amp_adu: f64,
    /// Its error.
    pub amp_err_adu: f64,
    /// Centre column.
    pub x_px: f64,
    /// Its error.
    pub x_err_px: f64,
    /// Centre row.
    pub y_px: f64,
    /// Its error.
    pub y_err_px: f64,
    /// Marginal width along x, `sqrt(Cxx)`.
    pub sigma_x_px: f64,
    /// Its error.
    pub sigma_x_err_px: f64,
    /// Marginal width along y, `sqrt(Cyy)`.
    pub sigma_y_px: f64,
    /// Its error.
    pub sigma_y_err_px: f64,
    /// Covariance xy.
    pub cxy_px2: f64,
    /// Width along the major axis.
    pub sigma_major_px: f64,
    /// Width along the minor axis.
    pub sigma_minor_px: f64,
    /// Angle of the major axis from +x towards +y, degrees in (-90, 90].
    pub theta_deg: f64,
    /// `2.3548 sigma_x_px`.
    pub fwhm_x_px: f64,
    /// `2.3548 sigma_y_px`.
    pub fwhm_y_px: f64,
    /// Background.
    pub bgd_adu: f64,
    /// Its error.
    pub bgd_err_adu: f64,
    /// Integral of the Gaussian, `2 pi A sqrt(det C)`.
    pub flux_adu: f64,
    /// Sum of squared residuals.
    pub chi2_adu2: f64,
    /// Pixels fitted.
    pub n_px: usize,
    /// Function evaluations.
    pub n_eval: usize,
    /// The minimiser reported success and the result is a valid Gaussian.
    pub converged: bool,
}

/// The least-squares problem: pixels of the fit box and current parameters.
struct Problem {
    xs: Vec<f64>,
    ys: Vec<f64>,
    vs: Vec<f64>,
    p: SVector<f64, 7>,
}

impl Problem {
    fn eval(&self, i: usize) -> (f64, f64) {
        let [amp, x0, y0, a, b, c, _] = self.p.into();
        let (dx, dy) = (self.xs[i] - x0, self.ys[i] - y0);
        let e = (-0.5 * (a * dx * dx + 2.0 * b * dx * dy + c * dy * dy)).exp();
        (e, amp * e)
    }
}

impl LeastSquaresProblem<f64, Dyn, U7> for Problem {
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, U7>;
    type ParameterStorage = Owned<f64, U7>;

    fn set_params(&mut self, p: &SVector<f64, 7>) {
        self.p.copy_from(p);
    }

    fn params(&self) -> SVector<f64, 7> {
        self.p
    }

    fn residuals(&self) -> Option<OVector<f64, Dyn>> {
        let bg = self.p[6];
        let r = OVector::<f64, Dyn>::from_iterator(
            self.vs.len(),
            (0..self.vs.len()).map(|i| bg + self.eval(i).1 - self.vs[i]),
        );
        r.iter().all(|v| v.is_finite()).then_some(r)
    }

    fn jacobian(&self) -> Option<OMatrix<f64, Dyn, U7>> {
        let [_, x0, y0, a, b, c, _] = self.p.into();
        let mut j = OMatrix::<f64, Dyn, U7>::zeros(self.vs.len());
        for i in 0..self.vs.len() {
            let (e, g) = self.eval(i);
            let (dx, dy) = (self.xs[i] - x0, self.ys[i] - y0);
            j[(i, 0)] = e;
            j[(i, 1)] = g * (a * dx + b * dy);
            j[(i, 2)] = g * (b * dx + c * dy);
            j[(i, 3)] = -0.5 * g * dx * dx;
            j[(i, 4)] = -g * dx * dy;
            j[(i, 5)] = -0.5 * g * dy * dy;
            j[(i, 6)] = 1.0;
        }
        j.iter().all(|v| v.is_finite()).then_some(j)
    }
}

/// Fits the usable pixels of `stamp` within `half_px` (a square box) of the guess centre.
pub fn fit_gauss2d(stamp: &Stamp, guess: &Gauss2dGuess, half_px: f64) -> Result<Gauss2dFit> {
    let (rows, cols) = stamp.data_adu.dim();
    let (r0, r1) = index_range(guess.y_px, half_px, rows);
    let (c0, c1) = index_range(guess.x_px, half_px, cols);
    let mut pb = Problem {
        xs: Vec::new(),
        ys: Vec::new(),
        vs: Vec::new(),
        p: SVector::zeros(),
    };
    for r in r0..r1 {
        for c in c0..c1 {
            if let Some(v) = stamp.value(r, c) {
                pb.xs.push(c as f64);
                pb.ys.push(r as f64);
                pb.vs.push(v);
            }
        }
    }
    let n = pb.vs.len();
    if n < 14 {
        return Err(Error::TooFew {
            what: "Gaussian fit pixels",
            got: n,
            need: 14,
        });
    }
    let det = guess.cxx_px2 * guess.cyy_px2 - guess.cxy_px2 * guess.cxy_px2;
    if !(is_positive(det) && is_positive(guess.cxx_px2) && guess.amp_adu.is_finite()) {
        return Err(Error::FitFailed {
            model: "gauss2d",
            reason: format!("invalid guess {guess:?}"),
        });
    }
    pb.p = SVector::from([
        guess.amp_adu,
        guess.x_px,
        guess.y_px,
        guess.cyy_px2 / det,
        -guess.cxy_px2 / det,
        guess.cxx_px2 / det,
        guess.bgd_adu,
    ]);
    let (pb, report) = LevenbergMarquardt::new().with_patience(200).minimize(pb);
    Ok(summarise(
        &pb,
        report.termination.was_successful(),
        report.number_of_evaluations,
    ))
}

/// Derived quantities and errors from the final parameters.
fn summarise(pb: &Problem, ok: bool, n_eval: usize) -> Gauss2dFit {
    let n = pb.vs.len();
    let [amp, x0, y0, a, b, c, bg] = pb.p.into();
    let d = a * c - b * b;
    let chi2: f64 = pb.residuals().map_or(f64::NAN, |r| r.norm_squared());
    let cov = pb.jacobian().and_then(|j| {
        let jtj: SMatrix<f64, 7, 7> = j.transpose() * &j;
        jtj.try_inverse().map(|inv| inv * (chi2 / (n as f64 - 7.0)))
    });
    let err = |k: usize| cov.map_or(f64::NAN, |m| m[(k, k)].max(0.0).sqrt());
    // Gradients of Cxx = c / d and Cyy = a / d with respect to (a, b, c).
    let (cxx, cyy, cxy) = (c / d, a / d, -b / d);
    let d2 = d * d;
    let gxx = [-c * c / d2, 2.0 * b * c / d2, -b * b / d2];
    let gyy = [-b * b / d2, 2.0 * a * b / d2, -a * a / d2];
    let prop = |g: [f64; 3]| {
        cov.map_or(f64::NAN, |m| {
            let mut v = 0.0;
            for (i, gi) in g.iter().enumerate() {
                for (k, gk) in g.iter().enumerate() {
                    v += gi * gk * m[(3 + i, 3 + k)];
                }
            }
            v.max(0.0).sqrt()
        })
    };
    let (sx, sy) = (cxx.sqrt(), cyy.sqrt());
    let half_tr = 0.5 * (cxx + cyy);
    let root = (0.25 * (cxx - cyy).powi(2) + cxy * cxy).sqrt();
    let valid = d > 0.0 && a > 0.0 && amp.is_finite() && chi2.is_finite();
    Gauss2dFit {
        amp_adu: amp,
        amp_err_adu: err(0),
        x_px: x0,
        x_err_px: err(1),
        y_px: y0,
        y_err_px: err(2),
        sigma_x_px: sx,
        sigma_x_err_px: prop(gxx) / (2.0 * sx),
        sigma_y_px: sy,
        sigma_y_err_px: prop(gyy) / (2.0 * sy),
        cxy_px2: cxy,
        sigma_major_px: (half_tr + root).sqrt(),
        sigma_minor_px: (half_tr - root).max(0.0).sqrt(),
        theta_deg: normalise_angle_deg(0.5 * (2.0 * cxy).atan2(cxx - cyy).to_degrees()),
        fwhm_x_px: SIGMA_TO_FWHM * sx,
        fwhm_y_px: SIGMA_TO_FWHM * sy,
        bgd_adu: bg,
        bgd_err_adu: err(6),
        flux_adu: 2.0 * std::f64::consts::PI * amp / d.sqrt(),
        chi2_adu2: chi2,
        n_px: n,
        n_eval,
        converged: ok && valid,
    }
}

/// Maps an angle in degrees to (-90, 90].
fn normalise_angle_deg(t: f64) -> f64 {
    let t = t.rem_euclid(180.0);
    if t > 90.0 { t - 180.0 } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn noiseless_rotated_gaussian_is_recovered_exactly() {
        let (sa, sb, th) = (2.0f64, 1.2f64, 30f64.to_radians());
        let (ct, st) = (th.cos(), th.sin());
        let cxx = sa * sa * ct * ct + sb * sb * st * st;
        let cyy = sa * sa * st * st + sb * sb * ct * ct;
        let cxy = (sa * sa - sb * sb) * ct * st;
        let det = cxx * cyy - cxy * cxy;
        let arr = Array2::from_shape_fn((25, 31), |(r, c)| {
            let (dx, dy) = (c as f64 - 16.4, r as f64 - 11.7);
            let q = (cyy * dx * dx - 2.0 * cxy * dx * dy + cxx * dy * dy) / det;
            5.0 + 800.0 * (-0.5 * q).exp()
        });
        let s = Stamp::from_array(arr, 0, 0);
        let g = Gauss2dGuess {
            amp_adu: 600.0,
            x_px: 15.0,
            y_px: 12.0,
            cxx_px2: 2.0,
            cxy_px2: 0.0,
            cyy_px2: 2.0,
            bgd_adu: 0.0,
        };
        let f = fit_gauss2d(&s, &g, 10.0).unwrap();
        assert!(f.converged, "{f:?}");
        assert!(
            (f.x_px - 16.4).abs() < 1e-6 && (f.y_px - 11.7).abs() < 1e-6,
            "{f:?}"
        );
        assert!((f.amp_adu - 800.0).abs() < 1e-4 && (f.bgd_adu - 5.0).abs() < 1e-4);
        assert!((f.sigma_major_px - 2.0).abs() < 1e-6 && (f.sigma_minor_px - 1.2).abs() < 1e-6);
        assert!((f.theta_deg - 30.0).abs() < 1e-4, "{}", f.theta_deg);
        assert!((f.sigma_x_px - cxx.sqrt()).abs() < 1e-6);
        let flux = 2.0 * std::f64::consts::PI * 800.0 * sa * sb;
        assert!((f.flux_adu / flux - 1.0).abs() < 1e-6);
    }

    #[test]
    fn bad_input_is_an_error_or_a_flag() {
        let s = Stamp::from_array(Array2::zeros((3, 3)), 0, 0);
        let g = Gauss2dGuess {
            amp_adu: 1.0,
            x_px: 1.0,
            y_px: 1.0,
            cxx_px2: 1.0,
            cxy_px2: 0.0,
            cyy_px2: 1.0,
            bgd_adu: 0.0,
        };
        assert!(fit_gauss2d(&s, &g, 5.0).is_err());
        let s = Stamp::from_array(Array2::zeros((15, 15)), 0, 0);
        let bad = Gauss2dGuess { cxx_px2: -1.0, ..g };
        assert!(fit_gauss2d(&s, &bad, 5.0).is_err());
        // Pure zeros: the fit cannot determine a Gaussian; flagged, not a panic.
        let f = fit_gauss2d(
            &s,
            &Gauss2dGuess {
                x_px: 7.0,
                y_px: 7.0,
                ..g
            },
            5.0,
        );
        if let Ok(f) = f {
            assert!(!f.converged || f.amp_adu.abs() < 1e-6, "{f:?}");
        }
    }
}
