//! Agreement with the standard tools on stamps drawn by GalSim itself (Gaussian and Moffat,
//! sheared, non-square, off-centre): adaptive moments vs `galsim.hsm.FindAdaptiveMom`, exact
//! apertures vs photutils, the Gaussian fit vs astropy's `Gaussian2D` + `LevMarLSQFitter`.
//!
//! Needs a Python with numpy, galsim, photutils, astropy and scipy: `$VISON_PYTHON`, else
//! `<workspace>/.venv/bin/python`. Without it the test fails with the install command.

use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::Array2;
use serde_json::Value;
use vison_point::aperture::aperture_sum;
use vison_point::gauss2d::{Gauss2dGuess, fit_gauss2d};
use vison_point::moments::{AdaptiveConfig, adaptive_moments};
use vison_point::stamp::Stamp;

const INSTALL: &str = "pip install numpy scipy astropy galsim photutils";

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VISON_PYTHON") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
}

/// Runs the oracle script; panics with the install command if Python or a package is missing.
fn oracle() -> Value {
    let py = python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/point_oracle.py");
    let dir = tempfile_dir();
    let out_path = dir.join("point_oracle.json");
    let out = Command::new(&py).arg(&script).arg(&out_path).output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!(
            "cannot run {} ({e}): set VISON_PYTHON to a Python with the oracle packages, \
             or create <workspace>/.venv and run `.venv/bin/{INSTALL}`",
            py.display()
        ),
    };
    assert!(
        out.status.success(),
        "oracle script failed with {} (missing package? `{} -m {INSTALL}`):\n{}",
        py.display(),
        py.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_path).expect("oracle output");
    let _ = std::fs::remove_dir_all(&dir);
    serde_json::from_str(&text).expect("oracle json")
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("vison-point-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn stamp_of(case: &Value) -> Stamp {
    let rows = case["image"].as_array().expect("image rows");
    let ny = rows.len();
    let nx = rows[0].as_array().expect("row").len();
    let data = Array2::from_shape_fn((ny, nx), |(r, c)| f(&rows[r][c]));
    Stamp::from_array(data, 0, 0)
}

#[test]
fn hsm_photutils_and_astropy_agree_with_vison_point() {
    let o = oracle();
    let cases = o["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    let non_square = cases
        .iter()
        .map(stamp_of)
        .filter(|s| s.width_px() != s.height_px())
        .count();
    assert_eq!(non_square, 3, "three non-square stamps");
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let s = stamp_of(case);
        // Adaptive moments, started like HSM (true centre, sigma 5 px).
        let (x0, y0) = (
            (s.width_px() as f64 - 1.0) / 2.0,
            (s.height_px() as f64 - 1.0) / 2.0,
        );
        let m = adaptive_moments(&s, x0, y0, 5.0, &AdaptiveConfig::default()).expect("moments");
        let h = &case["hsm"];
        assert!(m.converged, "{name}");
        for (ours, key) in [(m.sigma_px, "sigma_px"), (m.e1, "e1"), (m.e2, "e2")] {
            let theirs = f(&h[key]);
            assert!(
                (ours - theirs).abs() < 1e-3,
                "{name}: {key} {ours} vs HSM {theirs}"
            );
        }
        assert!(
            (m.x_px - f(&h["x_px"])).abs() < 1e-3,
            "{name}: x {} vs {}",
            m.x_px,
            h["x_px"]
        );
        assert!(
            (m.y_px - f(&h["y_px"])).abs() < 1e-3,
            "{name}: y {} vs {}",
            m.y_px,
            h["y_px"]
        );
        // Exact apertures.
        for ap in case["apertures"].as_array().expect("apertures") {
            let ours = aperture_sum(&s, f(&ap["x_px"]), f(&ap["y_px"]), f(&ap["r_px"]))
                .expect("aperture")
                .sum_adu;
            let theirs = f(&ap["sum_adu"]);
            assert!(
                (ours / theirs - 1.0).abs() < 1e-6,
                "{name}: aperture {ap} ours {ours} photutils {theirs}"
            );
        }
        // Gaussian fit over the whole stamp, as astropy did.
        let g = &case["gauss"];
        let guess = Gauss2dGuess {
            amp_adu: s.data_adu.iter().copied().fold(f64::MIN, f64::max),
            x_px: m.x_px,
            y_px: m.y_px,
            cxx_px2: m.mxx_px2,
            cxy_px2: m.mxy_px2,
            cyy_px2: m.myy_px2,
            bgd_adu: 0.0,
        };
        let half = s.width_px().max(s.height_px()) as f64;
        let fit = fit_gauss2d(&s, &guess, half).expect("fit");
        assert!(fit.converged, "{name}: {fit:?}");
        assert_eq!(fit.n_px, s.data_adu.len());
        let close = |ours: f64, theirs: f64, err: f64, what: &str| {
            assert!(
                (ours - theirs).abs() <= err.max(1e-9),
                "{name}: {what} ours {ours} astropy {theirs} (our error {err})"
            );
        };
        close(fit.amp_adu, f(&g["amp_adu"]), fit.amp_err_adu, "amplitude");
        close(fit.x_px, f(&g["x_px"]), fit.x_err_px, "x");
        close(fit.y_px, f(&g["y_px"]), fit.y_err_px, "y");
        close(
            fit.sigma_x_px,
            f(&g["cxx_px2"]).sqrt(),
            fit.sigma_x_err_px,
            "sigma_x",
        );
        close(
            fit.sigma_y_px,
            f(&g["cyy_px2"]).sqrt(),
            fit.sigma_y_err_px,
            "sigma_y",
        );
        close(fit.bgd_adu, f(&g["bgd_adu"]), fit.bgd_err_adu, "background");
        // Our Jacobian errors agree with scipy's curve_fit covariance (chi^2 / dof scaled).
        let e = &g["scipy_errors"];
        for (ours, key) in [
            (fit.amp_err_adu, "amp_adu"),
            (fit.x_err_px, "x_px"),
            (fit.y_err_px, "y_px"),
            (fit.bgd_err_adu, "bgd_adu"),
        ] {
            let theirs = f(&e[key]);
            if theirs > 0.0 {
                assert!(
                    (ours / theirs - 1.0).abs() < 0.01,
                    "{name}: {key} error {ours} vs {theirs}"
                );
            }
        }
    }
}
