//! Non-linearity on a synthetic NL01-like sequence with source drift and noise.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use vison_flat::FitQuality;
use vison_flat::nonlin::{NonlinConfig, NonlinFrame, classify_frames, fit_nonlinearity};

/// True response: a saturating tanh with 1.3 % compression at 60 kADU.
fn response(l: f64) -> f64 {
    let a = 3.0e5;
    a * (l / a).tanh()
}

#[test]
fn nonlinearity_curve_recovered_within_0p1_percent() {
    let flux = 1000.0; // ADU/s at the start
    let t_fwc = 65_536.0 / flux;
    let relflu = [
        0.5, 0.7, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 55.0, 70.0, 80.0, 85.0, 90.0, 95.0,
    ];
    let mut exptimes = vec![0.0, 0.0, 0.0];
    exptimes.push(0.5 * t_fwc);
    for rf in relflu {
        for _ in 0..4 {
            exptimes.push(rf / 100.0 * t_fwc);
        }
        exptimes.push(0.5 * t_fwc);
    }
    let roles = classify_frames(&exptimes);
    let mut rng = StdRng::seed_from_u64(3);
    let noise = Normal::new(0.0, 1.0).unwrap();
    let total_time = exptimes.len() as f64 * 120.0;
    let frames: Vec<NonlinFrame> = exptimes
        .iter()
        .zip(&roles)
        .enumerate()
        .map(|(k, (&t, &role))| {
            let time = k as f64 * 120.0;
            // Source drifts by +2 % linearly over the sequence; background 5 ADU.
            let drift = 1.0 + 0.02 * time / total_time;
            let l = flux * t * drift;
            let s = response(l) + 5.0;
            let sigma = 2e-5 * s + 0.05;
            NonlinFrame {
                role,
                exptime_s: t,
                time_s: time,
                signal_adu: s + sigma * noise.sample(&mut rng),
                signal_err_adu: sigma,
                filter: 0,
            }
        })
        .collect();
    let res = fit_nonlinearity(&frames, &NonlinConfig::default()).unwrap();
    assert_eq!(res.quality, FitQuality::Ok, "{:?}", res.notes);
    assert!((res.background_adu - 5.0).abs() < 0.1);
    // Drift-corrected linear slope equals the true flux normalised to the mean stability time.
    let n_fl = res.points.len();
    assert_eq!(n_fl, relflu.len() * 4);
    let mut worst = 0.0_f64;
    let mut max_true = 0.0_f64;
    for p in res.points.iter().filter(|p| p.used) {
        // Truth: NL(L) = response(L)/L - 1 at the true (drifted) exposure.
        let l_true = flux * p.exptime_s * (1.0 + 0.02 * p.time_s / total_time);
        let nl_true = response(l_true) / l_true - 1.0;
        let nl_fit = res.nonlin_frac_at(p.exptime_s * p.drift_factor);
        worst = worst.max((nl_fit - nl_true).abs());
        max_true = max_true.max(100.0 * nl_true.abs());
        // The correction product linearises the measured signal to 0.1 %.
        let lin = res.correction.correct_adu(p.signal_adu);
        let lin_true =
            l_true * res.linear_slope_adu_per_s / flux / (1.0 + 0.02 * p.time_s / total_time)
                * p.drift_factor;
        assert!(
            (lin - lin_true).abs() / lin_true < 1e-3,
            "correction at {}: {lin} vs {lin_true}",
            p.signal_adu
        );
    }
    assert!(worst < 1e-3, "worst NL error {worst}");
    // Maximum |NL| of the fitted curve over the fit range vs the truth at the highest point used.
    assert!(res.max_abs_nonlin_pc > 0.5);
    assert!(
        (res.max_abs_nonlin_pc - max_true).abs() < 0.1,
        "{} vs {max_true}",
        res.max_abs_nonlin_pc
    );
    assert!(res.stability_pc > 0.1 && res.stability_pc < 2.0);
}
