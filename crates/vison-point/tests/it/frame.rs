//! Spots on a whole (reduced-size) CCD frame: one common shift found star-tracker-like, then
//! every spot of every quadrant measured and matched to its own truth, so that a quadrant flip
//! or an axis swap cannot pass.

use ndarray::Array2;
use vison_ccd::{FrameGeometry, Quadrant, Section};
use vison_point::locate::{apply_shift, find_shift};
use vison_point::{SpotConfig, measure_spots};

use crate::{Spot, add_noise, add_spot, cov_from_axes};

/// Fractional (fx, fy) of the five spots in the quadrant's image area (reference 6.7 grid).
const FRACS: [(f64, f64); 5] = [(0.2, 0.8), (0.8, 0.8), (0.5, 0.5), (0.2, 0.2), (0.8, 0.2)];

/// Nominal CCD positions of 20 spots on a small frame, per quadrant.
fn nominal(g: &FrameGeometry) -> Vec<(Quadrant, (f64, f64))> {
    let img = g.section_box_qcan(Section::Image);
    let mut out = Vec::new();
    for q in Quadrant::ALL {
        let b = g.quad_box_ccd(q);
        for (fx, fy) in FRACS {
            // Image area in CCD coordinates: prescan on the outer side (left for E/H).
            let x0 = if q.is_right() {
                b.col0 + g.overscan_px
            } else {
                b.col0 + img.col0
            };
            let y0 = if q.is_top() {
                b.row0 + g.voverscan_px
            } else {
                b.row0
            };
            let x = x0 as f64 + fx * g.image_cols_px as f64;
            let y = y0 as f64 + fy * g.image_rows_px as f64;
            out.push((q, (x, y)));
        }
    }
    out
}

/// Distinct shape and flux per quadrant.
fn quad_spot(q: Quadrant) -> ([f64; 3], f64) {
    match q {
        Quadrant::E => (cov_from_axes(2.2, 1.6, 0.0), 0.6e7),
        Quadrant::F => (cov_from_axes(2.2, 1.6, 90.0), 0.8e7),
        Quadrant::G => (cov_from_axes(2.2, 1.6, 45.0), 1.0e7),
        Quadrant::H => (cov_from_axes(2.2, 1.6, -45.0), 1.2e7),
    }
}

#[test]
fn every_spot_of_every_quadrant_is_found_and_matched() {
    let g = FrameGeometry::small();
    let (rows, cols) = g.shape();
    let nom = nominal(&g);
    let (dx, dy) = (1.63, -1.27);
    let mut img = Array2::<f64>::zeros((rows, cols));
    // Different offsets per quadrant (the annulus must absorb them).
    for (k, q) in Quadrant::ALL.into_iter().enumerate() {
        let b = g.quad_box_ccd(q);
        img.slice_mut(ndarray::s![b.row0..b.row1, b.col0..b.col1])
            .fill(2000.0 + 100.0 * k as f64);
    }
    let mut truth = Vec::new();
    for (i, (q, (x, y))) in nom.iter().enumerate() {
        let (cov, flux) = quad_spot(*q);
        // Per-spot sub-pixel jitter on top of the common shift, different in x and y.
        let s = Spot {
            x_px: x + dx + 0.013 * i as f64,
            y_px: y + dy - 0.009 * i as f64,
            cov_px2: cov,
            flux_adu: flux,
        };
        add_spot(&mut img, &s);
        truth.push(s);
    }
    add_noise(&mut img, 3.1, 4.5, 7);
    let img32 = img.mapv(|v| v as f32);
    let cfg = SpotConfig::default();
    let positions: Vec<(f64, f64)> = nom.iter().map(|n| n.1).collect();
    let shift = find_shift(img32.view(), None, &positions, 6, &cfg).expect("shift");
    assert_eq!(
        (shift.coarse_dx_px, shift.coarse_dy_px),
        (2, -1),
        "{shift:?}"
    );
    assert!(
        (shift.dx_px - dx).abs() < 0.2 && (shift.dy_px - dy).abs() < 0.2,
        "{shift:?}"
    );
    assert_eq!(shift.n_refined, 20);
    let found = apply_shift(&positions, &shift);
    let results = measure_spots(img32.view(), None, &found, &cfg);
    for ((res, t), (q, _)) in results.iter().zip(&truth).zip(&nom) {
        let m = res.as_ref().expect("measured");
        assert!(
            (m.x_px - t.x_px).abs() < 0.01,
            "{q}: x {} vs {}",
            m.x_px,
            t.x_px
        );
        assert!(
            (m.y_px - t.y_px).abs() < 0.01,
            "{q}: y {} vs {}",
            m.y_px,
            t.y_px
        );
        assert!(
            (m.flux_adu / t.flux_adu - 1.0).abs() < 0.005,
            "{q}: {}",
            m.flux_adu
        );
        let (sig, e1, e2) = t.hsm_truth();
        assert!(
            (m.sigma_px() - sig).abs() < 1e-3,
            "{q}: {} vs {sig}",
            m.sigma_px()
        );
        assert!(
            (m.e1() - e1).abs() < 1e-3 && (m.e2() - e2).abs() < 1e-3,
            "{q}"
        );
        assert!(m.converged());
    }
}
