//! The crate's single error type.

use std::path::PathBuf;

/// Errors of the vison-ogse crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An unknown chamber, or a profile without an entry for a wavelength.
    #[error("{what}: {msg}")]
    Option {
        /// Profile concerned.
        what: String,
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
        /// What is wrong (with line/column/key).
        msg: String,
    },
}
