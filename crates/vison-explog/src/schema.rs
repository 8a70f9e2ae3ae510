//! Column layout of an exposure-log table.

use std::collections::HashMap;
use std::sync::Arc;

use crate::value::ColType;
use crate::version::ElvisVersion;

/// One column: ELVIS name (as written in the file header) and value type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Column {
    /// Column name as ELVIS spells it for this version.
    pub name: String,
    /// Value type.
    pub ty: ColType,
}

/// Ordered list of columns with name look-up; shared (`Arc`) by every row of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    version: ElvisVersion,
    columns: Vec<Column>,
    exact: HashMap<String, usize>,
    loose: HashMap<String, usize>,
}

/// Name normalisation used for tolerant matching: spaces removed, lower case
/// (`"TOI _pump "` and `"toi_pump"` match).
pub(crate) fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

impl Schema {
    /// The column layout of an ELVIS version (the reference table for that version).
    pub fn for_version(version: ElvisVersion) -> Arc<Self> {
        let cols = version
            .column_defs()
            .iter()
            .map(|(n, t)| Column {
                name: (*n).to_string(),
                ty: *t,
            })
            .collect();
        Arc::new(Self::new(version, cols))
    }

    /// A layout made of arbitrary columns (for logs whose header differs from the
    /// reference list); `version` records the version assumed for the file.
    pub fn new(version: ElvisVersion, columns: Vec<Column>) -> Self {
        let mut exact = HashMap::with_capacity(columns.len());
        let mut loose = HashMap::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            exact.entry(c.name.clone()).or_insert(i);
            loose.entry(normalize_name(&c.name)).or_insert(i);
        }
        Self {
            version,
            columns,
            exact,
            loose,
        }
    }

    /// The ELVIS version this layout belongs to.
    pub fn version(&self) -> ElvisVersion {
        self.version
    }

    /// Columns in file order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// True when there are no columns.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Index of a column: exact name first, then tolerant of case and spaces
    /// (so `"date"` finds `DATE` in 5.7.x logs and `"TOI _pump"` finds `TOI_pump`).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.exact
            .get(name)
            .or_else(|| self.loose.get(&normalize_name(name)))
            .copied()
    }

    /// Column by name (tolerant look-up as [`Schema::index_of`]).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.index_of(name).and_then(|i| self.columns.get(i))
    }

    /// True when the column names equal the reference list of `version` (tolerantly).
    pub fn matches_version(&self, version: ElvisVersion) -> bool {
        let defs = version.column_defs();
        defs.len() == self.columns.len()
            && defs
                .iter()
                .zip(&self.columns)
                .all(|((n, _), c)| normalize_name(n) == normalize_name(&c.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_lookup() {
        let s = Schema::for_version(ElvisVersion::V5_7_02);
        assert_eq!(s.index_of("TOI _pump"), Some(26));
        assert_eq!(s.index_of("toi_pump"), Some(26));
        assert_eq!(s.index_of("date"), Some(4));
        assert_eq!(s.index_of("nope"), None);
        let s = Schema::for_version(ElvisVersion::V7_5_X);
        assert_eq!(s.column("IG1_1_T").map(|c| c.ty), Some(ColType::Float));
        assert_eq!(s.column("cdpu_clk").map(|c| c.ty), Some(ColType::Int));
        assert!(s.matches_version(ElvisVersion::V6_5_X));
        assert!(!s.matches_version(ElvisVersion::V6_3_0));
    }
}
