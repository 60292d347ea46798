//! The SQLite store: one file, the default. Writers take the database's write lock at the
//! start of each transaction (`BEGIN IMMEDIATE`), so a process and the others on the same file
//! apply the ledger's rules one at a time.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};

use super::sql::{Backend, Cell, Row, Sql, V};
use super::{Ledger, LedgerError, Result};
use crate::audit::{self, AuditKey};

/// The SQLite ledger.
pub type SqliteLedger = Ledger<Sqlite>;

/// A SQLite database file.
pub struct Sqlite {
    conn: Mutex<Connection>,
}

const MIGRATIONS: &[&str] = &[
    // 1: the ledger.
    r#"
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        at TEXT NOT NULL,
        body TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX events_account_at ON events (account, at);
    CREATE TABLE customers (account TEXT PRIMARY KEY, body TEXT NOT NULL);
    CREATE TABLE documents (
        number TEXT PRIMARY KEY,
        series TEXT NOT NULL,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        account TEXT NOT NULL,
        period TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (series, year, seq)
    );
    CREATE TRIGGER documents_immutable BEFORE UPDATE ON documents
        BEGIN SELECT RAISE(ABORT, 'finalized documents are immutable'); END;
    CREATE TRIGGER documents_kept BEFORE DELETE ON documents
        BEGIN SELECT RAISE(ABORT, 'finalized documents are kept'); END;
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_kept BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
    // 2: one original final invoice per account, period and series; corrections know their
    // original; issue dates are kept for the chronological order; idempotency keys; no rewrite
    // path (INSERT OR REPLACE deletes without firing delete triggers, so inserts over an
    // existing key are refused too) on documents, events and the audit log.
    r#"
    ALTER TABLE documents ADD COLUMN corrects TEXT;
    ALTER TABLE documents ADD COLUMN issue_date TEXT NOT NULL DEFAULT '';
    DROP TRIGGER documents_immutable;
    UPDATE documents SET corrects = json_extract(body, '$.references.number'),
                         issue_date = json_extract(body, '$.issue_date');
    CREATE TRIGGER documents_immutable BEFORE UPDATE ON documents
        BEGIN SELECT RAISE(ABORT, 'finalized documents are immutable'); END;
    CREATE TRIGGER documents_not_replaced BEFORE INSERT ON documents
        WHEN EXISTS (SELECT 1 FROM documents WHERE number = NEW.number
            OR (series = NEW.series AND year = NEW.year AND seq = NEW.seq)
            OR (NEW.kind = 'final_invoice' AND NEW.corrects IS NULL AND kind = 'final_invoice'
                AND corrects IS NULL AND account = NEW.account AND period = NEW.period
                AND series = NEW.series))
        BEGIN SELECT RAISE(ABORT, 'finalized documents are immutable'); END;
    CREATE UNIQUE INDEX documents_one_final_invoice ON documents (account, period, series)
        WHERE kind = 'final_invoice' AND corrects IS NULL;
    CREATE INDEX documents_corrects ON documents (corrects, seq);
    CREATE INDEX documents_series_date ON documents (series, issue_date);
    CREATE TRIGGER events_immutable BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'stored events are immutable'); END;
    CREATE TRIGGER events_kept BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'stored events are kept'); END;
    CREATE TRIGGER events_not_replaced BEFORE INSERT ON events
        WHEN EXISTS (SELECT 1 FROM events WHERE id = NEW.id)
        BEGIN SELECT RAISE(IGNORE); END;
    CREATE TRIGGER audit_not_replaced BEFORE INSERT ON audit
        WHEN EXISTS (SELECT 1 FROM audit WHERE seq = NEW.seq)
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        request TEXT NOT NULL,
        status TEXT NOT NULL,
        numbers TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TRIGGER idempotency_not_replaced BEFORE INSERT ON idempotency
        WHEN EXISTS (SELECT 1 FROM idempotency WHERE key = NEW.key)
        BEGIN SELECT RAISE(ABORT, 'idempotency keys are kept'); END;
    CREATE TRIGGER idempotency_kept BEFORE DELETE ON idempotency
        BEGIN SELECT RAISE(ABORT, 'idempotency keys are kept'); END;
    CREATE TRIGGER idempotency_immutable BEFORE UPDATE ON idempotency
        BEGIN SELECT RAISE(ABORT, 'idempotency keys are kept'); END;
    "#,
    // 3: the keyed chain's head, and each event's batch (the audit entry that covers it).
    r#"
    ALTER TABLE events ADD COLUMN batch INTEGER;
    CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        mac TEXT NOT NULL
    );
    "#,
    // 4: events keyed by account and id (an id is the account's own), as in PostgreSQL.
    r#"
    DROP TRIGGER events_immutable;
    DROP TRIGGER events_kept;
    DROP TRIGGER events_not_replaced;
    CREATE TABLE events_by_account (
        account TEXT NOT NULL,
        id TEXT NOT NULL,
        at TEXT NOT NULL,
        body TEXT NOT NULL,
        batch INTEGER,
        PRIMARY KEY (account, id)
    ) WITHOUT ROWID;
    INSERT INTO events_by_account (account, id, at, body, batch)
        SELECT account, id, at, body, batch FROM events;
    DROP TABLE events;
    ALTER TABLE events_by_account RENAME TO events;
    CREATE INDEX events_account_at ON events (account, at);
    CREATE TRIGGER events_immutable BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'stored events are immutable'); END;
    CREATE TRIGGER events_kept BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'stored events are kept'); END;
    CREATE TRIGGER events_not_replaced BEFORE INSERT ON events
        WHEN EXISTS (SELECT 1 FROM events WHERE account = NEW.account AND id = NEW.id)
        BEGIN SELECT RAISE(IGNORE); END;
    "#,
    // 5: who is closing which account of a period, and until when (work state, not ledger).
    r#"
    CREATE TABLE close_claims (
        period TEXT NOT NULL,
        account TEXT NOT NULL,
        worker TEXT NOT NULL,
        until TEXT NOT NULL,
        PRIMARY KEY (period, account)
    );
    "#,
    // 6: budgets, their alerts (one per budget, month, threshold and basis) and the alerts'
    // webhook deliveries with their attempts.
    r#"
    CREATE TABLE budgets (
        id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        body TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE budget_alerts (
        budget TEXT NOT NULL,
        account TEXT NOT NULL,
        period TEXT NOT NULL,
        threshold INTEGER NOT NULL,
        basis TEXT NOT NULL,
        status TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (budget, period, threshold, basis)
    );
    CREATE INDEX budget_alerts_account ON budget_alerts (account, at);
    CREATE TRIGGER budget_alerts_kept BEFORE UPDATE ON budget_alerts
        BEGIN SELECT RAISE(ABORT, 'recorded alerts are kept'); END;
    CREATE TRIGGER budget_alerts_not_deleted BEFORE DELETE ON budget_alerts
        BEGIN SELECT RAISE(ABORT, 'recorded alerts are kept'); END;
    CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL,
        event TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_at TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
    CREATE TABLE webhook_attempts (
        delivery INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        PRIMARY KEY (delivery, attempt)
    );
    "#,
    // 7: each account's version (raised by every ingestion that stores one of its events), and
    // the ratings kept per account, month and price list with the version they were made at.
    r#"
    CREATE TABLE account_versions (
        account TEXT PRIMARY KEY,
        version INTEGER NOT NULL
    );
    INSERT INTO account_versions (account, version) SELECT DISTINCT account, 1 FROM events;
    CREATE TABLE rated_months (
        account TEXT NOT NULL,
        period TEXT NOT NULL,
        catalog TEXT NOT NULL,
        version INTEGER NOT NULL,
        rating TEXT NOT NULL,
        PRIMARY KEY (account, period, catalog)
    );
    "#,
    // 8: API tokens, hashed, each with its scope (`admin` or `account:<id>`).
    r#"
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,
        created TEXT NOT NULL,
        revoked TEXT
    );
    "#,
    // 9: the allocation rules, each version saved kept (the last one applies).
    r#"
    CREATE TABLE allocation_rules (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        body TEXT NOT NULL,
        saved TEXT NOT NULL
    );
    CREATE TRIGGER allocation_rules_kept BEFORE UPDATE ON allocation_rules
        BEGIN SELECT RAISE(ABORT, 'saved allocation rules are kept as they were'); END;
    "#,
    // 10: the files of each final document (its Factur-X PDF, base64, and its CII XML), made
    // once and kept as they were.
    r#"
    CREATE TABLE archives (
        number TEXT PRIMARY KEY,
        pdf TEXT NOT NULL,
        pdf_sha256 TEXT NOT NULL,
        xml TEXT NOT NULL,
        xml_sha256 TEXT NOT NULL,
        made TEXT NOT NULL
    );
    CREATE TRIGGER archives_immutable BEFORE UPDATE ON archives
        BEGIN SELECT RAISE(ABORT, 'archived documents are immutable'); END;
    CREATE TRIGGER archives_kept BEFORE DELETE ON archives
        BEGIN SELECT RAISE(ABORT, 'archived documents are kept'); END;
    "#,
    // 11: the kept ratings of a period, every account's at once (the explorer's rollups).
    r#"
    CREATE INDEX rated_months_period ON rated_months (period, catalog);
    "#,
    // 12: versions per account and month instead of per account: the ingestion that last
    // stored an event of the account in that month (its audit sequence, which only grows). A
    // kept month is current while no month up to it has changed, so the next month's events
    // no longer retire a closed month's ratings. Those kept under account versions are dropped.
    r#"
    CREATE TABLE account_months (
        account TEXT NOT NULL,
        month TEXT NOT NULL,
        stamp INTEGER NOT NULL,
        PRIMARY KEY (account, month)
    ) WITHOUT ROWID;
    INSERT INTO account_months (account, month, stamp)
        SELECT account, substr(at, 1, 7), COALESCE(MAX(batch), 1) FROM events
        GROUP BY account, substr(at, 1, 7);
    DELETE FROM rated_months;
    DROP TABLE account_versions;
    "#,
];

impl rusqlite::ToSql for V<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            V::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            V::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            V::NullText => ToSqlOutput::Borrowed(ValueRef::Null),
            V::Texts(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "SQLite takes no list parameter".into(),
                ));
            }
        })
    }
}

fn cell(v: ValueRef<'_>) -> Result<Cell> {
    Ok(match v {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Int(i),
        ValueRef::Text(t) => Cell::Text(
            std::str::from_utf8(t)
                .map_err(|e| LedgerError::Db(e.to_string()))?
                .to_string(),
        ),
        ValueRef::Real(_) | ValueRef::Blob(_) => {
            return Err(LedgerError::Db(
                "a stored value is neither text nor an integer".into(),
            ));
        }
    })
}

impl Sqlite {
    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Backend for Sqlite {
    /// Through the primary key `(account, id)`, the time checked on each row (`+at` keeps the
    /// `(account, at)` index out): the account's rows lie together, read in order, where the
    /// index would look each one up in the table (a million lookups for a big account's draft,
    /// most of its reading time). The events after the bound are read and skipped; an account
    /// is drafted and closed for its last months, so they are few.
    const EVENTS_BEFORE: &'static str = "SELECT body FROM events WHERE account = $1 AND +at < $2";

    const STORED_ORDER: &'static str = "rowid";

    fn write<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A transaction derefs to its connection: statements run inside it.
        let out = f(&mut Conn(&tx))?;
        tx.commit()?;
        Ok(out)
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&mut Conn(&tx))?;
        tx.commit()?;
        Ok(out)
    }
}

/// A connection (or a transaction, which derefs to its connection) as [`Sql`].
pub struct Conn<'c>(pub &'c Connection);

/// Binds `$1`, `$2`... by number, as PostgreSQL does: SQLite takes `$2` for a name, and would
/// bind it by where it first appears.
fn bind(q: &mut rusqlite::CachedStatement<'_>, params: &[V]) -> Result<()> {
    if q.parameter_count() != params.len() {
        return Err(super::LedgerError::Db(format!(
            "the statement takes {} parameters, {} given",
            q.parameter_count(),
            params.len()
        )));
    }
    for (i, v) in params.iter().enumerate() {
        let n = i.saturating_add(1);
        let index = q.parameter_index(&format!("${n}"))?.unwrap_or(n);
        q.raw_bind_parameter(index, v)?;
    }
    Ok(())
}

impl Sql for Conn<'_> {
    fn exec(&mut self, sql: &str, params: &[V]) -> Result<u64> {
        let mut q = self.0.prepare_cached(sql)?;
        bind(&mut q, params)?;
        let n = q.raw_execute()?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn rows(&mut self, sql: &str, params: &[V]) -> Result<Vec<Row>> {
        let mut q = self.0.prepare_cached(sql)?;
        let width = q.column_count();
        bind(&mut q, params)?;
        let mut rows = q.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                cells.push(cell(r.get_ref(i)?)?);
            }
            out.push(Row::new(cells));
        }
        Ok(out)
    }

    fn each_text(
        &mut self,
        sql: &str,
        params: &[V],
        f: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let mut q = self.0.prepare_cached(sql)?;
        bind(&mut q, params)?;
        let mut rows = q.raw_query();
        while let Some(r) = rows.next()? {
            let text = r
                .get_ref(0)?
                .as_str()
                .map_err(|e| super::LedgerError::Db(e.to_string()))?;
            f(text)?;
        }
        Ok(())
    }
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger at `path` and applies the pending migrations. The
    /// audit key comes from the environment or the key file ([`AuditKey::for_ledger`]).
    pub fn open(path: &Path) -> Result<Self> {
        let (key, source) = AuditKey::for_ledger(path, true).map_err(LedgerError::Db)?;
        if let audit::KeySource::Created(p) = &source {
            tracing::warn!(
                key_file = %p.display(),
                "a new audit key was written beside the ledger; keep it elsewhere (RATECARD_AUDIT_KEY_FILE) so that the database alone cannot rewrite its chain"
            );
        }
        Self::open_with_key(path, key)
    }

    pub fn open_with_key(path: &Path, key: AuditKey) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Each migration reads the version inside its own write transaction: two processes
        // opening one old file at once apply each migration once.
        loop {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let Some(m) = usize::try_from(version)
                .ok()
                .and_then(|v| MIGRATIONS.get(v))
            else {
                tx.commit()?;
                break;
            };
            tx.execute_batch(m)?;
            tx.pragma_update(None, "user_version", version.saturating_add(1))?;
            tx.commit()?;
        }
        Ok(Ledger::with(
            Sqlite {
                conn: Mutex::new(conn),
            },
            key,
        ))
    }
}

/// Verifies a ledger file opened read-only ([`audit::open_read_only`]), on one snapshot.
pub fn verify_file(
    conn: &Connection,
    key: &AuditKey,
    expect: Option<(i64, &str)>,
) -> Result<audit::AuditReport> {
    conn.execute_batch("BEGIN")?;
    let report = audit::verify(&mut Conn(conn), key, expect);
    conn.execute_batch("COMMIT")?;
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Store;

    /// `$2` before `$1` binds by number, as on PostgreSQL (SQLite alone would bind by where
    /// each first appears); a wrong count of parameters is an error, not a NULL.
    #[test]
    fn parameters_bind_by_number() {
        let c = Connection::open_in_memory().unwrap();
        let tx = c.unchecked_transaction().unwrap();
        let mut sql = Conn(&tx);
        sql.exec("CREATE TABLE t (id TEXT, v TEXT)", &[]).unwrap();
        sql.exec(
            "INSERT INTO t (id, v) VALUES ($1, $2)",
            &["a".into(), "old".into()],
        )
        .unwrap();
        let n = sql
            .exec(
                "UPDATE t SET v = $2 WHERE id = $1",
                &["a".into(), "new".into()],
            )
            .unwrap();
        assert_eq!(n, 1);
        let mut r = sql
            .row("SELECT v FROM t WHERE id = $1", &["a".into()])
            .unwrap()
            .unwrap();
        assert_eq!(r.take().text().unwrap(), "new");
        let e = sql.exec("UPDATE t SET v = $1", &[]).unwrap_err();
        assert!(e.to_string().contains("takes 1 parameters, 0 given"), "{e}");
    }

    /// A ledger written before events were keyed by account (schema 3) keeps every event, its
    /// batch and its audit entry through the migration, and still verifies.
    #[test]
    fn events_keyed_by_id_migrate_to_account_and_id() {
        let p =
            std::env::temp_dir().join(format!("ratecard-migrate-{}.sqlite", std::process::id()));
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
        }
        let key = AuditKey::from_bytes(b"migration-test-key-0123456789").unwrap();
        {
            let conn = Connection::open(&p).unwrap();
            for m in &MIGRATIONS[..3] {
                conn.execute_batch(m).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
        }
        // An event stored the old way, through a ledger at schema 3: one written by hand, its
        // batch covered by an audit entry as the old code wrote them.
        let body = r#"{"id":"e1","account":"acme","resource":"r","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-04T10:00:00Z"}"#;
        let event: ratecard::UsageEvent = serde_json::from_str(body).unwrap();
        let body = event.canonical();
        {
            let conn = Connection::open(&p).unwrap();
            let digest = audit::batch_digest([("e1", body.as_str())]);
            let detail = format!("1 accepted, 0 duplicate, 0 conflicting sha256={digest}");
            let at = "2026-01-05T00:00:00.000Z";
            let hash = key.entry("", 1, at, "ingest", "events", &detail);
            conn.execute(
                "INSERT INTO events (id, account, at, body, batch) VALUES ('e1', 'acme', '2026-01-04T10:00:00Z', ?1, 1)",
                [&body],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO audit (seq, at, action, subject, detail, prev_hash, hash) VALUES (1, ?1, 'ingest', 'events', ?2, '', ?3)",
                [at, detail.as_str(), hash.as_str()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, 1, ?1, ?2)",
                [hash.as_str(), key.head(1, &hash).as_str()],
            )
            .unwrap();
        }
        let l = SqliteLedger::open_with_key(&p, key).unwrap();
        let jan = ratecard::Period::parse("2026-01").unwrap();
        assert_eq!(l.events("acme", &jan).unwrap(), vec![event.clone()]);
        assert!(l.verify_audit().unwrap().ok, "{:?}", l.verify_audit());
        // The same id again is a duplicate; in another account it is another event.
        assert_eq!(l.ingest(std::slice::from_ref(&event)).unwrap().duplicate, 1);
        let mut other = event;
        other.account = "other".into();
        assert_eq!(l.ingest(&[other]).unwrap().accepted, 1);
        assert!(l.verify_audit().unwrap().ok);
    }
}
