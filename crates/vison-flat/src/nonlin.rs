//! Non-linearity from an exposure-time series with stability monitoring frames
//! (reference 4.10, 6.5).
//!
//! Procedure ([`fit_nonlinearity`]):
//! 1. The mean background (zero exposure-time frames) is subtracted from every signal.
//! 2. Source drift: a polynomial of the stability-frame signal vs elapsed time, normalised to its
//!    mean over the stability frames, gives a drift factor `d(t)`; the effective exposure of a
//!    fluence frame is `x = exptime d(t)` (seconds).
//! 3. Response: the fluence frames inside the fit range are fitted by `S(x) = sum_k c_k x^k`
//!    (`k = 0..degree`, weighted least squares); the linear reference is `c0 + c1 x` (the
//!    response at low signal), and the fractional non-linearity is `(S - c0) / (c1 x) - 1`.
//! 4. Correction product: a polynomial `L(S)` mapping a measured (offset-subtracted) signal to the
//!    linearised signal `c0 + c1 x`, with its valid signal range.
//!
//! The original NL01 fit is broken (its fitting wrapper is commented out); this is a working
//! re-implementation validated on synthetic series with drift and noise.

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
}

/// Roles from exposure times as in vison: 0 = background, the most repeated non-zero exposure
/// time = stability frames, all others = fluence frames.
#[must_use]
pub fn classify_frames(exptimes_s: &[f64]) -> Vec<FrameRole> {
    let mut counts: Vec<(f64, usize)> = Vec::new();
    for &t in exptimes_s.iter().filter(|t| **t > 0.0) {
        match counts
            .iter_mut()
            .find(|(v, _)| (v - t).abs() <= 1e-6 * t.abs())
        {
            Some(c) => c.1 += 1,
            None => counts.push((t, 1)),
        }
    }
    let stab = counts
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.total_cmp(&a.0)))
        .map(|c| c.0);
    exptimes_s
        .iter()
        .map(|&t| {
            if t <= 0.0 {
                FrameRole::Background
            } else if stab.is_some_and(|s| (s - t).abs() <= 1e-6 * s.abs()) {
                FrameRole::Stability
            } else {
                FrameRole::Fluence
            }
        })
        .collect()
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
    /// Response polynomial `S(x)` coefficients, ascending powers of `x` in s, ADU.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub response_coeffs: Vec<f64>,
    /// Linear slope c1 (flux at low signal), ADU/s.
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

/// Fit the non-linearity of a sequence (see the module documentation).
///
/// # Errors
/// Invalid configuration, or fewer fluence frames in the fit range than polynomial terms + 1.
pub fn fit_nonlinearity(frames: &[NonlinFrame], config: &NonlinConfig) -> Result<NonlinResult> {
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
    let finite = |f: &&NonlinFrame| {
        f.signal_adu.is_finite() && f.exptime_s.is_finite() && f.time_s.is_finite()
    };
    let bg: Vec<f64> = frames
        .iter()
        .filter(finite)
        .filter(|f| f.role == FrameRole::Background)
        .map(|f| f.signal_adu)
        .collect();
    let background = if bg.is_empty() { 0.0 } else { mean_var(&bg).0 };
    let stab: Vec<&NonlinFrame> = frames
        .iter()
        .filter(finite)
        .filter(|f| f.role == FrameRole::Stability)
        .collect();
    let mut notes = Vec::new();
    // Drift polynomial (in time scaled to [0, 1] for conditioning, converted back afterwards).
    let t_scale = frames
        .iter()
        .map(|f| f.time_s.abs())
        .fold(0.0, f64::max)
        .max(1.0);
    let (drift_coeffs, stability_pc) = if stab.is_empty() {
        notes.push("no stability frames: no drift correction".to_owned());
        (vec![1.0], f64::NAN)
    } else {
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
        (coeffs, 100.0 * v.sqrt() / m)
    };
    let drift_poly = |t: f64| drift_coeffs.iter().rev().fold(0.0, |acc, c| acc * t + c);
    let drift_norm = if stab.is_empty() {
        1.0
    } else {
        stab.iter().map(|f| drift_poly(f.time_s)).sum::<f64>() / stab.len() as f64
    };
    let fl: Vec<&NonlinFrame> = frames
        .iter()
        .filter(finite)
        .filter(|f| f.role == FrameRole::Fluence && f.exptime_s > 0.0)
        .collect();
    let drift_of = |t: f64| {
        let d = drift_poly(t) / drift_norm;
        if d.is_finite() && d > 0.0 { d } else { 1.0 }
    };
    let xs_all: Vec<f64> = fl
        .iter()
        .map(|f| f.exptime_s * drift_of(f.time_s))
        .collect();
    let ss_all: Vec<f64> = fl.iter().map(|f| f.signal_adu - background).collect();
    let used: Vec<bool> = ss_all
        .iter()
        .map(|s| *s >= config.fit_min_adu && *s <= config.fit_max_adu)
        .collect();
    let nterms = config.degree + 1;
    let n_used = used.iter().filter(|u| **u).count();
    if n_used < nterms + 1 {
        return Err(Error::TooSmall {
            what: "fluence frames in the non-linearity fit range",
            got: n_used,
            need: nterms + 1,
        });
    }
    let x_scale = xs_all
        .iter()
        .copied()
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let (mut xu, mut su, mut eu) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..fl.len() {
        if used[k] {
            xu.push(xs_all[k] / x_scale);
            su.push(ss_all[k]);
            let e = fl[k].signal_err_adu;
            eu.push(if e > 0.0 {
                e
            } else {
                ss_all[k].abs().max(1.0).sqrt()
            });
        }
    }
    let fit = linear_lsq("non-linearity response", &xu, &su, &eu, nterms, poly_basis)?;
    let coeffs: Vec<f64> = fit
        .params
        .iter()
        .enumerate()
        .map(|(k, c)| c / x_scale.powi(k as i32))
        .collect();
    let c0 = coeffs[0];
    let c1 = coeffs[1];
    let resp = |x: f64| coeffs.iter().rev().fold(0.0, |acc, c| acc * x + c);
    let mut points = Vec::with_capacity(fl.len());
    let mut ss_res = 0.0;
    for k in 0..fl.len() {
        let x = xs_all[k];
        let s = ss_all[k];
        let lin = c0 + c1 * x;
        let rf = (s - resp(x)) / s;
        if used[k] {
            ss_res += rf * rf;
        }
        points.push(NonlinPoint {
            exptime_s: fl[k].exptime_s,
            time_s: fl[k].time_s,
            drift_factor: drift_of(fl[k].time_s),
            signal_adu: s,
            linear_adu: lin,
            nonlin_frac: (s - c0) / (c1 * x) - 1.0,
            residual_frac: rf,
            used: used[k],
        });
    }
    let rms = (ss_res / n_used as f64).sqrt();
    // Dense evaluation over the fitted x range: maximum non-linearity and the correction.
    let x_lo = xu.iter().copied().fold(f64::INFINITY, f64::min) * x_scale;
    let x_hi = xu.iter().copied().fold(0.0, f64::max) * x_scale;
    let ngrid = 400;
    let (mut gs, mut gl, mut gw) = (Vec::new(), Vec::new(), Vec::new());
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
        gw.push(1.0);
    }
    let s_min = gs.iter().copied().fold(f64::INFINITY, f64::min);
    let s_max = gs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s_scale = s_max.abs().max(1.0);
    let gsn: Vec<f64> = gs.iter().map(|s| s / s_scale).collect();
    let corr_fit = linear_lsq(
        "non-linearity correction",
        &gsn,
        &gl,
        &gw,
        nterms,
        poly_basis,
    )?;
    let corr_coeffs: Vec<f64> = corr_fit
        .params
        .iter()
        .enumerate()
        .map(|(k, c)| c / s_scale.powi(k as i32))
        .collect();
    let mut quality = FitQuality::Ok;
    if c1.is_nan() || c1 <= 0.0 {
        notes.push(format!("non-positive linear slope {c1}"));
        quality = FitQuality::BadFit;
    } else if rms > config.poor_rms_frac {
        notes.push(format!(
            "RMS fractional residual {rms:.2e} > {:.2e}",
            config.poor_rms_frac
        ));
        quality = FitQuality::PoorFit;
    }
    tracing::debug!(c1, rms, max_nl, ?quality, "non-linearity fit");
    Ok(NonlinResult {
        background_adu: background,
        drift_coeffs_adu: drift_coeffs,
        stability_pc,
        response_coeffs: coeffs,
        linear_slope_adu_per_s: c1,
        points,
        max_abs_nonlin_pc: 100.0 * max_nl.abs(),
        signal_at_max_nonlin_adu: s_at_max,
        rms_residual_frac: rms,
        correction: NonlinCorrection {
            coefficients: corr_coeffs,
            valid_min_adu: s_min,
            valid_max_adu: s_max,
        },
        quality,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
