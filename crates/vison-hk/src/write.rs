//! Writing HK files in the ELVIS formats.

use std::fmt::Write as _;
use std::path::Path;

use chrono::NaiveDateTime;

use crate::error::{Error, Result};
use crate::keys::TIME_COLUMN;
use crate::parse::HkFormat;
use crate::readings::HkReadings;

/// Format an HK time stamp as ELVIS writes it: `dd-mm-yy_HH:MM:SS`.
pub fn format_hk_timestamp(t: NaiveDateTime) -> String {
    t.format("%d-%m-%y_%H:%M:%S").to_string()
}

/// Format an HK value: integral values without decimals (`0`, `12192`), others with the
/// shortest text that reads back to the same number, NaN as `nan`.
pub fn format_hk_value(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

impl HkReadings {
    /// The readings as an ELVIS HK file, CRLF line ends as in the real files.
    ///
    /// [`HkFormat::Table`]: header `TimeStamp<TAB>key...`, then one line per reading with the
    /// time stamp as `dd-mm-yy_HH:MM:SS` (per-exposure and master files use this layout).
    /// [`HkFormat::KeyPerLine`]: pre-QM layout, one line per key with its values.
    ///
    /// # Errors
    /// [`Error::MissingTime`] when a reading has no time stamp in table format.
    pub fn to_hk_string(&self, format: HkFormat) -> Result<String> {
        let mut out = String::with_capacity(64 + self.len() * (self.keys.len() + 1) * 10);
        match format {
            HkFormat::Table => {
                let tc = if self.time_column.is_empty() {
                    TIME_COLUMN
                } else {
                    &self.time_column
                };
                out.push_str(&clean(tc));
                for k in &self.keys {
                    out.push('\t');
                    out.push_str(&clean(k));
                }
                out.push_str("\r\n");
                for (i, t) in self.times.iter().enumerate() {
                    let t = t.ok_or(Error::MissingTime(i))?;
                    out.push_str(&format_hk_timestamp(t));
                    for c in &self.columns {
                        out.push('\t');
                        out.push_str(&format_hk_value(c.get(i).copied().unwrap_or(f64::NAN)));
                    }
                    out.push_str("\r\n");
                }
            }
            HkFormat::KeyPerLine => {
                for (k, c) in self.keys.iter().zip(&self.columns) {
                    out.push_str(&clean(k));
                    for v in c {
                        let _infallible = write!(out, "\t{}", format_hk_value(*v));
                    }
                    out.push_str("\r\n");
                }
            }
        }
        Ok(out)
    }

    /// Write the readings to `path` (per-exposure file `HK_<ObsID>_<DDMMYY>D<hhmmss>T_ROE<r>.txt`
    /// or master file `HK_<dd-mm-yy>_ROE1_<NN>.txt`, see `vison_explog::hk_file_name` and
    /// `hk_master_file_name`), atomically (temp file in the same folder + rename).
    ///
    /// # Errors
    /// [`Error::MissingTime`] or [`Error::Io`].
    pub fn write(&self, path: &Path, format: HkFormat) -> Result<()> {
        let text = self.to_hk_string(format)?;
        vison_explog::write_atomic(path, text.as_bytes()).map_err(|e| match e {
            vison_explog::Error::Io { path, source } => Error::Io { path, source },
            other => Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(other.to_string()),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{HkLoadOptions, parse_hk_str};
    use chrono::NaiveDate;

    #[test]
    fn table_and_key_per_line_round_trip() -> Result<()> {
        let t0 = NaiveDate::from_ymd_opt(2018, 1, 19)
            .and_then(|d| d.and_hms_opt(7, 0, 0))
            .unwrap_or_default();
        let mut r = HkReadings::new(vec!["CCD1_OD_T".into(), "SPW_STATUS_REG".into()]);
        r.push(Some(t0), &[26.02, 12192.0])?;
        r.push(Some(t0 + chrono::Duration::seconds(1)), &[25.98, 12192.0])?;
        let text = r.to_hk_string(HkFormat::Table)?;
        assert!(text.starts_with(
            "TimeStamp\tCCD1_OD_T\tSPW_STATUS_REG\r\n19-01-18_07:00:00\t26.02\t12192\r\n"
        ));
        let back = parse_hk_str(&text, "x.txt", &HkLoadOptions::default())?;
        assert_eq!(back.readings, r);
        let text = r.to_hk_string(HkFormat::KeyPerLine)?;
        let back = parse_hk_str(&text, "x.txt", &HkLoadOptions::default())?;
        assert_eq!(back.format, HkFormat::KeyPerLine);
        assert_eq!(back.readings.columns, r.columns);
        let mut nt = HkReadings::new(vec!["A".into()]);
        nt.push(None, &[1.0])?;
        assert!(nt.to_hk_string(HkFormat::Table).is_err());
        Ok(())
    }
}
