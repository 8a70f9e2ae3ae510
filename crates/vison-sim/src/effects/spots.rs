//! Point sources (OGSE spots): pixel-integrated circular Gaussians whose width follows the
//! focus mirror position.

use ndarray::Array2;

use super::math::normal_cdf;

/// Mirror defocus (mm) that widens the spot FWHM by sqrt(2).
pub const DEFOCUS_SCALE_MM: f64 = 0.25;

/// One spot to draw (canonical quadrant coordinates, pixel centres at integers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpotImage {
    /// Centre, serial index (prescan included).
    pub x_qcan_px: f64,
    /// Centre, row.
    pub y_qcan_px: f64,
    /// Gaussian FWHM.
    pub fwhm_px: f64,
    /// Total charge.
    pub total_e: f64,
}

/// Spot FWHM at mirror position `mirr_pos_mm` for a spot of in-focus FWHM `fwhm0_px` whose
/// best focus is at `best_focus_mm`: `fwhm0 * sqrt(1 + ((pos - best) / 0.25 mm)^2)`.
pub fn fwhm_at_focus_px(fwhm0_px: f64, mirr_pos_mm: f64, best_focus_mm: f64) -> f64 {
    let d = (mirr_pos_mm - best_focus_mm) / DEFOCUS_SCALE_MM;
    fwhm0_px * (1.0 + d * d).sqrt()
}

/// Adds a pixel-integrated circular Gaussian to the image-area charge map (`prescan_px`
/// converts canonical columns to image-area columns). Returns the added charge in the
/// brightest pixel.
pub fn add_spot(charge: &mut Array2<f32>, prescan_px: usize, spot: &SpotImage) -> f64 {
    let (rows, cols) = charge.dim();
    let sigma = spot.fwhm_px / (8.0 * std::f64::consts::LN_2).sqrt();
    let xc = spot.x_qcan_px - prescan_px as f64;
    let yc = spot.y_qcan_px;
    let half = (6.0 * sigma).ceil() + 2.0;
    let frac =
        |lo: f64, hi: f64, c: f64| normal_cdf((hi - c) / sigma) - normal_cdf((lo - c) / sigma);
    let c0 = (xc - half).floor().max(0.0) as usize;
    let c1 = ((xc + half).ceil().max(0.0) as usize).min(cols.saturating_sub(1));
    let r0 = (yc - half).floor().max(0.0) as usize;
    let r1 = ((yc + half).ceil().max(0.0) as usize).min(rows.saturating_sub(1));
    if c0 > c1 || r0 > r1 {
        return 0.0;
    }
    let fx: Vec<f64> = (c0..=c1)
        .map(|c| frac(c as f64 - 0.5, c as f64 + 0.5, xc))
        .collect();
    let mut peak = 0.0_f64;
    for r in r0..=r1 {
        let fy = frac(r as f64 - 0.5, r as f64 + 0.5, yc);
        for (k, c) in (c0..=c1).enumerate() {
            let add = spot.total_e * fy * fx[k];
            charge[[r, c]] += add as f32;
            peak = peak.max(add);
        }
    }
    peak
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spot_flux_and_centroid_are_exact() {
        let mut charge = Array2::<f32>::zeros((64, 64));
        let spot = SpotImage {
            x_qcan_px: 51.0 + 30.3,
            y_qcan_px: 20.7,
            fwhm_px: 2.0,
            total_e: 1e6,
        };
        let peak = add_spot(&mut charge, 51, &spot);
        let (mut s, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for ((r, c), &v) in charge.indexed_iter() {
            let v = f64::from(v);
            s += v;
            sx += v * c as f64;
            sy += v * r as f64;
        }
        assert!((s - 1e6).abs() < 5.0, "{s}");
        assert!((sx / s - 30.3).abs() < 1e-3 && (sy / s - 20.7).abs() < 1e-3);
        assert!(peak > 0.1e6 && peak < 0.2e6, "{peak}");
        assert!((fwhm_at_focus_px(2.0, 47.45, 47.2) - 2.0 * 2f64.sqrt()).abs() < 1e-12);
    }
}
