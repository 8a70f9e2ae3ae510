//! Dark current, hot pixels and hot columns.

use ndarray::Array2;

use super::params::QuadLayout;
use crate::truth::QuadTruth;

/// Adds the dark charge of an integration of `t_s` seconds: uniform dark current, hot pixels
/// and hot columns. Returns the uniform dark charge per pixel (electrons).
pub fn add_dark(charge: &mut Array2<f32>, layout: &QuadLayout, p: &QuadTruth, t_s: f64) -> f64 {
    let dark_e = p.dark_e_per_px_per_s * t_s;
    if t_s <= 0.0 {
        return 0.0;
    }
    charge.mapv_inplace(|v| v + dark_e as f32);
    for hc in &p.hot_columns {
        let c = hc.x_px - layout.prescan_px;
        let add = (hc.dark_e_per_px_per_s * t_s) as f32;
        for r in hc.y0_px..layout.image_rows_px {
            if let Some(v) = charge.get_mut([r, c]) {
                *v += add;
            }
        }
    }
    for hp in &p.hot_pixels {
        if let Some(v) = charge.get_mut([hp.y_px, hp.x_px - layout.prescan_px]) {
            *v += (hp.dark_e_per_s * t_s) as f32;
        }
    }
    dark_e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::params::draw_quad_params;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn dark_adds_rate_times_time_and_hot_pixels() {
        let layout = QuadLayout {
            prescan_px: 51,
            image_cols_px: 64,
            overscan_px: 20,
            image_rows_px: 64,
            voverscan_px: 20,
        };
        let p = draw_quad_params(&layout, &mut StdRng::seed_from_u64(11));
        let mut charge = Array2::zeros((64, 64));
        let d = add_dark(&mut charge, &layout, &p, 100.0);
        assert!((d - 100.0 * p.dark_e_per_px_per_s).abs() < 1e-12);
        let hp = p.hot_pixels[0];
        assert!(f64::from(charge[[hp.y_px, hp.x_px - 51]]) >= hp.dark_e_per_s * 100.0);
    }
}
