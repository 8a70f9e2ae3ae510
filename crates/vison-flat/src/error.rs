//! Error type of the crate.

/// Errors of the flat-field science functions.
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
    /// An input is empty or too small for the requested operation.
    #[error("{what}: too small ({got} available, {need} needed)")]
    TooSmall {
        /// Which input or quantity.
        what: &'static str,
        /// What is available.
        got: usize,
        /// What is required.
        need: usize,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration key {key} = {value}: {reason}")]
    InvalidConfig {
        /// Configuration key.
        key: &'static str,
        /// Offending value, formatted.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// A fit could not be computed (singular system, non-finite values).
    #[error("fit failed ({model}): {reason}")]
    FitFailed {
        /// Which model.
        model: &'static str,
        /// Why.
        reason: String,
    },
    /// Error of the 2-D illumination model.
    #[error("illumination model: {0}")]
    Model2d(#[from] vison_ccd::model2d::Model2dError),
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// `ShapeMismatch` for `what` unless `got` (a 2-D `dim()`) equals `expected`.
pub(crate) fn check_shape(
    what: &'static str,
    got: (usize, usize),
    expected: (usize, usize),
) -> Result<()> {
    if got == expected {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            what,
            got: [got.0, got.1],
            expected: [expected.0, expected.1],
        })
    }
}

/// `ShapeMismatch` unless the optional mask has the shape `expected`.
pub(crate) fn check_mask(
    mask: Option<&ndarray::ArrayView2<'_, bool>>,
    expected: (usize, usize),
) -> Result<()> {
    mask.map_or(Ok(()), |m| check_shape("mask", m.dim(), expected))
}
