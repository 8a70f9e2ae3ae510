//! Side-by-side timing of vison-ccd against numpy/astropy on the same full-size frames.
//!
//! `cargo run --release -p vison-benches --bin vison-bench-ccd -- DIR [--python PY]`
//! writes 25 frames to DIR (kept for the Python run), times read, read+offset+stats and the
//! 25-frame median stack, prints peak RSS, then runs `benches/numpy_ccd.py` on the same
//! files when a Python with numpy and astropy is given.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use vison_ccd::fits::{HduSelector, read_image_into};
use vison_ccd::offset::{OffsetConfig, subtract_offsets};
use vison_ccd::stack::{DEFAULT_BUDGET_BYTES, StackMethod, stack_files};
use vison_ccd::stats::{Trim, section_stats_many};
use vison_ccd::{Quadrant, Section, read_frame};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Best-of-5 wall time of `vison-inspect fits --json FRAME` as a process (binary next to this
/// one), and its `--timings` breakdown.
fn inspect_process(frame: &Path) -> Option<(f64, String)> {
    let bin = std::env::current_exe()
        .ok()?
        .parent()?
        .join("vison-inspect");
    if !bin.is_file() {
        return None;
    }
    let run = |timings: bool| {
        let mut c = std::process::Command::new(&bin);
        c.args(["fits", "--json"]).arg(frame);
        if timings {
            c.arg("--timings");
        }
        c.output().ok()
    };
    let t = best_of(5, || run(false));
    let breakdown = run(true)
        .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
        .unwrap_or_default();
    Some((t, breakdown))
}

/// Best-of-5 times of the per-frame kernels on one frame, s.
struct FrameTimings {
    /// Read into a new f32 array.
    read: f64,
    /// Read into a reused buffer.
    read_into: f64,
    /// Read, row offsets and statistics of 12 sections.
    read_offsets_stats: f64,
    /// The same with a reused frame buffer (the pipeline's loop).
    read_offsets_stats_reused: f64,
    /// Read into a reused buffer and row offsets.
    read_offsets: f64,
    /// Statistics of 12 sections.
    stats: f64,
}

/// Times reading, offsets and section statistics of `frame`.
fn time_frame_kernels(frame_path: &Path) -> FrameTimings {
    let read = best_of(5, || read_frame(frame_path).expect("read"));
    let mut buf = ndarray::Array2::<f32>::zeros((1, 1));
    let read_into = best_of(5, || {
        read_image_into(frame_path, HduSelector::LastImage, &mut buf).expect("read into")
    });
    let items: Vec<(Quadrant, Section, Trim)> = Quadrant::ALL
        .iter()
        .flat_map(|&q| {
            Section::SERIAL
                .iter()
                .map(move |&s| (q, s, Trim::standard(s)))
        })
        .collect();
    let read_offsets_stats = best_of(5, || {
        let mut f = read_frame(frame_path).expect("read");
        subtract_offsets(&mut f, &OffsetConfig::default());
        section_stats_many(&f, &items, None)
            .iter()
            .map(|s| s.stats.std)
            .sum::<f64>()
    });
    // The pipeline's per-frame loop: one frame buffer reused across frames.
    let mut frame = read_frame(frame_path).expect("read");
    let read_offsets_stats_reused = best_of(5, || {
        read_image_into(frame_path, HduSelector::LastImage, &mut frame.data).expect("read into");
        subtract_offsets(&mut frame, &OffsetConfig::default());
        section_stats_many(&frame, &items, None)
            .iter()
            .map(|s| s.stats.std)
            .sum::<f64>()
    });
    let read_offsets = best_of(5, || {
        read_image_into(frame_path, HduSelector::LastImage, &mut frame.data).expect("read into");
        subtract_offsets(&mut frame, &OffsetConfig::default())
    });
    let stats = best_of(5, || section_stats_many(&frame, &items, None));
    FrameTimings {
        read,
        read_into,
        read_offsets_stats,
        read_offsets_stats_reused,
        read_offsets,
        stats,
    }
}

/// Prints the per-frame timings of a `mb` MB frame.
fn print_frame_timings(mb: f64, t: &FrameTimings) {
    println!(
        "frame: {mb:.1} MB, threads {}",
        rayon::current_num_threads()
    );
    println!(
        "rust read -> f32:               {:.4} s  ({:.2} GB/s)",
        t.read,
        mb / 1e3 / t.read
    );
    println!(
        "rust read -> reused f32 buffer: {:.4} s  ({:.2} GB/s)",
        t.read_into,
        mb / 1e3 / t.read_into
    );
    println!(
        "rust read+offset(row)+stats:    {:.4} s",
        t.read_offsets_stats
    );
    println!(
        "rust read+offset(row)+stats, reused frame buffer: {:.4} s \
         (read+decode {:.4} s, row offsets {:.4} s, statistics of 12 sections {:.4} s)",
        t.read_offsets_stats_reused,
        t.read_into,
        (t.read_offsets - t.read_into).max(0.0),
        t.stats
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        args.get(1)
            .cloned()
            .unwrap_or_else(|| "target/bench-frames".into()),
    );
    let python = args
        .iter()
        .position(|a| a == "--python")
        .and_then(|i| args.get(i + 1))
        .cloned();
    std::fs::create_dir_all(&dir).expect("create bench dir");
    let frames: Vec<PathBuf> = (0..25)
        .map(|i| vison_benches::write_bias_frame(&dir, i))
        .collect();
    let mb = std::fs::metadata(&frames[0]).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let rss_after_write = peak_rss_mb();

    let timings = time_frame_kernels(&frames[0]);
    let inspect = inspect_process(&frames[0]);
    let t_stack = best_of(1, || {
        stack_files(&frames, StackMethod::Median, DEFAULT_BUDGET_BYTES).expect("stack")
    });
    print_frame_timings(mb, &timings);
    match inspect {
        Some((t, breakdown)) => println!(
            "vison-inspect fits --json FRAME, whole process (best of 5): {t:.4} s\n  {breakdown}"
        ),
        None => println!("vison-inspect binary not found next to this benchmark: not timed"),
    }
    println!("rust median stack of 25 frames: {:.3} s", t_stack);
    println!(
        "rust peak RSS: {:.0} MB (after writing frames: {:.0} MB)",
        peak_rss_mb(),
        rss_after_write
    );
    if let Some(py) = python {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/numpy_ccd.py");
        let status = std::process::Command::new(py)
            .arg(script)
            .arg(&dir)
            .status();
        println!("python run: {status:?}");
    }
}
