//! End-to-end tests of the `vison-inspect` binary on frames written by vison-ccd.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use vison_ccd::{Frame, FrameGeometry, Quadrant, write_raw_frame};

const OFFSETS_ADU: [f32; 4] = [2100.0, 2200.0, 2300.0, 2400.0];

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vison-inspect"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn frame(dir: &Path) -> PathBuf {
    let mut f = Frame::zeros(FrameGeometry::small());
    let mut rng = StdRng::seed_from_u64(3);
    let noise = Normal::new(0.0f32, 1.3).expect("sigma");
    for (k, q) in Quadrant::ALL.into_iter().enumerate() {
        let img = f.geometry.section_box_qcan(vison_ccd::Section::Image);
        let mut v = f.quad_canonical_mut(q);
        for ((r, c), x) in v.indexed_iter_mut() {
            let signal = if (img.col0..img.col1).contains(&c) && r < img.row1 {
                500.0
            } else {
                0.0
            };
            *x = OFFSETS_ADU[k] + signal + noise.sample(&mut rng);
        }
    }
    // Three saturated pixels in the image of F.
    for i in 0..3 {
        f.quad_canonical_mut(Quadrant::F)[[10 + i, 100]] = 65535.0;
    }
    f.extname = "ROE1_CCD1".into();
    f.header
        .set("OBSID", 4242)
        .set("EXPTIME", 1.5)
        .set("TEST", "FLAT01");
    let p = dir.join("EUC_4242_251126D_101010T_ROE1_CCD1.fits");
    write_raw_frame(&p, &f).expect("write");
    p
}

#[test]
fn fits_json_reports_sections_per_quadrant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = frame(dir.path());
    let out = run(&["fits", "--json", p.to_str().expect("utf8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let file = &v[0];
    assert!(file["file"].as_str().expect("file").ends_with("CCD1.fits"));
    assert_eq!(file["hdus"].as_array().expect("hdus").len(), 2);
    for (k, q) in ["E", "F", "G", "H"].iter().enumerate() {
        let pre = &file["quadrants"][q]["prescan"];
        let med = pre["median"].as_f64().expect("median");
        assert!((med - f64::from(OFFSETS_ADU[k])).abs() < 0.1, "{q}: {med}");
        let std = pre["std"].as_f64().expect("std");
        assert!((std - 1.3).abs() < 0.1, "{q}: {std}");
        let img = &file["quadrants"][q]["image"];
        assert!(img["mean"].as_f64().expect("mean") > f64::from(OFFSETS_ADU[k]) + 490.0);
        for key in ["mean", "median", "std", "n_lost", "n_saturated"] {
            assert!(file["quadrants"][q]["overscan"].get(key).is_some(), "{key}");
        }
    }
    assert_eq!(file["quadrants"]["F"]["image"]["n_saturated"], 3);
    assert_eq!(file["quadrants"]["E"]["image"]["n_saturated"], 0);
    // Text mode prints the table.
    let out = run(&["fits", p.to_str().expect("utf8")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ROE1_CCD1") && text.contains("OBSID=4242") && text.contains("prescan"));
}

#[test]
fn profile_and_render_write_their_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = frame(dir.path());
    let csv = dir.path().join("prof.csv");
    let out = run(&[
        "profile",
        p.to_str().expect("utf8"),
        "--quad",
        "G",
        "--axis",
        "rows",
        "-o",
        csv.to_str().expect("utf8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "index_qcan,ccd_coord_px,value_adu");
    assert_eq!(lines.len(), 1 + 256);
    let v: f64 = lines[1]
        .split(',')
        .nth(2)
        .expect("value")
        .parse()
        .expect("number");
    assert!((v - 2800.0).abs() < 1.0, "{v}");
    let png = dir.path().join("frame.png");
    let out = run(&[
        "render",
        p.to_str().expect("utf8"),
        "-o",
        png.to_str().expect("utf8"),
        "--width",
        "800",
        "--height",
        "700",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).expect("png");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(vison_report::png_size_px(&bytes), Some((800, 700)));
    let ps = png.to_str().expect("utf8");
    for extra in [
        &["--per-quadrant"][..],
        &["--per-quadrant", "--shared-scale", "--scale", "minmax"],
        &["--scale", "2000,2600"],
    ] {
        let mut args = vec!["render", p.to_str().expect("utf8"), "-o", ps];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run(&[
        "render",
        p.to_str().expect("utf8"),
        "-o",
        ps,
        "--scale",
        "9,1",
    ]);
    assert!(!out.status.success());
}

#[test]
fn bad_input_and_usage_have_their_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = frame(dir.path());
    let bytes = std::fs::read(&p).expect("read");
    let cut = dir.path().join("cut.fits");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let out = run(&["fits", cut.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cut.fits") && err.contains("truncated"),
        "{err}"
    );
    assert_eq!(run(&["fits", "--no-such-flag", "x"]).status.code(), Some(1));
    assert_eq!(
        run(&["render", cut.to_str().expect("utf8"), "-o", "x.png"])
            .status
            .code(),
        Some(2)
    );
    let out = bin()
        .args(["ds9", p.to_str().expect("utf8")])
        .env("PATH", "")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("apt-get install saods9"));
}

/// Start of the image extension's header in a frame written by `write_raw_frame`.
const EXT: usize = 2880;

/// Sets (or, with `None`, blanks) card `key` of the header starting at `start`, adding it
/// before END when absent.
fn edit_card(bytes: &mut [u8], start: usize, key: &str, value: Option<&str>) {
    let mut at = start;
    loop {
        let kw = String::from_utf8_lossy(&bytes[at..at + 8])
            .trim_end()
            .to_string();
        if kw == key || kw == "END" {
            break;
        }
        at += 80;
    }
    let is_end = &bytes[at..at + 3] == b"END";
    let mut card = match value {
        Some(v) => format!("{key:<8}= {v:>20}").into_bytes(),
        None => Vec::new(),
    };
    card.resize(80, b' ');
    bytes[at..at + 80].copy_from_slice(&card);
    if is_end && value.is_some() {
        let mut end = b"END".to_vec();
        end.resize(80, b' ');
        bytes[at + 80..at + 160].copy_from_slice(&end);
    }
}

fn damaged(dir: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut b = std::fs::read(frame(dir)).expect("read");
    edit(&mut b);
    let p = dir.join(name);
    std::fs::write(&p, &b).expect("write");
    p
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8")
}

/// Runs `args`, asserts exit code `code` and that stderr contains each of `words`.
fn expect_exit(args: &[&str], code: i32, words: &[&str]) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    for w in words {
        assert!(err.contains(w), "{args:?}: '{w}' not in {err}");
    }
}

#[test]
fn damaged_frames_exit_2_with_the_file_and_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let png = dir.path().join("x.png");
    let csv = dir.path().join("x.csv");
    let cases: Vec<(PathBuf, Vec<&str>)> = vec![
        (
            damaged(dir.path(), "cut5000.fits", |b| b.truncate(5000)),
            vec!["truncated", "5000 bytes", "HDU 1"],
        ),
        (
            damaged(dir.path(), "bscale0.fits", |b| {
                edit_card(b, EXT, "BSCALE", Some("0"))
            }),
            vec!["BSCALE", "0 would map every pixel"],
        ),
        (
            damaged(dir.path(), "bscale308.fits", |b| {
                edit_card(b, EXT, "BSCALE", Some("1E308"));
            }),
            vec!["BSCALE", "beyond the f32 range"],
        ),
        (
            damaged(dir.path(), "nobzero.fits", |b| {
                edit_card(b, EXT, "BZERO", None)
            }),
            vec!["BZERO 0", "32768"],
        ),
        (
            damaged(dir.path(), "naxis-1.fits", |b| {
                edit_card(b, EXT, "NAXIS1", Some("-1"))
            }),
            vec!["NAXIS1", "-1 is negative"],
        ),
        (
            damaged(dir.path(), "naxis2e40.fits", |b| {
                edit_card(b, EXT, "NAXIS2", Some("1099511627776"));
            }),
            vec!["NAXIS2", "larger than the file"],
        ),
    ];
    for (p, words) in &cases {
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        let mut w = words.clone();
        w.push(name);
        expect_exit(&["fits", s(p)], 2, &w);
        expect_exit(&["fits", "--json", s(p)], 2, &w);
        expect_exit(&["render", s(p), "-o", s(&png)], 2, &w);
        let prof = [
            "profile",
            s(p),
            "--quad",
            "E",
            "--axis",
            "rows",
            "-o",
            s(&csv),
        ];
        expect_exit(&prof, 2, &w);
    }
    // No frame in a primary-only file; geometry keys that the check trims would empty.
    let primary = dir.path().join("primary-only.fits");
    vison_ccd::write_product(&primary, &vison_ccd::Header::new(), &[]).expect("write");
    let short = damaged(dir.path(), "prescan10.fits", |b| {
        edit_card(b, EXT, "PRESCANX", Some("10"));
    });
    for (p, w) in [
        (&primary, "no 2-D image HDU"),
        (&short, "PRESCANX = 10 leaves no prescan column"),
    ] {
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        expect_exit(&["render", s(p), "-o", s(&png)], 2, &[w, name]);
        if p == &primary {
            expect_exit(&["fits", s(p)], 2, &[w, name]);
            expect_exit(&["fits", s(p), "--json"], 2, &[w, name]);
        }
        let prof = [
            "profile",
            s(p),
            "--quad",
            "E",
            "--axis",
            "rows",
            "-o",
            s(&csv),
        ];
        expect_exit(&prof, 2, &[w, name]);
    }
    assert!(!png.exists() && !csv.exists());
}

#[test]
fn hostile_header_values_never_crash_the_inspector() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clean = std::fs::read(frame(dir.path())).expect("read");
    let keys = [
        "NAXIS", "NAXIS1", "NAXIS2", "BITPIX", "BZERO", "BSCALE", "PCOUNT", "GCOUNT",
    ];
    let values = [
        Some("-1"),
        Some("-1000"),
        Some("0"),
        Some("1000"),
        Some("4294967297"),
        Some("1099511627776"),
        Some("4611686018427387904"),
        Some("1E308"),
        Some("NaN"),
        Some("'abc'"),
        None,
    ];
    let (mut ok, mut bad) = (0, 0);
    for key in keys {
        for (k, value) in values.iter().enumerate() {
            let mut b = clean.clone();
            edit_card(&mut b, EXT, key, *value);
            let p = dir.path().join(format!("{key}_{k}.fits"));
            std::fs::write(&p, &b).expect("write");
            let out = run(&["fits", "--json", s(&p)]);
            let err = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => ok += 1,
                Some(2) => {
                    assert!(err.contains(&format!("{key}_{k}.fits")), "{err}");
                    bad += 1;
                }
                other => panic!("{key} = {value:?}: exit {other:?}: {err}"),
            }
        }
    }
    // Negative, huge, non-numeric and missing values of the structural keys are all errors.
    assert_eq!(ok + bad, keys.len() * values.len());
    assert!(bad >= 70, "{ok} read, {bad} rejected");
}

#[test]
fn usage_errors_found_after_parsing_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = frame(dir.path());
    let png = dir.path().join("x.png");
    expect_exit(
        &["render", s(&p), "-o", s(&png), "--width", "0"],
        1,
        &["figure size 0"],
    );
    assert!(!png.exists());
    // An exposure log and an HK file that are fine: only the option is wrong.
    let schema = vison_explog::Schema::for_version(vison_explog::ElvisVersion::V7_5_X);
    let mut log = vison_explog::ExpLog::new(schema.clone());
    let mut row = vison_explog::ExpLogRow::new(schema);
    row.set("ObsID", 1000)
        .and_then(|r| r.set("CCD", "CCD1"))
        .and_then(|r| r.set("test", "BIAS01"))
        .expect("row");
    log.push(row).expect("push");
    let explog = dir.path().join("EXP_LOG_190118.txt");
    log.write(&explog).expect("write");
    expect_exit(&["explog", s(&explog)], 0, &[]);
    expect_exit(
        &["explog", s(&explog), "--elvis", "9.9.9"],
        1,
        &["--elvis 9.9.9", "unknown ELVIS version"],
    );
    let mut hk =
        vison_hk::HkReadings::for_version(vison_explog::ElvisVersion::V7_5_X).expect("keys");
    let zeros = vec![0.0; hk.keys.len()];
    let t0 = chrono::NaiveDate::from_ymd_opt(2019, 1, 18)
        .and_then(|d| d.and_hms_opt(7, 0, 0))
        .expect("date");
    for s in 0..3 {
        hk.push(Some(t0 + chrono::Duration::seconds(s)), &zeros)
            .expect("push");
    }
    let hk_file = dir.path().join("HK_1000_190118D070000T_ROE1.txt");
    hk.write(&hk_file, vison_hk::HkFormat::Table)
        .expect("write");
    expect_exit(
        &["hk", s(&hk_file), "--elvis", "9.9.9"],
        1,
        &["--elvis 9.9.9"],
    );
    let hk_png = dir.path().join("hk.png");
    expect_exit(
        &["hk", s(&hk_file), "--plot", s(&hk_png), "--keys", "NOPE"],
        1,
        &["no HK key 'NOPE'"],
    );
    // A bad file is still exit 2, not a usage error.
    let cut = dir.path().join("cut.txt");
    std::fs::write(&cut, b"\xff\xfe").expect("write");
    assert_eq!(run(&["hk", s(&cut)]).status.code(), Some(2));
}

/// The write end of a pipe whose read end is already closed: the child's first write to it
/// fails (a reader that went away, as `| head -0`), whatever the timing.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    writer
}

/// Runs `cmd` with a stdout whose reader has gone ([`closed_pipe`]); returns the exit code
/// and stderr.
fn run_with_closed_stdout(mut cmd: Command) -> (Option<i32>, String) {
    let child = cmd
        .stdout(closed_pipe())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary starts");
    let out = child.wait_with_output().expect("binary ends");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = frame(dir.path());
    let log = dir.path().join("EXP_LOG_251126.txt");
    let schema = vison_explog::Schema::for_version(vison_explog::ElvisVersion::V7_5_X);
    let mut explog = vison_explog::ExpLog::new(schema.clone());
    let mut row = vison_explog::ExpLogRow::new(schema);
    row.set("ObsID", 4242)
        .and_then(|r| r.set("CCD", "CCD1"))
        .expect("row");
    explog.push(row).expect("push");
    explog.write(&log).expect("write log");
    for args in [
        vec!["fits", s(&p)],
        vec!["fits", "--json", s(&p)],
        vec!["explog", s(&log)],
    ] {
        let mut cmd = bin();
        cmd.args(&args);
        let (code, stderr) = run_with_closed_stdout(cmd);
        assert_eq!(code, Some(141), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}
