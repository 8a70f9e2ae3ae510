//! Loading speed of a merged campaign log (100,000 rows, ELVIS 7.5.X, every cell filled).
#![allow(missing_docs)]

use vison_explog::{
    ColType, ElvisVersion, ExpLog, ExpLogRow, LoadOptions, Schema, Value, parse_explog_str,
};

fn cell(name: &str, ty: ColType, i: usize) -> Value {
    let obsid = 1000 + (i / 3) as i64;
    match name {
        "ObsID" => Value::Int(obsid),
        "File_name" => Value::Str(format!("EUC_{obsid}_190118D070000T_ROE1_CCD{}", i % 3 + 1)),
        "CCD" => Value::Str(format!("CCD{}", i % 3 + 1)),
        "ROE" => Value::Str("ROE1".into()),
        "date" => Value::Str("190118D070000T".into()),
        "test" => Value::Str(format!("TEST{:02}", i / 3000)),
        "egse_ver" => Value::Str("7.5.X".into()),
        _ => match ty {
            ColType::Int => Value::Int((i % 4096) as i64),
            ColType::Float => Value::Float(0.125 * (i % 977) as f64 - 3.5),
            ColType::Str => Value::Str(format!("{name}_{}", i % 7)),
        },
    }
}

fn campaign_text(rows: usize) -> String {
    let schema = Schema::for_version(ElvisVersion::V7_5_X);
    let mut log = ExpLog::new(schema.clone());
    for i in 0..rows {
        let values = schema
            .columns()
            .iter()
            .map(|c| cell(&c.name, c.ty, i))
            .collect();
        if let Ok(r) = ExpLogRow::from_values(schema.clone(), values)
            && log.push(r).is_ok()
        {
            continue;
        }
    }
    log.to_elvis_string()
}

#[divan::bench(sample_count = 20)]
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
