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
