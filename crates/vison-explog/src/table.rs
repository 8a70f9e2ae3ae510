//! The typed exposure-log table: merge, selection, per-exposure view, summary.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::error::{Error, Result};
use crate::row::ExpLogRow;
use crate::schema::{Column, Schema, normalize_name};
use crate::value::{ColType, Value};
use crate::version::ElvisVersion;

/// An exposure log: rows sharing one [`Schema`], each with the index of the log it came
/// from (0 for a single file; the position in the list after [`ExpLog::merge`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ExpLog {
    schema: Arc<Schema>,
    rows: Vec<ExpLogRow>,
    sources: Vec<usize>,
}

/// The rows of one exposure (one ObsID), the three CCDs grouped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Exposure {
    /// Exposure counter.
    pub obsid: i64,
    /// Row index of CCD1, CCD2, CCD3 (`None` when absent).
    pub ccd_rows: [Option<usize>; 3],
    /// Rows with another or unreadable CCD, or duplicates.
    pub other_rows: Vec<usize>,
}

impl Exposure {
    /// First row of the exposure (lowest CCD present, else the first other row).
    pub fn first_row(&self) -> Option<usize> {
        self.ccd_rows
            .iter()
            .flatten()
            .next()
            .copied()
            .or_else(|| self.other_rows.first().copied())
    }
}

/// Per-test part of a [`Summary`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TestSummary {
    /// Test name (`test` column).
    pub name: String,
    /// Number of exposures (ObsIDs), not rows.
    pub frames: usize,
    /// Number of rows.
    pub rows: usize,
    /// Lowest ObsID.
    pub obsid_first: i64,
    /// Highest ObsID.
    pub obsid_last: i64,
    /// Earliest date-time.
    pub start: Option<NaiveDateTime>,
    /// Latest date-time.
    pub end: Option<NaiveDateTime>,
    /// `end - start` plus the exposure time of the last exposure, in seconds.
    pub duration_s: Option<f64>,
}

/// What a log holds (the `summary()` of vison).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    /// ELVIS version of the table.
    pub elvis: ElvisVersion,
    /// Number of rows.
    pub rows: usize,
    /// Number of exposures (distinct ObsIDs).
    pub exposures: usize,
    /// Lowest and highest ObsID.
    pub obsid_range: Option<(i64, i64)>,
    /// CCD labels present (as written, e.g. `CCD1`), sorted.
    pub ccds: Vec<String>,
    /// Tests in order of first appearance.
    pub tests: Vec<TestSummary>,
}

impl ExpLog {
    /// An empty log of the given layout.
    pub fn new(schema: Arc<Schema>) -> Self {
        Self {
            schema,
            rows: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// An empty log with the reference layout of `version`.
    pub fn with_version(version: ElvisVersion) -> Self {
        Self::new(Schema::for_version(version))
    }

    pub(crate) fn from_parts(
        schema: Arc<Schema>,
        rows: Vec<ExpLogRow>,
        sources: Vec<usize>,
    ) -> Self {
        Self {
            schema,
            rows,
            sources,
        }
    }

    /// Append a row (source index 0). A row built on another layout is re-mapped by column
    /// name (columns unknown to this table are an error, missing ones stay empty).
    ///
    /// # Errors
    /// [`Error::UnknownColumn`] or [`Error::TypeMismatch`] when re-mapping fails.
    pub fn push(&mut self, row: ExpLogRow) -> Result<()> {
        let row = if Arc::ptr_eq(row.schema(), &self.schema) || **row.schema() == *self.schema {
            row
        } else {
            let mut out = ExpLogRow::new(self.schema.clone());
            for (c, v) in row.schema().columns().iter().zip(row.values()) {
                if *v != Value::Missing {
                    out.set(&c.name, v.clone())?;
                }
            }
            out
        };
        self.rows.push(row);
        self.sources.push(0);
        Ok(())
    }

    /// The table layout.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// ELVIS version of the layout.
    pub fn version(&self) -> ElvisVersion {
        self.schema.version()
    }

    /// All rows in file order.
    pub fn rows(&self) -> &[ExpLogRow] {
        &self.rows
    }

    /// Index of the source log of each row (vison's `explognumber`).
    pub fn sources(&self) -> &[usize] {
        &self.sources
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Stack several logs. Equal layouts are kept; different layouts are united (columns in
    /// order of first appearance; a column that is text in one log and numeric in another
    /// becomes text, int and float become float). Each row records the position of its log.
    pub fn merge(logs: &[ExpLog]) -> ExpLog {
        let Some(first) = logs.first() else {
            return ExpLog::with_version(ElvisVersion::default());
        };
        let same = logs.iter().all(|l| *l.schema == *first.schema);
        let schema = if same {
            first.schema.clone()
        } else {
            let mut cols: Vec<Column> = Vec::new();
            let mut pos: HashMap<String, usize> = HashMap::new();
            for l in logs {
                for c in l.schema.columns() {
                    let key = normalize_name(&c.name);
                    match pos.get(&key).and_then(|&i| cols.get_mut(i)) {
                        Some(existing) => {
                            existing.ty = match (existing.ty, c.ty) {
                                (a, b) if a == b => a,
                                (ColType::Int, ColType::Float) | (ColType::Float, ColType::Int) => {
                                    ColType::Float
                                }
                                _ => ColType::Str,
                            };
                        }
                        None => {
                            pos.insert(key, cols.len());
                            cols.push(c.clone());
                        }
                    }
                }
            }
            Arc::new(Schema::new(first.version(), cols))
        };
        let total = logs.iter().map(ExpLog::len).sum();
        let mut rows = Vec::with_capacity(total);
        let mut sources = Vec::with_capacity(total);
        for (k, l) in logs.iter().enumerate() {
            let map: Vec<Option<usize>> = if same {
                Vec::new()
            } else {
                l.schema
                    .columns()
                    .iter()
                    .map(|c| schema.index_of(&c.name))
                    .collect()
            };
            for r in &l.rows {
                if same {
                    rows.push(r.clone());
                } else {
                    let mut values = vec![Value::Missing; schema.len()];
                    for (v, m) in r.values().iter().zip(&map) {
                        if let Some(i) = m
                            && let (Some(slot), Some(col)) =
                                (values.get_mut(*i), schema.columns().get(*i))
                        {
                            *slot = v.clone().coerce(col.ty).unwrap_or(Value::Missing);
                        }
                    }
                    rows.push(ExpLogRow::from_typed(schema.clone(), values));
                }
                sources.push(k);
            }
        }
        ExpLog {
            schema,
            rows,
            sources,
        }
    }

    /// Rows for which `keep` is true (source indices kept).
    pub fn filter(&self, mut keep: impl FnMut(&ExpLogRow) -> bool) -> ExpLog {
        let mut rows = Vec::new();
        let mut sources = Vec::new();
        for (r, s) in self.rows.iter().zip(&self.sources) {
            if keep(r) {
                rows.push(r.clone());
                sources.push(*s);
            }
        }
        ExpLog {
            schema: self.schema.clone(),
            rows,
            sources,
        }
    }

    /// Rows of test `name` (exact match after trimming).
    pub fn select_test(&self, name: &str) -> ExpLog {
        let name = name.trim();
        self.filter(|r| r.test().is_some_and(|t| t.trim() == name))
    }

    /// Rows with `lo <= ObsID <= hi`.
    pub fn select_obsid_range(&self, lo: i64, hi: i64) -> ExpLog {
        self.filter(|r| r.obsid().is_some_and(|o| (lo..=hi).contains(&o)))
    }

    /// vison's `filterexposures` selection: test name and optional ObsID limits
    /// (default: the whole log).
    pub fn select(&self, test: &str, obsid_lims: Option<(i64, i64)>) -> ExpLog {
        let t = self.select_test(test);
        match obsid_lims {
            Some((lo, hi)) => t.select_obsid_range(lo, hi),
            None => t,
        }
    }

    /// One entry per exposure (ObsID) in order of first appearance, the CCD rows grouped.
    /// Rows without an ObsID are left out.
    pub fn exposures(&self) -> Vec<Exposure> {
        let mut out: Vec<Exposure> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        for (i, r) in self.rows.iter().enumerate() {
            let Some(obsid) = r.obsid() else { continue };
            let k = *index.entry(obsid).or_insert_with(|| {
                out.push(Exposure {
                    obsid,
                    ccd_rows: [None; 3],
                    other_rows: Vec::new(),
                });
                out.len() - 1
            });
            let Some(e) = out.get_mut(k) else { continue };
            let slot = r
                .ccd()
                .and_then(|c| usize::from(c).checked_sub(1))
                .and_then(|c| e.ccd_rows.get_mut(c));
            match slot {
                Some(s @ None) => *s = Some(i),
                _ => e.other_rows.push(i),
            }
        }
        out
    }

    /// Entries, ObsID range, CCDs and per-test frame counts and durations.
    pub fn summary(&self) -> Summary {
        let exposures = self.exposures();
        let obsid_range = exposures
            .iter()
            .map(|e| e.obsid)
            .fold(None, |acc, o| match acc {
                None => Some((o, o)),
                Some((lo, hi)) => Some((lo.min(o), hi.max(o))),
            });
        let mut ccds: Vec<String> = self
            .rows
            .iter()
            .filter_map(|r| r.get("CCD").map(ToString::to_string))
            .filter(|s| !s.is_empty())
            .collect();
        ccds.sort();
        ccds.dedup();
        let mut tests: Vec<TestSummary> = Vec::new();
        for e in &exposures {
            let rows: Vec<&ExpLogRow> = e
                .ccd_rows
                .iter()
                .flatten()
                .chain(&e.other_rows)
                .filter_map(|&i| self.rows.get(i))
                .collect();
            let Some(first) = rows.first() else { continue };
            let name = first.test().unwrap_or("").to_string();
            let t = first.datetime();
            let idx = match tests.iter().position(|x| x.name == name) {
                Some(i) => i,
                None => {
                    tests.push(TestSummary {
                        name,
                        frames: 0,
                        rows: 0,
                        obsid_first: e.obsid,
                        obsid_last: e.obsid,
                        start: None,
                        end: None,
                        duration_s: None,
                    });
                    tests.len() - 1
                }
            };
            let Some(ts) = tests.get_mut(idx) else {
                continue;
            };
            ts.frames += 1;
            ts.rows += rows.len();
            ts.obsid_first = ts.obsid_first.min(e.obsid);
            ts.obsid_last = ts.obsid_last.max(e.obsid);
            if let Some(t) = t {
                ts.start = Some(ts.start.map_or(t, |s| s.min(t)));
                if ts.end.is_none_or(|x| t >= x) {
                    ts.end = Some(t);
                    let exp = first.exptime_s().unwrap_or(0.0);
                    ts.duration_s = ts
                        .start
                        .map(|s| (t - s).num_milliseconds() as f64 / 1000.0 + exp);
                }
            }
        }
        Summary {
            elvis: self.version(),
            rows: self.rows.len(),
            exposures: exposures.len(),
            obsid_range,
            ccds,
            tests,
        }
    }

    /// Values of one column for every row (`None` when the column does not exist).
    pub fn column_values(&self, name: &str) -> Option<Vec<&Value>> {
        let i = self.schema.index_of(name)?;
        Some(self.rows.iter().filter_map(|r| r.values().get(i)).collect())
    }

    /// Row index of the first row of an exposure with this ObsID.
    pub fn find_obsid(&self, obsid: i64) -> Option<usize> {
        self.rows.iter().position(|r| r.obsid() == Some(obsid))
    }

    /// Return an error naming `column` when the table lacks it.
    ///
    /// # Errors
    /// [`Error::UnknownColumn`].
    pub fn require_column(&self, column: &str) -> Result<usize> {
        self.schema
            .index_of(column)
            .ok_or_else(|| Error::UnknownColumn(column.to_string()))
    }
}
