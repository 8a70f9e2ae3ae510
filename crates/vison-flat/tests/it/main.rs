//! Integration tests of vison-flat: golden values and synthetic data with known truth.

mod covariance;
mod flatfield;
mod golden;
mod nonlinearity;
mod ptc_linearity;
mod ptc_synthetic;
mod sim;
