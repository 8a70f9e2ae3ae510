//! `vison-inspect profile`: a row or column profile of one quadrant section, as CSV.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use vison_ccd::coords::ccd_from_qcan;
use vison_ccd::ops::{ProfileAxis, Reducer, profile};
use vison_ccd::{Quadrant, Section, read_frame};

/// Arguments of `vison-inspect profile`.
#[derive(clap::Args, Debug)]
pub(crate) struct ProfileArgs {
    /// FITS frame.
    file: PathBuf,
    /// Quadrant: E, F, G or H.
    #[arg(long, value_parser = parse_quad)]
    quad: Quadrant,
    /// `rows`: one value per row (parallel profile); `cols`: one value per column (serial profile).
    #[arg(long, value_parser = ["rows", "cols"])]
    axis: String,
    /// Section: prescan, image, overscan or parallel_overscan.
    #[arg(long, default_value = "image", value_parser = parse_section)]
    section: Section,
    /// Statistic collapsing the other axis: mean, median or std.
    #[arg(long, default_value = "mean", value_parser = ["mean", "median", "std"])]
    stat: String,
    /// Output CSV file.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
}

fn parse_quad(s: &str) -> Result<Quadrant, String> {
    Quadrant::parse(s).ok_or_else(|| format!("'{s}' is not a quadrant (E, F, G or H)"))
}

fn parse_section(s: &str) -> Result<Section, String> {
    Section::parse(s).ok_or_else(|| {
        format!("'{s}' is not a section (prescan, image, overscan, parallel_overscan)")
    })
}

/// Runs `vison-inspect profile`.
pub(crate) fn run(a: &ProfileArgs) -> Result<()> {
    let frame = read_frame(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let g = frame.geometry;
    let b = g.section_box_qcan(a.section);
    if b.n_px() == 0 {
        return Err(anyhow!(
            "{}: section {} is empty in this frame",
            a.file.display(),
            a.section
        ));
    }
    let axis = if a.axis == "rows" {
        ProfileAxis::Rows
    } else {
        ProfileAxis::Cols
    };
    let red = match a.stat.as_str() {
        "median" => Reducer::Median,
        "std" => Reducer::Std,
        _ => Reducer::Mean,
    };
    let values = profile(frame.section(a.quad, a.section), axis, red);
    let mut csv = String::from("index_qcan,ccd_coord_px,value_adu\n");
    for (i, v) in values.iter().enumerate() {
        // Position of this row/column in the CCD frame (DS9 coordinates, 0-based).
        let (row, col) = match axis {
            ProfileAxis::Rows => (b.row0 + i, b.col0),
            ProfileAxis::Cols => (b.row0, b.col0 + i),
        };
        let ccd = ccd_from_qcan(&g, a.quad, (col as f64, row as f64));
        let coord = match (axis, ccd) {
            (ProfileAxis::Rows, Some(p)) => p.1,
            (ProfileAxis::Cols, Some(p)) => p.0,
            (_, None) => f64::NAN,
        };
        let _ = writeln!(csv, "{i},{coord},{v}");
    }
    vison_stdx::write_atomic(&a.out, csv.as_bytes())
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    Ok(())
}
