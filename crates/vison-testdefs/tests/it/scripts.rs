//! ELVIS acquisition scripts: layout of the written .xlsx, round trip per test and per ELVIS
//! version, and the side files (checksums, inventory, scheduler).

use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use vison_testdefs::scripts::{md5_hex, script_file_name, write_scripts_with};
use vison_testdefs::{
    ELVIS_VERSIONS, ElvisVersion, ScriptVersion as _, TestOptions, known_tests, test_def,
};
use vison_testdefs::{read_script_xlsx, write_script_xlsx, write_scripts};

fn sheet(path: &Path, name: &str) -> calamine::Range<Data> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    wb.worksheet_range(name).unwrap()
}

fn date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

#[test]
fn layout_of_a_written_script() {
    let dir = tempfile::tempdir().unwrap();
    let d = test_def("PTC01", &TestOptions::default()).unwrap();
    let path = dir
        .path()
        .join(script_file_name(&d.name, date(), ElvisVersion::V7_5_X));
    assert!(path.ends_with("vis_CalCamp_PTC01_25Nov26_v7.5.X.xlsx"));
    write_script_xlsx(&d, ElvisVersion::V7_5_X, &path).unwrap();
    let r = sheet(&path, "Sheet1");
    let keys = ElvisVersion::V7_5_X.canonical_script_keys();
    assert_eq!(r.get_size(), (keys.len(), 11 + 2));
    assert_eq!(r.get((0, 0)), Some(&Data::String("frames".into())));
    // Cumulative frames: 10, 20, ..., 80, 84, 88, 92.
    let cum: Vec<f64> = (1..=11)
        .map(|c| match r.get((0, c)) {
            Some(Data::Float(x)) => *x,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        cum,
        vec![
            10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 84.0, 88.0, 92.0
        ]
    );
    assert_eq!(r.get((0, 12)), Some(&Data::String("End".into())));
    assert!(matches!(r.get((1, 12)), None | Some(Data::Empty)));
    let row_of = |k: &str| keys.iter().position(|x| *x == k).unwrap();
    assert_eq!(r.get((row_of("exptime"), 1)), Some(&Data::Float(0.175)));
    assert_eq!(
        r.get((row_of("test"), 5)),
        Some(&Data::String("PTC01".into()))
    );
    assert_eq!(
        r.get((row_of("roe-tab"), 0)),
        Some(&Data::String("roe-tab".into()))
    );
}

#[test]
fn legacy_scripts_use_long_names_and_millivolts() {
    let dir = tempfile::tempdir().unwrap();
    let d = test_def(
        "CHINJ01",
        &TestOptions {
            elvis: ElvisVersion::V6_0_0,
            ..TestOptions::default()
        },
    )
    .unwrap();
    let path = dir
        .path()
        .join(script_file_name(&d.name, date(), ElvisVersion::V6_0_0));
    write_script_xlsx(&d, ElvisVersion::V6_0_0, &path).unwrap();
    let r = sheet(&path, "Sheet1");
    let names: Vec<String> = (0..r.get_size().0)
        .map(|k| r.get((k, 0)).map(ToString::to_string).unwrap_or_default())
        .collect();
    let row = |k: &str| {
        names
            .iter()
            .position(|x| x == k)
            .unwrap_or_else(|| panic!("no {k}"))
    };
    assert_eq!(r.get((row("IDL"), 1)), Some(&Data::Float(11000.0)));
    assert_eq!(
        r.get((row("wavelength"), 1)),
        Some(&Data::String("Filter 4".into()))
    );
    assert!(names.iter().any(|n| n == "readmode_1"));
    assert_eq!(
        r.get((0, d.n_cols() + 1)),
        Some(&Data::String("End".into()))
    );
    // 5.7.x: no End column.
    let d57 = test_def(
        "BIAS01",
        &TestOptions {
            elvis: ElvisVersion::V5_7_04,
            ..TestOptions::default()
        },
    )
    .unwrap();
    let p57 = dir
        .path()
        .join(script_file_name(&d57.name, date(), ElvisVersion::V5_7_04));
    write_script_xlsx(&d57, ElvisVersion::V5_7_04, &p57).unwrap();
    assert_eq!(sheet(&p57, "Sheet1").get_size().1, 2);
}

#[test]
fn every_test_round_trips_in_every_version() {
    let dir = tempfile::tempdir().unwrap();
    for v in ELVIS_VERSIONS {
        let opts = TestOptions {
            elvis: *v,
            ..TestOptions::default()
        };
        for name in known_tests() {
            let d = test_def(name, &opts).unwrap();
            let path = dir.path().join(script_file_name(&d.name, date(), *v));
            write_script_xlsx(&d, *v, &path).unwrap();
            let back = read_script_xlsx(&path).unwrap_or_else(|e| panic!("{name} {v}: {e}"));
            assert_eq!(back.elvis, *v, "{name}");
            assert_eq!(back.test, d.test, "{name} {v}");
            assert_eq!(
                back.frames_per_column(),
                d.frames_per_column(),
                "{name} {v}"
            );
            assert_eq!(back.columns, d.columns, "{name} {v}");
            assert_eq!(
                back.colorblind,
                d.columns
                    .iter()
                    .any(|c| c.get("wave") != d.columns[0].get("wave"))
            );
        }
    }
}

#[test]
fn version_is_guessed_from_keys_without_a_version_in_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = test_def(
        "DARK01",
        &TestOptions {
            elvis: ElvisVersion::V6_1_0,
            ..TestOptions::default()
        },
    )
    .unwrap();
    let path = dir.path().join("dark.xlsx");
    write_script_xlsx(&d, ElvisVersion::V6_1_0, &path).unwrap();
    let back = read_script_xlsx(&path).unwrap();
    assert_eq!(back.elvis, ElvisVersion::V6_0_0);
    assert_eq!(back.columns, d.columns);
}

#[test]
fn a_broken_script_is_reported_with_its_cell() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad_v7.5.X.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "frames").unwrap();
    ws.write_number(0, 1, 3.0).unwrap();
    ws.write_string(1, 0, "vend").unwrap();
    ws.write_string(1, 1, "lots").unwrap();
    wb.save(&path).unwrap();
    let e = read_script_xlsx(&path).unwrap_err().to_string();
    assert!(e.contains("B2") && e.contains("vend"), "{e}");
    // An empty numeric cell takes the ELVIS default; a decreasing cumulative count is an error.
    let path = dir.path().join("sparse_v7.5.X.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, k) in ["frames", "test", "vend", "exptime"].iter().enumerate() {
        ws.write_string(r as u32, 0, *k).unwrap();
    }
    ws.write_number(0, 1, 3.0).unwrap();
    ws.write_string(1, 1, "BIAS01").unwrap();
    ws.write_number(3, 1, 0.0).unwrap();
    ws.write_number(0, 2, 2.0).unwrap();
    ws.write_string(0, 3, "End").unwrap();
    wb.save(&path).unwrap();
    let e = read_script_xlsx(&path).unwrap_err().to_string();
    assert!(e.contains("C1") && e.contains("decrease"), "{e}");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, k) in ["frames", "test", "vend"].iter().enumerate() {
        ws.write_string(r as u32, 0, *k).unwrap();
    }
    ws.write_number(0, 1, 3.0).unwrap();
    ws.write_string(1, 1, "BIAS01").unwrap();
    ws.write_string(0, 2, "End").unwrap();
    wb.save(&path).unwrap();
    let d = read_script_xlsx(&path).unwrap();
    assert_eq!(d.expected_frame_count(), 3);
    assert_eq!(d.columns[0].num("vend"), Some(2086.0));
    assert_eq!(d.test, "BIAS01");
    assert!(read_script_xlsx(&dir.path().join("missing.xlsx")).is_err());
}

#[test]
fn script_set_with_side_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("scripts");
    let tests = ["BIAS01", "PTC02_730", "FOCUS00_800"];
    let written = write_scripts_with(&tests, &TestOptions::default(), date(), &out).unwrap();
    assert_eq!(written.len(), 6);
    let sums = std::fs::read_to_string(out.join("CHECK_SUMS_25Nov26.txt")).unwrap();
    assert_eq!(sums.lines().count(), 3);
    for line in sums.lines() {
        let (name, sum) = line.split_once('\t').unwrap();
        assert_eq!(
            md5_hex(&std::fs::read(out.join(name)).unwrap()),
            sum,
            "{name}"
        );
    }
    let inv = std::fs::read_to_string(out.join("TESTS_INVENTORY_25Nov26.txt")).unwrap();
    assert!(inv.contains("ELVIS version: 7.5.X"));
    assert!(inv.contains("BIAS01: 1 ["), "{inv}");
    assert!(
        inv.contains("PTC02_730: 6 [") && inv.contains("cols: [4, 4, 4, 4, 4, 4]"),
        "{inv}"
    );
    assert!(inv.contains("Total frames: 58"), "{inv}");
    let sched = sheet(&out.join("TESTS_SCHEDULER_25Nov26.xlsx"), "Tests");
    assert_eq!(sched.get((0, 2)), Some(&Data::String("Nframes".into())));
    assert_eq!(sched.get((3, 0)), Some(&Data::String("FOCUS00_800".into())));
    assert_eq!(sched.get((3, 2)), Some(&Data::Float(9.0)));
    let meta = sheet(&out.join("TESTS_SCHEDULER_25Nov26.xlsx"), "Meta");
    assert_eq!(meta.get((2, 1)), Some(&Data::String("B_CBE_MAR19".into())));
    // The public entry point (today's date) and its errors.
    let today = write_scripts(&["DARK01"], "6.3.0", &dir.path().join("today")).unwrap();
    assert!(today[0].to_string_lossy().ends_with("_v6.3.0.xlsx"));
    assert!(write_scripts(&["DARK01"], "9.9", &out).is_err());
    assert!(write_scripts(&["NOTATEST"], "7.5.X", &out).is_err());
}
