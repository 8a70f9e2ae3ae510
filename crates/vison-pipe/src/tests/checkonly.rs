//! Tests validated against their script before their analysis lands (CHINJ, TP, FOCUS, PSF,
//! PERSIST, COSMETICS): the generic `check` step plus the quick statistics the reference
//! names for the family (reference 4.1, 4.4-4.8, 4.13-4.17): injection level of the injected
//! lines for CHINJ/TP, background, peak, flux and size of the brightest spot for the
//! point-source tests.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ccd::Quadrant;
use vison_ccd::quickstats::{injection_quick, spot_quick};

use crate::error::{Error, Result};
use crate::framework::analysis::Analysis;
use crate::framework::flags::Flags;
use crate::framework::frames::{calibrated, exposures, image_area};
use crate::framework::report::{Plot, figure, per_quadrant_vs_obsid};
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv};

/// Which quick statistics a family gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quick {
    /// The generic checks only.
    None,
    /// Injection level of the injected lines (CHINJ, TP).
    Injection,
    /// Brightest spot per quadrant (FOCUS, PSF, PERSIST).
    Spots,
}

/// Half-size of the spot stamp of the quick statistics, px.
const SPOT_HALF_PX: usize = 10;
/// Below this line median (ADU above the offset) nothing counts as injected.
const MIN_INJECTION_ADU: f64 = 20.0;

/// A test with the generic checks and quick statistics only.
pub struct CheckOnlyTask {
    name: String,
    quick: Quick,
}

impl CheckOnlyTask {
    /// The check-only task of test `name`.
    pub fn new(name: &str, quick: Quick) -> Self {
        CheckOnlyTask {
            name: name.to_string(),
            quick,
        }
    }
}

/// Quick figures of one frame: quadrant -> figure name -> value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct QuickFrame {
    obsid: i64,
    ccd: u8,
    quads: BTreeMap<String, BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct QuickState {
    frames: Vec<QuickFrame>,
}

fn figures_of(quick: Quick, img: ndarray::ArrayView2<'_, f32>) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    match quick {
        Quick::None => {}
        Quick::Injection => {
            let q = injection_quick(img, MIN_INJECTION_ADU);
            m.insert("inject_mean_adu".into(), q.inject_mean_adu);
            m.insert("inject_median_adu".into(), q.inject_median_adu);
            m.insert("inject_std_adu".into(), q.inject_std_adu);
            m.insert("inject_on_lines".into(), q.n_on_lines as f64);
        }
        Quick::Spots => {
            let q = spot_quick(img, SPOT_HALF_PX);
            m.insert("spot_bgd_adu".into(), q.bgd_adu);
            m.insert("spot_peak_adu".into(), q.peak_adu);
            m.insert("spot_flux_adu".into(), q.flux_adu);
            m.insert("spot_sigma_px".into(), q.sigma_px);
        }
    }
    m
}

impl CheckOnlyTask {
    fn quick_step(&self, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        let mut jobs = Vec::new();
        for ccd in 1..=3u8 {
            jobs.extend(exposures(state, ccd)?.into_iter().map(|e| (ccd, e)));
        }
        let frames: Vec<QuickFrame> = jobs
            .par_iter()
            .map(|(ccd, e)| -> Result<QuickFrame> {
                let f = calibrated(e, env)?;
                let quads = Quadrant::ALL
                    .iter()
                    .map(|&q| {
                        let img = image_area(&f, q, e.check.rows);
                        (q.name().to_string(), figures_of(self.quick, img.view()))
                    })
                    .collect();
                Ok(QuickFrame {
                    obsid: e.obsid,
                    ccd: *ccd,
                    quads,
                })
            })
            .collect::<Result<_>>()?;
        let v = serde_json::to_value(QuickState { frames }).map_err(|e| Error::Step {
            test: self.name.clone(),
            step: "quick".into(),
            detail: e.to_string(),
        })?;
        Ok((v, Flags::new()))
    }
}

impl Task for CheckOnlyTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        match self.quick {
            Quick::None => &[],
            _ => &["quick"],
        }
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        match step {
            "quick" => self.quick_step(env, state),
            other => Err(Error::Step {
                test: self.name.clone(),
                step: other.into(),
                detail: "unknown step".into(),
            }),
        }
    }

    fn summarize(&self, _env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis> {
        let mut a = Analysis::default();
        let Some(st) = state.step::<QuickState>("quick")? else {
            return Ok(a);
        };
        let mut sums: BTreeMap<(u8, String, String), (f64, usize)> = BTreeMap::new();
        for fr in &st.frames {
            for (q, figs) in &fr.quads {
                let row = a
                    .per_exposure
                    .entry((fr.obsid, fr.ccd, q.clone()))
                    .or_default();
                for (k, v) in figs {
                    row.insert(k.clone(), *v);
                    if v.is_finite() {
                        let s = sums.entry((fr.ccd, q.clone(), k.clone())).or_default();
                        s.0 += v;
                        s.1 += 1;
                    }
                }
            }
        }
        for ((ccd, q, k), (s, n)) in sums {
            a.quad_mut(&format!("CCD{ccd}"), &q)
                .insert(format!("mean_{k}"), s / n as f64);
        }
        Ok(a)
    }

    fn report_sections(
        &self,
        env: &TaskEnv<'_>,
        state: &TaskState,
        _a: &Analysis,
    ) -> Result<Vec<vison_report::Section>> {
        let mut s = vison_report::Section::new("Quick statistics");
        let Some(st) = state.step::<QuickState>("quick")? else {
            s.push(vison_report::Block::Paragraph(
                "This test has the generic checks only (structure, HK, offsets, RON, \
                 saturation); its analysis is still to come."
                    .into(),
            ));
            return Ok(vec![s]);
        };
        let key = match self.quick {
            Quick::Injection => ("inject_median_adu", "injection p50 [ADU]"),
            _ => ("spot_peak_adu", "brightest spot peak [ADU]"),
        };
        let mut points: BTreeMap<(u8, String), Vec<(f64, f64)>> = BTreeMap::new();
        for fr in &st.frames {
            for (q, figs) in &fr.quads {
                if let Some(v) = figs.get(key.0) {
                    points
                        .entry((fr.ccd, q.clone()))
                        .or_default()
                        .push((fr.obsid as f64, *v));
                }
            }
        }
        let grid = per_quadrant_vs_obsid(key.1, key.1, &points, &[]);
        s.push(figure(
            env,
            "quick",
            &format!("{} per exposure, CCD and quadrant", key.1),
            Plot::Grid(grid),
            1200,
            400,
        ));
        Ok(vec![s])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn quick_figures_per_family() {
        let img = Array2::from_shape_fn((20, 8), |(r, _)| if r < 5 { 500.0 } else { 0.0 });
        let m = figures_of(Quick::Injection, img.view());
        assert_eq!(m["inject_on_lines"], 5.0);
        assert_eq!(m["inject_median_adu"], 500.0);
        assert!(figures_of(Quick::None, img.view()).is_empty());
        let m = figures_of(Quick::Spots, img.view());
        assert_eq!(m["spot_bgd_adu"], 0.0);
        assert_eq!(m["spot_peak_adu"], 500.0);
    }
}
