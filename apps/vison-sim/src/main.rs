//! `vison-sim`: ELVIS acquisition scripts and synthetic VIS calibration campaigns.
//!
//! ```text
//! vison-sim scripts  --tests BIAS01,PTC01 --elvis 7.5.X --out scripts/
//! vison-sim campaign --tests BIAS01,DARK01 --out data/ [--seed 1] [--size small|full]
//!                    [--elvis 7.5.X] [--start 2018-01-19T07:00:00] [--first-obsid 1000]
//!                    [--faults missing-frame,hk-ool] [--chamber B_CBE_MAR19]
//!                    [--shutter chamber|none]
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, NaiveDateTime};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::EnvFilter;
use vison_ogse::OgseProfile;
use vison_sim::{CampaignConfig, FaultKind, LampShutter, SimSize, plan_campaign, write_campaign};
use vison_testdefs::{known_tests, parse_script_version, write_scripts};

mod output;

#[derive(Debug, Parser)]
#[command(
    name = "vison-sim",
    version,
    about = "ELVIS acquisition scripts and synthetic VIS calibration campaigns"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the acquisition scripts (.xlsx) of tests, with checksums, inventory and scheduler.
    Scripts {
        /// Comma-separated test names (e.g. BIAS01,PTC02_730,FOCUS00_800).
        #[arg(long, value_delimiter = ',', required = true)]
        tests: Vec<String>,
        /// ELVIS version (e.g. 7.5.X, 6.3.0).
        #[arg(long, default_value = "7.5.X")]
        elvis: String,
        /// Output folder (created if needed).
        #[arg(long)]
        out: PathBuf,
    },
    /// Generate a synthetic campaign: DIR/<DD_Mmm_YY>/ (FITS, EXP_LOG, HK) and DIR/truth.json.
    Campaign {
        /// Comma-separated test names, in campaign order.
        #[arg(long, value_delimiter = ',', required = true)]
        tests: Vec<String>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Random seed (same seed, same bytes).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Frame size: small (256 x 256 image pixels per quadrant, real prescan/overscan),
        /// medium (512 x 512) or full (2048 x 2066).
        #[arg(long, default_value = "small")]
        size: String,
        /// ELVIS version of the EXP_LOG, HK and headers.
        #[arg(long, default_value = "7.5.X")]
        elvis: String,
        /// Start of the first exposure: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or DDMMYYDhhmmssT.
        #[arg(long)]
        start: Option<String>,
        /// First ObsID.
        #[arg(long, default_value_t = 1000)]
        first_obsid: u64,
        /// Comma-separated faults: missing-frame, truncated-fits, hk-ool, saturated-quadrant,
        /// extra-exposure.
        #[arg(long, value_delimiter = ',')]
        faults: Vec<String>,
        /// Chamber (OGSE) profile: B_CBE_MAR19 (default, real chamber B), DEFAULT (the
        /// reference's default) or a path to a CHAMBER_*_profile.json.
        #[arg(long)]
        chamber: Option<String>,
        /// Lamp time base: chamber (the lamp is on for the chamber's shutter-calibrated actual
        /// time, as in the lab) or none (exactly the commanded EXP_LOG time).
        #[arg(long, default_value = "chamber")]
        shutter: String,
    },
}

fn parse_start(text: &str) -> Result<NaiveDateTime> {
    let t = text.trim();
    if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S") {
        return Ok(dt);
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(7, 0, 0).context("start date out of range");
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%d%m%yD%H%M%ST") {
        return Ok(dt);
    }
    bail!("cannot read start `{text}` (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or DDMMYYDhhmmssT)")
}

fn run_scripts(tests: &[String], elvis: &str, out: &std::path::Path) -> Result<()> {
    let names: Vec<&str> = tests.iter().map(String::as_str).collect();
    let written = write_scripts(&names, elvis, out)
        .with_context(|| format!("writing scripts into {}", out.display()))?;
    let mut text = String::new();
    for p in written {
        writeln!(text, "{}", p.display())?;
    }
    output::emit(&text)
}

#[allow(clippy::too_many_arguments)]
fn run_campaign(
    tests: Vec<String>,
    out: PathBuf,
    seed: u64,
    size: &str,
    elvis: &str,
    start: Option<&str>,
    first_obsid: u64,
    faults: &[String],
    chamber: Option<&str>,
    shutter: &str,
) -> Result<()> {
    let mut cfg = CampaignConfig::new(tests, out);
    cfg.seed = seed;
    cfg.size = size.parse::<SimSize>().context("--size")?;
    cfg.elvis = parse_script_version(elvis).context("--elvis")?;
    if let Some(s) = start {
        cfg.start = parse_start(s).context("--start")?;
    }
    cfg.first_obsid = first_obsid;
    cfg.shutter = shutter.parse::<LampShutter>().context("--shutter")?;
    cfg.faults = FaultKind::parse_list(&faults.join(",")).context("--faults")?;
    if let Some(c) = chamber {
        cfg.ogse =
            OgseProfile::load(c).with_context(|| format!("loading chamber profile `{c}`"))?;
    }
    let known = known_tests();
    for t in &cfg.tests {
        let base = t.split('_').next().unwrap_or(t);
        if !known.contains(&base) {
            bail!("unknown test `{t}` (known: {})", known.join(", "));
        }
    }
    let plan = plan_campaign(&cfg).context("planning the campaign")?;
    let bar =
        ProgressBar::with_draw_target(Some(plan.n_frames() as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} frames {pos}/{len} [{bar:40}] {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = write_campaign(&plan, &|| bar.inc(1))
        .with_context(|| format!("writing the campaign into {}", cfg.out_dir.display()))?;
    bar.finish_and_clear();
    tracing::info!(frames_per_s = report.frames_per_s, "campaign written");
    let mut so = String::new();
    writeln!(so, "day folder: {}", report.day_dir.display())?;
    writeln!(so, "truth: {}", report.truth_path.display())?;
    writeln!(
        so,
        "{} exposures, {} frames ({} x {} px) in {:.1} s ({:.1} frames/s), total {:.1} s",
        report.n_exposures,
        report.n_frames,
        plan.geometry().naxis1(),
        plan.geometry().naxis2(),
        report.frames_elapsed_s,
        report.frames_per_s,
        report.total_elapsed_s
    )?;
    output::emit(&so)
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Scripts { tests, elvis, out } => run_scripts(&tests, &elvis, &out),
        Command::Campaign {
            tests,
            out,
            seed,
            size,
            elvis,
            start,
            first_obsid,
            faults,
            chamber,
            shutter,
        } => run_campaign(
            tests,
            out,
            seed,
            &size,
            &elvis,
            start.as_deref(),
            first_obsid,
            &faults,
            chamber.as_deref(),
            &shutter,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_dates_in_three_forms() {
        let want = NaiveDate::from_ymd_opt(2018, 1, 19).and_then(|d| d.and_hms_opt(7, 0, 0));
        assert_eq!(parse_start("2018-01-19").ok(), want);
        assert_eq!(parse_start("2018-01-19T07:00:00").ok(), want);
        assert_eq!(parse_start("190118D070000T").ok(), want);
        assert!(parse_start("19/01/2018").is_err());
    }

    #[test]
    fn command_line_parses_as_documented() {
        let cli = Cli::try_parse_from([
            "vison-sim",
            "campaign",
            "--tests",
            "BIAS01,DARK01",
            "--out",
            "x",
            "--seed",
            "3",
            "--size",
            "full",
            "--faults",
            "hk-ool,missing-frame",
            "--first-obsid",
            "5",
            "--shutter",
            "none",
        ]);
        match cli.map(|c| c.command) {
            Ok(Command::Campaign {
                tests,
                seed,
                size,
                faults,
                first_obsid,
                shutter,
                ..
            }) => {
                assert_eq!(shutter.parse::<LampShutter>().ok(), Some(LampShutter::None));
                assert_eq!(tests, vec!["BIAS01", "DARK01"]);
                assert_eq!((seed, size.as_str(), first_obsid), (3, "full", 5));
                assert_eq!(faults, vec!["hk-ool", "missing-frame"]);
            }
            other => panic!("unexpected parse: {other:?}"),
        }
    }
}
