//! The human-readable outputs: `<TEST>/report.html` (inputs and versions, data inventory,
//! data validation, analyses, compliance, products, flags) and the figures in `figures/`.

use std::collections::BTreeMap;

use vison_ccd::Quadrant;
use vison_report::{
    Block, Cell, ComplianceCell, ComplianceMatrix, DataTable, Figure, FlagList, Histogram,
    ImagePlot, KeyValueTable, PlotGrid, ProductLinks, Report, Section, Series, SeriesStyle, XyPlot,
};

use crate::error::Result;
use crate::framework::analysis::{Analysis, ComplianceTable, TestResults};
use crate::framework::atomic::write_atomic;
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv};

/// Anything that renders to PNG.
pub(crate) enum Plot {
    /// Grid of x-y panels.
    Grid(PlotGrid),
    /// Image maps.
    Image(ImagePlot),
    /// Histogram.
    Hist(Histogram),
}

/// Renders `plot`, saves it as `figures/<name>.png` and returns the report figure; a figure
/// that cannot be drawn becomes a paragraph saying why (the report still gets written).
pub(crate) fn figure(
    env: &TaskEnv<'_>,
    name: &str,
    caption: &str,
    plot: Plot,
    w: u32,
    h: u32,
) -> Block {
    let png = match &plot {
        Plot::Grid(p) => p.render_png(w, h),
        Plot::Image(p) => p.render_png(w, h),
        Plot::Hist(p) => p.render_png(w, h),
    };
    let made = png.map_err(crate::error::Error::from).and_then(|bytes| {
        write_atomic(&env.figures_dir().join(format!("{name}.png")), &bytes)?;
        Ok(Figure::png(caption, bytes)?)
    });
    match made {
        Ok(f) => Block::Figure(f),
        Err(e) => {
            env.log.line(
                tracing::Level::WARN,
                &format!("figure {name} not drawn: {e}"),
            );
            Block::Paragraph(format!("Figure {name} could not be drawn: {e}"))
        }
    }
}

/// One panel per CCD, one series per quadrant: `value` against ObsID.
pub(crate) fn per_quadrant_vs_obsid(
    title: &str,
    y_label: &str,
    points: &BTreeMap<(u8, String), Vec<(f64, f64)>>,
    hlines: &[(f64, &str)],
) -> PlotGrid {
    let mut grid = PlotGrid::new(title, 3);
    for ccd in 1..=3u8 {
        let mut p = XyPlot::new(format!("CCD{ccd}"), "ObsID", y_label);
        for q in Quadrant::ALL {
            if let Some(pts) = points.get(&(ccd, q.name().to_string())) {
                let (x, y): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
                p = p.with_series(Series::new(q.name(), x, y, SeriesStyle::LinePoints));
            }
        }
        for (y, label) in hlines {
            p = p.with_hline(*y, *label);
        }
        grid = grid.with_panel(p);
    }
    grid
}

/// Adds to `maps` one panel per quadrant of CCD `ccd` (`CCD<n>`): the image area of `data`
/// in canonical orientation, scaled between the percentiles `pct` (low, high).
pub(crate) fn with_quadrant_panels(
    mut maps: ImagePlot,
    ccd: &str,
    data: &ndarray::Array2<f32>,
    g: &vison_ccd::FrameGeometry,
    pct: (f64, f64),
) -> ImagePlot {
    let b = g.section_box_qcan(vison_ccd::Section::Image);
    for q in Quadrant::ALL {
        let v = vison_ccd::cutout(vison_ccd::qcan_view(g, data.view(), q), &b);
        maps = maps.with_panel(
            format!("{ccd} {}", q.name()),
            v,
            vison_report::ScaleLimits::Percentile {
                lo_pct: pct.0,
                hi_pct: pct.1,
            },
        );
    }
    maps
}

/// A compliance table as a report matrix (rows CCD1..3, columns E..H).
pub(crate) fn compliance_block(name: &str, t: &ComplianceTable) -> ComplianceMatrix {
    let mut m = ComplianceMatrix::new(
        format!(
            "Compliance: {name} ({}, {}); per-exposure checks show the mean over the exposures and pass only if every exposure passes",
            t.description, t.unit
        ),
        "CCD",
        ["E", "F", "G", "H"],
    );
    for (ccd, qs) in &t.ccds {
        let cells = ["E", "F", "G", "H"]
            .iter()
            .map(|q| {
                qs.get(*q).map(|e| ComplianceCell {
                    value: e.value,
                    lo: e.lo,
                    hi: e.hi,
                    pass: e.pass,
                })
            })
            .collect();
        m = m.row(ccd.clone(), cells);
    }
    m
}

fn inputs_section(env: &TaskEnv<'_>, state: &TaskState, results: &TestResults) -> Section {
    let mut kv = KeyValueTable::new("Inputs and versions")
        .row("Test", env.test.clone())
        .row("Status", results.status.clone())
        .row("vison-pipe", env!("CARGO_PKG_VERSION"))
        .row("Block", env.block.block.clone())
        .row("Expected offsets", env.block_source.clone())
        .row("Gains", env.gains.source.clone());
    for (k, v) in env.calibration_used() {
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Object(m) => m
                .iter()
                .map(|(nm, p)| format!("{nm} nm: {}", p.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("\n"),
            other => other.to_string(),
        };
        let label = match k.as_str() {
            "cosmetic_mask" => "Cosmetic mask",
            "master_bias" => "Master bias",
            _ => "Master flats",
        };
        kv = kv.row(label, text);
    }
    if let Some(i) = state.ingest.as_ref() {
        kv = kv
            .row("ELVIS version", i.elvis.clone())
            .row("EXP_LOG test name", i.explog_test.clone())
            .row(
                "Exposure logs",
                i.explog_files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
            .row(
                "Script",
                i.script
                    .iter()
                    .map(|(l, n)| format!("{l}: {n} frames"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
    }
    kv = config_rows(kv, env);
    Section::new("Inputs and versions").with(kv)
}

/// The configuration rows of the inputs table: limits, HK checks, preprocessing.
fn config_rows(mut kv: KeyValueTable, env: &TaskEnv<'_>) -> KeyValueTable {
    let l = &env.cfg.limits;
    kv = kv.row(
        "Limits",
        format!(
            "offset: expected +- {} ADU; gradients [{}, {}] ADU; RON [{}, {}] ADU; saturated fraction [{}, {}]",
            l.offset_tolerance_adu,
            l.gradient_adu[0],
            l.gradient_adu[1],
            l.ron_adu[0],
            l.ron_adu[1],
            l.saturation_frac[0],
            l.saturation_frac[1]
        ),
    );
    kv = kv.row(
        "HK checks",
        if env.cfg.hk.enabled {
            format!(
                "safe absolute limits and commanded values (performance), on the {} of the readings",
                env.cfg.hk.check_on
            )
        } else {
            "disabled".to_string()
        },
    );
    let p = &env.cfg.preprocessing;
    kv = kv.row(
        "Preprocessing",
        format!(
            "offset: {:?} of the {} trimmed [{}, {}]; bad pixels masked: {}",
            p.offset_estimator,
            p.offset_scan,
            p.offset_trim[0],
            p.offset_trim[1],
            p.mask_bad_pixels
        ),
    );
    kv
}

fn inventory_section(state: &TaskState) -> Section {
    let mut s = Section::new("Data inventory");
    let Some(i) = state.ingest.as_ref() else {
        return s.with(Block::Paragraph("No exposures were selected.".into()));
    };
    let mut t = DataTable::new(
        "Exposures selected (one row per ObsID)",
        [
            "ObsID",
            "date",
            "label",
            "exptime [s]",
            "vstart",
            "vend",
            "wave",
            "frames on disk",
            "HK file",
        ],
    );
    for e in &i.exposures {
        let on_disk = e.frames.iter().filter(|f| f.on_disk).count();
        let frames_cell = Cell::text(format!("{on_disk}/3")).with_status(if on_disk == 3 {
            vison_report::Status::Pass
        } else {
            vison_report::Status::Fail
        });
        t.push_row(vec![
            Cell::text(e.obsid.to_string()),
            Cell::text(e.date.clone()),
            Cell::text(e.label.clone()),
            Cell::number(e.exptime_s),
            Cell::text(e.vstart.to_string()),
            Cell::text(e.vend.to_string()),
            Cell::text(e.wave.map(|w| w.to_string()).unwrap_or_default()),
            frames_cell,
            Cell::text(
                e.hk_file
                    .as_ref()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "missing".into()),
            ),
        ]);
    }
    s.push(t);
    let st = &i.structure;
    s.push(Block::Paragraph(if st.checks_out {
        format!(
            "Structure: the {} exposures match the script ({} frames).",
            st.observed_frames, st.expected_frames
        )
    } else {
        format!(
            "Structure: {} exposures found, {} expected. {}",
            st.observed_frames,
            st.expected_frames,
            st.messages.join(" ")
        )
    }));
    s
}

/// Writes `report.html` for a test.
/// Figures shown first, per CCD and quadrant, when the test produced them (units in names).
const HEADLINE_FIGURES: &[&str] = &[
    "offset_adu",
    "ron_adu",
    "ron_prescan_adu",
    "gain_e_per_adu",
    "fullwell_e",
    "dark_e_per_px_per_s",
    "prnu_pc",
    "nl_max_dev_pc",
    "flux_adu_per_s",
    "a00",
    "mean_inject_median_adu",
    "mean_spot_peak_adu",
    "mean_spot_sigma_px",
];

/// The answer: status, flags with their reasons, and the headline figures per CCD/quadrant.
fn summary_section(results: &TestResults) -> Section {
    let mut s = Section::new("Summary");
    s.push(Block::Paragraph(format!(
        "Status: {}. {}",
        results.status,
        if results.flags.is_empty() {
            "No flags raised.".to_string()
        } else {
            format!("Flags: {}.", results.flags.join(", "))
        }
    )));
    let mut fl = FlagList::new(if results.flags.is_empty() {
        "No flags raised"
    } else {
        "Flags raised, with reasons"
    });
    for (name, reasons) in &results.flag_reasons.0 {
        for r in reasons {
            fl = fl.flag(name.clone(), r.clone());
        }
    }
    s.push(Block::Flags(fl));
    let present: Vec<&str> = HEADLINE_FIGURES
        .iter()
        .copied()
        .filter(|k| {
            results
                .ccds
                .values()
                .flat_map(|q| q.values())
                .any(|m| m.contains_key(*k))
        })
        .collect();
    if !present.is_empty() {
        let mut header = vec!["CCD".to_string(), "Q".to_string()];
        header.extend(present.iter().map(|k| k.to_string()));
        let mut t = DataTable::new("Headline figures per CCD and quadrant", header);
        for (ccd, qs) in &results.ccds {
            for (q, m) in qs {
                let mut row = vec![Cell::text(ccd.clone()), Cell::text(q.clone())];
                row.extend(
                    present.iter().map(|k| {
                        Cell::number(m.get(*k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN))
                    }),
                );
                t.push_row(row);
            }
        }
        s.push(Block::Table(t));
    }
    s
}

/// A section whose content is folded under its title.
fn folded(s: Section) -> Section {
    let title = s.title.clone();
    Section::new(title.clone()).with(Block::Details {
        summary: format!("{title} (click to unfold)"),
        blocks: s.blocks,
    })
}

pub(crate) fn write_test_report(
    task: &dyn Task,
    env: &TaskEnv<'_>,
    state: &TaskState,
    analysis: &Analysis,
    results: &TestResults,
) -> Result<()> {
    // The answer first (status, flags, headline figures), then the analyses and the
    // validation; the inputs and the data inventory are folded below.
    let mut report = Report::new(format!("VIS ground calibration: {} report", env.test))
        .with_section(summary_section(results));
    if state.check.is_some() {
        match task.report_sections(env, state, analysis) {
            Ok(secs) => report.sections.extend(secs),
            Err(e) => report.sections.push(
                Section::new("Analysis")
                    .with(Block::Paragraph(format!("Analysis report failed: {e}"))),
            ),
        }
    }
    report = report
        .with_section(crate::framework::validation::validation_section(env, state))
        .with_section(folded(inputs_section(env, state, results)))
        .with_section(folded(inventory_section(state)));
    let mut prod = ProductLinks::new("Products written (relative links)");
    for (p, d) in &analysis.products {
        prod = prod.link(p.clone(), p.clone(), d.clone());
    }
    prod = prod
        .link(
            "results.json",
            "results.json",
            "all results (machine-readable)",
        )
        .link(
            "results.csv",
            "results.csv",
            "per exposure, CCD and quadrant",
        )
        .link("log.txt", "log.txt", "log of the test");
    report = report.with_section(Section::new("Products").with(prod));
    write_atomic(
        &env.test_dir.join("report.html"),
        vison_report::render_html(&report).as_bytes(),
    )?;
    Ok(())
}
