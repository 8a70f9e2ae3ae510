//! HTML renderer: one self-contained file (inline CSS, figures as data URIs, no scripts,
//! no network), readable on screen and in print.

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine as _;

use crate::Error;
use crate::model::{
    Block, ComplianceMatrix, DataTable, Figure, FigureData, FlagList, KeyValueTable, ProductLinks,
    Report, format_value,
};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab/newline are not valid in HTML text.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Whether `href` is a relative path that stays a plain file link (no scheme, not absolute).
pub fn is_relative_href(href: &str) -> bool {
    let first_sep = href.find(['/', '?', '#']).unwrap_or(href.len());
    !href.is_empty()
        && !href.starts_with('/')
        && !href.starts_with('\\')
        && !href[..first_sep].contains(':')
        && !href.chars().any(char::is_control)
}

const CSS: &str = r#"
:root { --pass: #d7f0d7; --pass-fg: #0b5a0b; --fail: #f8d0d0; --fail-fg: #8a0000;
        --warn: #fbe8c0; --warn-fg: #6b4a00; --notrun: #e6e6e6; --line: #c8c8c8; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 14px;
       line-height: 1.45; color: #111; background: #fff; margin: 0 auto; max-width: 1150px;
       padding: 16px 24px 40px; }
header h1 { font-size: 24px; margin: 8px 0 4px; border-bottom: 2px solid #333; padding-bottom: 6px; }
header .summary { color: #444; margin: 0 0 12px; }
nav.toc { border: 1px solid var(--line); background: #fafafa; padding: 6px 14px; margin: 12px 0 20px; }
nav.toc h2 { font-size: 15px; margin: 4px 0; }
nav.toc ol { margin: 4px 0; padding-left: 22px; }
h2 { font-size: 19px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 3px; }
h3 { font-size: 16px; margin: 18px 0 8px; }
p { margin: 6px 0 10px; }
table { border-collapse: collapse; margin: 8px 0 18px; font-size: 13px; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef0f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { width: 16em; }
td.pass { background: var(--pass); color: var(--pass-fg); }
td.fail { background: var(--fail); color: var(--fail-fg); font-weight: bold; }
td.warn { background: var(--warn); color: var(--warn-fg); }
td.notrun, td.missing { background: var(--notrun); color: #555; }
.range { color: #555; font-size: 11px; white-space: nowrap; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: bold; }
.badge.pass { background: var(--pass); color: var(--pass-fg); }
.badge.fail { background: var(--fail); color: var(--fail-fg); }
.badge.notrun { background: var(--notrun); color: #555; }
figure { margin: 12px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; display: block; }
figcaption { font-size: 13px; color: #333; margin-top: 4px; max-width: 900px; }
ul.flags li, ul.products li { margin: 2px 0; }
.flagname { font-family: "DejaVu Sans Mono", monospace; font-weight: bold; color: var(--fail-fg); }
.noflags { color: var(--pass-fg); }
code, .path { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
footer { margin-top: 32px; border-top: 1px solid var(--line); color: #666; font-size: 12px; padding-top: 6px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav.toc { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2, h3, caption { break-after: avoid; }
  figure, table, ul { break-inside: avoid; }
  figure img { max-width: 100%; border: none; }
  a { color: inherit; text-decoration: none; }
  a[href]::after { content: " (" attr(href) ")"; font-size: 9pt; color: #555; }
}
"#;

/// Content-Security-Policy: nothing may load except inline styles and data-URI images.
const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/// Renders `report` as one self-contained HTML document.
pub fn render_html(report: &Report) -> String {
    let mut r = Renderer::default();
    r.document(report);
    r.out
}

/// Writes `render_html(report)` to `path` atomically (temporary file in the same folder, then
/// rename), creating the parent folder if needed.
pub fn write_html(report: &Report, path: &Path) -> Result<(), Error> {
    write_atomic(path, render_html(report).as_bytes())
}

/// Writes `bytes` to `path` through a temporary sibling file and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    vison_stdx::write_atomic(path, bytes).map_err(|e| Error::Io {
        path: e.path,
        source: e.source,
    })
}

#[derive(Default)]
struct Renderer {
    out: String,
    figure_no: usize,
    table_no: usize,
}

impl Renderer {
    fn document(&mut self, report: &Report) {
        let title = escape_html(&report.title);
        let _ = write!(
            self.out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"vison-report {}\">\n<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
             <header><h1>{title}</h1></header>\n",
            env!("CARGO_PKG_VERSION")
        );
        if report.sections.len() > 1 {
            self.out
                .push_str("<nav class=\"toc\"><h2>Contents</h2><ol>\n");
            for (i, s) in report.sections.iter().enumerate() {
                let _ = writeln!(
                    self.out,
                    "<li><a href=\"#sec-{}\">{}</a></li>",
                    i + 1,
                    escape_html(&s.title)
                );
            }
            self.out.push_str("</ol></nav>\n");
        }
        self.out.push_str("<main>\n");
        for (i, s) in report.sections.iter().enumerate() {
            let _ = writeln!(
                self.out,
                "<section id=\"sec-{n}\">\n<h2>{n}. {}</h2>",
                escape_html(&s.title),
                n = i + 1
            );
            for b in &s.blocks {
                self.block(b);
            }
            self.out.push_str("</section>\n");
        }
        let _ = write!(
            self.out,
            "</main>\n<footer>Generated by vison-report {}. Self-contained file: no scripts, no network access.</footer>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION")
        );
    }

    fn block(&mut self, b: &Block) {
        match b {
            Block::Heading(t) => {
                let _ = writeln!(self.out, "<h3>{}</h3>", escape_html(t));
            }
            Block::Paragraph(t) => self.paragraph(t),
            Block::KeyValue(kv) => self.key_value(kv),
            Block::Table(t) => self.table(t),
            Block::Figure(f) => self.figure(f),
            Block::Compliance(m) => self.compliance(m),
            Block::Flags(f) => self.flags(f),
            Block::Products(p) => self.products(p),
            Block::Details { summary, blocks } => {
                let _ = writeln!(
                    self.out,
                    "<details><summary>{}</summary>",
                    escape_html(summary)
                );
                for b in blocks {
                    self.block(b);
                }
                self.out.push_str("</details>\n");
            }
        }
    }

    fn paragraph(&mut self, text: &str) {
        for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            let _ = writeln!(
                self.out,
                "<p>{}</p>",
                escape_html(para).replace('\n', "<br>")
            );
        }
    }

    fn caption(&mut self, caption: &str) {
        self.table_no += 1;
        let _ = writeln!(
            self.out,
            "<caption>Table {}. {}</caption>",
            self.table_no,
            escape_html(caption)
        );
    }

    fn key_value(&mut self, kv: &KeyValueTable) {
        self.out.push_str("<table class=\"kv\">\n");
        self.caption(&kv.caption);
        for (k, v) in &kv.rows {
            let _ = writeln!(
                self.out,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape_html(k),
                escape_html(v)
            );
        }
        self.out.push_str("</table>\n");
    }

    fn table(&mut self, t: &DataTable) {
        self.out.push_str("<table class=\"data\">\n");
        self.caption(&t.caption);
        self.out.push_str("<thead><tr>");
        for c in &t.columns {
            let _ = write!(self.out, "<th>{}</th>", escape_html(c));
        }
        self.out.push_str("</tr></thead>\n<tbody>\n");
        for row in &t.rows {
            self.out.push_str("<tr>");
            for cell in row {
                let mut classes = Vec::new();
                if let Some(s) = cell.status {
                    classes.push(s.css());
                }
                if looks_numeric(&cell.text) {
                    classes.push("num");
                }
                let class = if classes.is_empty() {
                    String::new()
                } else {
                    format!(" class=\"{}\"", classes.join(" "))
                };
                let text = escape_html(&cell.text);
                let content = match &cell.link {
                    Some(href) if is_relative_href(href) => {
                        format!("<a href=\"{}\">{text}</a>", escape_html(href))
                    }
                    _ => text,
                };
                let _ = write!(self.out, "<td{class}>{content}</td>");
            }
            for _ in row.len()..t.columns.len() {
                self.out.push_str("<td></td>");
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</tbody>\n</table>\n");
    }

    fn figure(&mut self, f: &Figure) {
        self.figure_no += 1;
        let (mime, payload) = match &f.data {
            FigureData::Png(b) => (
                "image/png",
                base64::engine::general_purpose::STANDARD.encode(b),
            ),
            FigureData::Svg(s) => (
                "image/svg+xml",
                base64::engine::general_purpose::STANDARD.encode(s),
            ),
        };
        let caption = escape_html(&f.caption);
        let _ = writeln!(
            self.out,
            "<figure id=\"fig-{n}\">\n<img src=\"data:{mime};base64,{payload}\" width=\"{w}\" height=\"{h}\" alt=\"Figure {n}: {caption}\">\n\
             <figcaption><b>Figure {n}.</b> {caption}</figcaption>\n</figure>",
            n = self.figure_no,
            w = f.width_px,
            h = f.height_px,
        );
    }

    fn compliance(&mut self, m: &ComplianceMatrix) {
        let status = m.status();
        self.out.push_str("<table class=\"compliance\">\n");
        self.table_no += 1;
        let _ = writeln!(
            self.out,
            "<caption>Table {}. {} <span class=\"badge {}\">{}</span></caption>",
            self.table_no,
            escape_html(&m.caption),
            status.css(),
            status.label()
        );
        let _ = write!(
            self.out,
            "<thead><tr><th>{}</th>",
            escape_html(&m.row_header)
        );
        for c in &m.columns {
            let _ = write!(self.out, "<th>{}</th>", escape_html(c));
        }
        self.out.push_str("</tr></thead>\n<tbody>\n");
        for (label, cells) in &m.rows {
            let _ = write!(self.out, "<tr><th>{}</th>", escape_html(label));
            for i in 0..m.columns.len().max(cells.len()) {
                match cells.get(i).copied().flatten() {
                    Some(c) => {
                        let (class, word) = if c.pass {
                            ("pass", "pass")
                        } else {
                            ("fail", "FAIL")
                        };
                        let _ = write!(
                            self.out,
                            "<td class=\"{class} num\" title=\"{word}\">{} <span class=\"range\">[{}, {}]</span></td>",
                            escape_html(&format_value(c.value)),
                            escape_html(&format_value(c.lo)),
                            escape_html(&format_value(c.hi)),
                        );
                    }
                    None => self.out.push_str("<td class=\"missing\">n/a</td>"),
                }
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</tbody>\n</table>\n");
    }

    fn flags(&mut self, f: &FlagList) {
        if !f.caption.is_empty() {
            let _ = writeln!(self.out, "<p><b>{}</b></p>", escape_html(&f.caption));
        }
        if f.flags.is_empty() {
            self.out
                .push_str("<p class=\"noflags\">No flags raised.</p>\n");
            return;
        }
        self.out.push_str("<ul class=\"flags\">\n");
        for flag in &f.flags {
            let _ = writeln!(
                self.out,
                "<li><span class=\"flagname\">{}</span>: {}</li>",
                escape_html(&flag.name),
                escape_html(&flag.reason)
            );
        }
        self.out.push_str("</ul>\n");
    }

    fn products(&mut self, p: &ProductLinks) {
        if !p.caption.is_empty() {
            let _ = writeln!(self.out, "<p><b>{}</b></p>", escape_html(&p.caption));
        }
        if p.links.is_empty() {
            self.out.push_str("<p>No products written.</p>\n");
            return;
        }
        self.out.push_str("<ul class=\"products\">\n");
        for l in &p.links {
            let label = escape_html(&l.label);
            let target = if is_relative_href(&l.href) {
                format!(
                    "<a class=\"path\" href=\"{}\">{label}</a>",
                    escape_html(&l.href)
                )
            } else {
                // Absolute paths and URLs are shown, not linked: reports must stay relocatable.
                format!(
                    "<span class=\"path\">{label} ({})</span>",
                    escape_html(&l.href)
                )
            };
            let desc = if l.description.is_empty() {
                String::new()
            } else {
                format!(": {}", escape_html(&l.description))
            };
            let _ = writeln!(self.out, "<li>{target}{desc}</li>");
        }
        self.out.push_str("</ul>\n");
    }
}

/// Right-align cells that are plain numbers.
fn looks_numeric(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && (t.parse::<f64>().is_ok() || t == "NaN" || t == "inf" || t == "-inf")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cell, ComplianceCell, Section, Status};

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape_html("a\u{0}b\nc"), "a\u{fffd}b\nc");
    }

    #[test]
    fn relative_hrefs_only() {
        assert!(is_relative_href("BIAS01/report.html"));
        assert!(is_relative_href("products/a b.fits"));
        assert!(is_relative_href("x.html#sec-1"));
        assert!(!is_relative_href("/etc/passwd"));
        assert!(!is_relative_href("javascript:alert(1)"));
        assert!(!is_relative_href("https://example.com/x"));
        assert!(!is_relative_href("C:\\data\\x.fits"));
        assert!(!is_relative_href(""));
    }

    #[test]
    fn hostile_header_strings_stay_text() {
        let evil = "OBJECT='</td></table><script>alert(1)</script><img src=x onerror=alert(2)>";
        let report = Report::new(evil).with_section(
            Section::new(evil)
                .with(Block::Paragraph(evil.to_owned()))
                .with(KeyValueTable::new(evil).row(evil, evil))
                .with(
                    DataTable::new(evil, [evil])
                        .row([Cell::text(evil).with_link("javascript:alert(3)")]),
                )
                .with(FlagList::new(evil).flag(evil, evil))
                .with(ProductLinks::new(evil).link(evil, "\"><script>", evil)),
        );
        let html = render_html(&report);
        assert!(!html.contains("<script"), "raw script tag leaked");
        assert!(!html.contains("<img src=x"), "raw img tag leaked");
        assert!(
            !html.contains("href=\"javascript:"),
            "javascript link emitted"
        );
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn compliance_cells_are_coloured_with_ranges() {
        let m = ComplianceMatrix::new("RON [ADU]", "CCD", ["E", "F"]).row(
            "CCD1",
            vec![
                Some(ComplianceCell::check(1.1, 0.86, 1.44)),
                Some(ComplianceCell::check(1.6, 0.86, 1.44)),
            ],
        );
        let html = render_html(&Report::new("r").with_section(Section::new("s").with(m)));
        assert!(html.contains("<td class=\"pass num\" title=\"pass\">1.1 <span class=\"range\">[0.86, 1.44]</span></td>"));
        assert!(html.contains("<td class=\"fail num\" title=\"FAIL\">1.6 <span class=\"range\">[0.86, 1.44]</span></td>"));
        assert!(html.contains("<span class=\"badge fail\">FAIL</span>"));
    }

    #[test]
    fn tables_figures_and_numbering() {
        let png = crate::render::encode_png("t", &[0u8; 3 * 4 * 2], 4, 2).unwrap();
        let s = Section::new("S")
            .with(
                DataTable::new("inv", ["ObsID", "exptime [s]", "status"]).row([
                    Cell::text("1234"),
                    Cell::number(0.0),
                    Cell::status(Status::Pass),
                ]),
            )
            .with(Figure::png("a figure", png).unwrap())
            .with(Figure::svg(
                "svg fig",
                "<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_owned(),
                10,
                20,
            ))
            .with(DataTable::new("short", ["a", "b"]).row(["x"]));
        let html = render_html(&Report::new("r").with_section(s));
        assert!(html.contains("<caption>Table 1. inv</caption>"));
        assert!(html.contains("<caption>Table 2. short</caption>"));
        assert!(html.contains("<td class=\"pass\">PASS</td>"));
        assert!(html.contains("<td class=\"num\">1234</td>"));
        assert!(html.contains("<tr><td>x</td><td></td></tr>"));
        assert!(html.contains("width=\"4\" height=\"2\""));
        assert!(html.contains("src=\"data:image/png;base64,iVBORw0KGgo"));
        assert!(html.contains("src=\"data:image/svg+xml;base64,"));
        assert!(html.contains("<b>Figure 2.</b> svg fig"));
        assert!(!html.contains("http://"), "no network references");
    }

    #[test]
    fn write_html_is_atomic_and_creates_folders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("OUT/BIAS01/report.html");
        write_html(&Report::new("one"), &path).unwrap();
        write_html(&Report::new("two"), &path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("<title>two</title>"));
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        // A path whose parent is a file cannot be written: the error names the path.
        let bad = path.join("inside-a-file.html");
        let err = write_html(&Report::new("x"), &bad).unwrap_err();
        assert!(err.to_string().contains("inside-a-file.html"), "{err}");
    }
}
