//! Backend plumbing: draw any figure to PNG bytes or an SVG string.

use base64::Engine as _;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::Error;
use crate::font::ensure_font;

/// Smallest and largest accepted figure side in pixels.
const SIZE_RANGE_PX: std::ops::RangeInclusive<u32> = 32..=10_000;

/// An RGB bitmap to place on the finished figure at a pixel position (image-map panels).
///
/// Kept outside plotters so that the SVG output embeds one PNG per panel instead of one
/// rectangle per pixel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Blit {
    /// Upper-left corner in figure pixels.
    pub(crate) pos_px: (i32, i32),
    /// Width and height in pixels.
    pub(crate) size_px: (u32, u32),
    /// Row-major RGB bytes, `3 * w * h` long.
    pub(crate) rgb: Vec<u8>,
    /// Text written over the bitmap once it is placed.
    pub(crate) texts: Vec<BlitText>,
}

/// A text drawn over a placed [`Blit`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BlitText {
    /// Text.
    pub(crate) text: String,
    /// Upper-left corner in figure pixels.
    pub(crate) pos_px: (i32, i32),
    /// Font size in pixels.
    pub(crate) size_px: u32,
    /// Colour.
    pub(crate) rgb: (u8, u8, u8),
}

/// Draws the texts of the blits (after the bitmaps were copied).
fn draw_blit_texts<DB: DrawingBackend>(
    name: &str,
    area: &DrawingArea<DB, Shift>,
    blits: &[Blit],
) -> Result<(), Error> {
    for t in blits.iter().flat_map(|b| &b.texts) {
        let colour = RGBColor(t.rgb.0, t.rgb.1, t.rgb.2);
        let style = TextStyle::from((crate::font::FAMILY, t.size_px).into_font()).color(&colour);
        pe(name, area.draw(&Text::new(t.text.clone(), t.pos_px, style)))?;
    }
    Ok(())
}

/// A figure that can draw itself on any plotters drawing area.
pub(crate) trait Figure {
    /// Title used in error messages.
    fn figure_name(&self) -> &str;
    /// Draws the whole figure on `area`, pushing bitmaps to place on top into `blits`.
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        blits: &mut Vec<Blit>,
    ) -> Result<(), Error>;
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
    let mut blits = Vec::new();
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width_px, height_px)).into_drawing_area();
        fig.draw_on(&root, &mut blits)?;
        pe(name, root.present())?;
    }
    for b in &blits {
        copy_blit(&mut rgb, width_px, height_px, b);
    }
    if blits.iter().any(|b| !b.texts.is_empty()) {
        let root = BitMapBackend::with_buffer(&mut rgb, (width_px, height_px)).into_drawing_area();
        draw_blit_texts(name, &root, &blits)?;
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
    let mut blits = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width_px, height_px)).into_drawing_area();
        fig.draw_on(&root, &mut blits)?;
        pe(name, root.present())?;
    }
    // plotters-svg writes `font-size = size / 1.24` while the layout (and the PNG backend) use
    // the full size, so SVG text came out about 20 % smaller than in PNGs; undo the division.
    let mut svg = scale_font_sizes(&svg, 1.24);
    if blits.is_empty() {
        return Ok(svg);
    }
    let mut images = String::new();
    for b in &blits {
        let png = encode_png(name, &b.rgb, b.size_px.0, b.size_px.1)?;
        images.push_str(&format!(
            "<image x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\" href=\"data:image/png;base64,{}\"/>\n",
            b.pos_px.0,
            b.pos_px.1,
            b.size_px.0,
            b.size_px.1,
            base64::engine::general_purpose::STANDARD.encode(png)
        ));
    }
    if blits.iter().any(|b| !b.texts.is_empty()) {
        let mut texts = String::new();
        {
            let root =
                SVGBackend::with_string(&mut texts, (width_px, height_px)).into_drawing_area();
            draw_blit_texts(name, &root, &blits)?;
            pe(name, root.present())?;
        }
        let texts = scale_font_sizes(&texts, 1.24);
        // Keep the body of the second document only.
        if let (Some(a), Some(b)) = (texts.find('>'), texts.rfind("</svg>")) {
            images.push_str(&texts[a + 1..b]);
        }
    }
    match svg.rfind("</svg>") {
        Some(end) => svg.insert_str(end, &images),
        None => svg.push_str(&images),
    }
    Ok(svg)
}

/// Multiplies every `font-size="N"` attribute value in an SVG document by `factor`.
fn scale_font_sizes(svg: &str, factor: f64) -> String {
    const KEY: &str = "font-size=\"";
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(i) = rest.find(KEY) {
        let (head, tail) = rest.split_at(i + KEY.len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        match tail[..end].parse::<f64>() {
            Ok(v) => out.push_str(&format!("{:.2}", v * factor)),
            Err(_) => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Copies a blit into an RGB buffer of `width_px` x `height_px`, clipping at the edges.
fn copy_blit(dst: &mut [u8], width_px: u32, height_px: u32, b: &Blit) {
    let (bw, bh) = (b.size_px.0 as i64, b.size_px.1 as i64);
    if b.rgb.len() < (bw * bh * 3) as usize {
        return;
    }
    for y in 0..bh {
        let ty = i64::from(b.pos_px.1) + y;
        if ty < 0 || ty >= i64::from(height_px) {
            continue;
        }
        for x in 0..bw {
            let tx = i64::from(b.pos_px.0) + x;
            if tx < 0 || tx >= i64::from(width_px) {
                continue;
            }
            let d = ((ty * i64::from(width_px) + tx) * 3) as usize;
            let s = ((y * bw + x) * 3) as usize;
            dst[d..d + 3].copy_from_slice(&b.rgb[s..s + 3]);
        }
    }
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
    fn blit_is_clipped_to_the_canvas() {
        let mut dst = vec![0u8; 4 * 3 * 3];
        let b = Blit {
            pos_px: (2, -1),
            size_px: (3, 2),
            rgb: (0..18).collect(),
            texts: Vec::new(),
        };
        copy_blit(&mut dst, 4, 3, &b);
        // Only source row 1, columns 0..2 land at canvas row 0, columns 2..4.
        assert_eq!(&dst[6..12], &[9, 10, 11, 12, 13, 14]);
        assert!(dst[12..].iter().all(|v| *v == 0) && dst[..6].iter().all(|v| *v == 0));
    }

    #[test]
    fn svg_font_sizes_are_scaled() {
        let svg = r#"<text font-size="10" x="1">a</text><text font-size="bad">b</text>"#;
        assert_eq!(
            scale_font_sizes(svg, 1.5),
            r#"<text font-size="15.00" x="1">a</text><text font-size="bad">b</text>"#
        );
        assert_eq!(scale_font_sizes("no text", 2.0), "no text");
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
