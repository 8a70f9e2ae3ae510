//! Truth recovery on a clean campaign: offsets, RON, dark current, hot pixels; outputs.

use std::path::Path;

use crate::common::*;

#[test]
fn clean_campaign_recovers_the_truth_without_flags() {
    let c = campaign(&["BIAS01", "BIAS02", "DARK01"], &[], 1);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let before = snapshot(&c.root());
    let s = run(
        &c.root(),
        &["BIAS01", "BIAS02", "DARK01"],
        &out,
        cfg,
        "clean",
    );
    assert_eq!(snapshot(&c.root()), before, "the input folder was written");
    assert_truth_recovered(&c, &s, &["BIAS01", "BIAS02"]);
    let idx = std::fs::read_to_string(s.join("index.html")).unwrap();
    for test in ["BIAS01", "BIAS02", "DARK01"] {
        assert!(idx.contains(&format!("{test}/report.html")));
    }
    let csv = std::fs::read_to_string(s.join("BIAS01/results.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 10 * 3 * 4,
        "header + 10 exposures x 3 CCDs x 4 quadrants"
    );
    assert!(lines[0].starts_with("test,obsid,ccd,quadrant"));
}

/// Full-size campaign (BIAS01 + DARK01, 42 frames of 4238 x 4172): same tolerances.
#[test]
#[ignore = "full-size frames: about 1.5 GB of FITS and a few minutes"]
fn full_size_campaign_recovers_the_truth() {
    let c = campaign_sized(&["BIAS01", "DARK01"], &[], 1, vison_sim::SimSize::Full);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &["BIAS01", "DARK01"], &out, cfg, "full");
    assert_truth_recovered(&c, &s, &["BIAS01"]);
}

/// Offsets within 0.1 ADU, RON within 3 %, dark current within 5 %, every hot pixel and hot
/// column found (at most 2 spurious hot pixels per quadrant), status ok, products written.
fn assert_truth_recovered(c: &Campaign, s: &Path, bias_tests: &[&str]) {
    let mut all: Vec<&str> = bias_tests.to_vec();
    all.push("DARK01");
    for test in all {
        let r = results(s, test);
        assert_eq!(r.status, "ok", "{test}: {:?}", r.flag_reasons);
        assert!(s.join(test).join("report.html").is_file());
        assert!(s.join(test).join("results.csv").is_file());
        for (ccd, qs) in &c.truth.ccds {
            for (q, t) in qs {
                let off = fig(&r, ccd, q, "offset_adu");
                assert!(
                    (off - t.offset_adu).abs() < 0.1,
                    "{test} {ccd} {q}: offset {off} vs {}",
                    t.offset_adu
                );
            }
        }
    }
    for &test in bias_tests {
        let r = results(s, test);
        for (ccd, qs) in &c.truth.ccds {
            for (q, t) in qs {
                let ron = fig(&r, ccd, q, "ron_adu");
                assert!(
                    (ron / t.ron_adu - 1.0).abs() < 0.03,
                    "{test} {ccd} {q}: RON {ron} vs {}",
                    t.ron_adu
                );
            }
        }
        for ccd in 1..=3 {
            assert!(
                s.join(test)
                    .join(format!("products/EUC_MASTERBIAS_CCD{ccd}.fits"))
                    .is_file()
            );
        }
    }
    let r = results(s, "DARK01");
    let hot = &r.details["hot_defects"];
    for (ccd, qs) in &c.truth.ccds {
        for (q, t) in qs {
            let dk = fig(&r, ccd, q, "dark_e_per_px_per_s");
            assert!(
                (dk / t.dark_e_per_px_per_s - 1.0).abs() < 0.05,
                "{ccd} {q}: dark {dk} vs {}",
                t.dark_e_per_px_per_s
            );
            let found: Vec<(u64, u64)> = hot[format!("{ccd}.{q}")]["hot_pixels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (h["x_px"].as_u64().unwrap(), h["y_px"].as_u64().unwrap()))
                .collect();
            for h in &t.hot_pixels {
                assert!(
                    found.contains(&(h.x_px as u64, h.y_px as u64)),
                    "{ccd} {q}: hot pixel {h:?} not found in {found:?}"
                );
            }
            assert!(
                found.len() <= t.hot_pixels.len() + 2,
                "{ccd} {q}: {} hot pixels found, {} true",
                found.len(),
                t.hot_pixels.len()
            );
            let cols: Vec<u64> = hot[format!("{ccd}.{q}")]["hot_columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            let want: Vec<u64> = t.hot_columns.iter().map(|h| h.x_px as u64).collect();
            assert_eq!(cols, want, "{ccd} {q}: hot columns");
        }
    }
}

#[test]
fn wrong_block_offsets_raise_poorqualdata_naming_the_quadrant() {
    let c = campaign(&["BIAS01"], &[], 4);
    let out = c.dir.path().join("out");
    // Default UNKNOWN block: 2800 +- 50 ADU; the simulated offsets are drawn in 2000..3000.
    let mut cfg = config_from_truth(&c.truth, c.dir.path());
    cfg.limits.offsets_file = None;
    let s = run(&c.root(), &["BIAS01"], &out, cfg, "unknown-block");
    let r = results(&s, "BIAS01");
    let far: Vec<(String, String)> = c
        .truth
        .ccds
        .iter()
        .flat_map(|(ccd, qs)| {
            qs.iter()
                .filter(|(_, t)| (t.offset_adu - 2800.0).abs() > 60.0)
                .map(move |(q, _)| (ccd.clone(), q.clone()))
        })
        .collect();
    assert!(!far.is_empty());
    assert_eq!(r.status, "flagged");
    let reasons = r.flag_reasons.0["POORQUALDATA"].join("\n");
    for (ccd, q) in far {
        assert!(
            reasons.contains(&format!("{ccd} {q}: prescan offset")),
            "{reasons}"
        );
        assert!(!r.compliance["offset_prescan"].ccds[&ccd][&q].pass);
    }
}
