//! Point-source tasks on small synthetic campaigns: FOCUS00 best focus per spot against the
//! simulator's truth (`mirror_nom` of the filter + `focus_offset_mm`), PSF01 spot flux
//! linearity and FWHM against the injected values.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::*;

const QUADS: [&str; 4] = ["E", "F", "G", "H"];

/// Runs `test` on a fresh small campaign of `generate`; checks that `figures` were drawn.
fn run_point(
    generate: &str,
    test: &str,
    seed: u64,
    figures: &[&str],
) -> (Campaign, vison_pipe::TestResults) {
    let c = campaign(&[generate], &[], seed);
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let s = run(&c.root(), &[test], &out, cfg, "point");
    let r = results(&s, test);
    for fig in figures {
        let png = s.join(test).join("figures").join(format!("{fig}.png"));
        assert!(png.is_file(), "{} not drawn", png.display());
    }
    (c, r)
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or(f64::NAN)
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

/// Wavelength of the campaign's point-source frames and the profile.
fn wavelength(c: &Campaign, test: &str) -> (u32, vison_ogse::OgseProfile) {
    let p = vison_ogse::OgseProfile::default_chamber();
    let wave = c
        .truth
        .frames
        .values()
        .find(|fr| fr.test.starts_with(test))
        .map(|fr| fr.wave)
        .expect("frames of the test");
    let nm = p
        .wavelength_of_filter(u8::try_from(wave).expect("filter"))
        .expect("wavelength of the filter");
    (nm, p)
}

#[test]
#[allow(clippy::print_stderr)] // the measured figures, for the docs
fn focus00_best_focus_per_spot_matches_the_truth() {
    let (c, r) = run_point(
        "FOCUS00_800",
        "FOCUS00_800",
        41,
        &["focus_curves", "focus_map"],
    );
    assert_eq!(r.status, "ok", "{:?}", r.flag_reasons);
    assert!(r.flags.is_empty(), "{:?}", r.flag_reasons);
    let (nm, p) = wavelength(&c, "FOCUS00");
    let nominal = p.mirror_nom_mm(nm).expect("mirror_nom");
    let fits = r.details["focus_fits"].as_array().expect("focus_fits");
    assert_eq!(fits.len(), 60, "3 CCDs x 20 spots");
    let mut worst: f64 = 0.0;
    let mut per_quad: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for fit in fits {
        let ccd = format!("CCD{}", fit["ccd"].as_u64().expect("ccd"));
        let (q, spot) = (s(fit, "quadrant"), s(fit, "spot"));
        let truth = nominal + c.truth.spots[&ccd][&q][&spot].focus_offset_mm;
        let d = f(fit, "best_focus_mm") - truth;
        assert!(
            d.abs() < 0.02,
            "{ccd} {q} {spot}: best focus off by {d:.4} mm"
        );
        worst = worst.max(d.abs());
        per_quad.entry((ccd, q)).or_default().push(truth);
    }
    eprintln!("FOCUS00: worst best-focus error {worst:.4} mm");
    for ((ccd, q), t) in per_quad {
        let truth = t.iter().sum::<f64>() / t.len() as f64;
        let got = get(&r, &ccd, &q, "best_focus_mm");
        assert!((got - truth).abs() < 0.02, "{ccd} {q}: {got} vs {truth}");
    }
    // details.spots: one row per spot and exposure, positions in the truth's CCD frame.
    let rows = r.details["spots"].as_array().expect("spots");
    let n_frames = c
        .truth
        .frames
        .values()
        .filter(|fr| fr.test.starts_with("FOCUS00") && fr.source == "point")
        .count();
    assert_eq!(rows.len(), 60 * n_frames);
    for row in rows.iter().take(200) {
        let ccd = format!("CCD{}", row["ccd"].as_u64().expect("ccd"));
        let t = &c.truth.spots[&ccd][&s(row, "quadrant")][&s(row, "spot")];
        let dx = f(row, "x_ccd_px") - t.x_ccd_px;
        let dy = f(row, "y_ccd_px") - t.y_ccd_px;
        assert!(dx.abs() < 0.05 && dy.abs() < 0.05, "{row}: ({dx}, {dy})");
        assert!(f(row, "mirror_mm").is_finite());
    }
}

#[test]
#[allow(clippy::print_stderr)] // the measured figures, for the docs
fn psf01_spot_flux_is_linear_and_fwhm_matches_the_truth() {
    let (c, r) = run_point(
        "PSF01_800",
        "PSF01_800",
        43,
        &[
            "psf_flux",
            "psf_flux_residuals",
            "psf_fwhm_vs_peak",
            "psf_e1_vs_peak",
        ],
    );
    assert_ne!(r.status, "crashed", "{:?}", r.flag_reasons);
    // Flux linear in (shutter-calibrated) exposure time within 1 % for every spot.
    let fits = r.details["psf_fits"].as_array().expect("psf_fits");
    assert_eq!(fits.len(), 60);
    let mut worst: f64 = 0.0;
    for fit in fits {
        let res = f(fit, "lin_max_resid_frac");
        assert!(res < 0.01, "{fit}");
        worst = worst.max(res);
    }
    // Fluxes and FWHM against the injected values, per spot and exposure.
    let gain = |ccd: &str, q: &str| c.truth.ccds[ccd][q].gain_e_per_adu;
    let mut worst_flux: f64 = 0.0;
    let mut worst_fwhm: f64 = 0.0;
    let mut mean_df: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
    let mut per_spot: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    let mut outliers = Vec::new();
    let mut n_rows = 0usize;
    for row in r.details["spots"].as_array().expect("spots") {
        let ccd = format!("CCD{}", row["ccd"].as_u64().expect("ccd"));
        let (q, spot) = (s(row, "quadrant"), s(row, "spot"));
        let obsid = row["obsid"].as_i64().expect("obsid");
        let fr = &c.truth.frames[&obsid.to_string()];
        let t = &fr.ccds[&ccd].quads[&q].spots[&spot];
        let flux = t.total_e / gain(&ccd, &q);
        let df = f(row, "flux_adu") / flux - 1.0;
        let sig = f(row, "sigma_px");
        let fwhm = 2.354_820_045 * (sig * sig - 1.0 / 12.0).sqrt();
        let dw = fwhm / t.fwhm_px - 1.0;
        // 1 % or 6 sigma of the measured error; cosmic rays in the aperture may exceed it.
        let tol = (6.0 * f(row, "flux_err_adu") / flux).max(0.01);
        if df.abs() >= tol {
            outliers.push(format!(
                "{ccd} {q} {spot} {obsid}: flux {df:+.4} (tol {tol:.4})"
            ));
        }
        per_spot
            .entry((ccd.clone(), q.clone(), spot.clone()))
            .or_default()
            .push(df);
        n_rows += 1;
        assert!(dw.abs() < 0.03, "{ccd} {q} {spot} {obsid}: fwhm {dw:+.4}");
        worst_flux = worst_flux.max(df.abs());
        let e = mean_df.entry(obsid).or_insert((0.0, 0));
        e.0 += df;
        e.1 += 1;
        worst_fwhm = worst_fwhm.max(dw.abs());
    }
    assert!(
        outliers.len() * 100 <= n_rows,
        "{} of {n_rows}: {outliers:?}",
        outliers.len()
    );
    // Per spot, the median flux offset over its exposures within 0.5 %.
    for (k, mut d) in per_spot {
        d.sort_by(f64::total_cmp);
        let med = d[d.len() / 2];
        assert!(med.abs() < 0.005, "{k:?}: median flux offset {med:+.4}");
    }
    // No flux bias: the mean over the 60 spots of each exposure within 0.5 % of the truth.
    for (obsid, (sum, n)) in &mean_df {
        let m = sum / *n as f64;
        assert!(m.abs() < 0.005, "ObsID {obsid}: mean flux offset {m:+.4}");
    }
    // Per-quadrant results at the reference fluence.
    let ref_t = r.details["ref_exptime_s"].as_f64().expect("ref_exptime_s");
    for ccd in ["CCD1", "CCD2", "CCD3"] {
        for q in QUADS {
            let w = get(&r, ccd, q, "fwhm_px");
            let truth: Vec<f64> = c
                .truth
                .frames
                .values()
                .filter(|fr| fr.source == "point" && (fr.exptime_s - ref_t).abs() < 1e-9)
                .flat_map(|fr| fr.ccds[ccd].quads[q].spots.values().map(|s| s.fwhm_px))
                .collect();
            let tw = truth.iter().sum::<f64>() / truth.len() as f64;
            assert!((w / tw - 1.0).abs() < 0.03, "{ccd} {q}: fwhm {w} vs {tw}");
            assert!(get(&r, ccd, q, "e1").abs() < 0.05 && get(&r, ccd, q, "e2").abs() < 0.05);
        }
    }
    eprintln!(
        "PSF: worst linearity residual {worst:.4}, flux {worst_flux:.4} ({} outliers of {n_rows}), fwhm {worst_fwhm:.4}",
        outliers.len()
    );
}
