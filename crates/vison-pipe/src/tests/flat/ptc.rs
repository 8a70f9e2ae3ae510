//! PTC01 / PTC02 (reference 4.11, 6.4): photon transfer curves from flat pairs. Per pair and
//! quadrant the difference image gives the mean, variance and pixel covariances
//! (`vison_flat::covariance`); per quadrant the gain and read noise come from vison's quadratic
//! fit, the Astier et al. (2019) exponential approximation and the full covariance model, with
//! correctly propagated errors, the turn-off, the full well and POORFIT/BADFIT verdicts. The
//! pairs are linearised only by a measured non-linearity (`calibration.nonlinearity`, an NL0x
//! product), never by their exposure times. BF01 ([`crate::tests::flat::bf`]) reuses these steps with more
//! lags.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vison_ccd::Quadrant;
use vison_flat::FitQuality;
use vison_flat::covariance::{CovarianceConfig, PairCovariance, pair_covariance};
use vison_flat::fullwell::{FullWell, PairCeiling, full_well_from_ceilings, pair_ceiling};
use vison_flat::linearise::Linearity;
use vison_flat::nonlin::NonlinCorrection;
use vison_flat::ptc::{
    CovModelConfig, CovModelFit, PtcFit, PtcFitConfig, PtcModel, PtcPoint, cubic_gain,
    fit_covariance_model, fit_ptc,
};

use crate::error::{Error, Result};
use crate::framework::analysis::Analysis;
use crate::framework::flags::{Flag, Flags};
use crate::framework::frames::{calibrated, exposures, image_area, pairs};
use crate::framework::report::{Plot, figure};
use crate::framework::state::TaskState;
use crate::framework::task::{Task, TaskEnv};

/// One flat pair of one quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PtcPair {
    /// ObsIDs of the two frames.
    pub obsids: [i64; 2],
    /// CCD.
    pub ccd: u8,
    /// Quadrant.
    pub quadrant: String,
    /// Exposure time, s.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub exptime_s: f64,
    /// Mean, variance and covariances of the pair.
    pub cov: PairCovariance,
    /// High quantile of the pixel signal and masked pixels (full well).
    #[serde(default = "no_ceiling")]
    pub ceiling: PairCeiling,
}

fn no_ceiling() -> PairCeiling {
    PairCeiling {
        ceiling_adu: f64::NAN,
        n_masked_px: 0,
    }
}

/// State of the `pairs` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PtcPairs {
    /// Largest covariance lag, px.
    pub max_lag_px: usize,
    /// Every pair and quadrant.
    pub pairs: Vec<PtcPair>,
}

/// Fits of one quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuadPtc {
    /// vison's quadratic fit (same points as the headline fit).
    pub quadratic: Option<PtcFit>,
    /// Astier et al. exponential approximation (the headline gain), of the series linearised by
    /// the non-linearity calibration input when one is given.
    pub exp_approx: Option<PtcFit>,
    /// Full covariance model (a_ij per lag) of the same points.
    pub cov_model: Option<CovModelFit>,
    /// Gain of the cubic fit (non-linearity absorbed), e-/ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub gain_cubic_e_per_adu: f64,
    /// Its 1-sigma error, e-/ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub gain_cubic_err_e_per_adu: f64,
    /// Non-linearity correction applied before the fits (from `calibration.nonlinearity`).
    #[serde(default)]
    pub nonlinearity: Option<NonlinCorrection>,
    /// Headline against quadratic gain.
    #[serde(default)]
    pub gain_check: Option<GainCheck>,
    /// Full well from the ceiling of the pixel signal (measured scale, ADU).
    #[serde(default)]
    pub full_well: Option<FullWell>,
    /// Full well in electrons: gain x the linearised ceiling.
    #[serde(
        default = "vison_stdx::nan::nan",
        deserialize_with = "vison_stdx::nan::f64"
    )]
    pub full_well_e: f64,
    /// Why a fit is missing.
    pub notes: Vec<String>,
}

/// State of the `fit` step: per CCD (`CCD1`..) and quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PtcFits {
    /// Fits.
    pub ccds: BTreeMap<String, BTreeMap<String, QuadPtc>>,
    /// Gains product (`{"CCD1": {"E": gain_e_per_adu, ...}, ...}`, the format of
    /// `calibration.gains_file`), relative to the test folder; empty if none was written.
    #[serde(default)]
    pub gains_product: String,
    /// The non-linearity calibration input applied (`calibration.nonlinearity`), if any.
    #[serde(default)]
    pub nonlinearity: Option<String>,
}

/// The headline gains of the fits, in the format of `calibration.gains_file` (pure; quadrants
/// without a finite gain are left out).
pub fn gains_of(
    ccds: &BTreeMap<String, BTreeMap<String, QuadPtc>>,
) -> BTreeMap<String, BTreeMap<String, f64>> {
    ccds.iter()
        .map(|(ccd, qs)| {
            let g = qs
                .iter()
                .filter_map(|(q, f)| {
                    let g = f.exp_approx.as_ref()?.gain_e_per_adu;
                    g.is_finite().then(|| (q.clone(), g))
                })
                .collect();
            (ccd.clone(), g)
        })
        .collect()
}

/// Mean-variance points of pairs (pure).
pub fn ptc_points(pairs: &[&PtcPair]) -> Vec<PtcPoint> {
    pairs
        .iter()
        .map(|p| PtcPoint {
            mean_adu: p.cov.mean_adu,
            var_adu2: p.cov.var_adu2,
            n_pixels: p.cov.n_valid_px,
        })
        .collect()
}

/// The covariance model (a_ij) is fitted on pairs up to this mean: above it the output
/// non-linearity bends the curve as much as the brighter-fatter effect does.
pub const COV_FIT_MAX_MEAN_ADU: f64 = 45_000.0;

/// Pairs free of masked (saturated or lost) pixels: their valid + clipped pixel count is the
/// largest of the quadrant's pairs (pure).
pub fn unsaturated<'a>(pairs: &[&'a PtcPair]) -> Vec<&'a PtcPair> {
    let full = pairs
        .iter()
        .map(|p| p.cov.n_valid_px + p.cov.n_clipped_px)
        .max()
        .unwrap_or(0);
    pairs
        .iter()
        .copied()
        .filter(|p| p.cov.n_valid_px + p.cov.n_clipped_px >= full)
        .collect()
}

/// Fits one quadrant's pairs (pure). Gain, read noise and a_ij come from the pairs without
/// saturated pixels (partial saturation of a non-uniformly lit quadrant bends the curve before
/// the turn-off), the turn-off from all pairs, the full well from the ceilings of all pairs.
///
/// With a measured non-linearity `nl` (the NL0x product of this CCD and quadrant) every pair is
/// first put on the linear scale ([`Linearity`]); without one the pairs are fitted as measured.
/// Exposure times never enter: they would mix the time base (shutter calibration, lamp) into
/// the gain. The Astier et al. exponential approximation (the headline gain), vison's
/// quadratic and the covariance model are fitted to these points, the cubic cross-check to the
/// measured ones.
pub fn fit_quadrant(
    pairs: &[&PtcPair],
    max_lag_px: usize,
    cfg: &PtcFitConfig,
    nl: Option<&NonlinCorrection>,
) -> QuadPtc {
    let lin = nl.map(Linearity::new);
    let clean = unsaturated(pairs);
    let points = ptc_points(&clean);
    let cubic = cubic_gain(&points);
    let mut notes = Vec::new();
    let lin_points: Vec<PtcPoint> = match &lin {
        Some(l) => points.iter().map(|p| l.linearise_point(p)).collect(),
        None => points.clone(),
    };
    let mut fit = |m: PtcModel, pts: &[PtcPoint]| match fit_ptc(pts, m, cfg) {
        Ok(f) => Some(f),
        Err(e) => {
            notes.push(format!("{m:?} fit failed: {e}"));
            None
        }
    };
    let quadratic = fit(PtcModel::Quadratic, &lin_points);
    let mut exp_approx = fit(PtcModel::ExpApprox, &lin_points);
    let all_points: Vec<PtcPoint> = match &lin {
        Some(l) => ptc_points(pairs)
            .iter()
            .map(|p| l.linearise_point(p))
            .collect(),
        None => ptc_points(pairs),
    };
    if let (Some(e), Some(all)) = (exp_approx.as_mut(), fit(PtcModel::ExpApprox, &all_points)) {
        e.turnoff = all.turnoff;
        e.turnoff.mean_e = all.turnoff.mean_adu * e.gain_e_per_adu;
    }
    let check = match (&exp_approx, &quadratic) {
        (Some(e), Some(q))
            if e.quality != FitQuality::BadFit && q.quality != FitQuality::BadFit =>
        {
            gain_check(&lin_points, e, q, cfg)
        }
        _ => None,
    };
    let cov_model = covariance_model(&clean, lin.as_ref(), max_lag_px, cfg, &mut notes);
    let gain = exp_approx.as_ref().map_or(f64::NAN, |e| e.gain_e_per_adu);
    let (full_well, full_well_e) = full_well_of(pairs, lin.as_ref(), gain, &mut notes);
    QuadPtc {
        quadratic,
        exp_approx,
        cov_model,
        gain_cubic_e_per_adu: cubic.0,
        gain_cubic_err_e_per_adu: cubic.1,
        nonlinearity: nl.cloned(),
        gain_check: check,
        full_well: Some(full_well),
        full_well_e,
        notes,
    }
}

/// The covariance model of the (linearised) pairs up to [`COV_FIT_MAX_MEAN_ADU`].
fn covariance_model(
    clean: &[&PtcPair],
    lin: Option<&Linearity<'_>>,
    max_lag_px: usize,
    cfg: &PtcFitConfig,
    notes: &mut Vec<String>,
) -> Option<CovModelFit> {
    let covs: Vec<PairCovariance> = clean
        .iter()
        .filter(|p| p.cov.mean_adu <= COV_FIT_MAX_MEAN_ADU)
        .map(|p| match lin {
            Some(l) => l.linearise_covariance(&p.cov),
            None => p.cov.clone(),
        })
        .collect();
    let cfg = CovModelConfig {
        max_lag_px,
        ptc: cfg.clone(),
    };
    match fit_covariance_model(&covs, &cfg) {
        Ok(f) => Some(f),
        Err(e) => {
            notes.push(format!("covariance model fit failed: {e}"));
            None
        }
    }
}

/// Full well from the pairs' ceilings (ordered by commanded exposure time: the times only
/// order the series), in ADU as measured and in electrons (gain x the linear ceiling).
fn full_well_of(
    pairs: &[&PtcPair],
    lin: Option<&Linearity<'_>>,
    gain: f64,
    notes: &mut Vec<String>,
) -> (FullWell, f64) {
    let full_well = full_well_from_ceilings(
        &pairs.iter().map(|p| p.exptime_s).collect::<Vec<_>>(),
        &pairs.iter().map(|p| p.ceiling).collect::<Vec<_>>(),
        &pairs
            .iter()
            .map(|p| p.cov.n_valid_px + p.cov.n_clipped_px + p.ceiling.n_masked_px)
            .collect::<Vec<_>>(),
    );
    let linear_adu = lin.map_or(full_well.full_well_adu, |l| {
        l.linear_adu(full_well.full_well_adu)
    });
    if !full_well.found {
        notes.push(format!(
            "full well not reached: the highest pixels of the series are at {:.0} ADU",
            full_well.full_well_adu
        ));
    }
    (full_well, gain * linear_adu)
}

/// Headline and quadratic gains more than this many combined sigma apart (beyond the difference
/// of the two model shapes) raise POORQUALDATA.
pub const GAIN_AGREEMENT_SIGMA: f64 = 3.0;

/// Comparison of the headline (exp-approx) gain with vison's quadratic-fit gain of one
/// quadrant. The two models differ in shape: with a brighter-fatter a00 of -2.5e-6 /e- a
/// quadratic fitted up to 60,000 ADU reads the gain ~3 % high, 10 sigma on a 256 x 256
/// quadrant. So the quadratic gain is compared with the one the quadratic gives on the
/// headline model's own curve (same points, same weights): what remains is a disagreement of
/// the data with the headline fit, not of the model shapes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GainCheck {
    /// Headline gain, e-/ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub headline_e_per_adu: f64,
    /// vison's quadratic-fit gain, e-/ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub quadratic_e_per_adu: f64,
    /// Quadratic-fit gain of the headline model curve at the quadratic's points, e-/ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub quadratic_of_model_e_per_adu: f64,
    /// Combined 1-sigma error of the two gains, e-/ADU.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub sigma_e_per_adu: f64,
    /// `(quadratic - quadratic_of_model) / sigma`.
    #[serde(deserialize_with = "vison_stdx::nan::f64")]
    pub n_sigma: f64,
}

/// The gain comparison of a quadrant (pure); `points` are those both fits were given.
pub fn gain_check(
    points: &[PtcPoint],
    exp: &PtcFit,
    quad: &PtcFit,
    cfg: &PtcFitConfig,
) -> Option<GainCheck> {
    let model_points: Vec<PtcPoint> = points
        .iter()
        .zip(&quad.used)
        .filter(|(_, u)| **u)
        .map(|(p, _)| PtcPoint {
            var_adu2: exp.model_var_adu2(p.mean_adu),
            ..*p
        })
        .collect();
    // Exactly the quadratic's points: no selection on the model curve.
    let all = PtcFitConfig {
        clip_sigma: 1e12,
        initial_max_mean_adu: f64::INFINITY,
        ..cfg.clone()
    };
    let of_model = fit_ptc(&model_points, PtcModel::Quadratic, &all).ok()?;
    let sigma = exp.gain_err_e_per_adu.hypot(quad.gain_err_e_per_adu);
    let diff = quad.gain_e_per_adu - of_model.gain_e_per_adu;
    Some(GainCheck {
        headline_e_per_adu: exp.gain_e_per_adu,
        quadratic_e_per_adu: quad.gain_e_per_adu,
        quadratic_of_model_e_per_adu: of_model.gain_e_per_adu,
        sigma_e_per_adu: sigma,
        n_sigma: diff / sigma,
    })
}

/// Why the headline and quadratic gains of a quadrant disagree, if they differ by more than
/// [`GAIN_AGREEMENT_SIGMA`] beyond the model shapes (pure).
pub fn gain_disagreement(f: &QuadPtc) -> Option<String> {
    let c = f.gain_check.as_ref()?;
    (c.n_sigma.abs() > GAIN_AGREEMENT_SIGMA).then(|| {
        format!(
            "headline gain {:.4} and quadratic-fit gain {:.4} e-/ADU disagree: the quadratic \
             on the headline model gives {:.4}, {:.1} sigma from the data's",
            c.headline_e_per_adu,
            c.quadratic_e_per_adu,
            c.quadratic_of_model_e_per_adu,
            c.n_sigma.abs()
        )
    })
}

/// The NL0x product named by `calibration.nonlinearity`: correction per CCD and quadrant.
///
/// # Errors
/// The file cannot be read or is not an NL0x product (the error names it).
pub fn load_nonlinearity(
    path: &std::path::Path,
) -> Result<BTreeMap<String, BTreeMap<String, NonlinCorrection>>> {
    let err = |detail: String| crate::error::Error::Config {
        file: path.display().to_string(),
        detail: format!("calibration.nonlinearity: {detail}"),
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| err(e.to_string()))
}

/// PTC01, PTC02 (any suffix) and, with `bf`, BF01.
#[derive(Debug, Clone)]
pub struct PtcTask {
    name: String,
    max_lag_px: usize,
}

impl PtcTask {
    /// A PTC task; covariances up to `max_lag_px`.
    pub fn new(name: &str, max_lag_px: usize) -> Self {
        PtcTask {
            name: name.to_string(),
            max_lag_px,
        }
    }

    /// The PTC fit settings of the pipeline: the turn-off search decides the upper end.
    pub fn fit_config() -> PtcFitConfig {
        PtcFitConfig {
            min_mean_adu: 100.0,
            ..PtcFitConfig::default()
        }
    }

    fn pairs_step(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let cfg = CovarianceConfig {
            max_lag_px: self.max_lag_px,
            clip_sigma: 4.0,
        };
        let mut jobs = Vec::new();
        for ccd in 1..=3u8 {
            for p in pairs(&exposures(st, ccd)?) {
                jobs.push((ccd, p));
            }
        }
        let mut flags = Flags::new();
        if jobs.is_empty() {
            flags.raise(Flag::MISSDATA, "no flat pairs (two frames of a column)");
        }
        let total = jobs.len() as u64;
        let done = std::sync::atomic::AtomicU64::new(0);
        let out: Vec<Result<Vec<PtcPair>>> = jobs
            .par_iter()
            .map(|(ccd, (a, b))| {
                let (fa, fb) = (calibrated(a, env)?, calibrated(b, env)?);
                let rows = (
                    a.check.rows.0.max(b.check.rows.0),
                    a.check.rows.1.min(b.check.rows.1),
                );
                let mut v = Vec::new();
                for q in Quadrant::ALL {
                    let (ia, ib) = (image_area(&fa, q, rows), image_area(&fb, q, rows));
                    match pair_covariance(ia.view(), ib.view(), None, &cfg) {
                        Ok(cov) => v.push(PtcPair {
                            obsids: [a.obsid, b.obsid],
                            ccd: *ccd,
                            quadrant: q.name().to_string(),
                            exptime_s: a.exptime_s,
                            cov,
                            ceiling: pair_ceiling(ia.view(), ib.view()),
                        }),
                        Err(e) => tracing::warn!(
                            "pair {}/{} CCD{ccd} {}: {e}",
                            a.obsid,
                            b.obsid,
                            q.name()
                        ),
                    }
                }
                let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                env.step_progress("pairs", d, total);
                Ok(v)
            })
            .collect();
        let mut all = Vec::new();
        for r in out {
            all.extend(r?);
        }
        let v = serde_json::to_value(PtcPairs {
            max_lag_px: self.max_lag_px,
            pairs: all,
        })
        .map_err(|e| Error::step(&self.name, "pairs", e))?;
        Ok((v, flags))
    }

    fn fit_step(&self, env: &TaskEnv<'_>, st: &TaskState) -> Result<(Value, Flags)> {
        let nl_path = env.cfg.calibration.nonlinearity.as_deref();
        let nl = nl_path.map(load_nonlinearity).transpose()?;
        let pp: PtcPairs = st
            .step("pairs")?
            .ok_or_else(|| Error::step(&self.name, "fit", "pairs step missing"))?;
        let cfg = Self::fit_config();
        let mut flags = Flags::new();
        let mut ccds: BTreeMap<String, BTreeMap<String, QuadPtc>> = BTreeMap::new();
        for ccd in 1..=3u8 {
            for q in Quadrant::ALL {
                let sel: Vec<&PtcPair> = pp
                    .pairs
                    .iter()
                    .filter(|p| p.ccd == ccd && p.quadrant == q.name())
                    .collect();
                if sel.is_empty() {
                    continue;
                }
                let corr = nl
                    .as_ref()
                    .and_then(|m| m.get(&format!("CCD{ccd}"))?.get(q.name()));
                let mut f = fit_quadrant(&sel, pp.max_lag_px, &cfg, corr);
                if let (Some(p), None) = (nl_path, corr) {
                    f.notes.push(format!(
                        "not linearised: {} has no correction for CCD{ccd} {}",
                        p.display(),
                        q.name()
                    ));
                }
                raise_fit_flags(&mut flags, ccd, q, &f);
                ccds.entry(format!("CCD{ccd}"))
                    .or_default()
                    .insert(q.name().to_string(), f);
            }
        }
        let gains_product = format!("products/EUC_GAIN_{}.json", self.name);
        crate::framework::atomic::write_json_atomic(
            &env.test_dir.join(&gains_product),
            &gains_of(&ccds),
        )?;
        let v = serde_json::to_value(PtcFits {
            gains_product,
            nonlinearity: nl_path.map(|p| p.display().to_string()),
            ccds,
        })
        .map_err(|e| Error::step(&self.name, "fit", e))?;
        Ok((v, flags))
    }
}

/// Flags of one quadrant's fits: BADDATAPROD for a missing fit, POORQUALDATA for a poor one
/// or for headline and quadratic gains that disagree.
fn raise_fit_flags(flags: &mut Flags, ccd: u8, q: Quadrant, f: &QuadPtc) {
    for (what, fit) in [("quadratic", &f.quadratic), ("exp-approx", &f.exp_approx)] {
        match fit {
            Some(p) if p.quality != FitQuality::Ok => flags.raise(
                Flag::POORQUALDATA,
                format!(
                    "CCD{ccd} {}: {what} PTC fit {:?}: {}",
                    q.name(),
                    p.quality,
                    p.notes.join("; ")
                ),
            ),
            None => flags.raise(
                Flag::BADDATAPROD,
                format!("CCD{ccd} {}: no {what} PTC fit", q.name()),
            ),
            _ => {}
        }
    }
    if let Some(why) = gain_disagreement(f) {
        flags.raise(Flag::POORQUALDATA, format!("CCD{ccd} {}: {why}", q.name()));
    }
}

/// Per-quadrant figures of the fits, merged into an analysis.
pub(crate) fn ptc_figures(fits: &PtcFits, a: &mut Analysis) {
    for (ccd, qs) in &fits.ccds {
        for (q, f) in qs {
            let m = a.quad_mut(ccd, q);
            m.insert("gain_cubic_e_per_adu".into(), f.gain_cubic_e_per_adu);
            m.insert(
                "gain_cubic_err_e_per_adu".into(),
                f.gain_cubic_err_e_per_adu,
            );
            if let Some(w) = &f.full_well {
                m.insert("fullwell_adu".into(), w.full_well_adu);
                m.insert("fullwell_e".into(), f.full_well_e);
                m.insert("fullwell_found".into(), f64::from(u8::from(w.found)));
            }
            if let Some(c) = &f.gain_check {
                m.insert(
                    "gain_quadratic_of_model_e_per_adu".into(),
                    c.quadratic_of_model_e_per_adu,
                );
                m.insert("gain_check_nsigma".into(), c.n_sigma);
            }
            m.insert(
                "linearised".into(),
                f64::from(u8::from(f.nonlinearity.is_some())),
            );
            if let Some(p) = &f.quadratic {
                m.insert("gain_quadratic_e_per_adu".into(), p.gain_e_per_adu);
                m.insert("gain_quadratic_err_e_per_adu".into(), p.gain_err_e_per_adu);
                m.insert("ron_ptc_adu".into(), p.ron_adu);
                m.insert("ron_ptc_e".into(), p.ron_e);
                m.insert("ptc_quad_chi2_red".into(), p.chi2_red);
            }
            if let Some(p) = &f.exp_approx {
                m.insert("gain_e_per_adu".into(), p.gain_e_per_adu);
                m.insert("gain_err_e_per_adu".into(), p.gain_err_e_per_adu);
                m.insert("gain_err_stat_e_per_adu".into(), p.gain_err_stat_e_per_adu);
                m.insert("gain_expapprox_e_per_adu".into(), p.gain_e_per_adu);
                m.insert("gain_expapprox_err_e_per_adu".into(), p.gain_err_e_per_adu);
                m.insert("ron_expapprox_adu".into(), p.ron_adu);
                m.insert("a00_expapprox_per_e".into(), p.a00_per_e);
                m.insert("a00_expapprox_err_per_e".into(), p.a00_err_per_e);
                m.insert("turnoff_adu".into(), p.turnoff.mean_adu);
                m.insert("turnoff_e".into(), p.turnoff.mean_e);
                m.insert("turnoff_found".into(), f64::from(u8::from(p.turnoff.found)));
            }
            if let Some(c) = &f.cov_model {
                m.insert("gain_covmodel_e_per_adu".into(), c.lag0.gain_e_per_adu);
                m.insert("a00_per_e".into(), c.a(0, 0));
                m.insert(
                    "a00_err_per_e".into(),
                    c.a_err_per_e.first().copied().unwrap_or(f64::NAN),
                );
                m.insert("a01_per_e".into(), c.a(0, 1));
                m.insert("a10_per_e".into(), c.a(1, 0));
                m.insert("a_sum_per_e".into(), c.a_sum_per_e);
            }
        }
    }
}

/// The `ptc` figure of task `task` with `caption`.
pub(crate) fn ptc_figure(
    env: &TaskEnv<'_>,
    task: &str,
    caption: &str,
    pp: &PtcPairs,
) -> vison_report::Block {
    let title = format!("{task}: PTC");
    figure(
        env,
        "ptc",
        caption,
        Plot::Grid(ptc_plot(&title, pp)),
        1500,
        450,
    )
}

/// PTC plot: one panel per CCD, variance against mean per quadrant.
fn ptc_plot(title: &str, pp: &PtcPairs) -> vison_report::PlotGrid {
    use vison_report::{PlotGrid, Series, SeriesStyle, XyPlot};
    let mut grid = PlotGrid::new(title, 3);
    for ccd in 1..=3u8 {
        let mut p = XyPlot::new(format!("CCD{ccd}"), "mean [ADU]", "variance [ADU^2]");
        for q in Quadrant::ALL {
            let mut pts: Vec<(f64, f64)> = pp
                .pairs
                .iter()
                .filter(|x| x.ccd == ccd && x.quadrant == q.name())
                .map(|x| (x.cov.mean_adu, x.cov.var_adu2))
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (x, y): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
            p = p.with_series(Series::new(q.name(), x, y, SeriesStyle::Points));
        }
        grid = grid.with_panel(p);
    }
    grid
}

/// Gains table of the report.
pub(crate) fn gains_table(a: &Analysis) -> vison_report::DataTable {
    use vison_report::{Cell, DataTable};
    let mut t = DataTable::new(
        "Gain, read noise and full well per quadrant",
        [
            "CCD",
            "Q",
            "gain [e-/ADU] (exp-approx)",
            "err",
            "gain quadratic [e-/ADU]",
            "gain cubic [e-/ADU]",
            "gain cov-model [e-/ADU]",
            "RON PTC [e-]",
            "RON prescan [e-]",
            "full well [e-]",
            "PTC turn-off [ADU]",
            "a00 [1/e-]",
        ],
    );
    for (ccd, qs) in &a.ccds {
        for (q, m) in qs {
            let g = |k: &str| m.get(k).copied().unwrap_or(f64::NAN);
            t.push_row(vec![
                Cell::text(ccd.clone()),
                Cell::text(q.clone()),
                Cell::number(g("gain_e_per_adu")),
                Cell::number(g("gain_err_e_per_adu")),
                Cell::number(g("gain_quadratic_e_per_adu")),
                Cell::number(g("gain_cubic_e_per_adu")),
                Cell::number(g("gain_covmodel_e_per_adu")),
                Cell::number(g("ron_ptc_e")),
                Cell::number(g("ron_prescan_adu") * g("gain_e_per_adu")),
                Cell::number(g("fullwell_e")),
                Cell::number(g("turnoff_adu")),
                Cell::number(g("a00_per_e")),
            ]);
        }
    }
    t
}

impl Task for PtcTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn analysis_steps(&self) -> &'static [&'static str] {
        &["pairs", "fit"]
    }

    fn run_step(&self, step: &str, env: &TaskEnv<'_>, state: &TaskState) -> Result<(Value, Flags)> {
        match step {
            "pairs" => self.pairs_step(env, state),
            "fit" => self.fit_step(env, state),
            other => Err(Error::step(&self.name, other, "unknown step")),
        }
    }

    fn summarize(&self, _env: &TaskEnv<'_>, state: &TaskState) -> Result<Analysis> {
        let mut a = Analysis::default();
        if let Some(f) = state.step::<PtcFits>("fit")? {
            if !f.gains_product.is_empty() {
                a.products.push((
                    f.gains_product.clone(),
                    "gain per CCD and quadrant, e-/ADU (JSON; usable as calibration.gains_file)"
                        .into(),
                ));
            }
            ptc_figures(&f, &mut a);
            a.details.insert(
                "nonlinearity_input".into(),
                Value::String(f.nonlinearity.clone().unwrap_or_else(|| "none".into())),
            );
            if let Ok(v) = serde_json::to_value(&f) {
                a.details.insert("ptc_fits".into(), v);
            }
        }
        Ok(a)
    }

    fn report_sections(
        &self,
        env: &TaskEnv<'_>,
        state: &TaskState,
        a: &Analysis,
    ) -> Result<Vec<vison_report::Section>> {
        use vison_report::{Block, Section as RSection};
        let mut s = RSection::new("Photon transfer curve");
        match state.step::<PtcPairs>("pairs")? {
            Some(pp) => s.push(ptc_figure(
                env,
                &self.name,
                "Photon transfer curves: per-frame variance var(difference)/2 against the mean \
                 of each flat pair, per CCD (panels) and quadrant (series).",
                &pp,
            )),
            None => s.push(Block::Paragraph("No flat pairs were measured.".into())),
        }
        s.push(gains_table(a));
        Ok(vec![s])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exp-approx PTC points (a00 in 1/e-), statistical errors of 256 x 256 pixels.
    fn series(gain: f64, a00: f64) -> Vec<PtcPoint> {
        (1..=40)
            .map(|k| {
                let mu = 1500.0 * f64::from(k);
                let x = 2.0 * a00 * mu * gain;
                let v = if x.abs() < 1e-12 {
                    mu / gain
                } else {
                    x.exp_m1() / x * mu / gain
                } + 2.0;
                PtcPoint {
                    mean_adu: mu,
                    var_adu2: v,
                    n_pixels: 65_536,
                }
            })
            .collect()
    }

    fn check_of(points: &[PtcPoint]) -> GainCheck {
        let cfg = PtcTask::fit_config();
        let e = fit_ptc(points, PtcModel::ExpApprox, &cfg).unwrap();
        let q = fit_ptc(points, PtcModel::Quadratic, &cfg).unwrap();
        gain_check(points, &e, &q, &cfg).unwrap()
    }

    #[test]
    fn brighter_fatter_alone_is_no_gain_disagreement_but_an_offset_quadratic_gain_is() {
        // Strong brighter-fatter: the quadratic reads the gain high, as its model predicts.
        let pts = series(3.3, -2.5e-6);
        let c = check_of(&pts);
        assert!(
            c.quadratic_e_per_adu / c.headline_e_per_adu - 1.0 > 0.01,
            "{c:?}"
        );
        assert!(c.n_sigma.abs() < 0.5, "{c:?}");
        let f = QuadPtc {
            quadratic: None,
            exp_approx: None,
            cov_model: None,
            gain_cubic_e_per_adu: f64::NAN,
            gain_cubic_err_e_per_adu: f64::NAN,
            nonlinearity: None,
            gain_check: Some(c),
            full_well: None,
            full_well_e: f64::NAN,
            notes: Vec::new(),
        };
        assert!(gain_disagreement(&f).is_none());
        // A quadratic gain 2 % above what the headline model gives (e.g. a headline fitted
        // to rescaled variances): flagged with both values.
        let off = GainCheck {
            quadratic_e_per_adu: c.quadratic_of_model_e_per_adu * 1.02,
            n_sigma: 0.02 * c.quadratic_of_model_e_per_adu / c.sigma_e_per_adu,
            ..c
        };
        assert!(off.n_sigma > GAIN_AGREEMENT_SIGMA, "{off:?}");
        let g = QuadPtc {
            gain_check: Some(off),
            ..f
        };
        let why = gain_disagreement(&g).unwrap();
        assert!(why.contains("sigma"), "{why}");
    }
}
