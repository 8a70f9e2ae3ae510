//! DARK01 (reference 4.3): master dark per CCD (stack of the offset-subtracted frames minus the
//! master bias), dark current per quadrant, hot pixels and hot columns, product with mask.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ccd::fits::{HduSelector, inspect_fits, read_image};
use vison_ccd::stack::StackMethod;
use vison_ccd::{FrameGeometry, Quadrant, Section};
use vison_report::{Block, Cell, DataTable, Histogram, ImagePlot, Section as RSection};

use crate::error::{Error, Result};
use crate::framework::analysis::Analysis;
use crate::framework::calib::CalibUse;
use crate::framework::config::DarkConfig;
use crate::framework::flags::Flags;
use crate::framework::prep::{min_stack, open_ccd_frames};
use crate::framework::products::{
    MasterNames, master_header, masters_per_ccd, read_master_image, write_master_product,
};
use crate::framework::report::{Plot, figure, with_quadrant_panels};
use crate::framework::state::{FrameCheck, IngestState, TaskState};
use crate::framework::task::{Task, TaskEnv};
use vison_ccd::quadcheck::clipped_mean_std;

/// A hot pixel, canonical quadrant coordinates (serial index counts the prescan).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HotPixel {
    /// Serial index in the canonical quadrant.
    pub x_px: usize,
    /// Row in the canonical quadrant.
    pub y_px: usize,
    /// Excess over the running median of its column, ADU.
    pub excess_adu: f64,
}

/// Hot pixels and columns of one canonical quadrant of a dark image (pure): a pixel is hot
/// when it exceeds the median of the 9 pixels centred on it in its column by more than
/// `cfg.hot_pixel_threshold_adu`; a column is hot when at least `hot_column_min_frac` of its
/// rows exceed the quadrant's clipped mean by more than `hot_column_threshold_adu`. `img` is
/// the image section; `x0` its first serial index.
pub fn find_hot(
    img: ArrayView2<'_, f32>,
    x0: usize,
    cfg: &DarkConfig,
) -> (Vec<HotPixel>, Vec<usize>) {
    let (nr, nc) = img.dim();
    let vals: Vec<f32> = img.iter().copied().collect();
    let (bg, _, _) = clipped_mean_std(&vals, 4.0, 5);
    let mut pixels = Vec::new();
    let mut columns = Vec::new();
    let mut win: Vec<f32> = Vec::with_capacity(9);
    for c in 0..nc {
        let col = img.column(c);
        let n_high = col
            .iter()
            .filter(|&&v| f64::from(v) - bg > cfg.hot_column_threshold_adu)
            .count();
        if n_high as f64 >= cfg.hot_column_min_frac * nr as f64 {
            columns.push(x0 + c);
        }
        for r in 0..nr {
            let v = col[r];
            if !v.is_finite() {
                continue;
            }
            let (a, b) = (r.saturating_sub(4), (r + 5).min(nr));
            win.clear();
            win.extend(
                col.slice(ndarray::s![a..b])
                    .iter()
                    .copied()
                    .filter(|x| x.is_finite()),
            );
            let med = vison_ccd::stats::median_in_place(&mut win);
            let ex = f64::from(v) - med;
            if ex > cfg.hot_pixel_threshold_adu {
                pixels.push(HotPixel {
                    x_px: x0 + c,
                    y_px: r,
                    excess_adu: ex,
                });
            }
        }
    }
    (pixels, columns)
}

/// Dark figures of one quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DarkQuad {
    /// Dark signal rate, ADU/s (clipped mean, hot pixels and columns excluded).
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub dark_adu_per_s: f64,
    /// Dark current, e-/px/s (`dark_adu_per_s x gain_e_per_adu`).
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub dark_e_per_px_per_s: f64,
    /// Gain used, e-/ADU.
    pub gain_e_per_adu: f64,
    /// Prescan offset of the darks minus that of the biases, ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub offset_drift_adu: f64,
    /// Hot pixels.
    pub hot_pixels: Vec<HotPixel>,
    /// Hot columns (serial index in the canonical quadrant).
    pub hot_columns: Vec<usize>,
}

/// Master dark of one CCD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterDark {
    /// Product path relative to the test folder.
    pub product: String,
    /// Frames stacked.
    pub n_frames: usize,
    /// Mean exposure time, s.
    pub exptime_s: f64,
    /// Master bias subtracted (path or `none`).
    pub bias_source: String,
    /// Per quadrant.
    pub quads: BTreeMap<String, DarkQuad>,
}

/// State of the DARK01 `meta` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DarkMeta {
    /// Per CCD.
    pub ccds: BTreeMap<String, MasterDark>,
}

/// DARK01.
#[derive(Debug, Clone, Default)]
pub struct DarkTask;

/// The master bias of a CCD for the dark: (offset-subtracted stack, offsets per quadrant, path).
fn master_bias(env: &TaskEnv<'_>, ccd: u8) -> Option<(Array2<f32>, [f64; 4], PathBuf)> {
    // `auto`: the master bias of a test this one uses (registry), as listed in its
    // results.json; else the configured file (`calibration.master_bias`).
    for p in env
        .master_bias_path(ccd)
        .into_iter()
        .filter(|p| p.is_file())
    {
        let Ok(info) = inspect_fits(&p) else { continue };
        let Some(h) = info.hdus.first().map(|h| h.header.clone()) else {
            continue;
        };
        let Ok((_, data)) = read_image(&p, HduSelector::Name("STACK")) else {
            continue;
        };
        let mut offs = [0.0; 4];
        for (k, q) in Quadrant::ALL.into_iter().enumerate() {
            offs[k] = h.get_f64(&format!("OFFS_{}", q.name())).unwrap_or(0.0);
        }
        return Some((data, offs, p));
    }
    None
}

/// The three stacks of a CCD's darks (offset-subtracted, cosmetic mask applied).
struct DarkStacks {
    /// Mean stack (dark current level).
    mean: Array2<f32>,
    /// Stack of the configured method (the product) and its scatter.
    product: vison_ccd::stack::StackResult,
    /// Per-pixel minimum (defect search).
    low: Array2<f32>,
    /// Mean offsets subtracted per quadrant (E, F, G, H), ADU.
    offs_mean: [f64; 4],
}

impl DarkTask {
    /// The `meta` step: the master dark of every CCD with usable frames.
    fn meta(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let ingest = st.ingest()?;
        let missing = "no usable dark frame, no master dark";
        let (ccds, flags) = masters_per_ccd(st.check()?, missing, |ccd, frames, g| {
            let md = master_dark(env, ingest, frames, ccd, g)?;
            env.step_progress("meta", u64::from(ccd), 3);
            Ok(md)
        })?;
        let v = serde_json::to_value(DarkMeta { ccds })
            .map_err(|e| Error::step("DARK01", "meta", e))?;
        Ok((v, flags))
    }
}

/// Mean, product and minimum stacks of the `frames` of CCD `ccd` (each a pass over the files).
fn dark_stacks(
    env: &TaskEnv<'_>,
    ingest: &IngestState,
    frames: &[&FrameCheck],
    ccd: u8,
    g: FrameGeometry,
) -> Result<DarkStacks> {
    let prep = &env.cfg.preprocessing;
    // The cosmetic mask in the preparation; the master bias is subtracted from the stacks
    // (its offsets give the offset drift).
    let calib = env.pixel_calib(ccd, &g, None, CalibUse::MASK)?;
    let open_all = || open_ccd_frames(ingest, frames, ccd, g, prep, &calib);
    let budget = prep.stack_budget_mib << 20;
    let (mut srcs, offs_mean) = open_all()?;
    let mean = vison_ccd::stack::stack(&mut srcs, StackMethod::Mean, budget)?.value;
    let (mut srcs, _) = open_all()?;
    let product = vison_ccd::stack::stack(&mut srcs, env.cfg.dark.stack.method(), budget)?;
    // Defects are searched on the per-pixel minimum: a hot pixel is hot in every frame, a
    // cosmic ray (even one hitting the same pixel in half of the frames) is not.
    let (mut srcs, _) = open_all()?;
    let low = min_stack(&mut srcs, budget)?;
    Ok(DarkStacks {
        mean,
        product,
        low,
        offs_mean,
    })
}

/// The master dark of CCD `ccd`: stacks minus the master bias (offset drift added back unless
/// corrected), dark current and defects per quadrant, product written.
fn master_dark(
    env: &TaskEnv<'_>,
    ingest: &IngestState,
    frames: &[&FrameCheck],
    ccd: u8,
    g: FrameGeometry,
) -> Result<MasterDark> {
    let n = frames.len();
    let DarkStacks {
        mean: mut dark_mean,
        product,
        mut low,
        offs_mean,
    } = dark_stacks(env, ingest, frames, ccd, g)?;
    let exptime_s = frames.iter().map(|f| f.exptime_s).sum::<f64>() / n as f64;
    let bias = master_bias(env, ccd).filter(|(b, _, _)| b.dim() == dark_mean.dim());
    let bias_source = bias
        .as_ref()
        .map(|(_, _, p)| match p.strip_prefix(&env.session_dir) {
            // Inside the session: relative to the test folder (no session path in the
            // results, a working link in the report).
            Ok(rel) => format!("../{}", rel.display()),
            Err(_) => p.display().to_string(),
        })
        .unwrap_or_else(|| "none (prescan offset only)".into());
    if bias.is_none() {
        tracing::warn!(
            ccd,
            "DARK01: no master bias; dark measured against the prescan offset"
        );
    }
    let mut dark = product.value.clone();
    let mut drift = [f64::NAN; 4];
    if let Some((b, boffs, _)) = &bias {
        for k in 0..4 {
            drift[k] = offs_mean[k] - boffs[k];
        }
        let keep_drift = (!env.cfg.dark.correct_offset_drift).then_some(drift);
        for img in [&mut dark, &mut dark_mean, &mut low] {
            subtract_bias(img, b, &g, keep_drift);
        }
    }
    let (quads, mask) = dark_quads(env, ccd, &g, &low, &dark_mean, exptime_s, drift);
    let mut primary = master_header("DARK01", ccd, &env.block.block, n);
    primary.set("EXPTIME", exptime_s);
    primary.set("STACKMTH", format!("{:?}", env.cfg.dark.stack).as_str());
    primary.add_comment("DARK: stacked offset-subtracted darks minus the master bias (ADU).");
    primary.add_comment("MASK: 1 hot pixel, 2 hot column.");
    let rel = format!("products/EUC_DK_ROE1_CCD{ccd}.fits");
    write_master_product(
        &env.test_dir.join(&rel),
        &primary,
        &g,
        &MasterNames {
            value: "DARK",
            error: "EDARK",
            mask: "MASK",
        },
        dark.view(),
        product.std.view(),
        mask.view(),
    )?;
    Ok(MasterDark {
        product: rel,
        n_frames: n,
        exptime_s,
        bias_source,
        quads,
    })
}

/// Subtracts the master bias `b` from `img`; with `keep_drift` the offset drift of each
/// quadrant is added back (the dark is then measured against the bias frames' offsets).
fn subtract_bias(
    img: &mut Array2<f32>,
    b: &Array2<f32>,
    g: &FrameGeometry,
    keep_drift: Option<[f64; 4]>,
) {
    *img -= b;
    if let Some(drift) = keep_drift {
        for (k, q) in Quadrant::ALL.into_iter().enumerate() {
            let d = drift[k] as f32;
            vison_ccd::qcan_view_mut(g, img.view_mut(), q).mapv_inplace(|x| x + d);
        }
    }
}

/// Hot pixels and columns (on the minimum stack `low`) and the dark current (clipped mean of
/// `dark_mean` outside the defects) per quadrant, with the defect mask (1 pixel, 2 column).
fn dark_quads(
    env: &TaskEnv<'_>,
    ccd: u8,
    g: &FrameGeometry,
    low: &Array2<f32>,
    dark_mean: &Array2<f32>,
    exptime_s: f64,
    drift: [f64; 4],
) -> (BTreeMap<String, DarkQuad>, Array2<u8>) {
    let cfg = &env.cfg.dark;
    let mut mask = Array2::<u8>::zeros(low.dim());
    let mut quads = BTreeMap::new();
    let b = g.section_box_qcan(Section::Image);
    for (k, q) in Quadrant::ALL.into_iter().enumerate() {
        let img = vison_ccd::cutout(vison_ccd::qcan_view(g, low.view(), q), &b);
        let (hot_pixels, hot_columns) = find_hot(img, b.col0, cfg);
        {
            let mut mq = vison_ccd::qcan_view_mut(g, mask.view_mut(), q);
            for &c in &hot_columns {
                mq.column_mut(c)
                    .slice_mut(ndarray::s![b.row0..b.row1])
                    .fill(2);
            }
            for h in &hot_pixels {
                if let Some(m) = mq.get_mut((b.row0 + h.y_px, h.x_px)) {
                    *m = 1;
                }
            }
        }
        let mimg = vison_ccd::cutout(vison_ccd::qcan_view(g, dark_mean.view(), q), &b);
        let qmask = vison_ccd::cutout(vison_ccd::qcan_view(g, mask.view(), q), &b);
        let vals: Vec<f32> = mimg
            .iter()
            .zip(qmask.iter())
            .filter(|(_, m)| **m == 0)
            .map(|(v, _)| *v)
            .collect();
        let (level, _, _) = clipped_mean_std(&vals, cfg.clip_sigma, 10);
        let dark_adu_per_s = if exptime_s > 0.0 {
            level / exptime_s
        } else {
            f64::NAN
        };
        let gain = env.gains.get(ccd, q.name());
        quads.insert(
            q.name().to_string(),
            DarkQuad {
                dark_adu_per_s,
                dark_e_per_px_per_s: dark_adu_per_s * gain,
                gain_e_per_adu: gain,
                offset_drift_adu: drift[k],
                hot_pixels,
                hot_columns,
            },
        );
    }
    (quads, mask)
}

impl Task for DarkTask {
    fn name(&self) -> &str {
        "DARK01"
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        &["meta"]
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        match step {
            "meta" => self.meta(env, state),
            other => Err(Error::step("DARK01", other, "unknown step")),
        }
    }

    fn summarize(&self, _env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis> {
        let mut a = Analysis::default();
        let Some(meta) = state.step::<DarkMeta>("meta")? else {
            return Ok(a);
        };
        let mut hot: BTreeMap<String, Value> = BTreeMap::new();
        for (ccd, md) in &meta.ccds {
            a.products.push((
                md.product.clone(),
                format!(
                    "master dark of {ccd} ({} frames, bias: {}): DARK, EDARK, MASK",
                    md.n_frames, md.bias_source
                ),
            ));
            for (q, dq) in &md.quads {
                let m = a.quad_mut(ccd, q);
                m.insert("dark_adu_per_s".into(), dq.dark_adu_per_s);
                m.insert("dark_e_per_px_per_s".into(), dq.dark_e_per_px_per_s);
                m.insert("gain_e_per_adu".into(), dq.gain_e_per_adu);
                m.insert("n_hot_pixels".into(), dq.hot_pixels.len() as f64);
                m.insert("n_hot_columns".into(), dq.hot_columns.len() as f64);
                m.insert("offset_drift_adu".into(), dq.offset_drift_adu);
                m.insert("exptime_s".into(), md.exptime_s);
                hot.insert(
                    format!("{ccd}.{q}"),
                    serde_json::json!({
                        "hot_pixels": dq.hot_pixels,
                        "hot_columns": dq.hot_columns,
                    }),
                );
            }
            a.details.insert(
                format!("{ccd}_bias_source"),
                Value::String(md.bias_source.clone()),
            );
        }
        a.details.insert(
            "hot_defects".into(),
            serde_json::to_value(hot).unwrap_or(Value::Null),
        );
        Ok(a)
    }

    fn report_sections(
        &self,
        env: &TaskEnv<'_>,
        state: &TaskState,
        a: &Analysis,
    ) -> Result<Vec<vison_report::Section>> {
        let mut s = RSection::new("Dark current and defects");
        let Some(meta) = state.step::<DarkMeta>("meta")? else {
            return Ok(vec![
                s.with(Block::Paragraph("The master dark was not built.".into())),
            ]);
        };
        let mut t = dark_table();
        let mut maps = ImagePlot::new(
            "DARK01: master dark minus master bias",
            "serial [px]",
            "parallel [px]",
            "signal [ADU]",
        )
        .with_grid_cols(4);
        let mut hist = Histogram::new(
            "DARK01: hot pixels",
            "excess over the column median [ADU]",
            "hot pixels per bin",
        )
        .with_bins(30)
        .with_log_y(true);
        for (ccd, md) in &meta.ccds {
            let exc = push_dark_rows(&mut t, ccd, md);
            hist = hist.with_data(ccd.clone(), exc);
            match read_master_image(&env.test_dir.join(&md.product), "DARK") {
                Ok((data, g)) => maps = with_quadrant_panels(maps, ccd, &data, &g, (1.0, 99.0)),
                Err(e) => s.push(Block::Paragraph(format!(
                    "{ccd}: master dark unreadable: {e}"
                ))),
            }
        }
        s.push(t);
        s.push(Block::Paragraph(format!(
            "Gains: {}. Master bias: {}.",
            env.gains.source,
            a.details
                .get("CCD1_bias_source")
                .and_then(Value::as_str)
                .unwrap_or("none")
        )));
        s.push(figure(env, "dark_maps", "Master dark minus master bias per CCD (rows) and quadrant (columns E, F, G, H), canonical orientation, 1st-99th percentile scale.", Plot::Image(maps), 1400, 1100));
        s.push(figure(
            env,
            "hot_pixel_histogram",
            "Hot pixels: excess over the median of their column neighbours, per CCD (log counts).",
            Plot::Hist(hist),
            900,
            500,
        ));
        Ok(vec![s])
    }
}

/// The empty table of dark current per quadrant.
fn dark_table() -> DataTable {
    DataTable::new(
        "Dark current per quadrant (hot pixels and columns excluded)",
        [
            "CCD",
            "Q",
            "dark [ADU/s]",
            "gain [e-/ADU]",
            "dark [e-/px/s]",
            "hot pixels",
            "hot columns",
            "offset drift [ADU]",
        ],
    )
}

/// Adds the quadrants of one CCD's master dark to the table; returns the hot pixels' excesses.
fn push_dark_rows(t: &mut DataTable, ccd: &str, md: &MasterDark) -> Vec<f64> {
    let mut exc = Vec::new();
    for (q, dq) in &md.quads {
        t.push_row(vec![
            Cell::text(ccd.to_string()),
            Cell::text(q.clone()),
            Cell::number(dq.dark_adu_per_s),
            Cell::number(dq.gain_e_per_adu),
            Cell::number(dq.dark_e_per_px_per_s),
            Cell::text(dq.hot_pixels.len().to_string()),
            Cell::text(
                dq.hot_columns
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Cell::number(dq.offset_drift_adu),
        ]);
        exc.extend(dq.hot_pixels.iter().map(|h| h.excess_adu));
    }
    exc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_pixels_and_columns_are_found_and_separated() {
        let mut img =
            Array2::<f32>::from_shape_fn((100, 80), |(r, c)| ((r * 7 + c * 13) % 5) as f32 * 0.3);
        img[[40, 10]] += 200.0;
        for r in 30..100 {
            img[[r, 50]] += 30.0;
        }
        img[[60, 50]] += 150.0; // hot pixel on the hot column
        let (px, cols) = find_hot(img.view(), 51, &DarkConfig::default());
        assert_eq!(cols, vec![101]);
        let pos: Vec<(usize, usize)> = px.iter().map(|h| (h.x_px, h.y_px)).collect();
        assert_eq!(pos, vec![(61, 40), (101, 60)]);
    }
}
