//! ELVIS acquisition-script .xlsx writer and reader (reference 7.2).

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx, open_workbook};
use rust_xlsxwriter::Workbook;

use crate::Error;
use crate::{
    ElvisVersion, KeyKind, ScriptColumn, ScriptValue, ScriptVersion, TestDef, TestParams, Values,
    is_voltage_key, key_kind,
};

fn xlsx_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::XlsxWrite {
        path: path.to_path_buf(),
        msg: e.to_string(),
    }
}

/// Spreadsheet cell name (`A1` style) of a 0-based (row, column).
fn cell_name(row: usize, col: usize) -> String {
    let mut letters = String::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.insert(0, char::from(b'A' + r as u8));
        c = (c - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// Value of a canonical key as written in a script of `elvis` (mV voltages and `Filter N` for
/// the legacy versions).
fn to_script_value(elvis: ElvisVersion, key: &str, v: &ScriptValue) -> ScriptValue {
    if elvis.is_legacy() {
        if is_voltage_key(key)
            && let Some(x) = v.as_f64()
        {
            return ScriptValue::Float((x * 1000.0 * 1e6).round() / 1e6);
        }
        if key == "wave"
            && let Some(n) = v.as_i64()
        {
            return ScriptValue::Str(format!("Filter {n}"));
        }
    }
    v.clone()
}

/// Inverse of [`to_script_value`].
fn from_script_value(elvis: ElvisVersion, key: &str, v: ScriptValue) -> ScriptValue {
    if elvis.is_legacy() {
        if is_voltage_key(key)
            && let Some(x) = v.as_f64()
        {
            return ScriptValue::Float((x / 1000.0 * 1e9).round() / 1e9);
        }
        if key == "wave"
            && let ScriptValue::Str(s) = &v
            && let Some(n) = s
                .trim()
                .strip_prefix("Filter")
                .and_then(|n| n.trim().parse::<i64>().ok())
        {
            return ScriptValue::Int(n);
        }
    }
    v
}

/// Writes the acquisition script of a test in the ELVIS layout of `elvis` (reference 7.2):
/// single sheet "Sheet1", no header row; first column the script keys of the version (one per
/// row), then one column per script column; the `frames` row holds the cumulative frame count;
/// for ELVIS >= 6.0.0 a last column with "End" in the first row. Keys missing from the
/// definition take the version's defaults.
pub fn write_script_xlsx(def: &TestDef, elvis: ElvisVersion, path: &Path) -> Result<(), Error> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Sheet1").map_err(|e| xlsx_err(path, e))?;
    let defaults = elvis.defaults();
    let keys = elvis.canonical_script_keys();
    for (r, key) in keys.iter().enumerate() {
        let row = r as u32;
        ws.write_string(row, 0, elvis.script_name(key))
            .map_err(|e| xlsx_err(path, e))?;
        let mut cumulative: u64 = 0;
        for (c, col) in def.columns.iter().enumerate() {
            let xc = (c + 1) as u16;
            if *key == "frames" {
                cumulative += u64::from(col.frames);
                ws.write_number(row, xc, cumulative as f64)
                    .map_err(|e| xlsx_err(path, e))?;
                continue;
            }
            let v = col.values.get(*key).or_else(|| defaults.get(*key));
            match v.map(|v| to_script_value(elvis, key, v)) {
                Some(ScriptValue::Int(i)) => ws.write_number(row, xc, i as f64),
                Some(ScriptValue::Float(x)) => ws.write_number(row, xc, x),
                Some(ScriptValue::Str(s)) => ws.write_string(row, xc, s),
                None => ws.write_string(row, xc, ""),
            }
            .map_err(|e| xlsx_err(path, e))?;
        }
    }
    if elvis.has_end_column() {
        ws.write_string(0, (def.columns.len() + 1) as u16, "End")
            .map_err(|e| xlsx_err(path, e))?;
    }
    wb.save(path).map_err(|e| xlsx_err(path, e))?;
    tracing::debug!(path = %path.display(), test = %def.name, cols = def.columns.len(), "script written");
    Ok(())
}

/// ELVIS version from a script file name `..._v<version>.xlsx`.
fn version_from_name(path: &Path) -> Option<ElvisVersion> {
    let stem = path.file_stem()?.to_str()?;
    let (_, v) = stem.rsplit_once("_v")?;
    crate::parse_script_version(v).ok()
}

fn cell_value(d: &Data) -> Option<ScriptValue> {
    match d {
        Data::Int(i) => Some(ScriptValue::Int(*i)),
        Data::Float(x) => Some(ScriptValue::Float(*x)),
        Data::String(s) => Some(ScriptValue::Str(s.clone())),
        Data::Bool(b) => Some(ScriptValue::Int(i64::from(*b))),
        Data::Empty => None,
        other => Some(ScriptValue::Str(other.to_string())),
    }
}

/// Reads an acquisition script written in the ELVIS layout back into a [`TestDef`]. The ELVIS
/// version is taken from the file name (`_v<version>.xlsx`) or else guessed from the keys
/// (long names: 6.0.0; `roe-tab`: 7.5.X; otherwise 6.3.0). Values are converted to canonical
/// names and units; an empty cell of a numeric key takes the version's default (as ELVIS
/// does for missing keys). `name` and `test` are the `test` value of the first column; the definition
/// is colour-blind when the columns use several filters; build parameters are left empty.
pub fn read_script_xlsx(path: &Path) -> Result<TestDef, Error> {
    let perr = |msg: String| parse_err(path, msg);
    let mut wb: Xlsx<_> =
        open_workbook(path).map_err(|e| perr(format!("cannot open workbook: {e}")))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| perr("no worksheet".into()))?
        .map_err(|e| perr(format!("cannot read first sheet: {e}")))?;
    if range.start() != Some((0, 0)) {
        return Err(perr("the script must start at cell A1".into()));
    }
    let keys = script_keys(path, &range)?;
    let elvis = version_from_name(path).unwrap_or_else(|| version_from_keys(&keys));
    let sheet = ScriptSheet {
        path,
        defaults: elvis.defaults(),
        range,
        keys,
        elvis,
    };
    let mut columns = Vec::new();
    let mut previous_total: i64 = 0;
    for c in 1..sheet.range.get_size().1 {
        match sheet.range.get((0, c)) {
            Some(Data::String(s)) if s.trim() == "End" => break,
            None | Some(Data::Empty) => break,
            _ => {}
        }
        columns.push(sheet.read_column(c, &mut previous_total)?);
    }
    if columns.is_empty() {
        return Err(perr("no script columns".into()));
    }
    let test = columns[0]
        .get("test")
        .map(ToString::to_string)
        .unwrap_or_default();
    let first_wave = columns[0].get("wave").cloned();
    let colorblind = columns.iter().any(|c| c.get("wave").cloned() != first_wave);
    Ok(TestDef {
        name: test.clone(),
        test,
        elvis,
        columns,
        colorblind,
        waived_keys: vec!["motr_siz".into()],
        params: TestParams::default(),
    })
}

fn parse_err(path: &Path, msg: String) -> Error {
    Error::Parse {
        path: path.to_path_buf(),
        msg,
    }
}

/// The script keys of the first column (one per row, the first `frames`).
fn script_keys(path: &Path, range: &Range<Data>) -> Result<Vec<String>, Error> {
    let keys: Vec<String> = (0..range.get_size().0)
        .map(|r| match range.get((r, 0)) {
            Some(Data::String(s)) => Ok(s.trim().to_string()),
            other => Err(parse_err(
                path,
                format!(
                    "cell {}: expected a script key, got {other:?}",
                    cell_name(r, 0)
                ),
            )),
        })
        .collect::<Result<_, _>>()?;
    if keys.first().map(String::as_str) != Some("frames") {
        return Err(parse_err(
            path,
            "cell A1: the first key must be `frames`".into(),
        ));
    }
    Ok(keys)
}

/// ELVIS version of a script whose file name does not give it, from its key names.
fn version_from_keys(keys: &[String]) -> ElvisVersion {
    if keys.iter().any(|k| k == "readmode_1") {
        ElvisVersion::V6_0_0
    } else if keys.iter().any(|k| k == "roe-tab") {
        ElvisVersion::V7_5_X
    } else {
        ElvisVersion::V6_3_0
    }
}

/// A script sheet being read.
struct ScriptSheet<'a> {
    path: &'a Path,
    range: Range<Data>,
    /// Script keys, one per row.
    keys: Vec<String>,
    elvis: ElvisVersion,
    /// ELVIS defaults of the version (canonical keys), for empty cells.
    defaults: BTreeMap<String, ScriptValue>,
}

impl ScriptSheet<'_> {
    fn err(&self, msg: String) -> Error {
        parse_err(self.path, msg)
    }

    /// Script column `c` (1-based sheet column); `previous_total` is the cumulative frame
    /// count of the columns before, updated.
    fn read_column(&self, c: usize, previous_total: &mut i64) -> Result<ScriptColumn, Error> {
        let label = TestDef::column_label(c - 1);
        let mut values = Values::new();
        let mut frames = 0u32;
        for (r, key) in self.keys.iter().enumerate() {
            let canonical = self.elvis.canonical_from_script_name(key);
            let raw = self.range.get((r, c)).and_then(cell_value);
            if canonical == "frames" {
                frames = self.frames_in_column(raw.as_ref(), r, c, &label, previous_total)?;
                continue;
            }
            let kind = key_kind(&canonical);
            if raw.is_none()
                && kind != KeyKind::Str
                && let Some(d) = self.defaults.get(&canonical)
            {
                tracing::warn!(path = %self.path.display(), cell = %cell_name(r, c), key = %key, "empty script cell: ELVIS default used");
                values.insert(canonical, d.clone());
                continue;
            }
            let v = from_script_value(
                self.elvis,
                &canonical,
                raw.unwrap_or(ScriptValue::Str(String::new())),
            );
            let v = if kind == KeyKind::Str {
                match v {
                    ScriptValue::Float(x) if (x - x.round()).abs() < 1e-12 => {
                        ScriptValue::Str(format!("{}", x as i64))
                    }
                    other => ScriptValue::Str(other.to_string()),
                }
            } else {
                v.coerce(kind).ok_or_else(|| {
                    self.err(format!(
                        "cell {} (key {key}, {label}): expected a {kind:?} value",
                        cell_name(r, c)
                    ))
                })?
            };
            values.insert(canonical, v);
        }
        Ok(ScriptColumn { frames, values })
    }

    /// Frames of one column from the cumulative count in cell (r, c).
    fn frames_in_column(
        &self,
        raw: Option<&ScriptValue>,
        r: usize,
        c: usize,
        label: &str,
        previous_total: &mut i64,
    ) -> Result<u32, Error> {
        let total = raw.and_then(ScriptValue::as_i64).ok_or_else(|| {
            self.err(format!(
                "cell {} ({label}): cumulative frames must be an integer, got {raw:?}",
                cell_name(r, c)
            ))
        })?;
        if total < *previous_total {
            return Err(self.err(format!(
                "cell {} ({label}): cumulative frames decrease ({total} < {previous_total})",
                cell_name(r, c)
            )));
        }
        let frames = u32::try_from(total - *previous_total)
            .map_err(|_| self.err(format!("cell {}: frame count too large", cell_name(r, c))))?;
        *previous_total = total;
        Ok(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::cell_name;

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(4, 2), "C5");
        assert_eq!(cell_name(0, 26), "AA1");
    }
}
