//! Encircled energy: the fraction of a spot's flux within a radius (exact apertures), and the
//! radius enclosing a given fraction.

use argmin::core::{CostFunction, Executor, State, TerminationReason};
use argmin::solver::brent::BrentRoot;

use crate::aperture::aperture_sum;
use crate::error::is_positive;
use crate::stamp::Stamp;
use crate::{Error, Result, error::require};

/// Encircled-energy fraction at each radius of `radii_px`, relative to the flux within
/// `r_total_px`, around stamp position `(x_px, y_px)` of a background-subtracted stamp.
pub fn encircled_energy(
    stamp: &Stamp,
    x_px: f64,
    y_px: f64,
    radii_px: &[f64],
    r_total_px: f64,
) -> Result<Vec<f64>> {
    let total = aperture_sum(stamp, x_px, y_px, r_total_px)?.sum_adu;
    if !is_positive(total) {
        return Err(Error::FitFailed {
            model: "encircled energy",
            reason: format!("non-positive total flux {total}"),
        });
    }
    radii_px
        .iter()
        .map(|&r| Ok(aperture_sum(stamp, x_px, y_px, r)?.sum_adu / total))
        .collect()
}

/// Encircled-energy fraction minus the target: the function whose root is the EE radius
/// (0 at non-positive radii).
struct EeExcess<'a> {
    stamp: &'a Stamp,
    x_px: f64,
    y_px: f64,
    total_adu: f64,
    fraction: f64,
}

impl CostFunction for EeExcess<'_> {
    type Param = f64;
    type Output = f64;

    fn cost(&self, r_px: &f64) -> std::result::Result<f64, argmin::core::Error> {
        if *r_px <= 0.0 {
            return Ok(-self.fraction);
        }
        let sum = aperture_sum(self.stamp, self.x_px, self.y_px, *r_px)?.sum_adu;
        Ok(sum / self.total_adu - self.fraction)
    }
}

/// Radius enclosing `fraction` (0 < f < 1) of the flux within `r_total_px`: the root of the
/// encircled-energy curve minus `fraction` on `[0, r_total_px]`, by Brent's method (argmin's
/// `BrentRoot`) to 1e-6 px (the curve is monotonic for a non-negative spot).
pub fn ee_radius_px(
    stamp: &Stamp,
    x_px: f64,
    y_px: f64,
    fraction: f64,
    r_total_px: f64,
) -> Result<f64> {
    require(
        fraction > 0.0 && fraction < 1.0,
        "fraction",
        fraction,
        "must be in (0, 1)",
    )?;
    let total = aperture_sum(stamp, x_px, y_px, r_total_px)?.sum_adu;
    if !is_positive(total) {
        return Err(Error::FitFailed {
            model: "encircled energy",
            reason: format!("non-positive total flux {total}"),
        });
    }
    let excess = EeExcess {
        stamp,
        x_px,
        y_px,
        total_adu: total,
        fraction,
    };
    let fail = |reason: String| Error::FitFailed {
        model: "encircled energy radius",
        reason,
    };
    let res = Executor::new(excess, BrentRoot::new(0.0, r_total_px, 1e-6))
        .configure(|s| s.max_iters(200))
        .run()
        .map_err(|e| fail(e.to_string()))?;
    let state = res.state();
    match (state.get_termination_reason(), state.get_best_param()) {
        (Some(TerminationReason::SolverConverged), Some(r)) => Ok(*r),
        (reason, _) => Err(fail(format!("Brent root search stopped: {reason:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn ee50_of_a_wide_gaussian_is_sigma_sqrt_2ln2() {
        // Sampled circular Gaussian; the aperture spreads each sample over its pixel, which
        // adds 1/12 px^2 of variance: EE(r) = 1 - exp(-r^2 / 2 s_eff^2).
        let s = 4.0;
        let arr = Array2::from_shape_fn((81, 81), |(r, c)| {
            let (dx, dy) = (c as f64 - 40.2, r as f64 - 39.7);
            (-(dx * dx + dy * dy) / (2.0 * s * s)).exp()
        });
        let st = Stamp::from_array(arr, 0, 0);
        let r50 = ee_radius_px(&st, 40.2, 39.7, 0.5, 38.0).unwrap();
        let s_eff = (s * s + 1.0 / 12.0f64).sqrt();
        let expect = s_eff * (2.0 * 2f64.ln()).sqrt();
        assert!((r50 - expect).abs() < 1e-3, "{r50} vs {expect}");
        let ee = encircled_energy(&st, 40.2, 39.7, &[s_eff, 2.0 * s_eff], 38.0).unwrap();
        assert!((ee[0] - (1.0 - (-0.5f64).exp())).abs() < 2e-3, "{ee:?}");
        assert!((ee[1] - (1.0 - (-2.0f64).exp())).abs() < 2e-3, "{ee:?}");
        // The root is found to 1e-6 px: EE there is 0.5 to about 1e-7 (slope 0.15 / px).
        let at = encircled_energy(&st, 40.2, 39.7, &[r50], 38.0).unwrap();
        assert!((at[0] - 0.5).abs() < 3e-7, "{at:?}");
        assert!(ee_radius_px(&st, 40.2, 39.7, 1.5, 38.0).is_err());
    }
}
