//! Robust statistics of pixel sets: sections, tiles, masked regions. The workspace's one
//! implementation of medians and percentiles of pixel data (see [`crate::clip`] for `f64`
//! values, sigma clipping and the grouped-data median, [`crate::offset`] for offsets).
//!
//! Order statistics are exact (equal to a full sort's, numpy's linear interpolation for
//! percentiles): quantised data (raw or offset-subtracted ADU, multiples of 0.5) are counted
//! in one parallel pass ([`crate::hist`]); other values go through histogram selection.

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::frame::{Frame, cutout};
use crate::geometry::{LOST_ADU, Quadrant, SATURATED_ADU, Section};

/// Scale from the median absolute deviation to a Gaussian sigma.
pub const MAD_TO_SIGMA: f64 = 1.482_602_218_505_602;

/// Summary statistics of a set of pixels (non-finite and masked pixels excluded).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Pixels used.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// Standard deviation (population, ddof = 0, as numpy).
    pub std: f64,
    /// Robust standard deviation: 1.4826 x median absolute deviation.
    pub mad_std: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// 5th percentile.
    pub p05: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Stats {
    /// Statistics of no pixels: every figure NaN.
    pub const EMPTY: Stats = Stats {
        n: 0,
        mean: f64::NAN,
        median: f64::NAN,
        std: f64::NAN,
        mad_std: f64::NAN,
        min: f64::NAN,
        max: f64::NAN,
        p05: f64::NAN,
        p95: f64::NAN,
    };
}

/// [`Stats`] of a section plus counts of lost (0) and saturated (65535) pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SectionStats {
    /// Statistics of the section's valid pixels.
    #[serde(flatten)]
    pub stats: Stats,
    /// Pixels equal to 0 ADU (lost).
    pub n_lost: usize,
    /// Pixels equal to 65535 ADU (saturated).
    pub n_saturated: usize,
}

/// Trim of a canonical region, in pixels removed at each end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trim {
    /// Rows removed at the readout end / far end.
    pub rows: (usize, usize),
    /// Columns removed at the readout end / far end.
    pub cols: (usize, usize),
}

impl Trim {
    /// No trimming.
    pub const NONE: Trim = Trim {
        rows: (0, 0),
        cols: (0, 0),
    };

    /// Serial-only trim `[start, end]` as vison's `trimscan`.
    pub const fn serial(start: usize, end: usize) -> Trim {
        Trim {
            rows: (0, 0),
            cols: (start, end),
        }
    }

    /// Standard check trims per section (reference 1.5): pre [25, 5], img [5, 5], ove [5, 5].
    pub fn standard(section: Section) -> Trim {
        match section {
            Section::Prescan => Trim::serial(25, 5),
            Section::Image | Section::Overscan => Trim::serial(5, 5),
            Section::ParallelOverscan => Trim::serial(5, 5),
        }
    }

    /// Applies the trim to a view; an over-trimmed view becomes empty.
    pub fn apply<'a, T>(&self, v: ArrayView2<'a, T>) -> ArrayView2<'a, T> {
        let (r, c) = v.dim();
        let r0 = self.rows.0.min(r);
        let r1 = r.saturating_sub(self.rows.1).max(r0);
        let c0 = self.cols.0.min(c);
        let c1 = c.saturating_sub(self.cols.1).max(c0);
        v.slice_move(ndarray::s![r0..r1, c0..c1])
    }
}

/// Median of a slice, reordering it. NaN-free input expected; empty gives NaN.
pub fn median_in_place(v: &mut [f32]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    let (lo, m, _) = v.select_nth_unstable_by(mid, f32::total_cmp);
    let m = f64::from(*m);
    if n % 2 == 1 {
        m
    } else {
        let below = lo.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        0.5 * (m + f64::from(below))
    }
}

/// Percentile `p` in [0, 100] of sorted data, linear interpolation (numpy's default).
pub fn percentile_sorted(sorted: &[f32], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f64;
    let i = pos.floor() as usize;
    let frac = pos - i as f64;
    let a = f64::from(sorted[i]);
    let b = f64::from(sorted[(i + 1).min(n - 1)]);
    a + frac * (b - a)
}

/// Values per parallel work item of the large-array passes.
const PAR_CHUNK: usize = 1 << 16;
/// Histogram bins per selection level.
const SELECT_BINS: usize = 4096;
/// At or below this many values, selection sorts directly.
const SELECT_DIRECT: usize = 1 << 12;
/// Histogram levels before falling back to in-place selection (pathological spreads).
const SELECT_MAX_DEPTH: u32 = 4;

/// Exact order statistics: `out[i]` = value at rank `ranks[i]` (0-based, ascending) of the
/// finite values `v`, whose minimum and maximum are `lo` and `hi`. `ranks` sorted, in range.
///
/// A histogram over `[lo, hi]` (one parallel pass) finds the bin holding each rank; only the
/// values of those few bins are gathered and resolved (recursively, or by sorting when few).
/// The bin index is a monotone function of the value, so the result equals a full sort's.
fn select_ranks(v: &[f32], lo: f32, hi: f32, ranks: &[usize], out: &mut [f64], depth: u32) {
    if ranks.is_empty() {
        return;
    }
    if lo == hi {
        out.iter_mut().for_each(|o| *o = f64::from(lo));
        return;
    }
    if v.len() <= SELECT_DIRECT || depth >= SELECT_MAX_DEPTH {
        select_direct(v, ranks, out);
        return;
    }
    // f32 arithmetic: x - lo and the product by a positive constant are correctly rounded,
    // hence monotone in x, and the saturating cast and clamp keep that.
    let scale = (SELECT_BINS as f64 / (f64::from(hi) - f64::from(lo))) as f32;
    if !(scale.is_finite() && scale > 0.0) {
        return select_ranks(v, lo, hi, ranks, out, SELECT_MAX_DEPTH);
    }
    let binning = Binning {
        lo,
        scale,
        last: (SELECT_BINS - 1) as i32,
    };
    let hist = histogram(v, binning);
    let targets = rank_targets(&hist, ranks);
    let mut bins: Vec<usize> = targets.iter().map(|t| t.0).collect();
    bins.dedup();
    let buckets = gather_bins(v, binning, &bins);
    for (k, bucket) in buckets.iter().enumerate() {
        let (blo, bhi) = bucket
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        let idx: Vec<usize> = (0..targets.len())
            .filter(|&i| targets[i].0 == bins[k])
            .collect();
        let local: Vec<usize> = idx.iter().map(|&i| targets[i].1).collect();
        let mut res = vec![0f64; local.len()];
        select_ranks(bucket, blo, bhi, &local, &mut res, depth + 1);
        for (&i, r) in idx.iter().zip(res) {
            out[i] = r;
        }
    }
}

/// Order statistics of a few values, or at the depth limit: sort, or select in place.
fn select_direct(v: &[f32], ranks: &[usize], out: &mut [f64]) {
    let mut w = v.to_vec();
    if v.len() <= SELECT_DIRECT {
        w.sort_unstable_by(f32::total_cmp);
        for (o, &r) in out.iter_mut().zip(ranks) {
            *o = f64::from(w[r]);
        }
    } else {
        for (o, &r) in out.iter_mut().zip(ranks) {
            *o = f64::from(*w.select_nth_unstable_by(r, f32::total_cmp).1);
        }
    }
}

/// The monotone map of a value to one of [`SELECT_BINS`] histogram bins over `[lo, hi]`.
#[derive(Clone, Copy)]
struct Binning {
    lo: f32,
    scale: f32,
    last: i32,
}

impl Binning {
    #[inline(always)]
    fn bin(self, x: f32) -> usize {
        (((x - self.lo) * self.scale) as i32).clamp(0, self.last) as usize
    }
}

/// Counts per bin (one parallel pass).
fn histogram(v: &[f32], binning: Binning) -> Vec<u32> {
    v.par_chunks(PAR_CHUNK)
        .map(|c| {
            // Four interleaved sub-histograms: runs of equal bins do not serialise on one
            // counter.
            let mut h = vec![[0u32; 4]; SELECT_BINS];
            let quads = c.chunks_exact(4);
            for &x in quads.remainder() {
                h[binning.bin(x)][0] += 1;
            }
            for q in quads {
                h[binning.bin(q[0])][0] += 1;
                h[binning.bin(q[1])][1] += 1;
                h[binning.bin(q[2])][2] += 1;
                h[binning.bin(q[3])][3] += 1;
            }
            h.iter().map(|b| b.iter().sum()).collect::<Vec<u32>>()
        })
        .reduce(
            || vec![0u32; SELECT_BINS],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// Bin of each (sorted) rank and the rank within that bin.
fn rank_targets(hist: &[u32], ranks: &[usize]) -> Vec<(usize, usize)> {
    let mut targets: Vec<(usize, usize)> = Vec::with_capacity(ranks.len());
    let (mut b, mut below) = (0usize, 0usize);
    for &r in ranks {
        while below + hist[b] as usize <= r {
            below += hist[b] as usize;
            b += 1;
        }
        targets.push((b, r - below));
    }
    targets
}

/// The values falling in each of `bins` (distinct, ascending), one vector per bin.
fn gather_bins(v: &[f32], binning: Binning, bins: &[usize]) -> Vec<Vec<f32>> {
    const NONE: u8 = u8::MAX;
    let mut slot = vec![NONE; SELECT_BINS];
    for (k, &b) in bins.iter().enumerate() {
        slot[b] = k as u8;
    }
    let nb = bins.len();
    v.par_chunks(PAR_CHUNK)
        .map(|c| {
            let mut bk: Vec<Vec<f32>> = vec![Vec::new(); nb];
            for &x in c {
                let s = slot[binning.bin(x)];
                if s != NONE {
                    bk[usize::from(s)].push(x);
                }
            }
            bk
        })
        .reduce(
            || vec![Vec::new(); nb],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| x.extend(y));
                a
            },
        )
}

/// Ranks `(i, i + 1, frac)` of percentile `p` of `n` values (linear interpolation).
pub(crate) fn percentile_ranks(n: usize, p: f64) -> (usize, usize, f64) {
    let pos = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f64;
    let i = pos.floor() as usize;
    (i, (i + 1).min(n - 1), pos - i as f64)
}

/// Values at `ranks` (any order, duplicates allowed) of finite values with known range.
fn values_at(v: &[f32], lo: f32, hi: f32, ranks: &[usize]) -> Vec<f64> {
    let mut uniq = ranks.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let mut vals = vec![0f64; uniq.len()];
    select_ranks(v, lo, hi, &uniq, &mut vals, 0);
    ranks
        .iter()
        .map(|r| uniq.binary_search(r).map_or(f64::NAN, |k| vals[k]))
        .collect()
}

/// Per-chunk `(sum of x - first, sum of squares, min, max)`, summed in chunk order so the
/// result does not depend on the thread count.
fn moments(v: &[f32], first: f64) -> (f64, f64, f32, f32) {
    let parts: Vec<(f64, f64, f32, f32)> = v
        .par_chunks(PAR_CHUNK)
        .map(|c| {
            let (mut s, mut s2) = (0.0f64, 0.0f64);
            let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
            for &x in c {
                let d = f64::from(x) - first;
                s += d;
                s2 += d * d;
                lo = lo.min(x);
                hi = hi.max(x);
            }
            (s, s2, lo, hi)
        })
        .collect();
    parts.into_iter().fold(
        (0.0, 0.0, f32::INFINITY, f32::NEG_INFINITY),
        |(s, s2, lo, hi), (a, b, l, h)| (s + a, s2 + b, lo.min(l), hi.max(h)),
    )
}

/// Statistics of a vector of values (consumed; non-finite values ignored). Exact order
/// statistics: by counting when every value is a multiple of 0.5 ADU ([`crate::hist`]),
/// otherwise by histogram selection in O(n); large passes in parallel.
pub fn stats_of_values(v: Vec<f32>) -> Stats {
    match crate::hist::half_hist_values(&v) {
        Some(h) => h.stats(),
        None => stats_of_values_select(v),
    }
}

/// Linear-interpolated percentiles `ps` (each in [0, 100], numpy's default method) of the
/// finite values, exact (equal to a full sort's); NaN for each when there is no finite value.
pub fn percentiles_of_values(v: &[f32], ps: &[f64]) -> Vec<f64> {
    if let Some(h) = crate::hist::half_hist_values(v) {
        return h.percentiles(ps);
    }
    let w: Vec<f32> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = w.len();
    if n == 0 {
        return vec![f64::NAN; ps.len()];
    }
    let (lo, hi) = w
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let pr: Vec<(usize, usize, f64)> = ps.iter().map(|&p| percentile_ranks(n, p)).collect();
    let ranks: Vec<usize> = pr.iter().flat_map(|&(i, j, _)| [i, j]).collect();
    let at = values_at(&w, lo, hi, &ranks);
    pr.iter()
        .enumerate()
        .map(|(k, &(_, _, frac))| {
            let (a, b) = (at[2 * k], at[2 * k + 1]);
            if frac == 0.0 { a } else { a + frac * (b - a) }
        })
        .collect()
}

/// Median of the finite values (mean of the two middle values for even counts), exact; NaN
/// when there is none. The slice is not modified (see [`median_in_place`] for small slices).
pub fn median_of_values(v: &[f32]) -> f64 {
    percentiles_of_values(v, &[50.0])[0]
}

/// Percentiles of the finite, unmasked pixels of a view (`mask` true = bad), exact.
pub fn percentiles(
    v: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    ps: &[f64],
) -> Vec<f64> {
    if mask.is_none_or(|m| m.dim() != v.dim())
        && let Some(h) = crate::hist::half_hist(v)
    {
        return h.percentiles(ps);
    }
    percentiles_of_values(&valid_values(v, mask), ps)
}

/// [`stats_of_values`] by histogram selection only (any finite values).
fn stats_of_values_select(mut v: Vec<f32>) -> Stats {
    v.retain(|x| x.is_finite());
    let n = v.len();
    if n == 0 {
        return Stats::EMPTY;
    }
    let first = f64::from(v[0]);
    let (sum, sum2, lo, hi) = moments(&v, first);
    let mean_d = sum / n as f64;
    let var = (sum2 / n as f64 - mean_d * mean_d).max(0.0);
    let pct = [50.0, 5.0, 95.0].map(|p| percentile_ranks(n, p));
    let ranks: Vec<usize> = pct.iter().flat_map(|&(i, j, _)| [i, j]).collect();
    let at = values_at(&v, lo, hi, &ranks);
    let interp = |k: usize| {
        let (a, b, frac) = (at[2 * k], at[2 * k + 1], pct[k].2);
        if frac == 0.0 { a } else { a + frac * (b - a) }
    };
    let (median, p05, p95) = (interp(0), interp(1), interp(2));
    let dev: Vec<f32> = v
        .par_iter()
        .with_min_len(PAR_CHUNK)
        .map(|&x| (f64::from(x) - median).abs() as f32)
        .collect();
    let dmax = (f64::from(hi) - median).max(median - f64::from(lo)) as f32;
    let mid = n / 2;
    let mad = if n % 2 == 1 {
        values_at(&dev, 0.0, dmax, &[mid])[0]
    } else {
        let m = values_at(&dev, 0.0, dmax, &[mid - 1, mid]);
        0.5 * (m[1] + m[0])
    };
    Stats {
        n,
        mean: first + mean_d,
        median,
        std: var.sqrt(),
        mad_std: MAD_TO_SIGMA * mad,
        min: f64::from(lo),
        max: f64::from(hi),
        p05,
        p95,
    }
}

/// Values of a view that are finite and not masked (`mask` true = bad), in the view's
/// logical order.
pub fn valid_values(v: ArrayView2<'_, f32>, mask: Option<ArrayView2<'_, bool>>) -> Vec<f32> {
    let mut out = Vec::with_capacity(v.len());
    match mask {
        Some(m) if m.dim() == v.dim() => {
            for (row, mrow) in v.rows().into_iter().zip(m.rows()) {
                out.extend(
                    row.iter()
                        .zip(mrow.iter())
                        .filter(|(x, bad)| !**bad && x.is_finite())
                        .map(|(x, _)| *x),
                );
            }
        }
        _ => {
            for row in v.rows() {
                // Rows of canonical views are contiguous, forwards or backwards.
                if let Some(sl) = row.as_slice() {
                    out.extend(sl.iter().copied().filter(|x| x.is_finite()));
                } else if let Some(sl) = row.slice(ndarray::s![..;-1]).as_slice() {
                    out.extend(sl.iter().rev().copied().filter(|x| x.is_finite()));
                } else {
                    out.extend(row.iter().copied().filter(|x| x.is_finite()));
                }
            }
        }
    }
    out
}

/// Statistics of a view, mask-aware (`mask` true = bad; a mask of another shape is ignored).
/// Quantised data (raw or offset-subtracted ADU) take one counting pass over the view.
pub fn stats(v: ArrayView2<'_, f32>, mask: Option<ArrayView2<'_, bool>>) -> Stats {
    if mask.is_none_or(|m| m.dim() != v.dim())
        && let Some(h) = crate::hist::half_hist(v)
    {
        return h.stats();
    }
    stats_of_values_select(valid_values(v, mask))
}

/// Iteratively sigma-clipped statistics around the median (scipy `sigmaclip` style).
pub fn clipped_stats(
    v: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    sigma: f64,
    max_iter: usize,
) -> Stats {
    let mut vals = valid_values(v, mask);
    for _ in 0..max_iter {
        let s = stats_of_values(vals.clone());
        if s.n == 0 || s.std.is_nan() || s.std <= 0.0 {
            return s;
        }
        let (lo, hi) = (s.median - sigma * s.std, s.median + sigma * s.std);
        let before = vals.len();
        vals.retain(|&x| (lo..=hi).contains(&f64::from(x)));
        if vals.len() == before {
            break;
        }
    }
    stats_of_values(vals)
}

/// Counts of lost (0) and saturated (65535) pixels in a view.
pub fn count_lost_saturated(v: ArrayView2<'_, f32>) -> (usize, usize) {
    v.iter().fold((0, 0), |(l, s), &x| {
        (
            l + usize::from(x == LOST_ADU),
            s + usize::from(x == SATURATED_ADU),
        )
    })
}

/// Statistics of one section of one quadrant (canonical orientation), trimmed and mask-aware.
/// `mask` is a frame-shaped mask (true = bad) or `None`.
pub fn section_stats(
    frame: &Frame,
    q: Quadrant,
    section: Section,
    trim: Trim,
    mask: Option<ArrayView2<'_, bool>>,
) -> SectionStats {
    let view = trim.apply(frame.section(q, section));
    let mview = mask.filter(|m| m.dim() == frame.data.dim()).map(|m| {
        let b = frame.geometry.section_box_qcan(section);
        trim.apply(cutout(crate::frame::qcan_view(&frame.geometry, m, q), &b))
    });
    if mview.is_none()
        && let Some(h) = crate::hist::half_hist(view)
    {
        let (n_lost, n_saturated) = h.lost_saturated();
        return SectionStats {
            stats: h.stats(),
            n_lost,
            n_saturated,
        };
    }
    let (n_lost, n_saturated) = count_lost_saturated(view);
    SectionStats {
        stats: stats(view, mview),
        n_lost,
        n_saturated,
    }
}

/// [`section_stats`] of many `(quadrant, section, trim)` items, computed in parallel, in the
/// order given.
pub fn section_stats_many(
    frame: &Frame,
    items: &[(Quadrant, Section, Trim)],
    mask: Option<ArrayView2<'_, bool>>,
) -> Vec<SectionStats> {
    items
        .par_iter()
        .map(|&(q, section, trim)| section_stats(frame, q, section, trim, mask))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn hand_computed_values() {
        let s = stats_of_values(vec![1.0, 2.0, 3.0, 4.0, 100.0]);
        assert_eq!(s.n, 5);
        assert!((s.mean - 22.0).abs() < 1e-12);
        assert_eq!(s.median, 3.0);
        assert_eq!((s.min, s.max), (1.0, 100.0));
        // MAD: |x - 3| = 2,1,0,1,97 -> median 1.
        assert!((s.mad_std - MAD_TO_SIGMA).abs() < 1e-12);
        let var: f64 = [1.0f64, 2.0, 3.0, 4.0, 100.0]
            .iter()
            .map(|x| (x - 22.0).powi(2))
            .sum::<f64>()
            / 5.0;
        assert!((s.std - var.sqrt()).abs() < 1e-9);
        assert!((s.p95 - (4.0 + 0.8 * 96.0)).abs() < 1e-9);
    }

    /// Sort-based reference for every order statistic of [`Stats`].
    fn reference(mut v: Vec<f32>) -> (f64, f64, f64, f64) {
        v.retain(|x| x.is_finite());
        v.sort_unstable_by(f32::total_cmp);
        let median = percentile_sorted(&v, 50.0);
        let mut dev: Vec<f32> = v
            .iter()
            .map(|&x| (f64::from(x) - median).abs() as f32)
            .collect();
        dev.sort_unstable_by(f32::total_cmp);
        let n = dev.len();
        let mad = if n % 2 == 1 {
            f64::from(dev[n / 2])
        } else {
            0.5 * (f64::from(dev[n / 2]) + f64::from(dev[n / 2 - 1]))
        };
        (
            median,
            percentile_sorted(&v, 5.0),
            percentile_sorted(&v, 95.0),
            mad,
        )
    }

    #[test]
    fn histogram_selection_equals_sorting() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // Sizes below and above the direct-sort limit; Gaussian-ish noise, quantised values
        // (many ties), a few huge outliers that squeeze the bulk into one histogram bin.
        for (n, kind) in [
            (1usize, 0u64),
            (2, 0),
            (4095, 0),
            (4096, 1),
            (4097, 2),
            (100_000, 0),
            (100_001, 1),
            (250_000, 2),
            (70_000, 3),
        ] {
            let v: Vec<f32> = (0..n)
                .map(|i| {
                    let u = next();
                    let g: f32 = (0..4)
                        .map(|k| ((u >> (16 * k)) & 0xFFFF) as f32)
                        .sum::<f32>()
                        / 65536.0
                        - 2.0;
                    match kind {
                        0 => 1000.0 + 3.0 * g,
                        1 => (2.0 * g).round() * 0.5,
                        2 if i % 997 == 0 => 65535.0,
                        2 => 5.0 + g,
                        _ if i % 5 == 0 => f32::NAN,
                        _ => -1.0e-3 * g,
                    }
                })
                .collect();
            let s = stats_of_values(v.clone());
            let (median, p05, p95, mad) = reference(v);
            assert_eq!(s.median, median, "n {n} kind {kind}");
            assert_eq!(s.p05, p05, "n {n} kind {kind}");
            assert_eq!(s.p95, p95, "n {n} kind {kind}");
            assert_eq!(s.mad_std, MAD_TO_SIGMA * mad, "n {n} kind {kind}");
        }
    }

    /// Exact mean and population std of the finite values, in f64 by two passes.
    fn mean_std_ref(v: &[f32]) -> (f64, f64) {
        let w: Vec<f64> = v
            .iter()
            .filter(|x| x.is_finite())
            .map(|&x| f64::from(x))
            .collect();
        let m = w.iter().sum::<f64>() / w.len() as f64;
        let var = w.iter().map(|x| (x - m).powi(2)).sum::<f64>() / w.len() as f64;
        (m, var.sqrt())
    }

    #[test]
    fn counting_path_equals_sorting_on_quantised_data() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // Raw u16 (uniform and narrow Gaussian-ish), offset-subtracted integers (negative),
        // half-integers, lost/saturated mixtures, NaNs; odd and even counts.
        for (n, kind) in [
            (1usize, 0u64),
            (2, 1),
            (1001, 0),
            (300_000, 0),
            (300_001, 1),
            (262_145, 2),
            (99_999, 3),
            (100_000, 4),
            // Several parallel work items: their histograms are merged.
            (2_500_001, 4),
        ] {
            let v: Vec<f32> = (0..n)
                .map(|i| {
                    let u = next();
                    let g = (0..4).map(|k| (u >> (16 * k)) & 0xFF).sum::<u64>() as f32 / 16.0;
                    match kind {
                        0 => (u & 0xFFFF) as f32,
                        1 => (1000.0 + g).round(),
                        2 => (g - 32.0).round(),
                        3 if i % 101 == 0 => f32::NAN,
                        3 => ((g * 2.0).round() * 0.5) - 20.0,
                        _ if i % 7 == 0 => 65535.0,
                        _ if i % 11 == 0 => 0.0,
                        _ => (g + 2000.0).round(),
                    }
                })
                .collect();
            assert!(crate::hist::half_hist_values(&v).is_some(), "kind {kind}");
            let s = stats_of_values(v.clone());
            let (median, p05, p95, mad) = reference(v.clone());
            assert_eq!(s.median, median, "n {n} kind {kind}");
            assert_eq!(s.p05, p05, "n {n} kind {kind}");
            assert_eq!(s.p95, p95, "n {n} kind {kind}");
            assert_eq!(s.mad_std, MAD_TO_SIGMA * mad, "n {n} kind {kind}");
            let (m, sd) = mean_std_ref(&v);
            assert!(
                (s.mean - m).abs() <= 1e-9 * m.abs().max(1.0),
                "n {n} kind {kind}"
            );
            assert!(
                (s.std - sd).abs() <= 1e-9 * sd.max(1.0),
                "n {n} kind {kind}"
            );
            let mut sorted: Vec<f32> = v.iter().copied().filter(|x| x.is_finite()).collect();
            sorted.sort_unstable_by(f32::total_cmp);
            assert_eq!(s.n, sorted.len());
            assert_eq!(
                (s.min, s.max),
                (f64::from(sorted[0]), f64::from(sorted[sorted.len() - 1]))
            );
            let ps = [0.0, 0.1, 1.0, 25.0, 33.3, 50.0, 99.9, 100.0];
            let want: Vec<f64> = ps.iter().map(|&p| percentile_sorted(&sorted, p)).collect();
            assert_eq!(percentiles_of_values(&v, &ps), want, "n {n} kind {kind}");
            // The selection path on the same values gives the same order statistics.
            let sel = stats_of_values_select(v.clone());
            assert_eq!(
                (sel.median, sel.p05, sel.p95, sel.mad_std),
                (s.median, s.p05, s.p95, s.mad_std)
            );
        }
    }

    #[test]
    fn edge_cases_all_equal_empty_nan() {
        for v in [vec![7.0f32; 1000], vec![-3.5f32; 5], vec![1.25f32; 9]] {
            let s = stats_of_values(v.clone());
            let x = f64::from(v[0]);
            assert_eq!(
                (s.n, s.mean, s.median, s.std, s.mad_std),
                (v.len(), x, x, 0.0, 0.0)
            );
            assert_eq!((s.min, s.max, s.p05, s.p95), (x, x, x, x));
        }
        for v in [
            vec![],
            vec![f32::NAN; 4],
            vec![f32::INFINITY, f32::NEG_INFINITY],
        ] {
            let s = stats_of_values(v.clone());
            assert_eq!(s.n, 0);
            assert!(s.median.is_nan() && s.mean.is_nan() && s.p95.is_nan());
            assert!(percentiles_of_values(&v, &[50.0])[0].is_nan());
            assert!(median_of_values(&v).is_nan());
        }
        // NaNs in float (non-quantised) input are ignored by both paths.
        let v = vec![f32::NAN, 0.1, 0.3, f32::NAN, 0.2];
        assert_eq!(stats_of_values(v.clone()).n, 3);
        assert_eq!(median_of_values(&v), f64::from(0.2f32));
        let a = Array2::from_shape_vec((1, 5), v).unwrap();
        assert_eq!(
            percentiles(a.view(), None, &[50.0]),
            vec![f64::from(0.2f32)]
        );
    }

    #[test]
    fn section_stats_counting_equals_selection_path() {
        let g = crate::geometry::FrameGeometry::small();
        let mut f = Frame::zeros(g);
        for (i, x) in f.data.iter_mut().enumerate() {
            *x = match i % 1009 {
                0 => 0.0,
                1 => 65535.0,
                k => (1000 + (i * 31) % 97 + k % 5) as f32,
            };
        }
        for q in Quadrant::ALL {
            for sec in Section::SERIAL {
                let fast = section_stats(&f, q, sec, Trim::standard(sec), None);
                // An all-false mask forces the general path.
                let mask = Array2::from_elem(f.data.dim(), false);
                let slow = section_stats(&f, q, sec, Trim::standard(sec), Some(mask.view()));
                assert_eq!(
                    (fast.n_lost, fast.n_saturated),
                    (slow.n_lost, slow.n_saturated)
                );
                let (a, b) = (fast.stats, slow.stats);
                assert_eq!(
                    (a.n, a.median, a.p05, a.p95, a.mad_std, a.min, a.max),
                    (b.n, b.median, b.p05, b.p95, b.mad_std, b.min, b.max),
                    "{q} {sec:?}"
                );
                assert!((a.mean - b.mean).abs() < 1e-9 && (a.std - b.std).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn many_sections_equal_one_by_one() {
        let g = crate::geometry::FrameGeometry::small();
        let mut f = Frame::zeros(g);
        for (i, x) in f.data.iter_mut().enumerate() {
            *x = ((i * 7919) % 1013) as f32;
        }
        let items: Vec<(Quadrant, Section, Trim)> = Quadrant::ALL
            .into_iter()
            .flat_map(|q| {
                Section::SERIAL
                    .into_iter()
                    .map(move |s| (q, s, Trim::standard(s)))
            })
            .collect();
        let many = section_stats_many(&f, &items, None);
        for (&(q, s, t), m) in items.iter().zip(&many) {
            assert_eq!(*m, section_stats(&f, q, s, t, None), "{q} {s:?}");
        }
    }

    #[test]
    fn even_median_and_empty() {
        let mut v = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(median_in_place(&mut v), 2.5);
        assert!(stats_of_values(vec![]).mean.is_nan());
        assert_eq!(stats_of_values(vec![f32::NAN, 1.0]).n, 1);
    }

    #[test]
    fn mask_excludes_pixels_and_clipping_removes_outliers() {
        let mut a = Array2::<f32>::from_elem((10, 10), 5.0);
        a[[3, 3]] = 1000.0;
        let mut m = Array2::from_elem((10, 10), false);
        m[[3, 3]] = true;
        let s = stats(a.view(), Some(m.view()));
        assert_eq!((s.n, s.max), (99, 5.0));
        for (i, x) in a.iter_mut().enumerate() {
            *x += (i % 3) as f32;
        }
        let c = clipped_stats(a.view(), None, 3.0, 5);
        assert_eq!(c.n, 99);
    }

    #[test]
    fn trim_shrinks_and_never_panics() {
        let a = Array2::<f32>::zeros((10, 51));
        assert_eq!(
            Trim::standard(Section::Prescan).apply(a.view()).dim(),
            (10, 21)
        );
        assert_eq!(Trim::serial(40, 40).apply(a.view()).dim(), (10, 0));
    }
}
