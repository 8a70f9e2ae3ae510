//! End-to-end tests of the `vison-sim` binary.

use std::process::Command;

fn vison_sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vison-sim"))
}

#[test]
fn campaign_writes_the_day_folder_and_truth() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = vison_sim()
        .args([
            "campaign",
            "--tests",
            "DARK01",
            "--seed",
            "7",
            "--start",
            "2019-03-04",
            "--first-obsid",
            "20",
        ])
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("run vison-sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("4 exposures, 12 frames (654 x 552 px)"),
        "{stdout}"
    );
    let day = dir.path().join("04_Mar_19");
    assert!(day.join("EXP_LOG_040319.txt").is_file());
    assert!(day.join("HK_04-03-19_ROE1.txt").is_file());
    assert!(day.join("EUC_20_040319D070000T_ROE1_CCD3.fits").is_file());
    assert!(dir.path().join("truth.json").is_file());
}

#[test]
fn scripts_writes_xlsx_and_side_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = vison_sim()
        .args(["scripts", "--tests", "BIAS01,DARK01", "--elvis", "7.5.X"])
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("run vison-sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        listed.lines().filter(|l| l.ends_with(".xlsx")).count(),
        3,
        "{listed}"
    );
}

#[test]
fn unknown_fault_is_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = vison_sim()
        .args(["campaign", "--tests", "BIAS01", "--faults", "melted-ccd"])
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("run vison-sim");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--faults") && err.contains("melted-ccd"),
        "{err}"
    );
}

#[test]
fn closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The reader is gone before the child starts, so its first write fails, always.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let child = vison_sim()
        .args(["scripts", "--tests", "BIAS01"])
        .arg("--out")
        .arg(dir.path())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vison-sim");
    let out = child.wait_with_output().expect("vison-sim ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}
