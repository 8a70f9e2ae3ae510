//! OGSE (optical ground-support equipment) chamber profiles, spot patterns and shutter
//! calibration (reference 6.7 and 6.14).
//!
//! The real chamber-B profile `CHAMBER_B_CBE_MAR19` (with its spot patterns and shutter
//! calibration, shipped in `testdata/ogse/`) is embedded and is the default; the reference's
//! default profile is available as `DEFAULT`. Other profiles load from a JSON file (patterns
//! are then read from the same folder).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod error;

pub use error::Error;

const B_CBE_MAR19_JSON: &str =
    include_str!("../../../testdata/ogse/CHAMBER_B_CBE_MAR19_profile.json");
const DEFAULT_JSON: &str = include_str!("../../../testdata/ogse/CHAMBER_DEFAULT_profile.json");
const PATTERN_B_CCD1: &str =
    include_str!("../../../testdata/ogse/Pattern_CCD1_CHAMBER_B_JAN19.txt");
const PATTERN_B_CCD2: &str =
    include_str!("../../../testdata/ogse/Pattern_CCD2_CHAMBER_B_JAN19.txt");
const PATTERN_B_CCD3: &str =
    include_str!("../../../testdata/ogse/Pattern_CCD3_CHAMBER_B_JAN19.txt");
const SHUTTER_B: &str = include_str!("../../../testdata/ogse/shutter_B_calibration.txt");

/// Name of the default chamber profile.
pub const DEFAULT_CHAMBER: &str = "B_CBE_MAR19";

/// Names of the embedded chamber profiles.
pub const BUILTIN_CHAMBERS: &[&str] = &["B_CBE_MAR19", "DEFAULT"];

/// Names of the five spots of a quadrant.
pub const SPOT_NAMES: [&str; 5] = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO"];

/// Fixed OGSE overheads (reference 6.14), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Overheads {
    /// Full-frame readout.
    pub ff_readout_s: f64,
    /// Writing a frame to disk.
    pub writing_s: f64,
    /// Switching between flat and point source.
    pub flat2point_s: f64,
    /// Moving the focus mirror.
    pub delta_focus_s: f64,
    /// Moving the filter wheel.
    pub fw_s: f64,
}

impl Default for Overheads {
    fn default() -> Self {
        Overheads {
            ff_readout_s: 72.0,
            writing_s: 25.0,
            flat2point_s: 40.0,
            delta_focus_s: 0.0,
            fw_s: 2.0,
        }
    }
}

/// One spot of a measured pattern, in physical coordinates (pixels on silicon, virtual pixels
/// removed; reference 1.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternSpot {
    /// Quadrant letter (E, F, G, H).
    pub quadrant: char,
    /// Spot name (ALPHA ... ECHO).
    pub spot: String,
    /// Physical x (serial), px.
    pub x_phys_px: f64,
    /// Physical y (parallel), px.
    pub y_phys_px: f64,
}

impl PatternSpot {
    /// Position in full-frame CCD coordinates (see [`phys_to_ccd`]).
    pub fn ccd_coords_px(&self) -> (f64, f64) {
        phys_to_ccd(self.quadrant, self.x_phys_px, self.y_phys_px)
    }
}

/// Spot pattern of one CCD: 20 spots (5 per quadrant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpotPattern {
    /// Spots in file order.
    pub spots: Vec<PatternSpot>,
}

impl SpotPattern {
    /// Parses a pattern file (`# ID X Y` header, rows `EA 490.39 3729.01`); `source` names the
    /// file in errors.
    pub fn parse(text: &str, source: &Path) -> Result<Self, Error> {
        let mut spots = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |msg: String| Error::Parse {
                path: source.to_path_buf(),
                msg: format!("line {}: {msg}", i + 1),
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() != 3 {
                return Err(err(format!(
                    "expected `ID X Y`, got {} fields",
                    fields.len()
                )));
            }
            let id: Vec<char> = fields[0].chars().collect();
            if id.len() != 2 || !"EFGH".contains(id[0]) {
                return Err(err(format!("bad spot ID `{}`", fields[0])));
            }
            let spot = SPOT_NAMES
                .iter()
                .find(|n| n.starts_with(id[1]))
                .ok_or_else(|| err(format!("bad spot letter in `{}`", fields[0])))?;
            let x: f64 = fields[1]
                .parse()
                .map_err(|_| err(format!("bad X `{}`", fields[1])))?;
            let y: f64 = fields[2]
                .parse()
                .map_err(|_| err(format!("bad Y `{}`", fields[2])))?;
            spots.push(PatternSpot {
                quadrant: id[0],
                spot: (*spot).to_string(),
                x_phys_px: x,
                y_phys_px: y,
            });
        }
        if spots.is_empty() {
            return Err(Error::Parse {
                path: source.to_path_buf(),
                msg: "no spots".into(),
            });
        }
        Ok(SpotPattern { spots })
    }

    /// The theoretical grid (reference 6.7): spot (fx, fy) of each quadrant at
    /// x = 51 + fx 2048 (+2119 for F/G), y = 2086 fy (+2086 for E/F) in CCD coordinates.
    pub fn nominal() -> Self {
        let fracs = [(0.2, 0.8), (0.8, 0.8), (0.5, 0.5), (0.2, 0.2), (0.8, 0.2)];
        let mut spots = Vec::new();
        for q in ['E', 'F', 'G', 'H'] {
            for (name, (fx, fy)) in SPOT_NAMES.iter().zip(fracs) {
                let x = 51.0 + fx * 2048.0 + if matches!(q, 'F' | 'G') { 2119.0 } else { 0.0 };
                let y = 2086.0 * fy + if matches!(q, 'E' | 'F') { 2086.0 } else { 0.0 };
                let (xp, yp) = ccd_to_phys(q, x, y);
                spots.push(PatternSpot {
                    quadrant: q,
                    spot: (*name).to_string(),
                    x_phys_px: xp,
                    y_phys_px: yp,
                });
            }
        }
        SpotPattern { spots }
    }

    /// The spot of a quadrant by name.
    pub fn get(&self, quadrant: char, spot: &str) -> Option<&PatternSpot> {
        self.spots
            .iter()
            .find(|s| s.quadrant == quadrant && s.spot == spot)
    }
}

/// x offset between physical and CCD coordinates for a quadrant (51 for E/H, 91 for F/G).
fn x_offset_px(quadrant: char) -> f64 {
    if matches!(quadrant, 'F' | 'G') {
        51.0 + 2.0 * 20.0
    } else {
        51.0
    }
}

/// y offset between physical and CCD coordinates for a quadrant (36 for E/F, 0 for G/H).
fn y_offset_px(quadrant: char) -> f64 {
    if matches!(quadrant, 'E' | 'F') {
        2.0 * 20.0 - 2.0 * 2.0
    } else {
        0.0
    }
}

/// Physical -> full-frame CCD coordinates of a point of a quadrant (reference 1.2).
pub fn phys_to_ccd(quadrant: char, x_phys_px: f64, y_phys_px: f64) -> (f64, f64) {
    (
        x_phys_px + x_offset_px(quadrant),
        y_phys_px + y_offset_px(quadrant),
    )
}

/// Full-frame CCD -> physical coordinates of a point of a quadrant (reference 1.2).
pub fn ccd_to_phys(quadrant: char, x_ccd_px: f64, y_ccd_px: f64) -> (f64, f64) {
    (
        x_ccd_px - x_offset_px(quadrant),
        y_ccd_px - y_offset_px(quadrant),
    )
}

/// Shutter calibration: commanded vs actual exposure time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShutterCalibration {
    /// (commanded_s, actual_s) pairs, sorted by commanded time.
    pub points_s: Vec<(f64, f64)>,
}

impl ShutterCalibration {
    /// The embedded chamber-B calibration.
    pub fn chamber_b() -> Self {
        // The embedded file is checked by the unit tests; an empty table is the identity.
        Self::parse(SHUTTER_B, Path::new("shutter_B_calibration.txt")).unwrap_or(
            ShutterCalibration {
                points_s: Vec::new(),
            },
        )
    }

    /// Parses a two-column text file (`#` comments).
    pub fn parse(text: &str, source: &Path) -> Result<Self, Error> {
        let mut points_s = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let vals: Vec<f64> = line
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|_| Error::Parse {
                    path: source.to_path_buf(),
                    msg: format!("line {}: not numbers: `{line}`", i + 1),
                })?;
            if vals.len() != 2 {
                return Err(Error::Parse {
                    path: source.to_path_buf(),
                    msg: format!("line {}: expected 2 columns", i + 1),
                });
            }
            points_s.push((vals[0], vals[1]));
        }
        points_s.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(ShutterCalibration { points_s })
    }

    /// Reads a calibration file.
    pub fn from_path(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Actual exposure time for a commanded one: linear interpolation in the table; beyond the
    /// last point the last offset (actual - commanded) is kept; identity with an empty table.
    pub fn actual_exptime_s(&self, commanded_s: f64) -> f64 {
        let p = &self.points_s;
        let (Some(first), Some(last)) = (p.first(), p.last()) else {
            return commanded_s;
        };
        match p.len() {
            _ if commanded_s.is_nan() => commanded_s,
            _ if commanded_s <= first.0 => commanded_s + (first.1 - first.0),
            _ if commanded_s >= last.0 => commanded_s + (last.1 - last.0),
            n => {
                let k = p
                    .iter()
                    .position(|q| q.0 > commanded_s)
                    .unwrap_or(n - 1)
                    .max(1);
                let (x0, y0) = p[k - 1];
                let (x1, y1) = p[k];
                if x1 > x0 {
                    y0 + (y1 - y0) * (commanded_s - x0) / (x1 - x0)
                } else {
                    y0
                }
            }
        }
    }
}

/// Raw JSON layout of a chamber profile file.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
struct ProfileJson {
    tFWC_point: BTreeMap<String, f64>,
    tFWC_flat: BTreeMap<String, f64>,
    mirror_nom: BTreeMap<String, f64>,
    fwhm_lambda: BTreeMap<String, f64>,
    FW: BTreeMap<String, u32>,
    #[serde(default)]
    PATTERN: BTreeMap<String, String>,
}

/// A chamber (OGSE) profile (reference 6.14).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OgseProfile {
    /// Chamber name (e.g. `B_CBE_MAR19`).
    pub name: String,
    /// Seconds to full well with the flat source, per wavelength (nm; 0 = no filter).
    pub t_fwc_flat_s: BTreeMap<u32, f64>,
    /// Seconds to full well (peak) with the point source, per wavelength (nm).
    pub t_fwc_point_s: BTreeMap<u32, f64>,
    /// Nominal (best-focus) mirror position per filter slot (1..6), mm.
    pub mirror_nom_mm: BTreeMap<u8, f64>,
    /// Expected spot FWHM at focus per wavelength, px.
    pub fwhm_px: BTreeMap<u32, f64>,
    /// Filter wheel: slot (1..6) -> wavelength (nm).
    pub filter_wheel_nm: BTreeMap<u8, u32>,
    /// Spot pattern per CCD (1..3); empty when the profile has none (the nominal grid is used).
    pub patterns: BTreeMap<u8, SpotPattern>,
    /// Shutter calibration.
    pub shutter: ShutterCalibration,
    /// Fixed overheads.
    pub overheads: Overheads,
}

impl Default for OgseProfile {
    fn default() -> Self {
        Self::default_chamber()
    }
}

fn parse_nm(key: &str, path: &Path, what: &str) -> Result<u32, Error> {
    key.strip_prefix("nm")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Parse {
            path: path.to_path_buf(),
            msg: format!("{what}: bad wavelength key `{key}` (expected nm<wavelength>)"),
        })
}

fn parse_slot(key: &str, path: &Path, what: &str) -> Result<u8, Error> {
    key.strip_prefix('F')
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Parse {
            path: path.to_path_buf(),
            msg: format!("{what}: bad filter key `{key}` (expected F<slot>)"),
        })
}

fn parse_ccd(key: &str, path: &Path) -> Result<u8, Error> {
    key.strip_prefix("CCD")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Parse {
            path: path.to_path_buf(),
            msg: format!("PATTERN: bad CCD key `{key}`"),
        })
}

impl OgseProfile {
    /// The real chamber-B profile `B_CBE_MAR19` with its patterns and shutter calibration.
    pub fn default_chamber() -> Self {
        // The embedded files are valid (checked by unit tests); fall back to the reference
        // default only if that invariant were broken.
        Self::builtin(DEFAULT_CHAMBER).unwrap_or_else(|_| Self::reference_default())
    }

    /// The reference's default profile (no pattern: the nominal grid is used).
    pub fn reference_default() -> Self {
        Self::from_json_str(
            "DEFAULT",
            DEFAULT_JSON,
            Path::new("CHAMBER_DEFAULT_profile.json"),
            |_| None,
        )
        .unwrap_or_else(|_| OgseProfile {
            name: "DEFAULT".into(),
            t_fwc_flat_s: BTreeMap::new(),
            t_fwc_point_s: BTreeMap::new(),
            mirror_nom_mm: BTreeMap::new(),
            fwhm_px: BTreeMap::new(),
            filter_wheel_nm: BTreeMap::new(),
            patterns: BTreeMap::new(),
            shutter: ShutterCalibration {
                points_s: Vec::new(),
            },
            overheads: Overheads::default(),
        })
    }

    /// An embedded profile by chamber name (`B_CBE_MAR19`, `DEFAULT`; also accepts the
    /// `CHAMBER_` prefix).
    pub fn builtin(name: &str) -> Result<Self, Error> {
        let name = name.trim_start_matches("CHAMBER_");
        match name {
            "B_CBE_MAR19" => {
                let mut p = Self::from_json_str(
                    name,
                    B_CBE_MAR19_JSON,
                    Path::new("CHAMBER_B_CBE_MAR19_profile.json"),
                    |file| match file {
                        "Pattern_CCD1_CHAMBER_B_JAN19.txt" => Some(PATTERN_B_CCD1.to_string()),
                        "Pattern_CCD2_CHAMBER_B_JAN19.txt" => Some(PATTERN_B_CCD2.to_string()),
                        "Pattern_CCD3_CHAMBER_B_JAN19.txt" => Some(PATTERN_B_CCD3.to_string()),
                        _ => None,
                    },
                )?;
                p.shutter =
                    ShutterCalibration::parse(SHUTTER_B, Path::new("shutter_B_calibration.txt"))?;
                Ok(p)
            }
            "DEFAULT" => Ok(Self::reference_default()),
            other => Err(Error::Option {
                what: "OGSE".into(),
                msg: format!("unknown chamber `{other}` (built in: {BUILTIN_CHAMBERS:?})"),
            }),
        }
    }

    /// Loads a profile JSON file; pattern files named in `PATTERN` are read from the same folder
    /// and a `shutter_*_calibration.txt` beside it is not implied (identity shutter).
    pub fn from_path(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("custom");
        let name = stem
            .trim_start_matches("CHAMBER_")
            .trim_end_matches("_profile")
            .to_string();
        let dir: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::from_json_str(&name, &text, path, |file| {
            std::fs::read_to_string(dir.join(file)).ok()
        })
    }

    /// Parses a profile from JSON text; `pattern_text` returns the content of a named pattern
    /// file (a missing pattern file is an error).
    pub fn from_json_str(
        name: &str,
        text: &str,
        path: &Path,
        pattern_text: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Error> {
        let raw: ProfileJson = serde_json::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            msg: format!("line {} column {}: {e}", e.line(), e.column()),
        })?;
        let by_nm = |m: &BTreeMap<String, f64>, what: &str| -> Result<BTreeMap<u32, f64>, Error> {
            m.iter()
                .map(|(k, v)| Ok((parse_nm(k, path, what)?, *v)))
                .collect()
        };
        let mut patterns = BTreeMap::new();
        for (ccd, file) in &raw.PATTERN {
            let n = parse_ccd(ccd, path)?;
            let ptext = pattern_text(file).ok_or_else(|| Error::Parse {
                path: path.to_path_buf(),
                msg: format!("PATTERN.{ccd}: pattern file `{file}` not found"),
            })?;
            patterns.insert(n, SpotPattern::parse(&ptext, Path::new(file))?);
        }
        Ok(OgseProfile {
            name: name.to_string(),
            t_fwc_flat_s: by_nm(&raw.tFWC_flat, "tFWC_flat")?,
            t_fwc_point_s: by_nm(&raw.tFWC_point, "tFWC_point")?,
            fwhm_px: by_nm(&raw.fwhm_lambda, "fwhm_lambda")?,
            mirror_nom_mm: raw
                .mirror_nom
                .iter()
                .map(|(k, v)| Ok((parse_slot(k, path, "mirror_nom")?, *v)))
                .collect::<Result<_, Error>>()?,
            filter_wheel_nm: raw
                .FW
                .iter()
                .map(|(k, v)| Ok((parse_slot(k, path, "FW")?, *v)))
                .collect::<Result<_, Error>>()?,
            patterns,
            shutter: ShutterCalibration {
                points_s: Vec::new(),
            },
            overheads: Overheads::default(),
        })
    }

    /// A profile by chamber name (embedded) or, if `name_or_path` is an existing file, from it.
    pub fn load(name_or_path: &str) -> Result<Self, Error> {
        let p = Path::new(name_or_path);
        if p.is_file() {
            Self::from_path(p)
        } else {
            Self::builtin(name_or_path)
        }
    }

    fn no_wave(&self, what: &str, wavelength_nm: u32) -> Error {
        Error::Option {
            what: format!("OGSE {}", self.name),
            msg: format!("{what}: no entry for {wavelength_nm} nm"),
        }
    }

    /// Filter-wheel slot (1..6) holding a wavelength (nm); 0 nm is the open slot.
    pub fn filter_for_wavelength(&self, wavelength_nm: u32) -> Result<u8, Error> {
        self.filter_wheel_nm
            .iter()
            .find(|(_, nm)| **nm == wavelength_nm)
            .map(|(f, _)| *f)
            .ok_or_else(|| self.no_wave("filter wheel", wavelength_nm))
    }

    /// Wavelength (nm) of a filter slot.
    pub fn wavelength_of_filter(&self, filter: u8) -> Option<u32> {
        self.filter_wheel_nm.get(&filter).copied()
    }

    /// Seconds to full well with the flat source at a wavelength.
    pub fn t_fwc_flat_s(&self, wavelength_nm: u32) -> Result<f64, Error> {
        self.t_fwc_flat_s
            .get(&wavelength_nm)
            .copied()
            .ok_or_else(|| self.no_wave("tFWC_flat", wavelength_nm))
    }

    /// Seconds to full well with the point source at a wavelength.
    pub fn t_fwc_point_s(&self, wavelength_nm: u32) -> Result<f64, Error> {
        self.t_fwc_point_s
            .get(&wavelength_nm)
            .copied()
            .ok_or_else(|| self.no_wave("tFWC_point", wavelength_nm))
    }

    /// Flat-source exposure time (s) for a fluence `rel_fluence` (fraction of full well, e.g.
    /// 0.5), rounded to 1 ms.
    pub fn exptime_flat_s(&self, wavelength_nm: u32, rel_fluence: f64) -> Result<f64, Error> {
        Ok(round_ms(rel_fluence * self.t_fwc_flat_s(wavelength_nm)?))
    }

    /// Point-source exposure time (s) for a peak fluence `rel_fluence` (fraction of full well),
    /// rounded to 1 ms.
    pub fn exptime_point_s(&self, wavelength_nm: u32, rel_fluence: f64) -> Result<f64, Error> {
        Ok(round_ms(rel_fluence * self.t_fwc_point_s(wavelength_nm)?))
    }

    /// Flat fluence (fraction of full well) reached in `exptime_s` at a wavelength.
    pub fn flat_fluence_fraction(&self, wavelength_nm: u32, exptime_s: f64) -> Result<f64, Error> {
        Ok(exptime_s / self.t_fwc_flat_s(wavelength_nm)?)
    }

    /// Best-focus mirror position (mm) for a wavelength.
    pub fn mirror_nom_mm(&self, wavelength_nm: u32) -> Result<f64, Error> {
        let f = self.filter_for_wavelength(wavelength_nm)?;
        self.mirror_nom_mm
            .get(&f)
            .copied()
            .ok_or_else(|| self.no_wave("mirror_nom", wavelength_nm))
    }

    /// Expected spot FWHM at focus (px) for a wavelength.
    pub fn fwhm_px(&self, wavelength_nm: u32) -> Result<f64, Error> {
        self.fwhm_px
            .get(&wavelength_nm)
            .copied()
            .ok_or_else(|| self.no_wave("fwhm_lambda", wavelength_nm))
    }

    /// Spot FWHM (px) at a mirror position: fwhm x (1 + ((mirr_pos - nominal) / 0.2 mm)^2)
    /// (the generator's defocus law, reference 7.1).
    pub fn spot_fwhm_px(&self, wavelength_nm: u32, mirr_pos_mm: f64) -> Result<f64, Error> {
        let d = (mirr_pos_mm - self.mirror_nom_mm(wavelength_nm)?) / 0.2;
        Ok(self.fwhm_px(wavelength_nm)? * (1.0 + d * d))
    }

    /// Spot pattern of a CCD (1..3): the measured one, else the nominal grid.
    pub fn pattern(&self, ccd: u8) -> SpotPattern {
        self.patterns
            .get(&ccd)
            .cloned()
            .unwrap_or_else(SpotPattern::nominal)
    }
}

/// Rounds a time to 1 ms.
pub fn round_ms(t_s: f64) -> f64 {
    (t_s * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_chamber_parses() {
        let p = OgseProfile::builtin("B_CBE_MAR19").unwrap();
        assert_eq!(p.t_fwc_flat_s(800).unwrap(), 3.5);
        assert_eq!(p.filter_for_wavelength(2000).unwrap(), 2);
        assert_eq!(p.patterns.len(), 3);
        assert_eq!(p.shutter.points_s.len(), 23);
        assert_eq!(OgseProfile::default_chamber(), p);
    }

    #[test]
    fn coordinates_round_trip_and_nominal_grid() {
        let (x, y) = phys_to_ccd('F', 2616.82, 3713.21);
        assert!((x - 2707.82).abs() < 1e-9 && (y - 3749.21).abs() < 1e-9);
        let n = SpotPattern::nominal();
        assert_eq!(n.spots.len(), 20);
        let ha = n.get('H', "ALPHA").unwrap().ccd_coords_px();
        assert!((ha.0 - 460.6).abs() < 1e-9 && (ha.1 - 1668.8).abs() < 1e-9);
        let fe = n.get('F', "ECHO").unwrap().ccd_coords_px();
        assert!((fe.0 - 3808.4).abs() < 1e-9 && (fe.1 - 2503.2).abs() < 1e-9);
    }

    #[test]
    fn shutter_interpolation() {
        let s = ShutterCalibration::chamber_b();
        assert!((s.actual_exptime_s(0.1) - 0.125).abs() < 1e-12);
        assert!((s.actual_exptime_s(0.3) - 0.3245).abs() < 1e-12);
        assert!((s.actual_exptime_s(200.0) - 200.0).abs() < 1e-12);
        assert!(s.actual_exptime_s(f64::NAN).is_nan());
        let one = ShutterCalibration {
            points_s: vec![(1.0, 1.5)],
        };
        assert!((one.actual_exptime_s(2.0) - 2.5).abs() < 1e-12);
        assert!(one.actual_exptime_s(f64::NAN).is_nan());
    }

    #[test]
    fn bad_pattern_line_is_reported() {
        let e = SpotPattern::parse("# ID X Y\nEA 1.0\n", Path::new("p.txt")).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = SpotPattern::parse("XA 1 2\n", Path::new("p.txt")).unwrap_err();
        assert!(e.to_string().contains("bad spot ID"), "{e}");
    }
}
