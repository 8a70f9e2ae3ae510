use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use vison_ccd::geometry::{Quadrant, Section};
use vison_ccd::offset::{OffsetConfig, OffsetMethod, subtract_offsets};
use vison_ccd::stats::{Trim, section_stats};
use vison_ccd::{Frame, FrameGeometry};

const OFFSETS_ADU: [f32; 4] = [2010.5, 2450.25, 2999.0, 2222.75];
const RON_ADU: [f32; 4] = [1.1, 1.25, 1.4, 1.5];

/// A bias frame with per-quadrant offset and RON and a row-correlated pedestal of
/// +/- 2 ADU (same in all columns of a row, different per row).
fn bias_frame(seed: u64) -> (Frame, Vec<Vec<f32>>) {
    let g = FrameGeometry::small();
    let mut f = Frame::zeros(g);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pedestals = Vec::new();
    for (k, q) in Quadrant::ALL.into_iter().enumerate() {
        let ped: Vec<f32> = (0..g.quad_height_px())
            .map(|r| 2.0 * ((r as f32) * 0.37).sin())
            .collect();
        let noise = Normal::new(0.0f32, RON_ADU[k]).expect("sigma > 0");
        let mut v = f.quad_canonical_mut(q);
        for ((r, _), x) in v.indexed_iter_mut() {
            *x = OFFSETS_ADU[k] + ped[r] + noise.sample(&mut rng);
        }
        pedestals.push(ped);
    }
    (f, pedestals)
}

#[test]
fn offsets_ron_and_section_stats_are_recovered() {
    let (f, _) = bias_frame(7);
    for (k, q) in Quadrant::ALL.into_iter().enumerate() {
        let pre = section_stats(
            &f,
            q,
            Section::Prescan,
            Trim::standard(Section::Prescan),
            None,
        );
        let img = section_stats(&f, q, Section::Image, Trim::standard(Section::Image), None);
        // Median over ~5000 prescan pixels: offset (+ mean pedestal, ~0) within 0.1 ADU.
        let ped_mean: f64 = (0..256)
            .map(|r| 2.0 * ((r as f64) * 0.37).sin())
            .sum::<f64>()
            / 256.0;
        assert!(
            (pre.stats.median - f64::from(OFFSETS_ADU[k]) - ped_mean).abs() < 0.1,
            "{q} {pre:?}"
        );
        assert!(
            (img.stats.mean - f64::from(OFFSETS_ADU[k]) - ped_mean).abs() < 0.05,
            "{q}"
        );
        assert_eq!((pre.n_lost, pre.n_saturated), (0, 0));
    }
}

#[test]
fn row_method_removes_the_correlated_pedestal_and_leaves_ron() {
    let (mut f, peds) = bias_frame(11);
    let offs = subtract_offsets(
        &mut f,
        &OffsetConfig {
            trim_cols: (3, 2),
            ..OffsetConfig::default()
        },
    );
    for (k, q) in Quadrant::ALL.into_iter().enumerate() {
        // Per-row offsets follow the injected pedestal within the noise of a 46-pixel median.
        let worst = offs[k]
            .offsets_adu
            .iter()
            .zip(&peds[k])
            .map(|(o, p)| (o - OFFSETS_ADU[k] - p).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1.3, "{q} worst row offset error {worst}");
        let img = section_stats(&f, q, Section::Image, Trim::standard(Section::Image), None);
        let ron = img.stats.std;
        // RON within 3 %: the row-median noise adds ~sqrt(pi/2/46) ~ 18 % in quadrature (1.6 %).
        let expected = f64::from(RON_ADU[k]) * (1.0 + std::f64::consts::PI / 2.0 / 46.0).sqrt();
        assert!(
            (ron / expected - 1.0).abs() < 0.03,
            "{q}: {ron} vs {expected}"
        );
        assert!(img.stats.mean.abs() < 0.05, "{q}");
    }
}

#[test]
fn median_method_keeps_the_pedestal_in_the_noise() {
    let (mut f, _) = bias_frame(13);
    let cfg = OffsetConfig {
        method: OffsetMethod::Median,
        ..OffsetConfig::default()
    };
    subtract_offsets(&mut f, &cfg);
    let img = section_stats(
        &f,
        Quadrant::G,
        Section::Image,
        Trim::standard(Section::Image),
        None,
    );
    // Pedestal rms sqrt(2) adds in quadrature to RON 1.4.
    let expected = (1.4f64.powi(2) + 2.0).sqrt();
    assert!(
        (img.stats.std / expected - 1.0).abs() < 0.05,
        "{}",
        img.stats.std
    );
}
