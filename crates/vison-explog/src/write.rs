//! Writing exposure logs in the ELVIS format.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{Error, Result};
use crate::table::ExpLog;

/// Write `contents` to `path` atomically: a temporary file in the same folder, synced, then
/// renamed over the target. Shared with the HK writer.
///
/// # Errors
/// [`Error::Io`] naming the file that failed.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    vison_stdx::write_atomic(path, contents).map_err(|e| Error::Io {
        path: e.path,
        source: e.source,
    })
}

fn clean(cell: &str) -> String {
    cell.replace(['\t', '\n', '\r'], " ")
}

impl ExpLog {
    /// The log as ELVIS writes it: a header line of column names, then one line per row,
    /// tab separated, every line ending with a tab and `\n` (as in the real ELVIS files).
    /// Floats keep one decimal when integral (`26.0`); empty cells stay empty; tabs and line
    /// breaks inside text cells are replaced by spaces.
    pub fn to_elvis_string(&self) -> String {
        let ncols = self.schema().len();
        let mut out = String::with_capacity((self.len() + 1) * ncols * 8);
        for c in self.schema().columns() {
            out.push_str(&clean(&c.name));
            out.push('\t');
        }
        out.push('\n');
        for r in self.rows() {
            for v in r.values() {
                let _infallible = write!(out, "{}", v);
                if matches!(v, crate::value::Value::Str(s) if s.contains(['\t', '\n', '\r'])) {
                    // Rare: redo the cell cleanly.
                    let cut = out.rfind('\t').map_or(0, |i| i + 1);
                    out.truncate(cut);
                    out.push_str(&clean(&v.to_string()));
                }
                out.push('\t');
            }
            out.push('\n');
        }
        out
    }

    /// Write the log to `path` in the ELVIS format, atomically (temp file + rename).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn write(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_elvis_string().as_bytes())
    }
}
