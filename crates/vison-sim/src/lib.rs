//! Euclid VIS ground-test simulation: test definitions (the script structure of every
//! calibration test), ELVIS acquisition scripts (.xlsx), OGSE/chamber profiles, the
//! test-duration model and the synthetic campaign generator.

pub mod duration;
mod error;
pub mod ogse;
pub mod scripts;
pub mod testdefs;

pub use duration::duration_s;
pub use error::Error;
pub use ogse::OgseProfile;
pub use scripts::{read_script_xlsx, write_script_xlsx, write_scripts};
pub use testdefs::{
    ElvisVersion, ExposureSpec, ScriptColumn, ScriptValue, TestDef, TestOptions, check_structure,
    expand, known_tests, test_def,
};

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
