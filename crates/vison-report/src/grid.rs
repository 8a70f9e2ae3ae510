//! A grid of x-y panels under one title, e.g. one panel per CCD (rows) and quadrant (columns).

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::Error;
use crate::font::FAMILY;
use crate::render::{Blit, Figure, pe, render_png, render_svg};
use crate::style::title_px;
use crate::xy::{XyPlot, draw_xy};

/// A grid of [`XyPlot`] panels filled row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotGrid {
    /// Figure title drawn above the grid.
    pub title: String,
    /// Number of columns (at least 1), e.g. 4 for quadrants E, F, G, H.
    pub cols: usize,
    /// Panels in row-major order; each keeps its own title, axis labels and legend.
    pub panels: Vec<XyPlot>,
}

impl PlotGrid {
    /// An empty grid with `cols` columns.
    pub fn new(title: impl Into<String>, cols: usize) -> Self {
        Self {
            title: title.into(),
            cols,
            panels: Vec::new(),
        }
    }

    /// Adds a panel.
    #[must_use]
    pub fn with_panel(mut self, panel: XyPlot) -> Self {
        self.panels.push(panel);
        self
    }

    /// Renders the grid as an RGB PNG of `width_px` x `height_px`.
    pub fn render_png(&self, width_px: u32, height_px: u32) -> Result<Vec<u8>, Error> {
        render_png(self, width_px, height_px)
    }

    /// Renders the grid as a standalone SVG document of `width_px` x `height_px`.
    pub fn render_svg(&self, width_px: u32, height_px: u32) -> Result<String, Error> {
        render_svg(self, width_px, height_px)
    }
}

impl Figure for PlotGrid {
    fn figure_name(&self) -> &str {
        &self.title
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        _blits: &mut Vec<Blit>,
    ) -> Result<(), Error> {
        let name = self.title.as_str();
        if self.cols == 0 {
            return Err(Error::InvalidParameter {
                name: "cols",
                reason: "a plot grid needs at least 1 column".to_owned(),
            });
        }
        pe(name, area.fill(&WHITE))?;
        let (_, h) = area.dim_in_pixel();
        let body = if self.title.is_empty() {
            area.clone()
        } else {
            pe(name, area.titled(&self.title, (FAMILY, title_px(h))))?
        };
        let n = self.panels.len().max(1);
        let cols = self.cols.min(n);
        let rows = n.div_ceil(cols);
        let cells = body.split_evenly((rows, cols));
        // Text scaled to the cell height, so small panels keep readable proportions.
        let cell_h = h / rows as u32;
        for (panel, cell) in self.panels.iter().zip(&cells) {
            draw_xy(panel, cell, cell_h.max(200) * 3 / 4)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xy::Series;

    #[test]
    fn grid_of_twelve_quadrants_renders() {
        let mut g = PlotGrid::new("offsets", 4);
        for ccd in 1..=3 {
            for q in ["E", "F", "G", "H"] {
                g = g.with_panel(
                    XyPlot::new(format!("CCD{ccd} {q}"), "frame", "offset [ADU]").with_series(
                        Series::points("pre", vec![1.0, 2.0, 3.0], vec![2800.0, 2801.0, 2799.5]),
                    ),
                );
            }
        }
        assert!(g.render_png(1200, 900).is_ok());
        assert!(PlotGrid::new("none", 3).render_svg(300, 200).is_ok());
        assert!(PlotGrid::new("bad", 0).render_png(300, 200).is_err());
    }
}
