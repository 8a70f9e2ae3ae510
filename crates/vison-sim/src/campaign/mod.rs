//! Synthetic campaign generator: for the chosen tests, one ELVIS day folder with FITS frames
//! (one per CCD per exposure, ROE1, CCD1..3), the EXP_LOG, per-exposure HK files, the daily
//! master HK file, and `truth.json` with every injected value.
//!
//! Generation is deterministic: every frame draws from its own generator seeded by a hash of
//! (seed, ObsID, CCD), so the parallel (rayon) synthesis gives the same bytes for the same
//! seed whatever the thread schedule. Frames are written as soon as they are synthesised, so
//! memory stays at a few frames per worker thread.

mod detector;
mod explog;
mod files;
mod hk;
mod plan;
mod render;
mod rng;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{NaiveDate, NaiveDateTime};
use rand::Rng;
use rayon::prelude::*;
use vison_ccd::{FrameGeometry, Quadrant, write_raw_frame};
use vison_explog::{ExpLog, ExpLogRow, day_folder_name, explog_file_name, fits_file_name};

use crate::Error;
use crate::faults::FaultKind;
use crate::truth::{
    FaultTruth, FrameCcdTruth, FrameTruth, GeneratorTruth, TRUTH_SCHEMA_VERSION, Truth,
};
use vison_ogse::OgseProfile;
use vison_testdefs::ElvisVersion;

pub(crate) use files::write_atomic;
pub use plan::campaign_test_options;

use detector::CcdModel;
use plan::PlannedExposure;
use render::{FrameJob, SatEvent, render_frame, saturation_event};
use rng::{Stream, derived_rng};

/// CCDs of the ROE.
const CCDS: [u8; 3] = [1, 2, 3];

/// Frame size of a synthetic campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimSize {
    /// 256 x 256 image pixels per quadrant with the real prescan (51), serial overscan (20)
    /// and parallel overscan (20): 654 x 552 frames.
    #[default]
    Small,
    /// 512 x 512 image pixels per quadrant, real prescan and overscans: 1166 x 1064 frames
    /// (4 x the pixels of `small`, for statistics-limited checks such as a PTC gain to 0.5 %).
    Medium,
    /// The real geometry: 2048 x 2066 image pixels per quadrant, 4238 x 4172 frames.
    Full,
}

impl SimSize {
    /// The frame geometry.
    pub fn geometry(self) -> FrameGeometry {
        match self {
            SimSize::Small => FrameGeometry::small(),
            SimSize::Medium => FrameGeometry {
                image_cols_px: 512,
                image_rows_px: 512,
                ..FrameGeometry::FULL
            },
            SimSize::Full => FrameGeometry::FULL,
        }
    }

    /// `small` or `full`.
    pub fn name(self) -> &'static str {
        match self {
            SimSize::Small => "small",
            SimSize::Medium => "medium",
            SimSize::Full => "full",
        }
    }
}

impl std::str::FromStr for SimSize {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "small" => Ok(SimSize::Small),
            "medium" => Ok(SimSize::Medium),
            "full" => Ok(SimSize::Full),
            other => Err(Error::Option {
                test: "campaign".into(),
                msg: format!("unknown size `{other}` (small, medium or full)"),
            }),
        }
    }
}

/// Settings of a synthetic campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignConfig {
    /// Tests in campaign order (names as [`vison_testdefs::known_tests`], with suffixes).
    pub tests: Vec<String>,
    /// Output folder; the day folder and `truth.json` are written inside.
    pub out_dir: PathBuf,
    /// Random seed.
    pub seed: u64,
    /// Frame size.
    pub size: SimSize,
    /// ELVIS version of the EXP_LOG, HK files and headers.
    pub elvis: ElvisVersion,
    /// Start of the first exposure.
    pub start: NaiveDateTime,
    /// First ObsID.
    pub first_obsid: u64,
    /// Faults to inject.
    pub faults: Vec<FaultKind>,
    /// Chamber profile.
    pub ogse: OgseProfile,
    /// Lamp time base.
    pub shutter: LampShutter,
}

/// How long the lamp lights a flat or spot exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LampShutter {
    /// The chamber's shutter-calibrated actual time (`OgseProfile::shutter`), as in the lab.
    #[default]
    Chamber,
    /// Exactly the commanded EXP_LOG time (an ideal shutter).
    None,
}

impl LampShutter {
    /// `chamber` or `none`.
    pub fn name(self) -> &'static str {
        match self {
            LampShutter::Chamber => "chamber",
            LampShutter::None => "none",
        }
    }
}

impl std::str::FromStr for LampShutter {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "chamber" => Ok(LampShutter::Chamber),
            "none" => Ok(LampShutter::None),
            other => Err(Error::Option {
                test: "campaign".into(),
                msg: format!("unknown shutter `{other}` (chamber or none)"),
            }),
        }
    }
}

impl CampaignConfig {
    /// Defaults: seed 1, small size, ELVIS 7.5.X, start 19 Jan 2018 07:00:00 (the reference
    /// generator's), first ObsID 1000, no faults, the real chamber-B profile and its shutter.
    pub fn new(tests: Vec<String>, out_dir: impl Into<PathBuf>) -> Self {
        let start = NaiveDate::from_ymd_opt(2018, 1, 19)
            .and_then(|d| d.and_hms_opt(7, 0, 0))
            .unwrap_or_default();
        CampaignConfig {
            tests,
            out_dir: out_dir.into(),
            seed: 1,
            size: SimSize::Small,
            elvis: ElvisVersion::V7_5_X,
            start,
            first_obsid: 1000,
            faults: Vec::new(),
            ogse: OgseProfile::default_chamber(),
            shutter: LampShutter::Chamber,
        }
    }
}

/// What a generation produced.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CampaignReport {
    /// The day folder.
    pub day_dir: PathBuf,
    /// The truth file.
    pub truth_path: PathBuf,
    /// Exposures (ObsIDs).
    pub n_exposures: usize,
    /// FITS files written (missing-frame fault excluded).
    pub n_frames: usize,
    /// Wall time of the frame synthesis and writing.
    pub frames_elapsed_s: f64,
    /// Frames per second of the synthesis and writing.
    pub frames_per_s: f64,
    /// Whole generation wall time.
    pub total_elapsed_s: f64,
}

/// A planned campaign (exposures and static detector model), ready to be written.
pub struct CampaignPlan {
    cfg: CampaignConfig,
    geometry: FrameGeometry,
    exposures: Vec<PlannedExposure>,
    models: Vec<CcdModel>,
    events: Vec<SatEvent>,
}

impl CampaignPlan {
    /// Number of exposures.
    pub fn n_exposures(&self) -> usize {
        self.exposures.len()
    }

    /// Number of frames (3 per exposure).
    pub fn n_frames(&self) -> usize {
        self.exposures.len() * CCDS.len()
    }

    /// Frame geometry.
    pub fn geometry(&self) -> FrameGeometry {
        self.geometry
    }
}

/// Plans a campaign: expands the tests, assigns ObsIDs and times, draws the detector model
/// and finds the saturated pixels that leave persistence.
pub fn plan_campaign(cfg: &CampaignConfig) -> Result<CampaignPlan, Error> {
    if cfg.tests.is_empty() {
        return Err(Error::Option {
            test: "campaign".into(),
            msg: "no tests given".into(),
        });
    }
    let geometry = cfg.size.geometry();
    let exposures = plan::plan_exposures(cfg, &geometry)?;
    let mut models: Vec<CcdModel> = CCDS
        .par_iter()
        .map(|&c| CcdModel::draw(cfg.seed, c, &geometry, &cfg.ogse))
        .collect();
    if cfg.tests.iter().any(|t| t.starts_with("BF01")) {
        for qm in models.iter_mut().flat_map(|m| m.quads.iter_mut()) {
            qm.truth.brighter_fatter = crate::effects::BrighterFatterTruth::standard();
        }
    }
    let events: Vec<SatEvent> = exposures
        .par_iter()
        .flat_map_iter(|exp| {
            models
                .iter()
                .flat_map(|m| m.quads.iter().map(move |q| (m, q)))
                .filter_map(|(m, q)| saturation_event(exp, m, q, &geometry))
                .collect::<Vec<_>>()
        })
        .collect();
    tracing::debug!(
        exposures = exposures.len(),
        saturation_events = events.len(),
        "campaign planned"
    );
    Ok(CampaignPlan {
        cfg: cfg.clone(),
        geometry,
        exposures,
        models,
        events,
    })
}

/// Exposure index and CCD chosen for each fault (deterministic, distinct exposures).
fn fault_targets(cfg: &CampaignConfig, exposures: &[PlannedExposure]) -> Vec<FaultTarget> {
    let mut out = Vec::new();
    let n = exposures.len();
    let mut rng = derived_rng(cfg.seed, Stream::Hk, u64::MAX, 0, 0);
    let mut used: Vec<usize> = Vec::new();
    for (k, f) in cfg.faults.iter().enumerate() {
        let idx = match f {
            FaultKind::ExtraExposure => exposures.iter().position(|e| e.extra).unwrap_or(0),
            _ => {
                let mut i = (n * (k + 1)) / (cfg.faults.len() + 1);
                while used.contains(&i) && i + 1 < n {
                    i += 1;
                }
                i.min(n.saturating_sub(1))
            }
        };
        used.push(idx);
        let ccd = rng.random_range(1..=3u8);
        out.push((*f, idx, ccd));
    }
    out
}

/// CCD temperatures (deg C) of an exposure, `[ccd][top, bottom]`: about -120 C (153 K).
fn temperatures(seed: u64, obsid: u64) -> [[f64; 2]; 3] {
    let mut rng = derived_rng(seed, Stream::Hk, obsid, 99, 0);
    let mut t = [[0.0; 2]; 3];
    for c in &mut t {
        for v in c.iter_mut() {
            *v = -120.0 + rng.random_range(-0.15..0.15);
        }
    }
    t
}

/// A fault target: kind, exposure index, CCD.
type FaultTarget = (FaultKind, usize, u8);

/// One frame's outcome: exposure index, CCD, truth, whether the file was written.
type FrameOutcome = (usize, u8, FrameCcdTruth, bool);

/// Generates and writes a planned campaign. `on_frame` is called once per frame written
/// (from worker threads), e.g. to advance a progress bar.
pub fn write_campaign(
    plan: &CampaignPlan,
    on_frame: &(dyn Fn() + Sync),
) -> Result<CampaignReport, Error> {
    let t_total = Instant::now();
    let cfg = &plan.cfg;
    let day = cfg.start.date();
    let day_dir = cfg.out_dir.join(day_folder_name(day));
    files::create_dir(&day_dir)?;
    let targets = fault_targets(cfg, &plan.exposures);
    let mut log = ExpLog::with_version(cfg.elvis);
    let (rows, temps) = explog_rows(plan, log.schema())?;

    let t_frames = Instant::now();
    // Twice as many workers as cores: each frame ends with a synced file write, so extra
    // workers keep the cores busy while others wait for the disk. Output does not depend on
    // the number of workers.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()
        .map_err(|e| files::foreign(&day_dir, e))?;
    let writer = FrameWriter {
        plan,
        rows: &rows,
        day_dir: &day_dir,
        targets: &targets,
        on_frame,
    };
    let results: Vec<Result<FrameOutcome, Error>> = pool.install(|| writer.write_all());
    let frames_elapsed_s = t_frames.elapsed().as_secs_f64();
    let (frames, n_written) = frame_truths(plan, results)?;

    for (_, row) in rows {
        log.push(row).map_err(|e| files::foreign(&day_dir, e))?;
    }
    let explog_path = day_dir.join(explog_file_name(day));
    log.write(&explog_path)
        .map_err(|e| files::foreign(&explog_path, e))?;

    let hk_fault = targets
        .iter()
        .find(|t| t.0 == FaultKind::HkOol)
        .map(|t| t.1);
    pool.install(|| hk::write_hk(&day_dir, cfg, cfg.elvis, &plan.exposures, &temps, hk_fault))?;

    let faults = targets
        .iter()
        .map(|&(kind, i, ccd)| fault_truth(kind, &plan.exposures[i], ccd, &frames))
        .collect();
    let truth_path = cfg.out_dir.join("truth.json");
    campaign_truth(plan, frames, faults).write(&truth_path)?;
    let frames_per_s = if frames_elapsed_s > 0.0 {
        plan.n_frames() as f64 / frames_elapsed_s
    } else {
        0.0
    };
    Ok(CampaignReport {
        day_dir,
        truth_path,
        n_exposures: plan.exposures.len(),
        n_frames: n_written,
        frames_elapsed_s,
        frames_per_s,
        total_elapsed_s: t_total.elapsed().as_secs_f64(),
    })
}

/// EXP_LOG rows with their FITS file names, one per exposure and CCD in exposure order, and
/// the CCD temperatures of every exposure.
#[allow(clippy::type_complexity)]
fn explog_rows(
    plan: &CampaignPlan,
    schema: &std::sync::Arc<vison_explog::Schema>,
) -> Result<(Vec<(String, ExpLogRow)>, Vec<[[f64; 2]; 3]>), Error> {
    let cfg = &plan.cfg;
    let mut rows = Vec::with_capacity(plan.n_frames());
    let mut temps = Vec::with_capacity(plan.exposures.len());
    for exp in &plan.exposures {
        let t = temperatures(cfg.seed, exp.obsid);
        for ccd in CCDS {
            let name = fits_file_name(exp.obsid as i64, exp.start, 1, ccd);
            let stem = name.trim_end_matches(".fits").to_string();
            let row = explog::explog_row(schema, exp, ccd, &stem, cfg.elvis, &t)?;
            rows.push((name, row));
        }
        temps.push(t);
    }
    Ok((rows, temps))
}

/// Renders and writes the frames of a campaign (with their file faults).
struct FrameWriter<'a> {
    plan: &'a CampaignPlan,
    /// EXP_LOG rows and file names, as [`explog_rows`].
    rows: &'a [(String, ExpLogRow)],
    day_dir: &'a Path,
    targets: &'a [FaultTarget],
    on_frame: &'a (dyn Fn() + Sync),
}

impl FrameWriter<'_> {
    /// The CCD hit by a fault of `kind` at exposure `idx`, if any.
    fn fault_of(&self, kind: FaultKind, idx: usize) -> Option<u8> {
        self.targets
            .iter()
            .find(|t| t.0 == kind && t.1 == idx)
            .map(|t| t.2)
    }

    /// Every frame, in parallel on the current pool, streamed to disk.
    fn write_all(&self) -> Vec<Result<FrameOutcome, Error>> {
        let jobs: Vec<(usize, u8)> = (0..self.plan.exposures.len())
            .flat_map(|i| CCDS.map(|c| (i, c)))
            .collect();
        jobs.par_iter()
            .map(|&(i, ccd)| self.write_one(i, ccd))
            .collect()
    }

    /// Renders one frame and writes it, unless a fault removes or truncates the file.
    fn write_one(&self, i: usize, ccd: u8) -> Result<FrameOutcome, Error> {
        let plan = self.plan;
        let exp = &plan.exposures[i];
        let saturate = self
            .fault_of(FaultKind::SaturatedQuadrant, i)
            .filter(|&c| c == ccd)
            .map(|_| Quadrant::ALL[(exp.obsid % 4) as usize]);
        let job = FrameJob {
            seed: plan.cfg.seed,
            exp,
            model: &plan.models[usize::from(ccd - 1)],
            geometry: plan.geometry,
            events: &plan.events,
            readout_s: plan.cfg.ogse.overheads.ff_readout_s,
            saturate,
        };
        let (mut frame, quads) = render_frame(&job);
        let (name, row) = &self.rows[i * CCDS.len() + usize::from(ccd - 1)];
        frame.header = explog::header_from_row(row, exp.physics.wave);
        frame.extname = format!("ROE1_CCD{ccd}");
        let path = self.day_dir.join(name);
        let missing = self.fault_of(FaultKind::MissingFrame, i) == Some(ccd);
        if !missing {
            write_raw_frame(&path, &frame).map_err(|e| files::foreign(&path, e))?;
            if self.fault_of(FaultKind::TruncatedFits, i) == Some(ccd) {
                let len = std::fs::metadata(&path)
                    .map_err(|source| Error::Io {
                        path: path.clone(),
                        source,
                    })?
                    .len();
                files::truncate_file(&path, len / 2)?;
            }
        }
        (self.on_frame)();
        let truth = FrameCcdTruth {
            file: name.clone(),
            rows_read_px: exp.physics.rows_read,
            quads,
        };
        Ok((i, ccd, truth, !missing))
    }
}

/// The per-exposure truth of the written frames, keyed by ObsID, and the number of files
/// written.
fn frame_truths(
    plan: &CampaignPlan,
    results: Vec<Result<FrameOutcome, Error>>,
) -> Result<(BTreeMap<String, FrameTruth>, usize), Error> {
    let mut frames: BTreeMap<String, FrameTruth> = BTreeMap::new();
    let mut n_written = 0;
    for r in results {
        let (i, ccd, truth, written) = r?;
        n_written += usize::from(written);
        let exp = &plan.exposures[i];
        let ft = frames
            .entry(exp.obsid.to_string())
            .or_insert_with(|| FrameTruth {
                test: exp.test.clone(),
                label: exp.label.clone(),
                exptime_s: exp.physics.exptime_s,
                exptime_actual_s: exp.physics.exptime_actual_s,
                date: vison_explog::format_elvis_datetime(exp.start),
                t_start_s: exp.t_start_s,
                source: exp.physics.source.to_string(),
                wave: exp.physics.wave,
                ccds: BTreeMap::new(),
            });
        ft.ccds.insert(format!("CCD{ccd}"), truth);
    }
    Ok((frames, n_written))
}

/// The `truth.json` content of a written campaign.
fn campaign_truth(
    plan: &CampaignPlan,
    frames: BTreeMap<String, FrameTruth>,
    faults: Vec<FaultTruth>,
) -> Truth {
    let cfg = &plan.cfg;
    let g = plan.geometry;
    let day = cfg.start.date();
    Truth {
        schema_version: TRUTH_SCHEMA_VERSION,
        generator: GeneratorTruth {
            seed: cfg.seed,
            size: cfg.size.name().into(),
            image_cols_px: g.image_cols_px,
            image_rows_px: g.image_rows_px,
            prescan_px: g.prescan_px,
            overscan_px: g.overscan_px,
            voverscan_px: g.voverscan_px,
            elvis: cfg.elvis.as_str().into(),
            chamber: cfg.ogse.name.clone(),
            shutter: cfg.shutter.name().into(),
            tests: cfg.tests.clone(),
            first_obsid: cfg.first_obsid,
            start: vison_explog::format_elvis_datetime(cfg.start),
            day_folder: day_folder_name(day),
            coordinates: "qcan: canonical quadrant [x = serial index incl. prescan, y = row], readout node at 0; \
                          ccd: frame pixel indices data[y, x], row 0 at the bottom; pixel centres at integers"
                .into(),
        },
        ccds: plan.models.iter().map(|m| (format!("CCD{}", m.ccd), m.quad_truths())).collect(),
        illumination: plan.models.iter().map(|m| (format!("CCD{}", m.ccd), m.lamp)).collect(),
        frames,
        spots: plan.models.iter().map(|m| (format!("CCD{}", m.ccd), m.spot_truths())).collect(),
        traps: plan.models.iter().flat_map(|m| m.quads.iter().flat_map(|q| q.traps.iter().copied())).collect(),
        faults,
    }
}

fn fault_truth(
    kind: FaultKind,
    exp: &PlannedExposure,
    ccd: u8,
    frames: &BTreeMap<String, FrameTruth>,
) -> FaultTruth {
    let file = frames
        .get(&exp.obsid.to_string())
        .and_then(|f| f.ccds.get(&format!("CCD{ccd}")))
        .map(|c| c.file.clone())
        .unwrap_or_default();
    let (ccd, detail) = match kind {
        FaultKind::MissingFrame => (
            Some(ccd),
            format!("{file} not written (EXP_LOG row and HK present)"),
        ),
        FaultKind::TruncatedFits => (Some(ccd), format!("{file} cut to half its size")),
        FaultKind::HkOol => (
            None,
            format!(
                "CCD1_OD_T = commanded OD_1_T + {} V in the HK file of ObsID {}",
                hk::OOL_OFFSET_V,
                exp.obsid
            ),
        ),
        FaultKind::SaturatedQuadrant => {
            let q = Quadrant::ALL[(exp.obsid % 4) as usize];
            (
                Some(ccd),
                format!("quadrant {q} of {file} set to 65535 over its image area"),
            )
        }
        FaultKind::ExtraExposure => (
            None,
            format!(
                "ObsID {} repeats the previous exposure of {} ({}) beyond the script",
                exp.obsid, exp.test, exp.label
            ),
        ),
    };
    FaultTruth {
        kind: kind.name().into(),
        obsid: exp.obsid,
        ccd,
        detail,
    }
}

/// Plans and writes a campaign in one call.
pub fn generate_campaign(
    cfg: &CampaignConfig,
    on_frame: &(dyn Fn() + Sync),
) -> Result<CampaignReport, Error> {
    let plan = plan_campaign(cfg)?;
    write_campaign(&plan, on_frame)
}

/// Path of the day folder a configuration writes.
pub fn day_dir_of(cfg: &CampaignConfig) -> PathBuf {
    cfg.out_dir.join(day_folder_name(cfg.start.date()))
}
