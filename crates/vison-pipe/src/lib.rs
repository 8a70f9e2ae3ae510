//! vison-pipe: the test-task orchestrator of vison-rs (reference sections 4.1-4.3 and 5).
//!
//! * A session ([`Session`], [`run_session`]) analyses tests found in ELVIS day folders and
//!   writes `OUT/<ID>/` (`session.json`, `index.html`, one folder per test with
//!   `results.json`, `results.csv`, `products/`, `figures/`, `state/`, `report.html`,
//!   `log.txt`). Sessions resume ([`Session::resume`]) by redoing only unfinished steps.
//! * Every test goes through the [`Task`] life cycle ([`run_task`]): ingest (selection,
//!   completeness against the test definition, HK checks), check (offsets, noise,
//!   saturation), then the test's own steps; each step's state is saved as JSON.
//! * BIAS01/BIAS02 ([`BiasTask`]) and DARK01 ([`DarkTask`]) are implemented; the analyses are
//!   pure functions ([`measure`], [`bias::frame_ron`], [`dark::find_hot`]).
//! * [`watch`] runs each test as soon as its frames are all in the EXP_LOG and on disk.
//!
//! See `docs/pipeline.md` for the output formats and `docs/session-example.toml`.

mod atomic;
pub mod bf;
pub mod bias;
mod checks;
mod config;
pub mod dark;
mod data;
mod error;
mod flags;
pub mod flatfield;
pub mod flatflux;
mod flatio;
mod hkcheck;
mod limits;
mod master;
pub mod measure;
mod nan;
pub mod nl;
mod prep;
mod progress;
pub mod ptc;
mod report;
mod results;
mod session;
mod task;
mod watch;

pub use atomic::{read_json, write_atomic, write_json_atomic};
pub use bias::BiasTask;
pub use checks::{CheckState, FrameCheck};
pub use config::{
    BiasConfig, CalibrationConfig, DarkConfig, HkConfig, OffsetEstimator, PerfLimits, PrepConfig,
    SelectConfig, SessionConfig, SessionSection, StackChoice,
};
pub use dark::DarkTask;
pub use data::{
    DataSet, ExposureRef, FrameRef, StructureSummary, discover_explogs, ingest_test,
    test_definition,
};
pub use error::{Error, Result};
pub use flags::{Flag, Flags};
pub use hkcheck::{HkSummary, HkTrace, HkViolation, check_hk};
pub use limits::{BlockOffsets, Gains, blocks_dir};
pub use prep::{PreparedRows, frame_offsets, prepare_frame};
pub use progress::{FnProgress, NoProgress, Progress, ProgressEvent};
pub use results::{Analysis, ComplianceEntry, ComplianceTable, ExposureSummary, TestResults};
pub use session::{
    KNOWN_TESTS, RunOptions, Session, SessionRecord, SessionSummary, SessionTest, describe_tests,
    make_task, run_session,
};
pub use task::{IngestState, Task, TaskEnv, TaskLog, TaskOutcome, TaskState, run_task};
pub use watch::{WatchOptions, test_ready, watch};
