//! Integration tests of vison-flat: golden values and synthetic data with known truth.

mod flatfield;
mod golden;
mod nonlinearity;
mod ptc_synthetic;
mod sim;
