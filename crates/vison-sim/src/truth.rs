//! The truth file of a synthetic campaign (`truth.json`): every injected value, with units in
//! the field names. The schema is documented in `docs/truth.md`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Version of the truth-file schema written by this crate.
pub const TRUTH_SCHEMA_VERSION: u32 = 1;

/// Names of the five spots of a quadrant, in pattern order.
pub const SPOT_NAMES: [&str; 5] = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO"];

/// Whole truth file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Schema version ([`TRUTH_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// How the campaign was generated.
    pub generator: GeneratorTruth,
    /// Static detector parameters: `ccds["CCD1"]["E"]`.
    pub ccds: BTreeMap<String, BTreeMap<String, QuadTruth>>,
    /// Smooth lamp (flat-field source) pattern per CCD: `illumination["CCD1"]`.
    pub illumination: BTreeMap<String, LampTruth>,
    /// Injected values per exposure, keyed by ObsID (decimal string).
    pub frames: BTreeMap<String, FrameTruth>,
    /// Spot positions: `spots["CCD1"]["E"]["ALPHA"]`.
    pub spots: BTreeMap<String, BTreeMap<String, BTreeMap<String, SpotTruth>>>,
    /// Charge traps seen by trap pumping.
    pub traps: Vec<TrapTruth>,
    /// Deliberate defects of the data set (`--faults`).
    pub faults: Vec<FaultTruth>,
}

fn chamber_shutter() -> String {
    "chamber".into()
}

/// Generator settings recorded in the truth file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorTruth {
    /// Random seed.
    pub seed: u64,
    /// `small` or `full`.
    pub size: String,
    /// Active columns per quadrant.
    pub image_cols_px: usize,
    /// Active rows per quadrant.
    pub image_rows_px: usize,
    /// Serial prescan columns per quadrant.
    pub prescan_px: usize,
    /// Serial overscan columns per quadrant.
    pub overscan_px: usize,
    /// Parallel overscan rows per quadrant.
    pub voverscan_px: usize,
    /// ELVIS version of the EXP_LOG / HK / header layout.
    pub elvis: String,
    /// Chamber (OGSE) profile name.
    pub chamber: String,
    /// Lamp time base: `chamber` (the lamp is on for the chamber's shutter-calibrated actual
    /// time, the default) or `none` (exactly the commanded time); `--shutter`.
    #[serde(default = "chamber_shutter")]
    pub shutter: String,
    /// Tests in campaign order.
    pub tests: Vec<String>,
    /// First ObsID.
    pub first_obsid: u64,
    /// Start of the first exposure, `DDMMYYDhhmmssT`.
    pub start: String,
    /// Day-folder name (`DD_Mmm_YY`).
    pub day_folder: String,
    /// Spot-position convention (see docs/truth.md).
    pub coordinates: String,
}

/// Non-linearity of the output chain: `adu_out = adu_in * (1 + c1 * x + c2 * x^2)` with
/// `x = adu_in / 65536` (`adu_in` = signal in ADU before offset, `gain`-converted electrons).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NonLinearityTruth {
    /// Linear fractional coefficient.
    pub c1: f64,
    /// Quadratic fractional coefficient.
    pub c2: f64,
    /// Fractional deviation `(adu_out - adu_in) / adu_in` at 10000 ADU.
    pub frac_dev_at_10000_adu: f64,
    /// Fractional deviation at 30000 ADU.
    pub frac_dev_at_30000_adu: f64,
    /// Fractional deviation at 50000 ADU.
    pub frac_dev_at_50000_adu: f64,
}

/// A hot pixel (canonical quadrant coordinates, see docs/truth.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HotPixelTruth {
    /// Serial index in the canonical quadrant (prescan included).
    pub x_px: usize,
    /// Parallel index (row) in the canonical quadrant.
    pub y_px: usize,
    /// Extra dark current.
    pub dark_e_per_s: f64,
}

/// A hot column: extra dark current in column `x_px` from row `y0_px` up to the last image row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HotColumnTruth {
    /// Serial index in the canonical quadrant (prescan included).
    pub x_px: usize,
    /// First affected row.
    pub y0_px: usize,
    /// Extra dark current per affected pixel.
    pub dark_e_per_px_per_s: f64,
}

/// Charge-injection response of a quadrant (reference 6.10 model, levels as fractions of
/// 65536 ADU): `f(IG1) = sigmoid(k_ig1 (IG1 - ig1_thresh_v)) * (slope * max(0, ig1_notch_v - IG1)
/// + floor)`, multiplied by `sigmoid(-k_idl (IDL - (IG1 + idl_thresh_above_ig1_v)))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InjectionTruth {
    /// IG1 threshold (V) below which injection is cut off.
    pub ig1_thresh_v: f64,
    /// Sigmoid steepness in IG1 (1/V).
    pub k_ig1_per_v: f64,
    /// IG1 notch (V): above it the level stays at the floor.
    pub ig1_notch_v: f64,
    /// Slope of the level below the notch (fraction of 65536 ADU per V).
    pub slope_frac_per_v: f64,
    /// Floor level (fraction of 65536 ADU).
    pub floor_frac: f64,
    /// IDL threshold relative to IG1 (V): injection needs `IDL < IG1 + this`.
    pub idl_thresh_above_ig1_v: f64,
    /// Sigmoid steepness in IDL (1/V).
    pub k_idl_per_v: f64,
    /// RMS of the static column-to-column multiplicative non-uniformity.
    pub column_nonuniformity_frac: f64,
}

/// Persistence after saturation: a saturated pixel releases charge at
/// `release_e_per_s * exp(-t / tau_s)`, t counted from the end of the saturating exposure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PersistenceTruth {
    /// Initial release rate per saturated pixel.
    pub release_e_per_s: f64,
    /// Decay time constant.
    pub tau_s: f64,
}

/// Static parameters of one quadrant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuadTruth {
    /// Mean bias level of the prescan (ADU).
    pub offset_adu: f64,
    /// Amplitude of the row structure `amp * cos(2 pi cycles r / quad_height + phase)` (ADU),
    /// common to all columns of a row.
    pub offset_row_amp_adu: f64,
    /// Whole cycles of the row structure over the quadrant height.
    pub offset_row_cycles: u32,
    /// Phase of the row structure (rad).
    pub offset_row_phase_rad: f64,
    /// Column structure: `slope * (x - prescan)` for columns after the prescan (ADU per px).
    pub offset_col_slope_adu_per_px: f64,
    /// Read noise (Gaussian sigma, ADU).
    pub ron_adu: f64,
    /// Gain (electrons per ADU).
    pub gain_e_per_adu: f64,
    /// Uniform dark current.
    pub dark_e_per_px_per_s: f64,
    /// Full-well capacity; excess charge blooms along the column.
    pub full_well_e: f64,
    /// Largest charge a pixel reports: the full well, or the charge whose output reaches the
    /// ADC limit (65535) if that comes first, as here (e-). What a PTC can measure.
    #[serde(default)]
    pub observable_full_well_e: f64,
    /// Output level of a pixel at full well, offset included, capped at 65535 (ADU).
    pub saturation_adu: f64,
    /// Output non-linearity.
    pub nonlinearity: NonLinearityTruth,
    /// RMS of the pixel response non-uniformity (fraction).
    pub prnu_rms_frac: f64,
    /// Hot pixels.
    pub hot_pixels: Vec<HotPixelTruth>,
    /// Hot columns.
    pub hot_columns: Vec<HotColumnTruth>,
    /// Charge-injection response.
    pub injection: InjectionTruth,
    /// Persistence.
    pub persistence: PersistenceTruth,
    /// Brighter-fatter model (enabled in campaigns that include BF01).
    #[serde(default)]
    pub brighter_fatter: crate::effects::BrighterFatterTruth,
}

/// Smooth lamp pattern of the flat-field source over a CCD:
/// `1 + a_x u + a_y v + a_r (u^2 + v^2)` with `u, v` in [-1, 1] across the CCD frame
/// (`u = 2 x / (NAXIS1 - 1) - 1`, `v = 2 y / (NAXIS2 - 1) - 1`, CCD frame pixel indices).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LampTruth {
    /// Gradient along x.
    pub a_x: f64,
    /// Gradient along y.
    pub a_y: f64,
    /// Radial (vignetting) term.
    pub a_r: f64,
}

/// Spot position and focus (static per CCD).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpotTruth {
    /// Centre, CCD frame x (0-based pixel index, pixel centres at integers).
    pub x_ccd_px: f64,
    /// Centre, CCD frame y.
    pub y_ccd_px: f64,
    /// Centre in the canonical quadrant, serial index (prescan included).
    pub x_qcan_px: f64,
    /// Centre in the canonical quadrant, row.
    pub y_qcan_px: f64,
    /// Best focus of this spot relative to the profile's nominal mirror position of the
    /// filter (mm): best focus = `mirror_nom + focus_offset_mm`.
    pub focus_offset_mm: f64,
}

/// A cosmic-ray track (canonical quadrant coordinates of its start).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CosmicRayTruth {
    /// Start, serial index.
    pub x_px: f64,
    /// Start, row.
    pub y_px: f64,
    /// Projected length.
    pub length_px: f64,
    /// Direction in the canonical quadrant (rad, 0 = serial direction).
    pub angle_rad: f64,
    /// Deposited charge.
    pub total_e: f64,
}

/// Spot values of one exposure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrameSpotTruth {
    /// Gaussian FWHM.
    pub fwhm_px: f64,
    /// Total charge.
    pub total_e: f64,
    /// Expected (noise-free) charge of the brightest pixel, before blooming.
    pub peak_e: f64,
}

/// Injected values in one quadrant of one exposure.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FrameQuadTruth {
    /// Uniform dark charge per pixel (rate x exposure time).
    pub dark_e: f64,
    /// Mean flat illumination before lamp pattern and PRNU (electrons per pixel).
    pub flat_e: f64,
    /// Charge-injection level of the injected lines (ADU, before non-linearity), if any.
    pub injection_adu: Option<f64>,
    /// Same in electrons.
    pub injection_e: Option<f64>,
    /// Injected lines: `on` rows followed by `off` rows, from canonical row 0.
    pub injection_on_off: Option<[usize; 2]>,
    /// Persistence from earlier saturated exposures (one entry per saturating exposure).
    pub persistence: Vec<FramePersistenceTruth>,
    /// Dipoles applied (trap pumping).
    pub dipoles: usize,
    /// Pixels at full well after blooming.
    pub saturated_px: usize,
    /// Spots of point-source exposures.
    pub spots: BTreeMap<String, FrameSpotTruth>,
    /// Cosmic rays.
    pub cosmic_rays: Vec<CosmicRayTruth>,
}

/// Persistence added to a frame by one earlier saturated exposure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FramePersistenceTruth {
    /// ObsID of the saturating exposure.
    pub from_obsid: u64,
    /// Charge added to each pixel that was at full well in that exposure.
    pub level_e: f64,
    /// Number of such pixels.
    pub px: usize,
}

/// One CCD of one exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameCcdTruth {
    /// FITS file name.
    pub file: String,
    /// Canonical rows actually read (`[vstart, vend)` mapped to this geometry); others are 0.
    pub rows_read_px: [usize; 2],
    /// Per quadrant values.
    pub quads: BTreeMap<String, FrameQuadTruth>,
}

/// One exposure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameTruth {
    /// Test name.
    pub test: String,
    /// Script column label (`col001`...).
    pub label: String,
    /// Commanded exposure time.
    pub exptime_s: f64,
    /// Actual exposure time (chamber shutter calibration) used for the illumination.
    pub exptime_actual_s: f64,
    /// Start time, `DDMMYYDhhmmssT`.
    pub date: String,
    /// Seconds since the start of the campaign.
    pub t_start_s: f64,
    /// `flat`, `point` or `none` (shutter closed).
    pub source: String,
    /// Filter wheel slot (1..6).
    pub wave: i64,
    /// Per CCD.
    pub ccds: BTreeMap<String, FrameCcdTruth>,
}

/// A charge trap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrapTruth {
    /// `CCD1`..`CCD3`.
    pub ccd: u8,
    /// Quadrant letter.
    pub quadrant: char,
    /// `true` for a serial-register trap (a column pair in every row), `false` for a
    /// parallel (image-area) trap.
    pub serial: bool,
    /// Serial index of the first pixel of the dipole (canonical quadrant, prescan included).
    pub x_px: usize,
    /// Row of the first pixel of the dipole (parallel traps; serial traps: 0).
    pub y_px: usize,
    /// Clock phase holding the trap (1..4 parallel, 1..3 serial).
    pub phase: u8,
    /// log10 of the capture probability per transfer.
    pub log10_pc: f64,
    /// Emission time constant (us).
    pub tau_us: f64,
}

/// A deliberate defect of the data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultTruth {
    /// Fault name as given to `--faults`.
    pub kind: String,
    /// ObsID concerned.
    pub obsid: u64,
    /// CCD concerned (1..3), if one.
    pub ccd: Option<u8>,
    /// What was done.
    pub detail: String,
}

impl Truth {
    /// Reads a truth file.
    pub fn read(path: &Path) -> Result<Truth, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            msg: format!("line {} column {}: {e}", e.line(), e.column()),
        })
    }

    /// Writes the truth file (pretty JSON) atomically.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            msg: format!("cannot serialise truth: {e}"),
        })?;
        crate::campaign::write_atomic(path, text.as_bytes())
    }

    /// Static parameters of one quadrant, `ccd` 1..3, quadrant letter.
    pub fn quad(&self, ccd: u8, quadrant: char) -> Option<&QuadTruth> {
        self.ccds
            .get(&format!("CCD{ccd}"))
            .and_then(|q| q.get(&quadrant.to_string()))
    }
}
