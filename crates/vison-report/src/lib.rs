//! Self-contained HTML reports for vison tests and sessions, with plots.
//!
//! Plots are drawn with plotters (pure Rust, embedded DejaVu Sans font), to PNG or SVG.

mod axis;
mod error;
mod font;
mod render;
mod style;
mod xy;

pub use error::Error;
pub use render::png_size_px;
pub use xy::{HLine, Series, SeriesStyle, XyPlot};
