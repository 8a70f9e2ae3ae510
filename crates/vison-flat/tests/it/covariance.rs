//! Covariance kernel on noise with a known correlation structure, and serialisation of results.

use ndarray::Array2;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use vison_flat::covariance::{CovarianceConfig, image_covariance, pair_covariance};
use vison_flat::ptc::{PtcFitConfig, PtcModel, fit_ptc};

/// x = e + b (e shifted by one row) + c (e shifted by two columns), e ~ N(0, 1):
/// var = 1 + b^2 + c^2, C(1, 0) = b, C(0, 2) = c (the (0, 2) and (0, -2) lags are the same pairs),
/// C(1, 2) = b c / 2 (only the (1, -2) lag correlates; the kernel averages (1, 2) and (1, -2)).
#[test]
fn known_correlations_recovered() {
    let (rows, cols) = (600, 500);
    let mut rng = StdRng::seed_from_u64(9);
    let n = Normal::new(0.0, 1.0).unwrap();
    let e = Array2::from_shape_fn((rows + 2, cols + 2), |_| n.sample(&mut rng) as f32);
    let (b, c) = (0.3_f32, -0.2_f32);
    let x = Array2::from_shape_fn((rows, cols), |(r, k)| {
        e[[r + 1, k + 2]] + b * e[[r, k + 2]] + c * e[[r + 1, k]]
    });
    let cfg = CovarianceConfig {
        max_lag_px: 10,
        clip_sigma: 0.0,
    };
    let map = image_covariance(x.view(), None, &cfg).unwrap();
    let tol = 5.0 / ((rows * cols) as f64).sqrt();
    let var = 1.0 + f64::from(b * b + c * c);
    assert!(
        (map.var_adu2() - var).abs() < tol * var,
        "var {}",
        map.var_adu2()
    );
    assert!(
        (map.get(1, 0) - f64::from(b)).abs() < tol,
        "C(1,0) {}",
        map.get(1, 0)
    );
    // C(0, 2): +2 lag gives c, -2 lag gives c as well (same pair, other order).
    assert!(
        (map.get(0, 2) - f64::from(c)).abs() < tol,
        "C(0,2) {}",
        map.get(0, 2)
    );
    assert!(
        (map.get(1, 2) - f64::from(b * c) / 2.0).abs() < tol,
        "C(1,2) {}",
        map.get(1, 2)
    );
    assert!(map.get(5, 5).abs() < tol && map.get(10, 10).abs() < tol);
    assert_eq!(map.n_pairs[0], (rows * cols) as u64);
}

#[test]
fn pair_covariance_masks_and_serialises() {
    let (rows, cols) = (200, 180);
    let mut rng = StdRng::seed_from_u64(11);
    let n = Normal::new(0.0, 20.0).unwrap();
    let f1 = Array2::from_shape_fn((rows, cols), |_| 10_000.0 + n.sample(&mut rng) as f32);
    let mut f2 = Array2::from_shape_fn((rows, cols), |_| 10_000.0 + n.sample(&mut rng) as f32);
    let mut mask = Array2::from_elem((rows, cols), false);
    // A masked hot column must not bias the variance.
    for r in 0..rows {
        f2[[r, 50]] = 60_000.0;
        mask[[r, 50]] = true;
    }
    let pc = pair_covariance(
        f1.view(),
        f2.view(),
        Some(mask.view()),
        &CovarianceConfig::default(),
    )
    .unwrap();
    assert!(
        (pc.var_adu2 - 400.0).abs() / 400.0 < 0.03,
        "var {}",
        pc.var_adu2
    );
    assert_eq!(
        pc.n_valid_px as usize + pc.n_clipped_px as usize,
        rows * (cols - 1)
    );
    let json = serde_json::to_string(&pc).unwrap();
    let back: vison_flat::covariance::PairCovariance = serde_json::from_str(&json).unwrap();
    assert_eq!(back.n_valid_px, pc.n_valid_px);
    let fit = fit_ptc(
        &crate::golden::eotest_points(),
        PtcModel::ExpApprox,
        &PtcFitConfig::default(),
    )
    .unwrap();
    let text = serde_json::to_string(&fit).unwrap();
    assert!(text.contains("\"gain_e_per_adu\"") && text.contains("\"quality\":\"POORFIT\""));
}
