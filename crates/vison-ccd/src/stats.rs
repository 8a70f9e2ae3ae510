//! Robust statistics of pixel sets: sections, tiles, masked regions.

use ndarray::ArrayView2;
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

/// Value at rank `k` of `v` (0-based), reordering `v`.
fn select(v: &mut [f32], k: usize) -> f64 {
    f64::from(*v.select_nth_unstable_by(k, f32::total_cmp).1)
}

/// Percentile `p` (linear interpolation, numpy's default) by selection, reordering `v`.
fn percentile_select(v: &mut [f32], p: f64) -> f64 {
    let n = v.len();
    let pos = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f64;
    let i = pos.floor() as usize;
    let frac = pos - i as f64;
    let a = select(v, i);
    if frac == 0.0 || i + 1 >= n {
        return a;
    }
    // After selecting rank i, rank i + 1 is the minimum of the upper part.
    let b = v[i + 1..]
        .iter()
        .copied()
        .fold(f32::INFINITY, f32::min);
    a + frac * (f64::from(b) - a)
}

/// Statistics of a vector of values (consumed; reordered). Selection, not sorting: O(n).
pub fn stats_of_values(mut v: Vec<f32>) -> Stats {
    v.retain(|x| x.is_finite());
    let n = v.len();
    if n == 0 {
        return Stats::EMPTY;
    }
    let (mut sum, mut sum2) = (0.0f64, 0.0f64);
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    let first = f64::from(v[0]);
    for &x in &v {
        let d = f64::from(x) - first;
        sum += d;
        sum2 += d * d;
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let mean_d = sum / n as f64;
    let var = (sum2 / n as f64 - mean_d * mean_d).max(0.0);
    let median = percentile_select(&mut v, 50.0);
    let p05 = percentile_select(&mut v, 5.0);
    let p95 = percentile_select(&mut v, 95.0);
    let mut dev: Vec<f32> = v.iter().map(|&x| (f64::from(x) - median).abs() as f32).collect();
    let mad = median_in_place(&mut dev);
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

/// Values of a view that are finite and not masked (`mask` true = bad).
pub fn valid_values(v: ArrayView2<'_, f32>, mask: Option<ArrayView2<'_, bool>>) -> Vec<f32> {
    match mask {
        Some(m) if m.dim() == v.dim() => v
            .iter()
            .zip(m.iter())
            .filter(|(x, bad)| !**bad && x.is_finite())
            .map(|(x, _)| *x)
            .collect(),
        _ => v.iter().copied().filter(|x| x.is_finite()).collect(),
    }
}

/// Statistics of a view, mask-aware (`mask` true = bad; a mask of another shape is ignored).
pub fn stats(v: ArrayView2<'_, f32>, mask: Option<ArrayView2<'_, bool>>) -> Stats {
    stats_of_values(valid_values(v, mask))
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
    let (n_lost, n_saturated) = count_lost_saturated(view);
    SectionStats {
        stats: stats(view, mview),
        n_lost,
        n_saturated,
    }
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
