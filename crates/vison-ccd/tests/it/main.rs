//! Integration tests of vison-ccd: FITS round trips, malformed files, recovery of injected
//! offsets and noise.

mod astropy;
mod fits_io;
mod fuzz;
mod malformed;
mod recovery;
mod zscale_oracle;
