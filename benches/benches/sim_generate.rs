//! Throughput of the synthetic-campaign generator of `vison-sim` (frames per second, each frame
//! synthesised and written to disk): a small-frame campaign (BIAS01 + DARK01 + PTC02_800,
//! 654 x 552 frames) and one full-size exposure (3 frames of 4238 x 4172).
//!
//! One-off timing of a full-size campaign: `cargo run --release --bin vison-sim -- campaign
//! --tests BIAS01 --size full --out /tmp/full` prints frames/s.

use divan::counter::ItemsCount;
use vison_sim::{CampaignConfig, SimSize, plan_campaign, write_campaign};

fn main() {
    divan::main();
}

fn bench_campaign(b: divan::Bencher, tests: &[&str], size: SimSize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = CampaignConfig::new(tests.iter().map(|s| s.to_string()).collect(), dir.path());
    cfg.size = size;
    let plan = plan_campaign(&cfg).expect("plan");
    b.counter(ItemsCount::new(plan.n_frames()))
        .bench(|| write_campaign(&plan, &|| {}).expect("write"));
}

#[divan::bench(sample_count = 5)]
fn small_campaign_frames(b: divan::Bencher) {
    bench_campaign(b, &["BIAS01", "DARK01", "PTC02_800"], SimSize::Small);
}

#[divan::bench(sample_count = 3)]
fn full_size_dark_frames(b: divan::Bencher) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = CampaignConfig::new(vec!["DARK01".into()], dir.path());
    cfg.size = SimSize::Full;
    let plan = plan_campaign(&cfg).expect("plan");
    b.counter(ItemsCount::new(plan.n_frames()))
        .bench(|| write_campaign(&plan, &|| {}).expect("write"));
}
