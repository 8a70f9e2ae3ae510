//! Splitting a daily master HK file into per-exposure blocks with the exposure log.

use vison_explog::{ExpLog, FrameName};

use crate::parse::{HkFile, HkName};
use crate::readings::HkReadings;

/// Split the readings of an HK file (typically a daily master file) by exposure: each
/// reading goes to the exposure of the log that started last at or before its time stamp
/// (readings before the first exposure or without a time stamp are left out). Returns one
/// per-exposure [`HkFile`] per exposure that received readings, in time order, named
/// `<file>#<ObsID>`, and the number of readings left out.
pub fn split_by_exposure(file: &HkFile, explog: &ExpLog) -> (Vec<HkFile>, usize) {
    let roe = match file.name {
        HkName::Master(m) => m.roe,
        HkName::PerExposure(f) => f.roe,
        HkName::Other => 1,
    };
    let mut starts: Vec<(chrono::NaiveDateTime, i64)> = explog
        .exposures()
        .iter()
        .filter_map(|e| {
            let row = explog.rows().get(e.first_row()?)?;
            Some((row.datetime()?, e.obsid))
        })
        .collect();
    starts.sort();
    let r = &file.readings;
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); starts.len()];
    let mut left_out = 0usize;
    for (i, t) in r.times.iter().enumerate() {
        let slot = t.and_then(|t| starts.partition_point(|(s, _)| *s <= t).checked_sub(1));
        match slot.and_then(|k| groups.get_mut(k)) {
            Some(g) => g.push(i),
            None => left_out += 1,
        }
    }
    let mut out = Vec::new();
    for ((start, obsid), idx) in starts.iter().zip(groups) {
        if idx.is_empty() {
            continue;
        }
        let readings = HkReadings {
            time_column: r.time_column.clone(),
            keys: r.keys.clone(),
            times: idx
                .iter()
                .filter_map(|&i| r.times.get(i).copied())
                .collect(),
            columns: r
                .columns
                .iter()
                .map(|c| {
                    idx.iter()
                        .map(|&i| c.get(i).copied().unwrap_or(f64::NAN))
                        .collect()
                })
                .collect(),
        };
        out.push(HkFile {
            file: format!("{}#{obsid}", file.file),
            name: HkName::PerExposure(FrameName {
                obsid: *obsid,
                datetime: *start,
                roe,
                ccd: None,
            }),
            format: file.format,
            readings,
            bad_rows: Vec::new(),
            partial_last_line: false,
            warnings: Vec::new(),
        });
    }
    (out, left_out)
}
