//! What a test's analysis produces ([`Analysis`]: figures per CCD/quadrant, compliance
//! tables, products, details) and the schema of `results.json` ([`TestResults`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::framework::flags::Flags;

/// A value against its allowed range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ComplianceEntry {
    /// True when within limits (every exposure, for per-exposure checks).
    pub pass: bool,
    /// Value (mean over exposures for per-exposure checks).
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub value: f64,
    /// Lower limit.
    pub lo: f64,
    /// Upper limit.
    pub hi: f64,
}

impl ComplianceEntry {
    /// Entry for `value` in `[lo, hi]`; `all_pass` carries per-exposure failures.
    pub fn check(value: f64, lo: f64, hi: f64, all_pass: bool) -> Self {
        ComplianceEntry {
            pass: all_pass && value.is_finite() && value >= lo && value <= hi,
            value,
            lo,
            hi,
        }
    }
}

/// A compliance matrix: CCD -> quadrant -> entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceTable {
    /// What is compared.
    pub description: String,
    /// Unit of the values.
    pub unit: String,
    /// Entries.
    pub ccds: BTreeMap<String, BTreeMap<String, ComplianceEntry>>,
}

impl ComplianceTable {
    /// True when every entry passes.
    pub fn all_pass(&self) -> bool {
        self.ccds.values().flat_map(|m| m.values()).all(|e| e.pass)
    }
}

/// Figures per CCD -> quadrant -> name (units in the names).
pub type QuadFigures = BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>;

/// What a test's analysis produced (beyond the generic checks).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    /// Figures per CCD/quadrant, merged into `results.json` `ccds`.
    pub ccds: QuadFigures,
    /// Compliance tables of the analysis.
    pub compliance: BTreeMap<String, ComplianceTable>,
    /// Products written, relative to the test folder, with a description.
    pub products: Vec<(String, String)>,
    /// Test-specific details (lists of hot pixels, sources of calibration inputs...).
    pub details: BTreeMap<String, Value>,
    /// Extra per-exposure CSV columns: (ObsID, CCD, quadrant) -> column -> value.
    pub per_exposure: BTreeMap<(i64, u8, String), BTreeMap<String, f64>>,
}

impl Analysis {
    /// The figures of quadrant `q` of CCD `ccd` (`CCD<n>`), created empty when new.
    pub fn quad_mut(&mut self, ccd: &str, q: &str) -> &mut BTreeMap<String, f64> {
        self.ccds
            .entry(ccd.to_string())
            .or_default()
            .entry(q.to_string())
            .or_default()
    }
}

/// `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResults {
    /// Test name.
    pub test: String,
    /// `ok`, `flagged` or `crashed`.
    pub status: String,
    /// Names of the flags raised, sorted.
    pub flags: Vec<String>,
    /// Reasons per flag.
    pub flag_reasons: Flags,
    /// Bitwise OR of the reference flag bits.
    pub flag_mask: u64,
    /// Figures per CCD and quadrant (units in the names).
    pub ccds: BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>>,
    /// Compliance matrices.
    pub compliance: BTreeMap<String, ComplianceTable>,
    /// Exposures analysed.
    pub exposures: Vec<ExposureSummary>,
    /// Products, relative to the test folder.
    pub products: Vec<String>,
    /// Test-specific details.
    pub details: BTreeMap<String, Value>,
    /// Inputs and versions.
    pub inputs: BTreeMap<String, Value>,
}

/// One exposure in `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureSummary {
    /// ObsID.
    pub obsid: i64,
    /// EXP_LOG date-time.
    pub date: String,
    /// Exposure time, s.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub exptime_s: f64,
    /// Script column label.
    pub label: String,
    /// CCDs with a usable frame.
    pub usable_ccds: Vec<u8>,
}
