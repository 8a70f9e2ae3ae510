//! Property tests: the HK reader never panics, whatever the bytes.

use proptest::prelude::*;
use vison_hk::{ElvisVersion, HkLoadOptions, HkSeries, hk_keys, parse_hk_bytes, parse_hk_str};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = parse_hk_bytes(&bytes, "HK_1_010118D000000T_ROE1.txt", &HkLoadOptions::default());
        let strict = HkLoadOptions { elvis: Some(ElvisVersion::V6_3_0), strict: true };
        let _ = parse_hk_bytes(&bytes, "fuzz", &strict);
    }

    #[test]
    fn header_plus_junk_rows_never_panic(
        rows in proptest::collection::vec(
            proptest::collection::vec("[0-9A-Fa-f .:_x#-]{0,10}", 0..90), 0..8),
    ) {
        let mut text = String::from("TimeStamp");
        for k in hk_keys(ElvisVersion::V7_5_X).unwrap_or(&[]) {
            text.push('\t');
            text.push_str(k);
        }
        text.push_str("\r\n");
        for r in &rows {
            text.push_str(&r.join("\t"));
            text.push_str("\r\n");
        }
        let f = parse_hk_str(&text, "fuzz", &HkLoadOptions::default());
        prop_assert!(f.is_ok());
        if let Ok(f) = f {
            let _ = f.readings.synthesize();
            let _ = HkSeries::from_files(std::slice::from_ref(&f));
        }
    }
}
