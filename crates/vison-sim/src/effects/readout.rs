//! Read-out chain: electrons -> ADU with gain and non-linearity, offset with weak row/column
//! structure, Gaussian read noise, and the read-out window.

use ndarray::{Array2, ArrayViewMut2, s};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::params::QuadLayout;
use crate::truth::QuadTruth;

/// Non-linear output for a linear signal `adu` (offset excluded):
/// `adu * (1 + c1 x + c2 x^2)` with `x = adu / 65536`.
pub fn nonlinear_adu(adu: f64, c1: f64, c2: f64) -> f64 {
    let x = adu / 65536.0;
    adu * (1.0 + c1 * x + c2 * x * x)
}

/// Writes a whole canonical quadrant: `offset + row(r) + col(c) + RON * N(0, 1)` everywhere,
/// plus `NL(charge / gain)` over the image area. `quad` has the full quadrant shape
/// (height x width); `charge` the image-area shape.
pub fn readout<R: Rng + ?Sized>(
    quad: &mut ArrayViewMut2<'_, f32>,
    layout: &QuadLayout,
    charge: &Array2<f32>,
    p: &QuadTruth,
    rng: &mut R,
) {
    let (h, w) = (layout.height_px(), layout.width_px());
    let mut out = Array2::<f32>::zeros((h, w));
    let col_struct: Vec<f64> = (0..w)
        .map(|c| {
            if c < layout.prescan_px {
                0.0
            } else {
                p.offset_col_slope_adu_per_px * (c - layout.prescan_px) as f64
            }
        })
        .collect();
    let (c1, c2) = (p.nonlinearity.c1 as f32, p.nonlinearity.c2 as f32);
    let inv_gain = (1.0 / p.gain_e_per_adu) as f32;
    let ron = p.ron_adu as f32;
    let (img0, img1) = (layout.prescan_px, layout.prescan_px + layout.image_cols_px);
    let mut levels = vec![0.0_f32; w];
    for (r, mut row) in out.rows_mut().into_iter().enumerate() {
        let phase = std::f64::consts::TAU * f64::from(p.offset_row_cycles) * r as f64 / h as f64
            + p.offset_row_phase_rad;
        let row_level = p.offset_adu + p.offset_row_amp_adu * phase.cos();
        for (l, cs) in levels.iter_mut().zip(&col_struct) {
            *l = (row_level + cs) as f32;
        }
        if r < layout.image_rows_px {
            for (l, &e) in levels[img0..img1].iter_mut().zip(charge.row(r).iter()) {
                if e != 0.0 {
                    let adu = e * inv_gain;
                    let x = adu * (1.0 / 65536.0);
                    *l += adu * (1.0 + c1 * x + c2 * x * x);
                }
            }
        }
        for (v, &l) in row.iter_mut().zip(&levels) {
            let z: f32 = StandardNormal.sample(rng);
            *v = l + ron * z;
        }
    }
    quad.assign(&out);
}

/// Zeroes the canonical rows outside `[row0, row1)` (rows not read out).
pub fn apply_window(quad: &mut ArrayViewMut2<'_, f32>, row0: usize, row1: usize) {
    let h = quad.nrows();
    let (row0, row1) = (row0.min(h), row1.clamp(row0.min(h), h));
    quad.slice_mut(s![..row0, ..]).fill(0.0);
    quad.slice_mut(s![row1.., ..]).fill(0.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::params::draw_quad_params;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn readout_puts_offset_noise_and_signal_where_expected() {
        let layout = QuadLayout {
            prescan_px: 51,
            image_cols_px: 128,
            overscan_px: 20,
            image_rows_px: 160,
            voverscan_px: 20,
        };
        let mut rng = StdRng::seed_from_u64(3);
        let p = draw_quad_params(&layout, &mut rng);
        let charge = Array2::from_elem((160, 128), 10000.0_f32);
        let mut quad = Array2::<f32>::zeros((180, 199));
        readout(&mut quad.view_mut(), &layout, &charge, &p, &mut rng);
        let pre = quad.slice(s![..160, ..51]);
        let n = pre.len() as f64;
        let mean = pre.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let std = (pre
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        assert!(
            (mean - p.offset_adu).abs() < 0.1,
            "{mean} vs {}",
            p.offset_adu
        );
        // Row structure adds amp^2/2 of variance at most.
        let expect = (p.ron_adu.powi(2) + p.offset_row_amp_adu.powi(2) / 2.0).sqrt();
        assert!((std - expect).abs() < 0.05, "{std} vs {expect}");
        let img = quad.slice(s![..160, 51..179]);
        let m_img = img.iter().map(|&v| f64::from(v)).sum::<f64>() / img.len() as f64;
        let want = p.offset_adu
            + nonlinear_adu(
                10000.0 / p.gain_e_per_adu,
                p.nonlinearity.c1,
                p.nonlinearity.c2,
            );
        assert!((m_img - want).abs() < 1.5, "{m_img} vs {want}");
        let mut q = quad.view_mut();
        apply_window(&mut q, 0, 100);
        assert!(quad.slice(s![100.., ..]).iter().all(|&v| v == 0.0));
        assert!(quad.slice(s![..100, ..]).iter().all(|&v| v > 1000.0));
    }

    #[test]
    fn nonlinearity_is_identity_for_zero_coefficients() {
        assert_eq!(nonlinear_adu(12345.0, 0.0, 0.0), 12345.0);
        assert!((nonlinear_adu(65536.0, -0.01, 0.002) - 65536.0 * 0.992).abs() < 1e-6);
    }
}
