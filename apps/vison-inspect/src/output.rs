//! Printing helpers: the only place that writes to stdout/stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

/// Prints a line to stdout.
pub(crate) fn line(s: &str) {
    println!("{s}");
}

/// Prints an error with its chain of causes to stderr.
pub(crate) fn error(e: &anyhow::Error) {
    eprintln!("vison-inspect: error: {e:#}");
}

/// Prints a warning to stderr.
pub(crate) fn warn(s: &str) {
    eprintln!("vison-inspect: {s}");
}
