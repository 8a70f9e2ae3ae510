//! Bridge between test definitions and `vison-explog` tables: EXP_LOG rows of an expected
//! exposure, and the completeness check of a loaded exposure log, per CCD.

use std::collections::BTreeMap;
use std::sync::Arc;

use vison_explog::{ExpLog, ExpLogRow, Schema, Value};

use super::def::TestDef;
use super::elvis::ScriptVersion as _;
use super::expand::{ExposureSpec, ObservedExposure, StructureCheck, check_structure};
use super::value::ScriptValue;
use crate::Error;

fn to_value(v: &ScriptValue) -> Value {
    match v {
        ScriptValue::Int(i) => Value::Int(*i),
        ScriptValue::Float(x) => Value::Float(*x),
        ScriptValue::Str(s) => Value::Str(s.clone()),
    }
}

impl ExposureSpec {
    /// An EXP_LOG row of `schema` holding this exposure's script-derived values (other cells
    /// stay empty: ObsID, CCD, file name, date, temperatures... are the caller's). Keys that are
    /// not columns of the schema are skipped.
    pub fn to_explog_row(&self, schema: Arc<Schema>) -> Result<ExpLogRow, Error> {
        let mut row = ExpLogRow::new(schema.clone());
        for (k, v) in &self.values {
            if schema.index_of(k).is_some() {
                row.set(k, to_value(v))?;
            }
        }
        Ok(row)
    }
}

/// An EXP_LOG row as text cells (missing cells left out).
pub fn observed_from_row(row: &ExpLogRow) -> ObservedExposure {
    row.schema()
        .columns()
        .iter()
        .zip(row.values())
        .filter(|(_, v)| **v != Value::Missing)
        .map(|(c, v)| (c.name.clone(), v.to_string()))
        .collect()
}

/// Checks an exposure log against a test definition, for each CCD 1..3: rows whose test key
/// equals `def.test` (and, unless the test is colour-blind, whose filter is that of the first
/// column), in ObsID order, go through [`check_structure`]. A CCD without rows reports every
/// frame missing.
pub fn check_explog(def: &TestDef, log: &ExpLog) -> BTreeMap<u8, StructureCheck> {
    let test_key = def.elvis.explog_key("test").unwrap_or("test");
    let wave_key = def.elvis.explog_key("wave").unwrap_or("wave");
    let wave = def
        .columns
        .first()
        .and_then(|c| c.get("wave"))
        .and_then(ScriptValue::as_i64);
    let mut per_ccd: BTreeMap<u8, Vec<(i64, ObservedExposure)>> =
        (1..=3).map(|c| (c, Vec::new())).collect();
    for row in log.rows() {
        if row.get_str(test_key).map(str::trim) != Some(def.test.as_str()) {
            continue;
        }
        if !def.colorblind && wave.is_some() && row.get_i64(wave_key) != wave {
            continue;
        }
        let Some(ccd) = row.ccd() else {
            tracing::warn!(obsid = ?row.obsid(), "EXP_LOG row without a CCD number skipped");
            continue;
        };
        per_ccd
            .entry(ccd)
            .or_default()
            .push((row.obsid().unwrap_or(i64::MAX), observed_from_row(row)));
    }
    per_ccd
        .into_iter()
        .map(|(ccd, mut rows)| {
            rows.sort_by_key(|(obsid, _)| *obsid);
            let obs: Vec<ObservedExposure> = rows.into_iter().map(|(_, o)| o).collect();
            (ccd, check_structure(def, &obs))
        })
        .collect()
}
