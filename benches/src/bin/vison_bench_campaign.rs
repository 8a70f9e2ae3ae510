//! Campaign benchmark: the `vison-pipe` binary over a synthetic campaign against numpy/astropy
//! doing the same per-frame work on the same files (`benches/campaign_numpy.py`).
//!
//! `cargo build --release -p vison-sim-cli -p vison-pipe-cli -p vison-benches`, then
//! `target/release/vison-bench-campaign DIR [--python PY] [--size full] [--pair-every N]`
//!
//! Generates `DIR/campaign` once with the `vison-sim` binary (BIAS01, DARK01, PTC01, seed 1;
//! kept and reused by later runs), runs `vison-pipe run` over it with the seed's block
//! (`SIM_SEED1`, so a clean campaign ends `ok` with no flags) and the Python script, each as a child
//! process under `/usr/bin/time` (wall time and peak RSS), and prints a Markdown table.
//! The binaries are taken from the directory of this executable.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const TESTS: &str = "BIAS01,DARK01,PTC01";

/// Wall time, CPU time (user + system, all threads) and peak RSS of one child process.
struct Run {
    wall_s: f64,
    cpu_s: f64,
    peak_rss_mb: f64,
    stdout: String,
}

impl Run {
    /// One Markdown table row.
    fn row(&self, what: &str, frames: usize) -> String {
        format!(
            "| {what} | {:.1} | {:.1} | {:.2} | {:.0} |",
            self.wall_s,
            self.cpu_s,
            frames as f64 / self.wall_s,
            self.peak_rss_mb
        )
    }
}

/// Runs `cmd` under `/usr/bin/time -f "%e %M %U %S"` (falls back to an in-process clock
/// without CPU time and RSS when `/usr/bin/time` is missing).
fn timed(program: &Path, args: &[&str], dir: &Path, tag: &str) -> Run {
    let time_file = dir.join(format!("{tag}.time"));
    let t = Instant::now();
    let have_time = Path::new("/usr/bin/time").is_file();
    let out = if have_time {
        Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%e %M %U %S")
            .arg("-o")
            .arg(&time_file)
            .arg(program)
            .args(args)
            .output()
    } else {
        Command::new(program).args(args).output()
    };
    let wall = t.elapsed().as_secs_f64();
    let out = out.unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    std::fs::write(dir.join(format!("{tag}.stderr")), &out.stderr).ok();
    assert!(
        out.status.success(),
        "{} failed ({}); stderr in {}",
        program.display(),
        out.status,
        dir.join(format!("{tag}.stderr")).display()
    );
    let (wall_s, peak_rss_mb, cpu_s) = std::fs::read_to_string(&time_file)
        .ok()
        .and_then(|s| {
            let v: Vec<f64> = s
                .lines()
                .last()?
                .split_whitespace()
                .map(|x| x.parse().ok())
                .collect::<Option<_>>()?;
            (v.len() == 4).then(|| (v[0], v[1] / 1024.0, v[2] + v[3]))
        })
        .unwrap_or((wall, f64::NAN, f64::NAN));
    Run {
        wall_s,
        cpu_s,
        peak_rss_mb,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    }
}

fn count_frames(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if name.starts_with("EUC_") && name.ends_with(".fits") {
                n += 1;
            }
        }
    }
    n
}

/// `TEST status [flags]` of every test of a finished session (from its `session.json`).
fn session_outcome(session_dir: &Path) -> String {
    let text = std::fs::read_to_string(session_dir.join("session.json")).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let tests = v["tests"].as_array().cloned().unwrap_or_default();
    if tests.is_empty() {
        return format!("no tests in {}", session_dir.join("session.json").display());
    }
    tests
        .iter()
        .map(|t| {
            format!(
                "{} {} {}",
                t["test"].as_str().unwrap_or("?"),
                t["status"].as_str().unwrap_or("?"),
                t["flags"]
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn arg_value(args: &[String], key: &str) -> Option<String> {
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        args.get(1)
            .filter(|a| !a.starts_with("--"))
            .cloned()
            .unwrap_or_else(|| "target/bench-campaign".into()),
    );
    let size = arg_value(&args, "--size").unwrap_or_else(|| "full".into());
    let pair_every = arg_value(&args, "--pair-every").unwrap_or_else(|| "1".into());
    let python = arg_value(&args, "--python");
    let bins = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    std::fs::create_dir_all(&dir).expect("create bench dir");
    let dir = dir.canonicalize().expect("bench dir");
    let campaign = dir.join("campaign");
    ensure_campaign(&bins, &dir, &campaign, &size);
    let frames = count_frames(&campaign);
    let pipe = run_pipe(&bins, &dir, &campaign);
    println!(
        "| {TESTS}, {frames} frames ({size}) | wall [s] | CPU [s] | frames/s | peak RSS [MB] |"
    );
    println!("|---|---|---|---|---|");
    println!(
        "{}",
        pipe.row("vison-pipe run (whole analysis and reports)", frames)
    );
    if let Some(py) = python {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/campaign_numpy.py");
        let campaign_s = campaign.to_string_lossy().into_owned();
        let r = timed(
            Path::new(&py),
            &[script, &campaign_s, "--pair-every", &pair_every],
            &dir,
            "numpy",
        );
        println!(
            "{}",
            r.row("numpy/astropy per-frame work (campaign_numpy.py)", frames)
        );
        println!("numpy detail: {}", r.stdout.trim());
        println!(
            "ratios (numpy / vison-pipe): wall {:.1}x, CPU {:.1}x",
            r.wall_s / pipe.wall_s,
            r.cpu_s / pipe.cpu_s
        );
    }
}

/// Generates the campaign with the `vison-sim` binary unless `campaign/truth.json` exists.
fn ensure_campaign(bins: &Path, dir: &Path, campaign: &Path, size: &str) {
    if campaign.join("truth.json").is_file() {
        return;
    }
    let campaign_s = campaign.to_string_lossy().into_owned();
    let g = timed(
        &bins.join("vison-sim"),
        &[
            "campaign",
            "--tests",
            TESTS,
            "--out",
            &campaign_s,
            "--size",
            size,
            "--seed",
            "1",
        ],
        dir,
        "generate",
    );
    println!("generated {TESTS} ({size}) in {:.1} s", g.wall_s);
}

/// Runs `vison-pipe run` over the campaign into a fresh `dir/pipe-out` and prints its outcome.
fn run_pipe(bins: &Path, dir: &Path, campaign: &Path) -> Run {
    let campaign_s = campaign.to_string_lossy().into_owned();
    let out_root = dir.join("pipe-out");
    let _ = std::fs::remove_dir_all(&out_root);
    let out_s = out_root.to_string_lossy().into_owned();
    let pipe = timed(
        &bins.join("vison-pipe"),
        &[
            "run",
            "--data",
            &campaign_s,
            "--tests",
            TESTS,
            "--out",
            &out_s,
            "--id",
            "bench",
            "--block",
            "SIM_SEED1",
        ],
        dir,
        "pipe",
    );
    println!(
        "vison-pipe outcome: {}",
        session_outcome(&out_root.join("bench"))
    );
    pipe
}
