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
use vison_point::{NominalSpot, SpotConfig, SpotMeasurement, measure_frame_spots};

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

/// One output row (the `--json` object).
#[derive(Debug, Serialize)]
struct SpotRow {
    file: String,
    ccd: u8,
    quadrant: String,
    spot: String,
    x_ccd_px: f64,
    y_ccd_px: f64,
    flux_adu: f64,
    flux_err_adu: f64,
    bgd_adu: f64,
    peak_adu: f64,
    fwhm_x_px: f64,
    fwhm_y_px: f64,
    sigma_px: f64,
    e1: f64,
    e2: f64,
    converged: bool,
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

fn row(
    file: &str,
    ccd: u8,
    name: (char, &str),
    nominal: (f64, f64),
    shift: &CcdShift,
    m: Result<&SpotMeasurement, String>,
) -> SpotRow {
    let nan = f64::NAN;
    let mut r = SpotRow {
        file: file.to_string(),
        ccd,
        quadrant: name.0.to_string(),
        spot: name.1.to_string(),
        x_ccd_px: nan,
        y_ccd_px: nan,
        flux_adu: nan,
        flux_err_adu: nan,
        bgd_adu: nan,
        peak_adu: nan,
        fwhm_x_px: nan,
        fwhm_y_px: nan,
        sigma_px: nan,
        e1: nan,
        e2: nan,
        converged: false,
        x_nominal_ccd_px: nominal.0,
        y_nominal_ccd_px: nominal.1,
        shift_x_px: shift.dx_px,
        shift_y_px: shift.dy_px,
        flags: Vec::new(),
    };
    match m {
        Ok(m) => {
            r.x_ccd_px = m.x_px;
            r.y_ccd_px = m.y_px;
            r.flux_adu = m.flux_adu;
            r.flux_err_adu = m.flux_err_adu;
            r.bgd_adu = m.bgd_adu;
            r.peak_adu = m.peak_adu;
            r.fwhm_x_px = m.fwhm_x_px;
            r.fwhm_y_px = m.fwhm_y_px;
            r.sigma_px = m.sigma_px();
            r.e1 = m.e1();
            r.e2 = m.e2();
            r.converged = m.converged();
            r.flags = m.flags.clone();
        }
        Err(e) => r.flags.push(e),
    }
    r
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
    let nominal: Vec<NominalSpot> = profile
        .pattern(ccd)
        .spots
        .iter()
        .map(|s| {
            let (x, y) = s.ccd_coords_px();
            NominalSpot {
                quadrant: s.quadrant,
                spot: s.spot.clone(),
                x_full_ccd_px: x,
                y_full_ccd_px: y,
            }
        })
        .collect();
    let found = measure_frame_spots(&frame, &nominal, args.search_px, &SpotConfig::default())
        .context("locating the spots")?;
    let file = path.display().to_string();
    Ok(found
        .spots
        .iter()
        .map(|s| {
            let nom = (s.x_nominal_ccd_px, s.y_nominal_ccd_px);
            let m = s.result.as_ref().map_err(String::clone);
            row(&file, ccd, (s.quadrant, &s.spot), nom, &found.shift, m)
        })
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
        let file = Path::new(&r.file)
            .file_name()
            .map_or_else(|| r.file.clone(), |f| f.to_string_lossy().into_owned());
        output::line(&format!(
            "{:<40} {:>3} {:>1} {:<7} {:>9} {:>9} {:>11} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6} {:>7} {:>7} {:>4}",
            file,
            r.ccd,
            r.quadrant,
            r.spot,
            fmt(r.x_ccd_px, 3),
            fmt(r.y_ccd_px, 3),
            fmt(r.flux_adu, 1),
            fmt(r.flux_err_adu, 1),
            fmt(r.bgd_adu, 1),
            fmt(r.peak_adu, 1),
            fmt(r.fwhm_x_px, 3),
            fmt(r.fwhm_y_px, 3),
            fmt(r.sigma_px, 3),
            fmt(r.e1, 4),
            fmt(r.e2, 4),
            if r.converged { "yes" } else { "no" },
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
