//! The `spots` step: every spot of every usable frame located from the chamber pattern and
//! measured with vison-point (`measure_frame_spots`, the code of `vison-inspect spots`).

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ogse::OgseProfile;
use vison_point::{NominalSpot, SpotConfig, measure_frame_spots};

use crate::error::{Error, Result};
use crate::framework::flags::{Flag, Flags};
use crate::framework::frames::{FlatExposure, calibrated, exposures};
use crate::framework::state::TaskState;
use crate::framework::task::TaskEnv;
use crate::tests::flat::ptc::load_nonlinearity;

/// Non-linearity corrections per CCD and quadrant (`calibration.nonlinearity`).
type NlMap = BTreeMap<String, BTreeMap<String, vison_flat::nonlin::NonlinCorrection>>;

/// Search radius of the common spot shift of a CCD, px.
const SEARCH_PX: usize = 12;
/// Above this fraction of unmeasured or unconverged spots the step raises POORQUALDATA.
const MAX_FAILED_FRAC: f64 = 0.05;

/// One spot in one exposure (positions in the CCD frame of truth.json: pixel centres at
/// integers, `data[y, x]`; `sigma_px`, `e1`, `e2` are HSM adaptive moments of the
/// pixel-convolved spot; `fwhm_*` the Gaussian fit's marginal widths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpotRow {
    pub(crate) ccd: u8,
    pub(crate) quadrant: String,
    pub(crate) spot: String,
    pub(crate) obsid: i64,
    /// Mirror position of the EXP_LOG (`mirr_pos`), mm.
    pub(crate) mirror_mm: f64,
    /// Commanded exposure time, s.
    pub(crate) exptime_s: f64,
    pub(crate) x_ccd_px: f64,
    pub(crate) y_ccd_px: f64,
    pub(crate) flux_adu: f64,
    pub(crate) flux_err_adu: f64,
    pub(crate) bgd_adu: f64,
    pub(crate) peak_adu: f64,
    pub(crate) fwhm_x_px: f64,
    pub(crate) fwhm_y_px: f64,
    pub(crate) sigma_px: f64,
    pub(crate) e1: f64,
    pub(crate) e2: f64,
    pub(crate) converged: bool,
}

impl SpotRow {
    /// Optical FWHM from the adaptive sigma, the pixel's `1/12 px^2` removed (NaN when not
    /// converged).
    pub(crate) fn fwhm_optical_px(&self) -> f64 {
        let s2 = self.sigma_px * self.sigma_px - 1.0 / 12.0;
        if self.converged && s2 > 0.0 {
            2.354_820_045 * s2.sqrt()
        } else {
            f64::NAN
        }
    }

    /// Key of the spot: (CCD, quadrant, spot name).
    pub(crate) fn key(&self) -> (u8, String, String) {
        (self.ccd, self.quadrant.clone(), self.spot.clone())
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

/// Nominal spots of each CCD from the chamber pattern.
fn nominal_of(profile: &OgseProfile, ccd: u8) -> Vec<NominalSpot> {
    profile
        .pattern(ccd)
        .spots
        .iter()
        .map(|s| {
            let (x, y) = s.ccd_coords_px();
            NominalSpot {
                quadrant: s.quadrant,
                spot: s.spot.clone(),
                x_full_ccd_px: x,
                y_full_ccd_px: y,
            }
        })
        .collect()
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
    let mut f = calibrated(e, env)?;
    if let Some(per_q) = nl.and_then(|m| m.get(&format!("CCD{ccd}"))) {
        let g = f.geometry;
        for q in vison_ccd::Quadrant::ALL {
            if let Some(c) = per_q.get(q.name()) {
                c.apply(vison_ccd::qcan_view_mut(&g, f.data.view_mut(), q));
            }
        }
    }
    let cfg = SpotConfig {
        gain_e_per_adu: ccd_gain(env, ccd),
        ..SpotConfig::default()
    };
    let found = measure_frame_spots(&f, nominal, SEARCH_PX, &cfg)
        .map_err(|err| Error::step(&env.test, "spots", format!("ObsID {}: {err}", e.obsid)))?;
    let nan = f64::NAN;
    let rows = found
        .spots
        .iter()
        .map(|s| {
            let mut r = SpotRow {
                ccd,
                quadrant: s.quadrant.to_string(),
                spot: s.spot.clone(),
                obsid: e.obsid,
                mirror_mm,
                exptime_s: e.exptime_s,
                x_ccd_px: nan,
                y_ccd_px: nan,
                flux_adu: nan,
                flux_err_adu: nan,
                bgd_adu: nan,
                peak_adu: nan,
                fwhm_x_px: nan,
                fwhm_y_px: nan,
                sigma_px: nan,
                e1: nan,
                e2: nan,
                converged: false,
            };
            if let Ok(m) = &s.result {
                r.x_ccd_px = m.x_px;
                r.y_ccd_px = m.y_px;
                r.flux_adu = m.flux_adu;
                r.flux_err_adu = m.flux_err_adu;
                r.bgd_adu = m.bgd_adu;
                r.peak_adu = m.peak_adu;
                r.fwhm_x_px = m.fwhm_x_px;
                r.fwhm_y_px = m.fwhm_y_px;
                r.sigma_px = m.sigma_px();
                r.e1 = m.e1();
                r.e2 = m.e2();
                r.converged = m.converged();
            }
            r
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
    let nominal: Vec<Vec<NominalSpot>> = (1..=3u8).map(|c| nominal_of(&profile, c)).collect();
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
    let failed = state.rows.iter().filter(|r| !r.converged).count();
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
