//! End-to-end tests of the `vison-pipe` binary: resume after kill -9 gives identical results,
//! exit codes, JSON progress events.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_vison-pipe");

fn campaign(dir: &Path, tests: &[&str], seed: u64) -> PathBuf {
    let root = dir.join("campaign");
    let mut cfg =
        vison_sim::CampaignConfig::new(tests.iter().map(|s| s.to_string()).collect(), &root);
    cfg.seed = seed;
    vison_sim::generate_campaign(&cfg, &|| {}).unwrap();
    root
}

fn run_args<'a>(data: &'a Path, out: &'a Path, tests: &'a str, id: &'a str) -> Vec<String> {
    [
        "run",
        "--data",
        &data.display().to_string(),
        "--tests",
        tests,
        "--out",
        &out.display().to_string(),
        "--id",
        id,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn resume_after_kill_gives_identical_results() {
    let d = tempfile::tempdir().unwrap();
    let data = campaign(d.path(), &["BIAS01", "BIAS02", "DARK01"], 5);
    let out = d.path().join("out");
    let tests = "BIAS01,BIAS02,DARK01";
    let st = Command::new(BIN)
        .args(run_args(&data, &out, tests, "full"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());

    let mut child = Command::new(BIN)
        .args(run_args(&data, &out, tests, "killed"))
        .args(["-j", "1"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let marker = out
        .join("killed")
        .join("BIAS01")
        .join("state")
        .join("check.json");
    let t0 = Instant::now();
    while !marker.exists() && t0.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(marker.exists(), "the first test's state never appeared");
    child.kill().unwrap(); // SIGKILL
    let st = child.wait().unwrap();
    assert!(!st.success(), "the run finished before it was killed");
    assert!(!out.join("killed/DARK01/results.json").exists());

    let st = Command::new(BIN)
        .args([
            "run",
            "--resume",
            "killed",
            "--out",
            &out.display().to_string(),
        ])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    // The resumed run reused the saved steps.
    let log = String::from_utf8(read(&out.join("killed/BIAS01/log.txt"))).unwrap();
    assert!(log.contains("ingest reused from saved state"), "{log}");
    for t in ["BIAS01", "BIAS02", "DARK01"] {
        let a = read(&out.join("full").join(t).join("results.json"));
        let b = read(&out.join("killed").join(t).join("results.json"));
        if a != b {
            let (ta, tb) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            let diff: Vec<String> = ta
                .lines()
                .zip(tb.lines())
                .filter(|(x, y)| x != y)
                .take(5)
                .map(|(x, y)| format!("uninterrupted: {x}\n      resumed: {y}"))
                .collect();
            panic!(
                "{t}: results.json differs after kill -9 and resume:\n{}",
                diff.join("\n")
            );
        }
        let a = read(&out.join("full").join(t).join("results.csv"));
        let b = read(&out.join("killed").join(t).join("results.csv"));
        assert!(a == b, "{t}: results.csv differs");
    }
    assert!(out.join("killed/index.html").is_file());
}

#[test]
fn crashed_task_gives_nonzero_exit_and_others_still_run() {
    let d = tempfile::tempdir().unwrap();
    let data = campaign(d.path(), &["BIAS01"], 6);
    let out = d.path().join("out");
    let o = Command::new(BIN)
        .args(run_args(&data, &out, "DARK01,BIAS01", "crash"))
        .arg("--json")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stdout).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ends: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["event"] == "task_end")
        .map(|e| {
            (
                e["test"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // BIAS01 runs (flagged: the default UNKNOWN block expects 2800 ADU offsets), DARK01 crashes.
    assert_eq!(
        ends,
        vec![
            ("BIAS01".into(), "flagged".into()),
            ("DARK01".into(), "crashed".into())
        ]
    );
    assert!(events.iter().any(|e| e["event"] == "step_progress"));
    assert_eq!(events.last().unwrap()["event"], "session_end");
    let r: serde_json::Value =
        serde_json::from_slice(&read(&out.join("crash/DARK01/results.json"))).unwrap();
    let reason = r["flag_reasons"]["SUBTASKCRASH"][0].as_str().unwrap();
    assert!(
        reason.contains("ingest") && reason.contains("no exposures"),
        "{reason}"
    );
    assert!(out.join("crash/DARK01/report.html").is_file());
    assert!(out.join("crash/log.txt").is_file());
}

#[test]
fn tests_command_lists_the_script_structure() {
    let o = Command::new(BIN).arg("tests").output().unwrap();
    assert!(o.status.success());
    let t = String::from_utf8(o.stdout).unwrap();
    assert!(t.contains("BIAS01:") && t.contains("DARK01:"));
    assert!(t.contains("col001: 10 frames"), "{t}");
    assert!(t.contains("exptime 565"), "{t}");
}

/// Runs `vison-pipe` with `args` and its stdout read end closed before it writes (a reader
/// that went away); asserts the quiet exit.
fn assert_quiet_on_closed_stdout(args: &[String]) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // closed before the child starts: its first write fails, always
    let child = Command::new(BIN)
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{args:?}: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{args:?}: {stderr}"
    );
}

#[test]
fn closed_stdout_ends_quietly() {
    assert_quiet_on_closed_stdout(&["tests".to_string()]);
    // JSON progress events of a run.
    let dir = tempfile::tempdir().unwrap();
    let data = campaign(dir.path(), &["DARK01"], 5);
    let out = dir.path().join("out");
    let mut args = run_args(&data, &out, "DARK01", "closed");
    args.push("--json".to_string());
    assert_quiet_on_closed_stdout(&args);
}
