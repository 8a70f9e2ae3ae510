//! Histograms of one or more data sets over common bins.

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::Error;
use crate::axis::{format_tick, padded_range};
use crate::font::FAMILY;
use crate::render::{Blit, Figure, pe, render_png, render_svg};
use crate::style::{label_px, series_colour, title_px};

/// One data set of a [`Histogram`].
#[derive(Debug, Clone, PartialEq)]
pub struct HistSeries {
    /// Legend label.
    pub label: String,
    /// Raw values (non-finite values and values outside the range are not counted).
    pub values: Vec<f64>,
}

/// A histogram: counts of each data set in `bins` equal bins, drawn as translucent bars with
/// a step outline.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Title drawn above the axes.
    pub title: String,
    /// X axis label with units, e.g. `"pixel value [ADU]"`.
    pub x_label: String,
    /// Y axis label, e.g. `"pixels per bin"`.
    pub y_label: String,
    /// Data sets, drawn in order over the same bins.
    pub datasets: Vec<HistSeries>,
    /// Number of bins (at least 1).
    pub bins: usize,
    /// Binning range; `None` spans all finite values.
    pub range: Option<(f64, f64)>,
    /// Logarithmic count axis (empty bins are not drawn).
    pub log_y: bool,
}

impl Histogram {
    /// An empty histogram with 50 bins over the data range.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            datasets: Vec::new(),
            bins: 50,
            range: None,
            log_y: false,
        }
    }

    /// Adds a data set.
    #[must_use]
    pub fn with_data(mut self, label: impl Into<String>, values: Vec<f64>) -> Self {
        self.datasets.push(HistSeries {
            label: label.into(),
            values,
        });
        self
    }

    /// Sets the number of bins.
    #[must_use]
    pub fn with_bins(mut self, bins: usize) -> Self {
        self.bins = bins;
        self
    }

    /// Sets a fixed binning range `[lo, hi]`.
    #[must_use]
    pub fn with_range(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some((lo, hi));
        self
    }

    /// Sets a logarithmic count axis.
    #[must_use]
    pub fn with_log_y(mut self, log_y: bool) -> Self {
        self.log_y = log_y;
        self
    }

    /// The `bins + 1` bin edges.
    pub fn edges(&self) -> Result<Vec<f64>, Error> {
        if self.bins == 0 || self.bins > 100_000 {
            return Err(Error::InvalidParameter {
                name: "bins",
                reason: format!("{} is outside 1..=100000", self.bins),
            });
        }
        let (lo, hi) = match self.range {
            Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => (lo, hi),
            Some((lo, hi)) => {
                return Err(Error::InvalidParameter {
                    name: "range",
                    reason: format!("[{lo}, {hi}] is not a finite increasing interval"),
                });
            }
            None => self.data_range(),
        };
        let width = (hi - lo) / self.bins as f64;
        if !(width.is_finite() && width > 0.0) {
            return Err(Error::InvalidParameter {
                name: "range",
                reason: format!("bin width over [{lo}, {hi}] is not finite; set a narrower range"),
            });
        }
        Ok((0..=self.bins).map(|i| lo + width * i as f64).collect())
    }

    /// Finite min and max over all data sets (`(0, 1)` without data, `v +/- 0.5` if constant).
    fn data_range(&self) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in self
            .datasets
            .iter()
            .flat_map(|d| &d.values)
            .filter(|v| v.is_finite())
        {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
        if !lo.is_finite() {
            (0.0, 1.0)
        } else if lo == hi {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo, hi)
        }
    }

    /// Counts per bin for each data set; the last bin includes its upper edge.
    pub fn counts(&self) -> Result<Vec<Vec<u64>>, Error> {
        let edges = self.edges()?;
        let (lo, hi) = (edges[0], edges[self.bins]);
        let scale = self.bins as f64 / (hi - lo);
        Ok(self
            .datasets
            .iter()
            .map(|d| {
                let mut c = vec![0u64; self.bins];
                for &v in &d.values {
                    if v.is_finite() && v >= lo && v <= hi {
                        let i = (((v - lo) * scale) as usize).min(self.bins - 1);
                        c[i] += 1;
                    }
                }
                c
            })
            .collect())
    }

    /// Renders the histogram as an RGB PNG of `width_px` x `height_px`.
    pub fn render_png(&self, width_px: u32, height_px: u32) -> Result<Vec<u8>, Error> {
        render_png(self, width_px, height_px)
    }

    /// Renders the histogram as a standalone SVG document of `width_px` x `height_px`.
    pub fn render_svg(&self, width_px: u32, height_px: u32) -> Result<String, Error> {
        render_svg(self, width_px, height_px)
    }
}

impl Figure for Histogram {
    fn figure_name(&self) -> &str {
        &self.title
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        _blits: &mut Vec<Blit>,
    ) -> Result<(), Error> {
        let name = self.title.as_str();
        let edges = self.edges()?;
        let counts = self.counts()?;
        pe(name, area.fill(&WHITE))?;
        let (_, h) = area.dim_in_pixel();
        let max_count = counts.iter().flatten().copied().max().unwrap_or(0) as f64;
        let (x0, x1) = (edges[0], edges[self.bins]);
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(10)
            .caption(&self.title, (FAMILY, title_px(h)))
            .x_label_area_size(label_px(h) * 3)
            .y_label_area_size(label_px(h) * 5);
        if self.log_y {
            let (_, y1) = padded_range([1.0, max_count.max(1.0)], true);
            let mut chart = pe(
                name,
                builder.build_cartesian_2d(x0..x1, (0.5..y1).log_scale()),
            )?;
            fill_hist(&mut chart, self, &edges, &counts, h, 0.5)
        } else {
            let y1 = if max_count > 0.0 {
                max_count * 1.08
            } else {
                1.0
            };
            let mut chart = pe(name, builder.build_cartesian_2d(x0..x1, 0.0..y1))?;
            fill_hist(&mut chart, self, &edges, &counts, h, 0.0)
        }
    }
}

fn tick_label(v: &f64) -> String {
    format_tick(*v)
}

fn fill_hist<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    hist: &Histogram,
    edges: &[f64],
    counts: &[Vec<u64>],
    h: u32,
    floor: f64,
) -> Result<(), Error>
where
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let name = hist.title.as_str();
    let font = label_px(h);
    pe(
        name,
        chart
            .configure_mesh()
            .x_desc(hist.x_label.as_str())
            .y_desc(hist.y_label.as_str())
            .x_label_formatter(&tick_label)
            .y_label_formatter(&tick_label)
            .label_style((FAMILY, font))
            .axis_desc_style((FAMILY, font))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(200, 200, 200))
            .draw(),
    )?;
    let mut any_label = false;
    for (i, (d, c)) in hist.datasets.iter().zip(counts).enumerate() {
        let colour = series_colour(i);
        let bars = c.iter().enumerate().filter(|(_, n)| **n > 0).map(|(b, n)| {
            Rectangle::new(
                [(edges[b], floor), (edges[b + 1], *n as f64)],
                colour.mix(0.3).filled(),
            )
        });
        pe(name, chart.draw_series(bars))?;
        let mut outline = Vec::with_capacity(2 * c.len() + 2);
        outline.push((edges[0], floor));
        for (b, n) in c.iter().enumerate() {
            let top = if *n > 0 { *n as f64 } else { floor };
            outline.push((edges[b], top));
            outline.push((edges[b + 1], top));
        }
        outline.push((edges[c.len()], floor));
        let anno = pe(
            name,
            chart.draw_series(LineSeries::new(outline, colour.stroke_width(2))),
        )?;
        if !d.label.is_empty() {
            any_label = true;
            anno.label(d.label.as_str()).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], colour.mix(0.5).filled())
            });
        }
    }
    if any_label {
        pe(
            name,
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font((FAMILY, font))
                .draw(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_hand_computed_bins() {
        let h = Histogram::new("h", "v [ADU]", "count")
            .with_data("a", vec![0.0, 0.5, 1.0, 1.5, 2.0, f64::NAN, 7.0])
            .with_bins(4)
            .with_range(0.0, 2.0);
        assert_eq!(h.edges().unwrap(), vec![0.0, 0.5, 1.0, 1.5, 2.0]);
        // 2.0 is the upper edge (last bin); 7.0 is outside; NaN is ignored.
        assert_eq!(h.counts().unwrap(), vec![vec![1, 1, 1, 2]]);
    }

    #[test]
    fn automatic_range_and_bad_parameters() {
        let h = Histogram::new("h", "x", "n")
            .with_data("c", vec![3.0; 5])
            .with_bins(2);
        assert_eq!(h.edges().unwrap(), vec![2.5, 3.0, 3.5]);
        assert_eq!(h.counts().unwrap(), vec![vec![0, 5]]);
        assert!(h.clone().with_bins(0).counts().is_err());
        assert!(h.clone().with_range(1.0, 1.0).edges().is_err());
        assert!(Histogram::new("e", "x", "n").render_png(200, 150).is_ok());
        assert!(h.with_log_y(true).render_svg(200, 150).is_ok());
        let wide = Histogram::new("w", "x", "n").with_data("d", vec![-f64::MAX, f64::MAX]);
        assert!(matches!(
            wide.edges(),
            Err(Error::InvalidParameter { name: "range", .. })
        ));
        assert!(wide.render_png(200, 150).is_err());
    }
}
