//! Listening mode (reference 5.6, done right): each test runs as soon as all its frames are in
//! the EXP_LOG and complete on disk. File-system notifications (`notify`) wake the loop, a
//! poll every `poll_s` is the fallback (network file systems), and the timeout ends the wait:
//! tests with some data are then analysed as they are (and flagged), the others marked
//! `not_run`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::error::Result;
use crate::framework::data::{DataSet, test_definition};
use crate::framework::progress::{Progress, ProgressEvent};
use crate::framework::registry::Registry;
use crate::framework::session::{RunOptions, Session, SessionSummary};

/// Options of the listening mode.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchOptions {
    /// What to run and where.
    pub run: RunOptions,
    /// Seconds between polls when no notification arrives (default 120).
    pub poll_s: f64,
    /// Give up waiting after this many seconds (`None`: wait for ever).
    pub timeout_s: Option<f64>,
    /// Use file-system notifications (default true); polling only when false.
    pub notify: bool,
}

/// True when `test` has all the exposures of its script in the logs, three CCD rows each,
/// and every FITS file is on disk and complete (headers and data size consistent).
pub fn test_ready(
    data: &DataSet,
    test: &str,
    opts: &RunOptions,
    elvis: vison_explog::ElvisVersion,
) -> bool {
    let sel = opts.config.select_for(test);
    let Ok(def) = test_definition(test, &sel, elvis) else {
        return false;
    };
    let log = data
        .log
        .select(&def.test, sel.obsid_lims.map(|[a, b]| (a, b)));
    let exposures = log.exposures();
    if exposures.len() < def.expected_frame_count() as usize {
        return false;
    }
    exposures.iter().all(|e| {
        e.ccd_rows.iter().all(|r| {
            let Some(i) = *r else { return false };
            let Some(row) = log.rows().get(i) else {
                return false;
            };
            let src = log.sources().get(i).copied().unwrap_or(0);
            let dir = data
                .explog_files
                .get(src)
                .and_then(|p| p.parent())
                .map(PathBuf::from)
                .unwrap_or_default();
            let name = row.file_name().unwrap_or_default().trim().to_string();
            let name = if name.ends_with(".fits") {
                name
            } else {
                format!("{name}.fits")
            };
            let p = dir.join(name);
            // A frame still being written is truncated: wait for it. Any other problem is
            // final: the test runs and flags the frame (BADDATA) instead of waiting forever.
            p.is_file()
                && vison_ccd::fits::inspect_fits(&p).map_or_else(|e| !e.is_truncated(), |_| true)
        })
    })
}

fn has_exposures(
    data: &DataSet,
    test: &str,
    opts: &RunOptions,
    elvis: vison_explog::ElvisVersion,
) -> bool {
    let sel = opts.config.select_for(test);
    test_definition(test, &sel, elvis)
        .map(|def| {
            !data
                .log
                .select(&def.test, sel.obsid_lims.map(|[a, b]| (a, b)))
                .is_empty()
        })
        .unwrap_or(false)
}

/// Waits for the tests' data and runs each test when it is complete; returns when all ran or
/// at the timeout.
pub fn watch(
    opts: WatchOptions,
    registry: &'static Registry,
    progress: &dyn Progress,
) -> Result<SessionSummary> {
    let mut session = Session::create(opts.run.clone(), registry)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(session.opts.jobs.unwrap_or(0))
        .build()
        .map_err(|e| crate::error::Error::Config {
            file: "<options>".into(),
            detail: format!("jobs: {e}"),
        })?;
    let mut pending: Vec<String> = session.registry().run_order(&session.opts.tests);
    progress.event(&ProgressEvent::SessionStart {
        session: session.id.clone(),
        tests: pending.clone(),
    });
    let (tx, rx) = mpsc::channel::<()>();
    let mut _watcher = None;
    if opts.notify {
        let tx2 = tx.clone();
        match notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if res.is_ok() {
                let _ = tx2.send(());
            }
        }) {
            Ok(mut w) => {
                let ok = session
                    .opts
                    .data
                    .iter()
                    .all(|d| w.watch(d, RecursiveMode::Recursive).is_ok());
                if ok {
                    _watcher = Some(w);
                } else {
                    tracing::warn!("file-system notifications unavailable; polling");
                }
            }
            Err(e) => tracing::warn!("file-system notifications unavailable ({e}); polling"),
        }
    }
    drop(tx);
    let t0 = Instant::now();
    let poll = Duration::from_secs_f64(opts.poll_s.max(0.05));
    let mut outcomes = Vec::new();
    let mut last: Option<(DataSet, vison_explog::ElvisVersion)> = None;
    loop {
        if let Ok((data, elvis)) = session.load_data() {
            let mut ran: BTreeSet<String> = BTreeSet::new();
            for t in pending.clone() {
                if test_ready(&data, &t, &session.opts, elvis) {
                    let o = pool.install(|| session.run_test(&t, &data, elvis, progress));
                    outcomes.push(o);
                    ran.insert(t);
                }
            }
            pending.retain(|t| !ran.contains(t));
            last = Some((data, elvis));
        }
        if pending.is_empty() {
            break;
        }
        progress.event(&ProgressEvent::Waiting {
            pending: pending.clone(),
        });
        let remaining = opts
            .timeout_s
            .map(|t| Duration::from_secs_f64(t).saturating_sub(t0.elapsed()));
        if remaining.is_some_and(|r| r.is_zero()) {
            tracing::warn!(pending = ?pending, "watch timeout reached");
            for t in pending.clone() {
                match &last {
                    Some((data, elvis)) if has_exposures(data, &t, &session.opts, *elvis) => {
                        let o = pool.install(|| session.run_test(&t, data, *elvis, progress));
                        outcomes.push(o);
                    }
                    _ => session.mark_not_run(&t, "no data before the watch timeout"),
                }
            }
            break;
        }
        let wait = remaining.map_or(poll, |r| r.min(poll));
        match rx.recv_timeout(wait) {
            Ok(()) => {
                // Let a burst of events (a file being copied) settle, then rescan.
                std::thread::sleep(Duration::from_millis(200));
                while rx.try_recv().is_ok() {}
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
        }
    }
    session.finish()?;
    let all_ran = session.all_ran();
    progress.event(&ProgressEvent::SessionEnd {
        session: session.id.clone(),
        all_ran,
    });
    Ok(SessionSummary {
        id: session.id.clone(),
        dir: session.dir.clone(),
        outcomes,
        all_ran,
    })
}
