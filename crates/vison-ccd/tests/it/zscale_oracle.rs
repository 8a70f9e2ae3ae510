//! zscale limits against astropy's `ZScaleInterval` on the same pixels.
//!
//! Needs a Python with numpy and astropy: `$VISON_PYTHON`, else `<workspace>/.venv/bin/python`.
//! Without one the test fails with the command that installs it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal, Poisson};
use vison_ccd::zscale::ZScale;

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

const SCRIPT: &str = r#"
import sys
import numpy as np
from astropy.visualization import ZScaleInterval
for path in sys.argv[1:]:
    v = np.fromfile(path, dtype="<f4")
    lo, hi = ZScaleInterval().get_limits(v)
    print(repr(float(lo)), repr(float(hi)))
"#;

/// Pixel sets: a bias (integer ADU, hot pixels, a cold column), a flat (Poisson, gradient,
/// saturated pixels), float data with NaNs, and a small set.
fn cases() -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(11);
    let ron = Normal::new(0.0f64, 4.5).expect("sigma");
    let bias: Vec<f32> = (0..300_000)
        .map(|i| match i % 997 {
            0 => 40_000.0,
            1..=3 => 0.0,
            _ => (2000.0 + ron.sample(&mut rng)).round() as f32,
        })
        .collect();
    let flat: Vec<f32> = (0..250_000)
        .map(|i| {
            let level = 20_000.0 + 0.02 * f64::from(i % 2048);
            let p = Poisson::new(level).expect("level").sample(&mut rng);
            if i % 5003 == 0 { 65535.0 } else { p as f32 }
        })
        .collect();
    let float: Vec<f32> = (0..123_457)
        .map(|i| {
            if i % 101 == 0 {
                f32::NAN
            } else {
                (0.1 * ron.sample(&mut rng) + 1e-3 * f64::from(i % 300)) as f32
            }
        })
        .collect();
    let small: Vec<f32> = (0..37).map(|i| ((i * 7919) % 53) as f32).collect();
    vec![bias, flat, float, small]
}

#[test]
fn limits_equal_astropy_zscale_within_one_adu() {
    let py = python();
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = cases();
    let paths: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let p = dir.path().join(format!("case{k}.f32"));
            let mut f = std::fs::File::create(&p).expect("create");
            let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            f.write_all(&bytes).expect("write");
            p
        })
        .collect();
    let out = Command::new(&py)
        .arg("-c")
        .arg(SCRIPT)
        .args(&paths)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "astropy oracle failed (install: {} -m pip install numpy astropy): {}",
        py.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let want: Vec<(f64, f64)> = text
        .lines()
        .map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .map(|x| x.parse().expect("f64"))
                .collect();
            (v[0], v[1])
        })
        .collect();
    assert_eq!(want.len(), cases.len(), "{text}");
    for (k, (v, (wlo, whi))) in cases.iter().zip(want).enumerate() {
        let (lo, hi) = ZScale::default().limits(v).expect("finite values");
        // Same sample, same fit: agreement far inside the 1 ADU requirement.
        assert!(
            (lo - wlo).abs() < 1e-3 && (hi - whi).abs() < 1e-3,
            "case {k}: ours ({lo}, {hi}) astropy ({wlo}, {whi})"
        );
    }
}
