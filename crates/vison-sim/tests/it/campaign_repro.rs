//! Reproducibility (same seed, same bytes) and the `--faults` defects.

use std::collections::BTreeMap;
use std::path::Path;

use vison_ccd::{Quadrant, read_frame};
use vison_explog::{LoadOptions, load_explog};
use vison_hk::{CheckOn, HkLimits, HkLoadOptions, HkSeries, check_vs_command, load_hk};
use vison_ogse::OgseProfile;
use vison_sim::{CampaignConfig, FaultKind, Truth, campaign_test_options, generate_campaign};
use vison_testdefs::{ElvisVersion, check_structure, test_def};

fn generate(dir: &Path, seed: u64, faults: Vec<FaultKind>) -> Truth {
    let mut cfg = CampaignConfig::new(vec!["DARK01".into()], dir);
    cfg.seed = seed;
    cfg.faults = faults;
    let r = generate_campaign(&cfg, &|| {}).expect("generation");
    Truth::read(&r.truth_path).expect("truth")
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in [dir.to_path_buf(), dir.join("19_Jan_18")] {
        for e in std::fs::read_dir(&sub)
            .expect("folder")
            .filter_map(Result::ok)
        {
            if e.path().is_file() {
                out.insert(
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("file"),
                );
            }
        }
    }
    out
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_differs() {
    let (a, b, c) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    generate(a.path(), 3, Vec::new());
    generate(b.path(), 3, Vec::new());
    generate(c.path(), 4, Vec::new());
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    // 12 FITS, 4 HK, master HK, EXP_LOG, truth.json.
    assert_eq!(fa.len(), 19);
    assert_eq!(fa, fb, "same seed, same bytes");
    assert_eq!(fa.keys().collect::<Vec<_>>(), fc.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        if name.ends_with(".fits") || name.starts_with("HK_") || name == "truth.json" {
            assert_ne!(bytes, &fc[name], "{name} should depend on the seed");
        }
    }
}

#[test]
fn faults_are_injected_and_recorded() {
    let dir = tempfile::tempdir().expect("tmp");
    let truth = generate(dir.path(), 11, FaultKind::ALL.to_vec());
    let day = dir.path().join("19_Jan_18");
    assert_eq!(truth.faults.len(), 5);
    let fault = |k: FaultKind| {
        truth
            .faults
            .iter()
            .find(|f| f.kind == k.name())
            .expect("fault recorded")
    };
    let file_of = |obsid: u64, ccd: Option<u8>| {
        day.join(&truth.frames[&obsid.to_string()].ccds[&format!("CCD{}", ccd.expect("ccd"))].file)
    };

    let f = fault(FaultKind::MissingFrame);
    assert!(!file_of(f.obsid, f.ccd).exists());

    let f = fault(FaultKind::TruncatedFits);
    let p = file_of(f.obsid, f.ccd);
    assert!(
        p.is_file() && read_frame(&p).is_err(),
        "truncated file must not read"
    );

    let f = fault(FaultKind::SaturatedQuadrant);
    let frame = read_frame(&file_of(f.obsid, f.ccd)).expect("frame");
    let q = Quadrant::ALL
        .into_iter()
        .find(|q| f.detail.contains(&format!("quadrant {q} ")))
        .expect("quadrant in detail");
    let g = frame.geometry;
    let img = |q| frame.section(q, vison_ccd::Section::Image).to_owned();
    assert!(img(q).iter().all(|&v| v == 65535.0));
    assert!(
        Quadrant::ALL
            .into_iter()
            .filter(|&o| o != q)
            .all(|o| img(o).iter().all(|&v| v < 10000.0))
    );
    assert_eq!(g.image_cols_px, 256);

    // Extra exposure: 5 ObsIDs for a 4-frame script; the structure check sees it.
    let f = fault(FaultKind::ExtraExposure);
    assert_eq!(truth.frames.len(), 5);
    assert_eq!(f.obsid, 1004);
    let log = load_explog(&day.join("EXP_LOG_190118.txt"), &LoadOptions::default())
        .expect("EXP_LOG")
        .log;
    assert_eq!(log.len(), 15);
    let def = test_def(
        "DARK01",
        &campaign_test_options(ElvisVersion::V7_5_X, &OgseProfile::default_chamber()),
    )
    .expect("def");
    let observed: Vec<BTreeMap<String, String>> = log
        .rows()
        .iter()
        .filter(|r| r.ccd() == Some(1))
        .map(|r| {
            r.schema()
                .columns()
                .iter()
                .zip(r.values())
                .map(|(c, v)| (c.name.clone(), v.to_string()))
                .collect()
        })
        .collect();
    let chk = check_structure(&def, &observed);
    assert!(!chk.checks_out);
    assert!(
        chk.messages.iter().any(|m| m.contains("exceeds")),
        "{:?}",
        chk.messages
    );

    // HK out of limits: exactly one key of one exposure fails the command check.
    let f = fault(FaultKind::HkOol);
    let hk: Vec<_> = truth
        .frames
        .iter()
        .map(|(o, ft)| {
            load_hk(
                &day.join(format!("HK_{o}_{}_ROE1.txt", ft.date)),
                &HkLoadOptions::default(),
            )
            .expect("HK")
        })
        .collect();
    let limits = HkLimits::for_version(vison_explog::ElvisVersion::V7_5_X).expect("limits");
    let report = check_vs_command(
        &HkSeries::from_files(&hk),
        &log,
        &limits,
        CheckOn::Mean,
        None,
    );
    let v = report.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0].key.as_str(), v[0].obsid),
        ("CCD1_OD_T", Some(f.obsid as i64))
    );
    assert!(report.flags().contains(&"HK_OOL"));
}
