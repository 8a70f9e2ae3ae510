//! Watch mode: a test is analysed when its last frame arrives; the timeout ends the wait.

use std::time::{Duration, Instant};

use vison_pipe::{NoProgress, RunOptions, WatchOptions};

use crate::common::*;

fn copy_file(from: &std::path::Path, to: &std::path::Path) {
    // Copy under a temporary name then rename, as a transfer tool would.
    let tmp = to.with_extension("part");
    std::fs::copy(from, &tmp).unwrap();
    std::fs::rename(&tmp, to).unwrap();
}

#[test]
fn watch_runs_a_test_when_its_last_frame_arrives_and_times_out() {
    let c = campaign(&["BIAS01"], &[], 3);
    let src_day = std::fs::read_dir(c.root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let live = c.dir.path().join("live");
    let live_day = live.join(src_day.file_name().unwrap());
    std::fs::create_dir_all(&live_day).unwrap();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&src_day)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (fits, other): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|p| p.extension().is_some_and(|e| e == "fits"));
    for p in &other {
        copy_file(p, &live_day.join(p.file_name().unwrap()));
    }
    let out = c.dir.path().join("out");
    let cfg = config_from_truth(&c.truth, c.dir.path());
    let opts = WatchOptions {
        run: RunOptions {
            data: vec![live.clone()],
            tests: vec!["BIAS01".into()],
            out: out.clone(),
            config: cfg.clone(),
            id: Some("watch".into()),
            ..RunOptions::default()
        },
        poll_s: 0.5,
        timeout_s: Some(60.0),
        notify: true,
    };
    let last_copied = std::sync::Arc::new(std::sync::Mutex::new(None::<Instant>));
    let lc = last_copied.clone();
    let live_day2 = live_day.clone();
    let copier = std::thread::spawn(move || {
        for p in &fits {
            std::thread::sleep(Duration::from_millis(60));
            copy_file(p, &live_day2.join(p.file_name().unwrap()));
        }
        *lc.lock().unwrap() = Some(Instant::now());
    });
    let t0 = Instant::now();
    let sum = vison_pipe::watch(opts, &NoProgress).unwrap();
    copier.join().unwrap();
    let done = Instant::now();
    let last = last_copied.lock().unwrap().unwrap();
    assert!(sum.all_ran);
    assert!(done >= last, "the test ran before its last frame arrived");
    assert!(
        done.duration_since(t0) < Duration::from_secs(50),
        "watch waited for the timeout"
    );
    let r = results(&sum.dir, "BIAS01");
    assert_eq!(r.status, "ok", "{:?}", r.flag_reasons);
    assert_eq!(r.exposures.len(), 10);

    // A test with no data: the timeout ends the wait and marks it not run.
    let t0 = Instant::now();
    let opts = WatchOptions {
        run: RunOptions {
            data: vec![live],
            tests: vec!["DARK01".into()],
            out,
            config: cfg,
            id: Some("watch-timeout".into()),
            ..RunOptions::default()
        },
        poll_s: 0.3,
        timeout_s: Some(1.5),
        notify: false,
    };
    let sum = vison_pipe::watch(opts, &NoProgress).unwrap();
    let el = t0.elapsed();
    assert!(!sum.all_ran);
    assert!(
        el >= Duration::from_secs_f64(1.4) && el < Duration::from_secs(10),
        "{el:?}"
    );
    let rec: vison_pipe::SessionRecord =
        vison_pipe::read_json(&sum.dir.join("session.json")).unwrap();
    assert_eq!(rec.tests[0].status, "not_run");
}
