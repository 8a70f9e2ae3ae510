//! FLATFLUX00 (reference 4.9): flux of the flat-field source per quadrant from flats at several
//! exposure times: image-area signal per frame, flux = signal / actual exposure time (shutter
//! calibration `calibration.shutter`), its scatter, and the fluence check of every frame
//! (within the ADC range, no saturated image area).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ccd::Quadrant;
use vison_ogse::ShutterCalibration;

use crate::error::{Error, Result};
use crate::framework::analysis::Analysis;
use crate::framework::flags::{Flag, Flags};
use crate::framework::frames::finite_mean;
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv};
use crate::tests::flat::nl::{NlSignal, NlSignals, measure_signals};

/// Highest image-area signal accepted by the fluence check, ADU (offset subtracted).
pub const FLUENCE_MAX_ADU: f64 = 60_000.0;

/// Flux of one quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuadFlux {
    /// Mean over the frames of signal / actual exposure time, ADU/s.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub flux_adu_per_s: f64,
    /// Relative scatter (sample standard deviation / mean) of the frames' fluxes, per cent.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub flux_scatter_pc: f64,
}

/// State of the `flux` step: per CCD (`CCD1`..) and quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FluxState {
    /// Fluxes.
    pub ccds: BTreeMap<String, BTreeMap<String, QuadFlux>>,
}

/// Flux (ADU/s) and its relative scatter (per cent) of one quadrant's frames (pure): mean of
/// signal / actual exposure time.
///
/// The chamber shutter stays open longer than commanded (0-30 ms, not constant): at the 5 %
/// fluence of FLATFLUX00 at 800 nm (0.175 s commanded, 0.2 s actual) the commanded time would
/// overestimate the flux by 14 %, and the mean of the four frames by ~5 %.
pub fn flux_of(signals: &[&NlSignal], shutter: &ShutterCalibration) -> (f64, f64) {
    let f: Vec<f64> = signals
        .iter()
        .filter(|s| s.exptime_s > 0.0 && s.signal_adu.is_finite())
        .map(|s| s.signal_adu / shutter.actual_exptime_s(s.exptime_s))
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

    fn signals_step(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let signals = measure_signals(env, st)?;
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
            .map_err(|e| Error::step(&self.name, "signals", e))?;
        Ok((v, flags))
    }

    fn flux_step(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let sig: NlSignals = st
            .step("signals")?
            .ok_or_else(|| Error::step(&self.name, "flux", "signals step missing"))?;
        let shutter = env.cfg.shutter_calibration()?;
        let mut ccds: BTreeMap<String, BTreeMap<String, QuadFlux>> = BTreeMap::new();
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
                let (flux_adu_per_s, flux_scatter_pc) = flux_of(&sel, &shutter);
                ccds.entry(format!("CCD{ccd}")).or_default().insert(
                    q.name().to_string(),
                    QuadFlux {
                        flux_adu_per_s,
                        flux_scatter_pc,
                    },
                );
            }
        }
        let v = serde_json::to_value(FluxState { ccds })
            .map_err(|e| Error::step(&self.name, "flux", e))?;
        Ok((v, Flags::new()))
    }
}

impl Task for FlatFluxTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        &["signals", "flux"]
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        match step {
            "signals" => self.signals_step(env, state),
            "flux" => self.flux_step(env, state),
            other => Err(Error::step(&self.name, other, "unknown step")),
        }
    }

    fn summarize(&self, _env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis> {
        let mut a = Analysis::default();
        if let Some(fx) = state.step::<FluxState>("flux")? {
            for (ccd, qs) in fx.ccds {
                for (q, f) in qs {
                    let m = a.quad_mut(&ccd, &q);
                    m.insert("flux_adu_per_s".into(), f.flux_adu_per_s);
                    m.insert("flux_scatter_pc".into(), f.flux_scatter_pc);
                }
            }
        }
        if let Some(sig) = state.step::<NlSignals>("signals")? {
            for s in &sig.signals {
                a.per_exposure
                    .entry((s.obsid, s.ccd, s.quadrant.clone()))
                    .or_default()
                    .insert("signal_adu".into(), s.signal_adu);
            }
        }
        Ok(a)
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
            "Flux per quadrant (mean over frames of signal / actual exposure time of the \
             shutter calibration)",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(exptime_s: f64, signal_adu: f64) -> NlSignal {
        NlSignal {
            obsid: 1,
            ccd: 1,
            quadrant: "E".into(),
            exptime_s,
            time_s: 0.0,
            signal_adu,
            signal_err_adu: 1.0,
            wave: None,
            label: String::new(),
        }
    }

    #[test]
    fn flux_divides_by_the_actual_exposure_time() {
        // Shutter open 25 ms longer than commanded; source 20000 ADU/s; FLATFLUX00 times at
        // 800 nm, plus a zero-time and a non-finite frame (ignored).
        let shutter = ShutterCalibration {
            points_s: vec![(0.1, 0.125), (10.0, 10.025)],
        };
        let sig: Vec<NlSignal> = [0.175, 0.7, 1.75, 2.8]
            .iter()
            .map(|&t| signal(t, 20_000.0 * (t + 0.025)))
            .chain([signal(0.0, 3.0), signal(1.0, f64::NAN)])
            .collect();
        let refs: Vec<&NlSignal> = sig.iter().collect();
        let (flux, scatter) = flux_of(&refs, &shutter);
        assert!((flux / 20_000.0 - 1.0).abs() < 1e-12, "{flux}");
        assert!(scatter < 1e-9, "{scatter}");
        // On the commanded times (identity calibration) the short frames bias the flux by ~5 %
        // and spread the frames by ~6 %.
        let identity = ShutterCalibration {
            points_s: Vec::new(),
        };
        let (biased, spread) = flux_of(&refs, &identity);
        assert!(
            biased / 20_000.0 - 1.0 > 0.04 && spread > 5.0,
            "{biased} {spread}"
        );
    }
}
