//! Synthetic flats for the tests (Poisson signal, full-well clipping, Gaussian read noise).

use ndarray::Array2;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal, Poisson};
use rayon::prelude::*;

/// Flat of `rows x cols` pixels: electrons ~ Poisson(mean_e x response), clipped at
/// `full_well_e`, converted with `gain` (e-/ADU) plus Gaussian read noise `ron_adu`.
pub(crate) fn flat_frame(
    shape: (usize, usize),
    mean_e: impl Fn(usize, usize) -> f64 + Sync,
    full_well_e: f64,
    gain: f64,
    ron_adu: f64,
    seed: u64,
) -> Array2<f32> {
    let (rows, cols) = shape;
    let data: Vec<Vec<f32>> = (0..rows)
        .into_par_iter()
        .map(|r| {
            let mut rng =
                StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(r as u64));
            let noise = Normal::new(0.0, ron_adu).unwrap();
            (0..cols)
                .map(|c| {
                    let lam = mean_e(r, c);
                    let e = if lam > 0.0 {
                        Poisson::new(lam).unwrap().sample(&mut rng)
                    } else {
                        0.0
                    };
                    (e.min(full_well_e) / gain + noise.sample(&mut rng)) as f32
                })
                .collect()
        })
        .collect();
    Array2::from_shape_fn(shape, |(r, c)| data[r][c])
}
