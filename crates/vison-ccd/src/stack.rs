//! Stacking of N frames (median, mean, sigma-clipped mean, with std), band by band so that
//! memory stays within a budget however many frames are stacked.

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fits::{HduSelector, RowReader};
use crate::stats::median_in_place;

/// Per-pixel combination of the stack.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum StackMethod {
    /// Median (mean of the two middle values for even counts).
    Median,
    /// Mean.
    Mean,
    /// Mean after iterative clipping at `sigma` standard deviations around the median.
    ClippedMean {
        /// Clip threshold in standard deviations.
        sigma: f32,
        /// Maximum clipping iterations.
        max_iter: u32,
    },
}

/// The combined image, its per-pixel scatter and the number of values used.
#[derive(Debug, Clone)]
pub struct StackResult {
    /// Combined value per pixel.
    pub value: Array2<f32>,
    /// Standard deviation (ddof = 0) of the values used per pixel.
    pub std: Array2<f32>,
    /// Values used per pixel (non-finite inputs and clipped values excluded).
    pub n_used: Array2<u16>,
}

/// A source of frame rows for band-wise stacking.
pub trait RowSource: Send {
    /// `(rows, cols)` of the frame.
    fn shape(&self) -> (usize, usize);
    /// Fills `out` (whole rows) with rows starting at `row0`.
    fn read_rows(&mut self, row0: usize, out: &mut [f32]) -> Result<()>;
}

impl RowSource for RowReader {
    fn shape(&self) -> (usize, usize) {
        RowReader::shape(self)
    }
    fn read_rows(&mut self, row0: usize, out: &mut [f32]) -> Result<()> {
        RowReader::read_rows(self, row0, out)
    }
}

/// An in-memory frame as a row source.
#[derive(Debug, Clone)]
pub struct ArraySource<'a>(pub ArrayView2<'a, f32>);

impl RowSource for ArraySource<'_> {
    fn shape(&self) -> (usize, usize) {
        self.0.dim()
    }
    fn read_rows(&mut self, row0: usize, out: &mut [f32]) -> Result<()> {
        let cols = self.0.ncols();
        let n = out.len() / cols.max(1);
        let band = self.0.slice(ndarray::s![row0..row0 + n, ..]);
        out.iter_mut().zip(band.iter()).for_each(|(o, &v)| *o = v);
        Ok(())
    }
}

/// Default memory budget for stack input bands: 512 MiB.
pub const DEFAULT_BUDGET_BYTES: usize = 512 << 20;

fn combine(vals: &mut Vec<f32>, method: StackMethod) -> (f32, f32, u16) {
    vals.retain(|x| x.is_finite());
    if vals.is_empty() {
        return (f32::NAN, f32::NAN, 0);
    }
    let mean_std = |v: &[f32]| {
        let n = v.len() as f64;
        let first = f64::from(v[0]);
        let (s, s2) = v.iter().fold((0.0f64, 0.0f64), |(s, s2), &x| {
            let d = f64::from(x) - first;
            (s + d, s2 + d * d)
        });
        let m = s / n;
        (first + m, (s2 / n - m * m).max(0.0).sqrt())
    };
    match method {
        StackMethod::Mean => {
            let (m, s) = mean_std(vals);
            (m as f32, s as f32, vals.len() as u16)
        }
        StackMethod::Median => {
            let (_, s) = mean_std(vals);
            let n = vals.len() as u16;
            (median_in_place(vals) as f32, s as f32, n)
        }
        StackMethod::ClippedMean { sigma, max_iter } => {
            for _ in 0..max_iter {
                let (_, s) = mean_std(vals);
                let med = median_in_place(vals);
                let (lo, hi) = (med - f64::from(sigma) * s, med + f64::from(sigma) * s);
                let before = vals.len();
                vals.retain(|&x| (lo..=hi).contains(&f64::from(x)));
                if vals.len() == before || vals.len() < 3 {
                    break;
                }
            }
            let (m, s) = mean_std(vals);
            (m as f32, s as f32, vals.len() as u16)
        }
    }
}

/// Stacks the sources, reading at most `budget_bytes` of input rows at a time.
///
/// Bands of rows are read from every source (in parallel), then combined per pixel
/// (parallel over rows). Non-finite input values are ignored, so NaN marks masked pixels.
pub fn stack<S: RowSource>(
    sources: &mut [S],
    method: StackMethod,
    budget_bytes: usize,
) -> Result<StackResult> {
    let Some(first) = sources.first() else {
        return Err(Error::InvalidArgument("stack of zero frames".into()));
    };
    if sources.len() > usize::from(u16::MAX) {
        return Err(Error::InvalidArgument("more than 65535 frames".into()));
    }
    let (rows, cols) = first.shape();
    if let Some(bad) = sources.iter().position(|s| s.shape() != (rows, cols)) {
        return Err(Error::ShapeMismatch(format!(
            "frame {bad} is {:?}, frame 0 is {:?}",
            sources[bad].shape(),
            (rows, cols)
        )));
    }
    let n = sources.len();
    let band_rows = (budget_bytes / (n * cols.max(1) * 4)).clamp(1, rows.max(1));
    let mut value = Array2::<f32>::zeros((rows, cols));
    let mut std = Array2::<f32>::zeros((rows, cols));
    let mut n_used = Array2::<u16>::zeros((rows, cols));
    let mut bands: Vec<Vec<f32>> = vec![Vec::new(); n];
    let mut row0 = 0;
    while row0 < rows {
        let nr = band_rows.min(rows - row0);
        sources
            .par_iter_mut()
            .zip(bands.par_iter_mut())
            .try_for_each(|(src, buf)| {
                buf.resize(nr * cols, 0.0);
                src.read_rows(row0, buf)
            })?;
        let bands_ref = &bands;
        value
            .axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(std.axis_iter_mut(Axis(0)).into_par_iter())
            .zip(n_used.axis_iter_mut(Axis(0)).into_par_iter())
            .skip(row0)
            .take(nr)
            .enumerate()
            .for_each_init(
                || Vec::with_capacity(n),
                |vals, (r, ((mut vrow, mut srow), mut nrow))| {
                    for c in 0..cols {
                        vals.clear();
                        vals.extend(bands_ref.iter().map(|b| b[r * cols + c]));
                        let (v, s, k) = combine(vals, method);
                        vrow[c] = v;
                        srow[c] = s;
                        nrow[c] = k;
                    }
                },
            );
        row0 += nr;
    }
    Ok(StackResult { value, std, n_used })
}

/// Stacks the last image HDU of each FITS file, streaming bands from disk.
pub fn stack_files(
    paths: &[PathBuf],
    method: StackMethod,
    budget_bytes: usize,
) -> Result<StackResult> {
    let mut readers = paths
        .iter()
        .map(|p| RowReader::open(Path::new(p), HduSelector::LastImage))
        .collect::<Result<Vec<_>>>()?;
    stack(&mut readers, method, budget_bytes)
}

/// Stacks in-memory frames.
pub fn stack_arrays(frames: &[ArrayView2<'_, f32>], method: StackMethod) -> Result<StackResult> {
    let mut srcs: Vec<ArraySource<'_>> = frames.iter().map(|f| ArraySource(f.view())).collect();
    stack(&mut srcs, method, DEFAULT_BUDGET_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames() -> Vec<Array2<f32>> {
        (0..5)
            .map(|k| Array2::from_shape_fn((7, 3), |(r, c)| (r * 3 + c) as f32 + k as f32))
            .collect()
    }

    #[test]
    fn median_mean_and_std_match_hand_values() {
        let f = frames();
        let views: Vec<_> = f.iter().map(|a| a.view()).collect();
        let med = stack_arrays(&views, StackMethod::Median).expect("stack");
        assert_eq!(med.value[[2, 1]], 7.0 + 2.0);
        assert!((med.std[[0, 0]] - 2f32.sqrt()).abs() < 1e-6);
        let mean = stack_arrays(&views, StackMethod::Mean).expect("stack");
        assert_eq!(mean.value[[6, 2]], 20.0 + 2.0);
        assert_eq!(mean.n_used[[0, 0]], 5);
    }

    #[test]
    fn band_size_does_not_change_the_result() {
        let f = frames();
        let mut a: Vec<_> = f.iter().map(|x| ArraySource(x.view())).collect();
        let small = stack(&mut a, StackMethod::Median, 1).expect("stack");
        let big = stack_arrays(
            &f.iter().map(|x| x.view()).collect::<Vec<_>>(),
            StackMethod::Median,
        )
        .expect("stack");
        assert_eq!(small.value, big.value);
    }

    #[test]
    fn clipped_mean_rejects_an_outlier_and_nan_is_ignored() {
        let mut f: Vec<Array2<f32>> = (0..9)
            .map(|k| Array2::from_elem((2, 2), 10.0 + (k % 3) as f32))
            .collect();
        f[4][[0, 0]] = 1.0e4;
        f[5][[1, 1]] = f32::NAN;
        let views: Vec<_> = f.iter().map(|a| a.view()).collect();
        let r = stack_arrays(
            &views,
            StackMethod::ClippedMean {
                sigma: 3.0,
                max_iter: 5,
            },
        )
        .expect("stack");
        assert_eq!(r.n_used[[0, 0]], 8);
        assert!((r.value[[0, 0]] - 11.0).abs() < 0.2);
        assert_eq!(r.n_used[[1, 1]], 8);
    }

    #[test]
    fn mismatched_shapes_are_an_error() {
        let a = Array2::<f32>::zeros((2, 2));
        let b = Array2::<f32>::zeros((3, 2));
        assert!(stack_arrays(&[a.view(), b.view()], StackMethod::Mean).is_err());
    }
}
