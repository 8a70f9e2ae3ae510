use std::io::Write;
use std::path::Path;

use ndarray::Array2;
use vison_ccd::fits::{HduSelector, ImageDataRef, ProductHdu, inspect_fits, read_image};
use vison_ccd::{Error, Frame, FrameGeometry, Header, read_frame, write_product, write_raw_frame};

fn sample_frame() -> Frame {
    let g = FrameGeometry::small();
    let mut f = Frame::zeros(g);
    for ((r, c), x) in f.data.indexed_iter_mut() {
        *x = ((r * 131 + c * 7) % 65536) as f32;
    }
    f.data[[0, 0]] = 0.0;
    f.data[[1, 0]] = 65535.0;
    f.data[[2, 0]] = 32767.0;
    f.data[[3, 0]] = 32768.0;
    f.extname = "ROE1_CCD2".into();
    f.header
        .set("OBSID", 2112)
        .set("EXPTIME", 0.0)
        .set("TEST", "BIAS01")
        .set("VSTART", 0)
        .set("VEND", 2086);
    f.header.add_history("written by the round-trip test");
    f
}

#[test]
fn raw_frame_round_trip_is_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("EUC_2112_231016D_135042T_ROE1_CCD2.fits");
    let f = sample_frame();
    write_raw_frame(&p, &f).expect("write");
    let g = read_frame(&p).expect("read");
    assert_eq!(g.data, f.data);
    assert_eq!(g.geometry, f.geometry);
    assert_eq!(g.extname, "ROE1_CCD2");
    assert_eq!(g.header.get_i64("OBSID"), Some(2112));
    assert_eq!(g.header.get_str("TEST"), Some("BIAS01"));
    assert_eq!(
        g.header.history,
        vec!["written by the round-trip test".to_string()]
    );
    let info = inspect_fits(&p).expect("inspect");
    assert_eq!(info.hdus.len(), 2);
    assert_eq!(info.hdus[1].bitpix, Some(16));
    // No temp file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

#[test]
fn float_product_round_trip_is_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("flat.fits");
    let flat = Array2::from_shape_fn((30, 40), |(r, c)| {
        1.0 + 1e-3 * (r as f32) - 2e-4 * c as f32 + 1e-7
    });
    let unc = flat.mapv(|x| x * 1e-3);
    let mask = Array2::from_shape_fn((30, 40), |(r, c)| u8::from((r + c) % 11 == 0));
    let mut h = Header::new();
    h.set("PRODUCT", "FLAT").add_history("stacked 5 frames");
    write_product(
        &p,
        &h,
        &[
            ProductHdu {
                name: "FLAT".into(),
                header: Header::new(),
                data: ImageDataRef::F32(flat.view()),
            },
            ProductHdu {
                name: "UNC".into(),
                header: Header::new(),
                data: ImageDataRef::F32(unc.view()),
            },
            ProductHdu {
                name: "MASK".into(),
                header: Header::new(),
                data: ImageDataRef::U8(mask.view()),
            },
        ],
    )
    .expect("write");
    let (_, back) = read_image(&p, HduSelector::Name("flat")).expect("read");
    assert_eq!(back, flat);
    let (_, u) = read_image(&p, HduSelector::Name("UNC")).expect("read");
    assert_eq!(u, unc);
    let (_, m) = read_image(&p, HduSelector::Name("MASK")).expect("read");
    assert_eq!(m, mask.mapv(f32::from));
    let info = inspect_fits(&p).expect("inspect");
    assert_eq!(info.hdus[0].header.get_str("PRODUCT"), Some("FLAT"));
    assert_eq!(
        info.hdus[0].header.history,
        vec!["stacked 5 frames".to_string()]
    );
}

fn written(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let p = dir.join("good.fits");
    write_raw_frame(&p, &sample_frame()).expect("write");
    let bytes = std::fs::read(&p).expect("read");
    (p, bytes)
}

fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write");
    p
}

#[test]
fn truncated_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, bytes) = written(dir.path());
    let p = write_bytes(dir.path(), "cut.fits", &bytes[..bytes.len() - 10_000]);
    let e = read_frame(&p).expect_err("truncated");
    assert!(matches!(e, Error::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("cut.fits"), "{e}");
    let tiny = write_bytes(dir.path(), "tiny.fits", &bytes[..100]);
    assert!(matches!(read_frame(&tiny), Err(Error::Truncated { .. })));
}

#[test]
fn corrupt_headers_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, bytes) = written(dir.path());
    let mut b = bytes.clone();
    b[0..6].copy_from_slice(b"GARBAG");
    let p = write_bytes(dir.path(), "nosimple.fits", &b);
    assert!(matches!(read_frame(&p), Err(Error::BadHeader { .. })));
    // Corrupt the extension's XTENSION card: fitsio-pure alone would silently drop the HDU.
    let mut b = bytes.clone();
    b[2880..2888].copy_from_slice(b"XTENSIOX");
    let p = write_bytes(dir.path(), "badext.fits", &b);
    let e = read_frame(&p).expect_err("bad ext header");
    assert!(matches!(e, Error::BadHeader { .. }), "{e}");
    assert!(e.to_string().contains("HDU 1"), "{e}");
}

#[test]
fn wrong_shape_and_missing_extension_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("odd.fits");
    let a = Array2::<f32>::zeros((100, 77));
    write_product(
        &p,
        &Header::new(),
        &[ProductHdu {
            name: "X".into(),
            header: Header::new(),
            data: ImageDataRef::F32(a.view()),
        }],
    )
    .expect("write");
    assert!(matches!(read_frame(&p), Err(Error::WrongShape { .. })));
    let e = read_image(&p, HduSelector::Name("FLAT")).expect_err("missing");
    assert!(matches!(e, Error::MissingExtension { .. }), "{e}");
    let q = dir.path().join("primary-only.fits");
    write_product(&q, &Header::new(), &[]).expect("write");
    assert!(matches!(
        read_frame(&q),
        Err(Error::MissingExtension { .. })
    ));
    assert!(matches!(
        read_frame(&dir.path().join("absent.fits")),
        Err(Error::Io { .. })
    ));
}
