//! Master flats, PRNU, defect masks and fluence checks (reference 4.9, 6.8).
//!
//! Each flat is divided by its own smooth illumination model (from `vison_ccd::model2d`), the
//! normalised flats are median-stacked pixel by pixel and the master is renormalised to a
//! (clipped) mean of 1. PRNU is the clipped standard deviation of the master over its clipped
//! mean, per region and per tile. Defects (dark/bright pixels and columns) are found on the
//! master flat with configurable thresholds; columns are along axis 0 (fixed axis-1 index).

use ndarray::{Array2, ArrayView2, Axis, Zip};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use vison_ccd::model2d;

use crate::stats::{median, median_in_place, sigma_clipped_stats};
use crate::tiles::{Tile, tile_grid};
use crate::{Error, Result, check_mask};

/// Smooth illumination model used to normalise each flat.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum IlluminationModel {
    /// 2-D polynomial of total degree `degree` fitted to medians of `bin_px` blocks.
    Poly {
        /// Total degree.
        degree: usize,
        /// Block size, pixels.
        bin_px: usize,
    },
    /// Box median filter of odd size.
    MedianFilter {
        /// Window side, pixels.
        size_px: usize,
    },
    /// Medians of `bin_px` blocks, bilinearly interpolated.
    BinnedMedian {
        /// Block size, pixels.
        bin_px: usize,
    },
}

impl IlluminationModel {
    /// Evaluate the model of an image on its full grid.
    ///
    /// # Errors
    /// As the underlying `vison_ccd::model2d` function.
    pub fn evaluate(
        &self,
        image: ArrayView2<'_, f32>,
        mask: Option<ArrayView2<'_, bool>>,
    ) -> Result<Array2<f32>> {
        Ok(match *self {
            Self::Poly { degree, bin_px } => model2d::poly2d_model(image, mask, degree, bin_px)?,
            Self::MedianFilter { size_px } => model2d::median_filter(image, mask, size_px)?,
            Self::BinnedMedian { bin_px } => model2d::binned_median_model(image, mask, bin_px)?,
        })
    }
}

/// Thresholds of the defect search on a normalised master flat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefectConfig {
    /// Pixels with a response below this are dark.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub dark_below: f64,
    /// Pixels with a response above this are bright.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub bright_above: f64,
    /// A column whose median response deviates from 1 by more than this is defective.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub column_deviation: f64,
    /// A column with more than this fraction of dark (bright) pixels is dark (bright).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub column_defect_frac: f64,
}

impl Default for DefectConfig {
    fn default() -> Self {
        Self {
            dark_below: 0.8,
            bright_above: 1.2,
            column_deviation: 0.05,
            column_defect_frac: 0.5,
        }
    }
}

/// Settings of the master flat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatConfig {
    /// Illumination model of each flat.
    pub model: IlluminationModel,
    /// PRNU tile side, pixels.
    pub tile_px: usize,
    /// Sigma clipping of the PRNU statistics (vison: 3).
    #[serde(deserialize_with = "crate::nan::f64")]
    pub clip_sigma: f64,
    /// Defect thresholds.
    pub defects: DefectConfig,
}

impl Default for FlatConfig {
    fn default() -> Self {
        Self {
            model: IlluminationModel::Poly {
                degree: 5,
                bin_px: 25,
            },
            tile_px: 300,
            clip_sigma: 3.0,
            defects: DefectConfig::default(),
        }
    }
}

/// PRNU of one tile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TilePrnu {
    /// The tile.
    pub tile: Tile,
    /// Clipped mean response.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub mean: f64,
    /// PRNU, per cent.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub prnu_pc: f64,
}

/// PRNU of a region and its tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrnuResult {
    /// PRNU of the whole region: 100 x clipped std / clipped mean, per cent.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub prnu_pc: f64,
    /// Pixels kept by the clipping.
    pub n_px: u64,
    /// Per tile.
    pub tiles: Vec<TilePrnu>,
}

/// Defect mask of a master flat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefectMask {
    /// Bit flags per pixel: [`DefectMask::DARK_PX`], [`DefectMask::BRIGHT_PX`],
    /// [`DefectMask::DARK_COL`], [`DefectMask::BRIGHT_COL`].
    pub flags: Array2<u8>,
    /// Number of dark pixels (outside defective columns).
    pub n_dark_px: u64,
    /// Number of bright pixels (outside defective columns).
    pub n_bright_px: u64,
    /// Dark columns (axis-1 indices).
    pub dark_columns: Vec<usize>,
    /// Bright columns (axis-1 indices).
    pub bright_columns: Vec<usize>,
}

impl DefectMask {
    /// Dark pixel flag.
    pub const DARK_PX: u8 = 1;
    /// Bright pixel flag.
    pub const BRIGHT_PX: u8 = 2;
    /// Dark column flag.
    pub const DARK_COL: u8 = 4;
    /// Bright column flag.
    pub const BRIGHT_COL: u8 = 8;

    /// Boolean mask (`true` = defective).
    #[must_use]
    pub fn as_bool(&self) -> Array2<bool> {
        self.flags.mapv(|f| f != 0)
    }
}

/// Master flat of a stack of flats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MasterFlat {
    /// Normalised master flat (mean 1; NaN at masked pixels).
    pub flat: Array2<f32>,
    /// Standard error of each master pixel (1.2533 x std / sqrt(n) for the median).
    pub flat_err: Array2<f32>,
    /// Frames combined.
    pub n_combined: usize,
    /// Median fluence of each input frame, ADU.
    #[serde(deserialize_with = "crate::nan::vec_f64")]
    pub fluences_adu: Vec<f64>,
    /// PRNU of the master.
    pub prnu: PrnuResult,
    /// Defects of the master.
    pub defects: DefectMask,
}

/// Divide a flat by its illumination model; returns (normalised flat, model).
///
/// # Errors
/// As [`IlluminationModel::evaluate`].
pub fn normalise_flat(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    model: &IlluminationModel,
) -> Result<(Array2<f32>, Array2<f32>)> {
    let m = model.evaluate(image, mask)?;
    let mut n = model2d::normalise_by_model(image, m.view());
    if let Some(mk) = mask {
        Zip::from(&mut n).and(&mk).for_each(|v, bad| {
            if *bad {
                *v = f32::NAN;
            }
        });
    }
    Ok((n, m))
}

/// Build a master flat from flats of one wavelength (offset-subtracted, ADU).
///
/// # Errors
/// No frames, shape mismatches, or an illumination model failure.
pub fn master_flat(
    frames: &[ArrayView2<'_, f32>],
    mask: Option<ArrayView2<'_, bool>>,
    config: &FlatConfig,
) -> Result<MasterFlat> {
    let shape = common_shape(frames)?;
    check_mask(mask.as_ref(), shape)?;
    let fluences: Vec<f64> = frames.iter().map(|f| sampled_median_adu(*f)).collect();
    let normed: Vec<Array2<f32>> = frames
        .iter()
        .map(|f| normalise_flat(*f, mask, &config.model).map(|(n, _)| n))
        .collect::<Result<_>>()?;
    let n = normed.len();
    let (mut flat, mut err) = median_combine(&normed, shape);
    renormalise_to_unit_mean(&mut flat, &mut err, config.clip_sigma);
    let prnu = prnu(flat.view(), mask, config.tile_px, config.clip_sigma)?;
    let defects = defect_mask(flat.view(), mask, &config.defects)?;
    tracing::debug!(n, prnu_pc = prnu.prnu_pc, "master flat");
    Ok(MasterFlat {
        flat,
        flat_err: err,
        n_combined: n,
        fluences_adu: fluences,
        prnu,
        defects,
    })
}

/// The shape shared by all frames (an error for none or a mismatch).
fn common_shape(frames: &[ArrayView2<'_, f32>]) -> Result<(usize, usize)> {
    let first = frames.first().ok_or(Error::TooSmall {
        what: "flat frames",
        got: 0,
        need: 1,
    })?;
    let shape = first.dim();
    for f in frames {
        if f.dim() != shape {
            return Err(Error::ShapeMismatch {
                what: "flat frame",
                got: [f.dim().0, f.dim().1],
                expected: [shape.0, shape.1],
            });
        }
    }
    Ok(shape)
}

/// Median of every 7th finite pixel: the frame's fluence (ADU).
fn sampled_median_adu(frame: ArrayView2<'_, f32>) -> f64 {
    let v: Vec<f64> = frame
        .iter()
        .step_by(7)
        .filter(|x| x.is_finite())
        .map(|x| f64::from(*x))
        .collect();
    median(&v)
}

/// Per-pixel median of the finite values of the normalised frames, and its error
/// (1.2533 times the standard error of the mean; NaN for fewer than 2 values).
fn median_combine(normed: &[Array2<f32>], shape: (usize, usize)) -> (Array2<f32>, Array2<f32>) {
    let n = normed.len();
    let mut flat = Array2::<f32>::zeros(shape);
    let mut err = Array2::<f32>::zeros(shape);
    flat.axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(err.axis_iter_mut(Axis(0)))
        .enumerate()
        .for_each(|(r, (mut frow, mut erow))| {
            let mut buf: Vec<f64> = Vec::with_capacity(n);
            for c in 0..shape.1 {
                buf.clear();
                buf.extend(
                    normed
                        .iter()
                        .map(|a| f64::from(a[[r, c]]))
                        .filter(|v| v.is_finite()),
                );
                let k = buf.len();
                if k == 0 {
                    frow[c] = f32::NAN;
                    erow[c] = f32::NAN;
                    continue;
                }
                let mean = buf.iter().sum::<f64>() / k as f64;
                let var = if k > 1 {
                    buf.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k as f64 - 1.0)
                } else {
                    f64::NAN
                };
                frow[c] = median_in_place(&mut buf) as f32;
                erow[c] = (1.2533 * (var / k as f64).sqrt()) as f32;
            }
        });
    (flat, err)
}

/// Scale the flat and its error so that the flat's sigma-clipped mean is 1 (unchanged if that
/// mean is not positive).
fn renormalise_to_unit_mean(flat: &mut Array2<f32>, err: &mut Array2<f32>, clip_sigma: f64) {
    let vals: Vec<f64> = flat
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| f64::from(*v))
        .collect();
    let (m, _, _) = sigma_clipped_stats(&vals, clip_sigma, 5);
    if m.is_finite() && m > 0.0 {
        let inv = (1.0 / m) as f32;
        flat.par_mapv_inplace(|v| v * inv);
        err.par_mapv_inplace(|v| v * inv);
    }
}

fn valid_values(
    img: &ArrayView2<'_, f32>,
    mask: Option<&ArrayView2<'_, bool>>,
    tile: Tile,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(tile.size0_px * tile.size1_px);
    for r in tile.start0_px..tile.start0_px + tile.size0_px {
        for c in tile.start1_px..tile.start1_px + tile.size1_px {
            let v = img[[r, c]];
            if v.is_finite() && mask.is_none_or(|m| !m[[r, c]]) {
                out.push(f64::from(v));
            }
        }
    }
    out
}

/// PRNU of a (normalised) flat: 100 x clipped std / clipped mean over the region and per tile.
///
/// # Errors
/// Mask shape mismatch or no valid pixel.
pub fn prnu(
    flat: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    tile_px: usize,
    clip_sigma: f64,
) -> Result<PrnuResult> {
    let (r, c) = flat.dim();
    check_mask(mask.as_ref(), (r, c))?;
    let all = valid_values(&flat, mask.as_ref(), Tile::whole((r, c)));
    if all.len() < 2 {
        return Err(Error::TooSmall {
            what: "valid pixels for the PRNU",
            got: all.len(),
            need: 2,
        });
    }
    let (m, s, n) = sigma_clipped_stats(&all, clip_sigma, 10);
    let tiles = tile_grid([r, c], tile_px)
        .par_iter()
        .filter_map(|t| {
            let v = valid_values(&flat, mask.as_ref(), *t);
            (v.len() >= 2).then(|| {
                let (tm, ts, _) = sigma_clipped_stats(&v, clip_sigma, 10);
                TilePrnu {
                    tile: *t,
                    mean: tm,
                    prnu_pc: 100.0 * ts / tm,
                }
            })
        })
        .collect();
    Ok(PrnuResult {
        prnu_pc: 100.0 * s / m,
        n_px: n as u64,
        tiles,
    })
}

/// Defect mask of a normalised master flat (responses relative to 1).
///
/// # Errors
/// Mask shape mismatch.
pub fn defect_mask(
    flat: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    config: &DefectConfig,
) -> Result<DefectMask> {
    let (rows, cols) = flat.dim();
    check_mask(mask.as_ref(), (rows, cols))?;
    let mut flags = Array2::<u8>::zeros((rows, cols));
    Zip::indexed(&mut flags)
        .and(&flat)
        .par_for_each(|(r, c), f, v| {
            let masked = mask.as_ref().is_some_and(|m| m[[r, c]]);
            if !masked && v.is_finite() {
                let v = f64::from(*v);
                if v < config.dark_below {
                    *f = DefectMask::DARK_PX;
                } else if v > config.bright_above {
                    *f = DefectMask::BRIGHT_PX;
                }
            }
        });
    let col_stats: Vec<(usize, f64, f64, f64)> = (0..cols)
        .into_par_iter()
        .map(|c| {
            let mut v = Vec::with_capacity(rows);
            let (mut nd, mut nb) = (0usize, 0usize);
            for r in 0..rows {
                let x = flat[[r, c]];
                let masked = mask.as_ref().is_some_and(|m| m[[r, c]]);
                if !masked && x.is_finite() {
                    v.push(f64::from(x));
                    match flags[[r, c]] {
                        DefectMask::DARK_PX => nd += 1,
                        DefectMask::BRIGHT_PX => nb += 1,
                        _ => {}
                    }
                }
            }
            let n = v.len().max(1) as f64;
            (c, median_in_place(&mut v), nd as f64 / n, nb as f64 / n)
        })
        .collect();
    let mut dark_columns = Vec::new();
    let mut bright_columns = Vec::new();
    for (c, med, fd, fb) in col_stats {
        if !med.is_finite() {
            continue;
        }
        if med < 1.0 - config.column_deviation || fd > config.column_defect_frac {
            dark_columns.push(c);
            flags.column_mut(c).mapv_inplace(|_| DefectMask::DARK_COL);
        } else if med > 1.0 + config.column_deviation || fb > config.column_defect_frac {
            bright_columns.push(c);
            flags.column_mut(c).mapv_inplace(|_| DefectMask::BRIGHT_COL);
        }
    }
    let n_dark_px = flags.iter().filter(|f| **f == DefectMask::DARK_PX).count() as u64;
    let n_bright_px = flags
        .iter()
        .filter(|f| **f == DefectMask::BRIGHT_PX)
        .count() as u64;
    Ok(DefectMask {
        flags,
        n_dark_px,
        n_bright_px,
        dark_columns,
        bright_columns,
    })
}

/// Fluence check of one flat (reference 4.9: median within limits, saturation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FluenceCheck {
    /// Median of the valid pixels, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub median_adu: f64,
    /// Clipped standard deviation, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub std_adu: f64,
    /// Lower limit, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub min_adu: f64,
    /// Upper limit, ADU.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub max_adu: f64,
    /// Fraction of valid pixels at or above the saturation level.
    #[serde(deserialize_with = "crate::nan::f64")]
    pub saturated_frac: f64,
    /// Whether the median lies within the limits.
    pub within_limits: bool,
}

/// Check the fluence of a flat against `expected_adu x [1 - tolerance_frac, 1 + tolerance_frac]`
/// (vison: min(relative fluence, 1) x 65536 x [0.9, 1.1]) and count saturated pixels (raw level
/// `saturation_adu`, e.g. 65535 minus the offset).
///
/// # Errors
/// Mask shape mismatch or no valid pixel.
pub fn fluence_check(
    image: ArrayView2<'_, f32>,
    mask: Option<ArrayView2<'_, bool>>,
    expected_adu: f64,
    tolerance_frac: f64,
    saturation_adu: f64,
) -> Result<FluenceCheck> {
    let (r, c) = image.dim();
    check_mask(mask.as_ref(), (r, c))?;
    let v = valid_values(&image, mask.as_ref(), Tile::whole((r, c)));
    if v.is_empty() {
        return Err(Error::TooSmall {
            what: "valid pixels for the fluence check",
            got: 0,
            need: 1,
        });
    }
    let med = median(&v);
    let (_, s, _) = sigma_clipped_stats(&v, 4.0, 5);
    let sat = v.iter().filter(|x| **x >= saturation_adu).count() as f64 / v.len() as f64;
    let lo = expected_adu * (1.0 - tolerance_frac);
    let hi = expected_adu * (1.0 + tolerance_frac);
    Ok(FluenceCheck {
        median_adu: med,
        std_adu: s,
        min_adu: lo,
        max_adu: hi,
        saturated_frac: sat,
        within_limits: med >= lo && med <= hi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defects_found_on_synthetic_flat() {
        let mut f = Array2::from_elem((50, 40), 1.0_f32);
        f[[10, 10]] = 0.5;
        f[[20, 30]] = 1.6;
        for r in 0..50 {
            f[[r, 7]] = 0.9;
        }
        let d = defect_mask(f.view(), None, &DefectConfig::default()).unwrap();
        assert_eq!(d.dark_columns, vec![7]);
        assert!(d.bright_columns.is_empty());
        assert_eq!(d.n_dark_px, 1);
        assert_eq!(d.n_bright_px, 1);
        assert_eq!(d.flags[[10, 10]], DefectMask::DARK_PX);
        assert_eq!(d.flags[[20, 30]], DefectMask::BRIGHT_PX);
        assert_eq!(d.flags[[3, 7]], DefectMask::DARK_COL);
    }

    #[test]
    fn fluence_limits() {
        let img = Array2::from_elem((10, 10), 30_000.0_f32);
        let ok = fluence_check(img.view(), None, 32_000.0, 0.1, 65_000.0).unwrap();
        assert!(ok.within_limits);
        assert_eq!(ok.saturated_frac, 0.0);
        let bad = fluence_check(img.view(), None, 40_000.0, 0.1, 65_000.0).unwrap();
        assert!(!bad.within_limits);
    }
}
