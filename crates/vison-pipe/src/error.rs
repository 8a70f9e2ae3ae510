//! The crate's error type.

use std::path::PathBuf;

/// Errors of `vison-pipe`. Messages name the file, key, test or step that is wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A JSON file could not be read or written.
    #[error("{path}: JSON: {detail}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The session configuration is invalid.
    #[error("configuration {file}: {detail}")]
    Config {
        /// The file (or `<options>` for command-line options).
        file: String,
        /// What is wrong (names the key).
        detail: String,
    },
    /// A test name the pipeline does not know.
    #[error("unknown test `{0}` (`vison-pipe tests` lists the known tests)")]
    UnknownTest(String),
    /// No exposure log was found in the data folders.
    #[error("no EXP_LOG_*.txt in {0} (nor in its sub-folders)")]
    NoExpLog(String),
    /// The test has no exposures in the exposure logs.
    #[error("{test}: no exposures with test == {test} in the exposure logs{detail}")]
    NoExposures {
        /// Test name.
        test: String,
        /// Selection details (ObsID limits).
        detail: String,
    },
    /// A session to resume does not exist or is unreadable.
    #[error("cannot resume session {id}: {detail}")]
    Resume {
        /// Session ID.
        id: String,
        /// What is wrong.
        detail: String,
    },
    /// A step of a task failed.
    #[error("{test} step {step}: {detail}")]
    Step {
        /// Test name.
        test: String,
        /// Step name.
        step: String,
        /// What went wrong.
        detail: String,
    },
    /// Error of the CCD data layer.
    #[error(transparent)]
    Ccd(#[from] vison_ccd::Error),
    /// Error of the exposure-log reader.
    #[error(transparent)]
    ExpLog(#[from] vison_explog::Error),
    /// Error of the HK reader.
    #[error(transparent)]
    Hk(#[from] vison_hk::Error),
    /// Error of the test definitions.
    #[error("test definition: {0}")]
    TestDef(#[from] vison_testdefs::Error),
    /// Error of the chamber model (shutter calibration, profiles).
    #[error(transparent)]
    Ogse(#[from] vison_ogse::Error),
    /// Error of the flat-field analyses.
    #[error(transparent)]
    Flat(#[from] vison_flat::Error),
    /// Error of the brighter-fatter model.
    #[error(transparent)]
    G15(#[from] vison_g15::Error),
    /// Error of the report renderer.
    #[error("report: {0}")]
    Report(#[from] vison_report::Error),
}

impl Error {
    /// A step's failure with what went wrong.
    pub fn step(test: &str, step: &str, detail: impl std::fmt::Display) -> Self {
        Error::Step {
            test: test.to_string(),
            step: step.to_string(),
            detail: detail.to_string(),
        }
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Maps an I/O error to [`Error::Io`] naming `path`.
pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}
