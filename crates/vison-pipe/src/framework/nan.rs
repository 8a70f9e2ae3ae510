//! JSON has no NaN: serde_json writes non-finite numbers as `null`. Every saved state and
//! results file is read back through [`from_value`], which decodes `null` as NaN wherever a
//! float is expected (and as `None` where an `Option` is), so NaN round-trips through every
//! state without per-field annotations (the per-field helpers of `vison_stdx::nan` remain on
//! the results types that other tools decode with plain serde_json).

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::Value;

/// Decodes `T` from a JSON value, reading `null` as NaN where a float is expected.
pub fn from_value<T: de::DeserializeOwned>(v: &Value) -> Result<T, serde_json::Error> {
    T::deserialize(NanDe(v))
}

/// A deserializer over a borrowed JSON value that maps `null` to NaN for floats.
struct NanDe<'a>(&'a Value);

impl<'de> Deserializer<'de> for NanDe<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    v.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    v.visit_i64(i)
                } else {
                    v.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => v.visit_str(s),
            Value::Array(a) => v.visit_seq(Seq(a.iter())),
            Value::Object(m) => v.visit_map(Obj {
                it: m.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => v.visit_f64(f64::NAN),
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => v.visit_f32(f32::NAN),
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        // Enums (unit variants as strings, data variants as one-key objects) go through
        // serde_json itself; their payloads are not NaN-tolerant.
        self.0.clone().deserialize_enum(name, variants, v)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Seq<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(NanDe(v)))
            .transpose()
    }
}

struct Obj<'a> {
    it: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for Obj<'_> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.it.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(Key(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(NanDe(v)),
            None => Err(de::Error::custom("map value without key")),
        }
    }
}

/// A map key: a string, parsed when a number is expected (JSON object keys of integer maps).
struct Key<'a>(&'a str);

macro_rules! parse_key {
    ($($f:ident => $visit:ident: $t:ty),*) => {$(
        fn $f<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            match self.0.parse::<$t>() {
                Ok(x) => v.$visit(x),
                Err(_) => v.visit_str(self.0),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for Key<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        v.visit_str(self.0)
    }

    parse_key! {
        deserialize_u8 => visit_u64: u64, deserialize_u16 => visit_u64: u64,
        deserialize_u32 => visit_u64: u64, deserialize_u64 => visit_u64: u64,
        deserialize_i8 => visit_i64: i64, deserialize_i16 => visit_i64: i64,
        deserialize_i32 => visit_i64: i64, deserialize_i64 => visit_i64: i64
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        let d: de::value::StrDeserializer<'_, serde_json::Error> = self.0.into_deserializer();
        d.deserialize_enum(name, variants, v)
    }

    forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf option unit unit_struct
        newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum Kind {
        A,
        B { x: f64 },
    }

    #[derive(Serialize, Deserialize, Debug)]
    struct Plain {
        a: f64,
        v: Vec<f64>,
        o: Option<f64>,
        t: (usize, f32),
        by_ccd: BTreeMap<u8, Vec<f64>>,
        k: Kind,
        kb: Kind,
        name: String,
    }

    #[test]
    fn nan_round_trips_through_null_without_annotations() {
        let s = Plain {
            a: f64::NAN,
            v: vec![1.0, f64::NAN],
            o: None,
            t: (3, f32::NAN),
            by_ccd: BTreeMap::from([(2, vec![f64::NAN, -1.5])]),
            k: Kind::A,
            kb: Kind::B { x: 2.0 },
            name: "x".into(),
        };
        let v = serde_json::to_value(&s).unwrap();
        assert!(serde_json::from_value::<Plain>(v.clone()).is_err());
        let b: Plain = super::from_value(&v).unwrap();
        assert!(b.a.is_nan() && b.v[0] == 1.0 && b.v[1].is_nan());
        assert_eq!(b.o, None);
        assert!(b.t.0 == 3 && b.t.1.is_nan());
        assert!(b.by_ccd[&2][0].is_nan() && b.by_ccd[&2][1] == -1.5);
        assert_eq!((b.k, b.kb), (Kind::A, Kind::B { x: 2.0 }));
        assert_eq!(b.name, "x");
    }

    #[test]
    fn type_errors_are_still_errors() {
        let v = serde_json::json!({"a": "text"});
        #[derive(Deserialize, Debug)]
        struct S {
            #[allow(dead_code)]
            a: f64,
        }
        assert!(super::from_value::<S>(&v).is_err());
    }
}
