//! Photon transfer curve: mean-variance points from flat pairs, gain / read noise / full well
//! fits, turn-off detection and fit verdicts (reference 4.11, 6.4; Astier et al. 2019).
//!
//! Models (variance `V` and mean `mu` in ADU^2 and ADU, gain `g` in e-/ADU):
//! - [`PtcModel::Quadratic`] (vison): `V = a0 + a1 mu + a2 mu^2`, `g = 1/a1`,
//!   `sigma_g = sigma_a1 / a1^2`, read noise `sqrt(a0)` ADU, `a00 = a2`.
//! - [`PtcModel::ExpApprox`] (Astier et al. 2019 Eq. 16, cp_pipe EXPAPPROXIMATION):
//!   `V = (exp(2 a00 mu g) - 1) / (2 a00 g^2) + n / g^2`, read noise `sqrt(n)` e-.
//!   `a00` is in Astier's sign convention (negative for the brighter-fatter effect: the variance
//!   grows slower than the mean); eotest quotes `-a00`.
//!
//! The full covariance model (Astier Eq. 20 at leading order) is [`fit_covariance_model`].

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::covariance::PairCovariance;
use crate::lsq::{FitQuality, LsqFit, levenberg_marquardt, linear_lsq};
use crate::stats::{mad_std, mean_var, median};
use crate::tiles::{Tile, tile_grid};
use crate::{Error, Result, check_mask, check_shape};

/// One mean-variance point (a flat pair, or one tile of a flat pair).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PtcPoint {
    /// Mean signal of the two frames, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean_adu: f64,
    /// Per-frame variance, var(difference) / 2, ADU^2.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub var_adu2: f64,
    /// Number of pixels behind the variance (0 if unknown).
    pub n_pixels: u64,
}

/// Settings of the per-tile pair statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairStatsConfig {
    /// Tile side, pixels (vison: 300).
    pub tile_px: usize,
    /// Clip difference pixels beyond this many robust sigma (0 disables).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub clip_sigma: f64,
}

impl Default for PairStatsConfig {
    fn default() -> Self {
        Self {
            tile_px: 300,
            clip_sigma: 4.0,
        }
    }
}

/// Statistics of one tile of a flat pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TilePoint {
    /// The tile.
    pub tile: Tile,
    /// Mean-variance point of the tile.
    pub point: PtcPoint,
    /// Mean of the first frame in the tile, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean1_adu: f64,
    /// Mean of the second frame in the tile, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean2_adu: f64,
}

fn check_pair(
    f1: &ArrayView2<'_, f32>,
    f2: &ArrayView2<'_, f32>,
    mask: Option<&ArrayView2<'_, bool>>,
) -> Result<()> {
    check_shape("frame2", f2.dim(), f1.dim())?;
    check_mask(mask, f1.dim())?;
    Ok(())
}

/// Mean-variance statistics of one tile (robust: the difference is clipped about its median).
fn tile_stats(
    f1: &ArrayView2<'_, f32>,
    f2: &ArrayView2<'_, f32>,
    mask: Option<&ArrayView2<'_, bool>>,
    tile: Tile,
    clip_sigma: f64,
) -> Option<TilePoint> {
    let mut a = Vec::with_capacity(tile.size0_px * tile.size1_px);
    let mut b = Vec::with_capacity(a.capacity());
    for r in tile.start0_px..tile.start0_px + tile.size0_px {
        for c in tile.start1_px..tile.start1_px + tile.size1_px {
            let x = f1[[r, c]];
            let y = f2[[r, c]];
            if x.is_finite() && y.is_finite() && mask.is_none_or(|m| !m[[r, c]]) {
                a.push(f64::from(x));
                b.push(f64::from(y));
            }
        }
    }
    if a.len() < 4 {
        return None;
    }
    let m1 = a.iter().sum::<f64>() / a.len() as f64;
    let m2 = b.iter().sum::<f64>() / b.len() as f64;
    let ratio = if m1 > 0.0 && m2 > 0.0 { m1 / m2 } else { 1.0 };
    let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - ratio * y).collect();
    let keep: Vec<bool> = if clip_sigma > 0.0 {
        let med = median(&d);
        let s = mad_std(&d);
        if s > 0.0 {
            d.iter()
                .map(|v| (v - med).abs() <= clip_sigma * s)
                .collect()
        } else {
            vec![true; d.len()]
        }
    } else {
        vec![true; d.len()]
    };
    let dk: Vec<f64> = d
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(v, _)| *v)
        .collect();
    let n = dk.len();
    if n < 4 {
        return None;
    }
    let (_, var_d) = mean_var(&dk);
    let (mut s1, mut s2) = (0.0, 0.0);
    for ((x, y), k) in a.iter().zip(&b).zip(&keep) {
        if *k {
            s1 += x;
            s2 += y;
        }
    }
    let m1k = s1 / n as f64;
    let m2k = s2 / n as f64;
    // Unbiased variance, halved to a per-frame value.
    let var = var_d * n as f64 / (n as f64 - 1.0) / 2.0;
    Some(TilePoint {
        tile,
        point: PtcPoint {
            mean_adu: 0.5 * (m1k + m2k),
            var_adu2: var,
            n_pixels: n as u64,
        },
        mean1_adu: m1k,
        mean2_adu: m2k,
    })
}

/// Mean-variance points of a flat pair, one per tile (tiles with fewer than 4 valid pixels are
/// skipped). The difference is `f1 - (m1/m2) f2` per tile, clipped about its median.
///
/// # Errors
/// Shape mismatch, a tile size of 0 or larger than the region.
pub fn pair_tile_points(
    frame1: ArrayView2<'_, f32>,
    frame2: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    config: &PairStatsConfig,
) -> Result<Vec<TilePoint>> {
    check_pair(&frame1, &frame2, mask.as_ref())?;
    let tiles = tile_grid([frame1.dim().0, frame1.dim().1], config.tile_px);
    if tiles.is_empty() {
        return Err(Error::InvalidConfig {
            key: "tile_px",
            value: config.tile_px.to_string(),
            reason: "must be positive and fit in the region",
        });
    }
    Ok(tiles
        .par_iter()
        .filter_map(|t| tile_stats(&frame1, &frame2, mask.as_ref(), *t, config.clip_sigma))
        .collect())
}

/// Mean-variance point of a whole region of a flat pair (one "tile" covering the region).
///
/// # Errors
/// Shape mismatch, or fewer than 4 valid pixels.
pub fn pair_point(
    frame1: ArrayView2<'_, f32>,
    frame2: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    clip_sigma: f64,
) -> Result<PtcPoint> {
    check_pair(&frame1, &frame2, mask.as_ref())?;
    let (r, c) = frame1.dim();
    let tile = Tile::whole((r, c));
    tile_stats(&frame1, &frame2, mask.as_ref(), tile, clip_sigma)
        .map(|t| t.point)
        .ok_or(Error::TooSmall {
            what: "valid pixels in the flat pair",
            got: 0,
            need: 4,
        })
}

/// PTC model to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PtcModel {
    /// vison's quadratic `V = a0 + a1 mu + a2 mu^2`.
    Quadratic,
    /// Astier et al. 2019 exponential approximation.
    ExpApprox,
}

/// Uncertainty assigned to each variance in the fit (and used by the outlier cut).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PtcWeighting {
    /// Statistical error of a variance estimate, `V sqrt(2 / n_pixels)` (falls back to
    /// `sqrt(V)` for points without a pixel count).
    Statistical,
    /// `sqrt(V)` (eotest's residual normalisation).
    SqrtVariance,
}

/// Settings of the PTC fit and turn-off detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PtcFitConfig {
    /// Points below this mean are ignored, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub min_mean_adu: f64,
    /// Points above this mean are ignored (hard cap; use a large value to let the turn-off
    /// detection decide), ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub max_mean_adu: f64,
    /// The first fit uses only points up to this mean, ADU (eotest: 4e4).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub initial_max_mean_adu: f64,
    /// Residual normalisation and fit weights.
    pub weighting: PtcWeighting,
    /// Points whose normalised residual exceeds this are excluded (eotest: 5).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub clip_sigma: f64,
    /// Scale the cut by the robust scatter of the normalised residuals of the retained points
    /// (1.4826 MAD, never below 1), so that data noisier than their nominal errors do not end
    /// the curve early (eotest: false).
    pub robust_scale: bool,
    /// The turn-off is declared at the start of this many consecutive points above it that
    /// fall below the model by more than `clip_sigma` (isolated outliers do not end the curve).
    pub turnoff_run: usize,
    /// Maximum number of fit / selection iterations.
    pub max_iter: usize,
    /// Scale the parameter covariance by the reduced chi-square (with `Statistical` weights
    /// only when it exceeds 1).
    pub scale_errors_by_chi2: bool,
    /// POORFIT if the relative gain error exceeds this (vison: 1e-3).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub poor_gain_rel_err: f64,
    /// ... and exceeds this many times the gain error the pixel statistics allow (see
    /// [`poor_gain_rel_err_limit`]).
    #[serde(default = "default_over_stat", deserialize_with = "crate::nan::f64")]
    pub poor_gain_err_over_stat: f64,
    /// POORFIT if the reduced chi-square exceeds this.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub poor_chi2_red: f64,
}

impl Default for PtcFitConfig {
    fn default() -> Self {
        Self {
            min_mean_adu: 0.0,
            max_mean_adu: f64::INFINITY,
            initial_max_mean_adu: 4e4,
            weighting: PtcWeighting::Statistical,
            clip_sigma: 5.0,
            robust_scale: true,
            turnoff_run: 2,
            max_iter: 10,
            scale_errors_by_chi2: true,
            poor_gain_rel_err: 1e-3,
            poor_gain_err_over_stat: default_over_stat(),
            poor_chi2_red: 25.0,
        }
    }
}

fn default_over_stat() -> f64 {
    3.0
}

fn nan_f64() -> f64 {
    f64::NAN
}

/// Turn-off (full well / blooming onset) of a PTC.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Turnoff {
    /// True if points beyond the last retained point drop below the model (a real turn-off);
    /// false if the data end before any turn-off (then the fields give the highest point used).
    pub found: bool,
    /// Mean of the highest retained point, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean_adu: f64,
    /// Its variance, ADU^2.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub var_adu2: f64,
    /// The turn-off mean in electrons (gain x ADU).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean_e: f64,
}

/// Result of a PTC fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PtcFit {
    /// Model fitted.
    pub model: PtcModel,
    /// Gain, e-/ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub gain_e_per_adu: f64,
    /// 1-sigma gain error, e-/ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub gain_err_e_per_adu: f64,
    /// The gain error the pixel statistics allow: from the statistical point errors
    /// `V sqrt(2 / n_px)` alone, without the chi-square scaling (NaN with other weights or
    /// points without a pixel count), e-/ADU.
    #[serde(default = "nan_f64", deserialize_with = "crate::nan::f64")]
    pub gain_err_stat_e_per_adu: f64,
    /// Read noise, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub ron_adu: f64,
    /// 1-sigma read-noise error, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub ron_err_adu: f64,
    /// Read noise, e-.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub ron_e: f64,
    /// 1-sigma read-noise error, e-.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub ron_err_e: f64,
    /// Brighter-fatter coefficient a00 (Astier sign convention), 1/e-.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub a00_per_e: f64,
    /// 1-sigma error of a00, 1/e-.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub a00_err_per_e: f64,
    /// Fitted parameters: quadratic `[a0_adu2, a1_adu, a2]`, exp-approx `[a00, g, n_e2]`.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub params: Vec<f64>,
    /// Parameter covariance matrix (row-major), as used for the errors.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub param_cov: Vec<f64>,
    /// Reduced chi-square of the final fit.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub chi2_red: f64,
    /// Points used in the final fit.
    pub n_points_used: usize,
    /// Points given (before any selection).
    pub n_points_total: usize,
    /// Per input point: used in the final fit.
    pub used: Vec<bool>,
    /// Turn-off.
    pub turnoff: Turnoff,
    /// Verdict.
    pub quality: FitQuality,
    /// Reasons for a POORFIT / BADFIT verdict or other notes.
    pub notes: Vec<String>,
}

impl PtcFit {
    /// Model variance at a mean, ADU^2.
    #[must_use]
    pub fn model_var_adu2(&self, mean_adu: f64) -> f64 {
        model_value(self.model, &self.params, mean_adu)
    }
}

fn exp_model(p: &[f64], mu: f64) -> f64 {
    let (a00, g, n) = (p[0], p[1], p[2]);
    let x = 2.0 * a00 * mu * g;
    let ratio = if x.abs() < 1e-12 {
        1.0 + 0.5 * x
    } else {
        x.exp_m1() / x
    };
    mu / g * ratio + n / (g * g)
}

fn model_value(model: PtcModel, p: &[f64], mu: f64) -> f64 {
    match model {
        PtcModel::Quadratic => p[0] + p[1] * mu + p[2] * mu * mu,
        PtcModel::ExpApprox => exp_model(p, mu),
    }
}

fn sigma_of(point: &PtcPoint, weighting: PtcWeighting) -> f64 {
    let v = point.var_adu2.max(1e-12);
    match weighting {
        PtcWeighting::Statistical if point.n_pixels > 1 => v * (2.0 / point.n_pixels as f64).sqrt(),
        _ => v.sqrt(),
    }
}

fn fit_once(
    model: PtcModel,
    pts: &[PtcPoint],
    weighting: PtcWeighting,
    start: Option<&[f64]>,
) -> Result<LsqFit> {
    let xs: Vec<f64> = pts.iter().map(|p| p.mean_adu).collect();
    let ys: Vec<f64> = pts.iter().map(|p| p.var_adu2).collect();
    let sig: Vec<f64> = pts.iter().map(|p| sigma_of(p, weighting)).collect();
    let quad = linear_lsq("PTC quadratic", &xs, &ys, &sig, 3, |x, r| {
        r[0] = 1.0;
        r[1] = x;
        r[2] = x * x;
    })?;
    match model {
        PtcModel::Quadratic => Ok(quad),
        PtcModel::ExpApprox => {
            let p0 = match start {
                Some(s) => s.to_vec(),
                None => {
                    let g0 = if quad.params[1] > 0.0 {
                        1.0 / quad.params[1]
                    } else {
                        1.0
                    };
                    vec![quad.params[2], g0, quad.params[0].max(0.0) * g0 * g0]
                }
            };
            let typical = [
                p0[0].abs().max(1e-7),
                p0[1].abs().max(1e-3),
                p0[2].abs().max(1.0),
            ];
            levenberg_marquardt("PTC exp-approx", xs.len(), &p0, &typical, |p, r| {
                if p[1].is_nan() || p[1] <= 0.0 {
                    return false;
                }
                for k in 0..xs.len() {
                    r[k] = (ys[k] - exp_model(p, xs[k])) / sig[k];
                }
                true
            })
        }
    }
}

/// Fit a PTC to mean-variance points with robust point selection and turn-off detection.
///
/// Procedure: drop non-finite or non-positive points and points outside
/// `[min_mean_adu, max_mean_adu]`; sort by mean; fit the points below `initial_max_mean_adu`;
/// then iterate: normalised residuals `r = (V - model) / sigma` for all points; walking up in
/// mean, keep points with `|r| < clip_sigma`, skip isolated outliers, and stop at the first run of
/// `turnoff_run` consecutive points with `r < -clip_sigma` (the turn-off); refit; until the
/// selection is stable.
///
/// Errors on the parameters come from the fit covariance (scaled by the reduced chi-square if
/// configured) and are propagated to gain and read noise with their correlations.
///
/// # Errors
/// Only for invalid configuration; a failed fit is reported as `FitQuality::BadFit` with NaN
/// values and a note, so that one bad quadrant does not stop a campaign.
pub fn fit_ptc(points: &[PtcPoint], model: PtcModel, config: &PtcFitConfig) -> Result<PtcFit> {
    check_fit_config(config)?;
    let n_total = points.len();
    let (order, cand) = candidate_points(points, config);
    let sel0 = initial_selection(&cand, config);
    let sel = select_points(model, &cand, sel0, config);
    let mut used = vec![false; n_total];
    for (k, &orig) in order.iter().enumerate() {
        used[orig] = sel.selected[k];
    }
    let used_points: Vec<PtcPoint> = cand
        .iter()
        .zip(&sel.selected)
        .filter(|(_, s)| **s)
        .map(|(p, _)| *p)
        .collect();
    let mut notes = sel.notes;
    let Some(f) = sel.fit else {
        return Ok(bad_fit(model, n_total, used, notes));
    };
    // With statistical weights the point errors are known: scale the covariance up by a
    // reduced chi-square above 1 (unmodelled scatter), never down (a chi-square below 1 on a
    // few points is luck, and shrinking the errors by it under-reports them).
    let sc = config.scale_errors_by_chi2
        && !(config.weighting == PtcWeighting::Statistical && f.chi2_red() < 1.0);
    let np = f.params.len();
    let param_cov: Vec<f64> = (0..np * np).map(|k| f.cov_ij(k / np, k % np, sc)).collect();
    // The statistical errors are known only with statistical weights on counted pixels.
    let stat_known =
        config.weighting == PtcWeighting::Statistical && used_points.iter().all(|p| p.n_pixels > 1);
    let d = derived_figures(model, &f, sc, stat_known, &mut notes);
    let turnoff = turnoff_of(used_points.last(), sel.turnoff_found, d.gain);
    if !sel.turnoff_found {
        notes.push("no turn-off within the data".to_owned());
    }
    let chi2_red = f.chi2_red();
    let quality = verdict(&f, &d, config, &mut notes);
    tracing::debug!(
        ?model,
        gain = d.gain,
        gain_err = d.gain_err,
        ron_adu = d.ron_adu,
        n_used = used_points.len(),
        ?quality,
        "PTC fit"
    );
    Ok(PtcFit {
        model,
        gain_e_per_adu: d.gain,
        gain_err_e_per_adu: d.gain_err,
        gain_err_stat_e_per_adu: d.gain_err_stat,
        ron_adu: d.ron_adu,
        ron_err_adu: d.ron_err_adu,
        ron_e: d.ron_e,
        ron_err_e: d.ron_err_e,
        a00_per_e: d.a00,
        a00_err_per_e: d.a00_err,
        params: f.params.clone(),
        param_cov,
        chi2_red,
        n_points_used: used_points.len(),
        n_points_total: n_total,
        used,
        turnoff,
        quality,
        notes,
    })
}

fn check_fit_config(config: &PtcFitConfig) -> Result<()> {
    if config.clip_sigma.is_nan() || config.clip_sigma <= 0.0 {
        return Err(Error::InvalidConfig {
            key: "clip_sigma",
            value: config.clip_sigma.to_string(),
            reason: "must be positive",
        });
    }
    if config.turnoff_run == 0 {
        return Err(Error::InvalidConfig {
            key: "turnoff_run",
            value: "0".to_owned(),
            reason: "must be at least 1",
        });
    }
    Ok(())
}

/// The usable points sorted by mean, with their indices in the input.
fn candidate_points(points: &[PtcPoint], config: &PtcFitConfig) -> (Vec<usize>, Vec<PtcPoint>) {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&k| {
            let p = &points[k];
            p.mean_adu.is_finite()
                && p.var_adu2.is_finite()
                && p.var_adu2 > 0.0
                && p.mean_adu > 0.0
                && p.mean_adu >= config.min_mean_adu
                && p.mean_adu <= config.max_mean_adu
        })
        .collect();
    order.sort_by(|&a, &b| points[a].mean_adu.total_cmp(&points[b].mean_adu));
    let cand = order.iter().map(|&k| points[k]).collect();
    (order, cand)
}

/// The points of the first fit: up to `initial_max_mean_adu`, else the lower half.
fn initial_selection(cand: &[PtcPoint], config: &PtcFitConfig) -> Vec<bool> {
    let sel: Vec<bool> = cand
        .iter()
        .map(|p| p.mean_adu <= config.initial_max_mean_adu)
        .collect();
    if sel.iter().filter(|s| **s).count() >= 5 {
        return sel;
    }
    let half = cand.len().div_ceil(2).max(5.min(cand.len()));
    (0..cand.len()).map(|k| k < half).collect()
}

/// Outcome of the robust point selection.
struct Selection {
    fit: Option<LsqFit>,
    selected: Vec<bool>,
    turnoff_found: bool,
    notes: Vec<String>,
}

/// Iterates fit and selection until the selection is stable (see [`fit_ptc`]).
fn select_points(
    model: PtcModel,
    cand: &[PtcPoint],
    mut sel: Vec<bool>,
    config: &PtcFitConfig,
) -> Selection {
    let mut notes = Vec::new();
    let mut fit: Option<LsqFit> = None;
    let mut fit_sel: Option<Vec<bool>> = None;
    let mut turnoff_found = false;
    for _ in 0..config.max_iter.max(1) {
        let used: Vec<PtcPoint> = cand
            .iter()
            .zip(&sel)
            .filter(|(_, s)| **s)
            .map(|(p, _)| *p)
            .collect();
        if used.len() < 5 {
            notes.push(format!("only {} usable points (5 needed)", used.len()));
            fit = None;
            fit_sel = None;
            break;
        }
        let start = fit.as_ref().map(|f| f.params.clone());
        let f = match fit_once(model, &used, config.weighting, start.as_deref()) {
            Ok(f) => f,
            Err(e) => {
                notes.push(e.to_string());
                fit = None;
                fit_sel = None;
                break;
            }
        };
        let resid: Vec<f64> = cand
            .iter()
            .map(|p| {
                (p.var_adu2 - model_value(model, &f.params, p.mean_adu))
                    / sigma_of(p, config.weighting)
            })
            .collect();
        let (new_sel, found) = walk_up(&resid, &sel, config);
        turnoff_found = found;
        fit = Some(f);
        if new_sel == sel {
            fit_sel = None;
            break;
        }
        // Not stable yet: the fit belongs to `sel`, the next one to `new_sel`.
        fit_sel = Some(std::mem::replace(&mut sel, new_sel));
    }
    // Without a stable selection after `max_iter`, the last fit's own points are reported.
    let selected = fit_sel.unwrap_or(sel);
    Selection {
        fit,
        selected,
        turnoff_found,
        notes,
    }
}

/// Walks up the curve: keeps points within the cut, skips isolated outliers, and ends at the
/// first run of `turnoff_run` points below the model (the turn-off). Returns the new selection
/// and whether a turn-off was found.
fn walk_up(resid: &[f64], sel: &[bool], config: &PtcFitConfig) -> (Vec<bool>, bool) {
    let scale = if config.robust_scale {
        let mut dev: Vec<f64> = resid
            .iter()
            .zip(sel)
            .filter(|(_, s)| **s)
            .map(|(r, _)| r.abs())
            .collect();
        // MAD about zero (the fit is centred on the data).
        (1.4826 * crate::stats::median_in_place(&mut dev)).max(1.0)
    } else {
        1.0
    };
    let cut = config.clip_sigma * scale;
    let mut new_sel = vec![false; resid.len()];
    let mut run = 0usize;
    for (k, &r) in resid.iter().enumerate() {
        if r.abs() < cut {
            new_sel[k] = true;
            run = 0;
        } else if r <= -cut {
            run += 1;
            if run >= config.turnoff_run {
                for s in new_sel.iter_mut().skip(k + 1 - run) {
                    *s = false;
                }
                return (new_sel, true);
            }
        } else {
            run = 0;
        }
    }
    (new_sel, false)
}

/// Gain, read noise and a00 of a fit, with their errors.
struct Derived {
    gain: f64,
    gain_err: f64,
    /// Gain error from the statistical point errors alone (no chi-square scaling).
    gain_err_stat: f64,
    ron_adu: f64,
    ron_err_adu: f64,
    ron_e: f64,
    ron_err_e: f64,
    a00: f64,
    a00_err: f64,
}

fn derived_figures(
    model: PtcModel,
    f: &LsqFit,
    sc: bool,
    stat_known: bool,
    notes: &mut Vec<String>,
) -> Derived {
    let mut d = match model {
        PtcModel::Quadratic => quadratic_figures(f, sc, notes),
        PtcModel::ExpApprox => exp_approx_figures(f, sc, notes),
    };
    if !stat_known {
        d.gain_err_stat = f64::NAN;
    }
    d
}

fn quadratic_figures(f: &LsqFit, sc: bool, notes: &mut Vec<String>) -> Derived {
    let (a0, a1, a2) = (f.params[0], f.params[1], f.params[2]);
    let g = 1.0 / a1;
    // A non-positive intercept: the read noise is not measurable from these points (NaN).
    let ron = if a0 > 0.0 { a0.sqrt() } else { f64::NAN };
    let ron_err = if a0 > 0.0 {
        f.err(0, sc) / (2.0 * ron)
    } else {
        f64::NAN
    };
    // ron_e = sqrt(a0) / a1: gradient (1 / (2 sqrt(a0) a1), -sqrt(a0) / a1^2).
    let (d0, d1) = (1.0 / (2.0 * ron * a1), -ron / (a1 * a1));
    let var_e = d0 * d0 * f.cov_ij(0, 0, sc)
        + d1 * d1 * f.cov_ij(1, 1, sc)
        + 2.0 * d0 * d1 * f.cov_ij(0, 1, sc);
    if a0 <= 0.0 {
        notes.push(format!(
            "non-positive variance intercept a0 = {a0:.4} ADU^2"
        ));
    }
    Derived {
        gain: g,
        gain_err: f.err(1, sc) / (a1 * a1),
        gain_err_stat: f.err(1, false) / (a1 * a1),
        ron_adu: ron,
        ron_err_adu: ron_err,
        ron_e: ron * g,
        ron_err_e: var_e.sqrt(),
        a00: a2,
        a00_err: f.err(2, sc),
    }
}

fn exp_approx_figures(f: &LsqFit, sc: bool, notes: &mut Vec<String>) -> Derived {
    let (a00, g, n) = (f.params[0], f.params[1], f.params[2]);
    let ron_e = if n > 0.0 { n.sqrt() } else { f64::NAN };
    let ron_err_e = if n > 0.0 {
        f.err(2, sc) / (2.0 * ron_e)
    } else {
        f64::NAN
    };
    // ron_adu = sqrt(n) / g: gradient wrt (g, n) = (-sqrt(n)/g^2, 1/(2 sqrt(n) g)).
    let (dg, dn) = (-ron_e / (g * g), 1.0 / (2.0 * ron_e * g));
    let var_adu = dg * dg * f.cov_ij(1, 1, sc)
        + dn * dn * f.cov_ij(2, 2, sc)
        + 2.0 * dg * dn * f.cov_ij(1, 2, sc);
    if n <= 0.0 {
        notes.push(format!("non-positive noise term n = {n:.4} e-^2"));
    }
    Derived {
        gain: g,
        gain_err: f.err(1, sc),
        gain_err_stat: f.err(1, false),
        ron_adu: ron_e / g,
        ron_err_adu: var_adu.sqrt(),
        ron_e,
        ron_err_e,
        a00,
        a00_err: f.err(0, sc),
    }
}

fn turnoff_of(last: Option<&PtcPoint>, found: bool, gain: f64) -> Turnoff {
    match last {
        Some(p) => Turnoff {
            found,
            mean_adu: p.mean_adu,
            var_adu2: p.var_adu2,
            mean_e: p.mean_adu * gain,
        },
        None => Turnoff {
            found: false,
            mean_adu: f64::NAN,
            var_adu2: f64::NAN,
            mean_e: f64::NAN,
        },
    }
}

/// Gain from a weighted cubic fit `V = b0 + b1 mu + b2 mu^2 + b3 mu^3` (a cross-check of the
/// PTC models): the cubic term absorbs the output non-linearity (a quadratic response error
/// makes the variance cubic), which biases vison's quadratic gain by up to ~2 % for a 1 %
/// non-linearity at full scale. Points with a positive finite mean and variance are fitted with
/// statistical sigmas `V sqrt(2 / n_pixels)` by [`linear_lsq`] (SVD, mean scaled to its
/// maximum); the error of `b1` is scaled by the reduced chi-square when that exceeds 1.
/// Returns `(gain_e_per_adu, gain_err_e_per_adu)`; NaN with fewer than 6 points or a failed fit.
#[must_use]
pub fn cubic_gain(points: &[PtcPoint]) -> (f64, f64) {
    let pts: Vec<&PtcPoint> = points
        .iter()
        .filter(|p| {
            p.mean_adu > 0.0 && p.var_adu2 > 0.0 && p.mean_adu.is_finite() && p.var_adu2.is_finite()
        })
        .collect();
    if pts.len() < 6 {
        return (f64::NAN, f64::NAN);
    }
    let scale = pts.iter().map(|p| p.mean_adu).fold(0.0, f64::max);
    let xs: Vec<f64> = pts.iter().map(|p| p.mean_adu / scale).collect();
    let ys: Vec<f64> = pts.iter().map(|p| p.var_adu2).collect();
    let sig: Vec<f64> = pts
        .iter()
        .map(|p| p.var_adu2 * (2.0 / (p.n_pixels.max(1) as f64)).sqrt())
        .collect();
    let basis = |x: f64, r: &mut [f64]| {
        r[0] = 1.0;
        r[1] = x;
        r[2] = x * x;
        r[3] = x * x * x;
    };
    let Ok(f) = linear_lsq("PTC cubic", &xs, &ys, &sig, 4, basis) else {
        return (f64::NAN, f64::NAN);
    };
    let b1 = f.params[1] / scale;
    let b1_err = f.err(1, false) * f.chi2_red().max(1.0).sqrt() / scale;
    (1.0 / b1, b1_err / (b1 * b1))
}

/// The largest relative gain error that is not POORFIT: the reference's `poor_gain_rel_err`
/// (1e-3), or `poor_gain_err_over_stat` times the error the pixel statistics allow
/// (`gain_err_stat / gain`), whichever is larger. A 256 x 256 quadrant cannot give a gain to
/// 1e-3 however good the data; its gain is poor when its error exceeds what its pixels allow.
#[must_use]
pub fn poor_gain_rel_err_limit(gain: f64, gain_err_stat: f64, config: &PtcFitConfig) -> f64 {
    let stat = config.poor_gain_err_over_stat * gain_err_stat / gain;
    if stat.is_finite() {
        config.poor_gain_rel_err.max(stat)
    } else {
        config.poor_gain_rel_err
    }
}

fn verdict(f: &LsqFit, d: &Derived, config: &PtcFitConfig, notes: &mut Vec<String>) -> FitQuality {
    let chi2_red = f.chi2_red();
    let mut quality = FitQuality::Ok;
    if !f.converged {
        notes.push("fit did not converge".to_owned());
        quality = FitQuality::BadFit;
    }
    if !(d.gain > 0.0 && d.gain.is_finite() && d.gain_err.is_finite()) {
        notes.push(format!("unphysical gain {} +/- {}", d.gain, d.gain_err));
        quality = FitQuality::BadFit;
    }
    if quality != FitQuality::Ok {
        return quality;
    }
    let rel = d.gain_err / d.gain;
    let limit = poor_gain_rel_err_limit(d.gain, d.gain_err_stat, config);
    if rel > limit {
        notes.push(format!(
            "relative gain error {rel:.2e} > {limit:.2e} (the larger of {:.1e} and {} x the \
             statistical {:.2e})",
            config.poor_gain_rel_err,
            config.poor_gain_err_over_stat,
            d.gain_err_stat / d.gain
        ));
        quality = FitQuality::PoorFit;
    }
    if chi2_red > config.poor_chi2_red {
        notes.push(format!(
            "reduced chi-square {chi2_red:.3} > {}",
            config.poor_chi2_red
        ));
        quality = FitQuality::PoorFit;
    }
    quality
}

fn bad_fit(model: PtcModel, n_total: usize, used: Vec<bool>, notes: Vec<String>) -> PtcFit {
    PtcFit {
        model,
        gain_e_per_adu: f64::NAN,
        gain_err_e_per_adu: f64::NAN,
        gain_err_stat_e_per_adu: f64::NAN,
        ron_adu: f64::NAN,
        ron_err_adu: f64::NAN,
        ron_e: f64::NAN,
        ron_err_e: f64::NAN,
        a00_per_e: f64::NAN,
        a00_err_per_e: f64::NAN,
        params: Vec::new(),
        param_cov: Vec::new(),
        chi2_red: f64::NAN,
        n_points_used: 0,
        n_points_total: n_total,
        used: used.iter().map(|_| false).collect(),
        turnoff: Turnoff {
            found: false,
            mean_adu: f64::NAN,
            var_adu2: f64::NAN,
            mean_e: f64::NAN,
        },
        quality: FitQuality::BadFit,
        notes,
    }
}

/// Settings of the full covariance model fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovModelConfig {
    /// Largest lag fitted (inclusive), pixels (Astier: 8).
    pub max_lag_px: usize,
    /// Settings of the lag-0 (exp-approx) fit that also selects the pairs below the turn-off.
    pub ptc: PtcFitConfig,
}

impl Default for CovModelConfig {
    fn default() -> Self {
        Self {
            max_lag_px: 8,
            ptc: PtcFitConfig::default(),
        }
    }
}

/// Result of the full covariance model fit (Astier et al. 2019 Eq. 20, leading order in a):
/// `C_00 = (exp(2 a00 mu g) - 1) / (2 a00 g^2) + n00 / g^2` and, for other lags,
/// `C_ij = a_ij mu^2 + n_ij` (ADU^2), fitted per lag on the pairs below the turn-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovModelFit {
    /// Largest lag fitted, pixels.
    pub max_lag_px: usize,
    /// a_ij per lag (row-major over (i, j), lag i along axis 0, j along axis 1), 1/e-;
    /// element 0 is a00 from the exp-approx fit.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub a_per_e: Vec<f64>,
    /// 1-sigma errors of a_ij, 1/e-.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub a_err_per_e: Vec<f64>,
    /// Constant (noise) terms n_ij / g^2 per lag, ADU^2 (element 0: read-noise variance).
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub noise_adu2: Vec<f64>,
    /// The lag-0 fit (gain, read noise, a00, turn-off, verdict).
    pub lag0: PtcFit,
    /// Number of pairs used per lag fit.
    pub n_pairs_used: usize,
    /// Sum of all a_ij over the full plane (by symmetry, 4x the off-axis terms), 1/e-; should be
    /// close to 0 for pure boundary shifts.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub a_sum_per_e: f64,
}

impl CovModelFit {
    /// a_ij at lag (i, j), 1/e-; NaN outside the fitted grid.
    #[must_use]
    pub fn a(&self, i: usize, j: usize) -> f64 {
        let side = self.max_lag_px + 1;
        if i >= side || j >= side {
            return f64::NAN;
        }
        self.a_per_e[i * side + j]
    }
}

/// Fit the full covariance model to a series of flat-pair covariance maps.
///
/// # Errors
/// Fewer than 5 pairs, maps smaller than `max_lag_px`, or invalid configuration. A failed lag-0
/// fit yields a `BadFit` verdict in `lag0` and NaN coefficients.
pub fn fit_covariance_model(
    pairs: &[PairCovariance],
    config: &CovModelConfig,
) -> Result<CovModelFit> {
    check_pairs(pairs, config.max_lag_px)?;
    let side = config.max_lag_px + 1;
    let points: Vec<PtcPoint> = pairs
        .iter()
        .map(|p| PtcPoint {
            mean_adu: p.mean_adu,
            var_adu2: p.var_adu2,
            n_pixels: p.n_valid_px,
        })
        .collect();
    let lag0 = fit_ptc(&points, PtcModel::ExpApprox, &config.ptc)?;
    let mut a = vec![f64::NAN; side * side];
    let mut a_err = vec![f64::NAN; side * side];
    let mut noise = vec![f64::NAN; side * side];
    let sel: Vec<&PairCovariance> = pairs
        .iter()
        .zip(&lag0.used)
        .filter(|(_, u)| **u)
        .map(|(p, _)| p)
        .collect();
    if lag0.quality != FitQuality::BadFit {
        a[0] = lag0.a00_per_e;
        a_err[0] = lag0.a00_err_per_e;
        noise[0] = lag0.ron_adu * lag0.ron_adu;
        for k in 1..side * side {
            let (i, j) = (k / side, k % side);
            if let Some((ak, ek, nk)) = fit_lag(&sel, i, j, config.ptc.scale_errors_by_chi2) {
                (a[k], a_err[k], noise[k]) = (ak, ek, nk);
            }
        }
    }
    let a_sum = a_sum_all_quadrants(&a, side);
    Ok(CovModelFit {
        max_lag_px: config.max_lag_px,
        a_per_e: a,
        a_err_per_e: a_err,
        noise_adu2: noise,
        n_pairs_used: sel.len(),
        lag0,
        a_sum_per_e: a_sum,
    })
}

/// At least 5 pairs, each with covariance maps reaching `max_lag_px`.
fn check_pairs(pairs: &[PairCovariance], max_lag_px: usize) -> Result<()> {
    if pairs.len() < 5 {
        return Err(Error::TooSmall {
            what: "flat pairs for the covariance model",
            got: pairs.len(),
            need: 5,
        });
    }
    if let Some(p) = pairs.iter().find(|p| p.max_lag_px < max_lag_px) {
        return Err(Error::TooSmall {
            what: "covariance map lags",
            got: p.max_lag_px,
            need: max_lag_px,
        });
    }
    Ok(())
}

/// Fit `C(i, j) = noise + a mu^2` over the selected pairs (sigma `var / sqrt(n_pairs)`):
/// `(a, a_err, noise)`, or `None` (logged) if the fit fails.
fn fit_lag(
    sel: &[&PairCovariance],
    i: usize,
    j: usize,
    scale_errors_by_chi2: bool,
) -> Option<(f64, f64, f64)> {
    let xs: Vec<f64> = sel.iter().map(|p| p.mean_adu).collect();
    let ys: Vec<f64> = sel.iter().map(|p| p.cov(i, j)).collect();
    let sig: Vec<f64> = sel
        .iter()
        .map(|p| {
            let np = p.n_pairs[i * (p.max_lag_px + 1) + j].max(1) as f64;
            p.var_adu2.max(1e-12) / np.sqrt()
        })
        .collect();
    match linear_lsq("covariance lag", &xs, &ys, &sig, 2, |x, r| {
        r[0] = 1.0;
        r[1] = x * x;
    }) {
        Ok(f) => Some((f.params[1], f.err(1, scale_errors_by_chi2), f.params[0])),
        Err(e) => {
            tracing::warn!(i, j, error = %e, "covariance lag fit failed");
            None
        }
    }
}

/// Sum of a_ij over all four quadrants (lags on the axes counted twice, others four times).
fn a_sum_all_quadrants(a: &[f64], side: usize) -> f64 {
    let mut a_sum = 0.0;
    for i in 0..side {
        for j in 0..side {
            let mult = match (i, j) {
                (0, 0) => 1.0,
                (0, _) | (_, 0) => 2.0,
                _ => 4.0,
            };
            a_sum += mult * a[i * side + j];
        }
    }
    a_sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_gain_recovers_an_exact_cubic() {
        let pts: Vec<PtcPoint> = (1..30)
            .map(|k| {
                let mu = 5000.0 * f64::from(k);
                PtcPoint {
                    mean_adu: mu,
                    var_adu2: 20.0 + mu / 3.1 + 1e-7 * mu * mu - 2e-13 * mu * mu * mu,
                    n_pixels: 60_000,
                }
            })
            .collect();
        let (g, e) = cubic_gain(&pts);
        assert!((g - 3.1).abs() < 1e-9, "{g}");
        // Independent error: normal equations in x = mu / 1e5, inverse by nalgebra's LU; exact
        // data give chi2_red < 1, so no scaling. var(b1) = var(b1_x) / 1e10, d gain = d b1 / b1^2.
        let mut ata = nalgebra::Matrix4::<f64>::zeros();
        for p in &pts {
            let w = 1.0 / (p.var_adu2 * p.var_adu2 * 2.0 / 60_000.0);
            let x = p.mean_adu / 1e5;
            let row = nalgebra::Vector4::new(1.0, x, x * x, x * x * x);
            ata += row * row.transpose() * w;
        }
        let var_b1 = ata.try_inverse().unwrap()[(1, 1)] / 1e10;
        let expect = var_b1.sqrt() * 3.1 * 3.1;
        assert!((e - expect).abs() < 1e-6 * expect, "{e} vs {expect}");
        // More pixels per point: smaller sigmas, a proportionally smaller error (chi2_red < 1).
        let more: Vec<PtcPoint> = pts
            .iter()
            .map(|p| PtcPoint {
                n_pixels: 240_000,
                ..*p
            })
            .collect();
        let (g4, e4) = cubic_gain(&more);
        assert!(
            (g4 - 3.1).abs() < 1e-9 && (e4 / e - 0.5).abs() < 1e-6,
            "{g4} {e4} {e}"
        );
        assert!(cubic_gain(&pts[..5]).0.is_nan());
    }

    fn synth(gain: f64, ron: f64, a00: f64, means: &[f64]) -> Vec<PtcPoint> {
        means
            .iter()
            .map(|&mu| PtcPoint {
                mean_adu: mu,
                var_adu2: exp_model(&[a00, gain, ron * ron * gain * gain], mu),
                n_pixels: 90_000,
            })
            .collect()
    }

    #[test]
    fn exact_points_recover_parameters() {
        let means: Vec<f64> = (1..40).map(|k| f64::from(k) * 1500.0).collect();
        let pts = synth(3.1, 4.5, -1.5e-6, &means);
        let f = fit_ptc(&pts, PtcModel::ExpApprox, &PtcFitConfig::default()).unwrap();
        assert!((f.gain_e_per_adu - 3.1).abs() < 1e-6, "{f:?}");
        assert!((f.ron_adu - 4.5).abs() < 1e-4);
        assert!((f.a00_per_e + 1.5e-6).abs() < 1e-10);
        assert!(!f.turnoff.found);
        let q = fit_ptc(&pts, PtcModel::Quadratic, &PtcFitConfig::default()).unwrap();
        // The quadratic is only an approximation of the exponential curve.
        assert!(
            (q.gain_e_per_adu - 3.1).abs() / 3.1 < 3e-2,
            "{}",
            q.gain_e_per_adu
        );
        let lin = synth(3.1, 4.5, 0.0, &means);
        let q0 = fit_ptc(&lin, PtcModel::Quadratic, &PtcFitConfig::default()).unwrap();
        assert!((q0.gain_e_per_adu - 3.1).abs() < 1e-6);
        assert!((q0.ron_adu - 4.5).abs() < 1e-6);
    }

    #[test]
    fn gain_error_is_sigma_a1_over_a1_squared() {
        let means: Vec<f64> = (1..30).map(|k| f64::from(k) * 1000.0).collect();
        let mut pts = synth(2.0, 3.0, 0.0, &means);
        for (k, p) in pts.iter_mut().enumerate() {
            p.var_adu2 *= 1.0 + 0.003 * if k % 2 == 0 { 1.0 } else { -1.0 };
        }
        let f = fit_ptc(&pts, PtcModel::Quadratic, &PtcFitConfig::default()).unwrap();
        let a1 = f.params[1];
        let s_a1 = f.param_cov[4].sqrt();
        assert!((f.gain_err_e_per_adu - s_a1 / (a1 * a1)).abs() < 1e-15);
        assert!(f.gain_err_e_per_adu > 0.0);
    }

    #[test]
    fn noisy_points_do_not_end_the_curve() {
        // Variances scattered by up to 3 % while their nominal errors say 0.47 %, then saturation.
        let means: Vec<f64> = (1..=60).map(|k| f64::from(k) * 1000.0).collect();
        let mut pts = synth(3.1, 4.5, -1e-6, &means);
        let mut state = 12345u64;
        for p in &mut pts {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            p.var_adu2 *= 1.0 + 0.06 * (u - 0.5);
        }
        for k in 0..6 {
            pts.push(PtcPoint {
                mean_adu: 61_000.0 + 500.0 * f64::from(k),
                var_adu2: 2000.0 / (1.0 + f64::from(k)),
                n_pixels: 90_000,
            });
        }
        let robust = fit_ptc(&pts, PtcModel::ExpApprox, &PtcFitConfig::default()).unwrap();
        assert!(robust.turnoff.found);
        assert_eq!(robust.turnoff.mean_adu, 60_000.0);
        assert!(robust.n_points_used >= 58, "{}", robust.n_points_used);
        assert!((robust.gain_e_per_adu - 3.1).abs() / 3.1 < 0.01);
        let strict = PtcFitConfig {
            robust_scale: false,
            ..PtcFitConfig::default()
        };
        let s = fit_ptc(&pts, PtcModel::ExpApprox, &strict).unwrap();
        assert!(s.n_points_used < robust.n_points_used);
    }

    #[test]
    fn garbage_gives_badfit_not_error() {
        let pts = vec![
            PtcPoint {
                mean_adu: f64::NAN,
                var_adu2: 1.0,
                n_pixels: 10,
            };
            3
        ];
        let f = fit_ptc(&pts, PtcModel::ExpApprox, &PtcFitConfig::default()).unwrap();
        assert_eq!(f.quality, FitQuality::BadFit);
        assert!(f.gain_e_per_adu.is_nan());
    }
}
