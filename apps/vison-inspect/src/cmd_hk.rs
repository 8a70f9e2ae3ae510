//! `vison-inspect hk`: HK statistics, limit checks, commanded-vs-HK check and HK plots.
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use vison_explog::ElvisVersion;
use vison_hk::{
    CheckOn, CheckReport, CheckResult, HkFile, HkLimits, HkLoadOptions, HkName, HkReadings,
    HkSeries, Limit, LimitSet, PIPELINE_HK_KEYS, check_abs, check_vs_command, detect_hk_version,
    load_hk, split_by_exposure,
};
use vison_report::{HLine, PlotGrid, Series, XyPlot};

use crate::UsageError;
use crate::cmd_explog::{load_logs, parse_elvis};
use crate::output::emit;

/// Arguments of `vison-inspect hk`.
#[derive(clap::Args, Debug)]
pub(crate) struct HkArgs {
    /// HK files: per exposure (HK_<ObsID>_<DDMMYY>D<hhmmss>T_ROE<r>.txt) or daily masters
    /// (HK_<dd-mm-yy>_ROE1_<NN>.txt).
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// ELVIS version (5.7.02 ... 7.5.X); detected from the keys when absent.
    #[arg(long)]
    pub(crate) elvis: Option<String>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// List every value out of its safe limits (absolute and identity limits), per file.
    #[arg(long)]
    pub(crate) check: bool,
    /// Exposure log: check HK voltages against the commanded values (+-0.2 V).
    #[arg(long)]
    pub(crate) explog: Option<PathBuf>,
    /// Write a PNG of the time series of the chosen keys with their safe limits.
    #[arg(long)]
    pub(crate) plot: Option<PathBuf>,
    /// Keys to plot, comma separated (default: the pipeline's HK keys present in the files).
    #[arg(long, value_delimiter = ',')]
    pub(crate) keys: Option<Vec<String>>,
}

fn load_files(args: &HkArgs, elvis: Option<ElvisVersion>) -> Result<Vec<HkFile>> {
    let opts = HkLoadOptions {
        elvis,
        strict: false,
    };
    let mut out = Vec::with_capacity(args.files.len());
    for p in &args.files {
        let f =
            load_hk(p, &opts).with_context(|| format!("{}: cannot read HK file", p.display()))?;
        if let Some(first) = f.bad_rows.first() {
            bail!(
                "{}: {} line(s) cannot be parsed; first: line {}, column {}: {}",
                p.display(),
                f.bad_rows.len(),
                first.line,
                first.column,
                first.message
            );
        }
        out.push(f);
    }
    Ok(out)
}

fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn limit_json(l: &Limit) -> Value {
    match *l {
        Limit::Relative { lo, hi } => json!({"type": "relative", "lo": num(lo), "hi": num(hi)}),
        Limit::Absolute { lo, hi } => json!({"type": "absolute", "lo": num(lo), "hi": num(hi)}),
        Limit::Identity(v) => json!({"type": "identity", "value": num(v)}),
    }
}

fn limit_text(l: &Limit) -> String {
    match *l {
        Limit::Relative { lo, hi } => format!("command{lo:+}..{hi:+}"),
        Limit::Absolute { lo, hi } => format!("({lo}, {hi})"),
        Limit::Identity(v) => format!("= {v}"),
    }
}

fn violation_json(r: &CheckResult, check: &str) -> Value {
    json!({
        "check": check,
        "key": r.key,
        "file": r.file,
        "obsid": r.obsid,
        "time": r.time.map(|t| t.to_string()),
        "value": num(r.value),
        "commanded": r.commanded.map(num),
        "limits": limit_json(&r.limit),
        "verdict": r.verdict,
    })
}

fn plot_keys(args: &HkArgs, all: &HkReadings) -> Result<Vec<String>> {
    match &args.keys {
        Some(ks) => {
            for k in ks {
                if all.key_index(k).is_none() {
                    return Err(anyhow::Error::new(UsageError(format!(
                        "--keys: no HK key '{k}' in the files (known: {})",
                        all.keys.join(", ")
                    ))));
                }
            }
            Ok(ks.iter().map(|k| k.trim().to_string()).collect())
        }
        None => {
            let mut ks: Vec<String> = PIPELINE_HK_KEYS
                .iter()
                .filter(|k| all.key_index(k).is_some())
                .map(|k| (*k).to_string())
                .collect();
            if ks.is_empty() {
                ks = all.keys.iter().take(12).cloned().collect();
            }
            Ok(ks)
        }
    }
}

fn plot(
    args: &HkArgs,
    out: &std::path::Path,
    all: &HkReadings,
    limits: Option<&HkLimits>,
) -> Result<()> {
    let keys = plot_keys(args, all)?;
    let t0 = all.times.iter().flatten().min().copied();
    let x: Vec<f64> = all
        .times
        .iter()
        .enumerate()
        .map(|(i, t)| match (t, t0) {
            (Some(t), Some(t0)) => (*t - t0).num_milliseconds() as f64 / 1000.0,
            _ => i as f64,
        })
        .collect();
    let x_label = match t0 {
        Some(t) => format!("time since {t} [s]"),
        None => "reading".to_string(),
    };
    let cols = keys.len().clamp(1, 3);
    let mut grid = PlotGrid::new("HK monitor", cols);
    for k in &keys {
        let y: Vec<f64> = all
            .get(k)
            .unwrap_or(&[])
            .iter()
            .map(|v| {
                if vison_hk::is_sentinel(*v) {
                    f64::NAN
                } else {
                    *v
                }
            })
            .collect();
        let mut p = XyPlot::new(k.clone(), x_label.clone(), k.clone());
        p.series.push(Series::line(k.clone(), x.clone(), y));
        if let Some(l) = limits.and_then(|l| l.get(k, LimitSet::Safe)) {
            match l {
                Limit::Absolute { lo, hi } => {
                    p.hlines.push(HLine::new(lo, format!("safe low {lo}")));
                    p.hlines.push(HLine::new(hi, format!("safe high {hi}")));
                }
                Limit::Identity(v) => p.hlines.push(HLine::new(v, format!("expected {v}"))),
                Limit::Relative { .. } => {}
            }
        }
        grid = grid.with_panel(p);
    }
    let rows = keys.len().div_ceil(cols).max(1);
    let png = grid
        .render_png(480 * cols as u32, 320 * rows as u32)
        .with_context(|| format!("{}: cannot render HK plot", out.display()))?;
    std::fs::write(out, png).with_context(|| format!("{}: cannot write plot", out.display()))?;
    Ok(())
}

/// What `vison-inspect hk` found: the files, their statistics and the check reports.
struct HkOutcome {
    files: Vec<HkFile>,
    synth: vison_hk::HkSynthesis,
    version: Option<ElvisVersion>,
    report: CheckReport,
    command_report: CheckReport,
    warnings: Vec<String>,
}

/// Run `vison-inspect hk`.
pub(crate) fn run(args: &HkArgs) -> Result<()> {
    let given = parse_elvis(args.elvis.as_deref())?;
    let mut files = load_files(args, given)?;
    // Time order (files without a time keep their relative order, first).
    files.sort_by_key(HkFile::time);
    let blocks: Vec<HkReadings> = files.iter().map(|f| f.readings.clone()).collect();
    let all = HkReadings::concat(&blocks);
    let mut warnings: Vec<String> = Vec::new();
    for f in &files {
        warnings.extend(f.warnings.iter().map(|w| format!("{}: {w}", f.file)));
    }
    let explog = match &args.explog {
        Some(p) => Some(load_logs(std::slice::from_ref(p), given)?.0),
        None => None,
    };
    let version = given
        .or_else(|| detect_hk_version(&all.keys))
        .or_else(|| explog.as_ref().map(vison_explog::ExpLog::version));
    let limits = version.and_then(HkLimits::for_version);
    let synth = all.synthesize();

    let mut report = CheckReport::default();
    let mut command_report = CheckReport::default();
    if args.check || args.explog.is_some() {
        let Some(lims) = limits.as_ref() else {
            bail!(
                "{}: no HK limits for ELVIS {} (limits exist for 6.3.0, 6.5.X, 7.2.X, 7.5.X); use --elvis",
                args.files
                    .first()
                    .map_or_else(String::new, |p| p.display().to_string()),
                version.map_or("(undetected)", ElvisVersion::as_str)
            );
        };
        if args.check {
            let series = HkSeries::from_files(&files);
            report = check_abs(&series, lims, LimitSet::Safe, CheckOn::Extremes, None);
        }
        if let Some(log) = &explog {
            let per_exposure = split_per_exposure(&files, log, &mut warnings);
            let split_series = HkSeries::from_files(&per_exposure);
            command_report = check_vs_command(&split_series, log, lims, CheckOn::Extremes, None);
        }
    }
    if let Some(png_path) = &args.plot {
        plot(args, png_path, &all, limits.as_ref())?;
    }
    let outcome = HkOutcome {
        files,
        synth,
        version,
        report,
        command_report,
        warnings,
    };
    if args.json {
        return emit(&json_text(&outcome)?);
    }
    emit(&summary_text(args, &outcome)?)
}

/// The HK files one per exposure: master (or unnamed) files are split by exposure with the
/// log's start times; readings outside the log's exposures give a warning.
fn split_per_exposure(
    files: &[HkFile],
    log: &vison_explog::ExpLog,
    warnings: &mut Vec<String>,
) -> Vec<HkFile> {
    let mut per_exposure: Vec<HkFile> = Vec::new();
    for f in files {
        if matches!(f.name, HkName::PerExposure(_)) {
            per_exposure.push(f.clone());
        } else {
            let (parts, left_out) = split_by_exposure(f, log);
            if left_out > 0 {
                warnings.push(format!(
                    "{}: {left_out} reading(s) outside the exposures of the log were not compared",
                    f.file
                ));
            }
            per_exposure.extend(parts);
        }
    }
    per_exposure
}

/// The `--json` output: statistics per key, violations, version and warnings.
fn json_text(o: &HkOutcome) -> Result<String> {
    let mut keys = Map::new();
    for (k, s) in o.synth.keys.iter().zip(&o.synth.stats) {
        keys.insert(
            k.clone(),
            json!({"mean": num(s.mean), "std": num(s.std), "min": num(s.min), "max": num(s.max)}),
        );
    }
    let violations: Vec<Value> = o
        .report
        .violations()
        .into_iter()
        .map(|r| violation_json(r, "limits"))
        .chain(
            o.command_report
                .violations()
                .into_iter()
                .map(|r| violation_json(r, "command")),
        )
        .collect();
    let mut obj = json!({
        "readings": o.synth.readings,
        "keys": keys,
        "violations": violations,
    });
    if let Value::Object(m) = &mut obj {
        m.insert(
            "elvis".into(),
            o.version.map_or(Value::Null, |v| json!(v.as_str())),
        );
        m.insert("warnings".into(), json!(o.warnings));
    }
    let mut out = String::new();
    writeln!(out, "{}", serde_json::to_string_pretty(&obj)?)?;
    Ok(out)
}

/// The text output: files, statistics table, violations, plot and warnings.
fn summary_text(args: &HkArgs, o: &HkOutcome) -> Result<String> {
    let mut out = String::new();
    for f in &o.files {
        writeln!(
            out,
            "{}: {} readings, {} keys, {:?} layout",
            f.file,
            f.readings.len(),
            f.readings.keys.len(),
            f.format
        )?;
    }
    writeln!(
        out,
        "ELVIS {}; {} file(s); {} readings; {} keys",
        o.version.map_or("(undetected)", ElvisVersion::as_str),
        o.files.len(),
        o.synth.readings,
        o.synth.keys.len()
    )?;
    writeln!(
        out,
        "{:<20} {:>14} {:>12} {:>14} {:>14}",
        "key", "mean", "std", "min", "max"
    )?;
    for (k, s) in o.synth.keys.iter().zip(&o.synth.stats) {
        writeln!(
            out,
            "{k:<20} {:>14.6} {:>12.6} {:>14.6} {:>14.6}",
            s.mean, s.std, s.min, s.max
        )?;
    }
    if args.check {
        print_violations(&mut out, "out of safe limits", &o.report)?;
    }
    if args.explog.is_some() {
        print_violations(&mut out, "HK vs commanded (+-0.2 V)", &o.command_report)?;
    }
    if let Some(p) = &args.plot {
        writeln!(out, "plot written to {}", p.display())?;
    }
    for w in &o.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(out)
}

fn print_violations(out: &mut String, title: &str, report: &CheckReport) -> Result<()> {
    let v = report.violations();
    if v.is_empty() {
        writeln!(out, "{title}: ALL PASSED ({} checks)", report.results.len())?;
        return Ok(());
    }
    writeln!(
        out,
        "{title}: {} violation(s); flags {}",
        v.len(),
        report.flags().join(" ")
    )?;
    for r in v {
        writeln!(
            out,
            "  {:<18} obsid {:>6} value {:>12.4}{} limits {} ({})",
            r.key,
            r.obsid.map_or_else(|| "-".to_string(), |o| o.to_string()),
            r.value,
            r.commanded
                .map_or_else(String::new, |c| format!(" (commanded {c})")),
            limit_text(&r.limit),
            r.file
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate};
    use vison_hk::{HkFormat, hk_file_name};

    fn write_files(dir: &std::path::Path) -> Vec<PathBuf> {
        let t0 = NaiveDate::from_ymd_opt(2018, 1, 19)
            .and_then(|d| d.and_hms_opt(7, 0, 0))
            .expect("date");
        let limits = HkLimits::for_version(ElvisVersion::V7_5_X).expect("limits");
        let mut out = Vec::new();
        for k in 0..2_i64 {
            let mut r = HkReadings::for_version(ElvisVersion::V7_5_X).expect("keys");
            let vals: Vec<f64> = r
                .keys
                .iter()
                .map(|key| limits.mock_value(key, LimitSet::Safe).unwrap_or(0.0))
                .collect();
            let start = t0 + Duration::seconds(75 * k);
            for s in 0..5 {
                let mut v = vals.clone();
                if k == 1
                    && s == 2
                    && let Some(x) = r.key_index("CCD2_TEMP_B").and_then(|i| v.get_mut(i))
                {
                    *x = 50.0;
                }
                r.push(Some(start + Duration::seconds(s)), &v)
                    .expect("push");
            }
            let p = dir.join(hk_file_name(1000 + k, start, 1));
            r.write(&p, HkFormat::Table).expect("write");
            out.push(p);
        }
        out
    }

    fn args(files: Vec<PathBuf>) -> HkArgs {
        HkArgs {
            files,
            elvis: None,
            json: true,
            check: true,
            explog: None,
            plot: None,
            keys: None,
        }
    }

    #[test]
    fn check_and_plot_run_on_written_files() {
        let dir = tempfile::tempdir().expect("dir");
        let files = write_files(dir.path());
        assert!(run(&args(files.clone())).is_ok());
        let png = dir.path().join("hk.png");
        let mut a = args(files);
        a.plot = Some(png.clone());
        a.keys = Some(vec!["CCD2_TEMP_B".into(), "SPW_STATUS_REG".into()]);
        assert!(run(&a).is_ok());
        let bytes = std::fs::read(&png).expect("png");
        assert!(bytes.starts_with(&[0x89, b'P', b'N', b'G']));
        a.keys = Some(vec!["NOPE".into()]);
        let e = run(&a).expect_err("unknown key");
        assert!(e.is::<UsageError>(), "{e:#}");
        assert!(format!("{e:#}").contains("NOPE"), "{e:#}");
    }

    #[test]
    fn bad_hk_lines_fail_with_file_line_and_key() {
        let dir = tempfile::tempdir().expect("dir");
        let files = write_files(dir.path());
        let first = files.first().cloned().expect("file");
        let text = std::fs::read_to_string(&first).expect("read");
        let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
        if let Some(l) = lines.get_mut(2) {
            let mut cells: Vec<&str> = l.split('\t').collect();
            if let Some(c) = cells.get_mut(3) {
                *c = "bad";
            }
            *l = cells.join("\t");
        }
        std::fs::write(&first, lines.join("\r\n")).expect("write");
        let err = run(&args(files))
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        let name = first
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            err.contains(&name) && err.contains("line 3") && err.contains("CCD1_OD_T"),
            "{err}"
        );
    }
}
