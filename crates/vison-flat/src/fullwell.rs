//! Full well from the ceiling of the pixel signal (pure).
//!
//! The PTC turn-off of a quadrant lies at one of the campaign's fluence steps (10 % apart in
//! PTC01) and below the full well by the spread of the illumination, so it only bounds the
//! full well. The pixels themselves sample the signal continuously (illumination pattern and
//! PRNU spread them by several per cent): once a pair over-exposes part of the quadrant, its
//! brightest valid pixels pile up just below the level where pixels stop responding, whether
//! that is blooming (saturated pixels sit on a plateau) or the ADC limit (saturated pixels are
//! masked). The full well is that ceiling: a high quantile of the valid pixels that stops
//! growing with exposure time.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// Quantile of the valid pixels that defines a pair's ceiling (well above the few cosmic rays
/// and hot pixels of a flat, well below the saturated fraction of an over-exposed pair).
pub const CEILING_QUANTILE: f64 = 0.999;

/// Ceilings within this fraction of the highest one form the plateau.
pub const PLATEAU_TOL_FRAC: f64 = 0.01;

/// A pair with at least this fraction of masked pixels is saturated at the ADC limit.
pub const SATURATED_FRAC: f64 = 1e-3;

/// High-signal statistics of a flat pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairCeiling {
    /// [`CEILING_QUANTILE`] of the finite pixels of both frames, ADU (NaN without pixels).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub ceiling_adu: f64,
    /// Pixels not finite (masked, e.g. saturated at the ADC limit) in either frame.
    pub n_masked_px: u64,
}

/// The ceiling of a flat pair (offset-subtracted frames of the same shape; non-finite pixels
/// are masked).
#[must_use]
pub fn pair_ceiling(frame1: ArrayView2<'_, f32>, frame2: ArrayView2<'_, f32>) -> PairCeiling {
    let mut vals: Vec<f32> = Vec::with_capacity(frame1.len() + frame2.len());
    let mut n_masked_px = 0u64;
    for (a, b) in frame1.iter().zip(frame2.iter()) {
        if !(a.is_finite() && b.is_finite()) {
            n_masked_px += 1;
        }
        vals.extend([*a, *b].into_iter().filter(|v| v.is_finite()));
    }
    let ceiling_adu = if vals.is_empty() {
        f64::NAN
    } else {
        let k = ((vals.len() - 1) as f64 * CEILING_QUANTILE).round() as usize;
        let (_, v, _) = vals.select_nth_unstable_by(k, f32::total_cmp);
        f64::from(*v)
    };
    PairCeiling {
        ceiling_adu,
        n_masked_px,
    }
}

/// Full well of a quadrant from its pairs' ceilings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FullWell {
    /// True if the ceilings reach a plateau (pairs of exposure times at least 5 % apart within
    /// [`PLATEAU_TOL_FRAC`] of the highest: blooming) or a pair on it has more than
    /// [`SATURATED_FRAC`] of its pixels masked (saturated at the ADC limit: its valid pixels
    /// end just below the limit); false if the series never fills the pixels (then
    /// `full_well_adu` is the highest ceiling, a lower limit).
    pub found: bool,
    /// Median ceiling of the plateau pairs, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub full_well_adu: f64,
    /// Pairs on the plateau.
    pub n_plateau_pairs: usize,
}

/// Finds the plateau of the pairs' ceilings against exposure time; `n_px` are the pixels of
/// each pair (valid and masked).
#[must_use]
pub fn full_well_from_ceilings(
    exptimes_s: &[f64],
    ceilings: &[PairCeiling],
    n_px: &[u64],
) -> FullWell {
    let pts: Vec<(f64, f64, f64)> = exptimes_s
        .iter()
        .zip(ceilings)
        .zip(n_px)
        .filter(|((t, c), _)| t.is_finite() && c.ceiling_adu.is_finite())
        .map(|((t, c), n)| (*t, c.ceiling_adu, c.n_masked_px as f64 / (*n).max(1) as f64))
        .collect();
    let top = pts.iter().map(|p| p.1).fold(f64::NAN, f64::max);
    if !top.is_finite() {
        return FullWell {
            found: false,
            full_well_adu: f64::NAN,
            n_plateau_pairs: 0,
        };
    }
    let mut plateau: Vec<(f64, f64, f64)> = pts
        .into_iter()
        .filter(|p| p.1 >= (1.0 - PLATEAU_TOL_FRAC) * top)
        .collect();
    let t_min = plateau.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let t_max = plateau.iter().map(|p| p.0).fold(0.0, f64::max);
    let saturated = plateau.iter().any(|p| p.2 >= SATURATED_FRAC);
    let found = (t_min > 0.0 && t_max >= 1.05 * t_min) || saturated;
    if !found {
        return FullWell {
            found,
            full_well_adu: top,
            n_plateau_pairs: plateau.len(),
        };
    }
    plateau.sort_by(|a, b| a.1.total_cmp(&b.1));
    let n = plateau.len();
    let med = if n % 2 == 1 {
        plateau[n / 2].1
    } else {
        0.5 * (plateau[n / 2 - 1].1 + plateau[n / 2].1)
    };
    FullWell {
        found,
        full_well_adu: med,
        n_plateau_pairs: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// A flat with a 20 % ramp across columns at `level`, clipped at `sat` (masked above if
    /// `mask`, else held at `sat` as a blooming plateau).
    fn flat(level: f32, sat: f32, mask: bool) -> Array2<f32> {
        Array2::from_shape_fn((100, 100), |(r, c)| {
            let v = level * (0.9 + 0.002 * c as f32) + 0.01 * r as f32;
            if v >= sat {
                if mask { f32::NAN } else { sat }
            } else {
                v
            }
        })
    }

    #[test]
    fn finds_the_adc_ceiling_and_the_blooming_plateau() {
        for mask in [true, false] {
            let sat = 60_000.0;
            let levels = [
                20_000.0f32,
                40_000.0,
                50_000.0,
                58_000.0,
                62_000.0,
                65_000.0,
            ];
            let ceilings: Vec<PairCeiling> = levels
                .iter()
                .map(|&l| {
                    let f = flat(l, sat, mask);
                    pair_ceiling(f.view(), f.view())
                })
                .collect();
            let ts: Vec<f64> = levels.iter().map(|l| f64::from(*l) / 1000.0).collect();
            let n = [10_000u64; 6];
            let fw = full_well_from_ceilings(&ts, &ceilings, &n);
            assert!(fw.found, "{mask}: {fw:?} {ceilings:?}");
            assert!((fw.full_well_adu / 60_000.0 - 1.0).abs() < 0.005, "{fw:?}");
            // Not reached: the highest ceiling, flagged as a lower limit.
            let low = full_well_from_ceilings(&ts[..3], &ceilings[..3], &n[..3]);
            assert!(!low.found && low.full_well_adu < 0.99 * 60_000.0, "{low:?}");
            // One exposure time beyond the limit: found only when its pixels are masked.
            let one = full_well_from_ceilings(&ts[..4], &ceilings[..4], &n[..4]);
            assert_eq!(one.found, mask, "{one:?}");
            assert!(
                (one.full_well_adu / 60_000.0 - 1.0).abs() < 0.005,
                "{one:?}"
            );
        }
        let f = flat(66_000.0, 60_000.0, true);
        let c = pair_ceiling(f.view(), f.view());
        assert!(c.n_masked_px > 0);
        let e = full_well_from_ceilings(&[], &[], &[]);
        assert!(!e.found && e.full_well_adu.is_nan());
    }
}
