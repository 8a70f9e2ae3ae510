//! HK checks: every key against its limits, and HK voltages against the commanded values.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use vison_explog::ExpLog;

use crate::keys::commanded_column;
use crate::limits::{HkLimits, Limit, LimitSet};
use crate::synth::{HkSeries, KeyStats};

/// Which per-exposure statistic is compared with the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOn {
    /// The mean of the readings (what vison compares).
    Mean,
    /// Every reading: the minimum and maximum must both pass (stricter, catches spikes).
    #[default]
    Extremes,
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within limits.
    Pass,
    /// Out of limits.
    Fail,
    /// No valid reading of the key in this exposure.
    NoData,
    /// No commanded value in the exposure log (exposure or column absent).
    NoCommand,
}

/// One key of one exposure checked against one limit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckResult {
    /// HK key.
    pub key: String,
    /// HK file of the exposure.
    pub file: String,
    /// ObsID (per-exposure files).
    pub obsid: Option<i64>,
    /// Time of the exposure.
    pub time: Option<NaiveDateTime>,
    /// Value compared: the HK value, or HK minus command for relative limits (the worst
    /// extreme in [`CheckOn::Extremes`] mode when failing).
    pub value: f64,
    /// Commanded value (relative checks).
    pub commanded: Option<f64>,
    /// Limit applied.
    pub limit: Limit,
    /// Outcome.
    pub verdict: Verdict,
}

impl CheckResult {
    /// True for CCD temperature keys (`CCDn_TEMP_T/B`), which raise `CCDTEMP_OOL`.
    pub fn is_ccd_temperature(&self) -> bool {
        let k = self.key.to_ascii_uppercase();
        k.starts_with("CCD") && k.contains("TEMP")
    }
}

/// Results of a check, ready to become pipeline flags.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct CheckReport {
    /// Every result (passes included).
    pub results: Vec<CheckResult>,
}

impl CheckReport {
    /// Results that failed.
    pub fn violations(&self) -> Vec<&CheckResult> {
        self.results
            .iter()
            .filter(|r| r.verdict == Verdict::Fail)
            .collect()
    }

    /// True when nothing failed.
    pub fn all_passed(&self) -> bool {
        self.results.iter().all(|r| r.verdict != Verdict::Fail)
    }

    /// Flags raised: `HK_OOL` on any failure, `CCDTEMP_OOL` when a CCD temperature failed.
    pub fn flags(&self) -> Vec<&'static str> {
        let v = self.violations();
        let mut out = Vec::new();
        if !v.is_empty() {
            out.push("HK_OOL");
        }
        if v.iter().any(|r| r.is_ccd_temperature()) {
            out.push("CCDTEMP_OOL");
        }
        out
    }

    /// Append the results of another report.
    pub fn extend(&mut self, other: CheckReport) {
        self.results.extend(other.results);
    }
}

/// Compare (value, or extremes) with a range/identity; returns (value shown, passed).
fn judge(stats: &KeyStats, offset: f64, limit: &Limit, on: CheckOn) -> (f64, bool) {
    let mean = stats.mean - offset;
    match on {
        CheckOn::Mean => (mean, limit.accepts(mean)),
        CheckOn::Extremes => {
            let (lo, hi) = (stats.min - offset, stats.max - offset);
            if !limit.accepts(lo) {
                (lo, false)
            } else if !limit.accepts(hi) {
                (hi, false)
            } else {
                (mean, true)
            }
        }
    }
}

fn selected<'a>(series: &'a HkSeries, keys: Option<&'a [&'a str]>) -> Vec<(usize, &'a str)> {
    series
        .keys
        .iter()
        .enumerate()
        .filter(|(_, k)| keys.is_none_or(|ks| ks.contains(&k.as_str())))
        .map(|(i, k)| (i, k.as_str()))
        .collect()
}

/// Check every key (or only `keys`) of every exposure against the absolute and identity
/// limits of `set` (vison's `check_HK_abs`). Keys with relative limits, or without limits,
/// are not checked here (see [`check_vs_command`]).
pub fn check_abs(
    series: &HkSeries,
    limits: &HkLimits,
    set: LimitSet,
    on: CheckOn,
    keys: Option<&[&str]>,
) -> CheckReport {
    let mut results = Vec::new();
    for (i, key) in selected(series, keys) {
        let Some(limit) = limits.get(key, set) else {
            continue;
        };
        if matches!(limit, Limit::Relative { .. }) {
            continue;
        }
        for e in &series.entries {
            let Some(stats) = e.stats.get(i) else {
                continue;
            };
            let (value, verdict) = if stats.n == 0 {
                (f64::NAN, Verdict::NoData)
            } else {
                let (v, ok) = judge(stats, 0.0, &limit, on);
                (v, if ok { Verdict::Pass } else { Verdict::Fail })
            };
            results.push(CheckResult {
                key: key.to_string(),
                file: e.file.clone(),
                obsid: e.obsid,
                time: e.time,
                value,
                commanded: None,
                limit,
                verdict,
            });
        }
    }
    CheckReport { results }
}

/// Check HK voltages against the values commanded in the exposure log (vison's
/// `check_HK_vs_command`): for every key with a commanded column (CCDn_OD_T -> OD_n_T, ...,
/// CCD2_IG1_B -> IG1_2_B, FPGA_BIAS_ID1 -> IDH) and a relative performance limit
/// (+-0.2 V), HK minus command must lie strictly inside the limit. Exposures are matched by
/// ObsID; files without an ObsID in their name are skipped.
pub fn check_vs_command(
    series: &HkSeries,
    explog: &ExpLog,
    limits: &HkLimits,
    on: CheckOn,
    keys: Option<&[&str]>,
) -> CheckReport {
    let mut by_obsid: HashMap<i64, usize> = HashMap::new();
    for (i, r) in explog.rows().iter().enumerate() {
        if let Some(o) = r.obsid() {
            by_obsid.entry(o).or_insert(i);
        }
    }
    let mut results = Vec::new();
    for (i, key) in selected(series, keys) {
        let Some(column) = commanded_column(limits.version, key) else {
            continue;
        };
        let Some(limit @ Limit::Relative { .. }) = limits.get(key, LimitSet::Performance) else {
            continue;
        };
        for e in &series.entries {
            let Some(obsid) = e.obsid else { continue };
            let Some(stats) = e.stats.get(i) else {
                continue;
            };
            let commanded = by_obsid
                .get(&obsid)
                .and_then(|&r| explog.rows().get(r))
                .and_then(|r| r.get_f64(column));
            let (value, verdict) = match commanded {
                None => (stats.mean, Verdict::NoCommand),
                Some(_) if stats.n == 0 => (f64::NAN, Verdict::NoData),
                Some(c) => {
                    let (v, ok) = judge(stats, c, &limit, on);
                    (v, if ok { Verdict::Pass } else { Verdict::Fail })
                }
            };
            results.push(CheckResult {
                key: key.to_string(),
                file: e.file.clone(),
                obsid: Some(obsid),
                time: e.time,
                value,
                commanded,
                limit,
                verdict,
            });
        }
    }
    CheckReport { results }
}
