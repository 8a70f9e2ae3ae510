//! Progress events of a session, for progress bars and `--json` machine output.

use serde::Serialize;

/// One progress event (serialised with an `event` tag, one JSON object per line).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// A session starts.
    SessionStart {
        /// Session ID.
        session: String,
        /// Tests to run, in order.
        tests: Vec<String>,
    },
    /// A test starts.
    TaskStart {
        /// Test name.
        test: String,
        /// Steps of its life cycle.
        steps: Vec<String>,
    },
    /// A step starts (`total` work items: frames, CCDs).
    StepStart {
        /// Test name.
        test: String,
        /// Step name.
        step: String,
        /// Work items.
        total: u64,
    },
    /// One more item of a step is done.
    StepProgress {
        /// Test name.
        test: String,
        /// Step name.
        step: String,
        /// Items done.
        done: u64,
        /// Work items.
        total: u64,
    },
    /// A step ended (or was taken from the saved state when `resumed`).
    StepEnd {
        /// Test name.
        test: String,
        /// Step name.
        step: String,
        /// Wall time, s.
        elapsed_s: f64,
        /// True when the step's saved state was reused.
        resumed: bool,
        /// True when the step failed.
        failed: bool,
    },
    /// A test ended.
    TaskEnd {
        /// Test name.
        test: String,
        /// `ok`, `flagged` or `crashed`.
        status: String,
        /// Flags raised.
        flags: Vec<String>,
    },
    /// Watch mode: tests still waiting for data.
    Waiting {
        /// Tests not complete yet.
        pending: Vec<String>,
    },
    /// The session ended.
    SessionEnd {
        /// Session ID.
        session: String,
        /// True when every test ran (none crashed).
        all_ran: bool,
    },
}

/// Receiver of progress events (must be cheap and thread-safe: steps report from workers).
pub trait Progress: Send + Sync {
    /// Handles one event.
    fn event(&self, e: &ProgressEvent);
}

/// Discards every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _e: &ProgressEvent) {}
}

/// Forwards events to a closure.
pub struct FnProgress<F: Fn(&ProgressEvent) + Send + Sync>(pub F);

impl<F: Fn(&ProgressEvent) + Send + Sync> Progress for FnProgress<F> {
    fn event(&self, e: &ProgressEvent) {
        (self.0)(e);
    }
}
