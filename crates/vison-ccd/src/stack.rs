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

/// Pixels combined together by the median network (one SIMD-friendly lane group).
const LANES: usize = 8;

/// Comparators `(lo, hi)` of Batcher's odd-even merge sort for `n` inputs (built for the next
/// power of two; comparators touching the padding are dropped, which is exact because the
/// padding behaves as `+inf` and never moves).
fn batcher_network(n: usize) -> Vec<(usize, usize)> {
    let p2 = n.next_power_of_two();
    let mut net = Vec::new();
    let mut p = 1;
    while p < p2 {
        let mut k = p;
        while k >= 1 {
            let mut j = k % p;
            while j + k < p2 {
                for i in 0..k.min(p2 - j - k) {
                    let (a, b) = (i + j, i + j + k);
                    if a / (2 * p) == b / (2 * p) && b < n {
                        net.push((a, b));
                    }
                }
                j += 2 * k;
            }
            k /= 2;
        }
        p *= 2;
    }
    net
}

/// The comparators of [`batcher_network`] that can affect the two middle ranks
/// (`(n - 1) / 2` and `n / 2`): the median of any `n` values after applying them.
fn median_network(n: usize) -> Vec<(usize, usize)> {
    let full = batcher_network(n);
    let mut needed = vec![false; n];
    if n > 0 {
        needed[(n - 1) / 2] = true;
        needed[n / 2] = true;
    }
    let mut kept = Vec::with_capacity(full.len());
    for &(a, b) in full.iter().rev() {
        if needed[a] || needed[b] {
            needed[a] = true;
            needed[b] = true;
            kept.push((a, b));
        }
    }
    kept.reverse();
    kept
}

/// Median and std of `LANES` pixels at once from `block[k][lane]` (frame `k`), all finite:
/// the same f64 arithmetic as [`combine`] (mean/std relative to frame 0, median of the two
/// middle values for even counts), so results are identical to the scalar path.
fn median_lanes(
    block: &mut [[f32; LANES]],
    net: &[(usize, usize)],
) -> ([f32; LANES], [f32; LANES]) {
    let n = block.len();
    let nf = n as f64;
    let mut std = [0f32; LANES];
    let mut s = [0f64; LANES];
    let mut s2 = [0f64; LANES];
    let first = block[0].map(f64::from);
    for row in block.iter() {
        for l in 0..LANES {
            let d = f64::from(row[l]) - first[l];
            s[l] += d;
            s2[l] += d * d;
        }
    }
    for l in 0..LANES {
        let m = s[l] / nf;
        std[l] = (s2[l] / nf - m * m).max(0.0).sqrt() as f32;
    }
    for &(a, b) in net {
        let (x, y) = (block[a], block[b]);
        let mut lo = [0f32; LANES];
        let mut hi = [0f32; LANES];
        for l in 0..LANES {
            lo[l] = if x[l] < y[l] { x[l] } else { y[l] };
            hi[l] = if x[l] > y[l] { x[l] } else { y[l] };
        }
        block[a] = lo;
        block[b] = hi;
    }
    let mut med = [0f32; LANES];
    let (r_lo, r_hi) = ((n - 1) / 2, n / 2);
    for l in 0..LANES {
        med[l] = if r_lo == r_hi {
            block[r_hi][l]
        } else {
            (0.5 * (f64::from(block[r_hi][l]) + f64::from(block[r_lo][l]))) as f32
        };
    }
    (med, std)
}

/// Combines one row of the band (`r` = row within the band) into the output rows.
#[allow(clippy::too_many_arguments)]
fn combine_row(
    bands: &[Vec<f32>],
    r: usize,
    cols: usize,
    method: StackMethod,
    net: &[(usize, usize)],
    scratch: &mut (Vec<f32>, Vec<[f32; LANES]>),
    vrow: &mut [f32],
    srow: &mut [f32],
    nrow: &mut [u16],
) {
    let (vals, block) = scratch;
    let n = bands.len();
    let mut scalar = |c: usize, vrow: &mut [f32], srow: &mut [f32], nrow: &mut [u16]| {
        vals.clear();
        vals.extend(bands.iter().map(|b| b[r * cols + c]));
        let (v, s, k) = combine(vals, method);
        vrow[c] = v;
        srow[c] = s;
        nrow[c] = k;
    };
    let mut c0 = 0;
    if method == StackMethod::Median && n > 0 {
        block.resize(n, [0.0; LANES]);
        while c0 + LANES <= cols {
            let at = r * cols + c0;
            // x * 0 is 0 for finite x and NaN for NaN or infinities; NaN propagates.
            let mut probe = [0f32; LANES];
            for (dst, b) in block.iter_mut().zip(bands) {
                dst.copy_from_slice(&b[at..at + LANES]);
                for (p, &x) in probe.iter_mut().zip(dst.iter()) {
                    *p += x * 0.0;
                }
            }
            if probe.iter().all(|p| *p == 0.0) {
                let (med, std) = median_lanes(block, net);
                vrow[c0..c0 + LANES].copy_from_slice(&med);
                srow[c0..c0 + LANES].copy_from_slice(&std);
                nrow[c0..c0 + LANES].fill(n as u16);
            } else {
                for c in c0..c0 + LANES {
                    scalar(c, vrow, srow, nrow);
                }
            }
            c0 += LANES;
        }
    }
    for c in c0..cols {
        scalar(c, vrow, srow, nrow);
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
    let net = median_network(n);
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
        let net_ref = &net;
        value
            .axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(std.axis_iter_mut(Axis(0)).into_par_iter())
            .zip(n_used.axis_iter_mut(Axis(0)).into_par_iter())
            .skip(row0)
            .take(nr)
            .enumerate()
            .try_for_each_init(
                || (Vec::with_capacity(n), Vec::with_capacity(n)),
                |scratch, (r, ((mut vrow, mut srow), mut nrow))| {
                    let (Some(v), Some(s), Some(k)) = (
                        vrow.as_slice_mut(),
                        srow.as_slice_mut(),
                        nrow.as_slice_mut(),
                    ) else {
                        return Err(Error::InvalidArgument("non-contiguous stack output".into()));
                    };
                    combine_row(bands_ref, r, cols, method, net_ref, scratch, v, s, k);
                    Ok(())
                },
            )?;
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
    fn median_network_sorts_the_middle_ranks_for_every_count() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 1000) as f32 - 500.0
        };
        for n in 1..=40 {
            let net = median_network(n);
            assert!(net.len() <= batcher_network(n).len());
            for _ in 0..20 {
                let mut block: Vec<[f32; LANES]> =
                    (0..n).map(|_| std::array::from_fn(|_| next())).collect();
                let cols: Vec<Vec<f32>> = (0..LANES)
                    .map(|l| block.iter().map(|b| b[l]).collect())
                    .collect();
                let (med, _) = median_lanes(&mut block, &net);
                for (l, mut v) in cols.into_iter().enumerate() {
                    let (expect, _, _) = combine(&mut v, StackMethod::Median);
                    assert_eq!(med[l], expect, "n = {n}, lane {l}");
                }
            }
        }
    }

    #[test]
    fn full_batcher_network_sorts() {
        for n in [2, 3, 7, 16, 25, 33] {
            let net = batcher_network(n);
            let mut v: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % 31 - 15).collect();
            let mut expect = v.clone();
            expect.sort_unstable();
            for (a, b) in net {
                if v[a] > v[b] {
                    v.swap(a, b);
                }
            }
            assert_eq!(v, expect, "n = {n}");
        }
    }

    #[test]
    fn lane_path_matches_scalar_path_with_nan_and_ragged_columns() {
        // 19 columns: two full lane groups and a tail; a NaN inside the first group.
        let mut f: Vec<Array2<f32>> = (0..6)
            .map(|k| {
                Array2::from_shape_fn((3, 19), |(r, c)| {
                    ((r * 19 + c) as f32 * 0.37 + k as f32 * 1.3).sin() * 100.0
                })
            })
            .collect();
        f[2][[1, 3]] = f32::NAN;
        let views: Vec<_> = f.iter().map(|a| a.view()).collect();
        let r = stack_arrays(&views, StackMethod::Median).expect("stack");
        for ((rr, c), &v) in r.value.indexed_iter() {
            let mut vals: Vec<f32> = f.iter().map(|a| a[[rr, c]]).collect();
            let (m, s, k) = combine(&mut vals, StackMethod::Median);
            assert_eq!(
                (v, r.std[[rr, c]], r.n_used[[rr, c]]),
                (m, s, k),
                "[{rr}, {c}]"
            );
        }
        assert_eq!(r.n_used[[1, 3]], 5);
    }

    #[test]
    fn mismatched_shapes_are_an_error() {
        let a = Array2::<f32>::zeros((2, 2));
        let b = Array2::<f32>::zeros((3, 2));
        assert!(stack_arrays(&[a.view(), b.view()], StackMethod::Mean).is_err());
    }
}
