//! Frames of a test for the analyses (flat-field family, quick statistics): usable frames of a
//! test grouped by script column, read and prepared (offsets subtracted, 0/65535 set to NaN,
//! and with [`calibrated`] the test's calibration inputs applied; [`calibrated_nl`] puts a
//! non-linearity correction between the bias subtraction and the flat division).

use std::collections::BTreeMap;
use std::path::PathBuf;

use vison_ccd::{Frame, Quadrant, Section, read_frame};
use vison_flat::nonlin::NonlinCorrection;

use crate::error::Result;
use crate::framework::calib::{CalibUse, PixelCalib, wavelength_nm};
use crate::framework::config::PrepConfig;
use crate::framework::prep::{frame_offsets, prepare_frame};
use crate::framework::state::FrameCheck;
use crate::framework::state::{IngestState, TaskState};
use crate::framework::task::TaskEnv;

/// One usable exposure of a CCD.
#[derive(Debug, Clone)]
pub(crate) struct FlatExposure {
    pub(crate) obsid: i64,
    pub(crate) exptime_s: f64,
    /// Seconds since the first exposure of the test (from the EXP_LOG date).
    pub(crate) time_s: f64,
    /// Filter index (`wave`) of the EXP_LOG (NL02 takes two filters).
    pub(crate) wave: Option<i64>,
    pub(crate) label: String,
    pub(crate) path: PathBuf,
    pub(crate) check: FrameCheck,
}

fn parse_date(s: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(s, "%d%m%yD%H%M%ST").ok()
}

/// Usable exposures of CCD `ccd`, in ObsID order.
pub(crate) fn exposures(st: &TaskState, ccd: u8) -> Result<Vec<FlatExposure>> {
    let ingest: &IngestState = st.ingest()?;
    let chk = st.check()?;
    let t0 = ingest
        .exposures
        .iter()
        .filter_map(|e| parse_date(&e.date))
        .min();
    let mut out: Vec<FlatExposure> = chk
        .usable(ccd)
        .filter_map(|fc| {
            let e = ingest.exposures.iter().find(|e| e.obsid == fc.obsid)?;
            let f = e.frames.iter().find(|f| f.ccd == ccd)?;
            let time_s = match (t0, parse_date(&e.date)) {
                (Some(a), Some(b)) => (b - a).num_milliseconds() as f64 / 1e3,
                _ => 0.0,
            };
            Some(FlatExposure {
                obsid: fc.obsid,
                exptime_s: e.exptime_s,
                time_s,
                wave: e.wave,
                label: e.label.clone(),
                path: f.path.clone(),
                check: fc.clone(),
            })
        })
        .collect();
    out.sort_by_key(|e| e.obsid);
    Ok(out)
}

/// Consecutive pairs of exposures within each script column (flat pairs).
pub(crate) fn pairs(exps: &[FlatExposure]) -> Vec<(FlatExposure, FlatExposure)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < exps.len() {
        if exps[i].label == exps[i + 1].label {
            out.push((exps[i].clone(), exps[i + 1].clone()));
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// Reads a frame and prepares it: offsets of its check subtracted, lost/saturated pixels NaN.
/// No calibration input: for pair differences and ratios (PTC, BF, NL).
pub(crate) fn prepared(e: &FlatExposure, prep: &PrepConfig) -> Result<Frame> {
    let mut f = read_frame(&e.path)?;
    prepare_frame(&mut f, frame_offsets(&e.check, prep), true);
    Ok(f)
}

/// Non-linearity corrections of one CCD by quadrant name (`calibration.nonlinearity`).
pub(crate) type QuadNl = BTreeMap<String, NonlinCorrection>;

/// [`prepared`], then the calibration inputs the test applies (registry `calib`: cosmetic
/// mask, master bias, master flat of the exposure's wavelength).
pub(crate) fn calibrated(e: &FlatExposure, env: &TaskEnv<'_>) -> Result<Frame> {
    calibrated_nl(e, env, None)
}

/// [`calibrated`] with the non-linearity correction `nl` of the exposure's CCD, applied in
/// the order of [`calibrate_frame`].
pub(crate) fn calibrated_nl(
    e: &FlatExposure,
    env: &TaskEnv<'_>,
    nl: Option<&QuadNl>,
) -> Result<Frame> {
    let mut f = prepared(e, &env.cfg.preprocessing)?;
    let pc = env.pixel_calib(
        e.check.ccd,
        &f.geometry,
        wavelength_nm(e.wave),
        CalibUse::ALL,
    )?;
    calibrate_frame(&mut f, pc.as_deref(), nl);
    Ok(f)
}

/// Calibrates a prepared (offset-subtracted) frame: cosmetic mask and master bias, then the
/// non-linearity correction (a function of the raw signal in ADU, per quadrant), then the
/// division by the master flat.
pub(crate) fn calibrate_frame(f: &mut Frame, pc: Option<&PixelCalib>, nl: Option<&QuadNl>) {
    let correct = |f: &mut Frame| {
        let Some(per_q) = nl else { return };
        let g = f.geometry;
        for q in Quadrant::ALL {
            if let Some(c) = per_q.get(q.name()) {
                c.apply(vison_ccd::qcan_view_mut(&g, f.data.view_mut(), q));
            }
        }
    };
    match pc {
        Some(pc) => pc.apply_frame_around(f, correct),
        None => correct(f),
    }
}

/// Image area of a quadrant (canonical orientation) limited to the rows read out.
pub(crate) fn image_area(f: &Frame, q: Quadrant, rows: (usize, usize)) -> ndarray::Array2<f32> {
    let v = f.section(q, Section::Image);
    let r1 = rows.1.min(v.nrows());
    let r0 = rows.0.min(r1);
    v.slice(ndarray::s![r0..r1, ..]).to_owned()
}

/// Mean of the finite values of a vector (NaN if none).
pub(crate) fn finite_mean(v: &[f64]) -> f64 {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        f64::NAN
    } else {
        f.iter().sum::<f64>() / f.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use vison_ccd::FrameGeometry;

    use super::*;

    /// Bias, non-linearity and flat in the right order: a strongly non-unit flat and a
    /// strongly non-linear response; each pixel equals `NL(raw - bias) / flat` computed by
    /// hand (dividing by the flat first would give `NL((raw - bias) / flat)`, far off).
    #[test]
    fn nonlinearity_comes_after_bias_and_before_flat() {
        let g = FrameGeometry::small();
        let (rows, cols) = (g.naxis2(), g.naxis1());
        let mut f = Frame::zeros(g);
        f.data.fill(20_100.0);
        let bias = ndarray::Array2::from_elem((rows, cols), 100.0f32);
        let flat = ndarray::Array2::from_shape_fn((rows, cols), |(r, c)| {
            if (r + c) % 2 == 0 { 0.5f32 } else { 2.0 }
        });
        let pc = PixelCalib {
            mask: None,
            bias: Some(Arc::new(bias)),
            flat: Some(Arc::new(flat.clone())),
        };
        let corr = NonlinCorrection {
            coefficients: vec![0.0, 1.0, 1e-5],
            valid_min_adu: 0.0,
            valid_max_adu: 65_535.0,
        };
        let nl: QuadNl = Quadrant::ALL
            .into_iter()
            .map(|q| (q.name().to_string(), corr.clone()))
            .collect();
        calibrate_frame(&mut f, Some(&pc), Some(&nl));
        // NL(20000) = 20000 + 1e-5 * 20000^2 = 24000 ADU, then divided by the flat.
        for ((r, c), &v) in f.data.indexed_iter() {
            let want = 24_000.0 / flat[[r, c]];
            assert!((v - want).abs() < 0.05, "({r}, {c}): {v} != {want}");
        }
        // Without calibration images the correction alone applies.
        let mut g2 = Frame::zeros(g);
        g2.data.fill(10_000.0);
        calibrate_frame(&mut g2, None, Some(&nl));
        assert!(g2.data.iter().all(|&v| (v - 11_000.0).abs() < 0.01));
    }
}
