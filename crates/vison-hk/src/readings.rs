//! HK readings: time stamps and one column of values per key.

use chrono::NaiveDateTime;
use vison_explog::ElvisVersion;

use crate::error::{Error, Result};
use crate::keys::{TIME_COLUMN, hk_keys};

/// A block of HK readings (one per-exposure file, a master file, or any concatenation):
/// a time stamp per reading and, for every key, one value per reading.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct HkReadings {
    /// Name of the time-stamp column (`TimeStamp`; `HK_timestamp` in early files).
    pub time_column: String,
    /// Key names in column order (trimmed).
    pub keys: Vec<String>,
    /// Time stamp of each reading (`None` when absent or unreadable).
    pub times: Vec<Option<NaiveDateTime>>,
    /// `columns[k][i]`: value of key `k` at reading `i` (NaN for empty cells).
    pub columns: Vec<Vec<f64>>,
}

pub(crate) fn normalize_key(key: &str) -> String {
    key.trim().to_ascii_lowercase()
}

impl HkReadings {
    /// No readings, the given keys, time column `TimeStamp`.
    pub fn new(keys: Vec<String>) -> Self {
        let n = keys.len();
        Self {
            time_column: TIME_COLUMN.to_string(),
            keys,
            times: Vec::new(),
            columns: vec![Vec::new(); n],
        }
    }

    /// No readings, the key list of an ELVIS version (`None` for FPA).
    pub fn for_version(version: ElvisVersion) -> Option<Self> {
        hk_keys(version).map(|k| Self::new(k.iter().map(|s| (*s).to_string()).collect()))
    }

    /// Append one reading; `values` in key order.
    ///
    /// # Errors
    /// [`Error::ReadingWidth`] when the count differs from the number of keys.
    pub fn push(&mut self, time: Option<NaiveDateTime>, values: &[f64]) -> Result<()> {
        if values.len() != self.keys.len() {
            return Err(Error::ReadingWidth {
                expected: self.keys.len(),
                got: values.len(),
            });
        }
        self.times.push(time);
        for (c, v) in self.columns.iter_mut().zip(values) {
            c.push(*v);
        }
        Ok(())
    }

    /// Number of readings.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True without readings.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Column index of a key (exact, then ignoring padding and case).
    pub fn key_index(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| k == key).or_else(|| {
            let n = normalize_key(key);
            self.keys.iter().position(|k| normalize_key(k) == n)
        })
    }

    /// Values of a key, one per reading.
    pub fn get(&self, key: &str) -> Option<&[f64]> {
        self.key_index(key)
            .and_then(|i| self.columns.get(i))
            .map(Vec::as_slice)
    }

    /// Mutable values of a key (to build files: set a whole column at once).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Vec<f64>> {
        self.key_index(key).and_then(|i| self.columns.get_mut(i))
    }

    /// Concatenate blocks (e.g. per-exposure files into a daily master file). Keys are united
    /// in order of first appearance; a key absent from a block gets NaN for its readings.
    pub fn concat(blocks: &[HkReadings]) -> HkReadings {
        let mut keys: Vec<String> = Vec::new();
        for b in blocks {
            for k in &b.keys {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        let mut out = HkReadings::new(keys);
        if let Some(b) = blocks.first() {
            out.time_column.clone_from(&b.time_column);
        }
        for b in blocks {
            out.times.extend_from_slice(&b.times);
            for (k, col) in out.keys.iter().zip(out.columns.iter_mut()) {
                match b
                    .keys
                    .iter()
                    .position(|x| x == k)
                    .and_then(|i| b.columns.get(i))
                {
                    Some(src) => col.extend_from_slice(src),
                    None => col.extend(std::iter::repeat_n(f64::NAN, b.len())),
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_get_concat() -> Result<()> {
        let mut a = HkReadings::new(vec!["A".into(), "B".into()]);
        a.push(None, &[1.0, 2.0])?;
        assert!(a.push(None, &[1.0]).is_err());
        let mut b = HkReadings::new(vec!["B".into(), "C".into()]);
        b.push(None, &[3.0, 4.0])?;
        let c = HkReadings::concat(&[a, b]);
        assert_eq!(c.keys, vec!["A", "B", "C"]);
        assert_eq!(c.get("B"), Some(&[2.0, 3.0][..]));
        assert_eq!(c.get(" b "), Some(&[2.0, 3.0][..]));
        assert!(
            c.get("C")
                .is_some_and(|v| v.first().is_some_and(|x| x.is_nan()))
        );
        assert_eq!(c.len(), 2);
        Ok(())
    }
}
