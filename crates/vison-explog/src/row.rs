//! One exposure-log row (one CCD of one exposure), with typed access by ELVIS column name.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::error::{Error, Result};
use crate::names::parse_elvis_datetime;
use crate::schema::Schema;
use crate::value::Value;

/// One row of an exposure log: every column of its [`Schema`], values keyed by ELVIS name.
///
/// Build one with [`ExpLogRow::new`] (all cells empty) and [`ExpLogRow::set`], or with
/// [`ExpLogRow::from_values`]. Read with [`ExpLogRow::get_f64`], [`ExpLogRow::get_i64`],
/// [`ExpLogRow::get_str`] or the shortcuts ([`ExpLogRow::obsid`], [`ExpLogRow::ccd`]...).
#[derive(Debug, Clone, PartialEq)]
pub struct ExpLogRow {
    schema: Arc<Schema>,
    values: Vec<Value>,
}

impl ExpLogRow {
    /// A row with every cell empty ([`Value::Missing`]).
    pub fn new(schema: Arc<Schema>) -> Self {
        let values = vec![Value::Missing; schema.len()];
        Self { schema, values }
    }

    /// A row from values in column order; each value is converted to its column type when
    /// that loses nothing (int to float, numeric text to number).
    ///
    /// # Errors
    /// [`Error::RowWidth`] if the count differs, [`Error::TypeMismatch`] for a bad value.
    pub fn from_values(schema: Arc<Schema>, values: Vec<Value>) -> Result<Self> {
        if values.len() != schema.len() {
            return Err(Error::RowWidth {
                expected: schema.len(),
                got: values.len(),
            });
        }
        let mut out = Vec::with_capacity(values.len());
        for (v, c) in values.into_iter().zip(schema.columns()) {
            let shown = v.to_string();
            out.push(v.coerce(c.ty).ok_or_else(|| Error::TypeMismatch {
                column: c.name.clone(),
                expected: c.ty.name(),
                got: shown,
            })?);
        }
        Ok(Self {
            schema,
            values: out,
        })
    }

    /// Internal constructor for already typed values (width checked by the caller).
    pub(crate) fn from_typed(schema: Arc<Schema>, values: Vec<Value>) -> Self {
        Self { schema, values }
    }

    /// Set a cell by column name (tolerant look-up), converting to the column type.
    ///
    /// # Errors
    /// [`Error::UnknownColumn`] or [`Error::TypeMismatch`].
    pub fn set(&mut self, column: &str, value: impl Into<Value>) -> Result<&mut Self> {
        let i = self
            .schema
            .index_of(column)
            .ok_or_else(|| Error::UnknownColumn(column.to_string()))?;
        let value = value.into();
        let col = self
            .schema
            .columns()
            .get(i)
            .ok_or_else(|| Error::UnknownColumn(column.to_string()))?;
        let shown = value.to_string();
        let typed = value.coerce(col.ty).ok_or_else(|| Error::TypeMismatch {
            column: col.name.clone(),
            expected: col.ty.name(),
            got: shown,
        })?;
        if let Some(slot) = self.values.get_mut(i) {
            *slot = typed;
        }
        Ok(self)
    }

    /// The layout of this row.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// Values in column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Cell by column name (exact, then tolerant of case and spaces).
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.schema
            .index_of(column)
            .and_then(|i| self.values.get(i))
    }

    /// Numeric cell as `f64` (`None` if absent, empty or text).
    pub fn get_f64(&self, column: &str) -> Option<f64> {
        self.get(column).and_then(Value::as_f64)
    }

    /// Integer cell (`None` if absent, empty, text or non-integral).
    pub fn get_i64(&self, column: &str) -> Option<i64> {
        self.get(column).and_then(Value::as_i64)
    }

    /// Text cell (`None` if absent, empty or numeric).
    pub fn get_str(&self, column: &str) -> Option<&str> {
        self.get(column).and_then(Value::as_str)
    }

    /// Exposure counter (`ObsID`).
    pub fn obsid(&self) -> Option<i64> {
        self.get_i64("ObsID")
    }

    /// FITS file name without `.fits` (`File_name`).
    pub fn file_name(&self) -> Option<&str> {
        self.get_str("File_name")
    }

    /// CCD number 1..3 from the `CCD` column (`"CCD2"` or `"2"`).
    pub fn ccd(&self) -> Option<u8> {
        number_after(self.get("CCD")?, "CCD")
    }

    /// ROE number from the `ROE` column (`"ROE1"` or `"1"`).
    pub fn roe(&self) -> Option<u8> {
        number_after(self.get("ROE")?, "ROE")
    }

    /// Raw date-time text (`date`/`DATE`).
    pub fn date_text(&self) -> Option<&str> {
        self.get_str("date")
    }

    /// Date-time of the exposure parsed from `date` (`DDMMYYDhhmmssT`).
    pub fn datetime(&self) -> Option<NaiveDateTime> {
        self.date_text().and_then(|t| parse_elvis_datetime(t).ok())
    }

    /// Test name (`test`/`TEST`).
    pub fn test(&self) -> Option<&str> {
        self.get_str("test")
    }

    /// Exposure time in seconds (`exptime`/`Exptime`).
    pub fn exptime_s(&self) -> Option<f64> {
        self.get_f64("exptime")
    }

    /// Wavelength/filter index (`wave`, or `Wavelength` in older logs).
    pub fn wave(&self) -> Option<i64> {
        self.get_i64("wave").or_else(|| self.get_i64("Wavelength"))
    }

    /// ELVIS software version written in the row (`egse_ver`/`EGSE_ver`).
    pub fn egse_ver(&self) -> Option<&str> {
        self.get_str("egse_ver")
    }
}

fn number_after(v: &Value, prefix: &str) -> Option<u8> {
    match v {
        Value::Int(i) => u8::try_from(*i).ok(),
        Value::Str(s) => {
            let t = s.trim();
            let rest = match t.get(..prefix.len()) {
                Some(p) if p.eq_ignore_ascii_case(prefix) => t.get(prefix.len()..)?,
                _ => t,
            };
            rest.trim().parse().ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::ElvisVersion;

    #[test]
    fn build_and_read_typed() -> Result<()> {
        let schema = Schema::for_version(ElvisVersion::V7_5_X);
        let mut row = ExpLogRow::new(schema.clone());
        row.set("ObsID", 1000)?
            .set("CCD", "CCD2")?
            .set("ROE", "ROE1")?
            .set("IG1_1_T", 6)?
            .set("exptime", 1.5)?
            .set("test", "BIAS01")?
            .set("date", "190118D070004T")?
            .set("wave", "4")?;
        assert_eq!(row.obsid(), Some(1000));
        assert_eq!(row.ccd(), Some(2));
        assert_eq!(row.roe(), Some(1));
        assert_eq!(row.get_f64("IG1_1_T"), Some(6.0));
        assert_eq!(row.get("IG1_1_T"), Some(&Value::Float(6.0)));
        assert_eq!(row.exptime_s(), Some(1.5));
        assert_eq!(row.test(), Some("BIAS01"));
        assert_eq!(row.wave(), Some(4));
        assert_eq!(
            row.datetime().map(|t| t.to_string()),
            Some("2018-01-19 07:00:04".into())
        );
        assert!(row.set("vstart", 1.5).is_err());
        assert!(row.set("nosuch", 1).is_err());
        assert!(ExpLogRow::from_values(schema, vec![Value::Int(1)]).is_err());
        Ok(())
    }
}
