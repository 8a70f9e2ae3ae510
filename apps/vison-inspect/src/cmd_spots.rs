//! `vison-inspect spots`: finds and measures the OGSE spots of frames with vison-point (the code
//! the point-source tasks use): nominal positions from the chamber's pattern, one shift per CCD
//! found against the image, then photometry, Gaussian fit and adaptive moments per spot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use serde::Serialize;
use vison_ccd::{Frame, read_frame};
use vison_ogse::OgseProfile;
use vison_point::locate::CcdShift;
use vison_point::{FrameSpot, SpotConfig, measure_frame_spots, nominal_spots};

use crate::output;

/// Arguments of `vison-inspect spots`.
#[derive(clap::Args, Debug)]
pub(crate) struct SpotsArgs {
    /// FITS frames (one CCD each, EXTNAME or file name ending in `CCD<n>`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Chamber profile: a built-in name (B_CBE_MAR19, DEFAULT) or a profile JSON file.
    #[arg(long, default_value = vison_ogse::DEFAULT_CHAMBER)]
    chamber: String,
    /// CCD number (1..3) when the file does not say.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    ccd: Option<u8>,
    /// Search radius of the common spot shift (px).
    #[arg(long, default_value_t = 12)]
    search_px: usize,
    /// One JSON array on stdout, one object per spot.
    #[arg(long)]
    json: bool,
}

/// One output row (the `--json` object): the spot's figures (vison-point's row) with the file,
/// the nominal position, the frame's shift and the measurement's flags.
#[derive(Debug, Serialize)]
struct SpotRow {
    file: String,
    #[serde(flatten)]
    figures: vison_point::SpotRow,
    x_nominal_ccd_px: f64,
    y_nominal_ccd_px: f64,
    shift_x_px: f64,
    shift_y_px: f64,
    flags: Vec<String>,
}

/// CCD number from the EXTNAME, else the file name (`..._CCD2.fits`).
fn ccd_of(frame: &Frame, path: &Path) -> Option<u8> {
    let from = |s: &str| -> Option<u8> {
        let i = s.rfind("CCD")?;
        let n: u8 = s[i + 3..].chars().next()?.to_digit(10)?.try_into().ok()?;
        (1..=3).contains(&n).then_some(n)
    };
    from(&frame.extname).or_else(|| from(&path.file_stem()?.to_string_lossy()))
}

/// The output row of spot `s` of CCD `ccd` in `file`.
fn row(file: &str, ccd: u8, s: &FrameSpot, shift: &CcdShift) -> SpotRow {
    SpotRow {
        file: file.to_string(),
        figures: vison_point::SpotRow::new(ccd, s),
        x_nominal_ccd_px: s.x_nominal_ccd_px,
        y_nominal_ccd_px: s.y_nominal_ccd_px,
        shift_x_px: shift.dx_px,
        shift_y_px: shift.dy_px,
        flags: match &s.result {
            Ok(m) => m.flags.clone(),
            Err(e) => vec![e.clone()],
        },
    }
}

/// Measures the spots of one frame.
fn spots_of_file(path: &Path, args: &SpotsArgs, profile: &OgseProfile) -> Result<Vec<SpotRow>> {
    let frame = read_frame(path)?;
    let ccd = args.ccd.or_else(|| ccd_of(&frame, path)).ok_or_else(|| {
        anyhow!(
            "cannot tell the CCD (EXTNAME `{}`): use --ccd",
            frame.extname
        )
    })?;
    let nominal = nominal_spots(&profile.pattern(ccd));
    let found = measure_frame_spots(&frame, &nominal, args.search_px, &SpotConfig::default())
        .context("locating the spots")?;
    let file = path.display().to_string();
    Ok(found
        .spots
        .iter()
        .map(|s| row(&file, ccd, s, &found.shift))
        .collect())
}

fn fmt(v: f64, prec: usize) -> String {
    if v.is_finite() {
        format!("{v:.prec$}")
    } else {
        "-".into()
    }
}

fn print_table(rows: &[SpotRow]) {
    output::line(&format!(
        "{:<40} {:>3} {:>1} {:<7} {:>9} {:>9} {:>11} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>7} {:>7} {:>4}",
        "file",
        "ccd",
        "Q",
        "spot",
        "x_ccd",
        "y_ccd",
        "flux_adu",
        "err",
        "bgd",
        "peak",
        "fwhm_x",
        "fwhm_y",
        "sigma",
        "e1",
        "e2",
        "conv"
    ));
    for r in rows {
        let f = &r.figures;
        let file = Path::new(&r.file)
            .file_name()
            .map_or_else(|| r.file.clone(), |n| n.to_string_lossy().into_owned());
        output::line(&format!(
            "{:<40} {:>3} {:>1} {:<7} {:>9} {:>9} {:>11} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>7} {:>7} {:>4}",
            file,
            f.ccd,
            f.quadrant,
            f.spot,
            fmt(f.x_ccd_px, 3),
            fmt(f.y_ccd_px, 3),
            fmt(f.flux_adu, 1),
            fmt(f.flux_err_adu, 1),
            fmt(f.bgd_adu, 1),
            fmt(f.peak_adu, 1),
            fmt(f.fwhm_x_px, 3),
            fmt(f.fwhm_y_px, 3),
            fmt(f.sigma_px, 3),
            fmt(f.e1, 4),
            fmt(f.e2, 4),
            if f.converged { "yes" } else { "no" },
        ));
    }
}

/// Runs the command: 0 ok, 1 usage (unknown chamber), 2 bad input file.
pub(crate) fn run(args: &SpotsArgs) -> ExitCode {
    let profile = match OgseProfile::load(&args.chamber) {
        Ok(p) => p,
        Err(e) => {
            output::error(&anyhow!(e).context(format!("--chamber {}", args.chamber)));
            return ExitCode::from(1);
        }
    };
    let mut rows = Vec::new();
    for path in &args.files {
        match spots_of_file(path, args, &profile) {
            Ok(r) => rows.extend(r),
            Err(e) => {
                output::error(&e.context(path.display().to_string()));
                return ExitCode::from(2);
            }
        }
    }
    if args.json {
        match serde_json::to_string_pretty(&rows) {
            Ok(s) => output::line(&s),
            Err(e) => {
                output::error(&anyhow!(e));
                return ExitCode::from(2);
            }
        }
    } else {
        print_table(&rows);
    }
    ExitCode::SUCCESS
}
