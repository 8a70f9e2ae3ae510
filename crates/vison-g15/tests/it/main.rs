//! Integration tests of vison-g15 on synthetic images with known brighter-fatter coefficients.

mod bf_recovery;
mod roundtrip;
