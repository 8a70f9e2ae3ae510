//! Writing to stdout. A closed stdout (the reader went away, as in `vison-pipe ... | head -1`)
//! ends the program quietly with status 141, as a Unix tool ended by SIGPIPE.

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
