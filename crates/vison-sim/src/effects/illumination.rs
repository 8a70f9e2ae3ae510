//! Flat-field illumination: smooth lamp pattern times pixel response non-uniformity (PRNU).

use ndarray::{Array2, Zip};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::params::QuadLayout;
use crate::truth::LampTruth;

/// Lamp pattern value at CCD-frame pixel `(x, y)` of a frame `naxis1` x `naxis2`.
pub fn lamp_value(lamp: &LampTruth, naxis1: usize, naxis2: usize, x: f64, y: f64) -> f64 {
    let u = 2.0 * x / (naxis1 as f64 - 1.0) - 1.0;
    let v = 2.0 * y / (naxis2 as f64 - 1.0) - 1.0;
    1.0 + lamp.a_x * u + lamp.a_y * v + lamp.a_r * (u * u + v * v)
}

/// Static relative response of a quadrant's image area: lamp pattern x (1 + PRNU), with PRNU
/// Gaussian of RMS `prnu_rms_frac`. Shape `(image_rows, image_cols)`, canonical orientation.
pub fn flat_response<R: Rng + ?Sized>(
    layout: &QuadLayout,
    top: bool,
    right: bool,
    lamp: &LampTruth,
    prnu_rms_frac: f64,
    rng: &mut R,
) -> Array2<f32> {
    let (naxis1, naxis2) = (2 * layout.width_px(), 2 * layout.height_px());
    let mut out = Array2::<f32>::zeros((layout.image_rows_px, layout.image_cols_px));
    for ((r, c), v) in out.indexed_iter_mut() {
        let (x, y) = layout.ccd_from_qcan(top, right, (c + layout.prescan_px) as f64, r as f64);
        let z: f64 = StandardNormal.sample(rng);
        *v = (lamp_value(lamp, naxis1, naxis2, x, y) * (1.0 + prnu_rms_frac * z)) as f32;
    }
    out
}

/// Adds a flat illumination of mean `level_e` electrons per pixel modulated by `response`.
pub fn add_flat(charge: &mut Array2<f32>, response: &Array2<f32>, level_e: f64) {
    let level = level_e as f32;
    Zip::from(charge)
        .and(response)
        .for_each(|c, &r| *c += level * r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn response_carries_the_prnu_and_lamp_pattern() {
        let layout = QuadLayout {
            prescan_px: 51,
            image_cols_px: 200,
            overscan_px: 20,
            image_rows_px: 200,
            voverscan_px: 20,
        };
        let lamp = LampTruth {
            a_x: 0.0,
            a_y: 0.0,
            a_r: 0.0,
        };
        let mut rng = StdRng::seed_from_u64(5);
        let r = flat_response(&layout, false, false, &lamp, 0.01, &mut rng);
        let n = r.len() as f64;
        let m = r.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let s = (r.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / n).sqrt();
        assert!((m - 1.0).abs() < 2e-4 && (s - 0.01).abs() < 3e-4, "{m} {s}");
        // Pure x gradient: the right edge of the frame is brighter than the left one.
        let lamp = LampTruth {
            a_x: 0.02,
            a_y: 0.0,
            a_r: 0.0,
        };
        assert!((lamp_value(&lamp, 100, 100, 99.0, 40.0) - 1.02).abs() < 1e-12);
        let mut charge = Array2::zeros((2, 2));
        add_flat(&mut charge, &Array2::from_elem((2, 2), 0.5), 100.0);
        assert_eq!(charge[[1, 1]], 50.0);
    }
}
