//! `vison-inspect ds9`: open files in SAOImage DS9, through XPA when DS9 is already running.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use crate::output;

/// Arguments of `vison-inspect ds9`.
#[derive(clap::Args, Debug)]
pub(crate) struct Ds9Args {
    /// FITS files to open, one DS9 frame each.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

fn xpa_ds9_running() -> bool {
    on_path("xpaaccess")
        && Command::new("xpaaccess")
            .args(["-n", "ds9"])
            .stderr(Stdio::null())
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<u32>()
                    .unwrap_or(0)
                    > 0
            })
            .unwrap_or(false)
}

fn xpaset(args: &[&str]) -> std::io::Result<bool> {
    Command::new("xpaset")
        .arg("-p")
        .arg("ds9")
        .args(args)
        .status()
        .map(|s| s.success())
}

/// Runs `vison-inspect ds9`; exit 2 for a missing file, 3 when DS9 is not installed.
pub(crate) fn run(a: &Ds9Args) -> ExitCode {
    if let Some(missing) = a.files.iter().find(|f| !f.is_file()) {
        output::warn(&format!("error: {}: no such file", missing.display()));
        return ExitCode::from(2);
    }
    let abs: Vec<String> = a
        .files
        .iter()
        .map(|f| {
            std::fs::canonicalize(f)
                .unwrap_or_else(|_| f.clone())
                .display()
                .to_string()
        })
        .collect();
    if on_path("xpaset") && xpa_ds9_running() {
        for f in &abs {
            let ok = xpaset(&["frame", "new"])
                .and_then(|_| xpaset(&["fits", f]))
                .and_then(|_| xpaset(&["zscale"]));
            if !matches!(ok, Ok(true)) {
                output::warn(&format!(
                    "error: xpaset could not load {f} into the running DS9"
                ));
                return ExitCode::from(3);
            }
        }
        let _ = xpaset(&["tile", "yes"]);
        return ExitCode::SUCCESS;
    }
    if on_path("ds9") {
        let mut cmd = Command::new("ds9");
        for f in &abs {
            cmd.arg(Path::new(f));
        }
        cmd.args(["-zscale", "-tile", "yes"]);
        return match cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                output::warn(&format!("error: cannot start ds9: {e}"));
                ExitCode::from(3)
            }
        };
    }
    output::warn(
        "error: SAOImage DS9 is not installed (neither `ds9` nor `xpaset` is on PATH).\n\
         Install it with `apt-get install saods9 xpa-tools` (Debian/Ubuntu) or from \
         https://sites.google.com/cfa.harvard.edu/saoimageds9, or look at a frame without DS9 \
         with `vison-inspect render FILE -o frame.png`.",
    );
    ExitCode::from(3)
}
