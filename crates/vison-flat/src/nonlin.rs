//! Non-linearity from an exposure-time series with stability monitoring frames
//! (reference 4.10, 6.5).
//!
//! Procedure ([`fit_nonlinearity`]):
//! 1. The mean background (zero exposure-time frames) is subtracted from every signal.
//! 2. Source drift: a polynomial of the stability-frame signal vs elapsed time, normalised to its
//!    mean over the stability frames, gives a drift factor `d(t)`; the effective exposure of a
//!    fluence frame is `x = exptime d(t)` (seconds).
//!    With several filters (NL02: the open filter at low fluences, 880 nm from 15 % up) the
//!    source flux differs per filter (~10x): `x = r_f exptime d(t)` in seconds of the reference
//!    filter (the stability frames' filter), where the flux ratio `r_f` of every other filter is
//!    fitted jointly with the response (the filters share one detector response `S(x)`; the
//!    columns both filters take fix the ratio), see [`FilterScale`].
//! 3. Response: the fluence frames inside the fit range are fitted by `S(x) = sum_k c_k x^k`
//!    (`k = 0..degree`, weighted least squares); the linear reference is `c0 + c1 x` (the
//!    response at low signal), and the fractional non-linearity is `(S - c0) / (c1 x) - 1`.
//! 4. Correction product: a polynomial `L(S)` mapping a measured (offset-subtracted) signal to the
//!    linearised signal `c0 + c1 x`, with its valid signal range.
//!
//! The original NL01 fit is broken (its fitting wrapper is commented out); this is a working
//! re-implementation validated on synthetic series with drift and noise.

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentOpt;
use ndarray::ArrayViewMut2;
use serde::{Deserialize, Serialize};

use crate::lsq::{FitQuality, linear_lsq};
use crate::stats::mean_var;
use crate::{Error, Result};

/// Role of a frame in the non-linearity sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameRole {
    /// Zero exposure time: background.
    Background,
    /// Stability monitoring frame (the most repeated non-zero exposure time).
    Stability,
    /// Fluence frame.
    Fluence,
}

/// One frame of the sequence, reduced to a signal (e.g. the median of a quadrant or tile).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NonlinFrame {
    /// Role of the frame.
    pub role: FrameRole,
    /// Exposure time, s.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub exptime_s: f64,
    /// Acquisition time since the start of the sequence, s.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub time_s: f64,
    /// Offset-subtracted signal, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub signal_adu: f64,
    /// 1-sigma error of the signal, ADU (0 = unknown: sqrt(signal) is used).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub signal_err_adu: f64,
    /// Filter of the exposure (OGSE filter index, script `wave`): frames of different filters
    /// see different source fluxes. One value for every frame of a single-filter sequence.
    #[serde(default)]
    pub filter: i64,
}

/// Roles from exposure times as in vison: 0 = background, the most repeated non-zero exposure
/// time = stability frames, all others = fluence frames (one filter; see
/// [`classify_frames_per_filter`]).
#[must_use]
pub fn classify_frames(exptimes_s: &[f64]) -> Vec<FrameRole> {
    classify_frames_per_filter(&vec![0; exptimes_s.len()], exptimes_s)
}

fn same_time(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs())
}

/// Roles from filters and exposure times: 0 s = background, the most repeated non-zero
/// (filter, exposure time) setting = stability frames (reference 4.10: the STAB frames are at
/// one filter and time), all others = fluence frames. A fluence column of another filter at
/// the stability time stays a fluence column; a fluence column at the very stability setting
/// (NL02's 50 % column at 880 nm) cannot be told apart this way: see
/// [`classify_frames_by_column`]. Ties go to the shorter time.
///
/// # Panics
/// If the slices differ in length.
#[must_use]
pub fn classify_frames_per_filter(filters: &[i64], exptimes_s: &[f64]) -> Vec<FrameRole> {
    assert_eq!(
        filters.len(),
        exptimes_s.len(),
        "one filter per exposure time"
    );
    let mut counts: Vec<((i64, f64), usize)> = Vec::new();
    for (&f, &t) in filters.iter().zip(exptimes_s).filter(|(_, t)| **t > 0.0) {
        match counts
            .iter_mut()
            .find(|((cf, ct), _)| *cf == f && same_time(*ct, t))
        {
            Some(c) => c.1 += 1,
            None => counts.push(((f, t), 1)),
        }
    }
    let stab = counts
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.1.total_cmp(&a.0.1)))
        .map(|c| c.0);
    filters
        .iter()
        .zip(exptimes_s)
        .map(|(&f, &t)| {
            if t <= 0.0 {
                FrameRole::Background
            } else if stab.is_some_and(|(sf, st)| sf == f && same_time(st, t)) {
                FrameRole::Stability
            } else {
                FrameRole::Fluence
            }
        })
        .collect()
}

/// Role named by a script column's comment (reference 4.10: `BGD`, `STAB`, `Fluence<i>`).
#[must_use]
pub fn role_of_column_comment(comment: &str) -> Option<FrameRole> {
    let c = comment.trim();
    if c.eq_ignore_ascii_case("BGD") {
        Some(FrameRole::Background)
    } else if c.eq_ignore_ascii_case("STAB") {
        Some(FrameRole::Stability)
    } else if c.len() >= 7 && c[..7].eq_ignore_ascii_case("Fluence") {
        Some(FrameRole::Fluence)
    } else {
        None
    }
}

/// Roles from the script column of every frame (its comment, see [`role_of_column_comment`])
/// when every frame's column names its role; otherwise from filters and exposure times
/// ([`classify_frames_per_filter`]). A zero exposure time is always background.
///
/// # Panics
/// If the slices differ in length.
#[must_use]
pub fn classify_frames_by_column(
    filters: &[i64],
    exptimes_s: &[f64],
    comments: &[Option<&str>],
) -> Vec<FrameRole> {
    assert_eq!(comments.len(), exptimes_s.len(), "one comment per exposure");
    let named: Option<Vec<FrameRole>> = comments
        .iter()
        .map(|c| c.and_then(role_of_column_comment))
        .collect();
    match named {
        Some(roles) if !roles.is_empty() => roles
            .into_iter()
            .zip(exptimes_s)
            .map(|(r, &t)| if t <= 0.0 { FrameRole::Background } else { r })
            .collect(),
        _ => classify_frames_per_filter(filters, exptimes_s),
    }
}

/// Settings of the non-linearity fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NonlinConfig {
    /// Degree of the response polynomial and of the correction polynomial (vison: 4).
    pub degree: usize,
    /// Lowest signal used in the fit, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub fit_min_adu: f64,
    /// Highest signal used in the fit, ADU (vison: 65536 - 10000).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub fit_max_adu: f64,
    /// Degree of the drift polynomial (vison: 2); lowered automatically for few stability
    /// frames; 0 with no stability frames means no drift correction.
    pub drift_degree: usize,
    /// POORFIT if the RMS fractional residual of the fit exceeds this.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub poor_rms_frac: f64,
}

impl Default for NonlinConfig {
    fn default() -> Self {
        Self {
            degree: 4,
            fit_min_adu: 250.0,
            fit_max_adu: 55_536.0,
            drift_degree: 2,
            poor_rms_frac: 1e-3,
        }
    }
}

/// One fluence frame of the result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NonlinPoint {
    /// Exposure time, s.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub exptime_s: f64,
    /// Acquisition time, s.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub time_s: f64,
    /// Drift factor applied (1 = no drift).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub drift_factor: f64,
    /// Background-subtracted signal, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub signal_adu: f64,
    /// Linear expectation `c0 + c1 x`, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub linear_adu: f64,
    /// Measured fractional non-linearity `(S - c0) / (c1 x) - 1`.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub nonlin_frac: f64,
    /// Fractional residual of the fit `(S - S_fit) / S`.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub residual_frac: f64,
    /// Whether the point entered the fit.
    pub used: bool,
    /// Filter of the exposure.
    #[serde(default)]
    pub filter: i64,
    /// Effective exposure `x = r_f exptime d(t)` on the fluence axis, s of the reference filter
    /// (`exptime d(t)` for a single filter); the argument of [`NonlinResult::response_adu`].
    #[serde(default, deserialize_with = "crate::nan::f64")]
    pub exposure_s: f64,
}

/// Flux of a filter relative to the reference filter: its exposure times are multiplied by
/// `scale` on the fluence axis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FilterScale {
    /// Filter (OGSE filter index).
    pub filter: i64,
    /// Flux ratio to the reference filter (1 for the reference filter).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub scale: f64,
    /// Fluence frames of the filter inside the fit range.
    pub n_used: usize,
}

/// Non-linearity correction product: `L(S) = sum_k q_k S^k` for `S` in the valid range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NonlinCorrection {
    /// Coefficients in ascending powers of the measured signal in ADU.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub coefficients: Vec<f64>,
    /// Lowest measured signal the correction is valid for, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub valid_min_adu: f64,
    /// Highest measured signal the correction is valid for, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub valid_max_adu: f64,
}

impl NonlinCorrection {
    /// Linearised signal for a measured signal, ADU (the polynomial is applied outside the valid
    /// range too; check [`Self::is_valid`]).
    #[must_use]
    pub fn correct_adu(&self, signal_adu: f64) -> f64 {
        self.coefficients
            .iter()
            .rev()
            .fold(0.0, |acc, c| acc * signal_adu + c)
    }

    /// Whether a signal lies inside the valid range.
    #[must_use]
    pub fn is_valid(&self, signal_adu: f64) -> bool {
        signal_adu >= self.valid_min_adu && signal_adu <= self.valid_max_adu
    }

    /// Fractional non-linearity at a measured signal, `S / L(S) - 1`.
    #[must_use]
    pub fn nonlin_frac(&self, signal_adu: f64) -> f64 {
        signal_adu / self.correct_adu(signal_adu) - 1.0
    }

    /// Correct an image in place (pixels outside the valid range are corrected by the
    /// polynomial as well, non-finite pixels are left alone).
    pub fn apply(&self, mut image: ArrayViewMut2<'_, f32>) {
        image.par_mapv_inplace(|v| {
            if v.is_finite() {
                self.correct_adu(f64::from(v)) as f32
            } else {
                v
            }
        });
    }
}

/// Result of the non-linearity analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NonlinResult {
    /// Mean background subtracted, ADU (0 without background frames).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub background_adu: f64,
    /// Drift polynomial coefficients (ascending powers of time in s) of the stability signal, ADU.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub drift_coeffs_adu: Vec<f64>,
    /// Scatter of the stability signal, 100 x std / mean, per cent.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub stability_pc: f64,
    /// Filter whose exposure time is the fluence axis `x` (the stability frames' filter, else
    /// the filter reaching the highest signal; the only filter of a single-filter sequence).
    #[serde(default)]
    pub reference_filter: i64,
    /// Per filter of the fluence frames, its flux relative to the reference filter (fitted
    /// jointly with the response when there are several filters).
    #[serde(default)]
    pub filter_scales: Vec<FilterScale>,
    /// Response polynomial `S(x)` coefficients, ascending powers of `x` in s, ADU.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub response_coeffs: Vec<f64>,
    /// Linear slope c1 (flux of the reference filter at low signal), ADU/s.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub linear_slope_adu_per_s: f64,
    /// Per fluence frame.
    pub points: Vec<NonlinPoint>,
    /// Largest |non-linearity| of the fitted curve within the fit range, per cent.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub max_abs_nonlin_pc: f64,
    /// Signal at that maximum, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub signal_at_max_nonlin_adu: f64,
    /// RMS fractional residual of the fitted points.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub rms_residual_frac: f64,
    /// Correction product.
    pub correction: NonlinCorrection,
    /// Verdict.
    pub quality: FitQuality,
    /// Notes on the verdict.
    pub notes: Vec<String>,
}

impl NonlinResult {
    /// Fitted response at an effective exposure x = exptime x drift, ADU.
    #[must_use]
    pub fn response_adu(&self, x_s: f64) -> f64 {
        self.response_coeffs
            .iter()
            .rev()
            .fold(0.0, |acc, c| acc * x_s + c)
    }

    /// Fitted fractional non-linearity at an effective exposure, `(S - c0) / (c1 x) - 1`.
    #[must_use]
    pub fn nonlin_frac_at(&self, x_s: f64) -> f64 {
        let c0 = self.response_coeffs.first().copied().unwrap_or(0.0);
        (self.response_adu(x_s) - c0) / (self.linear_slope_adu_per_s * x_s) - 1.0
    }
}

fn poly_basis(x: f64, row: &mut [f64]) {
    let mut v = 1.0;
    for r in row.iter_mut() {
        *r = v;
        v *= x;
    }
}

/// Reference filter of the fluence axis: the most frequent filter of the stability frames if
/// it has fluence frames in the fit range, else the filter reaching the highest fitted signal.
fn reference_filter(
    stab: &[&NonlinFrame],
    fl: &[&NonlinFrame],
    ss: &[f64],
    used: &[bool],
    filters: &[(i64, usize)],
) -> i64 {
    let mut counts: Vec<(i64, usize)> = Vec::new();
    for f in stab {
        match counts.iter_mut().find(|c| c.0 == f.filter) {
            Some(c) => c.1 += 1,
            None => counts.push((f.filter, 1)),
        }
    }
    let stab_filter = counts.iter().max_by_key(|c| c.1).map(|c| c.0);
    if let Some(sf) = stab_filter
        && filters.iter().any(|(f, n)| *f == sf && *n > 0)
    {
        return sf;
    }
    fl.iter()
        .zip(ss)
        .zip(used)
        .filter(|(_, u)| **u)
        .max_by(|a, b| a.0.1.total_cmp(b.0.1))
        .map_or_else(
            || filters.first().map_or(0, |f| f.0),
            |((f, _), _)| f.filter,
        )
}

fn median(v: Vec<f64>) -> f64 {
    vison_ccd::clip::median_f64(&v)
}

/// First guess of the flux ratio of `filter` to `reference`: the ratio of the median signal
/// rates (signal / effective exposure) of each filter's frames nearest in signal to the other
/// filter's range (the frames of the shared signal range, where both see the same
/// non-linearity); frames in the fit range, or all positive ones for a filter without any.
fn initial_flux_ratio(
    filter: i64,
    reference: i64,
    fl: &[&NonlinFrame],
    base_x: &[f64],
    ss: &[f64],
    used: &[bool],
) -> f64 {
    let of = |g: i64| -> Vec<(f64, f64)> {
        let all: Vec<(f64, f64, bool)> = (0..fl.len())
            .filter(|&k| fl[k].filter == g && ss[k] > 0.0 && base_x[k] > 0.0)
            .map(|k| (ss[k], ss[k] / base_x[k], used[k]))
            .collect();
        let any_used = all.iter().any(|p| p.2);
        all.into_iter()
            .filter(|p| p.2 || !any_used)
            .map(|p| (p.0, p.1))
            .collect()
    };
    let (a, b) = (of(filter), of(reference));
    let range = |v: &[(f64, f64)]| {
        v.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p.0), hi.max(p.0))
            })
    };
    let nearest_rate = |v: &[(f64, f64)], (lo, hi): (f64, f64)| {
        let dist = |s: f64| (lo - s).max(s - hi).max(0.0);
        let mut d: Vec<(f64, f64)> = v.iter().map(|p| (dist(p.0), p.1)).collect();
        d.sort_by(|x, y| x.0.total_cmp(&y.0));
        let inside = d.iter().take_while(|p| p.0 == 0.0).count();
        median(d.iter().take(inside.max(4)).map(|p| p.1).collect())
    };
    let r = nearest_rate(&a, range(&b)) / nearest_rate(&b, range(&a));
    if r.is_finite() && r > 0.0 {
        r
    } else {
        f64::NAN
    }
}

/// A 1-D cost for argmin; non-finite values become a large finite one, which Brent's parabolic
/// steps can handle.
struct Cost1d<F>(F);

impl<F: Fn(f64) -> f64> CostFunction for Cost1d<F> {
    type Param = f64;
    type Output = f64;

    fn cost(&self, x: &f64) -> std::result::Result<f64, argmin::core::Error> {
        let v = (self.0)(*x);
        Ok(if v.is_finite() { v } else { 1e150 })
    }
}

/// Minimum of a unimodal function on `[lo, hi]` by Brent's method (argmin's `BrentOpt`), to
/// `tol_x` absolute plus `sqrt(machine epsilon)` relative in x; the midpoint if the search fails.
fn brent_min(f: impl Fn(f64) -> f64, lo: f64, hi: f64, tol_x: f64) -> f64 {
    let solver = BrentOpt::new(lo, hi).set_tolerance(f64::EPSILON.sqrt(), tol_x);
    let best = Executor::new(Cost1d(f), solver)
        .configure(|s| s.max_iters(500))
        .run()
        .ok()
        .and_then(|res| res.state().get_best_param().copied());
    best.unwrap_or_else(|| {
        tracing::warn!(
            lo,
            hi,
            "Brent minimisation failed; using the bracket's midpoint"
        );
        0.5 * (lo + hi)
    })
}

/// Fit the non-linearity of a sequence (see the module documentation).
///
/// # Errors
/// Invalid configuration, or fewer fluence frames in the fit range than polynomial terms + 1.
pub fn fit_nonlinearity(frames: &[NonlinFrame], config: &NonlinConfig) -> Result<NonlinResult> {
    check_nonlin_config(config)?;
    let finite: Vec<&NonlinFrame> = frames
        .iter()
        .filter(|f| f.signal_adu.is_finite() && f.exptime_s.is_finite() && f.time_s.is_finite())
        .collect();
    let bg: Vec<f64> = finite
        .iter()
        .filter(|f| f.role == FrameRole::Background)
        .map(|f| f.signal_adu)
        .collect();
    let background = if bg.is_empty() { 0.0 } else { mean_var(&bg).0 };
    let stab: Vec<&NonlinFrame> = finite
        .iter()
        .copied()
        .filter(|f| f.role == FrameRole::Stability)
        .collect();
    let mut notes = Vec::new();
    let drift = Drift::fit(frames, &stab, background, config, &mut notes)?;
    let fl = FluenceSet::new(&finite, background, &drift, config)?;
    let nterms = config.degree + 1;
    let reference = reference_filter(&stab, &fl.frames, &fl.signal_adu, &fl.used, &fl.filters);
    let scales = fl.fit_flux_ratios(reference, nterms);
    for (k, (f, n)) in fl.filters.iter().enumerate() {
        if *f != reference && *n == 0 {
            notes.push(format!(
                "filter {f}: no fluence frame in the fit range, flux ratio {:.4} from the \
                 nearest frames",
                scales[k]
            ));
        }
    }
    let (coeffs, _, xs_all) = fl.fit_response(&scales, nterms)?;
    let (points, rms) = fl.points(&coeffs, &xs_all, &drift);
    let (correction, max_nl, s_at_max) = correction_of(&coeffs, &xs_all, &fl.used, nterms)?;
    let c1 = coeffs[1];
    let quality = nonlin_verdict(c1, rms, config, &mut notes);
    tracing::debug!(c1, rms, max_nl, ?quality, "non-linearity fit");
    Ok(NonlinResult {
        background_adu: background,
        drift_coeffs_adu: drift.coeffs,
        stability_pc: drift.stability_pc,
        reference_filter: reference,
        filter_scales: fl
            .filters
            .iter()
            .zip(&scales)
            .map(|((filter, n_used), scale)| FilterScale {
                filter: *filter,
                scale: *scale,
                n_used: *n_used,
            })
            .collect(),
        response_coeffs: coeffs,
        linear_slope_adu_per_s: c1,
        points,
        max_abs_nonlin_pc: 100.0 * max_nl.abs(),
        signal_at_max_nonlin_adu: s_at_max,
        rms_residual_frac: rms,
        correction,
        quality,
        notes,
    })
}

fn check_nonlin_config(config: &NonlinConfig) -> Result<()> {
    if config.degree == 0 || config.degree > 8 {
        return Err(Error::InvalidConfig {
            key: "degree",
            value: config.degree.to_string(),
            reason: "must be in 1..=8",
        });
    }
    if config.fit_max_adu.partial_cmp(&config.fit_min_adu) != Some(std::cmp::Ordering::Greater) {
        return Err(Error::InvalidConfig {
            key: "fit_max_adu",
            value: config.fit_max_adu.to_string(),
            reason: "must exceed fit_min_adu",
        });
    }
    Ok(())
}

/// Source drift from the stability frames: a polynomial of their signal against time.
struct Drift {
    /// Coefficients in ascending powers of time in s, ADU.
    coeffs: Vec<f64>,
    /// Scatter of the stability signal, per cent.
    stability_pc: f64,
    /// Mean of the polynomial over the stability frames (normalises the drift factor).
    norm: f64,
}

impl Drift {
    fn fit(
        frames: &[NonlinFrame],
        stab: &[&NonlinFrame],
        background: f64,
        config: &NonlinConfig,
        notes: &mut Vec<String>,
    ) -> Result<Self> {
        if stab.is_empty() {
            notes.push("no stability frames: no drift correction".to_owned());
            return Ok(Drift {
                coeffs: vec![1.0],
                stability_pc: f64::NAN,
                norm: 1.0,
            });
        }
        // Time scaled to [0, 1] for conditioning, converted back afterwards.
        let t_scale = frames
            .iter()
            .map(|f| f.time_s.abs())
            .fold(0.0, f64::max)
            .max(1.0);
        let ts: Vec<f64> = stab.iter().map(|f| f.time_s / t_scale).collect();
        let ss: Vec<f64> = stab.iter().map(|f| f.signal_adu - background).collect();
        let (m, v) = mean_var(&ss);
        let deg = config.drift_degree.min(stab.len().saturating_sub(1));
        let sig = vec![1.0; ts.len()];
        let fit = linear_lsq("drift polynomial", &ts, &ss, &sig, deg + 1, poly_basis)?;
        let coeffs: Vec<f64> = fit
            .params
            .iter()
            .enumerate()
            .map(|(k, c)| c / t_scale.powi(k as i32))
            .collect();
        let mut d = Drift {
            coeffs,
            stability_pc: 100.0 * v.sqrt() / m,
            norm: 1.0,
        };
        d.norm = stab.iter().map(|f| d.poly(f.time_s)).sum::<f64>() / stab.len() as f64;
        Ok(d)
    }

    fn poly(&self, t: f64) -> f64 {
        self.coeffs.iter().rev().fold(0.0, |acc, c| acc * t + c)
    }

    /// Drift factor at time `t_s` (1 where the polynomial is not usable).
    fn factor(&self, t_s: f64) -> f64 {
        let d = self.poly(t_s) / self.norm;
        if d.is_finite() && d > 0.0 { d } else { 1.0 }
    }
}

/// The fluence frames of a sequence on the drift-corrected exposure axis.
struct FluenceSet<'a> {
    frames: Vec<&'a NonlinFrame>,
    /// Effective exposure `exptime d(t)` per frame, s of the frame's own filter.
    base_x: Vec<f64>,
    /// Background-subtracted signal, ADU.
    signal_adu: Vec<f64>,
    /// Inside the fit range.
    used: Vec<bool>,
    /// 1-sigma signal errors, ADU.
    errs: Vec<f64>,
    /// Filters with their number of frames in the fit range, sorted by filter.
    filters: Vec<(i64, usize)>,
    n_used: usize,
}

impl<'a> FluenceSet<'a> {
    fn new(
        finite: &[&'a NonlinFrame],
        background: f64,
        drift: &Drift,
        config: &NonlinConfig,
    ) -> Result<Self> {
        let frames: Vec<&NonlinFrame> = finite
            .iter()
            .copied()
            .filter(|f| f.role == FrameRole::Fluence && f.exptime_s > 0.0)
            .collect();
        let base_x: Vec<f64> = frames
            .iter()
            .map(|f| f.exptime_s * drift.factor(f.time_s))
            .collect();
        let signal_adu: Vec<f64> = frames.iter().map(|f| f.signal_adu - background).collect();
        let used: Vec<bool> = signal_adu
            .iter()
            .map(|s| *s >= config.fit_min_adu && *s <= config.fit_max_adu)
            .collect();
        let mut filters: Vec<(i64, usize)> = Vec::new();
        for (f, u) in frames.iter().zip(&used) {
            match filters.iter_mut().find(|(g, _)| *g == f.filter) {
                Some(e) => e.1 += usize::from(*u),
                None => filters.push((f.filter, usize::from(*u))),
            }
        }
        filters.sort_by_key(|f| f.0);
        let n_fitted_filters = filters.iter().filter(|f| f.1 > 0).count();
        let n_used = used.iter().filter(|u| **u).count();
        let need = config.degree + 2 + n_fitted_filters.saturating_sub(1);
        if n_used < need {
            return Err(Error::TooSmall {
                what: "fluence frames in the non-linearity fit range",
                got: n_used,
                need,
            });
        }
        let errs: Vec<f64> = frames
            .iter()
            .zip(&signal_adu)
            .map(|(f, s)| {
                if f.signal_err_adu > 0.0 {
                    f.signal_err_adu
                } else {
                    s.abs().max(1.0).sqrt()
                }
            })
            .collect();
        Ok(FluenceSet {
            frames,
            base_x,
            signal_adu,
            used,
            errs,
            filters,
            n_used,
        })
    }

    /// Response fit for given flux ratios (one per entry of `filters`): coefficients in
    /// ascending powers of x (s of the reference filter), chi^2 and x of every fluence frame.
    fn fit_response(&self, scales: &[f64], nterms: usize) -> Result<(Vec<f64>, f64, Vec<f64>)> {
        let xs: Vec<f64> = self
            .frames
            .iter()
            .zip(&self.base_x)
            .map(|(f, x)| {
                let k = self
                    .filters
                    .iter()
                    .position(|g| g.0 == f.filter)
                    .unwrap_or(0);
                x * scales[k]
            })
            .collect();
        let x_scale = xs
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        let (mut xu, mut su, mut eu) = (Vec::new(), Vec::new(), Vec::new());
        for (k, x) in xs.iter().enumerate().filter(|(k, _)| self.used[*k]) {
            xu.push(x / x_scale);
            su.push(self.signal_adu[k]);
            eu.push(self.errs[k]);
        }
        let fit = linear_lsq("non-linearity response", &xu, &su, &eu, nterms, poly_basis)?;
        let coeffs: Vec<f64> = fit
            .params
            .iter()
            .enumerate()
            .map(|(k, c)| c / x_scale.powi(k as i32))
            .collect();
        Ok((coeffs, fit.chi2, xs))
    }

    /// Flux ratios of the filters to `reference`: a first guess from the signal rates, then,
    /// for the other filters with frames in the fit range, 1-D minimisations of the response
    /// chi^2 in ln(ratio) (coordinate descent over the filters).
    fn fit_flux_ratios(&self, reference: i64, nterms: usize) -> Vec<f64> {
        let mut scales: Vec<f64> = self
            .filters
            .iter()
            .map(|(f, _)| {
                if *f == reference {
                    1.0
                } else {
                    initial_flux_ratio(
                        *f,
                        reference,
                        &self.frames,
                        &self.base_x,
                        &self.signal_adu,
                        &self.used,
                    )
                }
            })
            .collect();
        let free: Vec<usize> = (0..self.filters.len())
            .filter(|&k| self.filters[k].0 != reference && self.filters[k].1 > 0 && scales[k] > 0.0)
            .collect();
        let passes = if free.len() > 1 { 5 } else { 1 };
        for _ in 0..passes {
            for &k in &free {
                let mut centre = scales[k].ln();
                for _ in 0..8 {
                    let chi2 = |ln_r: f64| {
                        let mut sc = scales.clone();
                        sc[k] = ln_r.exp();
                        self.fit_response(&sc, nterms)
                            .map_or(f64::INFINITY, |f| f.1)
                    };
                    let half = 0.15;
                    let best = brent_min(chi2, centre - half, centre + half, 1e-10);
                    let at_edge = (best - centre).abs() > half - 1e-3;
                    centre = best;
                    if !at_edge {
                        break;
                    }
                }
                scales[k] = centre.exp();
            }
        }
        scales
    }

    /// The fluence frames against the fitted response, and the RMS fractional residual of
    /// the fitted ones.
    fn points(&self, coeffs: &[f64], xs: &[f64], drift: &Drift) -> (Vec<NonlinPoint>, f64) {
        let (c0, c1) = (coeffs[0], coeffs[1]);
        let resp = |x: f64| coeffs.iter().rev().fold(0.0, |acc, c| acc * x + c);
        let mut points = Vec::with_capacity(self.frames.len());
        let mut ss_res = 0.0;
        for (k, f) in self.frames.iter().enumerate() {
            let (x, s) = (xs[k], self.signal_adu[k]);
            let rf = (s - resp(x)) / s;
            if self.used[k] {
                ss_res += rf * rf;
            }
            points.push(NonlinPoint {
                exptime_s: f.exptime_s,
                time_s: f.time_s,
                drift_factor: drift.factor(f.time_s),
                signal_adu: s,
                linear_adu: c0 + c1 * x,
                nonlin_frac: (s - c0) / (c1 * x) - 1.0,
                residual_frac: rf,
                used: self.used[k],
                filter: f.filter,
                exposure_s: x,
            });
        }
        (points, (ss_res / self.n_used as f64).sqrt())
    }
}

/// Dense evaluation of the response over the fitted exposure range: the correction product
/// (the linear signal `c0 + c1 x` as a polynomial of the measured one), the largest
/// non-linearity and the signal where it occurs.
fn correction_of(
    coeffs: &[f64],
    xs: &[f64],
    used: &[bool],
    nterms: usize,
) -> Result<(NonlinCorrection, f64, f64)> {
    let (c0, c1) = (coeffs[0], coeffs[1]);
    let resp = |x: f64| coeffs.iter().rev().fold(0.0, |acc, c| acc * x + c);
    let xs_used = || xs.iter().zip(used).filter(|(_, u)| **u).map(|(x, _)| *x);
    let x_lo = xs_used().fold(f64::INFINITY, f64::min);
    let x_hi = xs_used().fold(0.0, f64::max);
    let ngrid = 400;
    let (mut gs, mut gl) = (Vec::with_capacity(ngrid), Vec::with_capacity(ngrid));
    let (mut max_nl, mut s_at_max) = (0.0_f64, f64::NAN);
    for k in 0..ngrid {
        let x = x_lo + (x_hi - x_lo) * k as f64 / (ngrid - 1) as f64;
        let s = resp(x);
        let nl = (s - c0) / (c1 * x) - 1.0;
        if nl.abs() > max_nl.abs() {
            max_nl = nl;
            s_at_max = s;
        }
        gs.push(s);
        gl.push(c0 + c1 * x);
    }
    let s_min = gs.iter().copied().fold(f64::INFINITY, f64::min);
    let s_max = gs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s_scale = s_max.abs().max(1.0);
    let gsn: Vec<f64> = gs.iter().map(|s| s / s_scale).collect();
    let gw = vec![1.0; gs.len()];
    let corr_fit = linear_lsq(
        "non-linearity correction",
        &gsn,
        &gl,
        &gw,
        nterms,
        poly_basis,
    )?;
    let coefficients: Vec<f64> = corr_fit
        .params
        .iter()
        .enumerate()
        .map(|(k, c)| c / s_scale.powi(k as i32))
        .collect();
    Ok((
        NonlinCorrection {
            coefficients,
            valid_min_adu: s_min,
            valid_max_adu: s_max,
        },
        max_nl,
        s_at_max,
    ))
}

fn nonlin_verdict(c1: f64, rms: f64, config: &NonlinConfig, notes: &mut Vec<String>) -> FitQuality {
    if c1.is_nan() || c1 <= 0.0 {
        notes.push(format!("non-positive linear slope {c1}"));
        FitQuality::BadFit
    } else if rms > config.poor_rms_frac {
        notes.push(format!(
            "RMS fractional residual {rms:.2e} > {:.2e}",
            config.poor_rms_frac
        ));
        FitQuality::PoorFit
    } else {
        FitQuality::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brent_min_finds_interior_and_edge_minima() {
        let x = brent_min(|x| (x - 0.123).powi(2) + 1.0, -0.15, 0.15, 1e-10);
        assert!((x - 0.123).abs() < 1e-7, "{x}");
        // Minimum beyond the bracket: the edge (the caller recentres).
        let x = brent_min(|x| (x - 1.0).powi(2), -0.15, 0.15, 1e-10);
        assert!((x - 0.15).abs() < 1e-6, "{x}");
        // Non-finite costs are avoided.
        let x = brent_min(
            |x| {
                if x < 0.0 {
                    f64::INFINITY
                } else {
                    (x - 0.05).powi(2)
                }
            },
            -0.15,
            0.15,
            1e-10,
        );
        assert!((x - 0.05).abs() < 1e-7, "{x}");
    }

    #[test]
    fn classify_like_vison() {
        let r = classify_frames(&[0.0, 0.0, 5.0, 1.0, 1.0, 5.0, 2.0, 5.0]);
        assert_eq!(
            r,
            vec![
                FrameRole::Background,
                FrameRole::Background,
                FrameRole::Stability,
                FrameRole::Fluence,
                FrameRole::Fluence,
                FrameRole::Stability,
                FrameRole::Fluence,
                FrameRole::Stability
            ]
        );
    }

    /// NL02-like script: BGD (0 s), STAB (filter 5, 3.6 s), filter 6 columns (one at the
    /// stability time), filter 5 columns including the 50 % one at the stability time.
    fn nl02_like() -> (Vec<i64>, Vec<f64>, Vec<Option<&'static str>>) {
        let mut f = vec![5, 5, 5, 5];
        let mut t = vec![0.0, 0.0, 0.0, 3.6];
        let mut c = vec![Some("BGD"); 3];
        c.push(Some("STAB"));
        for (filter, time) in [(6, 1.0), (6, 3.6), (5, 1.0), (5, 3.6), (5, 5.0)] {
            for _ in 0..4 {
                f.push(filter);
                t.push(time);
                c.push(Some("Fluence"));
            }
            f.push(5);
            t.push(3.6);
            c.push(Some("STAB"));
        }
        (f, t, c)
    }

    #[test]
    fn classify_per_filter_and_by_column() {
        let (f, t, c) = nl02_like();
        let per_filter = classify_frames_per_filter(&f, &t);
        let by_col = classify_frames_by_column(&f, &t, &c);
        for k in 0..t.len() {
            let want = match c[k] {
                Some("BGD") => FrameRole::Background,
                Some("STAB") => FrameRole::Stability,
                _ => FrameRole::Fluence,
            };
            assert_eq!(by_col[k], want, "frame {k}");
            // Per filter: the other filter's column at the stability time is a fluence column;
            // only the column at the very stability setting is taken for stability frames.
            let same_setting = f[k] == 5 && t[k] == 3.6;
            assert_eq!(
                per_filter[k] == FrameRole::Stability,
                same_setting,
                "frame {k}"
            );
        }
        // Without a role in every comment: the per-filter classification.
        let mut partial = c.clone();
        partial[5] = None;
        assert_eq!(classify_frames_by_column(&f, &t, &partial), per_filter);
        assert_eq!(
            role_of_column_comment("Fluence12"),
            Some(FrameRole::Fluence)
        );
        assert_eq!(role_of_column_comment(" stab "), Some(FrameRole::Stability));
        assert_eq!(role_of_column_comment("EXP3.6"), None);
        // One filter: as vison.
        let one = vec![0; t.len()];
        assert_eq!(classify_frames_per_filter(&one, &t), classify_frames(&t));
    }

    /// Simulator-like output non-linearity `L (1 + c1 x + c2 x^2)`, `x = L / 65536`.
    fn nl_out(l: f64) -> f64 {
        let x = l / 65_536.0;
        l * (1.0 - 0.012 * x - 0.004 * x * x)
    }

    /// NL02-like sequence: filter 6 (open, ~893 ADU/s) up to 20 %, filter 5 (880 nm,
    /// ~9100 ADU/s) from 15 %, STAB frames at filter 5 and 50 %, a 2 % source drift.
    fn two_filter_frames(flux_a: f64, flux_b: f64) -> Vec<NonlinFrame> {
        let t_a = 65_536.0 / flux_a;
        let t_b = 65_536.0 / flux_b;
        let mut plan: Vec<(FrameRole, i64, f64)> = vec![(FrameRole::Background, 5, 0.0); 3];
        plan.push((FrameRole::Stability, 5, 0.5 * t_b));
        let rel = [
            0.5, 0.7, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 20.0, 25.0, 50.0, 70.0, 80.0, 85.0, 90.0,
        ];
        for (filter, t_fwc, lo, hi) in [(6, t_a, 0.0, 20.0), (5, t_b, 15.0, 110.0)] {
            for r in rel.iter().filter(|r| **r >= lo && **r <= hi) {
                for _ in 0..4 {
                    plan.push((FrameRole::Fluence, filter, r / 100.0 * t_fwc));
                }
                plan.push((FrameRole::Stability, 5, 0.5 * t_b));
            }
        }
        let total = plan.len() as f64 * 60.0;
        plan.iter()
            .enumerate()
            .map(|(k, &(role, filter, t))| {
                let time = k as f64 * 60.0;
                let drift = 1.0 + 0.02 * time / total;
                let flux = if filter == 6 { flux_a } else { flux_b };
                // Deterministic +-1e-5 "noise" alternating between frames.
                let s = nl_out(flux * t * drift)
                    * (1.0 + 1e-5 * if k % 2 == 0 { 1.0 } else { -1.0 })
                    + 5.0;
                NonlinFrame {
                    role,
                    exptime_s: t,
                    time_s: time,
                    signal_adu: s,
                    signal_err_adu: 2e-5 * s + 0.05,
                    filter,
                }
            })
            .collect()
    }

    #[test]
    fn two_filters_share_one_curve() {
        let (flux_a, flux_b) = (893.0, 9102.0);
        let frames = two_filter_frames(flux_a, flux_b);
        let res = fit_nonlinearity(&frames, &NonlinConfig::default()).unwrap();
        assert_eq!(res.quality, FitQuality::Ok, "{:?}", res.notes);
        // Fluence axis in seconds of the stability filter; filter 6 scaled by its flux ratio.
        assert_eq!(res.reference_filter, 5);
        let sc: Vec<(i64, f64)> = res
            .filter_scales
            .iter()
            .map(|f| (f.filter, f.scale))
            .collect();
        assert_eq!(sc.len(), 2);
        assert_eq!(sc[0], (5, 1.0));
        assert!((sc[1].1 / (flux_a / flux_b) - 1.0).abs() < 2e-4, "{sc:?}");
        // The curve (as reported: S / L(S) - 1 at a measured signal) against the truth.
        for lin in [1_000.0, 10_000.0, 30_000.0, 50_000.0] {
            let want = nl_out(lin) / lin - 1.0;
            let got = res.correction.nonlin_frac(nl_out(lin));
            assert!((got - want).abs() < 1e-4, "{lin}: {got} vs {want}");
        }
        // Every point on the shared axis: the measured non-linearity follows the truth.
        for p in res.points.iter().filter(|p| p.used) {
            let l = p.linear_adu - res.response_coeffs[0];
            let want = nl_out(l) / l - 1.0;
            assert!((p.nonlin_frac - want).abs() < 2e-4, "{p:?}");
            assert!(
                (res.nonlin_frac_at(p.exposure_s) - want).abs() < 1e-4,
                "{p:?}"
            );
        }
    }

    #[test]
    fn two_filters_on_one_time_axis_are_wrong() {
        // The former behaviour: both filters' exposure times on one axis (one filter index).
        let frames: Vec<NonlinFrame> = two_filter_frames(893.0, 9102.0)
            .into_iter()
            .map(|f| NonlinFrame { filter: 0, ..f })
            .collect();
        let res = fit_nonlinearity(&frames, &NonlinConfig::default()).unwrap();
        let want = nl_out(30_000.0) / 30_000.0 - 1.0;
        let got = res.correction.nonlin_frac(nl_out(30_000.0));
        assert!((got - want).abs() > 1e-2, "{got} vs {want}");
    }

    #[test]
    fn correction_polynomial_evaluates() {
        let c = NonlinCorrection {
            coefficients: vec![1.0, 2.0, 3.0],
            valid_min_adu: 0.0,
            valid_max_adu: 10.0,
        };
        assert_eq!(c.correct_adu(2.0), 1.0 + 4.0 + 12.0);
        assert!(c.is_valid(5.0) && !c.is_valid(11.0));
    }
}
