//! Cosmic rays: straight tracks of deposited charge.

use ndarray::Array2;
use rand::Rng;

use crate::truth::CosmicRayTruth;

/// Ground-level cosmic-ray rate used by the generator (events per cm^2 per s).
const RATE_PER_CM2_PER_S: f64 = 0.02;
/// Pixel side (cm): 12 um.
const PIXEL_CM: f64 = 12e-4;

/// Alias kept for API clarity.
pub type CosmicRay = CosmicRayTruth;

/// Expected number of cosmic rays on `n_px` pixels during `t_s` seconds.
pub fn cosmic_ray_count_mean(n_px: usize, t_s: f64) -> f64 {
    RATE_PER_CM2_PER_S * n_px as f64 * PIXEL_CM * PIXEL_CM * t_s.max(0.0)
}

/// Adds a Poisson number (mean `mean_count`) of cosmic-ray tracks to the image-area charge
/// map. Each track starts at a uniform position, has a uniform direction, a projected length
/// of 1-15 px and deposits 2000-5000 e- per 40 um of path (thickness 40 um, 12 um pixels).
/// `prescan_px` converts the recorded start column to canonical quadrant coordinates.
pub fn add_cosmic_rays<R: Rng + ?Sized>(
    charge: &mut Array2<f32>,
    prescan_px: usize,
    mean_count: f64,
    rng: &mut R,
) -> Vec<CosmicRay> {
    let (rows, cols) = charge.dim();
    let n = poisson_count(mean_count, rng);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let x0: f64 = rng.random_range(0.0..cols as f64);
        let y0: f64 = rng.random_range(0.0..rows as f64);
        let angle: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        let length: f64 = rng.random_range(1.0..15.0);
        let per_crossing: f64 = rng.random_range(2000.0..5000.0);
        let total = per_crossing * (1.0 + (length * 12.0 / 40.0).powi(2)).sqrt();
        let steps = (length * 4.0).ceil() as usize + 1;
        let per_step = (total / steps as f64) as f32;
        for k in 0..steps {
            let f = k as f64 / (steps - 1).max(1) as f64;
            let x = (x0 + f * length * angle.cos()).round();
            let y = (y0 + f * length * angle.sin()).round();
            if x >= 0.0
                && y >= 0.0
                && let Some(v) = charge.get_mut([y as usize, x as usize])
            {
                *v += per_step;
            }
        }
        out.push(CosmicRay {
            x_px: x0 + prescan_px as f64,
            y_px: y0,
            length_px: length,
            angle_rad: angle,
            total_e: total,
        });
    }
    out
}

fn poisson_count<R: Rng + ?Sized>(mean: f64, rng: &mut R) -> usize {
    super::noise::poisson(mean, rng) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn cosmic_rays_deposit_their_recorded_charge() {
        let mut rng = StdRng::seed_from_u64(9);
        let mut charge = Array2::<f32>::zeros((400, 400));
        let crs = add_cosmic_rays(&mut charge, 51, 20.0, &mut rng);
        assert!(!crs.is_empty());
        let deposited: f64 = charge.iter().map(|&v| f64::from(v)).sum();
        let recorded: f64 = crs.iter().map(|c| c.total_e).sum();
        // Tracks leaving the area lose part of their charge.
        assert!(deposited <= recorded * 1.0001 && deposited > 0.7 * recorded);
        // Full quadrant, 565 s dark: a few tens of events.
        let m = cosmic_ray_count_mean(2048 * 2066, 565.0);
        assert!(m > 20.0 && m < 120.0, "{m}");
    }
}
