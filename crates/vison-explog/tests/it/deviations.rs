//! Files with the deviations real ELVIS logs show, written by the tests.

use vison_explog::{
    ElvisVersion, Error, LoadOptions, Value, VersionSource, load_explog, parse_explog_bytes,
    parse_explog_str,
};

/// Columns of the real sample `EXP_LOG_050800.txt` (ELVIS 5.7.05): the 5.7.04 list without
/// ROE1_On, ROE2_On, Lght_int and the R2CCD* temperatures, plus Mirr_pos, with the header
/// spelling `TOI _pump` and trailing spaces on some names.
fn sample_header() -> Vec<String> {
    let mut cols: Vec<String> = ElvisVersion::V5_7_04
        .explog_columns()
        .into_iter()
        .filter(|c| !matches!(*c, "ROE1_On" | "ROE2_On" | "Lght_int") && !c.starts_with("R2CCD"))
        .map(str::to_string)
        .collect();
    let at = cols
        .iter()
        .position(|c| c == "Wavelength")
        .map_or(cols.len(), |i| i + 1);
    cols.insert(at, "Mirr_pos".to_string());
    for c in &mut cols {
        if c == "TOI_pump" {
            *c = "TOI _pump".to_string();
        }
        if c == "Operator" || c == "Vend" || c == "CalScrpt" {
            c.push_str("  ");
        }
    }
    cols
}

fn sample_text() -> String {
    let header = sample_header();
    assert_eq!(header.len(), 69);
    let mut out = header.join("\t");
    out.push_str("\t\r\n");
    for obsid in [191, 192] {
        for ccd in 1..=3 {
            let cells: Vec<String> = header
                .iter()
                .map(|h| match h.trim() {
                    "ObsID" => obsid.to_string(),
                    "File_name" => format!("EUC_{obsid}_251116D150614T_ROE1_CCD{ccd}"),
                    "CCD" => format!("CCD{ccd}"),
                    "ROE" => "ROE1".to_string(),
                    "DATE" => "251116D150614T".to_string(),
                    "TEST" => "CHINJ".to_string(),
                    "EGSE_ver" => "5.7.05".to_string(),
                    "Exptime" => "0.0".to_string(),
                    "Mirr_pos" => "70.5".to_string(),
                    "TOI _pump" => "1000".to_string(),
                    "Vend" => "2066".to_string(),
                    "IG1_V" => "6.25".to_string(),
                    other => other
                        .chars()
                        .next()
                        .map_or("0", |c| if c.is_ascii_uppercase() { "x" } else { "0" })
                        .to_string(),
                })
                .collect();
            out.push_str(&cells.join("\t"));
            out.push_str("\t\r\n");
        }
    }
    out
}

#[test]
fn real_sample_layout_5_7_05_is_read_tolerantly() {
    // Numeric columns of the sample that the generic filler set to "x" must be numbers:
    // fill every column typed numeric in the 5.7.04 table with a number instead.
    let schema = vison_explog::Schema::for_version(ElvisVersion::V5_7_04);
    let text: String = sample_text()
        .split("\r\n")
        .enumerate()
        .map(|(i, line)| {
            if i == 0 || line.is_empty() {
                return line.to_string();
            }
            line.split('\t')
                .zip(
                    sample_header()
                        .iter()
                        .map(String::as_str)
                        .chain(std::iter::once("")),
                )
                .map(|(cell, h)| match schema.column(h) {
                    Some(c) if c.ty != vison_explog::ColType::Str && cell == "x" => "3".to_string(),
                    _ => cell.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    let loaded =
        parse_explog_str(&text, "EXP_LOG_050800.txt", &LoadOptions::default()).expect("load");
    let r = &loaded.report;
    assert_eq!(r.version, ElvisVersion::V5_7_04);
    assert_eq!(r.version_source, VersionSource::EgseVer);
    assert!(r.header_used);
    assert!(r.bad_rows.is_empty(), "{:?}", r.bad_rows);
    assert_eq!(loaded.log.len(), 6);
    assert!(
        r.warnings.iter().any(|w| w.contains("Mirr_pos")),
        "{:?}",
        r.warnings
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("lacks 9 column(s)") && w.contains("R2CCD3TB")),
        "{:?}",
        r.warnings
    );
    let row = loaded.log.rows().get(4).expect("row");
    assert_eq!(row.obsid(), Some(192));
    assert_eq!(row.ccd(), Some(2));
    assert_eq!(row.get_f64("Mirr_pos"), Some(70.5));
    assert_eq!(row.get("Mirr_pos"), Some(&Value::Float(70.5)));
    // `TOI _pump` is canonicalised to the 5.7.04 spelling and typed as an integer.
    assert_eq!(row.get_i64("TOI_pump"), Some(1000));
    assert_eq!(row.get_i64("Vend"), Some(2066));
    assert_eq!(row.get_f64("IG1_V"), Some(6.25));
    assert_eq!(
        row.datetime().map(|t| t.to_string()),
        Some("2016-11-25 15:06:14".to_string())
    );
    assert_eq!(row.test(), Some("CHINJ"));
    assert_eq!(row.exptime_s(), Some(0.0));
    let s = loaded.log.summary();
    assert_eq!(s.obsid_range, Some((191, 192)));
    assert_eq!(s.tests.first().map(|t| t.frames), Some(2));
}

fn v75_text(rows: usize) -> String {
    let schema = vison_explog::Schema::for_version(ElvisVersion::V7_5_X);
    let mut log = vison_explog::ExpLog::new(schema.clone());
    for i in 0..rows {
        let mut r = vison_explog::ExpLogRow::new(schema.clone());
        r.set("ObsID", 1000 + (i / 3) as i64)
            .and_then(|r| r.set("CCD", format!("CCD{}", i % 3 + 1)))
            .and_then(|r| r.set("date", "190118D070000T"))
            .and_then(|r| r.set("test", "BIAS01"))
            .and_then(|r| r.set("egse_ver", "7.5.2"))
            .and_then(|r| r.set("OD_1_T", 26.0 + i as f64))
            .and_then(|r| r.set("vend", 2086))
            .expect("set");
        log.push(r).expect("push");
    }
    log.to_elvis_string()
}

#[test]
fn partial_last_line_loads_complete_rows_and_says_so() {
    let full = v75_text(6);
    let cut = full.len() - 120;
    let text = full.get(..cut).expect("cut");
    let l = parse_explog_str(text, "EXP_LOG_190118.txt", &LoadOptions::default()).expect("load");
    assert_eq!(l.log.len(), 5);
    assert!(l.report.partial_last_line);
    assert!(l.report.bad_rows.is_empty());
    assert!(
        l.report
            .warnings
            .iter()
            .any(|w| w.contains("line 7") && w.contains("incomplete"))
    );
    // Strict mode tolerates the partial line too: the file is simply still being written.
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    assert!(parse_explog_str(text, "x", &strict).is_ok());
}

#[test]
fn bad_rows_are_located_and_never_shift_the_others() {
    let text = v75_text(6);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 3 (second data row): OD_1_T not a number. Line 5: one field missing.
    if let Some(l) = lines.get_mut(2) {
        *l = l.replacen("\t27.0\t", "\t27,0\t", 1);
    }
    if let Some(l) = lines.get_mut(4) {
        let cut = l.find('\t').map_or(0, |i| i + 1);
        *l = l.get(cut..).unwrap_or("").to_string();
    }
    let text = lines.join("\n") + "\n";
    let l = parse_explog_str(&text, "EXP_LOG_bad.txt", &LoadOptions::default()).expect("load");
    assert_eq!(l.log.len(), 4);
    let issues: Vec<(usize, &str)> = l
        .report
        .bad_rows
        .iter()
        .map(|i| (i.line, i.column.as_str()))
        .collect();
    assert_eq!(issues, vec![(3, "OD_1_T"), (5, "-")]);
    assert!(
        l.report
            .bad_rows
            .get(1)
            .is_some_and(|i| i.message.contains("80 fields, expected 81"))
    );
    // The rows around the bad ones keep their own values.
    let od: Vec<f64> = l
        .log
        .rows()
        .iter()
        .filter_map(|r| r.get_f64("OD_1_T"))
        .collect();
    assert_eq!(od, vec![26.0, 28.0, 30.0, 31.0]);
    // Strict mode: a located error.
    let strict = LoadOptions {
        strict: true,
        ..LoadOptions::default()
    };
    match parse_explog_str(&text, "EXP_LOG_bad.txt", &strict) {
        Err(e @ Error::Row { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("EXP_LOG_bad.txt")
                    && msg.contains("line 3")
                    && msg.contains("OD_1_T")
                    && msg.contains("27,0"),
                "{msg}"
            );
        }
        other => panic!("expected a row error, got {other:?}"),
    }
}

#[test]
fn crlf_blank_lines_trailing_tabs_and_empty_cells() {
    let text = v75_text(3)
        .replace('\n', "\r\n")
        .replacen("\r\n", "\r\n\r\n   \r\n", 1)
        + "\t\t\r\n\r\n";
    let l = parse_explog_str(&text, "x", &LoadOptions::default()).expect("load");
    assert_eq!(l.log.len(), 3);
    assert!(l.report.bad_rows.is_empty());
    // Most numeric columns were never set: they are empty cells, reported per column.
    assert!(
        l.report
            .warnings
            .iter()
            .any(|w| w.contains("column exptime: 3 empty cell(s)"))
    );
    assert_eq!(
        l.log.rows().first().and_then(|r| r.get("exptime")),
        Some(&Value::Missing)
    );
}

#[test]
fn headerless_file_uses_the_given_or_detected_version() {
    let text = v75_text(3);
    let body: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let given = LoadOptions {
        elvis: Some(ElvisVersion::V7_5_X),
        strict: true,
    };
    let l = parse_explog_str(&body, "x", &given).expect("load");
    assert!(!l.report.header_used);
    assert_eq!(l.log.len(), 3);
    assert_eq!(l.report.version_source, VersionSource::Given);
    let l = parse_explog_str(&body, "x", &LoadOptions::default()).expect("load");
    assert_eq!(l.report.version, ElvisVersion::V7_5_X);
    assert_eq!(l.report.version_source, VersionSource::EgseVer);
    assert_eq!(
        l.log.rows().get(2).and_then(|r| r.get_f64("OD_1_T")),
        Some(28.0)
    );
}

#[test]
fn given_version_conflicting_with_header_is_reported() {
    let text = v75_text(3);
    let opts = LoadOptions {
        elvis: Some(ElvisVersion::V6_3_0),
        strict: false,
    };
    let l = parse_explog_str(&text, "x", &opts).expect("load");
    assert_eq!(l.report.version, ElvisVersion::V6_3_0);
    assert!(
        l.report
            .warnings
            .iter()
            .any(|w| w.contains("requested but the header matches"))
    );
    // The header is still used: cdpu_clk is kept as an extra column, nothing shifts.
    assert_eq!(
        l.log.rows().get(1).and_then(|r| r.get_f64("OD_1_T")),
        Some(27.0)
    );
}

#[test]
fn empty_missing_and_invalid_utf8_files() {
    assert!(matches!(
        parse_explog_str("", "e.txt", &LoadOptions::default()),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        parse_explog_str("\n \r\n", "e.txt", &LoadOptions::default()),
        Err(Error::Empty { .. })
    ));
    let missing = load_explog(
        std::path::Path::new("/nonexistent/EXP_LOG_010101.txt"),
        &LoadOptions::default(),
    );
    assert!(matches!(missing, Err(Error::Io { .. })));
    let mut bytes = v75_text(3).into_bytes();
    let at = bytes.len() - 5;
    if let Some(b) = bytes.get_mut(at) {
        *b = 0xff;
    }
    let l = parse_explog_bytes(&bytes, "x", &LoadOptions::default()).expect("load");
    assert!(l.report.warnings.iter().any(|w| w.contains("UTF-8")));
}

#[test]
fn byte_order_marks_and_utf16_read_like_plain_utf8() {
    let text = v75_text(6);
    let plain = parse_explog_bytes(
        text.as_bytes(),
        "EXP_LOG_190118.txt",
        &LoadOptions::default(),
    )
    .expect("plain");
    // A UTF-8 BOM (Windows editors) is dropped: same header, rows and version, no warning.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("EXP_LOG_190118.txt");
    std::fs::write(&p, &bom).expect("write");
    let l = load_explog(&p, &LoadOptions::default()).expect("BOM file loads");
    assert_eq!(l.log.len(), plain.log.len());
    assert_eq!(l.log.len(), 6);
    assert_eq!(l.report.version, plain.report.version);
    assert_eq!(l.report.version_source, plain.report.version_source);
    assert!(l.report.bad_rows.is_empty(), "{:?}", l.report.bad_rows);
    assert_eq!(l.report.warnings, plain.report.warnings);
    assert_eq!(l.log.rows()[5].obsid(), Some(1001));
    // The same through the text entry point.
    let s =
        parse_explog_str(&format!("\u{feff}{text}"), "x", &LoadOptions::default()).expect("str");
    assert_eq!((s.log.len(), s.report.bad_rows.len()), (6, 0));
    // UTF-16 with a BOM is decoded, and says so.
    let mut u16le = vec![0xFF, 0xFE];
    u16le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let w = parse_explog_bytes(&u16le, "x", &LoadOptions::default()).expect("utf-16");
    assert_eq!((w.log.len(), w.report.bad_rows.len()), (6, 0));
    assert!(w.report.warnings.iter().any(|x| x.contains("UTF-16")));
}
