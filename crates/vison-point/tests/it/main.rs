//! Integration tests of vison-point: truth recovery on spots drawn here, GalSim / photutils /
//! astropy oracles, spot location on whole CCD frames.

mod flux_error;
mod frame;
mod oracle;
mod truth;

use ndarray::Array2;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

/// An elliptical Gaussian: centre, covariance `[cxx, cxy, cyy]` (px^2) and total flux.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spot {
    pub x_px: f64,
    pub y_px: f64,
    pub cov_px2: [f64; 3],
    pub flux_adu: f64,
}

impl Spot {
    /// Covariance of the pixel-integrated spot (the Gaussian convolved with the pixel).
    pub(crate) fn pixel_cov_px2(&self) -> [f64; 3] {
        let c = self.cov_px2;
        [c[0] + 1.0 / 12.0, c[1], c[2] + 1.0 / 12.0]
    }

    /// `(sigma, e1, e2)` as HSM defines them, of the pixel-integrated spot.
    pub(crate) fn hsm_truth(&self) -> (f64, f64, f64) {
        let [xx, xy, yy] = self.pixel_cov_px2();
        let det: f64 = xx * yy - xy * xy;
        (det.powf(0.25), (xx - yy) / (xx + yy), 2.0 * xy / (xx + yy))
    }
}

/// Covariance of a Gaussian with axis widths `sa`, `sb` and major axis at `theta_deg`.
pub(crate) fn cov_from_axes(sa: f64, sb: f64, theta_deg: f64) -> [f64; 3] {
    let (s, c) = theta_deg.to_radians().sin_cos();
    [
        sa * sa * c * c + sb * sb * s * s,
        (sa * sa - sb * sb) * c * s,
        sa * sa * s * s + sb * sb * c * c,
    ]
}

/// Adds a pixel-integrated elliptical Gaussian (16 x 16 sub-samples per pixel) to `img[[y, x]]`.
pub(crate) fn add_spot(img: &mut Array2<f64>, s: &Spot) {
    const N: usize = 16;
    let [cxx, cxy, cyy] = s.cov_px2;
    let det = cxx * cyy - cxy * cxy;
    let norm = s.flux_adu / (2.0 * std::f64::consts::PI * det.sqrt()) / (N * N) as f64;
    let half = (7.0 * cxx.max(cyy).sqrt()).ceil() as i64;
    let (rows, cols) = img.dim();
    let (xi, yi) = (s.x_px.round() as i64, s.y_px.round() as i64);
    for r in (yi - half).max(0)..(yi + half + 1).min(rows as i64) {
        for c in (xi - half).max(0)..(xi + half + 1).min(cols as i64) {
            let mut acc = 0.0;
            for i in 0..N {
                let dy = r as f64 - 0.5 + (i as f64 + 0.5) / N as f64 - s.y_px;
                for j in 0..N {
                    let dx = c as f64 - 0.5 + (j as f64 + 0.5) / N as f64 - s.x_px;
                    let q = (cyy * dx * dx - 2.0 * cxy * dx * dy + cxx * dy * dy) / det;
                    acc += (-0.5 * q).exp();
                }
            }
            img[[r as usize, c as usize]] += norm * acc;
        }
    }
}

/// Adds Poisson-like (normal, variance = signal / gain) and read noise.
pub(crate) fn add_noise(img: &mut Array2<f64>, gain: f64, ron_adu: f64, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let unit = Normal::new(0.0, 1.0).expect("unit normal");
    for v in img.iter_mut() {
        let sd = (v.max(0.0) / gain + ron_adu * ron_adu).sqrt();
        *v += sd * unit.sample(&mut rng);
    }
}
