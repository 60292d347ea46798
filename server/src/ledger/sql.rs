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
    /// A list of texts (a PostgreSQL `text[]`, for statements over a whole batch).
    Texts(&'a [&'a str]),
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

    /// Runs a query of one text column and hands each row's text to `f` as it is read, with
    /// no copy of the rows: an account's million stored events are parsed as they come.
    fn each_text(
        &mut self,
        sql: &str,
        params: &[V],
        f: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()>;
}

/// An event as stored: account, id, time (RFC 3339, UTC) and canonical body.
pub struct EventRow<'a> {
    pub account: &'a str,
    pub id: &'a str,
    pub at: &'a str,
    pub body: &'a str,
}

/// A database the ledger runs on: transactions in which its rules are applied once, for both.
pub trait Backend: Send + Sync {
    /// The query of an account's events before a time (`$1` the account, `$2` the bound):
    /// the bodies, in no order (metering sorts them).
    const EVENTS_BEFORE: &'static str = "SELECT body FROM events WHERE account = $1 AND at < $2";

    /// Stores the rows not stored yet under `batch`, the first of two with one key winning;
    /// returns, for each row, whether this call stored it. One statement per row by default.
    fn insert_events(tx: &mut dyn Sql, batch: i64, rows: &[EventRow]) -> Result<Vec<bool>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let n = tx.exec(
                "INSERT INTO events (account, id, at, body, batch) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, id) DO NOTHING",
                &[r.account.into(), r.id.into(), r.at.into(), r.body.into(), batch.into()],
            )?;
            out.push(n == 1);
        }
        Ok(out)
    }

    /// The stored bodies of events, by (account, id); one query per key by default.
    fn stored_bodies(
        tx: &mut dyn Sql,
        keys: &[(&str, &str)],
    ) -> Result<std::collections::HashMap<(String, String), String>> {
        let mut out = std::collections::HashMap::with_capacity(keys.len());
        for (account, id) in keys {
            if let Some(mut r) = tx.row(
                "SELECT body FROM events WHERE account = $1 AND id = $2",
                &[(*account).into(), (*id).into()],
            )? {
                out.insert((account.to_string(), id.to_string()), r.take().text()?);
            }
        }
        Ok(out)
    }

    /// Runs `f` in a transaction no other writer of the ledger runs beside, committed when `f`
    /// returns `Ok` and rolled back otherwise. Every process sharing the database is excluded,
    /// not only this one's threads.
    fn write<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T>;
    /// Runs `f` in a transaction that writes only work state (the close's claims), whose
    /// statements are atomic on their own: it does not wait for the ledger's writers.
    fn write_state<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        self.write(f)
    }
    /// Runs `f` in a write transaction whose statements run beside other writers until `f`
    /// calls [`Backend::lock_ledger`], and alone after it: for ingestion, whose inserts settle
    /// conflicts by key and whose audit entry needs the lock. With one writer at a time
    /// (SQLite), the whole transaction is locked.
    fn write_late<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        self.write(f)
    }
    /// Takes the ledger's write lock in a [`Backend::write_late`] transaction, until its end.
    fn lock_ledger(_tx: &mut dyn Sql) -> Result<()> {
        Ok(())
    }
    /// The number of an event batch stored before the write lock, drawn by the store (a
    /// sequence, never reused), or `None` when the batch is numbered by its audit entry, which
    /// a store with one writer at a time knows from the start.
    fn batch_id(_tx: &mut dyn Sql) -> Result<Option<i64>> {
        Ok(None)
    }
    /// Makes ready, in a transaction of its own, what storing these rows needs (PostgreSQL: the
    /// partitions of a month's first events), so the storing transaction adds no table.
    fn prepare_events(&self, _rows: &[EventRow]) -> Result<()> {
        Ok(())
    }
    /// Runs `f` on one consistent snapshot, reading only.
    fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T>;
    /// The column that orders a table's rows as they were stored.
    const STORED_ORDER: &'static str;
}
