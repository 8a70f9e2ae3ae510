//! Circular-aperture photometry with the exact area of overlap between the circle and each
//! pixel square (as photutils' `method="exact"`).

use serde::{Deserialize, Serialize};

use crate::stamp::{Stamp, index_range};
use crate::{Result, error::require};

/// `S(u) = integral_0^u sqrt(r^2 - t^2) dt` for `0 <= u <= r`.
fn quarter_integral(u: f64, r: f64) -> f64 {
    let u = u.clamp(0.0, r);
    0.5 * (u * (r * r - u * u).max(0.0).sqrt() + r * r * (u / r).clamp(-1.0, 1.0).asin())
}

/// Area of `{0 <= u <= x, 0 <= v <= y, u^2 + v^2 <= r^2}` for `x, y >= 0`.
fn corner_area(x: f64, y: f64, r: f64) -> f64 {
    let (x, y) = (x.min(r), y.min(r));
    if x <= 0.0 || y <= 0.0 {
        return 0.0;
    }
    if x * x + y * y <= r * r {
        return x * y;
    }
    // Below u* the circle is above v = y; beyond it the arc bounds the region.
    let u_star = (r * r - y * y).max(0.0).sqrt();
    y * u_star + quarter_integral(x, r) - quarter_integral(u_star, r)
}

/// Signed corner area: the circle is symmetric, so negative bounds mirror the quadrant.
fn signed_corner(x: f64, y: f64, r: f64) -> f64 {
    x.signum() * y.signum() * corner_area(x.abs(), y.abs(), r)
}

/// Exact area of the intersection of the circle of radius `r` centred at the origin with the
/// rectangle `[x0, x1] x [y0, y1]`.
pub fn circle_rect_overlap(x0: f64, x1: f64, y0: f64, y1: f64, r: f64) -> f64 {
    if r <= 0.0 {
        return 0.0;
    }
    signed_corner(x1, y1, r) - signed_corner(x0, y1, r) - signed_corner(x1, y0, r)
        + signed_corner(x0, y0, r)
}

/// Sum and area of an exact circular aperture.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ApertureSum {
    /// Sum of pixel values weighted by their overlap fraction.
    pub sum_adu: f64,
    /// Area of the aperture covered by usable pixels.
    pub area_px: f64,
    /// Area of the aperture falling on masked (or outside) pixels.
    pub masked_area_px: f64,
}

/// Exact-overlap sum of `stamp` within radius `r_px` of stamp position `(x_px, y_px)`; masked
/// pixels contribute nothing (their area is reported in `masked_area_px`).
pub fn aperture_sum(stamp: &Stamp, x_px: f64, y_px: f64, r_px: f64) -> Result<ApertureSum> {
    require(r_px > 0.0 && r_px.is_finite(), "r_px", r_px, "must be > 0")?;
    let (rows, cols) = stamp.data_adu.dim();
    let (r0, r1) = index_range(y_px, r_px + 0.5, rows);
    let (c0, c1) = index_range(x_px, r_px + 0.5, cols);
    let (inner2, outer2) = ((r_px - 0.7072).max(0.0).powi(2), (r_px + 0.7072).powi(2));
    let mut out = ApertureSum {
        sum_adu: 0.0,
        area_px: 0.0,
        masked_area_px: 0.0,
    };
    for r in r0..r1 {
        let dy = r as f64 - y_px;
        for c in c0..c1 {
            let dx = c as f64 - x_px;
            let d2 = dx * dx + dy * dy;
            let w = if d2 <= inner2 {
                1.0
            } else if d2 >= outer2 {
                continue;
            } else {
                circle_rect_overlap(dx - 0.5, dx + 0.5, dy - 0.5, dy + 0.5, r_px)
            };
            match stamp.value(r, c) {
                Some(v) => {
                    out.sum_adu += w * v;
                    out.area_px += w;
                }
                None => out.masked_area_px += w,
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use std::f64::consts::PI;

    #[test]
    fn overlap_hand_values() {
        // Whole circle inside the rectangle.
        assert!((circle_rect_overlap(-2.0, 2.0, -2.0, 2.0, 1.0) - PI).abs() < 1e-14);
        // Half plane x > 0.
        assert!((circle_rect_overlap(0.0, 5.0, -5.0, 5.0, 1.0) - PI / 2.0).abs() < 1e-14);
        // One quadrant.
        assert!((circle_rect_overlap(0.0, 5.0, 0.0, 5.0, 2.0) - PI).abs() < 1e-14);
        // Unit square inside a big circle.
        assert!((circle_rect_overlap(0.5, 1.5, 0.5, 1.5, 10.0) - 1.0).abs() < 1e-14);
        // Disjoint.
        assert_eq!(circle_rect_overlap(2.0, 3.0, 2.0, 3.0, 1.0), 0.0);
        // Circular segment of height h = 0.5 for r = 1: r^2 acos(1-h) - (1-h) sqrt(2h - h^2).
        let seg = (0.5f64).acos() - 0.5 * (0.75f64).sqrt();
        assert!((circle_rect_overlap(0.5, 3.0, -3.0, 3.0, 1.0) - seg).abs() < 1e-14);
    }

    #[test]
    fn aperture_area_is_pi_r2_anywhere() {
        let s = Stamp::from_array(Array2::ones((31, 41)), 0, 0);
        for (x, y, r) in [(20.0, 15.0, 5.0), (20.37, 14.81, 7.3), (19.5, 15.5, 0.4)] {
            let a = aperture_sum(&s, x, y, r).unwrap();
            assert!((a.area_px - PI * r * r).abs() < 1e-10, "{a:?}");
            assert!((a.sum_adu - a.area_px).abs() < 1e-12);
        }
        // Masked pixel: its overlap moves to masked_area_px.
        let mut s = s;
        s.mask[[15, 20]] = true;
        let a = aperture_sum(&s, 20.0, 15.0, 3.0).unwrap();
        assert!((a.masked_area_px - 1.0).abs() < 1e-12);
        assert!((a.area_px - (PI * 9.0 - 1.0)).abs() < 1e-10);
        assert!(aperture_sum(&s, 20.0, 15.0, 0.0).is_err());
    }
}
