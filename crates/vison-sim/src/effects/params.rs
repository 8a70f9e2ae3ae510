//! Quadrant layout and the seeded draw of per-CCD / per-quadrant detector parameters.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::readout::nonlinear_adu;
use crate::truth::{
    HotColumnTruth, HotPixelTruth, InjectionTruth, LampTruth, NonLinearityTruth, PersistenceTruth,
    QuadTruth,
};

/// Pixel layout of one quadrant (canonical orientation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuadLayout {
    /// Serial prescan columns (first in readout order).
    pub prescan_px: usize,
    /// Active columns.
    pub image_cols_px: usize,
    /// Serial overscan columns.
    pub overscan_px: usize,
    /// Active rows.
    pub image_rows_px: usize,
    /// Parallel overscan rows.
    pub voverscan_px: usize,
}

impl QuadLayout {
    /// Quadrant width (prescan + image + overscan).
    pub fn width_px(&self) -> usize {
        self.prescan_px + self.image_cols_px + self.overscan_px
    }

    /// Quadrant height (image + parallel overscan).
    pub fn height_px(&self) -> usize {
        self.image_rows_px + self.voverscan_px
    }

    /// Image area relative to the full-size one (2048 x 2066).
    pub fn area_fraction(&self) -> f64 {
        (self.image_cols_px * self.image_rows_px) as f64 / (2048.0 * 2066.0)
    }

    /// CCD-frame pixel coordinates `(x, y)` of a canonical quadrant position `(col, row)`.
    /// `top`/`right` give the quadrant's place (E: top-left, F: top-right, G: bottom-right,
    /// H: bottom-left).
    pub fn ccd_from_qcan(&self, top: bool, right: bool, col: f64, row: f64) -> (f64, f64) {
        let (w, h) = (self.width_px() as f64, self.height_px() as f64);
        let x = if right { w + (w - 1.0 - col) } else { col };
        let y = if top { h + (h - 1.0 - row) } else { row };
        (x, y)
    }

    /// Canonical quadrant position `(col, row)` of CCD-frame coordinates (inverse of
    /// [`QuadLayout::ccd_from_qcan`]).
    pub fn qcan_from_ccd(&self, top: bool, right: bool, x: f64, y: f64) -> (f64, f64) {
        let (w, h) = (self.width_px() as f64, self.height_px() as f64);
        let col = if right { w - 1.0 - (x - w) } else { x };
        let row = if top { h - 1.0 - (y - h) } else { y };
        (col, row)
    }
}

/// Draws the lamp pattern of one CCD.
pub fn draw_ccd_params<R: Rng + ?Sized>(rng: &mut R) -> LampTruth {
    LampTruth {
        a_x: rng.random_range(-0.03..0.03),
        a_y: rng.random_range(-0.03..0.03),
        a_r: rng.random_range(-0.05..-0.01),
    }
}

/// Draws the static parameters of one quadrant around realistic values.
///
/// Counts of hot pixels scale with the image area (20 per full quadrant, at least 2).
pub fn draw_quad_params<R: Rng + ?Sized>(layout: &QuadLayout, rng: &mut R) -> QuadTruth {
    let offset_adu: f64 = rng.random_range(2000.0..3000.0);
    let gain: f64 = rng.random_range(3.1..3.5);
    let c1: f64 = rng.random_range(-0.012..0.0);
    let c2: f64 = rng.random_range(-0.008..0.004);
    let dev = |adu: f64| nonlinear_adu(adu, c1, c2) / adu - 1.0;
    // Full well such that a pixel at full well just exceeds the ADC range (so saturated
    // pixels read 65535, as the PERSIST01 analysis expects).
    let target_adu = 65535.0 - offset_adu + rng.random_range(1500.0..4000.0);
    let full_well_adu = invert_nonlinearity(target_adu, c1, c2);
    let full_well_e = (full_well_adu * gain).round();
    let saturation_adu = (offset_adu + nonlinear_adu(full_well_e / gain, c1, c2)).min(65535.0);
    let adc_limit_e = invert_nonlinearity(65535.0 - offset_adu, c1, c2) * gain;
    let observable_full_well_e = full_well_e.min(adc_limit_e);

    let n_hot = ((20.0 * layout.area_fraction()).round() as usize).max(2);
    let hot_pixels = (0..n_hot)
        .map(|_| HotPixelTruth {
            x_px: layout.prescan_px + rng.random_range(2..layout.image_cols_px - 2),
            y_px: rng.random_range(2..layout.image_rows_px - 2),
            dark_e_per_s: rng.random_range(1.0..20.0),
        })
        .collect();
    let hot_columns = if rng.random_bool(0.5) {
        vec![HotColumnTruth {
            x_px: layout.prescan_px + rng.random_range(2..layout.image_cols_px - 2),
            y0_px: rng.random_range(0..layout.image_rows_px / 2),
            dark_e_per_px_per_s: rng.random_range(0.2..1.0),
        }]
    } else {
        Vec::new()
    };
    QuadTruth {
        offset_adu,
        offset_row_amp_adu: rng.random_range(0.2..0.8),
        offset_row_cycles: rng.random_range(1..=4),
        offset_row_phase_rad: rng.random_range(0.0..std::f64::consts::TAU),
        offset_col_slope_adu_per_px: rng.random_range(-1.0..1.0)
            / (layout.image_cols_px + layout.overscan_px) as f64,
        ron_adu: rng.random_range(1.0..1.4),
        gain_e_per_adu: gain,
        dark_e_per_px_per_s: rng.random_range(0.001..0.004),
        full_well_e,
        observable_full_well_e,
        saturation_adu,
        nonlinearity: NonLinearityTruth {
            c1,
            c2,
            frac_dev_at_10000_adu: dev(10000.0),
            frac_dev_at_30000_adu: dev(30000.0),
            frac_dev_at_50000_adu: dev(50000.0),
        },
        prnu_rms_frac: rng.random_range(0.005..0.012),
        hot_pixels,
        hot_columns,
        injection: InjectionTruth {
            ig1_thresh_v: rng.random_range(2.8..3.6),
            k_ig1_per_v: 15.0,
            ig1_notch_v: rng.random_range(5.5..6.0),
            slope_frac_per_v: rng.random_range(0.07..0.10),
            floor_frac: rng.random_range(0.007..0.012),
            idl_thresh_above_ig1_v: rng.random_range(7.2..7.8),
            k_idl_per_v: 15.0,
            column_nonuniformity_frac: rng.random_range(0.003..0.01),
        },
        persistence: PersistenceTruth {
            release_e_per_s: rng.random_range(0.05..0.3),
            tau_s: rng.random_range(200.0..600.0),
        },
        brighter_fatter: super::bf::BrighterFatterTruth::default(),
    }
}

/// Signal (ADU, before non-linearity) whose non-linear output equals `target_adu`.
fn invert_nonlinearity(target_adu: f64, c1: f64, c2: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 2.0 * target_adu + 1.0);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if nonlinear_adu(mid, c1, c2) < target_adu {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const SMALL: QuadLayout = QuadLayout {
        prescan_px: 51,
        image_cols_px: 256,
        overscan_px: 20,
        image_rows_px: 256,
        voverscan_px: 20,
    };

    #[test]
    fn drawn_parameters_lie_in_the_requested_ranges() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..50 {
            let p = draw_quad_params(&SMALL, &mut rng);
            assert!((2000.0..3000.0).contains(&p.offset_adu));
            assert!((1.0..1.5).contains(&p.ron_adu));
            assert!((3.1..3.5).contains(&p.gain_e_per_adu));
            assert_eq!(
                p.saturation_adu, 65535.0,
                "full well must reach the ADC limit"
            );
            // The ADC limit comes 2-7 % before the full well.
            let r = p.observable_full_well_e / p.full_well_e;
            assert!(r > 0.92 && r < 0.985, "{r}");
            assert!(
                p.full_well_e > 1.9e5 && p.full_well_e < 2.6e5,
                "{}",
                p.full_well_e
            );
            assert!(p.hot_pixels.len() >= 2);
            for h in &p.hot_pixels {
                assert!(h.x_px >= 51 && h.x_px < 51 + 256 && h.y_px < 256);
            }
        }
    }

    #[test]
    fn ccd_and_canonical_coordinates_are_inverse() {
        for (top, right) in [(true, false), (true, true), (false, true), (false, false)] {
            let (x, y) = SMALL.ccd_from_qcan(top, right, 10.25, 3.5);
            let (c, r) = SMALL.qcan_from_ccd(top, right, x, y);
            assert!((c - 10.25).abs() < 1e-12 && (r - 3.5).abs() < 1e-12);
        }
        // F node (canonical [0, 0]) is the top-right corner of the frame.
        assert_eq!(SMALL.ccd_from_qcan(true, true, 0.0, 0.0), (653.0, 551.0));
    }
}
