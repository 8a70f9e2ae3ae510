//! The session index: one row per test with status, flags and a link to its report.

use std::path::Path;

use crate::Error;
use crate::html::{render_html, write_html};
use crate::model::{Cell, DataTable, KeyValueTable, Report, Section, Status};

/// One test of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// Test name, e.g. `"BIAS01"`.
    pub test: String,
    /// Overall status.
    pub status: Status,
    /// Names of the flags raised.
    pub flags: Vec<String>,
    /// Report path relative to the index, e.g. `"BIAS01/report.html"`.
    pub report_href: String,
    /// One-line summary, e.g. `"10 frames, RON 1.1-1.3 ADU"`.
    pub summary: String,
}

/// The index page of a session (`OUT/<ID>/index.html`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionIndex {
    /// Page title.
    pub title: String,
    /// Session identifier.
    pub session_id: String,
    /// Extra `(name, value)` lines: date, operator, software versions, input folder...
    pub info: Vec<(String, String)>,
    /// Tests in run order.
    pub entries: Vec<IndexEntry>,
}

impl SessionIndex {
    /// An empty index.
    pub fn new(title: impl Into<String>, session_id: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            session_id: session_id.into(),
            info: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Adds an information line.
    #[must_use]
    pub fn with_info(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.info.push((name.into(), value.into()));
        self
    }

    /// Adds a test.
    #[must_use]
    pub fn with_entry(mut self, entry: IndexEntry) -> Self {
        self.entries.push(entry);
        self
    }

    /// Counts of tests per status: `(pass, fail, warn, not run)`.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let n = |s| self.entries.iter().filter(|e| e.status == s).count();
        (
            n(Status::Pass),
            n(Status::Fail),
            n(Status::Warn),
            n(Status::NotRun),
        )
    }

    /// The index as a report document (session table, then the test table).
    pub fn to_report(&self) -> Report {
        let (pass, fail, warn, not_run) = self.counts();
        let mut info = KeyValueTable::new("Session").row("Session ID", self.session_id.clone());
        for (k, v) in &self.info {
            info = info.row(k.clone(), v.clone());
        }
        info = info.row(
            "Tests",
            format!(
                "{} ({pass} passed, {fail} failed, {warn} with warnings, {not_run} not run)",
                self.entries.len()
            ),
        );
        let mut tests = DataTable::new(
            "Tests of the session",
            ["Test", "Status", "Flags", "Summary", "Report"],
        );
        for e in &self.entries {
            let flags = if e.flags.is_empty() {
                "none".to_owned()
            } else {
                e.flags.join(", ")
            };
            let flag_cell = if e.flags.is_empty() {
                Cell::text(flags)
            } else {
                Cell::text(flags).with_status(Status::Warn)
            };
            tests.push_row([
                Cell::text(e.test.clone()),
                Cell::status(e.status),
                flag_cell,
                Cell::text(e.summary.clone()),
                Cell::text("report").with_link(e.report_href.clone()),
            ]);
        }
        Report::new(self.title.clone())
            .with_section(Section::new("Session summary").with(info).with(tests))
    }

    /// Renders the index page as self-contained HTML.
    pub fn render_html(&self) -> String {
        render_html(&self.to_report())
    }

    /// Writes the index page atomically to `path`.
    pub fn write_html(&self, path: &Path) -> Result<(), Error> {
        write_html(&self.to_report(), path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lists_tests_with_links_and_counts() {
        let idx = SessionIndex::new("Session 20261125", "20261125_a")
            .with_info("vison-rs", "0.1.0")
            .with_entry(IndexEntry {
                test: "BIAS01".into(),
                status: Status::Pass,
                flags: vec![],
                report_href: "BIAS01/report.html".into(),
                summary: "10 frames".into(),
            })
            .with_entry(IndexEntry {
                test: "DARK01".into(),
                status: Status::Fail,
                flags: vec!["RON_OOL".into(), "HK_OOL".into()],
                report_href: "DARK01/report.html".into(),
                summary: "4 frames".into(),
            });
        assert_eq!(idx.counts(), (1, 1, 0, 0));
        let html = idx.render_html();
        assert!(html.contains("<a href=\"BIAS01/report.html\">report</a>"));
        assert!(html.contains("<a href=\"DARK01/report.html\">report</a>"));
        assert!(html.contains("<td class=\"fail\">FAIL</td>"));
        assert!(html.contains("<td class=\"warn\">RON_OOL, HK_OOL</td>"));
        assert!(html.contains("2 (1 passed, 1 failed, 0 with warnings, 0 not run)"));
    }
}
