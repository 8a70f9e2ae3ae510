//! `vison-inspect explog`: summary of ELVIS exposure logs.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use vison_explog::{ElvisVersion, ExpLog, LoadOptions, LoadReport, Summary, load_explog};

use crate::UsageError;
use crate::output::emit;

/// Arguments of `vison-inspect explog`.
#[derive(clap::Args, Debug)]
pub(crate) struct ExplogArgs {
    /// Exposure-log files (EXP_LOG_<DDMMYY>.txt); several are merged in the order given.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// ELVIS version (5.7.02 ... 7.5.X, FPA); detected from the header and egse_ver when absent.
    #[arg(long)]
    pub(crate) elvis: Option<String>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Parse `--elvis`; an unknown version is a [`UsageError`] (the message lists the known ones).
pub(crate) fn parse_elvis(text: Option<&str>) -> Result<Option<ElvisVersion>> {
    text.map(|t| {
        t.parse::<ElvisVersion>()
            .map_err(|e| anyhow::Error::new(UsageError(format!("--elvis {t}: {e}"))))
    })
    .transpose()
}

/// Load and merge exposure logs; rows that cannot be parsed make this fail with their
/// file, line and column.
pub(crate) fn load_logs(
    files: &[PathBuf],
    elvis: Option<ElvisVersion>,
) -> Result<(ExpLog, Vec<LoadReport>)> {
    let opts = LoadOptions {
        elvis,
        strict: false,
    };
    let mut logs = Vec::with_capacity(files.len());
    let mut reports = Vec::with_capacity(files.len());
    for f in files {
        let loaded = load_explog(f, &opts)
            .with_context(|| format!("{}: cannot read exposure log", f.display()))?;
        check_bad_rows(f, &loaded.report)?;
        logs.push(loaded.log);
        reports.push(loaded.report);
    }
    Ok((ExpLog::merge(&logs), reports))
}

fn check_bad_rows(file: &Path, report: &LoadReport) -> Result<()> {
    let Some(first) = report.bad_rows.first() else {
        return Ok(());
    };
    let mut msg = format!(
        "{}: {} row(s) cannot be parsed; first: {}",
        file.display(),
        report.bad_rows.len(),
        first.to_error(&file.display().to_string())
    );
    for more in report.bad_rows.iter().skip(1).take(4) {
        msg.push_str(&format!(
            "; line {}, column {}: {}",
            more.line, more.column, more.message
        ));
    }
    bail!(msg)
}

fn warnings_of(reports: &[LoadReport]) -> Vec<String> {
    let mut out = Vec::new();
    let first = reports.first().map(|r| r.version);
    for r in reports {
        for w in &r.warnings {
            out.push(format!("{}: {w}", r.file));
        }
        if Some(r.version) != first {
            out.push(format!(
                "{}: ELVIS {} differs from the first log's {}; columns were united",
                r.file,
                r.version,
                first.map_or("?", ElvisVersion::as_str)
            ));
        }
    }
    out
}

fn json_summary(s: &Summary, warnings: &[String]) -> Value {
    let mut tests = Map::new();
    for t in &s.tests {
        tests.insert(t.name.clone(), json!({ "frames": t.frames }));
    }
    json!({
        "elvis": s.elvis.as_str(),
        "rows": s.rows,
        "obsids": s.obsid_range.map(|(a, b)| json!([a, b])).unwrap_or(Value::Null),
        "ccds": s.ccds,
        "tests": tests,
        "warnings": warnings,
    })
}

fn print_text(
    out: &mut String,
    s: &Summary,
    reports: &[LoadReport],
    warnings: &[String],
) -> Result<()> {
    for r in reports {
        writeln!(
            out,
            "{}: {} rows, ELVIS {} ({:?}){}",
            r.file,
            r.rows,
            r.version,
            r.version_source,
            if r.partial_last_line {
                ", last line incomplete"
            } else {
                ""
            }
        )?;
    }
    let range = s
        .obsid_range
        .map_or_else(|| "-".to_string(), |(a, b)| format!("{a}-{b}"));
    writeln!(
        out,
        "ELVIS {}; {} rows; {} exposures; ObsID {range}; CCDs {}",
        s.elvis,
        s.rows,
        s.exposures,
        s.ccds.join(" ")
    )?;
    writeln!(
        out,
        "{:<16} {:>7} {:>7} {:>13} {:>20} {:>12}",
        "test", "frames", "rows", "ObsIDs", "start", "duration_s"
    )?;
    for t in &s.tests {
        writeln!(
            out,
            "{:<16} {:>7} {:>7} {:>13} {:>20} {:>12}",
            t.name,
            t.frames,
            t.rows,
            format!("{}-{}", t.obsid_first, t.obsid_last),
            t.start.map_or_else(|| "-".to_string(), |x| x.to_string()),
            t.duration_s
                .map_or_else(|| "-".to_string(), |d| format!("{d:.0}"))
        )?;
    }
    for w in warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

/// Run `vison-inspect explog`.
pub(crate) fn run(args: &ExplogArgs) -> Result<()> {
    let elvis = parse_elvis(args.elvis.as_deref())?;
    let (log, reports) = load_logs(&args.files, elvis)?;
    let summary = log.summary();
    let warnings = warnings_of(&reports);
    let mut out = String::new();
    if args.json {
        let text = serde_json::to_string_pretty(&json_summary(&summary, &warnings))?;
        writeln!(out, "{text}")?;
    } else {
        print_text(&mut out, &summary, &reports, &warnings)?;
    }
    emit(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vison_explog::{ExpLogRow, Schema};

    fn write_log(dir: &Path, name: &str) -> PathBuf {
        let schema = Schema::for_version(ElvisVersion::V7_5_X);
        let mut log = ExpLog::new(schema.clone());
        for i in 0..9_i64 {
            let mut r = ExpLogRow::new(schema.clone());
            r.set("ObsID", 1000 + i / 3)
                .and_then(|r| r.set("CCD", format!("CCD{}", i % 3 + 1)))
                .and_then(|r| r.set("date", format!("190118D0700{:02}T", i / 3)))
                .and_then(|r| r.set("test", if i < 6 { "BIAS01" } else { "PTC01" }))
                .and_then(|r| r.set("egse_ver", "7.5.1"))
                .and_then(|r| r.set("OD_1_T", 26.0))
                .expect("row");
            log.push(r).expect("push");
        }
        let path = dir.join(name);
        log.write(&path).expect("write");
        path
    }

    #[test]
    fn json_summary_has_the_contract_fields() {
        let dir = tempfile::tempdir().expect("dir");
        let path = write_log(dir.path(), "EXP_LOG_190118.txt");
        let (log, reports) = load_logs(std::slice::from_ref(&path), None).expect("load");
        let v = json_summary(&log.summary(), &warnings_of(&reports));
        let keys: Vec<&String> = v
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            vec!["ccds", "elvis", "obsids", "rows", "tests", "warnings"]
        );
        assert_eq!(v["elvis"], json!("7.5.X"));
        assert_eq!(v["rows"], json!(9));
        assert_eq!(v["obsids"], json!([1000, 1002]));
        assert_eq!(v["ccds"], json!(["CCD1", "CCD2", "CCD3"]));
        assert_eq!(
            v["tests"],
            json!({"BIAS01": {"frames": 2}, "PTC01": {"frames": 1}})
        );
    }

    #[test]
    fn unparsable_rows_fail_with_file_line_and_column() {
        let dir = tempfile::tempdir().expect("dir");
        let path = write_log(dir.path(), "EXP_LOG_bad.txt");
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replacen("\t26.0\t", "\tx26\t", 2)).expect("write");
        let args = ExplogArgs {
            files: vec![path],
            elvis: None,
            json: true,
        };
        let err = run(&args)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            err.contains("EXP_LOG_bad.txt")
                && err.contains("2 row(s)")
                && err.contains("line 2")
                && err.contains("OD_1_T"),
            "{err}"
        );
        let bad_version = ExplogArgs {
            files: vec![dir.path().join("EXP_LOG_bad.txt")],
            elvis: Some("9.9".into()),
            json: false,
        };
        let e = run(&bad_version).expect_err("unknown version");
        assert!(e.is::<UsageError>(), "{e:#}");
        assert!(format!("{e:#}").contains("7.5.X"), "{e:#}");
    }
}
