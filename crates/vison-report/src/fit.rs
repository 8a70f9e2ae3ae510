//! A model drawn over data, with a residual panel below sharing the x axis.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::Error;
use crate::render::{Blit, Figure, pe, render_png, render_svg};
use crate::xy::{Series, SeriesStyle, XyPlot, draw_xy};

/// Number of points used to draw the model curve.
const MODEL_SAMPLES: usize = 200;

/// Titles, axis labels (with units) and x scale of a [`FitPlot`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitAxes {
    /// Figure title.
    pub title: String,
    /// Shared x axis label, e.g. `"mean signal [ADU]"`.
    pub x_label: String,
    /// Upper panel y label, e.g. `"variance [ADU^2]"`.
    pub y_label: String,
    /// Lower panel y label, e.g. `"data - model [ADU^2]"`.
    pub residual_label: String,
    /// Logarithmic x axis in both panels.
    pub log_x: bool,
}

impl FitAxes {
    /// Linear-x axes with the given labels.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        residual_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            residual_label: residual_label.into(),
            log_x: false,
        }
    }

    /// Sets a logarithmic x axis.
    #[must_use]
    pub fn with_log_x(mut self, log_x: bool) -> Self {
        self.log_x = log_x;
        self
    }
}

/// Data with a fitted model (upper panel, 65 % of the height) and residuals (lower panel).
#[derive(Debug, Clone, PartialEq)]
pub struct FitPlot {
    /// Upper panel: the data series (first) and the model curve (second), title and labels.
    pub main: XyPlot,
    /// Lower panel: residuals (data - model) with a dashed zero line, no legend.
    pub residuals: XyPlot,
}

impl FitPlot {
    /// Builds the figure from data points and a model evaluated by `model`.
    ///
    /// The curve is sampled at 200 points over the data's x range (log-spaced when
    /// `axes.log_x`); residuals are `y - model(x)` at the data points.
    pub fn new(
        axes: FitAxes,
        data: Series,
        model_label: impl Into<String>,
        model: impl Fn(f64) -> f64,
    ) -> Result<Self, Error> {
        let FitAxes {
            title,
            x_label,
            y_label,
            residual_label,
            log_x,
        } = axes;
        data.validate()?;
        let usable = |x: f64| x.is_finite() && (!log_x || x > 0.0);
        let xs: Vec<f64> = data.x.iter().copied().filter(|x| usable(*x)).collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let curve_x: Vec<f64> = if xs.is_empty() {
            Vec::new()
        } else if log_x {
            let (a, b) = (lo.ln(), hi.ln());
            (0..MODEL_SAMPLES)
                .map(|i| (a + (b - a) * i as f64 / (MODEL_SAMPLES - 1) as f64).exp())
                .collect()
        } else {
            (0..MODEL_SAMPLES)
                .map(|i| lo + (hi - lo) * i as f64 / (MODEL_SAMPLES - 1) as f64)
                .collect()
        };
        let curve_y: Vec<f64> = curve_x.iter().map(|&x| model(x)).collect();
        let resid_y: Vec<f64> = data
            .x
            .iter()
            .zip(&data.y)
            .map(|(&x, &y)| y - model(x))
            .collect();
        // No legend in the residual panel: its y label says what is shown.
        let resid = Series {
            label: String::new(),
            x: data.x.clone(),
            y: resid_y,
            y_err: data.y_err.clone(),
            style: SeriesStyle::Points,
        };
        let main = XyPlot::new(title, "", y_label)
            .with_series(data)
            .with_series(Series::line(model_label, curve_x, curve_y))
            .with_log(log_x, false);
        let residuals = XyPlot::new("", x_label.clone(), residual_label)
            .with_series(resid)
            .with_hline(0.0, "")
            .with_log(log_x, false);
        let mut main = main;
        main.x_label = x_label;
        Ok(Self { main, residuals })
    }

    /// Renders the figure as an RGB PNG of `width_px` x `height_px`.
    pub fn render_png(&self, width_px: u32, height_px: u32) -> Result<Vec<u8>, Error> {
        render_png(self, width_px, height_px)
    }

    /// Renders the figure as a standalone SVG document of `width_px` x `height_px`.
    pub fn render_svg(&self, width_px: u32, height_px: u32) -> Result<String, Error> {
        render_svg(self, width_px, height_px)
    }
}

impl Figure for FitPlot {
    fn figure_name(&self) -> &str {
        &self.main.title
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        _blits: &mut Vec<Blit>,
    ) -> Result<(), Error> {
        pe(&self.main.title, area.fill(&WHITE))?;
        let (_, h) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(h * 65 / 100);
        // Same x range in both panels: the residuals share the data's x values, and the
        // model curve spans exactly the data range.
        let mut upper = self.main.clone();
        upper.x_label = String::new();
        draw_xy(&upper, &top, h)?;
        let mut lower = self.residuals.clone();
        lower.title = String::new();
        draw_xy(&lower, &bottom, h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residuals_are_data_minus_model() {
        let x = vec![1.0, 2.0, 3.0];
        let y = vec![2.1, 3.9, 6.0];
        let fit = FitPlot::new(
            FitAxes::new("line", "x [s]", "y [ADU]", "resid [ADU]"),
            Series::points("data", x, y),
            "2x",
            |x| 2.0 * x,
        )
        .unwrap();
        let r = &fit.residuals.series[0].y;
        let expect = [0.1, -0.1, 0.0];
        for (a, b) in r.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        let curve = &fit.main.series[1];
        assert_eq!(curve.x.len(), MODEL_SAMPLES);
        assert_eq!((curve.x[0], curve.x[MODEL_SAMPLES - 1]), (1.0, 3.0));
        assert_eq!(fit.main.x_range(), fit.residuals.x_range());
        assert!(fit.render_png(500, 400).is_ok());
    }

    #[test]
    fn log_x_curve_is_log_spaced_and_empty_data_is_fine() {
        let fit = FitPlot::new(
            FitAxes::new("ptc", "mean [ADU]", "var [ADU^2]", "resid").with_log_x(true),
            Series::points("d", vec![-1.0, 10.0, 1000.0], vec![1.0, 3.0, 300.0]),
            "model",
            |x| x / 3.0,
        )
        .unwrap();
        let cx = &fit.main.series[1].x;
        assert!((cx[0] - 10.0).abs() < 1e-9 && (cx[MODEL_SAMPLES - 1] - 1000.0).abs() < 1e-6);
        assert!((cx[MODEL_SAMPLES / 2] / cx[MODEL_SAMPLES / 2 - 1] - cx[1] / cx[0]).abs() < 1e-9);
        let empty = FitPlot::new(
            FitAxes::new("e", "x", "y", "r"),
            Series::points("d", vec![], vec![]),
            "m",
            |x| x,
        )
        .unwrap();
        assert!(empty.render_svg(300, 300).is_ok());
    }
}
