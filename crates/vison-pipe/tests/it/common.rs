//! Shared helpers: small campaigns, session files from the truth, running sessions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use vison_pipe::{NoProgress, RunOptions, SessionConfig, TestResults, read_json};
use vison_sim::{CampaignConfig, FaultKind, Truth};

/// A generated campaign in a temporary folder.
pub(crate) struct Campaign {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) truth: Truth,
}

impl Campaign {
    pub(crate) fn root(&self) -> PathBuf {
        self.dir.path().join("campaign")
    }
}

/// Generates a small campaign of `tests` with `faults`.
pub(crate) fn campaign(tests: &[&str], faults: &[FaultKind], seed: u64) -> Campaign {
    campaign_sized(tests, faults, seed, vison_sim::SimSize::Small)
}

/// Generates a campaign of the given frame size.
pub(crate) fn campaign_sized(
    tests: &[&str],
    faults: &[FaultKind],
    seed: u64,
    size: vison_sim::SimSize,
) -> Campaign {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = CampaignConfig::new(
        tests.iter().map(|s| s.to_string()).collect(),
        dir.path().join("campaign"),
    );
    cfg.seed = seed;
    cfg.size = size;
    cfg.faults = faults.to_vec();
    let rep = vison_sim::generate_campaign(&cfg, &|| {}).unwrap();
    let truth = Truth::read(&rep.truth_path).unwrap();
    Campaign { dir, truth }
}

/// A session configuration adapted to the simulator: expected offsets and gains from the
/// truth (as a block file and calibration inputs would give them), RON limits around the
/// simulated range.
pub(crate) fn config_from_truth(truth: &Truth, dir: &Path) -> SessionConfig {
    let mut offsets: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut gains: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for (ccd, qs) in &truth.ccds {
        for (q, t) in qs {
            offsets
                .entry(ccd.clone())
                .or_default()
                .insert(q.clone(), t.offset_adu);
            gains
                .entry(ccd.clone())
                .or_default()
                .insert(q.clone(), t.gain_e_per_adu);
        }
    }
    let block = serde_json::json!({"block": "SIM", "description": "from truth.json", "offsets_adu": offsets});
    let p = dir.join("SIM_offsets.json");
    std::fs::write(&p, serde_json::to_string_pretty(&block).unwrap()).unwrap();
    let mut cfg = SessionConfig::default();
    cfg.limits.offsets_file = Some(p);
    cfg.limits.ron_adu = [0.5, 2.0];
    cfg.calibration.gains_e_per_adu = gains;
    // The simulator lights the lamp for chamber B's shutter-table time.
    cfg.calibration.shutter = "B".into();
    cfg.calibration.nonlinearity = Some(nl_product_from_truth(truth, dir));
    cfg
}

/// The simulator's output non-linearity as an NL0x product (`calibration.nonlinearity`, the
/// format of `EUC_NLCORR_<test>.json`): the correction NL01 measures, here fitted by
/// vison-flat's non-linearity code to noise-free signals of each quadrant's true curve, so
/// that the PTC tests do not depend on an NL01 run.
pub(crate) fn nl_product_from_truth(truth: &Truth, dir: &Path) -> PathBuf {
    use vison_flat::nonlin::{FrameRole, NonlinConfig, NonlinFrame, fit_nonlinearity};
    let cfg = NonlinConfig {
        fit_max_adu: 66_000.0,
        ..NonlinConfig::default()
    };
    let mut out: BTreeMap<String, BTreeMap<String, vison_flat::nonlin::NonlinCorrection>> =
        BTreeMap::new();
    for (ccd, qs) in &truth.ccds {
        for (q, t) in qs {
            let (c1, c2) = (t.nonlinearity.c1, t.nonlinearity.c2);
            let frames: Vec<NonlinFrame> = (1..=44)
                .map(|k| {
                    let x = 1500.0 * f64::from(k);
                    NonlinFrame {
                        role: FrameRole::Fluence,
                        exptime_s: f64::from(k),
                        time_s: 60.0 * f64::from(k),
                        signal_adu: vison_sim::effects::nonlinear_adu(x, c1, c2),
                        signal_err_adu: 1e-5 * x,
                        filter: 0,
                    }
                })
                .collect();
            let r = fit_nonlinearity(&frames, &cfg).unwrap();
            out.entry(ccd.clone())
                .or_default()
                .insert(q.clone(), r.correction);
        }
    }
    let p = dir.join("EUC_NLCORR_TRUTH.json");
    std::fs::write(&p, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    p
}

/// Runs a session; returns its folder.
pub(crate) fn run(
    data: &Path,
    tests: &[&str],
    out: &Path,
    cfg: SessionConfig,
    id: &str,
) -> PathBuf {
    let opts = RunOptions {
        data: vec![data.to_path_buf()],
        tests: tests.iter().map(|s| s.to_string()).collect(),
        out: out.to_path_buf(),
        config: cfg,
        id: Some(id.into()),
        ..RunOptions::default()
    };
    let mut s = vison_pipe::create_session(opts).unwrap();
    let sum = vison_pipe::run_session(&mut s, &NoProgress).unwrap();
    sum.dir
}

/// Reads a test's results.json.
pub(crate) fn results(session: &Path, test: &str) -> TestResults {
    read_json(&session.join(test).join("results.json")).unwrap()
}

/// A figure of results.json, NaN when absent.
pub(crate) fn get(r: &TestResults, ccd: &str, q: &str, key: &str) -> f64 {
    r.ccds
        .get(ccd)
        .and_then(|m| m.get(q))
        .and_then(|m| m.get(key))
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(f64::NAN)
}

/// Collects `(what, measured, truth, relative or absolute error, tolerance)` and asserts all
/// at once, so a failure shows the whole table.
#[derive(Default)]
pub(crate) struct Checks(Vec<(String, f64, f64, f64, f64)>);

impl Checks {
    pub(crate) fn rel(&mut self, what: String, got: f64, want: f64, tol: f64) {
        let e = (got / want - 1.0).abs();
        self.0.push((what, got, want, e, tol));
    }
    pub(crate) fn abs(&mut self, what: String, got: f64, want: f64, tol: f64) {
        self.0.push((what, got, want, (got - want).abs(), tol));
    }
    pub(crate) fn assert(self, r: &TestResults) {
        let bad: Vec<String> = self
            .0
            .iter()
            .filter(|c| {
                !matches!(
                    c.3.partial_cmp(&c.4),
                    Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                )
            })
            .map(|c| {
                format!(
                    "{}: {:.6e} vs {:.6e} (err {:.3e} > {:.1e})",
                    c.0, c.1, c.2, c.3, c.4
                )
            })
            .collect();
        let all: Vec<String> = self
            .0
            .iter()
            .map(|c| format!("{}: {:.6e} vs {:.6e} (err {:.3e})", c.0, c.1, c.2, c.3))
            .collect();
        assert!(
            bad.is_empty(),
            "{}\n--- all ---\n{}\n--- flags ---\n{:?}\n--- ccds ---\n{:?}",
            bad.join("\n"),
            all.join("\n"),
            r.flags,
            r.flag_reasons
                .0
                .iter()
                .filter(|(k, _)| k.as_str() != "POORQUALDATA")
                .collect::<Vec<_>>()
        );
    }
}

/// A figure of results.json.
pub(crate) fn fig(r: &TestResults, ccd: &str, q: &str, key: &str) -> f64 {
    r.ccds[ccd][q][key].as_f64().unwrap_or(f64::NAN)
}

/// Names, sizes and modification times of every file under `dir` (to show it is not written).
pub(crate) fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path(), m.len(), m.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}
