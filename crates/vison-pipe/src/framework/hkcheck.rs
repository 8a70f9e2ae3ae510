//! House-keeping of a test (reference 3.5): per-exposure HK files read, synthesised, checked
//! against the safe absolute limits and against the commanded values (performance limits),
//! HK_OOL / CCDTEMP_OOL raised with the failing keys named.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vison_explog::{ElvisVersion, ExpLog};
use vison_hk::{
    CheckOn, HkFile, HkLimits, HkLoadOptions, HkSeries, Limit, LimitSet, PIPELINE_HK_KEYS, Verdict,
    check_abs, check_vs_command, load_hk,
};

use crate::framework::config::HkConfig;
use crate::framework::data::ExposureRef;
use crate::framework::flags::{Flag, Flags};

/// One failed HK check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HkViolation {
    /// HK key.
    pub key: String,
    /// ObsID of the exposure.
    pub obsid: Option<i64>,
    /// Value compared (HK, or HK minus command for relative limits).
    pub value: f64,
    /// Commanded value (relative checks).
    pub commanded: Option<f64>,
    /// Lower limit.
    pub lo: f64,
    /// Upper limit.
    pub hi: f64,
    /// `absolute` (safe limits) or `vs_command` (performance limits).
    pub check: String,
}

/// The mean of one HK key per exposure, for the time-series figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HkTrace {
    /// Seconds since the first HK file.
    pub t_s: Vec<f64>,
    /// Mean of the readings per exposure.
    pub mean: Vec<f64>,
    /// Safe lower limit (absolute keys).
    pub lo: Option<f64>,
    /// Safe upper limit (absolute keys).
    pub hi: Option<f64>,
}

/// HK state of a test.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HkSummary {
    /// True when the checks ran.
    pub checked: bool,
    /// HK files read.
    pub files: usize,
    /// Exposures without a readable HK file.
    pub missing_obsids: Vec<i64>,
    /// Checks made (passes included).
    pub n_checks: usize,
    /// Failed checks.
    pub violations: Vec<HkViolation>,
    /// Per-key series (pipeline keys only).
    pub series: BTreeMap<String, HkTrace>,
}

/// Reads and checks the HK of the exposures; raises HK_OOL / CCDTEMP_OOL / MISSDATA.
pub fn check_hk(
    exposures: &[ExposureRef],
    log: &ExpLog,
    version: ElvisVersion,
    cfg: &HkConfig,
    flags: &mut Flags,
) -> HkSummary {
    let mut out = HkSummary::default();
    if !cfg.enabled {
        return out;
    }
    let files = read_hk_files(exposures, version, &mut out, flags);
    out.files = files.len();
    let Some(limits) = HkLimits::for_version(version) else {
        tracing::warn!(%version, "no HK limits for this ELVIS version; HK not checked");
        return out;
    };
    let series = HkSeries::from_files(&files);
    let keys_owned: Vec<String> = cfg
        .keys
        .clone()
        .unwrap_or_else(|| PIPELINE_HK_KEYS.iter().map(|s| s.to_string()).collect());
    let keys: Vec<&str> = keys_owned.iter().map(String::as_str).collect();
    let on = if cfg.check_on == "extremes" {
        CheckOn::Extremes
    } else {
        CheckOn::Mean
    };
    let mut report = check_abs(&series, &limits, LimitSet::Safe, on, Some(&keys));
    let rel = check_vs_command(&series, log, &limits, on, Some(&keys));
    let n_abs = report.results.len();
    report.extend(rel);
    out.checked = true;
    out.n_checks = report.results.len();
    for (i, r) in report.results.iter().enumerate() {
        if r.verdict != Verdict::Fail {
            continue;
        }
        let (lo, hi) = r.limit.bounds();
        out.violations.push(HkViolation {
            key: r.key.clone(),
            obsid: r.obsid,
            value: r.value,
            commanded: r.commanded,
            lo,
            hi,
            check: if i < n_abs { "absolute" } else { "vs_command" }.into(),
        });
    }
    flag_violations(&out.violations, flags);
    out.series = traces(&series, &limits, &keys);
    out
}

/// The HK files of the exposures; exposures without a readable one are listed in `out` and
/// flagged MISSDATA.
fn read_hk_files(
    exposures: &[ExposureRef],
    version: ElvisVersion,
    out: &mut HkSummary,
    flags: &mut Flags,
) -> Vec<HkFile> {
    let opts = HkLoadOptions {
        elvis: Some(version),
        strict: false,
    };
    let mut files: Vec<HkFile> = Vec::new();
    for e in exposures {
        match e.hk_file.as_ref().map(|p| (p, load_hk(p, &opts))) {
            Some((_, Ok(f))) => files.push(f),
            Some((p, Err(err))) => {
                out.missing_obsids.push(e.obsid);
                flags.raise(
                    Flag::MISSDATA,
                    format!(
                        "ObsID {}: HK file {} unreadable: {err}",
                        e.obsid,
                        p.display()
                    ),
                );
            }
            None => {
                out.missing_obsids.push(e.obsid);
                flags.raise(
                    Flag::MISSDATA,
                    format!("ObsID {}: no HK file HK_{}_*.txt found", e.obsid, e.obsid),
                );
            }
        }
    }
    files
}

/// HK_OOL for every violation, CCDTEMP_OOL too for the CCD temperatures.
fn flag_violations(violations: &[HkViolation], flags: &mut Flags) {
    for v in violations {
        let what = match v.commanded {
            Some(c) => format!(
                "{} - commanded {c} = {:.3} V outside ({}, {})",
                v.key, v.value, v.lo, v.hi
            ),
            None => format!("{} = {:.3} outside ({}, {})", v.key, v.value, v.lo, v.hi),
        };
        let obs = v.obsid.map(|o| format!("ObsID {o}: ")).unwrap_or_default();
        flags.raise(Flag::HK_OOL, format!("{obs}{what}"));
        if v.key.starts_with("CCD") && v.key.contains("TEMP") {
            flags.raise(Flag::CCDTEMP_OOL, format!("{obs}{what}"));
        }
    }
}

/// Mean per exposure of each checked key against time, with its safe absolute limits.
fn traces(series: &HkSeries, limits: &HkLimits, keys: &[&str]) -> BTreeMap<String, HkTrace> {
    let t: Vec<f64> = series
        .entries
        .iter()
        .map(|e| e.seconds_since_first.unwrap_or(f64::NAN))
        .collect();
    let mut out = BTreeMap::new();
    for k in keys {
        let Some(mean) = series.values(k, vison_hk::Stat::Mean) else {
            continue;
        };
        let (lo, hi) = match limits.get(k, LimitSet::Safe) {
            Some(Limit::Absolute { lo, hi }) => (Some(lo), Some(hi)),
            _ => (None, None),
        };
        out.insert(
            k.to_string(),
            HkTrace {
                t_s: t.clone(),
                mean,
                lo,
                hi,
            },
        );
    }
    out
}
