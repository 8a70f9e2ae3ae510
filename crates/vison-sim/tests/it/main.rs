//! Integration tests of vison-sim (one binary, one module per feature).

mod scripts;
mod testdefs;

mod campaign_effects;
mod campaign_readback;
mod sim_fixture;
