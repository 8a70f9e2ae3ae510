//! BIAS01 / BIAS02 (reference 4.2): read noise per exposure and quadrant, master bias per CCD
//! (stack of the offset-subtracted frames, with its per-pixel scatter), profiles of the master
//! bias, compliance of RON and offsets. Pure functions on arrays, I/O in the task methods.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ccd::fits::geometry_keys;
use vison_ccd::ops::{ProfileAxis, Reducer, profile};
use vison_ccd::stats::Trim;
use vison_ccd::{Frame, FrameGeometry, Quadrant, Section, read_frame};
use vison_report::{
    Block, Cell, DataTable, Histogram, ImagePlot, PlotGrid, Section as RSection, Series,
    SeriesStyle, XyPlot,
};

use crate::error::{Error, Result};
use crate::framework::analysis::{Analysis, ComplianceEntry, ComplianceTable};
use crate::framework::calib::CalibUse;
use crate::framework::config::BiasConfig;
use crate::framework::flags::{Flag, Flags};
use crate::framework::frames::finite_mean;
use crate::framework::prep::open_ccd_frames;
use crate::framework::products::{
    MasterNames, master_bias_name, master_header, masters_per_ccd, read_master_image,
    write_master_product,
};
use crate::framework::report::{
    Plot, compliance_block, figure, per_quadrant_vs_obsid, with_quadrant_panels,
};
use crate::framework::state::{FrameCheck, IngestState, TaskState};
use crate::framework::task::{Task, TaskEnv};
use vison_ccd::quadcheck::{clipped_mean_std, ron_two_way};

/// Read noise of one quadrant of one frame, ADU.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuadRon {
    /// Image area (row and column structure removed).
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub ron_image_adu: f64,
    /// Trimmed prescan.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub ron_prescan_adu: f64,
    /// Trimmed overscan.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub ron_overscan_adu: f64,
}

/// Read noise of one frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRon {
    /// ObsID.
    pub obsid: i64,
    /// CCD.
    pub ccd: u8,
    /// Per quadrant.
    pub quads: BTreeMap<String, QuadRon>,
}

/// State of the BIAS `basic` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasBasic {
    /// One entry per usable frame.
    pub frames: Vec<FrameRon>,
}

/// Master-bias figures of one quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterQuad {
    /// Offset subtracted before stacking (mean over the frames), ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub offset_subtracted_adu: f64,
    /// Clipped mean of the master-bias image area (level above the prescan offset), ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub level_image_adu: f64,
    /// Clipped spatial standard deviation of the master-bias image area, ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub spatial_std_image_adu: f64,
    /// Mean per-pixel scatter of the stacked frames over the image area, ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub pixel_std_image_adu: f64,
    /// Parallel profile: mean of each image row (canonical), ADU.
    #[serde(deserialize_with = "vison_stdx::nan::vec_f64")]
    pub row_profile_adu: Vec<f64>,
    /// Serial profile: mean of each column over the image rows (prescan to overscan), ADU.
    #[serde(deserialize_with = "vison_stdx::nan::vec_f64")]
    pub col_profile_adu: Vec<f64>,
}

/// Master bias of one CCD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterBias {
    /// Product path relative to the test folder.
    pub product: String,
    /// Frames stacked.
    pub n_frames: usize,
    /// Per quadrant.
    pub quads: BTreeMap<String, MasterQuad>,
}

/// State of the BIAS `meta` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasMeta {
    /// Per CCD (`CCD1`..).
    pub ccds: BTreeMap<String, MasterBias>,
}

/// Read noise of every quadrant of a raw frame (pure).
pub fn frame_ron(
    frame: &Frame,
    rows: (usize, usize),
    cfg: &BiasConfig,
    prescan_trim: [usize; 2],
) -> BTreeMap<String, QuadRon> {
    let mut out = BTreeMap::new();
    for q in Quadrant::ALL {
        let reg = |s: Section, t: Trim| {
            let v = frame.section(q, s);
            let (r0, r1) = (rows.0.min(v.nrows()), rows.1.min(v.nrows()));
            let v = t.apply(v.slice_move(ndarray::s![r0..r1.max(r0), ..]));
            v.mapv(|x| {
                if x == 0.0 || x == 65535.0 {
                    f32::NAN
                } else {
                    x
                }
            })
        };
        let img = reg(Section::Image, Trim::NONE);
        let pre = reg(
            Section::Prescan,
            Trim::serial(prescan_trim[0], prescan_trim[1]),
        );
        let ove = reg(Section::Overscan, Trim::standard(Section::Overscan));
        let f = |a: &Array2<f32>| {
            ron_two_way(
                a.view(),
                cfg.ron_clip_sigma,
                cfg.ron_quantisation_correction,
            )
        };
        out.insert(
            q.name().to_string(),
            QuadRon {
                ron_image_adu: f(&img),
                ron_prescan_adu: f(&pre),
                ron_overscan_adu: f(&ove),
            },
        );
    }
    out
}

/// Figures of one canonical quadrant of a master bias (pure).
pub fn master_quad(
    g: &FrameGeometry,
    value: ArrayView2<'_, f32>,
    std: ArrayView2<'_, f32>,
    q: Quadrant,
    offset: f64,
) -> MasterQuad {
    let vq = vison_ccd::qcan_view(g, value, q);
    let sq = vison_ccd::qcan_view(g, std, q);
    let b = g.section_box_qcan(Section::Image);
    let img = vison_ccd::cutout(vq, &b);
    let simg = vison_ccd::cutout(sq, &b);
    let vals: Vec<f32> = img.iter().copied().collect();
    let (level, sstd, _) = clipped_mean_std(&vals, 4.0, 5);
    let svals: Vec<f32> = simg.iter().copied().collect();
    let (pstd, _, _) = clipped_mean_std(&svals, f64::INFINITY, 0);
    let rows_all = vq.slice(ndarray::s![0..g.image_rows_px, ..]);
    MasterQuad {
        offset_subtracted_adu: offset,
        level_image_adu: level,
        spatial_std_image_adu: sstd,
        pixel_std_image_adu: pstd,
        row_profile_adu: profile(img, ProfileAxis::Rows, Reducer::Mean)
            .into_iter()
            .map(f64::from)
            .collect(),
        col_profile_adu: profile(rows_all, ProfileAxis::Cols, Reducer::Mean)
            .into_iter()
            .map(f64::from)
            .collect(),
    }
}

/// BIAS01 / BIAS02.
#[derive(Debug, Clone)]
pub struct BiasTask {
    name: String,
}

impl BiasTask {
    /// A bias task named `BIAS01` or `BIAS02`.
    pub fn new(name: &str) -> Self {
        BiasTask {
            name: name.to_string(),
        }
    }

    /// The `basic` step: read noise of every usable frame (parallel), RON_OOL per quadrant
    /// outside the limits.
    fn basic(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let chk = st.check()?;
        let usable: Vec<&FrameCheck> = chk.frames.iter().filter(|f| f.usable).collect();
        let ingest = st.ingest()?;
        let total = usable.len() as u64;
        let done = AtomicU64::new(0);
        let frames: Vec<Result<FrameRon>> = usable
            .par_iter()
            .map(|fc| {
                let frame = read_frame(&ingest.frame_path(fc.obsid, fc.ccd))?;
                let quads = frame_ron(
                    &frame,
                    fc.rows,
                    &env.cfg.bias,
                    env.cfg.preprocessing.offset_trim,
                );
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                env.step_progress("basic", d, total);
                Ok(FrameRon {
                    obsid: fc.obsid,
                    ccd: fc.ccd,
                    quads,
                })
            })
            .collect();
        let frames = frames.into_iter().collect::<Result<Vec<_>>>()?;
        let flags = ron_flags(&frames, env.cfg.limits.ron_adu);
        let v = serde_json::to_value(BiasBasic { frames })
            .map_err(|e| Error::step(&self.name, "basic", e))?;
        Ok((v, flags))
    }

    /// The `meta` step: the master bias of every CCD with usable frames.
    fn meta(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let ingest = st.ingest()?;
        let (ccds, flags) = masters_per_ccd(
            st.check()?,
            "no usable frame, no master bias",
            |ccd, frames, g| {
                let mb = self.master_bias(env, ingest, frames, ccd, g)?;
                env.step_progress("meta", u64::from(ccd), 3);
                Ok(mb)
            },
        )?;
        let v = serde_json::to_value(BiasMeta { ccds })
            .map_err(|e| Error::step(&self.name, "meta", e))?;
        Ok((v, flags))
    }

    /// Stacks the offset-subtracted `frames` of CCD `ccd` (cosmetic mask applied) into its
    /// master bias product (STACK, STD, MASK; OFFS_<Q> the mean offsets subtracted).
    fn master_bias(
        &self,
        env: &TaskEnv<'_>,
        ingest: &IngestState,
        frames: &[&FrameCheck],
        ccd: u8,
        g: FrameGeometry,
    ) -> Result<MasterBias> {
        let prep = &env.cfg.preprocessing;
        let calib = env.pixel_calib(ccd, &g, None, CalibUse::MASK)?;
        let (mut sources, offs_mean) = open_ccd_frames(ingest, frames, ccd, g, prep, &calib)?;
        let n = sources.len();
        let stack = vison_ccd::stack::stack(
            &mut sources,
            env.cfg.bias.stack.method(),
            prep.stack_budget_mib << 20,
        )?;
        drop(sources);
        let mut primary = master_header(&self.name, ccd, &env.block.block, n);
        primary.set("STACKMTH", format!("{:?}", env.cfg.bias.stack).as_str());
        geometry_keys(&g, &mut primary);
        let mut quads = BTreeMap::new();
        for (k, q) in Quadrant::ALL.into_iter().enumerate() {
            let off = offs_mean[k];
            primary.set(&format!("OFFS_{}", q.name()), off);
            quads.insert(
                q.name().to_string(),
                master_quad(&g, stack.value.view(), stack.std.view(), q, off),
            );
        }
        primary.add_comment(
            "STACK: offset-subtracted master bias (ADU); add OFFS_<Q> for the raw level.",
        );
        let mask: Array2<u8> = stack.n_used.mapv(|n| u8::from(n == 0));
        let rel = format!("products/{}", master_bias_name(ccd));
        write_master_product(
            &env.test_dir.join(&rel),
            &primary,
            &g,
            &MasterNames {
                value: "STACK",
                error: "STD",
                mask: "MASK",
            },
            stack.value.view(),
            stack.std.view(),
            mask.view(),
        )?;
        Ok(MasterBias {
            product: rel,
            n_frames: n,
            quads,
        })
    }
}

/// RON_OOL for every frame quadrant whose image-area RON is outside `lim` (ADU).
fn ron_flags(frames: &[FrameRon], lim: [f64; 2]) -> Flags {
    let mut flags = Flags::new();
    for f in frames {
        for (q, r) in &f.quads {
            let v = r.ron_image_adu;
            if !(v.is_finite() && v >= lim[0] && v <= lim[1]) {
                flags.raise(
                    Flag::RON_OOL,
                    format!(
                        "ObsID {} CCD{} {q}: image-area RON {v:.3} ADU outside [{}, {}]",
                        f.obsid, f.ccd, lim[0], lim[1]
                    ),
                );
            }
        }
    }
    flags
}

/// Read-noise figures (mean over exposures per quadrant, per exposure in the CSV) and the
/// `ron_image` compliance table.
fn summarize_ron(a: &mut Analysis, basic: &BiasBasic, lim: [f64; 2]) {
    let mut ron_table = ComplianceTable {
        description: "image-area read noise (mean over exposures)".into(),
        unit: "ADU".into(),
        ccds: BTreeMap::new(),
    };
    for ccd in 1..=3u8 {
        for q in Quadrant::ALL {
            let qn = q.name();
            let pick = |f: &dyn Fn(&QuadRon) -> f64| -> Vec<f64> {
                basic
                    .frames
                    .iter()
                    .filter(|fr| fr.ccd == ccd)
                    .filter_map(|fr| fr.quads.get(qn).map(f))
                    .collect()
            };
            let img = pick(&|r| r.ron_image_adu);
            if img.is_empty() {
                continue;
            }
            let m = a.quad_mut(&format!("CCD{ccd}"), qn);
            let ron = finite_mean(&img);
            m.insert("ron_adu".into(), ron);
            m.insert(
                "ron_overscan_adu".into(),
                finite_mean(&pick(&|r| r.ron_overscan_adu)),
            );
            let all_ok = img
                .iter()
                .all(|v| v.is_finite() && *v >= lim[0] && *v <= lim[1]);
            ron_table
                .ccds
                .entry(format!("CCD{ccd}"))
                .or_default()
                .insert(
                    qn.to_string(),
                    ComplianceEntry::check(ron, lim[0], lim[1], all_ok),
                );
        }
    }
    for f in &basic.frames {
        for (q, r) in &f.quads {
            let e = a
                .per_exposure
                .entry((f.obsid, f.ccd, q.clone()))
                .or_default();
            e.insert("ron_image_adu".into(), r.ron_image_adu);
            e.insert("ron_overscan_adu".into(), r.ron_overscan_adu);
        }
    }
    a.compliance.insert("ron_image".into(), ron_table);
}

/// Master-bias figures per quadrant (level, scatters, parallel gradient) and the products.
fn summarize_master(a: &mut Analysis, meta: &BiasMeta) {
    for (ccd, mb) in &meta.ccds {
        a.products.push((
            mb.product.clone(),
            format!(
                "master bias of {ccd} ({} frames): STACK, STD, MASK",
                mb.n_frames
            ),
        ));
        for (q, mq) in &mb.quads {
            let m = a.quad_mut(ccd, q);
            m.insert("master_bias_level_adu".into(), mq.level_image_adu);
            m.insert(
                "master_bias_spatial_std_adu".into(),
                mq.spatial_std_image_adu,
            );
            m.insert("master_bias_pixel_std_adu".into(), mq.pixel_std_image_adu);
            m.insert(
                "master_bias_offset_subtracted_adu".into(),
                mq.offset_subtracted_adu,
            );
            let prof = &mq.row_profile_adu;
            if prof.len() >= 2 {
                let n = prof.len();
                let k = (n / 10).max(1);
                m.insert(
                    "master_bias_parallel_gradient_adu".into(),
                    finite_mean(&prof[n - k..]) - finite_mean(&prof[..k]),
                );
            }
        }
    }
}

impl Task for BiasTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        &["basic", "meta"]
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        match step {
            "basic" => self.basic(env, state),
            "meta" => self.meta(env, state),
            other => Err(Error::step(&self.name, other, "unknown step")),
        }
    }

    fn summarize(&self, env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis> {
        let mut a = Analysis::default();
        if let Some(basic) = state.step::<BiasBasic>("basic")? {
            summarize_ron(&mut a, &basic, env.cfg.limits.ron_adu);
        }
        if let Some(meta) = state.step::<BiasMeta>("meta")? {
            summarize_master(&mut a, &meta);
        }
        Ok(a)
    }

    fn report_sections(
        &self,
        env: &TaskEnv<'_>,
        state: &TaskState,
        a: &Analysis,
    ) -> Result<Vec<vison_report::Section>> {
        let mut s = RSection::new("Read noise");
        if let Some(basic) = state.step::<BiasBasic>("basic")? {
            self.ron_figures(&mut s, env, &basic);
        }
        if let Some(t) = a.compliance.get("ron_image") {
            s.push(compliance_block("ron_image", t));
        }
        s.push(results_table(env, state, a));
        let mut m = RSection::new("Master bias");
        match state.step::<BiasMeta>("meta")? {
            Some(meta) => self.master_figures(&mut m, env, &meta),
            None => m.push(Block::Paragraph("The master bias was not built.".into())),
        }
        Ok(vec![s, m])
    }
}

impl BiasTask {
    /// Read noise against ObsID per quadrant, and its histogram.
    fn ron_figures(&self, s: &mut RSection, env: &TaskEnv<'_>, basic: &BiasBasic) {
        let mut pts: BTreeMap<(u8, String), Vec<(f64, f64)>> = BTreeMap::new();
        let (mut hi, mut hp, mut ho) = (Vec::new(), Vec::new(), Vec::new());
        for f in &basic.frames {
            for (q, r) in &f.quads {
                pts.entry((f.ccd, q.clone()))
                    .or_default()
                    .push((f.obsid as f64, r.ron_image_adu));
                hi.push(r.ron_image_adu);
                hp.push(r.ron_prescan_adu);
                ho.push(r.ron_overscan_adu);
            }
        }
        let lim = env.cfg.limits.ron_adu;
        s.push(figure(
            env,
            "ron_vs_obsid",
            "Image-area read noise (row and column structure removed) per quadrant against ObsID, RON limits dashed.",
            Plot::Grid(per_quadrant_vs_obsid(&format!("{}: read noise", self.name), "RON [ADU]", &pts, &[(lim[0], "RON low"), (lim[1], "RON high")])),
            1500,
            450,
        ));
        s.push(figure(
            env,
            "ron_histogram",
            "Histogram of the read noise of all exposures and quadrants, image area, prescan and overscan.",
            Plot::Hist(
                Histogram::new(format!("{}: RON distribution", self.name), "RON [ADU]", "quadrants x exposures")
                    .with_data("image", hi)
                    .with_data("prescan", hp)
                    .with_data("overscan", ho)
                    .with_bins(20)
                    .with_range(0.5, 2.0),
            ),
            900,
            500,
        ));
    }

    /// Master-bias maps and profiles of every CCD.
    fn master_figures(&self, s: &mut RSection, env: &TaskEnv<'_>, meta: &BiasMeta) {
        let mut maps = ImagePlot::new(
            format!("{}: master bias (offset subtracted)", self.name),
            "serial [px]",
            "parallel [px]",
            "bias [ADU]",
        )
        .with_grid_cols(4);
        let mut rows = PlotGrid::new(format!("{}: master bias parallel profiles", self.name), 3);
        let mut cols = PlotGrid::new(format!("{}: master bias serial profiles", self.name), 3);
        for (ccd, mb) in &meta.ccds {
            let (data, g) = match read_master_image(&env.test_dir.join(&mb.product), "STACK") {
                Ok(x) => x,
                Err(e) => {
                    s.push(Block::Paragraph(format!(
                        "{ccd}: master bias unreadable: {e}"
                    )));
                    continue;
                }
            };
            maps = with_quadrant_panels(maps, ccd, &data, &g, (5.0, 95.0));
            let (pr, pc) = profile_plots(ccd, mb);
            rows = rows.with_panel(pr);
            cols = cols.with_panel(pc);
        }
        s.push(figure(env, "master_bias_maps", "Master bias per CCD (rows) and quadrant (columns E, F, G, H), image area in canonical orientation (readout node at the origin), 5th-95th percentile scale.", Plot::Image(maps), 1400, 1100));
        s.push(figure(
            env,
            "master_bias_row_profiles",
            "Parallel profiles of the master bias: mean of each image row per quadrant.",
            Plot::Grid(rows),
            1500,
            450,
        ));
        s.push(figure(env, "master_bias_col_profiles", "Serial profiles of the master bias: mean of each column over the image rows (prescan, image, overscan).", Plot::Grid(cols), 1500, 450));
    }
}

/// Parallel (row) and serial (column) profile plots of one CCD's master bias, one series per
/// quadrant.
fn profile_plots(ccd: &str, mb: &MasterBias) -> (XyPlot, XyPlot) {
    let mut pr = XyPlot::new(ccd, "row (canonical) [px]", "mean [ADU]");
    let mut pc = XyPlot::new(ccd, "column (canonical, prescan first) [px]", "mean [ADU]");
    let series = |q: Quadrant, v: &[f64]| {
        let x: Vec<f64> = (0..v.len()).map(|i| i as f64).collect();
        Series::new(q.name(), x, v.to_vec(), SeriesStyle::Line)
    };
    for q in Quadrant::ALL {
        if let Some(mq) = mb.quads.get(q.name()) {
            pr = pr.with_series(series(q, &mq.row_profile_adu));
            pc = pc.with_series(series(q, &mq.col_profile_adu));
        }
    }
    (pr, pc)
}

/// Per-quadrant results table: offsets of the checks, RON and master-bias figures (as in
/// results.json).
fn results_table(env: &TaskEnv<'_>, state: &TaskState, a: &Analysis) -> DataTable {
    let mut t = DataTable::new(
        "Per-quadrant results (mean over exposures)",
        [
            "CCD",
            "Q",
            "offset [ADU]",
            "offset image [ADU]",
            "offset overscan [ADU]",
            "RON [ADU]",
            "master level [ADU]",
            "master spatial std [ADU]",
        ],
    );
    let checks = crate::framework::results::build_results(
        env,
        state,
        a,
        &crate::framework::task::TaskOutcome {
            test: String::new(),
            status: String::new(),
            flags: Flags::new(),
        },
    );
    for (ccd, qs) in &checks.ccds {
        for (q, m) in qs {
            let g = |k: &str| m.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
            t.push_row(vec![
                Cell::text(ccd.clone()),
                Cell::text(q.clone()),
                Cell::number(g("offset_adu")),
                Cell::number(g("offset_image_adu")),
                Cell::number(g("offset_overscan_adu")),
                Cell::number(g("ron_adu")),
                Cell::number(g("master_bias_level_adu")),
                Cell::number(g("master_bias_spatial_std_adu")),
            ]);
        }
    }
    t
}
