//! Euclid VIS CCD data model.
