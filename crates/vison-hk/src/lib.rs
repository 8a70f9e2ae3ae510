//! ELVIS house-keeping (HK) files: key lists per ELVIS version, a tolerant reader of both
//! layouts (time-stamped tables and pre-QM key-per-line files), a writer of per-exposure and
//! daily master files, per-file synthesis (mean, std, min, max), limits tables per version,
//! and the checks vison runs (`check_abs`, `check_vs_command`).
//!
//! See `docs/explog-hk.md` for the formats and the deviations tolerated.

mod check;
mod error;
mod keys;
mod keys_tables;
mod limits;
mod limits_tables;
mod parse;
mod readings;
mod split;
mod synth;
mod write;

pub use check::{CheckOn, CheckReport, CheckResult, Verdict, check_abs, check_vs_command};
pub use error::{Error, Result};
pub use keys::{
    PIPELINE_HK_KEYS, TIME_COLUMN, commanded_column, detect_hk_version, hk_keys, is_pre_qm,
};
pub use limits::{HkLimits, Limit, LimitSet};
pub use parse::{
    HkFile, HkFormat, HkLoadOptions, HkName, load_hk, load_hk_files, parse_hk_bytes, parse_hk_str,
    parse_hk_timestamp,
};
pub use readings::HkReadings;
pub use split::split_by_exposure;
pub use synth::{HkExposureStats, HkSeries, HkSynthesis, KeyStats, SENTINELS, Stat, is_sentinel};
pub use vison_explog::{
    ElvisVersion, FrameName, MasterHkName, RowIssue, hk_file_name, hk_master_file_name,
    parse_hk_file_name, parse_hk_master_file_name,
};
pub use write::{format_hk_timestamp, format_hk_value};
