//! `vison-inspect render`: the frame as a PNG, four quadrants in DS9 orientation, zscale.

use std::path::PathBuf;

use anyhow::{Context, Result};
use ndarray::s;
use vison_ccd::{Quadrant, read_frame};
use vison_report::{ImagePlot, ScaleLimits};

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
    /// zscale contrast.
    #[arg(long, default_value_t = 0.25)]
    contrast: f64,
    /// One colour scale for the whole frame (default: one zscale per quadrant, which shows
    /// the structure inside quadrants whose offsets differ).
    #[arg(long)]
    shared_scale: bool,
}

/// Runs `vison-inspect render`.
pub(crate) fn run(a: &RenderArgs) -> Result<()> {
    let frame = read_frame(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let g = frame.geometry;
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
    let title = format!("{name}  {}  OBSID {obsid}", frame.extname);
    let mut plot = ImagePlot::new(
        title,
        "column (quadrant box) [px]",
        "row (quadrant box) [px]",
        "signal [ADU]",
    )
    .with_grid_cols(2)
    .with_shared_scale(a.shared_scale);
    // DS9 layout: E F on top, H G below; each quadrant as it sits in the CCD frame.
    for q in [Quadrant::E, Quadrant::F, Quadrant::H, Quadrant::G] {
        let b = g.quad_box_ccd(q);
        let view = frame.data.slice(s![b.row0..b.row1, b.col0..b.col1]);
        plot = plot.with_panel(
            format!("{q}  (readout at {})", corner(q)),
            view,
            ScaleLimits::ZScale {
                contrast: a.contrast,
            },
        );
    }
    let png = plot
        .render_png(a.width, a.height)
        .context("cannot render the picture")?;
    let tmp = a.out.with_extension("png.tmp");
    std::fs::write(&tmp, png).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
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
