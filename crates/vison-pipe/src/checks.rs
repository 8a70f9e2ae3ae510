//! The `check` step (reference 4.1 `check_data`): per frame and quadrant offsets, noise,
//! saturation and lost pixels, then flags and compliance against the performance limits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use vison_ccd::{FrameGeometry, Quadrant, read_frame};

use crate::data::FrameRef;
use crate::error::Result;
use crate::flags::{Flag, Flags};
use crate::measure::{QuadCheck, check_quadrant, read_rows};
use crate::results::{ComplianceEntry, ComplianceTable};
use crate::task::{IngestState, TaskEnv};

/// Check statistics of one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameCheck {
    /// ObsID.
    pub obsid: i64,
    /// CCD (1..3).
    pub ccd: u8,
    /// File name.
    pub file_name: String,
    /// Exposure time, s.
    pub exptime_s: f64,
    /// False when the file is missing or unreadable (excluded from the analyses).
    pub usable: bool,
    /// Why the frame is not usable.
    pub error: Option<String>,
    /// Frame geometry (usable frames).
    pub geometry: Option<FrameGeometry>,
    /// Canonical image rows read out.
    pub rows: (usize, usize),
    /// Per quadrant (`E`..`H`).
    pub quads: BTreeMap<String, QuadCheck>,
}

/// State of the `check` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckState {
    /// One entry per frame listed in the EXP_LOG, ordered by ObsID then CCD.
    pub frames: Vec<FrameCheck>,
    /// Compliance tables (offsets, gradients, RON of the prescan, saturation, ...).
    pub compliance: BTreeMap<String, ComplianceTable>,
    /// Flags raised.
    pub flags: Flags,
}

impl CheckState {
    /// Usable frames of a CCD, in ObsID order.
    pub fn usable(&self, ccd: u8) -> impl Iterator<Item = &FrameCheck> {
        self.frames.iter().filter(move |f| f.usable && f.ccd == ccd)
    }

    /// Mean over the usable frames of a CCD of a per-quadrant figure.
    pub fn mean_of(&self, ccd: u8, q: &str, f: impl Fn(&QuadCheck) -> f64) -> f64 {
        let v: Vec<f64> = self
            .usable(ccd)
            .filter_map(|fr| fr.quads.get(q).map(&f))
            .filter(|x| x.is_finite())
            .collect();
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    }
}

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
                    check_quadrant(&frame, q, rows, &env.cfg.preprocessing),
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
    let is_dark = env.test.starts_with("DARK");
    let mut st = CheckState {
        frames,
        compliance: BTreeMap::new(),
        flags: Flags::new(),
    };
    evaluate(&mut st, env, is_dark);
    Ok(st)
}

/// Whether the image-minus-prescan offset check (+- the gradient limits) applies to a frame:
/// bias frames only (reference 4.1 "img for bias", 4.2), i.e. every frame of BIAS01/BIAS02 and
/// the zero-exposure frames of the other tests (e.g. the NL background frames); never the
/// exposed frames of the flat-field family, whose image holds the signal, nor DARK01 (its
/// image is checked against the dark fluence limits).
pub(crate) fn image_gradient_checked(test: &str, exptime_s: f64) -> bool {
    if test.starts_with("BIAS") {
        true
    } else if test.starts_with("DARK") {
        false
    } else {
        exptime_s == 0.0
    }
}

/// Per-frame limits -> flags with reasons (aggregated per CCD/quadrant), and the compliance
/// tables (mean over exposures per CCD/quadrant).
fn evaluate(st: &mut CheckState, env: &TaskEnv<'_>, is_dark: bool) {
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
        if is_dark {
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
        let test = env.test.as_str();
        if st
            .frames
            .iter()
            .any(|f| image_gradient_checked(test, f.exptime_s))
        {
            v.push((
                "gradient_image",
                vec![Flag::POORQUALDATA],
                "image minus prescan offset (bias frames)",
                "ADU",
                |q| q.offset_img_adu - q.offset_pre_adu,
                Box::new(move |_, _| (lim.gradient_adu[0], lim.gradient_adu[1])),
                Box::new(move |f: &FrameCheck| image_gradient_checked(test, f.exptime_s)),
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

#[cfg(test)]
mod tests {
    use super::image_gradient_checked;

    #[test]
    fn image_gradient_is_a_bias_frame_check() {
        assert!(image_gradient_checked("BIAS01", 0.0));
        assert!(image_gradient_checked("BIAS02", 0.0));
        assert!(!image_gradient_checked("DARK01", 565.0));
        // Flat family: exposed frames are not checked, zero-exposure (background) frames are.
        for t in [
            "FLAT01",
            "PTC02_590",
            "NL01",
            "NL02",
            "FLATFLUX00_800",
            "BF01",
        ] {
            assert!(!image_gradient_checked(t, 7.2), "{t}");
        }
        assert!(image_gradient_checked("NL02", 0.0));
    }
}
