//! Named conversions between the four coordinate frames of a CCD (reference 1.2).
//!
//! * `ccd`: full-frame pixel coordinates `(x, y)` as DS9 shows them (x serial, y parallel,
//!   origin at the bottom-left pixel centre).
//! * `qrel`: relative to the lower-left corner of a quadrant's box, same orientation as `ccd`.
//! * `qcan`: quadrant-canonical, the readout node at `(0, 0)`: `x` counts serial pixels in
//!   read-out order (prescan first), `y` counts rows from the serial register.
//! * `phys`: distances on silicon in pixels with the virtual pixels (prescan, overscan,
//!   parallel overscan) removed and the charge-injection lines kept; OGSE spot patterns
//!   are given in this frame.
//!
//! Functions are named `to_from_from` so chains read right to left. A point that is not
//! in the target frame (off the frame, or not on silicon) gives `None`.

use crate::geometry::{CHINJ_LINES_PX, FrameGeometry, Quadrant};

/// A point in some frame, in pixels (pixel centres on integers).
pub type Point = (f64, f64);

fn index_of(v: f64) -> Option<usize> {
    let i = (v + 0.5).floor();
    (i >= 0.0 && i.is_finite()).then_some(i as usize)
}

/// The quadrant holding a CCD-frame point, or `None` off the frame.
pub fn quadrant_of_ccd(g: &FrameGeometry, (x, y): Point) -> Option<Quadrant> {
    let (col, row) = (index_of(x)?, index_of(y)?);
    if col >= g.naxis1() || row >= g.naxis2() {
        return None;
    }
    let right = col >= g.quad_width_px();
    let top = row >= g.quad_height_px();
    Some(match (top, right) {
        (true, false) => Quadrant::E,
        (true, true) => Quadrant::F,
        (false, true) => Quadrant::G,
        (false, false) => Quadrant::H,
    })
}

/// CCD -> quadrant-relative.
pub fn qrel_from_ccd(g: &FrameGeometry, p: Point) -> Option<(Quadrant, Point)> {
    let q = quadrant_of_ccd(g, p)?;
    let b = g.quad_box_ccd(q);
    Some((q, (p.0 - b.col0 as f64, p.1 - b.row0 as f64)))
}

fn in_quad(g: &FrameGeometry, (x, y): Point) -> bool {
    matches!((index_of(x), index_of(y)), (Some(c), Some(r)) if c < g.quad_width_px() && r < g.quad_height_px())
}

/// Quadrant-relative -> CCD.
pub fn ccd_from_qrel(g: &FrameGeometry, q: Quadrant, p: Point) -> Option<Point> {
    if !in_quad(g, p) {
        return None;
    }
    let b = g.quad_box_ccd(q);
    Some((p.0 + b.col0 as f64, p.1 + b.row0 as f64))
}

/// Quadrant-relative -> quadrant-canonical (an involution: the same flip converts back).
pub fn qcan_from_qrel(g: &FrameGeometry, q: Quadrant, p: Point) -> Option<Point> {
    if !in_quad(g, p) {
        return None;
    }
    let x = if q.is_right() {
        (g.quad_width_px() - 1) as f64 - p.0
    } else {
        p.0
    };
    let y = if q.is_top() {
        (g.quad_height_px() - 1) as f64 - p.1
    } else {
        p.1
    };
    Some((x, y))
}

/// Quadrant-canonical -> quadrant-relative.
pub fn qrel_from_qcan(g: &FrameGeometry, q: Quadrant, p: Point) -> Option<Point> {
    qcan_from_qrel(g, q, p)
}

/// CCD -> quadrant-canonical.
pub fn qcan_from_ccd(g: &FrameGeometry, p: Point) -> Option<(Quadrant, Point)> {
    let (q, rel) = qrel_from_ccd(g, p)?;
    Some((q, qcan_from_qrel(g, q, rel)?))
}

/// Quadrant-canonical -> CCD.
pub fn ccd_from_qcan(g: &FrameGeometry, q: Quadrant, p: Point) -> Option<Point> {
    ccd_from_qrel(g, q, qrel_from_qcan(g, q, p)?)
}

/// Offsets `(x, y)` with `phys = ccd - offset` for the image pixels of quadrant `q`.
fn phys_offset(g: &FrameGeometry, q: Quadrant) -> (f64, f64) {
    let x = if q.is_right() {
        g.prescan_px + 2 * g.overscan_px
    } else {
        g.prescan_px
    };
    let y = if q.is_top() {
        2 * g.voverscan_px as i64 - 2 * CHINJ_LINES_PX as i64
    } else {
        0
    };
    (x as f64, y as f64)
}

/// Size of the physical frame (all four quadrants, charge-injection lines included).
pub fn phys_size_px(g: &FrameGeometry) -> (usize, usize) {
    (2 * g.image_cols_px, 2 * (g.image_rows_px + CHINJ_LINES_PX))
}

/// CCD -> physical. `None` for virtual pixels (prescan, overscan, parallel overscan).
pub fn phys_from_ccd(g: &FrameGeometry, p: Point) -> Option<Point> {
    let (q, can) = qcan_from_ccd(g, p)?;
    let (col, row) = (index_of(can.0)?, index_of(can.1)?);
    let on_image =
        col >= g.prescan_px && col < g.prescan_px + g.image_cols_px && row < g.image_rows_px;
    if !on_image {
        return None;
    }
    let (ox, oy) = phys_offset(g, q);
    Some((p.0 - ox, p.1 - oy))
}

/// Physical -> CCD. `None` off silicon or on the charge-injection lines (not read out).
pub fn ccd_from_phys(g: &FrameGeometry, p: Point) -> Option<Point> {
    let (w, h) = phys_size_px(g);
    let (col, row) = (index_of(p.0)?, index_of(p.1)?);
    if col >= w || row >= h {
        return None;
    }
    let half_h = h / 2;
    let right = col >= g.image_cols_px;
    let top = row >= half_h;
    let q = match (top, right) {
        (true, false) => Quadrant::E,
        (true, true) => Quadrant::F,
        (false, true) => Quadrant::G,
        (false, false) => Quadrant::H,
    };
    // Charge-injection lines sit next to the serial register-far edge of each half.
    let row_in_half = if top { row - half_h } else { row };
    let on_chinj = if top {
        row_in_half < CHINJ_LINES_PX
    } else {
        row_in_half >= g.image_rows_px
    };
    if on_chinj {
        return None;
    }
    let (ox, oy) = phys_offset(g, q);
    Some((p.0 + ox, p.1 + oy))
}

/// Vectorised [`qcan_from_ccd`].
pub fn qcan_from_ccd_many(g: &FrameGeometry, pts: &[Point]) -> Vec<Option<(Quadrant, Point)>> {
    pts.iter().map(|&p| qcan_from_ccd(g, p)).collect()
}

/// Vectorised [`ccd_from_qcan`].
pub fn ccd_from_qcan_many(g: &FrameGeometry, q: Quadrant, pts: &[Point]) -> Vec<Option<Point>> {
    pts.iter().map(|&p| ccd_from_qcan(g, q, p)).collect()
}

/// Vectorised [`phys_from_ccd`].
pub fn phys_from_ccd_many(g: &FrameGeometry, pts: &[Point]) -> Vec<Option<Point>> {
    pts.iter().map(|&p| phys_from_ccd(g, p)).collect()
}

/// Vectorised [`ccd_from_phys`].
pub fn ccd_from_phys_many(g: &FrameGeometry, pts: &[Point]) -> Vec<Option<Point>> {
    pts.iter().map(|&p| ccd_from_phys(g, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const G: FrameGeometry = FrameGeometry::FULL;

    #[test]
    fn readout_nodes_are_at_canonical_origin() {
        // Outer corners of each quadrant in the CCD frame.
        let w = (G.naxis1() - 1) as f64;
        let h = (G.naxis2() - 1) as f64;
        let corners = [
            (Quadrant::E, (0.0, h)),
            (Quadrant::F, (w, h)),
            (Quadrant::G, (w, 0.0)),
            (Quadrant::H, (0.0, 0.0)),
        ];
        for (q, p) in corners {
            assert_eq!(qcan_from_ccd(&G, p), Some((q, (0.0, 0.0))), "{q}");
        }
    }

    #[test]
    fn physical_frame_is_contiguous_across_quadrants() {
        // First image column of F sits right after the last image column of E.
        let e_last = phys_from_ccd(&G, (51.0 + 2047.0, 3000.0)).map(|p| p.0);
        let f_first = phys_from_ccd(&G, (2119.0 + 20.0, 3000.0)).map(|p| p.0);
        assert_eq!(e_last, Some(2047.0));
        assert_eq!(f_first, Some(2048.0));
        // H rows 0..2065, then 2 injection lines (H), 2 (E), then E image from 2070.
        assert_eq!(
            phys_from_ccd(&G, (100.0, 2065.0)).map(|p| p.1),
            Some(2065.0)
        );
        assert_eq!(
            phys_from_ccd(&G, (100.0, 2106.0)).map(|p| p.1),
            Some(2070.0)
        );
        assert_eq!(ccd_from_phys(&G, (100.0, 2067.0)), None);
        assert_eq!(ccd_from_phys(&G, (100.0, 2068.0)), None);
    }

    #[test]
    fn virtual_and_off_frame_points_are_none() {
        assert_eq!(phys_from_ccd(&G, (10.0, 100.0)), None); // prescan of H
        assert_eq!(phys_from_ccd(&G, (100.0, 2070.0)), None); // p-overscan of H
        assert_eq!(qcan_from_ccd(&G, (-1.0, 0.0)), None);
        assert_eq!(qcan_from_ccd(&G, (0.0, 4172.0)), None);
        assert_eq!(ccd_from_qcan(&G, Quadrant::E, (2119.0, 0.0)), None);
        assert_eq!(ccd_from_phys(&G, (4096.0, 0.0)), None);
    }

    fn geom() -> impl Strategy<Value = FrameGeometry> {
        prop_oneof![
            Just(FrameGeometry::FULL),
            Just(FrameGeometry::FULL_NO_POVER),
            Just(FrameGeometry::small())
        ]
    }

    proptest! {
        #[test]
        fn ccd_qcan_round_trip(g in geom(), fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
            let p = ((fx * (g.naxis1() - 1) as f64).round(), (fy * (g.naxis2() - 1) as f64).round());
            let (q, c) = qcan_from_ccd(&g, p).expect("on frame");
            prop_assert_eq!(ccd_from_qcan(&g, q, c), Some(p));
            let (_, rel) = qrel_from_ccd(&g, p).expect("on frame");
            prop_assert_eq!(qrel_from_qcan(&g, q, qcan_from_qrel(&g, q, rel).expect("in quad")), Some(rel));
        }

        #[test]
        fn ccd_phys_round_trip(g in geom(), fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
            let p = ((fx * (g.naxis1() - 1) as f64).round(), (fy * (g.naxis2() - 1) as f64).round());
            if let Some(ph) = phys_from_ccd(&g, p) {
                prop_assert_eq!(ccd_from_phys(&g, ph), Some(p));
            }
            let (w, h) = phys_size_px(&g);
            let ph = ((fx * (w - 1) as f64).round(), (fy * (h - 1) as f64).round());
            if let Some(c) = ccd_from_phys(&g, ph) {
                prop_assert_eq!(phys_from_ccd(&g, c), Some(ph));
            }
        }
    }
}
