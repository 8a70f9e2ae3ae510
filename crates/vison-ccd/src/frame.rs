//! One CCD frame in memory, with views of its quadrants in canonical orientation.

use ndarray::{Array2, ArrayBase, ArrayView2, ArrayViewMut2, Ix2, RawData, s};

use crate::geometry::{FrameGeometry, PixelBox, Quadrant, Section};
use crate::header::Header;

/// One CCD frame: `data[[y, x]]` in the CCD (DS9) frame, row 0 at the bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Layout of quadrants and sections.
    pub geometry: FrameGeometry,
    /// Pixels in ADU (or the product's unit), shape `(NAXIS2, NAXIS1)`.
    pub data: Array2<f32>,
    /// Header keys of the image extension.
    pub header: Header,
    /// EXTNAME of the image extension, e.g. `ROE1_CCD1`.
    pub extname: String,
}

impl Frame {
    /// A frame of zeros with an empty header.
    pub fn zeros(geometry: FrameGeometry) -> Self {
        Frame {
            geometry,
            data: Array2::zeros(geometry.shape()),
            header: Header::new(),
            extname: String::new(),
        }
    }

    /// Quadrant view in canonical orientation (`[row, col]` = `[parallel, serial]`,
    /// readout node at `[0, 0]`). No copy: flips are negative strides.
    pub fn quad_canonical(&self, q: Quadrant) -> ArrayView2<'_, f32> {
        qcan_view(&self.geometry, self.data.view(), q)
    }

    /// Mutable canonical quadrant view.
    pub fn quad_canonical_mut(&mut self, q: Quadrant) -> ArrayViewMut2<'_, f32> {
        qcan_view_mut(&self.geometry, self.data.view_mut(), q)
    }

    /// Canonical view of one section of a quadrant.
    pub fn section(&self, q: Quadrant, section: Section) -> ArrayView2<'_, f32> {
        let b = self.geometry.section_box_qcan(section);
        self.quad_canonical(q)
            .slice_move(s![b.row0..b.row1, b.col0..b.col1])
    }
}

/// The quadrant box of `q`, flipped so that its readout node is at `[0, 0]`.
fn qcan_of<S: RawData>(
    g: &FrameGeometry,
    frame: ArrayBase<S, Ix2>,
    q: Quadrant,
) -> ArrayBase<S, Ix2> {
    let b = g.quad_box_ccd(q);
    let v = frame.slice_move(s![b.row0..b.row1, b.col0..b.col1]);
    match (q.is_top(), q.is_right()) {
        (false, false) => v,
        (false, true) => v.slice_move(s![.., ..;-1]),
        (true, false) => v.slice_move(s![..;-1, ..]),
        (true, true) => v.slice_move(s![..;-1, ..;-1]),
    }
}

/// Canonical view of quadrant `q` of any frame-shaped array.
pub fn qcan_view<'a, T>(
    g: &FrameGeometry,
    frame: ArrayView2<'a, T>,
    q: Quadrant,
) -> ArrayView2<'a, T> {
    qcan_of(g, frame, q)
}

/// Mutable canonical view of quadrant `q` of any frame-shaped array.
pub fn qcan_view_mut<'a, T>(
    g: &FrameGeometry,
    frame: ArrayViewMut2<'a, T>,
    q: Quadrant,
) -> ArrayViewMut2<'a, T> {
    qcan_of(g, frame, q)
}

/// Box of `section` of quadrant `q` in the CCD (DS9) frame: the canonical section box
/// flipped back to where the quadrant sits.
pub fn section_box_ccd(g: &FrameGeometry, q: Quadrant, section: Section) -> PixelBox {
    let qb = g.quad_box_ccd(q);
    let sb = g.section_box_qcan(section);
    let (row0, row1) = if q.is_top() {
        (qb.row1 - sb.row1, qb.row1 - sb.row0)
    } else {
        (qb.row0 + sb.row0, qb.row0 + sb.row1)
    };
    let (col0, col1) = if q.is_right() {
        (qb.col1 - sb.col1, qb.col1 - sb.col0)
    } else {
        (qb.col0 + sb.col0, qb.col0 + sb.col1)
    };
    PixelBox {
        row0,
        row1,
        col0,
        col1,
    }
}

/// The pixels of the four image sections in CCD-frame row-major order (row 0 first, left
/// to right within a row): the pixel set that display limits are computed on.
pub fn image_area_values(frame: &Frame) -> Vec<f32> {
    let boxes: Vec<PixelBox> = Quadrant::ALL
        .iter()
        .map(|&q| section_box_ccd(&frame.geometry, q, Section::Image))
        .collect();
    let mut out = Vec::with_capacity(boxes.iter().map(PixelBox::n_px).sum());
    for (y, row) in frame.data.rows().into_iter().enumerate() {
        let mut in_row: Vec<&PixelBox> = boxes
            .iter()
            .filter(|b| (b.row0..b.row1).contains(&y))
            .collect();
        in_row.sort_by_key(|b| b.col0);
        for b in in_row {
            out.extend(row.slice(s![b.col0..b.col1]).iter().copied());
        }
    }
    out
}

/// Sub-view of a canonical quadrant for a box.
pub fn cutout<'a, T>(qcan: ArrayView2<'a, T>, b: &PixelBox) -> ArrayView2<'a, T> {
    qcan.slice_move(s![b.row0..b.row1, b.col0..b.col1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_views_start_at_the_readout_corner() {
        let g = FrameGeometry::small();
        let mut f = Frame::zeros(g);
        let (h, w) = g.shape();
        f.data[[h - 1, 0]] = 1.0; // E node: top-left
        f.data[[h - 1, w - 1]] = 2.0; // F node: top-right
        f.data[[0, w - 1]] = 3.0; // G node: bottom-right
        f.data[[0, 0]] = 4.0; // H node: bottom-left
        for (q, v) in Quadrant::ALL.into_iter().zip([1.0, 2.0, 3.0, 4.0]) {
            assert_eq!(f.quad_canonical(q)[[0, 0]], v, "{q}");
        }
        f.quad_canonical_mut(Quadrant::F)[[1, 2]] = 9.0;
        assert_eq!(f.data[[h - 2, w - 3]], 9.0);
    }

    #[test]
    fn ccd_section_boxes_hold_the_canonical_sections() {
        let g = FrameGeometry::small();
        let mut f = Frame::zeros(g);
        for (i, x) in f.data.iter_mut().enumerate() {
            *x = i as f32;
        }
        let mut n_image = 0;
        for q in Quadrant::ALL {
            for sec in Section::SERIAL {
                let b = section_box_ccd(&g, q, sec);
                let mut a: Vec<f32> = f.section(q, sec).iter().copied().collect();
                let mut c: Vec<f32> = f
                    .data
                    .slice(s![b.row0..b.row1, b.col0..b.col1])
                    .iter()
                    .copied()
                    .collect();
                a.sort_by(f32::total_cmp);
                c.sort_by(f32::total_cmp);
                assert_eq!(a, c, "{q} {sec:?}");
            }
            n_image += f.section(q, Section::Image).len();
        }
        let v = image_area_values(&f);
        assert_eq!(v.len(), n_image);
        // Row-major: strictly increasing linear indices.
        assert!(v.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sections_have_the_expected_shapes() {
        let f = Frame::zeros(FrameGeometry::FULL);
        assert_eq!(f.section(Quadrant::G, Section::Prescan).dim(), (2066, 51));
        assert_eq!(f.section(Quadrant::E, Section::Image).dim(), (2066, 2048));
        assert_eq!(f.section(Quadrant::H, Section::Overscan).dim(), (2066, 20));
        assert_eq!(
            f.section(Quadrant::F, Section::ParallelOverscan).dim(),
            (20, 2119)
        );
    }
}
