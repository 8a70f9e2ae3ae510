//! `vison-inspect`: a quickds9-style inspector of ELVIS frames, exposure logs and HK files,
//! and the spots of point-source frames.
//!
//! Exit codes: 0 ok, 1 usage error (including values checked after parsing: `--elvis`,
//! `--keys`, picture sizes), 2 bad input file (the message names the file and the problem),
//! 3 a needed external tool (DS9) is missing, 141 stdout closed before all was written (`| head`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_ds9;
mod cmd_explog;
mod cmd_fits;
mod cmd_hk;
mod cmd_profile;
mod cmd_render;
mod cmd_spots;
mod output;

/// Inspect ELVIS FITS frames, EXP_LOGs and HK files.
#[derive(Parser, Debug)]
#[command(name = "vison-inspect", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// HDUs, key header values and per-quadrant/section statistics of FITS files.
    Fits(cmd_fits::FitsArgs),
    /// Row or column profile of one quadrant section, written as CSV.
    Profile(cmd_profile::ProfileArgs),
    /// The frame as a PNG picture: zscale, four quadrants in DS9 orientation, labelled.
    Render(cmd_render::RenderArgs),
    /// Open files in SAOImage DS9 (through XPA when a DS9 is already running).
    Ds9(cmd_ds9::Ds9Args),
    /// Summary of exposure logs (EXP_LOG): version, rows, ObsIDs, CCDs, tests.
    Explog(cmd_explog::ExplogArgs),
    /// House-keeping files: per-key statistics, limit checks, commanded-vs-HK, plots.
    Hk(cmd_hk::HkArgs),
    /// Find and measure the OGSE spots of frames: position, flux, size, shape.
    Spots(cmd_spots::SpotsArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match &cli.command {
        Command::Fits(a) => cmd_fits::run(a),
        Command::Profile(a) => cmd_profile::run(a),
        Command::Render(a) => cmd_render::run(a),
        Command::Explog(a) => cmd_explog::run(a),
        Command::Hk(a) => cmd_hk::run(a),
        Command::Ds9(a) => return cmd_ds9::run(a),
        Command::Spots(a) => return cmd_spots::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&e);
            ExitCode::from(exit_code(&e))
        }
    }
}

/// A usage error found after argument parsing, where clap cannot check the value (an
/// unknown `--elvis` version, a `--keys` name absent from the files): exit 1.
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Exit code of a failed command: 1 for a usage error ([`UsageError`], or a picture size
/// outside the plotting range, as `render --width 0`), 2 for a bad input file.
fn exit_code(e: &anyhow::Error) -> u8 {
    let usage = e.chain().any(|c| {
        c.is::<UsageError>()
            || matches!(
                c.downcast_ref::<vison_report::Error>(),
                Some(vison_report::Error::InvalidSize { .. })
            )
    });
    if usage { 1 } else { 2 }
}
