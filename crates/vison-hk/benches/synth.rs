//! Parsing and synthesising the HK of 1,000 per-exposure files (71 readings each, 7.5.X keys).
#![allow(missing_docs)]

use chrono::{Duration, NaiveDate};
use vison_hk::{
    ElvisVersion, HkFormat, HkLoadOptions, HkReadings, HkSeries, hk_file_name, parse_hk_str,
};

fn files(n: usize) -> Vec<(String, String)> {
    let t0 = NaiveDate::from_ymd_opt(2018, 1, 19)
        .and_then(|d| d.and_hms_opt(7, 0, 0))
        .unwrap_or_default();
    (0..n)
        .filter_map(|i| {
            let mut r = HkReadings::for_version(ElvisVersion::V7_5_X)?;
            let t = t0 + Duration::seconds(75 * i as i64);
            let width = r.keys.len();
            for s in 0..71 {
                let vals: Vec<f64> = (0..width).map(|k| k as f64 + 0.01 * s as f64).collect();
                r.push(Some(t + Duration::seconds(s)), &vals).ok()?;
            }
            let text = r.to_hk_string(HkFormat::Table).ok()?;
            Some((hk_file_name(1000 + i as i64, t, 1), text))
        })
        .collect()
}

#[divan::bench(sample_count = 5)]
fn parse_and_synthesise_1000_files(bencher: divan::Bencher<'_, '_>) {
    let data = files(1000);
    bencher.bench(|| {
        let parsed: Vec<_> = data
            .iter()
            .filter_map(|(name, text)| parse_hk_str(text, name, &HkLoadOptions::default()).ok())
            .collect();
        HkSeries::from_files(&parsed).entries.len()
    });
}

fn main() {
    divan::main();
}
