//! The spots of a whole CCD frame: nominal positions (full-size CCD frame, as the OGSE
//! patterns give them) mapped onto the frame's geometry, one common shift found against the
//! image ([`crate::locate`]), then every spot measured ([`crate::measure`]). This is the one
//! implementation behind `vison-inspect spots` and the FOCUS/PSF tasks of `vison-pipe`.

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use vison_ccd::ops::bad_pixel_mask;
use vison_ccd::{Frame, Quadrant, Section, qcan_view_mut};
use vison_ogse::SpotPattern;

use crate::Result;
use crate::locate::{CcdShift, apply_shift, ccd_from_full_ccd, find_shift};
use crate::measure::{SpotConfig, SpotMeasurement, measure_spots};

/// A spot of the chamber pattern, in the CCD frame of a full-size frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NominalSpot {
    /// Quadrant letter (E, F, G, H).
    pub quadrant: char,
    /// Spot name (e.g. `ALPHA`).
    pub spot: String,
    /// Nominal x, CCD frame of a full-size frame (px).
    pub x_full_ccd_px: f64,
    /// Nominal y, same frame.
    pub y_full_ccd_px: f64,
}

/// The nominal spots of a chamber pattern (physical coordinates) in the CCD frame of a
/// full-size frame, in pattern order.
#[must_use]
pub fn nominal_spots(pattern: &SpotPattern) -> Vec<NominalSpot> {
    pattern
        .spots
        .iter()
        .map(|s| {
            let (x, y) = s.ccd_coords_px();
            NominalSpot {
                quadrant: s.quadrant,
                spot: s.spot.clone(),
                x_full_ccd_px: x,
                y_full_ccd_px: y,
            }
        })
        .collect()
}

/// One spot of a frame: where it was expected and what was measured (or why not).
#[derive(Debug, Clone)]
pub struct FrameSpot {
    /// Quadrant letter.
    pub quadrant: char,
    /// Spot name.
    pub spot: String,
    /// Nominal x mapped onto this frame's geometry (CCD frame).
    pub x_nominal_ccd_px: f64,
    /// Nominal y, same frame.
    pub y_nominal_ccd_px: f64,
    /// The measurement, or the error message of a spot that could not be measured.
    pub result: std::result::Result<SpotMeasurement, String>,
}

/// The spots of one frame and the common shift found for them.
#[derive(Debug, Clone)]
pub struct FrameSpots {
    /// Shift of the nominal positions (CCD frame).
    pub shift: CcdShift,
    /// One entry per nominal spot that falls on a quadrant of the frame, in input order.
    pub spots: Vec<FrameSpot>,
}

/// Mask of a frame for spot work: lost, saturated and non-finite pixels, and every pixel
/// outside the image sections (prescan, overscan).
pub fn frame_mask(frame: &Frame) -> Array2<bool> {
    let g = frame.geometry;
    let mut mask = bad_pixel_mask(frame);
    let img = g.section_box_qcan(Section::Image);
    for q in Quadrant::ALL {
        let mut v = qcan_view_mut(&g, mask.view_mut(), q);
        for ((r, c), m) in v.indexed_iter_mut() {
            if r < img.row0 || r >= img.row1 || c < img.col0 || c >= img.col1 {
                *m = true;
            }
        }
    }
    mask
}

/// Finds and measures the spots `nominal` of `frame` (data in ADU, offsets subtracted or not:
/// every measurement has its own local background). `search_px` bounds the common shift.
pub fn measure_frame_spots(
    frame: &Frame,
    nominal: &[NominalSpot],
    search_px: usize,
    cfg: &SpotConfig,
) -> Result<FrameSpots> {
    let g = frame.geometry;
    let mut kept = Vec::new();
    let mut positions = Vec::new();
    for s in nominal {
        if let Some(p) = ccd_from_full_ccd(&g, s.x_full_ccd_px, s.y_full_ccd_px) {
            kept.push(s);
            positions.push(p);
        }
    }
    let mask = frame_mask(frame);
    let shift = find_shift(
        frame.data.view(),
        Some(mask.view()),
        &positions,
        search_px,
        cfg,
    )?;
    let moved = apply_shift(&positions, &shift);
    let results = measure_spots(frame.data.view(), Some(mask.view()), &moved, cfg);
    let spots = kept
        .iter()
        .zip(&positions)
        .zip(results)
        .map(|((s, &(x, y)), r)| FrameSpot {
            quadrant: s.quadrant,
            spot: s.spot.clone(),
            x_nominal_ccd_px: x,
            y_nominal_ccd_px: y,
            result: r.map_err(|e| e.to_string()),
        })
        .collect();
    Ok(FrameSpots { shift, spots })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vison_ogse::PatternSpot;

    #[test]
    fn nominal_spots_are_in_the_full_ccd_frame() {
        let spot = |quadrant, name: &str, x, y| PatternSpot {
            quadrant,
            spot: name.to_owned(),
            x_phys_px: x,
            y_phys_px: y,
        };
        let pattern = SpotPattern {
            spots: vec![
                spot('E', "ALPHA", 100.0, 200.0),
                spot('G', "ECHO", 10.0, 20.0),
            ],
        };
        // Hand-computed (reference 1.2): E/H +51 in x, F/G +91; E/F +36 in y, G/H +0.
        let n = nominal_spots(&pattern);
        assert_eq!(n.len(), 2);
        assert_eq!((n[0].quadrant, n[0].spot.as_str()), ('E', "ALPHA"));
        assert_eq!((n[0].x_full_ccd_px, n[0].y_full_ccd_px), (151.0, 236.0));
        assert_eq!((n[1].quadrant, n[1].spot.as_str()), ('G', "ECHO"));
        assert_eq!((n[1].x_full_ccd_px, n[1].y_full_ccd_px), (101.0, 20.0));
    }
}
