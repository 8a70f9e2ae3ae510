//! FLAT01 / FLAT02 (reference 4.9, 6.8, 6.9): master flat per fluence column and CCD. All the
//! column's flats (offset subtracted, cosmetic mask and master bias applied) are
//! median-stacked band by band within `stack_budget_mib`; per quadrant the stack's image area
//! is normalised by an illumination model (`vison_flat::flat::master_flat`); PRNU per quadrant
//! and tile, and the defect mask (dark/bright pixels and columns) are computed. The median
//! fluence of each column is checked against the expected fluence (`fluence_<col>`
//! compliance, FLUENCE_OOL). Products: one
//! FITS file per CCD and column with `FLAT_<Q>` and `MASK_<Q>` extensions (canonical image
//! areas).

use std::collections::BTreeMap;

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ccd::fits::{ImageDataRef, ProductHdu};
use vison_ccd::stack::StackMethod;
use vison_ccd::{Frame, Header, Quadrant};
use vison_flat::flat::{FlatConfig, IlluminationModel, master_flat};

use crate::error::{Error, Result};
use crate::framework::analysis::Analysis;
use crate::framework::calib::{CalibUse, wavelength_nm};
use crate::framework::flags::{Flag, Flags};
use crate::framework::fluence::{
    ColumnFluence, check_column_fluence, column_rel_fluences, fluence_compliance,
};
use crate::framework::frames::{FlatExposure, exposures, finite_mean, image_area};
use crate::framework::prep::open_for_stack;
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv};

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
    /// Median fluence of every column, CCD and quadrant against the expected fluence.
    #[serde(default)]
    pub fluence: Vec<ColumnFluence>,
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

    /// The master flat of one column and CCD from all its flats: their median stack
    /// (prepared band by band within `stack_budget_mib`, calibration inputs applied),
    /// normalised by the illumination model per quadrant; and the column's fluence check.
    fn master(
        &self,
        env: &TaskEnv<'_>,
        ccd: u8,
        label: &str,
        exps: &[&FlatExposure],
        rel_fluence_pc: Option<f64>,
    ) -> Result<(MasterFlatEntry, Vec<ColumnFluence>)> {
        let prep = &env.cfg.preprocessing;
        let first = exps
            .first()
            .ok_or_else(|| Error::step(&self.name, "masters", "no flat"))?;
        let g = first
            .check
            .geometry
            .ok_or_else(|| Error::step(&self.name, "masters", "no frame geometry"))?;
        let calib = env.pixel_calib(ccd, &g, wavelength_nm(first.wave), CalibUse::ALL)?;
        let (mut srcs, offs) = open_for_stack(
            exps.iter().map(|e| (e.path.as_path(), &e.check)),
            g,
            prep,
            true,
            &calib,
        )?;
        let stacked =
            vison_ccd::stack::stack(&mut srcs, StackMethod::Median, prep.stack_budget_mib << 20)?;
        drop(srcs);
        let mut frame = Frame::zeros(g);
        frame.data = stacked.value;
        let mut quads = BTreeMap::new();
        let mut fluence = Vec::new();
        let mut hdus_data: Vec<(String, Array2<f32>, Array2<u8>)> = Vec::new();
        for (k, q) in Quadrant::ALL.into_iter().enumerate() {
            let img = image_area(&frame, q, first.check.rows);
            let (r, c) = img.dim();
            if let Some(rel) = rel_fluence_pc {
                fluence.push(ColumnFluence {
                    ccd,
                    quadrant: q.name().to_string(),
                    label: label.to_string(),
                    rel_fluence_pc: rel,
                    check: check_column_fluence(img.view(), rel, offs[k])?,
                });
            }
            let m = master_flat(&[img.view()], None, &flat_config(r, c))
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
        self.write_master(env, &rel, ccd, label, exps.len(), &hdus_data)?;
        let entry = MasterFlatEntry {
            ccd,
            label: label.to_string(),
            n_frames: exps.len(),
            product: rel,
            quads,
        };
        Ok((entry, fluence))
    }

    fn write_master(
        &self,
        env: &TaskEnv<'_>,
        rel: &str,
        ccd: u8,
        label: &str,
        n_frames: usize,
        hdus_data: &[(String, Array2<f32>, Array2<u8>)],
    ) -> Result<()> {
        let mut primary = Header::new();
        primary.set("TEST", self.name.as_str());
        primary.set("CCD", format!("CCD{ccd}"));
        primary.set("COLUMN", label);
        primary.set("NCOMB", n_frames as i64);
        primary.add_comment("FLAT_<Q>: normalised master flat, canonical image area of quadrant Q");
        primary
            .add_comment("MASK_<Q>: defect bits 1 dark px, 2 bright px, 4 dark col, 8 bright col");
        let mut hdus = Vec::new();
        for (q, flat, mask) in hdus_data {
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
        vison_ccd::write_product(&env.test_dir.join(rel), &primary, &hdus)?;
        Ok(())
    }

    fn masters_step(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let mut masters = Vec::new();
        let mut fluence = Vec::new();
        let mut flags = Flags::new();
        let rel = column_rel_fluences(env)?;
        for ccd in 1..=3u8 {
            let exps = exposures(st, ccd)?;
            let mut labels: Vec<String> = exps.iter().map(|e| e.label.clone()).collect();
            labels.dedup();
            for label in labels {
                let sel: Vec<&FlatExposure> = exps
                    .iter()
                    .filter(|e| e.label == label && e.exptime_s > 0.0)
                    .collect();
                if sel.is_empty() {
                    continue;
                }
                match self.master(env, ccd, &label, &sel, rel.get(&label).copied()) {
                    Ok((m, f)) => {
                        masters.push(m);
                        fluence.extend(f);
                    }
                    Err(e) => flags.raise(
                        Flag::BADDATAPROD,
                        format!("CCD{ccd} {label}: master flat not built: {e}"),
                    ),
                }
            }
            env.step_progress("masters", u64::from(ccd), 3);
        }
        flags.merge(&fluence_compliance(&fluence).1);
        let v = serde_json::to_value(FlatMasters { masters, fluence })
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
            a.compliance.extend(fluence_compliance(&fm.fluence).0);
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
                    let e = a.quad_mut(&format!("CCD{}", m.ccd), q);
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
                a.quad_mut(&ccd, &q)
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
