//! Euclid VIS CCD data model: ELVIS FITS frames, geometry and coordinate frames,
//! section statistics, offset subtraction, image operations and memory-bounded stacking.
//!
//! Frames are `data[[y, x]]` arrays in the CCD (DS9) frame; quadrants are handled through
//! zero-copy canonical views with the readout node at `[0, 0]` ([`Frame::quad_canonical`]).
//! Only the [`fits`] module (with its header validator) talks to the FITS library.
//!
//! One implementation each, for every crate to call: medians, percentiles and section
//! statistics of pixels in [`stats`] (exact, by counting for ADU data), `f64` medians, MAD,
//! sigma clipping and the grouped-data median in [`clip`], offsets in [`offset`], display
//! limits (IRAF/astropy zscale) in [`zscale`].

pub mod clip;
pub mod coords;
mod error;
pub mod fits;
mod fits_validate;
mod frame;
pub mod geometry;
mod header;
pub mod hist;
pub mod model2d;
pub mod offset;
pub mod ops;
pub mod quadcheck;
pub mod quickstats;
pub mod stack;
pub mod stats;
pub mod zscale;

pub use error::{Error, Result};
pub use fits::{read_frame, write_product, write_raw_frame};
pub use frame::{Frame, cutout, image_area_values, qcan_view, qcan_view_mut, section_box_ccd};
pub use geometry::{FrameGeometry, PixelBox, Quadrant, Section};
pub use header::{Header, HeaderCard, HeaderValue, STRUCTURAL_KEYS};
