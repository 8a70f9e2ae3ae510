//! What a test is to the framework: the [`Task`] trait (its own steps, summary and report
//! sections) and the environment a task runs in ([`TaskEnv`]: configuration, data, calibration
//! inputs, folders, log).
//!
//! Life cycle (run by [`crate::framework::lifecycle::run_task`]): `ingest` (select exposures by test name and ObsID limits, check the structure
//! against the test definition, read and check HK) -> `check` (per frame and quadrant: offsets,
//! noise, saturation, lost pixels; compliance with the offsets/gradients/RON limits) -> the
//! test's own steps (`basic`, `meta`: image preparation and analyses) -> results, products
//! and report. A failing step raises SUBTASKCRASH and stops the task; the others still run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_explog::ElvisVersion;

use crate::error::Result;
use crate::framework::analysis::Analysis;
use crate::framework::config::SessionConfig;
use crate::framework::data::DataSet;
use crate::framework::flags::Flags;
use crate::framework::limits::{BlockOffsets, Gains};
use crate::framework::progress::{Progress, ProgressEvent};
use crate::framework::state::TaskState;

/// Everything a task needs from its session.
pub struct TaskEnv<'a> {
    /// Test name (`BIAS01`).
    pub test: String,
    /// What the test's frames hold (from the registry).
    pub frames: crate::framework::registry::FrameKind,
    /// Tests whose products this test uses (from the registry), in order of preference.
    pub uses: &'static [&'static str],
    /// Session configuration.
    pub cfg: &'a SessionConfig,
    /// Exposure logs of the session.
    pub data: &'a DataSet,
    /// ELVIS version of the logs.
    pub elvis: ElvisVersion,
    /// Session folder `OUT/<ID>`.
    pub session_dir: PathBuf,
    /// Test folder `OUT/<ID>/<TEST>`.
    pub test_dir: PathBuf,
    /// Expected offsets.
    pub block: BlockOffsets,
    /// Where the expected offsets came from.
    pub block_source: String,
    /// Gains.
    pub gains: Gains,
    /// Calibration inputs of the session (cosmetic mask, master bias, master flats).
    pub calib: &'a crate::framework::calib::CalibInputs,
    /// Which of them this test's preprocessing applies (from the registry).
    pub calib_use: crate::framework::calib::CalibUse,
    /// Progress receiver.
    pub progress: &'a dyn Progress,
    /// Per-test log.
    pub log: TaskLog,
}

impl TaskEnv<'_> {
    /// `OUT/<ID>/<TEST>/products`.
    pub fn products_dir(&self) -> PathBuf {
        self.test_dir.join("products")
    }

    /// `OUT/<ID>/<TEST>/figures`.
    pub fn figures_dir(&self) -> PathBuf {
        self.test_dir.join("figures")
    }

    /// `OUT/<ID>/<TEST>/state`.
    pub fn state_dir(&self) -> PathBuf {
        self.test_dir.join("state")
    }

    /// A product `file_name` written by one of the tests this test uses, in this session:
    /// the first of [`TaskEnv::uses`] whose `results.json` lists `products/<file_name>`.
    pub fn used_product(&self, file_name: &str) -> Option<PathBuf> {
        let rel = format!("products/{file_name}");
        self.uses.iter().find_map(|t| {
            let dir = self.session_dir.join(t);
            let r: crate::framework::analysis::TestResults =
                crate::framework::atomic::read_json(&dir.join("results.json")).ok()?;
            r.products
                .contains(&rel)
                .then(|| dir.join(&rel))
                .filter(|p| p.is_file())
        })
    }

    /// Reports progress of a step.
    pub fn step_progress(&self, step: &str, done: u64, total: u64) {
        self.progress.event(&ProgressEvent::StepProgress {
            test: self.test.clone(),
            step: step.to_string(),
            done,
            total,
        });
    }
}

/// A per-test log file (`<TEST>/log.txt`, appended to on resume); lines are also traced.
pub struct TaskLog {
    file: Option<Mutex<std::fs::File>>,
    test: String,
}

impl TaskLog {
    /// Opens (appends to) `path`.
    pub fn open(path: &Path, test: &str) -> Self {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(Mutex::new)
            .map_err(|e| tracing::warn!(path = %path.display(), "cannot open task log: {e}"))
            .ok();
        TaskLog {
            file,
            test: test.to_string(),
        }
    }

    /// A log that only traces.
    pub fn none(test: &str) -> Self {
        TaskLog {
            file: None,
            test: test.to_string(),
        }
    }

    /// Writes one line (`<UTC time> - <LEVEL> - <message>`).
    pub fn line(&self, level: tracing::Level, msg: &str) {
        match level {
            tracing::Level::ERROR => tracing::error!(test = %self.test, "{msg}"),
            tracing::Level::WARN => tracing::warn!(test = %self.test, "{msg}"),
            _ => tracing::info!(test = %self.test, "{msg}"),
        }
        if let Some(f) = &self.file
            && let Ok(mut f) = f.lock()
        {
            let t = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.3f");
            let _ = writeln!(f, "{t} - {level} - {msg}");
        }
    }
}

/// What a test computes beyond the generic life cycle.
pub trait Task: Send + Sync {
    /// Test name (`BIAS01`).
    fn name(&self) -> &str;
    /// The test's own steps, in order, after `ingest` and `check`.
    fn analysis_steps(&self) -> &'static [&'static str];
    /// Runs one of the test's steps; returns its state (JSON) and the flags it raises.
    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)>;
    /// Results of the test (figures per CCD/quadrant, compliance, products), from the states.
    fn summarize(&self, env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis>;
    /// Report sections of the analyses (after the generic inputs and validation sections).
    fn report_sections(
        &self,
        env: &TaskEnv<'_>,
        state: &TaskState,
        analysis: &Analysis,
    ) -> Result<Vec<vison_report::Section>>;
}

/// Final status of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskOutcome {
    /// Test name.
    pub test: String,
    /// `ok`, `flagged` or `crashed`.
    pub status: String,
    /// Flags with reasons.
    pub flags: Flags,
}
