//! `vison-pipe`: analyse VIS ground-calibration tests (BIAS01, BIAS02, DARK01) from ELVIS day
//! folders; resume a stopped session; wait for a running test (watch mode).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use vison_pipe::{Progress, ProgressEvent, RunOptions, SessionConfig, WatchOptions};

mod output;

#[derive(Parser)]
#[command(
    name = "vison-pipe",
    version,
    about = "VIS ground-calibration pipeline: BIAS01, BIAS02, DARK01"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Analyse the tests found in the day folders (or resume a session with --resume ID).
    Run(RunArgs),
    /// Wait for the tests' frames and analyse each test as soon as it is complete.
    Watch(WatchArgs),
    /// List the tests the pipeline knows, with their script structure.
    Tests,
}

#[derive(Args, Clone)]
struct Common {
    /// Day folder, or folder holding day folders (repeatable).
    #[arg(long = "data")]
    data: Vec<PathBuf>,
    /// Tests, comma-separated (e.g. BIAS01,BIAS02,DARK01).
    #[arg(long, value_delimiter = ',')]
    tests: Vec<String>,
    /// Output root; the session folder OUT/<ID> is created inside.
    #[arg(long)]
    out: PathBuf,
    /// Session file (TOML): inputs, per-test options and limits, calibration inputs.
    #[arg(long)]
    config: Option<PathBuf>,
    /// ELVIS version of the exposure logs (default: detected).
    #[arg(long)]
    elvis: Option<String>,
    /// Block name (selects the expected offsets).
    #[arg(long)]
    block: Option<String>,
    /// Session ID (default <block or VIS>_<YYYYMMDD>_<hhmmss>).
    #[arg(long)]
    id: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long)]
    jobs: Option<usize>,
    /// Progress as JSON objects, one per line, on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Resume session ID (under --out): redo only the unfinished steps.
    #[arg(long)]
    resume: Option<String>,
}

#[derive(Args)]
struct WatchArgs {
    #[command(flatten)]
    common: Common,
    /// Seconds between polls when no file-system notification arrives.
    #[arg(long, default_value_t = 120.0)]
    poll_s: f64,
    /// Stop waiting after this many seconds (then analyse what is there).
    #[arg(long)]
    timeout_s: Option<f64>,
    /// Poll only (no file-system notifications).
    #[arg(long)]
    no_notify: bool,
}

fn options(c: &Common) -> Result<RunOptions> {
    let config = match &c.config {
        Some(p) => {
            SessionConfig::from_file(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => SessionConfig::default(),
    };
    Ok(RunOptions {
        data: c.data.clone(),
        tests: c
            .tests
            .iter()
            .map(|t| t.trim().to_ascii_uppercase())
            .collect(),
        out: c.out.clone(),
        config,
        elvis: c.elvis.clone(),
        block: c.block.clone(),
        id: c.id.clone(),
        jobs: c.jobs,
    })
}

/// Progress to indicatif bars (hidden when stderr is not a terminal) or JSON lines on stdout.
struct Reporter {
    json: bool,
    multi: MultiProgress,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
}

impl Reporter {
    fn new(json: bool) -> Self {
        let target = if std::io::stderr().is_terminal() && !json {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Reporter {
            json,
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Progress for Reporter {
    fn event(&self, e: &ProgressEvent) {
        if self.json {
            if let Ok(mut line) = serde_json::to_string(e) {
                line.push('\n');
                if let Err(e) = output::emit(&line) {
                    tracing::warn!("progress event not written: {e:#}");
                }
            }
            return;
        }
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        match e {
            ProgressEvent::StepStart { test, step, .. } => {
                let pb = self.multi.add(ProgressBar::new(0));
                pb.set_style(
                    ProgressStyle::with_template("{prefix:>16} {bar:30} {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                pb.set_prefix(format!("{test} {step}"));
                bars.insert(format!("{test}/{step}"), pb);
            }
            ProgressEvent::StepProgress {
                test,
                step,
                done,
                total,
            } => {
                if let Some(pb) = bars.get(&format!("{test}/{step}")) {
                    pb.set_length(*total);
                    pb.set_position(*done);
                }
            }
            ProgressEvent::StepEnd {
                test,
                step,
                resumed,
                failed,
                ..
            } => {
                if let Some(pb) = bars.remove(&format!("{test}/{step}")) {
                    pb.finish_with_message(if *failed {
                        "FAILED"
                    } else if *resumed {
                        "resumed"
                    } else {
                        "done"
                    });
                }
            }
            ProgressEvent::TaskEnd {
                test,
                status,
                flags,
            } => {
                let _ = self
                    .multi
                    .println(format!("{test}: {status} {}", flags.join(" ")));
            }
            _ => {}
        }
    }
}

/// Logs to `OUT/<ID>/log.txt` (and to stderr at warning level and above).
fn init_logging(session_dir: &Path) -> Result<()> {
    use tracing_subscriber::prelude::*;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(session_dir.join("log.txt"))
        .with_context(|| format!("opening {}/log.txt", session_dir.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let file_layer = tracing_subscriber::fmt::layer()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_target(false);
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .with_filter(tracing_subscriber::filter::LevelFilter::WARN);
    tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init()
        .ok();
    Ok(())
}

fn cmd_run(a: RunArgs) -> Result<bool> {
    let mut session = match &a.resume {
        Some(id) => vison_pipe::resume_session(&a.common.out, id)
            .with_context(|| format!("resuming {id}"))?,
        None => vison_pipe::create_session(options(&a.common)?)?,
    };
    init_logging(&session.dir)?;
    tracing::info!(session = %session.id, "session {}", if a.resume.is_some() { "resumed" } else { "started" });
    let reporter = Reporter::new(a.common.json);
    let summary = vison_pipe::run_session(&mut session, &reporter)?;
    tracing::info!(
        all_ran = summary.all_ran,
        "session ended: {}",
        summary.dir.display()
    );
    if !a.common.json {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "session {} -> {}",
                summary.id,
                summary.dir.join("index.html").display()
            );
        }
    }
    Ok(summary.all_ran)
}

fn cmd_watch(a: WatchArgs) -> Result<bool> {
    let c = &a.common;
    let run = options(c)?;
    let reporter = Reporter::new(c.json);
    let summary = vison_pipe::watch(
        WatchOptions {
            run,
            poll_s: a.poll_s,
            timeout_s: a.timeout_s,
            notify: !a.no_notify,
        },
        &reporter,
    )?;
    Ok(summary.all_ran)
}

fn cmd_tests() -> Result<bool> {
    let text = vison_pipe::describe_tests()?;
    output::emit(&text)?;
    Ok(true)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Run(a) => cmd_run(a),
        Cmd::Watch(a) => cmd_watch(a),
        Cmd::Tests => cmd_tests(),
    };
    match r {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("vison-pipe: {e:#}");
            }
            std::process::ExitCode::from(2)
        }
    }
}
