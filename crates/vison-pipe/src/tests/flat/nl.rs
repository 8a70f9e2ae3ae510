//! NL01 / NL02 (reference 4.10, 6.5): non-linearity from the exposure-time series with
//! stability-monitoring frames. Per frame and quadrant the image-area signal (clipped mean,
//! offset subtracted) with the frame's filter (`wave`) and script column; per quadrant
//! `vison_flat::nonlin` corrects the lamp drift from the stability frames, puts the filters on
//! one fluence axis (NL02: open filter and 880 nm, flux ratio fitted), fits the response
//! polynomial and derives the correction product (coefficients + valid range, written to
//! `products/`).

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ccd::Quadrant;
use vison_ccd::stats::clipped_stats;
use vison_flat::FitQuality;
use vison_flat::nonlin::{
    NonlinConfig, NonlinFrame, NonlinResult, classify_frames_by_column, fit_nonlinearity,
};
use vison_ogse::ShutterCalibration;

use crate::error::{Error, Result};
use crate::framework::analysis::Analysis;
use crate::framework::flags::{Flag, Flags};
use crate::framework::frames::{calibrated, exposures, image_area};
use crate::framework::report::{Plot, figure};
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv};

/// Signal of one frame and quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NlSignal {
    /// ObsID.
    pub obsid: i64,
    /// CCD.
    pub ccd: u8,
    /// Quadrant.
    pub quadrant: String,
    /// Exposure time, s.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub exptime_s: f64,
    /// Seconds since the first exposure.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub time_s: f64,
    /// Clipped mean of the image area, offset subtracted, ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub signal_adu: f64,
    /// Its standard error, ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub signal_err_adu: f64,
    /// Filter index (`wave`) of the exposure, when the EXP_LOG has it.
    #[serde(default)]
    pub wave: Option<i64>,
    /// Script column label (`col001` ...).
    #[serde(default)]
    pub label: String,
}

/// State of the `signals` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NlSignals {
    /// Every frame and quadrant.
    pub signals: Vec<NlSignal>,
}

/// State of the `fit` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NlFits {
    /// Per CCD and quadrant.
    pub ccds: BTreeMap<String, BTreeMap<String, NonlinResult>>,
    /// Product path (JSON with the correction polynomials), relative to the test folder.
    pub product: String,
}

/// Non-linearity frames of one quadrant from its signals (pure). Roles from the script
/// columns' comments (`column_comments`: label -> `BGD` / `STAB` / `Fluence<i>`) when every
/// frame's column names one, else from the filters and exposure times (0 s background, the
/// most repeated (filter, time) = stability, others fluence); see
/// [`vison_flat::nonlin::classify_frames_by_column`]. NL02's 50 % column at 880 nm has the
/// stability frames' filter and time and is told apart by its column only.
///
/// Each frame keeps its filter: the fit puts the filters (NL02: open filter and 880 nm, ~10x
/// apart in flux) on one fluence axis with a fitted flux ratio per filter.
///
/// The fluence axis uses the actual exposure times of the chamber shutter calibration (OGSE
/// product): its commanded-to-actual offsets (0-30 ms, not constant) would otherwise appear as
/// a ~0.1 % detector non-linearity.
pub fn nl_frames(
    signals: &[&NlSignal],
    shutter: &ShutterCalibration,
    column_comments: &BTreeMap<String, String>,
) -> Vec<NonlinFrame> {
    let filters: Vec<i64> = signals.iter().map(|s| s.wave.unwrap_or(-1)).collect();
    let exptimes: Vec<f64> = signals.iter().map(|s| s.exptime_s).collect();
    let comments: Vec<Option<&str>> = signals
        .iter()
        .map(|s| column_comments.get(&s.label).map(String::as_str))
        .collect();
    let roles = classify_frames_by_column(&filters, &exptimes, &comments);
    signals
        .iter()
        .zip(roles)
        .zip(filters)
        .map(|((s, role), filter)| NonlinFrame {
            role,
            exptime_s: shutter.actual_exptime_s(s.exptime_s),
            time_s: s.time_s,
            signal_adu: s.signal_adu,
            signal_err_adu: s.signal_err_adu,
            filter,
        })
        .collect()
}

/// Comments of the script columns of a test by label (`col001` -> `BGD`), from its definition
/// (empty when the definition is not available).
fn column_comments(env: &TaskEnv<'_>) -> BTreeMap<String, String> {
    let sel = env.cfg.select_for(&env.test);
    let Ok(def) = crate::framework::data::test_definition(&env.test, &sel, env.elvis) else {
        return BTreeMap::new();
    };
    def.columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.get("comments")
                .and_then(|v| v.as_str())
                .map(|t| (vison_testdefs::TestDef::column_label(i), t.to_string()))
        })
        .collect()
}

/// Image-area signal of every usable frame and quadrant of a test.
pub(crate) fn measure_signals(env: &TaskEnv<'_>, st: &TaskState) -> Result<Vec<NlSignal>> {
    let mut jobs = Vec::new();
    for ccd in 1..=3u8 {
        jobs.extend(exposures(st, ccd)?.into_iter().map(|e| (ccd, e)));
    }
    let out: Vec<Result<Vec<NlSignal>>> = jobs
        .par_iter()
        .map(|(ccd, e)| {
            let f = calibrated(e, env)?;
            Ok(Quadrant::ALL
                .into_iter()
                .map(|q| {
                    let img = image_area(&f, q, e.check.rows);
                    let s = clipped_stats(img.view(), None, 4.0, 5);
                    NlSignal {
                        obsid: e.obsid,
                        ccd: *ccd,
                        quadrant: q.name().to_string(),
                        exptime_s: e.exptime_s,
                        time_s: e.time_s,
                        signal_adu: s.mean,
                        signal_err_adu: s.std / (s.n.max(1) as f64).sqrt(),
                        wave: e.wave,
                        label: e.label.clone(),
                    }
                })
                .collect())
        })
        .collect();
    let mut signals = Vec::new();
    for r in out {
        signals.extend(r?);
    }
    Ok(signals)
}

/// NL01 / NL02.
#[derive(Debug, Clone)]
pub struct NlTask {
    name: String,
}

impl NlTask {
    /// An NL task named `name`.
    pub fn new(name: &str) -> Self {
        NlTask {
            name: name.to_string(),
        }
    }

    fn signals_step(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let signals = measure_signals(env, st)?;
        let v = serde_json::to_value(NlSignals { signals })
            .map_err(|e| Error::step(&self.name, "signals", e))?;
        Ok((v, Flags::new()))
    }

    fn fit_step(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let sig: NlSignals = st
            .step("signals")?
            .ok_or_else(|| Error::step(&self.name, "fit", "signals step missing"))?;
        let cfg = NonlinConfig::default();
        let shutter = env.cfg.shutter_calibration()?;
        let comments = column_comments(env);
        let mut flags = Flags::new();
        let mut ccds: BTreeMap<String, BTreeMap<String, NonlinResult>> = BTreeMap::new();
        for ccd in 1..=3u8 {
            for q in Quadrant::ALL {
                let sel: Vec<&NlSignal> = sig
                    .signals
                    .iter()
                    .filter(|s| s.ccd == ccd && s.quadrant == q.name())
                    .collect();
                if sel.is_empty() {
                    continue;
                }
                match fit_nonlinearity(&nl_frames(&sel, &shutter, &comments), &cfg) {
                    Ok(r) => {
                        if r.quality != FitQuality::Ok {
                            flags.raise(
                                Flag::POORQUALDATA,
                                format!(
                                    "CCD{ccd} {}: non-linearity fit {:?}: {}",
                                    q.name(),
                                    r.quality,
                                    r.notes.join("; ")
                                ),
                            );
                        }
                        ccds.entry(format!("CCD{ccd}"))
                            .or_default()
                            .insert(q.name().to_string(), r);
                    }
                    Err(e) => flags.raise(
                        Flag::BADDATAPROD,
                        format!("CCD{ccd} {}: non-linearity not fitted: {e}", q.name()),
                    ),
                }
            }
        }
        let product = format!("products/EUC_NLCORR_{}.json", self.name);
        let corr: BTreeMap<String, BTreeMap<String, &vison_flat::nonlin::NonlinCorrection>> = ccds
            .iter()
            .map(|(c, qs)| {
                (
                    c.clone(),
                    qs.iter().map(|(q, r)| (q.clone(), &r.correction)).collect(),
                )
            })
            .collect();
        crate::framework::atomic::write_json_atomic(&env.test_dir.join(&product), &corr)?;
        let v = serde_json::to_value(NlFits { ccds, product })
            .map_err(|e| Error::step(&self.name, "fit", e))?;
        Ok((v, flags))
    }
}

impl Task for NlTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        &["signals", "fit"]
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        match step {
            "signals" => self.signals_step(env, state),
            "fit" => self.fit_step(env, state),
            other => Err(Error::step(&self.name, other, "unknown step")),
        }
    }

    fn summarize(&self, _env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis> {
        let mut a = Analysis::default();
        if let Some(f) = state.step::<NlFits>("fit")? {
            a.products.push((
                f.product.clone(),
                "non-linearity correction polynomials per CCD and quadrant (JSON)".into(),
            ));
            for (ccd, qs) in &f.ccds {
                for (q, r) in qs {
                    let m = a.quad_mut(ccd, q);
                    m.insert("nl_max_abs_pc".into(), r.max_abs_nonlin_pc);
                    m.insert("nl_signal_at_max_adu".into(), r.signal_at_max_nonlin_adu);
                    m.insert("nl_rms_residual_frac".into(), r.rms_residual_frac);
                    m.insert("nl_stability_pc".into(), r.stability_pc);
                    // Several filters (NL02): each one's flux relative to the reference filter.
                    for fs in r
                        .filter_scales
                        .iter()
                        .filter(|f| f.filter != r.reference_filter)
                    {
                        m.insert(
                            format!(
                                "nl_flux_ratio_filter{}_to_{}",
                                fs.filter, r.reference_filter
                            ),
                            fs.scale,
                        );
                    }
                    for s in [10_000.0, 30_000.0, 50_000.0] {
                        m.insert(
                            format!("nl_frac_at_{}_adu", s as u64),
                            r.correction.nonlin_frac(s),
                        );
                    }
                }
            }
        }
        Ok(a)
    }

    fn report_sections(
        &self,
        env: &TaskEnv<'_>,
        state: &TaskState,
        _a: &Analysis,
    ) -> Result<Vec<vison_report::Section>> {
        use vison_report::{Block, PlotGrid, Section as RSection, Series, SeriesStyle, XyPlot};
        let mut s = RSection::new("Non-linearity");
        match state.step::<NlFits>("fit")? {
            Some(f) => {
                let mut grid = PlotGrid::new(format!("{}: non-linearity", self.name), 3);
                for ccd in 1..=3u8 {
                    let mut p =
                        XyPlot::new(format!("CCD{ccd}"), "signal [ADU]", "non-linearity [%]");
                    if let Some(qs) = f.ccds.get(&format!("CCD{ccd}")) {
                        for (q, r) in qs {
                            let (x, y): (Vec<f64>, Vec<f64>) = r
                                .points
                                .iter()
                                .filter(|p| p.used)
                                .map(|p| (p.signal_adu, 100.0 * p.nonlin_frac))
                                .unzip();
                            p = p.with_series(Series::new(
                                q.clone(),
                                x,
                                y,
                                SeriesStyle::LinePoints,
                            ));
                        }
                    }
                    grid = grid.with_panel(p);
                }
                s.push(figure(
                    env,
                    "nonlinearity",
                    "Fractional non-linearity (S - c0) / (c1 x) - 1 of the drift-corrected \
                     fluence frames against signal, per CCD (panels) and quadrant (series).",
                    Plot::Grid(grid),
                    1500,
                    450,
                ));
            }
            None => s.push(Block::Paragraph("The non-linearity was not fitted.".into())),
        }
        Ok(vec![s])
    }
}
