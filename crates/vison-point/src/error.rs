//! Error type of the crate.

/// Errors of the point-source science functions.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two arrays that must have the same shape do not.
    #[error("shape mismatch: {what} has shape {got:?}, expected {expected:?}")]
    ShapeMismatch {
        /// Which input is wrong.
        what: &'static str,
        /// Its shape.
        got: [usize; 2],
        /// The expected shape.
        expected: [usize; 2],
    },
    /// A position is off the image (or not finite).
    #[error("{what} at ({x_px}, {y_px}) is off the {cols} x {rows} image")]
    OffImage {
        /// Which position.
        what: &'static str,
        /// x (column) of the position.
        x_px: f64,
        /// y (row) of the position.
        y_px: f64,
        /// Image width.
        cols: usize,
        /// Image height.
        rows: usize,
    },
    /// Too few usable pixels or points for a measurement.
    #[error("{what}: too few usable values ({got} available, {need} needed)")]
    TooFew {
        /// Which measurement.
        what: &'static str,
        /// What is available.
        got: usize,
        /// What is required.
        need: usize,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration {key} = {value}: {reason}")]
    InvalidConfig {
        /// Configuration key.
        key: &'static str,
        /// Offending value, formatted.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A fit or an iteration could not be computed (singular system, no minimum, divergence).
    #[error("fit failed ({model}): {reason}")]
    FitFailed {
        /// Which model.
        model: &'static str,
        /// Why.
        reason: String,
    },
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// `InvalidConfig` unless `ok`.
pub(crate) fn require(ok: bool, key: &'static str, value: f64, reason: &'static str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidConfig {
            key,
            value: format!("{value}"),
            reason,
        })
    }
}

/// `v > 0` (false for NaN): the guard used before dividing by a flux or a determinant.
pub(crate) fn is_positive(v: f64) -> bool {
    v > 0.0
}
