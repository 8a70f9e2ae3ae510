//! Colours and text sizes shared by all plots.

use plotters::style::RGBColor;

/// Qualitative palette for data series (colour-blind friendly "tab10" order).
const SERIES: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colours for horizontal reference lines (limits): red, black, purple, orange.
const HLINES: [RGBColor; 4] = [
    RGBColor(200, 0, 0),
    RGBColor(40, 40, 40),
    RGBColor(120, 40, 160),
    RGBColor(230, 120, 0),
];

/// Colour of the `i`-th data series.
pub(crate) fn series_colour(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Colour of the `i`-th horizontal reference line.
pub(crate) fn hline_colour(i: usize) -> RGBColor {
    HLINES[i % HLINES.len()]
}

/// Title text size in pixels, scaled with the figure height.
pub(crate) fn title_px(height_px: u32) -> u32 {
    (height_px / 24).clamp(13, 26)
}

/// Axis label and tick text size in pixels, scaled with the figure height.
pub(crate) fn label_px(height_px: u32) -> u32 {
    (height_px / 32).clamp(11, 20)
}
