//! Error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while reading, building, writing or checking HK data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// File concerned.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line of an HK file could not be parsed.
    #[error("{file}: line {line}, column {column}: {message}")]
    Row {
        /// File name (or `<memory>`).
        file: String,
        /// 1-based line number.
        line: usize,
        /// Key name of the column (or `-` for the whole line).
        column: String,
        /// What is wrong.
        message: String,
    },
    /// No header and no data.
    #[error("{file}: empty HK file")]
    Empty {
        /// File name.
        file: String,
    },
    /// A reading with the wrong number of values.
    #[error("reading has {got} values, {expected} keys expected")]
    ReadingWidth {
        /// Number of keys.
        expected: usize,
        /// Number of values given.
        got: usize,
    },
    /// HK writing needs a time stamp for every reading in table format.
    #[error("reading {0} has no time stamp; table-format HK files need one per reading")]
    MissingTime(usize),
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;
