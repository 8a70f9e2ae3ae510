//! Small helpers every vison-rs crate needs and std lacks (in the manner of rust-analyzer's
//! `stdx`): one implementation of atomic file writes ([`atomic`]) and of the serde helpers
//! that read JSON `null` back as NaN ([`nan`]).

pub mod atomic;
pub mod nan;

pub use atomic::{IoError, temp_sibling, write_atomic};
