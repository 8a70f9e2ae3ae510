//! Printing helpers: the only place that writes to stdout/stderr.
//!
//! A closed stdout (the reader went away, as in `vison-inspect fits FRAME | head -1`) ends
//! the program quietly with status 141, as a Unix tool ended by SIGPIPE.
#![allow(clippy::print_stderr)]

use std::io::{ErrorKind, Write as _};

use anyhow::Context as _;

/// Exit status on a closed stdout: 128 + SIGPIPE, as the shell reports for Unix tools.
pub(crate) const CLOSED_STDOUT_STATUS: i32 = 141;

/// Writes `text` to stdout (locked, flushed). A closed stdout ends the program quietly
/// (status [`CLOSED_STDOUT_STATUS`]); other write errors are returned.
pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => std::process::exit(CLOSED_STDOUT_STATUS),
        other => other.context("cannot write to stdout"),
    }
}

/// Prints a line to stdout, as [`emit`]; another write error is reported and ends the
/// program with status 2.
pub(crate) fn line(s: &str) {
    let mut text = String::with_capacity(s.len() + 1);
    text.push_str(s);
    text.push('\n');
    if let Err(e) = emit(&text) {
        error(&e);
        std::process::exit(2);
    }
}

/// Prints an error with its chain of causes to stderr.
pub(crate) fn error(e: &anyhow::Error) {
    eprintln!("vison-inspect: error: {e:#}");
}

/// Prints a warning to stderr.
pub(crate) fn warn(s: &str) {
    eprintln!("vison-inspect: {s}");
}
