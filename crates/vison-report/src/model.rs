//! The report document model, independent of the output format.

use crate::Error;
use crate::axis::format_tick;
use crate::render::png_size_px;

/// A report: a title and numbered sections of blocks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// Document title, e.g. `"VIS ground calibration: BIAS01, session 20261125_a"`.
    pub title: String,
    /// Sections, numbered 1, 2, ... in the output.
    pub sections: Vec<Section>,
}

impl Report {
    /// An empty report.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            sections: Vec::new(),
        }
    }

    /// Appends a section.
    #[must_use]
    pub fn with_section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }
}

/// A numbered section with its content blocks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    /// Section title, e.g. `"Data Validation"`.
    pub title: String,
    /// Content, in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// An empty section.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    /// Appends a block.
    #[must_use]
    pub fn with(mut self, block: impl Into<Block>) -> Self {
        self.blocks.push(block.into());
        self
    }

    /// Appends a block in place.
    pub fn push(&mut self, block: impl Into<Block>) {
        self.blocks.push(block.into());
    }
}

/// One piece of section content.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A sub-heading inside a section.
    Heading(String),
    /// Plain text; blank lines separate paragraphs, single newlines break lines.
    Paragraph(String),
    /// Two-column table of names and values (inputs, versions, settings).
    KeyValue(KeyValueTable),
    /// A table with a header row and optional per-cell status colouring.
    Table(DataTable),
    /// An embedded figure with its caption.
    Figure(Figure),
    /// Values against their allowed ranges, pass green and fail red.
    Compliance(ComplianceMatrix),
    /// Raised flags with their reasons.
    Flags(FlagList),
    /// Links (relative paths) to the products written.
    Products(ProductLinks),
    /// Blocks folded under a one-line summary (HTML `<details>`), for long tables.
    Details {
        /// The line shown while folded.
        summary: String,
        /// The folded content.
        blocks: Vec<Block>,
    },
}

/// Pass/fail state of a table cell or a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Within limits (green).
    Pass,
    /// Outside limits (red).
    Fail,
    /// Needs attention (amber).
    Warn,
    /// Not evaluated (grey).
    NotRun,
}

impl Status {
    /// Upper-case word shown in tables.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Warn => "WARN",
            Self::NotRun => "NOT RUN",
        }
    }

    /// CSS class used by the HTML renderer.
    pub(crate) fn css(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Warn => "warn",
            Self::NotRun => "notrun",
        }
    }
}

/// A captioned table of `(name, value)` rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyValueTable {
    /// Caption, e.g. `"Inputs and versions"`.
    pub caption: String,
    /// Rows in order.
    pub rows: Vec<(String, String)>,
}

impl KeyValueTable {
    /// An empty table with a caption.
    pub fn new(caption: impl Into<String>) -> Self {
        Self {
            caption: caption.into(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    #[must_use]
    pub fn row(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.rows.push((key.into(), value.into()));
        self
    }
}

/// A table cell: text, optional status colour, optional relative link.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    /// Displayed text.
    pub text: String,
    /// Colour the cell by status.
    pub status: Option<Status>,
    /// Relative link target (e.g. `"BIAS01/report.html"`).
    pub link: Option<String>,
}

impl Cell {
    /// A plain text cell.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// A number formatted with about four significant digits.
    pub fn number(v: f64) -> Self {
        Self::text(format_value(v))
    }

    /// A cell showing the status word, coloured.
    pub fn status(status: Status) -> Self {
        Self {
            text: status.label().to_owned(),
            status: Some(status),
            link: None,
        }
    }

    /// Sets the status colour.
    #[must_use]
    pub fn with_status(mut self, status: Status) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets a relative link.
    #[must_use]
    pub fn with_link(mut self, href: impl Into<String>) -> Self {
        self.link = Some(href.into());
        self
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Self::text(s)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Self::text(s)
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Self::number(v)
    }
}

/// A captioned table with a header row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataTable {
    /// Caption, e.g. `"Data inventory"`.
    pub caption: String,
    /// Column headers (with units, e.g. `"exptime [s]"`).
    pub columns: Vec<String>,
    /// Rows; short rows are padded with empty cells, long rows are shown in full.
    pub rows: Vec<Vec<Cell>>,
}

impl DataTable {
    /// An empty table with caption and column headers.
    pub fn new<S: Into<String>>(
        caption: impl Into<String>,
        columns: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            caption: caption.into(),
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    #[must_use]
    pub fn row<C: Into<Cell>>(mut self, cells: impl IntoIterator<Item = C>) -> Self {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// Appends a row in place.
    pub fn push_row<C: Into<Cell>>(&mut self, cells: impl IntoIterator<Item = C>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }
}

/// Encoded figure content.
#[derive(Debug, Clone, PartialEq)]
pub enum FigureData {
    /// PNG file bytes.
    Png(Vec<u8>),
    /// A standalone SVG document.
    Svg(String),
}

/// An embedded figure: image, size and caption.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Caption: what is shown, with units where relevant.
    pub caption: String,
    /// The image.
    pub data: FigureData,
    /// Intended display width in CSS pixels.
    pub width_px: u32,
    /// Intended display height in CSS pixels.
    pub height_px: u32,
}

impl Figure {
    /// A figure from PNG bytes; the size is read from the PNG header.
    pub fn png(caption: impl Into<String>, png: Vec<u8>) -> Result<Self, Error> {
        let caption = caption.into();
        let (width_px, height_px) = png_size_px(&png).ok_or_else(|| Error::InvalidParameter {
            name: "png",
            reason: format!("figure '{caption}': bytes are not a PNG file"),
        })?;
        Ok(Self {
            caption,
            data: FigureData::Png(png),
            width_px,
            height_px,
        })
    }

    /// A figure from an SVG document rendered at `width_px` x `height_px`.
    pub fn svg(caption: impl Into<String>, svg: String, width_px: u32, height_px: u32) -> Self {
        Self {
            caption: caption.into(),
            data: FigureData::Svg(svg),
            width_px,
            height_px,
        }
    }
}

/// One compliance value with its allowed range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComplianceCell {
    /// The measured value (NaN fails).
    pub value: f64,
    /// Lower limit.
    pub lo: f64,
    /// Upper limit.
    pub hi: f64,
    /// Whether the value complies.
    pub pass: bool,
}

impl ComplianceCell {
    /// Checks `lo <= value <= hi` (NaN fails).
    pub fn check(value: f64, lo: f64, hi: f64) -> Self {
        Self {
            value,
            lo,
            hi,
            pass: value >= lo && value <= hi,
        }
    }
}

/// A matrix of compliance cells, e.g. rows CCD1..3 by columns E, F, G, H.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComplianceMatrix {
    /// Caption: quantity, units and what the limits are, e.g. `"Offset [ADU], pre-scan"`.
    pub caption: String,
    /// Header of the row-label column, e.g. `"CCD"`.
    pub row_header: String,
    /// Column headers, e.g. quadrants.
    pub columns: Vec<String>,
    /// Rows: label and one optional cell per column (`None`: not measured).
    pub rows: Vec<(String, Vec<Option<ComplianceCell>>)>,
}

impl ComplianceMatrix {
    /// An empty matrix.
    pub fn new<S: Into<String>>(
        caption: impl Into<String>,
        row_header: impl Into<String>,
        columns: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            caption: caption.into(),
            row_header: row_header.into(),
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    #[must_use]
    pub fn row(mut self, label: impl Into<String>, cells: Vec<Option<ComplianceCell>>) -> Self {
        self.rows.push((label.into(), cells));
        self
    }

    /// `Pass` if every present cell passes, `Fail` if any fails, `NotRun` if there are none.
    pub fn status(&self) -> Status {
        let mut any = false;
        for cell in self.rows.iter().flat_map(|(_, c)| c).flatten() {
            if !cell.pass {
                return Status::Fail;
            }
            any = true;
        }
        if any { Status::Pass } else { Status::NotRun }
    }
}

/// A raised flag and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Flag name, e.g. `"RON_OOL"`.
    pub name: String,
    /// Reason, e.g. `"CCD2 G: RON 1.62 ADU > 1.44 ADU"`.
    pub reason: String,
}

/// The flags raised by a test.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlagList {
    /// Caption.
    pub caption: String,
    /// Flags (empty: "no flags raised").
    pub flags: Vec<Flag>,
}

impl FlagList {
    /// An empty list.
    pub fn new(caption: impl Into<String>) -> Self {
        Self {
            caption: caption.into(),
            flags: Vec::new(),
        }
    }

    /// Adds a flag.
    #[must_use]
    pub fn flag(mut self, name: impl Into<String>, reason: impl Into<String>) -> Self {
        self.flags.push(Flag {
            name: name.into(),
            reason: reason.into(),
        });
        self
    }
}

/// A link to a product written by the test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLink {
    /// Link text, e.g. the file name.
    pub label: String,
    /// Path relative to the report, e.g. `"products/master_bias_CCD1.fits"`.
    pub href: String,
    /// What the product is.
    pub description: String,
}

/// The products written by a test.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductLinks {
    /// Caption.
    pub caption: String,
    /// Links in order.
    pub links: Vec<ProductLink>,
}

impl ProductLinks {
    /// An empty list.
    pub fn new(caption: impl Into<String>) -> Self {
        Self {
            caption: caption.into(),
            links: Vec::new(),
        }
    }

    /// Adds a link.
    #[must_use]
    pub fn link(
        mut self,
        label: impl Into<String>,
        href: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.links.push(ProductLink {
            label: label.into(),
            href: href.into(),
            description: description.into(),
        });
        self
    }
}

macro_rules! block_from {
    ($($t:ty => $v:ident),*) => {
        $(impl From<$t> for Block {
            fn from(x: $t) -> Self {
                Self::$v(x)
            }
        })*
    };
}

block_from!(
    KeyValueTable => KeyValue,
    DataTable => Table,
    Figure => Figure,
    ComplianceMatrix => Compliance,
    FlagList => Flags,
    ProductLinks => Products
);

/// Formats a table value with about four significant digits (`NaN`, `inf`, `-inf` spelled out).
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        format_tick(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compliance_check_and_status() {
        assert!(ComplianceCell::check(1.0, 0.86, 1.44).pass);
        assert!(ComplianceCell::check(1.44, 0.86, 1.44).pass);
        assert!(!ComplianceCell::check(1.45, 0.86, 1.44).pass);
        assert!(!ComplianceCell::check(f64::NAN, 0.86, 1.44).pass);
        let ok = ComplianceMatrix::new("RON", "CCD", ["E", "F"]).row(
            "CCD1",
            vec![Some(ComplianceCell::check(1.0, 0.86, 1.44)), None],
        );
        assert_eq!(ok.status(), Status::Pass);
        let bad = ok.clone().row(
            "CCD2",
            vec![Some(ComplianceCell::check(2.0, 0.86, 1.44)), None],
        );
        assert_eq!(bad.status(), Status::Fail);
        assert_eq!(
            ComplianceMatrix::new("x", "CCD", ["E"]).status(),
            Status::NotRun
        );
    }

    #[test]
    fn png_figure_reads_size_and_rejects_garbage() {
        let png = crate::render::encode_png("t", &[0u8; 12], 2, 2).unwrap();
        let f = Figure::png("cap", png).unwrap();
        assert_eq!((f.width_px, f.height_px), (2, 2));
        assert!(Figure::png("bad", b"GIF89a".to_vec()).is_err());
    }
}
