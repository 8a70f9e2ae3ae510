//! Test definitions: the script structure of every calibration test, ELVIS versions and
//! defaults, the filling rule, expansion into exposures and the completeness check.

mod catalog;
mod def;
mod elvis;
mod expand;
mod explog_check;
mod value;

pub use catalog::{known_tests, test_def};
pub use def::{Preset, ScriptColumn, TestDef, TestOptions, TestParams, Values, fill_columns};
pub use elvis::{CANONICAL_SCRIPT_KEYS, ELVIS_VERSIONS, ElvisVersion, iphi_string, sumwell};
pub use expand::{
    ColumnCheck, ExposureSpec, KeyMismatch, ObservedExposure, REL_TOL, StructureCheck, as_observed,
    check_structure, expand,
};
pub use explog_check::{check_explog, observed_from_row};
pub use value::{KeyKind, ScriptValue, is_voltage_key, key_kind};
