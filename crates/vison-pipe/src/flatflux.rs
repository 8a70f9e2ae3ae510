//! FLATFLUX00 (reference 4.9): flux of the flat-field source per quadrant from flats at several
//! exposure times: image-area signal per frame, flux = signal / exposure time, its scatter, and
//! the fluence check of every frame (within the ADC range, no saturated image area).

use serde_json::Value;
use vison_ccd::Quadrant;

use crate::bias::step_err;
use crate::error::Result;
use crate::flags::{Flag, Flags};
use crate::flatio::finite_mean;
use crate::nl::{NlSignal, NlSignals, measure_signals};
use crate::results::Analysis;
use crate::task::{Task, TaskEnv, TaskState};

/// Highest image-area signal accepted by the fluence check, ADU (offset subtracted).
pub const FLUENCE_MAX_ADU: f64 = 60_000.0;

/// Flux (ADU/s) and its relative scatter (per cent) of one quadrant's frames (pure).
pub fn flux_of(signals: &[&NlSignal]) -> (f64, f64) {
    let f: Vec<f64> = signals
        .iter()
        .filter(|s| s.exptime_s > 0.0 && s.signal_adu.is_finite())
        .map(|s| s.signal_adu / s.exptime_s)
        .collect();
    let m = finite_mean(&f);
    let sd = if f.len() > 1 {
        (f.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (f.len() - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    (m, 100.0 * sd / m)
}

/// FLATFLUX00 (any suffix).
#[derive(Debug, Clone)]
pub struct FlatFluxTask {
    name: String,
}

impl FlatFluxTask {
    /// A FLATFLUX task named `name`.
    pub fn new(name: &str) -> Self {
        FlatFluxTask {
            name: name.to_string(),
        }
    }
}

impl Task for FlatFluxTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        &["signals"]
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        if step != "signals" {
            return Err(step_err(&self.name, step, "unknown step"));
        }
        let signals = measure_signals(env, state)?;
        let mut flags = Flags::new();
        for s in &signals {
            if s.exptime_s > 0.0 && !(s.signal_adu > 0.0 && s.signal_adu < FLUENCE_MAX_ADU) {
                flags.raise(
                    Flag::FLUENCE_OOL,
                    format!(
                        "ObsID {} CCD{} {}: signal {:.0} ADU outside (0, {FLUENCE_MAX_ADU})",
                        s.obsid, s.ccd, s.quadrant, s.signal_adu
                    ),
                );
            }
        }
        let v = serde_json::to_value(NlSignals { signals })
            .map_err(|e| step_err(&self.name, "signals", e))?;
        Ok((v, flags))
    }

    fn summarize(&self, _env: &TaskEnv<'_>, state: &TaskState) -> Analysis {
        let mut a = Analysis::default();
        if let Some(sig) = state.step::<NlSignals>("signals") {
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
                    let (flux, scatter) = flux_of(&sel);
                    let m = a
                        .ccds
                        .entry(format!("CCD{ccd}"))
                        .or_default()
                        .entry(q.name().to_string())
                        .or_default();
                    m.insert("flux_adu_per_s".into(), flux);
                    m.insert("flux_scatter_pc".into(), scatter);
                }
            }
            for s in &sig.signals {
                a.per_exposure
                    .entry((s.obsid, s.ccd, s.quadrant.clone()))
                    .or_default()
                    .insert("signal_adu".into(), s.signal_adu);
            }
        }
        a
    }

    fn report_sections(
        &self,
        _env: &TaskEnv<'_>,
        _state: &TaskState,
        a: &Analysis,
    ) -> Result<Vec<vison_report::Section>> {
        use vison_report::{Cell, DataTable, Section as RSection};
        let mut s = RSection::new("Flux of the flat-field source");
        let mut t = DataTable::new(
            "Flux per quadrant (mean over frames of signal / exposure time)",
            ["CCD", "Q", "flux [ADU/s]", "scatter [%]"],
        );
        for (ccd, qs) in &a.ccds {
            for (q, m) in qs {
                let g = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
                t.push_row(vec![
                    Cell::text(ccd.clone()),
                    Cell::text(q.clone()),
                    Cell::number(g("flux_adu_per_s")),
                    Cell::number(g("flux_scatter_pc")),
                ]);
            }
        }
        s.push(t);
        Ok(vec![s])
    }
}
