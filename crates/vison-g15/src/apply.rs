//! Apply (`degrade`) and remove (`correct`) the brighter-fatter effect with boundary shifts
//! (G15 Eq. 6 and 11), flux-conserving.
//!
//! For each internal boundary between two pixels, the displacement is
//! `D = 0.5 sum_offsets s(offset) Q(source)` (half the final-charge displacement: the boundaries
//! move while the charge accumulates), and the charge moved across it is
//! `D (Q_left + Q_right) / 2`: what one pixel gains its neighbour loses, so the total charge is
//! conserved exactly (no transfer across the image border). Charges are in electrons (ADU x gain).

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::shifts::BoundaryShifts;
use crate::{Error, Result};

/// Non-zero kernel taps (di, dj, coefficient) of the s0 or s1 field.
fn taps(shifts: &BoundaryShifts, axis0: bool) -> Vec<(i64, i64, f64)> {
    let n = shifts.n_lags as i64;
    let mut out = Vec::new();
    for i in -n..=n {
        for j in -n..=n {
            let c = if axis0 {
                shifts.s0(i, j)
            } else {
                shifts.s1(i, j)
            };
            if c != 0.0 {
                out.push((i, j, 0.5 * c));
            }
        }
    }
    out
}

/// Field D(x, y) = sum_taps c Q(x - i, y - j) (zero outside the image), parallel over rows.
fn convolve(q: &Array2<f64>, taps: &[(i64, i64, f64)]) -> Array2<f64> {
    let (rows, cols) = q.dim();
    let mut out = Array2::<f64>::zeros((rows, cols));
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .for_each(|(x, mut orow)| {
            let Some(o) = orow.as_slice_mut() else { return };
            for &(i, j, c) in taps {
                let r = x as i64 - i;
                if r < 0 || r >= rows as i64 {
                    continue;
                }
                let src = q.row(r as usize);
                let Some(s) = src.as_slice() else { continue };
                // o[y] += c * s[y - j] for valid y.
                let (y0, y1) = if j >= 0 {
                    (j as usize, cols)
                } else {
                    (0, (cols as i64 + j).max(0) as usize)
                };
                if y0 >= y1 {
                    continue;
                }
                let src_start = (y0 as i64 - j) as usize;
                for (ov, sv) in o[y0..y1]
                    .iter_mut()
                    .zip(&s[src_start..src_start + (y1 - y0)])
                {
                    *ov += c * sv;
                }
            }
        });
    out
}

/// Charge change dQ(Q) of the boundary-shift model.
fn delta_q(q: &Array2<f64>, t0: &[(i64, i64, f64)], t1: &[(i64, i64, f64)]) -> Array2<f64> {
    let (rows, cols) = q.dim();
    let d0 = convolve(q, t0);
    let d1 = convolve(q, t1);
    let mut dq = Array2::<f64>::zeros((rows, cols));
    for x in 1..rows {
        for y in 0..cols {
            // Boundary between rows x-1 and x, moved by d0 along +axis 0: row x-1 grows.
            let f = d0[[x, y]] * 0.5 * (q[[x - 1, y]] + q[[x, y]]);
            dq[[x - 1, y]] += f;
            dq[[x, y]] -= f;
        }
    }
    for x in 0..rows {
        for y in 1..cols {
            let f = d1[[x, y]] * 0.5 * (q[[x, y - 1]] + q[[x, y]]);
            dq[[x, y - 1]] += f;
            dq[[x, y]] -= f;
        }
    }
    dq
}

fn to_electrons(image: &ArrayView2<'_, f32>, gain: f64) -> Result<Array2<f64>> {
    if gain.is_nan() || gain <= 0.0 {
        return Err(Error::InvalidInput {
            what: "gain_e_per_adu",
            reason: format!("{gain} must be positive"),
        });
    }
    if image.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidInput {
            what: "image",
            reason: "non-finite pixels (replace masked pixels before applying the model)"
                .to_owned(),
        });
    }
    Ok(image.mapv(|v| f64::from(v) * gain))
}

/// Apply the brighter-fatter effect to an image in ADU (`gain` in e-/ADU).
///
/// # Errors
/// Non-positive gain or non-finite pixels.
pub fn degrade(
    image_adu: ArrayView2<'_, f32>,
    shifts: &BoundaryShifts,
    gain_e_per_adu: f64,
) -> Result<Array2<f32>> {
    let q = to_electrons(&image_adu, gain_e_per_adu)?;
    let dq = delta_q(&q, &taps(shifts, true), &taps(shifts, false));
    Ok(ndarray::Zip::from(&q)
        .and(&dq)
        .map_collect(|a, b| ((a + b) / gain_e_per_adu) as f32))
}

/// Remove the brighter-fatter effect: solve `degrade(Q) = I` for Q by fixed-point iteration
/// `Q <- I - dQ(Q)` (G15's `correct` is the first iteration), in double precision, until the
/// largest change is below `1e-12` of the largest |pixel| (at most 100 iterations).
///
/// # Errors
/// Non-positive gain, non-finite pixels, or no convergence (a model too strong for the image).
pub fn correct(
    image_adu: ArrayView2<'_, f32>,
    shifts: &BoundaryShifts,
    gain_e_per_adu: f64,
) -> Result<Array2<f32>> {
    let img = to_electrons(&image_adu, gain_e_per_adu)?;
    let t0 = taps(shifts, true);
    let t1 = taps(shifts, false);
    let scale = img.iter().fold(0.0_f64, |m, v| m.max(v.abs())).max(1e-300);
    let mut q = img.clone();
    for it in 0..100 {
        let dq = delta_q(&q, &t0, &t1);
        let next = &img - &dq;
        let change = next
            .iter()
            .zip(q.iter())
            .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
        q = next;
        if change <= 1e-12 * scale {
            tracing::debug!(iterations = it + 1, "BF correction converged");
            return Ok(q.mapv(|v| (v / gain_e_per_adu) as f32));
        }
        if !change.is_finite() {
            break;
        }
    }
    Err(Error::SolveFailed {
        what: "brighter-fatter correction",
        reason: "fixed-point iteration did not converge in 100 iterations".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_bright_pixel_loses_charge_to_neighbours_flux_conserved() {
        let s = BoundaryShifts::smooth_model(2e-7, -0.8, 3);
        let mut img = Array2::<f32>::from_elem((15, 15), 100.0);
        img[[7, 7]] = 50_000.0;
        let d = degrade(img.view(), &s, 1.0).unwrap();
        assert!(d[[7, 7]] < 50_000.0);
        assert!(d[[7, 8]] > 100.0 && d[[6, 7]] > 100.0);
        let s_in: f64 = img.iter().map(|v| f64::from(*v)).sum();
        let s_out: f64 = d.iter().map(|v| f64::from(*v)).sum();
        assert!((s_in - s_out).abs() / s_in < 1e-6);
    }

    #[test]
    fn bad_inputs_rejected() {
        let s = BoundaryShifts::zeros(2);
        let mut img = Array2::<f32>::zeros((4, 4));
        assert!(degrade(img.view(), &s, 0.0).is_err());
        img[[0, 0]] = f32::NAN;
        assert!(correct(img.view(), &s, 1.0).is_err());
    }
}
