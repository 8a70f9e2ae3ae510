//! Expected offsets per block (`testdata/blocks/<BLOCK>_offsets.json`) and gains per CCD and
//! quadrant: the per-quadrant reference values the checks and analyses use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::framework::atomic::read_json;
use crate::framework::config::{CalibrationConfig, PerfLimits};

/// Expected offsets shipped inside the binary: (block name, JSON). A lab adds its own blocks
/// as `<NAME>_offsets.json` in `$VISON_BLOCKS_DIR`, or names a file (`--block FILE.json`,
/// `limits.offsets_file`).
const BUILTIN_BLOCKS: &[(&str, &str)] = &[
    (
        "UNKNOWN",
        include_str!("../../../../testdata/blocks/UNKNOWN_offsets.json"),
    ),
    (
        "SIM_SEED1",
        include_str!("../../../../testdata/blocks/SIM_SEED1_offsets.json"),
    ),
];

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
        Self::builtin("UNKNOWN").unwrap_or_else(|| BlockOffsets {
            block: "UNKNOWN".into(),
            description: String::new(),
            offsets_adu: BTreeMap::new(),
        })
    }

    /// A block shipped inside the binary.
    pub fn builtin(name: &str) -> Option<Self> {
        BUILTIN_BLOCKS
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, json)| serde_json::from_str(json).ok())
    }

    /// Names of the known blocks: built in, then those in `$VISON_BLOCKS_DIR`.
    pub fn known_names() -> Vec<String> {
        let mut names: Vec<String> = BUILTIN_BLOCKS.iter().map(|(n, _)| n.to_string()).collect();
        if let Some(dir) = blocks_dir()
            && let Ok(rd) = std::fs::read_dir(dir)
        {
            for e in rd.flatten() {
                let f = e.file_name().to_string_lossy().to_string();
                if let Some(n) = f.strip_suffix("_offsets.json")
                    && !names.iter().any(|k| k == n)
                {
                    names.push(n.to_string());
                }
            }
        }
        names
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

    /// Resolves the offsets of a session: `limits.offsets_file`; else `block` as a file
    /// (`*.json` or a path); else `$VISON_BLOCKS_DIR/<block>_offsets.json`; else a built-in
    /// block; no block means UNKNOWN. An unknown name is an error listing the known ones.
    pub fn resolve(limits: &PerfLimits, block: Option<&str>) -> Result<(Self, String)> {
        if let Some(p) = &limits.offsets_file {
            return Ok((Self::from_file(p)?, p.display().to_string()));
        }
        let Some(b) = block else {
            return Ok((Self::unknown(), "built-in UNKNOWN block".into()));
        };
        let as_path = Path::new(b);
        if b.ends_with(".json") || b.contains(std::path::MAIN_SEPARATOR) || b.contains('/') {
            return Ok((Self::from_file(as_path)?, as_path.display().to_string()));
        }
        if !b
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(Error::Config {
                file: "<options>".into(),
                detail: format!("block `{b}`: a block name is letters, digits, `_` and `-`"),
            });
        }
        if let Some(dir) = blocks_dir() {
            let p = dir.join(format!("{b}_offsets.json"));
            if p.is_file() {
                return Ok((Self::from_file(&p)?, p.display().to_string()));
            }
        }
        match Self::builtin(b) {
            Some(o) => Ok((o, format!("built-in {b} block"))),
            None => Err(Error::Config {
                file: "<options>".into(),
                detail: format!(
                    "unknown block `{b}` (known: {}; add <NAME>_offsets.json to $VISON_BLOCKS_DIR or give a file)",
                    Self::known_names().join(", ")
                ),
            }),
        }
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

/// Folder of a lab's own block files: `$VISON_BLOCKS_DIR` when set.
pub fn blocks_dir() -> Option<PathBuf> {
    std::env::var_os("VISON_BLOCKS_DIR").map(PathBuf::from)
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
