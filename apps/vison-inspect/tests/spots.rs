//! `vison-inspect spots` on a synthetic FOCUS00 campaign made here: every spot of every
//! quadrant of the three CCDs is found and matches the truth (position, flux, width).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const FIELDS: [&str; 16] = [
    "file",
    "ccd",
    "quadrant",
    "spot",
    "x_ccd_px",
    "y_ccd_px",
    "flux_adu",
    "flux_err_adu",
    "bgd_adu",
    "peak_adu",
    "fwhm_x_px",
    "fwhm_y_px",
    "sigma_px",
    "e1",
    "e2",
    "converged",
];

fn inspect(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vison-inspect"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// Generates FOCUS00_800 (small frames) and returns the truth and the campaign folder.
fn focus_campaign(root: &Path) -> vison_sim::Truth {
    let cfg = vison_sim::CampaignConfig::new(vec!["FOCUS00_800".to_string()], root);
    let rep = vison_sim::generate_campaign(&cfg, &|| {}).expect("campaign");
    vison_sim::Truth::read(&rep.truth_path).expect("truth")
}

fn find_file(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = find_file(&p, name) {
                return Some(f);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

#[test]
fn spots_of_a_focus_frame_match_the_truth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let truth = focus_campaign(dir.path());
    // The in-focus exposure (middle of the nine mirror positions).
    let mut frames: Vec<(&String, &vison_sim::truth::FrameTruth)> = truth
        .frames
        .iter()
        .filter(|(_, f)| f.test.starts_with("FOCUS00") && f.source == "point")
        .collect();
    frames.sort_by_key(|(id, _)| id.parse::<u64>().unwrap_or(0));
    assert_eq!(frames.len(), 9);
    let (_, ft) = frames[4];
    let files: Vec<String> = ft
        .ccds
        .values()
        .map(|c| {
            find_file(dir.path(), &c.file)
                .expect("frame file")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(files.len(), 3);
    let mut args = vec!["spots", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = inspect(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = v.as_array().expect("array");
    assert_eq!(rows.len(), 60, "5 spots x 4 quadrants x 3 CCDs");
    let mut quads_seen = std::collections::BTreeSet::new();
    for r in rows {
        for k in FIELDS {
            assert!(r.get(k).is_some(), "missing field {k}");
        }
        let ccd = format!("CCD{}", r["ccd"]);
        let q = r["quadrant"].as_str().expect("quadrant");
        let spot = r["spot"].as_str().expect("spot");
        quads_seen.insert((ccd.clone(), q.to_string()));
        let t = &truth.spots[&ccd][q][spot];
        let (x, y) = (
            r["x_ccd_px"].as_f64().expect("x"),
            r["y_ccd_px"].as_f64().expect("y"),
        );
        assert!(
            (x - t.x_ccd_px).abs() < 0.01 && (y - t.y_ccd_px).abs() < 0.01,
            "{ccd} {q} {spot}: ({x}, {y}) vs truth ({}, {})",
            t.x_ccd_px,
            t.y_ccd_px
        );
        assert_eq!(r["converged"], true, "{ccd} {q} {spot}");
        let qt = &truth.ccds[&ccd][q];
        let st = &ft.ccds[&ccd].quads[q].spots[spot];
        let flux_e = r["flux_adu"].as_f64().expect("flux") * qt.gain_e_per_adu;
        assert!(
            (flux_e / st.total_e - 1.0).abs() < 0.01,
            "{ccd} {q} {spot}: {flux_e} e vs {}",
            st.total_e
        );
        // Adaptive sigma of the pixel-integrated spot: sqrt(s^2 + 1/12).
        let s = st.fwhm_px / 2.3548;
        let sig = r["sigma_px"].as_f64().expect("sigma");
        assert!(
            (sig / (s * s + 1.0 / 12.0).sqrt() - 1.0).abs() < 0.03,
            "{ccd} {q} {spot}: {sig}"
        );
        // Round spots; at FWHM ~2 px the pixel phase alone gives |e| of a few 0.01.
        let (e1, e2) = (r["e1"].as_f64().expect("e1"), r["e2"].as_f64().expect("e2"));
        assert!(
            e1.abs() < 0.04 && e2.abs() < 0.04,
            "{ccd} {q} {spot}: e1 {e1} e2 {e2} sigma {sig} fwhm {}",
            st.fwhm_px
        );
    }
    assert_eq!(quads_seen.len(), 12);
    // The text table has a header and one line per spot.
    let out = inspect(&["spots", &files[0]]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 21, "{text}");
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.contains("fwhm_x") && l.contains("e2"))
    );
}

#[test]
fn spots_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("not_a_frame_CCD1.fits");
    std::fs::write(&bad, b"SIMPLE  = F").expect("write");
    let out = inspect(&["spots", bad.to_str().expect("utf8")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not_a_frame_CCD1.fits"));
    let out = inspect(&[
        "spots",
        "--chamber",
        "NO_SUCH_CHAMBER",
        bad.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = inspect(&["spots"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn focus_curves_from_spots_find_the_true_best_focus() {
    let dir = tempfile::tempdir().expect("tempdir");
    let truth = focus_campaign(dir.path());
    // CCD1 of the nine exposures of the scan.
    let files: Vec<String> = truth
        .frames
        .values()
        .filter(|f| f.test.starts_with("FOCUS00") && f.source == "point")
        .map(|f| {
            find_file(dir.path(), &f.ccds["CCD1"].file)
                .expect("frame")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(files.len(), 9);
    let mut args = vec!["spots", "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = inspect(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut curves: std::collections::BTreeMap<(String, String), (Vec<f64>, Vec<f64>)> =
        Default::default();
    for r in v.as_array().expect("rows") {
        let file = r["file"].as_str().expect("file");
        let mirr = vison_ccd::read_frame(Path::new(file))
            .expect("frame")
            .header
            .get_f64("MIRR_POS")
            .expect("MIRR_POS");
        // Optical FWHM: the adaptive sigma without the pixel's 1/12 px^2.
        let sig = r["sigma_px"].as_f64().expect("sigma");
        let key = (
            r["quadrant"].as_str().expect("q").to_string(),
            r["spot"].as_str().expect("s").to_string(),
        );
        let c = curves.entry(key).or_default();
        c.0.push(mirr);
        c.1.push(2.3548 * (sig * sig - 1.0 / 12.0).sqrt());
    }
    assert_eq!(curves.len(), 20);
    let nominal = vison_ogse::OgseProfile::default_chamber()
        .mirror_nom_mm(800)
        .expect("mirror_nom");
    for ((q, spot), (mirr, fwhm)) in &curves {
        let fit = vison_point::focus::fit_fwhm_focus(mirr, fwhm).expect("focus fit");
        let best = nominal + truth.spots["CCD1"][q][spot].focus_offset_mm;
        assert!(
            (fit.best_mm - best).abs() < 0.02,
            "{q} {spot}: best focus {:.4} +- {:.4} mm vs truth {best:.4}",
            fit.best_mm,
            fit.best_err_mm
        );
    }
}
