//! Euclid VIS ground-test simulation: test definitions (the script structure of every
//! calibration test), ELVIS acquisition scripts (.xlsx), OGSE/chamber profiles, the
//! test-duration model and the synthetic campaign generator.

mod error;

pub use error::Error;
