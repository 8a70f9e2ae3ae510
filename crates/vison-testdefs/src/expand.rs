//! Expansion of a test into its ordered exposures (EXP_LOG key values) and the completeness
//! check of observed EXP_LOG rows against the definition (reference 4.1, `check_test_structure`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::def::TestDef;
use super::elvis::{ScriptVersion as _, iphi_string};
use super::value::ScriptValue;

/// Relative tolerance of numeric comparisons (reference 4.1).
pub const REL_TOL: f64 = 0.005;

/// One expected exposure: EXP_LOG key (names of the definition's ELVIS version) -> value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureSpec {
    /// Column label (`col001` ...).
    pub label: String,
    /// 0-based column index.
    pub column: usize,
    /// 0-based index of the frame within its column.
    pub frame_in_column: u32,
    /// Expected EXP_LOG values (voltages in V, times in s, TOIs and delays in us).
    pub values: BTreeMap<String, ScriptValue>,
    /// Shutter open (`shuttr`, not recorded in the EXP_LOG).
    pub shutter_open: bool,
    /// Script comment of the column (not recorded in the EXP_LOG).
    pub comments: String,
}

impl ExposureSpec {
    /// A value by EXP_LOG key.
    pub fn get(&self, key: &str) -> Option<&ScriptValue> {
        self.values.get(key)
    }

    /// A numeric value by EXP_LOG key.
    pub fn num(&self, key: &str) -> Option<f64> {
        self.values.get(key).and_then(ScriptValue::as_f64)
    }
}

/// EXP_LOG values of one script column (names and conventions of the definition's version).
fn explog_values(def: &TestDef, column: usize) -> BTreeMap<String, ScriptValue> {
    let mut out = BTreeMap::new();
    let Some(col) = def.columns.get(column) else {
        return out;
    };
    for (k, v) in &col.values {
        let Some(name) = def.elvis.explog_key(k) else {
            continue;
        };
        if name == "IPHI" {
            out.insert(name.to_string(), ScriptValue::Str(iphi_string(&col.values)));
        } else {
            out.insert(name.to_string(), v.clone());
        }
    }
    out
}

/// The ordered list of exposures of a test (one per frame; the EXP_LOG has one row per CCD of
/// each).
pub fn expand(def: &TestDef) -> Vec<ExposureSpec> {
    let mut out = Vec::with_capacity(def.expected_frame_count() as usize);
    for (ci, col) in def.columns.iter().enumerate() {
        let values = explog_values(def, ci);
        let shutter_open = col.get("shuttr").and_then(ScriptValue::as_i64).unwrap_or(1) != 0;
        let comments = col
            .get("comments")
            .map(ToString::to_string)
            .unwrap_or_default();
        for k in 0..col.frames {
            out.push(ExposureSpec {
                label: TestDef::column_label(ci),
                column: ci,
                frame_in_column: k,
                values: values.clone(),
                shutter_open,
                comments: comments.clone(),
            });
        }
    }
    out
}

/// One observed exposure: EXP_LOG column name -> cell text (one row of one CCD).
pub type ObservedExposure = BTreeMap<String, String>;

/// A key whose observed value differs from the definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyMismatch {
    /// Index of the observed exposure in the list given.
    pub observed_index: usize,
    /// EXP_LOG key.
    pub key: String,
    /// Expected value.
    pub expected: String,
    /// Observed text.
    pub observed: String,
}

/// Check result of one script column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnCheck {
    /// Column label.
    pub label: String,
    /// Frames the script asks for.
    pub expected_frames: u32,
    /// Observed exposures attributed to the column (matching or with mismatching keys).
    pub observed_frames: u32,
    /// Frames missing (expected - attributed, when positive).
    pub missing_frames: u32,
    /// Extra exposures matching the column beyond its frames.
    pub extra_frames: u32,
    /// Keys that differ, per observed exposure attributed to the column.
    pub mismatches: Vec<KeyMismatch>,
}

/// Result of comparing observed exposures with a test definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureCheck {
    /// True when every column has its frames, nothing is extra and every key matches.
    pub checks_out: bool,
    /// Sum of frames of the definition.
    pub expected_frames: u32,
    /// Number of observed exposures.
    pub observed_frames: usize,
    /// Per-column result, in script order.
    pub columns: Vec<ColumnCheck>,
    /// Observed exposures after the last column that match no column.
    pub unmatched_after_end: usize,
    /// Human-readable messages (the reference's "Test ended Too Early: missing Frames!" and
    /// "Number of Exposures exceeds Number of Expected Frames!" plus per-column details).
    pub messages: Vec<String>,
}

fn mismatching_keys(
    expected: &BTreeMap<String, ScriptValue>,
    observed: &ObservedExposure,
    waived: &[&str],
    index: usize,
) -> Vec<KeyMismatch> {
    let mut out = Vec::new();
    for (k, v) in expected {
        if waived.contains(&k.as_str()) {
            continue;
        }
        if let Some(obs) = observed.get(k)
            && !v.matches_text(obs, REL_TOL)
        {
            out.push(KeyMismatch {
                observed_index: index,
                key: k.clone(),
                expected: v.to_string(),
                observed: obs.clone(),
            });
        }
    }
    out
}

/// Compares the observed exposures of one CCD (EXP_LOG rows in ObsID order) with a test
/// definition. Observed exposures are attributed to columns in order: an exposure that matches
/// a later column (not the current one) closes the current column (its remaining frames are
/// missing); exposures matching the current column beyond its frames are extra; an exposure
/// matching no column is attributed to the current column with its mismatching keys. Keys are
/// compared where the observed row has them (numbers within [`REL_TOL`], text exactly), except
/// the waived keys.
pub fn check_structure(def: &TestDef, observed: &[ObservedExposure]) -> StructureCheck {
    let waived_explog: Vec<&str> = def
        .waived_keys
        .iter()
        .filter_map(|k| def.elvis.explog_key(k))
        .collect();
    let expected: Vec<BTreeMap<String, ScriptValue>> = (0..def.columns.len())
        .map(|c| explog_values(def, c))
        .collect();
    let matches = |c: usize, i: usize| {
        mismatching_keys(&expected[c], &observed[i], &waived_explog, i).is_empty()
    };
    let mut columns = Vec::new();
    let mut i = 0usize;
    for (c, col) in def.columns.iter().enumerate() {
        let mut chk = ColumnCheck {
            label: TestDef::column_label(c),
            expected_frames: col.frames,
            observed_frames: 0,
            missing_frames: 0,
            extra_frames: 0,
            mismatches: Vec::new(),
        };
        while chk.observed_frames < col.frames && i < observed.len() {
            if matches(c, i) {
                chk.observed_frames += 1;
                i += 1;
            } else if (c + 1..def.columns.len()).any(|later| matches(later, i)) {
                break;
            } else {
                chk.mismatches.extend(mismatching_keys(
                    &expected[c],
                    &observed[i],
                    &waived_explog,
                    i,
                ));
                chk.observed_frames += 1;
                i += 1;
            }
        }
        chk.missing_frames = col.frames - chk.observed_frames;
        while i < observed.len()
            && matches(c, i)
            && !(c + 1..def.columns.len()).any(|later| matches(later, i))
        {
            chk.extra_frames += 1;
            i += 1;
        }
        columns.push(chk);
    }
    let unmatched_after_end = observed.len() - i;
    let expected_frames = def.expected_frame_count();
    let missing: u32 = columns.iter().map(|c| c.missing_frames).sum();
    let extra: u32 =
        columns.iter().map(|c| c.extra_frames).sum::<u32>() + unmatched_after_end as u32;
    let messages = structure_messages(
        &columns,
        observed.len(),
        expected_frames,
        missing,
        unmatched_after_end,
    );
    let checks_out = missing == 0 && extra == 0 && columns.iter().all(|c| c.mismatches.is_empty());
    StructureCheck {
        checks_out,
        expected_frames,
        observed_frames: observed.len(),
        columns,
        unmatched_after_end,
        messages,
    }
}

/// The messages of a structure check: too many or too few exposures, then per column the
/// missing and extra frames and the mismatching keys, then the exposures after the end.
fn structure_messages(
    columns: &[ColumnCheck],
    observed: usize,
    expected_frames: u32,
    missing: u32,
    unmatched_after_end: usize,
) -> Vec<String> {
    let mut messages = Vec::new();
    if observed > expected_frames as usize {
        messages.push("Number of Exposures exceeds Number of Expected Frames!".to_string());
    }
    if missing > 0 && observed < expected_frames as usize {
        messages.push("Test ended Too Early: missing Frames!".to_string());
    }
    for c in columns {
        if c.missing_frames > 0 {
            messages.push(format!(
                "{}: {} of {} frames missing",
                c.label, c.missing_frames, c.expected_frames
            ));
        }
        if c.extra_frames > 0 {
            messages.push(format!("{}: {} extra frames", c.label, c.extra_frames));
        }
        for m in &c.mismatches {
            messages.push(format!(
                "{}: exposure {}: {} = {} (expected {})",
                c.label, m.observed_index, m.key, m.observed, m.expected
            ));
        }
    }
    if unmatched_after_end > 0 {
        messages.push(format!(
            "{unmatched_after_end} exposures after the last column"
        ));
    }
    messages
}

/// Observed-exposure rows as the EXP_LOG would record the definition exactly (text cells):
/// useful to build fixtures and to test [`check_structure`].
pub fn as_observed(specs: &[ExposureSpec]) -> Vec<ObservedExposure> {
    specs
        .iter()
        .map(|s| {
            s.values
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        })
        .collect()
}
