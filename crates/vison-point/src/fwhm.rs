//! Full width at half maximum from Gaussian widths and second moments.

/// `2 sqrt(2 ln 2)`: FWHM of a Gaussian per unit sigma.
pub const SIGMA_TO_FWHM: f64 = 2.354_820_045_030_949_3;

/// FWHM of a Gaussian of width `sigma_px`.
pub fn fwhm_from_sigma_px(sigma_px: f64) -> f64 {
    SIGMA_TO_FWHM * sigma_px
}

/// FWHM along x and y of a Gaussian with second moments `var_x_px2`, `var_y_px2` (NaN for a
/// negative moment).
pub fn fwhm_xy_from_moments_px(var_x_px2: f64, var_y_px2: f64) -> (f64, f64) {
    let f = |v: f64| {
        if v >= 0.0 {
            SIGMA_TO_FWHM * v.sqrt()
        } else {
            f64::NAN
        }
    };
    (f(var_x_px2), f(var_y_px2))
}

/// Combined FWHM `sqrt((fwhm_x^2 + fwhm_y^2) / 2)` (the focus metric of reference 4.13).
pub fn combined_fwhm_px(fwhm_x_px: f64, fwhm_y_px: f64) -> f64 {
    (0.5 * (fwhm_x_px * fwhm_x_px + fwhm_y_px * fwhm_y_px)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fwhm_of_a_gaussian_is_its_half_maximum_width() {
        let s = 1.7;
        let half = fwhm_from_sigma_px(s) / 2.0;
        assert!(((-half * half / (2.0 * s * s)).exp() - 0.5).abs() < 1e-15);
        let (fx, fy) = fwhm_xy_from_moments_px(4.0, -1.0);
        assert!((fx - 2.0 * SIGMA_TO_FWHM).abs() < 1e-15 && fy.is_nan());
        assert!((combined_fwhm_px(3.0, 3.0) - 3.0).abs() < 1e-15);
    }
}
