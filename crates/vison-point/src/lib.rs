//! Point-source science for the Euclid VIS ground calibration ("arrays in, numbers out").
//!
//! Images are `ArrayView2<f32>` indexed `[y, x]` (row, column) in ADU; positions are `(x, y)`
//! with pixel centres at integer coordinates, in the frame of the image given (for a whole
//! frame, the CCD frame of `truth.json`). Masks are `true` for unusable pixels. Results are
//! serde structs with units in their field names; failures of a fit or an iteration are flags
//! or errors, never panics.
//!
//! Modules:
//! - [`stamp`]: cut-outs (any width and height) with masks.
//! - [`background`]: annulus median and robust scatter.
//! - [`centroid`]: brightest smoothed pixel and a floating-window first-moment centroid.
//! - [`aperture`]: exact pixel-circle overlap photometry (photutils' `exact` method).
//! - [`gauss2d`]: elliptical rotated Gaussian plus background, Levenberg-Marquardt, errors.
//! - [`moments`]: unweighted quadrupoles and adaptive moments (GalSim HSM `FindAdaptiveMom`).
//! - [`fwhm`], [`encircled`], [`ellipse`]: widths, encircled energy, super-ellipses.
//! - [`locate`]: one shift per CCD fitted to all its spots (star-tracker-like).
//! - [`focus`]: focus-curve parabola and best focus with its error.
//! - [`measure`]: the per-spot measurement used by the tasks and `vison-inspect spots`.
//! - [`frame`]: the spots of a whole CCD frame (pattern mapped, shift found, all measured).
//! - [`row`]: the flat output row of a measured spot (`vison-inspect spots`, vison-pipe).

pub mod aperture;
pub mod background;
pub mod centroid;
pub mod ellipse;
pub mod encircled;
mod error;
pub mod focus;
pub mod frame;
pub mod fwhm;
pub mod gauss2d;
pub mod locate;
pub mod measure;
pub mod moments;
pub mod row;
pub mod stamp;

pub use error::{Error, Result};
pub use frame::{FrameSpot, FrameSpots, NominalSpot, measure_frame_spots, nominal_spots};
pub use measure::{SpotConfig, SpotMeasurement, measure_spot, measure_spots, measure_stamp};
pub use row::SpotRow;
pub use stamp::Stamp;
