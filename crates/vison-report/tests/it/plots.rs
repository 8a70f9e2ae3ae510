//! Plot rendering: sizes, degenerate data, SVG well-formedness.

use vison_report::{Series, SeriesStyle, XyPlot, png_size_px};

fn hk_like_plot() -> XyPlot {
    let t: Vec<f64> = (0..60).map(|i| f64::from(i) * 10.0).collect();
    let temp: Vec<f64> = t.iter().map(|s| -120.0 + 0.5 * (s / 90.0).sin()).collect();
    let err: Vec<f64> = t.iter().map(|_| 0.1).collect();
    XyPlot::new("CCD1 temperature", "time [s]", "temperature [C]")
        .with_series(
            Series::new("CCD1_TEMP_T", t.clone(), temp, SeriesStyle::LinePoints).with_y_err(err),
        )
        .with_series(Series::line(
            "CCD2_TEMP_T",
            t.clone(),
            t.iter().map(|s| -119.5 + s / 1200.0).collect(),
        ))
        .with_hline(-118.0, "upper limit")
        .with_hline(-122.0, "lower limit")
}

#[test]
fn xy_png_has_requested_size_and_svg_is_complete() {
    let plot = hk_like_plot();
    let png = plot.render_png(800, 500).unwrap();
    assert_eq!(png_size_px(&png), Some((800, 500)));
    std::fs::write(crate::output_dir().join("xy.png"), &png).unwrap();
    let svg = plot.render_svg(640, 400).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{}",
        &svg[..80]
    );
    assert!(svg.contains("width=\"640\"") && svg.contains("height=\"400\""));
    for text in [
        "CCD1 temperature",
        "time [s]",
        "temperature [C]",
        "upper limit",
        "CCD2_TEMP_T",
    ] {
        assert!(svg.contains(text), "SVG lacks text {text:?}");
    }
}

#[test]
fn degenerate_data_does_not_panic() {
    let cases = [
        ("empty", XyPlot::new("empty", "x", "y")),
        (
            "empty series",
            XyPlot::new("empty series", "x", "y").with_series(Series::line("none", vec![], vec![])),
        ),
        (
            "nan",
            XyPlot::new("nan", "x", "y").with_series(Series::points(
                "nan",
                vec![f64::NAN; 3],
                vec![f64::NAN; 3],
            )),
        ),
        (
            "single",
            XyPlot::new("single", "x", "y").with_series(
                Series::points("one", vec![3.0], vec![2800.0]).with_y_err(vec![f64::NAN]),
            ),
        ),
        (
            "constant",
            XyPlot::new("constant", "x", "y").with_series(Series::line(
                "c",
                vec![1.0, 2.0, 3.0],
                vec![5.0; 3],
            )),
        ),
        (
            "log with non-positive",
            XyPlot::new("log", "x", "y")
                .with_series(
                    Series::points("p", vec![-1.0, 0.0, 10.0, 100.0], vec![0.0, 1.0, -3.0, 1e4])
                        .with_y_err(vec![5.0, 5.0, 5.0, 2e4]),
                )
                .with_log(true, true),
        ),
        (
            "all negative on log",
            XyPlot::new("neg", "x", "y")
                .with_series(Series::line("n", vec![-1.0, -2.0], vec![-1.0, -2.0]))
                .with_hline(-5.0, "neg limit")
                .with_log(true, true),
        ),
        (
            "extreme",
            XyPlot::new("extreme", "x", "y").with_series(Series::line(
                "e",
                vec![-f64::MAX, f64::MAX],
                vec![f64::MAX, -f64::MAX],
            )),
        ),
        (
            "extreme log",
            XyPlot::new("extreme log", "x", "y")
                .with_series(Series::points(
                    "e",
                    vec![f64::MIN_POSITIVE, f64::MAX],
                    vec![1e-310, f64::MAX],
                ))
                .with_log(true, true),
        ),
        (
            "infinite",
            XyPlot::new("inf", "x", "y")
                .with_series(Series::line(
                    "i",
                    vec![f64::INFINITY, 1.0],
                    vec![1.0, f64::NEG_INFINITY],
                ))
                .with_hline(f64::NAN, "nan line"),
        ),
    ];
    for (name, plot) in cases {
        let png = plot
            .render_png(300, 200)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(png_size_px(&png), Some((300, 200)), "{name}");
        plot.render_svg(300, 200)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn invalid_size_is_rejected() {
    assert!(hk_like_plot().render_png(0, 100).is_err());
    assert!(hk_like_plot().render_svg(100, 20_000).is_err());
}

/// A synthetic quadrant: offset plus a gradient, noise-like pattern and a few hot pixels.
pub(crate) fn synthetic_quadrant(
    ccd: usize,
    q: usize,
    rows: usize,
    cols: usize,
) -> ndarray::Array2<f32> {
    ndarray::Array2::from_shape_fn((rows, cols), |(r, c)| {
        let base = 1000.0 + 10.0 * ccd as f32 + 3.0 * q as f32;
        let grad = 4.0 * r as f32 / rows as f32;
        let pattern = ((r * 31 + c * 17) % 23) as f32 / 23.0 - 0.5;
        if (r * cols + c).is_multiple_of(997) {
            60000.0
        } else {
            base + grad + pattern
        }
    })
}

pub(crate) fn quadrant_map() -> vison_report::ImagePlot {
    let mut plot = vison_report::ImagePlot::new(
        "Master bias, 3 CCDs x 4 quadrants",
        "column [px]",
        "row [px]",
        "bias [ADU]",
    )
    .with_grid_cols(4);
    for ccd in 0..3 {
        for (q, name) in ["E", "F", "G", "H"].iter().enumerate() {
            let data = synthetic_quadrant(ccd, q, 206, 204);
            plot = plot.with_panel(
                format!("CCD{} {name}", ccd + 1),
                data.view(),
                vison_report::ScaleLimits::default(),
            );
        }
    }
    plot
}

#[test]
fn image_grid_histogram_fit_render_at_requested_sizes() {
    let dir = crate::output_dir();
    let map = quadrant_map();
    let png = map.render_png(1400, 1000).unwrap();
    assert_eq!(png_size_px(&png), Some((1400, 1000)));
    std::fs::write(dir.join("quadrant_map.png"), &png).unwrap();
    let shared = map
        .clone()
        .with_shared_scale(true)
        .render_png(1400, 1000)
        .unwrap();
    std::fs::write(dir.join("quadrant_map_shared.png"), &shared).unwrap();
    let svg = map.render_svg(900, 700).unwrap();
    assert!(
        svg.contains("data:image/png;base64,"),
        "panels should be embedded PNG in the SVG"
    );

    let values: Vec<f64> = synthetic_quadrant(0, 0, 100, 100)
        .iter()
        .map(|v| f64::from(*v))
        .collect();
    let hist = vison_report::Histogram::new("Pixel values CCD1 E", "value [ADU]", "pixels per bin")
        .with_data("CCD1 E", values.clone())
        .with_data("shifted", values.iter().map(|v| v + 2.0).collect())
        .with_range(995.0, 1010.0)
        .with_bins(60);
    let png = hist.render_png(800, 500).unwrap();
    assert_eq!(png_size_px(&png), Some((800, 500)));
    std::fs::write(dir.join("histogram.png"), &png).unwrap();

    let mean: Vec<f64> = (1..=20).map(|i| f64::from(i) * 2000.0).collect();
    let var: Vec<f64> = mean
        .iter()
        .enumerate()
        .map(|(i, m)| m / 3.3 + 2.0 + if i % 2 == 0 { 20.0 } else { -20.0 })
        .collect();
    let fit = vison_report::FitPlot::new(
        vison_report::FitAxes::new(
            "PTC CCD1 E",
            "mean signal [ADU]",
            "variance [ADU^2]",
            "residual [ADU^2]",
        ),
        Series::points("flat pairs", mean, var.clone()).with_y_err(vec![25.0; 20]),
        "gain 3.3 e-/ADU",
        |m| m / 3.3 + 2.0,
    )
    .unwrap();
    let png = fit.render_png(800, 600).unwrap();
    assert_eq!(png_size_px(&png), Some((800, 600)));
    std::fs::write(dir.join("fit.png"), &png).unwrap();
}

#[test]
fn tiny_canvases_and_crowded_grids_do_not_panic() {
    let xy = XyPlot::new(
        "a very long title that does not fit in a tiny canvas at all",
        "x [s]",
        "y [ADU]",
    )
    .with_series(Series::points("p", vec![1.0, 2.0], vec![3.0, 4.0]).with_y_err(vec![0.1, 0.2]))
    .with_hline(3.5, "limit");
    let data = ndarray::Array2::from_shape_fn((20, 30), |(r, c)| (r + c) as f32);
    let mut crowded = vison_report::ImagePlot::new("crowded", "col [px]", "row [px]", "v [ADU]")
        .with_grid_cols(10);
    for i in 0..100 {
        crowded = crowded.with_panel(
            format!("p{i}"),
            data.view(),
            vison_report::ScaleLimits::default(),
        );
    }
    let mut grid = vison_report::PlotGrid::new("grid", 10);
    for _ in 0..100 {
        grid = grid.with_panel(xy.clone());
    }
    let hist =
        vison_report::Histogram::new("h", "v [ADU]", "n").with_data("d", vec![1.0, 2.0, 2.5]);
    let fit = vison_report::FitPlot::new(
        vison_report::FitAxes::new("fit", "x", "y", "r"),
        Series::points("d", vec![1.0, 2.0], vec![1.0, 2.0]),
        "m",
        |x| x,
    )
    .unwrap();
    for (w, h) in [(32, 32), (33, 200), (200, 33), (64, 48)] {
        // Errors are acceptable on impossible layouts; panics are not.
        let _ = xy.render_png(w, h);
        let _ = xy.render_svg(w, h);
        let _ = crowded.render_png(w, h);
        let _ = crowded.clone().with_shared_scale(true).render_png(w, h);
        let _ = grid.render_png(w, h);
        let _ = hist.render_png(w, h);
        let _ = fit.render_png(w, h);
    }
    assert_eq!(
        png_size_px(&crowded.render_png(600, 600).unwrap()),
        Some((600, 600))
    );
    assert_eq!(
        png_size_px(&grid.render_png(600, 600).unwrap()),
        Some((600, 600))
    );
}
