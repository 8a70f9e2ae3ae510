//! Spot location, star-tracker-like: the nominal positions of all the spots of a CCD are moved
//! by one common shift, found by maximising the summed (per-spot normalised) 3x3 box signal over
//! integer shifts and refined to sub-pixel precision with the median centroid offset.

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::background::median_in_place;
use crate::measure::{SpotConfig, measure_spot};
use vison_ccd::{FrameGeometry, coords};

use crate::{Error, Result};

/// The common shift of a CCD's spots (image frame = nominal frame + shift).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CcdShift {
    /// Shift along x.
    pub dx_px: f64,
    /// Shift along y.
    pub dy_px: f64,
    /// Integer shift that maximised the summed signal, x.
    pub coarse_dx_px: i64,
    /// Same, y.
    pub coarse_dy_px: i64,
    /// Summed normalised signal at the coarse shift (at most the number of spots).
    pub score: f64,
    /// Spots whose centroid entered the sub-pixel refinement.
    pub n_refined: usize,
}

/// Per-spot map of the background-subtracted 3x3 box sums over the shift grid, normalised to a
/// maximum of 1 (all zeros without signal).
fn shift_map(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    (x, y): (f64, f64),
    radius: i64,
) -> Vec<f64> {
    let (rows, cols) = image.dim();
    let usable = |yy: i64, xx: i64| -> Option<f64> {
        if yy < 0 || xx < 0 || yy as usize >= rows || xx as usize >= cols {
            return None;
        }
        let (yy, xx) = (yy as usize, xx as usize);
        let v = f64::from(image[[yy, xx]]);
        (v.is_finite() && !mask.is_some_and(|m| m[[yy, xx]])).then_some(v)
    };
    let (xi, yi) = (x.round() as i64, y.round() as i64);
    let r = radius + 1;
    let mut region: Vec<f64> = (yi - r..=yi + r)
        .flat_map(|yy| (xi - r..=xi + r).map(move |xx| (yy, xx)))
        .filter_map(|(yy, xx)| usable(yy, xx))
        .collect();
    let bg = median_in_place(&mut region);
    let n = (2 * radius + 1) as usize;
    let mut map = vec![0.0; n * n];
    if !bg.is_finite() {
        return map;
    }
    for (k, v) in map.iter_mut().enumerate() {
        let (dy, dx) = ((k / n) as i64 - radius, (k % n) as i64 - radius);
        let mut s = 0.0;
        for yy in yi + dy - 1..=yi + dy + 1 {
            for xx in xi + dx - 1..=xi + dx + 1 {
                s += usable(yy, xx).map_or(0.0, |v| v - bg);
            }
        }
        *v = s;
    }
    let max = map.iter().copied().fold(0.0, f64::max);
    if max > 0.0 {
        map.iter_mut().for_each(|v| *v = (*v / max).max(0.0));
    }
    map
}

/// Finds the common shift of spots expected at `nominal_px` (image frame) within
/// `search_radius_px`, refined with the centroids of [`measure_spot`] under `cfg`.
pub fn find_shift(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    nominal_px: &[(f64, f64)],
    search_radius_px: usize,
    cfg: &SpotConfig,
) -> Result<CcdShift> {
    if nominal_px.is_empty() {
        return Err(Error::TooFew {
            what: "spot positions",
            got: 0,
            need: 1,
        });
    }
    if let Some(m) = mask.filter(|m| m.dim() != image.dim()) {
        return Err(Error::ShapeMismatch {
            what: "mask",
            got: [m.nrows(), m.ncols()],
            expected: [image.nrows(), image.ncols()],
        });
    }
    let radius = search_radius_px as i64;
    let maps: Vec<Vec<f64>> = nominal_px
        .par_iter()
        .map(|&p| shift_map(image, mask, p, radius))
        .collect();
    let n = (2 * radius + 1) as usize;
    let mut best = (f64::NEG_INFINITY, 0i64, 0i64);
    for k in 0..n * n {
        let score: f64 = maps.iter().map(|m| m[k]).sum();
        let (dy, dx) = ((k / n) as i64 - radius, (k % n) as i64 - radius);
        // Ties go to the smaller shift.
        let better = score > best.0 + 1e-12
            || ((score - best.0).abs() <= 1e-12
                && dx * dx + dy * dy < best.1.pow(2) + best.2.pow(2));
        if better {
            best = (score, dx, dy);
        }
    }
    let (score, cdx, cdy) = best;
    let cfg_fine = SpotConfig {
        search_radius_px: 2.0,
        fit_gaussian: false,
        adaptive: false,
        ..*cfg
    };
    let offsets: Vec<(f64, f64)> = nominal_px
        .par_iter()
        .filter_map(|&(x, y)| {
            let (sx, sy) = (x + cdx as f64, y + cdy as f64);
            let m = measure_spot(image, mask, sx, sy, &cfg_fine).ok()?;
            let good = m.centroid.converged && m.flux_adu > 5.0 * m.flux_err_adu;
            good.then_some((m.x_px - x, m.y_px - y))
        })
        .collect();
    let (dx, dy) = if offsets.is_empty() {
        (cdx as f64, cdy as f64)
    } else {
        let mut xs: Vec<f64> = offsets.iter().map(|o| o.0).collect();
        let mut ys: Vec<f64> = offsets.iter().map(|o| o.1).collect();
        (median_in_place(&mut xs), median_in_place(&mut ys))
    };
    Ok(CcdShift {
        dx_px: dx,
        dy_px: dy,
        coarse_dx_px: cdx,
        coarse_dy_px: cdy,
        score,
        n_refined: offsets.len(),
    })
}

/// Nominal positions moved by the shift.
pub fn apply_shift(nominal_px: &[(f64, f64)], shift: &CcdShift) -> Vec<(f64, f64)> {
    nominal_px
        .iter()
        .map(|&(x, y)| (x + shift.dx_px, y + shift.dy_px))
        .collect()
}

/// Maps a position given in the CCD frame of a full-size frame (as the OGSE patterns are) onto
/// a frame of geometry `g`: same quadrant, same fractional position in the canonical image
/// area (the identity for full-size frames; synthetic reduced frames place spots this way).
/// `None` when the position is not on a quadrant.
pub fn ccd_from_full_ccd(g: &FrameGeometry, x_px: f64, y_px: f64) -> Option<(f64, f64)> {
    let full = FrameGeometry::FULL;
    let (q, (c, r)) = coords::qcan_from_ccd(&full, (x_px, y_px))?;
    let fx = (c - full.prescan_px as f64) / full.image_cols_px as f64;
    let fy = r / full.image_rows_px as f64;
    let c2 = g.prescan_px as f64 + fx * g.image_cols_px as f64;
    let r2 = fy * g.image_rows_px as f64;
    coords::ccd_from_qcan(g, q, (c2, r2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn full_to_small_mapping_keeps_quadrant_and_fraction() {
        let full = FrameGeometry::FULL;
        assert_eq!(
            ccd_from_full_ccd(&full, 460.6, 1668.8),
            Some((460.6, 1668.8))
        );
        let small = FrameGeometry::small();
        // H ALPHA of the nominal grid: fx 0.2, fy 0.8 of the image area.
        let (x, y) = ccd_from_full_ccd(&small, 460.6, 1668.8).unwrap();
        assert!((x - (51.0 + 0.2 * 256.0)).abs() < 1e-9, "{x}");
        assert!((y - 1668.8 / 2066.0 * 256.0).abs() < 1e-9, "{y}");
        // F ECHO stays in F (top right).
        let (x, y) = ccd_from_full_ccd(&small, 3808.4, 2503.2).unwrap();
        let q = coords::quadrant_of_ccd(&small, (x, y)).unwrap();
        assert_eq!(q, vison_ccd::Quadrant::F);
        assert!(ccd_from_full_ccd(&small, -5.0, 10.0).is_none());
    }

    #[test]
    fn shift_found_with_a_hot_pixel_and_a_missing_spot() {
        let nominal = [(20.0, 20.0), (60.0, 25.0), (30.0, 70.0), (75.0, 75.0)];
        let (dx, dy) = (3.4, -2.3);
        let mut img = Array2::<f32>::from_elem((100, 100), 100.0);
        for (k, &(x, y)) in nominal.iter().enumerate() {
            if k == 3 {
                continue; // this spot is missing
            }
            let (xc, yc) = (x + dx, y + dy);
            for ((r, c), v) in img.indexed_iter_mut() {
                let d2 = (c as f64 - xc).powi(2) + (r as f64 - yc).powi(2);
                *v += (5000.0 * (-d2 / 4.5).exp()) as f32;
            }
        }
        img[[76, 74]] = 60000.0; // a hot pixel near the missing spot
        let cfg = SpotConfig {
            half_width_px: 12,
            half_height_px: 12,
            annulus_in_px: 8.0,
            annulus_out_px: 12.0,
            aperture_radius_px: 5.0,
            ..SpotConfig::default()
        };
        let s = find_shift(img.view(), None, &nominal, 6, &cfg).unwrap();
        assert_eq!((s.coarse_dx_px, s.coarse_dy_px), (3, -2));
        assert!(
            (s.dx_px - dx).abs() < 0.01 && (s.dy_px - dy).abs() < 0.01,
            "{s:?}"
        );
        let moved = apply_shift(&nominal, &s);
        assert!((moved[0].0 - 23.4).abs() < 0.01);
        assert!(find_shift(img.view(), None, &[], 6, &cfg).is_err());
        let small_mask = Array2::from_elem((10, 10), false);
        assert!(find_shift(img.view(), Some(small_mask.view()), &nominal, 6, &cfg).is_err());
    }
}
