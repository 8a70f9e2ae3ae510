//! The embedded plot font (DejaVu Sans, see `assets/LICENSE-DejaVu.txt`), registered once.

use std::sync::OnceLock;

use plotters::style::FontStyle;

use crate::Error;

/// DejaVu Sans, shipped in the crate so no system fonts are needed.
static DEJAVU_SANS_TTF: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Font family name used by every plot in this crate.
pub(crate) const FAMILY: &str = "sans-serif";

static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Registers the embedded font with plotters (first call only) and reports whether it worked.
pub(crate) fn ensure_font() -> Result<(), Error> {
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS_TTF)
                .map_err(|_| "DejaVuSans.ttf is not a valid font file".to_owned())
        })
        .clone()
        .map_err(Error::Font)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_registers_and_is_idempotent() {
        assert!(ensure_font().is_ok());
        assert!(ensure_font().is_ok());
        assert!(DEJAVU_SANS_TTF.len() > 500_000);
    }
}
