//! Image maps with a colour bar, alone or as a grid of panels (e.g. 3 CCDs x 4 quadrants).

use ndarray::{Array2, ArrayView2};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::Error;
use crate::axis::format_tick;
use crate::colormap::viridis;
use crate::font::FAMILY;
use crate::limits::ScaleLimits;
use crate::render::{Blit, BlitText, Figure, pe, render_png, render_svg};
use crate::style::{label_px, title_px};

/// Longest side kept for a panel after block averaging (the display never needs more).
const MAX_SIDE_PX: usize = 512;

/// One panel of an [`ImagePlot`]: a block-averaged copy of the data and its colour limits.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePanel {
    /// Panel title, e.g. `"CCD1 E"`.
    pub title: String,
    /// Block-averaged data (at most 512 px per side), row 0 drawn at the bottom.
    pub data: Array2<f32>,
    /// Shape `(rows, cols)` of the original data; the axes are in original pixels.
    pub full_shape: (usize, usize),
    /// Colour limits `(lo, hi)` computed on the original data, `lo < hi`.
    pub limits: (f64, f64),
    /// Labelled rectangles drawn over the image (e.g. quadrant sections).
    pub outlines: Vec<Outline>,
}

/// A rectangle drawn over an image panel, in original data pixels, with an optional label
/// written inside its top-left corner.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// Columns `[x0, x1)` in data pixels.
    pub cols_px: (f64, f64),
    /// Rows `[y0, y1)` in data pixels (row 0 at the bottom).
    pub rows_px: (f64, f64),
    /// Text written inside the top-left corner (empty: none).
    pub label: String,
    /// Line colour as RGB.
    pub rgb: (u8, u8, u8),
}

impl ImagePanel {
    /// Builds a panel from full-resolution data; limits are computed on the full data.
    pub fn new(title: impl Into<String>, data: ArrayView2<'_, f32>, limits: ScaleLimits) -> Self {
        Self {
            title: title.into(),
            limits: limits.compute(data),
            full_shape: data.dim(),
            data: block_mean(data, MAX_SIDE_PX),
            outlines: Vec::new(),
        }
    }
}

/// An image map figure: one or more panels in a grid, with colour bars.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePlot {
    /// Figure title.
    pub title: String,
    /// X axis label of each panel, e.g. `"column [px]"`.
    pub x_label: String,
    /// Y axis label of each panel, e.g. `"row [px]"`.
    pub y_label: String,
    /// Colour bar label with units, e.g. `"bias [ADU]"`.
    pub colorbar_label: String,
    /// Panels in row-major grid order (first row at the top).
    pub panels: Vec<ImagePanel>,
    /// Number of grid columns (at least 1).
    pub grid_cols: usize,
    /// One colour bar for all panels (limits: lowest `lo`, highest `hi`) instead of one each.
    pub shared_scale: bool,
}

impl ImagePlot {
    /// An empty figure (add panels with [`ImagePlot::with_panel`]).
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        colorbar_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            colorbar_label: colorbar_label.into(),
            panels: Vec::new(),
            grid_cols: 1,
            shared_scale: false,
        }
    }

    /// Adds a panel built from full-resolution data.
    #[must_use]
    pub fn with_panel(
        mut self,
        title: impl Into<String>,
        data: ArrayView2<'_, f32>,
        limits: ScaleLimits,
    ) -> Self {
        self.panels.push(ImagePanel::new(title, data, limits));
        self
    }

    /// Adds outlines to the last panel added (no effect without panels).
    #[must_use]
    pub fn with_outlines(mut self, outlines: Vec<Outline>) -> Self {
        if let Some(p) = self.panels.last_mut() {
            p.outlines.extend(outlines);
        }
        self
    }

    /// Sets the number of grid columns (e.g. 4 for quadrants E, F, G, H per CCD row).
    #[must_use]
    pub fn with_grid_cols(mut self, grid_cols: usize) -> Self {
        self.grid_cols = grid_cols;
        self
    }

    /// Uses one shared colour bar.
    #[must_use]
    pub fn with_shared_scale(mut self, shared: bool) -> Self {
        self.shared_scale = shared;
        self
    }

    /// Colour limits used for the shared colour bar (lowest `lo`, highest `hi`; `(0, 1)` if empty).
    pub fn shared_limits(&self) -> (f64, f64) {
        let lo = self
            .panels
            .iter()
            .map(|p| p.limits.0)
            .fold(f64::INFINITY, f64::min);
        let hi = self
            .panels
            .iter()
            .map(|p| p.limits.1)
            .fold(f64::NEG_INFINITY, f64::max);
        if lo.is_finite() && hi.is_finite() && lo < hi {
            (lo, hi)
        } else {
            (0.0, 1.0)
        }
    }

    /// Renders the figure as an RGB PNG of `width_px` x `height_px`.
    pub fn render_png(&self, width_px: u32, height_px: u32) -> Result<Vec<u8>, Error> {
        render_png(self, width_px, height_px)
    }

    /// Renders the figure as a standalone SVG (panels embedded as PNG images).
    pub fn render_svg(&self, width_px: u32, height_px: u32) -> Result<String, Error> {
        render_svg(self, width_px, height_px)
    }
}

impl Figure for ImagePlot {
    fn figure_name(&self) -> &str {
        &self.title
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        blits: &mut Vec<Blit>,
    ) -> Result<(), Error> {
        let name = self.title.as_str();
        if self.grid_cols == 0 {
            return Err(Error::InvalidParameter {
                name: "grid_cols",
                reason: "must be at least 1".to_owned(),
            });
        }
        pe(name, area.fill(&WHITE))?;
        let (w, h) = area.dim_in_pixel();
        let body = if self.title.is_empty() {
            area.clone()
        } else {
            pe(name, area.titled(&self.title, (FAMILY, title_px(h))))?
        };
        let n = self.panels.len().max(1);
        let cols = self.grid_cols.min(n);
        let rows = n.div_ceil(cols);
        // Text scales with the panel size, not the figure, so grids keep room for the images.
        let (body_w, body_h) = body.dim_in_pixel();
        let cell_px = (body_w / cols as u32).min(body_h / rows as u32);
        let font = label_px(cell_px * 5 / 3);
        let (glo, ghi) = self.shared_limits();
        let widest = self
            .panels
            .iter()
            .map(|p| tick_area_px(p.limits.0, p.limits.1, font))
            .chain([tick_area_px(glo, ghi, font)])
            .max()
            .unwrap_or(font * 5);
        let cbar_w = widest + font + 12;
        let (panels_area, shared_bar) = if self.shared_scale && w > 2 * cbar_w {
            let (body_w, _) = body.dim_in_pixel();
            let (l, r) = body.split_horizontally(body_w.saturating_sub(cbar_w));
            (l, Some(r))
        } else {
            (body, None)
        };
        let cells = panels_area.split_evenly((rows, cols));
        let shared = self.shared_limits();
        for (i, (panel, cell)) in self.panels.iter().zip(&cells).enumerate() {
            // Axis descriptions on the outer panels only: left column and bottom row.
            let descs = (i + cols >= self.panels.len(), i % cols == 0);
            let limits = if self.shared_scale {
                shared
            } else {
                panel.limits
            };
            let (cell_img, bar) = if self.shared_scale {
                (cell.clone(), None)
            } else {
                let (cw, _) = cell.dim_in_pixel();
                let (l, r) = cell.split_horizontally(cw.saturating_sub(cbar_w));
                (l, Some(r))
            };
            let image_rows_px = draw_panel(self, panel, &cell_img, limits, font, descs, blits)?;
            if let Some(bar) = bar {
                let bar_style = BarStyle {
                    label: &self.colorbar_label,
                    font,
                    align_px: Some(image_rows_px),
                };
                draw_colour_bar(name, &bar, limits, &bar_style, blits)?;
            }
        }
        if let Some(bar) = shared_bar {
            let bar_style = BarStyle {
                label: &self.colorbar_label,
                font,
                align_px: None,
            };
            draw_colour_bar(name, &bar, shared, &bar_style, blits)?;
        }
        Ok(())
    }
}

/// Width of a colour-bar label area: widest tick label plus room for the rotated description.
fn tick_area_px(lo: f64, hi: f64, font: u32) -> u32 {
    let chars = [lo, hi, (lo + hi) / 2.0, hi - (hi - lo) / 10.0]
        .iter()
        .map(|v| format_tick(*v).chars().count())
        .max()
        .unwrap_or(4)
        .max(3) as u32;
    chars * font.saturating_sub(2) * 3 / 5 + font + 8
}

fn int_tick(v: &f64) -> String {
    format!("{v:.0}")
}

fn tick(v: &f64) -> String {
    format_tick(*v)
}

fn draw_panel<DB: DrawingBackend>(
    fig: &ImagePlot,
    panel: &ImagePanel,
    area: &DrawingArea<DB, Shift>,
    (lo, hi): (f64, f64),
    font: u32,
    (show_x_desc, show_y_desc): (bool, bool),
    blits: &mut Vec<Blit>,
) -> Result<(i32, i32), Error> {
    let name = fig.title.as_str();
    let (rows_full, cols_full) = panel.full_shape;
    let margin = PANEL_MARGIN_PX;
    let (x_area, y_area) = label_areas_px(font);
    let (extra_w, extra_h) = square_pixel_padding(area.dim_in_pixel(), panel.full_shape, font);
    let mut chart = pe(
        name,
        ChartBuilder::on(area)
            .caption(&panel.title, (FAMILY, font + 2))
            .margin_left(margin + extra_w)
            .margin_right(margin + extra_w)
            .margin_top(margin + extra_h)
            .margin_bottom(margin + extra_h)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area)
            .build_cartesian_2d(0.0..cols_full.max(1) as f64, 0.0..rows_full.max(1) as f64),
    )?;
    pe(
        name,
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(4)
            .y_labels(4)
            .x_desc(if show_x_desc {
                fig.x_label.as_str()
            } else {
                ""
            })
            .y_desc(if show_y_desc {
                fig.y_label.as_str()
            } else {
                ""
            })
            .x_label_formatter(&int_tick)
            .y_label_formatter(&int_tick)
            .label_style((FAMILY, font - 2))
            .axis_desc_style((FAMILY, font - 1))
            .draw(),
    )?;
    let y_px = chart.plotting_area().get_pixel_range().1;
    let y_px = (y_px.start, y_px.end);
    let (dr, dc) = panel.data.dim();
    let (bw, bh) = chart.plotting_area().dim_in_pixel();
    if dr == 0 || dc == 0 || bw == 0 || bh == 0 {
        return Ok(y_px);
    }
    let mut rgb = colour_pixels(panel, (lo, hi), (bw, bh));
    let base = chart.plotting_area().get_base_pixel();
    let texts = burn_outlines(panel, &mut rgb, (bw, bh), base, font);
    blits.push(Blit {
        pos_px: base,
        size_px: (bw, bh),
        rgb,
        texts,
    });
    Ok(y_px)
}

/// Margin around each panel, px.
const PANEL_MARGIN_PX: u32 = 6;

/// Heights of the x-label area and widths of the y-label area of a panel, px.
fn label_areas_px(font: u32) -> (u32, u32) {
    (font * 3, font * 4)
}

/// Extra horizontal and vertical margins (px) that give the plotting box of an `(aw, ah)`
/// panel the aspect ratio of the `full_shape` data, so that pixels stay square.
fn square_pixel_padding(
    (aw, ah): (u32, u32),
    (rows_full, cols_full): (usize, usize),
    font: u32,
) -> (u32, u32) {
    let margin = PANEL_MARGIN_PX;
    let (x_area, y_area) = label_areas_px(font);
    let caption_h = font + 12;
    let avail_w = f64::from(aw.saturating_sub(y_area + 2 * margin).max(1));
    let avail_h = f64::from(ah.saturating_sub(x_area + caption_h + 2 * margin).max(1));
    let aspect = if rows_full > 0 && cols_full > 0 {
        cols_full as f64 / rows_full as f64
    } else {
        1.0
    };
    if avail_w > avail_h * aspect {
        (((avail_w - avail_h * aspect) / 2.0) as u32, 0)
    } else {
        (0, ((avail_h - avail_w / aspect) / 2.0) as u32)
    }
}

/// The panel's data resampled to a `(bw, bh)` box (row 0 at the bottom) in viridis over
/// `[lo, hi]`, as RGB bytes; the data must not be empty.
fn colour_pixels(panel: &ImagePanel, (lo, hi): (f64, f64), (bw, bh): (u32, u32)) -> Vec<u8> {
    let (dr, dc) = panel.data.dim();
    let span = hi - lo;
    let mut rgb = Vec::with_capacity(bw as usize * bh as usize * 3);
    for py in 0..bh as usize {
        let r = dr - 1 - (py * dr / bh as usize).min(dr - 1);
        for px in 0..bw as usize {
            let c = (px * dc / bw as usize).min(dc - 1);
            let v = f64::from(panel.data[[r, c]]);
            rgb.extend_from_slice(&viridis((v - lo) / span));
        }
    }
    rgb
}

/// Draws the panel's outlines into its bitmap `rgb` (`size` pixels, placed at `base`) and
/// returns their labels as texts to write over it.
fn burn_outlines(
    panel: &ImagePanel,
    rgb: &mut [u8],
    (bw, bh): (u32, u32),
    base: (i32, i32),
    font: u32,
) -> Vec<BlitText> {
    let (rows_full, cols_full) = panel.full_shape;
    if rows_full == 0 || cols_full == 0 || bw == 0 || bh == 0 {
        return Vec::new();
    }
    let (w, h) = (i64::from(bw), i64::from(bh));
    let px = |x: f64| ((x / cols_full as f64 * w as f64).round() as i64).clamp(0, w - 1);
    let py = |y: f64| ((h as f64 - y / rows_full as f64 * h as f64).round() as i64).clamp(0, h - 1);
    let mut put = |x: i64, y: i64, c: (u8, u8, u8)| {
        let k = ((y * w + x) * 3) as usize;
        if let Some(p) = rgb.get_mut(k..k + 3) {
            p.copy_from_slice(&[c.0, c.1, c.2]);
        }
    };
    let mut texts = Vec::new();
    for o in &panel.outlines {
        let (x0, x1) = (px(o.cols_px.0), px(o.cols_px.1).max(px(o.cols_px.0)));
        let (y1, y0) = (py(o.rows_px.0), py(o.rows_px.1));
        for x in x0..=x1 {
            put(x, y0, o.rgb);
            put(x, y1, o.rgb);
        }
        for y in y0..=y1 {
            put(x0, y, o.rgb);
            put(x1, y, o.rgb);
        }
        if !o.label.is_empty() {
            texts.push(BlitText {
                text: o.label.clone(),
                pos_px: (base.0 + x0 as i32 + 4, base.1 + y0 as i32 + 3),
                size_px: font + 2,
                rgb: o.rgb,
            });
        }
    }
    texts
}

/// Text and placement of a colour bar.
struct BarStyle<'a> {
    /// Description with units.
    label: &'a str,
    /// Text size in pixels.
    font: u32,
    /// Absolute pixel rows `[top, bottom)` of the image to line up with (`None`: centred).
    align_px: Option<(i32, i32)>,
}

fn draw_colour_bar<DB: DrawingBackend>(
    name: &str,
    area: &DrawingArea<DB, Shift>,
    (lo, hi): (f64, f64),
    style: &BarStyle<'_>,
    blits: &mut Vec<Blit>,
) -> Result<(), Error> {
    let (label, font) = (style.label, style.font);
    let (_, ah) = area.dim_in_pixel();
    let top_px = area.get_base_pixel().1;
    let (margin_top, margin_bottom) = match style.align_px {
        Some((t, b)) if t >= top_px && b > t && b <= top_px + ah as i32 => {
            ((t - top_px) as u32, (top_px + ah as i32 - b) as u32)
        }
        _ => {
            let m = (ah / 8).max(font + 12);
            (m, m)
        }
    };
    let mut chart = pe(
        name,
        ChartBuilder::on(area)
            .margin_top(margin_top)
            .margin_bottom(margin_bottom)
            .margin_left(4)
            .margin_right(4)
            .set_label_area_size(LabelAreaPosition::Right, tick_area_px(lo, hi, font))
            .build_cartesian_2d(0.0..1.0, lo..hi),
    )?;
    pe(
        name,
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .y_desc(label)
            .y_label_formatter(&tick)
            .label_style((FAMILY, font - 2))
            .axis_desc_style((FAMILY, font - 1))
            .draw(),
    )?;
    let (bw, bh) = chart.plotting_area().dim_in_pixel();
    if bw == 0 || bh < 2 {
        return Ok(());
    }
    let mut rgb = Vec::with_capacity(bw as usize * bh as usize * 3);
    for py in 0..bh {
        let c = viridis(1.0 - f64::from(py) / f64::from(bh - 1));
        for _ in 0..bw {
            rgb.extend_from_slice(&c);
        }
    }
    blits.push(Blit {
        pos_px: chart.plotting_area().get_base_pixel(),
        size_px: (bw, bh),
        rgb,
        texts: Vec::new(),
    });
    Ok(())
}

/// Block mean over `f x f` blocks (NaN-aware), `f` chosen so no side exceeds `max_side`.
pub(crate) fn block_mean(data: ArrayView2<'_, f32>, max_side: usize) -> Array2<f32> {
    let (r, c) = data.dim();
    let f = r.max(c).div_ceil(max_side.max(1)).max(1);
    if f == 1 {
        return data.to_owned();
    }
    let (nr, nc) = (r.div_ceil(f), c.div_ceil(f));
    let mut sum = Array2::<f64>::zeros((nr, nc));
    let mut cnt = Array2::<u32>::zeros((nr, nc));
    for ((i, j), &v) in data.indexed_iter() {
        if v.is_finite() {
            sum[[i / f, j / f]] += f64::from(v);
            cnt[[i / f, j / f]] += 1;
        }
    }
    Array2::from_shape_fn((nr, nc), |ij| {
        if cnt[ij] > 0 {
            (sum[ij] / f64::from(cnt[ij])) as f32
        } else {
            f32::NAN
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_mean_averages_and_skips_nan() {
        let a = Array2::from_shape_vec(
            (2, 4),
            vec![1.0, 3.0, f32::NAN, f32::NAN, 5.0, 7.0, f32::NAN, 2.0],
        )
        .unwrap();
        let b = block_mean(a.view(), 2);
        assert_eq!(b.dim(), (1, 2));
        assert_eq!(b[[0, 0]], 4.0);
        assert_eq!(b[[0, 1]], 2.0);
        let small = block_mean(a.view(), 10);
        assert_eq!(small.dim(), (2, 4));
    }

    #[test]
    fn panel_keeps_full_shape_and_limits() {
        let a = Array2::from_shape_fn((1030, 20), |(r, _)| r as f32);
        let p = ImagePanel::new(
            "ramp",
            a.view(),
            ScaleLimits::Fixed {
                lo: 0.0,
                hi: 1029.0,
            },
        );
        assert_eq!(p.full_shape, (1030, 20));
        // Factor ceil(1030 / 512) = 3: ceil(1030 / 3) x ceil(20 / 3).
        assert_eq!(p.data.dim(), (344, 7));
        assert_eq!(p.limits, (0.0, 1029.0));
    }

    #[test]
    fn degenerate_panels_render() {
        let empty = Array2::<f32>::zeros((0, 0));
        let nan = Array2::from_elem((3, 3), f32::NAN);
        let one = Array2::from_elem((1, 1), 5.0f32);
        let extreme =
            Array2::from_shape_vec((2, 2), vec![f32::MAX, -f32::MAX, f32::INFINITY, f32::NAN])
                .unwrap();
        let plot = ImagePlot::new("odd", "col [px]", "row [px]", "v [ADU]")
            .with_panel("empty", empty.view(), ScaleLimits::default())
            .with_panel("nan", nan.view(), ScaleLimits::default())
            .with_panel("one", one.view(), ScaleLimits::default())
            .with_panel("extreme", extreme.view(), ScaleLimits::default())
            .with_panel(
                "extreme pct",
                extreme.view(),
                ScaleLimits::Percentile {
                    lo_pct: 0.0,
                    hi_pct: 100.0,
                },
            )
            .with_grid_cols(2);
        assert!(plot.render_png(400, 300).is_ok());
        assert!(
            plot.clone()
                .with_shared_scale(true)
                .render_svg(400, 300)
                .is_ok()
        );
        assert!(plot.with_grid_cols(0).render_png(400, 300).is_err());
        assert!(
            ImagePlot::new("none", "x", "y", "z")
                .render_png(200, 200)
                .is_ok()
        );
    }
}
