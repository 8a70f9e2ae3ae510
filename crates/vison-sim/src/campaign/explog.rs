//! EXP_LOG rows of the campaign (through `vison-explog`) and the FITS headers derived from
//! them (reference 1.4: every EXP_LOG column except File_name, fl_rdout, ci_rdout and wave,
//! plus WAVELENG).

use std::sync::Arc;

use vison_ccd::Header;
use vison_explog::{ExpLogRow, Schema, Value, format_elvis_datetime};

use super::files::foreign;
use super::plan::PlannedExposure;
use crate::Error;
use vison_testdefs::{ElvisVersion, ScriptValue};

fn to_value(v: &ScriptValue) -> Value {
    match v {
        ScriptValue::Int(i) => Value::Int(*i),
        ScriptValue::Float(f) => Value::Float(*f),
        ScriptValue::Str(s) => Value::Str(s.clone()),
    }
}

/// Sets a column when the layout has it (names differ between versions).
fn set_any(row: &mut ExpLogRow, names: &[&str], value: Value) -> Result<(), vison_explog::Error> {
    for n in names {
        if row.schema().index_of(n).is_some() {
            row.set(n, value)?;
            return Ok(());
        }
    }
    Ok(())
}

/// The EXP_LOG row of CCD `ccd` (1..3) of an exposure. `temps_c[ccd-1] = [top, bottom]`.
pub(crate) fn explog_row(
    schema: &Arc<Schema>,
    exp: &PlannedExposure,
    ccd: u8,
    file_stem: &str,
    elvis: ElvisVersion,
    temps_c: &[[f64; 2]; 3],
) -> Result<ExpLogRow, Error> {
    let path = std::path::Path::new(file_stem);
    let mut row = ExpLogRow::new(schema.clone());
    let fill = |row: &mut ExpLogRow| -> Result<(), vison_explog::Error> {
        // Defaults of the reference generator (7.1), then the script values.
        set_any(
            row,
            &["egse_ver", "EGSE_ver"],
            Value::Str(elvis.as_str().into()),
        )?;
        set_any(
            row,
            &["con_file", "Con_file"],
            Value::Str("vis_roe_config_cotsqm_273_vn.txt".into()),
        )?;
        set_any(row, &["fl_rdout", "Flsh-Rdout_e_time"], Value::Float(0.0))?;
        set_any(row, &["ci_rdout", "C.Inj-Rdout_e_time"], Value::Float(0.0))?;
        set_any(row, &["fpga_ver", "FPGA_ver"], Value::Str("2AC".into()))?;
        set_any(row, &["cdpu_clk", "spw_clk", "SPW_clk"], Value::Int(0))?;
        set_any(row, &["calscrpt", "CalScrpt"], Value::Str("Unknown".into()))?;
        set_any(row, &["BUNIT"], Value::Str("ADU".into()))?;
        for (k, v) in &exp.explog {
            set_any(row, &[k.as_str()], to_value(v))?;
        }
        set_any(row, &["ObsID"], Value::Int(exp.obsid as i64))?;
        set_any(row, &["File_name"], Value::Str(file_stem.into()))?;
        set_any(row, &["CCD"], Value::Str(format!("CCD{ccd}")))?;
        set_any(row, &["ROE"], Value::Str("ROE1".into()))?;
        set_any(
            row,
            &["date", "DATE"],
            Value::Str(format_elvis_datetime(exp.start)),
        )?;
        for (i, t) in temps_c.iter().enumerate() {
            let n = i + 1;
            set_any(
                row,
                &[&format!("R1C{n}_TT"), &format!("R1CCD{n}TT")],
                Value::Float(round3(t[0])),
            )?;
            set_any(
                row,
                &[&format!("R1C{n}_TB"), &format!("R1CCD{n}TB")],
                Value::Float(round3(t[1])),
            )?;
        }
        Ok(())
    };
    fill(&mut row).map_err(|e| {
        foreign(
            path,
            format!("EXP_LOG row of ObsID {} CCD{ccd}: {e}", exp.obsid),
        )
    })?;
    Ok(row)
}

/// Rounds to 3 decimals (HK/EXP_LOG precision).
pub(crate) fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// FITS header of a frame from its EXP_LOG row.
pub(crate) fn header_from_row(row: &ExpLogRow, wave: i64) -> Header {
    let mut h = Header::new();
    for (c, v) in row.schema().columns().iter().zip(row.values()) {
        let lname = c.name.to_ascii_lowercase();
        if matches!(
            lname.as_str(),
            "file_name" | "fl_rdout" | "ci_rdout" | "wave" | "wavelength"
        ) {
            continue;
        }
        let key = c.name.to_ascii_uppercase();
        if key.len() > 8
            || !key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        {
            continue;
        }
        match v {
            Value::Int(i) => h.set(&key, *i),
            Value::Float(f) => h.set(&key, *f),
            Value::Str(s) => h.set(&key, s.as_str()),
            Value::Missing => continue,
        };
    }
    h.set("WAVELENG", wave);
    h.add_history("vison-sim synthetic frame (see truth.json)");
    h
}
