//! Loading speed of a merged campaign log (100,000 rows, ELVIS 7.5.X).
#![allow(missing_docs)]

use vison_explog::{ElvisVersion, ExpLog, ExpLogRow, LoadOptions, Schema, parse_explog_str};

fn campaign_text(rows: usize) -> String {
    let schema = Schema::for_version(ElvisVersion::V7_5_X);
    let mut log = ExpLog::new(schema.clone());
    for i in 0..rows {
        let mut r = ExpLogRow::new(schema.clone());
        let obsid = 1000 + (i / 3) as i64;
        let filled = r
            .set("ObsID", obsid)
            .and_then(|r| {
                r.set(
                    "File_name",
                    format!("EUC_{obsid}_190118D070000T_ROE1_CCD{}", i % 3 + 1),
                )
            })
            .and_then(|r| r.set("CCD", format!("CCD{}", i % 3 + 1)))
            .and_then(|r| r.set("ROE", "ROE1"))
            .and_then(|r| r.set("date", "190118D070000T"))
            .and_then(|r| r.set("test", "PTC01"))
            .and_then(|r| r.set("exptime", 1.5))
            .and_then(|r| r.set("egse_ver", "7.5.X"))
            .and_then(|r| r.set("IG1_1_T", 6.0))
            .and_then(|r| r.set("vend", 2086));
        if filled.is_ok() && log.push(r).is_ok() {
            continue;
        }
    }
    log.to_elvis_string()
}

#[divan::bench]
fn load_100k_rows(bencher: divan::Bencher<'_, '_>) {
    let text = campaign_text(100_000);
    bencher.bench(|| {
        parse_explog_str(divan::black_box(&text), "bench", &LoadOptions::default())
            .map(|l| l.log.len())
            .unwrap_or(0)
    });
}

fn main() {
    divan::main();
}
