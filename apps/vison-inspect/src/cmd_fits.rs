//! `vison-inspect fits`: what is in a file and per-quadrant, per-section statistics.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde::Serialize;
use vison_ccd::fits::{FitsInfo, HduSelector, HduSummary, geometry_of, inspect_fits, read_image};
use vison_ccd::stats::{SectionStats, Trim, section_stats_many};
use vison_ccd::{Frame, Quadrant, Section};

use crate::output;

/// Arguments of `vison-inspect fits`.
#[derive(clap::Args, Debug)]
pub(crate) struct FitsArgs {
    /// FITS files to inspect.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// One JSON array on stdout, one object per file.
    #[arg(long)]
    json: bool,
    /// Trim sections as the pipeline checks do (prescan [25,5], image and overscan [5,5]
    /// serial columns); without it, whole sections.
    #[arg(long)]
    trimmed: bool,
    /// Print the time spent per step (headers, read+decode, statistics, output) on stderr.
    #[arg(long)]
    timings: bool,
}

/// Header keys shown in the text summary, when present.
const KEY_VALUES: &[&str] = &[
    "OBSID", "DATE", "TEST", "PROGRAM", "OBJECT", "EXPTIME", "VSTART", "VEND", "WAVE", "CHINJ",
    "V_TPUMP", "S_TPUMP", "R1C1_TT", "EGSE_VER",
];

#[derive(Serialize, Clone)]
struct SectionJson {
    mean: f64,
    median: f64,
    std: f64,
    mad_std: f64,
    min: f64,
    max: f64,
    p05: f64,
    p95: f64,
    n: usize,
    n_lost: usize,
    n_saturated: usize,
}

impl From<SectionStats> for SectionJson {
    fn from(s: SectionStats) -> Self {
        SectionJson {
            mean: s.stats.mean,
            median: s.stats.median,
            std: s.stats.std,
            mad_std: s.stats.mad_std,
            min: s.stats.min,
            max: s.stats.max,
            p05: s.stats.p05,
            p95: s.stats.p95,
            n: s.stats.n,
            n_lost: s.n_lost,
            n_saturated: s.n_saturated,
        }
    }
}

#[derive(Serialize)]
struct HduJson {
    index: usize,
    extname: String,
    kind: String,
    bitpix: Option<i64>,
    naxes: Vec<usize>,
    header: BTreeMap<String, serde_json::Value>,
    /// Geometry of a 2-D image HDU that is a VIS frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    geometry: Option<vison_ccd::FrameGeometry>,
    /// Per-quadrant, per-section statistics of this HDU (2-D VIS image HDUs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    quadrants: Option<Quadrants>,
    /// Why a 2-D image HDU has no statistics.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// Statistics by quadrant name, then section name.
type Quadrants = BTreeMap<String, BTreeMap<String, SectionJson>>;

#[derive(Serialize)]
struct FileJson {
    file: String,
    hdus: Vec<HduJson>,
    /// Geometry of the first 2-D image HDU (kept for compatibility; see `hdus[i].geometry`).
    geometry: Option<vison_ccd::FrameGeometry>,
    /// Statistics of the first 2-D image HDU (kept for compatibility; see `hdus[i].quadrants`).
    quadrants: Option<Quadrants>,
    note: Option<String>,
}

fn hdu_json(h: &HduSummary) -> HduJson {
    let header = h
        .header
        .cards
        .iter()
        .map(|c| {
            (
                c.key.clone(),
                serde_json::to_value(&c.value).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    HduJson {
        index: h.index,
        extname: h.extname.clone(),
        kind: h.kind.clone(),
        bitpix: h.bitpix,
        naxes: h.naxes.clone(),
        header,
        geometry: None,
        quadrants: None,
        note: None,
    }
}

fn quadrant_stats(frame: &Frame, trimmed: bool) -> Quadrants {
    let mut sections: Vec<Section> = Section::SERIAL.to_vec();
    if frame.geometry.has_parallel_overscan() {
        sections.push(Section::ParallelOverscan);
    }
    let items: Vec<(Quadrant, Section, Trim)> = Quadrant::ALL
        .iter()
        .flat_map(|&q| {
            sections.iter().map(move |&s| {
                let trim = if trimmed {
                    Trim::standard(s)
                } else {
                    Trim::NONE
                };
                (q, s, trim)
            })
        })
        .collect();
    let stats = section_stats_many(frame, &items, None);
    let mut out = Quadrants::new();
    for (&(q, s, _), st) in items.iter().zip(stats) {
        out.entry(q.name().to_string())
            .or_default()
            .insert(s.name().to_string(), st.into());
    }
    out
}

/// Wall time spent per step over all files, in nanoseconds (for `--timings`).
struct StepTimes {
    headers: AtomicU64,
    read: AtomicU64,
    stats: AtomicU64,
}

static TIMES: StepTimes = StepTimes {
    headers: AtomicU64::new(0),
    read: AtomicU64::new(0),
    stats: AtomicU64::new(0),
};

fn add_time(slot: &AtomicU64, since: Instant) {
    slot.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
}

/// Fills geometry and statistics of one 2-D image HDU (a note when it is not a VIS frame).
fn image_stats(path: &Path, h: &HduSummary, j: &mut HduJson, trimmed: bool) -> Result<()> {
    match geometry_of(path, &h.header, h.naxes[0], h.naxes[1]) {
        Err(e) => j.note = Some(format!("not a VIS frame: {e}")),
        Ok(g) => {
            let t = Instant::now();
            let (hdu, data) = read_image(path, HduSelector::Index(h.index))?;
            add_time(&TIMES.read, t);
            let t = Instant::now();
            let frame = Frame {
                geometry: g,
                data,
                header: hdu.header,
                extname: hdu.extname,
            };
            j.geometry = Some(g);
            j.quadrants = Some(quadrant_stats(&frame, trimmed));
            add_time(&TIMES.stats, t);
        }
    }
    Ok(())
}

fn inspect_one(path: &Path, trimmed: bool) -> Result<(FitsInfo, FileJson)> {
    let t = Instant::now();
    let info = inspect_fits(path)?;
    add_time(&TIMES.headers, t);
    let mut hdus: Vec<HduJson> = info.hdus.iter().map(hdu_json).collect();
    for (h, j) in info.hdus.iter().zip(hdus.iter_mut()) {
        if h.is_image_2d() {
            image_stats(path, h, j, trimmed)?;
        }
    }
    let first = info
        .hdus
        .iter()
        .zip(&hdus)
        .find(|(h, _)| h.is_image_2d())
        .map(|(_, j)| j);
    let (geometry, quadrants, note) = match first {
        None => anyhow::bail!(
            "{}: no 2-D image HDU (a primary-only file?); HDUs: {}",
            path.display(),
            info.hdus.len()
        ),
        Some(j) => (j.geometry, j.quadrants.clone(), j.note.clone()),
    };
    let json = FileJson {
        file: path.display().to_string(),
        hdus,
        geometry,
        quadrants,
        note,
    };
    Ok((info, json))
}

fn print_text(info: &FitsInfo, j: &FileJson) {
    output::line(&format!("{}  ({} bytes)", j.file, info.file_bytes));
    for h in &info.hdus {
        let shape = h
            .naxes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" x ");
        let keys: Vec<String> = KEY_VALUES
            .iter()
            .filter_map(|k| h.header.get(k).map(|v| format!("{k}={}", v.to_text())))
            .collect();
        output::line(&format!(
            "  HDU {} {:<12} {:<8} BITPIX {:>3}  {:<13} {}",
            h.index,
            if h.extname.is_empty() {
                "(primary)"
            } else {
                &h.extname
            },
            h.kind,
            h.bitpix.map(|b| b.to_string()).unwrap_or_default(),
            if shape.is_empty() {
                "(no data)".to_string()
            } else {
                shape
            },
            keys.join(" ")
        ));
    }
    if j.hdus.iter().all(|h| h.note.is_none())
        && let Some(note) = &j.note
    {
        output::line(&format!("  {note}"));
    }
    for h in &j.hdus {
        if let Some(note) = &h.note {
            output::line(&format!("  HDU {} {}: {note}", h.index, h.extname));
        }
        if let Some(q) = &h.quadrants {
            output::line(&format!("  HDU {} {}", h.index, h.extname));
            print_table(q);
        }
    }
}

fn print_table(q: &Quadrants) {
    output::line(&format!(
        "  {:<2} {:<18} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9}",
        "Q", "section", "mean", "median", "std", "mad_std", "n_lost", "n_satur"
    ));
    for (qn, secs) in q {
        for (sn, s) in secs {
            output::line(&format!(
                "  {:<2} {:<18} {:>10.2} {:>10.2} {:>8.3} {:>8.3} {:>9} {:>9}",
                qn, sn, s.mean, s.median, s.std, s.mad_std, s.n_lost, s.n_saturated
            ));
        }
    }
}

/// Runs `vison-inspect fits`.
pub(crate) fn run(args: &FitsArgs) -> Result<()> {
    let results: Vec<Result<(FitsInfo, FileJson)>> = args
        .files
        .par_iter()
        .map(|p| {
            inspect_one(p, args.trimmed).with_context(|| format!("cannot inspect {}", p.display()))
        })
        .collect();
    let mut failed = Vec::new();
    let mut ok = Vec::new();
    for r in results {
        match r {
            Ok(x) => ok.push(x),
            Err(e) => {
                output::warn(&format!("error: {e:#}"));
                failed.push(e);
            }
        }
    }
    let t = Instant::now();
    if args.json {
        let arr: Vec<&FileJson> = ok.iter().map(|(_, j)| j).collect();
        output::line(&serde_json::to_string_pretty(&arr)?);
    } else {
        for (info, j) in &ok {
            print_text(info, j);
        }
    }
    if args.timings {
        let ms = |slot: &AtomicU64| slot.load(Ordering::Relaxed) as f64 / 1e6;
        output::warn(&format!(
            "timings: headers {:.1} ms, read+decode {:.1} ms, statistics {:.1} ms, output {:.1} ms",
            ms(&TIMES.headers),
            ms(&TIMES.read),
            ms(&TIMES.stats),
            t.elapsed().as_secs_f64() * 1e3,
        ));
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} files could not be read",
            failed.len(),
            args.files.len()
        );
    }
    Ok(())
}
