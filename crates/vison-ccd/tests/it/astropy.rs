//! Interoperability with astropy: astropy reads what we write, we read what astropy writes.
//!
//! Needs a Python with numpy and astropy: `$VISON_PYTHON`, else `<workspace>/.venv/bin/python`
//! (made by `.ci/run`). Without one the test fails with the command that makes it.

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::Array2;
use vison_ccd::fits::{HduSelector, ImageDataRef, ProductHdu, read_image};
use vison_ccd::{Frame, FrameGeometry, Header, read_frame, write_product, write_raw_frame};

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("VISON_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    venv.is_file().then_some(venv)
}

fn pixel(r: usize, c: usize) -> f32 {
    ((r * 257 + c * 31) % 65536) as f32
}

const SCRIPT: &str = r#"
import sys
import numpy as np
from astropy.io import fits
d = sys.argv[1]
with fits.open(d + "/ours_raw.fits") as h:
    assert len(h) == 2, len(h)
    e = h["ROE1_CCD2"]
    a = e.data
    assert a.dtype == np.uint16, a.dtype
    assert a.shape == (552, 654), a.shape
    r, c = np.indices(a.shape)
    assert np.array_equal(a, ((r * 257 + c * 31) % 65536).astype(np.uint16))
    assert e.header["OBSID"] == 77 and e.header["TEST"] == "BIAS02"
    assert e.header["EXPTIME"] == 1.25
    assert any("offset subtracted" in str(x) for x in e.header["HISTORY"])
with fits.open(d + "/ours_product.fits") as h:
    f = h["FLAT"].data
    assert f.dtype.kind == "f" and f.shape == (20, 30)
    r, c = np.indices(f.shape)
    assert np.array_equal(f, (1.0 + 0.01 * r - 0.003 * c).astype(np.float32))
    assert np.array_equal(h["MASK"].data, ((r + c) % 5 == 0).astype(np.uint8))
    assert h[0].header["PRODUCT"] == "MASTERFLAT"
# Files written by astropy for the Rust side to read.
r, c = np.indices((552, 654))
raw = ((r * 3 + c * 7) % 65536).astype(np.uint16)
hdu = fits.ImageHDU(raw, name="ROE1_CCD3")
hdu.header["OBSID"] = 88
hdu.header["PRESCANX"] = 51
hdu.header["OVRSCANX"] = 20
hdu.header["OVRSCANY"] = 20
fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(d + "/astropy_raw.fits", overwrite=True)
r, c = np.indices((40, 50))
prod = (0.5 * r - 0.25 * c + 1e-3).astype(np.float32)
fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(prod, name="BIAS"),
              fits.ImageHDU(prod.astype(np.float64) * 2, name="STD")]).writeto(d + "/astropy_product.fits", overwrite=True)
print("astropy-ok")
"#;

#[test]
fn astropy_reads_ours_and_we_read_astropys() {
    let Some(py) = python() else {
        panic!(
            "no Python with numpy and astropy: set VISON_PYTHON or run \
             `python3 -m venv .venv && .venv/bin/pip install numpy astropy` at the workspace root"
        );
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut f = Frame::zeros(FrameGeometry::small());
    for ((r, c), x) in f.data.indexed_iter_mut() {
        *x = pixel(r, c);
    }
    f.extname = "ROE1_CCD2".into();
    f.header
        .set("OBSID", 77)
        .set("TEST", "BIAS02")
        .set("EXPTIME", 1.25);
    f.header
        .add_history("vison-ccd: offset subtracted (row, prescan)");
    write_raw_frame(&d.join("ours_raw.fits"), &f).expect("write raw");
    let flat = Array2::from_shape_fn((20, 30), |(r, c)| {
        (1.0 + 0.01 * r as f64 - 0.003 * c as f64) as f32
    });
    let mask = Array2::from_shape_fn((20, 30), |(r, c)| u8::from((r + c) % 5 == 0));
    let mut h = Header::new();
    h.set("PRODUCT", "MASTERFLAT");
    write_product(
        &d.join("ours_product.fits"),
        &h,
        &[
            ProductHdu {
                name: "FLAT".into(),
                header: Header::new(),
                data: ImageDataRef::F32(flat.view()),
            },
            ProductHdu {
                name: "MASK".into(),
                header: Header::new(),
                data: ImageDataRef::U8(mask.view()),
            },
        ],
    )
    .expect("write product");
    let script = d.join("check.py");
    std::fs::write(&script, SCRIPT).expect("script");
    let out = Command::new(&py)
        .arg(&script)
        .arg(d)
        .output()
        .expect("python runs");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("astropy-ok"),
        "astropy check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = read_frame(&d.join("astropy_raw.fits")).expect("read astropy raw");
    assert_eq!(raw.extname, "ROE1_CCD3");
    assert_eq!(raw.geometry, FrameGeometry::small());
    assert_eq!(raw.header.get_i64("OBSID"), Some(88));
    assert!(
        raw.data
            .indexed_iter()
            .all(|((r, c), &v)| v == ((r * 3 + c * 7) % 65536) as f32)
    );
    let (_, bias) =
        read_image(&d.join("astropy_product.fits"), HduSelector::Name("BIAS")).expect("bias");
    let expect = |r: usize, c: usize| (0.5 * r as f64 - 0.25 * c as f64 + 1e-3) as f32;
    assert!(bias.indexed_iter().all(|((r, c), &v)| v == expect(r, c)));
    let (_, std) =
        read_image(&d.join("astropy_product.fits"), HduSelector::Name("STD")).expect("std (f64)");
    assert_eq!(std[[3, 4]], 2.0 * expect(3, 4));
}
