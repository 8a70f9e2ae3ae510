//! Tolerant reader of ELVIS HK files (both layouts, both name forms).

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use vison_explog::{
    ElvisVersion, FrameName, MasterHkName, RowIssue, parse_elvis_datetime, parse_hk_file_name,
    parse_hk_master_file_name, strptime_year,
};

use crate::error::{Error, Result};
use crate::keys::hk_keys;
use crate::readings::{HkReadings, normalize_key};

/// Layout of an HK file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HkFormat {
    /// QM/FM: header of key names, first column the time stamp, one row per reading.
    Table,
    /// Pre-QM: one line per key, the key followed by its values.
    KeyPerLine,
}

/// What the file name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HkName {
    /// `HK_<ObsID>_<DDMMYY>D<hhmmss>T_ROE<r>.txt`.
    PerExposure(FrameName),
    /// `HK_<dd-mm-yy>_ROE<r>[_<NN>].txt`.
    Master(MasterHkName),
    /// Any other name.
    Other,
}

impl HkName {
    /// Recognise an HK file name (directories ignored).
    pub fn parse(name: &str) -> Self {
        if let Ok(f) = parse_hk_file_name(name) {
            Self::PerExposure(f)
        } else if let Ok(m) = parse_hk_master_file_name(name) {
            Self::Master(m)
        } else {
            Self::Other
        }
    }

    /// ObsID of a per-exposure file.
    pub fn obsid(&self) -> Option<i64> {
        match self {
            Self::PerExposure(f) => Some(f.obsid),
            _ => None,
        }
    }

    fn date(&self) -> Option<NaiveDate> {
        match self {
            Self::PerExposure(f) => Some(f.datetime.date()),
            Self::Master(m) => Some(m.date),
            Self::Other => None,
        }
    }
}

/// How to read an HK file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HkLoadOptions {
    /// ELVIS version whose key list the header is compared with (differences are warnings).
    pub elvis: Option<ElvisVersion>,
    /// Fail on the first bad line instead of reporting it and going on.
    pub strict: bool,
}

/// One HK file as read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HkFile {
    /// File name as given (or `<memory>`).
    pub file: String,
    /// What the name says (ObsID, time, ROE...).
    pub name: HkName,
    /// Layout found.
    pub format: HkFormat,
    /// The readings.
    pub readings: HkReadings,
    /// Lines that could not be parsed (skipped, never shifted).
    pub bad_rows: Vec<RowIssue>,
    /// True when the last line was incomplete (file still being written) and skipped.
    pub partial_last_line: bool,
    /// Notes: header deviations, empty cells, unreadable time stamps.
    pub warnings: Vec<String>,
}

impl HkFile {
    /// Time of the file: the name's date-time for per-exposure files, else the first
    /// readable time stamp.
    pub fn time(&self) -> Option<NaiveDateTime> {
        match self.name {
            HkName::PerExposure(f) => Some(f.datetime),
            _ => self.readings.times.iter().flatten().next().copied(),
        }
    }
}

/// Parse an HK time stamp: `dd-mm-yy_HH:MM:SS[.f]` (also with a space or `T`, or a four-digit
/// year), `DDMMYYDhhmmssT`, ISO `YYYY-MM-DD HH:MM:SS`, or a bare `HH:MM:SS[.f]` combined
/// with `date_hint`.
pub fn parse_hk_timestamp(text: &str, date_hint: Option<NaiveDate>) -> Option<NaiveDateTime> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(dt) = parse_elvis_datetime(t) {
        return Some(dt);
    }
    if let Some((d, tm)) = t.split_once(['_', ' ', 'T']) {
        let time = parse_time(tm)?;
        let mut p = d.split(['-', '/']);
        let (a, b, c) = (p.next()?, p.next()?, p.next()?);
        if p.next().is_some() {
            return None;
        }
        let num = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.bytes().all(|x| x.is_ascii_digit())).then(|| s.parse().ok())?
        };
        let date = if a.len() == 4 {
            NaiveDate::from_ymd_opt(i32::try_from(num(a)?).ok()?, num(b)?, num(c)?)?
        } else {
            let year = match c.len() {
                2 => strptime_year(num(c)?),
                4 => i32::try_from(num(c)?).ok()?,
                _ => return None,
            };
            NaiveDate::from_ymd_opt(year, num(b)?, num(a)?)?
        };
        return Some(date.and_time(time));
    }
    Some(date_hint?.and_time(parse_time(t)?))
}

fn parse_time(t: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(t.trim(), "%H:%M:%S%.f").ok()
}

/// Parse one HK value: decimal, `nan`, or hexadecimal with a `0x` prefix. Bare hexadecimal
/// (`2FA0`, as ELVIS 6.3.0 writes `SPW_STATUS_REG`) only when `bare_hex` is true (status
/// registers), so that a word such as `bad` is not read as a number elsewhere.
/// Empty text is NaN (`Ok(None)`).
fn parse_value(text: &str, bare_hex: bool) -> std::result::Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(v) = t.parse::<f64>() {
        return Ok(Some(v));
    }
    let (hex, prefixed) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => (h, true),
        None => (t, false),
    };
    if (prefixed || bare_hex)
        && !hex.is_empty()
        && hex.len() <= 12
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(v) = u64::from_str_radix(hex, 16)
    {
        return Ok(Some(v as f64));
    }
    Err(format!("'{t}' is not a number"))
}

/// Keys whose values ELVIS may write in bare hexadecimal (status registers).
fn is_register(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    k.contains("STATUS") || k.ends_with("_REG")
}

/// Read an HK file.
///
/// # Errors
/// [`Error::Io`], [`Error::Empty`], or [`Error::Row`] for the first bad line in strict mode.
pub fn load_hk(path: &Path, opts: &HkLoadOptions) -> Result<HkFile> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_hk_bytes(&bytes, &path.display().to_string(), opts)
}

/// Read several HK files.
///
/// # Errors
/// As [`load_hk`], for the first file that fails.
pub fn load_hk_files(paths: &[&Path], opts: &HkLoadOptions) -> Result<Vec<HkFile>> {
    paths.iter().map(|p| load_hk(p, opts)).collect()
}

/// Read an HK file from bytes (`file` is used for the name and in messages), decoded as the
/// exposure-log reader does ([`vison_explog::decode_text`]): a byte-order mark is dropped.
///
/// # Errors
/// As [`load_hk`].
pub fn parse_hk_bytes(bytes: &[u8], file: &str, opts: &HkLoadOptions) -> Result<HkFile> {
    // The same byte-order-mark and encoding tolerance as the exposure-log reader.
    let decoded = vison_explog::decode_text(bytes);
    let mut f = parse_hk_str(&decoded.text, file, opts)?;
    f.warnings.extend(decoded.warnings);
    Ok(f)
}

fn fields(line: &str) -> Vec<&str> {
    let mut f: Vec<&str> = line.split('\t').map(str::trim).collect();
    while f.len() > 1 && f.last().is_some_and(|x| x.is_empty()) {
        f.pop();
    }
    f
}

fn ends_with_tab(line: &str) -> bool {
    line.trim_end_matches([' ', '\r']).ends_with('\t')
}

fn row_fields(line: &str, trailing_tab: bool, width: usize) -> Vec<&str> {
    let line = if trailing_tab && ends_with_tab(line) {
        let t = line.trim_end_matches([' ', '\r']);
        t.get(..t.len() - 1).unwrap_or(t)
    } else {
        line
    };
    let mut f: Vec<&str> = line.split('\t').map(str::trim).collect();
    while f.len() > width && f.last().is_some_and(|x| x.is_empty()) {
        f.pop();
    }
    f
}

/// Read an HK file from text.
///
/// # Errors
/// As [`load_hk`].
pub fn parse_hk_str(text: &str, file: &str, opts: &HkLoadOptions) -> Result<HkFile> {
    let text = vison_explog::strip_bom(text);
    let complete = text.ends_with('\n');
    let lines: Vec<(usize, &str)> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .collect();
    let last_line_no = lines.last().map_or(0, |(n, _)| *n);
    let Some(&(_, header_line)) = lines.first() else {
        return Err(Error::Empty {
            file: file.to_string(),
        });
    };
    let name = HkName::parse(file);
    let header = fields(header_line);
    let key_per_line = header
        .get(1)
        .is_some_and(|f| parse_value(f, false).ok().flatten().is_some())
        || (header.len() == 1
            && lines.len() > 1
            && !header
                .first()
                .is_some_and(|h| h.to_ascii_lowercase().contains("time")));
    let mut out = HkFile {
        file: file.to_string(),
        name,
        format: if key_per_line {
            HkFormat::KeyPerLine
        } else {
            HkFormat::Table
        },
        readings: HkReadings::default(),
        bad_rows: Vec::new(),
        partial_last_line: false,
        warnings: Vec::new(),
    };
    if key_per_line {
        read_key_per_line(&lines, file, opts, &mut out)?;
    } else {
        read_table(
            &lines,
            &header,
            complete,
            last_line_no,
            file,
            opts,
            &mut out,
        )?;
    }
    if let Some(v) = opts.elvis {
        compare_keys(v, &out.readings.keys, &mut out.warnings);
    }
    if !out.bad_rows.is_empty() {
        out.warnings.push(format!(
            "{} line(s) could not be parsed and were skipped",
            out.bad_rows.len()
        ));
    }
    Ok(out)
}

fn compare_keys(v: ElvisVersion, keys: &[String], warnings: &mut Vec<String>) {
    let Some(expected) = hk_keys(v) else { return };
    let have: Vec<String> = keys.iter().map(|k| normalize_key(k)).collect();
    let missing: Vec<&str> = expected
        .iter()
        .filter(|k| !have.contains(&normalize_key(k)))
        .copied()
        .collect();
    let exp_norm: Vec<String> = expected.iter().map(|k| normalize_key(k)).collect();
    let extra: Vec<&str> = keys
        .iter()
        .filter(|k| !exp_norm.contains(&normalize_key(k)))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "{} key(s) of the ELVIS {v} list missing: {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    if !extra.is_empty() {
        warnings.push(format!(
            "{} key(s) not in the ELVIS {v} list: {}",
            extra.len(),
            extra.join(", ")
        ));
    }
}

/// Reads a table layout (one key per column, one reading per line) into `out`.
fn read_table(
    lines: &[(usize, &str)],
    header: &[&str],
    complete: bool,
    last_line_no: usize,
    file: &str,
    opts: &HkLoadOptions,
    out: &mut HkFile,
) -> Result<()> {
    let has_time = header
        .first()
        .is_some_and(|h| h.to_ascii_lowercase().contains("time"));
    let mut readings = table_readings(header, has_time, &mut out.warnings);
    let width = header.len();
    let date_hint = out.name.date();
    let mut empty = 0usize;
    let mut bad_times = 0usize;
    let mut values = Vec::with_capacity(width);
    // A header ending with a tab means every row ends with one: strip exactly that tab so a
    // row missing a value is not read as complete.
    let trailing_tab = lines.first().is_some_and(|(_, h)| ends_with_tab(h));
    for &(line_no, line) in lines.iter().skip(1) {
        let f = row_fields(line, trailing_tab, width);
        let last_incomplete = line_no == last_line_no && !complete;
        values.clear();
        let issue = if f.len() != width {
            Some(RowIssue {
                line: line_no,
                column: "-".to_string(),
                message: format!("{} fields, expected {width}", f.len()),
            })
        } else {
            let first_value = usize::from(has_time);
            parse_table_values(&f, header, first_value, line_no, &mut values, &mut empty)
        };
        match issue {
            None => {
                let time = if has_time {
                    let t = f.first().and_then(|c| parse_hk_timestamp(c, date_hint));
                    if t.is_none() {
                        bad_times += 1;
                    }
                    t
                } else {
                    None
                };
                readings.push(time, &values)?;
            }
            Some(issue) if last_incomplete => {
                out.partial_last_line = true;
                out.warnings.push(format!(
                    "line {line_no}: last line incomplete ({}), file still being written? skipped",
                    issue.message
                ));
            }
            Some(issue) => {
                if opts.strict {
                    return Err(Error::Row {
                        file: file.to_string(),
                        line: issue.line,
                        column: issue.column,
                        message: issue.message,
                    });
                }
                tracing::warn!(file, line = issue.line, column = %issue.column, "{}", issue.message);
                out.bad_rows.push(issue);
            }
        }
    }
    if empty > 0 {
        out.warnings
            .push(format!("{empty} empty value cell(s) read as NaN"));
    }
    if bad_times > 0 {
        out.warnings
            .push(format!("{bad_times} time stamp(s) could not be read"));
    }
    out.readings = readings;
    Ok(())
}

/// Empty readings with the keys of a table header (after the time-stamp column, if any).
fn table_readings(header: &[&str], has_time: bool, warnings: &mut Vec<String>) -> HkReadings {
    let key_names: Vec<String> = header
        .iter()
        .skip(usize::from(has_time))
        .map(|k| (*k).to_string())
        .collect();
    let mut readings = HkReadings::new(key_names);
    if has_time {
        readings.time_column = header
            .first()
            .map_or_else(String::new, |h| (*h).to_string());
    } else {
        readings.time_column = String::new();
        warnings.push("no time-stamp column: readings have no time".to_string());
    }
    readings
}

/// Parses the value cells of one table row (from `first_value`) into `values`, empty cells
/// as NaN (counted in `empty`); the first unreadable cell is returned as an issue.
fn parse_table_values(
    f: &[&str],
    header: &[&str],
    first_value: usize,
    line_no: usize,
    values: &mut Vec<f64>,
    empty: &mut usize,
) -> Option<RowIssue> {
    for (i, cell) in f.iter().enumerate().skip(first_value) {
        let hex_ok = header.get(i).is_some_and(|h| is_register(h));
        match parse_value(cell, hex_ok) {
            Ok(Some(v)) => values.push(v),
            Ok(None) => {
                *empty += 1;
                values.push(f64::NAN);
            }
            Err(message) => {
                return Some(RowIssue {
                    line: line_no,
                    column: header
                        .get(i)
                        .map_or_else(|| "-".to_string(), |h| (*h).to_string()),
                    message,
                });
            }
        }
    }
    None
}

fn read_key_per_line(
    lines: &[(usize, &str)],
    file: &str,
    opts: &HkLoadOptions,
    out: &mut HkFile,
) -> Result<()> {
    let mut keys = Vec::with_capacity(lines.len());
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(lines.len());
    for &(line_no, line) in lines {
        let f = fields(line);
        let Some((key, vals)) = f.split_first() else {
            continue;
        };
        let mut col = Vec::with_capacity(vals.len());
        let mut failed = None;
        let hex_ok = is_register(key);
        for v in vals {
            match parse_value(v, hex_ok) {
                Ok(x) => col.push(x.unwrap_or(f64::NAN)),
                Err(message) => {
                    failed = Some(RowIssue {
                        line: line_no,
                        column: (*key).to_string(),
                        message,
                    });
                    break;
                }
            }
        }
        if let Some(issue) = failed {
            if opts.strict {
                return Err(Error::Row {
                    file: file.to_string(),
                    line: issue.line,
                    column: issue.column,
                    message: issue.message,
                });
            }
            out.bad_rows.push(issue);
            continue;
        }
        keys.push((*key).to_string());
        cols.push(col);
    }
    let n = cols.iter().map(Vec::len).max().unwrap_or(0);
    let short = cols.iter().filter(|c| c.len() < n).count();
    if short > 0 {
        out.warnings.push(format!(
            "{short} key(s) have fewer than {n} values: padded with NaN"
        ));
    }
    for c in &mut cols {
        c.resize(n, f64::NAN);
    }
    out.readings = HkReadings {
        time_column: String::new(),
        keys,
        times: vec![None; n],
        columns: cols,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_form() {
        let d = NaiveDate::from_ymd_opt(2018, 1, 19);
        let want = d.and_then(|d| d.and_hms_opt(7, 0, 4));
        assert_eq!(parse_hk_timestamp("19-01-18_07:00:04", None), want);
        assert_eq!(parse_hk_timestamp("19-01-2018 07:00:04", None), want);
        assert_eq!(parse_hk_timestamp("2018-01-19T07:00:04", None), want);
        assert_eq!(parse_hk_timestamp("190118D070004T", None), want);
        assert_eq!(parse_hk_timestamp("07:00:04", d), want);
        assert_eq!(parse_hk_timestamp("07:00:04", None), None);
        assert_eq!(
            parse_hk_timestamp("19-01-18_07:00:04.5", None)
                .map(|t| t.and_utc().timestamp_subsec_millis()),
            Some(500)
        );
        assert_eq!(parse_hk_timestamp("32-01-18_07:00:04", None), None);
        assert_eq!(parse_hk_timestamp("garbage", None), None);
    }

    #[test]
    fn values_decimal_hex_empty() {
        assert_eq!(parse_value(" 26.02 ", false), Ok(Some(26.02)));
        assert_eq!(parse_value("2FA0", true), Ok(Some(12192.0)));
        assert!(parse_value("2FA0", false).is_err());
        assert!(parse_value("bad", false).is_err());
        assert_eq!(parse_value("0x2FA0", false), Ok(Some(12192.0)));
        assert_eq!(parse_value("", false), Ok(None));
        assert!(parse_value("abc!", true).is_err());
        assert!(
            is_register("SPW_STATUS_REG") && is_register("spwStatus") && !is_register("CCD1_OD_T")
        );
    }
}
