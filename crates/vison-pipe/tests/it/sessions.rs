//! Session creation and path confinement (issue 13 classes 3 and 4), the registry's
//! check-only tests (issue 12 §5) and NaN in saved states (issue 13 class 1).

use std::path::Path;

use vison_pipe::{Error, NoProgress, RunOptions, SessionConfig};

use crate::common::{Campaign, campaign, config_from_truth, get, results, run, snapshot};

fn opts(data: &Path, out: &Path, id: Option<&str>) -> RunOptions {
    RunOptions {
        data: vec![data.to_path_buf()],
        tests: vec!["BIAS01".into()],
        out: out.to_path_buf(),
        config: SessionConfig::default(),
        id: id.map(String::from),
        ..RunOptions::default()
    }
}

fn config_err(r: vison_pipe::Result<vison_pipe::Session>) -> String {
    match r {
        Err(e @ Error::Config { .. }) => e.to_string(),
        Err(e) => panic!("not a configuration error: {e}"),
        Ok(s) => panic!("session {} created", s.id),
    }
}

#[test]
fn session_ids_are_plain_unique_names_inside_out() {
    let t = tempfile::tempdir().unwrap();
    let (data, out) = (t.path().join("data"), t.path().join("out"));
    std::fs::create_dir_all(&data).unwrap();
    // Default IDs created in the same second get distinct folders.
    let a = vison_pipe::create_session(opts(&data, &out, None)).unwrap();
    let b = vison_pipe::create_session(opts(&data, &out, None)).unwrap();
    assert_ne!(a.dir, b.dir);
    // An explicit ID that exists is an error, not a silent rename.
    let msg = config_err(vison_pipe::create_session(opts(&data, &out, Some(&a.id))));
    assert!(
        msg.contains("already exists") && msg.contains("--resume"),
        "{msg}"
    );
    // IDs are plain names: nothing is written outside --out.
    for bad in ["../x", "/tmp/abs", "a/b", ".."] {
        let msg = config_err(vison_pipe::create_session(opts(&data, &out, Some(bad))));
        assert!(msg.contains("plain name"), "{bad}: {msg}");
    }
    assert!(!t.path().join("x").exists());
    // --out inside a data folder is refused (inputs are read-only).
    let msg = config_err(vison_pipe::create_session(opts(
        &data,
        &data.join("out"),
        None,
    )));
    assert!(msg.contains("inside the data folder"), "{msg}");
    assert!(!data.join("out").join("VIS").exists());
}

#[test]
fn blocks_are_built_in_or_named_files_and_unknown_names_fail() {
    let t = tempfile::tempdir().unwrap();
    let (data, out) = (t.path().join("data"), t.path().join("out"));
    std::fs::create_dir_all(&data).unwrap();
    let mut o = opts(&data, &out, Some("builtin"));
    o.block = Some("SIM_SEED1".into());
    vison_pipe::create_session(o).unwrap();
    let mut o = opts(&data, &out, Some("unknown"));
    o.block = Some("NO_SUCH_BLOCK".into());
    let msg = config_err(vison_pipe::create_session(o));
    assert!(
        msg.contains("unknown block") && msg.contains("SIM_SEED1") && msg.contains("UNKNOWN"),
        "{msg}"
    );
    // Nothing was created for the refused session.
    assert!(!out.join("unknown").exists());
    let mut o = opts(&data, &out, Some("path"));
    o.block = Some("../../etc/x".into());
    assert!(vison_pipe::create_session(o).is_err());
}

#[test]
fn frames_outside_the_day_folder_are_not_read() {
    let c: Campaign = campaign(&["BIAS01"], &[], 1);
    let root = c.root();
    let day = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .unwrap();
    let explog = std::fs::read_dir(&day)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("EXP_LOG")
        })
        .unwrap();
    // Point one row at a copy of its frame outside the day folder.
    let text = std::fs::read_to_string(&explog).unwrap();
    let first_fits = text
        .split(|ch: char| ch.is_whitespace() || ch == ',')
        .find(|w| w.starts_with("EUC_"))
        .unwrap()
        .trim_end_matches(".fits")
        .to_string();
    let outside = c.dir.path().join(format!("{first_fits}.fits"));
    std::fs::copy(day.join(format!("{first_fits}.fits")), &outside).unwrap();
    std::fs::write(
        &explog,
        text.replacen(&first_fits, &format!("../../{first_fits}"), 1),
    )
    .unwrap();
    let before = snapshot(&root);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&root, &["BIAS01"], &out, cfg, "confined");
    let r = results(&s, "BIAS01");
    let reasons = r.flag_reasons.0.get("BADDATA").cloned().unwrap_or_default();
    assert!(
        reasons
            .iter()
            .any(|m| m.contains("not a plain file name") && m.contains(&first_fits)),
        "{:?}",
        r.flag_reasons
    );
    // The rest of the test completes, and the inputs are unchanged.
    assert!(get(&r, "CCD2", "E", "ron_adu").is_finite());
    assert_eq!(before, snapshot(&root));
}

#[test]
fn injection_tests_are_checked_with_their_quick_statistics() {
    let c = campaign(&["CHINJ01"], &[], 3);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &["CHINJ01"], &out, cfg, "chinj");
    let r = results(&s, "CHINJ01");
    // A clean campaign: no flags (the zero-exposure injection frames get no bias check).
    assert_eq!(r.status, "ok", "{:?}", r.flag_reasons);
    assert!(s.join("CHINJ01/report.html").is_file());
    // The quick injection level of every injected exposure and quadrant equals the injected
    // level (after the simulated non-linearity), read from results.csv.
    let csv = std::fs::read_to_string(s.join("CHINJ01/results.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (c_obs, c_ccd, c_q, c_med) = (
        col("obsid"),
        col("ccd"),
        col("quadrant"),
        col("inject_median_adu"),
    );
    let mut n = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let Ok(got) = f[c_med].parse::<f64>() else {
            continue;
        };
        let (ccd, q) = (f[c_ccd], f[c_q]);
        let Some(level) = c.truth.frames[f[c_obs]].ccds[ccd].quads[q].injection_adu else {
            panic!(
                "ObsID {} {ccd} {q}: injection {got} ADU measured, none injected",
                f[c_obs]
            );
        };
        let nl = &c.truth.ccds[ccd][q].nonlinearity;
        let want = vison_sim::effects::nonlinear_adu(level, nl.c1, nl.c2);
        if want > 100.0 {
            assert!(
                (got / want - 1.0).abs() < 0.02,
                "ObsID {} {ccd} {q}: {got} vs {want}",
                f[c_obs]
            );
            n += 1;
        }
    }
    assert!(n >= 50, "{n} injected exposures compared");
}

#[test]
fn a_nan_in_a_saved_state_does_not_crash_the_test() {
    // A frame of NaN: its statistics are NaN, saved as null, and read back on resume.
    let c = campaign(&["BIAS01"], &[], 2);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &["BIAS01"], &out, cfg.clone(), "nan");
    let check = s.join("BIAS01/state/check.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&check).unwrap()).unwrap();
    v["state"]["frames"][0]["quads"]["E"]["ron_pre_adu"] = serde_json::Value::Null;
    std::fs::write(&check, serde_json::to_string(&v).unwrap()).unwrap();
    for step in ["basic", "meta"] {
        let _ = std::fs::remove_file(s.join(format!("BIAS01/state/{step}.json")));
    }
    let mut sess = vison_pipe::resume_session(&out, "nan").unwrap();
    let sum = vison_pipe::run_session(&mut sess, &NoProgress).unwrap();
    assert_ne!(
        sum.outcomes[0].status, "crashed",
        "{:?}",
        sum.outcomes[0].flags
    );
    let r = results(&s, "BIAS01");
    assert!(get(&r, "CCD1", "F", "ron_adu").is_finite());
}

/// The day folder and the frames of the first two exposures of a campaign.
fn day_and_frames(c: &Campaign) -> (std::path::PathBuf, Vec<std::path::PathBuf>) {
    let day = std::fs::read_dir(c.root())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .unwrap();
    let mut fits: Vec<_> = std::fs::read_dir(&day)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "fits"))
        .collect();
    fits.sort();
    (day, fits)
}

#[test]
fn frames_that_disagree_with_their_row_or_their_neighbours_are_excluded() {
    let c = campaign(&["BIAS01"], &[], 4);
    let (_, fits) = day_and_frames(&c);
    // 1. A header OBSID that is not the EXP_LOG's (same width, so the file stays valid).
    let bad_header = &fits[0];
    let mut f = vison_ccd::read_frame(bad_header).unwrap();
    let o = f.header.get_i64("OBSID").unwrap();
    f.header.set("OBSID", o + 1000);
    vison_ccd::write_raw_frame(bad_header, &f).unwrap();
    // 2. A frame of another geometry (a smaller prescan) in place of a CCD3 frame.
    let odd = fits
        .iter()
        .find(|p| p.to_string_lossy().ends_with("CCD3.fits"))
        .unwrap();
    let f = vison_ccd::read_frame(odd).unwrap();
    let g = vison_ccd::FrameGeometry {
        image_cols_px: f.geometry.image_cols_px - 8,
        ..f.geometry
    };
    let mut small = vison_ccd::Frame::zeros(g);
    small.data.fill(2000.0);
    small.header = f.header.clone();
    small.extname = f.extname.clone();
    vison_ccd::write_raw_frame(odd, &small).unwrap();

    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &["BIAS01"], &out, cfg, "xcheck");
    let r = results(&s, "BIAS01");
    let bad = r.flag_reasons.0.get("BADDATA").cloned().unwrap_or_default();
    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        bad.iter()
            .any(|m| m.contains(&name(bad_header)) && m.contains("header OBSID")),
        "{bad:?}"
    );
    assert!(
        bad.iter()
            .any(|m| m.contains(&name(odd)) && m.contains("differs from the test's other frames")),
        "{bad:?}"
    );
    // The rest of the test completes on the good frames.
    assert!(get(&r, "CCD1", "E", "ron_adu").is_finite());
    assert!(get(&r, "CCD3", "H", "ron_adu").is_finite());
}

#[test]
fn an_error_that_stops_the_run_is_recorded_in_the_session() {
    let t = tempfile::tempdir().unwrap();
    let (data, out) = (t.path().join("empty_day"), t.path().join("out"));
    std::fs::create_dir_all(&data).unwrap();
    let mut s = vison_pipe::create_session(opts(&data, &out, Some("fatal"))).unwrap();
    let e = vison_pipe::run_session(&mut s, &NoProgress).unwrap_err();
    assert!(e.to_string().contains("EXP_LOG"), "{e}");
    let rec: vison_pipe::SessionRecord =
        vison_pipe::read_json(&out.join("fatal/session.json")).unwrap();
    assert!(
        rec.fatal.as_deref().is_some_and(|f| f.contains("EXP_LOG")),
        "{rec:?}"
    );
    assert_eq!(rec.tests[0].status, "not_run");
    let index = std::fs::read_to_string(out.join("fatal/index.html")).unwrap();
    assert!(index.contains("EXP_LOG"));
}

#[test]
fn a_repeated_explog_row_and_an_impossible_header_are_flagged_not_fatal() {
    let c = campaign(&["BIAS01"], &[], 6);
    let (day, fits) = day_and_frames(&c);
    // 1. The last EXP_LOG row logged twice.
    let explog = std::fs::read_dir(&day)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("EXP_LOG")
        })
        .unwrap();
    let text = std::fs::read_to_string(&explog).unwrap();
    let last = text
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap()
        .to_string();
    std::fs::write(&explog, format!("{}\n{last}\n", text.trim_end())).unwrap();
    // 2. NAXIS1 = -1 in the image extension of one frame (fitsio-pure alone would panic).
    let bad = &fits[1];
    let mut bytes = std::fs::read(bad).unwrap();
    let at = (2880..bytes.len() - 80)
        .step_by(80)
        .find(|&k| bytes[k..k + 8] == *b"NAXIS1  ")
        .unwrap();
    bytes[at + 10..at + 30].copy_from_slice(format!("{:>20}", -1).as_bytes());
    std::fs::write(bad, &bytes).unwrap();

    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &["BIAS01"], &out, cfg, "damaged");
    let r = results(&s, "BIAS01");
    let reasons = |f: &str| r.flag_reasons.0.get(f).cloned().unwrap_or_default();
    assert!(
        reasons("BADDATA")
            .iter()
            .any(|m| m.contains("repeated EXP_LOG row")),
        "{:?}",
        r.flag_reasons
    );
    let name = bad.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        reasons("BADDATA")
            .iter()
            .any(|m| m.contains(&name) && m.contains("NAXIS1")),
        "{:?}",
        r.flag_reasons
    );
    // The repeated row is not a missing or extra exposure.
    assert!(reasons("MISSDATA").is_empty(), "{:?}", r.flag_reasons);
    assert!(get(&r, "CCD1", "G", "ron_adu").is_finite());
}
