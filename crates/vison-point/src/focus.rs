//! Focus curves: a parabola fitted to a spot metric against mirror position, its minimum (best
//! focus) with a propagated error.
//!
//! For a Gaussian spot whose width grows as `w0 sqrt(1 + (d / d0)^2)` with defocus `d`, the
//! squared FWHM is exactly a parabola in mirror position: fit `fwhm^2` for an unbiased best
//! focus ([`fit_fwhm_focus`]); vison fitted the FWHM itself.

use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};

use crate::error::is_positive;
use crate::{Error, Result};

/// Parabola `metric = c0 + c1 t + c2 t^2` with `t = mirror_mm - ref_mm`, and its minimum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FocusFit {
    /// Mirror position of the minimum, `ref - c1 / (2 c2)`.
    pub best_mm: f64,
    /// Its standard error (first-order propagation of the coefficient covariance; NaN with
    /// only three points).
    pub best_err_mm: f64,
    /// Parabola value at the minimum.
    pub metric_at_best: f64,
    /// Reference position (mean of the inputs).
    pub ref_mm: f64,
    /// Coefficients `[c0, c1, c2]`.
    pub coeffs: [f64; 3],
    /// RMS of the residuals.
    pub rms: f64,
    /// Points used.
    pub n: usize,
}

/// Least-squares parabola through the finite `(mirror_mm, metric)` pairs; an error when fewer
/// than three points remain or the parabola has no minimum (`c2 <= 0`).
pub fn fit_focus_parabola(mirror_mm: &[f64], metric: &[f64]) -> Result<FocusFit> {
    let pts: Vec<(f64, f64)> = mirror_mm
        .iter()
        .zip(metric)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, *y))
        .collect();
    let n = pts.len();
    if n < 3 {
        return Err(Error::TooFew {
            what: "focus curve points",
            got: n,
            need: 3,
        });
    }
    let ref_mm = pts.iter().map(|p| p.0).sum::<f64>() / n as f64;
    let mut ata = Matrix3::<f64>::zeros();
    let mut aty = Vector3::<f64>::zeros();
    for &(x, y) in &pts {
        let t = x - ref_mm;
        let row = Vector3::new(1.0, t, t * t);
        ata += row * row.transpose();
        aty += row * y;
    }
    let fail = |reason: String| Error::FitFailed {
        model: "focus parabola",
        reason,
    };
    let inv = ata
        .try_inverse()
        .ok_or_else(|| fail("singular system (fewer than 3 distinct positions)".into()))?;
    let c = inv * aty;
    if !is_positive(c[2]) {
        return Err(fail(format!("no minimum (curvature {})", c[2])));
    }
    let rss: f64 = pts
        .iter()
        .map(|&(x, y)| {
            let t = x - ref_mm;
            (y - (c[0] + c[1] * t + c[2] * t * t)).powi(2)
        })
        .sum();
    let s2 = if n > 3 {
        rss / (n - 3) as f64
    } else {
        f64::NAN
    };
    let cov = inv * s2;
    let t_best = -c[1] / (2.0 * c[2]);
    // d t_best / d c1 = -1 / (2 c2), d t_best / d c2 = c1 / (2 c2^2).
    let g = [-1.0 / (2.0 * c[2]), c[1] / (2.0 * c[2] * c[2])];
    let var =
        g[0] * g[0] * cov[(1, 1)] + 2.0 * g[0] * g[1] * cov[(1, 2)] + g[1] * g[1] * cov[(2, 2)];
    Ok(FocusFit {
        best_mm: ref_mm + t_best,
        best_err_mm: var.max(0.0).sqrt(),
        metric_at_best: c[0] + c[1] * t_best + c[2] * t_best * t_best,
        ref_mm,
        coeffs: [c[0], c[1], c[2]],
        rms: (rss / n as f64).sqrt(),
        n,
    })
}

/// Best focus from FWHM values: the parabola is fitted to `fwhm^2`; `metric_at_best` is then
/// the square root (the FWHM at best focus).
pub fn fit_fwhm_focus(mirror_mm: &[f64], fwhm_px: &[f64]) -> Result<FocusFit> {
    let sq: Vec<f64> = fwhm_px.iter().map(|f| f * f).collect();
    let mut fit = fit_focus_parabola(mirror_mm, &sq)?;
    fit.metric_at_best = fit.metric_at_best.max(0.0).sqrt();
    Ok(fit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defocus_law_gives_exact_best_focus() {
        let best = 47.23;
        let xs: Vec<f64> = (-4..=4).map(|j| 47.2 + 0.1 * j as f64).collect();
        let fw: Vec<f64> = xs
            .iter()
            .map(|x| 2.0 * (1.0 + ((x - best) / 0.25f64).powi(2)).sqrt())
            .collect();
        let f = fit_fwhm_focus(&xs, &fw).unwrap();
        assert!((f.best_mm - best).abs() < 1e-10, "{f:?}");
        assert!((f.metric_at_best - 2.0).abs() < 1e-10);
        assert!(f.best_err_mm < 1e-8);
        // Noisy parabola: error grows with the scatter.
        let ys: Vec<f64> = xs
            .iter()
            .enumerate()
            .map(|(i, x)| (x - 47.1).powi(2) + if i % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        let f = fit_focus_parabola(&xs, &ys).unwrap();
        assert!(
            (f.best_mm - 47.1).abs() < 0.02 && f.best_err_mm > 0.0,
            "{f:?}"
        );
        assert!(fit_focus_parabola(&xs[..2], &ys[..2]).is_err());
        let neg: Vec<f64> = ys.iter().map(|y| -y).collect();
        assert!(fit_focus_parabola(&xs, &neg).is_err());
    }
}
