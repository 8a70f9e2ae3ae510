//! Self-contained HTML reports for vison tests and sessions, with plots.
//!
//! Plots are drawn with plotters (pure Rust, embedded DejaVu Sans font), to PNG or SVG:
//! [`XyPlot`] (lines, points, error bars, dashed limits, log axes), [`Histogram`],
//! [`ImagePlot`] (image maps with colour bars, grids of panels), [`FitPlot`] (model over data
//! with residuals) and [`PlotGrid`] (per-CCD/quadrant grids of x-y panels).

mod axis;
mod colormap;
mod error;
mod fit;
mod font;
mod grid;
mod histogram;
mod image;
mod limits;
mod render;
mod style;
mod xy;

pub use error::Error;
pub use fit::{FitAxes, FitPlot};
pub use grid::PlotGrid;
pub use histogram::{HistSeries, Histogram};
pub use image::{ImagePanel, ImagePlot};
pub use limits::ScaleLimits;
pub use render::png_size_px;
pub use xy::{HLine, Series, SeriesStyle, XyPlot};
