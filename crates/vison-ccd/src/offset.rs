//! Offset (bias level) subtraction from the serial prescan or overscan (reference 1.6).

use ndarray::{Axis, s};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::frame::Frame;
use crate::geometry::{Quadrant, Section};
use crate::stats::{Trim, median_in_place};

/// How the offset is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetMethod {
    /// One median per row over the scan columns, subtracted from that row.
    Row,
    /// One median over the scan region, subtracted from the quadrant.
    Median,
    /// One mean over the scan region, subtracted from the quadrant.
    Mean,
    /// One grouped-data median ([`crate::clip::grouped_median`]: interpolated within the ADU
    /// step for integer data) over the scan region: the pipeline's default estimator.
    GroupedMedian,
    /// One 4-sigma clipped mean (5 passes around the mean) over the scan region.
    ClippedMean,
}

/// Which serial region gives the offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanRegion {
    /// Serial prescan.
    Prescan,
    /// Serial overscan.
    Overscan,
}

/// Offset-subtraction settings. Default: the pipeline's (row method, prescan, trim [25, 5],
/// parallel overscan ignored for the single-value methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetConfig {
    /// Estimator.
    pub method: OffsetMethod,
    /// Scan region.
    pub scan: ScanRegion,
    /// Columns dropped at the readout end and the far end of the scan region.
    pub trim_cols: (usize, usize),
    /// Single-value methods use image rows only (true) or all rows (false).
    pub ignore_pover: bool,
}

impl Default for OffsetConfig {
    fn default() -> Self {
        OffsetConfig {
            method: OffsetMethod::Row,
            scan: ScanRegion::Prescan,
            trim_cols: (25, 5),
            ignore_pover: true,
        }
    }
}

/// Offsets subtracted from one quadrant, in ADU: one per canonical row (row method) or one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubtractedOffset {
    /// Quadrant.
    pub quadrant: Quadrant,
    /// Offsets in ADU.
    pub offsets_adu: Vec<f32>,
}

impl SubtractedOffset {
    /// Mean of the subtracted offsets.
    pub fn mean_adu(&self) -> f64 {
        if self.offsets_adu.is_empty() {
            return f64::NAN;
        }
        self.offsets_adu.iter().map(|&x| f64::from(x)).sum::<f64>() / self.offsets_adu.len() as f64
    }
}

/// One offset value of finite scan-region values by a single-value method (NaN when empty).
pub fn single_offset(vals: &[f32], method: OffsetMethod) -> f64 {
    match method {
        OffsetMethod::Median | OffsetMethod::Row => crate::stats::median_of_values(vals),
        OffsetMethod::Mean => crate::stats::stats_of_values(vals.to_vec()).mean,
        OffsetMethod::GroupedMedian => crate::clip::grouped_median(vals),
        OffsetMethod::ClippedMean => {
            let v: Vec<f64> = vals.iter().map(|&x| f64::from(x)).collect();
            crate::clip::SigmaClip {
                sigma: 4.0,
                max_iter: 5,
                centre: crate::clip::ClipCentre::Mean,
                robust_start: false,
            }
            .apply(&v)
            .mean
        }
    }
}

fn scan_cols(frame: &Frame, cfg: &OffsetConfig) -> (usize, usize) {
    let section = match cfg.scan {
        ScanRegion::Prescan => Section::Prescan,
        ScanRegion::Overscan => Section::Overscan,
    };
    let b = frame.geometry.section_box_qcan(section);
    let c0 = (b.col0 + cfg.trim_cols.0).min(b.col1);
    let c1 = b.col1.saturating_sub(cfg.trim_cols.1).max(c0);
    (c0, c1)
}

/// Estimates and subtracts the offset of quadrant `q` in place; returns what was subtracted.
pub fn subtract_offset(frame: &mut Frame, q: Quadrant, cfg: &OffsetConfig) -> SubtractedOffset {
    let (c0, c1) = scan_cols(frame, cfg);
    let n_rows_single = if cfg.ignore_pover {
        frame.geometry.image_rows_px
    } else {
        frame.geometry.quad_height_px()
    };
    let mut view = frame.quad_canonical_mut(q);
    let offsets_adu = match cfg.method {
        OffsetMethod::Row => {
            let offs: Vec<f32> = view
                .axis_iter_mut(Axis(0))
                .into_par_iter()
                .map(|mut row| {
                    let mut vals: Vec<f32> = row
                        .slice(s![c0..c1])
                        .iter()
                        .copied()
                        .filter(|x| x.is_finite())
                        .collect();
                    let m = median_in_place(&mut vals) as f32;
                    let m = if m.is_finite() { m } else { 0.0 };
                    row.mapv_inplace(|x| x - m);
                    m
                })
                .collect();
            offs
        }
        method => {
            let region = view.slice(s![0..n_rows_single, c0..c1]);
            let vals: Vec<f32> = region.iter().copied().filter(|x| x.is_finite()).collect();
            let m = single_offset(&vals, method) as f32;
            let m = if m.is_finite() { m } else { 0.0 };
            view.axis_iter_mut(Axis(0))
                .into_par_iter()
                .for_each(|mut row| row.mapv_inplace(|x| x - m));
            vec![m]
        }
    };
    SubtractedOffset {
        quadrant: q,
        offsets_adu,
    }
}

/// Subtracts the offset of all four quadrants; returns the offsets in E, F, G, H order.
pub fn subtract_offsets(frame: &mut Frame, cfg: &OffsetConfig) -> Vec<SubtractedOffset> {
    Quadrant::ALL
        .into_iter()
        .map(|q| subtract_offset(frame, q, cfg))
        .collect()
}

/// Trim of the scan region as a [`Trim`], for statistics on the same pixels.
pub fn scan_trim(cfg: &OffsetConfig) -> Trim {
    Trim::serial(cfg.trim_cols.0, cfg.trim_cols.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::FrameGeometry;

    fn frame_with_row_pedestal() -> Frame {
        let g = FrameGeometry::small();
        let mut f = Frame::zeros(g);
        for (k, q) in Quadrant::ALL.into_iter().enumerate() {
            let mut v = f.quad_canonical_mut(q);
            for ((r, _), x) in v.indexed_iter_mut() {
                *x = 2000.0 + 100.0 * k as f32 + 0.5 * (r % 7) as f32;
            }
        }
        f
    }

    #[test]
    fn row_method_removes_row_pedestal_exactly() {
        let mut f = frame_with_row_pedestal();
        let offs = subtract_offsets(&mut f, &OffsetConfig::default());
        assert!(f.data.iter().all(|&x| x.abs() < 1e-3));
        assert_eq!(offs[2].offsets_adu.len(), f.geometry.quad_height_px());
        assert_eq!(offs[1].offsets_adu[3], 2101.5);
    }

    #[test]
    fn single_value_methods_return_one_offset() {
        for method in [
            OffsetMethod::Median,
            OffsetMethod::Mean,
            OffsetMethod::ClippedMean,
        ] {
            let mut f = frame_with_row_pedestal();
            let cfg = OffsetConfig {
                method,
                scan: ScanRegion::Overscan,
                trim_cols: (5, 5),
                ignore_pover: true,
            };
            let o = subtract_offset(&mut f, Quadrant::H, &cfg);
            assert_eq!(o.offsets_adu.len(), 1);
            let expect = if method == OffsetMethod::Median {
                2301.5
            } else if method == OffsetMethod::ClippedMean {
                // No outlier: the clipped mean is the mean.
                let s: f64 = (0..256).map(|r| 0.5 * (r % 7) as f64).sum::<f64>() / 256.0;
                2300.0 + s
            } else if false {
                2301.5
            } else {
                // mean of 0.5 * (r % 7) over rows 0..256
                let s: f64 = (0..256).map(|r| 0.5 * (r % 7) as f64).sum::<f64>() / 256.0;
                2300.0 + s
            };
            assert!(
                (f64::from(o.offsets_adu[0]) - expect).abs() < 1e-3,
                "{method:?}"
            );
        }
    }
}
