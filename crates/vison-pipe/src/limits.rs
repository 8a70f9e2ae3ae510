//! Expected offsets per block (`testdata/blocks/<BLOCK>_offsets.json`) and gains per CCD and
//! quadrant: the per-quadrant reference values the checks and analyses use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::read_json;
use crate::config::{CalibrationConfig, PerfLimits};
use crate::error::{Error, Result};

/// Built-in expected offsets of the UNKNOWN block.
const UNKNOWN_OFFSETS: &str = include_str!("../../../testdata/blocks/UNKNOWN_offsets.json");

/// Expected prescan offsets of a block, per CCD and quadrant (the documented JSON form:
/// `{"block": "NAME", "description": "...", "offsets_adu": {"CCD1": {"E": 2800.0, ...}}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockOffsets {
    /// Block name.
    pub block: String,
    /// Free text: origin of the values.
    #[serde(default)]
    pub description: String,
    /// Expected offset per CCD (`CCD1`..`CCD3`) and quadrant (`E`..`H`), ADU.
    pub offsets_adu: BTreeMap<String, BTreeMap<String, f64>>,
}

impl BlockOffsets {
    /// The built-in UNKNOWN block (2800 ADU everywhere).
    pub fn unknown() -> Self {
        serde_json::from_str(UNKNOWN_OFFSETS).unwrap_or_else(|_| BlockOffsets {
            block: "UNKNOWN".into(),
            description: String::new(),
            offsets_adu: BTreeMap::new(),
        })
    }

    /// Reads a block offsets file; every CCD1..3 x E..H entry must be present.
    pub fn from_file(path: &Path) -> Result<Self> {
        let b: BlockOffsets = read_json(path)?;
        for c in 1..=3 {
            for q in ["E", "F", "G", "H"] {
                let ok = b
                    .offsets_adu
                    .get(&format!("CCD{c}"))
                    .and_then(|m| m.get(q))
                    .is_some_and(|v| v.is_finite());
                if !ok {
                    return Err(Error::Json {
                        path: path.to_path_buf(),
                        detail: format!("offsets_adu.CCD{c}.{q} missing or not a number"),
                    });
                }
            }
        }
        Ok(b)
    }

    /// Resolves the offsets of a session: `limits.offsets_file`, else
    /// `<blocks_dir>/<block>_offsets.json` when it exists, else the UNKNOWN block.
    pub fn resolve(limits: &PerfLimits, block: Option<&str>) -> Result<(Self, String)> {
        if let Some(p) = &limits.offsets_file {
            return Ok((Self::from_file(p)?, p.display().to_string()));
        }
        if let Some(b) = block.filter(|b| *b != "UNKNOWN") {
            let p = blocks_dir().join(format!("{b}_offsets.json"));
            if p.exists() {
                return Ok((Self::from_file(&p)?, p.display().to_string()));
            }
            tracing::warn!(
                block = b,
                "no expected offsets for this block; using UNKNOWN"
            );
        }
        Ok((Self::unknown(), "built-in UNKNOWN block".into()))
    }

    /// Expected offset of a CCD (1-based) and quadrant name, ADU.
    pub fn expected_adu(&self, ccd: u8, quad: &str) -> f64 {
        self.offsets_adu
            .get(&format!("CCD{ccd}"))
            .and_then(|m| m.get(quad))
            .copied()
            .unwrap_or(2800.0)
    }
}

/// Folder of the block files: `$VISON_BLOCKS_DIR`, else the repository's `testdata/blocks`.
pub fn blocks_dir() -> PathBuf {
    std::env::var_os("VISON_BLOCKS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("..")
                .join("testdata")
                .join("blocks")
        })
}

/// Gains per CCD and quadrant, with where they came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gains {
    /// Gain per CCD and quadrant, e-/ADU (missing entries use `nominal_e_per_adu`).
    pub gains_e_per_adu: BTreeMap<String, BTreeMap<String, f64>>,
    /// Gain used where none is given.
    pub nominal_e_per_adu: f64,
    /// Origin (file, inline or nominal).
    pub source: String,
}

impl Gains {
    /// Gains from the calibration settings.
    pub fn resolve(cal: &CalibrationConfig) -> Result<Self> {
        let (map, source) = if !cal.gains_e_per_adu.is_empty() {
            (
                cal.gains_e_per_adu.clone(),
                "session configuration".to_string(),
            )
        } else if let Some(p) = &cal.gains_file {
            let m: BTreeMap<String, BTreeMap<String, f64>> = read_json(p)?;
            (m, p.display().to_string())
        } else {
            (
                BTreeMap::new(),
                format!("nominal {} e-/ADU", cal.nominal_gain_e_per_adu),
            )
        };
        Ok(Gains {
            gains_e_per_adu: map,
            nominal_e_per_adu: cal.nominal_gain_e_per_adu,
            source,
        })
    }

    /// Gain of a CCD (1-based) and quadrant name, e-/ADU.
    pub fn get(&self, ccd: u8, quad: &str) -> f64 {
        self.gains_e_per_adu
            .get(&format!("CCD{ccd}"))
            .and_then(|m| m.get(quad))
            .copied()
            .filter(|g| g.is_finite() && *g > 0.0)
            .unwrap_or(self.nominal_e_per_adu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_block_is_2800_everywhere() {
        let b = BlockOffsets::unknown();
        assert_eq!(b.block, "UNKNOWN");
        assert_eq!(b.expected_adu(2, "G"), 2800.0);
        assert_eq!(b.offsets_adu.len(), 3);
    }

    #[test]
    fn incomplete_block_file_names_the_missing_entry() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("X_offsets.json");
        std::fs::write(&p, r#"{"block":"X","offsets_adu":{"CCD1":{"E":1.0}}}"#).unwrap();
        let e = BlockOffsets::from_file(&p).unwrap_err().to_string();
        assert!(e.contains("offsets_adu.CCD1.F"), "{e}");
    }

    #[test]
    fn gains_fall_back_to_nominal() {
        let mut cal = CalibrationConfig::default();
        cal.gains_e_per_adu
            .entry("CCD1".into())
            .or_default()
            .insert("E".into(), 3.1);
        let g = Gains::resolve(&cal).unwrap();
        assert_eq!(g.get(1, "E"), 3.1);
        assert_eq!(g.get(1, "F"), 3.3);
    }
}
