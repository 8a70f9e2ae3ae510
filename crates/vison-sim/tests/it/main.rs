//! Integration tests of vison-sim (one binary, one module per feature).

mod campaign_effects;
mod campaign_readback;
mod campaign_repro;
mod sim_fixture;
