//! JSON has no NaN: serde_json writes non-finite numbers as `null`. These helpers read such
//! `null`s back as NaN (`#[serde(deserialize_with = "vison_stdx::nan::f64")]`), so results
//! with undefined figures round-trip through JSON files read by plain serde_json.

use serde::{Deserialize, Deserializer};

/// NaN, the default of a missing `f64` field (`#[serde(default = "vison_stdx::nan::nan")]`).
pub fn nan() -> f64 {
    f64::NAN
}

/// `null` -> NaN for an `f64` field.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// `null` -> NaN for the elements of a `Vec<f64>` field.
pub fn vec_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
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
        #[serde(default = "super::nan")]
        missing: f64,
    }

    #[test]
    fn nan_round_trips_through_null() {
        let t = r#"{"a":null,"v":[1.0,null]}"#;
        let b: S = serde_json::from_str(t).unwrap();
        assert!(b.a.is_nan() && b.v[0] == 1.0 && b.v[1].is_nan() && b.missing.is_nan());
        let back = serde_json::to_string(&b).unwrap();
        assert_eq!(back, r#"{"a":null,"v":[1.0,null],"missing":null}"#);
    }
}
