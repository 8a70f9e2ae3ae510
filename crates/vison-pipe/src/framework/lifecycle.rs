//! The task life cycle: every test goes through `ingest` -> `check` -> its own steps, with
//! each step's state saved (`<TEST>/state/<step>.json`) so that a resumed session redoes only
//! unfinished steps; then results, products and report. A failing step raises SUBTASKCRASH
//! and stops the task; the other tests still run.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result, io_err};
use crate::framework::atomic::{read_json, write_json_atomic};
use crate::framework::checks::run_check;
use crate::framework::data::{ingest_test, test_definition};
use crate::framework::flags::{Flag, Flags};
use crate::framework::hkcheck::check_hk;
use crate::framework::nan::from_value;
use crate::framework::progress::ProgressEvent;
use crate::framework::state::{IngestState, TaskState};
use crate::framework::task::{Task, TaskEnv, TaskOutcome};

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
        if let Err(msg) = run_step(task, env, step, &mut state, &mut flags) {
            flags.raise(Flag::SUBTASKCRASH, msg);
            crashed = true;
            break;
        }
    }
    let outcome = finish_task(task, env, &state, flags, crashed);
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

/// One step: its saved state reused, else executed and saved; the state is added to `state`
/// and its flags to `flags`. The error is the SUBTASKCRASH reason (logged).
fn run_step(
    task: &dyn Task,
    env: &TaskEnv<'_>,
    step: &str,
    state: &mut TaskState,
    flags: &mut Flags,
) -> std::result::Result<(), String> {
    let path = env.state_dir().join(format!("{step}.json"));
    let t0 = Instant::now();
    env.progress.event(&ProgressEvent::StepStart {
        test: env.test.clone(),
        step: step.to_string(),
        total: 0,
    });
    let saved: Option<StepFile> = path.is_file().then(|| read_json(&path).ok()).flatten();
    let resumed = saved.is_some();
    let result = match saved {
        Some(s) => Ok(s),
        None => {
            env.log
                .line(tracing::Level::INFO, &format!("Executing {step}"));
            guarded(|| execute_step(task, env, step, &path, state))
        }
    };
    let elapsed_s = t0.elapsed().as_secs_f64();
    let file = match result {
        Ok(file) => file,
        Err(msg) => {
            env.log
                .line(tracing::Level::ERROR, &format!("{step} failed: {msg}"));
            step_end(env, step, elapsed_s, false, true);
            return Err(format!("step {step} failed: {msg}"));
        }
    };
    flags.merge(&file.flags);
    if let Err(e) = adopt(state, step, file) {
        let msg = format!("step {step}: saved state does not decode: {e}");
        env.log.line(tracing::Level::ERROR, &msg);
        return Err(msg);
    }
    let how = if resumed {
        "reused from saved state"
    } else {
        "done"
    };
    env.log.line(
        tracing::Level::INFO,
        &format!("{step} {how} in {:.2} min", elapsed_s / 60.0),
    );
    step_end(env, step, elapsed_s, resumed, false);
    Ok(())
}

/// Executes a step and saves its state to `path`; returns the file as read back, exactly as a
/// resumed run would see it (the JSON text round trip of floats must not make the two runs
/// differ).
fn execute_step(
    task: &dyn Task,
    env: &TaskEnv<'_>,
    step: &str,
    path: &Path,
    state: &TaskState,
) -> Result<StepFile> {
    let (value, f) = match step {
        "ingest" => {
            let st = ingest_step(env)?;
            let f = st.flags.clone();
            (serde_json::to_value(&st).map_err(json_err(path))?, f)
        }
        "check" => {
            let st = run_check(env, state.ingest()?)?;
            let f = st.flags.clone();
            (serde_json::to_value(&st).map_err(json_err(path))?, f)
        }
        other => task.run_step(other, env, state)?,
    };
    let file = StepFile {
        step: step.to_string(),
        flags: f,
        state: value,
    };
    write_json_atomic(path, &file)?;
    read_json(path)
}

/// Adds a step's saved state to the task state (decoded for `ingest` and `check`).
fn adopt(state: &mut TaskState, step: &str, file: StepFile) -> std::result::Result<(), String> {
    let decoded = match step {
        "ingest" => from_value(&file.state).map(|s| state.ingest = Some(s)),
        "check" => from_value(&file.state).map(|s| state.check = Some(s)),
        other => {
            state.steps.insert(other.to_string(), file.state);
            Ok(())
        }
    };
    decoded.map_err(|e| e.to_string())
}

/// Reports the end of a step to the progress listener.
fn step_end(env: &TaskEnv<'_>, step: &str, elapsed_s: f64, resumed: bool, failed: bool) {
    env.progress.event(&ProgressEvent::StepEnd {
        test: env.test.clone(),
        step: step.to_string(),
        elapsed_s,
        resumed,
        failed,
    });
}

/// The outcome of the task (`crashed`, `ok` without flags, else `flagged`) after its outputs
/// are written; a failure to write them makes it crashed (SUBTASKCRASH).
fn finish_task(
    task: &dyn Task,
    env: &TaskEnv<'_>,
    state: &TaskState,
    flags: Flags,
    crashed: bool,
) -> TaskOutcome {
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
    if let Err(e) = crate::framework::results::write_outputs(task, env, state, &mut outcome) {
        env.log.line(
            tracing::Level::ERROR,
            &format!("writing outputs failed: {e}"),
        );
        outcome
            .flags
            .raise(Flag::SUBTASKCRASH, format!("writing results failed: {e}"));
        outcome.status = "crashed".into();
    }
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
