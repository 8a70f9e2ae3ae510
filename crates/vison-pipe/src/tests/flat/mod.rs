//! The flat-field family (reference 4.9-4.12): FLAT01/02, PTC01/02, NL01/02, FLATFLUX00 and
//! BF01, with their shared frame access (`io`).

pub mod bf;
pub mod flatfield;
pub mod flatflux;
pub mod nl;
pub mod ptc;
