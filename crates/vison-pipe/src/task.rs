//! The task framework: the life cycle every test goes through, with its state saved after each
//! step (`<TEST>/state/<step>.json`) so that a resumed session redoes only unfinished steps.
//!
//! Life cycle: `ingest` (select exposures by test name and ObsID limits, check the structure
//! against the test definition, read and check HK) -> `check` (per frame and quadrant: offsets,
//! noise, saturation, lost pixels; compliance with the offsets/gradients/RON limits) -> the
//! test's own steps (`basic`, `meta`: image preparation and analyses) -> results, products
//! and report. A failing step raises SUBTASKCRASH and stops the task; the others still run.

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_explog::ElvisVersion;

use crate::atomic::{read_json, write_json_atomic};
use crate::checks::{CheckState, run_check};
use crate::config::SessionConfig;
use crate::data::{DataSet, ExposureRef, StructureSummary, ingest_test, test_definition};
use crate::error::{Error, Result, io_err};
use crate::flags::{Flag, Flags};
use crate::hkcheck::{HkSummary, check_hk};
use crate::limits::{BlockOffsets, Gains};
use crate::progress::{Progress, ProgressEvent};

/// Everything a task needs from its session.
pub struct TaskEnv<'a> {
    /// Test name (`BIAS01`).
    pub test: String,
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

/// State of the `ingest` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestState {
    /// Test name.
    pub test: String,
    /// Value of the `test` column selected.
    pub explog_test: String,
    /// ELVIS version.
    pub elvis: String,
    /// Exposure logs read.
    pub explog_files: Vec<PathBuf>,
    /// Script columns: (label, frames).
    pub script: Vec<(String, u32)>,
    /// Selected exposures.
    pub exposures: Vec<ExposureRef>,
    /// Completeness check.
    pub structure: StructureSummary,
    /// House-keeping checks.
    pub hk: HkSummary,
    /// Flags raised.
    pub flags: Flags,
}

/// Saved states of a task's steps.
#[derive(Debug, Clone, Default)]
pub struct TaskState {
    /// `ingest` state.
    pub ingest: Option<IngestState>,
    /// `check` state.
    pub check: Option<CheckState>,
    /// States of the test's own steps, by step name.
    pub steps: std::collections::BTreeMap<String, Value>,
}

impl TaskState {
    /// The ingest state (error if the step has not run).
    pub fn ingest(&self) -> Result<&IngestState> {
        self.ingest.as_ref().ok_or_else(|| Error::Step {
            test: String::new(),
            step: "ingest".into(),
            detail: "not run".into(),
        })
    }

    /// The check state (error if the step has not run).
    pub fn check(&self) -> Result<&CheckState> {
        self.check.as_ref().ok_or_else(|| Error::Step {
            test: String::new(),
            step: "check".into(),
            detail: "not run".into(),
        })
    }

    /// A test step's state decoded as `T`.
    pub fn step<T: serde::de::DeserializeOwned>(&self, step: &str) -> Option<T> {
        self.steps
            .get(step)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
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
    fn summarize(&self, env: &TaskEnv<'_>, state: &TaskState) -> crate::results::Analysis;
    /// Report sections of the analyses (after the generic inputs and validation sections).
    fn report_sections(
        &self,
        env: &TaskEnv<'_>,
        state: &TaskState,
        analysis: &crate::results::Analysis,
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

#[derive(Serialize, Deserialize)]
struct StepFile {
    step: String,
    flags: Flags,
    state: Value,
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}

/// Runs a step (catching panics); returns its state and flags.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> std::result::Result<T, String> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(format!("panic: {}", panic_text(p))),
    }
}

fn ingest_step(env: &TaskEnv<'_>) -> Result<IngestState> {
    let sel = env.cfg.select_for(&env.test);
    let def = test_definition(&env.test, &sel, env.elvis)?;
    let mut flags = Flags::new();
    let (exposures, structure) = ingest_test(env.data, &env.test, &def, &sel, &mut flags)?;
    let hk = check_hk(
        &exposures,
        &env.data.log,
        env.elvis,
        &env.cfg.hk,
        &mut flags,
    );
    Ok(IngestState {
        test: env.test.clone(),
        explog_test: def.test.clone(),
        elvis: env.elvis.as_str().to_string(),
        explog_files: env.data.explog_files.clone(),
        script: def
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (vison_testdefs::TestDef::column_label(i), c.frames))
            .collect(),
        exposures,
        structure,
        hk,
        flags,
    })
}

/// Runs a task's life cycle, reusing saved step states, then writes results, CSV, figures and
/// report. Never fails: a failing step becomes SUBTASKCRASH in the outcome.
pub fn run_task(task: &dyn Task, env: &TaskEnv<'_>) -> TaskOutcome {
    let mut steps: Vec<&str> = vec!["ingest", "check"];
    steps.extend(task.analysis_steps());
    env.progress.event(&ProgressEvent::TaskStart {
        test: env.test.clone(),
        steps: steps.iter().map(|s| s.to_string()).collect(),
    });
    let t_task = Instant::now();
    env.log
        .line(tracing::Level::INFO, &format!("Task {} starts", env.test));
    let mut state = TaskState::default();
    let mut flags = Flags::new();
    let mut crashed = false;
    for step in &steps {
        let path = env.state_dir().join(format!("{step}.json"));
        let t0 = Instant::now();
        env.progress.event(&ProgressEvent::StepStart {
            test: env.test.clone(),
            step: step.to_string(),
            total: 0,
        });
        let saved: Option<StepFile> = path.is_file().then(|| read_json(&path).ok()).flatten();
        let resumed = saved.is_some();
        let result: std::result::Result<StepFile, String> = match saved {
            Some(s) => Ok(s),
            None => {
                env.log
                    .line(tracing::Level::INFO, &format!("Executing {step}"));
                guarded(|| -> Result<StepFile> {
                    let (value, f) = match *step {
                        "ingest" => {
                            let st = ingest_step(env)?;
                            let f = st.flags.clone();
                            (serde_json::to_value(&st).map_err(json_err(&path))?, f)
                        }
                        "check" => {
                            let st = run_check(env, state.ingest()?)?;
                            let f = st.flags.clone();
                            (serde_json::to_value(&st).map_err(json_err(&path))?, f)
                        }
                        other => task.run_step(other, env, &state)?,
                    };
                    let file = StepFile {
                        step: step.to_string(),
                        flags: f,
                        state: value,
                    };
                    write_json_atomic(&path, &file)?;
                    // Continue from the file as written, exactly as a resumed run would (the
                    // JSON text round trip of floats must not make the two runs differ).
                    read_json(&path)
                })
            }
        };
        let elapsed_s = t0.elapsed().as_secs_f64();
        match result {
            Ok(file) => {
                flags.merge(&file.flags);
                match *step {
                    "ingest" => state.ingest = serde_json::from_value(file.state).ok(),
                    "check" => state.check = serde_json::from_value(file.state).ok(),
                    other => {
                        state.steps.insert(other.to_string(), file.state);
                    }
                }
                env.log.line(
                    tracing::Level::INFO,
                    &format!(
                        "{step} {} in {:.2} min",
                        if resumed {
                            "reused from saved state"
                        } else {
                            "done"
                        },
                        elapsed_s / 60.0
                    ),
                );
                env.progress.event(&ProgressEvent::StepEnd {
                    test: env.test.clone(),
                    step: step.to_string(),
                    elapsed_s,
                    resumed,
                    failed: false,
                });
            }
            Err(msg) => {
                env.log
                    .line(tracing::Level::ERROR, &format!("{step} failed: {msg}"));
                flags.raise(Flag::SUBTASKCRASH, format!("step {step} failed: {msg}"));
                crashed = true;
                env.progress.event(&ProgressEvent::StepEnd {
                    test: env.test.clone(),
                    step: step.to_string(),
                    elapsed_s,
                    resumed: false,
                    failed: true,
                });
                break;
            }
        }
    }
    let status = if crashed {
        "crashed"
    } else if flags.is_empty() {
        "ok"
    } else {
        "flagged"
    };
    let mut outcome = TaskOutcome {
        test: env.test.clone(),
        status: status.to_string(),
        flags,
    };
    if let Err(e) = crate::results::write_outputs(task, env, &state, &mut outcome) {
        env.log.line(
            tracing::Level::ERROR,
            &format!("writing outputs failed: {e}"),
        );
        outcome
            .flags
            .raise(Flag::SUBTASKCRASH, format!("writing results failed: {e}"));
        outcome.status = "crashed".into();
    }
    env.log.line(
        tracing::Level::INFO,
        &format!(
            "Task {} exited with status {} (flags: {}) after {:.2} min",
            env.test,
            outcome.status,
            outcome.flags.names().join(", "),
            t_task.elapsed().as_secs_f64() / 60.0
        ),
    );
    env.progress.event(&ProgressEvent::TaskEnd {
        test: env.test.clone(),
        status: outcome.status.clone(),
        flags: outcome.flags.names(),
    });
    outcome
}

fn json_err(path: &Path) -> impl FnOnce(serde_json::Error) -> Error + '_ {
    move |e| Error::Json {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// Creates the test folder layout (`products/`, `figures/`, `state/`).
pub(crate) fn create_test_dirs(test_dir: &Path) -> Result<()> {
    for sub in ["products", "figures", "state"] {
        let d = test_dir.join(sub);
        std::fs::create_dir_all(&d).map_err(io_err(&d))?;
    }
    Ok(())
}
