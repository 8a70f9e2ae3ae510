//! The machine-readable outputs of a test: `results.json` (deterministic: sorted maps, no
//! time stamps, no session paths) and `results.csv` (one row per exposure, CCD and quadrant),
//! plus the calls that write the figures and the report.

use std::collections::BTreeMap;

use serde_json::Value;
use vison_ccd::Quadrant;

use crate::error::{Error, Result};
use crate::framework::analysis::{Analysis, ExposureSummary, QuadFigures, TestResults};
use crate::framework::atomic::{write_atomic, write_json_atomic};
use crate::framework::flags::Flag;
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv, TaskOutcome};

fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// One figure of a quadrant's check record.
type QuadFigure = fn(&vison_ccd::quadcheck::QuadCheck) -> f64;

/// Generic figures from the check step, per CCD/quadrant.
fn check_figures(state: &TaskState) -> QuadFigures {
    let mut out = QuadFigures::new();
    let Some(chk) = state.check.as_ref() else {
        return out;
    };
    for ccd in 1..=3u8 {
        for q in Quadrant::ALL {
            let qn = q.name();
            let offs: Vec<f64> = chk
                .usable(ccd)
                .filter_map(|f| f.quads.get(qn).map(|c| c.offset_pre_adu))
                .filter(|x| x.is_finite())
                .collect();
            if offs.is_empty() {
                continue;
            }
            let n = offs.len() as f64;
            let mean = offs.iter().sum::<f64>() / n;
            let scatter = (offs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            let m = out
                .entry(format!("CCD{ccd}"))
                .or_default()
                .entry(qn.to_string())
                .or_default();
            m.insert("offset_adu".into(), mean);
            m.insert("offset_scatter_adu".into(), scatter);
            let means: [(&str, QuadFigure); 8] = [
                ("offset_image_adu", |c| c.offset_img_adu),
                ("offset_overscan_adu", |c| c.offset_ove_adu),
                ("std_prescan_adu", |c| c.std_pre_adu),
                ("std_image_adu", |c| c.std_img_adu),
                ("std_overscan_adu", |c| c.std_ove_adu),
                ("ron_prescan_adu", |c| c.ron_pre_adu),
                ("gradient_image_adu", |c| {
                    c.offset_img_adu - c.offset_pre_adu
                }),
                ("gradient_overscan_adu", |c| {
                    c.offset_ove_adu - c.offset_pre_adu
                }),
            ];
            for (key, f) in means {
                m.insert(key.into(), chk.mean_of(ccd, qn, f));
            }
            let max_sat = chk
                .usable(ccd)
                .filter_map(|f| f.quads.get(qn).map(|c| c.saturated_frac))
                .fold(0.0f64, f64::max);
            m.insert("saturated_frac_max".into(), max_sat);
            m.insert("n_exposures".into(), n);
        }
    }
    out
}

/// Builds `results.json` from the states and the task's analysis.
pub(crate) fn build_results(
    env: &TaskEnv<'_>,
    state: &TaskState,
    analysis: &Analysis,
    outcome: &TaskOutcome,
) -> TestResults {
    let mut compliance = state
        .check
        .as_ref()
        .map(|c| c.compliance.clone())
        .unwrap_or_default();
    compliance.extend(analysis.compliance.clone());
    TestResults {
        test: env.test.clone(),
        status: outcome.status.clone(),
        flags: outcome.flags.names(),
        flag_reasons: outcome.flags.clone(),
        flag_mask: outcome.flags.mask(),
        ccds: merged_figures(state, analysis),
        compliance,
        exposures: exposure_summaries(state),
        products: analysis.products.iter().map(|p| p.0.clone()).collect(),
        details: analysis.details.clone(),
        inputs: inputs_of(env, state),
    }
}

/// Figures per CCD and quadrant: the check step's, then the task's (which take precedence).
fn merged_figures(
    state: &TaskState,
    analysis: &Analysis,
) -> BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>> {
    let mut ccds: BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>> = BTreeMap::new();
    for src in [check_figures(state), analysis.ccds.clone()] {
        for (c, qs) in src {
            for (q, figs) in qs {
                let m = ccds.entry(c.clone()).or_default().entry(q).or_default();
                for (k, v) in figs {
                    m.insert(k, num(v));
                }
            }
        }
    }
    ccds
}

/// The exposures of the test with the CCDs that have a usable frame.
fn exposure_summaries(state: &TaskState) -> Vec<ExposureSummary> {
    let Some(i) = state.ingest.as_ref() else {
        return Vec::new();
    };
    i.exposures
        .iter()
        .map(|e| ExposureSummary {
            obsid: e.obsid,
            date: e.date.clone(),
            exptime_s: e.exptime_s,
            label: e.label.clone(),
            usable_ccds: state
                .check
                .as_ref()
                .map(|c| {
                    c.frames
                        .iter()
                        .filter(|f| f.obsid == e.obsid && f.usable)
                        .map(|f| f.ccd)
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// `inputs`: EXP_LOG selection, block, calibration inputs, gains, version and configuration.
fn inputs_of(env: &TaskEnv<'_>, state: &TaskState) -> BTreeMap<String, Value> {
    let mut inputs: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(i) = state.ingest.as_ref() {
        inputs.insert("elvis".into(), Value::String(i.elvis.clone()));
        inputs.insert("explog_test".into(), Value::String(i.explog_test.clone()));
        inputs.insert(
            "explog_files".into(),
            serde_json::to_value(&i.explog_files).unwrap_or(Value::Null),
        );
        inputs.insert(
            "structure".into(),
            serde_json::to_value(&i.structure).unwrap_or(Value::Null),
        );
    }
    inputs.insert("block".into(), Value::String(env.block.block.clone()));
    inputs.insert(
        "expected_offsets_source".into(),
        Value::String(env.block_source.clone()),
    );
    inputs.insert(
        "calibration".into(),
        serde_json::to_value(env.calibration_used()).unwrap_or(Value::Null),
    );
    inputs.insert(
        "gains_source".into(),
        Value::String(env.gains.source.clone()),
    );
    inputs.insert(
        "vison_pipe_version".into(),
        Value::String(env!("CARGO_PKG_VERSION").into()),
    );
    inputs.insert(
        "config".into(),
        serde_json::to_value(env.cfg).unwrap_or(Value::Null),
    );
    inputs
}

fn csv_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

/// The check columns of `results.csv`, after the identification columns.
const CSV_CHECK_COLUMNS: [&str; 10] = [
    "offset_prescan_adu",
    "offset_image_adu",
    "offset_overscan_adu",
    "std_prescan_adu",
    "std_image_adu",
    "std_overscan_adu",
    "ron_prescan_adu",
    "n_saturated",
    "n_lost",
    "saturated_frac",
];

/// The check values of a frame quadrant in [`CSV_CHECK_COLUMNS`] order (NaN when not checked).
fn csv_check_values(c: Option<&vison_ccd::quadcheck::QuadCheck>) -> Vec<f64> {
    match c {
        Some(c) => vec![
            c.offset_pre_adu,
            c.offset_img_adu,
            c.offset_ove_adu,
            c.std_pre_adu,
            c.std_img_adu,
            c.std_ove_adu,
            c.ron_pre_adu,
            c.n_saturated as f64,
            c.n_lost as f64,
            c.saturated_frac,
        ],
        None => vec![f64::NAN; CSV_CHECK_COLUMNS.len()],
    }
}

/// `results.csv`: one row per exposure, CCD and quadrant (RFC 4180 quoting by `csv`; empty
/// cells for NaN).
pub(crate) fn build_csv(
    env: &TaskEnv<'_>,
    state: &TaskState,
    analysis: &Analysis,
) -> Result<String> {
    let mut extra_cols: Vec<String> = analysis
        .per_exposure
        .values()
        .flat_map(|m| m.keys().cloned())
        .collect();
    extra_cols.sort();
    extra_cols.dedup();
    let path = env.test_dir.join("results.csv");
    let csv_err = |e: csv::Error| Error::Json {
        path: path.clone(),
        detail: format!("CSV: {e}"),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "test",
        "obsid",
        "ccd",
        "quadrant",
        "label",
        "exptime_s",
        "usable",
    ]
    .iter()
    .chain(CSV_CHECK_COLUMNS.iter())
    .map(|s| s.to_string())
    .collect();
    header.extend(extra_cols.iter().cloned());
    w.write_record(&header).map_err(csv_err)?;
    let labels: BTreeMap<i64, String> = state
        .ingest
        .as_ref()
        .map(|i| {
            i.exposures
                .iter()
                .map(|e| (e.obsid, e.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    for f in state.check.iter().flat_map(|c| &c.frames) {
        for q in Quadrant::ALL {
            let qn = q.name();
            let extra = analysis.per_exposure.get(&(f.obsid, f.ccd, qn.to_string()));
            let mut row = vec![
                env.test.clone(),
                f.obsid.to_string(),
                format!("CCD{}", f.ccd),
                qn.to_string(),
                labels.get(&f.obsid).cloned().unwrap_or_default(),
                csv_num(f.exptime_s),
                f.usable.to_string(),
            ];
            row.extend(csv_check_values(f.quads.get(qn)).into_iter().map(csv_num));
            row.extend(
                extra_cols.iter().map(|col| {
                    csv_num(extra.and_then(|m| m.get(col)).copied().unwrap_or(f64::NAN))
                }),
            );
            w.write_record(&row).map_err(csv_err)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| Error::Json {
        path: path.clone(),
        detail: format!("CSV: {e}"),
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The task's summary of its analyses (empty before the check step ran); a summary that fails
/// or panics crashes the test with the reason.
fn summarized(
    task: &dyn Task,
    env: &TaskEnv<'_>,
    state: &TaskState,
    outcome: &mut TaskOutcome,
) -> Analysis {
    if state.check.is_none() {
        return Analysis::default();
    }
    let failed =
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.summarize(env, state)))
        {
            Ok(Ok(a)) => return a,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "panic".to_string(),
        };
    let msg = format!("summary of the analyses failed: {failed}");
    env.log.line(tracing::Level::ERROR, &msg);
    outcome.flags.raise(Flag::SUBTASKCRASH, msg);
    outcome.status = "crashed".into();
    Analysis::default()
}

/// Writes `results.json`, `results.csv`, the figures and `report.html` of a test.
pub(crate) fn write_outputs(
    task: &dyn Task,
    env: &TaskEnv<'_>,
    state: &TaskState,
    outcome: &mut TaskOutcome,
) -> Result<()> {
    let mut analysis = summarized(task, env, state, outcome);
    // The report's tables see the check figures (prescan RON, offsets) too; the task's own
    // figures take precedence, as in results.json.
    for (c, qs) in check_figures(state) {
        for (q, figs) in qs {
            let m = analysis.quad_mut(&c, &q);
            for (k, v) in figs {
                m.entry(k).or_insert(v);
            }
        }
    }
    let results = build_results(env, state, &analysis, outcome);
    write_json_atomic(&env.test_dir.join("results.json"), &results)?;
    write_atomic(
        &env.test_dir.join("results.csv"),
        build_csv(env, state, &analysis)?.as_bytes(),
    )?;
    crate::framework::report::write_test_report(task, env, state, &analysis, &results)?;
    Ok(())
}
