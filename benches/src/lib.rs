//! Shared fixtures for the throughput benchmarks in `benches/benches/`.
//!
//! Run them with `cargo bench -p vison-benches`; each bench reports throughput
//! (bytes or frames per second) through divan counters. `vison-bench-ccd` runs the
//! side-by-side comparison with numpy/astropy (`benches/numpy_ccd.py`) on the same files.

use std::path::{Path, PathBuf};

use vison_ccd::{Frame, FrameGeometry, Quadrant, write_raw_frame};

/// Writes a full-size bias-like frame (offset ~2000-2300 ADU per quadrant, a weak row
/// pattern and pseudo-random noise of ~1.5 ADU) and returns its path.
pub fn write_bias_frame(dir: &Path, index: u64) -> PathBuf {
    let mut f = Frame::zeros(FrameGeometry::FULL);
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ index.wrapping_mul(0xD134_2543_DE82_EF95);
    for (k, q) in Quadrant::ALL.into_iter().enumerate() {
        let mut v = f.quad_canonical_mut(q);
        for ((r, _), x) in v.indexed_iter_mut() {
            // xorshift64*: fast deterministic noise, sum of 4 bytes ~ Gaussian-ish.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let u = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let s: u32 = (0..4).map(|i| ((u >> (16 * i)) & 0xFF) as u32).sum();
            let noise = (s as f32 - 510.0) / 73.9 * 1.5;
            *x = 2000.0 + 100.0 * k as f32 + 0.3 * ((r % 17) as f32) + noise;
        }
    }
    f.extname = "ROE1_CCD1".into();
    f.header
        .set("OBSID", 1000 + index as i64)
        .set("EXPTIME", 0.0);
    let p = dir.join(format!(
        "EUC_{}_251126D_120000T_ROE1_CCD1.fits",
        1000 + index
    ));
    if let Err(e) = write_raw_frame(&p, &f) {
        panic!("cannot write bench frame {}: {e}", p.display());
    }
    p
}
