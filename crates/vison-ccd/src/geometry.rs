//! Frame geometry: quadrants, sections and their boxes (reference 1.1-1.2).
//!
//! A frame is stored as `data[[y, x]]` in the CCD ("DS9") frame: row 0 is the bottom row
//! (quadrants H and G), column 0 the left column (quadrants E and H).
//! Each quadrant is read out from its outer corner; its *canonical* orientation puts
//! that readout node at index `[0, 0]`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Active (image) columns of one full-size quadrant.
pub const IMAGE_COLS_PX: usize = 2048;
/// Active (image) rows of one full-size quadrant.
pub const IMAGE_ROWS_PX: usize = 2066;
/// Serial prescan columns per quadrant.
pub const PRESCAN_PX: usize = 51;
/// Serial overscan columns per quadrant in ground data.
pub const OVERSCAN_PX: usize = 20;
/// Serial overscan columns per quadrant in flight / FPA data.
pub const OVERSCAN_FLIGHT_PX: usize = 29;
/// Parallel overscan rows per quadrant (when read out).
pub const VOVERSCAN_PX: usize = 20;
/// Charge-injection lines per half CCD, on silicon but not in the image data.
pub const CHINJ_LINES_PX: usize = 2;
/// Pixel value flagged as saturated.
pub const SATURATED_ADU: f32 = 65535.0;
/// Pixel value flagged as lost.
pub const LOST_ADU: f32 = 0.0;

/// One of the four quadrants (output nodes) of a CCD273.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Quadrant {
    /// Top left.
    E,
    /// Top right.
    F,
    /// Bottom right.
    G,
    /// Bottom left.
    H,
}

impl Quadrant {
    /// All quadrants in the conventional order E, F, G, H.
    pub const ALL: [Quadrant; 4] = [Quadrant::E, Quadrant::F, Quadrant::G, Quadrant::H];

    /// The quadrant's letter.
    pub fn name(self) -> &'static str {
        match self {
            Quadrant::E => "E",
            Quadrant::F => "F",
            Quadrant::G => "G",
            Quadrant::H => "H",
        }
    }

    /// Parses `E`, `F`, `G` or `H` (case-insensitive).
    pub fn parse(s: &str) -> Option<Quadrant> {
        match s.trim().to_ascii_uppercase().as_str() {
            "E" => Some(Quadrant::E),
            "F" => Some(Quadrant::F),
            "G" => Some(Quadrant::G),
            "H" => Some(Quadrant::H),
            _ => None,
        }
    }

    /// True for the quadrants in the right half (F, G), whose serial axis is mirrored.
    pub fn is_right(self) -> bool {
        matches!(self, Quadrant::F | Quadrant::G)
    }

    /// True for the quadrants in the top half (E, F), whose parallel axis is mirrored.
    pub fn is_top(self) -> bool {
        matches!(self, Quadrant::E | Quadrant::F)
    }
}

impl fmt::Display for Quadrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A readout section of a quadrant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// Serial prescan columns (image rows only).
    Prescan,
    /// Active image area.
    Image,
    /// Serial overscan columns (image rows only).
    Overscan,
    /// Parallel overscan rows (all columns).
    ParallelOverscan,
}

impl Section {
    /// The three serial sections, as reported per quadrant.
    pub const SERIAL: [Section; 3] = [Section::Prescan, Section::Image, Section::Overscan];

    /// Lower-case name used in JSON and CSV outputs.
    pub fn name(self) -> &'static str {
        match self {
            Section::Prescan => "prescan",
            Section::Image => "image",
            Section::Overscan => "overscan",
            Section::ParallelOverscan => "parallel_overscan",
        }
    }

    /// Parses a section name (`prescan`/`pre`, `image`/`img`, `overscan`/`ove`, `parallel_overscan`/`pover`).
    pub fn parse(s: &str) -> Option<Section> {
        match s.trim().to_ascii_lowercase().as_str() {
            "prescan" | "pre" => Some(Section::Prescan),
            "image" | "img" => Some(Section::Image),
            "overscan" | "ove" => Some(Section::Overscan),
            "parallel_overscan" | "pover" | "voverscan" => Some(Section::ParallelOverscan),
            _ => None,
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A half-open pixel box `[row0, row1) x [col0, col1)` in a stated frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixelBox {
    /// First row.
    pub row0: usize,
    /// One past the last row.
    pub row1: usize,
    /// First column.
    pub col0: usize,
    /// One past the last column.
    pub col1: usize,
}

impl PixelBox {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.row1.saturating_sub(self.row0)
    }
    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.col1.saturating_sub(self.col0)
    }
    /// Number of pixels.
    pub fn n_px(&self) -> usize {
        self.n_rows() * self.n_cols()
    }
}

/// Geometry of one CCD frame: four quadrants of prescan + image + overscan columns
/// and image + parallel-overscan rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameGeometry {
    /// Active columns per quadrant (2048 at full size).
    pub image_cols_px: usize,
    /// Active rows per quadrant (2066 at full size).
    pub image_rows_px: usize,
    /// Serial prescan columns per quadrant (51).
    pub prescan_px: usize,
    /// Serial overscan columns per quadrant (20 ground, 29 flight).
    pub overscan_px: usize,
    /// Parallel overscan rows per quadrant (20 when read out, else 0).
    pub voverscan_px: usize,
}

impl FrameGeometry {
    /// Full-size ground frame with parallel overscan: 4238 x 4172.
    pub const FULL: FrameGeometry = FrameGeometry {
        image_cols_px: IMAGE_COLS_PX,
        image_rows_px: IMAGE_ROWS_PX,
        prescan_px: PRESCAN_PX,
        overscan_px: OVERSCAN_PX,
        voverscan_px: VOVERSCAN_PX,
    };

    /// Full-size ground frame without parallel overscan: 4238 x 4132.
    pub const FULL_NO_POVER: FrameGeometry = FrameGeometry {
        voverscan_px: 0,
        ..FrameGeometry::FULL
    };

    /// Reduced frame used by synthetic test campaigns: 256 x 256 image pixels per quadrant,
    /// real prescan/overscan widths and parallel overscan (654 x 552).
    pub fn small() -> FrameGeometry {
        FrameGeometry {
            image_cols_px: 256,
            image_rows_px: 256,
            ..FrameGeometry::FULL
        }
    }

    /// Recognises the standard full-size shapes from NAXIS1 x NAXIS2.
    pub fn from_standard_shape(naxis1: usize, naxis2: usize) -> Option<FrameGeometry> {
        let overscan_px = match naxis1 {
            n if n == 2 * (PRESCAN_PX + IMAGE_COLS_PX + OVERSCAN_PX) => OVERSCAN_PX,
            n if n == 2 * (PRESCAN_PX + IMAGE_COLS_PX + OVERSCAN_FLIGHT_PX) => OVERSCAN_FLIGHT_PX,
            _ => return None,
        };
        let voverscan_px = match naxis2 {
            n if n == 2 * (IMAGE_ROWS_PX + VOVERSCAN_PX) => VOVERSCAN_PX,
            n if n == 2 * IMAGE_ROWS_PX => 0,
            _ => return None,
        };
        Some(FrameGeometry {
            overscan_px,
            voverscan_px,
            ..FrameGeometry::FULL
        })
    }

    /// Quadrant width including prescan and overscan (2119 at full size).
    pub fn quad_width_px(&self) -> usize {
        self.prescan_px + self.image_cols_px + self.overscan_px
    }

    /// Quadrant height including parallel overscan (2086 at full size).
    pub fn quad_height_px(&self) -> usize {
        self.image_rows_px + self.voverscan_px
    }

    /// Frame width (FITS NAXIS1).
    pub fn naxis1(&self) -> usize {
        2 * self.quad_width_px()
    }

    /// Frame height (FITS NAXIS2).
    pub fn naxis2(&self) -> usize {
        2 * self.quad_height_px()
    }

    /// True when the parallel overscan rows are present.
    pub fn has_parallel_overscan(&self) -> bool {
        self.voverscan_px > 0
    }

    /// Frame shape as `(rows, cols)` = `(NAXIS2, NAXIS1)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.naxis2(), self.naxis1())
    }

    /// Box of a quadrant in the CCD frame.
    pub fn quad_box_ccd(&self, q: Quadrant) -> PixelBox {
        let (w, h) = (self.quad_width_px(), self.quad_height_px());
        let (col0, row0) = match q {
            Quadrant::E => (0, h),
            Quadrant::F => (w, h),
            Quadrant::G => (w, 0),
            Quadrant::H => (0, 0),
        };
        PixelBox {
            row0,
            row1: row0 + h,
            col0,
            col1: col0 + w,
        }
    }

    /// Box of a section in the canonical quadrant frame (readout node at `[0, 0]`).
    ///
    /// Serial sections cover the image rows only; the parallel overscan covers all columns.
    pub fn section_box_qcan(&self, section: Section) -> PixelBox {
        let rows_img = (0, self.image_rows_px);
        let (rows, cols) = match section {
            Section::Prescan => (rows_img, (0, self.prescan_px)),
            Section::Image => (
                rows_img,
                (self.prescan_px, self.prescan_px + self.image_cols_px),
            ),
            Section::Overscan => (
                rows_img,
                (self.prescan_px + self.image_cols_px, self.quad_width_px()),
            ),
            Section::ParallelOverscan => (
                (self.image_rows_px, self.quad_height_px()),
                (0, self.quad_width_px()),
            ),
        };
        PixelBox {
            row0: rows.0,
            row1: rows.1,
            col0: cols.0,
            col1: cols.1,
        }
    }

    /// Width of a serial section in columns.
    pub fn section_cols_px(&self, section: Section) -> usize {
        self.section_box_qcan(section).n_cols()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_frame_matches_reference_numbers() {
        let g = FrameGeometry::FULL;
        assert_eq!((g.naxis1(), g.naxis2()), (4238, 4172));
        assert_eq!((g.quad_width_px(), g.quad_height_px()), (2119, 2086));
        assert_eq!(FrameGeometry::FULL_NO_POVER.naxis2(), 4132);
        assert_eq!(FrameGeometry::small().shape(), (552, 654));
    }

    #[test]
    fn standard_shapes_are_recognised() {
        assert_eq!(
            FrameGeometry::from_standard_shape(4238, 4172),
            Some(FrameGeometry::FULL)
        );
        assert_eq!(
            FrameGeometry::from_standard_shape(4238, 4132),
            Some(FrameGeometry::FULL_NO_POVER)
        );
        assert_eq!(
            FrameGeometry::from_standard_shape(4256, 4172).map(|g| g.overscan_px),
            Some(29)
        );
        assert_eq!(FrameGeometry::from_standard_shape(654, 552), None);
    }

    #[test]
    fn quadrant_boxes_tile_the_frame() {
        let g = FrameGeometry::small();
        let total: usize = Quadrant::ALL
            .iter()
            .map(|&q| g.quad_box_ccd(q).n_px())
            .sum();
        assert_eq!(total, g.naxis1() * g.naxis2());
        assert_eq!(g.quad_box_ccd(Quadrant::E).row0, g.quad_height_px());
        assert_eq!(g.quad_box_ccd(Quadrant::G).col0, g.quad_width_px());
    }

    #[test]
    fn sections_partition_the_quadrant() {
        let g = FrameGeometry::FULL;
        let n: usize = [
            Section::Prescan,
            Section::Image,
            Section::Overscan,
            Section::ParallelOverscan,
        ]
        .iter()
        .map(|&s| g.section_box_qcan(s).n_px())
        .sum();
        assert_eq!(n, g.quad_width_px() * g.quad_height_px());
        assert_eq!(g.section_box_qcan(Section::Overscan).col0, 2099);
    }
}
