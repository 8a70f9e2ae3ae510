//! Every ELVIS version: build a log, write it, read it back with detection.

use std::path::Path;

use vison_explog::{
    ColType, ElvisVersion, ExpLog, ExpLogRow, LoadOptions, Schema, Value, VersionSource,
    load_explog,
};

/// A value for column `c` of type `t` in row `i`, deterministic and distinct.
fn value_for(name: &str, t: ColType, i: usize, version: ElvisVersion) -> Value {
    let lname = name.to_ascii_lowercase();
    match lname.as_str() {
        "obsid" => return Value::Int(1000 + (i / 3) as i64),
        "ccd" => return Value::Str(format!("CCD{}", i % 3 + 1)),
        "roe" => return Value::Str("ROE1".into()),
        "date" => return Value::Str(format!("190118D07{:02}00T", i / 3)),
        "test" => {
            return Value::Str(if i < 3 {
                "BIAS01".into()
            } else {
                "PTC01".into()
            });
        }
        "egse_ver" => return Value::Str(version.as_str().into()),
        "file_name" => {
            return Value::Str(format!(
                "EUC_{}_190118D07{:02}00T_ROE1_CCD{}",
                1000 + i / 3,
                i / 3,
                i % 3 + 1
            ));
        }
        _ => {}
    }
    match t {
        ColType::Int => Value::Int((i * 7 + name.len()) as i64),
        ColType::Float => Value::Float(0.25 * (i as f64) + name.len() as f64 * 0.5 + 0.125),
        ColType::Str => Value::Str(format!("{name}-{i}")),
    }
}

fn build(version: ElvisVersion, rows: usize) -> ExpLog {
    let schema = Schema::for_version(version);
    let mut log = ExpLog::new(schema.clone());
    for i in 0..rows {
        let values = schema
            .columns()
            .iter()
            .map(|c| value_for(&c.name, c.ty, i, version))
            .collect();
        let row = ExpLogRow::from_values(schema.clone(), values);
        assert!(row.is_ok(), "{version}: {row:?}");
        if let Ok(r) = row {
            assert!(log.push(r).is_ok());
        }
    }
    log
}

#[test]
fn every_version_writes_and_reads_back_with_detection() {
    let dir = tempfile::tempdir().expect("temp dir");
    for version in ElvisVersion::ALL {
        let log = build(version, 6);
        let path = dir
            .path()
            .join(format!("EXP_LOG_{}.txt", version.as_str().replace('.', "")));
        log.write(&path).expect("write");
        let loaded = load_explog(&path, &LoadOptions::default()).expect("load");
        assert_eq!(loaded.report.version, version, "detected version");
        let want_source = if version == ElvisVersion::Fpa {
            VersionSource::Header
        } else {
            VersionSource::HeaderAndEgseVer
        };
        assert_eq!(loaded.report.version_source, want_source, "{version}");
        assert!(loaded.report.bad_rows.is_empty(), "{version}");
        assert_eq!(loaded.log.len(), 6);
        for (a, b) in loaded.log.rows().iter().zip(log.rows()) {
            assert_eq!(a.values(), b.values(), "{version}");
        }
        // Written text is byte-identical after a second round.
        assert_eq!(
            loaded.log.to_elvis_string(),
            log.to_elvis_string(),
            "{version}"
        );
        assert_eq!(
            loaded.log.schema().columns(),
            Schema::for_version(version).columns()
        );
    }
}

#[test]
fn version_tables_have_reference_names_and_types() {
    let s = Schema::for_version(ElvisVersion::V7_5_X);
    let ty = |n: &str| s.column(n).map(|c| c.ty);
    assert_eq!(ty("ObsID"), Some(ColType::Int));
    assert_eq!(ty("exptime"), Some(ColType::Float));
    assert_eq!(ty("wave"), Some(ColType::Int));
    assert_eq!(ty("mirr_pos"), Some(ColType::Float));
    assert_eq!(ty("IPHI"), Some(ColType::Str));
    assert_eq!(ty("R1C3_TB"), Some(ColType::Float));
    assert_eq!(ty("motr"), Some(ColType::Int));
    assert_eq!(ty("spw_clk"), None);
    let s63 = Schema::for_version(ElvisVersion::V6_3_0);
    assert!(s63.column("spw_clk").is_some() && s63.column("cdpu_clk").is_none());
    assert!(s63.column("v_tpmod").is_some() && s63.column("motr_on").is_some());
    let s57 = Schema::for_version(ElvisVersion::V5_7_02);
    assert_eq!(
        s57.columns().get(26).map(|c| c.name.as_str()),
        Some("TOI _pump")
    );
    assert!(s57.column("CCD_SNX").is_some());
    let s574 = Schema::for_version(ElvisVersion::V5_7_04);
    assert!(s574.column("CCD_SNX").is_none() && s574.column("C.Inj-Rdout_e_time").is_some());
    let s60 = Schema::for_version(ElvisVersion::V6_0_0);
    assert_eq!(s60.column("Mirr_pos").map(|c| c.ty), Some(ColType::Float));
    assert_eq!(s60.column("OD_B3_V").map(|c| c.ty), Some(ColType::Float));
}

#[test]
fn atomic_write_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("EXP_LOG_190118.txt");
    build(ElvisVersion::V7_5_X, 3).write(&path).expect("write");
    build(ElvisVersion::V7_5_X, 6)
        .write(&path)
        .expect("overwrite");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names, vec!["EXP_LOG_190118.txt".to_string()]);
    let back = load_explog(Path::new(&path), &LoadOptions::default()).expect("load");
    assert_eq!(back.log.len(), 6);
}

#[test]
fn merge_select_exposures_summary() {
    let a = build(ElvisVersion::V6_3_0, 6);
    let mut b = build(ElvisVersion::V7_5_X, 6);
    // Shift b's ObsIDs to 2000.. and drop CCD2 of its last exposure.
    let schema = b.schema().clone();
    let mut rows = Vec::new();
    for (i, r) in b.rows().iter().enumerate() {
        if i == 4 {
            continue;
        }
        let mut r = r.clone();
        let o = r.obsid().unwrap_or(0);
        r.set("ObsID", o + 1000).expect("set");
        rows.push(r);
    }
    b = ExpLog::new(schema);
    for r in rows {
        b.push(r).expect("push");
    }
    let m = ExpLog::merge(&[a, b]);
    assert_eq!(m.len(), 11);
    assert_eq!(m.sources(), &[0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    // Union of 6.3.0 and 7.5.X columns: the renamed ones are both present.
    assert!(m.schema().column("spw_clk").is_some() && m.schema().column("cdpu_clk").is_some());
    assert_eq!(m.schema().len(), 85);
    let row6 = m.rows().get(6).expect("row");
    assert_eq!(row6.get("spw_clk"), Some(&Value::Missing));
    assert!(row6.get_i64("cdpu_clk").is_some());

    let ptc = m.select_test("PTC01");
    assert_eq!(ptc.len(), 5);
    let sel = m.select("PTC01", Some((1001, 1001)));
    assert_eq!(sel.len(), 3);
    assert!(sel.rows().iter().all(|r| r.obsid() == Some(1001)));
    assert_eq!(m.select_obsid_range(2000, 2001).len(), 5);

    let ex = m.exposures();
    assert_eq!(
        ex.iter().map(|e| e.obsid).collect::<Vec<_>>(),
        vec![1000, 1001, 2000, 2001]
    );
    let last = ex.last().expect("exposure");
    assert_eq!(last.ccd_rows, [Some(9), None, Some(10)]);

    let s = m.summary();
    assert_eq!(s.rows, 11);
    assert_eq!(s.exposures, 4);
    assert_eq!(s.obsid_range, Some((1000, 2001)));
    assert_eq!(s.ccds, vec!["CCD1", "CCD2", "CCD3"]);
    let names: Vec<(&str, usize, usize)> = s
        .tests
        .iter()
        .map(|t| (t.name.as_str(), t.frames, t.rows))
        .collect();
    assert_eq!(names, vec![("BIAS01", 2, 6), ("PTC01", 2, 5)]);
    // BIAS01: 07:00:00 (1000) and 07:00:00 (2000), exptime of the last = 0.25*0 + 7*0.5 + 0.125.
    let bias = s.tests.first().expect("bias");
    assert_eq!(bias.duration_s, Some(3.625));
    // PTC01: 07:01:00 twice -> 0 s plus the exptime of row 9 (0.25*3 + 3.625).
    let ptc = s.tests.get(1).expect("ptc");
    assert_eq!(ptc.duration_s, Some(4.375));
}
