//! Line and scatter plots with error bars, dashed horizontal limits and log axes.

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

use crate::Error;
use crate::axis::{format_tick, padded_range};
use crate::font::FAMILY;
use crate::render::{Blit, Figure, pe, render_png, render_svg};
use crate::style::{hline_colour, label_px, series_colour, title_px};

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStyle {
    /// A polyline through the points (broken at non-finite values).
    Line,
    /// A marker at each point.
    Points,
    /// Both a polyline and markers.
    LinePoints,
}

/// One data series of an [`XyPlot`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label (empty: no legend entry).
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates, same length as `x`.
    pub y: Vec<f64>,
    /// Optional symmetric 1-sigma errors on `y`, same length as `x`.
    pub y_err: Option<Vec<f64>>,
    /// Drawing style.
    pub style: SeriesStyle,
}

impl Series {
    /// A series with the given style and no error bars.
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, style: SeriesStyle) -> Self {
        Self {
            label: label.into(),
            x,
            y,
            y_err: None,
            style,
        }
    }

    /// A polyline series.
    pub fn line(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self::new(label, x, y, SeriesStyle::Line)
    }

    /// A marker-only (scatter) series.
    pub fn points(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self::new(label, x, y, SeriesStyle::Points)
    }

    /// Adds symmetric error bars on `y`.
    #[must_use]
    pub fn with_y_err(mut self, y_err: Vec<f64>) -> Self {
        self.y_err = Some(y_err);
        self
    }

    /// Checks that `y` and `y_err` match `x` in length.
    pub fn validate(&self) -> Result<(), Error> {
        let mismatch = |what, got| Error::LengthMismatch {
            label: self.label.clone(),
            what,
            got,
            expected: self.x.len(),
        };
        if self.y.len() != self.x.len() {
            return Err(mismatch("y", self.y.len()));
        }
        if let Some(e) = &self.y_err
            && e.len() != self.x.len()
        {
            return Err(mismatch("y_err", e.len()));
        }
        Ok(())
    }

    /// `(x, y, err)` triples (err 0 when absent or non-finite).
    fn triples(&self) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        self.x.iter().zip(&self.y).enumerate().map(|(i, (&x, &y))| {
            let e = self
                .y_err
                .as_ref()
                .and_then(|e| e.get(i).copied())
                .filter(|e| e.is_finite())
                .map_or(0.0, f64::abs);
            (x, y, e)
        })
    }
}

/// A horizontal reference line (e.g. an HK limit), drawn dashed with a legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HLine {
    /// Ordinate of the line.
    pub y: f64,
    /// Legend label.
    pub label: String,
}

impl HLine {
    /// A labelled horizontal line at `y`.
    pub fn new(y: f64, label: impl Into<String>) -> Self {
        Self {
            y,
            label: label.into(),
        }
    }
}

/// An x-y plot: any number of series and horizontal limit lines, optional log axes.
#[derive(Debug, Clone, PartialEq)]
pub struct XyPlot {
    /// Title drawn above the axes.
    pub title: String,
    /// X axis label, with units, e.g. `"time [s]"`.
    pub x_label: String,
    /// Y axis label, with units, e.g. `"offset [ADU]"`.
    pub y_label: String,
    /// Data series, drawn in order.
    pub series: Vec<Series>,
    /// Dashed horizontal reference lines.
    pub hlines: Vec<HLine>,
    /// Logarithmic x axis (non-positive x are skipped).
    pub log_x: bool,
    /// Logarithmic y axis (non-positive y are skipped).
    pub log_y: bool,
}

impl XyPlot {
    /// An empty plot with title and axis labels.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            hlines: Vec::new(),
            log_x: false,
            log_y: false,
        }
    }

    /// Adds a series.
    #[must_use]
    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Adds a dashed horizontal line.
    #[must_use]
    pub fn with_hline(mut self, y: f64, label: impl Into<String>) -> Self {
        self.hlines.push(HLine::new(y, label));
        self
    }

    /// Sets logarithmic axes.
    #[must_use]
    pub fn with_log(mut self, log_x: bool, log_y: bool) -> Self {
        self.log_x = log_x;
        self.log_y = log_y;
        self
    }

    /// Checks every series (lengths of `y` and `y_err`).
    pub fn validate(&self) -> Result<(), Error> {
        self.series.iter().try_for_each(Series::validate)
    }

    /// Renders the plot as an RGB PNG of `width_px` x `height_px`.
    pub fn render_png(&self, width_px: u32, height_px: u32) -> Result<Vec<u8>, Error> {
        render_png(self, width_px, height_px)
    }

    /// Renders the plot as a standalone SVG document of `width_px` x `height_px`.
    pub fn render_svg(&self, width_px: u32, height_px: u32) -> Result<String, Error> {
        render_svg(self, width_px, height_px)
    }

    /// The padded x range the plot will use.
    pub(crate) fn x_range(&self) -> (f64, f64) {
        padded_range(
            self.series.iter().flat_map(|s| s.x.iter().copied()),
            self.log_x,
        )
    }

    /// The padded y range the plot will use (data, error bars and horizontal lines).
    pub(crate) fn y_range(&self) -> (f64, f64) {
        let data = self.series.iter().flat_map(|s| {
            s.triples()
                .filter(|(x, _, _)| x.is_finite())
                .flat_map(|(_, y, e)| [y - e, y, y + e])
        });
        let lines = self.hlines.iter().map(|h| h.y);
        padded_range(data.chain(lines), self.log_y)
    }
}

impl Figure for XyPlot {
    fn figure_name(&self) -> &str {
        &self.title
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        _blits: &mut Vec<Blit>,
    ) -> Result<(), Error> {
        let (_, h) = area.dim_in_pixel();
        draw_xy(self, area, h)
    }
}

/// Draws `plot` filling `area` (white background, title, axes, series, legend).
///
/// Text sizes follow `text_base_px` (the whole figure's height), so that stacked panels share
/// label-area widths and their axes line up.
pub(crate) fn draw_xy<DB: DrawingBackend>(
    plot: &XyPlot,
    area: &DrawingArea<DB, Shift>,
    text_base_px: u32,
) -> Result<(), Error> {
    plot.validate()?;
    let name = plot.title.as_str();
    pe(name, area.fill(&WHITE))?;
    let h = text_base_px;
    let (x0, x1) = plot.x_range();
    let (y0, y1) = plot.y_range();
    let mut builder = ChartBuilder::on(area);
    if !plot.title.is_empty() {
        builder.caption(&plot.title, (FAMILY, title_px(h)));
    }
    builder
        .margin(10)
        .x_label_area_size(label_px(h) * 3)
        .y_label_area_size(label_px(h) * 5);
    match (plot.log_x, plot.log_y) {
        (false, false) => {
            let mut chart = pe(name, builder.build_cartesian_2d(x0..x1, y0..y1))?;
            fill_chart(&mut chart, plot, h)
        }
        (true, false) => {
            let mut chart = pe(
                name,
                builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1),
            )?;
            fill_chart(&mut chart, plot, h)
        }
        (false, true) => {
            let mut chart = pe(
                name,
                builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale()),
            )?;
            fill_chart(&mut chart, plot, h)
        }
        (true, true) => {
            let mut chart = pe(
                name,
                builder.build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale()),
            )?;
            fill_chart(&mut chart, plot, h)
        }
    }
}

fn tick_label(v: &f64) -> String {
    format_tick(*v)
}

/// The axis ranges of a plot, for placing and filtering points.
#[derive(Debug, Clone, Copy)]
struct Frame {
    x: (f64, f64),
    y: (f64, f64),
    log_x: bool,
    log_y: bool,
}

impl Frame {
    fn of(plot: &XyPlot) -> Self {
        Self {
            x: plot.x_range(),
            y: plot.y_range(),
            log_x: plot.log_x,
            log_y: plot.log_y,
        }
    }

    /// Position of `v` along an axis, 0 at `lo` and 1 at `hi`.
    fn norm(v: f64, (lo, hi): (f64, f64), log: bool) -> f64 {
        if log {
            (v.log10() - lo.log10()) / (hi.log10() - lo.log10())
        } else {
            (v - lo) / (hi - lo)
        }
    }

    /// `(u, v)` position of a point in the plot, `(0, 0)` bottom left, `(1, 1)` top right.
    fn uv(&self, x: f64, y: f64) -> (f64, f64) {
        (
            Self::norm(x, self.x, self.log_x),
            Self::norm(y, self.y, self.log_y),
        )
    }

    /// Whether a point can be drawn: finite, positive on log axes, and not absurdly far
    /// outside the axes (such points would map to pixel coordinates near `i32::MAX`).
    fn drawable(&self, x: f64, y: f64) -> bool {
        let finite = x.is_finite() && y.is_finite();
        let positive = (!self.log_x || x > 0.0) && (!self.log_y || y > 0.0);
        if !(finite && positive) {
            return false;
        }
        let (u, v) = self.uv(x, y);
        (-4.0..=5.0).contains(&u) && (-4.0..=5.0).contains(&v)
    }
}

/// Splits `(x, y)` pairs into runs of drawable points (see [`Frame::drawable`]).
fn drawable_runs(s: &Series, frame: &Frame) -> Vec<Vec<(f64, f64)>> {
    let mut runs = vec![Vec::new()];
    for (&x, &y) in s.x.iter().zip(&s.y) {
        if frame.drawable(x, y) {
            if let Some(run) = runs.last_mut() {
                run.push((x, y));
            }
        } else if runs.last().is_some_and(|r| !r.is_empty()) {
            runs.push(Vec::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// The plot corner (upper right, upper left, lower right, lower left, in that preference)
/// covering the fewest data points, for the legend box.
fn legend_corner(plot: &XyPlot) -> SeriesLabelPosition {
    let frame = Frame::of(plot);
    let mut counts = [0usize; 4];
    for s in &plot.series {
        for run in drawable_runs(s, &frame) {
            for (x, y) in run {
                let (u, v) = frame.uv(x, y);
                let right = u > 0.55;
                let left = u < 0.45;
                let top = v > 0.65;
                let bottom = v < 0.35;
                counts[0] += usize::from(right && top);
                counts[1] += usize::from(left && top);
                counts[2] += usize::from(right && bottom);
                counts[3] += usize::from(left && bottom);
            }
        }
    }
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    [
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::LowerRight,
        SeriesLabelPosition::LowerLeft,
    ][best]
        .clone()
}

/// Draws a plot's mesh, series, reference lines and legend into `chart`.
fn fill_chart<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    plot: &XyPlot,
    h: u32,
) -> Result<(), Error>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let name = plot.title.as_str();
    let font = label_px(h);
    let frame = Frame::of(plot);
    draw_mesh(chart, plot, font)?;
    let mut any_label = false;
    for (i, s) in plot.series.iter().enumerate() {
        any_label |= draw_one_series(chart, plot, &frame, i, s)?;
    }
    any_label |= draw_hlines(chart, plot, &frame)?;
    if any_label {
        pe(
            name,
            chart
                .configure_series_labels()
                .position(legend_corner(plot))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font((FAMILY, font))
                .draw(),
        )?;
    }
    Ok(())
}

/// Grid, ticks and axis titles.
fn draw_mesh<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    plot: &XyPlot,
    font: u32,
) -> Result<(), Error>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (area_w, area_h) = chart.plotting_area().dim_in_pixel();
    pe(
        plot.title.as_str(),
        chart
            .configure_mesh()
            .x_labels((area_w / (font * 6)).clamp(2, 10) as usize)
            .y_labels((area_h / (font * 2)).clamp(5, 10) as usize)
            .x_desc(plot.x_label.as_str())
            .y_desc(plot.y_label.as_str())
            .x_label_formatter(&tick_label)
            .y_label_formatter(&tick_label)
            .label_style((FAMILY, font))
            .axis_desc_style((FAMILY, font))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(200, 200, 200))
            .draw(),
    )
}

/// Series `i`: its lines, points, error bars and legend entry; whether it has a label.
fn draw_one_series<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    plot: &XyPlot,
    frame: &Frame,
    i: usize,
    s: &Series,
) -> Result<bool, Error>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let name = plot.title.as_str();
    let colour = series_colour(i);
    let runs = drawable_runs(s, frame);
    let with_line = matches!(s.style, SeriesStyle::Line | SeriesStyle::LinePoints);
    let with_points = matches!(s.style, SeriesStyle::Points | SeriesStyle::LinePoints);
    if with_line {
        for run in &runs {
            pe(
                name,
                chart.draw_series(LineSeries::new(run.iter().copied(), colour.stroke_width(2))),
            )?;
        }
    }
    if with_points {
        pe(
            name,
            chart.draw_series(
                runs.iter()
                    .flatten()
                    .map(|&(x, y)| Circle::new((x, y), 3, colour.filled())),
            ),
        )?;
    }
    if s.y_err.is_some() {
        draw_error_bars(chart, plot, frame, s, colour)?;
    }
    if s.label.is_empty() {
        return Ok(false);
    }
    let anno = pe(
        name,
        chart.draw_series(std::iter::empty::<Circle<(f64, f64), i32>>()),
    )?;
    anno.label(s.label.as_str()).legend(move |(x, y)| {
        let line_style = if with_line {
            colour.stroke_width(2)
        } else {
            colour.mix(0.0).stroke_width(0)
        };
        let marker_r = if with_points { 3 } else { 0 };
        EmptyElement::at((x, y))
            + PathElement::new(vec![(0, 0), (20, 0)], line_style)
            + Circle::new((10, 0), marker_r, colour.filled())
    });
    Ok(true)
}

/// Vertical error bars with end caps, kept inside the axes.
fn draw_error_bars<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    plot: &XyPlot,
    frame: &Frame,
    s: &Series,
    colour: RGBColor,
) -> Result<(), Error>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let name = plot.title.as_str();
    let (y_lo, y_hi) = frame.y;
    let bars: Vec<(f64, f64, f64)> = s
        .triples()
        .filter(|&(x, y, e)| e > 0.0 && frame.drawable(x, y))
        .map(|(x, y, e)| {
            // Bar ends are kept inside the axes (on a log axis y - e may be <= 0).
            let lo = if plot.log_y && y - e <= 0.0 {
                y_lo
            } else {
                (y - e).max(y_lo)
            };
            (x, lo, (y + e).min(y_hi))
        })
        .collect();
    let stroke = colour.stroke_width(1);
    pe(
        name,
        chart.draw_series(
            bars.iter()
                .map(|&(x, lo, hi)| PathElement::new(vec![(x, lo), (x, hi)], stroke)),
        ),
    )?;
    let caps = bars.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]);
    pe(
        name,
        chart.draw_series(
            caps.map(|at| EmptyElement::at(at) + PathElement::new(vec![(-3, 0), (3, 0)], stroke)),
        ),
    )?;
    Ok(())
}

/// Dashed horizontal reference lines with their legend entries; whether any has a label.
fn draw_hlines<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    plot: &XyPlot,
    frame: &Frame,
) -> Result<bool, Error>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut any_label = false;
    let (x0, x1) = frame.x;
    for (i, line) in plot.hlines.iter().enumerate() {
        if !frame.drawable(x0, line.y) {
            continue;
        }
        let style: ShapeStyle = hline_colour(i).stroke_width(2);
        let anno = pe(
            plot.title.as_str(),
            chart.draw_series(DashedLineSeries::new(
                [(x0, line.y), (x1, line.y)],
                8,
                5,
                style,
            )),
        )?;
        if !line.label.is_empty() {
            any_label = true;
            anno.label(line.label.as_str()).legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(0, 0), (8, 0)], style)
                    + PathElement::new(vec![(12, 0), (20, 0)], style)
            });
        }
    }
    Ok(any_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_break_at_nan_and_non_positive_on_log() {
        let s = Series::line(
            "a",
            vec![1.0, 2.0, f64::NAN, 4.0, 5.0],
            vec![1.0, 2.0, 3.0, -1.0, 5.0],
        );
        let frame = |log_y| Frame {
            x: (0.0, 6.0),
            y: if log_y { (0.5, 6.0) } else { (-1.0, 6.0) },
            log_x: false,
            log_y,
        };
        let runs = drawable_runs(&s, &frame(false));
        assert_eq!(
            runs,
            vec![vec![(1.0, 1.0), (2.0, 2.0)], vec![(4.0, -1.0), (5.0, 5.0)]]
        );
        let runs = drawable_runs(&s, &frame(true));
        assert_eq!(runs, vec![vec![(1.0, 1.0), (2.0, 2.0)], vec![(5.0, 5.0)]]);
    }

    #[test]
    fn far_outliers_are_not_drawn() {
        let frame = Frame {
            x: (0.0, 10.0),
            y: (0.0, 10.0),
            log_x: false,
            log_y: false,
        };
        assert!(frame.drawable(5.0, 5.0));
        assert!(frame.drawable(-30.0, 45.0));
        assert!(!frame.drawable(1e6, 5.0));
        assert!(!frame.drawable(f64::MAX, 5.0));
    }

    #[test]
    fn legend_avoids_the_data() {
        let x: Vec<f64> = (0..20).map(f64::from).collect();
        let rising =
            XyPlot::new("t", "x", "y").with_series(Series::points("up", x.clone(), x.clone()));
        assert!(matches!(
            legend_corner(&rising),
            SeriesLabelPosition::UpperLeft
        ));
        let flat_low = XyPlot::new("t", "x", "y")
            .with_series(Series::points("low", x.clone(), vec![0.0; 20]))
            .with_hline(10.0, "limit");
        assert!(matches!(
            legend_corner(&flat_low),
            SeriesLabelPosition::UpperRight
        ));
        let falling = XyPlot::new("t", "x", "y").with_series(Series::points(
            "down",
            x.clone(),
            x.iter().map(|v| -v).collect(),
        ));
        assert!(matches!(
            legend_corner(&falling),
            SeriesLabelPosition::UpperRight
        ));
        assert!(matches!(
            legend_corner(&XyPlot::new("e", "x", "y")),
            SeriesLabelPosition::UpperRight
        ));
    }

    #[test]
    fn y_range_covers_error_bars_and_hlines() {
        let p = XyPlot::new("t", "x [s]", "y [ADU]")
            .with_series(
                Series::points("d", vec![0.0, 1.0], vec![1.0, 2.0]).with_y_err(vec![1.0, 1.0]),
            )
            .with_hline(10.0, "limit");
        let (lo, hi) = p.y_range();
        // Data span [0, 10] -> padded by 0.5.
        assert!(
            (lo + 0.5).abs() < 1e-12 && (hi - 10.5).abs() < 1e-12,
            "{lo} {hi}"
        );
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let p =
            XyPlot::new("t", "x", "y").with_series(Series::line("bad", vec![1.0, 2.0], vec![1.0]));
        assert!(matches!(
            p.render_png(100, 100),
            Err(Error::LengthMismatch {
                what: "y",
                got: 1,
                expected: 2,
                ..
            })
        ));
        let p = XyPlot::new("t", "x", "y")
            .with_series(Series::line("bad", vec![1.0], vec![1.0]).with_y_err(vec![]));
        assert!(matches!(
            p.validate(),
            Err(Error::LengthMismatch { what: "y_err", .. })
        ));
    }
}
