//! PSF01, PSF02, PSFLUX00: flux linearity of every spot against exposure time (straight line
//! with intercept against the shutter-calibrated exposure time; slope and relative residuals),
//! size and shape against fluence, and the size/shape per quadrant at the reference fluence.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ogse::OgseProfile;
use vison_report::{Cell, DataTable, PlotGrid, Series, SeriesStyle, XyPlot};

use super::spots::{SpotRow, SpotsState};
use crate::error::{Error, Result};
use crate::framework::flags::{Flag, Flags};
use crate::framework::frames::finite_mean;
use crate::framework::report::{Plot, figure};
use crate::framework::task::TaskEnv;

/// Relative flux residual above which a spot's linearity is flagged POORQUALDATA.
const MAX_LIN_RESID_FRAC: f64 = 0.05;
/// Reference fluence, fraction of the point-source full-well time.
const REF_FWC_FRAC: f64 = 0.5;

/// Linearity and fluence dependence of one spot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpotPsf {
    pub(crate) ccd: u8,
    pub(crate) quadrant: String,
    pub(crate) spot: String,
    /// Flux per second of (shutter-calibrated) exposure, ADU/s.
    pub(crate) flux_slope_adu_per_s: f64,
    /// Intercept of the flux line, ADU.
    pub(crate) flux_intercept_adu: f64,
    /// Largest |mean flux - line| / line over the exposure times (mean of the frames of each).
    pub(crate) lin_max_resid_frac: f64,
    /// Slope of the optical FWHM against the peak, px per 10 kADU (brighter-fatter).
    pub(crate) dfwhm_dpeak_px_per_10kadu: f64,
    /// At the reference exposure: optical FWHM (px), e1, e2, peak (ADU).
    pub(crate) fwhm_ref_px: f64,
    pub(crate) e1_ref: f64,
    pub(crate) e2_ref: f64,
    pub(crate) peak_ref_adu: f64,
}

/// State of the `psf` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PsfState {
    /// Reference exposure time (commanded), s.
    pub(crate) ref_exptime_s: f64,
    /// How it was chosen.
    pub(crate) ref_choice: String,
    pub(crate) spots: Vec<SpotPsf>,
}

/// Straight line `y = a + b x` by least squares: `(a, b)`, NaN with < 2 distinct x.
fn line_fit(pts: &[(f64, f64)]) -> (f64, f64) {
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if pts.len() < 2 || sxx <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let b = sxy / sxx;
    (my - b * mx, b)
}

/// The reference exposure time: the one closest to half the point-source full-well time of
/// the filter, else the median exposure time.
fn reference_exptime(sp: &SpotsState, chamber: &str) -> (f64, String) {
    let mut ts: Vec<f64> = sp.rows.iter().map(|r| r.exptime_s).collect();
    ts.sort_by(f64::total_cmp);
    ts.dedup();
    let tfwc = sp
        .wavelength_nm
        .and_then(|w| OgseProfile::load(chamber).ok()?.t_fwc_point_s(w).ok());
    match tfwc {
        Some(t) if !ts.is_empty() => {
            let target = REF_FWC_FRAC * t;
            let best = ts
                .iter()
                .copied()
                .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
                .unwrap_or(f64::NAN);
            (
                best,
                format!("exposure closest to 50 % of the point-source tFWC ({t:.2} s)"),
            )
        }
        _ => (
            ts.get(ts.len() / 2).copied().unwrap_or(f64::NAN),
            "median exposure time (no tFWC for the filter)".into(),
        ),
    }
}

fn spot_psf(rows: &[&SpotRow], actual: &dyn Fn(f64) -> f64, ref_t: f64) -> (SpotPsf, Vec<f64>) {
    let good: Vec<&&SpotRow> = rows
        .iter()
        .filter(|r| r.meas.flux_adu.is_finite())
        .collect();
    let pts: Vec<(f64, f64)> = good
        .iter()
        .map(|r| (actual(r.exptime_s), r.meas.flux_adu))
        .collect();
    let (a, b) = line_fit(&pts);
    // Residuals of the mean flux of each exposure time (the noise of single frames averages
    // out; a non-linearity does not).
    let mut by_t: BTreeMap<u64, (f64, f64, usize)> = BTreeMap::new();
    for p in &pts {
        let e = by_t.entry(p.0.to_bits()).or_insert((p.0, 0.0, 0));
        e.1 += p.1;
        e.2 += 1;
    }
    let resid: Vec<f64> = by_t
        .values()
        .map(|&(t, sum, n)| (sum / n as f64 - (a + b * t)) / (a + b * t))
        .collect();
    let bf: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (r.meas.peak_adu / 1e4, r.fwhm_optical_px()))
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    let at_ref: Vec<&&SpotRow> = rows.iter().filter(|r| r.exptime_s == ref_t).collect();
    let mean =
        |f: &dyn Fn(&SpotRow) -> f64| finite_mean(&at_ref.iter().map(|r| f(r)).collect::<Vec<_>>());
    let r0 = rows.first();
    let s = SpotPsf {
        ccd: r0.map_or(0, |r| r.meas.ccd),
        quadrant: r0.map_or_else(String::new, |r| r.meas.quadrant.clone()),
        spot: r0.map_or_else(String::new, |r| r.meas.spot.clone()),
        flux_slope_adu_per_s: b,
        flux_intercept_adu: a,
        lin_max_resid_frac: resid.iter().fold(f64::NAN, |m, r| m.max(r.abs())),
        dfwhm_dpeak_px_per_10kadu: line_fit(&bf).1,
        fwhm_ref_px: mean(&|r| r.fwhm_optical_px()),
        e1_ref: mean(&|r| {
            if r.meas.converged {
                r.meas.e1
            } else {
                f64::NAN
            }
        }),
        e2_ref: mean(&|r| {
            if r.meas.converged {
                r.meas.e2
            } else {
                f64::NAN
            }
        }),
        peak_ref_adu: mean(&|r| r.meas.peak_adu),
    };
    (s, resid)
}

/// Runs the `psf` step.
pub(crate) fn psf_step(env: &TaskEnv<'_>, sp: &SpotsState) -> Result<(Value, Flags)> {
    let shutter = env.cfg.shutter_calibration()?;
    let actual = |t: f64| shutter.actual_exptime_s(t);
    let (ref_t, ref_choice) = reference_exptime(sp, &env.cfg.calibration.chamber);
    let mut groups: BTreeMap<(u8, String, String), Vec<&SpotRow>> = BTreeMap::new();
    for r in &sp.rows {
        groups.entry(r.key()).or_default().push(r);
    }
    let mut flags = Flags::new();
    let mut spots = Vec::new();
    for ((ccd, q, name), rows) in &groups {
        let (s, _) = spot_psf(rows, &actual, ref_t);
        if !s.flux_slope_adu_per_s.is_finite() {
            flags.raise(
                Flag::POORQUALDATA,
                format!("CCD{ccd} {q} {name}: no flux line (fewer than two exposure times)"),
            );
        } else if s.lin_max_resid_frac > MAX_LIN_RESID_FRAC {
            flags.raise(
                Flag::POORQUALDATA,
                format!(
                    "CCD{ccd} {q} {name}: flux non-linear in exposure time (max residual {:.1} %)",
                    100.0 * s.lin_max_resid_frac
                ),
            );
        }
        spots.push(s);
    }
    let st = PsfState {
        ref_exptime_s: ref_t,
        ref_choice,
        spots,
    };
    let v = serde_json::to_value(&st).map_err(|e| Error::step(&env.test, "psf", e))?;
    Ok((v, flags))
}

/// One panel per CCD and quadrant, one series per spot, `(x, y)` from a row.
fn per_spot_grid(
    title: &str,
    x_label: &str,
    y_label: &str,
    sp: &SpotsState,
    xy: &dyn Fn(&SpotRow) -> (f64, f64),
) -> PlotGrid {
    let mut grid = PlotGrid::new(title, 4);
    for ccd in 1..=3u8 {
        for q in ["E", "F", "G", "H"] {
            let mut series: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
            for r in sp
                .rows
                .iter()
                .filter(|r| r.meas.ccd == ccd && r.meas.quadrant == q)
            {
                let (x, y) = xy(r);
                if x.is_finite() && y.is_finite() {
                    let e = series.entry(r.meas.spot.as_str()).or_default();
                    e.0.push(x);
                    e.1.push(y);
                }
            }
            let mut p = XyPlot::new(format!("CCD{ccd} {q}"), x_label, y_label);
            for (name, (x, y)) in series {
                p = p.with_series(Series::new(name, x, y, SeriesStyle::LinePoints));
            }
            grid = grid.with_panel(p);
        }
    }
    grid
}

/// Per-spot table.
fn table(ps: &PsfState) -> DataTable {
    let mut t = DataTable::new(
        format!(
            "Per spot: flux line against exposure time, size and shape at the reference exposure ({:.3} s)",
            ps.ref_exptime_s
        ),
        [
            "CCD",
            "Q",
            "spot",
            "flux slope [ADU/s]",
            "intercept [ADU]",
            "max |resid| [%]",
            "FWHM ref [px]",
            "e1 ref",
            "e2 ref",
            "peak ref [ADU]",
            "dFWHM/dpeak [px/10 kADU]",
        ],
    );
    for s in &ps.spots {
        t.push_row(vec![
            Cell::text(format!("CCD{}", s.ccd)),
            Cell::text(s.quadrant.clone()),
            Cell::text(s.spot.clone()),
            Cell::number(s.flux_slope_adu_per_s),
            Cell::number(s.flux_intercept_adu),
            Cell::number(100.0 * s.lin_max_resid_frac),
            Cell::number(s.fwhm_ref_px),
            Cell::number(s.e1_ref),
            Cell::number(s.e2_ref),
            Cell::number(s.peak_ref_adu),
            Cell::number(s.dfwhm_dpeak_px_per_10kadu),
        ]);
    }
    t
}

/// The report blocks of PSF01/PSF02/PSFLUX00.
pub(crate) fn report(
    env: &TaskEnv<'_>,
    sp: &SpotsState,
    ps: &PsfState,
) -> Result<vison_report::Section> {
    let shutter = env.cfg.shutter_calibration()?;
    let lines: BTreeMap<(u8, String, String), (f64, f64)> = ps
        .spots
        .iter()
        .map(|s| {
            let k = (s.ccd, s.quadrant.clone(), s.spot.clone());
            (k, (s.flux_intercept_adu, s.flux_slope_adu_per_s))
        })
        .collect();
    let mut s = vison_report::Section::new("Point-spread function and spot photometry");
    s.push(vison_report::Block::Paragraph(format!(
        "Reference fluence: {} ({:.3} s). FWHM is the optical FWHM from the adaptive moments \
         (pixel response removed: 2.3548 sqrt(sigma^2 - 1/12)).",
        ps.ref_choice, ps.ref_exptime_s
    )));
    let figs: [(&str, &str, Plot); 4] = [
        (
            "psf_flux",
            "Spot flux against exposure time (shutter-calibrated)",
            Plot::Grid(per_spot_grid(
                "Spot flux",
                "exposure time [s]",
                "flux [ADU]",
                sp,
                &|r| (shutter.actual_exptime_s(r.exptime_s), r.meas.flux_adu),
            )),
        ),
        (
            "psf_flux_residuals",
            "Relative residuals of the spot fluxes from their straight line",
            Plot::Grid(per_spot_grid(
                "Flux residuals",
                "exposure time [s]",
                "residual [%]",
                sp,
                &|r| {
                    let t = shutter.actual_exptime_s(r.exptime_s);
                    let (a, b) = lines.get(&r.key()).copied().unwrap_or((f64::NAN, f64::NAN));
                    (t, 100.0 * (r.meas.flux_adu - (a + b * t)) / (a + b * t))
                },
            )),
        ),
        (
            "psf_fwhm_vs_peak",
            "Optical FWHM against peak (brighter-fatter in spots)",
            Plot::Grid(per_spot_grid(
                "FWHM vs peak",
                "peak [ADU]",
                "FWHM [px]",
                sp,
                &|r| (r.meas.peak_adu, r.fwhm_optical_px()),
            )),
        ),
        (
            "psf_e1_vs_peak",
            "Ellipticity e1 against peak",
            Plot::Grid(per_spot_grid("e1 vs peak", "peak [ADU]", "e1", sp, &|r| {
                (
                    r.meas.peak_adu,
                    if r.meas.converged {
                        r.meas.e1
                    } else {
                        f64::NAN
                    },
                )
            })),
        ),
    ];
    for (name, caption, plot) in figs {
        s.push(figure(env, name, caption, plot, 1400, 1000));
    }
    s.push(vison_report::Block::Table(table(ps)));
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_fit_recovers_a_line() {
        let pts: Vec<(f64, f64)> = (0..5).map(|k| (k as f64, 3.0 + 2.5 * k as f64)).collect();
        let (a, b) = line_fit(&pts);
        assert!((a - 3.0).abs() < 1e-12 && (b - 2.5).abs() < 1e-12);
        assert!(line_fit(&[(1.0, 2.0)]).0.is_nan());
        assert!(line_fit(&[(1.0, 2.0), (1.0, 3.0)]).1.is_nan());
    }
}
