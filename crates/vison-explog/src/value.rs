//! Column types and cell values.

use std::fmt;

/// Value type of an exposure-log column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ColType {
    /// Integer (numpy `i`).
    Int,
    /// Floating point (numpy `f`).
    Float,
    /// Text (numpy `S`).
    Str,
}

impl ColType {
    /// Lower-case name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Int => "integer",
            Self::Float => "float",
            Self::Str => "string",
        }
    }
}

/// One cell of an exposure log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Integer cell.
    Int(i64),
    /// Floating-point cell.
    Float(f64),
    /// Text cell.
    Str(String),
    /// Empty cell.
    Missing,
}

impl Value {
    /// The value as `f64` (integers converted; strings and missing give `None`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The value as `i64` (integral floats converted; others give `None`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            Self::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }

    /// The value as text (`None` unless a string cell).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Parse a raw cell (already trimmed) as a value of type `ty`.
    /// Integers also accept integral floats (`"2086.0"`). Empty text gives [`Value::Missing`].
    pub(crate) fn parse(text: &str, ty: ColType) -> Result<Self, String> {
        if text.is_empty() {
            return Ok(Self::Missing);
        }
        match ty {
            ColType::Str => Ok(Self::Str(text.to_string())),
            ColType::Int => {
                if let Ok(i) = text.parse::<i64>() {
                    return Ok(Self::Int(i));
                }
                match text.parse::<f64>() {
                    Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                        Ok(Self::Int(f as i64))
                    }
                    _ => Err(format!("'{text}' is not an integer")),
                }
            }
            ColType::Float => match text.parse::<f64>() {
                Ok(f) => Ok(Self::Float(f)),
                Err(_) => Err(format!("'{text}' is not a number")),
            },
        }
    }

    /// Convert to the column type `ty` if that loses nothing (int to float, integral float to
    /// int, anything to text). Returns `None` when the conversion is not possible.
    pub(crate) fn coerce(self, ty: ColType) -> Option<Self> {
        match (self, ty) {
            (Self::Missing, _) => Some(Self::Missing),
            (v @ Self::Int(_), ColType::Int) => Some(v),
            (Self::Int(i), ColType::Float) => Some(Self::Float(i as f64)),
            (v @ Self::Float(_), ColType::Float) => Some(v),
            (v @ Self::Float(_), ColType::Int) => v.as_i64().map(Self::Int),
            (v @ Self::Str(_), ColType::Str) => Some(v),
            (Self::Str(s), ColType::Int | ColType::Float) => Self::parse(s.trim(), ty).ok(),
            (v, ColType::Str) => Some(Self::Str(v.to_string())),
        }
    }
}

/// Format a float as ELVIS/Python would: integral values keep one decimal (`26.0`), others
/// use the shortest representation that reads back to the same number.
pub(crate) fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.1}")
    } else if f.is_nan() {
        "nan".to_string()
    } else {
        format!("{f}")
    }
}

impl fmt::Display for Value {
    /// Text as written in an exposure-log file (missing cells are empty).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => f.write_str(&format_float(*x)),
            Self::Str(s) => f.write_str(s),
            Self::Missing => Ok(()),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Self::Int(i64::from(v))
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Self::Int(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Str(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_by_type() {
        assert_eq!(Value::parse("12", ColType::Int), Ok(Value::Int(12)));
        assert_eq!(Value::parse("2086.0", ColType::Int), Ok(Value::Int(2086)));
        assert!(Value::parse("1.5", ColType::Int).is_err());
        assert_eq!(
            Value::parse("-153", ColType::Float),
            Ok(Value::Float(-153.0))
        );
        assert!(Value::parse("abc", ColType::Float).is_err());
        assert_eq!(Value::parse("", ColType::Float), Ok(Value::Missing));
        assert_eq!(
            Value::parse("x y", ColType::Str),
            Ok(Value::Str("x y".into()))
        );
    }

    #[test]
    fn float_text_round_trips() {
        for f in [26.0, 0.1, -153.0, 5.625, 1e-7, 123456.789] {
            let t = format_float(f);
            assert_eq!(t.parse::<f64>().ok(), Some(f), "{t}");
        }
        assert_eq!(format_float(26.0), "26.0");
    }
}
