//! FOCUS00: one focus curve per spot (optical FWHM^2 against the EXP_LOG's `mirr_pos`, a
//! parabola by `vison_point::focus::fit_fwhm_focus`), best focus per spot, quadrant (mean of
//! its spots) and CCD (mean of its quadrants).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_point::focus::fit_fwhm_focus;
use vison_report::{
    Cell, DataTable, ImagePlot, PlotGrid, ScaleLimits, Series, SeriesStyle, XyPlot,
};

use super::spots::{SpotRow, SpotsState};
use crate::error::{Error, Result};
use crate::framework::flags::{Flag, Flags};
use crate::framework::frames::finite_mean;
use crate::framework::report::{Plot, figure};
use crate::framework::task::TaskEnv;

/// Focus fit of one spot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpotFocus {
    pub(crate) ccd: u8,
    pub(crate) quadrant: String,
    pub(crate) spot: String,
    pub(crate) x_ccd_px: f64,
    pub(crate) y_ccd_px: f64,
    pub(crate) best_focus_mm: f64,
    pub(crate) best_focus_err_mm: f64,
    /// Optical FWHM at best focus (parabola minimum), px.
    pub(crate) fwhm_at_best_px: f64,
    /// Parabola coefficients of FWHM^2 against `mirror - ref_mm`.
    pub(crate) coeffs: [f64; 3],
    pub(crate) ref_mm: f64,
    pub(crate) n_points: usize,
}

/// State of the `focus` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FocusState {
    pub(crate) spots: Vec<SpotFocus>,
    /// CCD -> quadrant -> mean best focus of its spots, mm.
    pub(crate) quads: BTreeMap<String, BTreeMap<String, f64>>,
    /// CCD -> mean of its quadrants, mm.
    pub(crate) ccds: BTreeMap<String, f64>,
}

/// Points of a focus curve: (mirror_mm, optical FWHM px, x_ccd_px, y_ccd_px).
type CurvePoints = Vec<(f64, f64, f64, f64)>;

/// Focus curves of the spots, keyed by (CCD, quadrant, spot).
fn curves(rows: &[SpotRow]) -> BTreeMap<(u8, String, String), CurvePoints> {
    let mut c: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for r in rows {
        c.entry(r.key()).or_default().push((
            r.mirror_mm,
            r.fwhm_optical_px(),
            r.meas.x_ccd_px,
            r.meas.y_ccd_px,
        ));
    }
    c
}

/// Runs the `focus` step.
pub(crate) fn focus_step(env: &TaskEnv<'_>, sp: &SpotsState) -> Result<(Value, Flags)> {
    let mut flags = Flags::new();
    let mut spots = Vec::new();
    for ((ccd, q, spot), pts) in curves(&sp.rows) {
        let (m, f): (Vec<f64>, Vec<f64>) = pts.iter().map(|p| (p.0, p.1)).unzip();
        match fit_fwhm_focus(&m, &f) {
            Ok(fit) => spots.push(SpotFocus {
                ccd,
                quadrant: q,
                spot,
                x_ccd_px: finite_mean(&pts.iter().map(|p| p.2).collect::<Vec<_>>()),
                y_ccd_px: finite_mean(&pts.iter().map(|p| p.3).collect::<Vec<_>>()),
                best_focus_mm: fit.best_mm,
                best_focus_err_mm: fit.best_err_mm,
                fwhm_at_best_px: fit.metric_at_best,
                coeffs: fit.coeffs,
                ref_mm: fit.ref_mm,
                n_points: fit.n,
            }),
            Err(e) => flags.raise(
                Flag::POORQUALDATA,
                format!("CCD{ccd} {q} {spot}: no focus fit ({e})"),
            ),
        }
    }
    let mut per_quad: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for s in &spots {
        per_quad
            .entry(format!("CCD{}", s.ccd))
            .or_default()
            .entry(s.quadrant.clone())
            .or_default()
            .push(s.best_focus_mm);
    }
    let quads: BTreeMap<String, BTreeMap<String, f64>> = per_quad
        .into_iter()
        .map(|(c, qs)| {
            (
                c,
                qs.into_iter().map(|(q, v)| (q, finite_mean(&v))).collect(),
            )
        })
        .collect();
    let ccds = quads
        .iter()
        .map(|(c, qs)| {
            (
                c.clone(),
                finite_mean(&qs.values().copied().collect::<Vec<_>>()),
            )
        })
        .collect();
    let st = FocusState { spots, quads, ccds };
    let v = serde_json::to_value(&st).map_err(|e| Error::step(&env.test, "focus", e))?;
    Ok((v, flags))
}

/// Focus curves: one panel per CCD and quadrant, measured points and fitted curve per spot.
pub(crate) fn curves_figure(sp: &SpotsState, fs: &FocusState) -> PlotGrid {
    let c = curves(&sp.rows);
    let mut grid = PlotGrid::new("Focus curves: optical FWHM against mirror position", 4);
    for ccd in 1..=3u8 {
        for q in ["E", "F", "G", "H"] {
            let mut p = XyPlot::new(format!("CCD{ccd} {q}"), "mirr_pos [mm]", "FWHM [px]");
            for s in fs.spots.iter().filter(|s| s.ccd == ccd && s.quadrant == q) {
                let key = (ccd, s.quadrant.clone(), s.spot.clone());
                let Some(pts) = c.get(&key) else { continue };
                let (x, y): (Vec<f64>, Vec<f64>) = pts.iter().map(|p| (p.0, p.1)).unzip();
                let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let xf: Vec<f64> = (0..=40).map(|k| lo + (hi - lo) * k as f64 / 40.0).collect();
                let yf: Vec<f64> = xf
                    .iter()
                    .map(|m| {
                        let t = m - s.ref_mm;
                        (s.coeffs[0] + s.coeffs[1] * t + s.coeffs[2] * t * t)
                            .max(0.0)
                            .sqrt()
                    })
                    .collect();
                p = p
                    .with_series(Series::new(&s.spot, x, y, SeriesStyle::Points))
                    .with_series(Series::new("", xf, yf, SeriesStyle::Line));
            }
            grid = grid.with_panel(p);
        }
    }
    grid
}

/// Focus map: best focus of every spot placed in a coarse grid over the CCD frame.
pub(crate) fn map_figure(sp: &SpotsState, fs: &FocusState) -> ImagePlot {
    const CELLS: usize = 16;
    let (rows, cols) = sp.frame_shape;
    let mut plot = ImagePlot::new(
        "Best focus per spot (CCD frame, cells of 1/16 of the frame)",
        "x (CCD) [cell]",
        "y (CCD) [cell]",
        "best focus [mm]",
    )
    .with_grid_cols(3);
    for ccd in 1..=3u8 {
        let mut m = ndarray::Array2::<f32>::from_elem((CELLS, CELLS), f32::NAN);
        for s in fs.spots.iter().filter(|s| s.ccd == ccd) {
            let cx = s.x_ccd_px / cols.max(1) as f64 * CELLS as f64;
            let cy = s.y_ccd_px / rows.max(1) as f64 * CELLS as f64;
            if cx.is_finite() && cy.is_finite() && cx >= 0.0 && cy >= 0.0 {
                let (i, j) = ((cy as usize).min(CELLS - 1), (cx as usize).min(CELLS - 1));
                if let Some(v) = m.get_mut([i, j]) {
                    *v = s.best_focus_mm as f32;
                }
            }
        }
        plot = plot.with_panel(
            format!("CCD{ccd}"),
            m.view(),
            ScaleLimits::Percentile {
                lo_pct: 0.0,
                hi_pct: 100.0,
            },
        );
    }
    plot
}

/// Per-spot table.
pub(crate) fn table(fs: &FocusState) -> DataTable {
    let mut t = DataTable::new(
        "Best focus per spot (parabola through the optical FWHM^2)",
        [
            "CCD",
            "Q",
            "spot",
            "x_ccd [px]",
            "y_ccd [px]",
            "best focus [mm]",
            "err [mm]",
            "FWHM at best [px]",
            "points",
        ],
    );
    for s in &fs.spots {
        t.push_row(vec![
            Cell::text(format!("CCD{}", s.ccd)),
            Cell::text(s.quadrant.clone()),
            Cell::text(s.spot.clone()),
            Cell::number(s.x_ccd_px),
            Cell::number(s.y_ccd_px),
            Cell::number(s.best_focus_mm),
            Cell::number(s.best_focus_err_mm),
            Cell::number(s.fwhm_at_best_px),
            Cell::number(s.n_points as f64),
        ]);
    }
    t
}

/// The report blocks of FOCUS00.
pub(crate) fn report(env: &TaskEnv<'_>, sp: &SpotsState, fs: &FocusState) -> vison_report::Section {
    let mut s = vison_report::Section::new("Focus");
    s.push(figure(
        env,
        "focus_curves",
        "Focus curves per CCD and quadrant (points: optical FWHM from adaptive moments; lines: fitted FWHM^2 parabola)",
        Plot::Grid(curves_figure(sp, fs)),
        1400,
        1000,
    ));
    s.push(figure(
        env,
        "focus_map",
        "Focus map: best focus of each spot at its position on the CCD",
        Plot::Image(map_figure(sp, fs)),
        1200,
        420,
    ));
    let mut q = DataTable::new(
        "Best focus per quadrant and CCD (mean of the spots)",
        ["CCD", "E", "F", "G", "H", "CCD mean"],
    );
    for (ccd, qs) in &fs.quads {
        let g = |k: &str| Cell::number(qs.get(k).copied().unwrap_or(f64::NAN));
        q.push_row(vec![
            Cell::text(ccd.clone()),
            g("E"),
            g("F"),
            g("G"),
            g("H"),
            Cell::number(fs.ccds.get(ccd).copied().unwrap_or(f64::NAN)),
        ]);
    }
    s.push(vison_report::Block::Table(q));
    s.push(vison_report::Block::Table(table(fs)));
    s
}
