//! Persistence: pixels saturated in an earlier exposure release charge that decays
//! exponentially with time.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::truth::PersistenceTruth;

/// A run of image-area pixels `[col0, col1)` in one row (image-area coordinates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixelRun {
    /// Row.
    pub row: usize,
    /// First column.
    pub col0: usize,
    /// One past the last column.
    pub col1: usize,
}

/// Runs of pixels whose charge reaches `full_well_e`.
pub fn saturation_runs(charge: &Array2<f32>, full_well_e: f64) -> Vec<PixelRun> {
    let fw = full_well_e as f32;
    let mut runs = Vec::new();
    for (r, row) in charge.rows().into_iter().enumerate() {
        let mut start: Option<usize> = None;
        for (c, &v) in row.iter().enumerate() {
            match (v >= fw, start) {
                (true, None) => start = Some(c),
                (false, Some(c0)) => {
                    runs.push(PixelRun {
                        row: r,
                        col0: c0,
                        col1: c,
                    });
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(c0) = start {
            runs.push(PixelRun {
                row: r,
                col0: c0,
                col1: row.len(),
            });
        }
    }
    runs
}

/// Persistence charge collected between `t0_s` and `t1_s` after the end of the saturating
/// exposure: `release tau (exp(-t0/tau) - exp(-t1/tau))`.
pub fn persistence_e(p: &PersistenceTruth, t0_s: f64, t1_s: f64) -> f64 {
    if t1_s <= t0_s || t1_s <= 0.0 {
        return 0.0;
    }
    let t0 = t0_s.max(0.0);
    p.release_e_per_s * p.tau_s * ((-t0 / p.tau_s).exp() - (-t1_s / p.tau_s).exp())
}

/// Adds `level_e` to every pixel of `runs`. Returns the number of pixels touched.
pub fn add_persistence(charge: &mut Array2<f32>, runs: &[PixelRun], level_e: f64) -> usize {
    let mut n = 0;
    let (rows, cols) = charge.dim();
    for run in runs.iter().filter(|r| r.row < rows) {
        for c in run.col0..run.col1.min(cols) {
            charge[[run.row, c]] += level_e as f32;
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_decay() {
        let mut charge = Array2::<f32>::zeros((3, 6));
        charge[[1, 2]] = 10.0;
        charge[[1, 3]] = 12.0;
        charge[[2, 5]] = 10.0;
        let runs = saturation_runs(&charge, 10.0);
        assert_eq!(
            runs,
            vec![
                PixelRun {
                    row: 1,
                    col0: 2,
                    col1: 4
                },
                PixelRun {
                    row: 2,
                    col0: 5,
                    col1: 6
                }
            ]
        );
        let p = PersistenceTruth {
            release_e_per_s: 0.2,
            tau_s: 400.0,
        };
        let q = persistence_e(&p, 0.0, 1e9);
        assert!((q - 80.0).abs() < 1e-9);
        assert!(persistence_e(&p, 400.0, 800.0) < persistence_e(&p, 0.0, 400.0));
        let mut c2 = Array2::<f32>::zeros((3, 6));
        assert_eq!(add_persistence(&mut c2, &runs, 5.0), 3);
        assert_eq!(c2[[1, 3]], 5.0);
    }
}
