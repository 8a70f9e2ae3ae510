//! Acquisition scripts: the ELVIS .xlsx layout (writer and reader) and the side files written
//! with a set of scripts (checksums, inventory, scheduler), reference 7.2.

mod xlsx;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::Workbook;

pub use xlsx::{read_script_xlsx, write_script_xlsx};

use crate::Error;
use crate::duration::duration_min;
use crate::{ElvisVersion, TestDef, TestOptions, test_def};

/// MD5 digest (hex) of a byte string, as written in the checksum file.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(data)
        .iter()
        .fold(String::with_capacity(32), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Date tag of script file names (`DDMonYY`, e.g. `25Nov26`).
pub fn date_tag(date: chrono::NaiveDate) -> String {
    date.format("%d%b%y").to_string()
}

/// File name of a test's script: `vis_CalCamp_<test>_<DDMonYY>_v<elvis>.xlsx`.
pub fn script_file_name(test_name: &str, date: chrono::NaiveDate, elvis: ElvisVersion) -> String {
    format!(
        "vis_CalCamp_{test_name}_{}_v{}.xlsx",
        date_tag(date),
        elvis.as_str()
    )
}

fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the scripts of the named tests (see [`crate::known_tests`]) for an ELVIS version
/// (`7.5.X` ...) into `out` (created if needed), dated today, with the default chamber and
/// class defaults; plus `CHECK_SUMS_<date>.txt`, `TESTS_INVENTORY_<date>.txt` and
/// `TESTS_SCHEDULER_<date>.xlsx`. Returns the paths written (scripts first, then the three side
/// files). This is what `vison-sim scripts --tests T1,T2 --elvis V --out DIR` calls.
pub fn write_scripts(tests: &[&str], elvis: &str, out: &Path) -> Result<Vec<PathBuf>, Error> {
    let opts = TestOptions {
        elvis: crate::parse_script_version(elvis)?,
        ..TestOptions::default()
    };
    write_scripts_with(tests, &opts, chrono::Utc::now().date_naive(), out)
}

/// As [`write_scripts`] with explicit options (ELVIS version, chamber, preset, diffvalues) and
/// date.
pub fn write_scripts_with(
    tests: &[&str],
    opts: &TestOptions,
    date: chrono::NaiveDate,
    out: &Path,
) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let defs: Vec<TestDef> = tests
        .iter()
        .map(|t| test_def(t, opts))
        .collect::<Result<_, _>>()?;
    let tag = date_tag(date);
    let mut written = Vec::new();
    let mut sums = String::new();
    for def in &defs {
        let path = out.join(script_file_name(&def.name, date, opts.elvis));
        write_script_xlsx(def, opts.elvis, &path)?;
        let bytes = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
        let _ = writeln!(sums, "{}\t{}", file_name(&path), md5_hex(&bytes));
        written.push(path);
    }
    let sums_path = out.join(format!("CHECK_SUMS_{tag}.txt"));
    std::fs::write(&sums_path, &sums).map_err(|e| io_err(&sums_path, e))?;
    let inv_path = out.join(format!("TESTS_INVENTORY_{tag}.txt"));
    std::fs::write(
        &inv_path,
        inventory_text(&defs, &tag, &file_name(&sums_path), opts.elvis),
    )
    .map_err(|e| io_err(&inv_path, e))?;
    let sched_path = out.join(format!("TESTS_SCHEDULER_{tag}.xlsx"));
    write_scheduler(&defs, &tag, opts, &sched_path)?;
    written.extend([sums_path, inv_path, sched_path]);
    tracing::info!(n = defs.len(), out = %out.display(), "scripts written");
    Ok(written)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Inventory text: date, checksum file, version, one line per test
/// `name: Ncols [minutes] cols: [frames...]`, total frames and minutes.
pub fn inventory_text(
    defs: &[TestDef],
    date_tag: &str,
    checksum_file: &str,
    elvis: ElvisVersion,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Scripts written on {date_tag}");
    let _ = writeln!(s, "checksums file: {checksum_file}");
    let _ = writeln!(s, "ELVIS version: {}", elvis.as_str());
    let _ = writeln!(s);
    let mut total_frames = 0u64;
    let mut total_min = 0.0;
    for d in defs {
        let min = duration_min(d);
        let frames: Vec<String> = d.frames_per_column().iter().map(u32::to_string).collect();
        let _ = writeln!(
            s,
            "{}: {} [{:.2} min] cols: [{}]",
            d.name,
            d.n_cols(),
            min,
            frames.join(", ")
        );
        total_frames += u64::from(d.expected_frame_count());
        total_min += min;
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Total frames: {total_frames}");
    let _ = writeln!(s, "Total time: {total_min:.2} minutes");
    s
}

/// Scheduler workbook: sheet `Meta` (key/value rows) and sheet `Tests` (Test, Ncols, Nframes,
/// Duration_min).
fn write_scheduler(
    defs: &[TestDef],
    tag: &str,
    opts: &TestOptions,
    path: &Path,
) -> Result<(), Error> {
    let e = |e: rust_xlsxwriter::XlsxError| Error::XlsxWrite {
        path: path.to_path_buf(),
        msg: e.to_string(),
    };
    let mut wb = Workbook::new();
    let total_frames: u32 = defs.iter().map(TestDef::expected_frame_count).sum();
    let total_min: f64 = defs.iter().map(duration_min).sum();
    {
        let meta = wb.add_worksheet();
        meta.set_name("Meta").map_err(e)?;
        let rows: [(&str, String); 5] = [
            ("date", tag.to_string()),
            ("elvis", opts.elvis.as_str().to_string()),
            ("chamber", opts.ogse.name.clone()),
            ("total_frames", total_frames.to_string()),
            ("total_duration_min", format!("{total_min:.2}")),
        ];
        for (r, (k, v)) in rows.iter().enumerate() {
            meta.write_string(r as u32, 0, *k).map_err(e)?;
            meta.write_string(r as u32, 1, v.as_str()).map_err(e)?;
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("Tests").map_err(e)?;
        for (c, h) in ["Test", "Ncols", "Nframes", "Duration_min"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).map_err(e)?;
        }
        for (r, d) in defs.iter().enumerate() {
            let row = (r + 1) as u32;
            ws.write_string(row, 0, d.name.as_str()).map_err(e)?;
            ws.write_number(row, 1, d.n_cols() as f64).map_err(e)?;
            ws.write_number(row, 2, f64::from(d.expected_frame_count()))
                .map_err(e)?;
            ws.write_number(row, 3, (duration_min(d) * 100.0).round() / 100.0)
                .map_err(e)?;
        }
    }
    wb.save(path).map_err(e)
}

#[cfg(test)]
mod md5_tests {
    use super::md5_hex;

    #[test]
    fn md5_test_vectors() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }
}
