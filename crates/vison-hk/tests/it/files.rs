//! Reading and writing HK files in both layouts, with the deviations of real files.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use vison_hk::{
    ElvisVersion, Error, HkFile, HkFormat, HkLoadOptions, HkName, HkReadings, HkSeries, Stat,
    detect_hk_version, hk_file_name, hk_keys, hk_master_file_name, load_hk, parse_hk_str,
};

fn t0() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2018, 1, 19)
        .and_then(|d| d.and_hms_opt(7, 0, 0))
        .expect("date")
}

/// The real early sample `HK_191_050800D000000T_ROE1.txt`: CRLF, header `HK_timestamp` and
/// the 55 keys of the 5.7.07 list padded with spaces, 3 readings at 15:06:14-16, then blank
/// lines and a `#`-commented vertical dump of one reading.
fn early_sample() -> String {
    let keys = hk_keys(ElvisVersion::V5_7_07).expect("keys");
    let mut s = String::from("HK_timestamp   ");
    for k in keys {
        s.push_str(&format!("\t  {k}   "));
    }
    s.push_str("\t\r\n");
    for (i, sec) in [14, 15, 16].iter().enumerate() {
        s.push_str(&format!("05-08-00_15:06:{sec}"));
        for (k, key) in keys.iter().enumerate() {
            let v = if key.starts_with("HK_temp") && i == 1 {
                -246.86
            } else {
                k as f64 + 0.5 * i as f64
            };
            s.push_str(&format!("\t {v} "));
        }
        s.push_str("\t\r\n");
    }
    s.push_str("\r\n\r\n# vertical dump of the last reading\r\n");
    for k in keys.iter().take(5) {
        s.push_str(&format!("#{k}\t1.0\r\n"));
    }
    s.push_str("# HK_temp_VB_TOP\t-273.15\r\n# HK_temp_VB_BOT\t-273.15\r\n");
    s
}

#[test]
fn early_sample_layout_is_read_tolerantly() {
    let f = parse_hk_str(
        &early_sample(),
        "/data/HK_191_050800D000000T_ROE1.txt",
        &HkLoadOptions::default(),
    )
    .expect("parse");
    assert_eq!(f.format, HkFormat::Table);
    assert!(f.bad_rows.is_empty(), "{:?}", f.bad_rows);
    assert_eq!(f.readings.len(), 3);
    assert_eq!(f.readings.keys.len(), 55);
    assert_eq!(f.readings.time_column, "HK_timestamp");
    assert_eq!(
        f.readings.keys.first().map(String::as_str),
        Some("HK_OD_Top_CCD1")
    );
    assert_eq!(
        detect_hk_version(&f.readings.keys),
        Some(ElvisVersion::V5_7_09)
    );
    let t = NaiveDate::from_ymd_opt(2000, 8, 5).and_then(|d| d.and_hms_opt(15, 6, 15));
    assert_eq!(f.readings.times.get(1).copied().flatten(), t);
    match f.name {
        HkName::PerExposure(n) => assert_eq!((n.obsid, n.roe), (191, 1)),
        other => panic!("name not recognised: {other:?}"),
    }
    let s = f.readings.synthesize();
    // Key 0: values 0, 0.5, 1.0 -> mean 0.5, std sqrt(1/6).
    let k0 = s.get("HK_OD_Top_CCD1").expect("stats");
    assert!((k0.mean - 0.5).abs() < 1e-12 && (k0.std - (1.0f64 / 6.0).sqrt()).abs() < 1e-12);
    assert_eq!((k0.min, k0.max, k0.n), (0.0, 1.0, 3));
    // Temperatures: the sentinel -246.86 of reading 1 is ignored.
    let idx = f.readings.key_index("HK_temp_top_CCD1").expect("key") as f64;
    let tt = s.get("HK_temp_top_CCD1").expect("stats");
    assert_eq!(tt.n, 2);
    assert!((tt.mean - (idx + 0.5)).abs() < 1e-12);
    // Validation against a version's list is a warning, not an error.
    let opts = HkLoadOptions {
        elvis: Some(ElvisVersion::V6_3_0),
        strict: true,
    };
    let f = parse_hk_str(&early_sample(), "x.txt", &opts).expect("parse");
    assert!(
        f.warnings
            .iter()
            .any(|w| w.contains("71 key(s) of the ELVIS 6.3.0 list missing")),
        "{:?}",
        f.warnings
    );
}

fn exposure_readings(version: ElvisVersion, start: NaiveDateTime, n: usize, od: f64) -> HkReadings {
    let mut r = HkReadings::for_version(version).expect("keys");
    let keys = r.keys.clone();
    for s in 0..n {
        let vals: Vec<f64> = keys
            .iter()
            .map(|k| match k.as_str() {
                k if k.contains("_OD_") => od + 0.25 * s as f64,
                k if k.contains("TEMP_T") || k.contains("TEMP_B") => -120.0,
                "SPW_STATUS_REG" => 12192.0,
                _ => 0.0,
            })
            .collect();
        r.push(Some(start + Duration::seconds(s as i64)), &vals)
            .expect("push");
    }
    r
}

#[test]
fn per_exposure_and_master_files_round_trip_and_order_by_time() {
    let dir = tempfile::tempdir().expect("dir");
    let v = ElvisVersion::V7_5_X;
    let mut blocks = Vec::new();
    let mut paths = Vec::new();
    // Written out of time order on purpose.
    for (k, obsid) in [(2, 1002), (0, 1000), (1, 1001)] {
        let start = t0() + Duration::seconds(75 * k);
        let r = exposure_readings(v, start, 71, 26.0 + k as f64);
        let path = dir.path().join(hk_file_name(obsid, start, 1));
        r.write(&path, HkFormat::Table).expect("write");
        paths.push(path);
        blocks.push(r);
    }
    let files: Vec<HkFile> = paths
        .iter()
        .map(|p| {
            load_hk(
                p,
                &HkLoadOptions {
                    elvis: Some(v),
                    strict: true,
                },
            )
            .expect("load")
        })
        .collect();
    for (f, b) in files.iter().zip(&blocks) {
        assert_eq!(&f.readings, b);
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        let text = std::fs::read_to_string(&f.file).expect("read");
        assert!(text.starts_with("TimeStamp\tCCD3_OD_T\t") && text.contains("\r\n19-01-18_07:0"));
    }
    let series = HkSeries::from_files(&files);
    let obsids: Vec<Option<i64>> = series.entries.iter().map(|e| e.obsid).collect();
    assert_eq!(obsids, vec![Some(1000), Some(1001), Some(1002)]);
    let secs: Vec<Option<f64>> = series
        .entries
        .iter()
        .map(|e| e.seconds_since_first)
        .collect();
    assert_eq!(secs, vec![Some(0.0), Some(75.0), Some(150.0)]);
    // OD mean per exposure: od + 0.25 * mean(0..71) = od + 8.75; max od + 17.5.
    let od = series.values("CCD1_OD_T", Stat::Mean).expect("key");
    for (got, want) in od.iter().zip([34.75, 35.75, 36.75]) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
    assert_eq!(
        series.values("CCD1_OD_T", Stat::Max),
        Some(vec![43.5, 44.5, 45.5])
    );
    assert_eq!(
        series.values("CCD1_OD_T", Stat::Min),
        Some(vec![26.0, 27.0, 28.0])
    );

    // Daily master file: concatenation of the three, named HK_<dd-mm-yy>_ROE1_<NN>.txt.
    let master = HkReadings::concat(&blocks);
    let name = hk_master_file_name(t0().date(), 1, Some(1));
    assert_eq!(name, "HK_19-01-18_ROE1_01.txt");
    let mpath = dir.path().join(&name);
    master.write(&mpath, HkFormat::Table).expect("write master");
    let m = load_hk(&mpath, &HkLoadOptions::default()).expect("load master");
    assert_eq!(m.readings.len(), 213);
    assert!(matches!(m.name, HkName::Master(x) if x.nn == Some(1) && x.roe == 1));
    assert_eq!(m.time(), Some(t0() + Duration::seconds(150)));
    // No temporary files left behind.
    let n = std::fs::read_dir(dir.path()).expect("ls").count();
    assert_eq!(n, 4);
}

#[test]
fn pre_qm_key_per_line_files() {
    let text = "HK_OD_Top_CCD1\t26.0\t26.5\t27.0\r\nHK_IDL \t13\t13\r\n\r\nHK_temp_top_CCD1\t-246.86\t-120\t-121\r\n";
    let f = parse_hk_str(
        text,
        "HK_5_010117D000000T_ROE1.txt",
        &HkLoadOptions::default(),
    )
    .expect("parse");
    assert_eq!(f.format, HkFormat::KeyPerLine);
    assert_eq!(
        f.readings.keys,
        vec!["HK_OD_Top_CCD1", "HK_IDL", "HK_temp_top_CCD1"]
    );
    assert_eq!(f.readings.len(), 3);
    assert!(
        f.readings
            .get("HK_IDL")
            .and_then(|v| v.get(2))
            .is_some_and(|x| x.is_nan())
    );
    assert!(f.warnings.iter().any(|w| w.contains("fewer than 3 values")));
    let s = f.readings.synthesize();
    assert_eq!(s.get("HK_OD_Top_CCD1").map(|k| k.mean), Some(26.5));
    assert_eq!(s.get("HK_IDL").map(|k| (k.mean, k.n)), Some((13.0, 2)));
    assert_eq!(
        s.get("HK_temp_top_CCD1").map(|k| (k.mean, k.n)),
        Some((-120.5, 2))
    );
    // Written back in the same layout.
    let back = f.readings.to_hk_string(HkFormat::KeyPerLine).expect("text");
    assert!(back.starts_with("HK_OD_Top_CCD1\t26\t26.5\t27\r\n"));
}

#[test]
fn partial_last_line_bad_values_and_hex_status() {
    let r = exposure_readings(ElvisVersion::V6_3_0, t0(), 5, 26.0);
    let mut text = r.to_hk_string(HkFormat::Table).expect("text");
    // ELVIS 6.3.0 writes SPW_STATUS_REG in hexadecimal.
    text = text.replace("\t12192\r\n", "\t2FA0\r\n");
    let cut = text.len() - 40;
    let partial = text.get(..cut).expect("cut");
    let f = parse_hk_str(
        partial,
        "x.txt",
        &HkLoadOptions {
            elvis: None,
            strict: true,
        },
    )
    .expect("parse");
    assert_eq!(f.readings.len(), 4);
    assert!(f.partial_last_line);
    assert_eq!(
        f.readings
            .get("SPW_STATUS_REG")
            .and_then(|v| v.first())
            .copied(),
        Some(12192.0)
    );
    // A bad value in the middle: located, the other readings keep their values.
    let bad = text.replacen("\t26.5\t", "\t26.S\t", 1);
    let f = parse_hk_str(&bad, "HK_bad.txt", &HkLoadOptions::default()).expect("parse");
    assert_eq!(f.readings.len(), 4);
    let issue = f.bad_rows.first().expect("issue");
    assert_eq!((issue.line, issue.column.as_str()), (4, "CCD1_OD_T"));
    let od = f.readings.get("CCD1_OD_T").expect("key").to_vec();
    assert_eq!(od, vec![26.0, 26.25, 26.75, 27.0]);
    match parse_hk_str(
        &bad,
        "HK_bad.txt",
        &HkLoadOptions {
            elvis: None,
            strict: true,
        },
    ) {
        Err(e @ Error::Row { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("HK_bad.txt")
                    && m.contains("line 4")
                    && m.contains("CCD1_OD_T")
                    && m.contains("26.S"),
                "{m}"
            );
        }
        other => panic!("expected a row error, got {other:?}"),
    }
    // A row missing a value in a file whose rows end with a tab is not read as complete.
    let tabbed: String = text.lines().map(|l| format!("{l}\t\r\n")).collect();
    let lines: Vec<&str> = tabbed.split("\r\n").collect();
    let broken = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 2 {
                l.replacen("\t0\t", "\t", 1)
            } else {
                (*l).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    let f = parse_hk_str(&broken, "x.txt", &HkLoadOptions::default()).expect("parse");
    assert_eq!(f.readings.len(), 4);
    assert_eq!(f.bad_rows.first().map(|i| i.line), Some(3));
}

#[test]
fn empty_and_missing_files() {
    assert!(matches!(
        parse_hk_str("", "x", &HkLoadOptions::default()),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        parse_hk_str("# only a comment\r\n\r\n", "x", &HkLoadOptions::default()),
        Err(Error::Empty { .. })
    ));
    let r = load_hk(
        std::path::Path::new("/nonexistent/HK_1_010118D000000T_ROE1.txt"),
        &HkLoadOptions::default(),
    );
    assert!(matches!(r, Err(Error::Io { .. })));
}

#[test]
fn byte_order_marks_and_utf16_read_like_plain_utf8() {
    let r = exposure_readings(ElvisVersion::V7_5_X, t0(), 4, 26.0);
    let text = r.to_hk_string(HkFormat::Table).expect("text");
    let name = hk_file_name(1000, t0(), 1);
    let plain =
        vison_hk::parse_hk_bytes(text.as_bytes(), &name, &HkLoadOptions::default()).expect("plain");
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join(&name);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    std::fs::write(&p, &bom).expect("write");
    let f = load_hk(&p, &HkLoadOptions::default()).expect("BOM file loads");
    assert_eq!(f.readings.time_column, plain.readings.time_column);
    assert!(!f.readings.time_column.contains('\u{feff}'));
    assert_eq!(f.readings.keys, plain.readings.keys);
    assert_eq!(f.readings.len(), 4);
    assert_eq!(f.warnings, plain.warnings);
    assert!(f.bad_rows.is_empty());
    // Key-per-line layout: the first key keeps its name.
    let kpl = "\u{feff}HK_OD_Top_CCD1\t26.0\t26.5\r\nHK_IDL\t13\t13\r\n";
    let k = parse_hk_str(
        kpl,
        "HK_5_010117D000000T_ROE1.txt",
        &HkLoadOptions::default(),
    )
    .expect("parse");
    assert_eq!(k.readings.keys, vec!["HK_OD_Top_CCD1", "HK_IDL"]);
    // UTF-16 with a BOM is decoded, and says so.
    let mut u16le = vec![0xFF, 0xFE];
    u16le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let w = vison_hk::parse_hk_bytes(&u16le, &name, &HkLoadOptions::default()).expect("utf-16");
    assert_eq!((w.readings.len(), w.bad_rows.len()), (4, 0));
    assert!(w.warnings.iter().any(|x| x.contains("UTF-16")));
}
