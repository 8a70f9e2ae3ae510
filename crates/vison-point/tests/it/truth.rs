//! Truth recovery on pixel-integrated elliptical Gaussians drawn in the test: non-square
//! stamps, spots off-centre in x and y by different amounts, distinct shapes.

use ndarray::Array2;
use vison_point::focus::fit_fwhm_focus;
use vison_point::{SpotConfig, measure_spot};

use crate::{Spot, add_noise, add_spot, cov_from_axes};

/// One spot on a non-square image; returns the measurement.
fn measure_one(
    spot: &Spot,
    shape: (usize, usize),
    noise: bool,
    seed: u64,
) -> vison_point::SpotMeasurement {
    let mut img = Array2::<f64>::from_elem(shape, 500.0);
    add_spot(&mut img, spot);
    if noise {
        add_noise(&mut img, 3.1, 4.5, seed);
    }
    let img32 = img.mapv(|v| v as f32);
    // Start 1.4 px away from the truth in x and -0.8 px in y.
    let cfg = SpotConfig {
        half_width_px: 27,
        half_height_px: 19,
        annulus_in_px: 13.0,
        annulus_out_px: 19.0,
        ..SpotConfig::default()
    };
    measure_spot(img32.view(), None, spot.x_px + 1.4, spot.y_px - 0.8, &cfg).expect("measured")
}

#[test]
fn high_snr_gaussians_recover_centroid_flux_and_shape() {
    let shapes = [
        (2.0, 1.6, 25.0),
        (2.4, 1.5, -60.0),
        (1.8, 1.8, 0.0),
        (2.2, 1.7, 100.0),
    ];
    for (k, &(sa, sb, th)) in shapes.iter().enumerate() {
        let spot = Spot {
            // Off-centre by different fractions in x and y.
            x_px: 61.0 + 0.37 + 0.11 * k as f64,
            y_px: 40.0 - 0.23 + 0.07 * k as f64,
            cov_px2: cov_from_axes(sa, sb, th),
            flux_adu: 1.0e7,
        };
        let m = measure_one(&spot, (80, 120), true, 10 + k as u64);
        let (sig, e1, e2) = spot.hsm_truth();
        let mo = m.moments.expect("moments");
        assert!(mo.converged);
        assert!(
            (m.x_px - spot.x_px).abs() < 0.01,
            "{k}: x {} vs {}",
            m.x_px,
            spot.x_px
        );
        assert!(
            (m.y_px - spot.y_px).abs() < 0.01,
            "{k}: y {} vs {}",
            m.y_px,
            spot.y_px
        );
        assert!((mo.x_px - spot.x_px).abs() < 0.01 && (mo.y_px - spot.y_px).abs() < 0.01);
        assert!(
            (m.flux_adu / spot.flux_adu - 1.0).abs() < 0.005,
            "{k}: flux {}",
            m.flux_adu
        );
        assert!(m.flux_err_adu > 0.0 && m.flux_err_adu < 0.005 * spot.flux_adu);
        assert!(
            (mo.sigma_px - sig).abs() < 1e-3,
            "{k}: sigma {} vs {sig}",
            mo.sigma_px
        );
        assert!((mo.e1 - e1).abs() < 1e-3, "{k}: e1 {} vs {e1}", mo.e1);
        assert!((mo.e2 - e2).abs() < 1e-3, "{k}: e2 {} vs {e2}", mo.e2);
        assert!((m.bgd_adu - 500.0).abs() < 3.0, "{k}: bgd {}", m.bgd_adu);
        // The Gaussian fit (point-sampled model) sees the pixel-convolved widths.
        let g = m.gauss.expect("fit");
        assert!(g.converged, "{g:?}");
        assert!((g.x_px - spot.x_px).abs() < 0.01 && (g.y_px - spot.y_px).abs() < 0.01);
        let c = spot.pixel_cov_px2();
        assert!((g.sigma_x_px - c[0].sqrt()).abs() < 0.01, "{k}: {g:?}");
        assert!((g.sigma_y_px - c[2].sqrt()).abs() < 0.01, "{k}: {g:?}");
        assert!((g.flux_adu / spot.flux_adu - 1.0).abs() < 0.01);
        assert!(g.x_err_px > 0.0 && g.x_err_px < 0.01);
        assert!((m.fwhm_x_px - 2.3548 * c[0].sqrt()).abs() < 0.03);
    }
}

#[test]
fn axis_swap_cannot_pass() {
    // Elongated along x and offset differently in x and y: a swapped implementation would
    // give e1 < 0 and exchange the fractional offsets.
    let spot = Spot {
        x_px: 50.3,
        y_px: 30.8,
        cov_px2: cov_from_axes(2.5, 1.5, 0.0),
        flux_adu: 1.0e6,
    };
    let m = measure_one(&spot, (60, 100), false, 0);
    assert!(
        (m.x_px - 50.3).abs() < 0.005 && (m.y_px - 30.8).abs() < 0.005,
        "{m:?}"
    );
    assert!(m.e1() > 0.4 && m.e2().abs() < 1e-3, "{} {}", m.e1(), m.e2());
    assert!(m.fwhm_x_px > m.fwhm_y_px * 1.5);
    let g = m.gauss.expect("fit");
    assert!(g.theta_deg.abs() < 0.5, "{}", g.theta_deg);
    // Positive e2 means elongation along x = y.
    let spot = Spot {
        cov_px2: cov_from_axes(2.5, 1.5, 45.0),
        ..spot
    };
    let m = measure_one(&spot, (60, 100), false, 0);
    assert!(m.e2() > 0.4 && m.e1().abs() < 1e-3, "{} {}", m.e1(), m.e2());
}

#[test]
fn masked_core_pixel_is_flagged_not_fatal() {
    let spot = Spot {
        x_px: 40.2,
        y_px: 25.6,
        cov_px2: cov_from_axes(1.5, 1.5, 0.0),
        flux_adu: 1.0e5,
    };
    let mut img = Array2::<f64>::from_elem((50, 80), 100.0);
    add_spot(&mut img, &spot);
    let img32 = img.mapv(|v| v as f32);
    let mut mask = Array2::from_elem((50, 80), false);
    mask[[27, 41]] = true;
    let cfg = SpotConfig {
        half_width_px: 20,
        half_height_px: 20,
        annulus_in_px: 12.0,
        annulus_out_px: 20.0,
        ..SpotConfig::default()
    };
    let m = measure_spot(img32.view(), Some(mask.view()), 40.0, 25.0, &cfg).expect("measured");
    assert!((m.aperture_masked_px2 - 1.0).abs() < 1e-9);
    assert!(
        m.flags.iter().any(|f| f.contains("masked")),
        "{:?}",
        m.flags
    );
    // Flux lower by roughly the masked pixel's content, centroid still close.
    assert!(m.flux_adu < 1.0e5 && m.flux_adu > 0.9e5, "{}", m.flux_adu);
    assert!((m.x_px - 40.2).abs() < 0.1 && (m.y_px - 25.6).abs() < 0.1);
}

#[test]
fn focus_scan_of_drawn_spots_finds_best_focus() {
    // FWHM law of the simulator: w0 sqrt(1 + ((pos - best) / 0.25)^2), best 47.23 mm.
    let best = 47.23;
    let positions: Vec<f64> = (-4..=4).map(|j| 47.2 + 0.1 * f64::from(j)).collect();
    let mut fwhm = Vec::new();
    for (k, p) in positions.iter().enumerate() {
        let w = 2.5 * (1.0 + ((p - best) / 0.25f64).powi(2)).sqrt();
        let s = w / 2.3548;
        let spot = Spot {
            x_px: 60.4,
            y_px: 38.7,
            cov_px2: [s * s, 0.0, s * s],
            flux_adu: 1.0e7,
        };
        let m = measure_one(&spot, (80, 120), true, 100 + k as u64);
        // Remove the pixel's 1/12 px^2 from the adaptive moments before the FWHM.
        let sig = (m.sigma_px().powi(2) - 1.0 / 12.0).sqrt();
        fwhm.push(2.3548 * sig);
    }
    let f = fit_fwhm_focus(&positions, &fwhm).expect("focus");
    assert!((f.best_mm - best).abs() < 0.005, "{f:?}");
    assert!(
        f.best_err_mm < 0.01 && (f.metric_at_best - 2.5).abs() < 0.02,
        "{f:?}"
    );
}
