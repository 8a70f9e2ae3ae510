//! FLAT01 / FLAT02 (reference 4.9, 6.8, 6.9): master flat per fluence column and CCD. Per
//! quadrant the image areas of the column's flats (offset subtracted) are normalised by an
//! illumination model and median-combined (`vison_flat::flat::master_flat`); PRNU per quadrant
//! and tile, and the defect mask (dark/bright pixels and columns) are computed. Products: one
//! FITS file per CCD and column with `FLAT_<Q>` and `MASK_<Q>` extensions (canonical image
//! areas).

use std::collections::BTreeMap;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ccd::fits::{ImageDataRef, ProductHdu};
use vison_ccd::{Header, Quadrant};
use vison_flat::flat::{FlatConfig, IlluminationModel, master_flat};

use crate::error::{Error, Result};
use crate::framework::analysis::Analysis;
use crate::framework::flags::{Flag, Flags};
use crate::framework::frames::{FlatExposure, exposures, finite_mean, image_area, prepared};
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv};

/// Frames combined per master flat at most (memory bound: all are held per quadrant).
pub const MAX_FLATS_PER_MASTER: usize = 20;

/// Master-flat figures of one quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuadFlat {
    /// PRNU of the quadrant, per cent.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub prnu_pc: f64,
    /// PRNU per tile, per cent.
    #[serde(deserialize_with = "vison_stdx::nan::vec_f64")]
    pub tile_prnu_pc: Vec<f64>,
    /// Median fluence of the input flats, ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub fluence_adu: f64,
    /// Dark pixels.
    pub n_dark_px: u64,
    /// Bright pixels.
    pub n_bright_px: u64,
    /// Dark columns (canonical image-area column indices).
    pub dark_columns: Vec<usize>,
    /// Bright columns.
    pub bright_columns: Vec<usize>,
}

/// One master flat (CCD, column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterFlatEntry {
    /// CCD.
    pub ccd: u8,
    /// Script column label.
    pub label: String,
    /// Frames combined.
    pub n_frames: usize,
    /// Product path, relative to the test folder.
    pub product: String,
    /// Per quadrant.
    pub quads: BTreeMap<String, QuadFlat>,
}

/// State of the `masters` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatMasters {
    /// Every master.
    pub masters: Vec<MasterFlatEntry>,
}

/// The pipeline's flat settings for a quadrant image area of `rows x cols`.
pub fn flat_config(rows: usize, cols: usize) -> FlatConfig {
    let small = rows.min(cols);
    FlatConfig {
        model: IlluminationModel::Poly {
            degree: 5,
            bin_px: (small / 40).clamp(5, 25),
        },
        tile_px: small.min(300),
        ..FlatConfig::default()
    }
}

/// FLAT01 / FLAT02 (any suffix).
#[derive(Debug, Clone)]
pub struct FlatTask {
    name: String,
}

impl FlatTask {
    /// A flat task named `name`.
    pub fn new(name: &str) -> Self {
        FlatTask {
            name: name.to_string(),
        }
    }

    fn master(
        &self,
        env: &TaskEnv<'_>,
        ccd: u8,
        label: &str,
        exps: &[&FlatExposure],
    ) -> Result<MasterFlatEntry> {
        let prep = &env.cfg.preprocessing;
        let frames = exps
            .par_iter()
            .map(|e| prepared(e, prep).map(|f| (f, e.check.rows)))
            .collect::<Result<Vec<_>>>()?;
        let mut quads = BTreeMap::new();
        let mut hdus_data: Vec<(String, Array2<f32>, Array2<u8>)> = Vec::new();
        for q in Quadrant::ALL {
            let imgs: Vec<Array2<f32>> = frames
                .iter()
                .map(|(f, rows)| image_area(f, q, *rows))
                .collect();
            let Some(first) = imgs.first() else { continue };
            let (r, c) = first.dim();
            if imgs.iter().any(|i| i.dim() != (r, c)) {
                return Err(Error::step(
                    &self.name,
                    "masters",
                    "flats of different shapes",
                ));
            }
            let views: Vec<_> = imgs.iter().map(|a| a.view()).collect();
            let m = master_flat(&views, None, &flat_config(r, c))
                .map_err(|e| Error::step(&self.name, "masters", e))?;
            quads.insert(
                q.name().to_string(),
                QuadFlat {
                    prnu_pc: m.prnu.prnu_pc,
                    tile_prnu_pc: m.prnu.tiles.iter().map(|t| t.prnu_pc).collect(),
                    fluence_adu: finite_mean(&m.fluences_adu),
                    n_dark_px: m.defects.n_dark_px,
                    n_bright_px: m.defects.n_bright_px,
                    dark_columns: m.defects.dark_columns.clone(),
                    bright_columns: m.defects.bright_columns.clone(),
                },
            );
            hdus_data.push((q.name().to_string(), m.flat, m.defects.flags));
        }
        let rel = format!(
            "products/EUC_MASTERFLAT_{}_{label}_CCD{ccd}.fits",
            self.name
        );
        let mut primary = Header::new();
        primary.set("TEST", self.name.as_str());
        primary.set("CCD", format!("CCD{ccd}"));
        primary.set("COLUMN", label);
        primary.set("NCOMB", exps.len() as i64);
        primary.add_comment("FLAT_<Q>: normalised master flat, canonical image area of quadrant Q");
        primary
            .add_comment("MASK_<Q>: defect bits 1 dark px, 2 bright px, 4 dark col, 8 bright col");
        let mut hdus = Vec::new();
        for (q, flat, mask) in &hdus_data {
            hdus.push(ProductHdu {
                name: format!("FLAT_{q}"),
                header: Header::new(),
                data: ImageDataRef::F32(flat.view()),
            });
            hdus.push(ProductHdu {
                name: format!("MASK_{q}"),
                header: Header::new(),
                data: ImageDataRef::U8(mask.view()),
            });
        }
        vison_ccd::write_product(&env.test_dir.join(&rel), &primary, &hdus)?;
        Ok(MasterFlatEntry {
            ccd,
            label: label.to_string(),
            n_frames: exps.len(),
            product: rel,
            quads,
        })
    }

    fn masters_step(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let mut masters = Vec::new();
        let mut flags = Flags::new();
        for ccd in 1..=3u8 {
            let exps = exposures(st, ccd)?;
            let mut labels: Vec<String> = exps.iter().map(|e| e.label.clone()).collect();
            labels.dedup();
            for label in labels {
                let sel: Vec<&FlatExposure> = exps
                    .iter()
                    .filter(|e| e.label == label && e.exptime_s > 0.0)
                    .take(MAX_FLATS_PER_MASTER)
                    .collect();
                if sel.is_empty() {
                    continue;
                }
                match self.master(env, ccd, &label, &sel) {
                    Ok(m) => masters.push(m),
                    Err(e) => flags.raise(
                        Flag::BADDATAPROD,
                        format!("CCD{ccd} {label}: master flat not built: {e}"),
                    ),
                }
            }
        }
        let v = serde_json::to_value(FlatMasters { masters })
            .map_err(|e| Error::step(&self.name, "masters", e))?;
        Ok((v, flags))
    }
}

impl Task for FlatTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        &["masters"]
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        match step {
            "masters" => self.masters_step(env, state),
            other => Err(Error::step(&self.name, other, "unknown step")),
        }
    }

    fn summarize(&self, _env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis> {
        let mut a = Analysis::default();
        if let Some(fm) = state.step::<FlatMasters>("masters")? {
            let mut prnu: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
            for m in &fm.masters {
                a.products.push((
                    m.product.clone(),
                    format!(
                        "master flat CCD{} column {} ({} frames): FLAT_<Q>, MASK_<Q>",
                        m.ccd, m.label, m.n_frames
                    ),
                ));
                for (q, f) in &m.quads {
                    let e = a
                        .ccds
                        .entry(format!("CCD{}", m.ccd))
                        .or_default()
                        .entry(q.clone())
                        .or_default();
                    e.insert(format!("prnu_{}_pc", m.label), f.prnu_pc);
                    e.insert(format!("fluence_{}_adu", m.label), f.fluence_adu);
                    e.insert(
                        format!("defects_{}_px", m.label),
                        (f.n_dark_px + f.n_bright_px) as f64,
                    );
                    prnu.entry((format!("CCD{}", m.ccd), q.clone()))
                        .or_default()
                        .push(f.prnu_pc);
                }
            }
            for ((ccd, q), v) in prnu {
                a.ccds
                    .entry(ccd)
                    .or_default()
                    .entry(q)
                    .or_default()
                    .insert("prnu_pc".into(), finite_mean(&v));
            }
        }
        Ok(a)
    }

    fn report_sections(
        &self,
        _env: &TaskEnv<'_>,
        state: &TaskState,
        _a: &Analysis,
    ) -> Result<Vec<vison_report::Section>> {
        use vison_report::{Block, Cell, DataTable, Section as RSection};
        let mut s = RSection::new("Master flats, PRNU and defects");
        match state.step::<FlatMasters>("masters")? {
            Some(fm) => {
                let mut t = DataTable::new(
                    "PRNU and defects per master flat and quadrant",
                    [
                        "CCD",
                        "column",
                        "Q",
                        "frames",
                        "fluence [ADU]",
                        "PRNU [%]",
                        "dark px",
                        "bright px",
                        "dark cols",
                        "bright cols",
                    ],
                );
                for m in &fm.masters {
                    for (q, f) in &m.quads {
                        t.push_row(vec![
                            Cell::text(format!("CCD{}", m.ccd)),
                            Cell::text(m.label.clone()),
                            Cell::text(q.clone()),
                            Cell::number(m.n_frames as f64),
                            Cell::number(f.fluence_adu),
                            Cell::number(f.prnu_pc),
                            Cell::number(f.n_dark_px as f64),
                            Cell::number(f.n_bright_px as f64),
                            Cell::number(f.dark_columns.len() as f64),
                            Cell::number(f.bright_columns.len() as f64),
                        ]);
                    }
                }
                s.push(t);
            }
            None => s.push(Block::Paragraph("No master flat was built.".into())),
        }
        Ok(vec![s])
    }
}
