//! Per-file synthesis (mean, std, min, max of every key) and per-exposure series.

use chrono::NaiveDateTime;

use crate::parse::HkFile;
use crate::readings::HkReadings;

/// Legacy sentinel values ignored by the synthesis: -246.86 (CCD temperatures), -273.27
/// (RPSU temperatures), -273.15 (video temperatures).
pub const SENTINELS: [f64; 3] = [-246.86, -273.27, -273.15];

/// True for a legacy sentinel value (any key).
pub fn is_sentinel(v: f64) -> bool {
    SENTINELS.iter().any(|s| (v - s).abs() < 1e-6)
}

/// Statistics of one key over a set of readings (NaN, sentinels excluded).
/// All four are NaN when no valid reading exists.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct KeyStats {
    /// Mean.
    pub mean: f64,
    /// Population standard deviation (numpy's default, ddof 0).
    pub std: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// Number of valid readings used.
    pub n: usize,
}

impl KeyStats {
    /// Statistics of `values`, ignoring NaN and sentinel values.
    pub fn of(values: &[f64]) -> Self {
        let mut n = 0usize;
        let mut sum = 0.0;
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        for &v in values {
            if v.is_nan() || is_sentinel(v) {
                continue;
            }
            n += 1;
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
        if n == 0 {
            return Self {
                mean: f64::NAN,
                std: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
                n: 0,
            };
        }
        let mean = sum / n as f64;
        let var = values
            .iter()
            .filter(|v| !v.is_nan() && !is_sentinel(**v))
            .map(|v| (v - mean) * (v - mean))
            .sum::<f64>()
            / n as f64;
        Self {
            mean,
            std: var.sqrt(),
            min,
            max,
            n,
        }
    }
}

/// Statistics of every key of a block of readings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HkSynthesis {
    /// Keys in column order.
    pub keys: Vec<String>,
    /// Statistics per key, aligned with `keys`.
    pub stats: Vec<KeyStats>,
    /// Number of readings.
    pub readings: usize,
}

impl HkSynthesis {
    /// Statistics of a key.
    pub fn get(&self, key: &str) -> Option<&KeyStats> {
        let k = key.trim();
        self.keys
            .iter()
            .position(|x| x == k)
            .and_then(|i| self.stats.get(i))
    }
}

impl HkReadings {
    /// Mean, std, min and max of every key (sentinels and NaN ignored).
    pub fn synthesize(&self) -> HkSynthesis {
        HkSynthesis {
            keys: self.keys.clone(),
            stats: self.columns.iter().map(|c| KeyStats::of(c)).collect(),
            readings: self.len(),
        }
    }
}

/// The synthesis of one file, placed in time.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HkExposureStats {
    /// File name.
    pub file: String,
    /// ObsID from the name of a per-exposure file.
    pub obsid: Option<i64>,
    /// Time of the file ([`HkFile::time`]).
    pub time: Option<NaiveDateTime>,
    /// Seconds since the first file of the series.
    pub seconds_since_first: Option<f64>,
    /// Statistics aligned with [`HkSeries::keys`] (NaN when the file lacks the key).
    pub stats: Vec<KeyStats>,
    /// Readings in the file.
    pub readings: usize,
}

/// Per-file statistics for a list of files, ordered by time (vison's (nfiles, 4, nkeys)).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HkSeries {
    /// Keys (union over the files, order of first appearance).
    pub keys: Vec<String>,
    /// One entry per file, ordered by time (files without time last, in input order).
    pub entries: Vec<HkExposureStats>,
}

/// Which statistic to extract from a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// Mean.
    Mean,
    /// Standard deviation.
    Std,
    /// Minimum.
    Min,
    /// Maximum.
    Max,
}

impl HkSeries {
    /// Synthesize each file and order the results by time.
    pub fn from_files(files: &[HkFile]) -> Self {
        let mut keys: Vec<String> = Vec::new();
        for f in files {
            for k in &f.readings.keys {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        let mut entries: Vec<HkExposureStats> = files
            .iter()
            .map(|f| {
                let s = f.readings.synthesize();
                let stats = keys
                    .iter()
                    .map(|k| s.get(k).copied().unwrap_or_else(|| KeyStats::of(&[])))
                    .collect();
                HkExposureStats {
                    file: f.file.clone(),
                    obsid: f.name.obsid(),
                    time: f.time(),
                    seconds_since_first: None,
                    stats,
                    readings: s.readings,
                }
            })
            .collect();
        entries.sort_by(|a, b| match (a.time, b.time) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        let t0 = entries.first().and_then(|e| e.time);
        for e in &mut entries {
            e.seconds_since_first = match (t0, e.time) {
                (Some(a), Some(b)) => Some((b - a).num_milliseconds() as f64 / 1000.0),
                _ => None,
            };
        }
        Self { keys, entries }
    }

    /// One statistic of a key for every file (`None` when the key is unknown).
    pub fn values(&self, key: &str, stat: Stat) -> Option<Vec<f64>> {
        let k = key.trim();
        let i = self.keys.iter().position(|x| x == k)?;
        Some(
            self.entries
                .iter()
                .map(|e| {
                    e.stats.get(i).map_or(f64::NAN, |s| match stat {
                        Stat::Mean => s.mean,
                        Stat::Std => s.std,
                        Stat::Min => s.min,
                        Stat::Max => s.max,
                    })
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_hand_computed_and_sentinels_ignored() {
        let s = KeyStats::of(&[1.0, 2.0, 3.0, 4.0, -246.86, f64::NAN]);
        assert_eq!(s.n, 4);
        assert!((s.mean - 2.5).abs() < 1e-12);
        assert!((s.std - 1.25f64.sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max), (1.0, 4.0));
        let e = KeyStats::of(&[-273.15, -273.27]);
        assert_eq!(e.n, 0);
        assert!(e.mean.is_nan());
    }
}
