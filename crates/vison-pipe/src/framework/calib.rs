//! Calibration inputs of the image preparation (reference 4.1 "Image preparation"): cosmetic
//! mask (masked pixels become NaN), master bias (subtracted) and master flat of the exposure's
//! wavelength (divided). They are named in `[calibration]`, resolved once per session
//! ([`CalibInputs::resolve`]: every file checked, errors name it), and loaded per CCD
//! ([`TaskEnv::pixel_calib`]) only for the inputs the test's registry entry applies
//! ([`CalibUse`]). Loaded images are shared (`Arc`) and a few are cached, so a stack of many
//! frames holds each calibration image once, beside its row bands.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ndarray::Array2;
use serde::Serialize;
use serde_json::Value;
use vison_ccd::fits::{HduSelector, inspect_fits, read_image};
use vison_ccd::{Frame, FrameGeometry, Quadrant, Section};

use crate::error::{Error, Result};
use crate::framework::config::CalibrationConfig;
use crate::framework::products::master_bias_name;
use crate::framework::task::TaskEnv;

/// Which calibration inputs a test family's preprocessing applies (declared in the registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CalibUse {
    /// Cosmetic mask: masked pixels become NaN.
    pub mask: bool,
    /// Master bias: subtracted after the offset.
    pub bias: bool,
    /// Master flat of the exposure's wavelength: the image area is divided by it.
    pub flat: bool,
}

impl CalibUse {
    /// No input (pair differences and ratios: PTC, BF, NL).
    pub const NONE: CalibUse = CalibUse {
        mask: false,
        bias: false,
        flat: false,
    };
    /// Cosmetic mask only.
    pub const MASK: CalibUse = CalibUse {
        mask: true,
        bias: false,
        flat: false,
    };
    /// Cosmetic mask and master bias.
    pub const MASK_BIAS: CalibUse = CalibUse {
        mask: true,
        bias: true,
        flat: false,
    };
    /// Every input (point sources: reference 4.14 `prep`).
    pub const ALL: CalibUse = CalibUse {
        mask: true,
        bias: true,
        flat: true,
    };
}

/// Where a master bias comes from.
#[derive(Debug, Clone, PartialEq)]
enum BiasSource {
    None,
    /// The session's BIAS01/BIAS02 product (found when the test runs).
    Auto,
    /// A file pattern with `{ccd}`.
    Pattern(String),
}

/// The calibration inputs of a session, resolved and checked (paths only; pixels are loaded
/// per CCD when a test applies them).
#[derive(Debug)]
pub struct CalibInputs {
    mask: Option<String>,
    bias: BiasSource,
    flats: BTreeMap<u32, String>,
    cache: Mutex<Vec<(String, Arc<Array2<f32>>)>>,
}

/// Cached calibration images (one per CCD and kind in a typical test).
const CACHE_LEN: usize = 6;

/// `{ccd}` replaced by the CCD number.
fn expand(pattern: &str, ccd: u8) -> PathBuf {
    PathBuf::from(pattern.replace("{ccd}", &ccd.to_string()))
}

/// File names (with `{ccd}`) looked for in a folder given instead of a pattern.
const MASK_IN_FOLDER: &str = "EUC_MASK_CCD{ccd}.fits";
const BIAS_IN_FOLDER: &str = "EUC_MASTERBIAS_CCD{ccd}.fits";

/// A pattern with `{ccd}`, or a folder holding `file` (a name with `{ccd}`).
fn as_pattern(value: &str, file: &str) -> String {
    if value.contains("{ccd}") {
        value.to_string()
    } else {
        Path::new(value).join(file).display().to_string()
    }
}

fn cal_err(path: &Path, key: &str, detail: impl std::fmt::Display) -> Error {
    Error::Config {
        file: path.display().to_string(),
        detail: format!("calibration.{key}: {detail}"),
    }
}

/// Checks that `path` is a FITS file with one of the extensions `names` (any 2-D image when
/// `names` is empty).
fn check_file(path: &Path, key: &str, names: &[&str]) -> Result<()> {
    if !path.is_file() {
        return Err(cal_err(path, key, "file not found"));
    }
    let info = inspect_fits(path).map_err(|e| cal_err(path, key, e))?;
    let ok = if names.is_empty() {
        info.hdus.iter().any(|h| h.naxes.len() == 2)
    } else {
        names
            .iter()
            .all(|n| info.hdus.iter().any(|h| h.extname.eq_ignore_ascii_case(n)))
    };
    if ok {
        Ok(())
    } else {
        Err(cal_err(
            path,
            key,
            format!("no extension {}", names.join(", ")),
        ))
    }
}

impl CalibInputs {
    /// Resolves `[calibration]`: every named file of CCD1..3 must exist and hold the expected
    /// extensions (mask: `MASK` or an image; bias: `STACK` or an image; flat: `FLAT` or
    /// `FLAT_E`..`FLAT_H`).
    ///
    /// # Errors
    /// A missing or unreadable file, named with the configuration key.
    pub fn resolve(cal: &CalibrationConfig) -> Result<Self> {
        let mask = match cal.cosmetic_mask.as_str() {
            "none" | "" => None,
            v => Some(as_pattern(v, MASK_IN_FOLDER)),
        };
        let bias = match cal.master_bias.as_str() {
            "none" | "" => BiasSource::None,
            "auto" => BiasSource::Auto,
            v => BiasSource::Pattern(as_pattern(v, BIAS_IN_FOLDER)),
        };
        let mut flats = BTreeMap::new();
        for (wave, pat) in &cal.master_flats {
            let nm: u32 = wave.parse().map_err(|_| Error::Config {
                file: "<options>".into(),
                detail: format!("calibration.master_flats: key `{wave}` is not a wavelength in nm"),
            })?;
            flats.insert(nm, pat.clone());
        }
        for ccd in 1..=3u8 {
            if let Some(p) = &mask {
                check_file(&expand(p, ccd), "cosmetic_mask", &[])?;
            }
            if let BiasSource::Pattern(p) = &bias {
                check_file(&expand(p, ccd), "master_bias", &[])?;
            }
            for (nm, p) in &flats {
                let path = expand(p, ccd);
                let key = format!("master_flats.{nm}");
                if check_file(&path, &key, &["FLAT"]).is_err() {
                    check_file(&path, &key, &["FLAT_E", "FLAT_F", "FLAT_G", "FLAT_H"])?;
                }
            }
        }
        Ok(CalibInputs {
            mask,
            bias,
            flats,
            cache: Mutex::new(Vec::new()),
        })
    }

    /// No calibration input (tests, tools).
    pub fn none() -> Self {
        CalibInputs {
            mask: None,
            bias: BiasSource::None,
            flats: BTreeMap::new(),
            cache: Mutex::new(Vec::new()),
        }
    }

    fn cached(
        &self,
        key: &str,
        load: impl FnOnce() -> Result<Array2<f32>>,
    ) -> Result<Arc<Array2<f32>>> {
        if let Ok(c) = self.cache.lock()
            && let Some((_, a)) = c.iter().find(|(k, _)| k == key)
        {
            return Ok(a.clone());
        }
        let a = Arc::new(load()?);
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= CACHE_LEN {
                c.remove(0);
            }
            c.push((key.to_string(), a.clone()));
        }
        Ok(a)
    }
}

/// The calibration images of one CCD (and wavelength) applied to a prepared frame, in the CCD
/// frame: mask (NaN where masked, 0 elsewhere), bias (subtracted), flat (divisor, 1 outside the
/// image area).
#[derive(Debug, Clone, Default)]
pub struct PixelCalib {
    /// 0 where good, NaN where masked (added to the pixel).
    pub mask: Option<Arc<Array2<f32>>>,
    /// Master bias (offset subtracted), ADU.
    pub bias: Option<Arc<Array2<f32>>>,
    /// Master flat divisor.
    pub flat: Option<Arc<Array2<f32>>>,
}

impl PixelCalib {
    /// Whether nothing is applied.
    pub fn is_empty(&self) -> bool {
        self.mask.is_none() && self.bias.is_none() && self.flat.is_none()
    }

    /// Applies the inputs to `n` pixels of CCD-frame row `row` starting at column 0.
    pub fn apply_row(&self, row: usize, out: &mut [f32]) {
        self.apply_row_parts(row, out, true, true);
    }

    /// Applies to a row the additive inputs (mask, bias) and/or the flat division.
    fn apply_row_parts(&self, row: usize, out: &mut [f32], additive: bool, flat: bool) {
        let ops = [
            (&self.mask, 0u8, additive),
            (&self.bias, 1, additive),
            (&self.flat, 2, flat),
        ];
        for (img, op, on) in ops {
            let Some(a) = img.as_ref().filter(|_| on) else {
                continue;
            };
            if row >= a.nrows() {
                continue;
            }
            let r = a.row(row);
            for (x, c) in out.iter_mut().zip(r.iter()) {
                match op {
                    0 => *x += *c,
                    1 => *x -= *c,
                    _ => *x /= *c,
                }
            }
        }
    }

    /// Applies the inputs to a whole frame.
    pub fn apply_frame(&self, frame: &mut Frame) {
        self.apply_frame_parts(frame, true, true);
    }

    /// Applies the inputs to a whole frame with `between` run on the bias-subtracted frame
    /// before the flat division (a non-linearity correction is a function of the raw signal,
    /// so it comes after the bias and before the flat).
    pub fn apply_frame_around(&self, frame: &mut Frame, between: impl FnOnce(&mut Frame)) {
        self.apply_frame_parts(frame, true, false);
        between(frame);
        self.apply_frame_parts(frame, false, true);
    }

    fn apply_frame_parts(&self, frame: &mut Frame, additive: bool, flat: bool) {
        for (r, mut row) in frame.data.rows_mut().into_iter().enumerate() {
            if let Some(s) = row.as_slice_mut() {
                self.apply_row_parts(r, s, additive, flat);
            } else {
                let mut v = row.to_vec();
                self.apply_row_parts(r, &mut v, additive, flat);
                row.iter_mut().zip(v).for_each(|(x, y)| *x = y);
            }
        }
    }
}

fn shape_ok(a: &Array2<f32>, g: &FrameGeometry, path: &Path, key: &str) -> Result<()> {
    if a.dim() == (g.naxis2(), g.naxis1()) {
        Ok(())
    } else {
        Err(cal_err(
            path,
            key,
            format!(
                "image of {} x {} px, the frames have {} x {}",
                a.ncols(),
                a.nrows(),
                g.naxis1(),
                g.naxis2()
            ),
        ))
    }
}

fn image_or_last(path: &Path, name: &str) -> Result<Array2<f32>> {
    let sel = match inspect_fits(path) {
        Ok(i) if i.hdus.iter().any(|h| h.extname.eq_ignore_ascii_case(name)) => {
            HduSelector::Name(name)
        }
        _ => HduSelector::LastImage,
    };
    Ok(read_image(path, sel)?.1)
}

fn load_mask(path: &Path, g: &FrameGeometry) -> Result<Array2<f32>> {
    let m = image_or_last(path, "MASK").map_err(|e| cal_err(path, "cosmetic_mask", e))?;
    shape_ok(&m, g, path, "cosmetic_mask")?;
    Ok(m.mapv(|v| if v != 0.0 { f32::NAN } else { 0.0 }))
}

fn load_bias(path: &Path, g: &FrameGeometry) -> Result<Array2<f32>> {
    let b = image_or_last(path, "STACK").map_err(|e| cal_err(path, "master_bias", e))?;
    shape_ok(&b, g, path, "master_bias")?;
    Ok(b)
}

/// The flat divisor in the CCD frame: the `FLAT` extension (whole frame), or `FLAT_<Q>`
/// (canonical image areas, the FLAT0x products) placed in the image areas; 1 elsewhere,
/// NaN where the flat is not positive.
fn load_flat(path: &Path, g: &FrameGeometry, key: &str) -> Result<Array2<f32>> {
    let info = inspect_fits(path).map_err(|e| cal_err(path, key, e))?;
    let has = |n: &str| info.hdus.iter().any(|h| h.extname.eq_ignore_ascii_case(n));
    let mut out = if has("FLAT") {
        let f = read_image(path, HduSelector::Name("FLAT"))
            .map_err(|e| cal_err(path, key, e))?
            .1;
        shape_ok(&f, g, path, key)?;
        f
    } else {
        let mut out = Array2::from_elem((g.naxis2(), g.naxis1()), 1.0f32);
        let b = g.section_box_qcan(Section::Image);
        for q in Quadrant::ALL {
            let ext = format!("FLAT_{}", q.name());
            let (_, f) =
                read_image(path, HduSelector::Name(&ext)).map_err(|e| cal_err(path, key, e))?;
            let mut view = vison_ccd::qcan_view_mut(g, out.view_mut(), q);
            let mut area = view.slice_mut(ndarray::s![b.row0..b.row1, b.col0..b.col1]);
            if f.nrows() > area.nrows() || f.ncols() != area.ncols() {
                return Err(cal_err(
                    path,
                    key,
                    format!(
                        "{ext} of {} x {} px, the image area is {} x {}",
                        f.ncols(),
                        f.nrows(),
                        area.ncols(),
                        area.nrows()
                    ),
                ));
            }
            // FLAT0x products cover the rows read out (vstart..vend) from the readout node.
            area.slice_mut(ndarray::s![..f.nrows(), ..]).assign(&f);
        }
        out
    };
    out.mapv_inplace(|v| {
        if v.is_finite() && v > 0.0 {
            v
        } else {
            f32::NAN
        }
    });
    Ok(out)
}

/// Wavelength (nm) of a filter index of the EXP_LOG (`wave`), with the default chamber's
/// filter wheel.
pub fn wavelength_nm(filter: Option<i64>) -> Option<u32> {
    let f = u8::try_from(filter?).ok()?;
    vison_ogse::OgseProfile::default_chamber().wavelength_of_filter(f)
}

impl TaskEnv<'_> {
    /// The master bias file of `ccd` this test uses: `auto` the session's BIAS01/BIAS02
    /// product (registry `uses`), or the configured file; `None` when there is none.
    pub fn master_bias_path(&self, ccd: u8) -> Option<PathBuf> {
        match &self.calib.bias {
            BiasSource::None => None,
            BiasSource::Auto => self.used_product(&master_bias_name(ccd)),
            BiasSource::Pattern(p) => Some(expand(p, ccd)),
        }
    }

    /// The calibration images of `ccd` that this test applies (registry [`CalibUse`]),
    /// restricted to `only`; the flat is the one of `wave_nm`. `None` when nothing applies.
    ///
    /// # Errors
    /// An input cannot be read or does not match the frame geometry (the error names it).
    pub fn pixel_calib(
        &self,
        ccd: u8,
        g: &FrameGeometry,
        wave_nm: Option<u32>,
        only: CalibUse,
    ) -> Result<Option<Arc<PixelCalib>>> {
        let u = self.calib_use;
        let mut pc = PixelCalib::default();
        if u.mask
            && only.mask
            && let Some(p) = &self.calib.mask
        {
            let path = expand(p, ccd);
            pc.mask = Some(
                self.calib
                    .cached(&format!("mask {}", path.display()), || load_mask(&path, g))?,
            );
        }
        if u.bias
            && only.bias
            && let Some(path) = self.master_bias_path(ccd)
        {
            pc.bias = Some(
                self.calib
                    .cached(&format!("bias {}", path.display()), || load_bias(&path, g))?,
            );
        }
        if u.flat
            && only.flat
            && let Some(nm) = wave_nm
            && let Some(p) = self.calib.flats.get(&nm)
        {
            let path = expand(p, ccd);
            let key = format!("master_flats.{nm}");
            pc.flat = Some(self.calib.cached(&format!("flat {}", path.display()), || {
                load_flat(&path, g, &key)
            })?);
        }
        Ok((!pc.is_empty()).then(|| Arc::new(pc)))
    }

    /// Which calibration inputs this test's preprocessing used (report "Inputs", results.json
    /// `inputs.calibration`): per input the file (pattern with `{ccd}`; the session's products
    /// relative to the test folder), `none`, or `not applied by <TEST>`.
    pub fn calibration_used(&self) -> BTreeMap<String, Value> {
        let u = self.calib_use;
        let not = format!("not applied by {}", self.test);
        let mut m = BTreeMap::new();
        let mask = match (&self.calib.mask, u.mask) {
            (_, false) => not.clone(),
            (None, true) => "none".into(),
            (Some(p), true) => p.clone(),
        };
        m.insert("cosmetic_mask".to_string(), Value::String(mask));
        let bias = if !u.bias {
            not.clone()
        } else {
            let files: Vec<String> = (1..=3u8)
                .filter_map(|c| self.master_bias_path(c))
                .map(|p| match p.strip_prefix(&self.session_dir) {
                    Ok(rel) => format!("../{}", rel.display()),
                    Err(_) => p.display().to_string(),
                })
                .collect();
            if files.is_empty() {
                "none".into()
            } else {
                files.join(", ")
            }
        };
        m.insert("master_bias".to_string(), Value::String(bias));
        let flat = if !u.flat {
            Value::String(not)
        } else if self.calib.flats.is_empty() {
            Value::String("none".into())
        } else {
            Value::Object(
                self.calib
                    .flats
                    .iter()
                    .map(|(nm, p)| (format!("{nm}"), Value::String(p.clone())))
                    .collect(),
            )
        };
        m.insert("master_flats".to_string(), flat);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_folders() {
        assert_eq!(
            expand("/c/M_CCD{ccd}.fits", 2),
            PathBuf::from("/c/M_CCD2.fits")
        );
        assert_eq!(
            as_pattern("/c", MASK_IN_FOLDER),
            "/c/EUC_MASK_CCD{ccd}.fits"
        );
        assert_eq!(
            expand(&as_pattern("/c", BIAS_IN_FOLDER), 3),
            PathBuf::from("/c").join(master_bias_name(3))
        );
    }

    #[test]
    fn missing_input_names_the_file_and_key() {
        let cal = CalibrationConfig {
            cosmetic_mask: "/nonexistent/MASK_CCD{ccd}.fits".into(),
            ..CalibrationConfig::default()
        };
        let e = CalibInputs::resolve(&cal).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/MASK_CCD1.fits"), "{e}");
        assert!(e.contains("calibration.cosmetic_mask"), "{e}");
        let mut cal = CalibrationConfig::default();
        cal.master_flats
            .insert("nm800".into(), "/x/F{ccd}.fits".into());
        let e = CalibInputs::resolve(&cal).unwrap_err().to_string();
        assert!(e.contains("nm800"), "{e}");
    }

    #[test]
    fn row_application_masks_subtracts_divides() {
        let pc = PixelCalib {
            mask: Some(Arc::new(ndarray::arr2(&[[0.0, f32::NAN, 0.0]]))),
            bias: Some(Arc::new(ndarray::arr2(&[[1.0, 1.0, 2.0]]))),
            flat: Some(Arc::new(ndarray::arr2(&[[2.0, 1.0, 0.5]]))),
        };
        let mut row = [11.0f32, 11.0, 12.0];
        pc.apply_row(0, &mut row);
        assert_eq!(row[0], 5.0);
        assert!(row[1].is_nan());
        assert_eq!(row[2], 20.0);
    }

    /// A FLAT0x product (canonical image areas per quadrant) divides the illumination out of
    /// a frame in the CCD frame: the quadrant placement round-trips; scans are not divided.
    #[test]
    fn flat_product_flattens_an_illuminated_frame() {
        let g = FrameGeometry::small();
        let mut f = Frame::zeros(g);
        let b = g.section_box_qcan(Section::Image);
        for ((r, c), x) in f.data.indexed_iter_mut() {
            *x = 1000.0 * (1.0 + 1e-3 * r as f32 + 5e-4 * c as f32);
        }
        let raw = f.clone();
        // The illumination pattern per quadrant, as FLAT0x writes it (normalised to ~1).
        let hdus: Vec<(String, Array2<f32>)> = Quadrant::ALL
            .into_iter()
            .map(|q| {
                let v = vison_ccd::cutout(vison_ccd::qcan_view(&g, raw.data.view(), q), &b);
                (format!("FLAT_{}", q.name()), v.mapv(|x| x / 1000.0))
            })
            .collect();
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("flat.fits");
        let ph: Vec<_> = hdus
            .iter()
            .map(|(n, a)| vison_ccd::fits::ProductHdu {
                name: n.clone(),
                header: vison_ccd::Header::new(),
                data: vison_ccd::fits::ImageDataRef::F32(a.view()),
            })
            .collect();
        vison_ccd::write_product(&p, &vison_ccd::Header::new(), &ph).unwrap();
        let pc = PixelCalib {
            flat: Some(Arc::new(load_flat(&p, &g, "master_flats.800").unwrap())),
            ..PixelCalib::default()
        };
        pc.apply_frame(&mut f);
        for q in Quadrant::ALL {
            let img = vison_ccd::cutout(vison_ccd::qcan_view(&g, f.data.view(), q), &b);
            assert!(
                img.iter().all(|x| (x - 1000.0).abs() < 1e-2),
                "{q:?} not flat"
            );
            let pre = g.section_box_qcan(Section::Prescan);
            let a = vison_ccd::cutout(vison_ccd::qcan_view(&g, f.data.view(), q), &pre);
            let r = vison_ccd::cutout(vison_ccd::qcan_view(&g, raw.data.view(), q), &pre);
            assert_eq!(a, r, "{q:?}: prescan divided");
        }
        // A flat of another shape is an error naming the file.
        let e = load_flat(&p, &FrameGeometry::FULL, "master_flats.800").unwrap_err();
        assert!(e.to_string().contains("flat.fits"), "{e}");
    }
}
