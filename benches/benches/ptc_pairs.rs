//! Per-pair throughput of the PTC / covariance kernels of `vison-flat` on a full-size quadrant
//! image area (2066 rows x 2048 columns, f32), counted in input bytes (two frames per pair).
//!
//! The numpy equivalent is `benches/ptc_pairs_numpy.py` (same difference, clipping, variance
//! and covariance computation) for the speed ratio.

use divan::counter::BytesCount;
use ndarray::Array2;
use vison_flat::covariance::{CovarianceConfig, pair_covariance};
use vison_flat::ptc::{PairStatsConfig, pair_tile_points};

const ROWS: usize = 2066;
const COLS: usize = 2048;

fn main() {
    divan::main();
}

/// Deterministic flat-like frame: 30 000 ADU plus approximately Gaussian noise (sum of uniforms).
fn frame(seed: u64) -> Array2<f32> {
    let mut state = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 40) as f32) / ((1u64 << 24) as f32)
    };
    Array2::from_shape_simple_fn((ROWS, COLS), || {
        let g = next() + next() + next() + next() - 2.0;
        30_000.0 + 170.0 * g
    })
}

fn pair_bytes() -> BytesCount {
    BytesCount::new(2 * ROWS * COLS * std::mem::size_of::<f32>())
}

/// Difference image, 4-sigma clipping, mean, variance and covariances for lags 0..=10 in both
/// directions (the full per-pair covariance kernel).
#[divan::bench(sample_count = 10)]
fn pair_covariance_lag10(bencher: divan::Bencher<'_, '_>) {
    let f1 = frame(1);
    let f2 = frame(2);
    let cfg = CovarianceConfig {
        max_lag_px: 10,
        clip_sigma: 4.0,
    };
    bencher.counter(pair_bytes()).bench(|| {
        pair_covariance(
            divan::black_box(f1.view()),
            divan::black_box(f2.view()),
            None,
            &cfg,
        )
    });
}

/// Per-tile (300 x 300) robust mean-variance points of a pair (vison's PTC extraction).
#[divan::bench(sample_count = 10)]
fn pair_tile_points_300px(bencher: divan::Bencher<'_, '_>) {
    let f1 = frame(3);
    let f2 = frame(4);
    let cfg = PairStatsConfig::default();
    bencher.counter(pair_bytes()).bench(|| {
        pair_tile_points(
            divan::black_box(f1.view()),
            divan::black_box(f2.view()),
            None,
            &cfg,
        )
    });
}
