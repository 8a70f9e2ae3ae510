//! Throughput of the vison-ccd hot paths on full-size (4238 x 4172 u16, 35 MB) frames.

use std::path::PathBuf;
use std::sync::OnceLock;

use divan::counter::BytesCount;
use vison_ccd::fits::{HduSelector, read_image_into};
use vison_ccd::offset::{OffsetConfig, subtract_offsets};
use vison_ccd::stack::{DEFAULT_BUDGET_BYTES, StackMethod, stack_files};
use vison_ccd::stats::{Trim, section_stats_many};
use vison_ccd::{Quadrant, Section, read_frame};

fn main() {
    divan::main();
}

struct Fixture {
    _dir: tempfile::TempDir,
    frames: Vec<PathBuf>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let frames = (0..25)
            .map(|i| vison_benches::write_bias_frame(dir.path(), i))
            .collect();
        Fixture { _dir: dir, frames }
    })
}

fn file_bytes(p: &PathBuf) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

#[divan::bench(sample_count = 10)]
fn read_frame_to_f32(b: divan::Bencher) {
    let p = &fixture().frames[0];
    b.counter(BytesCount::new(file_bytes(p)))
        .bench(|| read_frame(p).expect("read"));
}

#[divan::bench(sample_count = 10)]
fn read_frame_into_reused_buffer(b: divan::Bencher) {
    let p = &fixture().frames[0];
    let mut buf = ndarray::Array2::<f32>::zeros((1, 1));
    b.counter(BytesCount::new(file_bytes(p)))
        .bench_local(|| read_image_into(p, HduSelector::LastImage, &mut buf).expect("read"));
}

#[divan::bench(sample_count = 10)]
fn read_offset_stats(b: divan::Bencher) {
    let p = &fixture().frames[0];
    b.counter(BytesCount::new(file_bytes(p))).bench(|| {
        let mut f = read_frame(p).expect("read");
        subtract_offsets(&mut f, &OffsetConfig::default());
        let items: Vec<(Quadrant, Section, Trim)> = Quadrant::ALL
            .iter()
            .flat_map(|&q| {
                Section::SERIAL
                    .iter()
                    .map(move |&s| (q, s, Trim::standard(s)))
            })
            .collect();
        section_stats_many(&f, &items, None)
            .iter()
            .map(|s| s.stats.std)
            .sum::<f64>()
    });
}

#[divan::bench(sample_count = 2)]
fn median_stack_25(b: divan::Bencher) {
    let fx = fixture();
    let total: u64 = fx.frames.iter().map(file_bytes).sum();
    b.counter(BytesCount::new(total)).bench(|| {
        stack_files(&fx.frames, StackMethod::Median, DEFAULT_BUDGET_BYTES).expect("stack")
    });
}
