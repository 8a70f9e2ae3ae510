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
