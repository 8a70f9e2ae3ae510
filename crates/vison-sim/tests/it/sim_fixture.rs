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

/// The shared campaign, generated once per build of this test binary and shared by its test
/// processes (nextest runs each test in its own process): it lives in
/// `$CARGO_TARGET_TMPDIR/sim-fixture-<key>`, where the key changes with every rebuild, and is
/// generated under a file lock into a temporary folder renamed into place. Fixtures of
/// earlier builds are removed, so the target folder holds one.
pub(crate) fn campaign() -> &'static Campaign {
    static C: OnceLock<Campaign> = OnceLock::new();
    C.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let dir = root.join(format!("sim-fixture-{}", build_key()));
        let report_path = dir.join("report.json");
        if !report_path.is_file() {
            generate_shared(root, &dir);
        }
        let report: CampaignReport = serde_json::from_str(
            &std::fs::read_to_string(&report_path).expect("fixture report.json"),
        )
        .expect("fixture report.json decodes");
        let truth = Truth::read(&report.truth_path).expect("truth.json");
        Campaign { report, truth }
    })
}

/// A key that changes with every build of the test binary (its size and modification time).
fn build_key() -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let meta = std::fs::metadata(&exe).expect("test binary metadata");
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{:x}", meta.len(), mtime_ns)
}

/// Generates the campaign into `dir` unless another process did, under `root/sim-fixture.lock`.
fn generate_shared(root: &Path, dir: &Path) {
    std::fs::create_dir_all(root).expect("target tmp dir");
    let lock = std::fs::File::create(root.join("sim-fixture.lock")).expect("fixture lock file");
    lock.lock().expect("fixture lock");
    if !dir.join("report.json").is_file() {
        remove_stale_fixtures(root);
        let tmp = tempfile::tempdir_in(root).expect("temp dir");
        let mut cfg =
            CampaignConfig::new(TESTS.iter().map(|s| s.to_string()).collect(), tmp.path());
        cfg.seed = 20260;
        let mut report = generate_campaign(&cfg, &|| {}).expect("campaign generation");
        let rebase = |p: &Path| dir.join(p.strip_prefix(tmp.path()).expect("inside temp dir"));
        report.day_dir = rebase(&report.day_dir);
        report.truth_path = rebase(&report.truth_path);
        let json = serde_json::to_string(&report).expect("report encodes");
        std::fs::write(tmp.path().join("report.json"), json).expect("fixture report.json");
        std::fs::rename(tmp.keep(), dir).expect("fixture into place");
    }
    lock.unlock().expect("fixture unlock");
}

/// Removes the fixtures of earlier builds.
fn remove_stale_fixtures(root: &Path) {
    for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with("sim-fixture-") {
            std::fs::remove_dir_all(e.path()).ok();
        }
    }
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
