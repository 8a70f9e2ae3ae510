//! The `check` step (reference 4.1 `check_data`): per frame and quadrant offsets, noise,
//! saturation and lost pixels, then flags and compliance against the performance limits.

use std::collections::{BTreeMap, BTreeSet};

/// Expected fluence (fraction of full well) from which an exposure saturates by design.
const SATURATING_FLUENCE: f64 = 0.9;
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

/// What the EXP_LOG says of a frame, to be checked against its file name and header.
struct Expected<'a> {
    obsid: i64,
    exptime_s: f64,
    test: &'a str,
    vstart: i64,
    vend: i64,
}

/// The first disagreement between a frame's file name or header and its EXP_LOG row (ObsID,
/// CCD, test name, exposure time), if any. Keys absent from the header are not compared.
fn header_mismatch(frame: &vison_ccd::Frame, fr: &FrameRef, exp: &Expected<'_>) -> Option<String> {
    if let Ok(n) = vison_explog::parse_fits_file_name(&fr.file_name) {
        if n.obsid != exp.obsid {
            return Some(format!(
                "file name says ObsID {}, the EXP_LOG {}",
                n.obsid, exp.obsid
            ));
        }
        if n.ccd.is_some_and(|c| c != fr.ccd) {
            return Some(format!(
                "file name says CCD{}, the EXP_LOG CCD{}",
                n.ccd.unwrap_or_default(),
                fr.ccd
            ));
        }
    }
    let h = &frame.header;
    if let Some(o) = h.get_i64("OBSID")
        && o != exp.obsid
    {
        return Some(format!("header OBSID {o}, EXP_LOG ObsID {}", exp.obsid));
    }
    let ccd_tag = format!("CCD{}", fr.ccd);
    if frame.extname.contains("CCD") && !frame.extname.ends_with(&ccd_tag) {
        return Some(format!("EXTNAME {} for {ccd_tag}", frame.extname));
    }
    if let Some(t) = h.get_str("TEST")
        && t.trim() != exp.test
    {
        return Some(format!(
            "header TEST {}, EXP_LOG test {}",
            t.trim(),
            exp.test
        ));
    }
    if let Some(t) = h.get_f64("EXPTIME")
        && exp.exptime_s.is_finite()
        && (t - exp.exptime_s).abs() > 1e-3 + 1e-3 * exp.exptime_s.abs()
    {
        return Some(format!("header EXPTIME {t} s, EXP_LOG {} s", exp.exptime_s));
    }
    None
}

fn check_frame(fr: &FrameRef, exp: &Expected<'_>, env: &TaskEnv<'_>) -> FrameCheck {
    let (obsid, exptime_s, vstart, vend) = (exp.obsid, exp.exptime_s, exp.vstart, exp.vend);
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
        Ok(frame) if let Some(why) = header_mismatch(&frame, fr, exp) => {
            out.error = Some(format!("inconsistent with its EXP_LOG row: {why}"));
        }
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
    let test = ingest.explog_test.as_str();
    let jobs: Vec<(&FrameRef, Expected<'_>)> = ingest
        .exposures
        .iter()
        .flat_map(|e| {
            e.frames.iter().map(move |f| {
                let exp = Expected {
                    obsid: e.obsid,
                    exptime_s: e.exptime_s,
                    test,
                    vstart: e.vstart,
                    vend: e.vend,
                };
                (f, exp)
            })
        })
        .collect();
    let total = jobs.len() as u64;
    let done = AtomicU64::new(0);
    let mut frames: Vec<FrameCheck> = jobs
        .par_iter()
        .map(|(f, exp)| {
            let r = check_frame(f, exp, env);
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            env.step_progress("check", d, total);
            r
        })
        .collect();
    exclude_odd_geometry(&mut frames);
    // Exposures the script takes at or beyond 90 % of full well saturate by design (PTC/NL
    // tops, persistence spots): the saturation check is for the others.
    let saturating: BTreeSet<i64> = ingest
        .exposures
        .iter()
        .filter(|e| e.fluence_frac.is_some_and(|f| f >= SATURATING_FLUENCE))
        .map(|e| e.obsid)
        .collect();
    let mut st = CheckState {
        frames,
        compliance: BTreeMap::new(),
        flags: Flags::new(),
    };
    evaluate(&mut st, env, &saturating);
    Ok(st)
}

/// Frames whose geometry differs from the one most of the test's frames have are excluded
/// (their error says both), so that no stack or pair mixes shapes.
fn exclude_odd_geometry(frames: &mut [FrameCheck]) {
    let mut counts: Vec<(vison_ccd::FrameGeometry, usize)> = Vec::new();
    for g in frames.iter().filter_map(|f| f.geometry) {
        match counts.iter_mut().find(|(h, _)| *h == g) {
            Some(c) => c.1 += 1,
            None => counts.push((g, 1)),
        }
    }
    let Some(&(common, _)) = counts.iter().max_by_key(|c| c.1) else {
        return;
    };
    for f in frames.iter_mut() {
        if let Some(g) = f.geometry
            && g != common
        {
            f.usable = false;
            f.error = Some(format!(
                "geometry {} x {} px (prescan {}, overscan {}) differs from the test's other frames ({} x {} px, prescan {}, overscan {})",
                g.naxis1(),
                g.naxis2(),
                g.prescan_px,
                g.overscan_px,
                common.naxis1(),
                common.naxis2(),
                common.prescan_px,
                common.overscan_px
            ));
        }
    }
}

/// Limits of a check for a CCD and quadrant name.
type Lims<'b> = Box<dyn Fn(u8, &str) -> (f64, f64) + 'b>;
/// Which frames a check applies to.
type Frames<'b> = Box<dyn Fn(&FrameCheck) -> bool + 'b>;

/// One per-quadrant check of the frames against limits (one compliance table).
struct Check<'b> {
    name: &'static str,
    flags: Vec<Flag>,
    description: &'static str,
    unit: &'static str,
    value: fn(&QuadCheck) -> f64,
    lims: Lims<'b>,
    frames: Frames<'b>,
}

impl<'b> Check<'b> {
    /// A check of every usable frame.
    fn new(
        name: &'static str,
        flags: Vec<Flag>,
        description: &'static str,
        unit: &'static str,
        value: fn(&QuadCheck) -> f64,
        lims: Lims<'b>,
    ) -> Self {
        Check {
            name,
            flags,
            description,
            unit,
            value,
            lims,
            frames: Box::new(|_| true),
        }
    }

    /// Restricted to the frames `frames` accepts.
    fn only(mut self, frames: Frames<'b>) -> Self {
        self.frames = frames;
        self
    }
}

/// Per-frame limits -> flags with reasons (aggregated per CCD/quadrant), and the compliance
/// tables (mean over exposures per CCD/quadrant).
fn evaluate(st: &mut CheckState, env: &TaskEnv<'_>, saturating: &BTreeSet<i64>) {
    let mut flags = Flags::new();
    flag_unreadable(st, &mut flags);
    let checks = checks_of(st, env, saturating);
    for c in &checks {
        let table = apply_check(st, c, &mut flags);
        st.compliance.insert(c.name.to_string(), table);
    }
    flag_lost_pixels(st, &mut flags);
    st.flags = flags;
}

/// BADDATA for every frame that is on disk but could not be read or is inconsistent.
fn flag_unreadable(st: &CheckState, flags: &mut Flags) {
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
}

/// Three relative standard errors of a prescan RON estimate. The prescan RON of one exposure
/// is known to 1/sqrt(2 n) relative (n pixels of the trimmed prescan): on small frames a RON
/// just inside the limits would be flagged by chance, so the limits are widened by three of
/// these (negligible at full size: 0.2 %).
fn ron_rel_err3(st: &CheckState, env: &TaskEnv<'_>) -> f64 {
    st.frames
        .iter()
        .find(|f| f.usable)
        .and_then(|f| f.geometry.map(|g| (g, f.rows)))
        .map(|(g, rows)| {
            let trim = env.cfg.preprocessing.offset_trim;
            let cols = g.prescan_px.saturating_sub(trim[0] + trim[1]);
            let n = (rows.1.saturating_sub(rows.0) * cols).max(1);
            3.0 / (2.0 * n as f64).sqrt()
        })
        .unwrap_or(0.0)
}

/// The checks of the test's frames, in report order.
fn checks_of<'b>(
    st: &CheckState,
    env: &'b TaskEnv<'_>,
    saturating: &'b BTreeSet<i64>,
) -> Vec<Check<'b>> {
    let lim = &env.cfg.limits;
    let tol = lim.offset_tolerance_adu;
    let ron_err3 = ron_rel_err3(st, env);
    let block = &env.block;
    let mut v = vec![
        Check::new(
            "offset_prescan",
            vec![Flag::POORQUALDATA],
            "prescan offset vs expected offset of the block +- tolerance",
            "ADU",
            |q| q.offset_pre_adu,
            Box::new(move |c, q| {
                let e = block.expected_adu(c, q);
                (e - tol, e + tol)
            }),
        ),
        Check::new(
            "gradient_overscan",
            vec![Flag::POORQUALDATA],
            "overscan minus prescan offset",
            "ADU",
            |q| q.offset_ove_adu - q.offset_pre_adu,
            Box::new(move |_, _| (lim.gradient_adu[0], lim.gradient_adu[1])),
        ),
        Check::new(
            "ron_prescan",
            vec![Flag::RON_OOL],
            "read noise of the prescan (limits widened by 3 sigma of the estimate)",
            "ADU",
            |q| q.ron_pre_adu,
            Box::new(move |_, _| {
                (
                    lim.ron_adu[0] * (1.0 - ron_err3),
                    lim.ron_adu[1] * (1.0 + ron_err3),
                )
            }),
        ),
        Check::new(
            "saturation",
            vec![Flag::SATURATION, Flag::POORQUALDATA],
            "saturated fraction of the image area (exposures below 90 % of full well)",
            "fraction",
            |q| q.saturated_frac,
            Box::new(move |_, _| (lim.saturation_frac[0], lim.saturation_frac[1])),
        )
        .only(Box::new(move |f: &FrameCheck| {
            !saturating.contains(&f.obsid)
        })),
    ];
    v.extend(kind_checks(st, env));
    v
}

/// The checks that depend on the frame kind: the dark signal of darks, the image offset of
/// bias frames.
fn kind_checks<'b>(st: &CheckState, env: &'b TaskEnv<'_>) -> Vec<Check<'b>> {
    let kind = env.frames;
    let lim = &env.cfg.limits;
    let mut v = Vec::new();
    if kind == FrameKind::Dark {
        v.push(Check::new(
            "fluence_image",
            vec![Flag::FLUENCE_OOL, Flag::POORQUALDATA],
            "image median minus mean of prescan and overscan offsets",
            "ADU",
            |q| q.offset_img_adu - 0.5 * (q.offset_pre_adu + q.offset_ove_adu),
            Box::new(move |_, _| (lim.dark_fluence_img_adu[0], lim.dark_fluence_img_adu[1])),
        ));
    }
    // Reference 4.1/4.2: the image offset (img - pre gradient) is a check of bias frames
    // only; on exposed frames the image holds the signal.
    if st.frames.iter().any(|f| kind.image_is_bias(f.exptime_s)) {
        v.push(
            Check::new(
                "gradient_image",
                vec![Flag::POORQUALDATA],
                "image minus prescan offset (bias frames)",
                "ADU",
                |q| q.offset_img_adu - q.offset_pre_adu,
                Box::new(move |_, _| (lim.gradient_adu[0], lim.gradient_adu[1])),
            )
            .only(Box::new(move |f: &FrameCheck| {
                kind.image_is_bias(f.exptime_s)
            })),
        );
    }
    v
}

/// One check over the usable frames of every CCD and quadrant: its compliance table (mean of
/// the finite values against the limits), and a flag per quadrant with exposures outside.
fn apply_check(st: &CheckState, c: &Check<'_>, flags: &mut Flags) -> ComplianceTable {
    let mut table = ComplianceTable {
        description: c.description.to_string(),
        unit: c.unit.to_string(),
        ccds: BTreeMap::new(),
    };
    for ccd in 1..=3u8 {
        for q in Quadrant::ALL {
            let qn = q.name();
            let (lo, hi) = (c.lims)(ccd, qn);
            let vals: Vec<(i64, f64)> = st
                .usable(ccd)
                .filter(|f| (c.frames)(f))
                .filter_map(|f| f.quads.get(qn).map(|x| (f.obsid, (c.value)(x))))
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
                let (desc, unit) = (c.description, c.unit);
                for f in &c.flags {
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
            let mean = crate::framework::frames::finite_mean(&finite);
            table.ccds.entry(format!("CCD{ccd}")).or_default().insert(
                qn.to_string(),
                ComplianceEntry::check(mean, lo, hi, bad.is_empty()),
            );
        }
    }
    table
}

/// LOSTPIXELS for every usable frame quadrant with lost (0 ADU) image pixels.
fn flag_lost_pixels(st: &CheckState, flags: &mut Flags) {
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
}
