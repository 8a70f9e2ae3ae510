//! Quality flags (reference 4.1, `vison/support/flags.py`), raised by name with a reason.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A quality flag of the reference, with its historical bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
pub enum Flag {
    /// Exposures or files missing, or more exposures than the script asks for.
    MISSDATA,
    /// Data of poor quality (offsets, gradients or saturation out of limits).
    POORQUALDATA,
    /// Data that cannot be used (unreadable or truncated files).
    BADDATA,
    /// House-keeping out of limits.
    HK_OOL,
    /// CCD temperature out of limits.
    CCDTEMP_OOL,
    /// Read noise out of limits.
    RON_OOL,
    /// Fluence out of limits (dark signal in DARK01).
    FLUENCE_OOL,
    /// A sub-task (step) crashed.
    SUBTASKCRASH,
    /// Saturated fraction out of limits.
    SATURATION,
    /// Lost (0 ADU) pixels present.
    LOSTPIXELS,
    /// A calibration product could not be built.
    BADDATAPROD,
}

impl Flag {
    /// Every flag in bit order.
    pub const ALL: [Flag; 11] = [
        Flag::MISSDATA,
        Flag::POORQUALDATA,
        Flag::BADDATA,
        Flag::HK_OOL,
        Flag::CCDTEMP_OOL,
        Flag::BADDATAPROD,
        Flag::RON_OOL,
        Flag::FLUENCE_OOL,
        Flag::SUBTASKCRASH,
        Flag::SATURATION,
        Flag::LOSTPIXELS,
    ];

    /// The flag's name as in the reference.
    pub fn name(self) -> &'static str {
        match self {
            Flag::MISSDATA => "MISSDATA",
            Flag::POORQUALDATA => "POORQUALDATA",
            Flag::BADDATA => "BADDATA",
            Flag::HK_OOL => "HK_OOL",
            Flag::CCDTEMP_OOL => "CCDTEMP_OOL",
            Flag::RON_OOL => "RON_OOL",
            Flag::FLUENCE_OOL => "FLUENCE_OOL",
            Flag::SUBTASKCRASH => "SUBTASKCRASH",
            Flag::SATURATION => "SATURATION",
            Flag::LOSTPIXELS => "LOSTPIXELS",
            Flag::BADDATAPROD => "BADDATAPROD",
        }
    }

    /// The reference bit mask (`2^n`).
    pub fn bit(self) -> u64 {
        let n = match self {
            Flag::MISSDATA => 0,
            Flag::POORQUALDATA => 1,
            Flag::BADDATA => 2,
            Flag::HK_OOL => 8,
            Flag::CCDTEMP_OOL => 9,
            Flag::BADDATAPROD => 12,
            Flag::RON_OOL => 18,
            Flag::FLUENCE_OOL => 19,
            Flag::SUBTASKCRASH => 26,
            Flag::SATURATION => 28,
            Flag::LOSTPIXELS => 29,
        };
        1u64 << n
    }

    /// Parses a flag name.
    pub fn parse(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.name() == name.trim())
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Flags raised, each with its reasons (in the order raised, duplicates dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Flags(pub BTreeMap<String, Vec<String>>);

impl Flags {
    /// No flags.
    pub fn new() -> Self {
        Flags::default()
    }

    /// Raises `flag` with `reason`.
    pub fn raise(&mut self, flag: Flag, reason: impl Into<String>) {
        let v = self.0.entry(flag.name().to_string()).or_default();
        let r = reason.into();
        if !v.contains(&r) {
            v.push(r);
        }
    }

    /// Adds every flag and reason of `other`.
    pub fn merge(&mut self, other: &Flags) {
        for (k, reasons) in &other.0 {
            let v = self.0.entry(k.clone()).or_default();
            for r in reasons {
                if !v.contains(r) {
                    v.push(r.clone());
                }
            }
        }
    }

    /// True when `flag` is raised.
    pub fn has(&self, flag: Flag) -> bool {
        self.0.contains_key(flag.name())
    }

    /// Names of the raised flags, sorted.
    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    /// True when nothing is raised.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Bitwise OR of the raised flags' reference bits.
    pub fn mask(&self) -> u64 {
        self.0
            .keys()
            .filter_map(|k| Flag::parse(k))
            .fold(0, |m, f| m | f.bit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_keep_reasons_and_bits() {
        let mut f = Flags::new();
        f.raise(Flag::MISSDATA, "a");
        f.raise(Flag::MISSDATA, "a");
        f.raise(Flag::HK_OOL, "b");
        assert_eq!(f.names(), vec!["HK_OOL", "MISSDATA"]);
        assert_eq!(f.0["MISSDATA"], vec!["a"]);
        assert_eq!(f.mask(), 1 | 256);
        assert_eq!(Flag::parse("SATURATION"), Some(Flag::SATURATION));
        assert_eq!(Flag::SUBTASKCRASH.bit(), 1 << 26);
    }
}
