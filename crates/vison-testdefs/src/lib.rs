//! Test definitions of the Euclid VIS ground-calibration campaign: the script structure of
//! every calibration test, ELVIS versions and defaults, the filling rule, expansion into
//! exposures and the completeness check; the ELVIS acquisition scripts (.xlsx, [`scripts`]) and
//! the test-duration model ([`duration`]).
//!
//! This crate sits below both the pipeline (which checks acquisitions against it) and the
//! simulator (which generates them): it holds no pixels and no generator.
//!
//! ```
//! use vison_testdefs::{TestOptions, as_observed, check_structure, expand, test_def};
//!
//! let def = test_def("PTC02_730", &TestOptions::default())?;
//! assert_eq!(def.expected_frame_count(), 24);
//! let exposures = expand(&def);
//! // 10 % of the B chamber's 3.6 s to full well at 730 nm.
//! assert_eq!(exposures[0].num("exptime"), Some(0.36));
//! let mut observed = as_observed(&exposures);
//! observed.remove(5); // one frame of col002 lost
//! let check = check_structure(&def, &observed);
//! assert!(!check.checks_out);
//! assert_eq!(check.columns[1].missing_frames, 1);
//! # Ok::<(), vison_testdefs::Error>(())
//! ```

pub mod duration;
mod error;
pub mod scripts;

mod catalog;
mod def;
mod elvis;
mod expand;
mod explog_check;
mod value;

pub use duration::duration_s;
pub use error::Error;
pub use scripts::{read_script_xlsx, write_script_xlsx, write_scripts};

pub use catalog::{known_tests, test_def};
pub use def::{Preset, ScriptColumn, TestDef, TestOptions, TestParams, Values, fill_columns};
pub use elvis::{
    CANONICAL_SCRIPT_KEYS, ELVIS_VERSIONS, ElvisVersion, ScriptVersion, iphi_string,
    parse_script_version, sumwell,
};
pub use expand::{
    ColumnCheck, ExposureSpec, KeyMismatch, ObservedExposure, REL_TOL, StructureCheck, as_observed,
    check_structure, expand,
};
pub use explog_check::{check_explog, observed_from_row};
pub use value::{KeyKind, ScriptValue, is_voltage_key, key_kind};
