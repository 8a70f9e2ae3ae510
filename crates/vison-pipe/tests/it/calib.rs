//! Calibration inputs of the preprocessing (`[calibration]` cosmetic_mask, master_bias,
//! master_flats): applied where the registry says, stated in results.json, missing files
//! named.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use vison_ccd::fits::{ImageDataRef, ProductHdu};
use vison_ccd::{Header, Quadrant, Section};

use crate::common::*;

/// The first FITS frame of CCD `ccd` under `dir` (any test).
fn a_frame(dir: &Path, ccd: u8) -> PathBuf {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                stack.push(p);
            } else if n.ends_with(&format!("CCD{ccd}.fits")) {
                return p;
            }
        }
    }
    panic!("no CCD{ccd} frame under {}", dir.display());
}

fn write_image(path: &Path, name: &str, data: ImageDataRef<'_>) {
    vison_ccd::write_product(
        path,
        &Header::new(),
        &[ProductHdu {
            name: name.into(),
            header: Header::new(),
            data,
        }],
    )
    .unwrap();
}

/// A cosmetic mask over a hot column removes it from DARK01's hot columns (the other defects
/// are still found), and results.json names the mask.
#[test]
fn cosmetic_mask_removes_a_hot_column() {
    let c = campaign(&["DARK01"], &[], 1);
    let (ccd, q, col) = c
        .truth
        .ccds
        .iter()
        .flat_map(|(ccd, qs)| qs.iter().map(move |(q, t)| (ccd.clone(), q.clone(), t)))
        .find_map(|(ccd, q, t)| t.hot_columns.first().map(|h| (ccd, q, h.x_px)))
        .expect("the campaign has a hot column");
    let key = format!("{ccd}.{q}");
    let hot_cols = |s: &Path| -> Vec<u64> {
        results(s, "DARK01").details["hot_defects"][&key]["hot_columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect()
    };
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let plain = run(&c.root(), &["DARK01"], &out, cfg.clone(), "plain");
    assert!(
        hot_cols(&plain).contains(&(col as u64)),
        "{key}: column {col} not found without mask"
    );
    // Masks: the hot column of that quadrant (qcan frame) on its CCD, nothing elsewhere.
    let masks = c.dir.path().join("masks");
    std::fs::create_dir_all(&masks).unwrap();
    let qq = Quadrant::ALL.into_iter().find(|x| x.name() == q).unwrap();
    for n in 1..=3u8 {
        let g = vison_ccd::read_frame(&a_frame(&c.root(), n))
            .unwrap()
            .geometry;
        let mut m = Array2::<u8>::zeros((g.naxis2(), g.naxis1()));
        if format!("CCD{n}") == ccd {
            vison_ccd::qcan_view_mut(&g, m.view_mut(), qq)
                .column_mut(col)
                .fill(1);
        }
        write_image(
            &masks.join(format!("M_CCD{n}.fits")),
            "MASK",
            ImageDataRef::U8(m.view()),
        );
    }
    let mut cfg = cfg;
    let pattern = masks.join("M_CCD{ccd}.fits").display().to_string();
    cfg.calibration.cosmetic_mask = pattern.clone();
    let masked = run(&c.root(), &["DARK01"], &out, cfg, "masked");
    let after = hot_cols(&masked);
    assert!(
        !after.contains(&(col as u64)),
        "{key}: masked column {col} still counted: {after:?}"
    );
    let r = results(&masked, "DARK01");
    assert_eq!(r.status, "ok", "{:?}", r.flag_reasons);
    assert_eq!(r.inputs["calibration"]["cosmetic_mask"], pattern.as_str());
    // The other quadrants' hot columns are unchanged.
    let before = results(&plain, "DARK01").details["hot_defects"].clone();
    for (k, v) in before.as_object().unwrap() {
        if *k != key {
            assert_eq!(
                r.details["hot_defects"][k]["hot_columns"], v["hot_columns"],
                "{k}"
            );
        }
    }
}

/// A master flat given as input divides the point-source frames of its wavelength (here a
/// flat of 2 in every FLAT_<Q>, the FLAT0x product form: spot figures halve); missing flat
/// files are an error naming the file; without inputs nothing changes and results.json says
/// `none`.
#[test]
fn master_flat_input_divides_and_missing_file_is_named() {
    let c = campaign(&["PSFLUX00"], &[], 2);
    let out = c.dir.path().join("out");
    let mut cfg = config_from_truth(&c.truth, c.dir.path());
    // Without a non-linearity correction the measured fluxes are linear in the pixels.
    cfg.calibration.nonlinearity = None;
    let plain = run(&c.root(), &["PSFLUX00"], &out, cfg.clone(), "plain");
    let flats = c.dir.path().join("flats");
    std::fs::create_dir_all(&flats).unwrap();
    for n in 1..=3u8 {
        let g = vison_ccd::read_frame(&a_frame(&c.root(), n))
            .unwrap()
            .geometry;
        let b = g.section_box_qcan(Section::Image);
        let two = Array2::from_elem((b.row1 - b.row0, b.col1 - b.col0), 2.0f32);
        let hdus: Vec<ProductHdu<'_>> = Quadrant::ALL
            .into_iter()
            .map(|q| ProductHdu {
                name: format!("FLAT_{}", q.name()),
                header: Header::new(),
                data: ImageDataRef::F32(two.view()),
            })
            .collect();
        vison_ccd::write_product(&flats.join(format!("F_CCD{n}.fits")), &Header::new(), &hdus)
            .unwrap();
    }
    let pattern = flats.join("F_CCD{ccd}.fits").display().to_string();
    let mut with = cfg.clone();
    for nm in ["590", "730", "800", "880"] {
        with.calibration
            .master_flats
            .insert(nm.into(), pattern.clone());
    }
    let flat = run(&c.root(), &["PSFLUX00"], &out, with.clone(), "flat");
    let (a, b) = (results(&plain, "PSFLUX00"), results(&flat, "PSFLUX00"));
    assert_eq!(a.inputs["calibration"]["master_flats"], "none");
    assert_eq!(
        b.inputs["calibration"]["master_flats"]["800"],
        pattern.as_str()
    );
    let mut n = 0;
    for (ccd, qs) in &a.ccds {
        for q in qs.keys() {
            // Spot fluxes are linear in the pixels: a flat of 2 halves them.
            let (x, y) = (
                get(&a, ccd, q, "flux_slope_adu_per_s"),
                get(&b, ccd, q, "flux_slope_adu_per_s"),
            );
            if x.is_finite() {
                assert!((y / x - 0.5).abs() < 1e-3, "{ccd} {q}: flux {y} vs {x} / 2");
                n += 1;
            }
        }
    }
    assert!(n > 0, "no spot figure to compare");
    // A missing file stops the session before anything is written, naming the file.
    std::fs::remove_file(flats.join("F_CCD2.fits")).unwrap();
    let opts = vison_pipe::RunOptions {
        data: vec![c.root()],
        tests: vec!["PSFLUX00".into()],
        out: out.clone(),
        config: with,
        id: Some("missing".into()),
        ..vison_pipe::RunOptions::default()
    };
    let e = vison_pipe::create_session(opts)
        .err()
        .expect("missing flat accepted");
    let msg = e.to_string();
    assert!(
        msg.contains("F_CCD2.fits") && msg.contains("master_flats"),
        "{msg}"
    );
    assert!(!out.join("missing").exists());
}

/// FLAT01 on a clean campaign: every master flat combines all the flats of its column
/// (80/60/30), the per-column fluence compliance passes and the test ends `ok` without flags.
#[test]
fn flat01_masters_use_every_frame_and_fluence_complies() {
    let c = campaign(&["FLAT01"], &[], 4);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &["FLAT01"], &out, cfg, "flat");
    let r = results(&s, "FLAT01");
    assert_eq!(r.status, "ok", "{:?}", r.flag_reasons);
    assert!(r.flags.is_empty(), "{:?}", r.flag_reasons);
    assert_eq!(r.inputs["calibration"]["master_bias"], "none");
    for (col, rel) in [("col001", 25.0), ("col002", 50.0), ("col003", 75.0)] {
        let t = &r.compliance[&format!("fluence_{col}")];
        assert!(t.all_pass(), "{col}: {t:?}");
        let e = &t.ccds["CCD1"]["E"];
        assert_eq!(e.lo, 65536.0 * rel / 100.0 * 0.9, "{col}");
        assert!((e.value - get(&r, "CCD1", "E", &format!("fluence_{col}_adu"))).abs() < 100.0);
    }
    let st: serde_json::Value =
        vison_pipe::read_json(&s.join("FLAT01/state/masters.json")).unwrap();
    let n: Vec<(String, u64)> = st["state"]["masters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["ccd"] == 2)
        .map(|m| {
            (
                m["label"].as_str().unwrap().to_string(),
                m["n_frames"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        n,
        [
            ("col001".to_string(), 80),
            ("col002".to_string(), 60),
            ("col003".to_string(), 30)
        ]
    );
}
