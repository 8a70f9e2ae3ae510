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
use vison_explog::ElvisVersion;

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
    let (pool, mut pending) = session.start(progress)?;
    let (_watcher, rx) = file_events(&opts, &session);
    let t0 = Instant::now();
    let poll = Duration::from_secs_f64(opts.poll_s.max(0.05));
    let mut outcomes = Vec::new();
    let mut last: Option<(DataSet, ElvisVersion)> = None;
    let mut run = |session: &mut Session, t: &str, data: &DataSet, elvis: ElvisVersion| {
        outcomes.push(pool.install(|| session.run_test(t, data, elvis, progress)));
    };
    loop {
        if let Ok((data, elvis)) = session.load_data() {
            let mut ran: BTreeSet<String> = BTreeSet::new();
            for t in pending.clone() {
                if test_ready(&data, &t, &session.opts, elvis) {
                    run(&mut session, &t, &data, elvis);
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
            // Tests with some data are analysed as they are, the others are not run.
            tracing::warn!(pending = ?pending, "watch timeout reached");
            for t in pending.clone() {
                match &last {
                    Some((data, elvis)) if has_exposures(data, &t, &session.opts, *elvis) => {
                        run(&mut session, &t, data, *elvis);
                    }
                    _ => session.mark_not_run(&t, "no data before the watch timeout"),
                }
            }
            break;
        }
        wait_for_change(&rx, remaining.map_or(poll, |r| r.min(poll)));
    }
    session.conclude(outcomes, progress)
}

/// File-system notifications on the data folders (when `opts.notify` and available): the
/// watcher to keep alive and the channel it signals. Without one the channel is closed and
/// the loop polls.
fn file_events(
    opts: &WatchOptions,
    session: &Session,
) -> (Option<notify::RecommendedWatcher>, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel::<()>();
    let mut watcher = None;
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
                    watcher = Some(w);
                } else {
                    tracing::warn!("file-system notifications unavailable; polling");
                }
            }
            Err(e) => tracing::warn!("file-system notifications unavailable ({e}); polling"),
        }
    }
    drop(tx);
    (watcher, rx)
}

/// Waits up to `wait` for a notification; a burst of events (a file being copied) is let
/// settle before the rescan.
fn wait_for_change(rx: &mpsc::Receiver<()>, wait: Duration) {
    match rx.recv_timeout(wait) {
        Ok(()) => {
            std::thread::sleep(Duration::from_millis(200));
            while rx.try_recv().is_ok() {}
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {}
        Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
    }
}
