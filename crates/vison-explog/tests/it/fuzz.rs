//! Property tests: the reader never panics, whatever the bytes.

use proptest::prelude::*;
use vison_explog::{ElvisVersion, LoadOptions, parse_explog_bytes, parse_explog_str};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = parse_explog_bytes(&bytes, "fuzz", &LoadOptions::default());
        let _ = parse_explog_bytes(&bytes, "fuzz", &LoadOptions { elvis: Some(ElvisVersion::V5_7_02), strict: true });
    }

    #[test]
    fn header_plus_junk_rows_never_panic(
        rows in proptest::collection::vec(
            proptest::collection::vec("[0-9A-Za-z .:_+-]{0,12}", 0..90), 0..8),
        version in 0usize..13,
    ) {
        let v = ElvisVersion::ALL.get(version).copied().unwrap_or_default();
        let mut text = v.explog_columns().join("\t");
        text.push('\n');
        for r in &rows {
            text.push_str(&r.join("\t"));
            text.push('\n');
        }
        let l = parse_explog_str(&text, "fuzz", &LoadOptions::default());
        prop_assert!(l.is_ok());
        if let Ok(l) = l {
            // Every data line is either loaded or reported, never lost.
            let data_lines = rows.iter().filter(|r| !r.join("\t").trim().is_empty()).count();
            prop_assert_eq!(l.log.len() + l.report.bad_rows.len(), data_lines);
            let _ = l.log.summary();
            let _ = l.log.to_elvis_string();
        }
    }
}
