//! Shared synthetic campaign (small frames) and measurement helpers for the generator tests.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ndarray::{ArrayView2, s};
use vison_ccd::{Frame, Quadrant, read_frame};
use vison_sim::{CampaignConfig, CampaignReport, Truth, generate_campaign};

/// Tests of the shared campaign, in order.
pub(crate) const TESTS: &[&str] = &[
    "BIAS01",
    "DARK01",
    "PTC02_800",
    "CHINJ01",
    "CHINJ02",
    "TP01",
    "TP02",
    "FOCUS00_800",
    "PERSIST01",
];

/// The generated campaign: folder, report and truth.
pub(crate) struct Campaign {
    _dir: tempfile::TempDir,
    pub(crate) report: CampaignReport,
    pub(crate) truth: Truth,
}

impl Campaign {
    /// Day folder.
    pub(crate) fn day(&self) -> &Path {
        &self.report.day_dir
    }

    /// ObsIDs of a test (`PTC02` also matches `PTC02_800`), optionally of one column label,
    /// in order.
    pub(crate) fn obsids(&self, test: &str, label: Option<&str>) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .truth
            .frames
            .iter()
            .filter(|(_, f)| {
                (f.test == test || f.test.starts_with(&format!("{test}_")))
                    && label.is_none_or(|l| f.label == l)
            })
            .filter_map(|(k, _)| k.parse().ok())
            .collect();
        v.sort_unstable();
        v
    }

    /// Path of the frame of an exposure and CCD.
    pub(crate) fn frame_path(&self, obsid: u64, ccd: u8) -> PathBuf {
        let f = &self.truth.frames[&obsid.to_string()];
        self.day().join(&f.ccds[&format!("CCD{ccd}")].file)
    }

    /// Reads the frame of an exposure and CCD.
    pub(crate) fn frame(&self, obsid: u64, ccd: u8) -> Frame {
        let p = self.frame_path(obsid, ccd);
        read_frame(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }
}

/// The shared campaign, generated once per test run.
pub(crate) fn campaign() -> &'static Campaign {
    static C: OnceLock<Campaign> = OnceLock::new();
    C.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cfg =
            CampaignConfig::new(TESTS.iter().map(|s| s.to_string()).collect(), dir.path());
        cfg.seed = 20260;
        let report = generate_campaign(&cfg, &|| {}).expect("campaign generation");
        let truth = Truth::read(&report.truth_path).expect("truth.json");
        Campaign {
            _dir: dir,
            report,
            truth,
        }
    })
}

/// Mean and population standard deviation.
pub(crate) fn mean_std<'a>(values: impl IntoIterator<Item = &'a f32>) -> (f64, f64) {
    let (mut n, mut s, mut s2) = (0.0, 0.0, 0.0);
    for &v in values {
        let v = f64::from(v);
        n += 1.0;
        s += v;
        s2 += v * v;
    }
    let m = s / n;
    (m, (s2 / n - m * m).max(0.0).sqrt())
}

/// Mean and standard deviation after iterative `k`-sigma clipping (5 passes).
pub(crate) fn clipped_mean_std(values: &[f64], k: f64) -> (f64, f64) {
    let mut keep: Vec<f64> = values.to_vec();
    let (mut m, mut sd) = (0.0, 0.0);
    for _ in 0..5 {
        let n = keep.len() as f64;
        m = keep.iter().sum::<f64>() / n;
        sd = (keep.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt();
        let before = keep.len();
        keep.retain(|v| (v - m).abs() <= k * sd);
        if keep.len() == before {
            break;
        }
    }
    (m, sd)
}

/// Image area of a canonical quadrant (rows `0..rows`).
pub(crate) fn image<'a>(f: &'a Frame, q: Quadrant) -> ArrayView2<'a, f32> {
    let g = f.geometry;
    f.quad_canonical(q).slice_move(s![
        ..g.image_rows_px,
        g.prescan_px..g.prescan_px + g.image_cols_px
    ])
}

/// Prescan of a canonical quadrant, all rows.
pub(crate) fn prescan<'a>(f: &'a Frame, q: Quadrant) -> ArrayView2<'a, f32> {
    let g = f.geometry;
    f.quad_canonical(q).slice_move(s![.., ..g.prescan_px])
}
