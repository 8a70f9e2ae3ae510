//! HK limits (performance and safe) per ELVIS version.

use vison_explog::ElvisVersion;

use crate::limits_tables::{self as t, LimitDef};

/// One limit, as vison's `[type, lo, hi]` / `['I', value]`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Limit {
    /// `R`: HK minus the commanded value must lie strictly inside (lo, hi) (volts).
    Relative {
        /// Lower bound, exclusive.
        lo: f64,
        /// Upper bound, exclusive.
        hi: f64,
    },
    /// `A`: the HK value must lie strictly inside (lo, hi).
    Absolute {
        /// Lower bound, exclusive.
        lo: f64,
        /// Upper bound, exclusive.
        hi: f64,
    },
    /// `I`: the HK value must equal this value.
    Identity(f64),
}

impl Limit {
    /// True when `value` passes (for [`Limit::Relative`], `value` is HK minus command).
    pub fn accepts(&self, value: f64) -> bool {
        match *self {
            Self::Relative { lo, hi } | Self::Absolute { lo, hi } => value > lo && value < hi,
            Self::Identity(v) => value == v,
        }
    }

    /// Bounds to draw on a plot: (lo, hi), or (v, v) for identities.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Self::Relative { lo, hi } | Self::Absolute { lo, hi } => (lo, hi),
            Self::Identity(v) => (v, v),
        }
    }
}

/// Which limits set to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitSet {
    /// Performance limits (`P`).
    Performance,
    /// Safe limits (`S`).
    Safe,
}

/// The limits table of one ELVIS version (an owned copy of that version's table).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HkLimits {
    /// Version of the table.
    pub version: ElvisVersion,
    /// (key, performance limit, safe limit), in key order.
    pub entries: Vec<(String, Limit, Limit)>,
}

impl HkLimits {
    /// Limits of `version`; `None` for versions without limits in the reference (5.7.x,
    /// 6.0.0, 6.1.0, FPA).
    pub fn for_version(version: ElvisVersion) -> Option<Self> {
        let table: &[LimitDef] = match version {
            ElvisVersion::V6_3_0 => t::LIMITS_6_3_0,
            ElvisVersion::V6_5_X => t::LIMITS_6_5_X,
            ElvisVersion::V7_2_X => t::LIMITS_7_2_X,
            ElvisVersion::V7_5_X => t::LIMITS_7_5_X,
            _ => return None,
        };
        Some(Self {
            version,
            entries: table
                .iter()
                .map(|(k, p, s)| ((*k).to_string(), *p, *s))
                .collect(),
        })
    }

    /// Limit of `key` in the chosen set.
    pub fn get(&self, key: &str, set: LimitSet) -> Option<Limit> {
        let key = key.trim();
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, p, s)| match set {
                LimitSet::Performance => *p,
                LimitSet::Safe => *s,
            })
    }

    /// Replace the limit of a key (for campaign-specific settings); adds it when absent.
    pub fn set(&mut self, key: &str, set: LimitSet, limit: Limit) {
        match self.entries.iter_mut().find(|(k, _, _)| k == key) {
            Some((_, p, s)) => match set {
                LimitSet::Performance => *p = limit,
                LimitSet::Safe => *s = limit,
            },
            None => self.entries.push((key.to_string(), limit, limit)),
        }
    }

    /// A mock value inside the limits (vison's drill mode): mid-range for ranges, the value
    /// for identities; relative limits give the middle of the offset range.
    pub fn mock_value(&self, key: &str, set: LimitSet) -> Option<f64> {
        self.get(key, set).map(|l| {
            let (lo, hi) = l.bounds();
            0.5 * (lo + hi)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::hk_keys;

    #[test]
    fn tables_cover_key_lists_and_values() {
        for v in [
            ElvisVersion::V6_3_0,
            ElvisVersion::V6_5_X,
            ElvisVersion::V7_2_X,
            ElvisVersion::V7_5_X,
        ] {
            let lims = HkLimits::for_version(v);
            let keys = hk_keys(v).unwrap_or(&[]);
            let lims = lims.as_ref();
            assert_eq!(lims.map(|l| l.entries.len()), Some(keys.len()), "{v}");
            assert!(
                keys.iter()
                    .all(|k| lims.and_then(|l| l.get(k, LimitSet::Safe)).is_some()),
                "{v}"
            );
        }
        let l = HkLimits::for_version(ElvisVersion::V7_5_X);
        let get = |k, s| l.as_ref().and_then(|l| l.get(k, s));
        assert_eq!(
            get("CCD1_OD_T", LimitSet::Performance),
            Some(Limit::Relative { lo: -0.2, hi: 0.2 })
        );
        assert_eq!(
            get("CCD1_OD_T", LimitSet::Safe),
            Some(Limit::Absolute { lo: -0.3, hi: 30.0 })
        );
        assert_eq!(
            get("CCD2_TEMP_B", LimitSet::Performance),
            Some(Limit::Absolute {
                lo: -121.0,
                hi: -119.0
            })
        );
        assert_eq!(
            get("SPW_STATUS_REG", LimitSet::Safe),
            Some(Limit::Identity(12192.0))
        );
        assert_eq!(get("CDPUClkSw", LimitSet::Safe), Some(Limit::Identity(0.0)));
        assert_eq!(get("CDPUClkLost", LimitSet::Safe), None);
        assert!(HkLimits::for_version(ElvisVersion::V5_7_02).is_none());
    }

    #[test]
    fn versions_are_independent() {
        // Changing one version's copy leaves the others untouched (the original's aliasing bug).
        let mut a = HkLimits::for_version(ElvisVersion::V6_5_X);
        if let Some(a) = a.as_mut() {
            a.set("CCD1_OD_T", LimitSet::Safe, Limit::Identity(1.0));
        }
        let b = HkLimits::for_version(ElvisVersion::V6_5_X);
        assert_ne!(a, b);
        let l72 = HkLimits::for_version(ElvisVersion::V7_2_X);
        assert!(
            l72.as_ref()
                .and_then(|l| l.get("CDPUClkLost", LimitSet::Safe))
                .is_some()
        );
        let l63 = HkLimits::for_version(ElvisVersion::V6_3_0);
        assert!(
            l63.as_ref()
                .and_then(|l| l.get("stTMRErrFlg", LimitSet::Safe))
                .is_some()
        );
        assert!(
            l63.as_ref()
                .and_then(|l| l.get("Out_of_range", LimitSet::Safe))
                .is_none()
        );
    }

    #[test]
    fn open_intervals() {
        let l = Limit::Absolute { lo: 1.0, hi: 2.0 };
        assert!(l.accepts(1.5) && !l.accepts(1.0) && !l.accepts(2.0));
        assert!(Limit::Identity(0.0).accepts(0.0) && !Limit::Identity(0.0).accepts(1.0));
    }
}
