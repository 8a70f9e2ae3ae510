//! Per-quadrant check statistics of a frame (reference 4.1 `check_data`): offsets of the
//! three serial sections, noise, read noise, saturated and lost pixels (arrays in, numbers
//! out; no I/O).

use ndarray::{ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::frame::Frame;
use crate::geometry::{FrameGeometry, IMAGE_ROWS_PX, LOST_ADU, Quadrant, SATURATED_ADU, Section};
use crate::offset::ScanRegion;
use crate::stats::Trim;

/// Estimator of a section's level (offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetEstimator {
    /// Median, interpolated within the ADU quantisation step (a plain median of integer ADU
    /// values is quantised to 0.5 ADU).
    Median,
    /// Mean after 4-sigma clipping.
    ClippedMean,
}

/// How the offset of a quadrant is measured: estimator, serial scan region and the columns
/// dropped at its readout end and far end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelMethod {
    /// Estimator.
    pub estimator: OffsetEstimator,
    /// Scan region.
    pub scan: ScanRegion,
    /// Columns dropped at the readout end and the far end of the scan region.
    pub trim_cols: (usize, usize),
}

impl Default for LevelMethod {
    fn default() -> Self {
        LevelMethod {
            estimator: OffsetEstimator::Median,
            scan: ScanRegion::Prescan,
            trim_cols: (25, 5),
        }
    }
}

/// Median of values interpolated within the unit step for integer data (see
/// [`crate::clip::grouped_median`], the one implementation); non-finite values are dropped.
pub fn interp_median(vals: &mut Vec<f32>) -> f64 {
    vals.retain(|x| x.is_finite());
    crate::clip::grouped_median(vals)
}

/// Mean, standard deviation (ddof 0) and count after iterative clipping at `sigma` around
/// the mean (at most `max_iter` passes). Non-finite values are ignored.
pub fn clipped_mean_std(vals: &[f32], sigma: f64, max_iter: usize) -> (f64, f64, usize) {
    crate::clip::clip_iterate(sigma, max_iter, |lo, hi, shift| {
        let (mut n, mut s, mut s2) = (0u64, 0.0f64, 0.0f64);
        for &x in vals {
            let x = f64::from(x);
            if x.is_finite() && x >= lo && x <= hi {
                let d = x - shift;
                n += 1;
                s += d;
                s2 += d * d;
            }
        }
        (n, s, s2)
    })
}

/// Grouped median ([`crate::clip::grouped_median`]) of the finite values of each row, in one
/// reused buffer; NaN for a row without finite values.
fn row_medians(v: ArrayView2<'_, f32>) -> Vec<f64> {
    let mut buf: Vec<f32> = Vec::with_capacity(v.ncols());
    v.axis_iter(Axis(0))
        .map(|row| {
            buf.clear();
            buf.extend(row.iter().copied().filter(|x| x.is_finite()));
            crate::clip::grouped_median_of_finite(&mut buf)
        })
        .collect()
}

/// Read noise of a region from the scatter left after removing an additive row + column
/// structure (`x[r, c] = a[r] + b[c] + noise`): the residual of each pixel from its row and
/// column means, clipped at `clip_sigma`, corrected for the means' degrees of freedom and,
/// for integer (raw ADU) data when `quantisation` is true, for the rounding variance 1/12.
/// Pixels further than 8 sigma from their row median (cosmic rays, hot pixels) are excluded
/// from the means. NaN when the region has fewer than 2 x 2 valid pixels.
pub fn ron_two_way(v: ArrayView2<'_, f32>, clip_sigma: f64, quantisation: bool) -> f64 {
    let (nr, nc) = v.dim();
    if nr < 2 || nc < 2 {
        return f64::NAN;
    }
    let hist = crate::hist::half_hist(v);
    let integer = match &hist {
        Some(h) => h.is_integer(),
        None => v.iter().all(|x| !x.is_finite() || x.fract() == 0.0),
    };
    // Robust scale of the whole region, then mask far outliers from each row's median.
    let (_, s0, n0) = match (&hist, v.as_slice()) {
        (Some(h), _) => h.clipped_mean_std(4.0, 5),
        (None, Some(all)) => clipped_mean_std(all, 4.0, 5),
        (None, None) => clipped_mean_std(&v.iter().copied().collect::<Vec<_>>(), 4.0, 5),
    };
    if n0 < 4 || !s0.is_finite() {
        return f64::NAN;
    }
    let cut = 8.0 * s0.max(0.5);
    let row_median = row_medians(v);
    let kept = |r: usize, x: f32| x.is_finite() && (f64::from(x) - row_median[r]).abs() <= cut;
    // Row and column means of the kept pixels in one row-major pass.
    let mut row_mean = vec![f64::NAN; nr];
    let mut col_sum = vec![0.0f64; nc];
    let mut col_n = vec![0usize; nc];
    for (r, row) in v.axis_iter(Axis(0)).enumerate() {
        let (mut s, mut n) = (0.0f64, 0usize);
        for (c, &x) in row.iter().enumerate() {
            if kept(r, x) {
                let x = f64::from(x);
                s += x;
                n += 1;
                col_sum[c] += x;
                col_n[c] += 1;
            }
        }
        if n > 0 {
            row_mean[r] = s / n as f64;
        }
    }
    let col_mean: Vec<f64> = col_sum
        .iter()
        .zip(&col_n)
        .map(|(s, &n)| if n == 0 { f64::NAN } else { s / n as f64 })
        .collect();
    let finite_rows: Vec<f64> = row_mean.iter().copied().filter(|x| x.is_finite()).collect();
    if finite_rows.is_empty() {
        return f64::NAN;
    }
    let grand = finite_rows.iter().sum::<f64>() / finite_rows.len() as f64;
    let mut resid = Vec::with_capacity(nr * nc);
    for (r, row) in v.axis_iter(Axis(0)).enumerate() {
        let base = grand - row_mean[r];
        for (c, &x) in row.iter().enumerate() {
            if kept(r, x) {
                resid.push((f64::from(x) + base - col_mean[c]) as f32);
            }
        }
    }
    let (_, s, _) = clipped_mean_std(&resid, clip_sigma, 10);
    let dof = (1.0 - 1.0 / nr as f64) * (1.0 - 1.0 / nc as f64);
    let mut var = s * s / dof;
    if quantisation && integer {
        var -= 1.0 / 12.0;
    }
    var.max(0.0).sqrt()
}

/// Canonical image rows `[row0, row1)` read out for the script's `vstart`/`vend` (full-size
/// row numbers; values at or beyond the full image height mean "to the last image row").
pub fn read_rows(g: &FrameGeometry, vstart: i64, vend: i64) -> (usize, usize) {
    let map = |v: i64| {
        let v = v.max(0) as usize;
        if v >= IMAGE_ROWS_PX {
            g.image_rows_px
        } else {
            v.min(g.image_rows_px)
        }
    };
    let (a, b) = (map(vstart), map(vend));
    (a.min(b), b)
}

/// Check statistics of one quadrant of one frame (reference 4.1, `get_checkstats_T` and the
/// offsets/RON check stats).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuadCheck {
    /// Prescan offset (median of the trimmed prescan), ADU.
    pub offset_pre_adu: f64,
    /// Image-area median, ADU.
    pub offset_img_adu: f64,
    /// Overscan median, ADU.
    pub offset_ove_adu: f64,
    /// Standard deviation of the trimmed prescan, ADU.
    pub std_pre_adu: f64,
    /// Standard deviation of the trimmed image area, ADU.
    pub std_img_adu: f64,
    /// Standard deviation of the trimmed overscan, ADU.
    pub std_ove_adu: f64,
    /// Read noise of the trimmed prescan (row/column structure removed), ADU.
    pub ron_pre_adu: f64,
    /// Saturated (65535) pixels in the image area of the read-out rows.
    pub n_saturated: usize,
    /// Lost (0) pixels in the image area of the read-out rows.
    pub n_lost: usize,
    /// Saturated fraction of the image area of the read-out rows.
    pub saturated_frac: f64,
}

fn region<'a>(
    frame: &'a Frame,
    q: Quadrant,
    s: Section,
    rows: (usize, usize),
    trim: Trim,
) -> ArrayView2<'a, f32> {
    let v = frame.section(q, s);
    let (r0, r1) = (rows.0.min(v.nrows()), rows.1.min(v.nrows()));
    trim.apply(v.slice_move(ndarray::s![r0..r1.max(r0), ..]))
}

fn median_std(v: ArrayView2<'_, f32>, est: OffsetEstimator) -> (f64, f64) {
    // Quantised data (raw ADU): exact figures from one counting pass.
    if let Some(h) = crate::hist::half_hist(v) {
        let (_, std) = h.mean_std();
        let level = match est {
            OffsetEstimator::Median => h.grouped_median(),
            OffsetEstimator::ClippedMean => h.clipped_mean_std(4.0, 5).0,
        };
        return (level, std);
    }
    let mut vals: Vec<f32> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let (_, std, _) = clipped_mean_std(&vals, f64::INFINITY, 0);
    let level = match est {
        OffsetEstimator::Median => interp_median(&mut vals),
        OffsetEstimator::ClippedMean => clipped_mean_std(&vals, 4.0, 5).0,
    };
    (level, std)
}

/// Check statistics of quadrant `q`, over canonical image rows `rows`, with the standard
/// trims (prescan [25, 5] or the configured offset trim, image and overscan [5, 5]).
pub fn check_quadrant(
    frame: &Frame,
    q: Quadrant,
    rows: (usize, usize),
    method: &LevelMethod,
) -> QuadCheck {
    let pre_trim = Trim::serial(method.trim_cols.0, method.trim_cols.1);
    let pre = region(frame, q, Section::Prescan, rows, pre_trim);
    let img = region(
        frame,
        q,
        Section::Image,
        rows,
        Trim::standard(Section::Image),
    );
    let ove = region(
        frame,
        q,
        Section::Overscan,
        rows,
        Trim::standard(Section::Overscan),
    );
    let (offset_pre_adu, std_pre_adu) = median_std(pre, method.estimator);
    let (offset_img_adu, std_img_adu) = median_std(img, method.estimator);
    let (offset_ove_adu, std_ove_adu) = median_std(ove, method.estimator);
    let ron_pre_adu = ron_two_way(pre, 5.0, true);
    let full_img = region(frame, q, Section::Image, rows, Trim::NONE);
    let (n_lost, n_saturated) = full_img.iter().fold((0usize, 0usize), |(l, s), &x| {
        (
            l + usize::from(x == LOST_ADU),
            s + usize::from(x == SATURATED_ADU),
        )
    });
    let n_px = full_img.len().max(1);
    QuadCheck {
        offset_pre_adu,
        offset_img_adu,
        offset_ove_adu,
        std_pre_adu,
        std_img_adu,
        std_ove_adu,
        ron_pre_adu,
        n_saturated,
        n_lost,
        saturated_frac: n_saturated as f64 / n_px as f64,
    }
}

/// Offset of quadrant `q` from the method's scan region and estimator, ADU.
pub fn scan_offset(frame: &Frame, q: Quadrant, rows: (usize, usize), method: &LevelMethod) -> f64 {
    let s = match method.scan {
        ScanRegion::Prescan => Section::Prescan,
        ScanRegion::Overscan => Section::Overscan,
    };
    let v = region(
        frame,
        q,
        s,
        rows,
        Trim::serial(method.trim_cols.0, method.trim_cols.1),
    );
    median_std(v, method.estimator).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Normal};

    #[test]
    fn interpolated_median_is_not_quantised() {
        // Symmetric integers around 10: plain median 10, interpolated 10.
        let mut v = vec![9.0, 10.0, 10.0, 11.0];
        assert!((interp_median(&mut v) - 10.0).abs() < 1e-12);
        // Hand value: n=5, values 1,2,2,2,3 -> v=2, below=1, equal=3 -> 2-0.5+(2.5-1)/3 = 2.0
        let mut v = vec![3.0, 2.0, 1.0, 2.0, 2.0];
        assert!((interp_median(&mut v) - 2.0).abs() < 1e-12);
        // Rounded Gaussian around 100.3 gives about 100.3, not 100.
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let d = Normal::<f64>::new(100.3, 1.3).unwrap();
        let mut v: Vec<f32> = (0..200_000)
            .map(|_| d.sample(&mut rng).round() as f32)
            .collect();
        let m = interp_median(&mut v);
        assert!((m - 100.3).abs() < 0.02, "{m}");
        // Non-integer data: ordinary median.
        let mut v = vec![1.5, 0.5, 2.5];
        assert_eq!(interp_median(&mut v), 1.5);
    }

    #[test]
    fn clipped_mean_ignores_outliers() {
        let mut v: Vec<f32> = (0..1000).map(|i| (i % 10) as f32).collect();
        v.push(1e6);
        let (m, s, n) = clipped_mean_std(&v, 4.0, 5);
        assert_eq!(n, 1000);
        assert!((m - 4.5).abs() < 1e-9);
        assert!((s - 8.25f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn two_way_ron_recovers_noise_under_structure_and_rounding() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let sigma = 1.1;
        let d = Normal::<f64>::new(0.0, sigma).unwrap();
        let (nr, nc) = (300, 256);
        let a = ndarray::Array2::from_shape_fn((nr, nc), |(r, c)| {
            let structure = 2500.0 + 0.7 * ((r as f64) * 0.05).cos() + 0.002 * c as f64;
            (structure + d.sample(&mut rng)).round() as f32
        });
        let mut a = a;
        a[[10, 10]] += 3000.0; // a cosmic ray
        let ron = ron_two_way(a.view(), 5.0, true);
        assert!((ron / sigma - 1.0).abs() < 0.02, "{ron}");
        let _ = rng.random::<u8>();
    }

    #[test]
    fn read_rows_maps_full_size_window() {
        let g = FrameGeometry::small();
        assert_eq!(read_rows(&g, 0, 2086), (0, 256));
        assert_eq!(read_rows(&g, 10, 100), (10, 100));
        assert_eq!(read_rows(&FrameGeometry::FULL, 0, 2086), (0, 2066));
    }

    #[test]
    fn check_quadrant_counts_saturation_and_offsets() {
        let g = FrameGeometry::small();
        let mut f = Frame::zeros(g);
        f.data.fill(2000.0);
        for q in Quadrant::ALL {
            let mut v = f.quad_canonical_mut(q);
            let b = g.section_box_qcan(Section::Image);
            v.slice_mut(ndarray::s![b.row0..b.row1, b.col0..b.col1])
                .fill(2010.0);
        }
        {
            let b = g.section_box_qcan(Section::Image);
            let mut v = f.quad_canonical_mut(Quadrant::G);
            v.slice_mut(ndarray::s![b.row0..b.row1, b.col0..b.col1])
                .fill(SATURATED_ADU);
        }
        let prep = LevelMethod::default();
        let c = check_quadrant(&f, Quadrant::E, (0, 256), &prep);
        assert!((c.offset_pre_adu - 2000.0).abs() < 1e-9);
        assert!((c.offset_img_adu - 2010.0).abs() < 1e-9);
        assert_eq!(c.n_saturated, 0);
        let c = check_quadrant(&f, Quadrant::G, (0, 256), &prep);
        assert_eq!(c.n_saturated, 256 * 256);
        assert_eq!(c.saturated_frac, 1.0);
    }
}
