//! The `spots` step: every spot of every usable frame located from the chamber pattern and
//! measured with vison-point (`measure_frame_spots`, the code of `vison-inspect spots`) on
//! frames calibrated in the order offset and bias, non-linearity, master flat.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ogse::OgseProfile;
use vison_point::{NominalSpot, SpotConfig, measure_frame_spots, nominal_spots};

use crate::error::{Error, Result};
use crate::framework::flags::{Flag, Flags};
use crate::framework::frames::{FlatExposure, QuadNl, calibrated_nl, exposures};
use crate::framework::state::TaskState;
use crate::framework::task::TaskEnv;
use crate::tests::flat::ptc::load_nonlinearity;

/// Non-linearity corrections per CCD and quadrant (`calibration.nonlinearity`).
type NlMap = BTreeMap<String, QuadNl>;

/// Search radius of the common spot shift of a CCD, px.
const SEARCH_PX: usize = 12;
/// Above this fraction of unmeasured or unconverged spots the step raises POORQUALDATA.
const MAX_FAILED_FRAC: f64 = 0.05;

/// One spot in one exposure: vison-point's row (figures in the CCD frame of truth.json) with
/// the exposure's ObsID, mirror position and exposure time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpotRow {
    #[serde(flatten)]
    pub(crate) meas: vison_point::SpotRow,
    pub(crate) obsid: i64,
    /// Mirror position of the EXP_LOG (`mirr_pos`), mm.
    pub(crate) mirror_mm: f64,
    /// Commanded exposure time, s.
    pub(crate) exptime_s: f64,
}

impl SpotRow {
    /// Optical FWHM from the adaptive sigma, the pixel's `1/12 px^2` removed (NaN when not
    /// converged).
    pub(crate) fn fwhm_optical_px(&self) -> f64 {
        let m = &self.meas;
        let s2 = m.sigma_px * m.sigma_px - 1.0 / 12.0;
        if m.converged && s2 > 0.0 {
            2.354_820_045 * s2.sqrt()
        } else {
            f64::NAN
        }
    }

    /// Key of the spot: (CCD, quadrant, spot name).
    pub(crate) fn key(&self) -> (u8, String, String) {
        (
            self.meas.ccd,
            self.meas.quadrant.clone(),
            self.meas.spot.clone(),
        )
    }
}

/// Common shift found for one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FrameShift {
    pub(crate) ccd: u8,
    pub(crate) obsid: i64,
    pub(crate) dx_px: f64,
    pub(crate) dy_px: f64,
}

/// State of the `spots` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpotsState {
    /// Chamber profile used.
    pub(crate) chamber: String,
    /// Wavelength of the test's filter (nm), when the EXP_LOG gives the filter.
    pub(crate) wavelength_nm: Option<u32>,
    /// Non-linearity correction applied to the pixels (`calibration.nonlinearity`), if any.
    pub(crate) nonlinearity: Option<String>,
    /// Frame shape `(rows, cols)` (for the maps).
    pub(crate) frame_shape: (usize, usize),
    pub(crate) shifts: Vec<FrameShift>,
    pub(crate) rows: Vec<SpotRow>,
}

/// Mean gain of a CCD's quadrants (flux errors), e-/ADU.
fn ccd_gain(env: &TaskEnv<'_>, ccd: u8) -> f64 {
    let g = &env.gains;
    match g.gains_e_per_adu.get(&format!("CCD{ccd}")) {
        Some(m) if !m.is_empty() => m.values().sum::<f64>() / m.len() as f64,
        _ => g.nominal_e_per_adu,
    }
}

/// `mirr_pos` of each ObsID in the EXP_LOG.
fn mirror_positions(env: &TaskEnv<'_>) -> BTreeMap<i64, f64> {
    env.data
        .log
        .rows()
        .iter()
        .filter_map(|r| Some((r.obsid()?, r.get_f64("mirr_pos")?)))
        .collect()
}

struct FrameOut {
    shift: FrameShift,
    rows: Vec<SpotRow>,
    shape: (usize, usize),
}

fn measure_one(
    env: &TaskEnv<'_>,
    ccd: u8,
    e: &FlatExposure,
    nominal: &[NominalSpot],
    mirror_mm: f64,
    nl: Option<&NlMap>,
) -> Result<FrameOut> {
    let per_q = nl.and_then(|m| m.get(&format!("CCD{ccd}")));
    let f = calibrated_nl(e, env, per_q)?;
    let cfg = SpotConfig {
        gain_e_per_adu: ccd_gain(env, ccd),
        ..SpotConfig::default()
    };
    let found = measure_frame_spots(&f, nominal, SEARCH_PX, &cfg)
        .map_err(|err| Error::step(&env.test, "spots", format!("ObsID {}: {err}", e.obsid)))?;
    let rows = found
        .spots
        .iter()
        .map(|s| SpotRow {
            meas: vison_point::SpotRow::new(ccd, s),
            obsid: e.obsid,
            mirror_mm,
            exptime_s: e.exptime_s,
        })
        .collect();
    Ok(FrameOut {
        shift: FrameShift {
            ccd,
            obsid: e.obsid,
            dx_px: found.shift.dx_px,
            dy_px: found.shift.dy_px,
        },
        rows,
        shape: f.data.dim(),
    })
}

/// Runs the `spots` step.
pub(crate) fn spots_step(env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
    let chamber = &env.cfg.calibration.chamber;
    let profile = OgseProfile::load(chamber)
        .map_err(|e| Error::step(&env.test, "spots", format!("chamber {chamber}: {e}")))?;
    let mirrors = mirror_positions(env);
    let nl_path = env.cfg.calibration.nonlinearity.as_deref();
    let nl = nl_path.map(load_nonlinearity).transpose()?;
    let mut jobs = Vec::new();
    for ccd in 1..=3u8 {
        jobs.extend(exposures(st, ccd)?.into_iter().map(|e| (ccd, e)));
    }
    let wavelength_nm = jobs
        .first()
        .and_then(|(_, e)| e.wave)
        .and_then(|w| u8::try_from(w).ok())
        .and_then(|w| profile.wavelength_of_filter(w));
    let nominal: Vec<Vec<NominalSpot>> = (1..=3u8)
        .map(|c| nominal_spots(&profile.pattern(c)))
        .collect();
    let mut flags = Flags::new();
    let outs: Vec<Result<FrameOut>> = jobs
        .par_iter()
        .map(|(ccd, e)| {
            let nom = nominal.get(usize::from(*ccd) - 1).map_or(&[][..], |v| v);
            let mirror = mirrors.get(&e.obsid).copied().unwrap_or(f64::NAN);
            measure_one(env, *ccd, e, nom, mirror, nl.as_ref())
        })
        .collect();
    let mut state = SpotsState {
        chamber: chamber.clone(),
        nonlinearity: nl_path.map(|p| p.display().to_string()),
        wavelength_nm,
        frame_shape: (0, 0),
        shifts: Vec::new(),
        rows: Vec::new(),
    };
    for o in outs {
        match o {
            Ok(o) => {
                state.frame_shape = o.shape;
                state.shifts.push(o.shift);
                state.rows.extend(o.rows);
            }
            Err(e) => flags.raise(Flag::MISSDATA, e.to_string()),
        }
    }
    if state.rows.is_empty() {
        flags.raise(Flag::MISSDATA, "no spot measured");
    }
    let failed = state.rows.iter().filter(|r| !r.meas.converged).count();
    if failed as f64 > MAX_FAILED_FRAC * state.rows.len() as f64 {
        flags.raise(
            Flag::POORQUALDATA,
            format!(
                "{failed} of {} spot measurements failed or did not converge",
                state.rows.len()
            ),
        );
    }
    let v = serde_json::to_value(&state).map_err(|e| Error::step(&env.test, "spots", e))?;
    Ok((v, flags))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state with an unmeasured spot (NaN figures, flattened vison-point row) round-trips
    /// through JSON and the NaN-tolerant state decoder; the row stays flat.
    #[test]
    fn state_with_nan_figures_round_trips() {
        let fs = vison_point::FrameSpot {
            quadrant: 'G',
            spot: "BRAVO".into(),
            x_nominal_ccd_px: 1.0,
            y_nominal_ccd_px: 2.0,
            result: Err("no signal".into()),
        };
        let row = SpotRow {
            meas: vison_point::SpotRow::new(3, &fs),
            obsid: 42,
            mirror_mm: f64::NAN,
            exptime_s: 1.5,
        };
        let st = SpotsState {
            chamber: "DEFAULT".into(),
            wavelength_nm: Some(800),
            nonlinearity: None,
            frame_shape: (10, 20),
            shifts: Vec::new(),
            rows: vec![row],
        };
        let v = serde_json::to_value(&st).unwrap();
        let r0 = &v["rows"][0];
        assert_eq!(
            (r0["ccd"].as_u64(), r0["spot"].as_str()),
            (Some(3), Some("BRAVO"))
        );
        assert!(r0["flux_adu"].is_null() && r0["mirror_mm"].is_null());
        let back: SpotsState = crate::framework::nan::from_value(&v).unwrap();
        let b = &back.rows[0];
        assert!(b.meas.flux_adu.is_nan() && b.mirror_mm.is_nan() && !b.meas.converged);
        assert_eq!(
            (b.obsid, b.exptime_s, b.key()),
            (42, 1.5, (3, "G".into(), "BRAVO".into()))
        );
    }
}
