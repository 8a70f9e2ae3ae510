//! `vison-inspect fits` on a file of three image extensions written by astropy: statistics for
//! every CCD, checked against numpy on the same pixels.
//!
//! Needs a Python with numpy and astropy: `$VISON_PYTHON`, else `<workspace>/.venv/bin/python`.
//! Without one the test fails with the command that installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VISON_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.is_file(),
        "no Python oracle: run `python3 -m venv .venv && .venv/bin/pip install numpy astropy` \
         in the workspace root, or set VISON_PYTHON"
    );
    venv
}

/// Writes three ROE1_CCD<k> u16 extensions (small geometry, offsets 1000 k + 1000, a hot
/// column in CCD2, saturated pixels in CCD3) and prints numpy's statistics of every section
/// of quadrant H (bottom left, already canonical) as JSON.
const SCRIPT: &str = r#"
import json, sys
import numpy as np
from astropy.io import fits
path = sys.argv[1]
rng = np.random.default_rng(5)
hdus = [fits.PrimaryHDU()]
for k in (1, 2, 3):
    a = np.rint(1000.0 * k + 1000.0 + rng.normal(0, 2.0 * k, (552, 654))).astype(np.uint16)
    a[100:300, 51:307] += 50 * k
    if k == 2:
        a[:, 200] = 60000
    if k == 3:
        a[5:9, 60] = 65535
    h = fits.ImageHDU(a, name=f"ROE1_CCD{k}")
    h.header["PRESCANX"] = 51
    h.header["OVRSCANX"] = 20
    h.header["OVRSCANY"] = 20
    hdus.append(h)
fits.HDUList(hdus).writeto(path, overwrite=True)
out = []
with fits.open(path) as f:
    for k in (1, 2, 3):
        d = f[k].data.astype(np.float64)[:276, :327]
        secs = {"prescan": d[:256, :51], "image": d[:256, 51:307], "overscan": d[:256, 307:327],
                "parallel_overscan": d[256:276, :]}
        o = {}
        for name, s in secs.items():
            med = np.median(s)
            o[name] = dict(mean=s.mean(), median=med, std=s.std(), min=s.min(), max=s.max(),
                           mad_std=1.482602218505602 * np.median(np.abs(s - med)),
                           p05=np.percentile(s, 5), p95=np.percentile(s, 95),
                           n_saturated=int((s == 65535).sum()))
        out.append(o)
print(json.dumps(out))
"#;

#[test]
fn every_image_hdu_gets_its_quadrants() {
    let py = python();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("three_ccds.fits");
    let out = Command::new(&py)
        .args(["-c", SCRIPT])
        .arg(&file)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "numpy/astropy oracle failed (install: {} -m pip install numpy astropy): {}",
        py.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let want: serde_json::Value = serde_json::from_slice(&out.stdout).expect("oracle json");
    let run = Command::new(env!("CARGO_BIN_EXE_vison-inspect"))
        .args(["fits", "--json"])
        .arg(&file)
        .output()
        .expect("binary runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json");
    let hdus = got[0]["hdus"].as_array().expect("hdus");
    assert_eq!(hdus.len(), 4);
    assert!(hdus[0].get("quadrants").is_none(), "primary has no image");
    for k in 1..=3 {
        assert_eq!(hdus[k]["extname"], format!("ROE1_CCD{k}"));
        for (sec, w) in want[k - 1].as_object().expect("sections") {
            let g = &hdus[k]["quadrants"]["H"][sec];
            for key in [
                "median",
                "min",
                "max",
                "p05",
                "p95",
                "mad_std",
                "n_saturated",
            ] {
                assert_eq!(g[key].as_f64(), w[key].as_f64(), "CCD{k} {sec} {key}");
            }
            for key in ["mean", "std"] {
                let (a, b) = (g[key].as_f64().expect("num"), w[key].as_f64().expect("num"));
                assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "CCD{k} {sec} {key}: {a} {b}"
                );
            }
        }
    }
    // Compatibility: the top-level quadrants are the first image HDU's.
    assert_eq!(got[0]["quadrants"], hdus[1]["quadrants"]);
    assert_eq!(hdus[3]["quadrants"]["H"]["image"]["n_saturated"], 4);
    // Text output: one table per HDU.
    let text = Command::new(env!("CARGO_BIN_EXE_vison-inspect"))
        .arg("fits")
        .arg(&file)
        .output()
        .expect("binary runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.matches("mad_std").count(), 3, "{text}");
    for k in 1..=3 {
        assert!(text.contains(&format!("HDU {k} ROE1_CCD{k}")), "{text}");
    }
}
