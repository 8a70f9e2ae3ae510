//! PTC gain on independent Poisson flat pairs (issue #12): exactly linear flats give the gain
//! and a00 = 0 without any linearisation; flats with an output non-linearity give them back
//! once the pairs are linearised by a *measured* correction (an NL01-like fit of the means
//! against the exposure times of a stable lamp), and not without it.

use vison_flat::covariance::{CovarianceConfig, pair_covariance};
use vison_flat::linearise::Linearity;
use vison_flat::nonlin::{
    FrameRole, NonlinConfig, NonlinCorrection, NonlinFrame, fit_nonlinearity,
};
use vison_flat::ptc::{PtcFit, PtcFitConfig, PtcModel, PtcPoint, fit_ptc};

use crate::sim::flat_frame;

const GAIN: f64 = 3.1;
const RON_ADU: f64 = 1.4;
/// Lamp flux, e-/s (65,000 ADU after 20 s at 3.1 e-/ADU).
const FLUX_E_PER_S: f64 = 10_075.0;
const SHAPE: (usize, usize) = (512, 512);

/// Output non-linearity `y = x (1 + c1 u + c2 u^2)`, `u = x / 65536` (as the simulator's).
fn nl(x: f64) -> f64 {
    let u = x / 65_536.0;
    x * (1.0 - 0.012 * u - 0.004 * u * u)
}

fn exptimes_s() -> Vec<f64> {
    (1..=24).map(|k| 0.8 * f64::from(k)).collect()
}

/// Mean-variance points of one pair per exposure time (lamp on for exactly that time,
/// +-2 % illumination gradient), the output passed through `out`.
fn pairs(out: fn(f64) -> f64, seed: u64) -> Vec<PtcPoint> {
    let cfg = CovarianceConfig {
        max_lag_px: 1,
        clip_sigma: 4.0,
    };
    exptimes_s()
        .iter()
        .enumerate()
        .map(|(k, &t)| {
            let illum = move |r: usize, c: usize| {
                FLUX_E_PER_S
                    * t
                    * (1.0 + 0.02 * (r as f64 / 512.0 - 0.5) + 0.02 * (c as f64 / 512.0 - 0.5))
            };
            let s = seed + 2 * k as u64;
            let f = |s| {
                flat_frame(SHAPE, illum, f64::INFINITY, GAIN, RON_ADU, s)
                    .mapv(|v| out(f64::from(v)) as f32)
            };
            let (f1, f2) = (f(s), f(s + 1));
            let c = pair_covariance(f1.view(), f2.view(), None, &cfg).unwrap();
            PtcPoint {
                mean_adu: c.mean_adu,
                var_adu2: c.var_adu2,
                n_pixels: c.n_valid_px,
            }
        })
        .collect()
}

fn exp_fit(points: &[PtcPoint]) -> PtcFit {
    fit_ptc(points, PtcModel::ExpApprox, &PtcFitConfig::default()).unwrap()
}

/// What NL01 measures from a stable lamp: the correction fitted to the means against time.
fn measured_correction() -> NonlinCorrection {
    let frames: Vec<NonlinFrame> = exptimes_s()
        .iter()
        .map(|&t| NonlinFrame {
            role: FrameRole::Fluence,
            exptime_s: t,
            time_s: 60.0 * t,
            signal_adu: nl(FLUX_E_PER_S * t / GAIN),
            signal_err_adu: 0.5,
            filter: 0,
        })
        .collect();
    let cfg = NonlinConfig {
        fit_max_adu: 66_000.0,
        ..NonlinConfig::default()
    };
    fit_nonlinearity(&frames, &cfg).unwrap().correction
}

#[test]
fn linear_flats_give_the_gain_and_no_a00_without_linearisation() {
    let f = exp_fit(&pairs(|x| x, 100));
    let rel = f.gain_e_per_adu / GAIN - 1.0;
    assert!(rel.abs() < 0.005, "gain {} ({rel:+.4})", f.gain_e_per_adu);
    assert!(rel.abs() < 4.0 * f.gain_err_e_per_adu / GAIN, "{f:?}");
    assert!(f.a00_per_e.abs() < 3.0 * f.a00_err_per_e, "{f:?}");
    // 24 pairs of 512 x 512 pixels: the gain to ~0.15 %, far from vison's 1e-3 criterion only
    // at full size; the statistical error is reported and the fit is not POORFIT.
    let stat = f.gain_err_stat_e_per_adu / f.gain_e_per_adu;
    assert!(stat > 5e-4 && stat < 3e-3, "{stat}");
    assert_eq!(f.quality, vison_flat::FitQuality::Ok, "{:?}", f.notes);
}

#[test]
#[allow(clippy::print_stderr)]
fn a_measured_correction_linearises_nonlinear_flats() {
    let measured = pairs(nl, 200);
    let corr = measured_correction();
    let lin = Linearity::new(&corr);
    let linearised: Vec<PtcPoint> = measured.iter().map(|p| lin.linearise_point(p)).collect();
    let f = exp_fit(&linearised);
    let rel = f.gain_e_per_adu / GAIN - 1.0;
    assert!(rel.abs() < 0.005, "gain {} ({rel:+.4})", f.gain_e_per_adu);
    assert!(f.a00_per_e.abs() < 3.0 * f.a00_err_per_e, "{f:?}");
    // Uncorrected, the non-linearity passes for a brighter-fatter effect.
    let raw = exp_fit(&measured);
    assert!(
        raw.a00_per_e < -3.0 * raw.a00_err_per_e,
        "a00 {} +/- {}",
        raw.a00_per_e,
        raw.a00_err_per_e
    );
    eprintln!(
        "gain linearised {:+.4} %, raw {:+.4} %; a00 linearised {:.2e} +/- {:.1e}, raw {:.2e}",
        100.0 * rel,
        100.0 * (raw.gain_e_per_adu / GAIN - 1.0),
        f.a00_per_e,
        f.a00_err_per_e,
        raw.a00_per_e
    );
}
