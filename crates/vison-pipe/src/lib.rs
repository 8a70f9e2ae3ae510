//! vison-pipe: the test-task orchestrator of vison-rs (reference sections 4.1-4.3 and 5).
//!
//! * A session ([`Session`], [`run_session`]) analyses tests found in ELVIS day folders and
//!   writes `OUT/<ID>/` (`session.json`, `index.html`, one folder per test with
//!   `results.json`, `results.csv`, `products/`, `figures/`, `state/`, `report.html`,
//!   `log.txt`). Sessions resume ([`Session::resume`]) by redoing only unfinished steps.
//! * Every test goes through the [`Task`] life cycle ([`run_task`]): ingest (selection,
//!   completeness against the test definition, HK checks), check (offsets, noise,
//!   saturation), then the test's own steps; each step's state is saved as JSON.
//! * The code is in two folders: [`framework`] (session, life cycle, ingest, checks, flags,
//!   limits, results, report assembly, watch; it never names a test) and [`tests`] (one
//!   module per test family and [`REGISTRY`], the one table mapping test names to tasks, with
//!   what each test's frames hold and whose products it uses). Every test the definitions
//!   know is in the registry; those without their analysis yet run the generic checks and
//!   the quick statistics of their family ([`tests::checkonly`]).
//! * [`watch`] runs each test as soon as its frames are all in the EXP_LOG and on disk.
//!
//! See `docs/pipeline.md` for the output formats and `docs/session-example.toml`.

mod error;
pub mod framework;
pub mod tests;

pub use error::{Error, Result};
pub use framework::analysis::{
    Analysis, ComplianceEntry, ComplianceTable, ExposureSummary, TestResults,
};
pub use framework::atomic::{read_json, write_atomic, write_json_atomic};
pub use framework::config::{
    BiasConfig, CalibrationConfig, DarkConfig, HkConfig, OffsetEstimator, PerfLimits, PrepConfig,
    SelectConfig, SessionConfig, SessionSection, StackChoice,
};
pub use framework::data::{
    DataSet, ExposureRef, FrameRef, StructureSummary, discover_explogs, ingest_test,
    test_definition,
};
pub use framework::flags::{Flag, Flags};
pub use framework::hkcheck::{HkSummary, HkTrace, HkViolation, check_hk};
pub use framework::lifecycle::run_task;
pub use framework::limits::{BlockOffsets, Gains, blocks_dir};
pub use framework::prep::{PreparedRows, frame_offsets, prepare_frame};
pub use framework::progress::{FnProgress, NoProgress, Progress, ProgressEvent};
pub use framework::registry::{FrameKind, Registry, TestEntry};
pub use framework::session::{
    RunOptions, Session, SessionRecord, SessionSummary, SessionTest, run_session,
};
pub use framework::state::{CheckState, FrameCheck, IngestState, TaskState};
pub use framework::task::{Task, TaskEnv, TaskLog, TaskOutcome};
pub use framework::watch::{WatchOptions, test_ready};
pub use tests::REGISTRY;
pub use tests::bias::BiasTask;
pub use tests::dark::DarkTask;

/// A new session of the pipeline's tests ([`REGISTRY`]).
pub fn create_session(opts: RunOptions) -> Result<Session> {
    Session::create(opts, &REGISTRY)
}

/// Re-opens session `id` under `out` to resume it.
pub fn resume_session(out: &std::path::Path, id: &str) -> Result<Session> {
    Session::resume(out, id, &REGISTRY)
}

/// Watches the session's data folders and runs each test when its frames are in
/// ([`framework::watch::watch`] with [`REGISTRY`]).
pub fn watch(opts: WatchOptions, progress: &dyn Progress) -> Result<SessionSummary> {
    framework::watch::watch(opts, &REGISTRY, progress)
}

/// The tests the pipeline runs, with the script structure of each, as text.
pub fn describe_tests() -> Result<String> {
    framework::session::describe_tests(&REGISTRY)
}
