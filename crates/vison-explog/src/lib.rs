//! ELVIS exposure logs (`EXP_LOG_<DDMMYY>.txt`): every ELVIS version's column table, a
//! tolerant typed reader with located errors, a writer producing the ELVIS format, merge,
//! selection, per-exposure grouping, summaries, and the ELVIS naming conventions
//! (date-times, day folders, FITS and HK file names).
//!
//! See `docs/explog-hk.md` for the formats and the deviations tolerated.

mod columns;
mod error;
mod load;
mod names;
mod row;
mod schema;
mod table;
mod text;
mod value;
mod version;
mod write;

pub use error::{Error, Result};
pub use load::{
    LoadOptions, LoadReport, LoadedLog, RowIssue, VersionSource, load_explog, load_explogs,
    parse_explog_bytes, parse_explog_str,
};
pub use names::{
    FrameName, MasterHkName, day_folder_name, elvis_year, explog_file_name, fits_file_name,
    format_elvis_datetime, hk_file_name, hk_master_file_name, parse_day_folder,
    parse_elvis_datetime, parse_explog_file_name, parse_fits_file_name, parse_hk_file_name,
    parse_hk_master_file_name, strptime_year,
};
pub use row::ExpLogRow;
pub use schema::{Column, Schema};
pub use table::{ExpLog, Exposure, Summary, TestSummary};
pub use text::{DecodedText, decode_text, strip_bom};
pub use value::{ColType, Value};
pub use version::ElvisVersion;
pub use write::write_atomic;
