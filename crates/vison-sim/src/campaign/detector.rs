//! The static detector model of a campaign: per CCD and quadrant parameters, PRNU maps,
//! injection column pattern, traps and spot positions, all drawn from the campaign seed.

use std::collections::BTreeMap;

use ndarray::Array2;
use rand::Rng;
use vison_ccd::{FrameGeometry, Quadrant};

use super::rng::{Stream, derived_rng};
use crate::effects::{
    QuadLayout, draw_ccd_params, draw_quad_params, flat_response, standard_normal,
};
use crate::truth::{LampTruth, QuadTruth, SPOT_NAMES, SpotTruth, TrapTruth};
use vison_ogse::OgseProfile;

/// Static model of one quadrant.
#[derive(Debug, Clone)]
pub(crate) struct QuadModel {
    pub(crate) quadrant: Quadrant,
    pub(crate) truth: QuadTruth,
    /// Lamp x PRNU response of the image area.
    pub(crate) response: Array2<f32>,
    /// Multiplicative injection level per image column.
    pub(crate) inj_cols: Vec<f32>,
    /// Traps of this quadrant.
    pub(crate) traps: Vec<TrapTruth>,
    /// Spots (name, truth).
    pub(crate) spots: Vec<(String, SpotTruth)>,
}

/// Static model of one CCD.
#[derive(Debug, Clone)]
pub(crate) struct CcdModel {
    pub(crate) ccd: u8,
    pub(crate) lamp: LampTruth,
    pub(crate) quads: Vec<QuadModel>,
}

/// Layout of the effects module for a frame geometry.
pub(crate) fn layout_of(g: &FrameGeometry) -> QuadLayout {
    QuadLayout {
        prescan_px: g.prescan_px,
        image_cols_px: g.image_cols_px,
        overscan_px: g.overscan_px,
        image_rows_px: g.image_rows_px,
        voverscan_px: g.voverscan_px,
    }
}

/// Quadrant index used in seeds (E 0, F 1, G 2, H 3).
pub(crate) fn quad_index(q: Quadrant) -> u64 {
    match q {
        Quadrant::E => 0,
        Quadrant::F => 1,
        Quadrant::G => 2,
        Quadrant::H => 3,
    }
}

/// Quadrant letter.
pub(crate) fn quad_char(q: Quadrant) -> char {
    q.name().chars().next().unwrap_or('E')
}

impl CcdModel {
    /// Draws the model of CCD `ccd` (1..3).
    pub(crate) fn draw(
        seed: u64,
        ccd: u8,
        geometry: &FrameGeometry,
        ogse: &OgseProfile,
    ) -> CcdModel {
        let layout = layout_of(geometry);
        let full = layout_of(&FrameGeometry::FULL);
        let mut crng = derived_rng(seed, Stream::Ccd, u64::from(ccd), 0, 0);
        let lamp = draw_ccd_params(&mut crng);
        let spot_dx: f64 = crng.random_range(-2.0..2.0);
        let spot_dy: f64 = crng.random_range(-2.0..2.0);
        let pattern = ogse.pattern(ccd);
        let mut quads = Vec::with_capacity(4);
        for q in Quadrant::ALL {
            let qi = quad_index(q);
            let mut prng = derived_rng(seed, Stream::Params, u64::from(ccd), qi, 0);
            let truth = draw_quad_params(&layout, &mut prng);
            let mut mrng = derived_rng(seed, Stream::Maps, u64::from(ccd), qi, 0);
            let response = flat_response(
                &layout,
                q.is_top(),
                q.is_right(),
                &lamp,
                truth.prnu_rms_frac,
                &mut mrng,
            );
            let nonunif = truth.injection.column_nonuniformity_frac;
            let inj_cols = (0..layout.image_cols_px)
                .map(|_| (1.0 + nonunif * standard_normal(&mut mrng)) as f32)
                .collect();
            let traps = draw_traps(&layout, ccd, q, &mut prng);
            let qc = quad_char(q);
            let mut spots = Vec::new();
            for name in SPOT_NAMES {
                let Some(ps) = pattern.get(qc, name) else {
                    continue;
                };
                let (x_full, y_full) = ps.ccd_coords_px();
                // Position relative to the image area of the full-size quadrant, mapped onto
                // this geometry's image area.
                let (c_full, r_full) = full.qcan_from_ccd(q.is_top(), q.is_right(), x_full, y_full);
                let fx = (c_full - full.prescan_px as f64) / full.image_cols_px as f64;
                let fy = r_full / full.image_rows_px as f64;
                let c = layout.prescan_px as f64 + fx * layout.image_cols_px as f64;
                let r = fy * layout.image_rows_px as f64;
                let (x, y) = layout.ccd_from_qcan(q.is_top(), q.is_right(), c, r);
                let (x, y) = (x + spot_dx, y + spot_dy);
                let (c, r) = layout.qcan_from_ccd(q.is_top(), q.is_right(), x, y);
                spots.push((
                    name.to_string(),
                    SpotTruth {
                        x_ccd_px: x,
                        y_ccd_px: y,
                        x_qcan_px: c,
                        y_qcan_px: r,
                        focus_offset_mm: 0.03 * standard_normal(&mut crng),
                    },
                ));
            }
            quads.push(QuadModel {
                quadrant: q,
                truth,
                response,
                inj_cols,
                traps,
                spots,
            });
        }
        CcdModel { ccd, lamp, quads }
    }

    /// Static truth of the CCD: quadrant letter -> parameters.
    pub(crate) fn quad_truths(&self) -> BTreeMap<String, QuadTruth> {
        self.quads
            .iter()
            .map(|m| (m.quadrant.name().to_string(), m.truth.clone()))
            .collect()
    }

    /// Spot truth: quadrant -> spot name -> position.
    pub(crate) fn spot_truths(&self) -> BTreeMap<String, BTreeMap<String, SpotTruth>> {
        self.quads
            .iter()
            .map(|m| {
                (
                    m.quadrant.name().to_string(),
                    m.spots.iter().cloned().collect(),
                )
            })
            .collect()
    }
}

/// Parallel traps (60 per full quadrant, at least 6) and serial traps (8 per 2048 columns, at
/// least 3), away from the image edges.
fn draw_traps<R: Rng + ?Sized>(
    layout: &QuadLayout,
    ccd: u8,
    q: Quadrant,
    rng: &mut R,
) -> Vec<TrapTruth> {
    let n_par = ((60.0 * layout.area_fraction()).round() as usize).max(6);
    let n_ser = ((8.0 * layout.image_cols_px as f64 / 2048.0).round() as usize).max(3);
    let mut out = Vec::with_capacity(n_par + n_ser);
    let cols = layout.image_cols_px;
    let rows = layout.image_rows_px;
    for k in 0..n_par + n_ser {
        let serial = k >= n_par;
        out.push(TrapTruth {
            ccd,
            quadrant: quad_char(q),
            serial,
            x_px: layout.prescan_px + rng.random_range(12..cols - 12),
            y_px: if serial {
                0
            } else {
                rng.random_range(12..rows - 12)
            },
            phase: if serial {
                rng.random_range(1..=3)
            } else {
                rng.random_range(1..=4)
            },
            log10_pc: rng.random_range(-5.0..-3.8),
            tau_us: if serial {
                rng.random_range(2.0..30.0)
            } else {
                10f64.powf(rng.random_range(2.0..3.7))
            },
        });
    }
    // Keep trap pixels distinct so that dipoles do not overlap.
    out.sort_by_key(|t| (t.serial, t.x_px, t.y_px));
    out.dedup_by(|a, b| {
        a.serial == b.serial && a.x_px.abs_diff(b.x_px) < 2 && a.y_px.abs_diff(b.y_px) < 3
    });
    out
}
