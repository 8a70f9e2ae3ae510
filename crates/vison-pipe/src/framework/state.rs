//! Saved states of a task's steps: `ingest` ([`IngestState`]), `check` ([`CheckState`], one
//! [`FrameCheck`] per frame) and the test's own steps ([`TaskState::steps`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ccd::FrameGeometry;
use vison_ccd::quadcheck::QuadCheck;

use crate::error::{Error, Result};
use crate::framework::analysis::ComplianceTable;
use crate::framework::data::{ExposureRef, StructureSummary};
use crate::framework::flags::Flags;
use crate::framework::hkcheck::HkSummary;

/// Check statistics of one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameCheck {
    /// ObsID.
    pub obsid: i64,
    /// CCD (1..3).
    pub ccd: u8,
    /// File name.
    pub file_name: String,
    /// Exposure time, s.
    pub exptime_s: f64,
    /// False when the file is missing or unreadable (excluded from the analyses).
    pub usable: bool,
    /// Why the frame is not usable.
    pub error: Option<String>,
    /// Frame geometry (usable frames).
    pub geometry: Option<FrameGeometry>,
    /// Canonical image rows read out.
    pub rows: (usize, usize),
    /// Per quadrant (`E`..`H`).
    pub quads: BTreeMap<String, QuadCheck>,
}

/// State of the `check` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckState {
    /// One entry per frame listed in the EXP_LOG, ordered by ObsID then CCD.
    pub frames: Vec<FrameCheck>,
    /// Compliance tables (offsets, gradients, RON of the prescan, saturation, ...).
    pub compliance: BTreeMap<String, ComplianceTable>,
    /// Flags raised.
    pub flags: Flags,
}

impl CheckState {
    /// Usable frames of a CCD, in ObsID order.
    pub fn usable(&self, ccd: u8) -> impl Iterator<Item = &FrameCheck> {
        self.frames.iter().filter(move |f| f.usable && f.ccd == ccd)
    }

    /// Mean over the usable frames of a CCD of a per-quadrant figure.
    pub fn mean_of(&self, ccd: u8, q: &str, f: impl Fn(&QuadCheck) -> f64) -> f64 {
        let v: Vec<f64> = self
            .usable(ccd)
            .filter_map(|fr| fr.quads.get(q).map(&f))
            .filter(|x| x.is_finite())
            .collect();
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    }
}

/// State of the `ingest` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestState {
    /// Test name.
    pub test: String,
    /// Value of the `test` column selected.
    pub explog_test: String,
    /// ELVIS version.
    pub elvis: String,
    /// Exposure logs read.
    pub explog_files: Vec<PathBuf>,
    /// Script columns: (label, frames).
    pub script: Vec<(String, u32)>,
    /// Selected exposures.
    pub exposures: Vec<ExposureRef>,
    /// Completeness check.
    pub structure: StructureSummary,
    /// House-keeping checks.
    pub hk: HkSummary,
    /// Flags raised.
    pub flags: Flags,
}

impl IngestState {
    /// Path of the frame of CCD `ccd` in exposure `obsid` (empty when not ingested).
    pub fn frame_path(&self, obsid: i64, ccd: u8) -> PathBuf {
        self.exposures
            .iter()
            .find(|e| e.obsid == obsid)
            .and_then(|e| e.frames.iter().find(|f| f.ccd == ccd))
            .map(|f| f.path.clone())
            .unwrap_or_default()
    }
}

/// Saved states of a task's steps.
#[derive(Debug, Clone, Default)]
pub struct TaskState {
    /// `ingest` state.
    pub ingest: Option<IngestState>,
    /// `check` state.
    pub check: Option<CheckState>,
    /// States of the test's own steps, by step name.
    pub steps: std::collections::BTreeMap<String, Value>,
}

impl TaskState {
    /// The ingest state (error if the step has not run).
    pub fn ingest(&self) -> Result<&IngestState> {
        self.ingest.as_ref().ok_or_else(|| Error::Step {
            test: String::new(),
            step: "ingest".into(),
            detail: "not run".into(),
        })
    }

    /// The check state (error if the step has not run).
    pub fn check(&self) -> Result<&CheckState> {
        self.check.as_ref().ok_or_else(|| Error::Step {
            test: String::new(),
            step: "check".into(),
            detail: "not run".into(),
        })
    }

    /// A test step's state decoded as `T` (`null` read as NaN): `Ok(None)` when the step has
    /// not run; an error naming the step when its saved state does not decode (a changed
    /// state format must not silently give empty results).
    pub fn step<T: serde::de::DeserializeOwned>(&self, step: &str) -> Result<Option<T>> {
        self.steps
            .get(step)
            .map(|v| {
                crate::framework::nan::from_value(v).map_err(|e| Error::Step {
                    test: String::new(),
                    step: step.into(),
                    detail: format!("saved state does not decode: {e}"),
                })
            })
            .transpose()
    }
}
