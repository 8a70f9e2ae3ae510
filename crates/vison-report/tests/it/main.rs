//! Integration tests for vison-report (one binary, one module per area).

mod browser;
mod plots;
mod sample;

/// Directory for files a person may want to look at after the tests (PNG, HTML).
pub(crate) fn output_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("vison-report");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}
