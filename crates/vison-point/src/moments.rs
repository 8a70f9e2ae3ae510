//! Second moments of a spot: unweighted quadrupoles (reference 6.2) and adaptive moments as
//! GalSim HSM's `FindAdaptiveMom` (Bernstein & Jarvis 2002; Hirata & Seljak 2003): the
//! weight is an elliptical Gaussian iterated to match the spot's own moments.
//!
//! Definitions (HSM's): with the adaptive covariance `M = [[Mxx, Mxy], [Mxy, Myy]]`,
//! `sigma = det(M)^(1/4)`, `e1 = (Mxx - Myy) / (Mxx + Myy)`, `e2 = 2 Mxy / (Mxx + Myy)`.
//! `x` is the stamp column and `y` the row.

use serde::{Deserialize, Serialize};

use crate::error::is_positive;
use crate::stamp::{Stamp, index_range};
use crate::{Error, Result, error::require};

/// Unweighted moments of the usable pixels of a stamp.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quadrupoles {
    /// Sum of the pixel values.
    pub sum_adu: f64,
    /// Centroid column.
    pub x_px: f64,
    /// Centroid row.
    pub y_px: f64,
    /// Central second moment along x.
    pub qxx_px2: f64,
    /// Central second moment along y.
    pub qyy_px2: f64,
    /// Central cross moment.
    pub qxy_px2: f64,
    /// `(qxx - qyy) / (qxx + qyy)`.
    pub e1: f64,
    /// `2 qxy / (qxx + qyy)`.
    pub e2: f64,
    /// `sqrt(e1^2 + e2^2)`, capped at 1.
    pub e: f64,
    /// Semi-major axis `sqrt((qxx + qyy + sqrt((qxx - qyy)^2 + 4 qxy^2)) / 2)`.
    pub a_px: f64,
    /// Semi-minor axis.
    pub b_px: f64,
    /// `qxx + qyy`.
    pub r2_px2: f64,
}

/// Unweighted moments (reference 6.2) of a background-subtracted stamp.
pub fn quadrupoles(stamp: &Stamp) -> Result<Quadrupoles> {
    let (mut s, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for ((r, c), _) in stamp.data_adu.indexed_iter() {
        if let Some(v) = stamp.value(r, c) {
            s += v;
            sx += v * c as f64;
            sy += v * r as f64;
        }
    }
    if !is_positive(s) {
        return Err(Error::FitFailed {
            model: "quadrupoles",
            reason: format!("non-positive flux {s}"),
        });
    }
    let (x, y) = (sx / s, sy / s);
    let (mut qxx, mut qyy, mut qxy) = (0.0, 0.0, 0.0);
    for ((r, c), _) in stamp.data_adu.indexed_iter() {
        if let Some(v) = stamp.value(r, c) {
            let (dx, dy) = (c as f64 - x, r as f64 - y);
            qxx += v * dx * dx;
            qyy += v * dy * dy;
            qxy += v * dx * dy;
        }
    }
    let (qxx, qyy, qxy) = (qxx / s, qyy / s, qxy / s);
    let r2 = qxx + qyy;
    let (e1, e2) = ((qxx - qyy) / r2, 2.0 * qxy / r2);
    let root = ((qxx - qyy).powi(2) + 4.0 * qxy * qxy).sqrt();
    Ok(Quadrupoles {
        sum_adu: s,
        x_px: x,
        y_px: y,
        qxx_px2: qxx,
        qyy_px2: qyy,
        qxy_px2: qxy,
        e1,
        e2,
        e: (e1 * e1 + e2 * e2).sqrt().min(1.0),
        a_px: (0.5 * (r2 + root)).max(0.0).sqrt(),
        b_px: (0.5 * (r2 - root)).max(0.0).sqrt(),
        r2_px2: r2,
    })
}

/// Settings of the adaptive-moment iteration (HSM's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveConfig {
    /// Convergence threshold on the normalised step (HSM `convergence_threshold`).
    pub convergence: f64,
    /// Maximum iterations (HSM `max_mom2_iter`).
    pub max_iter: usize,
    /// Bound on each normalised step (HSM `bound_correct_wt`).
    pub bound_step: f64,
    /// Pixels with `rho^2` above this are ignored (HSM `max_moment_nsig2`).
    pub max_rho2: f64,
    /// Largest allowed `Mxx + Myy` (HSM `max_amoment`).
    pub max_moment_px2: f64,
    /// Largest allowed centroid shift from the guess (HSM `max_ashift`).
    pub max_shift_px: f64,
}

impl Default for AdaptiveConfig {
    fn default() -> Self {
        AdaptiveConfig {
            convergence: 1e-6,
            max_iter: 400,
            bound_step: 0.25,
            max_rho2: 25.0,
            max_moment_px2: 8000.0,
            max_shift_px: 15.0,
        }
    }
}

/// Adaptive moments of a spot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveMoments {
    /// Centroid column (stamp frame).
    pub x_px: f64,
    /// Centroid row (stamp frame).
    pub y_px: f64,
    /// `det(M)^(1/4)`.
    pub sigma_px: f64,
    /// `(Mxx - Myy) / (Mxx + Myy)`.
    pub e1: f64,
    /// `2 Mxy / (Mxx + Myy)`.
    pub e2: f64,
    /// Adaptive covariance, xx.
    pub mxx_px2: f64,
    /// Adaptive covariance, xy.
    pub mxy_px2: f64,
    /// Adaptive covariance, yy.
    pub myy_px2: f64,
    /// Flux of the matched elliptical Gaussian, twice the weighted sum (HSM `moments_amp`).
    pub amp_adu: f64,
    /// Weighted fourth moment `rho4` (2 for a Gaussian).
    pub rho4: f64,
    /// Iterations made.
    pub n_iter: usize,
    /// The iteration met the convergence threshold.
    pub converged: bool,
}

/// Weighted sums of one HSM pass: A, Bx, By, Cxx, Cxy, Cyy, rho4 sum.
fn ellip_moments(stamp: &Stamp, x0: f64, y0: f64, m: [f64; 3], max_rho2: f64) -> [f64; 7] {
    let [mxx, mxy, myy] = m;
    let det = mxx * myy - mxy * mxy;
    let (ixx, ixy, iyy) = (myy / det, -mxy / det, mxx / det);
    let (rows, cols) = stamp.data_adu.dim();
    // Bounding box of the ellipse rho^2 = max_rho2.
    let (hx, hy) = ((max_rho2 * mxx).sqrt(), (max_rho2 * myy).sqrt());
    let (r0, r1) = index_range(y0, hy, rows);
    let (c0, c1) = index_range(x0, hx, cols);
    let mut s = [0.0; 7];
    for r in r0..r1 {
        let dy = r as f64 - y0;
        for c in c0..c1 {
            let dx = c as f64 - x0;
            let rho2 = ixx * dx * dx + 2.0 * ixy * dx * dy + iyy * dy * dy;
            if rho2 > max_rho2 {
                continue;
            }
            let Some(v) = stamp.value(r, c) else { continue };
            let w = v * (-0.5 * rho2).exp();
            s[0] += w;
            s[1] += w * dx;
            s[2] += w * dy;
            s[3] += w * dx * dx;
            s[4] += w * dx * dy;
            s[5] += w * dy * dy;
            s[6] += w * rho2 * rho2;
        }
    }
    s
}

/// Adaptive moments of a background-subtracted stamp from a guess centroid (stamp frame) and a
/// guess circular sigma, as HSM `FindAdaptiveMom`. Non-convergence is reported by
/// `converged = false`; a degenerate weight (non-positive flux or moments, runaway) is an error.
pub fn adaptive_moments(
    stamp: &Stamp,
    x_guess_px: f64,
    y_guess_px: f64,
    sigma_guess_px: f64,
    cfg: &AdaptiveConfig,
) -> Result<AdaptiveMoments> {
    require(
        sigma_guess_px > 0.0,
        "sigma_guess_px",
        sigma_guess_px,
        "must be > 0",
    )?;
    let (mut x0, mut y0) = (x_guess_px, y_guess_px);
    let s2 = sigma_guess_px * sigma_guess_px;
    let mut m = [s2, 0.0, s2];
    let mut shiftscale0 = 0.0;
    let mut n_iter = 0;
    let mut converged = false;
    let mut sums = [0.0; 7];
    while n_iter < cfg.max_iter {
        sums = ellip_moments(stamp, x0, y0, m, cfg.max_rho2);
        let step = MomentStep::new(&sums, m, cfg.bound_step)?;
        if n_iter == 0 {
            shiftscale0 = step.shiftscale;
        }
        let mut conv = step.size();
        if step.shiftscale < shiftscale0 {
            conv *= shiftscale0 / step.shiftscale;
        }
        x0 += step.dx * step.shiftscale;
        y0 += step.dy * step.shiftscale;
        m = [m[0] + step.dm[0], m[1] + step.dm[1], m[2] + step.dm[2]];
        n_iter += 1;
        let moved = (x0 - x_guess_px).hypot(y0 - y_guess_px);
        if m[0] + m[2] > cfg.max_moment_px2 || moved > cfg.max_shift_px || !conv.is_finite() {
            return Err(moments_failed(format!(
                "runaway after {n_iter} iterations (M = {m:?}, shift {moved:.2} px)"
            )));
        }
        if conv <= cfg.convergence {
            converged = true;
            break;
        }
    }
    let [mxx, mxy, myy] = m;
    let det = mxx * myy - mxy * mxy;
    if !is_positive(det) {
        return Err(moments_failed(format!(
            "non positive-definite moments {m:?}"
        )));
    }
    let tr = mxx + myy;
    Ok(AdaptiveMoments {
        x_px: x0,
        y_px: y0,
        sigma_px: det.powf(0.25),
        e1: (mxx - myy) / tr,
        e2: 2.0 * mxy / tr,
        mxx_px2: mxx,
        mxy_px2: mxy,
        myy_px2: myy,
        amp_adu: 2.0 * sums[0],
        rho4: sums[6] / sums[0],
        n_iter,
        converged,
    })
}

/// A failed adaptive-moments fit.
fn moments_failed(reason: String) -> Error {
    Error::FitFailed {
        model: "adaptive moments",
        reason,
    }
}

/// One HSM update of the adaptive-moments iteration.
struct MomentStep {
    /// Centroid shift along x, in units of `shiftscale`, bounded.
    dx: f64,
    /// Centroid shift along y, in units of `shiftscale`, bounded.
    dy: f64,
    /// Changes of (Mxx, Mxy, Myy), px^2, bounded.
    dm: [f64; 3],
    /// Minor semi-axis of the weight (px).
    shiftscale: f64,
}

impl MomentStep {
    /// The update from the weighted sums of [`ellip_moments`] with weight moments `m`; steps
    /// bounded by `bound` (times the squared minor semi-axis for the moments).
    fn new(sums: &[f64; 7], m: [f64; 3], bound: f64) -> Result<Self> {
        let [a, bx, by, cxx, cxy, cyy, _] = *sums;
        if !is_positive(a) {
            return Err(moments_failed(format!("non-positive weighted flux {a}")));
        }
        let [mxx, mxy, myy] = m;
        let two_psi = (2.0 * mxy).atan2(mxx - myy);
        let semi_a2 = 0.5 * ((mxx + myy) + (mxx - myy) * two_psi.cos()) + mxy * two_psi.sin();
        let semi_b2 = mxx + myy - semi_a2;
        if !is_positive(semi_b2) {
            return Err(moments_failed("non positive-definite weight".into()));
        }
        let shiftscale = semi_b2.sqrt();
        let bm = bound * semi_b2;
        Ok(Self {
            dx: (2.0 * bx / (a * shiftscale)).clamp(-bound, bound),
            dy: (2.0 * by / (a * shiftscale)).clamp(-bound, bound),
            dm: [
                (4.0 * (cxx / a - 0.5 * mxx)).clamp(-bm, bm),
                (4.0 * (cxy / a - 0.5 * mxy)).clamp(-bm, bm),
                (4.0 * (cyy / a - 0.5 * myy)).clamp(-bm, bm),
            ],
            shiftscale,
        })
    }

    /// Convergence measure: sqrt(max(max(|dx|, |dy|)^2, |dMxx|, |dMyy|, |dMxy|)).
    fn size(&self) -> f64 {
        let [dxx, dxy, dyy] = self.dm;
        let conv = self.dx.abs().max(self.dy.abs()).powi(2);
        conv.max(dxx.abs()).max(dyy.abs()).max(dxy.abs()).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// Point-sampled elliptical Gaussian with covariance [[sxx, sxy], [sxy, syy]].
    fn gauss(shape: (usize, usize), x0: f64, y0: f64, c: [f64; 3]) -> Stamp {
        let det = c[0] * c[2] - c[1] * c[1];
        let a = Array2::from_shape_fn(shape, |(r, col)| {
            let (dx, dy) = (col as f64 - x0, r as f64 - y0);
            let q = (c[2] * dx * dx - 2.0 * c[1] * dx * dy + c[0] * dy * dy) / det;
            1000.0 * (-0.5 * q).exp()
        });
        Stamp::from_array(a, 0, 0)
    }

    #[test]
    fn adaptive_moments_recover_sampled_gaussian() {
        let c = [4.0, 0.8, 2.25];
        let s = gauss((41, 51), 27.3, 18.6, c);
        let m = adaptive_moments(&s, 25.0, 20.0, 3.0, &AdaptiveConfig::default()).unwrap();
        assert!(m.converged, "{m:?}");
        assert!(
            (m.x_px - 27.3).abs() < 1e-6 && (m.y_px - 18.6).abs() < 1e-6,
            "{m:?}"
        );
        let det: f64 = c[0] * c[2] - c[1] * c[1];
        assert!((m.sigma_px - det.powf(0.25)).abs() < 1e-6);
        assert!((m.e1 - (c[0] - c[2]) / (c[0] + c[2])).abs() < 1e-6);
        assert!((m.e2 - 2.0 * c[1] / (c[0] + c[2])).abs() < 1e-6);
        assert!((m.rho4 - 2.0).abs() < 1e-3, "{}", m.rho4);
        let q = quadrupoles(&s).unwrap();
        assert!((q.qxx_px2 - 4.0).abs() < 1e-6 && (q.qxy_px2 - 0.8).abs() < 1e-6);
        assert!((q.x_px - 27.3).abs() < 1e-6 && (q.y_px - 18.6).abs() < 1e-6);
        assert!(q.a_px > q.b_px && q.e < 1.0);
    }

    #[test]
    fn empty_stamp_is_an_error_not_a_panic() {
        let z = Stamp::from_array(Array2::zeros((11, 11)), 0, 0);
        assert!(adaptive_moments(&z, 5.0, 5.0, 2.0, &AdaptiveConfig::default()).is_err());
        assert!(quadrupoles(&z).is_err());
        assert!(adaptive_moments(&z, 5.0, 5.0, 0.0, &AdaptiveConfig::default()).is_err());
    }
}
