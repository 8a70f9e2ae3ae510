//! BIAS01 end to end on 10 full-size exposures (30 frames of 4238 x 4172): ingest, checks,
//! read noise, master biases, results and report (`vison_pipe::run_session`).

use std::path::PathBuf;
use std::sync::OnceLock;

use vison_pipe::{NoProgress, RunOptions, SessionConfig};

fn main() {
    divan::main();
}

struct Fixture {
    dir: tempfile::TempDir,
    data: PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("campaign");
        let mut cfg = vison_sim::CampaignConfig::new(vec!["BIAS01".into()], &data);
        cfg.size = vison_sim::SimSize::Full;
        vison_sim::generate_campaign(&cfg, &|| {}).expect("campaign");
        Fixture { dir, data }
    })
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn bias01_full_size_10_exposures(b: divan::Bencher) {
    let f = fixture();
    let mut k = 0;
    b.bench_local(|| {
        k += 1;
        let opts = RunOptions {
            data: vec![f.data.clone()],
            tests: vec!["BIAS01".into()],
            out: f.dir.path().join("out"),
            config: SessionConfig::default(),
            id: Some(format!("bench{k}")),
            ..RunOptions::default()
        };
        let mut s = vison_pipe::create_session(opts).expect("session");
        let sum = vison_pipe::run_session(&mut s, &NoProgress).expect("run");
        assert!(sum.all_ran);
        std::fs::remove_dir_all(&sum.dir).ok();
    });
}
