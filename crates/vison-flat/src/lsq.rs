//! Least-squares machinery: weighted linear fits (SVD) and a small Levenberg-Marquardt solver,
//! both returning the parameter covariance matrix.

use nalgebra::{DMatrix, DVector};
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

/// Levenberg-Marquardt minimisation of sum r_k(p)^2, where `residuals(p, r)` fills the weighted
/// residuals and returns false if `p` is outside the model's domain. The Jacobian is computed by
/// central differences with steps relative to `typical` (the magnitude of each parameter).
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
    let mut p = p0.to_vec();
    let mut r = vec![0.0; n_res];
    if !residuals(&p, &mut r) || r.iter().any(|v| !v.is_finite()) {
        return Err(Error::FitFailed {
            model,
            reason: "non-finite residuals at the starting point".to_owned(),
        });
    }
    let mut chi2: f64 = r.iter().map(|v| v * v).sum();
    let mut lambda = 1e-3;
    let mut converged = false;
    let mut jac = DMatrix::<f64>::zeros(n_res, np);
    let mut rp = vec![0.0; n_res];
    let mut rm = vec![0.0; n_res];
    let jacobian = |p: &[f64], jac: &mut DMatrix<f64>, rp: &mut [f64], rm: &mut [f64]| -> bool {
        for j in 0..np {
            let h = 1e-6 * p[j].abs().max(typical[j].abs()).max(f64::MIN_POSITIVE);
            let mut q = p.to_vec();
            q[j] = p[j] + h;
            if !residuals(&q, rp) {
                return false;
            }
            q[j] = p[j] - h;
            if !residuals(&q, rm) {
                return false;
            }
            for k in 0..n_res {
                jac[(k, j)] = (rp[k] - rm[k]) / (2.0 * h);
            }
        }
        true
    };
    for _iter in 0..200 {
        if !jacobian(&p, &mut jac, &mut rp, &mut rm) {
            break;
        }
        let jtj = jac.transpose() * &jac;
        let jtr = jac.transpose() * DVector::from_column_slice(&r);
        let mut improved = false;
        for _ in 0..30 {
            let mut m = jtj.clone();
            for j in 0..np {
                m[(j, j)] += lambda * jtj[(j, j)].max(1e-300);
            }
            let Some(ch) = m.cholesky() else {
                lambda *= 10.0;
                continue;
            };
            let step = ch.solve(&(-&jtr));
            let trial: Vec<f64> = (0..np).map(|j| p[j] + step[j]).collect();
            let mut rt = vec![0.0; n_res];
            if residuals(&trial, &mut rt) && rt.iter().all(|v| v.is_finite()) {
                let c2: f64 = rt.iter().map(|v| v * v).sum();
                if c2 <= chi2 {
                    let rel_step = (0..np)
                        .map(|j| step[j].abs() / p[j].abs().max(typical[j].abs()))
                        .fold(0.0, f64::max);
                    let small = (chi2 - c2) <= 1e-12 * chi2.max(1e-300) || rel_step < 1e-10;
                    p = trial;
                    r = rt;
                    chi2 = c2;
                    lambda = (lambda * 0.1).max(1e-12);
                    improved = true;
                    if small {
                        converged = true;
                    }
                    break;
                }
            }
            lambda *= 10.0;
            if lambda > 1e16 {
                break;
            }
        }
        if !improved {
            // No downhill step exists at any damping: at the minimum to machine precision.
            converged = true;
            break;
        }
        if converged {
            break;
        }
    }
    if !jacobian(&p, &mut jac, &mut rp, &mut rm) {
        return Err(Error::FitFailed {
            model,
            reason: "Jacobian undefined at the solution".to_owned(),
        });
    }
    let jtj = jac.transpose() * &jac;
    let inv = jtj.clone().try_inverse().ok_or_else(|| Error::FitFailed {
        model,
        reason: "singular normal matrix at the solution".to_owned(),
    })?;
    let cov: Vec<f64> = (0..np * np).map(|k| inv[(k / np, k % np)]).collect();
    Ok(LsqFit {
        params: p,
        cov,
        chi2,
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
}
