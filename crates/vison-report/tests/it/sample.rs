//! A sample BIAS01-like report built from synthetic content, with every block type.

use vison_report::{
    Cell, ComplianceCell, ComplianceMatrix, DataTable, Figure, FitAxes, FitPlot, FlagList,
    Histogram, KeyValueTable, PlotGrid, ProductLinks, Report, Section, Series, SeriesStyle, Status,
    XyPlot,
};

/// A header string with markup in it, as a hostile FITS header could carry.
pub(crate) const HOSTILE: &str = "BIAS<script>alert('x')</script>\"><img src=x onerror=alert(1)>";

/// A sample report and the expected (width, height) of each figure in document order.
pub(crate) fn sample_report() -> (Report, Vec<(u32, u32)>) {
    let mut sizes = Vec::new();
    let mut figure = |fig: Figure| {
        sizes.push((fig.width_px, fig.height_px));
        fig
    };

    let inputs = KeyValueTable::new("Inputs and versions")
        .row("Test", "BIAS01")
        .row("Session", "20261125_synthetic")
        .row("vison-rs", env!("CARGO_PKG_VERSION"))
        .row("Data path", "/data/20261125/")
        .row("OBJECT header (verbatim)", HOSTILE);

    let mut inventory = DataTable::new(
        "Data inventory",
        [
            "ObsID",
            "exptime [s]",
            "chinj",
            "v_tpump",
            "s_tpump",
            "source",
            "status",
        ],
    );
    for i in 0..6 {
        let status = if i == 4 { Status::Fail } else { Status::Pass };
        inventory.push_row([
            Cell::text(format!("{}", 12_340 + i)),
            Cell::number(0.0),
            Cell::text("0"),
            Cell::text("0"),
            Cell::text("0"),
            Cell::text("none"),
            Cell::status(status),
        ]);
    }

    let quads = ["E", "F", "G", "H"];
    let mut offsets = ComplianceMatrix::new(
        "Offsets in the pre-scan [ADU], limits: expected offset +/- 50 ADU",
        "CCD",
        quads,
    );
    let mut ron = ComplianceMatrix::new(
        "RON in the pre-scan [ADU], limits [0.86, 1.44] ADU",
        "CCD",
        quads,
    );
    for ccd in 1..=3 {
        offsets = offsets.row(
            format!("CCD{ccd}"),
            (0..4)
                .map(|q| {
                    Some(ComplianceCell::check(
                        2800.0 + f64::from(ccd * 4 + q),
                        2750.0,
                        2850.0,
                    ))
                })
                .collect(),
        );
        ron = ron.row(
            format!("CCD{ccd}"),
            (0..4)
                .map(|q| {
                    if ccd == 3 && q == 3 {
                        None
                    } else {
                        let v = if ccd == 2 && q == 2 {
                            1.62
                        } else {
                            1.1 + 0.02 * f64::from(q)
                        };
                        Some(ComplianceCell::check(v, 0.86, 1.44))
                    }
                })
                .collect(),
        );
    }

    let t: Vec<f64> = (0..120).map(|i| f64::from(i) * 30.0).collect();
    let hk = XyPlot::new(
        "HK: CCD temperatures",
        "time since start [s]",
        "temperature [C]",
    )
    .with_series(Series::line(
        "CCD1_TEMP_T",
        t.clone(),
        t.iter().map(|s| -120.0 + 0.3 * (s / 400.0).sin()).collect(),
    ))
    .with_series(Series::line(
        "CCD2_TEMP_T",
        t.clone(),
        t.iter().map(|s| -119.6 + 0.2 * (s / 700.0).cos()).collect(),
    ))
    .with_hline(-118.5, "upper limit")
    .with_hline(-121.5, "lower limit");
    let hk_png = hk
        .render_png(900, 450)
        .unwrap_or_else(|e| panic!("HK plot: {e}"));

    let frames: Vec<f64> = (1..=10).map(f64::from).collect();
    let trend = XyPlot::new(
        "Offset trend, CCD1",
        "frame number",
        "pre-scan offset [ADU]",
    )
    .with_series(
        Series::new(
            "CCD1 E",
            frames.clone(),
            frames.iter().map(|f| 2801.0 + 0.1 * f).collect(),
            SeriesStyle::LinePoints,
        )
        .with_y_err(vec![0.3; 10]),
    )
    .with_series(Series::points(
        "CCD1 F",
        frames.clone(),
        frames.iter().map(|f| 2803.0 - 0.05 * f).collect(),
    ));
    let trend_svg = trend
        .render_svg(800, 400)
        .unwrap_or_else(|e| panic!("trend plot: {e}"));

    let map = crate::plots::quadrant_map();
    let map_png = map
        .render_png(1100, 800)
        .unwrap_or_else(|e| panic!("map: {e}"));

    let values: Vec<f64> = crate::plots::synthetic_quadrant(1, 2, 120, 120)
        .iter()
        .map(|v| f64::from(*v))
        .collect();
    let hist = Histogram::new(
        "Master bias pixel values, CCD2 G",
        "bias [ADU]",
        "pixels per bin",
    )
    .with_data("CCD2 G", values)
    .with_range(1010.0, 1022.0)
    .with_bins(48);
    let hist_png = hist
        .render_png(800, 400)
        .unwrap_or_else(|e| panic!("hist: {e}"));

    let mean: Vec<f64> = (1..=15).map(|i| f64::from(i) * 2500.0).collect();
    let var: Vec<f64> = mean
        .iter()
        .enumerate()
        .map(|(i, m)| m / 3.3 + 1.5 + 15.0 * ((i as f64) * 1.7).sin())
        .collect();
    let fit = FitPlot::new(
        FitAxes::new(
            "PTC, CCD1 E",
            "mean signal [ADU]",
            "variance [ADU^2]",
            "data - model [ADU^2]",
        ),
        Series::points("flat pairs", mean, var).with_y_err(vec![12.0; 15]),
        "fit: gain 3.30 e-/ADU",
        |m| m / 3.3 + 1.5,
    )
    .unwrap_or_else(|e| panic!("fit: {e}"));
    let fit_png = fit
        .render_png(800, 560)
        .unwrap_or_else(|e| panic!("fit: {e}"));

    let mut grid = PlotGrid::new("RON per exposure, per CCD and quadrant", 4);
    for ccd in 1..=3 {
        for q in quads {
            grid = grid.with_panel(
                XyPlot::new(format!("CCD{ccd} {q}"), "frame", "RON [ADU]")
                    .with_series(Series::points(
                        "pre-scan",
                        frames.clone(),
                        frames
                            .iter()
                            .map(|f| 1.1 + 0.01 * (f * f64::from(ccd)).sin())
                            .collect(),
                    ))
                    .with_hline(1.44, "max"),
            );
        }
    }
    let grid_png = grid
        .render_png(1100, 800)
        .unwrap_or_else(|e| panic!("grid: {e}"));

    let fig = |caption: &str, png: Vec<u8>| {
        Figure::png(caption, png).unwrap_or_else(|e| panic!("{caption}: {e}"))
    };
    let report = Report::new(format!("VIS ground calibration: BIAS01 ({HOSTILE})"))
        .with_section(
            Section::new("Inputs and Data Ingestion")
                .with(inputs)
                .with(vison_report::Block::Paragraph(
                "All 6 expected frames were found.\nThe exposure log and the FITS headers agree."
                    .to_owned(),
            )),
        )
        .with_section(
            Section::new("Data Validation")
                .with(vison_report::Block::Heading("Data inventory".to_owned()))
                .with(inventory)
                .with(vison_report::Block::Heading("HK checks".to_owned()))
                .with(figure(fig(
                    "HK time series of the CCD temperatures with the safe limits (dashed).",
                    hk_png,
                )))
                .with(offsets)
                .with(ron)
                .with(figure(Figure::svg(
                    "Pre-scan offset of CCD1 E and F per frame (SVG), error bars: 1-sigma.",
                    trend_svg,
                    800,
                    400,
                )))
                .with(
                    FlagList::new("Flags raised")
                        .flag("RON_OOL", "CCD2 G: RON 1.62 ADU above the 1.44 ADU limit")
                        .flag(
                            "POORQUALDATA",
                            format!("frame 12344 failed validation; header {HOSTILE}"),
                        ),
                ),
        )
        .with_section(
            Section::new("Master bias")
                .with(figure(fig(
                    "Master bias, 3 CCDs x 4 quadrants (zscale per quadrant, colour bar in ADU).",
                    map_png,
                )))
                .with(figure(fig(
                    "Histogram of the master bias of CCD2 G.",
                    hist_png,
                )))
                .with(figure(fig(
                    "Photon transfer curve of CCD1 E: data with the linear model and residuals.",
                    fit_png,
                )))
                .with(figure(fig(
                    "RON per frame for each CCD and quadrant; dashed: limit.",
                    grid_png,
                ))),
        )
        .with_section(
            Section::new("Products").with(
                ProductLinks::new("Products written")
                    .link(
                        "BIAS01_results.json",
                        "BIAS01_results.json",
                        "machine-readable results",
                    )
                    .link(
                        "master_bias_CCD1.fits",
                        "products/master_bias_CCD1.fits",
                        "master bias, CCD1",
                    )
                    .link(
                        "evil",
                        "javascript:alert(1)",
                        "not a relative path: shown, not linked",
                    ),
            ),
        );
    (report, sizes)
}
