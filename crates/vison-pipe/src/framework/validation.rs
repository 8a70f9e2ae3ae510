//! The "Data validation" section of a test report: house-keeping checks and time series, then
//! the frame checks (offsets, noise, excluded frames, saturated and lost pixels, compliance).

use std::collections::BTreeMap;

use vison_report::{Block, Cell, DataTable, PlotGrid, Section, Series, SeriesStyle, XyPlot};

use crate::framework::hkcheck::HkSummary;
use crate::framework::report::{Plot, compliance_block, figure, per_quadrant_vs_obsid};
use crate::framework::state::{CheckState, TaskState};
use crate::framework::task::TaskEnv;

/// HK keys plotted against time.
const HK_PLOTTED: [&str; 6] = [
    "CCD1_TEMP_T",
    "CCD2_TEMP_T",
    "CCD3_TEMP_T",
    "CCD1_OD_T",
    "VID_PCB_TEMP_T",
    "RPSU_28V_PRI_I",
];

/// The section: HK (when ingested), then the frame checks (when checked).
pub(crate) fn validation_section(env: &TaskEnv<'_>, state: &TaskState) -> Section {
    let mut s = Section::new("Data validation");
    if let Some(i) = state.ingest.as_ref() {
        s.push(Block::Heading("House-keeping".into()));
        s.push(hk_checks(&i.hk));
        if let Some(grid) = hk_timeseries(env, &i.hk) {
            s.push(figure(
                env,
                "hk_timeseries",
                "HK time series (mean of the readings of each exposure) with the safe limits (dashed).",
                Plot::Grid(grid),
                1200,
                700,
            ));
        }
    }
    if let Some(chk) = state.check.as_ref() {
        s.push(Block::Heading("Offsets, noise and saturation".into()));
        check_figures(&mut s, env, chk);
        if let Some(t) = excluded_frames(chk) {
            s.push(t);
        }
        s.push(saturated_pixels(chk));
        for (name, t) in &chk.compliance {
            s.push(compliance_block(name, t));
        }
    }
    s
}

/// What the HK checks found: not checked, all passed, or the table of violations.
fn hk_checks(hk: &HkSummary) -> Block {
    if !hk.checked {
        return Block::Paragraph(format!(
            "HK not checked ({} files read; no limits for this ELVIS version or checks disabled).",
            hk.files
        ));
    }
    if hk.violations.is_empty() {
        return Block::Paragraph(format!(
            "HK: ALL PASSED ({} checks over {} files: safe absolute limits and commanded values).",
            hk.n_checks, hk.files
        ));
    }
    let mut t = DataTable::new(
        "HK out of limits",
        ["key", "ObsID", "check", "value", "commanded", "limits"],
    );
    for v in &hk.violations {
        t.push_row(vec![
            Cell::text(v.key.clone()).with_status(vison_report::Status::Fail),
            Cell::text(v.obsid.map(|o| o.to_string()).unwrap_or_default()),
            Cell::text(v.check.clone()),
            Cell::number(v.value),
            Cell::text(v.commanded.map(|c| c.to_string()).unwrap_or_default()),
            Cell::text(format!("({}, {})", v.lo, v.hi)),
        ]);
    }
    Block::Table(t)
}

/// Time series of the plotted HK keys with their safe limits (`None` when none was read).
fn hk_timeseries(env: &TaskEnv<'_>, hk: &HkSummary) -> Option<PlotGrid> {
    let mut grid = PlotGrid::new(format!("{}: HK time series", env.test), 3);
    let mut any = false;
    for k in HK_PLOTTED {
        let Some(tr) = hk.series.get(k) else { continue };
        let mut p = XyPlot::new(
            k,
            "time since first exposure [s]",
            format!("{k} [{}] (mean per exposure)", hk_unit(k)),
        )
        .with_series(Series::new(
            k,
            tr.t_s.clone(),
            tr.mean.clone(),
            SeriesStyle::LinePoints,
        ));
        if let (Some(lo), Some(hi)) = (tr.lo, tr.hi) {
            p = p.with_hline(lo, "safe low").with_hline(hi, "safe high");
        }
        grid = grid.with_panel(p);
        any = true;
    }
    any.then_some(grid)
}

/// Unit of an HK key from its name.
fn hk_unit(key: &str) -> &'static str {
    if key.contains("TEMP") {
        "deg C"
    } else if key.ends_with("_I") {
        "A"
    } else {
        "V"
    }
}

/// Prescan offsets and read noise of the usable frames against ObsID.
fn check_figures(s: &mut Section, env: &TaskEnv<'_>, chk: &CheckState) {
    let mut offs: BTreeMap<(u8, String), Vec<(f64, f64)>> = BTreeMap::new();
    let mut rons: BTreeMap<(u8, String), Vec<(f64, f64)>> = BTreeMap::new();
    for f in chk.frames.iter().filter(|f| f.usable) {
        for (q, c) in &f.quads {
            offs.entry((f.ccd, q.clone()))
                .or_default()
                .push((f.obsid as f64, c.offset_pre_adu));
            rons.entry((f.ccd, q.clone()))
                .or_default()
                .push((f.obsid as f64, c.ron_pre_adu));
        }
    }
    s.push(figure(
        env,
        "offsets_vs_obsid",
        "Prescan offset (median of the trimmed prescan) per quadrant against ObsID.",
        Plot::Grid(per_quadrant_vs_obsid(
            &format!("{}: prescan offsets", env.test),
            "offset [ADU]",
            &offs,
            &[],
        )),
        1500,
        450,
    ));
    let lim = env.cfg.limits.ron_adu;
    s.push(figure(
        env,
        "ron_prescan_vs_obsid",
        "Read noise of the prescan per quadrant against ObsID, with the RON limits (dashed).",
        Plot::Grid(per_quadrant_vs_obsid(
            &format!("{}: prescan read noise", env.test),
            "RON [ADU]",
            &rons,
            &[(lim[0], "RON low"), (lim[1], "RON high")],
        )),
        1500,
        450,
    ));
}

/// The frames excluded from the analyses, with why (`None` when none).
fn excluded_frames(chk: &CheckState) -> Option<DataTable> {
    let mut t = DataTable::new("Frames excluded", ["ObsID", "CCD", "file", "reason"]);
    for f in chk.frames.iter().filter(|f| !f.usable) {
        t.push_row(vec![
            Cell::text(f.obsid.to_string()),
            Cell::text(format!("CCD{}", f.ccd)),
            Cell::text(f.file_name.clone()),
            Cell::text(f.error.clone().unwrap_or_default()).with_status(vison_report::Status::Fail),
        ]);
    }
    (!t.rows.is_empty()).then_some(t)
}

/// Saturated and lost pixels of the usable frame quadrants that have any (a sentence when
/// none has).
fn saturated_pixels(chk: &CheckState) -> Block {
    let mut sat = DataTable::new(
        "Saturated and lost pixels (frames with any)",
        [
            "ObsID",
            "CCD",
            "quadrant",
            "saturated",
            "saturated fraction",
            "lost",
        ],
    );
    for f in chk.frames.iter().filter(|f| f.usable) {
        for (q, c) in &f.quads {
            if c.n_saturated > 0 || c.n_lost > 0 {
                sat.push_row(vec![
                    Cell::text(f.obsid.to_string()),
                    Cell::text(format!("CCD{}", f.ccd)),
                    Cell::text(q.clone()),
                    Cell::text(c.n_saturated.to_string()),
                    Cell::number(c.saturated_frac),
                    Cell::text(c.n_lost.to_string()),
                ]);
            }
        }
    }
    if sat.rows.is_empty() {
        Block::Paragraph("No saturated or lost pixels in the image areas.".into())
    } else {
        Block::Table(sat)
    }
}
