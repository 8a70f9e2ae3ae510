//! Image preparation (reference 4.1 `prepare_images`), streamed: frames are read band by band
//! through [`PreparedRows`], offsets subtracted per quadrant and bad pixels (0, 65535) set to
//! NaN so that the stacks ignore them, then the test's calibration inputs applied
//! ([`PreparedRows::with_calib`]: cosmetic mask, master bias, master flat, held once per CCD
//! and shared by every frame); nothing of a frame is held beyond the stacking band.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vison_ccd::fits::{HduSelector, RowReader};
use vison_ccd::geometry::{LOST_ADU, SATURATED_ADU};
use vison_ccd::stack::RowSource;
use vison_ccd::{Frame, FrameGeometry, Quadrant};

use crate::error::Result;
use crate::framework::calib::PixelCalib;
use crate::framework::config::PrepConfig;
use crate::framework::state::{FrameCheck, IngestState};

/// Offsets to subtract per quadrant (E, F, G, H order) from a frame's check statistics.
pub fn frame_offsets(fc: &FrameCheck, prep: &PrepConfig) -> [f32; 4] {
    let mut out = [0.0f32; 4];
    for (k, q) in Quadrant::ALL.into_iter().enumerate() {
        if let Some(c) = fc.quads.get(q.name()) {
            let v = if prep.offset_scan == "overscan" {
                c.offset_ove_adu
            } else {
                c.offset_pre_adu
            };
            out[k] = if v.is_finite() { v as f32 } else { 0.0 };
        }
    }
    out
}

/// Quadrant index (E, F, G, H order) of CCD-frame pixel `(row, col)`.
fn quad_index(g: &FrameGeometry, row: usize, col: usize) -> usize {
    let top = row >= g.quad_height_px();
    let right = col >= g.quad_width_px();
    match (top, right) {
        (true, false) => 0,
        (true, true) => 1,
        (false, true) => 2,
        (false, false) => 3,
    }
}

fn prepare_value(x: f32, off: f32, mask: bool) -> f32 {
    if mask && (x == LOST_ADU || x == SATURATED_ADU) {
        f32::NAN
    } else {
        x - off
    }
}

/// Prepares a frame in memory: offsets subtracted per quadrant, bad pixels set to NaN.
pub fn prepare_frame(frame: &mut Frame, offsets: [f32; 4], mask_bad: bool) {
    let g = frame.geometry;
    for ((r, c), x) in frame.data.indexed_iter_mut() {
        *x = prepare_value(*x, offsets[quad_index(&g, r, c)], mask_bad);
    }
}

/// A FITS frame read band by band and prepared on the fly (a [`RowSource`] for stacking).
pub struct PreparedRows {
    reader: RowReader,
    geometry: FrameGeometry,
    offsets: [f32; 4],
    mask_bad: bool,
    calib: Option<Arc<PixelCalib>>,
}

impl PreparedRows {
    /// Opens the last image HDU of `path`.
    pub fn open(
        path: &Path,
        geometry: FrameGeometry,
        offsets: [f32; 4],
        mask_bad: bool,
    ) -> Result<Self> {
        Ok(PreparedRows {
            reader: RowReader::open(path, HduSelector::LastImage)?,
            geometry,
            offsets,
            mask_bad,
            calib: None,
        })
    }

    /// Applies calibration inputs (of the frame's CCD) after the offset.
    pub fn with_calib(mut self, calib: Option<Arc<PixelCalib>>) -> Self {
        self.calib = calib;
        self
    }
}

impl RowSource for PreparedRows {
    fn shape(&self) -> (usize, usize) {
        self.reader.shape()
    }

    fn read_rows(&mut self, row0: usize, out: &mut [f32]) -> vison_ccd::Result<()> {
        self.reader.read_rows(row0, out)?;
        let cols = self.geometry.naxis1();
        if cols == 0 {
            return Ok(());
        }
        for (i, row) in out.chunks_mut(cols).enumerate() {
            for (c, x) in row.iter_mut().enumerate() {
                let q = quad_index(&self.geometry, row0 + i, c);
                *x = prepare_value(*x, self.offsets[q], self.mask_bad);
            }
            if let Some(pc) = &self.calib {
                pc.apply_row(row0 + i, row);
            }
        }
        Ok(())
    }
}

/// Opens frames of one geometry for stacking, each prepared with the offsets of its check
/// and with `calib`; returns them with the mean offsets per quadrant (E, F, G, H order).
pub(crate) fn open_for_stack<'a>(
    frames: impl ExactSizeIterator<Item = (&'a Path, &'a FrameCheck)>,
    geometry: FrameGeometry,
    prep: &PrepConfig,
    mask_bad: bool,
    calib: &Option<Arc<PixelCalib>>,
) -> Result<(Vec<PreparedRows>, [f64; 4])> {
    let n = frames.len();
    let mut offs_mean = [0.0f64; 4];
    let mut sources = Vec::with_capacity(n);
    for (path, fc) in frames {
        let o = frame_offsets(fc, prep);
        for k in 0..4 {
            offs_mean[k] += f64::from(o[k]) / n as f64;
        }
        sources.push(PreparedRows::open(path, geometry, o, mask_bad)?.with_calib(calib.clone()));
    }
    Ok((sources, offs_mean))
}

/// [`open_for_stack`] for usable `frames` of CCD `ccd` of a test (paths from its ingest
/// state, bad pixels masked as configured).
pub(crate) fn open_ccd_frames(
    ingest: &IngestState,
    frames: &[&FrameCheck],
    ccd: u8,
    geometry: FrameGeometry,
    prep: &PrepConfig,
    calib: &Option<Arc<PixelCalib>>,
) -> Result<(Vec<PreparedRows>, [f64; 4])> {
    let paths: Vec<PathBuf> = frames
        .iter()
        .map(|fc| ingest.frame_path(fc.obsid, ccd))
        .collect();
    open_for_stack(
        paths
            .iter()
            .map(PathBuf::as_path)
            .zip(frames.iter().copied()),
        geometry,
        prep,
        prep.mask_bad_pixels,
        calib,
    )
}

/// Per-pixel minimum of prepared frames, read band by band (one band of one frame in memory
/// at a time, at most `budget_bytes`). NaN where no frame has a finite value.
pub(crate) fn min_stack(
    sources: &mut [PreparedRows],
    budget_bytes: usize,
) -> Result<ndarray::Array2<f32>> {
    let Some(first) = sources.first() else {
        return Ok(ndarray::Array2::zeros((0, 0)));
    };
    let (rows, cols) = first.shape();
    let band = (budget_bytes / (cols.max(1) * 4)).clamp(1, rows.max(1));
    let mut out = ndarray::Array2::from_elem((rows, cols), f32::INFINITY);
    let mut buf = vec![0.0f32; band * cols];
    let mut row0 = 0;
    while row0 < rows {
        let nr = band.min(rows - row0);
        for s in sources.iter_mut() {
            let b = &mut buf[..nr * cols];
            s.read_rows(row0, b)?;
            let mut o = out.slice_mut(ndarray::s![row0..row0 + nr, ..]);
            for (x, &v) in o.iter_mut().zip(b.iter()) {
                if v < *x {
                    *x = v;
                }
            }
        }
        row0 += nr;
    }
    out.mapv_inplace(|x| if x.is_finite() { x } else { f32::NAN });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_rows_match_in_memory_preparation() {
        let g = FrameGeometry::small();
        let mut f = Frame::zeros(g);
        for (k, q) in Quadrant::ALL.into_iter().enumerate() {
            f.quad_canonical_mut(q).fill(1000.0 + 100.0 * k as f32);
        }
        f.data[[3, 4]] = 65535.0;
        f.extname = "ROE1_CCD1".into();
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.fits");
        vison_ccd::write_raw_frame(&p, &f).unwrap();
        let offs = [1000.0, 1100.0, 1200.0, 1300.0];
        let mut src = PreparedRows::open(&p, g, offs, true).unwrap();
        let (rows, cols) = src.shape();
        let mut buf = vec![0.0f32; rows * cols];
        src.read_rows(0, &mut buf).unwrap();
        let mut mem = f.clone();
        prepare_frame(&mut mem, offs, true);
        for (a, b) in buf.iter().zip(mem.data.iter()) {
            assert!(a == b || (a.is_nan() && b.is_nan()));
        }
        assert!(mem.data[[3, 4]].is_nan());
        assert!(mem.data.iter().filter(|x| x.is_finite()).all(|&x| x == 0.0));
        // Minimum of two frames, the second brighter except one pixel: band-wise, small budget.
        let mut g2 = f.clone();
        g2.data.mapv_inplace(|x| x + 5.0);
        g2.data[[10, 10]] = 1.0;
        g2.data[[3, 4]] = 1234.0;
        let p2 = d.path().join("g.fits");
        vison_ccd::write_raw_frame(&p2, &g2).unwrap();
        let mut srcs = vec![
            PreparedRows::open(&p, g, [0.0; 4], true).unwrap(),
            PreparedRows::open(&p2, g, [0.0; 4], true).unwrap(),
        ];
        let m = min_stack(&mut srcs, 3 * cols * 4).unwrap();
        assert_eq!(m[[10, 10]], 1.0);
        assert_eq!(m[[3, 4]], 1234.0); // the other frame is masked there
        assert_eq!(m[[100, 200]], f.data[[100, 200]]);
    }
}
