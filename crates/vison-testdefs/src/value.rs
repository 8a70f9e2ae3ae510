//! Typed script values and the value kind of every script key.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One value of an acquisition script (or of an EXP_LOG cell derived from it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScriptValue {
    /// Integer value (counts, TOIs in us, flags, filter index).
    Int(i64),
    /// Real value (voltages in V, exposure time in s, delays in us, mirror position in mm).
    Float(f64),
    /// Text value (test name, readout mode, serial numbers).
    Str(String),
}

/// The value kind a script key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Integer.
    Int,
    /// Real number.
    Float,
    /// Text.
    Str,
}

impl ScriptValue {
    /// Numeric value (integers converted), `None` for text.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ScriptValue::Int(i) => Some(*i as f64),
            ScriptValue::Float(f) => Some(*f),
            ScriptValue::Str(_) => None,
        }
    }

    /// Integer value (reals are rounded when within 1e-9 of an integer), `None` otherwise.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ScriptValue::Int(i) => Some(*i),
            ScriptValue::Float(f) if (f - f.round()).abs() < 1e-9 => Some(f.round() as i64),
            _ => None,
        }
    }

    /// Text value, `None` for numbers.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ScriptValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Converts a value to the given kind (numbers <-> numbers, text parsed as a number when the
    /// kind is numeric). `None` when the conversion is impossible.
    pub fn coerce(&self, kind: KeyKind) -> Option<ScriptValue> {
        match kind {
            KeyKind::Str => Some(ScriptValue::Str(self.to_string())),
            KeyKind::Int => match self {
                ScriptValue::Str(s) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(|f| ScriptValue::Float(f).as_i64()),
                other => other.as_i64(),
            }
            .map(ScriptValue::Int),
            KeyKind::Float => match self {
                ScriptValue::Str(s) => s.trim().parse::<f64>().ok(),
                other => other.as_f64(),
            }
            .map(ScriptValue::Float),
        }
    }

    /// Whether an observed EXP_LOG text matches this expected value: numbers within a relative
    /// tolerance `rel_tol` (plus 1e-9 absolute), text by equality after trimming.
    pub fn matches_text(&self, observed: &str, rel_tol: f64) -> bool {
        let observed = observed.trim();
        match self.as_f64() {
            Some(expected) => match observed.parse::<f64>() {
                Ok(obs) => (obs - expected).abs() <= rel_tol * expected.abs().max(obs.abs()) + 1e-9,
                Err(_) => false,
            },
            None => self.to_string().trim() == observed,
        }
    }
}

impl fmt::Display for ScriptValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScriptValue::Int(i) => write!(f, "{i}"),
            ScriptValue::Float(x) => write!(f, "{x}"),
            ScriptValue::Str(s) => f.write_str(s),
        }
    }
}

impl From<i64> for ScriptValue {
    fn from(v: i64) -> Self {
        ScriptValue::Int(v)
    }
}

impl From<f64> for ScriptValue {
    fn from(v: f64) -> Self {
        ScriptValue::Float(v)
    }
}

impl From<&str> for ScriptValue {
    fn from(v: &str) -> Self {
        ScriptValue::Str(v.to_string())
    }
}

impl From<String> for ScriptValue {
    fn from(v: String) -> Self {
        ScriptValue::Str(v)
    }
}

/// Kind of a canonical script key (ELVIS 6.5.X names, reference 2.3 and 4.1); unknown keys are
/// text.
pub fn key_kind(key: &str) -> KeyKind {
    const INT: &[&str] = &[
        "frames", "IPHI1", "IPHI2", "IPHI3", "IPHI4", "flushes", "siflsh", "inisweep", "vstart",
        "vend", "toi_fl", "toi_tp", "toi_ro", "toi_ch", "chinj", "chinj_on", "chinj_of",
        "chin_dly", "s_tpump", "s_tpmod", "v_tpump", "v_tpmod", "s_tp_cnt", "v_tp_cnt", "shuttr",
        "e_shuttr", "mirr_on", "wave", "motr_on", "motr_cnt",
    ];
    const FLOAT: &[&str] = &[
        "siflsh_p", "swellw", "swelldly", "id_wid", "id_dly", "dwell_v", "dwell_s", "exptime",
        "mirr_pos", "motr_siz",
    ];
    if INT.contains(&key) {
        KeyKind::Int
    } else if FLOAT.contains(&key) || is_voltage_key(key) {
        KeyKind::Float
    } else {
        KeyKind::Str
    }
}

/// Whether a canonical key is a bias voltage (IDL, IDH, IG1_*, IG2_*, OD_*, RD_*), in V.
pub fn is_voltage_key(key: &str) -> bool {
    key == "IDL"
        || key == "IDH"
        || key.starts_with("IG1_")
        || key.starts_with("IG2_")
        || key.starts_with("OD_")
        || key.starts_with("RD_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coercion_and_matching() {
        assert_eq!(
            ScriptValue::Float(3.0).coerce(KeyKind::Int),
            Some(ScriptValue::Int(3))
        );
        assert_eq!(ScriptValue::Float(3.5).coerce(KeyKind::Int), None);
        assert_eq!(
            ScriptValue::from("2.5").coerce(KeyKind::Float),
            Some(ScriptValue::Float(2.5))
        );
        assert!(ScriptValue::Float(100.0).matches_text("100.4", 0.005));
        assert!(!ScriptValue::Float(100.0).matches_text("100.6", 0.005));
        assert!(ScriptValue::Int(0).matches_text("0", 0.005));
        assert!(ScriptValue::from("fwd_bas").matches_text(" fwd_bas ", 0.005));
        assert_eq!(key_kind("IG1_2_B"), KeyKind::Float);
        assert_eq!(key_kind("wave"), KeyKind::Int);
        assert_eq!(key_kind("rdmode"), KeyKind::Str);
    }
}
