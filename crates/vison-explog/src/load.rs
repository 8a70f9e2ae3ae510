//! Tolerant reader of ELVIS exposure logs.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::row::ExpLogRow;
use crate::schema::{Column, Schema, normalize_name};
use crate::table::ExpLog;
use crate::text::{decode_text, strip_bom};
use crate::value::{ColType, Value};
use crate::version::ElvisVersion;

/// How to read an exposure log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// ELVIS version to assume; `None` detects it from the header and `EGSE_ver`/`egse_ver`
    /// (falling back to 7.5.X).
    pub elvis: Option<ElvisVersion>,
    /// Fail on the first row that cannot be parsed instead of reporting it and going on.
    pub strict: bool,
}

/// Where the ELVIS version used to read a log came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionSource {
    /// Given by the caller.
    Given,
    /// Header equal to the version's column list and `egse_ver` agreeing.
    HeaderAndEgseVer,
    /// Header equal to the version's column list.
    Header,
    /// `EGSE_ver`/`egse_ver` value of the first data row.
    EgseVer,
    /// Header closest to the version's column list (not equal).
    HeaderClosest,
    /// Nothing usable: the default version (7.5.X).
    Default,
}

/// A data row that could not be read: where and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowIssue {
    /// 1-based line number in the file.
    pub line: usize,
    /// Column name, or `-` when the whole row is wrong (field count).
    pub column: String,
    /// What is wrong.
    pub message: String,
}

impl RowIssue {
    /// The issue as a located [`Error::Row`] for file `file`.
    pub fn to_error(&self, file: &str) -> Error {
        Error::Row {
            file: file.to_string(),
            line: self.line,
            column: self.column.clone(),
            message: self.message.clone(),
        }
    }
}

/// What the reader did with one file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoadReport {
    /// File name as given (or `<memory>`).
    pub file: String,
    /// ELVIS version assumed.
    pub version: ElvisVersion,
    /// Where the version came from.
    pub version_source: VersionSource,
    /// True when the first line was used as the header.
    pub header_used: bool,
    /// Rows loaded.
    pub rows: usize,
    /// Rows that could not be parsed (skipped, never shifted).
    pub bad_rows: Vec<RowIssue>,
    /// True when the last line was incomplete (file still being written) and was skipped.
    pub partial_last_line: bool,
    /// Human-readable notes: version assumed, header deviations, empty cells, partial line.
    pub warnings: Vec<String>,
}

/// An exposure log together with the reader's report.
#[derive(Debug, Clone)]
pub struct LoadedLog {
    /// The typed table.
    pub log: ExpLog,
    /// What happened while reading.
    pub report: LoadReport,
}

/// Read an exposure log from a file.
///
/// # Errors
/// [`Error::Io`] when unreadable, [`Error::Empty`] for an empty file, [`Error::Row`] for the
/// first bad row in strict mode.
pub fn load_explog(path: &Path, opts: &LoadOptions) -> Result<LoadedLog> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_explog_bytes(&bytes, &path.display().to_string(), opts)
}

/// Read several exposure logs and merge them (row source index = position in `paths`).
///
/// # Errors
/// As [`load_explog`], for the first file that fails.
pub fn load_explogs(paths: &[&Path], opts: &LoadOptions) -> Result<(ExpLog, Vec<LoadReport>)> {
    let mut logs = Vec::with_capacity(paths.len());
    let mut reports = Vec::with_capacity(paths.len());
    for p in paths {
        let l = load_explog(p, opts)?;
        logs.push(l.log);
        reports.push(l.report);
    }
    Ok((ExpLog::merge(&logs), reports))
}

/// Read an exposure log from bytes, decoded by [`decode_text`](crate::decode_text): a UTF-8
/// byte-order mark is dropped, UTF-16 is decoded and invalid UTF-8 is replaced (both
/// reported).
///
/// # Errors
/// As [`load_explog`].
pub fn parse_explog_bytes(bytes: &[u8], file: &str, opts: &LoadOptions) -> Result<LoadedLog> {
    let decoded = decode_text(bytes);
    let mut out = parse_explog_str(&decoded.text, file, opts)?;
    out.report.warnings.extend(decoded.warnings);
    Ok(out)
}

fn split_fields(line: &str) -> Vec<&str> {
    line.split('\t').map(str::trim).collect()
}

fn looks_like_header(fields: &[&str]) -> bool {
    fields.first().is_some_and(|f| normalize_name(f) == "obsid")
}

/// Type of a column name that is not in the assumed version's table: the first version
/// table that has it, otherwise text.
fn fallback_type(name: &str) -> ColType {
    let n = normalize_name(name);
    ElvisVersion::ALL
        .iter()
        .rev()
        .flat_map(|v| v.column_defs().iter())
        .find(|(c, _)| normalize_name(c) == n)
        .map_or(ColType::Str, |(_, t)| *t)
}

struct VersionChoice {
    version: ElvisVersion,
    source: VersionSource,
    notes: Vec<String>,
}

fn overlap(header: &[String], v: ElvisVersion) -> f64 {
    let defs: Vec<String> = v
        .column_defs()
        .iter()
        .map(|(n, _)| normalize_name(n))
        .collect();
    let common = header.iter().filter(|h| defs.contains(h)).count();
    common as f64 / header.len().max(defs.len()).max(1) as f64
}

/// What a file says about its version: header layouts matched exactly, the closest layout
/// with its overlap, and the `egse_ver` text of the first data row with its version.
struct VersionEvidence {
    exact: Vec<ElvisVersion>,
    best: Option<(ElvisVersion, f64)>,
    egse: Option<(String, Option<ElvisVersion>)>,
}

/// The `egse_ver` field at `idx` of the first data row, with the version it names.
fn egse_field(
    first_data: Option<&[&str]>,
    idx: Option<usize>,
) -> Option<(String, Option<ElvisVersion>)> {
    let f = first_data?.get(idx?)?;
    Some(((*f).to_string(), ElvisVersion::from_egse_ver(f)))
}

/// Evidence from a header (normalised names) and the first data row.
fn evidence_from_header(h: &[String], first_data: Option<&[&str]>) -> VersionEvidence {
    let exact = ElvisVersion::ALL
        .into_iter()
        .filter(|v| {
            let d = v.column_defs();
            d.len() == h.len() && d.iter().zip(h).all(|((n, _), x)| normalize_name(n) == *x)
        })
        .collect();
    let best = ElvisVersion::ALL
        .into_iter()
        .map(|v| (v, overlap(h, v)))
        .fold(None, |acc: Option<(ElvisVersion, f64)>, (v, s)| match acc {
            Some((_, bs)) if bs >= s => acc,
            _ => Some((v, s)),
        });
    let idx = h.iter().position(|x| x == "egse_ver");
    VersionEvidence {
        exact,
        best,
        egse: egse_field(first_data, idx),
    }
}

/// Evidence without a header: the `egse_ver` position of every version with the width of
/// the first data row (newest first).
fn evidence_without_header(first_data: Option<&[&str]>) -> VersionEvidence {
    let width = first_data.map_or(0, <[&str]>::len);
    let egse = ElvisVersion::ALL.into_iter().rev().find_map(|v| {
        let d = v.column_defs();
        if d.len() != width && d.len() + 1 != width {
            return None;
        }
        let idx = d.iter().position(|(n, _)| normalize_name(n) == "egse_ver");
        egse_field(first_data, idx).filter(|(_, ev)| ev.is_some())
    });
    VersionEvidence {
        exact: Vec::new(),
        best: None,
        egse,
    }
}

/// The version to read a log with: the given one (noting what the file says otherwise),
/// else the detected one.
fn choose_version(
    opts: &LoadOptions,
    header: Option<&[String]>,
    first_data: Option<&[&str]>,
) -> VersionChoice {
    let evidence = match header {
        Some(h) => evidence_from_header(h, first_data),
        None => evidence_without_header(first_data),
    };
    match opts.elvis {
        Some(v) => given_version(v, &evidence),
        None => detected_version(evidence),
    }
}

/// The version given by the caller, with notes where the header or `egse_ver` disagree.
fn given_version(v: ElvisVersion, evidence: &VersionEvidence) -> VersionChoice {
    let mut notes = Vec::new();
    let exact = &evidence.exact;
    if !exact.is_empty() && !exact.contains(&v) {
        notes.push(format!(
            "ELVIS {v} requested but the header matches {}",
            exact
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join("/")
        ));
    }
    if let Some((text, Some(ev))) = &evidence.egse
        && ev.column_defs() != v.column_defs()
    {
        notes.push(format!("ELVIS {v} requested but egse_ver is '{text}'"));
    }
    VersionChoice {
        version: v,
        source: VersionSource::Given,
        notes,
    }
}

/// The detected version, in order of trust: header and `egse_ver` agreeing, header,
/// `egse_ver`, closest header (at least half the columns), the default.
fn detected_version(evidence: VersionEvidence) -> VersionChoice {
    let mut notes = Vec::new();
    let choice = |version, source, notes| VersionChoice {
        version,
        source,
        notes,
    };
    let ev = evidence.egse.as_ref().and_then(|(_, v)| *v);
    if let Some(ev) = ev
        && evidence.exact.contains(&ev)
    {
        return choice(ev, VersionSource::HeaderAndEgseVer, notes);
    }
    if let Some(last) = evidence.exact.last() {
        if let Some((text, _)) = &evidence.egse {
            notes.push(format!(
                "egse_ver '{text}' does not match the header layout"
            ));
        }
        return choice(*last, VersionSource::Header, notes);
    }
    if let Some(ev) = ev {
        return choice(ev, VersionSource::EgseVer, notes);
    }
    if let Some((v, score)) = evidence.best
        && score >= 0.5
    {
        return choice(v, VersionSource::HeaderClosest, notes);
    }
    choice(ElvisVersion::default(), VersionSource::Default, notes)
}

/// Build the table layout from a readable header: names canonicalised to the version's
/// spelling when they match tolerantly, types from the version table (or any other table).
fn schema_from_header(
    version: ElvisVersion,
    header: &[&str],
    warnings: &mut Vec<String>,
) -> Schema {
    let defs = version.column_defs();
    let table: HashMap<String, (&str, ColType)> = defs
        .iter()
        .map(|(n, t)| (normalize_name(n), (*n, *t)))
        .collect();
    let mut extra = Vec::new();
    let columns: Vec<Column> = header
        .iter()
        .map(|h| match table.get(&normalize_name(h)) {
            Some((n, t)) => Column {
                name: (*n).to_string(),
                ty: *t,
            },
            None => {
                extra.push((*h).to_string());
                Column {
                    name: (*h).to_string(),
                    ty: fallback_type(h),
                }
            }
        })
        .collect();
    let have: Vec<String> = header.iter().map(|h| normalize_name(h)).collect();
    let missing: Vec<&str> = defs
        .iter()
        .filter(|(n, _)| !have.contains(&normalize_name(n)))
        .map(|(n, _)| *n)
        .collect();
    if !extra.is_empty() {
        warnings.push(format!(
            "header has {} column(s) not in the ELVIS {version} list (kept): {}",
            extra.len(),
            extra.join(", ")
        ));
    }
    if !missing.is_empty() {
        warnings.push(format!(
            "header lacks {} column(s) of the ELVIS {version} list: {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    Schema::new(version, columns)
}

/// Read an exposure log from text (a leading byte-order mark is ignored).
///
/// # Errors
/// [`Error::Empty`] when there is no line at all, [`Error::Row`] for the first bad row in
/// strict mode.
pub fn parse_explog_str(text: &str, file: &str, opts: &LoadOptions) -> Result<LoadedLog> {
    let text = strip_bom(text);
    let complete = text.ends_with('\n');
    let lines: Vec<(usize, &str)> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let Some(&(_, first)) = lines.first() else {
        return Err(Error::Empty {
            file: file.to_string(),
        });
    };
    let mut warnings = Vec::new();
    let mut first_fields = split_fields(first);
    while first_fields.len() > 1 && first_fields.last().is_some_and(|f| f.is_empty()) {
        first_fields.pop();
    }
    let header_used = looks_like_header(&first_fields);
    let data_start = usize::from(header_used);
    let header_norm: Option<Vec<String>> =
        header_used.then(|| first_fields.iter().map(|f| normalize_name(f)).collect());
    let first_data: Option<Vec<&str>> = lines.get(data_start).map(|(_, l)| split_fields(l));
    let choice = choose_version(opts, header_norm.as_deref(), first_data.as_deref());
    let version = choice.version;
    warnings.extend(choice.notes);
    let schema = table_schema(version, header_used, &first_fields, &mut warnings);
    warnings.insert(
        0,
        format!(
            "ELVIS version {version} assumed ({})",
            source_label(choice.source)
        ),
    );
    let data = DataLines {
        lines: lines.get(data_start..).unwrap_or(&[]),
        last_line_no: lines.last().map_or(0, |(n, _)| *n),
        complete,
        // Files whose header ends with a tab end every row with one: strip exactly that tab,
        // so that a row missing a field is not read as complete with an empty last cell.
        trailing_tab: header_used && ends_with_tab(first),
    };
    let read = read_rows(&data, &schema, file, opts.strict, &mut warnings)?;
    let nrows = read.rows.len();
    let log = ExpLog::from_parts(schema, read.rows, vec![0; nrows]);
    Ok(LoadedLog {
        log,
        report: LoadReport {
            file: file.to_string(),
            version,
            version_source: choice.source,
            header_used,
            rows: nrows,
            bad_rows: read.bad_rows,
            partial_last_line: read.partial,
            warnings,
        },
    })
}

/// The layout to read the rows with: the version's own when the header matches it (or there
/// is no header), else the header's columns.
fn table_schema(
    version: ElvisVersion,
    header_used: bool,
    first_fields: &[&str],
    warnings: &mut Vec<String>,
) -> Arc<Schema> {
    if header_used {
        let s = schema_from_header(version, first_fields, warnings);
        if s.matches_version(version) {
            Schema::for_version(version)
        } else {
            Arc::new(s)
        }
    } else {
        warnings.push(format!(
            "first line is not a header (first field '{}'): read with the ELVIS {version} column list",
            first_fields.first().copied().unwrap_or("")
        ));
        Schema::for_version(version)
    }
}

/// How a version source is named in the first warning.
fn source_label(source: VersionSource) -> &'static str {
    match source {
        VersionSource::Given => "given",
        VersionSource::HeaderAndEgseVer => "header and egse_ver",
        VersionSource::Header => "header",
        VersionSource::EgseVer => "egse_ver",
        VersionSource::HeaderClosest => "closest header layout",
        VersionSource::Default => "default, nothing in the file identifies it",
    }
}

/// The data lines of a log (1-based line numbers, blank lines dropped).
struct DataLines<'a> {
    lines: &'a [(usize, &'a str)],
    /// Line number of the file's last non-blank line.
    last_line_no: usize,
    /// Whether the text ends with a newline (else its last line may be partial).
    complete: bool,
    /// Whether every row ends with one tab to strip.
    trailing_tab: bool,
}

/// The rows read, those that could not be, and whether a partial last line was skipped.
struct ReadRows {
    rows: Vec<ExpLogRow>,
    bad_rows: Vec<RowIssue>,
    partial: bool,
}

/// Parses the data rows (in parallel, order kept) and sorts them into good rows, bad rows and
/// a partial last line; counts empty numeric cells per column into `warnings`.
fn read_rows(
    data: &DataLines<'_>,
    schema: &Arc<Schema>,
    file: &str,
    strict: bool,
    warnings: &mut Vec<String>,
) -> Result<ReadRows> {
    let ncols = schema.len();
    let parsed: Vec<std::result::Result<Vec<Value>, RowIssue>> = data
        .lines
        .par_iter()
        .map_init(
            || Vec::with_capacity(ncols + 2),
            |buf, &(line_no, line)| parse_row(line, schema, line_no, data.trailing_tab, buf),
        )
        .collect();
    let mut out = ReadRows {
        rows: Vec::with_capacity(parsed.len()),
        bad_rows: Vec::new(),
        partial: false,
    };
    let mut empty_numeric = vec![0usize; ncols];
    let numeric: Vec<bool> = schema
        .columns()
        .iter()
        .map(|c| c.ty != ColType::Str)
        .collect();
    for (&(line_no, _), result) in data.lines.iter().zip(parsed) {
        let is_last_incomplete = line_no == data.last_line_no && !data.complete;
        match result {
            Ok(values) => {
                for ((v, n), num) in values.iter().zip(empty_numeric.iter_mut()).zip(&numeric) {
                    if *num && *v == Value::Missing {
                        *n += 1;
                    }
                }
                out.rows.push(ExpLogRow::from_typed(schema.clone(), values));
            }
            Err(issue) if is_last_incomplete => {
                out.partial = true;
                warnings.push(format!(
                    "line {line_no}: last line incomplete ({}), file still being written? skipped",
                    issue.message
                ));
            }
            Err(issue) => {
                if strict {
                    return Err(issue.to_error(file));
                }
                tracing::warn!(file, line = issue.line, column = %issue.column, "{}", issue.message);
                out.bad_rows.push(issue);
            }
        }
    }
    for (c, n) in schema.columns().iter().zip(&empty_numeric) {
        if *n > 0 {
            warnings.push(format!("column {}: {n} empty cell(s)", c.name));
        }
    }
    if !out.bad_rows.is_empty() {
        warnings.push(format!(
            "{} row(s) could not be parsed and were skipped",
            out.bad_rows.len()
        ));
    }
    Ok(out)
}

fn ends_with_tab(line: &str) -> bool {
    line.trim_end_matches([' ', '\r']).ends_with('\t')
}

fn parse_row<'a>(
    line: &'a str,
    schema: &Schema,
    line_no: usize,
    trailing_tab: bool,
    fields: &mut Vec<&'a str>,
) -> std::result::Result<Vec<Value>, RowIssue> {
    let ncols = schema.len();
    let line = if trailing_tab && ends_with_tab(line) {
        let t = line.trim_end_matches([' ', '\r']);
        t.get(..t.len() - 1).unwrap_or(t)
    } else {
        line
    };
    fields.clear();
    fields.extend(line.split('\t').map(str::trim));
    while fields.len() > ncols && fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    if fields.len() != ncols {
        return Err(RowIssue {
            line: line_no,
            column: "-".to_string(),
            message: format!("{} fields, expected {ncols}", fields.len()),
        });
    }
    let mut values = Vec::with_capacity(ncols);
    for (f, c) in fields.iter().zip(schema.columns()) {
        let v = Value::parse(f, c.ty).map_err(|message| RowIssue {
            line: line_no,
            column: c.name.clone(),
            message,
        })?;
        values.push(v);
    }
    Ok(values)
}
