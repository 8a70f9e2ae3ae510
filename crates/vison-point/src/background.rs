//! Local background from a circular annulus: median level and robust scatter.

use serde::{Deserialize, Serialize};

use crate::stamp::Stamp;
use crate::{Error, Result, error::require};

/// Minimum number of annulus pixels for a background estimate.
pub const MIN_ANNULUS_PX: usize = 8;

/// Background level and scatter measured in an annulus.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Background {
    /// Median of the annulus pixels.
    pub level_adu: f64,
    /// Robust standard deviation (1.4826 x median absolute deviation) of the annulus pixels.
    pub std_adu: f64,
    /// Number of usable annulus pixels.
    pub n_px: usize,
}

/// Median of a slice (reorders it); NaN for an empty slice.
pub(crate) fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let hi = *hi;
    if n % 2 == 1 {
        hi
    } else {
        let lo = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lo + hi)
    }
}

/// Background from the usable pixels whose centres are at distance `r_in_px <= r <= r_out_px`
/// from stamp position `(x_px, y_px)`.
pub fn annulus_background(
    stamp: &Stamp,
    x_px: f64,
    y_px: f64,
    r_in_px: f64,
    r_out_px: f64,
) -> Result<Background> {
    require(r_in_px >= 0.0, "r_in_px", r_in_px, "must be >= 0")?;
    require(
        r_out_px > r_in_px,
        "r_out_px",
        r_out_px,
        "must exceed r_in_px",
    )?;
    let (r2_in, r2_out) = (r_in_px * r_in_px, r_out_px * r_out_px);
    let mut vals = Vec::with_capacity(stamp.data_adu.len());
    for ((r, c), _) in stamp.data_adu.indexed_iter() {
        let (dx, dy) = (c as f64 - x_px, r as f64 - y_px);
        let d2 = dx * dx + dy * dy;
        if d2 >= r2_in && d2 <= r2_out {
            vals.extend(stamp.value(r, c));
        }
    }
    if vals.len() < MIN_ANNULUS_PX {
        return Err(Error::TooFew {
            what: "annulus background",
            got: vals.len(),
            need: MIN_ANNULUS_PX,
        });
    }
    let n_px = vals.len();
    let level = median_in_place(&mut vals);
    for v in vals.iter_mut() {
        *v = (*v - level).abs();
    }
    let mad = median_in_place(&mut vals);
    Ok(Background {
        level_adu: level,
        std_adu: 1.4826 * mad,
        n_px,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn median_even_and_odd() {
        assert_eq!(median_in_place(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median_in_place(&mut []).is_nan());
    }

    #[test]
    fn annulus_ignores_centre_and_mask() {
        // Level 10 with a bright centre (excluded by r_in) and one masked outlier.
        let mut a = Array2::from_elem((21, 31), 10.0);
        a[[10, 15]] = 1e6;
        a[[10, 25]] = 1e6;
        let mut s = Stamp::from_array(a, 0, 0);
        s.mask[[10, 25]] = true;
        // Cycle -1, 0, +1: median 10 and a median absolute deviation of exactly 1.
        for ((r, c), v) in s.data_adu.indexed_iter_mut() {
            if (r, c) != (10, 15) {
                *v += ((r + c) % 3) as f64 - 1.0;
            }
        }
        let b = annulus_background(&s, 15.0, 10.0, 5.0, 10.0).unwrap();
        assert_eq!(b.level_adu, 10.0);
        assert!((b.std_adu - 1.4826).abs() < 1e-12, "{b:?}");
        let n_expected = s
            .data_adu
            .indexed_iter()
            .filter(|((r, c), _)| {
                let d2 = (*c as f64 - 15.0).powi(2) + (*r as f64 - 10.0).powi(2);
                (25.0..=100.0).contains(&d2) && (*r, *c) != (10, 25)
            })
            .count();
        assert_eq!(b.n_px, n_expected);
        assert!(annulus_background(&s, 15.0, 10.0, 5.0, 4.0).is_err());
        assert!(annulus_background(&s, 15.0, 10.0, 50.0, 60.0).is_err());
    }
}
