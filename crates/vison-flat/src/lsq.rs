//! Least-squares machinery: weighted linear fits (SVD) and Levenberg-Marquardt (the
//! `levenberg-marquardt` crate) on a residual closure, both returning the parameter covariance.

use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt, TerminationReason};
use nalgebra::storage::Owned;
use nalgebra::{DMatrix, DVector, Dyn};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Verdict on a fit, in the spirit of vison's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FitQuality {
    /// The fit converged with acceptable errors and residuals.
    Ok,
    /// The fit converged but an uncertainty or the residual scatter exceeds its threshold.
    PoorFit,
    /// The fit failed, did not converge, or gave unphysical or non-finite values.
    BadFit,
}

/// Result of a least-squares fit.
#[derive(Debug, Clone)]
pub(crate) struct LsqFit {
    /// Best-fit parameters.
    pub(crate) params: Vec<f64>,
    /// Unscaled covariance (J^T W J)^-1 (row-major, n x n).
    pub(crate) cov: Vec<f64>,
    /// Weighted sum of squared residuals.
    pub(crate) chi2: f64,
    /// Degrees of freedom (points - parameters).
    pub(crate) dof: usize,
    /// Whether the solver converged.
    pub(crate) converged: bool,
}

impl LsqFit {
    /// Reduced chi-square (NaN without degrees of freedom).
    pub(crate) fn chi2_red(&self) -> f64 {
        if self.dof == 0 {
            f64::NAN
        } else {
            self.chi2 / self.dof as f64
        }
    }

    /// Covariance element (i, j), optionally scaled by the reduced chi-square.
    pub(crate) fn cov_ij(&self, i: usize, j: usize, scale_by_chi2: bool) -> f64 {
        let n = self.params.len();
        let c = self.cov.get(i * n + j).copied().unwrap_or(f64::NAN);
        if scale_by_chi2 && self.dof > 0 {
            c * self.chi2_red()
        } else {
            c
        }
    }

    /// 1-sigma error of parameter i.
    pub(crate) fn err(&self, i: usize, scale_by_chi2: bool) -> f64 {
        self.cov_ij(i, i, scale_by_chi2).sqrt()
    }
}

/// Weighted linear least squares: minimise sum ((y - A p) / sigma)^2 with A given row by row
/// through `basis(x, row)`. Solved by SVD of the weighted design matrix.
pub(crate) fn linear_lsq(
    model: &'static str,
    xs: &[f64],
    ys: &[f64],
    sigmas: &[f64],
    n_params: usize,
    basis: impl Fn(f64, &mut [f64]),
) -> Result<LsqFit> {
    let n = xs.len();
    if n < n_params || ys.len() != n || sigmas.len() != n {
        return Err(Error::TooSmall {
            what: model,
            got: n,
            need: n_params,
        });
    }
    let mut a = DMatrix::<f64>::zeros(n, n_params);
    let mut b = DVector::<f64>::zeros(n);
    let mut row = vec![0.0; n_params];
    for k in 0..n {
        let s = sigmas[k];
        if !(s > 0.0 && s.is_finite() && ys[k].is_finite() && xs[k].is_finite()) {
            return Err(Error::FitFailed {
                model,
                reason: format!("non-finite value or non-positive sigma at point {k}"),
            });
        }
        basis(xs[k], &mut row);
        for (j, r) in row.iter().enumerate() {
            a[(k, j)] = r / s;
        }
        b[k] = ys[k] / s;
    }
    // Column scaling for conditioning.
    let mut scale = vec![1.0; n_params];
    for (j, sc) in scale.iter_mut().enumerate() {
        let norm = a.column(j).norm();
        if norm > 0.0 {
            *sc = norm;
            a.column_mut(j).scale_mut(1.0 / norm);
        }
    }
    let svd = nalgebra::SVD::new(a.clone(), true, true);
    let smax = svd.singular_values.max();
    let tol = smax * 1e-13 * n.max(n_params) as f64;
    if svd.singular_values.iter().any(|s| *s <= tol) {
        return Err(Error::FitFailed {
            model,
            reason: "rank-deficient design matrix".to_owned(),
        });
    }
    let p_scaled = svd.solve(&b, tol).map_err(|e| Error::FitFailed {
        model,
        reason: e.to_owned(),
    })?;
    let v_t = svd.v_t.as_ref().ok_or_else(|| Error::FitFailed {
        model,
        reason: "SVD without V".to_owned(),
    })?;
    let mut cov = vec![0.0; n_params * n_params];
    for i in 0..n_params {
        for j in 0..n_params {
            let mut c = 0.0;
            for (k, s) in svd.singular_values.iter().enumerate() {
                c += v_t[(k, i)] * v_t[(k, j)] / (s * s);
            }
            cov[i * n_params + j] = c / (scale[i] * scale[j]);
        }
    }
    let params: Vec<f64> = (0..n_params).map(|j| p_scaled[j] / scale[j]).collect();
    let resid = &a * &p_scaled - &b;
    let chi2 = resid.norm_squared();
    Ok(LsqFit {
        params,
        cov,
        chi2,
        dof: n - n_params,
        converged: true,
    })
}

/// Residuals returned for parameters outside the model's domain: a finite but enormous value,
/// so that the solver rejects the step and shrinks its trust region (the crate stops at a
/// residual vector that is `None`).
const OUTSIDE_DOMAIN: f64 = 1e100;

/// A least-squares problem given by a residual closure, with a central-difference Jacobian.
struct NumericProblem<'a, F> {
    residuals: F,
    typical: &'a [f64],
    n_res: usize,
    p: DVector<f64>,
}

impl<F: Fn(&[f64], &mut [f64]) -> bool> NumericProblem<'_, F> {
    /// Residuals at `p`, `None` outside the model's domain or when one is not finite.
    fn residuals_at(&self, p: &[f64]) -> Option<DVector<f64>> {
        let mut r = DVector::zeros(self.n_res);
        ((self.residuals)(p, r.as_mut_slice()) && r.iter().all(|v| v.is_finite())).then_some(r)
    }

    /// Central differences with steps `1e-6 max(|p_j|, |typical_j|)`.
    fn jacobian_at(&self, p: &[f64]) -> Option<DMatrix<f64>> {
        let mut jac = DMatrix::zeros(self.n_res, p.len());
        let mut q = p.to_vec();
        for (j, (&pj, &tj)) in p.iter().zip(self.typical).enumerate() {
            let h = 1e-6 * pj.abs().max(tj.abs()).max(f64::MIN_POSITIVE);
            q[j] = pj + h;
            let rp = self.residuals_at(&q)?;
            q[j] = pj - h;
            let rm = self.residuals_at(&q)?;
            q[j] = pj;
            jac.set_column(j, &((rp - rm) / (2.0 * h)));
        }
        Some(jac)
    }
}

impl<F: Fn(&[f64], &mut [f64]) -> bool> LeastSquaresProblem<f64, Dyn, Dyn>
    for NumericProblem<'_, F>
{
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, Dyn>;
    type ParameterStorage = Owned<f64, Dyn>;

    fn set_params(&mut self, p: &DVector<f64>) {
        self.p.copy_from(p);
    }

    fn params(&self) -> DVector<f64> {
        self.p.clone()
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        Some(
            self.residuals_at(self.p.as_slice())
                .unwrap_or_else(|| DVector::from_element(self.n_res, OUTSIDE_DOMAIN)),
        )
    }

    fn jacobian(&self) -> Option<DMatrix<f64>> {
        self.jacobian_at(self.p.as_slice())
    }
}

/// Levenberg-Marquardt minimisation of sum r_k(p)^2 (the `levenberg-marquardt` crate, MINPACK's
/// algorithm), where `residuals(p, r)` fills the weighted residuals and returns false if `p` is
/// outside the model's domain (such steps are rejected). The Jacobian is computed by central
/// differences with steps relative to `typical` (the magnitude of each parameter); the
/// covariance is `(J^T J)^-1` at the solution. `converged` is the solver's success, or its
/// report that no further improvement is possible in machine precision.
pub(crate) fn levenberg_marquardt(
    model: &'static str,
    n_res: usize,
    p0: &[f64],
    typical: &[f64],
    residuals: impl Fn(&[f64], &mut [f64]) -> bool,
) -> Result<LsqFit> {
    let np = p0.len();
    if n_res < np {
        return Err(Error::TooSmall {
            what: model,
            got: n_res,
            need: np,
        });
    }
    let fail = |reason: &str| Error::FitFailed {
        model,
        reason: reason.to_owned(),
    };
    if typical.len() != np {
        return Err(fail("one typical magnitude per parameter needed"));
    }
    let problem = NumericProblem {
        residuals,
        typical,
        n_res,
        p: DVector::from_column_slice(p0),
    };
    if problem.residuals_at(p0).is_none() {
        return Err(fail("non-finite residuals at the starting point"));
    }
    let (problem, report) = LevenbergMarquardt::new().minimize(problem);
    let converged = report.termination.was_successful()
        || matches!(
            report.termination,
            TerminationReason::NoImprovementPossible(_)
        );
    if !converged {
        tracing::debug!(model, termination = ?report.termination, "LM fit did not converge");
    }
    let p = problem.p.as_slice();
    let r = problem
        .residuals_at(p)
        .ok_or_else(|| fail("residuals undefined at the solution"))?;
    let jac = problem
        .jacobian_at(p)
        .ok_or_else(|| fail("Jacobian undefined at the solution"))?;
    let inv = (jac.transpose() * &jac)
        .try_inverse()
        .ok_or_else(|| fail("singular normal matrix at the solution"))?;
    Ok(LsqFit {
        params: p.to_vec(),
        cov: inv.transpose().as_slice().to_vec(),
        chi2: r.norm_squared(),
        dof: n_res - np,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_fit_exact_quadratic_with_covariance() {
        let xs: Vec<f64> = (0..20).map(f64::from).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 2.0 + 3.0 * x - 0.5 * x * x).collect();
        let sig = vec![1.0; 20];
        let f = linear_lsq("t", &xs, &ys, &sig, 3, |x, r| {
            r[0] = 1.0;
            r[1] = x;
            r[2] = x * x;
        })
        .unwrap();
        assert!((f.params[0] - 2.0).abs() < 1e-9);
        assert!((f.params[1] - 3.0).abs() < 1e-9);
        assert!((f.params[2] + 0.5).abs() < 1e-9);
        // Straight line through 2 points with unit sigma: var(intercept) known analytically.
        let g = linear_lsq("t", &[0.0, 1.0], &[1.0, 2.0], &[1.0, 1.0], 2, |x, r| {
            r[0] = 1.0;
            r[1] = x;
        })
        .unwrap();
        assert!((g.cov_ij(0, 0, false) - 1.0).abs() < 1e-12);
        assert!((g.cov_ij(1, 1, false) - 2.0).abs() < 1e-12);
        assert!((g.cov_ij(0, 1, false) + 1.0).abs() < 1e-12);
    }

    #[test]
    fn lm_recovers_exponential() {
        let xs: Vec<f64> = (0..30).map(|i| f64::from(i) * 0.1).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 3.0 * (-1.3 * x).exp() + 0.5).collect();
        let f = levenberg_marquardt("t", 30, &[1.0, -0.5, 0.0], &[1.0, 1.0, 1.0], |p, r| {
            for k in 0..30 {
                r[k] = ys[k] - (p[0] * (p[1] * xs[k]).exp() + p[2]);
            }
            true
        })
        .unwrap();
        assert!((f.params[0] - 3.0).abs() < 1e-6, "{:?}", f.params);
        assert!((f.params[1] + 1.3).abs() < 1e-6);
        assert!((f.params[2] - 0.5).abs() < 1e-6);
        assert!(f.converged);
    }

    #[test]
    fn lm_rejects_steps_outside_the_domain() {
        // r_k = ln p - ln 0.01 + e_k from p = 100: the first Gauss-Newton step (about -900) leaves
        // the domain p > 0; it must be rejected, not end the fit. Minimum: ln p = ln 0.01 - mean e.
        let e = [1e-3, -2e-3, 4e-3];
        let rejected = std::cell::Cell::new(0);
        let f = levenberg_marquardt("t", 3, &[100.0], &[1.0], |p, r| {
            if p[0] <= 0.0 {
                rejected.set(rejected.get() + 1);
                return false;
            }
            for (rk, ek) in r.iter_mut().zip(e) {
                *rk = p[0].ln() - 0.01f64.ln() + ek;
            }
            true
        })
        .unwrap();
        assert!(rejected.get() > 0, "the test must exercise a rejected step");
        let expect = 0.01 * (-1e-3f64).exp();
        assert!((f.params[0] - expect).abs() < 1e-9 * expect, "{f:?}");
        assert!(f.converged);
        // chi2 = sum (e_k - mean e)^2; covariance (J^T J)^-1 = p^2 / 3.
        assert!((f.chi2 - 1.8e-5).abs() < 1e-12, "{}", f.chi2);
        assert!((f.cov_ij(0, 0, false) - expect * expect / 3.0).abs() < 1e-6 * expect * expect);
        // Outside the domain at the start: an error.
        assert!(levenberg_marquardt("t", 3, &[-1.0], &[1.0], |p, _| p[0] > 0.0).is_err());
    }
}
