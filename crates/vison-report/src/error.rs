//! The crate's error type.

use std::path::PathBuf;

/// Errors from plotting and report writing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The embedded font could not be registered with the plotting library.
    #[error("embedded plot font could not be registered: {0}")]
    Font(String),
    /// A figure size outside the accepted range was requested.
    #[error("figure size {width_px} x {height_px} px is outside 32..=10000 px per side")]
    InvalidSize {
        /// Requested width in pixels.
        width_px: u32,
        /// Requested height in pixels.
        height_px: u32,
    },
    /// Two arrays that must have the same length do not.
    #[error("series '{label}': {what} has {got} values but x has {expected}")]
    LengthMismatch {
        /// Series label.
        label: String,
        /// Which array is wrong (`y`, `y_err`).
        what: &'static str,
        /// Its length.
        got: usize,
        /// The length of `x`.
        expected: usize,
    },
    /// An invalid plot parameter (grid shape, bins, percentiles...).
    #[error("invalid plot parameter '{name}': {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// The plotting library reported a drawing failure.
    #[error("drawing figure '{figure}' failed: {message}")]
    Draw {
        /// Figure title.
        figure: String,
        /// Message from plotters.
        message: String,
    },
    /// PNG encoding failed.
    #[error("PNG encoding of figure '{figure}' failed: {message}")]
    PngEncode {
        /// Figure title.
        figure: String,
        /// Message from the encoder.
        message: String,
    },
    /// Writing a report file failed.
    #[error("writing '{path}' failed: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}
