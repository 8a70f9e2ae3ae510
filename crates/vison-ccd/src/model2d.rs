//! Two-dimensional large-scale (illumination) models of an image region.
//!
//! Reference 6.8: a smooth model of a flat-field region, either a 2-D polynomial surface fitted by
//! linear least squares (normal equations solved by Cholesky, nalgebra) on a subsampled
//! (binned-median) grid and evaluated on the full grid, or a box median filter. Masks use
//! `true` = bad pixel; masked pixels never enter a model.
//! All functions return a model with the shape of the input.

use nalgebra::{DMatrix, DVector};
use ndarray::{Array2, ArrayView2, Axis, Zip};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Errors of the 2-D model functions.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Model2dError {
    /// The image has no pixels.
    #[error("model2d: empty image region ({rows} x {cols})")]
    EmptyRegion {
        /// Length of axis 0.
        rows: usize,
        /// Length of axis 1.
        cols: usize,
    },
    /// Mask and image shapes differ.
    #[error("model2d: mask shape {mask:?} differs from image shape {image:?}")]
    ShapeMismatch {
        /// Image shape.
        image: [usize; 2],
        /// Mask shape.
        mask: [usize; 2],
    },
    /// A parameter is out of its valid range.
    #[error("model2d: invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Offending value.
        value: usize,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// Not enough valid (unmasked, finite) samples for the requested polynomial.
    #[error("model2d: {samples} valid samples for {terms} polynomial terms")]
    TooFewSamples {
        /// Number of valid samples.
        samples: usize,
        /// Number of polynomial terms.
        terms: usize,
    },
    /// The least-squares normal matrix is singular.
    #[error("model2d: singular least-squares system (degenerate sample layout)")]
    Singular,
}

/// A fitted 2-D polynomial surface in a Legendre basis over normalised coordinates.
///
/// Coordinates are pixel indices along axis 0 (`u`) and axis 1 (`v`), mapped linearly to
/// [-1, 1] over the fitted grid; the basis is `P_i(u) P_j(v)` with `i + j <= degree`, ordered by
/// total degree then by `i` decreasing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Poly2dModel {
    /// Total polynomial degree.
    pub degree: usize,
    /// Grid shape the model was fitted on (axis 0, axis 1).
    pub shape: [usize; 2],
    /// Coefficients of the Legendre basis terms.
    pub coefficients: Vec<f64>,
    /// Number of samples used in the fit.
    pub n_samples: usize,
    /// RMS of the fit residuals at the samples (image units).
    pub rms_residual: f64,
}

/// Number of terms of a 2-D polynomial of total degree `degree`.
#[must_use]
pub fn poly2d_n_terms(degree: usize) -> usize {
    (degree + 1) * (degree + 2) / 2
}

fn legendre_all(x: f64, degree: usize, out: &mut [f64]) {
    if let Some(first) = out.first_mut() {
        *first = 1.0;
    }
    if degree >= 1 && out.len() > 1 {
        out[1] = x;
    }
    for n in 2..=degree.min(out.len().saturating_sub(1)) {
        let nf = n as f64;
        out[n] = ((2.0 * nf - 1.0) * x * out[n - 1] - (nf - 1.0) * out[n - 2]) / nf;
    }
}

fn normalise(coord: f64, len: usize) -> f64 {
    if len <= 1 {
        0.0
    } else {
        2.0 * coord / (len as f64 - 1.0) - 1.0
    }
}

fn basis_row(u: f64, v: f64, degree: usize, pu: &mut [f64], pv: &mut [f64], row: &mut [f64]) {
    legendre_all(u, degree, pu);
    legendre_all(v, degree, pv);
    let mut k = 0;
    for total in 0..=degree {
        for i in (0..=total).rev() {
            let j = total - i;
            row[k] = pu[i] * pv[j];
            k += 1;
        }
    }
}

impl Poly2dModel {
    /// Value of the model at (possibly fractional) pixel coordinates along axis 0 and axis 1.
    #[must_use]
    pub fn value_at(&self, x0_px: f64, x1_px: f64) -> f64 {
        let n = self.degree + 1;
        let mut pu = vec![0.0; n];
        let mut pv = vec![0.0; n];
        let mut row = vec![0.0; self.coefficients.len()];
        let u = normalise(x0_px, self.shape[0]);
        let v = normalise(x1_px, self.shape[1]);
        basis_row(u, v, self.degree, &mut pu, &mut pv, &mut row);
        row.iter().zip(&self.coefficients).map(|(a, c)| a * c).sum()
    }

    /// Evaluate the model on the full grid it was fitted on (parallel over rows).
    #[must_use]
    pub fn evaluate(&self) -> Array2<f32> {
        let n = self.degree + 1;
        // Separable evaluation: precompute P_j(v) for every column.
        let cols = self.shape[1];
        let mut pv_table = vec![0.0; cols * n];
        for (c, chunk) in pv_table.chunks_mut(n).enumerate() {
            legendre_all(normalise(c as f64, cols), self.degree, chunk);
        }
        let mut out = Array2::<f32>::zeros((self.shape[0], self.shape[1]));
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .enumerate()
            .for_each(|(r, mut line)| {
                let mut pu = vec![0.0; n];
                legendre_all(normalise(r as f64, self.shape[0]), self.degree, &mut pu);
                // Collapse the u part: w_j = sum_i c_ij P_i(u).
                let mut w = vec![0.0; n];
                let mut k = 0;
                for total in 0..=self.degree {
                    for i in (0..=total).rev() {
                        let j = total - i;
                        w[j] += self.coefficients[k] * pu[i];
                        k += 1;
                    }
                }
                for (c, px) in line.iter_mut().enumerate() {
                    let pv = &pv_table[c * n..(c + 1) * n];
                    let s: f64 = w.iter().zip(pv).map(|(a, b)| a * b).sum();
                    *px = s as f32;
                }
            });
        out
    }
}

fn check_inputs(
    image: &ArrayView2<'_, f32>,
    mask: Option<&ArrayView2<'_, bool>>,
) -> Result<(), Model2dError> {
    let (rows, cols) = image.dim();
    if rows == 0 || cols == 0 {
        return Err(Model2dError::EmptyRegion { rows, cols });
    }
    if let Some(m) = mask
        && m.dim() != image.dim()
    {
        return Err(Model2dError::ShapeMismatch {
            image: [rows, cols],
            mask: [m.dim().0, m.dim().1],
        });
    }
    Ok(())
}

/// Median of a slice in place (mean of the two middle values for even lengths); NaN if empty.
pub(crate) fn median_in_place(values: &mut [f32]) -> f32 {
    let n = values.len();
    if n == 0 {
        return f32::NAN;
    }
    let mid = n / 2;
    let (_, upper, _) = values.select_nth_unstable_by(mid, f32::total_cmp);
    let hi = *upper;
    if !n.is_multiple_of(2) {
        hi
    } else {
        let lo = values[..mid]
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        0.5 * (lo + hi)
    }
}

fn valid(
    image: &ArrayView2<'_, f32>,
    mask: Option<&ArrayView2<'_, bool>>,
    r: usize,
    c: usize,
) -> bool {
    let v = image[[r, c]];
    v.is_finite() && mask.is_none_or(|m| !m[[r, c]])
}

/// Binned medians: for each `bin_px` x `bin_px` block (the last block of an axis may be shorter),
/// the median of the valid pixels and the block centre in pixel coordinates.
/// Returns (centre axis 0, centre axis 1, median) for blocks with at least one valid pixel.
fn binned_medians(
    image: &ArrayView2<'_, f32>,
    mask: Option<&ArrayView2<'_, bool>>,
    bin_px: usize,
) -> Vec<(f64, f64, f64)> {
    let (rows, cols) = image.dim();
    let nb0 = rows.div_ceil(bin_px);
    let nb1 = cols.div_ceil(bin_px);
    (0..nb0)
        .into_par_iter()
        .flat_map_iter(|b0| {
            let mut buf = Vec::with_capacity(bin_px * bin_px);
            let r0 = b0 * bin_px;
            let r1 = (r0 + bin_px).min(rows);
            let mut out = Vec::with_capacity(nb1);
            for b1 in 0..nb1 {
                let c0 = b1 * bin_px;
                let c1 = (c0 + bin_px).min(cols);
                buf.clear();
                for r in r0..r1 {
                    for c in c0..c1 {
                        if valid(image, mask, r, c) {
                            buf.push(image[[r, c]]);
                        }
                    }
                }
                if !buf.is_empty() {
                    let med = median_in_place(&mut buf);
                    let cu = 0.5 * (r0 + r1 - 1) as f64;
                    let cv = 0.5 * (c0 + c1 - 1) as f64;
                    out.push((cu, cv, f64::from(med)));
                }
            }
            out
        })
        .collect()
}

/// Solve the normal equations `ata x = atb` (symmetric, n x n) by Cholesky (nalgebra). A pivot
/// `L_ii^2` below `1e-14` times the largest diagonal element means a degenerate sample layout.
fn solve_normal(ata: DMatrix<f64>, atb: &DVector<f64>) -> Result<Vec<f64>, Model2dError> {
    let scale = ata.diagonal().amax();
    if scale <= 0.0 || !scale.is_finite() {
        return Err(Model2dError::Singular);
    }
    let chol = ata.cholesky().ok_or(Model2dError::Singular)?;
    if chol
        .l_dirty()
        .diagonal()
        .iter()
        .any(|l| l * l <= scale * 1e-14)
    {
        return Err(Model2dError::Singular);
    }
    Ok(chol.solve(atb).iter().copied().collect())
}

/// Fit a 2-D polynomial surface of total degree `degree` to an image region.
///
/// The region is reduced to medians of `bin_px` x `bin_px` blocks (valid pixels only: unmasked
/// and finite; `bin_px = 1` fits every valid pixel), placed at the block centres, and fitted by
/// linear least squares in a Legendre basis.
///
/// # Errors
/// Empty region, mask shape mismatch, `bin_px == 0`, fewer valid blocks than terms, or a
/// singular system.
pub fn fit_poly2d(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    degree: usize,
    bin_px: usize,
) -> Result<Poly2dModel, Model2dError> {
    check_inputs(&image, mask.as_ref())?;
    if bin_px == 0 {
        return Err(Model2dError::InvalidParameter {
            name: "bin_px",
            value: 0,
            reason: "must be at least 1",
        });
    }
    if degree > 12 {
        return Err(Model2dError::InvalidParameter {
            name: "degree",
            value: degree,
            reason: "must be at most 12",
        });
    }
    let shape = [image.dim().0, image.dim().1];
    let samples = binned_medians(&image, mask.as_ref(), bin_px);
    let nt = poly2d_n_terms(degree);
    if samples.len() < nt {
        return Err(Model2dError::TooFewSamples {
            samples: samples.len(),
            terms: nt,
        });
    }
    let mut ata = DMatrix::<f64>::zeros(nt, nt);
    let mut atb = DVector::<f64>::zeros(nt);
    let mut pu = vec![0.0; degree + 1];
    let mut pv = vec![0.0; degree + 1];
    let mut row = DVector::<f64>::zeros(nt);
    for &(cu, cv, val) in &samples {
        basis_row(
            normalise(cu, shape[0]),
            normalise(cv, shape[1]),
            degree,
            &mut pu,
            &mut pv,
            row.as_mut_slice(),
        );
        // Lower triangle only: that is what the Cholesky decomposition reads.
        ata.syger(1.0, &row, &row, 1.0);
        atb.axpy(val, &row, 1.0);
    }
    let coefficients = solve_normal(ata, &atb)?;
    let mut model = Poly2dModel {
        degree,
        shape,
        coefficients,
        n_samples: samples.len(),
        rms_residual: 0.0,
    };
    let ss: f64 = samples
        .iter()
        .map(|&(cu, cv, val)| (val - model.value_at(cu, cv)).powi(2))
        .sum();
    model.rms_residual = (ss / samples.len() as f64).sqrt();
    tracing::debug!(
        degree,
        bin_px,
        n_samples = model.n_samples,
        rms = model.rms_residual,
        "poly2d fit"
    );
    Ok(model)
}

/// Polynomial illumination model evaluated on the full grid (see [`fit_poly2d`]).
///
/// # Errors
/// As [`fit_poly2d`].
pub fn poly2d_model(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    degree: usize,
    bin_px: usize,
) -> Result<Array2<f32>, Model2dError> {
    Ok(fit_poly2d(image, mask, degree, bin_px)?.evaluate())
}

/// Box median filter of odd size `size_px` (window truncated at the edges), mask-aware.
///
/// Each output pixel is the median of the valid (unmasked, finite) pixels in the window centred
/// on it; NaN where the window holds no valid pixel. Parallel over rows (axis 0).
///
/// # Errors
/// Empty region, mask shape mismatch, or an even/zero `size_px`.
pub fn median_filter(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    size_px: usize,
) -> Result<Array2<f32>, Model2dError> {
    check_inputs(&image, mask.as_ref())?;
    if size_px == 0 || size_px.is_multiple_of(2) {
        return Err(Model2dError::InvalidParameter {
            name: "size_px",
            value: size_px,
            reason: "must be odd and positive",
        });
    }
    let (rows, cols) = image.dim();
    let h = size_px / 2;
    let mut out = Array2::<f32>::zeros((rows, cols));
    let mask_ref = mask.as_ref();
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .for_each(|(r, mut line)| {
            let mut buf = Vec::with_capacity(size_px * size_px);
            let r0 = r.saturating_sub(h);
            let r1 = (r + h + 1).min(rows);
            for (c, px) in line.iter_mut().enumerate() {
                let c0 = c.saturating_sub(h);
                let c1 = (c + h + 1).min(cols);
                buf.clear();
                for rr in r0..r1 {
                    for cc in c0..c1 {
                        if valid(&image, mask_ref, rr, cc) {
                            buf.push(image[[rr, cc]]);
                        }
                    }
                }
                *px = median_in_place(&mut buf);
            }
        });
    Ok(out)
}

/// Fast smooth model: medians of `bin_px` x `bin_px` blocks (mask-aware), bilinearly
/// interpolated between block centres (constant extrapolation beyond the outer centres).
///
/// Blocks without valid pixels are filled from the nearest valid block along axis 1, then axis 0.
///
/// # Errors
/// Empty region, mask shape mismatch, `bin_px == 0`, or no valid pixel at all.
pub fn binned_median_model(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    bin_px: usize,
) -> Result<Array2<f32>, Model2dError> {
    check_inputs(&image, mask.as_ref())?;
    if bin_px == 0 {
        return Err(Model2dError::InvalidParameter {
            name: "bin_px",
            value: 0,
            reason: "must be at least 1",
        });
    }
    let (rows, cols) = image.dim();
    let nb0 = rows.div_ceil(bin_px);
    let nb1 = cols.div_ceil(bin_px);
    let mut grid = Array2::<f64>::from_elem((nb0, nb1), f64::NAN);
    let mut cen0 = vec![0.0; nb0];
    let mut cen1 = vec![0.0; nb1];
    for (b, c) in cen0.iter_mut().enumerate() {
        *c = 0.5 * (b * bin_px + ((b + 1) * bin_px).min(rows) - 1) as f64;
    }
    for (b, c) in cen1.iter_mut().enumerate() {
        *c = 0.5 * (b * bin_px + ((b + 1) * bin_px).min(cols) - 1) as f64;
    }
    for (cu, cv, med) in binned_medians(&image, mask.as_ref(), bin_px) {
        // Block indices from the centres (exact: centres are computed identically).
        let b0 = (cu as usize) / bin_px;
        let b1 = (cv as usize) / bin_px;
        grid[[b0, b1]] = med;
    }
    fill_gaps(&mut grid).ok_or(Model2dError::TooFewSamples {
        samples: 0,
        terms: 1,
    })?;
    let mut out = Array2::<f32>::zeros((rows, cols));
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .for_each(|(r, mut line)| {
            let (i0, i1, t) = bracket(&cen0, r as f64);
            for (c, px) in line.iter_mut().enumerate() {
                let (j0, j1, s) = bracket(&cen1, c as f64);
                let v = (1.0 - t) * ((1.0 - s) * grid[[i0, j0]] + s * grid[[i0, j1]])
                    + t * ((1.0 - s) * grid[[i1, j0]] + s * grid[[i1, j1]]);
                *px = v as f32;
            }
        });
    Ok(out)
}

/// Interpolation bracket (lower index, upper index, weight of upper) in sorted centres.
fn bracket(centres: &[f64], x: f64) -> (usize, usize, f64) {
    let n = centres.len();
    if n == 1 || x <= centres[0] {
        return (0, 0, 0.0);
    }
    if x >= centres[n - 1] {
        return (n - 1, n - 1, 0.0);
    }
    let k = centres
        .partition_point(|&c| c <= x)
        .saturating_sub(1)
        .min(n - 2);
    let t = (x - centres[k]) / (centres[k + 1] - centres[k]);
    (k, k + 1, t)
}

/// Replace NaN cells by the nearest finite cell along axis 1, then axis 0. None if all NaN.
fn fill_gaps(grid: &mut Array2<f64>) -> Option<()> {
    for mut line in grid.axis_iter_mut(Axis(0)) {
        fill_line(line.as_slice_mut()?);
    }
    let (n0, n1) = grid.dim();
    for c in 0..n1 {
        let mut col: Vec<f64> = (0..n0).map(|r| grid[[r, c]]).collect();
        fill_line(&mut col);
        for (r, v) in col.into_iter().enumerate() {
            grid[[r, c]] = v;
        }
    }
    if grid.iter().all(|v| v.is_finite()) {
        Some(())
    } else {
        None
    }
}

fn fill_line(line: &mut [f64]) {
    let finite: Vec<usize> = (0..line.len()).filter(|&i| line[i].is_finite()).collect();
    if finite.is_empty() {
        return;
    }
    for i in 0..line.len() {
        if !line[i].is_finite() {
            let k = finite.partition_point(|&f| f < i);
            let best = match (k.checked_sub(1).map(|p| finite[p]), finite.get(k)) {
                (Some(a), Some(&b)) => {
                    if i - a <= b - i {
                        a
                    } else {
                        b
                    }
                }
                (Some(a), None) => a,
                (None, Some(&b)) => b,
                (None, None) => continue,
            };
            line[i] = line[best];
        }
    }
}

/// Divide an image by a model pixel by pixel (NaN where the model is not positive and finite).
#[must_use]
pub fn normalise_by_model(image: ArrayView2<'_, f32>, model: ArrayView2<'_, f32>) -> Array2<f32> {
    let mut out = Array2::<f32>::zeros(image.raw_dim());
    Zip::from(&mut out)
        .and(&image)
        .and(&model)
        .par_for_each(|o, &i, &m| {
            *o = if m.is_finite() && m > 0.0 {
                i / m
            } else {
                f32::NAN
            };
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(r: usize, c: usize) -> f64 {
        let x = r as f64 / 100.0;
        let y = c as f64 / 100.0;
        1000.0 + 20.0 * x - 15.0 * y + 3.0 * x * x + 2.0 * x * y - 1.5 * y * y + 0.1 * x * x * y
    }

    #[test]
    fn poly2d_recovers_known_cubic_surface() {
        let img = Array2::from_shape_fn((300, 257), |(r, c)| surface(r, c) as f32);
        let mut mask = Array2::from_elem((300, 257), false);
        // Corrupt some pixels and mask them: the fit must ignore them.
        for k in 0..50 {
            mask[[k * 5, k * 3]] = true;
        }
        let mut corrupted = img.clone();
        for k in 0..50 {
            corrupted[[k * 5, k * 3]] = 1e6;
        }
        let model = fit_poly2d(corrupted.view(), Some(mask.view()), 3, 1).unwrap();
        let full = model.evaluate();
        let mut worst = 0.0_f64;
        for ((r, c), v) in full.indexed_iter() {
            let t = surface(r, c);
            worst = worst.max(((f64::from(*v) - t) / t).abs());
        }
        assert!(worst < 1e-4, "worst relative error {worst}");
    }

    #[test]
    fn poly2d_binned_fit_close() {
        let img = Array2::from_shape_fn((256, 256), |(r, c)| surface(r, c) as f32);
        let full = poly2d_model(img.view(), None, 3, 8).unwrap();
        let mut worst = 0.0_f64;
        for ((r, c), v) in full.indexed_iter() {
            let t = surface(r, c);
            worst = worst.max(((f64::from(*v) - t) / t).abs());
        }
        assert!(worst < 1e-4, "worst relative error {worst}");
    }

    #[test]
    fn median_filter_removes_hot_pixel_and_keeps_gradient() {
        let mut img = Array2::from_shape_fn((64, 50), |(r, c)| {
            (100.0 + r as f64 + 0.5 * c as f64) as f32
        });
        img[[30, 20]] = 60000.0;
        let med = median_filter(img.view(), None, 5).unwrap();
        assert!((med[[30, 20]] - (100.0 + 30.0 + 10.0)).abs() < 1e-3);
        // A linear gradient is preserved exactly in the interior.
        for r in 2..62 {
            for c in 2..48 {
                if (r as i64 - 30).abs() <= 2 && (c as i64 - 20).abs() <= 2 {
                    continue;
                }
                let t = (100.0 + r as f64 + 0.5 * c as f64) as f32;
                assert!(
                    (med[[r, c]] - t).abs() < 1e-3,
                    "({r},{c}) {} vs {t}",
                    med[[r, c]]
                );
            }
        }
    }

    #[test]
    fn median_filter_masked_pixels_excluded() {
        let mut img = Array2::from_elem((9, 9), 5.0_f32);
        let mut mask = Array2::from_elem((9, 9), false);
        for c in 0..9 {
            img[[4, c]] = 1000.0;
            mask[[4, c]] = true;
        }
        let med = median_filter(img.view(), Some(mask.view()), 3).unwrap();
        assert!(med.iter().all(|&v| (v - 5.0).abs() < 1e-6));
    }

    #[test]
    fn binned_median_model_linear_gradient() {
        let img = Array2::from_shape_fn((120, 90), |(r, c)| {
            (50.0 + 0.2 * r as f64 + 0.1 * c as f64) as f32
        });
        let model = binned_median_model(img.view(), None, 10).unwrap();
        for r in 5..115 {
            for c in 5..85 {
                let t = 50.0 + 0.2 * r as f64 + 0.1 * c as f64;
                assert!((f64::from(model[[r, c]]) - t).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let img = Array2::<f32>::zeros((4, 4));
        let mask = Array2::from_elem((3, 4), false);
        assert!(matches!(
            median_filter(img.view(), Some(mask.view()), 3),
            Err(Model2dError::ShapeMismatch { .. })
        ));
        assert!(median_filter(img.view(), None, 4).is_err());
        assert!(matches!(
            fit_poly2d(img.view(), None, 5, 1),
            Err(Model2dError::TooFewSamples { .. })
        ));
        // A single row: the terms in u duplicate the constant (P_i(0) P_j(v)), a singular system.
        let row = Array2::from_shape_fn((1, 50), |(_, c)| c as f32);
        assert_eq!(
            fit_poly2d(row.view(), None, 2, 1),
            Err(Model2dError::Singular)
        );
    }
}
