//! The typed script structure of a test and the filling rule (reference 4.1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::elvis::ElvisVersion;
use super::value::ScriptValue;
use vison_ogse::OgseProfile;

/// Script values keyed by canonical script key.
pub type Values = BTreeMap<String, ScriptValue>;

/// One script column: `frames` identical exposures with the given (filled) key values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptColumn {
    /// Number of frames (exposures) of the column.
    pub frames: u32,
    /// Every script key of the ELVIS version (canonical names, `frames` excluded).
    pub values: Values,
}

impl ScriptColumn {
    /// A value of the column.
    pub fn get(&self, key: &str) -> Option<&ScriptValue> {
        self.values.get(key)
    }

    /// A numeric value of the column.
    pub fn num(&self, key: &str) -> Option<f64> {
        self.values.get(key).and_then(ScriptValue::as_f64)
    }
}

/// Parameters a test was built with (what the pipeline needs beyond the script values).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestParams {
    /// Wavelength (nm) of the test's source, if single-wavelength.
    pub wavelength_nm: Option<u32>,
    /// Filter-wheel slot of that wavelength.
    pub filter: Option<u8>,
    /// Seconds to full well at that wavelength (flat or point source, per the test).
    pub t_fwc_s: Option<f64>,
    /// Relative fluences (% of full well) of the fluence columns, in column order.
    pub rel_fluences_pc: Vec<f64>,
    /// Scanned values (IG1 or IDL in V, toi_tp in us, dwell_s in us, mirror offset in mm ...)
    /// with their canonical key, when the test scans one key.
    pub scanned_key: Option<String>,
    /// Scanned values, in first-occurrence order.
    pub scanned_values: Vec<f64>,
    /// Injection delays (id_dly, us) used, in order.
    pub id_delays_us: Vec<f64>,
}

/// The full script structure of one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestDef {
    /// Task name (e.g. `PTC02_730`, `BF01`).
    pub name: String,
    /// Value of the `test` key in the script and EXP_LOG (differs from `name` for surrogates,
    /// e.g. BF01 uses the PTC01 data).
    pub test: String,
    /// ELVIS version the script is written for.
    pub elvis: ElvisVersion,
    /// Filled script columns, in order (`col001`, `col002`, ...).
    pub columns: Vec<ScriptColumn>,
    /// Whether exposure selection ignores the filter (`wave`).
    pub colorblind: bool,
    /// Canonical keys not checked against the EXP_LOG (`wavedkeys`, usually `motr_siz`).
    pub waived_keys: Vec<String>,
    /// Build parameters.
    pub params: TestParams,
}

impl TestDef {
    /// Number of script columns.
    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// Total number of exposures (sum of frames over columns).
    pub fn expected_frame_count(&self) -> u32 {
        self.columns.iter().map(|c| c.frames).sum()
    }

    /// Frames per column.
    pub fn frames_per_column(&self) -> Vec<u32> {
        self.columns.iter().map(|c| c.frames).collect()
    }

    /// Caps the frames of every column at `max_frames` (at least 1), e.g. for quick synthetic
    /// campaigns; an even cap keeps PTC pairs. Returns the definition for chaining.
    pub fn with_max_frames_per_column(mut self, max_frames: u32) -> Self {
        for c in &mut self.columns {
            c.frames = c.frames.min(max_frames.max(1));
        }
        self
    }

    /// Column label of a 0-based column index (`col001` ...).
    pub fn column_label(index: usize) -> String {
        format!("col{:03}", index + 1)
    }
}

/// Which set of per-test defaults to use where the reference gives two.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    /// The test class defaults.
    #[default]
    Class,
    /// The values of the campaign test sequence (e.g. BIAS01 10 frames, CHINJ01 18 IG1 values).
    Campaign,
}

/// Options of [`crate::test_def`].
#[derive(Debug, Clone, PartialEq)]
pub struct TestOptions {
    /// ELVIS version (default 7.5.X).
    pub elvis: ElvisVersion,
    /// Chamber profile (default the real B_CBE_MAR19).
    pub ogse: OgseProfile,
    /// Class or campaign defaults.
    pub preset: Preset,
    /// Values forced on every column (serial numbers, operator, forced voltages), canonical
    /// names; they override everything (reference 4.1).
    pub diffvalues: Values,
    /// Number of frames for single-column tests (BIAS0X, DARK01, CHINJ00, TP00).
    pub n_frames: Option<u32>,
    /// Wavelength (nm) for tests that take one when the name carries no `_<wave>` suffix.
    pub wavelength_nm: Option<u32>,
}

impl Default for TestOptions {
    fn default() -> Self {
        TestOptions {
            elvis: ElvisVersion::default(),
            ogse: OgseProfile::default_chamber(),
            preset: Preset::Class,
            diffvalues: Values::new(),
            n_frames: None,
            wavelength_nm: None,
        }
    }
}

/// The filling rule (reference 4.1): each column starts from the ELVIS `defaults`, updated with
/// the test's `common` values, then the column's own values; finally `diffvalues` override
/// everything. A `frames` entry in `diffvalues` is ignored (frames come from the column).
pub fn fill_columns(
    defaults: &Values,
    common: &Values,
    columns: &[(u32, Values)],
    diffvalues: &Values,
) -> Vec<ScriptColumn> {
    columns
        .iter()
        .map(|(frames, own)| {
            let mut values = defaults.clone();
            values.extend(common.iter().map(|(k, v)| (k.clone(), v.clone())));
            values.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
            values.extend(diffvalues.iter().map(|(k, v)| (k.clone(), v.clone())));
            values.remove("frames");
            ScriptColumn {
                frames: *frames,
                values,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffvalues_override_column_values() {
        let mut defaults = Values::new();
        defaults.insert("IDL".into(), 13.0.into());
        defaults.insert("operator".into(), "cpf".into());
        let mut common = Values::new();
        common.insert("IDL".into(), 11.0.into());
        let mut col = Values::new();
        col.insert("IDL".into(), 10.0.into());
        let mut diff = Values::new();
        diff.insert("operator".into(), "raf".into());
        diff.insert("frames".into(), 9.into());
        let cols = fill_columns(&defaults, &common, &[(2, col), (3, Values::new())], &diff);
        assert_eq!(cols[0].frames, 2);
        assert_eq!(cols[0].num("IDL"), Some(10.0));
        assert_eq!(cols[1].num("IDL"), Some(11.0));
        assert_eq!(cols[1].get("operator"), Some(&ScriptValue::from("raf")));
        assert!(cols[0].get("frames").is_none());
        diff.insert("IDL".into(), 12.5.into());
        let cols = fill_columns(&defaults, &common, &[(1, Values::new())], &diff);
        assert_eq!(cols[0].num("IDL"), Some(12.5));
    }
}
