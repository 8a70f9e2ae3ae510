//! The spot measurement used by the tasks and the inspector: annulus background, centroid,
//! exact-aperture photometry at the centroid, adaptive moments and a 2-D Gaussian fit; in
//! parallel over spots.

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::aperture::{ApertureSum, aperture_sum};
use crate::background::{Background, annulus_background};
use crate::centroid::{Centroid, brightest_px, windowed_centroid};
use crate::fwhm::fwhm_xy_from_moments_px;
use crate::gauss2d::{Gauss2dFit, Gauss2dGuess, fit_gauss2d};
use crate::moments::{AdaptiveConfig, AdaptiveMoments, adaptive_moments};
use crate::stamp::{Stamp, index_range};
use crate::{Result, error::require};

/// Settings of [`measure_spot`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpotConfig {
    /// Stamp half-width (the stamp is `2 h + 1` columns).
    pub half_width_px: usize,
    /// Stamp half-height.
    pub half_height_px: usize,
    /// The brightest pixel is searched within this radius of the given position.
    pub search_radius_px: f64,
    /// Half-width of the floating centroid window.
    pub centroid_half_px: f64,
    /// Aperture radius.
    pub aperture_radius_px: f64,
    /// Background annulus inner radius.
    pub annulus_in_px: f64,
    /// Background annulus outer radius.
    pub annulus_out_px: f64,
    /// Gain for the Poisson term of the flux error (e-/ADU).
    pub gain_e_per_adu: f64,
    /// Run the 2-D Gaussian fit.
    pub fit_gaussian: bool,
    /// Run the adaptive moments.
    pub adaptive: bool,
}

impl Default for SpotConfig {
    /// 51 x 51 stamps, aperture 10 px, annulus 15-25 px (reference 6.1 radii), gain 3.1.
    fn default() -> Self {
        SpotConfig {
            half_width_px: 25,
            half_height_px: 25,
            search_radius_px: 4.0,
            centroid_half_px: 6.0,
            aperture_radius_px: 10.0,
            annulus_in_px: 15.0,
            annulus_out_px: 25.0,
            gain_e_per_adu: 3.1,
            fit_gaussian: true,
            adaptive: true,
        }
    }
}

/// Measurements of one spot. Positions are in the frame of the input image (the CCD frame for
/// a whole frame: pixel centres at integers, `data[[y, x]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpotMeasurement {
    /// Centroid x (floating-window first moment).
    pub x_px: f64,
    /// Centroid y.
    pub y_px: f64,
    /// Annulus background (median).
    pub bgd_adu: f64,
    /// Annulus scatter (robust std).
    pub bgd_std_adu: f64,
    /// Brightest background-subtracted pixel within the aperture.
    pub peak_adu: f64,
    /// Background-subtracted exact-aperture flux at the centroid.
    pub flux_adu: f64,
    /// Its error: `sqrt(flux / g + A s^2 + A^2 s^2 pi / (2 N))` (Poisson, background noise
    /// in the aperture area `A`, error of the median of `N` annulus pixels).
    pub flux_err_adu: f64,
    /// Aperture area lost to masked pixels.
    pub aperture_masked_px2: f64,
    /// FWHM along x: from the Gaussian fit, else from the centroid window moments.
    pub fwhm_x_px: f64,
    /// FWHM along y.
    pub fwhm_y_px: f64,
    /// Floating-window centroid details (image frame).
    pub centroid: Centroid,
    /// Adaptive moments (image frame), if computed.
    pub moments: Option<AdaptiveMoments>,
    /// Gaussian fit (image frame), if computed.
    pub gauss: Option<Gauss2dFit>,
    /// Why a part of the measurement is missing or doubtful.
    pub flags: Vec<String>,
}

impl SpotMeasurement {
    /// Adaptive-moment sigma (NaN without moments).
    pub fn sigma_px(&self) -> f64 {
        self.moments.map_or(f64::NAN, |m| m.sigma_px)
    }

    /// Adaptive-moment e1 (NaN without moments).
    pub fn e1(&self) -> f64 {
        self.moments.map_or(f64::NAN, |m| m.e1)
    }

    /// Adaptive-moment e2 (NaN without moments).
    pub fn e2(&self) -> f64 {
        self.moments.map_or(f64::NAN, |m| m.e2)
    }

    /// Adaptive moments converged.
    pub fn converged(&self) -> bool {
        self.moments.is_some_and(|m| m.converged)
    }
}

fn check_config(cfg: &SpotConfig) -> Result<()> {
    require(
        cfg.aperture_radius_px > 0.0,
        "aperture_radius_px",
        cfg.aperture_radius_px,
        "must be > 0",
    )?;
    require(
        cfg.annulus_out_px > cfg.annulus_in_px,
        "annulus_out_px",
        cfg.annulus_out_px,
        "must exceed annulus_in_px",
    )?;
    require(
        cfg.gain_e_per_adu > 0.0,
        "gain_e_per_adu",
        cfg.gain_e_per_adu,
        "must be > 0",
    )
}

/// Measures the spot nearest to image position `(x_px, y_px)` in a stamp cut from `image`.
pub fn measure_spot(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    x_px: f64,
    y_px: f64,
    cfg: &SpotConfig,
) -> Result<SpotMeasurement> {
    let stamp = Stamp::cut(
        image,
        mask,
        x_px,
        y_px,
        cfg.half_width_px,
        cfg.half_height_px,
    )?;
    measure_stamp(&stamp, x_px, y_px, cfg)
}

/// [`measure_spot`] for many positions, in parallel; one result per position.
pub fn measure_spots(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    positions_px: &[(f64, f64)],
    cfg: &SpotConfig,
) -> Vec<Result<SpotMeasurement>> {
    positions_px
        .par_iter()
        .map(|&(x, y)| measure_spot(image, mask, x, y, cfg))
        .collect()
}

/// Measures the spot of a stamp near image position `(x_px, y_px)`.
pub fn measure_stamp(
    stamp: &Stamp,
    x_px: f64,
    y_px: f64,
    cfg: &SpotConfig,
) -> Result<SpotMeasurement> {
    check_config(cfg)?;
    let (gx, gy) = stamp.stamp_from_image(x_px, y_px);
    let (bgd, sub, cen) = centre_spot(stamp, gx, gy, cfg)?;
    let mut flags = Vec::new();
    if !cen.converged {
        flags.push("centroid not converged".to_string());
    }
    let ap = aperture_sum(&sub, cen.x_px, cen.y_px, cfg.aperture_radius_px)?;
    if ap.masked_area_px > 0.0 {
        flags.push(format!(
            "{:.2} px^2 of the aperture masked",
            ap.masked_area_px
        ));
    }
    let peak = peak_within(&sub, cen.x_px, cen.y_px, cfg.aperture_radius_px);
    let (moments, gauss) = spot_shape(&sub, &cen, peak, cfg, &mut flags);
    let (fx, fy) = match gauss.filter(|g| g.converged) {
        Some(g) => (g.fwhm_x_px, g.fwhm_y_px),
        None => fwhm_xy_from_moments_px(cen.var_x_px2, cen.var_y_px2),
    };
    let to_image = |x: f64, y: f64| stamp.image_from_stamp(x, y);
    let (x_img, y_img) = to_image(cen.x_px, cen.y_px);
    Ok(SpotMeasurement {
        x_px: x_img,
        y_px: y_img,
        bgd_adu: bgd.level_adu,
        bgd_std_adu: bgd.std_adu,
        peak_adu: peak,
        flux_adu: ap.sum_adu,
        flux_err_adu: flux_err_adu(&ap, &bgd, cfg.gain_e_per_adu),
        aperture_masked_px2: ap.masked_area_px,
        fwhm_x_px: fx,
        fwhm_y_px: fy,
        centroid: Centroid {
            x_px: x_img,
            y_px: y_img,
            ..cen
        },
        moments: moments.map(|m| {
            let (x, y) = to_image(m.x_px, m.y_px);
            AdaptiveMoments {
                x_px: x,
                y_px: y,
                ..m
            }
        }),
        gauss: gauss.map(|g| {
            let (x, y) = to_image(g.x_px, g.y_px);
            Gauss2dFit {
                x_px: x,
                y_px: y,
                ..g
            }
        }),
        flags,
    })
}

/// Annulus background, background-subtracted stamp and centroid of the spot near stamp
/// position `(gx, gy)`; the annulus is re-centred once on a centroid more than 1 px away.
fn centre_spot(
    stamp: &Stamp,
    gx: f64,
    gy: f64,
    cfg: &SpotConfig,
) -> Result<(Background, Stamp, Centroid)> {
    let mut bgd = annulus_background(stamp, gx, gy, cfg.annulus_in_px, cfg.annulus_out_px)?;
    let mut sub = stamp.minus(bgd.level_adu);
    let (sc, sr) = brightest_px(&sub, gx, gy, cfg.search_radius_px)?;
    let mut cen = windowed_centroid(&sub, sc as f64, sr as f64, cfg.centroid_half_px, 20, 1e-4)?;
    if (cen.x_px - gx).hypot(cen.y_px - gy) > 1.0 {
        // Re-centre the annulus on the spot.
        let b2 = annulus_background(
            stamp,
            cen.x_px,
            cen.y_px,
            cfg.annulus_in_px,
            cfg.annulus_out_px,
        )?;
        if b2.level_adu != bgd.level_adu {
            bgd = b2;
            sub = stamp.minus(bgd.level_adu);
            cen = windowed_centroid(&sub, cen.x_px, cen.y_px, cfg.centroid_half_px, 20, 1e-4)?;
        }
    }
    Ok((bgd, sub, cen))
}

/// Error of an aperture flux: `sqrt(flux / g + A s^2 + A^2 s^2 pi / (2 N))` (source Poisson
/// noise, background noise in the aperture area `A`, error of the median of `N` annulus pixels).
/// The background is assumed flat across the annulus: a structure such as an uncorrected
/// row-offset ripple is not in the error (subtract the master bias first).
fn flux_err_adu(ap: &ApertureSum, bgd: &Background, gain_e_per_adu: f64) -> f64 {
    let s2 = bgd.std_adu * bgd.std_adu;
    let var = ap.sum_adu.max(0.0) / gain_e_per_adu
        + ap.area_px * s2
        + ap.area_px * ap.area_px * s2 * std::f64::consts::FRAC_PI_2 / bgd.n_px as f64;
    var.sqrt()
}

/// Adaptive moments and Gaussian fit of the background-subtracted stamp, as configured;
/// failures are noted in `flags`.
fn spot_shape(
    sub: &Stamp,
    cen: &Centroid,
    peak: f64,
    cfg: &SpotConfig,
    flags: &mut Vec<String>,
) -> (Option<AdaptiveMoments>, Option<Gauss2dFit>) {
    let sigma0 = (0.5 * (cen.var_x_px2 + cen.var_y_px2))
        .max(0.25)
        .sqrt()
        .min(10.0);
    let moments = if cfg.adaptive {
        match adaptive_moments(sub, cen.x_px, cen.y_px, sigma0, &AdaptiveConfig::default()) {
            Ok(m) => Some(m),
            Err(e) => {
                flags.push(format!("adaptive moments: {e}"));
                None
            }
        }
    } else {
        None
    };
    let gauss = if cfg.fit_gaussian {
        fit_gaussian(sub, cen, moments.as_ref(), peak, flags)
    } else {
        None
    };
    (moments, gauss)
}

/// Gaussian fit started from the adaptive moments (else the centroid window moments).
fn fit_gaussian(
    sub: &Stamp,
    cen: &Centroid,
    moments: Option<&AdaptiveMoments>,
    peak: f64,
    flags: &mut Vec<String>,
) -> Option<Gauss2dFit> {
    let (cxx, cxy, cyy) = match moments {
        Some(m) if m.converged => (m.mxx_px2, m.mxy_px2, m.myy_px2),
        _ => (cen.var_x_px2.max(0.25), 0.0, cen.var_y_px2.max(0.25)),
    };
    let guess = Gauss2dGuess {
        amp_adu: peak,
        x_px: cen.x_px,
        y_px: cen.y_px,
        cxx_px2: cxx,
        cxy_px2: cxy,
        cyy_px2: cyy,
        bgd_adu: 0.0,
    };
    let half = (4.0 * cxx.max(cyy).sqrt()).ceil().clamp(4.0, 15.0);
    match fit_gauss2d(sub, &guess, half) {
        Ok(g) => {
            if !g.converged {
                flags.push("Gaussian fit not converged".to_string());
            }
            Some(g)
        }
        Err(e) => {
            flags.push(format!("Gaussian fit: {e}"));
            None
        }
    }
}

/// Largest usable value within `r_px` of `(x_px, y_px)` (NaN if none).
fn peak_within(stamp: &Stamp, x_px: f64, y_px: f64, r_px: f64) -> f64 {
    let (rows, cols) = stamp.data_adu.dim();
    let (r0, r1) = index_range(y_px, r_px, rows);
    let (c0, c1) = index_range(x_px, r_px, cols);
    let mut peak = f64::NAN;
    for r in r0..r1 {
        for c in c0..c1 {
            let inside = (c as f64 - x_px).hypot(r as f64 - y_px) <= r_px;
            if let (true, Some(v)) = (inside, stamp.value(r, c)) {
                peak = peak.max(v);
            }
        }
    }
    peak
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn spot_image() -> Array2<f32> {
        Array2::from_shape_fn((61, 71), |(r, c)| {
            let (dx, dy) = (c as f64 - 35.3, r as f64 - 29.6);
            (50.0 + 1.0e4 * (-(dx * dx + dy * dy) / (2.0 * 1.5 * 1.5)).exp()) as f32
        })
    }

    #[test]
    fn clean_spot_is_measured_in_image_coordinates() {
        let img = spot_image();
        let m = measure_spot(img.view(), None, 34.0, 31.0, &SpotConfig::default()).unwrap();
        assert!(
            (m.x_px - 35.3).abs() < 1e-3 && (m.y_px - 29.6).abs() < 1e-3,
            "{m:?}"
        );
        assert!(
            (m.bgd_adu - 50.0).abs() < 1e-3 && m.flags.is_empty(),
            "{m:?}"
        );
        let flux = 1.0e4 * 2.0 * std::f64::consts::PI * 1.5 * 1.5;
        assert!((m.flux_adu / flux - 1.0).abs() < 1e-3, "{}", m.flux_adu);
        let g = m.gauss.unwrap();
        assert!(
            (g.x_px - 35.3).abs() < 1e-4 && (g.sigma_x_px - 1.5).abs() < 1e-3,
            "{g:?}"
        );
        let mo = m.moments.unwrap();
        assert!(
            (mo.y_px - 29.6).abs() < 1e-4 && (mo.sigma_px - 1.5).abs() < 1e-3,
            "{mo:?}"
        );
        assert!(m.converged() && m.e1().abs() < 1e-4 && m.e2().abs() < 1e-4);
        assert!((m.peak_adu - 1.0e4 * (-(0.09 + 0.16) / 4.5f64).exp()).abs() < 1.0);
    }

    #[test]
    fn bad_configuration_and_positions_are_errors() {
        let img = spot_image();
        let bad = SpotConfig {
            annulus_out_px: 5.0,
            ..SpotConfig::default()
        };
        assert!(measure_spot(img.view(), None, 35.0, 30.0, &bad).is_err());
        assert!(measure_spot(img.view(), None, 500.0, 30.0, &SpotConfig::default()).is_err());
        let res = measure_spots(
            img.view(),
            None,
            &[(35.0, 30.0), (-9.0, 0.0)],
            &SpotConfig::default(),
        );
        assert!(res[0].is_ok() && res[1].is_err());
    }
}
