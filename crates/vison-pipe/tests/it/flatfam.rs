//! Flat-field family (issue #8) on synthetic campaigns: PTC01 gain, read noise and full well
//! (512 x 512 quadrants), NL01 non-linearity, FLAT01 PRNU and BF01 a00 (256 x 256) recovered
//! within the tolerances.

use crate::common::*;

const QUADS: [&str; 4] = ["E", "F", "G", "H"];

/// Runs one test of a fresh small campaign; returns the campaign and results.
fn run_one(test: &str, seed: u64) -> (Campaign, vison_pipe::TestResults) {
    run_one_sized(test, seed, vison_sim::SimSize::Small)
}

/// Runs one test of a fresh campaign of the given frame size.
fn run_one_sized(
    test: &str,
    seed: u64,
    size: vison_sim::SimSize,
) -> (Campaign, vison_pipe::TestResults) {
    let c = campaign_sized(&[test], &[], seed, size);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &[test], &out, cfg, "flat");
    let r = results(&s, test);
    assert_ne!(r.status, "crashed", "{test}: {:?}", r.flag_reasons);
    (c, r)
}

#[test]
fn ptc01_recovers_gain_read_noise_and_full_well() {
    // The gain is statistics-limited: a flat pair's variance is known to sqrt(2 / n_px), and
    // on 256 x 256 quadrants the linearised fit's 1-sigma gain error is ~0.3 % (60 quadrants
    // of seeds 3-7: rms 0.33 %, 9 beyond 0.5 %, worst 0.79 %, pulls of unit rms). On 512 x 512
    // quadrants it is ~0.15 %, so issue #8's 0.5 % is a 3-sigma bound.
    let (c, r) = run_one_sized("PTC01", 3, vison_sim::SimSize::Medium);
    let mut k = Checks::default();
    for (ccd, qs) in &c.truth.ccds {
        for q in QUADS {
            let t = &qs[q];
            // Issue #8: within 0.5 %. The headline gain is the exp-approx fit of the series
            // linearised by its own response curve; it must also agree within 4 sigma of its
            // reported error (pulls over 60 small quadrants have rms 1.1; 3 sigma is reached
            // about once per 12 quadrants x 3 campaigns).
            let g = get(&r, ccd, q, "gain_e_per_adu");
            let g_err = get(&r, ccd, q, "gain_err_e_per_adu");
            k.abs(
                format!("{ccd}{q} gain (4 sigma)"),
                g,
                t.gain_e_per_adu,
                4.0 * g_err,
            );
            k.rel(format!("{ccd}{q} gain"), g, t.gain_e_per_adu, 0.005);
            // Cross-checks on the measured (not linearised) points: the cubic absorbs the
            // output non-linearity at the cost of precision (1-sigma ~0.4 % here); vison's
            // quadratic ignores it (up to ~1 % at full scale in the simulator): biased by up
            // to ~2.5 %.
            k.rel(
                format!("{ccd}{q} cubic gain"),
                get(&r, ccd, q, "gain_cubic_e_per_adu"),
                t.gain_e_per_adu,
                0.015,
            );
            k.rel(
                format!("{ccd}{q} quadratic gain"),
                get(&r, ccd, q, "gain_quadratic_e_per_adu"),
                t.gain_e_per_adu,
                0.03,
            );
            k.rel(
                format!("{ccd}{q} RON"),
                get(&r, ccd, q, "ron_prescan_adu"),
                t.ron_adu,
                0.02,
            );
            // No brighter-fatter in a PTC01-only campaign: a00 of the covariance model ~0.
            k.abs(
                format!("{ccd}{q} a00 (no BF)"),
                get(&r, ccd, q, "a00_per_e"),
                0.0,
                4e-7,
            );
            // Issue #8: full well within 5 %. The simulator's pixels hit the ADC limit before
            // their full well, so the truth is the largest charge a pixel reports
            // (`observable_full_well_e`); the pipeline reads it from the ceiling of the pixel
            // signal of the over-exposed pairs, linearised, times the gain.
            k.rel(
                format!("{ccd}{q} full well"),
                get(&r, ccd, q, "fullwell_e"),
                t.observable_full_well_e,
                0.05,
            );
            // Found (the over-exposed pairs reach the ADC limit with >= 0.1 % of their
            // pixels), or else reported as what it is, a lower limit.
            let fw = get(&r, ccd, q, "fullwell_e") / t.observable_full_well_e;
            let found = get(&r, ccd, q, "fullwell_found") == 1.0;
            k.abs(
                format!("{ccd}{q} full well found, or a lower limit"),
                if found { 0.0 } else { (fw - 1.0).max(0.0) },
                0.0,
                0.0,
            );
            // The PTC turn-off lies on a fluence step (10 % apart) below the full well.
            let to = get(&r, ccd, q, "turnoff_e") / t.observable_full_well_e;
            k.abs(format!("{ccd}{q} turn-off / full well"), to, 0.85, 0.15);
        }
    }
    assert!(
        r.products.iter().any(|p| p.contains("EUC_GAIN_PTC01.json")),
        "gains product: {:?}",
        r.products
    );
    k.assert(&r);
}

#[test]
fn nl01_recovers_the_non_linearity_curve() {
    let (c, r) = run_one("NL01", 4);
    let mut k = Checks::default();
    for (ccd, qs) in &c.truth.ccds {
        for q in QUADS {
            let nl = &qs[q].nonlinearity;
            for (lin, want) in [
                (10_000.0, nl.frac_dev_at_10000_adu),
                (30_000.0, nl.frac_dev_at_30000_adu),
                (50_000.0, nl.frac_dev_at_50000_adu),
            ] {
                // Reported at a measured signal, the truth at a linear one: the two differ by
                // lin x dev (< 1 %), which moves the curve by < 1e-5.
                let got = get(&r, ccd, q, &format!("nl_frac_at_{}_adu", lin as u64));
                // Issue #8: within 0.1 % of signal (measured <= 0.026 % with the shutter
                // calibration applied to the exposure times).
                k.abs(format!("{ccd}{q} NL at {lin}"), got, want, 1e-3);
            }
        }
    }
    k.assert(&r);
}

#[test]
fn flat01_recovers_the_prnu_within_10_percent() {
    let (c, r) = run_one("FLAT01", 5);
    let mut k = Checks::default();
    for (ccd, qs) in &c.truth.ccds {
        for q in QUADS {
            k.rel(
                format!("{ccd}{q} PRNU"),
                get(&r, ccd, q, "prnu_pc"),
                100.0 * qs[q].prnu_rms_frac,
                0.10,
            );
        }
    }
    assert!(r.products.iter().any(|p| p.contains("MASTERFLAT")));
    k.assert(&r);
}

#[test]
fn bf01_recovers_a00_from_the_covariances() {
    let (c, r) = run_one("BF01", 6);
    let mut k = Checks::default();
    let mut all = Vec::new();
    for (ccd, qs) in &c.truth.ccds {
        for q in QUADS {
            let bf = &qs[q].brighter_fatter;
            assert!(bf.enabled, "BF01 campaigns simulate brighter-fatter");
            let a00 = get(&r, ccd, q, "a00_per_e");
            k.rel(format!("{ccd}{q} a00"), a00, bf.a00_per_e, 0.10);
            all.push(a00 / bf.a00_per_e);
        }
    }
    // Issue #8 asks for 10 % per quadrant: on 256 x 256 quadrants the quadrant-to-quadrant
    // scatter is ~5 % and the simulator's 8-slice accumulation leaves a ~-7 % bias, so the
    // mean over the 12 quadrants is held to 10 % and each quadrant to 20 %.
    let mean = all.iter().sum::<f64>() / all.len() as f64;
    k.abs("mean a00 / truth".into(), mean, 1.0, 0.10);
    k.assert(&r);
}
