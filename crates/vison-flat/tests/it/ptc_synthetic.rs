//! PTC on synthetic Poisson flat pairs with known gain, read noise and full well, per quadrant.

use vison_flat::FitQuality;
use vison_flat::ptc::{
    PairStatsConfig, PtcFitConfig, PtcModel, PtcPoint, fit_ptc, pair_point, pair_tile_points,
};

use crate::sim::flat_frame;

struct Quadrant {
    gain: f64,
    ron_adu: f64,
    full_well_e: f64,
}

const QUADRANTS: [Quadrant; 4] = [
    Quadrant {
        gain: 3.0,
        ron_adu: 4.0,
        full_well_e: 180_000.0,
    },
    Quadrant {
        gain: 3.1,
        ron_adu: 4.5,
        full_well_e: 200_000.0,
    },
    Quadrant {
        gain: 3.2,
        ron_adu: 5.0,
        full_well_e: 190_000.0,
    },
    Quadrant {
        gain: 3.4,
        ron_adu: 4.2,
        full_well_e: 210_000.0,
    },
];

fn campaign(q: &Quadrant, seed: u64) -> Vec<PtcPoint> {
    let mut levels: Vec<f64> = vec![50.0, 150.0, 400.0, 1e3, 3e3, 8e3, 2e4, 4e4, 7e4, 1e5, 1.3e5];
    levels.extend(
        [0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2]
            .iter()
            .map(|f| f * q.full_well_e),
    );
    let shape = (384, 384);
    let mut points = Vec::new();
    for (k, &lam) in levels.iter().enumerate() {
        // Slightly non-uniform illumination, identical in both frames.
        let illum = move |r: usize, c: usize| {
            lam * (1.0 + 0.02 * (r as f64 / 384.0) - 0.01 * (c as f64 / 384.0))
        };
        let s = seed + 2 * k as u64;
        let f1 = flat_frame(shape, illum, q.full_well_e, q.gain, q.ron_adu, s);
        let f2 = flat_frame(shape, illum, q.full_well_e, q.gain, q.ron_adu, s + 1);
        let tiles = pair_tile_points(
            f1.view(),
            f2.view(),
            None,
            &PairStatsConfig {
                tile_px: 128,
                clip_sigma: 5.0,
            },
        )
        .unwrap();
        assert_eq!(tiles.len(), 9);
        points.extend(tiles.iter().map(|t| t.point));
        // The whole-region point agrees with the tile average.
        let whole = pair_point(f1.view(), f2.view(), None, 5.0).unwrap();
        let tile_mean = tiles.iter().map(|t| t.point.mean_adu).sum::<f64>() / 9.0;
        assert!((whole.mean_adu - tile_mean).abs() / tile_mean < 0.01);
    }
    points
}

#[test]
fn gain_ron_full_well_per_quadrant() {
    for (qi, q) in QUADRANTS.iter().enumerate() {
        let pts = campaign(q, 1000 * qi as u64 + 7);
        let cfg = PtcFitConfig {
            poor_gain_rel_err: 5e-3,
            ..PtcFitConfig::default()
        };
        let f = fit_ptc(&pts, PtcModel::ExpApprox, &cfg).unwrap();
        let g_rel = (f.gain_e_per_adu - q.gain).abs() / q.gain;
        let ron_rel = (f.ron_adu - q.ron_adu).abs() / q.ron_adu;
        let fw_adu = q.full_well_e / q.gain;
        let fw_rel = (f.turnoff.mean_adu - fw_adu).abs() / fw_adu;
        assert!(
            g_rel < 5e-3,
            "Q{qi}: gain {} vs {} ({g_rel:.2e})",
            f.gain_e_per_adu,
            q.gain
        );
        assert!(ron_rel < 0.02, "Q{qi}: RON {} vs {}", f.ron_adu, q.ron_adu);
        assert!(f.turnoff.found, "Q{qi}: no turn-off");
        assert!(
            fw_rel < 0.05,
            "Q{qi}: turn-off {} vs full well {fw_adu}",
            f.turnoff.mean_adu
        );
        assert!(
            f.a00_per_e.abs() < 1e-6,
            "Q{qi}: a00 {} without BF",
            f.a00_per_e
        );
        assert_ne!(f.quality, FitQuality::BadFit);
        // The gain error is realistic: the truth lies within 4 sigma.
        assert!((f.gain_e_per_adu - q.gain).abs() < 4.0 * f.gain_err_e_per_adu + 1e-4);
        // vison's quadratic on 1e3..4e4 ADU also recovers the gain.
        let qcfg = PtcFitConfig {
            min_mean_adu: 1e2,
            max_mean_adu: 4e4,
            poor_gain_rel_err: 5e-3,
            ..PtcFitConfig::default()
        };
        let qf = fit_ptc(&pts, PtcModel::Quadratic, &qcfg).unwrap();
        assert!(
            (qf.gain_e_per_adu - q.gain).abs() / q.gain < 5e-3,
            "Q{qi}: quad gain {}",
            qf.gain_e_per_adu
        );
        assert!(
            (qf.ron_adu - q.ron_adu).abs() / q.ron_adu < 0.02,
            "Q{qi}: quad RON {}",
            qf.ron_adu
        );
    }
}
