//! FITS header as an ordered list of typed cards, independent of the FITS library.

use serde::{Deserialize, Serialize};

/// A typed header value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HeaderValue {
    /// Logical `T`/`F`.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Floating point.
    Float(f64),
    /// Character string.
    Str(String),
    /// Keyword present without a value.
    Undefined,
}

impl HeaderValue {
    /// The value as a float (integers and numeric strings convert).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            HeaderValue::Int(i) => Some(*i as f64),
            HeaderValue::Float(f) => Some(*f),
            HeaderValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as an integer (integral floats and numeric strings convert).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            HeaderValue::Int(i) => Some(*i),
            HeaderValue::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            HeaderValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value rendered as text (strings without quotes).
    pub fn to_text(&self) -> String {
        match self {
            HeaderValue::Bool(b) => if *b { "T" } else { "F" }.to_string(),
            HeaderValue::Int(i) => i.to_string(),
            HeaderValue::Float(f) => f.to_string(),
            HeaderValue::Str(s) => s.clone(),
            HeaderValue::Undefined => String::new(),
        }
    }
}

impl From<i64> for HeaderValue {
    fn from(v: i64) -> Self {
        HeaderValue::Int(v)
    }
}
impl From<i32> for HeaderValue {
    fn from(v: i32) -> Self {
        HeaderValue::Int(v.into())
    }
}
impl From<u32> for HeaderValue {
    fn from(v: u32) -> Self {
        HeaderValue::Int(v.into())
    }
}
impl From<usize> for HeaderValue {
    fn from(v: usize) -> Self {
        HeaderValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<f64> for HeaderValue {
    fn from(v: f64) -> Self {
        HeaderValue::Float(v)
    }
}
impl From<f32> for HeaderValue {
    fn from(v: f32) -> Self {
        HeaderValue::Float(v.into())
    }
}
impl From<bool> for HeaderValue {
    fn from(v: bool) -> Self {
        HeaderValue::Bool(v)
    }
}
impl From<&str> for HeaderValue {
    fn from(v: &str) -> Self {
        HeaderValue::Str(v.to_string())
    }
}
impl From<String> for HeaderValue {
    fn from(v: String) -> Self {
        HeaderValue::Str(v)
    }
}

/// One header card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderCard {
    /// Keyword, upper case, at most 8 characters.
    pub key: String,
    /// Value.
    pub value: HeaderValue,
    /// Optional comment.
    pub comment: Option<String>,
}

/// Ordered header cards (structural keywords excluded) plus HISTORY and COMMENT records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Valued cards in file order.
    pub cards: Vec<HeaderCard>,
    /// HISTORY records in order.
    pub history: Vec<String>,
    /// COMMENT records in order.
    pub comments: Vec<String>,
}

/// Structural keywords managed by the FITS writer; never stored in a [`Header`].
pub const STRUCTURAL_KEYS: &[&str] = &[
    "SIMPLE", "XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "PCOUNT", "GCOUNT",
    "EXTEND", "BZERO", "BSCALE", "EXTNAME", "END",
];

impl Header {
    /// An empty header.
    pub fn new() -> Self {
        Header::default()
    }

    /// Sets `key` (upper-cased) to `value`, replacing an existing card.
    pub fn set(&mut self, key: &str, value: impl Into<HeaderValue>) -> &mut Self {
        self.set_with_comment(key, value, None)
    }

    /// Sets `key` with a comment, replacing an existing card.
    pub fn set_with_comment(
        &mut self,
        key: &str,
        value: impl Into<HeaderValue>,
        comment: Option<&str>,
    ) -> &mut Self {
        let key = key.trim().to_ascii_uppercase();
        let card = HeaderCard {
            key: key.clone(),
            value: value.into(),
            comment: comment.map(str::to_string),
        };
        match self.cards.iter_mut().find(|c| c.key == key) {
            Some(c) => *c = card,
            None => self.cards.push(card),
        }
        self
    }

    /// The value of `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&HeaderValue> {
        let key = key.trim();
        self.cards
            .iter()
            .find(|c| c.key.eq_ignore_ascii_case(key))
            .map(|c| &c.value)
    }

    /// `key` as a float.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(HeaderValue::as_f64)
    }

    /// `key` as an integer.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(HeaderValue::as_i64)
    }

    /// `key` as a string (only string cards).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(HeaderValue::Str(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    /// `key` as a logical.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.get(key) {
            Some(HeaderValue::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<HeaderValue> {
        let pos = self
            .cards
            .iter()
            .position(|c| c.key.eq_ignore_ascii_case(key))?;
        Some(self.cards.remove(pos).value)
    }

    /// Appends a HISTORY record (a processing step).
    pub fn add_history(&mut self, text: impl Into<String>) -> &mut Self {
        self.history.push(text.into());
        self
    }

    /// Appends a COMMENT record.
    pub fn add_comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comments.push(text.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_and_getters_convert() {
        let mut h = Header::new();
        h.set("exptime", 10.5)
            .set("OBSID", 2112)
            .set("OBJECT", "BIAS01");
        h.set("EXPTIME", 20.0);
        assert_eq!(h.cards.len(), 3);
        assert_eq!(h.get_f64("ExpTime"), Some(20.0));
        assert_eq!(h.get_i64("OBSID"), Some(2112));
        assert_eq!(h.get_f64("OBSID"), Some(2112.0));
        assert_eq!(h.get_str("OBJECT"), Some("BIAS01"));
        assert_eq!(h.get_str("OBSID"), None);
        assert_eq!(h.remove("OBJECT"), Some(HeaderValue::Str("BIAS01".into())));
        assert_eq!(h.get("OBJECT"), None);
    }
}
