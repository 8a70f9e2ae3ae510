//! Shot noise (Poisson in electrons) and Gaussian sampling.

use ndarray::Array2;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// One standard-normal sample.
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// Mean above which the Poisson distribution is replaced by its Gaussian limit
/// (mean `lambda`, variance `lambda`, rounded to whole electrons).
const GAUSS_LIMIT_E: f32 = 30.0;

/// Replaces every expected charge (electrons) by a Poisson sample of that mean.
///
/// Non-positive expectations become 0. Means below 30 e- are sampled exactly (Knuth's
/// multiplication method); larger means use the Gaussian limit, whose first two moments are
/// exact. Returns the number of pixels sampled.
pub fn add_shot_noise<R: Rng + ?Sized>(charge: &mut Array2<f32>, rng: &mut R) -> usize {
    let mut n = 0;
    for v in charge.iter_mut() {
        let lambda = *v;
        if lambda <= 0.0 {
            *v = 0.0;
            continue;
        }
        n += 1;
        *v = if lambda < GAUSS_LIMIT_E {
            poisson(f64::from(lambda), rng) as f32
        } else {
            let z: f32 = StandardNormal.sample(rng);
            (lambda + lambda.sqrt() * z).round().max(0.0)
        };
    }
    n
}

/// A Poisson deviate of mean `lambda` (`rand_distr`; 0 for a mean that is not positive).
pub(crate) fn poisson<R: Rng + ?Sized>(lambda: f64, rng: &mut R) -> f64 {
    rand_distr::Poisson::new(lambda).map_or(0.0, |d| d.sample(rng))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn mean_var(a: &Array2<f32>) -> (f64, f64) {
        let n = a.len() as f64;
        let m = a.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let v = a.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, v)
    }

    #[test]
    fn shot_noise_has_poisson_moments_at_low_and_high_means() {
        let mut rng = StdRng::seed_from_u64(1);
        for lambda in [0.7_f32, 12.0, 5000.0] {
            let mut a = Array2::from_elem((300, 300), lambda);
            add_shot_noise(&mut a, &mut rng);
            let (m, v) = mean_var(&a);
            let l = f64::from(lambda);
            // 90000 samples: mean error ~ sqrt(l/9e4), variance error ~ l*sqrt(2/9e4).
            assert!((m - l).abs() < 5.0 * (l / 9e4).sqrt(), "mean {m} for {l}");
            assert!((v / l - 1.0).abs() < 0.03, "var {v} for {l}");
        }
    }
}
