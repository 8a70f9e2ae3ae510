//! Exact statistics of quantised pixel values by counting: one pass over a view builds a
//! histogram of `2 x value` (raw ADU and offset-subtracted ADU are integers or half-integers),
//! and every figure of [`Stats`] follows from the histogram exactly, as from a full sort.
//!
//! Values that are not multiples of 0.5 within +/-[`HALF_WINDOW_ADU`] make the pass give up
//! (`None`); callers then use the general selection path of [`crate::stats`].

use std::cell::RefCell;

use ndarray::{ArrayView2, s};
use rayon::prelude::*;

use crate::geometry::{LOST_ADU, SATURATED_ADU};
use crate::stats::{MAD_TO_SIGMA, Stats, percentile_ranks};

/// Largest |value| in ADU that the counting pass accepts.
pub const HALF_WINDOW_ADU: i32 = 1 << 17;
/// Histogram bins: one per half ADU over `[-HALF_WINDOW_ADU, HALF_WINDOW_ADU)`.
const BINS: usize = 4 * HALF_WINDOW_ADU as usize;
/// Interleaved sub-histograms (runs of equal values do not serialise on one counter).
const WAYS: usize = 4;
/// Pixels per parallel work item: large enough that extracting and clearing the touched
/// counters (up to 2 MB when a section holds both 0 and 65535 ADU) stays small next to the
/// counting, small enough for u32 counters and for both cores to share a section.
const ITEM_PX: usize = 1 << 20;

thread_local! {
    /// Per-thread scratch counters, kept zero outside [`count_rows`].
    static SCRATCH: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// Histogram of `y = 2 x` over the contiguous bin range `[y0, y0 + counts.len())`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HalfHist {
    /// `y` (twice the value) of `counts[0]`.
    y0: i64,
    /// Pixels per half-ADU bin.
    counts: Vec<u64>,
}

impl HalfHist {
    const EMPTY: HalfHist = HalfHist {
        y0: 0,
        counts: Vec::new(),
    };

    /// Finite pixels counted.
    pub fn n(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Pixels equal to `value` (exact).
    pub fn count_of(&self, value: f32) -> u64 {
        let y = f64::from(value) * 2.0;
        if y.fract() != 0.0 {
            return 0;
        }
        let k = y as i64 - self.y0;
        usize::try_from(k)
            .ok()
            .and_then(|k| self.counts.get(k))
            .copied()
            .unwrap_or(0)
    }

    fn merge(a: HalfHist, b: HalfHist) -> HalfHist {
        if a.counts.is_empty() {
            return b;
        }
        if b.counts.is_empty() {
            return a;
        }
        let y0 = a.y0.min(b.y0);
        let y1 = (a.y0 + a.counts.len() as i64).max(b.y0 + b.counts.len() as i64);
        let mut counts = vec![0u64; (y1 - y0) as usize];
        for h in [&a, &b] {
            let off = (h.y0 - y0) as usize;
            counts[off..off + h.counts.len()]
                .iter_mut()
                .zip(&h.counts)
                .for_each(|(c, x)| *c += x);
        }
        HalfHist { y0, counts }
    }

    /// Values at ascending 0-based `ranks` (each `< n`), in ADU.
    fn values_at(&self, ranks: &[u64]) -> Vec<f64> {
        let mut out = Vec::with_capacity(ranks.len());
        let (mut k, mut below) = (0usize, 0u64);
        for &r in ranks {
            while k < self.counts.len() && below + self.counts[k] <= r {
                below += self.counts[k];
                k += 1;
            }
            out.push((self.y0 + k as i64) as f64 * 0.5);
        }
        out
    }

    /// Linear-interpolated percentiles (numpy's default) of the counted values; NaN if empty.
    pub fn percentiles(&self, ps: &[f64]) -> Vec<f64> {
        let n = self.n();
        if n == 0 {
            return vec![f64::NAN; ps.len()];
        }
        let pr: Vec<(usize, usize, f64)> = ps
            .iter()
            .map(|&p| percentile_ranks(n as usize, p))
            .collect();
        let mut ranks: Vec<u64> = pr
            .iter()
            .flat_map(|&(i, j, _)| [i as u64, j as u64])
            .collect();
        ranks.sort_unstable();
        ranks.dedup();
        let vals = self.values_at(&ranks);
        let at = |r: usize| {
            ranks
                .binary_search(&(r as u64))
                .map_or(f64::NAN, |k| vals[k])
        };
        pr.iter()
            .map(|&(i, j, frac)| {
                let (a, b) = (at(i), at(j));
                if frac == 0.0 { a } else { a + frac * (b - a) }
            })
            .collect()
    }

    /// Median absolute deviation from `median` (in ADU, a multiple of 0.25 here).
    fn mad(&self, median: f64) -> f64 {
        // Deviations in quarter ADU: |2 y - 4 m| is an integer.
        let m4 = (median * 4.0) as i64;
        // The median lies inside the counted range, so deviations stay below 2 x bins.
        let mut dev = vec![0u64; 2 * self.counts.len() + 4];
        for (k, &c) in self.counts.iter().enumerate() {
            let d = (2 * (self.y0 + k as i64) - m4).abs();
            if let Some(slot) = usize::try_from(d).ok().and_then(|d| dev.get_mut(d)) {
                *slot += c;
            }
        }
        let n: u64 = dev.iter().sum();
        if n == 0 {
            return f64::NAN;
        }
        let ranks: Vec<u64> = if n % 2 == 1 {
            vec![n / 2]
        } else {
            vec![n / 2 - 1, n / 2]
        };
        let (mut k, mut below) = (0usize, 0u64);
        let v: Vec<f64> = ranks
            .iter()
            .map(|&r| {
                while k < dev.len() && below + dev[k] <= r {
                    below += dev[k];
                    k += 1;
                }
                k as f64 * 0.25
            })
            .collect();
        if v.len() == 1 {
            v[0]
        } else {
            0.5 * (v[1] + v[0])
        }
    }

    /// Every figure of [`Stats`], exact (mean and variance from integer sums).
    pub fn stats(&self) -> Stats {
        let n = self.n();
        if n == 0 {
            return Stats::EMPTY;
        }
        let (mean, std) = self.mean_std();
        let q = self.percentiles(&[50.0, 5.0, 95.0]);
        let first = self.counts.iter().position(|&c| c > 0).unwrap_or(0);
        let last = self.counts.iter().rposition(|&c| c > 0).unwrap_or(0);
        Stats {
            n: n as usize,
            mean,
            median: q[0],
            std,
            mad_std: MAD_TO_SIGMA * self.mad(q[0]),
            min: (self.y0 + first as i64) as f64 * 0.5,
            max: (self.y0 + last as i64) as f64 * 0.5,
            p05: q[1],
            p95: q[2],
        }
    }

    /// Mean and population standard deviation (ddof 0) from exact integer sums; NaN when
    /// empty.
    pub fn mean_std(&self) -> (f64, f64) {
        let n = self.n();
        if n == 0 {
            return (f64::NAN, f64::NAN);
        }
        let (mut s1, mut s2) = (0i128, 0i128);
        for (k, &c) in self.counts.iter().enumerate() {
            let y = i128::from(self.y0 + k as i64);
            s1 += i128::from(c) * y;
            s2 += i128::from(c) * y * y;
        }
        let nn = i128::from(n);
        // Variance of y: (n s2 - s1^2) / n^2, exact numerator.
        let var_y = (nn * s2 - s1 * s1) as f64 / (nn as f64 * nn as f64);
        (s1 as f64 / nn as f64 * 0.5, 0.5 * var_y.max(0.0).sqrt())
    }

    /// Whether every counted value is an integer (raw ADU data).
    pub fn is_integer(&self) -> bool {
        self.counts
            .iter()
            .enumerate()
            .all(|(k, &c)| c == 0 || (self.y0 + k as i64).rem_euclid(2) == 0)
    }

    /// Median interpolated within the unit step when every value is an integer (grouped data,
    /// exactly [`crate::clip::grouped_median`]), the plain median otherwise; NaN when empty.
    pub fn grouped_median(&self) -> f64 {
        let n = self.n();
        if n == 0 {
            return f64::NAN;
        }
        if !self.is_integer() {
            return self.percentiles(&[50.0])[0];
        }
        let v_mid = self.values_at(&[n / 2])[0];
        let k_mid = (2.0 * v_mid) as i64 - self.y0;
        let below: u64 = self.counts[..k_mid as usize].iter().sum();
        let equal = self.counts[k_mid as usize].max(1);
        v_mid - 0.5 + (n as f64 / 2.0 - below as f64) / equal as f64
    }

    /// Mean, population standard deviation and count after iterative clipping at `sigma`
    /// around the mean, at most `max_iter` passes: the same iteration as
    /// [`crate::quadcheck::clipped_mean_std`] on the counted values, one pass over the bins.
    pub fn clipped_mean_std(&self, sigma: f64, max_iter: usize) -> (f64, f64, usize) {
        crate::clip::clip_iterate(sigma, max_iter, |lo, hi, shift| {
            let (mut n, mut s, mut s2) = (0u64, 0.0f64, 0.0f64);
            for (k, &c) in self.counts.iter().enumerate() {
                let x = (self.y0 + k as i64) as f64 * 0.5;
                if c > 0 && x >= lo && x <= hi {
                    let d = x - shift;
                    n += c;
                    s += c as f64 * d;
                    s2 += c as f64 * d * d;
                }
            }
            (n, s, s2)
        })
    }

    /// `(lost, saturated)`: pixels at 0 and at 65535 ADU.
    pub fn lost_saturated(&self) -> (usize, usize) {
        (
            self.count_of(LOST_ADU) as usize,
            self.count_of(SATURATED_ADU) as usize,
        )
    }
}

/// Counts a contiguous run of values into the interleaved scratch `h`; false when a finite
/// value is not a multiple of 0.5 inside the window. `range` tracks the bins touched.
#[inline]
fn count_slice(xs: &[f32], h: &mut [u32], range: &mut (usize, usize)) -> bool {
    let mut ok = true;
    let (mut lo, mut hi) = *range;
    let mut one = |x: f32, way: usize| {
        let y = x * 2.0;
        let i = y as i32;
        let k = i.wrapping_add(2 * HALF_WINDOW_ADU) as u32 as usize;
        if i as f32 == y && k < BINS {
            h[k * WAYS + way] += 1;
            lo = lo.min(k);
            hi = hi.max(k);
        } else if x.is_finite() {
            ok = false;
        }
    };
    let quads = xs.chunks_exact(WAYS);
    let rest = quads.remainder();
    for q in quads {
        one(q[0], 0);
        one(q[1], 1);
        one(q[2], 2);
        one(q[3], 3);
    }
    for &x in rest {
        one(x, 0);
    }
    *range = (lo, hi);
    ok
}

/// Histogram of the rows of `v` (any strides), sequentially, with the thread's scratch.
fn count_rows(v: ArrayView2<'_, f32>) -> Option<HalfHist> {
    SCRATCH.with(|cell| {
        let mut h = cell.borrow_mut();
        if h.len() != BINS * WAYS {
            *h = vec![0u32; BINS * WAYS];
        }
        let mut range = (usize::MAX, 0usize);
        let mut ok = true;
        for row in v.rows() {
            ok &= if let Some(sl) = row.as_slice() {
                count_slice(sl, &mut h, &mut range)
            } else if let Some(sl) = row.slice(s![..;-1]).as_slice() {
                count_slice(sl, &mut h, &mut range)
            } else {
                let tmp: Vec<f32> = row.iter().copied().collect();
                count_slice(&tmp, &mut h, &mut range)
            };
        }
        let (lo, hi) = range;
        if lo > hi {
            return ok.then_some(HalfHist::EMPTY);
        }
        let touched = &mut h[lo * WAYS..(hi + 1) * WAYS];
        let counts: Vec<u64> = touched
            .chunks_exact(WAYS)
            .map(|w| w.iter().map(|&c| u64::from(c)).sum())
            .collect();
        touched.fill(0);
        ok.then(|| HalfHist {
            y0: lo as i64 - 2 * i64::from(HALF_WINDOW_ADU),
            counts,
        })
    })
}

/// Histogram of the finite values of a view in one parallel pass over row bands; `None`
/// when a finite value is not a multiple of 0.5 ADU or lies outside +/-[`HALF_WINDOW_ADU`].
pub fn half_hist(v: ArrayView2<'_, f32>) -> Option<HalfHist> {
    let (rows, cols) = v.dim();
    if rows == 0 || cols == 0 {
        return Some(HalfHist::EMPTY);
    }
    let band = (ITEM_PX / cols).max(1);
    let nb = rows.div_ceil(band);
    (0..nb)
        .into_par_iter()
        .map(|b| count_rows(v.slice(s![b * band..((b + 1) * band).min(rows), ..])))
        .try_reduce(|| HalfHist::EMPTY, |a, b| Some(HalfHist::merge(a, b)))
}

/// [`half_hist`] of a slice of values, in parallel chunks.
pub fn half_hist_values(v: &[f32]) -> Option<HalfHist> {
    v.par_chunks(ITEM_PX)
        .map(|c| count_rows(ArrayView2::from_shape((1, c.len()), c).ok()?))
        .try_reduce(|| HalfHist::EMPTY, |a, b| Some(HalfHist::merge(a, b)))
}

#[cfg(test)]
mod tests {

    /// Counting figures equal the value-by-value implementations (integer data with outliers,
    /// half-integer data, small and even/odd counts).
    #[test]
    fn grouped_median_and_clipping_equal_the_value_paths() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for (n, half) in [
            (1usize, false),
            (2, false),
            (7, true),
            (1000, false),
            (4097, true),
        ] {
            let mut v: Vec<f32> = (0..n)
                .map(|_| {
                    let x = (rng.random::<f64>() * 20.0 + 1000.0).round() as f32;
                    if half && rng.random::<bool>() {
                        x + 0.5
                    } else {
                        x
                    }
                })
                .collect();
            if n > 10 {
                v[3] = 60000.0;
                v[5] = f32::NAN;
            }
            let h = half_hist_values(&v).unwrap();
            let want = crate::clip::grouped_median(&v);
            assert!(
                (h.grouped_median() - want).abs() < 1e-9,
                "n={n}: {} vs {want}",
                h.grouped_median()
            );
            let (m1, s1, k1) = h.clipped_mean_std(4.0, 5);
            let (m2, s2, k2) = crate::quadcheck::clipped_mean_std(&v, 4.0, 5);
            assert_eq!(k1, k2, "n={n}");
            assert!((m1 - m2).abs() < 1e-9 && (s1 - s2).abs() < 1e-9, "n={n}");
            let (m3, s3, _) = crate::quadcheck::clipped_mean_std(&v, f64::INFINITY, 0);
            let (m4, s4) = h.mean_std();
            assert!((m3 - m4).abs() < 1e-9 && (s3 - s4).abs() < 1e-9, "n={n}");
            let integer = v.iter().all(|x| !x.is_finite() || x.fract() == 0.0);
            assert_eq!(h.is_integer(), integer, "n={n}");
        }
    }

    use super::*;
    use ndarray::Array2;

    #[test]
    fn rejects_unquantised_and_out_of_window_values() {
        let a = Array2::from_shape_vec((1, 3), vec![1.0f32, 2.25, 3.0]).unwrap();
        assert!(half_hist(a.view()).is_none());
        let b = Array2::from_shape_vec((1, 2), vec![1.0f32, 3.0e5]).unwrap();
        assert!(half_hist(b.view()).is_none());
        let c =
            Array2::from_shape_vec((1, 4), vec![1.0f32, f32::NAN, f32::INFINITY, -2.5]).unwrap();
        let h = half_hist(c.view()).unwrap();
        assert_eq!(h.n(), 2);
        assert_eq!(h.stats().min, -2.5);
    }

    #[test]
    fn hand_computed_figures() {
        let a = Array2::from_shape_vec((1, 5), vec![1.0f32, 2.0, 3.0, 4.0, 100.0]).unwrap();
        let s = half_hist(a.view()).unwrap().stats();
        assert_eq!((s.n, s.median, s.min, s.max), (5, 3.0, 1.0, 100.0));
        assert_eq!(s.mean, 22.0);
        assert_eq!(s.mad_std, MAD_TO_SIGMA);
        assert!((s.p95 - (4.0 + 0.8 * 96.0)).abs() < 1e-12);
        let lost = Array2::from_shape_vec((2, 2), vec![0.0f32, 65535.0, 65535.0, 7.0]).unwrap();
        assert_eq!(half_hist(lost.view()).unwrap().lost_saturated(), (1, 2));
    }

    #[test]
    fn reversed_rows_and_empty_views() {
        let a = Array2::from_shape_fn((3, 4), |(r, c)| (r * 4 + c) as f32);
        let f = a.slice(s![..;-1, ..;-1]);
        assert_eq!(
            half_hist(f).unwrap().stats(),
            half_hist(a.view()).unwrap().stats()
        );
        let e = Array2::<f32>::zeros((0, 4));
        assert_eq!(half_hist(e.view()).unwrap().stats().n, 0);
        assert!(half_hist(e.view()).unwrap().stats().median.is_nan());
    }
}
