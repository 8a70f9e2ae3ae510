//! The crate's error type.

use std::path::PathBuf;

/// Errors of `vison-ccd`. FITS errors name the file and, where known, the HDU and keyword.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file ends before the data its headers announce.
    #[error("{path}: truncated FITS file: {detail}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// What is missing.
        detail: String,
    },
    /// A header block could not be parsed.
    #[error("{path}: unreadable FITS header: {detail}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A structural header card (BITPIX, NAXIS, NAXISn, PCOUNT, GCOUNT, BZERO, BSCALE, ...) has
    /// a value the FITS standard or the file size rules out.
    #[error("{path}: invalid FITS header: HDU {hdu}: {key}: {detail}")]
    InvalidHeaderValue {
        /// The file.
        path: PathBuf,
        /// HDU index (0 = primary).
        hdu: usize,
        /// The keyword.
        key: String,
        /// The value and what is wrong with it.
        detail: String,
    },
    /// The image extension the caller asked for is not there.
    #[error("{path}: missing extension: {detail}")]
    MissingExtension {
        /// The file.
        path: PathBuf,
        /// What was expected and what was found.
        detail: String,
    },
    /// The image has a shape that is not a VIS frame geometry.
    #[error("{path}: wrong shape: {detail}")]
    WrongShape {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// BITPIX or scaling not supported.
    #[error("{path}: unsupported pixel format: {detail}")]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A header card could not be written.
    #[error("{path}: cannot write header card {key}: {detail}")]
    BadCard {
        /// The file.
        path: PathBuf,
        /// The keyword.
        key: String,
        /// What is wrong.
        detail: String,
    },
    /// Arrays that must agree in shape do not.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),
    /// An argument is out of its valid range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl Error {
    /// True when the file ends before its headers or data do: a file still being written
    /// may become readable later, unlike a corrupt one.
    pub fn is_truncated(&self) -> bool {
        matches!(self, Error::Truncated { .. })
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
