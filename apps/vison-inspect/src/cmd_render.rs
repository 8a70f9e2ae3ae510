//! `vison-inspect render`: the frame as a PNG in DS9 orientation (E top left, F top right,
//! H bottom left, G bottom right), colour limits by zscale over the image area.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use ndarray::{ArrayView1, s};
use ndarray_stats::QuantileExt;
use vison_ccd::zscale::ZScale;
use vison_ccd::{Frame, Quadrant, Section, image_area_values, read_frame, section_box_ccd};
use vison_report::{ImagePlot, Outline, ScaleLimits};

/// Arguments of `vison-inspect render`.
#[derive(clap::Args, Debug)]
pub(crate) struct RenderArgs {
    /// FITS frame.
    file: PathBuf,
    /// Output PNG file.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Picture width in pixels.
    #[arg(long, default_value_t = 1100)]
    width: u32,
    /// Picture height in pixels.
    #[arg(long, default_value_t = 1000)]
    height: u32,
    /// Colour limits: `zscale` (IRAF/astropy ZScaleInterval over the image-area pixels),
    /// `minmax` (image-area minimum and maximum) or `LO,HI` in ADU.
    #[arg(long, default_value = "zscale")]
    scale: String,
    /// zscale contrast.
    #[arg(long, default_value_t = 0.25)]
    contrast: f64,
    /// Four quadrant panels, each with its own limits over its image section, instead of the
    /// whole frame as one image.
    #[arg(long)]
    per_quadrant: bool,
    /// With --per-quadrant: one colour scale for the four panels.
    #[arg(long, requires = "per_quadrant")]
    shared_scale: bool,
}

/// How the colour limits are chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    Zscale,
    MinMax,
    Fixed(f64, f64),
}

fn parse_scale(s: &str) -> Result<Scale> {
    match s {
        "zscale" => Ok(Scale::Zscale),
        "minmax" => Ok(Scale::MinMax),
        _ => {
            let parts: Vec<&str> = s.split(',').collect();
            let [lo, hi] = parts.as_slice() else {
                bail!("--scale must be zscale, minmax or LO,HI, not {s:?}");
            };
            let lo: f64 = lo
                .trim()
                .parse()
                .with_context(|| format!("--scale {s:?}"))?;
            let hi: f64 = hi
                .trim()
                .parse()
                .with_context(|| format!("--scale {s:?}"))?;
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                bail!("--scale LO,HI needs finite LO < HI, not {s:?}");
            }
            Ok(Scale::Fixed(lo, hi))
        }
    }
}

/// Limits of `values` by `scale`; min/max skip NaN, and give `(0, 1)` when no value is finite or
/// one is infinite.
fn limits(values: &[f32], scale: Scale, contrast: f64) -> (f64, f64) {
    let (lo, hi) = match scale {
        Scale::Fixed(lo, hi) => (lo, hi),
        Scale::Zscale => ZScale {
            contrast,
            ..ZScale::default()
        }
        .limits(values)
        .unwrap_or((0.0, 1.0)),
        Scale::MinMax => {
            let v = ArrayView1::from(values);
            let (lo, hi) = (f64::from(*v.min_skipnan()), f64::from(*v.max_skipnan()));
            if lo.is_finite() && hi.is_finite() {
                (lo, hi)
            } else {
                (0.0, 1.0)
            }
        }
    };
    if lo < hi {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

/// Section outlines and quadrant labels in CCD pixels.
fn outlines(frame: &Frame) -> Vec<Outline> {
    let mut v = Vec::new();
    for q in Quadrant::ALL {
        for (sec, rgb) in [
            (Section::Prescan, (255, 255, 255)),
            (Section::Image, (255, 80, 80)),
            (Section::Overscan, (255, 255, 255)),
        ] {
            let b = section_box_ccd(&frame.geometry, q, sec);
            v.push(Outline {
                cols_px: (b.col0 as f64, b.col1 as f64),
                rows_px: (b.row0 as f64, b.row1 as f64),
                label: if sec == Section::Image {
                    format!("{q}  (readout {})", corner(q))
                } else {
                    String::new()
                },
                rgb,
            });
        }
    }
    v
}

fn title(a: &RenderArgs, frame: &Frame) -> String {
    let name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let obsid = frame
        .header
        .get("OBSID")
        .map(|v| v.to_text())
        .unwrap_or_default();
    format!("{name}  {}  OBSID {obsid}", frame.extname)
}

fn whole_frame(a: &RenderArgs, frame: &Frame, scale: Scale) -> ImagePlot {
    let lims = limits(&image_area_values(frame), scale, a.contrast);
    ImagePlot::new(
        title(a, frame),
        "x (CCD frame) [px]",
        "y (CCD frame) [px]",
        format!("signal [ADU], {} over the image area", a.scale),
    )
    .with_panel(
        "",
        frame.data.view(),
        ScaleLimits::Fixed {
            lo: lims.0,
            hi: lims.1,
        },
    )
    .with_outlines(outlines(frame))
}

fn per_quadrant(a: &RenderArgs, frame: &Frame, scale: Scale) -> ImagePlot {
    let g = frame.geometry;
    let mut plot = ImagePlot::new(
        title(a, frame),
        "column (quadrant box) [px]",
        "row (quadrant box) [px]",
        format!("signal [ADU], {}", a.scale),
    )
    .with_grid_cols(2)
    .with_shared_scale(a.shared_scale);
    // DS9 layout: E F on top, H G below; each quadrant as it sits in the CCD frame.
    for q in [Quadrant::E, Quadrant::F, Quadrant::H, Quadrant::G] {
        let b = g.quad_box_ccd(q);
        let view = frame.data.slice(s![b.row0..b.row1, b.col0..b.col1]);
        let img: Vec<f32> = frame.section(q, Section::Image).iter().copied().collect();
        let (lo, hi) = limits(&img, scale, a.contrast);
        plot = plot.with_panel(
            format!("{q}  (readout at {})", corner(q)),
            view,
            ScaleLimits::Fixed { lo, hi },
        );
    }
    plot
}

/// Runs `vison-inspect render`.
pub(crate) fn run(a: &RenderArgs) -> Result<()> {
    let scale = parse_scale(&a.scale)?;
    let frame = read_frame(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let plot = if a.per_quadrant {
        per_quadrant(a, &frame, scale)
    } else {
        whole_frame(a, &frame, scale)
    };
    let png = plot
        .render_png(a.width, a.height)
        .context("cannot render the picture")?;
    vison_stdx::write_atomic(&a.out, &png)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    Ok(())
}

fn corner(q: Quadrant) -> &'static str {
    match q {
        Quadrant::E => "top left",
        Quadrant::F => "top right",
        Quadrant::G => "bottom right",
        Quadrant::H => "bottom left",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_parsing_and_limits() {
        assert_eq!(parse_scale("zscale").unwrap(), Scale::Zscale);
        assert_eq!(parse_scale("minmax").unwrap(), Scale::MinMax);
        assert_eq!(parse_scale("10, 20.5").unwrap(), Scale::Fixed(10.0, 20.5));
        for bad in ["20,10", "a,b", "1,2,3", "zcale", "nan,1"] {
            assert!(parse_scale(bad).is_err(), "{bad}");
        }
        let v = [3.0f32, f32::NAN, -1.0, 7.5];
        assert_eq!(limits(&v, Scale::MinMax, 0.25), (-1.0, 7.5));
        assert_eq!(limits(&v, Scale::Fixed(0.0, 2.0), 0.25), (0.0, 2.0));
        assert_eq!(limits(&[5.0; 10], Scale::Zscale, 0.25), (4.5, 5.5));
        assert_eq!(limits(&[f32::NAN], Scale::MinMax, 0.25), (0.0, 1.0));
        assert_eq!(limits(&[], Scale::MinMax, 0.25), (0.0, 1.0));
        assert_eq!(limits(&[2.0, 2.0], Scale::MinMax, 0.25), (1.5, 2.5));
        assert_eq!(
            limits(&[1.0, f32::INFINITY], Scale::MinMax, 0.25),
            (0.0, 1.0)
        );
    }
}
