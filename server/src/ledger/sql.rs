//! The few SQL operations the ledger's rules need, over either database: one text of each
//! statement (placeholders `$1`, `$2`... in order of first use, which SQLite reads as named
//! parameters bound by position), parameters and cells as text or 64-bit integers.

use super::{LedgerError, Result};

/// A parameter.
#[derive(Debug, Clone, Copy)]
pub enum V<'a> {
    Text(&'a str),
    Int(i64),
    /// A NULL in a text column.
    NullText,
}

impl<'a> From<&'a str> for V<'a> {
    fn from(s: &'a str) -> Self {
        V::Text(s)
    }
}

impl<'a> From<&'a String> for V<'a> {
    fn from(s: &'a String) -> Self {
        V::Text(s)
    }
}

impl From<i64> for V<'_> {
    fn from(i: i64) -> Self {
        V::Int(i)
    }
}

impl<'a> From<Option<&'a str>> for V<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(V::NullText, V::Text)
    }
}

/// A value read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Null,
}

impl Cell {
    pub fn text(self) -> Result<String> {
        match self {
            Cell::Text(s) => Ok(s),
            other => Err(LedgerError::Db(format!("expected text, read {other:?}"))),
        }
    }

    pub fn opt_text(self) -> Result<Option<String>> {
        match self {
            Cell::Null => Ok(None),
            other => other.text().map(Some),
        }
    }

    pub fn int(self) -> Result<i64> {
        match self {
            Cell::Int(i) => Ok(i),
            other => Err(LedgerError::Db(format!(
                "expected an integer, read {other:?}"
            ))),
        }
    }

    pub fn opt_int(self) -> Result<Option<i64>> {
        match self {
            Cell::Null => Ok(None),
            other => other.int().map(Some),
        }
    }
}

/// A row read back: its cells taken in order.
pub struct Row(std::vec::IntoIter<Cell>);

impl Row {
    pub fn new(cells: Vec<Cell>) -> Self {
        Row(cells.into_iter())
    }

    /// The next cell (a missing one reads as NULL, which every typed read refuses).
    pub fn take(&mut self) -> Cell {
        self.0.next().unwrap_or(Cell::Null)
    }
}

/// A connection or transaction of either database.
pub trait Sql {
    /// Runs a statement; the rows it changed.
    fn exec(&mut self, sql: &str, params: &[V]) -> Result<u64>;
    /// Runs a query; its rows.
    fn rows(&mut self, sql: &str, params: &[V]) -> Result<Vec<Row>>;

    /// The first row of a query, if any.
    fn row(&mut self, sql: &str, params: &[V]) -> Result<Option<Row>> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
}

/// A database the ledger runs on: transactions in which its rules are applied once, for both.
pub trait Backend: Send + Sync {
    /// Runs `f` in a transaction no other writer of the ledger runs beside, committed when `f`
    /// returns `Ok` and rolled back otherwise. Every process sharing the database is excluded,
    /// not only this one's threads.
    fn write<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T>;
    /// Runs `f` on one consistent snapshot, reading only.
    fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T>;
    /// The column that orders a table's rows as they were stored.
    const STORED_ORDER: &'static str;
}
