//! Damaged FITS headers, made in the test from a valid frame: each class gives a named error
//! (file and problem in the message) before anything allocates; none panics or aborts.

use std::path::{Path, PathBuf};

use vison_ccd::fits::{HduSelector, RowReader, geometry_of, inspect_fits, read_image};
use vison_ccd::{Error, Frame, FrameGeometry, Header, read_frame, write_product, write_raw_frame};

/// Bytes of one header card.
const CARD: usize = 80;
/// Start of the image extension's header in a raw frame (after the one-block primary).
pub(crate) const EXT: usize = 2880;

/// A valid raw frame: 174 x 56 u16 pixels (real prescan and overscans, 16 x 8 image px per
/// quadrant) with geometry keys, in an extension after an empty primary HDU.
pub(crate) fn small_frame_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("f.fits");
    let mut f = Frame::zeros(FrameGeometry {
        image_cols_px: 16,
        image_rows_px: 8,
        ..FrameGeometry::FULL
    });
    f.data
        .iter_mut()
        .enumerate()
        .for_each(|(i, x)| *x = (1000 + i % 4000) as f32);
    f.extname = "ROE1_CCD1".into();
    f.header.set("OBSID", 5).set("TEST", "BIAS01");
    write_raw_frame(&p, &f).expect("write");
    std::fs::read(&p).expect("read")
}

/// Offset of the card `key` in the header starting at `hdu_start`, or of its END card.
fn find_card(bytes: &[u8], hdu_start: usize, key: &str) -> (Option<usize>, usize) {
    let mut at = hdu_start;
    loop {
        let kw = String::from_utf8_lossy(&bytes[at..at + 8])
            .trim_end()
            .to_string();
        if kw == "END" {
            return (None, at);
        }
        if kw == key {
            return (Some(at), at);
        }
        at += CARD;
    }
}

fn card_text(key: &str, value: &str) -> Vec<u8> {
    let mut c = format!("{key:<8}= {value:>20}").into_bytes();
    c.resize(CARD, b' ');
    c
}

/// Sets `key` to the raw value text `value` (replacing the card, or adding it before END).
pub(crate) fn set_card(bytes: &mut [u8], hdu_start: usize, key: &str, value: &str) {
    let card = card_text(key, value);
    match find_card(bytes, hdu_start, key) {
        (Some(at), _) => bytes[at..at + CARD].copy_from_slice(&card),
        (None, end) => {
            bytes[end..end + CARD].copy_from_slice(&card);
            let mut e = b"END".to_vec();
            e.resize(CARD, b' ');
            bytes[end + CARD..end + 2 * CARD].copy_from_slice(&e);
        }
    }
}

/// Blanks the card `key` (a missing keyword).
pub(crate) fn remove_card(bytes: &mut [u8], hdu_start: usize, key: &str) {
    if let (Some(at), _) = find_card(bytes, hdu_start, key) {
        bytes[at..at + CARD].fill(b' ');
    }
}

/// Adds a second `key` card after the first (a duplicated keyword).
fn duplicate_card(bytes: &mut [u8], hdu_start: usize, key: &str, value: &str) {
    let (_, end) = find_card(bytes, hdu_start, "END");
    bytes[end..end + CARD].copy_from_slice(&card_text(key, value));
    let mut e = b"END".to_vec();
    e.resize(CARD, b' ');
    bytes[end + CARD..end + 2 * CARD].copy_from_slice(&e);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

/// The file with one card of the image extension set to `value`.
fn with_card(dir: &Path, name: &str, key: &str, value: &str) -> PathBuf {
    let mut b = small_frame_bytes();
    set_card(&mut b, EXT, key, value);
    write(dir, name, &b)
}

/// Asserts that every reader fails on `p` with a message naming the file and containing
/// each of `words`, and returns `inspect_fits`'s error.
fn all_readers_fail(p: &Path, words: &[&str]) -> Error {
    let name = p.file_name().and_then(|n| n.to_str()).expect("name");
    let errors = [
        inspect_fits(p).err(),
        read_frame(p).err(),
        read_image(p, HduSelector::LastImage).err(),
        RowReader::open(p, HduSelector::LastImage).err(),
    ];
    for e in &errors {
        let msg = e.as_ref().map(ToString::to_string).expect("an error");
        assert!(msg.contains(name), "{msg}");
        for w in words {
            assert!(msg.contains(w), "'{w}' not in: {msg}");
        }
    }
    let [first, ..] = errors;
    first.expect("error")
}

#[test]
fn file_cut_inside_an_extension_header_is_truncated_with_the_byte_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = small_frame_bytes();
    let p = write(dir.path(), "cut5000.fits", &b[..5000]);
    let e = all_readers_fail(&p, &["truncated", "5000 bytes", "HDU 1", "2880"]);
    assert!(e.is_truncated(), "{e}");
    // A header whose END card is lost runs into the data and off the end of the file.
    let mut b = small_frame_bytes();
    let (_, end) = find_card(&b, 0, "END");
    b[end..end + 3].copy_from_slice(b"   ");
    b.truncate(2880);
    let p = write(dir.path(), "noend.fits", &b);
    let e = all_readers_fail(&p, &["truncated", "no END card", "2880 bytes"]);
    assert!(e.is_truncated(), "{e}");
    // Cut inside the data: the announced and present byte counts are given.
    let b = small_frame_bytes();
    let n = b.len() - 3000;
    let p = write(dir.path(), "cutdata.fits", &b[..n]);
    let e = all_readers_fail(&p, &["truncated", &format!("file is {n} bytes")]);
    assert!(matches!(e, Error::Truncated { .. }), "{e}");
    // Junk shorter than a block after the last HDU.
    let mut b = small_frame_bytes();
    b.extend_from_slice(&[b'x'; 100]);
    let p = write(dir.path(), "tail.fits", &b);
    all_readers_fail(&p, &["truncated", "HDU 2", "only 100"]);
}

#[test]
fn impossible_naxis_values_are_rejected_before_allocation() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Each of these panicked ("capacity overflow") or aborted (terabyte allocation) in
    // fitsio-pure 0.25 before validation.
    for (k, (key, value, words)) in [
        ("NAXIS1", "-1", &["NAXIS1", "-1 is negative"][..]),
        ("NAXIS2", "-1000", &["NAXIS2", "-1000 is negative"][..]),
        (
            "NAXIS1",
            "4611686018427387904",
            &["NAXIS1", "larger than the file"][..],
        ),
        (
            "NAXIS1",
            "1099511627776",
            &["NAXIS1", "larger than the file"][..],
        ),
        (
            "NAXIS2",
            "4294967297",
            &["NAXIS2", "larger than the file"][..],
        ),
        (
            "NAXIS",
            "-1",
            &["NAXIS", "outside the FITS range 0..=999"][..],
        ),
        (
            "NAXIS",
            "1099511627776",
            &["NAXIS", "outside the FITS range"][..],
        ),
        ("NAXIS", "1000", &["NAXIS", "1000 is outside"][..]),
        ("NAXIS", "'two'", &["NAXIS", "'two' is not an integer"][..]),
        ("NAXIS1", "174.0", &["NAXIS1", "is not an integer"][..]),
        ("NAXIS", "3", &["NAXIS3", "missing required keyword"][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let p = with_card(dir.path(), &format!("naxis{k}.fits"), key, value);
        let e = all_readers_fail(&p, words);
        assert!(matches!(e, Error::InvalidHeaderValue { hdu: 1, .. }), "{e}");
    }
    // Axes that each fit but whose product does not: the data size is checked against the
    // file size with overflow-checked arithmetic.
    let mut b = small_frame_bytes();
    set_card(&mut b, EXT, "NAXIS1", "20000");
    set_card(&mut b, EXT, "NAXIS2", "20000");
    let p = write(dir.path(), "big.fits", &b);
    all_readers_fail(&p, &["truncated", "800000000 data bytes", "wrong NAXISn"]);
    // A missing NAXISn and a duplicated one.
    let mut b = small_frame_bytes();
    remove_card(&mut b, EXT, "NAXIS2");
    let p = write(dir.path(), "nonaxis2.fits", &b);
    all_readers_fail(&p, &["NAXIS2", "missing required keyword"]);
    let mut b = small_frame_bytes();
    duplicate_card(&mut b, EXT, "NAXIS1", "100");
    let p = write(dir.path(), "dupnaxis.fits", &b);
    all_readers_fail(&p, &["NAXIS1", "more than once"]);
    // The primary HDU is checked too.
    let mut b = small_frame_bytes();
    set_card(&mut b, 0, "NAXIS", "-7");
    let p = write(dir.path(), "primary.fits", &b);
    all_readers_fail(&p, &["HDU 0", "NAXIS", "outside"]);
}

#[test]
fn bitpix_pcount_gcount_and_xtension_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (k, (key, value, words)) in [
        (
            "BITPIX",
            "12",
            &["BITPIX", "12 is not one of 8, 16, 32, 64, -32, -64"][..],
        ),
        ("BITPIX", "-16", &["BITPIX", "-16 is not one of"][..]),
        ("BITPIX", "16.5", &["BITPIX", "is not an integer"][..]),
        ("PCOUNT", "5", &["PCOUNT", "5, but a IMAGE requires 0"][..]),
        ("GCOUNT", "2", &["GCOUNT", "2, but a IMAGE requires 1"][..]),
        (
            "PCOUNT",
            "-1",
            &["PCOUNT", "-1, but a IMAGE requires 0"][..],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let p = with_card(dir.path(), &format!("bitpix{k}.fits"), key, value);
        all_readers_fail(&p, words);
    }
    let p = with_card(dir.path(), "xt.fits", "XTENSION", "'FOREIGN '");
    let e = all_readers_fail(&p, &["XTENSION 'FOREIGN'"]);
    assert!(matches!(e, Error::UnsupportedFormat { .. }), "{e}");
    let mut b = small_frame_bytes();
    b[EXT..EXT + 8].copy_from_slice(b"SIMPLE  ");
    let p = write(dir.path(), "noxt.fits", &b);
    all_readers_fail(&p, &["HDU 1 starts with 'SIMPLE', not XTENSION"]);
}

#[test]
fn bzero_and_bscale_must_be_finite_nonzero_and_fit_f32() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (k, (key, value, words)) in [
        (
            "BSCALE",
            "0",
            &["BSCALE", "0 would map every pixel to BZERO"][..],
        ),
        ("BSCALE", "0.0", &["BSCALE", "0 would map"][..]),
        ("BSCALE", "1E308", &["BSCALE", "beyond the f32 range"][..]),
        ("BZERO", "1E39", &["BSCALE", "beyond the f32 range"][..]),
        (
            "BZERO",
            "1E999",
            &["BZERO", "inf is not a finite number"][..],
        ),
        ("BZERO", "NaN", &["BZERO", "NaN is not a finite number"][..]),
        (
            "BSCALE",
            "'one'",
            &["BSCALE", "'one' is not a finite number"][..],
        ),
        ("BZERO", "T", &["BZERO", "T is not a finite number"][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let p = with_card(dir.path(), &format!("scale{k}.fits"), key, value);
        let e = all_readers_fail(&p, words);
        assert!(matches!(e, Error::InvalidHeaderValue { hdu: 1, .. }), "{e}");
    }
    // BSCALE 1e30 still fits f32 for 16-bit data (3.3e34): accepted and decoded finite.
    let p = with_card(dir.path(), "bigscale.fits", "BSCALE", "1E30");
    let (_, img) = read_image(&p, HduSelector::LastImage).expect("read");
    assert!(img.iter().all(|v| v.is_finite()));
    // Stored 1000 - 32768 (the u16 value 1000), scaled by 1e30, plus BZERO.
    let want = (1000.0 - 32768.0) * 1e30 + 32768.0;
    let got = f64::from(img[[0, 0]]);
    assert!(((got - want) / want).abs() < 1e-6, "{got} vs {want}");
}

#[test]
fn missing_bzero_makes_signed_data_that_frame_readers_refuse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = small_frame_bytes();
    remove_card(&mut b, EXT, "BZERO");
    let p = write(dir.path(), "nobzero.fits", &b);
    // A valid FITS file: its headers can be listed.
    let info = inspect_fits(&p).expect("headers are valid");
    assert_eq!(info.hdus[1].bitpix, Some(16));
    // Its pixels would read as value - 32768: every reader refuses them.
    for e in [
        read_frame(&p).err(),
        read_image(&p, HduSelector::LastImage).err(),
        RowReader::open(&p, HduSelector::LastImage).err(),
    ] {
        let msg = e.map(|e| e.to_string()).expect("error");
        assert!(
            msg.contains("nobzero.fits") && msg.contains("BZERO 0") && msg.contains("32768"),
            "{msg}"
        );
    }
}

#[test]
fn primary_only_file_has_no_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("primary-only.fits");
    write_product(&p, &Header::new(), &[]).expect("write");
    assert_eq!(inspect_fits(&p).expect("valid FITS").hdus.len(), 1);
    let e = read_frame(&p).expect_err("no image");
    assert!(matches!(e, Error::MissingExtension { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("primary-only.fits")
            && msg.contains("no 2-D image HDU")
            && msg.contains("0:primary"),
        "{msg}"
    );
}

#[test]
fn geometry_keys_must_survive_the_standard_trims() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (k, (key, value, words)) in [
        (
            "PRESCANX",
            "10",
            &["PRESCANX = 10 leaves no prescan column", "31"][..],
        ),
        ("PRESCANX", "30", &["PRESCANX = 30"][..]),
        (
            "OVRSCANX",
            "4",
            &["OVRSCANX = 4 leaves no overscan column", "11"][..],
        ),
        (
            "PRESCANX",
            "-3",
            &["PRESCANX = -3 is not a non-negative integer"][..],
        ),
        (
            "OVRSCANY",
            "'x'",
            &["OVRSCANY = x is not a non-negative integer"][..],
        ),
        ("PRESCANX", "80", &["do not hold four quadrants"][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let p = with_card(dir.path(), &format!("geom{k}.fits"), key, value);
        let e = read_frame(&p).expect_err("bad geometry");
        assert!(matches!(e, Error::WrongShape { .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.contains(&format!("geom{k}.fits")), "{msg}");
        for w in words {
            assert!(msg.contains(w), "'{w}' not in {msg}");
        }
    }
    let mut b = small_frame_bytes();
    remove_card(&mut b, EXT, "OVRSCANY");
    let p = write(dir.path(), "partial.fits", &b);
    let msg = read_frame(&p).expect_err("partial keys").to_string();
    assert!(
        msg.contains("OVRSCANY is missing while other geometry keys"),
        "{msg}"
    );
    // The smallest accepted prescan: 31 columns leave one after the [25, 5] trim.
    let mut h = Header::new();
    h.set("PRESCANX", 31).set("OVRSCANX", 11).set("OVRSCANY", 0);
    let g = geometry_of(Path::new("x.fits"), &h, 2 * (31 + 11 + 11), 4).expect("minimal");
    assert_eq!(
        (g.prescan_px, g.image_cols_px, g.image_rows_px),
        (31, 11, 2)
    );
}

/// A single-HDU file of 3 x 2 pixels of `bitpix`, `raw` holding the big-endian values.
fn primary_image(bitpix: i64, raw: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (k, v) in [
        ("SIMPLE", "T".to_string()),
        ("BITPIX", bitpix.to_string()),
        ("NAXIS", "2".into()),
        ("NAXIS1", "3".into()),
        ("NAXIS2", "2".into()),
    ] {
        h.extend(card_text(k, &v));
    }
    let mut end = b"END".to_vec();
    end.resize(CARD, b' ');
    h.extend(end);
    h.resize(2880, b' ');
    h.extend_from_slice(raw);
    h.resize(5760, 0);
    h
}

#[test]
fn sixty_four_bit_data_decode_and_float_overflow_is_infinite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ints: [i64; 6] = [0, 1, -1, 1 << 40, -(1 << 50), i64::MAX];
    let raw: Vec<u8> = ints.iter().flat_map(|v| v.to_be_bytes()).collect();
    let p = write(dir.path(), "i64.fits", &primary_image(64, &raw));
    let (_, img) = read_image(&p, HduSelector::Index(0)).expect("read 64-bit");
    let want: Vec<f32> = ints.iter().map(|&v| v as f32).collect();
    assert_eq!(img.iter().copied().collect::<Vec<_>>(), want);
    // Doubles beyond the f32 range decode to +-inf, NaN stays NaN (documented in `fits`).
    let dbl: [f64; 6] = [1.5, -2.25, 1e300, -1e300, f64::NAN, 3.0e38];
    let raw: Vec<u8> = dbl.iter().flat_map(|v| v.to_be_bytes()).collect();
    let p = write(dir.path(), "f64.fits", &primary_image(-64, &raw));
    let (_, img) = read_image(&p, HduSelector::Index(0)).expect("read -64");
    let v: Vec<f32> = img.iter().copied().collect();
    assert_eq!(&v[..2], &[1.5, -2.25]);
    assert_eq!((v[2], v[3]), (f32::INFINITY, f32::NEG_INFINITY));
    assert!(v[4].is_nan());
    assert_eq!(v[5], 3.0e38);
}
