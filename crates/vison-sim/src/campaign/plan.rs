//! Campaign planning: the ordered exposures of the chosen tests with ObsIDs, start times and
//! the physical quantities the frame synthesis needs.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use vison_ccd::{FrameGeometry, Quadrant};

use crate::Error;
use crate::effects::InjectionSetup;
use crate::faults::FaultKind;
use vison_ogse::OgseProfile;
use vison_testdefs::duration::exposure_duration_s;
use vison_testdefs::{ElvisVersion, Preset, ScriptValue, TestOptions, Values, expand, test_def};

use super::CampaignConfig;

/// Full-well reference of the chamber profiles: a flat reaches this charge after `tFWC_flat`
/// seconds and an in-focus spot peak after `tFWC_point` seconds (65536 ADU at 3.3 e-/ADU).
pub(crate) const FWC_NOMINAL_E: f64 = 65536.0 * 3.3;

/// Point-source settings of an exposure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PointSetup {
    /// In-focus FWHM of the wavelength (profile).
    pub(crate) fwhm0_px: f64,
    /// Mirror position.
    pub(crate) mirr_pos_mm: f64,
    /// Nominal (best-focus) mirror position of the filter.
    pub(crate) mirror_nom_mm: f64,
    /// Total charge of a spot.
    pub(crate) total_e: f64,
}

/// Pumping settings: mode, number of cycles, time per phase or dwell (us).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pumping {
    pub(crate) mode: u32,
    pub(crate) n_shuffles: f64,
    pub(crate) t_us: f64,
}

/// Physical content of one exposure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Physics {
    pub(crate) exptime_s: f64,
    pub(crate) exptime_actual_s: f64,
    /// `flat`, `point` or `none`.
    pub(crate) source: &'static str,
    pub(crate) wave: i64,
    /// Mean flat level (electrons) before lamp pattern and PRNU.
    pub(crate) flat_level_e: f64,
    pub(crate) point: Option<PointSetup>,
    /// Injection settings with the IG1 of the bottom (`_B`, quadrants E, F) and top (`_T`,
    /// G, H) halves per CCD.
    pub(crate) injection: Option<(InjectionSetup, [f64; 3], [f64; 3])>,
    pub(crate) vpump: Option<Pumping>,
    pub(crate) spump: Option<Pumping>,
    /// Canonical rows read out in this geometry.
    pub(crate) rows_read: [usize; 2],
    /// Integration time of dark current.
    pub(crate) dark_t_s: f64,
    /// Exposure time of cosmic rays (integration plus half the readout).
    pub(crate) cr_t_s: f64,
}

impl Physics {
    /// Injection settings of a quadrant of CCD `ccd` (1..3), if it receives charge.
    pub(crate) fn injection_for(&self, ccd: u8, q: Quadrant) -> Option<InjectionSetup> {
        let (base, ig1_b, ig1_t) = self.injection.as_ref()?;
        let i = usize::from(ccd.clamp(1, 3) - 1);
        // E and F are the 'B' half (reference 6.10), G and H the 'T' half.
        let ig1_v = if q.is_top() { ig1_b[i] } else { ig1_t[i] };
        let s = InjectionSetup { ig1_v, ..*base };
        s.serves_half(q.is_top()).then_some(s)
    }
}

/// One planned exposure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlannedExposure {
    pub(crate) obsid: u64,
    /// Value of the `test` key.
    pub(crate) test: String,
    pub(crate) label: String,
    /// Canonical script values of the column.
    pub(crate) values: Values,
    /// EXP_LOG values of the version.
    pub(crate) explog: BTreeMap<String, ScriptValue>,
    pub(crate) start: NaiveDateTime,
    pub(crate) t_start_s: f64,
    pub(crate) duration_s: f64,
    /// An exposure beyond the script (fault `extra-exposure`).
    pub(crate) extra: bool,
    pub(crate) physics: Physics,
}

fn num(values: &Values, key: &str) -> f64 {
    values.get(key).and_then(ScriptValue::as_f64).unwrap_or(0.0)
}

/// Maps a commanded row index (full-size numbering, image rows 0..2066, parallel overscan
/// after) onto this geometry.
pub(crate) fn map_row(row: f64, g: &FrameGeometry) -> usize {
    let row = row.max(0.0).round() as usize;
    let full_rows = FrameGeometry::FULL.image_rows_px;
    if row >= full_rows {
        (g.image_rows_px + (row - full_rows)).min(g.quad_height_px())
    } else {
        row.min(g.image_rows_px)
    }
}

/// Physics of an exposure from its canonical script values.
pub(crate) fn physics_of(
    values: &Values,
    shutter_open: bool,
    ogse: &OgseProfile,
    g: &FrameGeometry,
) -> Result<Physics, Error> {
    let exptime_s = num(values, "exptime").max(0.0);
    let exptime_actual_s = if exptime_s > 0.0 {
        ogse.shutter.actual_exptime_s(exptime_s).max(0.0)
    } else {
        0.0
    };
    let wave = num(values, "wave").round() as i64;
    let wavelength_nm = u8::try_from(wave)
        .ok()
        .and_then(|f| ogse.wavelength_of_filter(f));
    let src = values
        .get("source")
        .and_then(ScriptValue::as_str)
        .unwrap_or("flat");
    let source = match (shutter_open && exptime_s > 0.0, src) {
        (false, _) => "none",
        (true, "point") => "point",
        (true, _) => "flat",
    };
    let (flat_level_e, point) = match wavelength_nm {
        Some(wl) => illumination(values, source, exptime_actual_s, wl, ogse)?,
        None => (0.0, None),
    };
    let v_pump = num(values, "v_tpump") != 0.0;
    let s_pump = num(values, "s_tpump") != 0.0;
    let injection = (num(values, "chinj") != 0.0).then(|| {
        let base = InjectionSetup {
            ig1_v: 0.0,
            idl_v: num(values, "IDL"),
            on_rows: num(values, "chinj_on").max(0.0) as usize,
            off_rows: num(values, "chinj_of").max(0.0) as usize,
            id_wid_us: num(values, "id_wid"),
            id_dly_us: num(values, "id_dly"),
            toi_ch_us: num(values, "toi_ch"),
        };
        let ig = |half: &str| [1, 2, 3].map(|n| num(values, &format!("IG1_{n}_{half}")));
        (base, ig("B"), ig("T"))
    });
    let pumping = |on: bool, mode: &str, cnt: &str, t: &str| {
        on.then(|| Pumping {
            mode: num(values, mode).max(0.0) as u32,
            n_shuffles: num(values, cnt),
            t_us: num(values, t),
        })
    };
    let readout_s = ogse.overheads.ff_readout_s;
    Ok(Physics {
        exptime_s,
        exptime_actual_s,
        source,
        wave,
        flat_level_e,
        point,
        injection,
        vpump: pumping(v_pump, "v_tpmod", "v_tp_cnt", "toi_tp"),
        spump: pumping(s_pump, "s_tpmod", "s_tp_cnt", "dwell_s"),
        rows_read: [
            map_row(num(values, "vstart"), g),
            map_row(num(values, "vend"), g),
        ],
        dark_t_s: exptime_s,
        cr_t_s: exptime_s + 0.5 * readout_s,
    })
}

/// Flat level (e-) or point-source setup of an exposure of `source` lit for
/// `exptime_actual_s` at wavelength `wl` (nm).
fn illumination(
    values: &Values,
    source: &str,
    exptime_actual_s: f64,
    wl: u32,
    ogse: &OgseProfile,
) -> Result<(f64, Option<PointSetup>), Error> {
    Ok(match source {
        "flat" => (
            FWC_NOMINAL_E * exptime_actual_s / ogse.t_fwc_flat_s(wl)?,
            None,
        ),
        "point" => {
            let fwhm0_px = ogse.fwhm_px(wl)?;
            let sigma = fwhm0_px / (8.0 * std::f64::consts::LN_2).sqrt();
            let central = (2.0 * crate::effects::normal_cdf(0.5 / sigma) - 1.0).powi(2);
            let peak_e = FWC_NOMINAL_E * exptime_actual_s / ogse.t_fwc_point_s(wl)?;
            let point = PointSetup {
                fwhm0_px,
                mirr_pos_mm: num(values, "mirr_pos"),
                mirror_nom_mm: ogse.mirror_nom_mm(wl)?,
                total_e: peak_e / central,
            };
            (0.0, Some(point))
        }
        _ => (0.0, None),
    })
}

/// Equipment values forced on every column (reference 7.1: equipment as diffvalues).
fn equipment() -> Values {
    let mut d = Values::new();
    for (k, v) in [
        ("sn_ccd1", "CCD273-SIM-1"),
        ("sn_ccd2", "CCD273-SIM-2"),
        ("sn_ccd3", "CCD273-SIM-3"),
        ("sn_roe", "ROESIM"),
        ("sn_rpsu", "RPSUSIM"),
        ("operator", "sim"),
    ] {
        d.insert(k.to_string(), v.into());
    }
    d
}

/// Test options of a synthetic campaign: campaign preset, the equipment serials and operator
/// of the generator as diffvalues (what a structure check of generated data must use).
pub fn campaign_test_options(elvis: ElvisVersion, ogse: &OgseProfile) -> TestOptions {
    TestOptions {
        elvis,
        ogse: ogse.clone(),
        preset: Preset::Campaign,
        diffvalues: equipment(),
        n_frames: None,
        wavelength_nm: None,
    }
}

/// Plans the exposures of the campaign.
pub(crate) fn plan_exposures(
    cfg: &CampaignConfig,
    g: &FrameGeometry,
) -> Result<Vec<PlannedExposure>, Error> {
    let opts = campaign_test_options(cfg.elvis, &cfg.ogse);
    // The lamp's time base: the chamber's shutter calibration, or the commanded time.
    let mut lamp_ogse = cfg.ogse.clone();
    if cfg.shutter == super::LampShutter::None {
        lamp_ogse.shutter.points_s.clear();
    }
    let mut out: Vec<PlannedExposure> = Vec::new();
    let mut t_s = 0.0_f64;
    let mut obsid = cfg.first_obsid;
    let want_extra = cfg.faults.contains(&FaultKind::ExtraExposure);
    // A test acquired under another's name (BF01 analyses PTC01's frames) is acquired once.
    let mut acquired: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (ti, name) in cfg.tests.iter().enumerate() {
        let def = test_def(name, &opts)?;
        if !acquired.insert(def.test.clone()) {
            continue;
        }
        let specs = expand(&def);
        let n_specs = specs.len();
        for (k, spec) in specs.into_iter().enumerate() {
            let col = def.columns.get(spec.column).ok_or_else(|| Error::Option {
                test: name.clone(),
                msg: format!("exposure refers to missing column {}", spec.label),
            })?;
            let physics = physics_of(&col.values, spec.shutter_open, &lamp_ogse, g)?;
            let duration_s = exposure_duration_s(col);
            let repeats = if want_extra && ti == 0 && k + 1 == n_specs {
                2
            } else {
                1
            };
            for r in 0..repeats {
                let start = cfg.start + Duration::milliseconds((t_s * 1000.0).round() as i64);
                out.push(PlannedExposure {
                    obsid,
                    test: def.test.clone(),
                    label: spec.label.clone(),
                    values: col.values.clone(),
                    explog: spec.values.clone(),
                    start,
                    t_start_s: t_s,
                    duration_s,
                    extra: r == 1,
                    physics: physics.clone(),
                });
                obsid += 1;
                // ELVIS time stamps have a resolution of one second.
                t_s = (t_s + duration_s).ceil();
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::LampShutter;

    #[test]
    fn lamp_time_base_follows_the_shutter_option() {
        let mut cfg = CampaignConfig::new(vec!["PTC01".into()], "unused");
        let g = FrameGeometry::small();
        let chamber = plan_exposures(&cfg, &g).unwrap();
        cfg.shutter = LampShutter::None;
        let none = plan_exposures(&cfg, &g).unwrap();
        assert_eq!(chamber.len(), none.len());
        let mut longer = 0;
        for (c, n) in chamber.iter().zip(&none) {
            // Commanded time: the flat level follows it exactly.
            assert_eq!(n.physics.exptime_actual_s, n.physics.exptime_s);
            assert_eq!(c.physics.exptime_s, n.physics.exptime_s);
            if c.physics.exptime_actual_s > c.physics.exptime_s {
                longer += 1;
                let ratio = c.physics.flat_level_e / n.physics.flat_level_e;
                let want = c.physics.exptime_actual_s / c.physics.exptime_s;
                assert!((ratio - want).abs() < 1e-12, "{ratio} vs {want}");
            }
        }
        // Chamber B's shutter opens longer than commanded at the PTC's exposure times.
        assert!(longer > 0);
        assert_eq!("none".parse::<LampShutter>().ok(), Some(LampShutter::None));
        assert!("open".parse::<LampShutter>().is_err());
    }
}
