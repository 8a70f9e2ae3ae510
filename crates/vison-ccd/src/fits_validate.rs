//! FITS header validation before `fitsio-pure` sees a file.
//!
//! `fitsio-pure` 0.25 trusts header values: it casts NAXIS and NAXISn with `as usize` into
//! `Vec::with_capacity` (a negative NAXIS panics, NAXIS = 2^40 aborts the process) and stops
//! silently at the first unparseable extension. This module walks the 2880-byte header blocks
//! itself and checks every structural card against the FITS standard and the file size:
//!
//! - every header ends with an END card inside the file (else [`Error::Truncated`] with the
//!   byte counts, including a file cut inside an extension's header);
//! - the first card is `SIMPLE` (primary) or `XTENSION` = IMAGE, TABLE or BINTABLE;
//! - BITPIX is 8, 16, 32, 64, -32 or -64; NAXIS is an integer in 0..=999; every NAXISn is an
//!   integer >= 0 and not larger than the file; PCOUNT/GCOUNT have the standard's values;
//!   structural keywords appear once;
//! - the data size (overflow-checked) fits in the file;
//! - BZERO and BSCALE are finite numbers, BSCALE != 0, and for integer data they map every
//!   stored value into the f32 range (floating-point data beyond it decode to +-inf).
//!
//! Only a file that passes is handed to `fitsio-pure`, which then re-reads the same header
//! blocks from memory.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use fitsio_pure::header::{Card, parse_card};
use fitsio_pure::value::Value;

use crate::error::{Error, Result};

/// FITS block size in bytes.
pub(crate) const BLOCK: usize = 2880;
const CARD: usize = 80;
const MAX_NAXIS: i64 = 999;

/// Kind of an HDU, from its first card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HduKind {
    /// The primary HDU (an image, possibly without data).
    Primary,
    /// A primary HDU holding random groups.
    RandomGroups,
    /// `XTENSION = 'IMAGE'`.
    Image,
    /// `XTENSION = 'TABLE'`.
    Table,
    /// `XTENSION = 'BINTABLE'`.
    BinTable,
}

/// One HDU as its validated header lays it out in the file.
#[derive(Debug, Clone)]
pub(crate) struct HduLayout {
    /// Byte offset of the header.
    pub(crate) header_start: u64,
    /// Header bytes (whole blocks up to and including the one with END).
    pub(crate) header: Vec<u8>,
    /// Byte offset of the data.
    pub(crate) data_start: u64,
    /// Data bytes announced by the header (without padding).
    pub(crate) data_bytes: u64,
    /// BZERO (0 when absent).
    pub(crate) bzero: f64,
    /// BSCALE (1 when absent).
    pub(crate) bscale: f64,
}

/// Structural cards of one header, by keyword (first occurrence), with duplicates rejected.
struct Cards<'a> {
    path: &'a Path,
    hdu: usize,
    by_key: HashMap<String, &'a Card>,
}

fn is_structural(key: &str) -> bool {
    const KEYS: &[&str] = &[
        "SIMPLE", "XTENSION", "BITPIX", "NAXIS", "PCOUNT", "GCOUNT", "GROUPS", "BZERO", "BSCALE",
        "TFIELDS", "ZIMAGE", "ZBITPIX", "ZNAXIS", "ZCMPTYPE",
    ];
    let numbered = |prefix: &str| {
        key.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    KEYS.contains(&key) || numbered("NAXIS") || numbered("ZNAXIS") || numbered("ZTILE")
}

fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Undefined) => "(no value)".into(),
        Some(Value::Integer(i)) => i.to_string(),
        Some(Value::Float(f)) => format!("{f:e}"),
        Some(Value::Logical(b)) => if *b { "T" } else { "F" }.into(),
        Some(Value::String(s)) => format!("'{}'", s.trim_end()),
        Some(Value::ComplexInt(a, b)) => format!("({a}, {b})"),
        Some(Value::ComplexFloat(a, b)) => format!("({a}, {b})"),
    }
}

impl<'a> Cards<'a> {
    fn new(path: &'a Path, hdu: usize, cards: &'a [Card]) -> Result<Self> {
        let mut by_key: HashMap<String, &Card> = HashMap::new();
        for c in cards {
            let key = c.keyword_str().trim_end();
            if !is_structural(key) {
                continue;
            }
            if by_key.insert(key.to_string(), c).is_some() {
                return Err(Error::InvalidHeaderValue {
                    path: path.to_path_buf(),
                    hdu,
                    key: key.to_string(),
                    detail: "the keyword appears more than once".into(),
                });
            }
        }
        Ok(Cards { path, hdu, by_key })
    }

    fn bad(&self, key: &str, detail: String) -> Error {
        Error::InvalidHeaderValue {
            path: self.path.to_path_buf(),
            hdu: self.hdu,
            key: key.to_string(),
            detail,
        }
    }

    fn value(&self, key: &str) -> Option<&Value> {
        self.by_key.get(key).and_then(|c| c.value.as_ref())
    }

    fn present(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// An integer card: `None` when absent, an error when present but not an integer.
    fn int(&self, key: &str) -> Result<Option<i64>> {
        match (self.present(key), self.value(key)) {
            (false, _) => Ok(None),
            (true, Some(Value::Integer(i))) => Ok(Some(*i)),
            (true, v) => Err(self.bad(key, format!("{} is not an integer", show(v)))),
        }
    }

    fn required_int(&self, key: &str) -> Result<i64> {
        self.int(key)?
            .ok_or_else(|| self.bad(key, "missing required keyword".into()))
    }

    /// A finite number (integer or float), `None` when absent.
    fn number(&self, key: &str) -> Result<Option<f64>> {
        match (self.present(key), self.value(key)) {
            (false, _) => Ok(None),
            (true, Some(Value::Integer(i))) => Ok(Some(*i as f64)),
            (true, Some(Value::Float(f))) if f.is_finite() => Ok(Some(*f)),
            (true, v) => Err(self.bad(key, format!("{} is not a finite number", show(v)))),
        }
    }

    fn logical(&self, key: &str) -> bool {
        matches!(self.value(key), Some(Value::Logical(true)))
    }

    fn string(&self, key: &str) -> Option<String> {
        match self.value(key) {
            Some(Value::String(s)) => Some(s.trim().to_string()),
            _ => None,
        }
    }

    /// An integer that must equal `want` when present (PCOUNT 0, GCOUNT 1).
    fn fixed(&self, key: &str, want: i64, kind: &str) -> Result<()> {
        match self.int(key)? {
            Some(v) if v != want => {
                Err(self.bad(key, format!("{v}, but a {kind} requires {want}")))
            }
            _ => Ok(()),
        }
    }

    /// `NAXIS` (or `ZNAXIS`) and its axis lengths, each checked.
    /// An axis longer than `max_len` is rejected (NAXISn: the file's size in bytes, since even
    /// 8-bit data cannot hold more elements per axis).
    fn axes(&self, naxis_key: &str, max_len: u64) -> Result<Vec<u64>> {
        let naxis = self.required_int(naxis_key)?;
        if !(0..=MAX_NAXIS).contains(&naxis) {
            return Err(self.bad(
                naxis_key,
                format!("{naxis} is outside the FITS range 0..={MAX_NAXIS}"),
            ));
        }
        (1..=naxis)
            .map(|n| {
                let key = format!("{naxis_key}{n}");
                let len = self.required_int(&key)?;
                let len =
                    u64::try_from(len).map_err(|_| self.bad(&key, format!("{len} is negative")))?;
                if len > max_len {
                    return Err(self.bad(
                        &key,
                        format!("{len} is larger than the file can hold ({max_len} bytes)"),
                    ));
                }
                Ok(len)
            })
            .collect()
    }

    fn bitpix(&self, key: &str) -> Result<i64> {
        let b = self.required_int(key)?;
        if matches!(b, 8 | 16 | 32 | 64 | -32 | -64) {
            Ok(b)
        } else {
            Err(self.bad(key, format!("{b} is not one of 8, 16, 32, 64, -32, -64")))
        }
    }
}

fn product(values: &[u64]) -> Option<u64> {
    values.iter().try_fold(1u64, |acc, &v| acc.checked_mul(v))
}

/// Largest magnitude of a stored value of integer `bitpix` (8 is unsigned).
fn raw_max_abs(bitpix: i64) -> Option<f64> {
    match bitpix {
        8 => Some(255.0),
        16 => Some(32768.0),
        32 => Some(2_147_483_648.0),
        64 => Some(2f64.powi(63)),
        _ => None,
    }
}

impl Cards<'_> {
    fn overflow(&self, what: &str) -> Error {
        self.bad("NAXIS", format!("{what} overflows 64 bits"))
    }

    /// Bytes of an array of `axes` (none: no data) with `bytes_per_value`.
    fn array_bytes(&self, axes: &[u64], bytes_per_value: u64) -> Result<u64> {
        if axes.is_empty() {
            return Ok(0);
        }
        product(axes)
            .and_then(|n| n.checked_mul(bytes_per_value))
            .ok_or_else(|| self.overflow("data size"))
    }
}

/// Kind and data bytes of the primary HDU (an image or random groups).
fn primary_size(c: &Cards<'_>, first: &Card, file_bytes: u64) -> Result<(HduKind, u64)> {
    if first.keyword_str() != "SIMPLE" {
        return Err(Error::BadHeader {
            path: c.path.to_path_buf(),
            detail: format!(
                "the first card is '{}', not SIMPLE: not a FITS file",
                first.keyword_str()
            ),
        });
    }
    let bitpix = c.bitpix("BITPIX")?;
    let axes = c.axes("NAXIS", file_bytes)?;
    let bpv = bitpix.unsigned_abs() / 8;
    if axes.first() == Some(&0) && c.logical("GROUPS") {
        let pcount = c.required_int("PCOUNT")?;
        let gcount = c.required_int("GCOUNT")?;
        let (Ok(p), Ok(g)) = (u64::try_from(pcount), u64::try_from(gcount)) else {
            return Err(c.bad(
                "PCOUNT",
                format!("PCOUNT {pcount}, GCOUNT {gcount}: negative"),
            ));
        };
        let bytes = product(&axes[1..])
            .and_then(|n| n.checked_add(p))
            .and_then(|n| n.checked_mul(g))
            .and_then(|n| n.checked_mul(bpv))
            .ok_or_else(|| c.overflow("random-groups size"))?;
        return Ok((HduKind::RandomGroups, bytes));
    }
    Ok((HduKind::Primary, c.array_bytes(&axes, bpv)?))
}

/// Kind and data bytes of an extension: IMAGE, TABLE or BINTABLE (with its heap).
fn extension_size(c: &Cards<'_>, first: &Card, file_bytes: u64) -> Result<(HduKind, u64)> {
    if first.keyword_str() != "XTENSION" {
        return Err(Error::BadHeader {
            path: c.path.to_path_buf(),
            detail: format!(
                "HDU {} starts with '{}', not XTENSION: corrupt header or junk after the last HDU",
                c.hdu,
                first.keyword_str()
            ),
        });
    }
    let xt = c.string("XTENSION").unwrap_or_default();
    let kind = match xt.as_str() {
        "IMAGE" => HduKind::Image,
        "TABLE" => HduKind::Table,
        "BINTABLE" => HduKind::BinTable,
        other => {
            return Err(Error::UnsupportedFormat {
                path: c.path.to_path_buf(),
                detail: format!(
                    "HDU {}: XTENSION '{other}' (IMAGE, TABLE or BINTABLE expected)",
                    c.hdu
                ),
            });
        }
    };
    let bitpix = c.bitpix("BITPIX")?;
    let axes = c.axes("NAXIS", file_bytes)?;
    c.fixed("GCOUNT", 1, &xt)?;
    let bytes = c.array_bytes(&axes, bitpix.unsigned_abs() / 8)?;
    if kind == HduKind::Image {
        c.fixed("PCOUNT", 0, &xt)?;
        return Ok((kind, bytes));
    }
    // Tables: 8-bit, two axes, TFIELDS 0..=999.
    if bitpix != 8 {
        return Err(c.bad("BITPIX", format!("{bitpix}, but a {xt} requires 8")));
    }
    if axes.len() != 2 {
        return Err(c.bad("NAXIS", format!("{}, but a {xt} requires 2", axes.len())));
    }
    let tfields = c.required_int("TFIELDS")?;
    if !(0..=MAX_NAXIS).contains(&tfields) {
        return Err(c.bad("TFIELDS", format!("{tfields} is outside 0..=999")));
    }
    if kind == HduKind::Table {
        c.fixed("PCOUNT", 0, &xt)?;
        return Ok((kind, bytes));
    }
    let pcount = c.required_int("PCOUNT")?;
    let heap =
        u64::try_from(pcount).map_err(|_| c.bad("PCOUNT", format!("{pcount} is negative")))?;
    if c.logical("ZIMAGE") {
        c.bitpix("ZBITPIX")?;
        c.axes("ZNAXIS", u64::MAX)?;
        if c.string("ZCMPTYPE").is_none() {
            return Err(c.bad("ZCMPTYPE", "missing required keyword".into()));
        }
    }
    let bytes = bytes
        .checked_add(heap)
        .ok_or_else(|| c.overflow("data size"))?;
    Ok((kind, bytes))
}

/// BZERO and BSCALE of an HDU: finite, BSCALE != 0, and for integer images the physical
/// values of every stored value inside the f32 range.
fn scaling(c: &Cards<'_>, kind: HduKind) -> Result<(f64, f64)> {
    let bzero = c.number("BZERO")?.unwrap_or(0.0);
    let bscale = c.number("BSCALE")?.unwrap_or(1.0);
    if bscale == 0.0 {
        return Err(c.bad("BSCALE", "0 would map every pixel to BZERO".into()));
    }
    let image = matches!(
        kind,
        HduKind::Primary | HduKind::Image | HduKind::RandomGroups
    );
    let bitpix = c.int("BITPIX")?.unwrap_or(0);
    if let (true, Some(raw)) = (image, raw_max_abs(bitpix)) {
        let max_abs = bzero.abs() + bscale.abs() * raw;
        // BZERO and BSCALE are finite, so max_abs is a number or +inf.
        if max_abs > f64::from(f32::MAX) {
            return Err(c.bad(
                "BZERO/BSCALE",
                format!(
                    "BSCALE {bscale:e} and BZERO {bzero:e} map BITPIX {bitpix} values up to \
                     {max_abs:e}, beyond the f32 range ({:e})",
                    f32::MAX
                ),
            ));
        }
    }
    Ok((bzero, bscale))
}

/// Reads the header starting at `offset`: whole blocks until the END card, each card parsed.
fn read_header(
    path: &Path,
    file: &File,
    offset: u64,
    file_bytes: u64,
    hdu: usize,
) -> Result<(Vec<u8>, Vec<Card>)> {
    let mut bytes = Vec::with_capacity(BLOCK);
    let mut cards = Vec::new();
    let mut block = [0u8; BLOCK];
    loop {
        let at = offset + bytes.len() as u64;
        let left = file_bytes - at;
        if left < BLOCK as u64 {
            let detail = if bytes.is_empty() {
                format!(
                    "the file is {file_bytes} bytes: the header of HDU {hdu} starts at byte \
                     {offset} but only {left} of its at least 2880 bytes are present"
                )
            } else {
                format!(
                    "the file is {file_bytes} bytes: the header of HDU {hdu} (from byte {offset}, \
                     {} bytes read) has no END card before the end of the file",
                    bytes.len()
                )
            };
            return Err(Error::Truncated {
                path: path.to_path_buf(),
                detail,
            });
        }
        file.read_exact_at(&mut block, at)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
        bytes.extend_from_slice(&block);
        for (k, raw) in block.chunks_exact(CARD).enumerate() {
            let mut card_bytes = [0u8; CARD];
            card_bytes.copy_from_slice(raw);
            let card = parse_card(&card_bytes).map_err(|e| Error::BadHeader {
                path: path.to_path_buf(),
                detail: format!(
                    "HDU {hdu}: card {} at byte {}: {e}",
                    cards.len() + 1,
                    at + (k * CARD) as u64
                ),
            })?;
            let end = card.is_end();
            cards.push(card);
            if end {
                return Ok((bytes, cards));
            }
        }
    }
}

/// Walks and validates every header of `file` (`file_bytes` long); see the module doc.
pub(crate) fn validate_layout(path: &Path, file: &File, file_bytes: u64) -> Result<Vec<HduLayout>> {
    if file_bytes < BLOCK as u64 {
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            detail: format!("{file_bytes} bytes, less than one 2880-byte FITS block"),
        });
    }
    let mut hdus = Vec::new();
    let mut offset = 0u64;
    while offset < file_bytes {
        let index = hdus.len();
        let (header, cards) = read_header(path, file, offset, file_bytes, index)?;
        let first = cards.first().ok_or_else(|| Error::BadHeader {
            path: path.to_path_buf(),
            detail: format!("HDU {index}: empty header"),
        })?;
        let c = Cards::new(path, index, &cards)?;
        let (kind, data_bytes) = if index == 0 {
            primary_size(&c, first, file_bytes)?
        } else {
            extension_size(&c, first, file_bytes)?
        };
        let (bzero, bscale) = scaling(&c, kind)?;
        let data_start = offset + header.len() as u64;
        let data_end = data_start.saturating_add(data_bytes);
        if data_end > file_bytes {
            return Err(Error::Truncated {
                path: path.to_path_buf(),
                detail: format!(
                    "HDU {index} announces {data_bytes} data bytes from byte {data_start}, but \
                     the file is {file_bytes} bytes ({} missing): file cut short or wrong NAXISn",
                    data_end - file_bytes
                ),
            });
        }
        offset = data_end.div_ceil(BLOCK as u64) * BLOCK as u64;
        hdus.push(HduLayout {
            header_start: data_start - header.len() as u64,
            header,
            data_start,
            data_bytes,
            bzero,
            bscale,
        });
    }
    Ok(hdus)
}
