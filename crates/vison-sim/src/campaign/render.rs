//! Synthesis of one frame (one CCD of one exposure) and of the noise-free images used to find
//! saturated pixels (persistence).

use std::collections::BTreeMap;

use ndarray::{Array2, s};
use vison_ccd::{Frame, FrameGeometry, Quadrant};

use super::detector::{CcdModel, QuadModel, layout_of};
use super::plan::{Physics, PlannedExposure};
use super::rng::{Stream, derived_rng};
use crate::effects::{
    PixelRun, QuadLayout, SpotImage, add_cosmic_rays, add_dark, add_flat, add_injection,
    add_persistence, add_shot_noise, add_spot, apply_parallel_dipoles, apply_serial_dipoles,
    apply_window, bloom_columns, cosmic_ray_count_mean, fwhm_at_focus_px, injection_level_adu,
    persistence_e, readout, saturation_runs,
};
use crate::truth::{FramePersistenceTruth, FrameQuadTruth, FrameSpotTruth};

/// Pixels of one quadrant at full well in a saturating exposure.
#[derive(Debug, Clone)]
pub(crate) struct SatEvent {
    pub(crate) obsid: u64,
    /// End of the saturating integration (s since campaign start).
    pub(crate) t_end_s: f64,
    pub(crate) ccd: u8,
    pub(crate) quadrant: Quadrant,
    pub(crate) runs: Vec<PixelRun>,
}

/// Noise-free flat and spot charge of a quadrant, with the spot values of the exposure.
pub(crate) fn expected_charge(
    exp: &PlannedExposure,
    qm: &QuadModel,
    g: &FrameGeometry,
) -> (Array2<f32>, BTreeMap<String, FrameSpotTruth>) {
    let layout = layout_of(g);
    let mut charge = Array2::<f32>::zeros((layout.image_rows_px, layout.image_cols_px));
    let ph = &exp.physics;
    if ph.flat_level_e > 0.0 {
        add_flat(&mut charge, &qm.response, ph.flat_level_e);
    }
    let mut spots = BTreeMap::new();
    if let Some(pt) = &ph.point {
        for (name, st) in &qm.spots {
            let fwhm = fwhm_at_focus_px(
                pt.fwhm0_px,
                pt.mirr_pos_mm,
                pt.mirror_nom_mm + st.focus_offset_mm,
            );
            let img = SpotImage {
                x_qcan_px: st.x_qcan_px,
                y_qcan_px: st.y_qcan_px,
                fwhm_px: fwhm,
                total_e: pt.total_e,
            };
            let peak_e = add_spot(&mut charge, layout.prescan_px, &img);
            spots.insert(
                name.clone(),
                FrameSpotTruth {
                    fwhm_px: fwhm,
                    total_e: pt.total_e,
                    peak_e,
                },
            );
        }
    }
    (charge, spots)
}

/// Whether an exposure may bring pixels of a quadrant to full well (cheap upper bound).
pub(crate) fn may_saturate(exp: &PlannedExposure, qm: &QuadModel) -> bool {
    let fw = qm.truth.full_well_e;
    let ph = &exp.physics;
    let max_resp = qm.response.iter().fold(0.0_f32, |m, &v| m.max(v));
    let flat_max = ph.flat_level_e * f64::from(max_resp);
    let spot_max = ph.point.map_or(0.0, |p| {
        let sigma = p.fwhm0_px / (8.0 * std::f64::consts::LN_2).sqrt();
        p.total_e / (2.0 * std::f64::consts::PI * sigma * sigma)
    });
    flat_max + spot_max >= fw
}

/// Saturated pixels of a quadrant in an exposure, if any.
pub(crate) fn saturation_event(
    exp: &PlannedExposure,
    model: &CcdModel,
    qm: &QuadModel,
    g: &FrameGeometry,
) -> Option<SatEvent> {
    if !may_saturate(exp, qm) {
        return None;
    }
    let (mut charge, _) = expected_charge(exp, qm, g);
    bloom_columns(&mut charge, qm.truth.full_well_e);
    let runs = saturation_runs(&charge, qm.truth.full_well_e);
    (!runs.is_empty()).then_some(SatEvent {
        obsid: exp.obsid,
        t_end_s: exp.t_start_s + exp.physics.exptime_actual_s,
        ccd: model.ccd,
        quadrant: qm.quadrant,
        runs,
    })
}

/// Inputs of the synthesis of one frame.
pub(crate) struct FrameJob<'a> {
    pub(crate) seed: u64,
    pub(crate) exp: &'a PlannedExposure,
    pub(crate) model: &'a CcdModel,
    pub(crate) geometry: FrameGeometry,
    /// Saturation events of earlier exposures (all CCDs).
    pub(crate) events: &'a [SatEvent],
    /// Readout time added to the persistence integration window.
    pub(crate) readout_s: f64,
    /// Quadrant forced to 65535 (fault `saturated-quadrant`).
    pub(crate) saturate: Option<Quadrant>,
}

/// Synthesises the pixels of one frame. Returns the frame (header empty) and the per-quadrant
/// truth.
pub(crate) fn render_frame(job: &FrameJob<'_>) -> (Frame, BTreeMap<String, FrameQuadTruth>) {
    let g = job.geometry;
    let layout = layout_of(&g);
    let exp = job.exp;
    let ph = &exp.physics;
    let ccd = job.model.ccd;
    let mut rng = derived_rng(job.seed, Stream::Frame, exp.obsid, u64::from(ccd), 0);
    let mut frame = Frame::zeros(g);
    let mut truths = BTreeMap::new();
    for qm in &job.model.quads {
        let q = qm.quadrant;
        let p = &qm.truth;
        let mut t = FrameQuadTruth::default();
        let (mut charge, spots) = expected_charge(exp, qm, &g);
        t.spots = spots;
        t.flat_e = ph.flat_level_e;
        add_injection_and_pumping(ph, ccd, qm, &layout, &mut charge, &mut t);
        add_persistence_of_events(job, qm, &mut charge, &mut t);
        t.dark_e = add_dark(&mut charge, &layout, p, ph.dark_t_s);
        if ph.point.is_none() && ph.flat_level_e > 0.0 && p.brighter_fatter.enabled {
            crate::effects::collect_with_brighter_fatter(&mut charge, &p.brighter_fatter, &mut rng);
        } else {
            add_shot_noise(&mut charge, &mut rng);
        }
        let n_px = layout.image_rows_px * layout.image_cols_px;
        t.cosmic_rays = add_cosmic_rays(
            &mut charge,
            layout.prescan_px,
            cosmic_ray_count_mean(n_px, ph.cr_t_s),
            &mut rng,
        );
        t.saturated_px = bloom_columns(&mut charge, p.full_well_e);
        let mut quad = frame.quad_canonical_mut(q);
        readout(&mut quad, &layout, &charge, p, &mut rng);
        if job.saturate == Some(q) {
            quad.slice_mut(s![
                ..layout.image_rows_px,
                layout.prescan_px..layout.prescan_px + layout.image_cols_px
            ])
            .fill(65535.0);
        }
        apply_window(&mut quad, ph.rows_read[0], ph.rows_read[1]);
        truths.insert(q.name().to_string(), t);
    }
    (frame, truths)
}

/// Charge injection of the exposure in quadrant `qm` of CCD `ccd`, with the trap-pumping
/// dipoles when it pumps; recorded in `t`.
fn add_injection_and_pumping(
    ph: &Physics,
    ccd: u8,
    qm: &QuadModel,
    layout: &QuadLayout,
    charge: &mut Array2<f32>,
    t: &mut FrameQuadTruth,
) {
    let Some(setup) = ph.injection_for(ccd, qm.quadrant) else {
        return;
    };
    let p = &qm.truth;
    let level_adu = injection_level_adu(&p.injection, setup.ig1_v, setup.idl_v);
    let level_e = level_adu * p.gain_e_per_adu;
    add_injection(charge, level_e, &qm.inj_cols, setup.on_rows, setup.off_rows);
    t.injection_adu = Some(level_adu);
    t.injection_e = Some(level_e);
    t.injection_on_off = Some([setup.on_rows.min(layout.image_rows_px), setup.off_rows]);
    if let Some(vp) = ph.vpump {
        t.dipoles += apply_parallel_dipoles(
            charge,
            layout.prescan_px,
            &qm.traps,
            vp.mode,
            vp.n_shuffles,
            vp.t_us,
        );
    }
    if let Some(sp) = ph.spump {
        t.dipoles += apply_serial_dipoles(
            charge,
            layout.prescan_px,
            &qm.traps,
            sp.mode,
            sp.n_shuffles,
            sp.t_us,
        );
    }
}

/// Persistence of the saturating events that ended before the exposure in the quadrant of
/// `qm`; recorded in `t`.
fn add_persistence_of_events(
    job: &FrameJob<'_>,
    qm: &QuadModel,
    charge: &mut Array2<f32>,
    t: &mut FrameQuadTruth,
) {
    let exp = job.exp;
    let ccd = job.model.ccd;
    for ev in job
        .events
        .iter()
        .filter(|e| e.ccd == ccd && e.quadrant == qm.quadrant && e.t_end_s <= exp.t_start_s)
    {
        let t0 = exp.t_start_s - ev.t_end_s;
        let level_e = persistence_e(
            &qm.truth.persistence,
            t0,
            t0 + exp.physics.exptime_s + job.readout_s,
        );
        if level_e < 1e-3 {
            continue;
        }
        let px = add_persistence(charge, &ev.runs, level_e);
        t.persistence.push(FramePersistenceTruth {
            from_obsid: ev.obsid,
            level_e,
            px,
        });
    }
}
