//! Shared fixtures for the throughput benchmarks in `benches/benches/`.
//!
//! Run them with `cargo bench -p vison-benches`; each bench reports throughput
//! (bytes or frames per second) through divan counters.
