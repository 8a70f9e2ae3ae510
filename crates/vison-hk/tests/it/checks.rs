//! Limit checks and commanded-vs-HK checks on injected truths.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use vison_explog::{ExpLog, ExpLogRow, Schema};
use vison_hk::{
    CheckOn, ElvisVersion, HkFile, HkFormat, HkLimits, HkLoadOptions, HkReadings, HkSeries, Limit,
    LimitSet, Verdict, check_abs, check_vs_command, commanded_column, hk_file_name, parse_hk_str,
};

const V: ElvisVersion = ElvisVersion::V7_5_X;

fn t0() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2018, 1, 19)
        .and_then(|d| d.and_hms_opt(7, 0, 0))
        .expect("date")
}

/// Commanded voltages: the top and bottom IG1 of CCD2/CCD3 differ on purpose.
fn commanded(col: &str) -> f64 {
    match col {
        "OD_1_T" | "OD_2_T" | "OD_3_T" | "OD_1_B" | "OD_2_B" | "OD_3_B" => 26.0,
        "RD_T" | "RD_B" => 16.0,
        "IG1_1_T" | "IG1_1_B" | "IG1_2_B" => 6.0,
        "IG1_2_T" => 7.0,
        "IG1_3_T" => 7.5,
        "IG1_3_B" => 5.5,
        "IG2_T" | "IG2_B" => 2.0,
        "IDH" => 18.0,
        "IDL" => 13.0,
        other => panic!("no command for {other}"),
    }
}

fn explog() -> ExpLog {
    let schema = Schema::for_version(V);
    let mut log = ExpLog::new(schema.clone());
    for obsid in [1000, 1001] {
        for ccd in 1..=3 {
            let mut r = ExpLogRow::new(schema.clone());
            r.set("ObsID", obsid).expect("obsid");
            r.set("CCD", format!("CCD{ccd}")).expect("ccd");
            for c in [
                "OD_1_T", "OD_2_T", "OD_3_T", "OD_1_B", "OD_2_B", "OD_3_B", "RD_T", "RD_B",
                "IG1_1_T", "IG1_2_T", "IG1_3_T", "IG1_1_B", "IG1_2_B", "IG1_3_B", "IG2_T", "IG2_B",
                "IDH", "IDL",
            ] {
                r.set(c, commanded(c)).expect("voltage");
            }
            log.push(r).expect("push");
        }
    }
    log
}

/// Nominal readings: commanded + 0.05 V for commanded keys, mid-safe-range otherwise.
fn nominal(limits: &HkLimits, obsid: i64, start: NaiveDateTime, n: usize) -> HkFile {
    let mut r = HkReadings::for_version(V).expect("keys");
    let keys = r.keys.clone();
    let base: Vec<f64> = keys
        .iter()
        .map(|k| match commanded_column(V, k) {
            Some(c) => commanded(c) + 0.05,
            None => match limits.get(k, LimitSet::Safe) {
                Some(Limit::Identity(v)) => v,
                Some(l) => {
                    let (lo, hi) = l.bounds();
                    0.5 * (lo + hi)
                }
                None => 0.0,
            },
        })
        .collect();
    for s in 0..n {
        r.push(Some(start + Duration::seconds(s as i64)), &base)
            .expect("push");
    }
    let name = hk_file_name(obsid, start, 1);
    let text = r.to_hk_string(HkFormat::Table).expect("text");
    parse_hk_str(
        &text,
        &name,
        &HkLoadOptions {
            elvis: Some(V),
            strict: true,
        },
    )
    .expect("parse")
}

fn set(f: &mut HkFile, key: &str, reading: usize, v: f64) {
    let col = f.readings.get_mut(key).expect("key");
    if let Some(x) = col.get_mut(reading) {
        *x = v;
    }
}

#[test]
fn check_abs_finds_exactly_the_injected_excursions() {
    let limits = HkLimits::for_version(V).expect("limits");
    let mut a = nominal(&limits, 1000, t0(), 71);
    let mut b = nominal(&limits, 1001, t0() + Duration::seconds(75), 71);
    set(&mut a, "SPW_STATUS_REG", 10, 12190.0);
    set(&mut b, "CCD1_TEMP_T", 30, -140.0);
    let series = HkSeries::from_files(&[b, a]);

    let report = check_abs(&series, &limits, LimitSet::Safe, CheckOn::Extremes, None);
    let fails: Vec<(&str, Option<i64>, f64)> = report
        .violations()
        .iter()
        .map(|r| (r.key.as_str(), r.obsid, r.value))
        .collect();
    assert_eq!(
        fails,
        vec![
            ("CCD1_TEMP_T", Some(1001), -140.0),
            ("SPW_STATUS_REG", Some(1000), 12190.0)
        ]
    );
    assert_eq!(report.flags(), vec!["HK_OOL", "CCDTEMP_OOL"]);
    let spw = report
        .violations()
        .into_iter()
        .find(|r| r.key == "SPW_STATUS_REG")
        .map(|r| r.limit);
    assert_eq!(spw, Some(Limit::Identity(12192.0)));
    // Relative keys are not checked absolutely; everything else once per exposure.
    let n_abs = limits
        .entries
        .iter()
        .filter(|(_, _, s)| !matches!(s, Limit::Relative { .. }))
        .count();
    assert_eq!(report.results.len(), 2 * n_abs);

    // On the means (vison's rule) the single temperature spike is diluted and passes, the
    // status register mean 12191.97 still fails.
    let means = check_abs(&series, &limits, LimitSet::Safe, CheckOn::Mean, None);
    let keys: Vec<&str> = means.violations().iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, vec!["SPW_STATUS_REG"]);
    assert_eq!(means.flags(), vec!["HK_OOL"]);

    // Performance limits: CCD temperatures must be within -121..-119, mid-safe -49 is not.
    let perf = check_abs(
        &series,
        &limits,
        LimitSet::Performance,
        CheckOn::Mean,
        Some(&["CCD2_TEMP_B"]),
    );
    assert_eq!(perf.results.len(), 2);
    assert!(
        perf.results
            .iter()
            .all(|r| r.verdict == Verdict::Fail && (r.value + 49.0).abs() < 1e-9)
    );
}

#[test]
fn check_vs_command_uses_the_bottom_ig1_and_the_tolerance() {
    let limits = HkLimits::for_version(V).expect("limits");
    let log = explog();
    let a = nominal(&limits, 1000, t0(), 20);
    let mut b = nominal(&limits, 1001, t0() + Duration::seconds(75), 20);
    for i in 0..20 {
        set(&mut b, "CCD2_OD_B", i, 26.3);
    }
    // A file whose ObsID is not in the log, and a master file without ObsID.
    let c = nominal(&limits, 1005, t0() + Duration::seconds(150), 5);
    let mut m = nominal(&limits, 0, t0() + Duration::seconds(300), 5);
    m.name = vison_hk::HkName::Other;
    let series = HkSeries::from_files(&[a, b, c, m]);
    let report = check_vs_command(&series, &log, &limits, CheckOn::Mean, None);

    let fails = report.violations();
    assert_eq!(fails.len(), 1, "{fails:?}");
    let f = fails.first().expect("one failure");
    assert_eq!(
        (f.key.as_str(), f.obsid, f.commanded),
        ("CCD2_OD_B", Some(1001), Some(26.0))
    );
    assert!((f.value - 0.3).abs() < 1e-9);
    assert_eq!(f.limit, Limit::Relative { lo: -0.2, hi: 0.2 });
    assert_eq!(report.flags(), vec!["HK_OOL"]);

    // CCD2/CCD3 bottom IG1 compared with IG1_2_B / IG1_3_B (6.0 / 5.5), not the top values.
    for key in ["CCD2_IG1_B", "CCD3_IG1_B"] {
        let r = report
            .results
            .iter()
            .find(|r| r.key == key && r.obsid == Some(1000))
            .expect("result");
        assert_eq!(r.verdict, Verdict::Pass, "{key}");
        assert!((r.value - 0.05).abs() < 1e-9, "{key}: {}", r.value);
    }
    let bottom3 = report
        .results
        .iter()
        .find(|r| r.key == "CCD3_IG1_B")
        .and_then(|r| r.commanded);
    assert_eq!(bottom3, Some(5.5));
    // 18 commanded keys x 2 exposures in the log, plus 18 "no command" for ObsID 1005.
    let per_verdict = |v: Verdict| report.results.iter().filter(|r| r.verdict == v).count();
    assert_eq!(per_verdict(Verdict::Pass) + per_verdict(Verdict::Fail), 36);
    assert_eq!(per_verdict(Verdict::NoCommand), 18);
    assert!(report.results.iter().all(|r| r.obsid.is_some()));
}

#[test]
fn master_file_split_by_exposure_then_checked() {
    let limits = HkLimits::for_version(V).expect("limits");
    let mut log = explog();
    // Exposure start times: 1000 at t0, 1001 at t0 + 75 s.
    let schema = log.schema().clone();
    let mut timed = ExpLog::new(schema);
    for r in log.rows() {
        let mut r = r.clone();
        let t = if r.obsid() == Some(1000) {
            "190118D070000T"
        } else {
            "190118D070115T"
        };
        r.set("date", t).expect("date");
        timed.push(r).expect("push");
    }
    log = timed;
    // A master file: 3 readings before the first exposure, then 150 s of readings.
    let a = nominal(&limits, 1000, t0() - Duration::seconds(3), 153);
    let mut master = a.clone();
    master.name = vison_hk::HkName::Other;
    master.file = "HK_19-01-18_ROE1_01.txt".into();
    // The OD of CCD1 drifts by +0.5 V after the second exposure starts.
    let times = master.readings.times.clone();
    if let Some(col) = master.readings.get_mut("CCD1_OD_T") {
        for (v, t) in col.iter_mut().zip(&times) {
            if t.is_some_and(|t| t >= t0() + Duration::seconds(75)) {
                *v += 0.5;
            }
        }
    }
    let (parts, left_out) = vison_hk::split_by_exposure(&master, &log);
    assert_eq!(left_out, 3);
    let sizes: Vec<(Option<i64>, usize)> = parts
        .iter()
        .map(|p| (p.name.obsid(), p.readings.len()))
        .collect();
    assert_eq!(sizes, vec![(Some(1000), 75), (Some(1001), 75)]);
    let series = HkSeries::from_files(&parts);
    let report = check_vs_command(&series, &log, &limits, CheckOn::Mean, None);
    let fails: Vec<(&str, Option<i64>)> = report
        .violations()
        .iter()
        .map(|r| (r.key.as_str(), r.obsid))
        .collect();
    assert_eq!(fails, vec![("CCD1_OD_T", Some(1001))]);
}
