//! Axis range selection and tick-label formatting shared by all plots.

/// Picks a padded `(lo, hi)` axis range from data values; never fails.
///
/// Non-finite values are ignored, and on a log axis so are values `<= 0`. With no usable
/// value the range is `(0, 1)` (log: `(1, 10)`); constant data get a symmetric margin.
pub(crate) fn padded_range(values: impl IntoIterator<Item = f64>, log: bool) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values {
        if v.is_finite() && (!log || v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() || !hi.is_finite() {
        return if log { (1.0, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        let (llo, lhi) = (lo.log10(), hi.log10());
        let span = lhi - llo;
        let pad = if span > 0.0 { 0.05 * span } else { 0.5 };
        // At most 30 decades (the top ones): plotters' log axis slows to a crawl on spans of
        // hundreds of decades, and nobody reads such a plot.
        let b = (lhi + pad).min(300.0);
        let a = (llo - pad).max(b - 30.0).max(-300.0);
        let b = b.max(a + 1.0);
        return (10f64.powf(a), 10f64.powf(b));
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        0.05 * span
    } else if lo == 0.0 {
        1.0
    } else {
        0.05 * lo.abs()
    };
    let (a, b) = (lo - pad, hi + pad);
    if a.is_finite() && b.is_finite() && a < b {
        (a, b)
    } else if lo < hi && (hi - lo).is_finite() {
        (lo, hi)
    } else {
        // Spans near the f64 limits: fall back to a range plotters can map.
        (-f64::MAX / 4.0, f64::MAX / 4.0)
    }
}

/// Formats a tick value compactly: plain decimals for ordinary magnitudes, exponent otherwise.
pub(crate) fn format_tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v == 0.0 {
        return "0".to_owned();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.2e}");
        // Trim "1.50e3" -> "1.5e3", "1.00e3" -> "1e3".
        if let Some((mant, exp)) = s.split_once('e') {
            let mant = trim_zeros(mant);
            return format!("{mant}e{exp}");
        }
        return s;
    }
    let decimals = if a >= 100.0 {
        1
    } else {
        // Enough decimals for about 4 significant digits.
        (3 - a.log10().floor() as i32).clamp(0, 7) as usize
    };
    trim_zeros(&format!("{v:.decimals$}")).to_owned()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_pads_five_percent() {
        let (lo, hi) = padded_range([0.0, 10.0], false);
        assert!((lo + 0.5).abs() < 1e-12 && (hi - 10.5).abs() < 1e-12);
    }

    #[test]
    fn range_ignores_nan_and_handles_degenerate_input() {
        assert_eq!(padded_range([f64::NAN, f64::INFINITY], false), (0.0, 1.0));
        assert_eq!(padded_range([], true), (1.0, 10.0));
        assert_eq!(padded_range([0.0, 0.0], false), (-1.0, 1.0));
        let (lo, hi) = padded_range([2800.0], false);
        assert!((lo - 2660.0).abs() < 1e-9 && (hi - 2940.0).abs() < 1e-9);
        let (lo, hi) = padded_range([-5.0, f64::NAN, 5.0], false);
        assert!((lo + 5.5).abs() < 1e-12 && (hi - 5.5).abs() < 1e-12);
    }

    #[test]
    fn extreme_values_give_finite_ranges() {
        for vals in [[f64::MAX, -f64::MAX], [f64::MAX, f64::MAX], [1e308, 1e307]] {
            let (lo, hi) = padded_range(vals, false);
            assert!(
                lo.is_finite() && hi.is_finite() && lo < hi,
                "{vals:?} -> {lo} {hi}"
            );
        }
        let (lo, hi) = padded_range([1e-300, 2e-300], false);
        assert!(lo < 1e-300 && hi > 2e-300);
        let (lo, hi) = padded_range([f64::MIN_POSITIVE, f64::MAX], true);
        assert!(lo >= 1e-300 && hi <= 1e300 && lo < hi, "{lo} {hi}");
        assert!(
            (hi.log10() - lo.log10() - 30.0).abs() < 1e-9,
            "at most 30 decades: {lo} {hi}"
        );
    }

    #[test]
    fn log_range_skips_non_positive() {
        let (lo, hi) = padded_range([-1.0, 0.0, 10.0, 1000.0], true);
        assert!((lo.log10() - 0.9).abs() < 1e-9, "{lo}");
        assert!((hi.log10() - 3.1).abs() < 1e-9, "{hi}");
        let (lo, hi) = padded_range([100.0], true);
        assert!((lo.log10() - 1.5).abs() < 1e-9 && (hi.log10() - 2.5).abs() < 1e-9);
    }

    #[test]
    fn tick_formatting() {
        assert_eq!(format_tick(0.0), "0");
        assert_eq!(format_tick(2800.0), "2800");
        assert_eq!(format_tick(2800.26), "2800.3");
        assert_eq!(format_tick(0.5), "0.5");
        assert_eq!(format_tick(1.25), "1.25");
        assert_eq!(format_tick(-0.004), "-0.004");
        assert_eq!(format_tick(1.5e7), "1.5e7");
        assert_eq!(format_tick(1e-5), "1e-5");
        assert_eq!(format_tick(f64::NAN), "");
    }
}
