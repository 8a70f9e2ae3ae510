//! Spot measurement throughput of `vison-point` (annulus background, centroid, exact aperture,
//! adaptive moments, 2-D Gaussian LM fit) on 51 x 51 stamps: 1200 stamps, a fifth of one
//! FOCUS/PSF block (5 spots x 4 quadrants x 3 CCDs x 100 frames = 6000), counted in spots.
//!
//! The stamps are also written to `$VISON_SPOTS_NPY` (default `<tmp>/vison_spots_bench.npy`,
//! float32, shape (1200, 51, 51)) so that `benches/spots_python.py` times GalSim HSM and
//! photutils on the same pixels.

use divan::counter::ItemsCount;
use rayon::prelude::*;
use vison_point::stamp::Stamp;
use vison_point::{SpotConfig, measure_stamp};

const N_STAMPS: usize = 1200;
const HALF: usize = 25;

fn main() {
    let stamps = stamps();
    let path = std::env::var_os("VISON_SPOTS_NPY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("vison_spots_bench.npy"));
    // The Python comparison reads this file; a failure to write only skips that comparison.
    let _ = write_npy(&path, &stamps);
    divan::main();
}

/// Deterministic xorshift64* uniform in [0, 1).
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Pixel-integrated (4 x 4 sub-samples) elliptical Gaussians with background and noise.
fn stamps() -> Vec<Vec<f32>> {
    let n = 2 * HALF + 1;
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    (0..N_STAMPS)
        .map(|_| {
            let sigma = 0.8 + 0.8 * rng.uniform();
            let e = 0.1 * rng.uniform();
            let th = std::f64::consts::PI * rng.uniform();
            let (sa, sb) = (sigma * (1.0 + e).sqrt(), sigma * (1.0 - e).sqrt());
            let (s, c) = th.sin_cos();
            let cxx = sa * sa * c * c + sb * sb * s * s;
            let cyy = sa * sa * s * s + sb * sb * c * c;
            let cxy = (sa * sa - sb * sb) * c * s;
            let det = cxx * cyy - cxy * cxy;
            let flux = 2e4 + 4.8e5 * rng.uniform();
            let (x0, y0) = (
                HALF as f64 + rng.uniform() - 0.5,
                HALF as f64 + rng.uniform() - 0.5,
            );
            let norm = flux / (2.0 * std::f64::consts::PI * det.sqrt()) / 16.0;
            let mut img = vec![0f32; n * n];
            for r in 0..n {
                for col in 0..n {
                    let mut acc = 0.0;
                    for i in 0..4 {
                        let dy = r as f64 - 0.375 + 0.25 * i as f64 - y0;
                        for j in 0..4 {
                            let dx = col as f64 - 0.375 + 0.25 * j as f64 - x0;
                            let q = (cyy * dx * dx - 2.0 * cxy * dx * dy + cxx * dy * dy) / det;
                            acc += (-0.5 * q).exp();
                        }
                    }
                    let v = 100.0 + norm * acc;
                    let sd = (v / 3.1 + 4.5 * 4.5).sqrt();
                    img[r * n + col] = (v + sd * rng.normal()) as f32;
                }
            }
            img
        })
        .collect()
}

/// Writes a (N, 51, 51) little-endian float32 `.npy` file.
fn write_npy(path: &std::path::Path, stamps: &[Vec<f32>]) -> std::io::Result<()> {
    let n = 2 * HALF + 1;
    let dict = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {n}, {n}), }}",
        stamps.len()
    );
    let mut header = dict.into_bytes();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut out = Vec::with_capacity(10 + header.len() + stamps.len() * n * n * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(&header);
    for s in stamps {
        for v in s {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::write(path, out)
}

fn as_stamps(raw: &[Vec<f32>]) -> Vec<Stamp> {
    let n = 2 * HALF + 1;
    raw.iter()
        .map(|v| {
            let a = ndarray::Array2::from_shape_fn((n, n), |(r, c)| f64::from(v[r * n + c]));
            Stamp::from_array(a, 0, 0)
        })
        .collect()
}

fn run(stamps: &[Stamp], cfg: &SpotConfig) -> usize {
    stamps
        .iter()
        .filter(|s| measure_stamp(s, HALF as f64, HALF as f64, cfg).is_ok())
        .count()
}

/// Full measurement (photometry + adaptive moments + Gaussian fit), one thread.
#[divan::bench(sample_count = 5)]
fn measure_one_thread(b: divan::Bencher) {
    let stamps = as_stamps(&stamps());
    let cfg = SpotConfig::default();
    b.counter(ItemsCount::new(N_STAMPS))
        .bench(|| run(divan::black_box(&stamps), &cfg));
}

/// Full measurement, rayon over spots (all cores).
#[divan::bench(sample_count = 5)]
fn measure_rayon(b: divan::Bencher) {
    let stamps = as_stamps(&stamps());
    let cfg = SpotConfig::default();
    b.counter(ItemsCount::new(N_STAMPS)).bench(|| {
        divan::black_box(&stamps)
            .par_iter()
            .filter(|s| measure_stamp(s, HALF as f64, HALF as f64, &cfg).is_ok())
            .count()
    });
}

/// Photometry and adaptive moments only (what HSM + photutils compute), one thread.
#[divan::bench(sample_count = 5)]
fn photometry_and_moments_one_thread(b: divan::Bencher) {
    let stamps = as_stamps(&stamps());
    let cfg = SpotConfig {
        fit_gaussian: false,
        ..SpotConfig::default()
    };
    b.counter(ItemsCount::new(N_STAMPS))
        .bench(|| run(divan::black_box(&stamps), &cfg));
}

/// Photometry only (background, centroid, exact aperture), one thread.
#[divan::bench(sample_count = 5)]
fn photometry_one_thread(b: divan::Bencher) {
    let stamps = as_stamps(&stamps());
    let cfg = SpotConfig {
        fit_gaussian: false,
        adaptive: false,
        ..SpotConfig::default()
    };
    b.counter(ItemsCount::new(N_STAMPS))
        .bench(|| run(divan::black_box(&stamps), &cfg));
}
