//! The session configuration (`--config session.toml`): inputs, per-test options and limits,
//! input calibration products and preprocessing. Every field has a documented default, so an
//! empty file (or no file) is a valid configuration. See `docs/pipeline.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vison_ogse::ShutterCalibration;

use crate::error::{Error, Result, io_err};

/// Whole session configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Inputs of the session.
    pub session: SessionSection,
    /// Performance limits (compliance).
    pub limits: PerfLimits,
    /// Input calibration products.
    pub calibration: CalibrationConfig,
    /// Image preparation.
    pub preprocessing: PrepConfig,
    /// House-keeping checks.
    pub hk: HkConfig,
    /// BIAS01/BIAS02 options.
    pub bias: BiasConfig,
    /// DARK01 options.
    pub dark: DarkConfig,
    /// Exposure selection per test name (`[select.BIAS01]`).
    pub select: BTreeMap<String, SelectConfig>,
}

/// `[session]`: inputs (command-line options override them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSection {
    /// Day folders, or folders holding day folders.
    pub data: Vec<PathBuf>,
    /// Tests to analyse, in order.
    pub tests: Vec<String>,
    /// Block (camera unit) name; selects the expected offsets. Default: none (`UNKNOWN`).
    pub block: Option<String>,
    /// ELVIS version of the exposure logs; default: detected from each log.
    pub elvis: Option<String>,
    /// Session ID; default `<block or VIS>_<YYYYMMDD>_<hhmmss>`.
    pub id: Option<String>,
    /// Worker threads; default: all cores.
    pub jobs: Option<usize>,
}

/// `[limits]`: performance limits (reference 4.1, `vison/image/performance.py`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PerfLimits {
    /// JSON file of expected offsets per CCD and quadrant (`testdata/blocks/` form); default:
    /// `testdata/blocks/<block>_offsets.json` if present, else the built-in UNKNOWN block.
    pub offsets_file: Option<PathBuf>,
    /// Allowed deviation of the prescan offset from the expected value, ADU (default 50).
    pub offset_tolerance_adu: f64,
    /// Allowed (image - prescan) and (overscan - prescan) offset gradient, ADU (default
    /// [-10, 10]).
    pub gradient_adu: [f64; 2],
    /// Allowed read noise, ADU (default [0.86, 1.44]).
    pub ron_adu: [f64; 2],
    /// Allowed saturated fraction of the image area (default [0, 0.1]).
    pub saturation_frac: [f64; 2],
    /// DARK01: allowed image-area signal above the offset per frame, ADU (default [-2, 5]).
    pub dark_fluence_img_adu: [f64; 2],
}

impl Default for PerfLimits {
    fn default() -> Self {
        PerfLimits {
            offsets_file: None,
            offset_tolerance_adu: 50.0,
            gradient_adu: [-10.0, 10.0],
            ron_adu: [0.86, 1.44],
            saturation_frac: [0.0, 0.1],
            dark_fluence_img_adu: [-2.0, 5.0],
        }
    }
}

/// `[calibration]`: input calibration products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalibrationConfig {
    /// Gain per CCD and quadrant, e-/ADU: a JSON file `{"CCD1": {"E": 3.3, ...}, ...}`.
    pub gains_file: Option<PathBuf>,
    /// Gain per CCD and quadrant given inline (`[calibration.gains_e_per_adu.CCD1]`);
    /// takes precedence over `gains_file`.
    pub gains_e_per_adu: BTreeMap<String, BTreeMap<String, f64>>,
    /// Gain used where none is given, e-/ADU (default 3.3, the reference's nominal gain).
    pub nominal_gain_e_per_adu: f64,
    /// Master bias, subtracted by the tests whose preprocessing applies it (docs/pipeline.md):
    /// `auto` (the session's BIAS01, else BIAS02, else none), `none`, a file pattern with
    /// `{ccd}` (extension `STACK`, else the last image), or a folder holding
    /// `EUC_MASTERBIAS_CCD<n>.fits`.
    pub master_bias: String,
    /// Cosmetic mask per CCD (nonzero = bad pixel, set to NaN): `none` (default), a file
    /// pattern with `{ccd}` (extension `MASK`, else the last image; the frame's shape), or a
    /// folder holding `EUC_MASK_CCD<n>.fits`.
    pub cosmetic_mask: String,
    /// Master flat per wavelength in nm (`"800" = "/cal/EUC_MASTERFLAT_FLAT01_col001_CCD{ccd}.fits"`):
    /// extension `FLAT` (the whole frame) or `FLAT_E`..`FLAT_H` (the FLAT0x products); the
    /// exposures of that wavelength are divided by it. Default: none.
    pub master_flats: BTreeMap<String, String>,
    /// Shutter calibration of the test chamber (commanded to actual exposure time), used on
    /// the exposure-time axis of NL0x and FLATFLUX00 (never to rescale PTC variances): `none`
    /// (commanded times, the default: nothing is known of the chamber), `B` (chamber B's table,
    /// embedded in vison-ogse), or a file of `commanded actual` lines.
    pub shutter: String,
    /// Non-linearity correction applied before the PTC fits (PTC0x, BF01): an NL0x product
    /// `EUC_NLCORR_<test>.json` (`{"CCD1": {"E": {"coefficients": [...], "valid_min_adu": ..,
    /// "valid_max_adu": ..}, ...}, ...}`); none by default (the PTC is fitted as measured).
    pub nonlinearity: Option<PathBuf>,
    /// OGSE chamber profile of the point-source tests (built-in name or profile JSON path).
    pub chamber: String,
}

impl Default for CalibrationConfig {
    fn default() -> Self {
        CalibrationConfig {
            gains_file: None,
            gains_e_per_adu: BTreeMap::new(),
            nominal_gain_e_per_adu: 3.3,
            master_bias: "auto".into(),
            cosmetic_mask: "none".into(),
            master_flats: BTreeMap::new(),
            shutter: "none".into(),
            nonlinearity: None,
            chamber: vison_ogse::DEFAULT_CHAMBER.into(),
        }
    }
}

pub use vison_ccd::quadcheck::OffsetEstimator;

/// `[preprocessing]`: image preparation before the analyses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrepConfig {
    /// Offset estimator (default `median`, the reference's BIAS0X/DARK01 method).
    pub offset_estimator: OffsetEstimator,
    /// Scan region giving the offset: `prescan` (default) or `overscan`.
    pub offset_scan: String,
    /// Columns dropped at the readout end and the far end of the scan region (default [25, 5]).
    pub offset_trim: [usize; 2],
    /// Mask lost (0) and saturated (65535) pixels (default true).
    pub mask_bad_pixels: bool,
    /// Memory budget of the stacking bands, MiB (default 512).
    pub stack_budget_mib: usize,
}

impl PrepConfig {
    /// The offset measurement these settings describe.
    pub fn level_method(&self) -> vison_ccd::quadcheck::LevelMethod {
        vison_ccd::quadcheck::LevelMethod {
            estimator: self.offset_estimator,
            scan: if self.offset_scan == "overscan" {
                vison_ccd::offset::ScanRegion::Overscan
            } else {
                vison_ccd::offset::ScanRegion::Prescan
            },
            trim_cols: (self.offset_trim[0], self.offset_trim[1]),
        }
    }
}

impl Default for PrepConfig {
    fn default() -> Self {
        PrepConfig {
            offset_estimator: OffsetEstimator::Median,
            offset_scan: "prescan".into(),
            offset_trim: [25, 5],
            mask_bad_pixels: true,
            stack_budget_mib: 512,
        }
    }
}

/// `[hk]`: house-keeping checks (reference 3.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HkConfig {
    /// Run the HK checks (default true).
    pub enabled: bool,
    /// Compare the `mean` of the readings (reference, default) or their `extremes`.
    pub check_on: String,
    /// Keys checked; default the reference's pipeline list.
    pub keys: Option<Vec<String>>,
}

impl Default for HkConfig {
    fn default() -> Self {
        HkConfig {
            enabled: true,
            check_on: "mean".into(),
            keys: None,
        }
    }
}

/// Stacking method of a master frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackChoice {
    /// Per-pixel median (reference).
    Median,
    /// Per-pixel mean.
    Mean,
    /// Per-pixel mean after 3-sigma clipping (2 iterations).
    ClippedMean,
}

impl StackChoice {
    /// The vison-ccd stacking method.
    pub fn method(self) -> vison_ccd::stack::StackMethod {
        use vison_ccd::stack::StackMethod;
        match self {
            StackChoice::Median => StackMethod::Median,
            StackChoice::Mean => StackMethod::Mean,
            StackChoice::ClippedMean => StackMethod::ClippedMean {
                sigma: 3.0,
                max_iter: 2,
            },
        }
    }
}

/// `[bias]`: BIAS01/BIAS02 analysis options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BiasConfig {
    /// Master-bias stacking (default `median`, reference 4.2).
    pub stack: StackChoice,
    /// Sigma of the clipping of the RON residuals (default 5).
    pub ron_clip_sigma: f64,
    /// Remove the ADU quantisation variance (1/12 ADU^2) from the RON (default true).
    pub ron_quantisation_correction: bool,
}

impl Default for BiasConfig {
    fn default() -> Self {
        BiasConfig {
            stack: StackChoice::Median,
            ron_clip_sigma: 5.0,
            ron_quantisation_correction: true,
        }
    }
}

/// `[dark]`: DARK01 analysis options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DarkConfig {
    /// Master-dark stacking of the product (default `median`, reference 4.3).
    pub stack: StackChoice,
    /// A pixel is hot when, in the per-pixel minimum of the frames, it exceeds the running
    /// median of its column (9 rows) by more than this, ADU (default 50, the reference's upper
    /// threshold).
    pub hot_pixel_threshold_adu: f64,
    /// A column is hot when at least `hot_column_min_frac` of its image rows exceed the
    /// quadrant background by more than this, ADU (default 10).
    pub hot_column_threshold_adu: f64,
    /// Fraction of image rows (default 0.1; the reference's 200 px of 2066).
    pub hot_column_min_frac: f64,
    /// Remove the difference of prescan offsets between dark and bias frames (default false:
    /// on a stable offset that difference is noise of about 0.01-0.03 ADU, comparable with the
    /// dark signal of short or small frames).
    pub correct_offset_drift: bool,
    /// Sigma of the clipping of the dark-current mean (default 4).
    pub clip_sigma: f64,
}

impl Default for DarkConfig {
    fn default() -> Self {
        DarkConfig {
            stack: StackChoice::Median,
            hot_pixel_threshold_adu: 50.0,
            hot_column_threshold_adu: 10.0,
            hot_column_min_frac: 0.1,
            correct_offset_drift: false,
            clip_sigma: 4.0,
        }
    }
}

/// `[select.<TEST>]`: exposure selection and expected structure of one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelectConfig {
    /// Inclusive ObsID limits; default all.
    pub obsid_lims: Option<[i64; 2]>,
    /// Frames the script asks for; default the campaign value (BIAS0X 10, DARK01 4).
    pub n_frames: Option<u32>,
    /// `campaign` (default) or `class` script defaults.
    pub preset: String,
}

impl Default for SelectConfig {
    fn default() -> Self {
        SelectConfig {
            obsid_lims: None,
            n_frames: None,
            preset: "campaign".into(),
        }
    }
}

impl SessionConfig {
    /// Reads a TOML session file. Relative paths inside are resolved against its folder.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        let mut cfg = Self::from_toml(&text, &path.display().to_string())?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        cfg.resolve_paths(base);
        Ok(cfg)
    }

    /// Parses TOML text (`file` names it in errors).
    pub fn from_toml(text: &str, file: &str) -> Result<Self> {
        let cfg: SessionConfig = toml::from_str(text).map_err(|e| Error::Config {
            file: file.to_string(),
            detail: e.to_string(),
        })?;
        cfg.validate(file)?;
        Ok(cfg)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        self.session.data.iter_mut().for_each(fix);
        if let Some(p) = self.limits.offsets_file.as_mut() {
            fix(p);
        }
        if let Some(p) = self.calibration.gains_file.as_mut() {
            fix(p);
        }
        if let Some(p) = self.calibration.nonlinearity.as_mut() {
            fix(p);
        }
        let sh = &self.calibration.shutter;
        if sh != "B" && sh != "none" && Path::new(sh).is_relative() {
            self.calibration.shutter = base.join(sh).display().to_string();
        }
        let fix_str = |s: &mut String| {
            if s != "auto" && s != "none" && !s.is_empty() && Path::new(s.as_str()).is_relative() {
                *s = base.join(s.as_str()).display().to_string();
            }
        };
        let cal = &mut self.calibration;
        fix_str(&mut cal.master_bias);
        fix_str(&mut cal.cosmetic_mask);
        cal.master_flats.values_mut().for_each(fix_str);
    }

    /// Checks ranges and choices; errors name the key.
    pub fn validate(&self, file: &str) -> Result<()> {
        let bad = |detail: String| {
            Err(Error::Config {
                file: file.to_string(),
                detail,
            })
        };
        for (key, r) in [
            ("limits.gradient_adu", self.limits.gradient_adu),
            ("limits.ron_adu", self.limits.ron_adu),
            ("limits.saturation_frac", self.limits.saturation_frac),
            (
                "limits.dark_fluence_img_adu",
                self.limits.dark_fluence_img_adu,
            ),
        ] {
            if r[0].is_nan() || r[1].is_nan() || r[0] > r[1] {
                return bad(format!("{key}: lower limit {} above upper {}", r[0], r[1]));
            }
        }
        if self.calibration.nominal_gain_e_per_adu.is_nan()
            || self.calibration.nominal_gain_e_per_adu <= 0.0
        {
            return bad("calibration.nominal_gain_e_per_adu must be > 0".into());
        }
        if !matches!(
            self.preprocessing.offset_scan.as_str(),
            "prescan" | "overscan"
        ) {
            return bad(format!(
                "preprocessing.offset_scan: `{}` (prescan or overscan)",
                self.preprocessing.offset_scan
            ));
        }
        if !matches!(self.hk.check_on.as_str(), "mean" | "extremes") {
            return bad(format!(
                "hk.check_on: `{}` (mean or extremes)",
                self.hk.check_on
            ));
        }
        for (t, s) in &self.select {
            if !matches!(s.preset.as_str(), "campaign" | "class") {
                return bad(format!(
                    "select.{t}.preset: `{}` (campaign or class)",
                    s.preset
                ));
            }
        }
        for wave in self.calibration.master_flats.keys() {
            if wave.parse::<u32>().is_err() {
                return bad(format!(
                    "calibration.master_flats: key `{wave}` is not a wavelength in nm"
                ));
            }
        }
        if self.dark.hot_column_min_frac <= 0.0 || self.dark.hot_column_min_frac > 1.0 {
            return bad("dark.hot_column_min_frac must be in (0, 1]".into());
        }
        Ok(())
    }

    /// The shutter calibration named by `calibration.shutter`.
    ///
    /// # Errors
    /// The calibration file cannot be read or parsed (the error names it).
    pub fn shutter_calibration(&self) -> Result<ShutterCalibration> {
        match self.calibration.shutter.as_str() {
            "B" => Ok(ShutterCalibration::chamber_b()),
            "none" => Ok(ShutterCalibration {
                points_s: Vec::new(),
            }),
            path => ShutterCalibration::from_path(Path::new(path)).map_err(|e| Error::Config {
                file: path.to_string(),
                detail: format!("calibration.shutter: {e}"),
            }),
        }
    }

    /// Selection settings of `test` (defaults when absent).
    pub fn select_for(&self, test: &str) -> SelectConfig {
        self.select.get(test).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_example_parses_and_matches_the_defaults() {
        let text = include_str!("../../../../docs/session-example.toml");
        let c = SessionConfig::from_toml(text, "docs/session-example.toml").unwrap();
        let d = SessionConfig::default();
        assert_eq!(c.limits, d.limits);
        assert_eq!(c.preprocessing, d.preprocessing);
        assert_eq!(c.bias, d.bias);
        assert_eq!(c.dark, d.dark);
        assert_eq!(c.hk, d.hk);
        assert_eq!(c.calibration, d.calibration);
        assert_eq!(c.session.tests, vec!["BIAS01", "BIAS02", "DARK01"]);
    }

    #[test]
    fn empty_file_gives_reference_defaults() {
        let c = SessionConfig::from_toml("", "x").unwrap();
        assert_eq!(c.limits.ron_adu, [0.86, 1.44]);
        assert_eq!(c.limits.offset_tolerance_adu, 50.0);
        assert_eq!(c.preprocessing.offset_trim, [25, 5]);
        assert_eq!(c.calibration.nominal_gain_e_per_adu, 3.3);
    }

    #[test]
    fn unknown_keys_and_bad_ranges_are_errors_naming_the_key() {
        let e = SessionConfig::from_toml("[limits]\nron = [1, 2]\n", "s.toml").unwrap_err();
        assert!(e.to_string().contains("ron"), "{e}");
        let e = SessionConfig::from_toml("[limits]\nron_adu = [2.0, 1.0]\n", "s.toml").unwrap_err();
        assert!(e.to_string().contains("limits.ron_adu"), "{e}");
        let t = "[select.BIAS01]\nobsid_lims = [10, 20]\nn_frames = 5\n";
        let c = SessionConfig::from_toml(t, "s.toml").unwrap();
        assert_eq!(c.select_for("BIAS01").obsid_lims, Some([10, 20]));
        assert_eq!(c.select_for("DARK01").n_frames, None);
    }
}
