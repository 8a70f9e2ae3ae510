//! Fluence compliance of flat-field columns (reference 4.9-4.11): the median image fluence of
//! each script column, per CCD and quadrant, against the expected fluence
//! `min(rel / 100, 1) x 65536 x [0.9, 1.1]` (`vison_flat::flat::fluence_check`). One table per
//! column (`fluence_<label>`) and FLUENCE_OOL, naming the column, only outside the limits.
//! Shared by the flat-field family (FLAT0x; PTC0x and NL0x can call it with their columns).

use std::collections::BTreeMap;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use vison_flat::flat::{FluenceCheck, fluence_check};

use crate::error::{Error, Result};
use crate::framework::analysis::{ComplianceEntry, ComplianceTable};
use crate::framework::data::test_definition;
use crate::framework::flags::{Flag, Flags};
use crate::framework::task::TaskEnv;

/// Allowed relative deviation from the expected fluence (reference: [0.9, 1.1]).
pub const FLUENCE_TOLERANCE_FRAC: f64 = 0.1;
/// Fluence of 100 % of full well in the reference's limits, ADU.
pub const FULL_SCALE_ADU: f64 = 65536.0;
/// Raw saturation level, ADU.
const SATURATION_ADU: f64 = 65535.0;

/// Expected median fluence of a column at `rel_fluence_pc` per cent of full well, ADU.
pub fn expected_fluence_adu(rel_fluence_pc: f64) -> f64 {
    (rel_fluence_pc / 100.0).min(1.0) * FULL_SCALE_ADU
}

/// Relative fluence (% of full well) of each script column (`col001` ...) of the test, when
/// its definition gives one per column (FLAT0x, PTC0x); empty otherwise (NL0x interleaves
/// background and stability columns: its caller maps them).
///
/// # Errors
/// The test definition cannot be built.
pub fn column_rel_fluences(env: &TaskEnv<'_>) -> Result<BTreeMap<String, f64>> {
    let def = test_definition(&env.test, &env.cfg.select_for(&env.test), env.elvis)?;
    let rel = &def.params.rel_fluences_pc;
    if rel.len() != def.n_cols() {
        return Ok(BTreeMap::new());
    }
    Ok(rel
        .iter()
        .enumerate()
        .map(|(i, r)| (vison_testdefs::TestDef::column_label(i), *r))
        .collect())
}

/// The fluence of one column, CCD and quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnFluence {
    /// CCD (1..3).
    pub ccd: u8,
    /// Quadrant name.
    pub quadrant: String,
    /// Script column label.
    pub label: String,
    /// Relative fluence of the column, per cent of full well.
    pub rel_fluence_pc: f64,
    /// Median fluence against the limits.
    pub check: FluenceCheck,
}

/// Fluence check of an offset-subtracted image area (a frame or a median stack of the
/// column's frames) against the expected fluence of `rel_fluence_pc`; `offset_adu` gives the
/// saturation level (65535 minus the offset).
///
/// # Errors
/// No valid pixel.
pub fn check_column_fluence(
    img: ArrayView2<'_, f32>,
    rel_fluence_pc: f64,
    offset_adu: f64,
) -> Result<FluenceCheck> {
    fluence_check(
        img,
        None,
        expected_fluence_adu(rel_fluence_pc),
        FLUENCE_TOLERANCE_FRAC,
        SATURATION_ADU - offset_adu,
    )
    .map_err(|e| Error::step("", "fluence", e))
}

/// Compliance tables `fluence_<label>` (CCD -> quadrant -> median fluence in its limits) and
/// FLUENCE_OOL for every entry outside them.
pub fn fluence_compliance(items: &[ColumnFluence]) -> (BTreeMap<String, ComplianceTable>, Flags) {
    let mut tables: BTreeMap<String, ComplianceTable> = BTreeMap::new();
    let mut flags = Flags::new();
    for it in items {
        let c = &it.check;
        let t = tables
            .entry(format!("fluence_{}", it.label))
            .or_insert_with(|| ComplianceTable {
                description: format!(
                    "median image fluence of column {} vs {} % of full well ({} ADU) x [{}, {}]",
                    it.label,
                    it.rel_fluence_pc,
                    expected_fluence_adu(it.rel_fluence_pc),
                    1.0 - FLUENCE_TOLERANCE_FRAC,
                    1.0 + FLUENCE_TOLERANCE_FRAC
                ),
                unit: "ADU".into(),
                ccds: BTreeMap::new(),
            });
        let e = ComplianceEntry::check(c.median_adu, c.min_adu, c.max_adu, true);
        if !e.pass {
            flags.raise(
                Flag::FLUENCE_OOL,
                format!(
                    "CCD{} {} column {}: median fluence {:.0} ADU outside [{:.0}, {:.0}] ({} % of full well)",
                    it.ccd, it.quadrant, it.label, c.median_adu, c.min_adu, c.max_adu, it.rel_fluence_pc
                ),
            );
        }
        t.ccds
            .entry(format!("CCD{}", it.ccd))
            .or_default()
            .insert(it.quadrant.clone(), e);
    }
    (tables, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_reference_and_flag_only_outside() {
        assert_eq!(expected_fluence_adu(25.0), 16384.0);
        assert_eq!(expected_fluence_adu(120.0), 65536.0);
        let img = ndarray::Array2::from_elem((20, 20), 17_000.0f32);
        let ok = check_column_fluence(img.view(), 25.0, 2000.0).unwrap();
        let bad = check_column_fluence(img.view(), 50.0, 2000.0).unwrap();
        assert_eq!(ok.min_adu, 16384.0 * 0.9);
        let item = |label: &str, check: FluenceCheck| ColumnFluence {
            ccd: 2,
            quadrant: "G".into(),
            label: label.into(),
            rel_fluence_pc: 25.0,
            check,
        };
        let (t, f) = fluence_compliance(&[item("col001", ok)]);
        assert!(f.is_empty());
        assert!(t["fluence_col001"].all_pass());
        let (t, f) = fluence_compliance(&[item("col002", bad)]);
        assert!(!t["fluence_col002"].all_pass());
        let r = format!("{:?}", f);
        assert!(
            r.contains("FLUENCE_OOL") && r.contains("CCD2 G column col002"),
            "{r}"
        );
    }
}
