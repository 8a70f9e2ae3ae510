//! The brighter-fatter kernel in LSST's formulation (Coulton et al. 2018; cp_pipe
//! `BrighterFatterKernel`, ip_isr `brighterFatterCorrection`), for comparison with G15.
//!
//! The kernel K solves `laplacian(K) = a` where `a` is the full-plane a-matrix (mirrored from the
//! first quadrant); boundary shifts are then the gradient of K (see
//! [`crate::BoundaryShifts::from_kernel`]) and the effect on an image is
//! `Q' = Q + 0.5 div(Q grad(K * Q))`. The LSST correction iterates
//! `Q <- I - 0.5 [grad Q . grad(K * Q) + Q laplacian(K * Q)]` with centred differences.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::{Error, Result};

/// Kernel of odd side `size` solving `laplacian(K) = a` with K = 0 on the border, by successive
/// over-relaxation (as cp_pipe). `a` is row-major over lags `0..side` (first quadrant).
///
/// # Errors
/// Inconsistent sizes (`size` must be odd and at least `2 side + 1`) or no convergence.
pub fn lsst_kernel(a: &[f64], side: usize, size: usize) -> Result<Array2<f64>> {
    if side == 0 || a.len() != side * side || size.is_multiple_of(2) || size < 2 * side + 1 {
        return Err(Error::InvalidInput {
            what: "a-matrix / kernel size",
            reason: format!("{} values, side {side}, size {size}", a.len()),
        });
    }
    let c = (size / 2) as i64;
    let mut src = Array2::<f64>::zeros((size, size));
    for i in -(side as i64 - 1)..side as i64 {
        for j in -(side as i64 - 1)..side as i64 {
            src[[(c + i) as usize, (c + j) as usize]] =
                a[i.unsigned_abs() as usize * side + j.unsigned_abs() as usize];
        }
    }
    let mut k = Array2::<f64>::zeros((size, size));
    let omega = 2.0 / (1.0 + (std::f64::consts::PI / size as f64).sin());
    let scale = a.iter().fold(0.0_f64, |m, v| m.max(v.abs())).max(1e-300);
    for _ in 0..100_000 {
        let mut change = 0.0_f64;
        for x in 1..size - 1 {
            for y in 1..size - 1 {
                let nb = k[[x - 1, y]] + k[[x + 1, y]] + k[[x, y - 1]] + k[[x, y + 1]];
                let target = 0.25 * (nb - src[[x, y]]);
                let delta = omega * (target - k[[x, y]]);
                k[[x, y]] += delta;
                change = change.max(delta.abs());
            }
        }
        if change < 1e-13 * scale {
            return Ok(k);
        }
    }
    Err(Error::SolveFailed {
        what: "LSST kernel",
        reason: "SOR did not converge".to_owned(),
    })
}

fn convolve_same(img: &Array2<f64>, kernel: &Array2<f64>) -> Array2<f64> {
    let (rows, cols) = img.dim();
    let (kr, kc) = kernel.dim();
    let (hr, hc) = ((kr / 2) as i64, (kc / 2) as i64);
    let mut out = Array2::<f64>::zeros((rows, cols));
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .for_each(|(x, mut orow)| {
            for y in 0..cols {
                let mut s = 0.0;
                for i in -hr..=hr {
                    let r = x as i64 - i;
                    if r < 0 || r >= rows as i64 {
                        continue;
                    }
                    for j in -hc..=hc {
                        let cc = y as i64 - j;
                        if cc < 0 || cc >= cols as i64 {
                            continue;
                        }
                        s += kernel[[(i + hr) as usize, (j + hc) as usize]]
                            * img[[r as usize, cc as usize]];
                    }
                }
                orow[y] = s;
            }
        });
    out
}

/// LSST-style iterative correction of an image in ADU (`gain` e-/ADU) with a kernel from
/// [`lsst_kernel`]; the outermost pixel ring is left uncorrected (as ip_isr). Iterates until the
/// summed absolute change is below `threshold_e` electrons or `max_iter` is reached.
///
/// # Errors
/// Non-positive gain, non-finite pixels, or an even-sided kernel.
pub fn correct_lsst(
    image_adu: ArrayView2<'_, f32>,
    kernel: &Array2<f64>,
    gain_e_per_adu: f64,
    max_iter: usize,
    threshold_e: f64,
) -> Result<Array2<f32>> {
    if gain_e_per_adu.is_nan() || gain_e_per_adu <= 0.0 || image_adu.iter().any(|v| !v.is_finite())
    {
        return Err(Error::InvalidInput {
            what: "image / gain",
            reason: "gain must be positive and pixels finite".to_owned(),
        });
    }
    if kernel.dim().0.is_multiple_of(2) || kernel.dim().1.is_multiple_of(2) {
        return Err(Error::InvalidInput {
            what: "kernel",
            reason: "sides must be odd".to_owned(),
        });
    }
    let img = image_adu.mapv(|v| f64::from(v) * gain_e_per_adu);
    let (rows, cols) = img.dim();
    let mut tmp = img.clone();
    for _ in 0..max_iter.max(1) {
        let phi = convolve_same(&tmp, kernel);
        let mut next = img.clone();
        for x in 1..rows.saturating_sub(1) {
            for y in 1..cols.saturating_sub(1) {
                let g0t = 0.5 * (tmp[[x + 1, y]] - tmp[[x - 1, y]]);
                let g1t = 0.5 * (tmp[[x, y + 1]] - tmp[[x, y - 1]]);
                let g0p = 0.5 * (phi[[x + 1, y]] - phi[[x - 1, y]]);
                let g1p = 0.5 * (phi[[x, y + 1]] - phi[[x, y - 1]]);
                let lap = phi[[x + 1, y]] + phi[[x - 1, y]] + phi[[x, y + 1]] + phi[[x, y - 1]]
                    - 4.0 * phi[[x, y]];
                next[[x, y]] -= 0.5 * (g0t * g0p + g1t * g1p + tmp[[x, y]] * lap);
            }
        }
        let diff: f64 = next
            .iter()
            .zip(tmp.iter())
            .map(|(a, b)| (a - b).abs())
            .sum();
        tmp = next;
        if diff < threshold_e {
            break;
        }
    }
    Ok(tmp.mapv(|v| (v / gain_e_per_adu) as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_laplacian_matches_a() {
        let a = vec![-4e-7, 1e-7, 0.0, 1e-7, 0.0, 0.0, 0.0, 0.0, 0.0];
        let k = lsst_kernel(&a, 3, 11).unwrap();
        let c = 5;
        let lap = |x: usize, y: usize| {
            k[[x + 1, y]] + k[[x - 1, y]] + k[[x, y + 1]] + k[[x, y - 1]] - 4.0 * k[[x, y]]
        };
        assert!((lap(c, c) + 4e-7).abs() < 1e-15);
        assert!((lap(c + 1, c) - 1e-7).abs() < 1e-15);
        assert!((lap(c + 2, c + 2)).abs() < 1e-15);
        assert!(k[[c, c]] > 0.0);
    }
}
