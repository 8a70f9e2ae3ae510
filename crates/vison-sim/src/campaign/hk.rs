//! House-keeping files of the campaign, written through `vison-hk`: one file per exposure
//! (`HK_<ObsID>_<date>_ROE1.txt`, one reading per second) and the daily master file
//! (`HK_<dd-mm-yy>_ROE1.txt`) holding every reading of the day.
//!
//! Channel values: CCD temperatures from the exposure's temperatures (about -120 C); channels
//! with a commanded EXP_LOG column (`vison_hk::commanded_column`) read back that value with
//! 5 mV noise (before 6.3.0, which has no such table, the bias channels are matched by name:
//! `HK_OD_Top_CCD1` reads `OD_1_T` ...); every other channel sits mid-way in its performance
//! limits (identities exact); channels without limits (ELVIS before 6.3.0) read 0.

use std::path::Path;

use chrono::Duration;
use rayon::prelude::*;
use vison_hk::{HkFormat, HkLimits, HkReadings, Limit, LimitSet, commanded_column, is_pre_qm};

use super::CampaignConfig;
use super::files::foreign;
use super::plan::PlannedExposure;
use super::rng::{Stream, derived_rng};
use crate::Error;
use crate::effects::standard_normal;
use vison_testdefs::ScriptValue;

/// Offset added to the CCD1 top OD read-back by the `hk-ool` fault (V), far outside the
/// +/-0.2 V performance limits.
pub(crate) const OOL_OFFSET_V: f64 = 1.0;
/// Readings per exposure file (the reference generator writes 71 at 1 Hz).
const READINGS: usize = 71;

/// How a channel is synthesised.
#[derive(Debug, Clone, PartialEq)]
enum Channel {
    /// CCD temperature: CCD index 0..3, top.
    Temp(usize, bool),
    /// Commanded EXP_LOG column.
    Commanded(&'static str),
    /// Commanded script value (canonical key), for layouts without an HK-to-EXP_LOG table.
    Script(String),
    /// Constant with Gaussian noise sigma.
    Level(f64, f64),
}

/// Canonical script key commanding a bias channel of the pre-6.3.0 HK layouts
/// (`HK_OD_Top_CCD1`, `HK_RD_bot`, `HK_IG1_Bottom_CCD2`, `HK_IG2_top`, `HK_IDH` ...).
fn legacy_command(key: &str) -> Option<String> {
    let k = key.to_ascii_lowercase();
    let k = k.strip_prefix("hk_")?;
    let half = if k.contains("top") {
        "T"
    } else if k.contains("bot") {
        "B"
    } else {
        ""
    };
    let ccd = k
        .find("ccd")
        .and_then(|p| k[p + 3..].chars().next())
        .and_then(|c| c.to_digit(10));
    let name = k.split('_').next()?;
    match (name, half, ccd) {
        ("od", "T" | "B", Some(n @ 1..=3)) => Some(format!("OD_{n}_{half}")),
        ("rd", "T" | "B", _) => Some(format!("RD_{half}")),
        ("ig1", "T" | "B", Some(n @ 1..=3)) => Some(format!("IG1_{n}_{half}")),
        ("ig1", "T" | "B", None) => Some(format!("IG1_1_{half}")),
        ("ig2", "T" | "B", _) => Some(format!("IG2_{half}")),
        ("idh", "", _) => Some("IDH".into()),
        ("idl", "", _) => Some("IDL".into()),
        _ => None,
    }
}

/// CCD temperature channel of a key (`CCD2_TEMP_B`, `HK_temp_top_CCD1`, ...).
fn temp_channel(key: &str) -> Option<Channel> {
    let k = key.to_ascii_lowercase();
    if !k.contains("temp") || k.contains("pcb") || k.contains("rpsu") || k.contains("video") {
        return None;
    }
    let pos = k.find("ccd")?;
    let n = k[pos + 3..].chars().next()?.to_digit(10)?;
    if !(1..=3).contains(&n) {
        return None;
    }
    let top = k.ends_with("_t") || k.contains("top");
    Some(Channel::Temp(n as usize - 1, top))
}

fn channel_of(
    key: &str,
    version: vison_explog::ElvisVersion,
    limits: Option<&HkLimits>,
) -> Channel {
    if let Some(c) = temp_channel(key) {
        return c;
    }
    if let Some(col) = commanded_column(version, key) {
        return Channel::Commanded(col);
    }
    if limits.is_none()
        && let Some(canonical) = legacy_command(key)
    {
        return Channel::Script(canonical);
    }
    let limit = limits.and_then(|l| {
        l.get(key, LimitSet::Performance)
            .filter(|p| !matches!(p, Limit::Relative { .. }))
            .or_else(|| l.get(key, LimitSet::Safe))
    });
    match limit {
        Some(Limit::Absolute { lo, hi }) => Channel::Level(0.5 * (lo + hi), (hi - lo) / 100.0),
        Some(Limit::Identity(v)) => Channel::Level(v, 0.0),
        Some(Limit::Relative { .. }) | None => Channel::Level(0.0, 0.0),
    }
}

/// Writes the per-exposure HK files and the daily master file. `temps[i][ccd][top, bottom]`
/// are the CCD temperatures of exposure `i`; `ool` is the index of the exposure that gets the
/// `hk-ool` fault.
pub(crate) fn write_hk(
    day_dir: &Path,
    cfg: &CampaignConfig,
    version: vison_explog::ElvisVersion,
    exposures: &[PlannedExposure],
    temps: &[[[f64; 2]; 3]],
    ool: Option<usize>,
) -> Result<(), Error> {
    let Some(template) = HkReadings::for_version(version) else {
        return Err(Error::ElvisVersion(cfg.elvis.as_str().into()));
    };
    let limits = HkLimits::for_version(version);
    let channels: Vec<Channel> = template
        .keys
        .iter()
        .map(|k| channel_of(k, version, limits.as_ref()))
        .collect();
    let ool_key = template
        .keys
        .iter()
        .position(|k| commanded_column(version, k) == Some("OD_1_T"))
        .or_else(|| {
            template.keys.iter().position(|k| {
                let k = k.to_ascii_lowercase();
                k.contains("od") && k.contains("ccd1") && k.contains("top")
            })
        });
    let format = if is_pre_qm(version) {
        HkFormat::KeyPerLine
    } else {
        HkFormat::Table
    };
    let one = |(i, exp): (usize, &PlannedExposure)| -> Result<HkReadings, Error> {
        let mut rng = derived_rng(cfg.seed, Stream::Hk, exp.obsid, 0, 0);
        let t = temps.get(i).copied().unwrap_or([[-120.0; 2]; 3]);
        let mut readings = template.clone();
        let mut values = vec![0.0; channels.len()];
        for r in 0..READINGS {
            for (k, (v, ch)) in values.iter_mut().zip(&channels).enumerate() {
                *v = match ch {
                    &Channel::Temp(c, top) => {
                        t[c][usize::from(!top)] + 0.02 * standard_normal(&mut rng)
                    }
                    Channel::Script(key) => {
                        let cmd = exp
                            .values
                            .get(key)
                            .and_then(ScriptValue::as_f64)
                            .unwrap_or(0.0);
                        cmd + 0.005 * standard_normal(&mut rng)
                    }
                    Channel::Commanded(col) => {
                        let cmd = exp
                            .explog
                            .get(*col)
                            .and_then(ScriptValue::as_f64)
                            .unwrap_or(0.0);
                        cmd + 0.005 * standard_normal(&mut rng)
                    }
                    &Channel::Level(m, s) if s > 0.0 => m + s * standard_normal(&mut rng),
                    &Channel::Level(m, _) => m,
                };
                if ool == Some(i) && ool_key == Some(k) {
                    *v += OOL_OFFSET_V;
                }
                *v = (*v * 1000.0).round() / 1000.0;
            }
            let time = exp.start + Duration::seconds(r as i64);
            readings
                .push(Some(time), &values)
                .map_err(|e| foreign(day_dir, e))?;
        }
        let path = day_dir.join(vison_explog::hk_file_name(exp.obsid as i64, exp.start, 1));
        readings
            .write(&path, format)
            .map_err(|e| foreign(&path, e))?;
        Ok(readings)
    };
    let blocks = exposures
        .par_iter()
        .enumerate()
        .map(one)
        .collect::<Result<Vec<_>, Error>>()?;
    let master = HkReadings::concat(&blocks);
    let path = day_dir.join(vison_explog::hk_master_file_name(cfg.start.date(), 1, None));
    master.write(&path, format).map_err(|e| foreign(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_bias_channels_map_to_script_keys() {
        assert_eq!(legacy_command("HK_OD_Top_CCD1").as_deref(), Some("OD_1_T"));
        assert_eq!(
            legacy_command("HK_OD_Bottom_CCD3").as_deref(),
            Some("OD_3_B")
        );
        assert_eq!(legacy_command("HK_RD_bot").as_deref(), Some("RD_B"));
        assert_eq!(legacy_command("HK_RD_Top_CCD2").as_deref(), Some("RD_T"));
        assert_eq!(
            legacy_command("HK_IG1_Bottom_CCD2").as_deref(),
            Some("IG1_2_B")
        );
        assert_eq!(legacy_command("HK_IG1_top").as_deref(), Some("IG1_1_T"));
        assert_eq!(legacy_command("HK_IG2_bot").as_deref(), Some("IG2_B"));
        assert_eq!(legacy_command("HK_IDH").as_deref(), Some("IDH"));
        assert_eq!(legacy_command("HK_IDL").as_deref(), Some("IDL"));
        assert_eq!(legacy_command("HK_DD_bias"), None);
        assert_eq!(legacy_command("CCD1_OD_T"), None);
    }

    #[test]
    fn temperature_keys_of_all_layouts_are_recognised() {
        assert_eq!(temp_channel("CCD2_TEMP_B"), Some(Channel::Temp(1, false)));
        assert_eq!(temp_channel("CCD3_TEMP_T"), Some(Channel::Temp(2, true)));
        assert_eq!(
            temp_channel("HK_temp_top_CCD1"),
            Some(Channel::Temp(0, true))
        );
        assert_eq!(
            temp_channel("HK_temp_bottom_CCD3"),
            Some(Channel::Temp(2, false))
        );
        assert_eq!(temp_channel("VID_PCB_TEMP_T"), None);
        assert_eq!(temp_channel("RPSU_TEMP1"), None);
    }
}
