//! Master flat, PRNU and defects on synthetic flats with known PRNU.

use ndarray::Array2;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use vison_flat::flat::{FlatConfig, IlluminationModel, fluence_check, master_flat};

use crate::sim::flat_frame;

#[test]
fn prnu_and_defects_recovered() {
    let shape = (256, 256);
    let prnu_true = 0.01;
    let mut rng = StdRng::seed_from_u64(42);
    let nrm = Normal::new(1.0, prnu_true).unwrap();
    let mut response = Array2::from_shape_fn(shape, |_| nrm.sample(&mut rng));
    // Defects: a dark column, two dark pixels and a bright pixel.
    for r in 0..shape.0 {
        response[[r, 100]] = 0.7;
    }
    response[[30, 40]] = 0.3;
    response[[200, 12]] = 0.5;
    response[[150, 220]] = 1.5;
    let frames: Vec<Array2<f32>> = (0..8)
        .map(|k| {
            let resp = response.clone();
            let level = 40_000.0 * (1.0 + 0.01 * f64::from(k));
            flat_frame(
                shape,
                move |r, c| {
                    let illum = 1.0 + 0.1 * (r as f64 / 256.0) - 0.05 * (c as f64 / 256.0).powi(2);
                    level * illum * resp[[r, c]]
                },
                1e9,
                3.1,
                4.5,
                500 + k as u64,
            )
        })
        .collect();
    let views: Vec<_> = frames.iter().map(|f| f.view()).collect();
    let cfg = FlatConfig {
        model: IlluminationModel::Poly {
            degree: 3,
            bin_px: 16,
        },
        tile_px: 64,
        ..FlatConfig::default()
    };
    let m = master_flat(&views, None, &cfg).unwrap();
    assert_eq!(m.n_combined, 8);
    let rel = (m.prnu.prnu_pc / 100.0 - prnu_true).abs() / prnu_true;
    assert!(
        rel < 0.10,
        "PRNU {} % vs {} %",
        m.prnu.prnu_pc,
        prnu_true * 100.0
    );
    assert_eq!(m.prnu.tiles.len(), 16);
    for t in &m.prnu.tiles {
        assert!(
            (t.prnu_pc / 100.0 - prnu_true).abs() / prnu_true < 0.2,
            "tile {t:?}"
        );
    }
    assert_eq!(m.defects.dark_columns, vec![100]);
    assert!(m.defects.bright_columns.is_empty());
    assert_eq!(m.defects.n_dark_px, 2);
    assert_eq!(m.defects.n_bright_px, 1);
    // The master is normalised: its mean response is 1.
    let mean = m.flat.iter().map(|v| f64::from(*v)).sum::<f64>() / m.flat.len() as f64;
    assert!((mean - 1.0).abs() < 5e-3);
    // Median filter model works as well.
    let cfg_med = FlatConfig {
        model: IlluminationModel::BinnedMedian { bin_px: 32 },
        tile_px: 64,
        ..FlatConfig::default()
    };
    let m2 = master_flat(&views, None, &cfg_med).unwrap();
    assert!((m2.prnu.prnu_pc / 100.0 - prnu_true).abs() / prnu_true < 0.10);
    let fc = fluence_check(frames[0].view(), None, 40_000.0 / 3.1, 0.1, 65_535.0).unwrap();
    assert!(fc.within_limits, "{fc:?}");
}
