//! Error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while reading, building or writing an exposure log.
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
    /// A data row could not be parsed (wrong number of fields or a bad value).
    #[error("{file}: line {line}, column {column}: {message}")]
    Row {
        /// File name (or `<memory>`).
        file: String,
        /// 1-based line number.
        line: usize,
        /// Column name (or `-` when the whole row is wrong).
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The file holds no header and no data.
    #[error("{file}: empty exposure log")]
    Empty {
        /// File name.
        file: String,
    },
    /// An unknown ELVIS version string.
    #[error(
        "unknown ELVIS version '{0}' (known: 5.7.02, 5.7.04..5.7.09, 6.0.0, 6.1.0, 6.3.0, 6.5.X, 7.2.X, 7.5.X, FPA)"
    )]
    UnknownVersion(String),
    /// A column name that the table does not have.
    #[error("no column '{0}' in this exposure log")]
    UnknownColumn(String),
    /// A value of the wrong type for a column.
    #[error("column '{column}' holds {expected} values, got {got}")]
    TypeMismatch {
        /// Column name.
        column: String,
        /// Expected type.
        expected: &'static str,
        /// Value given.
        got: String,
    },
    /// A row built for another table layout.
    #[error("row has {got} values, table has {expected} columns")]
    RowWidth {
        /// Columns in the table.
        expected: usize,
        /// Values in the row.
        got: usize,
    },
    /// A malformed date-time, day-folder or file name.
    #[error("cannot parse {what} '{text}'")]
    BadName {
        /// What was expected (e.g. "ELVIS date-time DDMMYYDhhmmssT").
        what: &'static str,
        /// Offending text.
        text: String,
    },
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;
