//! Pixel-boundary shift coefficients (Guyonnet et al. 2015) and their relation to the pixel-area
//! coefficients a_ij measured from flat covariances.
//!
//! Conventions. Offsets `(i, j)` are along axis 0 (rows) and axis 1 (columns) from the pixel
//! holding the charge. `s0(i, j)` is the displacement along +axis 0, in pixel widths per electron,
//! of the boundary between rows `i - 1` and `i` (column `j`); `s1(i, j)` likewise along +axis 1
//! for the boundary between columns `j - 1` and `j` (row `i`). A flux-conserving, mirror-symmetric
//! field obeys `s0(i, j) = -s0(1 - i, j) = s0(i, -j)` and `s1(i, j) = -s1(i, 1 - j) = s1(-i, j)`,
//! so only `i >= 1` (resp. `j >= 1`) are stored. In G15's N/E/S/W language, `s0` are the N/S
//! coefficients and `s1` the E/W ones (N = +axis 0, E = +axis 1).
//!
//! The area change of the pixel at offset `(i, j)` per electron is
//! `a(i, j) = s0(i + 1, j) - s0(i, j) + s1(i, j + 1) - s1(i, j)`. Because the boundaries move
//! while the charge accumulates, the mean displacement during an exposure is half the final one;
//! with that factor (applied in [`crate::degrade`]) the covariances of a flat obey
//! `C(i, j) = a(i, j) mu^2` (ADU^2, mu in ADU) at leading order, i.e. `a(i, j)` is the a-matrix of
//! Astier et al. 2019 (1/e-, a00 < 0).

use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt, TerminationReason};
use nalgebra::storage::Owned;
use nalgebra::{DMatrix, DVector, Dyn, OMatrix, U2, Vector2};
use serde::{Deserialize, Serialize};

use crate::ei::ei;
use crate::{Error, Result};

/// Boundary-shift coefficients for offsets up to `n_lags` along each axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundaryShifts {
    /// Number of a-matrix lags covered (0..n_lags along each axis).
    pub n_lags: usize,
    /// `s0(i, j)` for `i` in `1..=n_lags`, `j` in `0..n_lags`, row-major (`(i - 1) * n + j`),
    /// pixel widths per electron.
    pub s0_per_e: Vec<f64>,
    /// `s1(i, j)` for `i` in `0..n_lags`, `j` in `1..=n_lags`, row-major (`i * n + j - 1`),
    /// pixel widths per electron.
    pub s1_per_e: Vec<f64>,
}

impl BoundaryShifts {
    /// All-zero coefficients.
    #[must_use]
    pub fn zeros(n_lags: usize) -> Self {
        Self {
            n_lags,
            s0_per_e: vec![0.0; n_lags * n_lags],
            s1_per_e: vec![0.0; n_lags * n_lags],
        }
    }

    /// `s0(i, j)` for any offsets (symmetry rules applied; 0 beyond the stored range).
    #[must_use]
    pub fn s0(&self, i: i64, j: i64) -> f64 {
        let n = self.n_lags as i64;
        let (sign, i) = if i >= 1 { (1.0, i) } else { (-1.0, 1 - i) };
        let j = j.abs();
        if i > n || j >= n {
            return 0.0;
        }
        sign * self.s0_per_e[((i - 1) * n + j) as usize]
    }

    /// `s1(i, j)` for any offsets (symmetry rules applied; 0 beyond the stored range).
    #[must_use]
    pub fn s1(&self, i: i64, j: i64) -> f64 {
        let n = self.n_lags as i64;
        let (sign, j) = if j >= 1 { (1.0, j) } else { (-1.0, 1 - j) };
        let i = i.abs();
        if j > n || i >= n {
            return 0.0;
        }
        sign * self.s1_per_e[(i * n + j - 1) as usize]
    }

    /// Area coefficient a(i, j) (1/e-) of the pixel at offset (i, j).
    #[must_use]
    pub fn area_coeff(&self, i: i64, j: i64) -> f64 {
        self.s0(i + 1, j) - self.s0(i, j) + self.s1(i, j + 1) - self.s1(i, j)
    }

    /// The a-matrix for lags 0..n_lags (row-major, 1/e-).
    #[must_use]
    pub fn a_matrix(&self) -> Vec<f64> {
        let n = self.n_lags;
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = self.area_coeff(i as i64, j as i64);
            }
        }
        out
    }

    /// Smooth electrostatic model (G15 Eq. 18): the displacement of a boundary point at
    /// distance `r` from the charge is radial with amplitude `p0 Ei(p1 r)`, so a boundary with
    /// normal `n` moves by `p0 Ei(p1 r) cos(theta)`. With `p0 > 0`, `p1 < 0`, boundaries move towards
    /// the charge (brighter-fatter).
    #[must_use]
    pub fn smooth_model(p0: f64, p1: f64, n_lags: usize) -> Self {
        let mut s = Self::zeros(n_lags);
        for i in 1..=n_lags {
            for j in 0..n_lags {
                let (x, y) = (i as f64 - 0.5, j as f64);
                let r = x.hypot(y);
                s.s0_per_e[(i - 1) * n_lags + j] = p0 * ei(p1 * r) * x / r;
            }
        }
        for i in 0..n_lags {
            for j in 1..=n_lags {
                let (x, y) = (i as f64, j as f64 - 0.5);
                let r = x.hypot(y);
                s.s1_per_e[i * n_lags + j - 1] = p0 * ei(p1 * r) * y / r;
            }
        }
        s
    }

    /// Boundary shifts derived from a potential kernel `K` (the LSST/Coulton formulation):
    /// `s0(i, j) = K(i, j) - K(i - 1, j)`, `s1(i, j) = K(i, j) - K(i, j - 1)`, so that the area
    /// coefficients are the discrete Laplacian of `K`. `kernel` is square with odd side, centred.
    ///
    /// # Errors
    /// A kernel that is not square with odd side `>= 2 n_lags + 1`.
    pub fn from_kernel(kernel: &ndarray::Array2<f64>, n_lags: usize) -> Result<Self> {
        let (a, b) = kernel.dim();
        if a != b || a.is_multiple_of(2) || a < 2 * n_lags + 1 {
            return Err(Error::InvalidInput {
                what: "kernel",
                reason: format!("shape {a}x{b}: need square, odd side >= {}", 2 * n_lags + 1),
            });
        }
        let c = (a / 2) as i64;
        let k = |i: i64, j: i64| kernel[[(c + i) as usize, (c + j) as usize]];
        let mut s = Self::zeros(n_lags);
        for i in 1..=n_lags as i64 {
            for j in 0..n_lags as i64 {
                s.s0_per_e[((i - 1) * n_lags as i64 + j) as usize] = k(i, j) - k(i - 1, j);
            }
        }
        for i in 0..n_lags as i64 {
            for j in 1..=n_lags as i64 {
                s.s1_per_e[(i * n_lags as i64 + j - 1) as usize] = k(i, j) - k(i, j - 1);
            }
        }
        Ok(s)
    }
}

/// a-matrix (1/e-) from a per-frame covariance map: `a(i, j) = C(i, j) / mu^2` for lags other than
/// (0, 0) (leading order of Astier Eq. 20; the read-noise term is neglected), and
/// `a(0, 0) = (C(0, 0) - mu / g - ron^2) / mu^2`.
///
/// `cov_adu2` is row-major over lags `0..side` (as `vison_flat::covariance::PairCovariance`).
///
/// # Errors
/// Inconsistent sizes or a non-positive mean.
pub fn a_matrix_from_covariance(
    cov_adu2: &[f64],
    side: usize,
    mean_adu: f64,
    gain_e_per_adu: f64,
    ron_adu: f64,
) -> Result<Vec<f64>> {
    if cov_adu2.len() != side * side || side == 0 {
        return Err(Error::InvalidInput {
            what: "cov_adu2",
            reason: format!("length {} is not side^2 = {}", cov_adu2.len(), side * side),
        });
    }
    if mean_adu.is_nan() || mean_adu <= 0.0 || gain_e_per_adu.is_nan() || gain_e_per_adu <= 0.0 {
        return Err(Error::InvalidInput {
            what: "mean_adu / gain",
            reason: format!(
                "mean {mean_adu} ADU and gain {gain_e_per_adu} e-/ADU must be positive"
            ),
        });
    }
    let mu2 = mean_adu * mean_adu;
    let mut a: Vec<f64> = cov_adu2.iter().map(|c| c / mu2).collect();
    a[0] = (cov_adu2[0] - mean_adu / gain_e_per_adu - ron_adu * ron_adu) / mu2;
    Ok(a)
}

/// Result of the smooth-model fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmoothFit {
    /// Amplitude p0 (pixel widths per electron).
    pub p0: f64,
    /// Radial scale p1 (1/pixel).
    pub p1: f64,
    /// 1-sigma error of p0.
    pub p0_err: f64,
    /// 1-sigma error of p1.
    pub p1_err: f64,
    /// Reduced chi-square.
    pub chi2_red: f64,
}

fn smooth_a(p0: f64, p1: f64, n: usize) -> Vec<f64> {
    BoundaryShifts::smooth_model(p0, p1, n).a_matrix()
}

/// Fit the smooth model (G15 Eq. 18) to an a-matrix (lags 0..side, row-major), using every lag
/// except (0, 0), with uniform weights (as vison) unless `sigma` is given. Levenberg-Marquardt
/// (the `levenberg-marquardt` crate) from `p1 = -1` and `p0` matched to the largest lag
/// coefficient.
///
/// # Errors
/// Too few lags (side < 2), inconsistent sizes, or a failed fit.
pub fn fit_smooth_model(a: &[f64], side: usize, sigma: Option<&[f64]>) -> Result<SmoothFit> {
    let fail = |reason: &str| Error::SolveFailed {
        what: "smooth model",
        reason: reason.to_owned(),
    };
    let problem = SmoothProblem::new(a, side, sigma)?;
    if problem.resid(&problem.p).is_none() {
        return Err(fail("invalid start"));
    }
    let (problem, report) = LevenbergMarquardt::new().minimize(problem);
    if !(report.termination.was_successful()
        || matches!(
            report.termination,
            TerminationReason::NoImprovementPossible(_)
        ))
    {
        tracing::debug!(termination = ?report.termination, "smooth-model fit did not converge");
    }
    let p = problem.p;
    let r = problem
        .resid(&p)
        .ok_or_else(|| fail("residuals undefined at the solution"))?;
    let j = problem
        .jac(&p)
        .ok_or_else(|| fail("Jacobian undefined at the solution"))?;
    let dof = problem.idx.len().saturating_sub(2).max(1);
    let chi2_red = r.norm_squared() / dof as f64;
    let scale = if sigma.is_some() { 1.0 } else { chi2_red };
    let cov = (j.transpose() * &j)
        .try_inverse()
        .ok_or_else(|| fail("singular normal matrix"))?;
    Ok(SmoothFit {
        p0: p[0],
        p1: p[1],
        p0_err: (cov[(0, 0)] * scale).sqrt(),
        p1_err: (cov[(1, 1)] * scale).sqrt(),
        chi2_red,
    })
}

/// Residuals returned for parameters outside the model's domain (p1 >= 0): finite but enormous,
/// so that the solver rejects the step and shrinks its trust region (a `None` residual vector
/// would end the fit).
const OUTSIDE_DOMAIN: f64 = 1e100;

/// The weighted least-squares problem of [`fit_smooth_model`]: the finite lags other than
/// (0, 0), their sigmas, and the current parameters `(p0, p1)`.
struct SmoothProblem<'a> {
    a: &'a [f64],
    side: usize,
    /// Indices of the fitted lags in `a`.
    idx: Vec<usize>,
    /// Sigma of each fitted lag.
    sig: Vec<f64>,
    /// Current parameters (initially the start point).
    p: Vector2<f64>,
}

impl<'a> SmoothProblem<'a> {
    /// Checks the sizes and picks the lags; uniform sigmas (the mean |a|) without `sigma`.
    fn new(a: &'a [f64], side: usize, sigma: Option<&[f64]>) -> Result<Self> {
        if side < 2 || a.len() != side * side {
            return Err(Error::InvalidInput {
                what: "a-matrix",
                reason: format!("length {} with side {side} (need side >= 2)", a.len()),
            });
        }
        let idx: Vec<usize> = (1..side * side).filter(|k| a[*k].is_finite()).collect();
        let sig: Vec<f64> = match sigma {
            Some(s) if s.len() == a.len() => idx.iter().map(|&k| s[k]).collect(),
            _ => {
                let m = idx.iter().map(|&k| a[k].abs()).sum::<f64>() / idx.len().max(1) as f64;
                vec![m.max(1e-300); idx.len()]
            }
        };
        if idx.len() < 3 || sig.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::InvalidInput {
                what: "a-matrix",
                reason: "fewer than 3 finite lags or non-positive sigmas".to_owned(),
            });
        }
        let mut problem = Self {
            a,
            side,
            idx,
            sig,
            p: Vector2::zeros(),
        };
        problem.p = problem.start();
        Ok(problem)
    }

    /// Normalised residuals; `None` outside the model's domain (p1 < 0) or when not finite.
    fn resid(&self, p: &Vector2<f64>) -> Option<DVector<f64>> {
        if p[1].is_nan() || p[1] >= 0.0 {
            return None;
        }
        let m = smooth_a(p[0], p[1], self.side);
        let r = DVector::from_iterator(
            self.idx.len(),
            self.idx
                .iter()
                .zip(&self.sig)
                .map(|(&k, s)| (self.a[k] - m[k]) / s),
        );
        r.iter().all(|v| v.is_finite()).then_some(r)
    }

    /// Start: p1 = -1, p0 matched to the largest |a|.
    fn start(&self) -> Vector2<f64> {
        let a = self.a;
        let kref = self
            .idx
            .iter()
            .copied()
            .max_by(|x, y| a[*x].abs().total_cmp(&a[*y].abs()))
            .unwrap_or(1);
        let unit = smooth_a(1.0, -1.0, self.side);
        let p0 = if unit[kref] != 0.0 {
            a[kref] / unit[kref]
        } else {
            1e-7
        };
        Vector2::new(p0, -1.0)
    }

    /// Central-difference Jacobian of the residuals (steps `1e-6 |p_q|`).
    fn jac(&self, p: &Vector2<f64>) -> Option<OMatrix<f64, Dyn, U2>> {
        let mut j = OMatrix::<f64, Dyn, U2>::zeros(self.idx.len());
        for q in 0..2 {
            let h = 1e-6 * p[q].abs().max(1e-12);
            let (mut pp, mut pm) = (*p, *p);
            pp[q] += h;
            pm[q] -= h;
            let rp = self.resid(&pp)?;
            let rm = self.resid(&pm)?;
            j.set_column(q, &((rp - rm) / (2.0 * h)));
        }
        Some(j)
    }
}

impl LeastSquaresProblem<f64, Dyn, U2> for SmoothProblem<'_> {
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, U2>;
    type ParameterStorage = Owned<f64, U2>;

    fn set_params(&mut self, p: &Vector2<f64>) {
        self.p = *p;
    }

    fn params(&self) -> Vector2<f64> {
        self.p
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        Some(
            self.resid(&self.p)
                .unwrap_or_else(|| DVector::from_element(self.idx.len(), OUTSIDE_DOMAIN)),
        )
    }

    fn jacobian(&self) -> Option<OMatrix<f64, Dyn, U2>> {
        self.jac(&self.p)
    }
}

/// G15 linear solve (their section 6.1): boundary shifts reproducing the measured area
/// coefficients a(i, j) for all lags except (0, 0).
///
/// Unknowns: one scale `t(i, j)` per pixel `(i, j) != (0, 0)`, with `s0(i, j) = t(i, j) s0_m(i, j)`
/// (if i >= 1) and `s1(i, j) = t(i, j) s1_m(i, j)` (if j >= 1), where `_m` is the smooth model
/// (this fixes the ratio of the two boundary orientations of each pixel, as G15 do); the
/// outermost boundaries (`i = n` or `j = n`) are fixed to the smooth model. Symmetries
/// (`s0(0, j) = -s0(1, j)`, `s1(i, 0) = -s1(i, 1)`) close the square system of `n^2 - 1`
/// equations, solved by LU. The (0, 0) coefficient is then a prediction
/// (`a00 = 2 s0(1, 0) + 2 s1(0, 1)`), a consistency check against the measured variance.
///
/// # Errors
/// Inconsistent sizes or a singular system.
pub fn solve_boundary_shifts(
    a: &[f64],
    side: usize,
    smooth: &BoundaryShifts,
) -> Result<BoundaryShifts> {
    let n = side;
    if n < 2 || a.len() != n * n || smooth.n_lags != n {
        return Err(Error::InvalidInput {
            what: "a-matrix / smooth model",
            reason: format!(
                "a has {} values, side {n}, smooth model n_lags {}",
                a.len(),
                smooth.n_lags
            ),
        });
    }
    let (m, rhs) = boundary_system(a, n, smooth);
    let t = m.lu().solve(&rhs).ok_or_else(|| Error::SolveFailed {
        what: "G15 boundary shifts",
        reason: "singular linear system".to_owned(),
    })?;
    Ok(scaled_shifts(smooth, &t, n))
}

/// Index of the unknown scale factor of lag `(i, j)` (none for (0, 0)).
fn unknown_index(n: usize, i: usize, j: usize) -> Option<usize> {
    (i * n + j).checked_sub(1)
}

/// The linear system `m t = rhs` of [`solve_boundary_shifts`]: one equation per lag other
/// than (0, 0), `a(i,j) = s0(i+1,j) - s0(i,j) + s1(i,j+1) - s1(i,j)`, each boundary shift the
/// smooth model times an unknown factor, or fixed to the model at the outer edge (`n`).
fn boundary_system(a: &[f64], n: usize, smooth: &BoundaryShifts) -> (DMatrix<f64>, DVector<f64>) {
    let nu = n * n - 1;
    let unk = |i: usize, j: usize| unknown_index(n, i, j);
    let mut m = DMatrix::<f64>::zeros(nu, nu);
    let mut rhs = DVector::<f64>::zeros(nu);
    // s0(i, j) for i in 1..=n, j in 0..n: either unknown * model (i < n) or fixed (i == n).
    // Contribution of a boundary value to equation row `eq` with coefficient `coef`.
    let add0 =
        |m: &mut DMatrix<f64>, rhs: &mut DVector<f64>, eq: usize, i: usize, j: usize, coef: f64| {
            // s0 at (i, j) with i >= 1.
            let model = smooth.s0(i as i64, j as i64);
            if i >= n {
                rhs[eq] -= coef * model;
            } else if let Some(u) = unk(i, j) {
                m[(eq, u)] += coef * model;
            }
        };
    let add1 =
        |m: &mut DMatrix<f64>, rhs: &mut DVector<f64>, eq: usize, i: usize, j: usize, coef: f64| {
            let model = smooth.s1(i as i64, j as i64);
            if j >= n {
                rhs[eq] -= coef * model;
            } else if let Some(u) = unk(i, j) {
                m[(eq, u)] += coef * model;
            }
        };
    for i in 0..n {
        for j in 0..n {
            let Some(eq) = unk(i, j) else { continue };
            rhs[eq] += a[i * n + j];
            // a(i,j) = s0(i+1,j) - s0(i,j) + s1(i,j+1) - s1(i,j).
            add0(&mut m, &mut rhs, eq, i + 1, j, 1.0);
            if i >= 1 {
                add0(&mut m, &mut rhs, eq, i, j, -1.0);
            } else {
                // s0(0, j) = -s0(1, j).
                add0(&mut m, &mut rhs, eq, 1, j, 1.0);
            }
            add1(&mut m, &mut rhs, eq, i, j + 1, 1.0);
            if j >= 1 {
                add1(&mut m, &mut rhs, eq, i, j, -1.0);
            } else {
                add1(&mut m, &mut rhs, eq, i, 1, 1.0);
            }
        }
    }
    (m, rhs)
}

/// The smooth model with its inner boundary shifts scaled by the solved factors `t`.
fn scaled_shifts(smooth: &BoundaryShifts, t: &DVector<f64>, n: usize) -> BoundaryShifts {
    let unk = |i: usize, j: usize| unknown_index(n, i, j);
    let mut out = smooth.clone();
    for i in 1..=n {
        for j in 0..n {
            if i < n
                && let Some(u) = unk(i, j)
            {
                out.s0_per_e[(i - 1) * n + j] = t[u] * smooth.s0(i as i64, j as i64);
            }
        }
    }
    for i in 0..n {
        for j in 1..=n {
            if j < n
                && let Some(u) = unk(i, j)
            {
                out.s1_per_e[i * n + j - 1] = t[u] * smooth.s1(i as i64, j as i64);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetry_and_sum_rule() {
        let s = BoundaryShifts::smooth_model(1e-7, -1.0, 5);
        assert_eq!(s.s0(0, 2), -s.s0(1, 2));
        assert_eq!(s.s1(3, 0), -s.s1(3, 1));
        assert_eq!(s.s0(2, -1), s.s0(2, 1));
        let a = s.a_matrix();
        assert!(a[0] < 0.0, "a00 must be negative for BF");
        assert!(a[1] > 0.0 && a[5] > 0.0);
        assert!((a[0] - 2.0 * (s.s0(1, 0) + s.s1(0, 1))).abs() < 1e-20);
    }

    #[test]
    fn linear_solve_reproduces_smooth_model_and_perturbations() {
        let smooth = BoundaryShifts::smooth_model(1e-7, -0.8, 4);
        let a = smooth.a_matrix();
        let sol = solve_boundary_shifts(&a, 4, &smooth).unwrap();
        for (x, y) in sol.s0_per_e.iter().zip(&smooth.s0_per_e) {
            assert!((x - y).abs() < 1e-12 * y.abs().max(1e-20));
        }
        // A perturbed a-matrix is reproduced exactly for all lags but (0, 0).
        let mut ap = a.clone();
        ap[1] *= 1.2;
        ap[6] *= 0.9;
        let sp = solve_boundary_shifts(&ap, 4, &smooth).unwrap();
        let back = sp.a_matrix();
        for k in 1..16 {
            assert!(
                (back[k] - ap[k]).abs() < 1e-12 * ap[k].abs().max(1e-20),
                "{k}"
            );
        }
    }

    #[test]
    fn smooth_fit_recovers_parameters() {
        let truth = BoundaryShifts::smooth_model(2e-7, -0.7, 5).a_matrix();
        let f = fit_smooth_model(&truth, 5, None).unwrap();
        assert!((f.p0 - 2e-7).abs() / 2e-7 < 1e-5, "{f:?}");
        assert!((f.p1 + 0.7).abs() < 1e-5);
    }

    #[test]
    fn smooth_fit_recovers_a_range_of_scales() {
        // From the start p1 = -1: a shallow field (-0.2, which the earlier hand-written
        // minimiser missed) and steep ones.
        for p1 in [-0.2, -3.0, -5.0] {
            let truth = BoundaryShifts::smooth_model(1e-7, p1, 5).a_matrix();
            let f = fit_smooth_model(&truth, 5, None).unwrap();
            assert!((f.p0 - 1e-7).abs() / 1e-7 < 1e-6, "{p1}: {f:?}");
            assert!((f.p1 - p1).abs() < 1e-6 * p1.abs(), "{p1}: {f:?}");
        }
    }
}
