//! Error type of the crate.

/// Errors of the brighter-fatter model functions.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input array or parameter is inconsistent.
    #[error("invalid input {what}: {reason}")]
    InvalidInput {
        /// Which input.
        what: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A fit or linear solve failed.
    #[error("solve failed ({what}): {reason}")]
    SolveFailed {
        /// Which solve.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;
