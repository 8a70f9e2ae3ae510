//! Pixel covariances of flat-pair difference images (reference 6.9; Astier et al. 2019).
//!
//! The kernel computes, for lags `0 <= i, j <= max_lag_px` (i along axis 0, j along axis 1),
//! `C(i, j) = sum w w' D D' / sum w w'` over all pixel pairs separated by `(i, j)` and by
//! `(i, -j)` (the two are averaged, as in Astier et al.), where `D` is the image minus the mean of
//! its valid pixels and `w` the validity weight (0 for masked, clipped or non-finite pixels).
//! `C(0, 0)` is the variance. The work is done in bands of rows in parallel (rayon) with
//! vectorisable single-precision dot products accumulated per row in double precision.

use ndarray::{Array2, ArrayView2, Axis, Zip};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::stats::median_in_place;
use crate::{Error, Result, check_mask, check_shape};

/// Settings of the covariance kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovarianceConfig {
    /// Largest lag along each axis (inclusive), pixels.
    pub max_lag_px: usize,
    /// Clip pixels of the difference image farther than this many robust sigma from its median
    /// (0 disables clipping).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub clip_sigma: f64,
}

impl Default for CovarianceConfig {
    fn default() -> Self {
        Self {
            max_lag_px: 10,
            clip_sigma: 4.0,
        }
    }
}

/// Covariance map of one image: `cov_adu2[i * (max_lag_px + 1) + j]` is `C(i, j)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovarianceMap {
    /// Largest lag along each axis, pixels.
    pub max_lag_px: usize,
    /// Covariances per lag (row-major over (i, j)), image units squared.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub cov_adu2: Vec<f64>,
    /// Number of pixel pairs entering each lag.
    pub n_pairs: Vec<u64>,
    /// Mean of the valid pixels (subtracted before the products), image units.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean_adu: f64,
    /// Number of valid pixels.
    pub n_valid_px: u64,
    /// Number of pixels rejected by clipping (masked and non-finite pixels not included).
    pub n_clipped_px: u64,
}

impl CovarianceMap {
    /// Side of the lag grid (`max_lag_px + 1`).
    #[must_use]
    pub fn side(&self) -> usize {
        self.max_lag_px + 1
    }

    /// Covariance at lag (i, j); NaN outside the grid.
    #[must_use]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if i > self.max_lag_px || j > self.max_lag_px {
            return f64::NAN;
        }
        self.cov_adu2[i * self.side() + j]
    }

    /// Variance (lag 0).
    #[must_use]
    pub fn var_adu2(&self) -> f64 {
        self.cov_adu2.first().copied().unwrap_or(f64::NAN)
    }
}

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0_f32; 16];
    let mut ca = a.chunks_exact(16);
    let mut cb = b.chunks_exact(16);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..16 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0_f64;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += f64::from(*x) * f64::from(*y);
    }
    acc.iter().map(|v| f64::from(*v)).sum::<f64>() + tail
}

/// Raw lag sums over a weighted, mean-subtracted image: returns (sums, pair counts) for the
/// (i, +j) and (i, -j) lags, each of length (n+1)^2.
fn lag_sums(d: &Array2<f32>, w: Option<&Array2<f32>>, max_lag: usize) -> (Vec<f64>, Vec<f64>) {
    let (rows, cols) = d.dim();
    let side = max_lag + 1;
    let band = 32usize;
    let nbands = rows.div_ceil(band);
    let zero = || (vec![0.0; 2 * side * side], vec![0.0; 2 * side * side]);
    let (s, c) = (0..nbands)
        .into_par_iter()
        .map(|b| {
            let (mut s, mut c) = zero();
            let r0 = b * band;
            let r1 = ((b + 1) * band).min(rows);
            for r in r0..r1 {
                let Some(ra) = d.row(r).to_slice().map(<[f32]>::to_vec) else {
                    continue;
                };
                let wa = w.and_then(|w| w.row(r).to_slice().map(<[f32]>::to_vec));
                for i in 0..side {
                    if r + i >= rows {
                        break;
                    }
                    let rb_view = d.row(r + i);
                    let Some(rb) = rb_view.as_slice() else {
                        continue;
                    };
                    let wb_view = w.map(|w| w.row(r + i));
                    for j in 0..side.min(cols) {
                        let k = i * side + j;
                        s[k] += dot(&ra[..cols - j], &rb[j..]);
                        if j > 0 {
                            s[side * side + k] += dot(&ra[j..], &rb[..cols - j]);
                        }
                        if let (Some(wa), Some(wbv)) = (&wa, &wb_view)
                            && let Some(wb) = wbv.as_slice()
                        {
                            c[k] += dot(&wa[..cols - j], &wb[j..]);
                            if j > 0 {
                                c[side * side + k] += dot(&wa[j..], &wb[..cols - j]);
                            }
                        }
                    }
                }
            }
            (s, c)
        })
        .reduce(zero, |(mut s1, mut c1), (s2, c2)| {
            for (a, b) in s1.iter_mut().zip(&s2) {
                *a += b;
            }
            for (a, b) in c1.iter_mut().zip(&c2) {
                *a += b;
            }
            (s1, c1)
        });
    (s, c)
}

/// Pair counts per lag ((i, +j) then (i, -j), as [`lag_sums`]) from the list of invalid pixels:
/// all in-bounds pairs minus those involving an invalid pixel.
fn sparse_counts(valid: &Array2<bool>, max_lag: usize) -> Vec<f64> {
    let (rows, cols) = valid.dim();
    let side = max_lag + 1;
    let bad: Vec<(usize, usize)> = valid
        .indexed_iter()
        .filter(|(_, v)| !**v)
        .map(|(p, _)| p)
        .collect();
    let is_bad = |r: i64, c: i64| -> bool {
        r >= 0
            && c >= 0
            && (r as usize) < rows
            && (c as usize) < cols
            && !valid[[r as usize, c as usize]]
    };
    let inside = |r: i64, c: i64| r >= 0 && c >= 0 && (r as usize) < rows && (c as usize) < cols;
    let mut out = vec![0.0; 2 * side * side];
    for i in 0..side {
        for j in 0..side {
            for (half, dj) in [(0usize, j as i64), (1usize, -(j as i64))] {
                if half == 1 && j == 0 {
                    continue;
                }
                let di = i as i64;
                let full = ((rows - i) * (cols - j)) as i64;
                let mut lost = 0i64;
                for &(r, c) in &bad {
                    let (r, c) = (r as i64, c as i64);
                    // Pairs where the bad pixel is the first or the second member.
                    if inside(r + di, c + dj) {
                        lost += 1;
                        // Both members bad: counted twice otherwise.
                        if is_bad(r + di, c + dj) {
                            lost -= 1;
                        }
                    }
                    if inside(r - di, c - dj) {
                        lost += 1;
                    }
                }
                out[half * side * side + i * side + j] = (full - lost) as f64;
            }
        }
    }
    out
}

/// Robust centre and scale of the valid pixels, estimated on a regular subsample.
fn robust_centre_scale(d: &Array2<f32>, valid: &Array2<bool>) -> (f64, f64) {
    let n = d.len();
    let stride = (n / 200_000).max(1);
    let mut sample: Vec<f64> = d
        .iter()
        .zip(valid.iter())
        .step_by(stride)
        .filter(|(_, v)| **v)
        .map(|(x, _)| f64::from(*x))
        .collect();
    let med = median_in_place(&mut sample);
    let mut dev: Vec<f64> = sample.iter().map(|v| (v - med).abs()).collect();
    (med, 1.4826 * median_in_place(&mut dev))
}

fn check_config(image: &ArrayView2<'_, f32>, config: &CovarianceConfig) -> Result<()> {
    let (rows, cols) = image.dim();
    if config.max_lag_px == 0 || config.max_lag_px > 64 {
        return Err(Error::InvalidConfig {
            key: "max_lag_px",
            value: config.max_lag_px.to_string(),
            reason: "must be in 1..=64",
        });
    }
    if rows <= config.max_lag_px || cols <= config.max_lag_px {
        return Err(Error::TooSmall {
            what: "image side for the covariance lags",
            got: rows.min(cols),
            need: config.max_lag_px + 1,
        });
    }
    if config.clip_sigma.is_nan() || config.clip_sigma < 0.0 {
        return Err(Error::InvalidConfig {
            key: "clip_sigma",
            value: config.clip_sigma.to_string(),
            reason: "must be >= 0",
        });
    }
    Ok(())
}

/// Variance of a unit Gaussian truncated to `|x| <= k`: `1 - 2 k phi(k) / erf(k / sqrt 2)`.
#[must_use]
pub fn clipped_gaussian_var_ratio(k: f64) -> f64 {
    let phi = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    // erf(k / sqrt 2) = 2 * integral_0^k phi, by Simpson's rule (smooth integrand: 1e-12).
    let n = 400;
    let h = k / n as f64;
    let simpson: f64 = (0..=n)
        .map(|i| {
            let w = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            w * phi(i as f64 * h)
        })
        .sum::<f64>()
        * h
        / 3.0;
    1.0 - 2.0 * k * phi(k) / (2.0 * simpson)
}

/// Covariance map of an image (typically a flat-pair difference), mask-aware and clipped; the
/// covariances are corrected for the truncation of the Gaussian core by the clipping
/// ([`clipped_gaussian_var_ratio`]).
///
/// # Errors
/// Shape mismatch of the mask, invalid configuration, image smaller than the lags, or fewer than
/// 2 valid pixels.
pub fn image_covariance(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    config: &CovarianceConfig,
) -> Result<CovarianceMap> {
    check_config(&image, config)?;
    let (rows, cols) = image.dim();
    check_mask(mask.as_ref(), image.dim())?;
    let mut valid = valid_pixels(&image, mask.as_ref());
    let d = image.to_owned();
    let n_clipped = if config.clip_sigma > 0.0 {
        clip_outliers(&d, &mut valid, config.clip_sigma)
    } else {
        0
    };
    let (sum, n_valid) = valid_sum(&d, &valid);
    if n_valid < 2 {
        return Err(Error::TooSmall {
            what: "valid pixels for the covariance",
            got: n_valid as usize,
            need: 2,
        });
    }
    let mean = sum / n_valid as f64;
    let any_invalid = n_valid < (rows * cols) as u64;
    let mut dm = Array2::<f32>::zeros((rows, cols));
    Zip::from(&mut dm)
        .and(&d)
        .and(&valid)
        .par_for_each(|o, x, v| {
            *o = if *v {
                (f64::from(*x) - mean) as f32
            } else {
                0.0
            }
        });
    let n_invalid = (rows * cols) as u64 - n_valid;
    // Few invalid pixels: pair counts by enumerating them (cheap) instead of weight products.
    let sparse = n_invalid as usize <= (rows * cols) / 100;
    let w = (any_invalid && !sparse).then(|| valid.mapv(|v| if v { 1.0_f32 } else { 0.0 }));
    let (s, c) = lag_sums(&dm, w.as_ref(), config.max_lag_px);
    let c = if any_invalid && sparse {
        sparse_counts(&valid, config.max_lag_px)
    } else {
        c
    };
    let counts = any_invalid.then_some(c.as_slice());
    let (cov, npairs) = combine_lags(&s, counts, (rows, cols), config);
    Ok(CovarianceMap {
        max_lag_px: config.max_lag_px,
        cov_adu2: cov,
        n_pairs: npairs,
        mean_adu: mean,
        n_valid_px: n_valid,
        n_clipped_px: n_clipped,
    })
}

/// Validity of every pixel: finite and not masked.
fn valid_pixels(image: &ArrayView2<'_, f32>, mask: Option<&ArrayView2<'_, bool>>) -> Array2<bool> {
    let mut valid = Array2::<bool>::from_elem(image.dim(), true);
    Zip::from(&mut valid)
        .and(image)
        .par_for_each(|v, x| *v = x.is_finite());
    if let Some(m) = mask {
        Zip::from(&mut valid)
            .and(m)
            .par_for_each(|v, bad| *v &= !*bad);
    }
    valid
}

/// Invalidates pixels farther than `clip_sigma` robust sigma from the median (two passes at
/// most); returns the number clipped.
fn clip_outliers(d: &Array2<f32>, valid: &mut Array2<bool>, clip_sigma: f64) -> u64 {
    let mut n_clipped = 0u64;
    for _ in 0..2 {
        let (med, sig) = robust_centre_scale(d, valid);
        if sig.is_nan() || sig <= 0.0 {
            break;
        }
        let lim = clip_sigma * sig;
        let clipped: u64 = Zip::from(&mut *valid).and(d).par_fold(
            || 0u64,
            |acc, v, x| {
                if *v && (f64::from(*x) - med).abs() > lim {
                    *v = false;
                    acc + 1
                } else {
                    acc
                }
            },
            |a, b| a + b,
        );
        n_clipped += clipped;
        if clipped == 0 {
            break;
        }
    }
    n_clipped
}

/// Sum and number of the valid pixels (rows in parallel).
fn valid_sum(d: &Array2<f32>, valid: &Array2<bool>) -> (f64, u64) {
    d.axis_iter(Axis(0))
        .into_par_iter()
        .zip(valid.axis_iter(Axis(0)))
        .map(|(dr, vr)| {
            let mut s = 0.0;
            let mut n = 0u64;
            for (x, v) in dr.iter().zip(vr.iter()) {
                if *v {
                    s += f64::from(*x);
                    n += 1;
                }
            }
            (s, n)
        })
        .reduce(|| (0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// Covariances and pair counts per lag from the lag sums `s` of [`lag_sums`] (positive then
/// negative `j` half), with the pair counts `counts` of the same layout when pixels are
/// invalid (`None`: every pair of the `dim` image counts), corrected for the clipping.
fn combine_lags(
    s: &[f64],
    counts: Option<&[f64]>,
    (rows, cols): (usize, usize),
    config: &CovarianceConfig,
) -> (Vec<f64>, Vec<u64>) {
    let side = config.max_lag_px + 1;
    // Clipping at k sigma truncates the Gaussian core too and biases the variance low by
    // 2 k phi(k) / erf(k / sqrt 2) (0.11 % at 4 sigma: +0.11 % on a PTC gain); undone here.
    let unclip = if config.clip_sigma > 0.0 {
        1.0 / clipped_gaussian_var_ratio(config.clip_sigma)
    } else {
        1.0
    };
    let mut cov = vec![0.0; side * side];
    let mut npairs = vec![0u64; side * side];
    for i in 0..side {
        for j in 0..side {
            let k = i * side + j;
            let (count_pos, count_neg) = match counts {
                Some(c) => (c[k], if j > 0 { c[side * side + k] } else { 0.0 }),
                None => {
                    let full = ((rows - i) * (cols - j)) as f64;
                    (full, if j > 0 { full } else { 0.0 })
                }
            };
            let total_s = s[k] + if j > 0 { s[side * side + k] } else { 0.0 };
            let total_n = count_pos + count_neg;
            npairs[k] = total_n.round() as u64;
            cov[k] = if total_n > 0.0 {
                unclip * total_s / total_n
            } else {
                f64::NAN
            };
        }
    }
    (cov, npairs)
}

/// Mean, variance and covariances of one flat pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairCovariance {
    /// Mean signal of the pair, (mean1 + mean2) / 2, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean_adu: f64,
    /// Mean of the first frame (valid pixels), ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean1_adu: f64,
    /// Mean of the second frame (valid pixels), ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean2_adu: f64,
    /// Per-frame variance, var(D) / 2 with D = f1 - (mean1/mean2) f2, ADU^2.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub var_adu2: f64,
    /// Per-frame covariances cov(D)(i, j) / 2, row-major over (i, j) in 0..=max_lag_px, ADU^2.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub cov_adu2: Vec<f64>,
    /// Pixel pairs per lag.
    pub n_pairs: Vec<u64>,
    /// Largest lag, pixels.
    pub max_lag_px: usize,
    /// Valid pixels of the difference image.
    pub n_valid_px: u64,
    /// Pixels rejected by clipping.
    pub n_clipped_px: u64,
}

impl PairCovariance {
    /// Per-frame covariance at lag (i, j), ADU^2; NaN outside the grid.
    #[must_use]
    pub fn cov(&self, i: usize, j: usize) -> f64 {
        let side = self.max_lag_px + 1;
        if i >= side || j >= side {
            return f64::NAN;
        }
        self.cov_adu2[i * side + j]
    }
}

fn masked_mean(image: &ArrayView2<'_, f32>, mask: Option<&ArrayView2<'_, bool>>) -> (f64, u64) {
    image
        .axis_iter(Axis(0))
        .into_par_iter()
        .enumerate()
        .map(|(r, row)| {
            let mut s = 0.0;
            let mut n = 0u64;
            for (c, x) in row.iter().enumerate() {
                if x.is_finite() && mask.is_none_or(|m| !m[[r, c]]) {
                    s += f64::from(*x);
                    n += 1;
                }
            }
            (s, n)
        })
        .reduce(|| (0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// Mean, variance and covariance map of a flat pair: D = f1 - (mean1/mean2) f2 is formed (the
/// ratio removes a small flux difference between the frames), then [`image_covariance`] of D,
/// halved to per-frame values.
///
/// # Errors
/// Shape mismatch between the frames or the mask, non-positive frame means, or as
/// [`image_covariance`].
pub fn pair_covariance(
    frame1: ArrayView2<'_, f32>,
    frame2: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    config: &CovarianceConfig,
) -> Result<PairCovariance> {
    check_shape("frame2", frame2.dim(), frame1.dim())?;
    check_mask(mask.as_ref(), frame1.dim())?;
    let (s1, n1) = masked_mean(&frame1, mask.as_ref());
    let (s2, n2) = masked_mean(&frame2, mask.as_ref());
    if n1 == 0 || n2 == 0 {
        return Err(Error::TooSmall {
            what: "valid pixels in the flat pair",
            got: 0,
            need: 2,
        });
    }
    let m1 = s1 / n1 as f64;
    let m2 = s2 / n2 as f64;
    let ratio = if m2 > 0.0 && m1 > 0.0 { m1 / m2 } else { 1.0 };
    let mut diff = Array2::<f32>::zeros(frame1.raw_dim());
    let r32 = ratio as f32;
    Zip::from(&mut diff)
        .and(&frame1)
        .and(&frame2)
        .par_for_each(|d, a, b| *d = a - r32 * b);
    let map = image_covariance(diff.view(), mask, config)?;
    Ok(PairCovariance {
        mean_adu: 0.5 * (m1 + m2),
        mean1_adu: m1,
        mean2_adu: m2,
        var_adu2: 0.5 * map.var_adu2(),
        cov_adu2: map.cov_adu2.iter().map(|c| 0.5 * c).collect(),
        n_pairs: map.n_pairs,
        max_lag_px: map.max_lag_px,
        n_valid_px: map.n_valid_px,
        n_clipped_px: map.n_clipped_px,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipped_gaussian_variance_matches_tabulated_values() {
        // 1 - 2 k phi(k) / erf(k / sqrt 2): k = 1 -> 0.29113, 2 -> 0.77374, 4 -> 0.99893 (Python math.erf).
        for (k, want) in [(1.0, 0.291_125), (2.0, 0.773_741), (4.0, 0.998_929)] {
            let got = clipped_gaussian_var_ratio(k);
            assert!((got - want).abs() < 2e-6, "k = {k}: {got} vs {want}");
        }
    }

    /// Brute-force reference over all pixel pairs.
    fn brute(img: &Array2<f32>, mask: &Array2<bool>, i: usize, j: usize) -> f64 {
        let (rows, cols) = img.dim();
        let vals: Vec<f64> = img
            .iter()
            .zip(mask.iter())
            .filter(|(_, m)| !**m)
            .map(|(x, _)| f64::from(*x))
            .collect();
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let mut s = 0.0;
        let mut n = 0.0;
        for r in 0..rows - i {
            for c in 0..cols {
                for sign in [1i64, -1] {
                    if j == 0 && sign < 0 {
                        continue;
                    }
                    let c2 = c as i64 + sign * j as i64;
                    if c2 < 0 || c2 >= cols as i64 {
                        continue;
                    }
                    let c2 = c2 as usize;
                    if mask[[r, c]] || mask[[r + i, c2]] {
                        continue;
                    }
                    s += (f64::from(img[[r, c]]) - mean) * (f64::from(img[[r + i, c2]]) - mean);
                    n += 1.0;
                }
            }
        }
        s / n
    }

    #[test]
    fn matches_brute_force_with_mask() {
        let img = Array2::from_shape_fn((40, 37), |(r, c)| {
            (((r * 7919 + c * 104_729) % 1000) as f32) * 0.01 + 0.3 * ((r + c) % 3) as f32
        });
        let mut mask = Array2::from_elem((40, 37), false);
        mask[[3, 4]] = true;
        mask[[10, 20]] = true;
        let cfg = CovarianceConfig {
            max_lag_px: 3,
            clip_sigma: 0.0,
        };
        let map = image_covariance(img.view(), Some(mask.view()), &cfg).unwrap();
        for i in 0..=3 {
            for j in 0..=3 {
                let b = brute(&img, &mask, i, j);
                assert!(
                    (map.get(i, j) - b).abs() < 1e-4 * b.abs().max(1e-3),
                    "{i},{j}: {} vs {b}",
                    map.get(i, j)
                );
            }
        }
        // Dense path (more than 1 % invalid) agrees with the brute force as well.
        let mut heavy = mask.clone();
        for k in 0..120 {
            heavy[[(k * 13) % 40, (k * 7) % 37]] = true;
        }
        let map_h = image_covariance(img.view(), Some(heavy.view()), &cfg).unwrap();
        for (i, j) in [(0, 0), (1, 0), (2, 3), (3, 1)] {
            let b = brute(&img, &heavy, i, j);
            assert!(
                (map_h.get(i, j) - b).abs() < 1e-4 * b.abs().max(1e-3),
                "dense {i},{j}"
            );
        }
        let nomask = Array2::from_elem((40, 37), false);
        let map2 = image_covariance(img.view(), None, &cfg).unwrap();
        assert!((map2.get(1, 2) - brute(&img, &nomask, 1, 2)).abs() < 1e-4);
        assert_eq!(map2.n_pairs[0], 40 * 37);
    }

    #[test]
    fn rejects_bad_config_and_shapes() {
        let img = Array2::<f32>::zeros((5, 5));
        let cfg = CovarianceConfig::default();
        assert!(image_covariance(img.view(), None, &cfg).is_err());
        let a = Array2::<f32>::zeros((20, 20));
        let b = Array2::<f32>::zeros((20, 21));
        assert!(pair_covariance(a.view(), b.view(), None, &cfg).is_err());
    }
}
