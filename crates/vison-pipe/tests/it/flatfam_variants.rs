//! Flat-field family variants (issue #8) on small synthetic campaigns: FLATFLUX00 flux per
//! quadrant, PTC02 wavelength / RD / temperature variants (gain, read noise), FLAT02 at 590 nm
//! (PRNU, flat level) and NL02 (non-linearity) recovered from the simulator's truth.

use std::collections::BTreeMap;
use std::path::Path;

use vison_ccd::Quadrant;
use vison_pipe::TestResults;
use vison_sim::Truth;
use vison_sim::effects::{QuadLayout, lamp_value, nonlinear_adu};
use vison_sim::truth::FrameTruth;

use crate::common::*;

/// Generates one campaign holding `tests` and runs them in one session (each test must pick
/// its own exposures only); returns the campaign, the session folder and the results in order.
fn run_tests(tests: &[&str], seed: u64) -> (Campaign, std::path::PathBuf, Vec<TestResults>) {
    let c = campaign(tests, &[], seed);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), tests, &out, cfg, "variants");
    let rs: Vec<TestResults> = tests.iter().map(|t| results(&s, t)).collect();
    for (t, r) in tests.iter().zip(&rs) {
        assert_ne!(r.status, "crashed", "{t}: {:?}", r.flag_reasons);
        // The suffixed names must pass the completeness check against their own definition.
        assert!(
            !r.flags.iter().any(|f| f == "MISSDATA"),
            "{t}: {:?}",
            r.flag_reasons
        );
    }
    (c, s, rs)
}

/// Frames of `test` in the truth, in ObsID order.
fn frames_of<'a>(truth: &'a Truth, test: &str) -> Vec<(i64, &'a FrameTruth)> {
    let mut v: Vec<(i64, &FrameTruth)> = truth
        .frames
        .iter()
        .filter(|(_, f)| f.test == test)
        .map(|(o, f)| (o.parse().unwrap(), f))
        .collect();
    v.sort_by_key(|(o, _)| *o);
    v
}

/// Lamp pattern (truth.md "Illumination") at every image pixel of a quadrant.
fn lamp_map(truth: &Truth, ccd: &str, q: &str) -> Vec<f64> {
    let g = &truth.generator;
    let layout = QuadLayout {
        prescan_px: g.prescan_px,
        image_cols_px: g.image_cols_px,
        overscan_px: g.overscan_px,
        image_rows_px: g.image_rows_px,
        voverscan_px: g.voverscan_px,
    };
    let quad = Quadrant::parse(q).unwrap();
    let (naxis1, naxis2) = (2 * layout.width_px(), 2 * layout.height_px());
    let lamp = &truth.illumination[ccd];
    let mut out = Vec::with_capacity(g.image_rows_px * g.image_cols_px);
    for row in 0..g.image_rows_px {
        for col in 0..g.image_cols_px {
            let (x, y) = layout.ccd_from_qcan(
                quad.is_top(),
                quad.is_right(),
                (g.prescan_px + col) as f64,
                row as f64,
            );
            out.push(lamp_value(lamp, naxis1, naxis2, x, y));
        }
    }
    out
}

/// Quadrant-mean image signal (ADU, prescan offset subtracted) of a flat of `flat_e` electrons
/// per pixel (truth `flat_e`: before lamp pattern and PRNU) with a uniform dark `dark_e`.
///
/// Derivation (truth.md "Signal chain"): a pixel holds `flat_e lamp(x, y) (1 + PRNU) + dark_e`
/// electrons plus shot noise, and reads `offset + row(y) + col(x) + NL(e / gain) + RON`.
/// The pipeline's signal is the 4-sigma clipped mean of the image area minus the prescan offset:
/// * PRNU: its mean over 65536 pixels is 0 within `prnu / 256` (< 5e-5); through the
///   non-linearity it adds `c1 x prnu^2` (< 2e-6);
/// * shot and read noise have zero mean; through the non-linearity they add `c1 var / 65536`
///   (< 0.01 ADU);
/// * the row structure cancels (the prescan offset is taken over the same rows); the column
///   structure `slope (x - prescan)` adds `slope (cols - 1) / 2` on average;
/// * hot pixels and cosmic rays are few and clipped.
///
/// Hence `S = mean_px NL((flat_e lamp + dark_e) / gain) + slope (cols - 1) / 2`.
fn expected_signal_adu(
    truth: &Truth,
    ccd: &str,
    q: &str,
    lamp: &[f64],
    flat_e: f64,
    dark_e: f64,
) -> f64 {
    let t = &truth.ccds[ccd][q];
    let (c1, c2) = (t.nonlinearity.c1, t.nonlinearity.c2);
    let sum: f64 = lamp
        .iter()
        .map(|l| nonlinear_adu((flat_e * l + dark_e) / t.gain_e_per_adu, c1, c2))
        .sum();
    let cols = truth.generator.image_cols_px as f64;
    sum / lamp.len() as f64 + t.offset_col_slope_adu_per_px * (cols - 1.0) / 2.0
}

/// A per-exposure column of results.csv: (ObsID, CCD, quadrant) -> value.
fn csv_column(session: &Path, test: &str, column: &str) -> BTreeMap<(i64, String, String), f64> {
    let text = std::fs::read_to_string(session.join(test).join("results.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let idx = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let (io, ic, iq, iv) = (idx("obsid"), idx("ccd"), idx("quadrant"), idx(column));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                (f[io].parse().unwrap(), f[ic].to_string(), f[iq].to_string()),
                f[iv].parse().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

#[test]
fn flatflux00_recovers_the_flux_per_quadrant() {
    let test = "FLATFLUX00_800";
    let (c, s, rs) = run_tests(&[test], 21);
    let r = &rs[0];
    let t = &c.truth;
    let signals = csv_column(&s, test, "signal_adu");
    let frames = frames_of(t, test);
    assert_eq!(frames.len(), 4, "FLATFLUX00: 5/20/50/80 % of tFWC_flat");
    let mut k = Checks::default();
    for (ccd, qs) in &t.ccds {
        for q in qs.keys() {
            let lamp = lamp_map(t, ccd, q);
            let lamp_mean = lamp.iter().sum::<f64>() / lamp.len() as f64;
            let gain = qs[q].gain_e_per_adu;
            let (mut flux_k, mut lin_k) = (Vec::new(), Vec::new());
            for (obsid, f) in &frames {
                let fq = &f.ccds[ccd].quads[q];
                let want = expected_signal_adu(t, ccd, q, &lamp, fq.flat_e, fq.dark_e);
                // Budget ~1e-4 (PRNU mean < 5e-5, shot-noise mean ~4e-5, prescan-offset
                // median ~0.05 ADU); measured <= 1.1e-4.
                k.rel(
                    format!("{ccd}{q} ObsID {obsid} signal"),
                    signals[&(*obsid, ccd.clone(), q.clone())],
                    want,
                    5e-4,
                );
                // The truth's flux: the simulator integrates over the actual (shutter-
                // calibrated) exposure time, flat_e = 65536 x 3.3 e- x t_actual / tFWC_flat.
                flux_k.push(want / f.exptime_actual_s);
                lin_k.push(fq.flat_e / f.exptime_actual_s * lamp_mean / gain);
            }
            let n = flux_k.len() as f64;
            let want_flux = flux_k.iter().sum::<f64>() / n;
            let want_scatter_pc = 100.0
                * (flux_k.iter().map(|x| (x - want_flux).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                / want_flux;
            let flux = get(r, ccd, q, "flux_adu_per_s");
            // Mean of signal / actual exposure time: as the frame signals (~1e-4). Dividing
            // by the commanded times instead (0.175 s for 0.2 s actual) is 5 % off.
            k.rel(format!("{ccd}{q} flux"), flux, want_flux, 5e-4);
            // The frames' fluxes differ only by the output non-linearity at their levels.
            k.abs(
                format!("{ccd}{q} flux scatter [%]"),
                get(r, ccd, q, "flux_scatter_pc"),
                want_scatter_pc,
                0.05,
            );
            // Against the linear source flux (65536 x 3.3 / tFWC_flat x mean lamp / gain):
            // the output non-linearity averaged over the 5-80 % frames, with x = signal /
            // 65536 ADU up to 3.3 / 3.1 x nominal, is at most c1 <x> + c2 <x^2> =
            // -0.012 x 0.41 - 0.008 x 0.25 = -0.7 % for the simulator's coefficient ranges.
            k.rel(
                format!("{ccd}{q} flux vs linear source flux"),
                flux,
                lin_k.iter().sum::<f64>() / n,
                0.01,
            );
        }
    }
    k.assert(r);
}

/// PTC02 truth checks of one test; returns the quadrants' `(relative gain error, pull)`.
fn ptc02_checks(t: &Truth, test: &str, r: &TestResults, k: &mut Checks) -> Vec<(f64, f64)> {
    let mut errs = Vec::new();
    for (ccd, qs) in &t.ccds {
        for (q, tq) in qs {
            let what = |x: &str| format!("{test} {ccd}{q} {x}");
            // Only this test's 6 columns x 4 frames, not the other variant's of the campaign.
            k.abs(what("exposures"), get(r, ccd, q, "n_exposures"), 24.0, 0.0);
            // 12 pairs of 256 x 256 pixels up to 90 % of full well: on 192 simulated
            // quadrants (PTC02_800, seeds 30-45) the headline gain scatters by 1.15 % rms
            // around the truth with tails to 5.7 % (issue #8's 0.5 % needs full-size
            // quadrants); per quadrant within 6 %, its reported 1-sigma error below 2.5 %.
            let g = get(r, ccd, q, "gain_e_per_adu");
            let g_err = get(r, ccd, q, "gain_err_e_per_adu");
            k.rel(what("gain"), g, tq.gain_e_per_adu, 0.06);
            k.abs(what("gain error / gain"), g_err / g, 0.0, 0.025);
            errs.push((g / tq.gain_e_per_adu - 1.0, (g - tq.gain_e_per_adu) / g_err));
            // Prescan read noise of 24 frames: within 0.7 % on the 192 quadrants.
            k.rel(
                what("RON"),
                get(r, ccd, q, "ron_prescan_adu"),
                tq.ron_adu,
                0.02,
            );
            // No brighter-fatter outside BF01 campaigns (the simulated one has a00 ~ -2.5e-6):
            // |a00| of the covariance model was 1.6e-7 rms, at most 4.9e-7, on the 192
            // quadrants; within a quarter of the simulated BF.
            k.abs(what("a00 (no BF)"), get(r, ccd, q, "a00_per_e"), 0.0, 6e-7);
        }
    }
    errs
}

/// Runs two PTC02 variants in one campaign and checks both against the truth.
fn ptc02_pair(tests: [&str; 2], seed: u64) {
    let (c, _, rs) = run_tests(&tests, seed);
    let mut k = Checks::default();
    let mut errs = Vec::new();
    for (test, r) in tests.iter().zip(&rs) {
        errs.extend(ptc02_checks(&c.truth, test, r, &mut k));
    }
    let n = errs.len() as f64;
    let mean = errs.iter().map(|e| e.0).sum::<f64>() / n;
    let rms = (errs.iter().map(|e| e.0 * e.0).sum::<f64>() / n).sqrt();
    let rms_pull = (errs.iter().map(|e| e.1 * e.1).sum::<f64>() / n).sqrt();
    // Bias: the mean of the 24 quadrants' relative errors has a statistical error of
    // 1.15 % / sqrt(24) = 0.23 %: within 0.75 %.
    k.abs("mean relative gain error".into(), mean, 0.0, 0.0075);
    k.abs("rms relative gain error".into(), rms, 0.0, 0.02);
    // The reported errors are too small by ~35 % (rms pull 1.35 on the 192 quadrants, see
    // the issue #8 report); they must stay meaningful within a factor of 2.
    k.abs("rms (gain - truth) / gain error".into(), rms_pull, 0.0, 2.0);
    k.assert(&rs[0]);
}

#[test]
fn ptc02_wavelength_variants_recover_gain_and_read_noise() {
    ptc02_pair(["PTC02_590", "PTC02_880"], 22);
}

/// The simulator has no RD or temperature dependence: the RD (`_155R`, RD_T = RD_B = 15.5 V)
/// and temperature (`_148K`) variants must give the same truth as the 800 nm PTC02.
#[test]
fn ptc02_rd_and_temperature_variants_recover_gain_and_read_noise() {
    ptc02_pair(["PTC02_155R", "PTC02_148K"], 23);
}

#[test]
fn flat02_recovers_prnu_and_flat_level_at_590_nm() {
    let tests = ["FLAT02_590"];
    let (c, _, rs) = run_tests(&tests, 24);
    let t = &c.truth;
    let mut k = Checks::default();
    for (test, r) in tests.iter().zip(&rs) {
        // One master per CCD and column (25 % and 75 % of tFWC_flat).
        k.abs(
            format!("{test} master flats"),
            r.products.len() as f64,
            6.0,
            0.0,
        );
        let frames = frames_of(t, test);
        let mut first: BTreeMap<&str, &FrameTruth> = BTreeMap::new();
        for (_, f) in &frames {
            first.entry(f.label.as_str()).or_insert(f);
        }
        assert_eq!(first.len(), 2, "{test}: columns {:?}", first.keys());
        for (ccd, qs) in &t.ccds {
            for (q, tq) in qs {
                let lamp = lamp_map(t, ccd, q);
                for (label, f) in &first {
                    let what = |x: &str| format!("{test} {label} {ccd}{q} {x}");
                    // Master of 20 (col001) or 20 of 30 (col002) flats: the 3-sigma clipped
                    // std is low by ~1.5 %, the output non-linearity compresses the relative
                    // PRNU by up to 1 % at 75 %, shot noise left in the master adds <= 1.5 %
                    // in quadrature; measured within [-2.7 %, +1.1 %]. Issue #8 asks for 10 %.
                    k.rel(
                        what("PRNU"),
                        get(r, ccd, q, &format!("prnu_{label}_pc")),
                        100.0 * tq.prnu_rms_frac,
                        0.05,
                    );
                    // Flat level: the fluence is the mean over the frames of the median of
                    // every 7th image pixel; the median of the lamp pattern differs from its
                    // mean by <= 0.15 % here, the per-frame noise averages out.
                    let fq = &f.ccds[ccd].quads[q];
                    k.rel(
                        what("fluence"),
                        get(r, ccd, q, &format!("fluence_{label}_adu")),
                        expected_signal_adu(t, ccd, q, &lamp, fq.flat_e, fq.dark_e),
                        5e-3,
                    );
                }
            }
        }
    }
    k.assert(&rs[0]);
}

/// NL02 takes fluences up to 20 % with filter A (0 nm, tFWC_flat 73.4 s) and from 15 % with
/// filter B (880 nm, 7.2 s), whose fluxes differ by 10x; the fit places both filters on one
/// fluence axis (flux ratio fitted with the response, fixed by the shared 15 % and 20 %
/// columns) and tells the 50 % column at 880 nm from the stability frames (same filter and
/// time) by its script column.
#[test]
fn nl02_recovers_the_non_linearity_curve() {
    let (c, _, rs) = run_tests(&["NL02"], 25);
    let r = &rs[0];
    let mut k = Checks::default();
    for (ccd, qs) in &c.truth.ccds {
        for (q, tq) in qs {
            let nl = &tq.nonlinearity;
            for (lin, want) in [
                (10_000.0, nl.frac_dev_at_10000_adu),
                (30_000.0, nl.frac_dev_at_30000_adu),
                (50_000.0, nl.frac_dev_at_50000_adu),
            ] {
                // Issue #8: within 0.1 % of signal, as NL01 (measured <= 0.026 % there).
                k.abs(
                    format!("{ccd}{q} NL at {lin}"),
                    get(r, ccd, q, &format!("nl_frac_at_{}_adu", lin as u64)),
                    want,
                    1e-3,
                );
            }
            // The fitted flux ratio of the two filters is the inverse ratio of their times to
            // full well in the chamber-B profile (7.2 s at 880 nm, 73.4 s open): 0.0981.
            let ratios: Vec<f64> = r.ccds[ccd][q]
                .iter()
                .filter(|(key, _)| key.starts_with("nl_flux_ratio_filter"))
                .filter_map(|(_, v)| v.as_f64())
                .collect();
            let want = 7.2 / 73.4;
            let got = ratios
                .first()
                .map_or(f64::NAN, |&v| if v > 1.0 { 1.0 / v } else { v });
            k.rel(format!("{ccd}{q} filter flux ratio"), got, want, 0.01);
        }
    }
    // The image-minus-prescan check is for bias frames: the exposed flats are not flagged.
    let poor = r
        .flag_reasons
        .0
        .get("POORQUALDATA")
        .cloned()
        .unwrap_or_default();
    assert!(
        !poor.iter().any(|m| m.contains("image minus prescan")),
        "{poor:?}"
    );
    k.assert(r);
}
