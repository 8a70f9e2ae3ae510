//! JSON has no NaN: serde_json writes non-finite numbers as `null`. These helpers read such
//! `null`s back as NaN so state files round-trip (`#[serde(deserialize_with = ...)]`).

use serde::{Deserialize, Deserializer};

/// NaN, the default of a missing `f64` field.
pub(crate) fn nan() -> f64 {
    f64::NAN
}

/// `null` -> NaN for an `f64` field.
pub(crate) fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// `null` -> NaN for the elements of a `Vec<f64>` field.
pub(crate) fn vec_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Ok(Vec::<Option<f64>>::deserialize(d)?
        .into_iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug)]
    struct S {
        #[serde(deserialize_with = "super::f64")]
        a: f64,
        #[serde(deserialize_with = "super::vec_f64")]
        v: Vec<f64>,
    }

    #[test]
    fn nan_round_trips_through_null() {
        let s = S {
            a: f64::NAN,
            v: vec![1.0, f64::NAN],
        };
        let t = serde_json::to_string(&s).unwrap();
        assert_eq!(t, r#"{"a":null,"v":[1.0,null]}"#);
        let b: S = serde_json::from_str(&t).unwrap();
        assert!(b.a.is_nan() && b.v[0] == 1.0 && b.v[1].is_nan());
    }
}
