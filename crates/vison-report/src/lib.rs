//! Self-contained HTML reports for vison tests and sessions, with plots.
//!
//! * Report model ([`Report`], [`Section`], [`Block`] and the block types), independent of the
//!   output format; [`render_html`] / [`write_html`] produce one self-contained HTML file
//!   (inline CSS, figures as data URIs, no scripts, no network, print styles).
//! * [`SessionIndex`]: the session page listing tests, status, flags and report links.
//! * Plots drawn with plotters (pure Rust, embedded DejaVu Sans font) to PNG or SVG:
//!   [`XyPlot`] (lines, points, error bars, dashed limits, log axes), [`Histogram`],
//!   [`ImagePlot`] (image maps with colour bars, grids of panels), [`FitPlot`] (model over data
//!   with residuals) and [`PlotGrid`] (per-CCD/quadrant grids of x-y panels).

mod axis;
mod colormap;
mod error;
mod fit;
mod font;
mod grid;
mod histogram;
mod html;
mod image;
mod limits;
mod model;
mod render;
mod session;
mod style;
mod xy;

pub use error::Error;
pub use fit::{FitAxes, FitPlot};
pub use grid::PlotGrid;
pub use histogram::{HistSeries, Histogram};
pub use html::{escape_html, is_relative_href, render_html, write_html};
pub use image::{ImagePanel, ImagePlot, Outline};
pub use limits::ScaleLimits;
pub use model::{
    Block, Cell, ComplianceCell, ComplianceMatrix, DataTable, Figure, FigureData, Flag, FlagList,
    KeyValueTable, ProductLink, ProductLinks, Report, Section, Status, format_value,
};
pub use render::png_size_px;
pub use session::{IndexEntry, SessionIndex};
pub use xy::{HLine, Series, SeriesStyle, XyPlot};
