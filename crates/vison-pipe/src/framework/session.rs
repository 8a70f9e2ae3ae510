//! Sessions: `OUT/<ID>/` with `session.json`, `index.html`, `log.txt` and one folder per test.
//! A session can be resumed (`--resume ID`): its options are read back from `session.json`
//! and every test redoes only the steps without saved state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vison_explog::ElvisVersion;

use crate::error::{Error, Result, io_err};
use crate::framework::atomic::{read_json, write_atomic, write_json_atomic};
use crate::framework::calib::CalibInputs;
use crate::framework::config::SessionConfig;
use crate::framework::data::DataSet;
use crate::framework::lifecycle::{create_test_dirs, run_task};
use crate::framework::limits::{BlockOffsets, Gains};
use crate::framework::progress::{Progress, ProgressEvent};
use crate::framework::registry::Registry;
use crate::framework::task::{TaskEnv, TaskLog, TaskOutcome};

/// Options of a run (command line merged over the session file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Data folders.
    pub data: Vec<PathBuf>,
    /// Tests, in order.
    pub tests: Vec<String>,
    /// Output root.
    pub out: PathBuf,
    /// Session configuration.
    pub config: SessionConfig,
    /// ELVIS version override.
    pub elvis: Option<String>,
    /// Block name.
    pub block: Option<String>,
    /// Session ID.
    pub id: Option<String>,
    /// Worker threads.
    pub jobs: Option<usize>,
}

impl RunOptions {
    /// Options from a session configuration, command-line values taking precedence when set.
    pub fn merged(mut self) -> Self {
        let s = &self.config.session;
        if self.data.is_empty() {
            self.data = s.data.clone();
        }
        if self.tests.is_empty() {
            self.tests = s.tests.clone();
        }
        self.elvis = self.elvis.or_else(|| s.elvis.clone());
        self.block = self.block.or_else(|| s.block.clone());
        self.id = self.id.or_else(|| s.id.clone());
        self.jobs = self.jobs.or(s.jobs);
        self
    }
}

/// One test in `session.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionTest {
    /// Test name.
    pub test: String,
    /// `ok`, `flagged`, `crashed` or `not_run`.
    pub status: String,
    /// Flags.
    pub flags: Vec<String>,
    /// Report, relative to the session folder.
    pub report: String,
}

/// `session.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Session ID.
    pub id: String,
    /// Options of the run (used by `--resume`).
    pub options: RunOptions,
    /// Software versions.
    pub versions: BTreeMap<String, String>,
    /// Start (UTC, RFC 3339).
    pub start: String,
    /// End (UTC), empty while running.
    pub end: String,
    /// Per-test status.
    pub tests: Vec<SessionTest>,
    /// The error that stopped the session before or between its tests, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fatal: Option<String>,
}

/// A session being run.
pub struct Session {
    /// Session ID.
    pub id: String,
    /// `OUT/<ID>`.
    pub dir: PathBuf,
    /// Options.
    pub opts: RunOptions,
    /// Record written to `session.json`.
    pub record: SessionRecord,
    block: BlockOffsets,
    block_source: String,
    gains: Gains,
    calib: CalibInputs,
    registry: &'static Registry,
}

/// Checks the run's paths and creates `OUT/<ID>` atomically: an explicit `--id` must be a
/// plain name and must not exist; a default ID (`<BLOCK>_<UTC time>`) takes the next free
/// suffix (`_2`, `_3`, ...) when another run created it first. `--out` may not lie inside a
/// data folder (inputs are read-only).
fn create_session_dir(opts: &RunOptions) -> Result<PathBuf> {
    let cfg_err = |detail: String| Error::Config {
        file: "<options>".into(),
        detail,
    };
    std::fs::create_dir_all(&opts.out).map_err(io_err(&opts.out))?;
    let out = opts.out.canonicalize().map_err(io_err(&opts.out))?;
    for d in &opts.data {
        if let Ok(d) = d.canonicalize()
            && out.starts_with(&d)
        {
            return Err(cfg_err(format!(
                "--out {} lies inside the data folder {}: data folders are read-only",
                opts.out.display(),
                d.display()
            )));
        }
    }
    if let Some(id) = &opts.id {
        if !plain_name(id) {
            return Err(cfg_err(format!(
                "--id `{id}`: a session ID is a plain name (letters, digits, `_`, `-`, `.`)"
            )));
        }
        let dir = opts.out.join(id);
        return match std::fs::create_dir(&dir) {
            Ok(()) => Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(cfg_err(format!(
                "session {id} already exists in {} (use --resume {id} to continue it)",
                opts.out.display()
            ))),
            Err(e) => Err(io_err(&dir)(e)),
        };
    }
    let block = opts
        .block
        .as_deref()
        .filter(|b| plain_name(b))
        .unwrap_or("VIS");
    let base = default_id(Some(block));
    for k in 1..10_000 {
        let id = if k == 1 {
            base.clone()
        } else {
            format!("{base}_{k}")
        };
        let dir = opts.out.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&dir)(e)),
        }
    }
    Err(cfg_err(format!(
        "no free session ID {base}_N in {}",
        opts.out.display()
    )))
}

/// A name usable as one path component: letters, digits, `_`, `-`, `.`, not `.`/`..`.
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn default_id(block: Option<&str>) -> String {
    format!(
        "{}_{}",
        block.unwrap_or("VIS"),
        chrono::Utc::now().format("%Y%m%d_%H%M%S")
    )
}

impl Session {
    /// Creates a new session folder (unique ID).
    pub fn create(opts: RunOptions, registry: &'static Registry) -> Result<Self> {
        let opts = opts.merged();
        if opts.tests.is_empty() {
            return Err(Error::Config {
                file: "<options>".into(),
                detail: "no tests given (--tests)".into(),
            });
        }
        for t in &opts.tests {
            registry.make(t)?;
        }
        if opts.data.is_empty() {
            return Err(Error::Config {
                file: "<options>".into(),
                detail: "no data folder given (--data)".into(),
            });
        }
        // Inputs are validated before anything is written.
        BlockOffsets::resolve(&opts.config.limits, opts.block.as_deref())?;
        Gains::resolve(&opts.config.calibration)?;
        CalibInputs::resolve(&opts.config.calibration)?;
        let dir = create_session_dir(&opts)?;
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut versions = BTreeMap::new();
        versions.insert(
            "vison-pipe".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        );
        let record = SessionRecord {
            id: id.clone(),
            options: opts.clone(),
            versions,
            start: chrono::Utc::now().to_rfc3339(),
            end: String::new(),
            tests: Vec::new(),
            fatal: None,
        };
        Self::finish_setup(id, dir, opts, record, registry)
    }

    /// Re-opens session `id` under `out` to resume it.
    pub fn resume(out: &Path, id: &str, registry: &'static Registry) -> Result<Self> {
        if !plain_name(id) {
            return Err(Error::Resume {
                id: id.to_string(),
                detail: "a session ID is a plain name".into(),
            });
        }
        let dir = out.join(id);
        let path = dir.join("session.json");
        let record: SessionRecord = read_json(&path).map_err(|e| Error::Resume {
            id: id.to_string(),
            detail: e.to_string(),
        })?;
        let opts = record.options.clone();
        Self::finish_setup(id.to_string(), dir, opts, record, registry)
    }

    fn finish_setup(
        id: String,
        dir: PathBuf,
        opts: RunOptions,
        record: SessionRecord,
        registry: &'static Registry,
    ) -> Result<Self> {
        let (block, block_source) =
            BlockOffsets::resolve(&opts.config.limits, opts.block.as_deref())?;
        let gains = Gains::resolve(&opts.config.calibration)?;
        let calib = CalibInputs::resolve(&opts.config.calibration)?;
        let s = Session {
            id,
            dir,
            opts,
            record,
            block,
            block_source,
            gains,
            calib,
            registry,
        };
        s.save()?;
        Ok(s)
    }

    /// Writes `session.json`.
    pub fn save(&self) -> Result<()> {
        write_json_atomic(&self.dir.join("session.json"), &self.record)
    }

    /// Loads the exposure logs of the session's data folders.
    pub fn load_data(&self) -> Result<(DataSet, ElvisVersion)> {
        let elvis = match &self.opts.elvis {
            Some(v) => Some(v.parse::<ElvisVersion>().map_err(|e| Error::Config {
                file: "<options>".into(),
                detail: format!("elvis: {e}"),
            })?),
            None => None,
        };
        let data = DataSet::load(&self.opts.data, elvis)?;
        let v = elvis.unwrap_or_else(|| data.log.version());
        Ok((data, v))
    }

    /// Runs one test of the session and records its status.
    pub fn run_test(
        &mut self,
        test: &str,
        data: &DataSet,
        elvis: ElvisVersion,
        progress: &dyn Progress,
    ) -> TaskOutcome {
        let test_dir = self.dir.join(test);
        let entry = self.registry.entry(test);
        let outcome = match (create_test_dirs(&test_dir), entry) {
            (Ok(()), Ok(entry)) => {
                let task = (entry.make)(test);
                let env = TaskEnv {
                    test: test.to_string(),
                    frames: entry.frames,
                    uses: entry.uses,
                    cfg: &self.opts.config,
                    data,
                    elvis,
                    session_dir: self.dir.clone(),
                    test_dir: test_dir.clone(),
                    block: self.block.clone(),
                    block_source: self.block_source.clone(),
                    gains: self.gains.clone(),
                    calib: &self.calib,
                    calib_use: entry.calib,
                    progress,
                    log: TaskLog::open(&test_dir.join("log.txt"), test),
                };
                run_task(task.as_ref(), &env)
            }
            (Err(e), _) | (_, Err(e)) => {
                let mut flags = crate::framework::flags::Flags::new();
                flags.raise(crate::framework::flags::Flag::SUBTASKCRASH, e.to_string());
                TaskOutcome {
                    test: test.to_string(),
                    status: "crashed".into(),
                    flags,
                }
            }
        };
        self.record.tests.retain(|t| t.test != test);
        self.record.tests.push(SessionTest {
            test: test.to_string(),
            status: outcome.status.clone(),
            flags: outcome.flags.names(),
            report: format!("{test}/report.html"),
        });
        if let Err(e) = self.save() {
            tracing::error!("session.json not written: {e}");
        }
        outcome
    }

    /// Records a test that could not run (no data).
    pub fn mark_not_run(&mut self, test: &str, reason: &str) {
        tracing::warn!(test, "not run: {reason}");
        self.record.tests.retain(|t| t.test != test);
        self.record.tests.push(SessionTest {
            test: test.to_string(),
            status: "not_run".into(),
            flags: vec![],
            report: String::new(),
        });
    }

    /// Ends the session: end time, `session.json`, `index.html`.
    pub fn finish(&mut self) -> Result<()> {
        self.record.end = chrono::Utc::now().to_rfc3339();
        self.save()?;
        let mut idx = vison_report::SessionIndex::new(
            format!("VIS ground calibration session {}", self.id),
            self.id.clone(),
        )
        .with_info("Start (UTC)", self.record.start.clone())
        .with_info("End (UTC)", self.record.end.clone())
        .with_info("Block", self.block.block.clone())
        .with_info(
            "Data",
            self.opts
                .data
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        )
        .with_info("vison-pipe", env!("CARGO_PKG_VERSION"));
        if let Some(f) = &self.record.fatal {
            idx = idx.with_info("Stopped by", f.clone());
        }
        for t in &self.record.tests {
            let status = match t.status.as_str() {
                "ok" => vison_report::Status::Pass,
                "flagged" => vison_report::Status::Warn,
                "crashed" => vison_report::Status::Fail,
                _ => vison_report::Status::NotRun,
            };
            let summary = summary_line(&self.dir.join(&t.test).join("results.json"));
            idx = idx.with_entry(vison_report::IndexEntry {
                test: t.test.clone(),
                status,
                flags: t.flags.clone(),
                report_href: t.report.clone(),
                summary,
            });
        }
        write_atomic(&self.dir.join("index.html"), idx.render_html().as_bytes())
    }

    /// The registry of the session's tests.
    pub fn registry(&self) -> &'static Registry {
        self.registry
    }

    /// True when every test ran (none crashed or missing).
    pub fn all_ran(&self) -> bool {
        self.record
            .tests
            .iter()
            .all(|t| t.status == "ok" || t.status == "flagged")
    }

    /// Starts running the session: the thread pool of its tests (`jobs`) and the tests in run
    /// order (BIAS before DARK), announced to `progress`.
    pub(crate) fn start(
        &self,
        progress: &dyn Progress,
    ) -> Result<(rayon::ThreadPool, Vec<String>)> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.opts.jobs.unwrap_or(0))
            .build()
            .map_err(|e| Error::Config {
                file: "<options>".into(),
                detail: format!("jobs: {e}"),
            })?;
        let tests = self.registry.run_order(&self.opts.tests);
        progress.event(&ProgressEvent::SessionStart {
            session: self.id.clone(),
            tests: tests.clone(),
        });
        Ok((pool, tests))
    }

    /// Finishes the session ([`Self::finish`]), announces its end and sums it up.
    pub(crate) fn conclude(
        &mut self,
        outcomes: Vec<TaskOutcome>,
        progress: &dyn Progress,
    ) -> Result<SessionSummary> {
        self.finish()?;
        let all_ran = self.all_ran();
        progress.event(&ProgressEvent::SessionEnd {
            session: self.id.clone(),
            all_ran,
        });
        Ok(SessionSummary {
            id: self.id.clone(),
            dir: self.dir.clone(),
            outcomes,
            all_ran,
        })
    }
}

fn summary_line(path: &Path) -> String {
    let Ok(r) = read_json::<crate::framework::analysis::TestResults>(path) else {
        return String::new();
    };
    let n = r.exposures.len();
    let vals = |k: &str| -> Vec<f64> {
        r.ccds
            .values()
            .flat_map(|q| q.values())
            .filter_map(|m| m.get(k).and_then(|v| v.as_f64()))
            .collect()
    };
    let range = |v: Vec<f64>| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    };
    let mut s = format!("{n} exposures");
    let ron = vals("ron_adu");
    if !ron.is_empty() {
        let (a, b) = range(ron);
        s.push_str(&format!(", RON {a:.2}-{b:.2} ADU"));
    }
    let dk = vals("dark_e_per_px_per_s");
    if !dk.is_empty() {
        let (a, b) = range(dk);
        s.push_str(&format!(", dark {a:.4}-{b:.4} e-/px/s"));
    }
    s
}

/// Summary of a finished session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    /// Session ID.
    pub id: String,
    /// Session folder.
    pub dir: PathBuf,
    /// Outcome per test.
    pub outcomes: Vec<TaskOutcome>,
    /// True when every test ran (exit code 0).
    pub all_ran: bool,
}

/// Runs every test of a session in order (BIAS before DARK), parallel inside each test.
pub fn run_session(session: &mut Session, progress: &dyn Progress) -> Result<SessionSummary> {
    let (pool, tests) = session.start(progress)?;
    let (data, elvis) = match session.load_data() {
        Ok(d) => d,
        Err(e) => {
            // Recorded where the user looks: session.json, log.txt (tracing) and index.html.
            tracing::error!("session {} stopped before its tests: {e}", session.id);
            session.record.fatal = Some(e.to_string());
            for t in &tests {
                session.mark_not_run(t, &e.to_string());
            }
            let _ = session.finish();
            return Err(e);
        }
    };
    let mut outcomes = Vec::new();
    for t in &tests {
        let o = pool.install(|| session.run_test(t, &data, elvis, progress));
        outcomes.push(o);
    }
    session.conclude(outcomes, progress)
}

/// The tests of a registry, with the script structure of each (campaign preset, ELVIS
/// 7.5.X), as text.
pub fn describe_tests(registry: &Registry) -> Result<String> {
    let mut out = String::new();
    for entry in registry.0 {
        for name in entry.tests {
            let what = if entry.analysed {
                entry.description.to_string()
            } else {
                format!(
                    "{} (checks and quick statistics; analysis to come)",
                    entry.description
                )
            };
            out.push_str(&format!("{name}: {what}\n"));
            let def = crate::framework::data::test_definition(
                name,
                &crate::framework::config::SelectConfig::default(),
                ElvisVersion::V7_5_X,
            )?;
            for (i, c) in def.columns.iter().enumerate() {
                let get = |k: &str| c.get(k).map(|v| v.to_string()).unwrap_or_default();
                out.push_str(&format!(
                "  {}: {} frames, test {}, exptime {} s, vstart {}, vend {}, rdmode {}, wave {}, comments {}\n",
                vison_testdefs::TestDef::column_label(i),
                c.frames,
                def.test,
                get("exptime"),
                get("vstart"),
                get("vend"),
                get("rdmode"),
                get("wave"),
                get("comments")
            ));
            }
        }
    }
    Ok(out)
}
