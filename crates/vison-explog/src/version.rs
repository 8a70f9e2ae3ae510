//! ELVIS versions known to the exposure-log and HK readers.

use std::fmt;
use std::str::FromStr;

use crate::columns::{self, ColumnDef};
use crate::error::Error;

/// An ELVIS (EGSE software) version, as far as file formats are concerned.
///
/// Versions whose exposure-log or HK layouts differ are distinct variants; versions that
/// the reference declares identical to another one for both formats are accepted as
/// aliases when parsing (e.g. `6.1.0` parses as [`ElvisVersion::V6_1_0`], which shares the
/// column names of 6.0.0 through its own table).
#[allow(non_camel_case_types)]
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum ElvisVersion {
    /// 5.7.02 (pre-QM).
    #[serde(rename = "5.7.02")]
    V5_7_02,
    /// 5.7.04 (pre-QM).
    #[serde(rename = "5.7.04")]
    V5_7_04,
    /// 5.7.06 (pre-QM).
    #[serde(rename = "5.7.06")]
    V5_7_06,
    /// 5.7.07.
    #[serde(rename = "5.7.07")]
    V5_7_07,
    /// 5.7.08.
    #[serde(rename = "5.7.08")]
    V5_7_08,
    /// 5.7.09.
    #[serde(rename = "5.7.09")]
    V5_7_09,
    /// 6.0.0.
    #[serde(rename = "6.0.0")]
    V6_0_0,
    /// 6.1.0.
    #[serde(rename = "6.1.0")]
    V6_1_0,
    /// 6.3.0.
    #[serde(rename = "6.3.0")]
    V6_3_0,
    /// 6.5.X.
    #[serde(rename = "6.5.X")]
    V6_5_X,
    /// 7.2.X.
    #[serde(rename = "7.2.X")]
    V7_2_X,
    /// 7.5.X (default at the reference HEAD).
    #[default]
    #[serde(rename = "7.5.X")]
    V7_5_X,
    /// Hand-written FPA logs (LE1 data).
    #[serde(rename = "FPA")]
    Fpa,
}

impl ElvisVersion {
    /// Every version, oldest first.
    pub const ALL: [ElvisVersion; 13] = [
        Self::V5_7_02,
        Self::V5_7_04,
        Self::V5_7_06,
        Self::V5_7_07,
        Self::V5_7_08,
        Self::V5_7_09,
        Self::V6_0_0,
        Self::V6_1_0,
        Self::V6_3_0,
        Self::V6_5_X,
        Self::V7_2_X,
        Self::V7_5_X,
        Self::Fpa,
    ];

    /// The canonical label (`"7.5.X"`, `"6.3.0"`, `"FPA"`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V5_7_02 => "5.7.02",
            Self::V5_7_04 => "5.7.04",
            Self::V5_7_06 => "5.7.06",
            Self::V5_7_07 => "5.7.07",
            Self::V5_7_08 => "5.7.08",
            Self::V5_7_09 => "5.7.09",
            Self::V6_0_0 => "6.0.0",
            Self::V6_1_0 => "6.1.0",
            Self::V6_3_0 => "6.3.0",
            Self::V6_5_X => "6.5.X",
            Self::V7_2_X => "7.2.X",
            Self::V7_5_X => "7.5.X",
            Self::Fpa => "FPA",
        }
    }

    /// Exposure-log column table of this version (name and type of every column, in order).
    ///
    /// 5.7.06-5.7.08 are not listed in the reference for exposure logs; they use the
    /// 5.7.04 layout, which the reference declares identical up to 5.7.09.
    pub(crate) fn column_defs(self) -> &'static [ColumnDef] {
        match self {
            Self::V5_7_02 => columns::COLS_5_7_02,
            Self::V5_7_04 | Self::V5_7_06 | Self::V5_7_07 | Self::V5_7_08 | Self::V5_7_09 => {
                columns::COLS_5_7_04
            }
            Self::V6_0_0 | Self::V6_1_0 => columns::COLS_6_0_0,
            Self::V6_3_0 => columns::COLS_6_3_0,
            Self::V6_5_X => columns::COLS_6_5_X,
            Self::V7_2_X => columns::COLS_7_2_X,
            Self::V7_5_X => columns::COLS_7_5_X,
            Self::Fpa => columns::COLS_FPA,
        }
    }

    /// Exposure-log column names of this version, in file order.
    pub fn explog_columns(self) -> Vec<&'static str> {
        self.column_defs().iter().map(|(n, _)| *n).collect()
    }

    /// Map an `EGSE_ver`/`egse_ver` value such as `"7.5.3"`, `"5.7.05"` or `"6.3.0"` to the
    /// version whose formats it writes. Returns `None` for unrecognised strings.
    pub fn from_egse_ver(text: &str) -> Option<Self> {
        let t = text.trim().trim_start_matches(['v', 'V']);
        if let Ok(v) = t.parse::<Self>() {
            return Some(v);
        }
        let mut parts = t.split('.');
        let major: u32 = parts.next()?.trim().parse().ok()?;
        let minor: u32 = parts.next()?.trim().parse().ok()?;
        let patch: Option<u32> = parts.next().and_then(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        });
        Some(match (major, minor) {
            (5, 7) => match patch.unwrap_or(9) {
                0..=3 => Self::V5_7_02,
                4..=5 => Self::V5_7_04,
                6 => Self::V5_7_06,
                7 => Self::V5_7_07,
                8 => Self::V5_7_08,
                _ => Self::V5_7_09,
            },
            (5, _) => Self::V5_7_09,
            (6, 0) => Self::V6_0_0,
            (6, 1 | 2) => Self::V6_1_0,
            (6, 3 | 4) => Self::V6_3_0,
            (6, _) => Self::V6_5_X,
            (7, 0..=2) => Self::V7_2_X,
            (7, 3..=4) => Self::V7_2_X,
            (7, _) => Self::V7_5_X,
            _ => return None,
        })
    }
}

impl fmt::Display for ElvisVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ElvisVersion {
    type Err = Error;

    /// Parse a version label; case-insensitive, `x` for `X`, aliases accepted
    /// (`6.5.x`, `7.5.X`, `fpa`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim().to_ascii_uppercase();
        Ok(match t.as_str() {
            "5.7.02" | "5.7.2" => Self::V5_7_02,
            "5.7.04" | "5.7.4" | "5.7.05" | "5.7.5" => Self::V5_7_04,
            "5.7.06" | "5.7.6" => Self::V5_7_06,
            "5.7.07" | "5.7.7" => Self::V5_7_07,
            "5.7.08" | "5.7.8" => Self::V5_7_08,
            "5.7.09" | "5.7.9" => Self::V5_7_09,
            "6.0.0" => Self::V6_0_0,
            "6.1.0" => Self::V6_1_0,
            "6.3.0" => Self::V6_3_0,
            "6.5.X" => Self::V6_5_X,
            "7.2.X" => Self::V7_2_X,
            "7.5.X" => Self::V7_5_X,
            "FPA" => Self::Fpa,
            _ => return Err(Error::UnknownVersion(s.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for v in ElvisVersion::ALL {
            assert_eq!(v.as_str().parse::<ElvisVersion>().ok(), Some(v));
        }
        assert_eq!(
            "7.5.x".parse::<ElvisVersion>().ok(),
            Some(ElvisVersion::V7_5_X)
        );
        assert!("8.0".parse::<ElvisVersion>().is_err());
    }

    #[test]
    fn serde_uses_the_labels() {
        let json = serde_json::to_string(&ElvisVersion::V7_5_X).unwrap_or_default();
        assert_eq!(json, "\"7.5.X\"");
        let back: Option<ElvisVersion> = serde_json::from_str("\"6.3.0\"").ok();
        assert_eq!(back, Some(ElvisVersion::V6_3_0));
    }

    #[test]
    fn egse_ver_mapping() {
        let check =
            |s: &str, v: Option<ElvisVersion>| assert_eq!(ElvisVersion::from_egse_ver(s), v, "{s}");
        check("7.5.3", Some(ElvisVersion::V7_5_X));
        check("7.2.1", Some(ElvisVersion::V7_2_X));
        check("6.5.0", Some(ElvisVersion::V6_5_X));
        check("6.3.0", Some(ElvisVersion::V6_3_0));
        check("5.7.05", Some(ElvisVersion::V5_7_04));
        check("5.7.02", Some(ElvisVersion::V5_7_02));
        check("6.1.0", Some(ElvisVersion::V6_1_0));
        check("garbage", None);
        check("", None);
    }

    #[test]
    fn column_counts_match_reference() {
        let n = |v: ElvisVersion| v.explog_columns().len();
        assert_eq!(n(ElvisVersion::V5_7_02), 74);
        assert_eq!(n(ElvisVersion::V5_7_04), 77);
        assert_eq!(n(ElvisVersion::V5_7_09), 77);
        assert_eq!(n(ElvisVersion::V6_0_0), 78);
        assert_eq!(n(ElvisVersion::V6_1_0), 78);
        assert_eq!(n(ElvisVersion::V6_3_0), 81);
        assert_eq!(n(ElvisVersion::V6_5_X), 81);
        assert_eq!(n(ElvisVersion::V7_2_X), 81);
        assert_eq!(n(ElvisVersion::V7_5_X), 81);
        assert_eq!(n(ElvisVersion::Fpa), 5);
    }
}
