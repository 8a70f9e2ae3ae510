//! Point-source tests (reference 4.13-4.14): FOCUS00 (focus curves, best focus per spot,
//! quadrant and CCD) and PSF01/PSF02/PSFLUX00 (spot flux linearity, size and shape against
//! fluence). Steps after ingest/check: `spots` (every spot of every usable frame located from
//! the chamber's OGSE pattern and measured with vison-point), then `focus` or `psf`.

pub(crate) mod focus;
pub(crate) mod psf;
pub(crate) mod spots;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::framework::analysis::Analysis;
use crate::framework::flags::Flags;
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv};

use focus::FocusState;
use psf::PsfState;
use spots::SpotsState;

/// Which analysis follows the `spots` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointKind {
    /// FOCUS00: focus curves.
    Focus,
    /// PSF01, PSF02, PSFLUX00: flux linearity, size and shape against fluence.
    Psf,
}

/// The task of a point-source test.
pub struct PointTask {
    name: String,
    kind: PointKind,
}

impl PointTask {
    /// The task of test `name`.
    pub fn new(name: &str, kind: PointKind) -> Self {
        PointTask {
            name: name.to_string(),
            kind,
        }
    }

    fn spots_state(&self, state: &TaskState) -> Result<SpotsState> {
        state
            .step::<SpotsState>("spots")?
            .ok_or_else(|| Error::step(&self.name, "spots", "no spots state"))
    }
}

/// Writes `figs` (quadrant -> key -> value) of each CCD into the analysis.
fn put(a: &mut Analysis, ccd: u8, q: &str, key: &str, v: f64) {
    a.quad_mut(&format!("CCD{ccd}"), q)
        .insert(key.to_string(), v);
}

fn summarize_focus(a: &mut Analysis, fs: &FocusState) {
    for (ccd, qs) in &fs.quads {
        for (q, v) in qs {
            let n: u8 = ccd.trim_start_matches("CCD").parse().unwrap_or(0);
            put(a, n, q, "best_focus_mm", *v);
        }
    }
    if let Ok(v) = serde_json::to_value(&fs.ccds) {
        a.details.insert("ccd_best_focus_mm".into(), v);
    }
    if let Ok(v) = serde_json::to_value(&fs.spots) {
        a.details.insert("focus_fits".into(), v);
    }
}

fn summarize_psf(a: &mut Analysis, ps: &PsfState) {
    let mut acc: std::collections::BTreeMap<(u8, String), Vec<&psf::SpotPsf>> = Default::default();
    for s in &ps.spots {
        acc.entry((s.ccd, s.quadrant.clone())).or_default().push(s);
    }
    for ((ccd, q), ss) in acc {
        let mean = |f: &dyn Fn(&psf::SpotPsf) -> f64| {
            crate::framework::frames::finite_mean(&ss.iter().map(|s| f(s)).collect::<Vec<_>>())
        };
        put(a, ccd, &q, "fwhm_px", mean(&|s| s.fwhm_ref_px));
        put(a, ccd, &q, "e1", mean(&|s| s.e1_ref));
        put(a, ccd, &q, "e2", mean(&|s| s.e2_ref));
        put(
            a,
            ccd,
            &q,
            "flux_slope_adu_per_s",
            mean(&|s| s.flux_slope_adu_per_s),
        );
        let worst = ss.iter().fold(f64::NAN, |m, s| m.max(s.lin_max_resid_frac));
        put(a, ccd, &q, "lin_max_resid_frac", worst);
    }
    a.details
        .insert("ref_exptime_s".into(), serde_json::json!(ps.ref_exptime_s));
    a.details
        .insert("ref_choice".into(), Value::String(ps.ref_choice.clone()));
    if let Ok(v) = serde_json::to_value(&ps.spots) {
        a.details.insert("psf_fits".into(), v);
    }
}

impl Task for PointTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        match self.kind {
            PointKind::Focus => &["spots", "focus"],
            PointKind::Psf => &["spots", "psf"],
        }
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        match step {
            "spots" => spots::spots_step(env, state),
            "focus" => focus::focus_step(env, &self.spots_state(state)?),
            "psf" => psf::psf_step(env, &self.spots_state(state)?),
            other => Err(Error::step(&self.name, other, "unknown step")),
        }
    }

    fn summarize(&self, _env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis> {
        let mut a = Analysis::default();
        let Some(sp) = state.step::<SpotsState>("spots")? else {
            return Ok(a);
        };
        a.details
            .insert("chamber".into(), Value::String(sp.chamber.clone()));
        if let Ok(v) = serde_json::to_value(&sp.rows) {
            a.details.insert("spots".into(), v);
        }
        if let Some(fs) = state.step::<FocusState>("focus")? {
            summarize_focus(&mut a, &fs);
        }
        if let Some(ps) = state.step::<PsfState>("psf")? {
            summarize_psf(&mut a, &ps);
        }
        Ok(a)
    }

    fn report_sections(
        &self,
        env: &TaskEnv<'_>,
        state: &TaskState,
        _a: &Analysis,
    ) -> Result<Vec<vison_report::Section>> {
        let Some(sp) = state.step::<SpotsState>("spots")? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if let Some(fs) = state.step::<FocusState>("focus")? {
            out.push(focus::report(env, &sp, &fs));
        }
        if let Some(ps) = state.step::<PsfState>("psf")? {
            out.push(psf::report(env, &sp, &ps)?);
        }
        Ok(out)
    }
}
