//! Flat-field science for the Euclid VIS ground calibration ("arrays in, numbers out").
//!
//! Inputs are offset-subtracted images in ADU, in quadrant-canonical orientation, as
//! `ArrayView2<f32>` indexed `[row, column]`, i.e. `[y, x]` as in `vison_ccd` frames (axis 0 =
//! parallel direction, axis 1 = serial direction, readout node at `[0, 0]`); masks are `ArrayView2<bool>` with `true` = bad pixel. All functions work
//! on one quadrant (or any region) at a time; results are serde-serialisable structs whose field
//! names carry units (`_adu`, `_adu2`, `_e`, `_s`, `_pc`).
//!
//! Modules:
//! - [`covariance`]: pixel covariances of a flat-pair difference image (fast, rayon).
//! - [`ptc`]: mean-variance points from flat pairs; gain, read noise and full well from the
//!   quadratic fit, the Astier et al. 2019 exponential approximation and the leading-order full
//!   covariance model; robust turn-off detection; fit verdicts.
//! - [`fullwell`]: full well from the ceiling of the pixel signal of over-exposed pairs.
//! - [`linearise`]: linearisation of mean-variance points and covariances by a measured
//!   non-linearity correction (the NL0x product), never by the series' own exposure times.
//! - [`nonlin`]: non-linearity from an exposure-time series with stability monitoring frames.
//! - [`flat`]: master flats, PRNU per quadrant and tile, defect masks, fluence checks.

pub mod covariance;
mod error;
pub mod flat;
pub mod fullwell;
pub mod linearise;
mod lsq;
mod nan;
pub mod nonlin;
pub mod ptc;
mod stats;
mod tiles;

pub use error::{Error, Result};
pub(crate) use error::{check_mask, check_shape};
pub use lsq::FitQuality;
pub use tiles::{Tile, tile_grid};
