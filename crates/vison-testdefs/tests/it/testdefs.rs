//! Test definitions: frame counts and key values per test (reference section 4), expansion
//! into EXP_LOG key values, the completeness check, durations and the OGSE files.

use std::path::Path;

use vison_ogse::OgseProfile;
use vison_ogse::SpotPattern;
use vison_testdefs::duration::{duration_s, exposure_duration_s};
use vison_testdefs::{
    ElvisVersion, Preset, ScriptValue, TestDef, TestOptions, as_observed, check_structure, expand,
    known_tests, test_def,
};

fn opts(preset: Preset) -> TestOptions {
    TestOptions {
        preset,
        ..TestOptions::default()
    }
}

/// Builds `name` and checks its frame count, number of columns, and (column, key, value)
/// triples of the filled script (canonical keys, numbers within 1e-9).
fn check(
    name: &str,
    preset: Preset,
    expected_frames: u32,
    expected_cols: usize,
    values: &[(usize, &str, ScriptValue)],
) -> TestDef {
    let d = test_def(name, &opts(preset)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(d.expected_frame_count(), expected_frames, "{name}: frames");
    assert_eq!(d.n_cols(), expected_cols, "{name}: columns");
    assert_eq!(
        expand(&d).len(),
        expected_frames as usize,
        "{name}: expanded exposures"
    );
    for (col, key, want) in values {
        let got = d.columns[*col]
            .get(key)
            .unwrap_or_else(|| panic!("{name} col{}: no key {key}", col + 1));
        match (want.as_f64(), got.as_f64()) {
            (Some(w), Some(g)) => assert!(
                (w - g).abs() < 1e-9,
                "{name} col{} {key}: got {g}, want {w}",
                col + 1
            ),
            _ => assert_eq!(got, want, "{name} col{} {key}", col + 1),
        }
    }
    d
}

fn f(x: f64) -> ScriptValue {
    ScriptValue::Float(x)
}

fn i(x: i64) -> ScriptValue {
    ScriptValue::Int(x)
}

fn s(x: &str) -> ScriptValue {
    ScriptValue::from(x)
}

use Preset::{Campaign, Class};

#[test]
fn dark_and_bias_tests() {
    check(
        "BIAS01",
        Class,
        25,
        1,
        &[
            (0, "exptime", f(0.0)),
            (0, "shuttr", i(0)),
            (0, "rdmode", s("fwd_bas")),
            (0, "swellw", f(8.4)),
            (0, "swelldly", f(5.625)),
            (0, "comments", s("BIAS")),
            (0, "test", s("BIAS01")),
        ],
    );
    check("BIAS01", Campaign, 10, 1, &[]);
    check(
        "BIAS02",
        Class,
        25,
        1,
        &[
            (0, "rdmode", s("rwd_bas_vs")),
            (0, "swellw", f(6.5)),
            (0, "swelldly", f(0.175)),
        ],
    );
    check(
        "BIAS02",
        Campaign,
        10,
        1,
        &[(0, "rdmode", s("rwd_bas_v")), (0, "swellw", f(8.4))],
    );
    check(
        "DARK01",
        Class,
        4,
        1,
        &[
            (0, "exptime", f(565.0)),
            (0, "shuttr", i(0)),
            (0, "comments", s("DARK")),
            (0, "vend", i(2086)),
        ],
    );
    let o = TestOptions {
        n_frames: Some(7),
        ..TestOptions::default()
    };
    assert_eq!(test_def("BIAS01", &o).unwrap().expected_frame_count(), 7);
}

#[test]
fn injection_tests() {
    let d = check(
        "CHINJ01",
        Class,
        42,
        42,
        &[
            (0, "IG1_1_T", f(2.0)),
            (0, "IG1_3_B", f(2.0)),
            (20, "IG1_2_T", f(7.0)),
            (0, "id_dly", f(1250.0)),
            (21, "id_dly", f(750.0)),
            (21, "IG1_1_T", f(2.0)),
            (0, "IG2_T", f(6.5)),
            (0, "IDL", f(11.0)),
            (0, "toi_ch", i(500)),
            (5, "chinj", i(1)),
            (5, "chinj_on", i(30)),
            (5, "chinj_of", i(100)),
            (5, "id_wid", f(60.0)),
        ],
    );
    assert_eq!(d.params.scanned_values.len(), 21);
    check(
        "CHINJ01",
        Campaign,
        36,
        36,
        &[
            (0, "IG1_1_T", f(2.5)),
            (17, "IG1_1_T", f(6.75)),
            (0, "IG2_B", f(6.0)),
        ],
    );
    check(
        "CHINJ02",
        Class,
        26,
        26,
        &[
            (0, "IDL", f(10.0)),
            (12, "IDL", f(13.0)),
            (13, "IDL", f(10.0)),
            (13, "id_dly", f(750.0)),
            (0, "IG1_1_T", f(6.0)),
            (0, "IG2_T", f(4.0)),
        ],
    );
    check(
        "CHINJ02",
        Campaign,
        26,
        26,
        &[
            (0, "IDL", f(9.5)),
            (0, "IG1_2_B", f(4.0)),
            (0, "IG2_T", f(6.0)),
        ],
    );
    check(
        "CHINJ00",
        Class,
        1,
        1,
        &[
            (0, "IG2_T", f(5.5)),
            (0, "chinj", i(1)),
            (0, "chinj_on", i(30)),
            (0, "chinj_of", i(100)),
        ],
    );
}

#[test]
fn pumping_tests() {
    check(
        "TP00",
        Class,
        1,
        1,
        &[
            (0, "vend", i(20)),
            (0, "chinj_on", i(2066)),
            (0, "chinj_of", i(0)),
            (0, "IDL", f(11.0)),
        ],
    );
    check(
        "TP01",
        Class,
        42,
        42,
        &[
            (0, "v_tpump", i(0)),
            (0, "comments", s("BGD")),
            (0, "id_dly", f(625.0)),
            (1, "v_tpump", i(1)),
            (1, "toi_tp", i(200)),
            (1, "v_tpmod", i(123)),
            (4, "v_tpmod", i(412)),
            (5, "toi_tp", i(1000)),
            (20, "toi_tp", i(8000)),
            (21, "v_tpump", i(0)),
            (21, "id_dly", f(375.0)),
            (41, "v_tpmod", i(412)),
            (1, "v_tp_cnt", i(5000)),
            (1, "chinj_on", i(2066)),
            (1, "IG1_1_T", f(4.0)),
            (1, "IG2_T", f(6.0)),
            (1, "toi_ch", i(250)),
        ],
    );
    check("TP01", Campaign, 50, 50, &[(1, "toi_tp", i(50))]);
    check(
        "TP11",
        Class,
        42,
        42,
        &[(0, "IDL", f(10.5)), (0, "test", s("TP11"))],
    );
    check(
        "TP02",
        Class,
        18,
        18,
        &[
            (0, "s_tpump", i(0)),
            (1, "s_tpump", i(1)),
            (1, "dwell_s", f(0.0)),
            (2, "s_tpmod", i(31)),
            (8, "dwell_s", f(28.6)),
            (9, "id_dly", f(375.0)),
            (1, "vend", i(100)),
            (1, "s_tp_cnt", i(5000)),
            (1, "v_tpump", i(0)),
        ],
    );
    check("TP21", Class, 18, 18, &[(0, "IDL", f(10.5))]);
}

#[test]
fn flat_tests_use_the_chamber_fluence() {
    // B_CBE_MAR19: tFWC_flat(800) = 3.5 s, (730) = 3.6 s, (0) = 73.4 s, (880) = 7.2 s.
    check(
        "FLAT01",
        Class,
        170,
        3,
        &[
            (0, "exptime", f(0.875)),
            (1, "exptime", f(1.75)),
            (2, "exptime", f(2.625)),
            (0, "wave", i(4)),
            (0, "shuttr", i(1)),
            (0, "comments", s("EXP0.875")),
        ],
    );
    check(
        "FLAT02_730",
        Class,
        110,
        2,
        &[
            (0, "exptime", f(0.9)),
            (1, "exptime", f(2.7)),
            (0, "wave", i(3)),
            (0, "test", s("FLAT02_730")),
        ],
    );
    let nl = check(
        "NL01",
        Class,
        3 + 1 + 17 * 5,
        36,
        &[
            (0, "exptime", f(0.0)),
            (0, "comments", s("BGD")),
            (1, "exptime", f(36.7)),
            (1, "comments", s("STAB")),
            (2, "exptime", f(0.367)),
            (2, "comments", s("Fluence1")),
            (3, "comments", s("STAB")),
            (34, "exptime", f(80.74)),
            (0, "wave", i(6)),
        ],
    );
    assert_eq!(nl.columns[2].frames, 4);
    check(
        "NL02",
        Class,
        3 + 1 + 20 * 5,
        42,
        &[
            (1, "wave", i(5)),
            (1, "exptime", f(3.6)),
            (2, "wave", i(6)),
            (18, "wave", i(6)),
            (20, "wave", i(5)),
            (20, "exptime", f(1.08)),
        ],
    );
    check(
        "NL02_155R",
        Class,
        104,
        42,
        &[(0, "RD_T", f(15.5)), (0, "RD_B", f(15.5))],
    );
    let ptc = check(
        "PTC01",
        Class,
        92,
        11,
        &[
            (0, "exptime", f(0.175)),
            (10, "exptime", f(4.2)),
            (0, "source", s("flat")),
        ],
    );
    assert_eq!(
        ptc.frames_per_column(),
        vec![10, 10, 10, 10, 10, 10, 10, 10, 4, 4, 4]
    );
    assert!(!ptc.colorblind);
    check(
        "PTC02_730",
        Class,
        24,
        6,
        &[
            (0, "exptime", f(0.36)),
            (5, "exptime", f(3.24)),
            (0, "wave", i(3)),
        ],
    );
    check(
        "PTC02_148K",
        Class,
        24,
        6,
        &[(0, "test", s("PTC02_148K")), (0, "wave", i(4))],
    );
    check("PTC02_165R", Class, 24, 6, &[(0, "RD_T", f(16.5))]);
    check(
        "FLATFLUX00_800",
        Class,
        4,
        4,
        &[(0, "exptime", f(0.175)), (3, "exptime", f(2.8))],
    );
    let bf = check("BF01", Class, 92, 11, &[(0, "test", s("PTC01"))]);
    assert_eq!(bf.name, "BF01");
    assert_eq!(bf.test, "PTC01");
    check("BF01_730", Class, 24, 6, &[(0, "test", s("PTC02_730"))]);
    check(
        "COSMETICS00",
        Class,
        10,
        2,
        &[
            (0, "exptime", f(0.0)),
            (0, "shuttr", i(0)),
            (1, "exptime", f(1.75)),
            (1, "shuttr", i(1)),
            (1, "wave", i(4)),
        ],
    );
}

#[test]
fn point_source_tests_use_the_chamber_focus() {
    // B_CBE_MAR19: mirror_nom 47.2 mm, tFWC_point(800) = 5.2 s, (590) = 23.5 s.
    check(
        "FOCUS00_800",
        Class,
        9,
        9,
        &[
            (0, "mirr_pos", f(46.8)),
            (4, "mirr_pos", f(47.2)),
            (8, "mirr_pos", f(47.6)),
            (0, "comments", s("F-4")),
            (8, "comments", s("F4")),
            (0, "exptime", f(3.12)),
            (0, "mirr_on", i(1)),
            (0, "source", s("point")),
        ],
    );
    check(
        "FOCUS00_590",
        Campaign,
        9,
        9,
        &[(0, "mirr_pos", f(46.4)), (0, "wave", i(1))],
    );
    let psf = check(
        "PSF01_800",
        Class,
        53,
        5,
        &[
            (0, "exptime", f(0.26)),
            (4, "exptime", f(4.68)),
            (0, "motr_on", i(1)),
            (0, "motr_siz", f(120.0)),
            (0, "mirr_pos", f(47.2)),
        ],
    );
    assert_eq!(psf.frames_per_column(), vec![20, 15, 10, 4, 4]);
    check(
        "PSF02_148K",
        Campaign,
        52,
        5,
        &[(0, "test", s("PSF02_148K"))],
    );
    check(
        "PSFLUX00_800",
        Class,
        4,
        4,
        &[(0, "exptime", f(0.52)), (3, "exptime", f(4.16))],
    );
    check(
        "PERSIST01",
        Class,
        12,
        4,
        &[
            (0, "comments", s("RESET")),
            (0, "exptime", f(0.0)),
            (1, "exptime", f(565.0)),
            (1, "shuttr", i(0)),
            (2, "exptime", f(2350.0)),
            (2, "wave", i(2)),
            (2, "mirr_pos", f(37.2)),
            (2, "source", s("point")),
            (2, "shuttr", i(1)),
            (3, "comments", s("LATENT")),
            (0, "flushes", i(3)),
        ],
    );
    check("PERSIST01", Campaign, 12, 4, &[(2, "exptime", f(600.0))]);
}

#[test]
fn reference_default_profile_gives_its_exposure_times() {
    let o = TestOptions {
        ogse: OgseProfile::builtin("DEFAULT").unwrap(),
        ..TestOptions::default()
    };
    let d = test_def("PTC02_640", &o).unwrap();
    assert!((d.columns[0].num("exptime").unwrap() - 0.082).abs() < 1e-12);
    let focus = test_def("FOCUS00_800", &o).unwrap();
    assert!((focus.columns[4].num("mirr_pos").unwrap() - 86.0).abs() < 1e-12);
}

#[test]
fn every_test_expands_with_the_explog_keys() {
    for name in known_tests() {
        let d = test_def(name, &TestOptions::default()).unwrap();
        let e = expand(&d);
        let first = &e[0];
        for key in [
            "test", "exptime", "wave", "mirr_pos", "vstart", "vend", "chinj", "chinj_on",
            "v_tpump", "s_tp_mod", "v_tp_mod", "IG1_1_T", "IG2_B", "IDL", "IDH", "IPHI", "motr",
            "toi_ch", "id_dly",
        ] {
            assert!(
                first.values.contains_key(key),
                "{name}: no EXP_LOG key {key}"
            );
        }
        assert!(
            !first.values.contains_key("shuttr"),
            "shuttr is not an EXP_LOG column"
        );
        assert_eq!(first.get("IPHI"), Some(&ScriptValue::from("I1I2I3")));
        assert_eq!(
            e.last().map(|x| x.label.clone()),
            Some(TestDef::column_label(d.n_cols() - 1))
        );
    }
}

#[test]
fn expansion_uses_the_names_of_each_elvis_version() {
    let o = |v: ElvisVersion| TestOptions {
        elvis: v,
        ..TestOptions::default()
    };
    let e63 = expand(&test_def("TP01", &o(ElvisVersion::V6_3_0)).unwrap());
    assert_eq!(e63[1].num("v_tpmod"), Some(123.0));
    assert_eq!(e63[1].num("IG2_T"), Some(6.0));
    let e60 = expand(&test_def("PTC01", &o(ElvisVersion::V6_0_0)).unwrap());
    assert_eq!(e60[0].num("Exptime"), Some(0.175));
    assert_eq!(e60[0].get("TEST"), Some(&ScriptValue::from("PTC01")));
    assert_eq!(e60[0].num("IG1_T1_V"), Some(6.0));
    let e57 = expand(&test_def("BIAS01", &o(ElvisVersion::V5_7_02)).unwrap());
    assert_eq!(e57[0].num("Vend"), Some(2086.0));
    assert!(e57[0].values.contains_key("TOI _pump"));
    // 6.3.0 defaults differ: IG2 5 V and siflsh 0.
    let b63 = test_def("CHINJ00", &o(ElvisVersion::V6_3_0)).unwrap();
    assert_eq!(b63.columns[0].num("siflsh"), Some(0.0));
}

#[test]
fn diffvalues_override_every_column() {
    let mut o = TestOptions::default();
    o.diffvalues.insert("operator".into(), "raf".into());
    o.diffvalues
        .insert("sn_ccd1".into(), "CCD273-14173-24-1".into());
    o.diffvalues.insert("RD_T".into(), ScriptValue::Float(16.5));
    let d = test_def("CHINJ01", &o).unwrap();
    for c in &d.columns {
        assert_eq!(c.get("operator"), Some(&ScriptValue::from("raf")));
        assert_eq!(c.num("RD_T"), Some(16.5));
    }
    assert_eq!(
        expand(&d)[0].get("sn_ccd1"),
        Some(&ScriptValue::from("CCD273-14173-24-1"))
    );
}

#[test]
fn complete_data_check_out() {
    for name in known_tests() {
        let d = test_def(name, &TestOptions::default()).unwrap();
        let r = check_structure(&d, &as_observed(&expand(&d)));
        assert!(r.checks_out, "{name}: {:?}", r.messages);
    }
}

#[test]
fn missing_extra_and_wrong_frames_are_named_per_column() {
    let d = test_def("PTC01", &TestOptions::default()).unwrap();
    let full = as_observed(&expand(&d));
    // Drop one frame of col003 (indices 20..30).
    let mut obs = full.clone();
    obs.remove(25);
    let r = check_structure(&d, &obs);
    assert!(!r.checks_out);
    assert_eq!(r.columns[2].missing_frames, 1);
    assert!(
        r.columns
            .iter()
            .enumerate()
            .all(|(k, c)| k == 2 || (c.missing_frames == 0 && c.extra_frames == 0)),
        "{:?}",
        r.messages
    );
    assert!(r.messages.iter().any(|m| m.contains("Too Early")));
    // Repeat one frame of col005.
    let mut obs = full.clone();
    obs.insert(41, full[41].clone());
    let r = check_structure(&d, &obs);
    assert_eq!(r.columns[4].extra_frames, 1);
    assert!(r.messages.iter().any(|m| m.contains("exceeds")));
    // Whole column missing (col011 is the last: 4 frames).
    let obs: Vec<_> = full[..88].to_vec();
    let r = check_structure(&d, &obs);
    assert_eq!(r.columns[10].missing_frames, 4);
    // A wrong exposure time in col001 frame 3 is reported with the key.
    let mut obs = full.clone();
    obs[3].insert("exptime".into(), "0.3".into());
    let r = check_structure(&d, &obs);
    assert!(!r.checks_out);
    assert_eq!(r.columns[0].mismatches.len(), 1);
    assert_eq!(r.columns[0].mismatches[0].key, "exptime");
    assert_eq!(r.columns[0].mismatches[0].observed_index, 3);
    // Within the 0.5 % tolerance and a waived key: still fine.
    let mut obs = full.clone();
    obs[3].insert("exptime".into(), "0.1758".into());
    obs[4].insert("motr_siz".into(), "999".into());
    assert!(check_structure(&d, &obs).checks_out);
    // Trailing exposures of another test.
    let mut obs = full;
    let mut other = obs[0].clone();
    other.insert("test".into(), "BIAS01".into());
    obs.push(other);
    let r = check_structure(&d, &obs);
    assert_eq!(r.unmatched_after_end, 1);
    assert!(!r.checks_out);
}

#[test]
fn durations_follow_the_model() {
    let d = test_def("TP01", &TestOptions::default()).unwrap();
    let line_s = 14.3e-6 * 2128.0;
    let base = 0.5 + 2066.0 * 4.0 * 143e-6 + 2086.0 * (4.0 * 1000e-6 + line_s) + 20.0;
    let inj = 2066.0 * 4.0 * 250e-6;
    // col002: toi_tp 200 us, 5000 vertical cycles.
    let want = base + inj + 4.0 * 200e-6 * 5000.0;
    assert!((exposure_duration_s(&d.columns[1]) - want).abs() < 1e-9);
    let tp02 = test_def("TP02", &TestOptions::default()).unwrap();
    // col009: dwell_s 28.6 us, 5000 serial cycles over 100 lines.
    let base02 = 0.5 + 2066.0 * 4.0 * 143e-6 + 100.0 * (4.0 * 1000e-6 + line_s) + 20.0;
    let want = base02 + inj + 100.0 * (2.0 * 14.3e-6 + 28.6e-6) * 5000.0;
    assert!((exposure_duration_s(&tp02.columns[8]) - want).abs() < 1e-9);
    let dark = test_def("DARK01", &TestOptions::default()).unwrap();
    let per = 565.0 + 0.5 + 2066.0 * 4.0 * 143e-6 + 2086.0 * (4e-3 + line_s) + 20.0;
    assert!((duration_s(&dark) - 4.0 * per).abs() < 1e-6);
}

#[test]
fn ogse_files_parse_with_the_readme_values() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ogse");
    let p = OgseProfile::from_path(&root.join("CHAMBER_B_CBE_MAR19_profile.json")).unwrap();
    assert_eq!(p.name, "B_CBE_MAR19");
    assert_eq!(p.t_fwc_flat_s(590).unwrap(), 12.4);
    assert_eq!(p.t_fwc_flat_s(2000).unwrap(), 0.1);
    assert_eq!(p.t_fwc_flat_s(0).unwrap(), 73.4);
    assert_eq!(p.t_fwc_point_s(880).unwrap(), 11.3);
    assert_eq!(p.mirror_nom_mm(730).unwrap(), 47.2);
    assert_eq!(p.fwhm_px(800).unwrap(), 2.0);
    assert_eq!(p.filter_for_wavelength(0).unwrap(), 6);
    assert_eq!(p.wavelength_of_filter(2), Some(2000));
    assert!((p.exptime_flat_s(800, 0.5).unwrap() - 1.75).abs() < 1e-12);
    assert!((p.spot_fwhm_px(800, 47.4).unwrap() - 4.0).abs() < 1e-9);
    // Patterns: 20 spots per CCD; loaded from the folder equal the embedded ones.
    let embedded = OgseProfile::default_chamber();
    assert_eq!(p.patterns, embedded.patterns);
    for ccd in 1..=3 {
        assert_eq!(p.pattern(ccd).spots.len(), 20);
    }
    let ea = p.pattern(1).get('E', "ALPHA").cloned().unwrap();
    assert_eq!((ea.x_phys_px, ea.y_phys_px), (490.39, 3729.01));
    let he = p.pattern(1).get('H', "ECHO").cloned().unwrap();
    assert_eq!((he.x_phys_px, he.y_phys_px), (1652.76, 371.04));
    // Every measured spot lies in its own quadrant (physical 2048 x 2068 per quadrant).
    for ccd in 1..=3 {
        for sp in p.pattern(ccd).spots {
            let right = sp.x_phys_px >= 2048.0;
            let top = sp.y_phys_px >= 2068.0;
            let q = match (top, right) {
                (true, false) => 'E',
                (true, true) => 'F',
                (false, true) => 'G',
                (false, false) => 'H',
            };
            assert_eq!(q, sp.quadrant, "CCD{ccd} {}{}", sp.quadrant, sp.spot);
        }
    }
    // Shutter calibration: 0.1 s commanded is 0.125 s actual; 100 s is exact.
    assert!((embedded.shutter.actual_exptime_s(0.1) - 0.125).abs() < 1e-12);
    assert!((embedded.shutter.actual_exptime_s(100.0) - 100.0).abs() < 1e-12);
    // The reference default has no pattern: the nominal grid is used.
    let def = OgseProfile::builtin("DEFAULT").unwrap();
    assert!(def.patterns.is_empty());
    assert_eq!(def.pattern(2), SpotPattern::nominal());
    assert_eq!(def.t_fwc_point_s(880).unwrap(), 1.95);
    assert!(OgseProfile::builtin("C_NOPE").is_err());
}

#[test]
fn a_profile_with_a_missing_pattern_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/ogse/CHAMBER_B_CBE_MAR19_profile.json"),
    )
    .unwrap();
    let path = dir.path().join("CHAMBER_X_profile.json");
    std::fs::write(&path, text).unwrap();
    let e = OgseProfile::from_path(&path).unwrap_err();
    assert!(e.to_string().contains("PATTERN.CCD1"), "{e}");
    std::fs::write(&path, "{\"tFWC_point\": {\"nmX\": 1.0}}").unwrap();
    assert!(OgseProfile::from_path(&path).is_err());
}

/// An exposure log holding `def` for CCDs 1..3 (rows of one ObsID per frame), with `skip`
/// frames left out.
fn explog_of(def: &TestDef, skip: &[usize]) -> vison_explog::ExpLog {
    let v = def.elvis;
    let mut log = vison_explog::ExpLog::with_version(v);
    for (k, spec) in expand(def).iter().enumerate() {
        if skip.contains(&k) {
            continue;
        }
        for ccd in 1..=3 {
            let mut row = spec.to_explog_row(log.schema().clone()).unwrap();
            row.set("ObsID", 1000 + k as i64).unwrap();
            row.set("CCD", format!("CCD{ccd}")).unwrap();
            log.push(row).unwrap();
        }
    }
    log
}

#[test]
fn explog_tables_are_checked_per_ccd() {
    for v in [
        ElvisVersion::V7_5_X,
        ElvisVersion::V6_3_0,
        ElvisVersion::V6_0_0,
    ] {
        let o = TestOptions {
            elvis: v,
            ..TestOptions::default()
        };
        let d = test_def("CHINJ01", &o).unwrap();
        let res = vison_testdefs::check_explog(&d, &explog_of(&d, &[]));
        assert_eq!(res.len(), 3);
        assert!(
            res.values()
                .all(|r| r.checks_out && r.observed_frames == 42),
            "{v}: {:?}",
            res[&1].messages
        );
        let res = vison_testdefs::check_explog(&d, &explog_of(&d, &[30]));
        assert_eq!(res[&2].columns[30].missing_frames, 1, "{v}");
        assert!(!res[&3].checks_out);
    }
    // Rows of another test or another filter are not selected.
    let d = test_def("PTC02_730", &TestOptions::default()).unwrap();
    let other = test_def("PTC02_880", &TestOptions::default()).unwrap();
    let mut log = explog_of(&d, &[]);
    for r in explog_of(&other, &[]).rows() {
        log.push(r.clone()).unwrap();
    }
    let res = vison_testdefs::check_explog(&d, &log);
    assert!(res[&1].checks_out, "{:?}", res[&1].messages);
}

#[test]
fn frames_can_be_capped_for_quick_campaigns() {
    let d = test_def("PTC01", &TestOptions::default())
        .unwrap()
        .with_max_frames_per_column(2);
    assert_eq!(d.expected_frame_count(), 22);
    assert_eq!(d.n_cols(), 11);
    let d = test_def("NL01", &TestOptions::default())
        .unwrap()
        .with_max_frames_per_column(0);
    assert_eq!(d.expected_frame_count(), 36);
}
