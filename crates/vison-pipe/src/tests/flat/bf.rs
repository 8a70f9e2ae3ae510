//! BF01 (reference 4.12, 6.6): brighter-fatter from the covariances of flat pairs against
//! fluence. The PTC steps ([`crate::tests::flat::ptc`]) measure covariances up to [`BF_MAX_LAG_PX`] and fit
//! the full covariance model (a_ij per lag); the `g15` step fits the Guyonnet et al. (2015)
//! smooth electrostatic model to the a-matrix and derives the LSST (Coulton et al. 2018)
//! correction kernel for comparison.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::framework::analysis::Analysis;
use crate::framework::flags::{Flag, Flags};
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv};
use crate::tests::flat::ptc::{PtcFits, PtcPairs, PtcTask, gains_table, ptc_figure, ptc_figures};

/// Largest covariance lag measured by BF01, px.
pub const BF_MAX_LAG_PX: usize = 4;
/// Side of the LSST kernel, px.
pub const BF_KERNEL_SIZE_PX: usize = 9;

/// G15 model of one quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuadBf {
    /// a-matrix of the covariance model, row-major over lags (i, j) in 0..side, 1/e-.
    #[serde(deserialize_with = "vison_stdx::nan::vec_f64")]
    pub a_per_e: Vec<f64>,
    /// Side of `a_per_e`.
    pub side: usize,
    /// G15 smooth model amplitude p0 (pixel widths per electron) and its error.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub p0: f64,
    /// Error of p0.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub p0_err: f64,
    /// G15 radial scale p1 (1/px) and its error.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub p1: f64,
    /// Error of p1.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub p1_err: f64,
    /// a00 of the smooth model, 1/e-.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub a00_smooth_per_e: f64,
    /// Centre value of the LSST kernel, px^2/e- (NaN if not built).
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub kernel_centre: f64,
}

/// State of the `g15` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BfModels {
    /// Per CCD and quadrant.
    pub ccds: BTreeMap<String, BTreeMap<String, QuadBf>>,
}

/// G15 smooth model and LSST kernel from an a-matrix (pure).
pub fn bf_model(a_per_e: &[f64], side: usize) -> std::result::Result<QuadBf, String> {
    let fit = vison_g15::fit_smooth_model(a_per_e, side, None).map_err(|e| e.to_string())?;
    let smooth = vison_g15::BoundaryShifts::smooth_model(fit.p0, fit.p1, side);
    let kernel_centre = vison_g15::lsst_kernel(a_per_e, side, BF_KERNEL_SIZE_PX)
        .map(|k| k[[BF_KERNEL_SIZE_PX / 2, BF_KERNEL_SIZE_PX / 2]])
        .unwrap_or(f64::NAN);
    Ok(QuadBf {
        a_per_e: a_per_e.to_vec(),
        side,
        p0: fit.p0,
        p0_err: fit.p0_err,
        p1: fit.p1,
        p1_err: fit.p1_err,
        a00_smooth_per_e: smooth.a_matrix().first().copied().unwrap_or(f64::NAN),
        kernel_centre,
    })
}

/// BF01 (any suffix).
#[derive(Debug, Clone)]
pub struct BfTask {
    ptc: PtcTask,
    name: String,
}

impl BfTask {
    /// A BF task named `name`.
    pub fn new(name: &str) -> Self {
        BfTask {
            ptc: PtcTask::new(name, BF_MAX_LAG_PX),
            name: name.to_string(),
        }
    }

    fn g15_step(&self, st: &TaskState) -> Result<(Value, Flags)> {
        let fits: PtcFits = st
            .step("fit")?
            .ok_or_else(|| Error::step(&self.name, "g15", "fit step missing"))?;
        let mut flags = Flags::new();
        let mut ccds: BTreeMap<String, BTreeMap<String, QuadBf>> = BTreeMap::new();
        for (ccd, qs) in &fits.ccds {
            for (q, f) in qs {
                let Some(c) = &f.cov_model else { continue };
                match bf_model(&c.a_per_e, c.max_lag_px + 1) {
                    Ok(m) => {
                        ccds.entry(ccd.clone()).or_default().insert(q.clone(), m);
                    }
                    Err(e) => flags.raise(
                        Flag::BADDATAPROD,
                        format!("{ccd} {q}: G15 model not fitted: {e}"),
                    ),
                }
            }
        }
        let v = serde_json::to_value(BfModels { ccds })
            .map_err(|e| Error::step(&self.name, "g15", e))?;
        Ok((v, flags))
    }
}

impl Task for BfTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        &["pairs", "fit", "g15"]
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        match step {
            "g15" => self.g15_step(state),
            other => self.ptc.run_step(other, env, state),
        }
    }

    fn summarize(&self, _env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis> {
        let mut a = Analysis::default();
        if let Some(f) = state.step::<PtcFits>("fit")? {
            ptc_figures(&f, &mut a);
        }
        if let Some(m) = state.step::<BfModels>("g15")? {
            for (ccd, qs) in &m.ccds {
                for (q, b) in qs {
                    let e = a.quad_mut(ccd, q);
                    e.insert("g15_p0".into(), b.p0);
                    e.insert("g15_p1_per_px".into(), b.p1);
                    e.insert("a00_g15_smooth_per_e".into(), b.a00_smooth_per_e);
                    e.insert("lsst_kernel_centre".into(), b.kernel_centre);
                }
            }
            if let Ok(v) = serde_json::to_value(&m) {
                a.details.insert("bf_models".into(), v);
            }
        }
        Ok(a)
    }

    fn report_sections(
        &self,
        env: &TaskEnv<'_>,
        state: &TaskState,
        a: &Analysis,
    ) -> Result<Vec<vison_report::Section>> {
        use vison_report::{Block, Cell, DataTable, Section as RSection};
        let mut s = RSection::new("Covariances and the brighter-fatter model");
        if let Some(pp) = state.step::<PtcPairs>("pairs")? {
            s.push(ptc_figure(
                env,
                &self.name,
                "Photon transfer curves of the BF01 pairs (variance against mean).",
                &pp,
            ));
        }
        s.push(gains_table(a));
        match state.step::<BfModels>("g15")? {
            Some(m) => {
                let mut t = DataTable::new(
                    "a-matrix (first lags) and G15 smooth model per quadrant",
                    [
                        "CCD",
                        "Q",
                        "a00 [1/e-]",
                        "a01",
                        "a10",
                        "a11",
                        "p0",
                        "p1 [1/px]",
                    ],
                );
                for (ccd, qs) in &m.ccds {
                    for (q, b) in qs {
                        let at = |i: usize, j: usize| {
                            b.a_per_e.get(i * b.side + j).copied().unwrap_or(f64::NAN)
                        };
                        t.push_row(vec![
                            Cell::text(ccd.clone()),
                            Cell::text(q.clone()),
                            Cell::number(at(0, 0)),
                            Cell::number(at(0, 1)),
                            Cell::number(at(1, 0)),
                            Cell::number(at(1, 1)),
                            Cell::number(b.p0),
                            Cell::number(b.p1),
                        ]);
                    }
                }
                s.push(t);
            }
            None => s.push(Block::Paragraph("The G15 model was not fitted.".into())),
        }
        Ok(vec![s])
    }
}
