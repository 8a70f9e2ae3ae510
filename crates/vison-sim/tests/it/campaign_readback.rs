//! The generated day folder reads back through vison-ccd, vison-explog and vison-hk, and the
//! EXP_LOG matches the test definitions.

use std::collections::BTreeMap;

use vison_ccd::FrameGeometry;
use vison_explog::{ExpLog, LoadOptions, load_explog};
use vison_hk::{
    CheckOn, HkLimits, HkLoadOptions, HkSeries, LimitSet, check_abs, check_vs_command, load_hk,
};
use vison_ogse::OgseProfile;
use vison_sim::campaign_test_options;
use vison_testdefs::{ElvisVersion, check_structure, test_def};

use crate::sim_fixture::{TESTS, campaign};

fn explog() -> ExpLog {
    let c = campaign();
    let path = c.day().join("EXP_LOG_190118.txt");
    let loaded = load_explog(&path, &LoadOptions::default()).expect("EXP_LOG loads");
    assert!(
        loaded.report.bad_rows.is_empty(),
        "{:?}",
        loaded.report.bad_rows
    );
    loaded.log
}

#[test]
fn every_frame_reads_back_with_small_geometry_and_its_header() {
    let c = campaign();
    let n_exp = c.truth.frames.len();
    assert_eq!(c.report.n_exposures, n_exp);
    assert_eq!(c.report.n_frames, 3 * n_exp);
    let fits = std::fs::read_dir(c.day())
        .expect("day folder")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".fits"))
        .count();
    assert_eq!(fits, 3 * n_exp);
    for (obsid, ft) in &c.truth.frames {
        for ccd in 1..=3u8 {
            let f = c.frame(obsid.parse().expect("obsid"), ccd);
            assert_eq!(f.geometry, FrameGeometry::small());
            assert_eq!(f.data.dim(), (552, 654));
            assert_eq!(f.extname, format!("ROE1_CCD{ccd}"));
            assert_eq!(f.header.get_i64("OBSID"), obsid.parse().ok());
            assert_eq!(f.header.get_str("TEST"), Some(ft.test.as_str()));
            assert_eq!(f.header.get_str("CCD"), Some(format!("CCD{ccd}").as_str()));
            assert_eq!(f.header.get_i64("WAVELENG"), Some(ft.wave));
        }
    }
}

#[test]
fn explog_has_three_rows_per_exposure_and_the_scripted_structure() {
    let c = campaign();
    let log = explog();
    assert_eq!(log.len(), 3 * c.truth.frames.len());
    let opts = campaign_test_options(ElvisVersion::V7_5_X, &OgseProfile::default_chamber());
    for test in TESTS {
        let def = test_def(test, &opts).expect("definition");
        let observed: Vec<BTreeMap<String, String>> = log
            .rows()
            .iter()
            .filter(|r| r.test() == Some(def.test.as_str()) && r.ccd() == Some(1))
            .map(|r| {
                r.schema()
                    .columns()
                    .iter()
                    .zip(r.values())
                    .map(|(col, v)| (col.name.clone(), v.to_string()))
                    .collect()
            })
            .collect();
        let chk = check_structure(&def, &observed);
        assert!(chk.checks_out, "{test}: {:?}", chk.messages);
    }
    // File names and dates agree with the truth.
    for r in log.rows() {
        let obsid = r.obsid().expect("ObsID").to_string();
        let ft = &c.truth.frames[&obsid];
        let ccd = format!("CCD{}", r.ccd().expect("CCD"));
        assert_eq!(
            format!("{}.fits", r.file_name().expect("File_name")),
            ft.ccds[&ccd].file
        );
        assert_eq!(r.date_text(), Some(ft.date.as_str()));
    }
}

#[test]
fn hk_files_read_back_and_pass_the_pipeline_checks() {
    let c = campaign();
    let log = explog();
    let mut files = Vec::new();
    for (obsid, ft) in &c.truth.frames {
        let name = format!("HK_{obsid}_{}_ROE1.txt", ft.date);
        let f = load_hk(&c.day().join(&name), &HkLoadOptions::default()).expect("HK file");
        assert_eq!(f.readings.len(), 71, "{name}");
        assert!(
            f.bad_rows.is_empty() && f.warnings.is_empty(),
            "{name}: {:?}",
            f.warnings
        );
        files.push(f);
    }
    let master = load_hk(
        &c.day().join("HK_19-01-18_ROE1.txt"),
        &HkLoadOptions::default(),
    )
    .expect("master HK");
    assert_eq!(master.readings.len(), 71 * files.len());
    let series = HkSeries::from_files(&files);
    let limits = HkLimits::for_version(vison_explog::ElvisVersion::V7_5_X).expect("limits");
    let cmd = check_vs_command(&series, &log, &limits, CheckOn::Extremes, None);
    assert!(cmd.all_passed(), "{:?}", cmd.violations());
    assert!(cmd.results.len() > 100);
    let abs = check_abs(&series, &limits, LimitSet::Safe, CheckOn::Extremes, None);
    assert!(abs.all_passed(), "{:?}", abs.violations());
    // CCD temperatures sit inside the performance limits too (-121..-119 C).
    for key in ["CCD1_TEMP_T", "CCD2_TEMP_B", "CCD3_TEMP_T"] {
        for f in &files {
            let v = f.readings.get(key).expect("temperature key");
            assert!(v.iter().all(|t| (-121.0..-119.0).contains(t)), "{key}");
        }
    }
}
