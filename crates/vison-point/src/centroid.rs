//! Spot centroids: the brightest point of a smoothed stamp and a floating-window first-moment
//! centroid (reference 6.1; window weights are the exact overlap of each pixel with the window,
//! so the iteration is continuous and unbiased for symmetric spots).

use serde::{Deserialize, Serialize};

use crate::error::is_positive;
use crate::stamp::{Stamp, index_range};
use crate::{Error, Result, error::require};

/// Result of the windowed centroid, in stamp coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Centroid {
    /// Column of the centroid.
    pub x_px: f64,
    /// Row of the centroid.
    pub y_px: f64,
    /// Second central moment along x within the window.
    pub var_x_px2: f64,
    /// Second central moment along y within the window.
    pub var_y_px2: f64,
    /// Iterations made.
    pub n_iter: usize,
    /// Both coordinates moved less than the tolerance in the last iteration.
    pub converged: bool,
}

/// Brightest 3x3 box sum among usable pixels within `radius_px` of `(x_px, y_px)`; returns its
/// centre `(col, row)`.
pub fn brightest_px(stamp: &Stamp, x_px: f64, y_px: f64, radius_px: f64) -> Result<(usize, usize)> {
    let (rows, cols) = stamp.data_adu.dim();
    let (r0, r1) = index_range(y_px, radius_px, rows);
    let (c0, c1) = index_range(x_px, radius_px, cols);
    let mut best: Option<(f64, usize, usize)> = None;
    for r in r0..r1 {
        for c in c0..c1 {
            if stamp.value(r, c).is_none() {
                continue;
            }
            let mut s = 0.0;
            for rr in r.saturating_sub(1)..(r + 2).min(rows) {
                for cc in c.saturating_sub(1)..(c + 2).min(cols) {
                    s += stamp.value(rr, cc).unwrap_or(0.0);
                }
            }
            if best.is_none_or(|b| s > b.0) {
                best = Some((s, c, r));
            }
        }
    }
    best.map(|b| (b.1, b.2)).ok_or(Error::TooFew {
        what: "brightest pixel search",
        got: 0,
        need: 1,
    })
}

/// Overlap of pixel `[p - 0.5, p + 0.5]` with window `[c - h, c + h]`.
fn overlap_1d(p: f64, c: f64, h: f64) -> f64 {
    ((p + 0.5).min(c + h) - (p - 0.5).max(c - h)).clamp(0.0, 1.0)
}

/// One pass of window moments: (sum, mean x, mean y, var x, var y).
fn window_moments(stamp: &Stamp, xc: f64, yc: f64, h: f64) -> Option<[f64; 5]> {
    let (rows, cols) = stamp.data_adu.dim();
    let (r0, r1) = index_range(yc, h + 0.5, rows);
    let (c0, c1) = index_range(xc, h + 0.5, cols);
    let (mut s, mut sx, mut sy, mut sxx, mut syy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for r in r0..r1 {
        let wy = overlap_1d(r as f64, yc, h);
        for c in c0..c1 {
            let Some(v) = stamp.value(r, c) else { continue };
            let w = wy * overlap_1d(c as f64, xc, h) * v;
            let (dx, dy) = (c as f64 - xc, r as f64 - yc);
            s += w;
            sx += w * dx;
            sy += w * dy;
            sxx += w * dx * dx;
            syy += w * dy * dy;
        }
    }
    if !is_positive(s) {
        return None;
    }
    let (mx, my) = (sx / s, sy / s);
    Some([s, xc + mx, yc + my, sxx / s - mx * mx, syy / s - my * my])
}

/// Floating-window first-moment centroid of a background-subtracted stamp, started at
/// `(x_px, y_px)`: a square window of half-width `half_px` is moved to the centroid of the
/// pixels it covers until both coordinates move less than `tol_px` (at most `max_iter` times).
pub fn windowed_centroid(
    stamp: &Stamp,
    x_px: f64,
    y_px: f64,
    half_px: f64,
    max_iter: usize,
    tol_px: f64,
) -> Result<Centroid> {
    require(half_px >= 1.0, "half_px", half_px, "must be >= 1")?;
    let fail = |reason: &str| Error::FitFailed {
        model: "windowed centroid",
        reason: reason.to_string(),
    };
    let (rows, cols) = stamp.data_adu.dim();
    let (mut xc, mut yc) = (x_px, y_px);
    let mut m = window_moments(stamp, xc, yc, half_px).ok_or_else(|| fail("no positive flux"))?;
    let mut converged = false;
    let mut n_iter = 0;
    while n_iter < max_iter {
        n_iter += 1;
        let (nx, ny) = (m[1], m[2]);
        let moved = (nx - xc).abs().max((ny - yc).abs());
        (xc, yc) = (nx, ny);
        if !(xc >= -0.5 && yc >= -0.5 && xc <= cols as f64 - 0.5 && yc <= rows as f64 - 0.5) {
            return Err(fail("centroid left the stamp"));
        }
        m = window_moments(stamp, xc, yc, half_px).ok_or_else(|| fail("no positive flux"))?;
        if moved <= tol_px {
            converged = true;
            break;
        }
    }
    Ok(Centroid {
        x_px: xc,
        y_px: yc,
        var_x_px2: m[3],
        var_y_px2: m[4],
        n_iter,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn gauss(shape: (usize, usize), x0: f64, y0: f64, s: f64) -> Stamp {
        let a = Array2::from_shape_fn(shape, |(r, c)| {
            let (dx, dy) = (c as f64 - x0, r as f64 - y0);
            (-(dx * dx + dy * dy) / (2.0 * s * s)).exp()
        });
        Stamp::from_array(a, 0, 0)
    }

    #[test]
    fn centroid_of_offset_gaussian() {
        let s = gauss((25, 35), 20.3, 9.6, 1.2);
        assert_eq!(brightest_px(&s, 17.0, 12.0, 5.0).unwrap(), (20, 10));
        let c = windowed_centroid(&s, 17.0, 12.0, 6.0, 20, 1e-5).unwrap();
        assert!(c.converged);
        assert!(
            (c.x_px - 20.3).abs() < 1e-4 && (c.y_px - 9.6).abs() < 1e-4,
            "{c:?}"
        );
        assert!((c.var_x_px2 - 1.44).abs() < 0.01 && (c.var_y_px2 - 1.44).abs() < 0.01);
        let z = Stamp::from_array(Array2::zeros((9, 9)), 0, 0);
        assert!(windowed_centroid(&z, 4.0, 4.0, 3.0, 10, 1e-3).is_err());
    }
}
