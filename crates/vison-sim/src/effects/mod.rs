//! Detector effects as pure functions.
//!
//! Charge-domain effects work on the image-area charge map of one quadrant in canonical
//! orientation (`[row, col]` = `[parallel, serial]`, readout node at `[0, 0]`, image pixels only,
//! electrons); [`readout`] turns that map into ADU in the full canonical quadrant (prescan,
//! image, overscan, parallel overscan) with non-linearity, offset structure and read noise.
//! Every function returns the values it injected so that the caller can record them in the
//! truth file.

mod bf;
mod cosmics;
mod dark;
mod illumination;
mod injection;
mod math;
mod noise;
mod params;
mod persistence;
mod readout;
mod saturation;
mod spots;
mod traps;

pub use bf::{
    BF_LAGS, BF_P0, BF_P1, BF_SLICES, BrighterFatterTruth, apply_brighter_fatter,
    collect_with_brighter_fatter,
};
pub use cosmics::{CosmicRay, add_cosmic_rays, cosmic_ray_count_mean};
pub use dark::add_dark;
pub use illumination::{add_flat, flat_response, lamp_value};
pub use injection::{InjectionSetup, add_injection, injection_level_adu, injection_rows_on};
pub use math::{erf, normal_cdf};
pub use noise::{add_shot_noise, standard_normal};
pub use params::{QuadLayout, draw_ccd_params, draw_quad_params};
pub use persistence::{PixelRun, add_persistence, persistence_e, saturation_runs};
pub use readout::{apply_window, nonlinear_adu, readout};
pub use saturation::bloom_columns;
pub use spots::{DEFOCUS_SCALE_MM, SpotImage, add_spot, fwhm_at_focus_px};
pub use traps::{apply_parallel_dipoles, apply_serial_dipoles, dipole_fraction, trap_pumped_sign};
