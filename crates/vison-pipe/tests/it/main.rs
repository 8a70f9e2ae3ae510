//! Integration tests of vison-pipe on small synthetic campaigns from vison-sim.

mod calib;
mod common;
mod faults;
mod flatfam;
mod flatfam_variants;
mod point;
mod ptc_independent;
mod schema;
mod sessions;
mod truth;
mod watch;
