//! Input discovery and ingestion: exposure logs found in day folders (or one level down),
//! merged; the exposures of a test with their FITS and HK files; the completeness check
//! against the test definition (vison-sim `testdefs`). Input folders are only read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vison_explog::{ElvisVersion, ExpLog, ExpLogRow, LoadOptions, LoadReport, Value};
use vison_testdefs::{ObservedExposure, Preset, TestDef, TestOptions, check_structure};

use crate::error::{Error, Result, io_err};
use crate::framework::config::SelectConfig;
use crate::framework::flags::{Flag, Flags};

/// Exposure logs found under the data folders: `DIR/EXP_LOG_*.txt` and
/// `DIR/*/EXP_LOG_*.txt`, ordered by folder then by the date in the name.
pub fn discover_explogs(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for d in dirs {
        let mut found = explogs_in(d)?;
        if found.is_empty() {
            let mut subs: Vec<PathBuf> = std::fs::read_dir(d)
                .map_err(io_err(d))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect();
            subs.sort();
            for s in subs {
                found.extend(explogs_in(&s)?);
            }
        }
        if found.is_empty() {
            return Err(Error::NoExpLog(d.display().to_string()));
        }
        out.extend(found);
    }
    Ok(out)
}

fn explogs_in(d: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<(Option<chrono::NaiveDate>, PathBuf)> = std::fs::read_dir(d)
        .map_err(io_err(d))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("EXP_LOG_") && n.ends_with(".txt"))
        })
        .map(|p| {
            let date = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| vison_explog::parse_explog_file_name(n).ok());
            (date, p)
        })
        .collect();
    v.sort();
    Ok(v.into_iter().map(|(_, p)| p).collect())
}

/// The merged exposure logs of a session with the folder of each source log.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// Merged rows (source index = position in `explog_files`).
    pub log: ExpLog,
    /// Exposure-log files read.
    pub explog_files: Vec<PathBuf>,
    /// What the reader reported per file.
    pub reports: Vec<LoadReport>,
}

impl DataSet {
    /// Finds and loads the exposure logs of the data folders.
    pub fn load(dirs: &[PathBuf], elvis: Option<ElvisVersion>) -> Result<Self> {
        let files = discover_explogs(dirs)?;
        let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let opts = LoadOptions {
            elvis,
            strict: false,
        };
        let (log, reports) = vison_explog::load_explogs(&refs, &opts)?;
        Ok(DataSet {
            log,
            explog_files: files,
            reports,
        })
    }

    /// Folder of the log a row (by index) came from.
    pub fn dir_of_row(&self, row: usize) -> PathBuf {
        self.log
            .sources()
            .get(row)
            .and_then(|&s| self.explog_files.get(s))
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// One FITS frame of an exposure (one CCD).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRef {
    /// CCD number (1..3).
    pub ccd: u8,
    /// File name as in the EXP_LOG (with `.fits`).
    pub file_name: String,
    /// Full path.
    pub path: PathBuf,
    /// True when the file exists.
    pub on_disk: bool,
}

/// One selected exposure with its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureRef {
    /// ObsID.
    pub obsid: i64,
    /// Date-time text of the EXP_LOG (`DDMMYYDhhmmssT`).
    pub date: String,
    /// Exposure time, s.
    pub exptime_s: f64,
    /// First row read out (script `vstart`).
    pub vstart: i64,
    /// Last row read out (script `vend`).
    pub vend: i64,
    /// Filter index (`wave`).
    pub wave: Option<i64>,
    /// Expected fluence as a fraction of full well (exposure time over the chamber's time to
    /// full well at the exposure's filter), for illuminated tests.
    #[serde(default)]
    pub fluence_frac: Option<f64>,
    /// Script column label (`col001` ...).
    pub label: String,
    /// Frames per CCD present in the EXP_LOG.
    pub frames: Vec<FrameRef>,
    /// Per-exposure HK file, when found.
    pub hk_file: Option<PathBuf>,
}

/// Result of the completeness check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructureSummary {
    /// True when every column has its frames, nothing is extra and the keys match.
    pub checks_out: bool,
    /// Frames the script asks for.
    pub expected_frames: u32,
    /// Exposures found.
    pub observed_frames: usize,
    /// Messages (what is missing or extra).
    pub messages: Vec<String>,
}

/// EXP_LOG keys not compared with the script: identities of the equipment and operator.
const IDENTITY_KEYS: &[&str] = &[
    "operator", "sn_ccd1", "sn_ccd2", "sn_ccd3", "sn_roe", "sn_rpsu", "calscrpt", "comments",
    "CCD1_SN", "CCD2_SN", "CCD3_SN", "ROE_SN", "RPSU_SN", "Operator", "CalScrpt",
];

/// The test definition used to check a test's structure.
pub fn test_definition(test: &str, sel: &SelectConfig, elvis: ElvisVersion) -> Result<TestDef> {
    let mut opts = TestOptions {
        preset: if sel.preset == "class" {
            Preset::Class
        } else {
            Preset::Campaign
        },
        n_frames: sel.n_frames,
        ..TestOptions::default()
    };
    // Hand-written FPA logs have no scripts: they are checked against the default version's.
    if elvis != ElvisVersion::Fpa {
        opts.elvis = elvis;
    }
    Ok(vison_testdefs::test_def(test, &opts)?)
}

/// Expected fluence of an exposure as a fraction of full well: exposure time over the time to
/// full well of the test's source (`flat` or `point`) at the exposure's filter, in the chamber
/// of the test definitions. `None` without a source, filter or exposure time.
fn expected_fluence(def: &TestDef, wave: Option<i64>, exptime_s: Option<f64>) -> Option<f64> {
    let source = def.columns.first()?.get("source")?.to_string();
    let profile = vison_ogse::OgseProfile::default_chamber();
    let wl = profile.wavelength_of_filter(u8::try_from(wave?).ok()?)?;
    let t_fwc = match source.trim_matches('"') {
        "flat" => profile.t_fwc_flat_s(wl).ok()?,
        "point" => profile.t_fwc_point_s(wl).ok()?,
        _ => return None,
    };
    Some(exptime_s? / t_fwc).filter(|f| f.is_finite())
}

fn cell_text(v: &Value) -> Option<String> {
    match v {
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Str(s) => Some(s.clone()),
        Value::Missing => None,
    }
}

fn observed(row: &ExpLogRow) -> ObservedExposure {
    row.schema()
        .columns()
        .iter()
        .zip(row.values())
        .filter(|(c, _)| !IDENTITY_KEYS.contains(&c.name.as_str()))
        .filter_map(|(c, v)| cell_text(v).map(|t| (c.name.clone(), t)))
        .collect()
}

/// The exposures of `test` (test name and ObsID limits), their files, and the completeness
/// flags: MISSDATA for frames missing from the EXP_LOG or the disk, and for a structure that
/// differs from the script (missing or extra exposures, mismatching keys).
pub fn ingest_test(
    data: &DataSet,
    test: &str,
    def: &TestDef,
    sel: &SelectConfig,
    flags: &mut Flags,
) -> Result<(Vec<ExposureRef>, StructureSummary)> {
    let rows = test_rows(data, test, def, sel)?;
    let mut hk = HkListings::default();
    let mut by_obsid: BTreeMap<i64, ExposureRef> = BTreeMap::new();
    let mut per_ccd: BTreeMap<u8, Vec<ObservedExposure>> = BTreeMap::new();
    let mut seen: std::collections::BTreeSet<(i64, u8)> = std::collections::BTreeSet::new();
    for &i in &rows {
        let Some(r) = data.log.rows().get(i) else {
            continue;
        };
        let Some(obsid) = r.obsid() else { continue };
        let dir = data.dir_of_row(i);
        let ccd = r.ccd().unwrap_or(0);
        // A repeated (ObsID, CCD) row is one exposure logged twice: the first row counts.
        if !seen.insert((obsid, ccd)) {
            flags.raise(
                Flag::BADDATA,
                format!(
                    "ObsID {obsid} CCD{ccd}: repeated EXP_LOG row (row {} of the logs) ignored; the first row is used",
                    i + 1
                ),
            );
            continue;
        }
        per_ccd.entry(ccd).or_default().push(observed(r));
        let e = by_obsid
            .entry(obsid)
            .or_insert_with(|| exposure_ref(r, obsid, def, hk.file_of(&dir, obsid)));
        e.frames.push(frame_ref(r, &dir, ccd, obsid, flags));
    }
    let mut exposures: Vec<ExposureRef> = by_obsid.into_values().collect();
    label_and_check_frames(&mut exposures, def, flags);
    let summary = structure_summary(def, &per_ccd, &exposures, flags);
    Ok((exposures, summary))
}

/// Indices of the EXP_LOG rows of the test (within `obsid_lims`); an error when none.
fn test_rows(data: &DataSet, test: &str, def: &TestDef, sel: &SelectConfig) -> Result<Vec<usize>> {
    let lims = sel.obsid_lims.map(|[a, b]| (a, b));
    let rows: Vec<usize> = data
        .log
        .rows()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.test().is_some_and(|t| t.trim() == def.test))
        .filter(|(_, r)| lims.is_none_or(|(a, b)| r.obsid().is_some_and(|o| (a..=b).contains(&o))))
        .map(|(i, _)| i)
        .collect();
    if rows.is_empty() {
        return Err(Error::NoExposures {
            test: test.to_string(),
            detail: lims
                .map(|(a, b)| format!(" and {a} <= ObsID <= {b}"))
                .unwrap_or_default(),
        });
    }
    Ok(rows)
}

/// Per-folder listing of HK files (read once per folder), for the per-exposure lookups.
#[derive(Default)]
struct HkListings(BTreeMap<PathBuf, Vec<String>>);

impl HkListings {
    /// The HK file `HK_<obsid>_*.txt` of folder `dir`, if any.
    fn file_of(&mut self, dir: &Path, obsid: i64) -> Option<PathBuf> {
        let listing = self.0.entry(dir.to_path_buf()).or_insert_with(|| {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter_map(|e| e.file_name().to_str().map(String::from))
                        .filter(|n| n.starts_with("HK_"))
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        });
        let prefix = format!("HK_{obsid}_");
        listing
            .iter()
            .find(|n| n.starts_with(&prefix) && n.ends_with(".txt"))
            .map(|n| dir.join(n))
    }
}

/// The exposure of EXP_LOG row `r` (no frames nor label yet).
fn exposure_ref(r: &ExpLogRow, obsid: i64, def: &TestDef, hk_file: Option<PathBuf>) -> ExposureRef {
    ExposureRef {
        obsid,
        date: r.date_text().unwrap_or_default().to_string(),
        exptime_s: r.exptime_s().unwrap_or(f64::NAN),
        vstart: r
            .get_i64("vstart")
            .or_else(|| r.get_i64("Vstart"))
            .unwrap_or(0),
        vend: r
            .get_i64("vend")
            .or_else(|| r.get_i64("Vend"))
            .unwrap_or(2086),
        wave: r.wave(),
        fluence_frac: expected_fluence(def, r.wave(), r.exptime_s()),
        label: String::new(),
        frames: Vec::new(),
        hk_file,
    }
}

/// The frame of EXP_LOG row `r` in day folder `dir`. Frames are read only from inside the day
/// folder: a File_name that is a path (`../x`, `/abs/x`, `sub/x`) is not followed (BADDATA).
fn frame_ref(r: &ExpLogRow, dir: &Path, ccd: u8, obsid: i64, flags: &mut Flags) -> FrameRef {
    let name = r.file_name().unwrap_or_default().trim().to_string();
    let file_name = if name.ends_with(".fits") {
        name
    } else {
        format!("{name}.fits")
    };
    let plain = Path::new(&file_name).file_name().and_then(|n| n.to_str()) == Some(&file_name);
    let path = dir.join(&file_name);
    let on_disk = plain && path.is_file();
    if !plain {
        flags.raise(
            Flag::BADDATA,
            format!(
                "ObsID {} CCD{ccd}: EXP_LOG File_name `{file_name}` is not a plain file name in the day folder {}; not read",
                obsid,
                dir.display()
            ),
        );
    }
    FrameRef {
        ccd,
        file_name,
        path,
        on_disk,
    }
}

/// Labels the exposures with their script column (in order; `extra` beyond the script),
/// sorts their frames by CCD and flags frames missing on disk or in the EXP_LOG (MISSDATA).
fn label_and_check_frames(exposures: &mut [ExposureRef], def: &TestDef, flags: &mut Flags) {
    let mut labels = Vec::new();
    for (c, col) in def.columns.iter().enumerate() {
        for _ in 0..col.frames {
            labels.push(TestDef::column_label(c));
        }
    }
    for (k, e) in exposures.iter_mut().enumerate() {
        e.label = labels.get(k).cloned().unwrap_or_else(|| "extra".into());
        e.frames.sort_by_key(|f| f.ccd);
        for f in &e.frames {
            if !f.on_disk {
                flags.raise(
                    Flag::MISSDATA,
                    format!(
                        "ObsID {} CCD{}: file {} listed in the EXP_LOG is not on disk",
                        e.obsid, f.ccd, f.file_name
                    ),
                );
            }
        }
        for c in 1..=3u8 {
            if !e.frames.iter().any(|f| f.ccd == c) {
                flags.raise(
                    Flag::MISSDATA,
                    format!("ObsID {}: no EXP_LOG row for CCD{c}", e.obsid),
                );
            }
        }
    }
}

/// The structure check against the script (the CCD with the most rows stands for the
/// exposure sequence); MISSDATA when it does not check out.
fn structure_summary(
    def: &TestDef,
    per_ccd: &BTreeMap<u8, Vec<ObservedExposure>>,
    exposures: &[ExposureRef],
    flags: &mut Flags,
) -> StructureSummary {
    let observed_seq = per_ccd
        .values()
        .max_by_key(|v| v.len())
        .cloned()
        .unwrap_or_default();
    let chk = check_structure(def, &observed_seq);
    if !chk.checks_out {
        let extra: Vec<String> = exposures
            .iter()
            .skip(chk.expected_frames as usize)
            .map(|e| e.obsid.to_string())
            .collect();
        let mut reason = format!(
            "{} exposures found, the script asks for {}: {}",
            exposures.len(),
            chk.expected_frames,
            chk.messages.join("; ")
        );
        if !extra.is_empty() {
            reason.push_str(&format!(" (extra ObsIDs: {})", extra.join(", ")));
        }
        flags.raise(Flag::MISSDATA, reason);
    }
    StructureSummary {
        checks_out: chk.checks_out,
        expected_frames: chk.expected_frames,
        observed_frames: exposures.len(),
        messages: chk.messages,
    }
}
