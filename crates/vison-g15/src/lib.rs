//! The Guyonnet et al. (2015, A&A 575, A41) electrostatic model of the brighter-fatter effect
//! (reference 6.6), "arrays in, numbers out".
//!
//! - [`BoundaryShifts`]: pixel-boundary shift coefficients, their symmetries and their relation
//!   to the a-matrix of Astier et al. 2019 (area change per electron; `C_ij = a_ij mu^2`).
//! - From measured covariances: [`a_matrix_from_covariance`], the smooth model (Eq. 18)
//!   [`BoundaryShifts::smooth_model`] and its fit [`fit_smooth_model`], and the linear solve of
//!   G15 section 6.1 [`solve_boundary_shifts`].
//! - [`degrade`] (apply the effect) and [`correct`] (remove it), flux-conserving.
//! - The LSST kernel formulation (Coulton et al. 2018): [`lsst_kernel`], [`correct_lsst`],
//!   [`BoundaryShifts::from_kernel`].
//!
//! Arrays are `[row, column]` (axis 0 = parallel, axis 1 = serial as in `vison_ccd` frames).

mod apply;
mod ei;
mod error;
mod kernel;
mod shifts;

pub use apply::{correct, degrade};
pub use error::{Error, Result};
pub use kernel::{correct_lsst, lsst_kernel};
pub use shifts::{
    BoundaryShifts, SmoothFit, a_matrix_from_covariance, fit_smooth_model, solve_boundary_shifts,
};
