//! The `check` step (reference 4.1 `check_data`): per frame and quadrant offsets, noise,
//! saturation and lost pixels, then flags and compliance against the performance limits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use vison_ccd::{Quadrant, read_frame};

use crate::error::Result;
use crate::framework::analysis::{ComplianceEntry, ComplianceTable};
use crate::framework::data::FrameRef;
use crate::framework::flags::{Flag, Flags};
use crate::framework::registry::FrameKind;
use crate::framework::state::{CheckState, FrameCheck, IngestState};
use crate::framework::task::TaskEnv;
use vison_ccd::quadcheck::{QuadCheck, check_quadrant, read_rows};

fn check_frame(
    fr: &FrameRef,
    obsid: i64,
    exptime_s: f64,
    vstart: i64,
    vend: i64,
    env: &TaskEnv<'_>,
) -> FrameCheck {
    let mut out = FrameCheck {
        obsid,
        ccd: fr.ccd,
        file_name: fr.file_name.clone(),
        exptime_s,
        usable: false,
        error: None,
        geometry: None,
        rows: (0, 0),
        quads: BTreeMap::new(),
    };
    if !fr.on_disk {
        out.error = Some("file not on disk".into());
        return out;
    }
    match read_frame(&fr.path) {
        Ok(frame) => {
            let rows = read_rows(&frame.geometry, vstart, vend);
            out.rows = rows;
            out.geometry = Some(frame.geometry);
            out.usable = true;
            for q in Quadrant::ALL {
                out.quads.insert(
                    q.name().to_string(),
                    check_quadrant(&frame, q, rows, &env.cfg.preprocessing.level_method()),
                );
            }
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}

/// Runs the checks over every frame of the test (parallel over frames).
pub(crate) fn run_check(env: &TaskEnv<'_>, ingest: &IngestState) -> Result<CheckState> {
    let jobs: Vec<(&FrameRef, i64, f64, i64, i64)> = ingest
        .exposures
        .iter()
        .flat_map(|e| {
            e.frames
                .iter()
                .map(move |f| (f, e.obsid, e.exptime_s, e.vstart, e.vend))
        })
        .collect();
    let total = jobs.len() as u64;
    let done = AtomicU64::new(0);
    let frames: Vec<FrameCheck> = jobs
        .par_iter()
        .map(|(f, obsid, t, vs, ve)| {
            let r = check_frame(f, *obsid, *t, *vs, *ve, env);
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            env.step_progress("check", d, total);
            r
        })
        .collect();
    let mut st = CheckState {
        frames,
        compliance: BTreeMap::new(),
        flags: Flags::new(),
    };
    evaluate(&mut st, env);
    Ok(st)
}

/// Per-frame limits -> flags with reasons (aggregated per CCD/quadrant), and the compliance
/// tables (mean over exposures per CCD/quadrant).
fn evaluate(st: &mut CheckState, env: &TaskEnv<'_>) {
    let kind = env.frames;
    let lim = &env.cfg.limits;
    let mut flags = Flags::new();
    for f in &st.frames {
        if f.error.is_some() && f.error.as_deref() != Some("file not on disk") {
            flags.raise(
                Flag::BADDATA,
                format!(
                    "ObsID {} CCD{}: {} unreadable, excluded: {}",
                    f.obsid,
                    f.ccd,
                    f.file_name,
                    f.error.as_deref().unwrap_or_default()
                ),
            );
        }
    }
    // (name, flags, description, unit, value fn, limits fn(ccd, q), frames checked)
    type Lims<'b> = Box<dyn Fn(u8, &str) -> (f64, f64) + 'b>;
    type Frames<'b> = Box<dyn Fn(&FrameCheck) -> bool + 'b>;
    type Check<'b> = (
        &'static str,
        Vec<Flag>,
        &'static str,
        &'static str,
        fn(&QuadCheck) -> f64,
        Lims<'b>,
        Frames<'b>,
    );
    let all = || -> Frames<'_> { Box::new(|_| true) };
    let tol = lim.offset_tolerance_adu;
    let block = &env.block;
    let checks: Vec<Check<'_>> = {
        let mut v: Vec<Check<'_>> = vec![
            (
                "offset_prescan",
                vec![Flag::POORQUALDATA],
                "prescan offset vs expected offset of the block +- tolerance",
                "ADU",
                |q| q.offset_pre_adu,
                Box::new(move |c, q| {
                    let e = block.expected_adu(c, q);
                    (e - tol, e + tol)
                }),
                all(),
            ),
            (
                "gradient_overscan",
                vec![Flag::POORQUALDATA],
                "overscan minus prescan offset",
                "ADU",
                |q| q.offset_ove_adu - q.offset_pre_adu,
                Box::new(move |_, _| (lim.gradient_adu[0], lim.gradient_adu[1])),
                all(),
            ),
            (
                "ron_prescan",
                vec![Flag::RON_OOL],
                "read noise of the prescan",
                "ADU",
                |q| q.ron_pre_adu,
                Box::new(move |_, _| (lim.ron_adu[0], lim.ron_adu[1])),
                all(),
            ),
            (
                "saturation",
                vec![Flag::SATURATION, Flag::POORQUALDATA],
                "saturated fraction of the image area",
                "fraction",
                |q| q.saturated_frac,
                Box::new(move |_, _| (lim.saturation_frac[0], lim.saturation_frac[1])),
                all(),
            ),
        ];
        if kind == FrameKind::Dark {
            v.push((
                "fluence_image",
                vec![Flag::FLUENCE_OOL, Flag::POORQUALDATA],
                "image median minus mean of prescan and overscan offsets",
                "ADU",
                |q| q.offset_img_adu - 0.5 * (q.offset_pre_adu + q.offset_ove_adu),
                Box::new(move |_, _| (lim.dark_fluence_img_adu[0], lim.dark_fluence_img_adu[1])),
                all(),
            ));
        }
        // Reference 4.1/4.2: the image offset (img - pre gradient) is a check of bias frames
        // only; on exposed frames the image holds the signal.
        if st.frames.iter().any(|f| kind.image_is_bias(f.exptime_s)) {
            v.push((
                "gradient_image",
                vec![Flag::POORQUALDATA],
                "image minus prescan offset (bias frames)",
                "ADU",
                |q| q.offset_img_adu - q.offset_pre_adu,
                Box::new(move |_, _| (lim.gradient_adu[0], lim.gradient_adu[1])),
                Box::new(move |f: &FrameCheck| kind.image_is_bias(f.exptime_s)),
            ));
        }
        v
    };
    for (name, fl, desc, unit, value, lims, checked) in &checks {
        let mut table = ComplianceTable {
            description: desc.to_string(),
            unit: unit.to_string(),
            ccds: BTreeMap::new(),
        };
        for ccd in 1..=3u8 {
            for q in Quadrant::ALL {
                let qn = q.name();
                let (lo, hi) = lims(ccd, qn);
                let vals: Vec<(i64, f64)> = st
                    .usable(ccd)
                    .filter(|f| checked(f))
                    .filter_map(|f| f.quads.get(qn).map(|c| (f.obsid, value(c))))
                    .collect();
                if vals.is_empty() {
                    continue;
                }
                let bad: Vec<&(i64, f64)> = vals
                    .iter()
                    .filter(|(_, v)| !(v.is_finite() && *v >= lo && *v <= hi))
                    .collect();
                if !bad.is_empty() {
                    let list: Vec<String> = bad
                        .iter()
                        .take(5)
                        .map(|(o, v)| format!("{o}: {v:.4}"))
                        .collect();
                    let more = if bad.len() > 5 { ", ..." } else { "" };
                    for f in fl {
                        flags.raise(
                            *f,
                            format!(
                                "CCD{ccd} {qn}: {desc} outside [{lo:.4}, {hi:.4}] {unit} in {} of {} exposures (ObsID: value {}{more})",
                                bad.len(),
                                vals.len(),
                                list.join(", ")
                            ),
                        );
                    }
                }
                let finite: Vec<f64> = vals.iter().map(|x| x.1).filter(|x| x.is_finite()).collect();
                let mean = if finite.is_empty() {
                    f64::NAN
                } else {
                    finite.iter().sum::<f64>() / finite.len() as f64
                };
                table.ccds.entry(format!("CCD{ccd}")).or_default().insert(
                    qn.to_string(),
                    ComplianceEntry::check(mean, lo, hi, bad.is_empty()),
                );
            }
        }
        st.compliance.insert(name.to_string(), table);
    }
    for f in st.frames.iter().filter(|f| f.usable) {
        for (qn, c) in &f.quads {
            if c.n_lost > 0 {
                flags.raise(
                    Flag::LOSTPIXELS,
                    format!(
                        "ObsID {} CCD{} {qn}: {} lost (0 ADU) pixels in the image area",
                        f.obsid, f.ccd, c.n_lost
                    ),
                );
            }
        }
    }
    st.flags = flags;
}
