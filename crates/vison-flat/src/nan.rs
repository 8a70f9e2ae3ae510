//! JSON has no NaN: serde_json writes non-finite numbers as `null`. These helpers read such
//! `null`s back as NaN, so that results with undefined figures (a failed fit's errors, a
//! quantity without data) round-trip through JSON state files.

use serde::{Deserialize, Deserializer};

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
    use crate::covariance::PairCovariance;
    use crate::ptc::Turnoff;

    #[test]
    fn nan_figures_round_trip_through_json() {
        let t = Turnoff {
            found: false,
            mean_adu: f64::NAN,
            var_adu2: 1.0,
            mean_e: f64::NAN,
        };
        let s = serde_json::to_string(&t).expect("ser");
        let back: Turnoff = serde_json::from_str(&s).expect("de");
        assert!(back.mean_adu.is_nan() && back.mean_e.is_nan() && back.var_adu2 == 1.0);
        let p = PairCovariance {
            mean_adu: 1.0,
            mean1_adu: 1.0,
            mean2_adu: 1.0,
            var_adu2: f64::NAN,
            cov_adu2: vec![2.0, f64::NAN],
            n_pairs: vec![1, 0],
            max_lag_px: 0,
            n_valid_px: 1,
            n_clipped_px: 0,
        };
        let back: PairCovariance =
            serde_json::from_str(&serde_json::to_string(&p).expect("ser")).expect("de");
        assert!(back.var_adu2.is_nan() && back.cov_adu2[0] == 2.0 && back.cov_adu2[1].is_nan());
    }
}
