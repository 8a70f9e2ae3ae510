//! The task framework: everything that is the same for every test.
//!
//! Layers, bottom up (a module uses only modules above it in this list):
//! `atomic`, `nan`, `flags`, `progress`, `config` -> `limits`, `data` (EXP_LOG selection and
//! completeness), `hkcheck` -> `analysis` (what a test produces) -> `state` (saved step states)
//! -> `task` (the [`Task`] trait and [`TaskEnv`]) -> `calib` (calibration inputs), `fluence` -> `prep`, `products`, `checks` (the generic
//! `check` step) -> `report` (report assembly; `validation` its data-validation section) -> `results` (results.json/csv) -> `lifecycle`
//! (runs a task) -> `registry` (what a test declares) -> `session`, `watch`.
//! The tests themselves live in `crate::tests`; the framework never names one.

pub mod analysis;
pub mod atomic;
pub mod calib;
pub mod checks;
pub mod config;
pub mod data;
pub mod flags;
pub mod fluence;
pub mod frames;
pub mod hkcheck;
pub mod lifecycle;
pub mod limits;
pub mod nan;
pub mod prep;
pub mod products;
pub mod progress;
pub mod registry;
pub mod report;
pub mod results;
pub mod session;
pub mod state;
pub mod task;
pub mod validation;
pub mod watch;

pub use analysis::{Analysis, ComplianceEntry, ComplianceTable, QuadFigures, TestResults};
pub use flags::{Flag, Flags};
pub use registry::{FrameKind, Registry, TestEntry};
pub use state::{CheckState, FrameCheck, IngestState, TaskState};
pub use task::{Task, TaskEnv, TaskOutcome};
