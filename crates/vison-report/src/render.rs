//! Backend plumbing: draw any figure to PNG bytes or an SVG string.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::Error;
use crate::font::ensure_font;

/// Smallest and largest accepted figure side in pixels.
const SIZE_RANGE_PX: std::ops::RangeInclusive<u32> = 32..=10_000;

/// A figure that can draw itself on any plotters drawing area.
pub(crate) trait Figure {
    /// Title used in error messages.
    fn figure_name(&self) -> &str;
    /// Draws the whole figure on `area`.
    fn draw_on<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), Error>;
}

/// Maps a plotters result into this crate's error, naming the figure.
pub(crate) fn pe<T, E: std::fmt::Display>(figure: &str, r: Result<T, E>) -> Result<T, Error> {
    r.map_err(|e| Error::Draw {
        figure: figure.to_owned(),
        message: e.to_string(),
    })
}

fn check_size(width_px: u32, height_px: u32) -> Result<(), Error> {
    if SIZE_RANGE_PX.contains(&width_px) && SIZE_RANGE_PX.contains(&height_px) {
        Ok(())
    } else {
        Err(Error::InvalidSize {
            width_px,
            height_px,
        })
    }
}

/// Renders `fig` to an RGB PNG of the given size.
pub(crate) fn render_png<F: Figure>(
    fig: &F,
    width_px: u32,
    height_px: u32,
) -> Result<Vec<u8>, Error> {
    check_size(width_px, height_px)?;
    ensure_font()?;
    let name = fig.figure_name();
    let mut rgb = vec![255u8; width_px as usize * height_px as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width_px, height_px)).into_drawing_area();
        fig.draw_on(&root)?;
        pe(name, root.present())?;
    }
    encode_png(name, &rgb, width_px, height_px)
}

/// Renders `fig` to a standalone SVG document of the given size.
pub(crate) fn render_svg<F: Figure>(
    fig: &F,
    width_px: u32,
    height_px: u32,
) -> Result<String, Error> {
    check_size(width_px, height_px)?;
    ensure_font()?;
    let name = fig.figure_name();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width_px, height_px)).into_drawing_area();
        fig.draw_on(&root)?;
        pe(name, root.present())?;
    }
    Ok(svg)
}

/// Encodes an 8-bit RGB buffer as PNG.
pub(crate) fn encode_png(
    figure: &str,
    rgb: &[u8],
    width_px: u32,
    height_px: u32,
) -> Result<Vec<u8>, Error> {
    let enc_err = |e: png::EncodingError| Error::PngEncode {
        figure: figure.to_owned(),
        message: e.to_string(),
    };
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width_px, height_px);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Default);
        let mut writer = encoder.write_header().map_err(enc_err)?;
        writer.write_image_data(rgb).map_err(enc_err)?;
        writer.finish().map_err(enc_err)?;
    }
    Ok(out)
}

/// Reads width and height from a PNG header (`None` if `bytes` is not a PNG).
pub fn png_size_px(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIG: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    if bytes.len() < 24 || bytes[..8] != SIG || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
    Some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_header() {
        let rgb = vec![10u8; 7 * 5 * 3];
        let png = encode_png("t", &rgb, 7, 5).unwrap();
        assert_eq!(png_size_px(&png), Some((7, 5)));
        assert_eq!(png_size_px(b"not a png at all, definitely not"), None);
    }

    #[test]
    fn size_limits() {
        assert!(check_size(32, 10_000).is_ok());
        assert!(matches!(
            check_size(0, 100),
            Err(Error::InvalidSize { width_px: 0, .. })
        ));
        assert!(check_size(100, 10_001).is_err());
    }
}
