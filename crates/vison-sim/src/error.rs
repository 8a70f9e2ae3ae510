//! The crate's single error type.

use std::path::PathBuf;

/// Errors of the vison-sim crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An ELVIS version string that cannot be parsed or is not supported.
    #[error("unsupported ELVIS version `{0}`")]
    ElvisVersion(String),
    /// An invalid test option.
    #[error("invalid option for test {test}: {msg}")]
    Option {
        /// Test name.
        test: String,
        /// What is wrong.
        msg: String,
    },
    /// I/O error on a file.
    #[error("{path}: {source}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A file whose content cannot be parsed.
    #[error("{path}: {msg}")]
    Parse {
        /// File concerned.
        path: PathBuf,
        /// What is wrong (with line/row/column/key).
        msg: String,
    },
    /// A test-definition problem (unknown test, bad option).
    #[error(transparent)]
    TestDef(#[from] vison_testdefs::Error),
    /// A chamber (OGSE) profile problem.
    #[error(transparent)]
    Ogse(#[from] vison_ogse::Error),
    /// An exposure-log operation failed.
    #[error("exposure log: {0}")]
    ExpLog(#[from] vison_explog::Error),
}
