//! `correct(degrade(x)) == x`, flux conservation, and the LSST kernel comparison.

use ndarray::Array2;
use vison_g15::{BoundaryShifts, correct, correct_lsst, degrade, lsst_kernel};

/// Flat background plus two Gaussian stars (ADU).
fn scene() -> Array2<f32> {
    Array2::from_shape_fn((64, 72), |(r, c)| {
        let star = |r0: f64, c0: f64, amp: f64, s: f64| {
            amp * (-((r as f64 - r0).powi(2) + (c as f64 - c0).powi(2)) / (2.0 * s * s)).exp()
        };
        (1000.0
            + 0.5 * r as f64
            + star(20.0, 30.0, 40_000.0, 1.2)
            + star(45.0, 50.2, 20_000.0, 1.6)) as f32
    })
}

#[test]
fn correct_inverts_degrade_and_conserves_flux() {
    let shifts = BoundaryShifts::smooth_model(1.1e-6, -1.0, 5);
    let x = scene();
    let gain = 3.1;
    let d = degrade(x.view(), &shifts, gain).unwrap();
    let flux_in: f64 = x.iter().map(|v| f64::from(*v)).sum();
    let flux_deg: f64 = d.iter().map(|v| f64::from(*v)).sum();
    assert!(
        (flux_in - flux_deg).abs() / flux_in < 1e-6,
        "flux {flux_in} -> {flux_deg}"
    );
    // The effect is real: the star peak drops by a measurable fraction.
    let drop = (x[[20, 30]] - d[[20, 30]]) / x[[20, 30]];
    assert!(drop > 1e-3, "peak drop {drop}");
    let back = correct(d.view(), &shifts, gain).unwrap();
    let worst = x
        .iter()
        .zip(back.iter())
        .map(|(a, b)| ((a - b) / a).abs())
        .fold(0.0_f32, f32::max);
    assert!(worst < 1e-4, "worst relative error {worst}");
    let flux_back: f64 = back.iter().map(|v| f64::from(*v)).sum();
    assert!((flux_in - flux_back).abs() / flux_in < 1e-6);
}

#[test]
fn lsst_kernel_correction_agrees_with_g15() {
    // A potential-derived model: boundary shifts = gradient of the LSST kernel of a smooth a-matrix.
    let n = 5;
    let a = BoundaryShifts::smooth_model(1.1e-6, -1.0, n).a_matrix();
    let kernel = lsst_kernel(&a, n, 2 * n + 7).unwrap();
    let shifts = BoundaryShifts::from_kernel(&kernel, n).unwrap();
    // Its area coefficients reproduce the a-matrix near the centre.
    let back_a = shifts.a_matrix();
    assert!(
        (back_a[0] - a[0]).abs() / a[0].abs() < 1e-6,
        "{} vs {}",
        back_a[0],
        a[0]
    );
    assert!((back_a[1] - a[1]).abs() / a[1].abs() < 1e-6);
    let x = scene();
    let gain = 3.1;
    let d = degrade(x.view(), &shifts, gain).unwrap();
    let g15 = correct(d.view(), &shifts, gain).unwrap();
    let lsst = correct_lsst(d.view(), &kernel, gain, 20, 1e-3).unwrap();
    // Compare on the star cores: the LSST (centred-difference) correction removes most of the
    // effect; G15 removes it exactly.
    let mut eff = 0.0_f64;
    let mut res_lsst = 0.0_f64;
    let mut res_g15 = 0.0_f64;
    for r in 10..56 {
        for c in 10..62 {
            let t = f64::from(x[[r, c]]);
            eff += (f64::from(d[[r, c]]) - t).powi(2);
            res_lsst += (f64::from(lsst[[r, c]]) - t).powi(2);
            res_g15 += (f64::from(g15[[r, c]]) - t).powi(2);
        }
    }
    assert!(
        res_g15 < 1e-6 * eff,
        "G15 residual {res_g15} vs effect {eff}"
    );
    assert!(
        res_lsst < 0.25 * eff,
        "LSST residual {res_lsst} vs effect {eff}"
    );
}
