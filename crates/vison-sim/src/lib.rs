//! Euclid VIS ground-test simulation: the synthetic campaign generator (day folders of ELVIS
//! frames, EXP_LOG and HK files with every detector effect, and a `truth.json`).
//!
//! The test definitions it follows live in `vison-testdefs`, the chamber model in
//! `vison-ogse`; this crate holds only the generator, its effects and faults.

mod error;

pub use error::Error;

pub mod campaign;
pub mod effects;
pub mod faults;
pub mod truth;

pub use campaign::{
    CampaignConfig, CampaignPlan, CampaignReport, LampShutter, SimSize, campaign_test_options,
    generate_campaign, plan_campaign, write_campaign,
};
pub use faults::FaultKind;
pub use truth::Truth;
