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
