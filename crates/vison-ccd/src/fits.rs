//! FITS input and output: with its header validator, the only module using `fitsio-pure`.
//!
//! Reading parses headers with `fitsio-pure` and decodes pixels here (big-endian, BZERO/BSCALE
//! applied, parallel over chunks), which is several times faster than the library's generic
//! paths. Every file is validated: truncation, unparseable trailing HDUs (which the library
//! would silently drop), missing extensions and shapes that are not a VIS geometry give a
//! named [`Error`]. Headers are validated by the crate's own walk before `fitsio-pure` sees
//! them (see [`inspect_fits`]). Pixels decode to f32: BZERO/BSCALE that would take integer
//! data beyond the f32 range are rejected from the header; floating-point data (BITPIX -32,
//! -64) beyond it decode to +-inf and NaN stays NaN (section statistics exclude non-finite
//! pixels). Writes go to a temporary file in the target directory, then are renamed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use fitsio_pure::extension::{ExtensionType, build_extension_header};
use fitsio_pure::hdu::{Hdu, HduInfo, parse_fits_headers};
use fitsio_pure::header::{Card, serialize_header};
use fitsio_pure::primary::build_primary_header;
use fitsio_pure::value::Value;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::fits_validate::{BLOCK, HduLayout, validate_layout};
use crate::frame::Frame;
use crate::geometry::{FrameGeometry, Section};
use crate::header::{Header, HeaderValue, STRUCTURAL_KEYS};
use crate::stats::Trim;

/// Header keys recording a non-standard geometry (written by vison-sim and our products).
pub const KEY_PRESCAN: &str = "PRESCANX";
/// Serial overscan columns per quadrant.
pub const KEY_OVERSCAN: &str = "OVRSCANX";
/// Parallel overscan rows per quadrant.
pub const KEY_VOVERSCAN: &str = "OVRSCANY";

/// Description of one HDU of a file.
#[derive(Debug, Clone, Serialize)]
pub struct HduSummary {
    /// Index in the file (0 = primary).
    pub index: usize,
    /// EXTNAME, empty when absent.
    pub extname: String,
    /// `image`, `table`, `bintable`, `compressed_image` or `random_groups`.
    pub kind: String,
    /// BITPIX of the stored data (image HDUs).
    pub bitpix: Option<i64>,
    /// Axis lengths, NAXIS1 first.
    pub naxes: Vec<usize>,
    /// Non-structural header cards, HISTORY and COMMENT.
    pub header: Header,
    #[serde(skip)]
    data_start: u64,
    #[serde(skip)]
    bzero: f64,
    #[serde(skip)]
    bscale: f64,
}

impl HduSummary {
    /// True for an image HDU holding a 2-D array.
    pub fn is_image_2d(&self) -> bool {
        self.kind == "image" && self.naxes.len() == 2
    }
}

/// The HDUs of a FITS file, with their headers.
#[derive(Debug, Clone, Serialize)]
pub struct FitsInfo {
    /// The file.
    pub path: PathBuf,
    /// File length in bytes.
    pub file_bytes: u64,
    /// HDUs in file order.
    pub hdus: Vec<HduSummary>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn value_from_fits(v: &Value) -> HeaderValue {
    match v {
        Value::Logical(b) => HeaderValue::Bool(*b),
        Value::Integer(i) => HeaderValue::Int(*i),
        Value::Float(f) => HeaderValue::Float(*f),
        Value::String(s) => HeaderValue::Str(s.trim_end().to_string()),
        Value::ComplexInt(a, b) => HeaderValue::Str(format!("({a}, {b})")),
        Value::ComplexFloat(a, b) => HeaderValue::Str(format!("({a}, {b})")),
        Value::Undefined => HeaderValue::Undefined,
    }
}

fn header_from_cards(cards: &[Card]) -> Header {
    let mut h = Header::new();
    for c in cards {
        let key = c.keyword_str();
        match key {
            "HISTORY" => h
                .history
                .push(c.comment.clone().unwrap_or_default().trim().to_string()),
            "COMMENT" => h
                .comments
                .push(c.comment.clone().unwrap_or_default().trim().to_string()),
            "" => {}
            k if STRUCTURAL_KEYS.contains(&k) => {}
            k => {
                if let Some(v) = &c.value {
                    h.set_with_comment(k, value_from_fits(v), c.comment.as_deref());
                }
            }
        }
    }
    h
}

fn card_str(cards: &[Card], key: &str) -> Option<String> {
    cards
        .iter()
        .find(|c| c.keyword_str() == key)
        .and_then(|c| match &c.value {
            Some(Value::String(s)) => Some(s.trim().to_string()),
            _ => None,
        })
}

/// `fitsio-pure` parses the headers that [`validate_layout`] already read and checked; its
/// reading must agree with that walk.
fn parse_validated(path: &Path, layout: &[HduLayout], len: usize) -> Result<Vec<Hdu>> {
    let parsed = parse_fits_headers(len, |offset, buf| {
        layout
            .iter()
            .find_map(|h| {
                let start = offset.checked_sub(usize::try_from(h.header_start).ok()?)?;
                h.header.get(start..start.checked_add(buf.len())?)
            })
            .map(|src| buf.copy_from_slice(src))
            .ok_or(fitsio_pure::Error::UnexpectedEof)
    })
    .map_err(|e| Error::BadHeader {
        path: path.to_path_buf(),
        detail: format!("fitsio-pure: {e}"),
    })?;
    let agrees =
        parsed.hdus.len() == layout.len()
            && parsed.hdus.iter().zip(layout).all(|(p, l)| {
                p.data_start as u64 == l.data_start && p.data_len as u64 == l.data_bytes
            });
    if !agrees {
        return Err(Error::BadHeader {
            path: path.to_path_buf(),
            detail: format!(
                "fitsio-pure reads {} HDU(s) where the headers describe {}",
                parsed.hdus.len(),
                layout.len()
            ),
        });
    }
    Ok(parsed.hdus)
}

/// Reads and validates the headers of every HDU of `path` (no pixel data is read).
///
/// The headers are checked by the crate's own walk before `fitsio-pure` parses them (see
/// `fits_validate`): a truncated file, a header cut short, an impossible NAXIS, NAXISn, BITPIX,
/// PCOUNT or GCOUNT, data that do not fit in the file, or a BZERO/BSCALE that is not finite,
/// is zero or overflows f32 give a named error.
pub fn inspect_fits(path: &Path) -> Result<FitsInfo> {
    let file = File::open(path).map_err(io_err(path))?;
    let file_bytes = file.metadata().map_err(io_err(path))?.len();
    let len = usize::try_from(file_bytes).map_err(|_| Error::BadHeader {
        path: path.to_path_buf(),
        detail: "file too large".into(),
    })?;
    let layout = validate_layout(path, &file, file_bytes)?;
    let parsed = parse_validated(path, &layout, len)?;
    let mut hdus = Vec::with_capacity(parsed.len());
    for (index, (hdu, lay)) in parsed.iter().zip(&layout).enumerate() {
        let (kind, bitpix, naxes) = match &hdu.info {
            HduInfo::Primary { bitpix, naxes } | HduInfo::Image { bitpix, naxes } => {
                ("image", Some(*bitpix), naxes.clone())
            }
            HduInfo::AsciiTable { naxis1, naxis2, .. } => ("table", None, vec![*naxis1, *naxis2]),
            HduInfo::BinaryTable { naxis1, naxis2, .. } => {
                ("bintable", None, vec![*naxis1, *naxis2])
            }
            HduInfo::RandomGroups { bitpix, naxes, .. } => {
                ("random_groups", Some(*bitpix), naxes.clone())
            }
            HduInfo::CompressedImage {
                zbitpix, znaxes, ..
            } => ("compressed_image", Some(*zbitpix), znaxes.clone()),
        };
        hdus.push(HduSummary {
            index,
            extname: card_str(&hdu.cards, "EXTNAME").unwrap_or_default(),
            kind: kind.to_string(),
            bitpix,
            naxes,
            header: header_from_cards(&hdu.cards),
            data_start: lay.data_start,
            bzero: lay.bzero,
            bscale: lay.bscale,
        });
    }
    Ok(FitsInfo {
        path: path.to_path_buf(),
        file_bytes,
        hdus,
    })
}

/// Which image HDU to read.
#[derive(Debug, Clone, Copy)]
pub enum HduSelector<'a> {
    /// The last 2-D image HDU (ELVIS frames have exactly one, after an empty primary).
    LastImage,
    /// The HDU with this EXTNAME (case-insensitive).
    Name(&'a str),
    /// The HDU at this index.
    Index(usize),
}

fn select_hdu<'i>(info: &'i FitsInfo, sel: HduSelector<'_>) -> Result<&'i HduSummary> {
    let found = match sel {
        HduSelector::LastImage => info.hdus.iter().rev().find(|h| h.is_image_2d()),
        HduSelector::Name(n) => info.hdus.iter().find(|h| h.extname.eq_ignore_ascii_case(n)),
        HduSelector::Index(i) => info.hdus.get(i),
    };
    let hdu = found.ok_or_else(|| {
        let names: Vec<String> = info
            .hdus
            .iter()
            .map(|h| {
                let name = if h.index == 0 { "primary" } else { &h.extname };
                format!("{}:{name} {} {:?}", h.index, h.kind, h.naxes)
            })
            .collect();
        let wanted = match sel {
            HduSelector::LastImage => "no 2-D image HDU".to_string(),
            other => format!("no HDU {other:?}"),
        };
        Error::MissingExtension {
            path: info.path.clone(),
            detail: format!("{wanted}; the file has HDUs {}", names.join(", ")),
        }
    })?;
    if !hdu.is_image_2d() {
        return Err(Error::MissingExtension {
            path: info.path.clone(),
            detail: format!(
                "HDU {} ({}) is a {} with axes {:?}, not a 2-D image",
                hdu.index, hdu.extname, hdu.kind, hdu.naxes
            ),
        });
    }
    if hdu.bitpix == Some(16) && hdu.bzero != 32768.0 {
        return Err(Error::UnsupportedFormat {
            path: info.path.clone(),
            detail: format!(
                "HDU {} ({}): BITPIX 16 with BZERO {} (0 when the card is missing): signed \
                 16-bit data, but ELVIS frames and vison-rs products store unsigned 16-bit \
                 pixels with BZERO = 32768",
                hdu.index, hdu.extname, hdu.bzero
            ),
        });
    }
    Ok(hdu)
}

/// Pixels decoded per parallel work item: 256 KiB of f32 output, small enough that the raw
/// bytes of a chunk stay in cache between the read and the decode.
const DECODE_CHUNK_PX: usize = 1 << 16;

/// Checks that `bitpix` is one we decode.
fn check_bitpix(path: &Path, bitpix: i64) -> Result<()> {
    if matches!(bitpix, 8 | 16 | 32 | 64 | -32 | -64) {
        Ok(())
    } else {
        Err(Error::UnsupportedFormat {
            path: path.to_path_buf(),
            detail: format!("BITPIX {bitpix}"),
        })
    }
}

/// Decodes big-endian FITS values to f32 physical values (`raw * bscale + bzero`), serially.
/// `raw` holds `out.len()` values of `bitpix`, already checked by [`check_bitpix`].
fn decode_be_chunk(raw: &[u8], bitpix: i64, bzero: f64, bscale: f64, out: &mut [f32]) {
    macro_rules! decode {
        ($t:ty, $n:expr) => {{
            for (v, b) in out.iter_mut().zip(raw.chunks_exact($n)) {
                let mut a = [0u8; $n];
                a.copy_from_slice(b);
                *v = (f64::from(<$t>::from_be_bytes(a)) * bscale + bzero) as f32;
            }
        }};
    }
    match bitpix {
        16 if bscale == 1.0 && bzero == 32768.0 => {
            // Exact unsigned-16 fast path: flip the sign bit.
            for (v, b) in out.iter_mut().zip(raw.chunks_exact(2)) {
                *v = f32::from(u16::from_be_bytes([b[0], b[1]]) ^ 0x8000);
            }
        }
        8 => {
            for (v, &b) in out.iter_mut().zip(raw) {
                *v = (f64::from(b) * bscale + bzero) as f32;
            }
        }
        16 => decode!(i16, 2),
        32 => decode!(i32, 4),
        -32 if bscale == 1.0 && bzero == 0.0 => {
            for (v, b) in out.iter_mut().zip(raw.chunks_exact(4)) {
                *v = f32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            }
        }
        -32 => {
            for (v, b) in out.iter_mut().zip(raw.chunks_exact(4)) {
                let x = f32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                *v = (f64::from(x) * bscale + bzero) as f32;
            }
        }
        64 => {
            for (v, b) in out.iter_mut().zip(raw.chunks_exact(8)) {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                *v = (i64::from_be_bytes(a) as f64 * bscale + bzero) as f32;
            }
        }
        _ => decode!(f64, 8),
    }
}

/// Reads `out.len()` values of `hdu` starting at pixel `px0` (row-major) and decodes them
/// into `out`: positional reads of cache-sized chunks, read and decoded in parallel, so no
/// file-sized intermediate buffer is allocated.
fn read_decode(
    path: &Path,
    file: &File,
    hdu: &HduSummary,
    px0: usize,
    out: &mut [f32],
) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let bitpix = hdu.bitpix.unwrap_or(0);
    check_bitpix(path, bitpix)?;
    let bpp = bytes_per_px(bitpix);
    let base = hdu.data_start + (px0 * bpp) as u64;
    out.par_chunks_mut(DECODE_CHUNK_PX)
        .enumerate()
        .try_for_each_init(
            || vec![0u8; DECODE_CHUNK_PX * bpp],
            |raw, (k, o)| {
                let raw = &mut raw[..o.len() * bpp];
                let at = base + (k * DECODE_CHUNK_PX * bpp) as u64;
                file.read_exact_at(raw, at).map_err(io_err(path))?;
                decode_be_chunk(raw, bitpix, hdu.bzero, hdu.bscale, o);
                Ok(())
            },
        )
}

fn bytes_per_px(bitpix: i64) -> usize {
    (bitpix.unsigned_abs() / 8) as usize
}

/// Reads one 2-D image HDU as f32 physical values, shape `(NAXIS2, NAXIS1)`.
pub fn read_image(path: &Path, sel: HduSelector<'_>) -> Result<(HduSummary, Array2<f32>)> {
    let info = inspect_fits(path)?;
    let hdu = select_hdu(&info, sel)?.clone();
    let (nx, ny) = (hdu.naxes[0], hdu.naxes[1]);
    let file = File::open(path).map_err(io_err(path))?;
    let mut data = Array2::<f32>::zeros((ny, nx));
    let out = data
        .as_slice_mut()
        .ok_or_else(|| Error::InvalidArgument("non-contiguous output".into()))?;
    read_decode(path, &file, &hdu, 0, out)?;
    Ok((hdu, data))
}

/// Reads one 2-D image HDU into `out`, reusing its allocation when the shape already matches
/// (no page faults on a fresh buffer: the fastest way to read many frames in a loop).
pub fn read_image_into(
    path: &Path,
    sel: HduSelector<'_>,
    out: &mut Array2<f32>,
) -> Result<HduSummary> {
    let info = inspect_fits(path)?;
    let hdu = select_hdu(&info, sel)?.clone();
    let (nx, ny) = (hdu.naxes[0], hdu.naxes[1]);
    if out.dim() != (ny, nx) || !out.is_standard_layout() {
        *out = Array2::<f32>::zeros((ny, nx));
    }
    let file = File::open(path).map_err(io_err(path))?;
    let buf = out
        .as_slice_mut()
        .ok_or_else(|| Error::InvalidArgument("non-contiguous output".into()))?;
    read_decode(path, &file, &hdu, 0, buf)?;
    Ok(hdu)
}

/// Columns a serial section needs so that its standard check trim
/// ([`Trim::standard`]) leaves at least one.
fn min_cols_px(section: Section) -> usize {
    let t = Trim::standard(section);
    t.cols.0 + t.cols.1 + 1
}

/// Geometry of an image from its header keys (`PRESCANX`, `OVRSCANX`, `OVRSCANY`, all three
/// or none) or, without them, its standard shape.
///
/// The keys must be non-negative integers consistent with NAXIS1 x NAXIS2 and leave every
/// serial section at least one column after its standard check trim (a prescan of at least
/// 31 columns, an overscan and an image of at least 11); anything else is
/// [`Error::WrongShape`] naming the key.
pub fn geometry_of(
    path: &Path,
    header: &Header,
    naxis1: usize,
    naxis2: usize,
) -> Result<FrameGeometry> {
    let keys = [KEY_PRESCAN, KEY_OVERSCAN, KEY_VOVERSCAN];
    let bad = |detail: String| Error::WrongShape {
        path: path.to_path_buf(),
        detail,
    };
    if keys.iter().all(|k| header.get(k).is_none()) {
        return FrameGeometry::from_standard_shape(naxis1, naxis2).ok_or_else(|| {
            bad(format!(
                "{naxis1} x {naxis2} is not a VIS frame (expected 4238 x 4172 or 4238 x 4132, \
                 or geometry keys {KEY_PRESCAN}/{KEY_OVERSCAN}/{KEY_VOVERSCAN})"
            ))
        });
    }
    let key = |k: &str| -> Result<usize> {
        let v = header.get(k).ok_or_else(|| {
            bad(format!(
                "{k} is missing while other geometry keys ({}) are present",
                keys.join("/")
            ))
        })?;
        v.as_i64()
            .and_then(|i| usize::try_from(i).ok())
            .ok_or_else(|| {
                bad(format!(
                    "{k} = {} is not a non-negative integer",
                    v.to_text()
                ))
            })
    };
    let (pre, ove, vove) = (key(KEY_PRESCAN)?, key(KEY_OVERSCAN)?, key(KEY_VOVERSCAN)?);
    for (k, v, section) in [
        (KEY_PRESCAN, pre, Section::Prescan),
        (KEY_OVERSCAN, ove, Section::Overscan),
    ] {
        let min = min_cols_px(section);
        if v < min {
            return Err(bad(format!(
                "{k} = {v} leaves no {section} column after the standard check trim \
                 (at least {min} needed; VIS has 51 prescan and 20 or 29 overscan columns)"
            )));
        }
    }
    let cols = (naxis1 / 2).checked_sub(pre.saturating_add(ove));
    let rows = (naxis2 / 2).checked_sub(vove);
    let min_img = min_cols_px(Section::Image);
    match (cols, rows) {
        (Some(c), Some(r))
            if c >= min_img && r > 0 && naxis1.is_multiple_of(2) && naxis2.is_multiple_of(2) =>
        {
            Ok(FrameGeometry {
                image_cols_px: c,
                image_rows_px: r,
                prescan_px: pre,
                overscan_px: ove,
                voverscan_px: vove,
            })
        }
        _ => Err(bad(format!(
            "{naxis1} x {naxis2} pixels do not hold four quadrants of {KEY_PRESCAN} {pre} + \
             at least {min_img} image + {KEY_OVERSCAN} {ove} columns and at least one image row \
             above {KEY_VOVERSCAN} {vove} rows"
        ))),
    }
}

/// Reads an ELVIS frame (raw u16 with BZERO 32768, or an f32 product): the last image HDU.
pub fn read_frame(path: &Path) -> Result<Frame> {
    read_frame_hdu(path, HduSelector::LastImage)
}

/// Reads a chosen image HDU as a [`Frame`], validating its geometry.
pub fn read_frame_hdu(path: &Path, sel: HduSelector<'_>) -> Result<Frame> {
    let (hdu, data) = read_image(path, sel)?;
    let geometry = geometry_of(path, &hdu.header, hdu.naxes[0], hdu.naxes[1])?;
    Ok(Frame {
        geometry,
        data,
        header: hdu.header,
        extname: hdu.extname,
    })
}

/// Reads rows `[row0, row0 + out.len() / NAXIS1)` of an image HDU, for band-wise stacking.
#[derive(Debug)]
pub struct RowReader {
    path: PathBuf,
    file: File,
    hdu: HduSummary,
}

impl RowReader {
    /// Opens the image HDU `sel` of `path` for row-band reads.
    pub fn open(path: &Path, sel: HduSelector<'_>) -> Result<Self> {
        let info = inspect_fits(path)?;
        let hdu = select_hdu(&info, sel)?.clone();
        let file = File::open(path).map_err(io_err(path))?;
        Ok(RowReader {
            path: path.to_path_buf(),
            file,
            hdu,
        })
    }

    /// `(rows, cols)` = `(NAXIS2, NAXIS1)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.hdu.naxes[1], self.hdu.naxes[0])
    }

    /// The HDU's header.
    pub fn header(&self) -> &Header {
        &self.hdu.header
    }

    /// Fills `out` (a whole number of rows) with rows starting at `row0`.
    pub fn read_rows(&mut self, row0: usize, out: &mut [f32]) -> Result<()> {
        let (rows, cols) = self.shape();
        if cols == 0 || !out.len().is_multiple_of(cols) || row0 + out.len() / cols > rows {
            return Err(Error::InvalidArgument(format!(
                "{}: rows {row0}+{} outside 0..{rows}",
                self.path.display(),
                out.len() / cols.max(1)
            )));
        }
        read_decode(&self.path, &self.file, &self.hdu, row0 * cols, out)
    }
}

fn fits_card(path: &Path, key: &str, value: &HeaderValue, comment: Option<&str>) -> Result<Card> {
    let v = match value {
        HeaderValue::Bool(b) => Value::Logical(*b),
        HeaderValue::Int(i) => Value::Integer(*i),
        HeaderValue::Float(f) if f.is_finite() => Value::Float(*f),
        HeaderValue::Float(_) => Value::Undefined,
        HeaderValue::Str(s) => Value::String(
            s.chars()
                .filter(|c| c.is_ascii() && !c.is_ascii_control())
                .collect(),
        ),
        HeaderValue::Undefined => Value::Undefined,
    };
    let mut card = Card::new(key, v).map_err(|e| Error::BadCard {
        path: path.to_path_buf(),
        key: key.to_string(),
        detail: format!("{e} (keywords are 1-8 upper-case letters, digits, '-' or '_')"),
    })?;
    card.comment = comment.map(str::to_string);
    Ok(card)
}

fn commentary(key: &[u8; 8], text: &str) -> Vec<Card> {
    let clean: String = text
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .collect();
    let chunks: Vec<String> = if clean.is_empty() {
        vec![String::new()]
    } else {
        clean
            .as_bytes()
            .chunks(70)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect()
    };
    chunks
        .into_iter()
        .map(|c| Card {
            keyword: *key,
            value: None,
            comment: Some(format!(" {c}")),
        })
        .collect()
}

fn header_cards(path: &Path, header: &Header) -> Result<Vec<Card>> {
    let mut cards = Vec::with_capacity(header.cards.len() + header.history.len());
    for c in &header.cards {
        if STRUCTURAL_KEYS.contains(&c.key.as_str()) {
            continue;
        }
        cards.push(fits_card(path, &c.key, &c.value, c.comment.as_deref())?);
    }
    for t in &header.comments {
        cards.extend(commentary(b"COMMENT ", t));
    }
    for t in &header.history {
        cards.extend(commentary(b"HISTORY ", t));
    }
    Ok(cards)
}

/// Pixel data of one product extension.
#[derive(Debug, Clone, Copy)]
pub enum ImageDataRef<'a> {
    /// Float image (BITPIX -32).
    F32(ArrayView2<'a, f32>),
    /// Byte image, e.g. a mask (BITPIX 8).
    U8(ArrayView2<'a, u8>),
    /// Unsigned 16-bit image (BITPIX 16 with BZERO 32768).
    U16(ArrayView2<'a, u16>),
}

impl ImageDataRef<'_> {
    fn dim(&self) -> (usize, usize) {
        match self {
            ImageDataRef::F32(a) => a.dim(),
            ImageDataRef::U8(a) => a.dim(),
            ImageDataRef::U16(a) => a.dim(),
        }
    }
}

/// One image extension of a product file.
#[derive(Debug, Clone)]
pub struct ProductHdu<'a> {
    /// EXTNAME, e.g. `FLAT`, `MASK`, `UNC`.
    pub name: String,
    /// Extension header (non-structural cards, HISTORY).
    pub header: Header,
    /// Pixels, shape `(rows, cols)`.
    pub data: ImageDataRef<'a>,
}

/// A sink that writes to a temp file in the destination folder and renames on commit;
/// dropped without commit, it removes the temp file.
struct AtomicWriter {
    tmp: PathBuf,
    dest: PathBuf,
    inner: Option<BufWriter<File>>,
}

impl AtomicWriter {
    fn create(dest: &Path) -> Result<Self> {
        // Streamed (frames are large): the temporary name and rename of vison-stdx's atomic write.
        let tmp = vison_stdx::temp_sibling(dest);
        let f = File::create(&tmp).map_err(io_err(&tmp))?;
        Ok(AtomicWriter {
            tmp,
            dest: dest.to_path_buf(),
            inner: Some(BufWriter::with_capacity(1 << 20, f)),
        })
    }

    fn commit(mut self) -> Result<()> {
        let Some(inner) = self.inner.take() else {
            return Err(Error::InvalidArgument("writer already committed".into()));
        };
        let file = inner
            .into_inner()
            .map_err(|e| io_err(&self.tmp)(e.into_error()))?;
        file.sync_data().map_err(io_err(&self.tmp))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest).map_err(io_err(&self.dest))
    }
}

impl Drop for AtomicWriter {
    fn drop(&mut self) {
        if self.inner.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

impl Write for AtomicWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.inner.as_mut() {
            Some(w) => w.write(buf),
            None => Err(std::io::Error::other("writer already committed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.inner.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

fn write_hdu(
    path: &Path,
    w: &mut AtomicWriter,
    primary: bool,
    name: Option<&str>,
    header: &Header,
    data: Option<ImageDataRef<'_>>,
) -> Result<()> {
    let lib = |e: fitsio_pure::Error| Error::BadHeader {
        path: path.to_path_buf(),
        detail: format!("while writing: {e}"),
    };
    let (bitpix, naxes) = match data {
        None => (8, vec![]),
        Some(ImageDataRef::F32(a)) => (-32, vec![a.ncols(), a.nrows()]),
        Some(ImageDataRef::U8(a)) => (8, vec![a.ncols(), a.nrows()]),
        Some(ImageDataRef::U16(a)) => (16, vec![a.ncols(), a.nrows()]),
    };
    let mut cards = if primary {
        let mut c = build_primary_header(bitpix, &naxes).map_err(lib)?;
        c.push(fits_card(path, "EXTEND", &HeaderValue::Bool(true), None)?);
        c
    } else {
        build_extension_header(ExtensionType::Image, bitpix, &naxes, 0, 1).map_err(lib)?
    };
    if matches!(data, Some(ImageDataRef::U16(_))) {
        cards.push(fits_card(
            path,
            "BZERO",
            &HeaderValue::Float(32768.0),
            Some("unsigned 16-bit data"),
        )?);
        cards.push(fits_card(path, "BSCALE", &HeaderValue::Float(1.0), None)?);
    }
    if let Some(n) = name {
        cards.push(fits_card(
            path,
            "EXTNAME",
            &HeaderValue::Str(n.to_string()),
            None,
        )?);
    }
    cards.extend(header_cards(path, header)?);
    let head = serialize_header(&cards).map_err(lib)?;
    w.write_all(&head).map_err(io_err(path))?;
    let Some(data) = data else { return Ok(()) };
    let (rows, cols) = data.dim();
    let n = rows * cols;
    let mut buf: Vec<u8> = Vec::with_capacity(n * bytes_per_px(bitpix));
    match data {
        ImageDataRef::F32(a) => a
            .iter()
            .for_each(|v| buf.extend_from_slice(&v.to_be_bytes())),
        ImageDataRef::U8(a) => buf.extend(a.iter()),
        ImageDataRef::U16(a) => a
            .iter()
            .for_each(|v| buf.extend_from_slice(&(v ^ 0x8000).to_be_bytes())),
    }
    let pad = (BLOCK - buf.len() % BLOCK) % BLOCK;
    buf.resize(buf.len() + pad, 0);
    w.write_all(&buf).map_err(io_err(path))
}

fn geometry_header(frame: &Frame) -> Header {
    let mut h = frame.header.clone();
    let g = &frame.geometry;
    h.set_with_comment(
        KEY_PRESCAN,
        g.prescan_px,
        Some("serial prescan columns per quadrant"),
    );
    h.set_with_comment(
        KEY_OVERSCAN,
        g.overscan_px,
        Some("serial overscan columns per quadrant"),
    );
    h.set_with_comment(
        KEY_VOVERSCAN,
        g.voverscan_px,
        Some("parallel overscan rows per quadrant"),
    );
    h
}

/// Converts an ADU value to the stored unsigned 16-bit value (rounded, clipped to 0..=65535).
pub fn adu_to_u16(v: f32) -> u16 {
    if v.is_nan() {
        0
    } else {
        v.round().clamp(0.0, 65535.0) as u16
    }
}

/// Writes a raw-format ELVIS frame: empty primary HDU, one extension named `frame.extname`
/// (e.g. `ROE1_CCD2`) with u16 data (BZERO 32768), the frame's header keys and geometry keys.
pub fn write_raw_frame(path: &Path, frame: &Frame) -> Result<()> {
    let u16s: Vec<u16> = frame
        .data
        .as_slice()
        .map(|s| s.par_iter().map(|&v| adu_to_u16(v)).collect())
        .unwrap_or_else(|| frame.data.iter().map(|&v| adu_to_u16(v)).collect());
    let arr = ArrayView2::from_shape(frame.data.dim(), &u16s)
        .map_err(|e| Error::ShapeMismatch(e.to_string()))?;
    write_raw_u16(path, &frame.extname, &geometry_header(frame), arr)
}

/// Writes raw u16 pixels as an ELVIS frame (empty primary + one named extension).
pub fn write_raw_u16(
    path: &Path,
    extname: &str,
    header: &Header,
    data: ArrayView2<'_, u16>,
) -> Result<()> {
    let mut w = AtomicWriter::create(path)?;
    write_hdu(path, &mut w, true, None, &Header::new(), None)?;
    write_hdu(
        path,
        &mut w,
        false,
        Some(extname),
        header,
        Some(ImageDataRef::U16(data)),
    )?;
    w.commit()
}

/// Writes a product file: a primary HDU holding `primary` (no data) and one named image
/// extension per entry of `hdus`.
pub fn write_product(path: &Path, primary: &Header, hdus: &[ProductHdu<'_>]) -> Result<()> {
    let mut w = AtomicWriter::create(path)?;
    write_hdu(path, &mut w, true, None, primary, None)?;
    for h in hdus {
        write_hdu(path, &mut w, false, Some(&h.name), &h.header, Some(h.data))?;
    }
    w.commit()
}

/// Geometry keys for a product written from quadrant-layout frames.
pub fn geometry_keys(g: &FrameGeometry, header: &mut Header) {
    header.set(KEY_PRESCAN, g.prescan_px);
    header.set(KEY_OVERSCAN, g.overscan_px);
    header.set(KEY_VOVERSCAN, g.voverscan_px);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern_frame() -> Frame {
        let mut f = Frame::zeros(FrameGeometry::small());
        for (i, x) in f.data.iter_mut().enumerate() {
            *x = ((i * 7919) % 65536) as f32;
        }
        f.extname = "ROE1_CCD1".into();
        f
    }

    #[test]
    fn chunked_reads_cross_chunk_boundaries_exactly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("raw.fits");
        let f = pattern_frame();
        assert!(f.data.len() > 3 * DECODE_CHUNK_PX);
        write_raw_frame(&p, &f).expect("write");
        let (_, img) = read_image(&p, HduSelector::LastImage).expect("read");
        assert_eq!(img, f.data);
        // Reused buffer: a wrong shape is replaced, a right one is filled in place.
        let mut buf = Array2::<f32>::zeros((3, 3));
        read_image_into(&p, HduSelector::LastImage, &mut buf).expect("read into");
        assert_eq!(buf, f.data);
        buf.fill(-1.0);
        let ptr = buf.as_ptr();
        read_image_into(&p, HduSelector::LastImage, &mut buf).expect("read into");
        assert_eq!((buf.as_ptr(), &buf), (ptr, &f.data));
        // Row bands starting mid-chunk.
        let mut rr = RowReader::open(&p, HduSelector::LastImage).expect("open");
        let (rows, cols) = rr.shape();
        let mut band = vec![0f32; 150 * cols];
        rr.read_rows(101, &mut band).expect("rows");
        let expect = f.data.slice(ndarray::s![101..251, ..]);
        assert!(band.iter().zip(expect.iter()).all(|(a, b)| a == b));
        assert!(rr.read_rows(rows - 10, &mut band).is_err());
    }

    #[test]
    fn float_and_byte_products_decode_exactly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("prod.fits");
        let a = Array2::from_shape_fn((300, 301), |(r, c)| (r as f32 - 150.5) * 1.25e-3 * c as f32);
        let m = Array2::from_shape_fn((300, 301), |(r, c)| ((r + c) % 3) as u8);
        let hdus = [
            ProductHdu {
                name: "FLAT".into(),
                header: Header::new(),
                data: ImageDataRef::F32(a.view()),
            },
            ProductHdu {
                name: "MASK".into(),
                header: Header::new(),
                data: ImageDataRef::U8(m.view()),
            },
        ];
        write_product(&p, &Header::new(), &hdus).expect("write");
        let (_, fa) = read_image(&p, HduSelector::Name("flat")).expect("flat");
        assert_eq!(fa, a);
        let (_, fm) = read_image(&p, HduSelector::Name("MASK")).expect("mask");
        assert_eq!(fm, m.mapv(f32::from));
    }
}
