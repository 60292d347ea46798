//! The ledger: usage events, customers, finalized documents and the audit log, in SQLite.
//!
//! - Events are idempotent by id: a UNIQUE primary key, so the same event sent twice is stored
//!   once. The same id with other content is refused.
//! - Finalized documents are immutable: there is no update or delete path, and triggers make
//!   the database refuse one too.
//! - Numbers are assigned inside the transaction that stores the document, one sequence per
//!   series and year, so they have no gaps and no duplicates.
//! - Every state change appends an audit entry whose hash covers the previous entry's hash:
//!   changing or removing an entry breaks the chain, which `verify_audit` detects.
//!
//! [`Store`] is the interface the service uses; [`SqliteLedger`] is its SQLite implementation.

use std::path::Path;
use std::sync::Mutex;

use ratecard::document::Document;
use ratecard::event::UsageEvent;
use ratecard::party::Customer;
use ratecard::time::Period;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::audit::{self, AuditKey};

pub type Result<T> = std::result::Result<T, LedgerError>;

#[derive(Debug)]
pub enum LedgerError {
    /// The request conflicts with what is stored (an idempotency key used for another request).
    Conflict(String),
    NotFound(String),
    /// The request breaks a rule of the ledger (an issue date before the series' last one) or
    /// of the engine (a document that cannot be built): `code` is the stable error code.
    Unprocessable {
        code: &'static str,
        message: String,
    },
    Db(String),
}

impl std::fmt::Display for LedgerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LedgerError::Conflict(m) | LedgerError::NotFound(m) => f.write_str(m),
            LedgerError::Unprocessable { message, .. } => f.write_str(message),
            LedgerError::Db(m) => write!(f, "ledger: {m}"),
        }
    }
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Db(e.to_string())
    }
}

/// What an ingestion did with a batch.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Ingested {
    pub accepted: usize,
    pub duplicate: usize,
    /// Ids used before with other content.
    pub conflicting: Vec<String>,
}

/// The ledger's interface, so that another database can follow SQLite.
pub trait Store: Send + Sync {
    fn ingest(&self, events: &[UsageEvent]) -> Result<Ingested>;
    /// The account's events up to the end of `period` (earlier ones give the state at its start).
    fn events(&self, account: &str, period: &Period) -> Result<Vec<UsageEvent>>;
    fn event_count(&self) -> Result<u64>;
    fn put_customer(&self, account: &str, customer: &Customer) -> Result<()>;
    fn customer(&self, account: &str) -> Result<Option<Customer>>;
    /// Finalizes an account's period in one transaction: when the period already has an
    /// original final invoice in `series`, that invoice is returned as it is (`created` false);
    /// otherwise the next number of `series` for `year` is assigned, `make` builds the document
    /// with it, and it is stored. An issue date before the series' last one is refused. With an
    /// idempotency key, a retry gets the first outcome.
    fn finalize_period(
        &self,
        account: &str,
        period: &Period,
        series: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        make: &mut MakeInvoice,
    ) -> Result<Outcome>;
    /// Issues the corrections of the original invoice `number` in one transaction: `make` gets
    /// the original, the corrections already stored (in order) and the next credit-note and
    /// invoice numbers of `year`, and returns the documents to store (none: nothing changed).
    fn correct(
        &self,
        number: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        make: &mut MakeCorrections,
    ) -> Result<Outcome>;
    fn document(&self, number: &str) -> Result<Option<Stored>>;
    fn audit(&self, action: &str, subject: &str, detail: &str) -> Result<()>;
    fn verify_audit(&self) -> Result<AuditReport>;
}

/// A stored document, with what the ledger keeps beside it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub document: Document,
    pub account: String,
    pub period: String,
    /// The original invoice a correction references.
    pub corrects: Option<String>,
}

/// Builds the corrections of a stored original: from it, the corrections already stored, and the
/// next credit-note and invoice numbers.
pub type MakeCorrections<'a> = dyn FnMut(
        &Stored,
        &[Document],
        &[UsageEvent],
        &str,
        &str,
    ) -> std::result::Result<Vec<Document>, String>
    + 'a;

/// Builds a period's final invoice from its number and the account's events, read in the
/// transaction that stores it (so no event acknowledged before it is missed).
pub type MakeInvoice<'a> =
    dyn FnMut(String, &[UsageEvent]) -> std::result::Result<Document, String> + 'a;

/// An idempotency key and a digest of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request: String,
}

/// What a finalize or a correction did: the documents (new, or found), and whether they were
/// made by this call (`created`) or are a retry's replay (`replayed`).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub documents: Vec<Document>,
    pub created: bool,
    pub replayed: bool,
}

pub use crate::audit::AuditReport;

pub struct SqliteLedger {
    conn: Mutex<Connection>,
    key: AuditKey,
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
];

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn read_body<T: serde::de::DeserializeOwned>(body: &str, what: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| LedgerError::Db(format!("stored {what}: {e}")))
}

fn unprocessable(message: String) -> LedgerError {
    LedgerError::Unprocessable {
        code: "unprocessable",
        message,
    }
}

fn stored_row(conn: &Connection, number: &str) -> Result<Option<Stored>> {
    let row: Option<(String, String, String, Option<String>)> = conn
        .query_row(
            "SELECT body, account, period, corrects FROM documents WHERE number = ?1",
            params![number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    row.map(|(body, account, period, corrects)| {
        Ok(Stored {
            document: read_body(&body, "document")?,
            account,
            period,
            corrects,
        })
    })
    .transpose()
}

/// The next number of a series for a year: one sequence without gaps, read inside the
/// transaction that stores the document.
fn next_number(tx: &rusqlite::Transaction, series: &str, year: i32) -> Result<String> {
    let last: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM documents WHERE series = ?1 AND year = ?2",
        params![series, year],
        |r| r.get(0),
    )?;
    Ok(format!("{series}-{year:04}-{:06}", last.saturating_add(1)))
}

/// Stores a numbered document, after checking the series' chronological order: its issue date
/// may not come before the last one of the series.
fn store_document(
    tx: &rusqlite::Transaction,
    key: &AuditKey,
    account: &str,
    corrects: Option<&str>,
    doc: &Document,
) -> Result<()> {
    let number = doc
        .number
        .clone()
        .ok_or_else(|| LedgerError::Db("a stored document needs a number".into()))?;
    let series = doc.series.clone().unwrap_or_default();
    let (year, seq) = {
        let mut parts = number.rsplitn(3, '-');
        let seq: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let year: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        (year, seq)
    };
    let issue = doc.issue_date.to_string();
    let last: Option<String> = tx.query_row(
        "SELECT MAX(issue_date) FROM documents WHERE series = ?1",
        params![series],
        |r| r.get(0),
    )?;
    if let Some(last) = last.filter(|l| *l > issue) {
        return Err(LedgerError::Unprocessable {
            code: "issue_date_out_of_order",
            message: format!(
                "issue date {issue} comes before {last}, the last issue date of series {series}: a series is one chronological sequence"
            ),
        });
    }
    let body = ratecard::canonical::to_string(doc).map_err(|e| LedgerError::Db(e.to_string()))?;
    tx.execute(
        "INSERT INTO documents (number, series, year, seq, kind, account, period, body, corrects, issue_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![number, series, year, seq, doc.kind.code(), account, doc.supply_period.label(), body, corrects, issue],
    )?;
    append_audit(
        tx,
        key,
        "finalize",
        &number,
        &format!(
            "sha256={} inputs={}",
            audit::digest(&body),
            doc.inputs_digest
        ),
    )?;
    Ok(())
}

/// Appends an audit entry: its hash is the keyed MAC of the previous one and its fields, and the
/// head moves to it, in the caller's transaction.
fn append_audit(
    tx: &rusqlite::Transaction,
    key: &AuditKey,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<i64> {
    let (prev_seq, prev): (i64, String) = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, String::new()));
    let (seq, at) = (prev_seq.saturating_add(1), now());
    let hash = key.entry(&prev, seq, &at, action, subject, detail);
    tx.execute(
        "INSERT INTO audit (seq, at, action, subject, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![seq, at, action, subject, detail, prev, hash],
    )?;
    tx.execute(
        "INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, ?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac",
        params![seq, hash, key.head(seq, &hash)],
    )?;
    Ok(seq)
}

/// The number the next audit entry will have (inside an IMMEDIATE transaction, no one else
/// appends meanwhile).
fn next_audit_seq(tx: &rusqlite::Transaction) -> Result<i64> {
    let last: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM audit", [], |r| r.get(0))?;
    Ok(last.saturating_add(1))
}

/// The account's events up to the end of `period` (earlier ones give the state at its start).
fn events_in(conn: &Connection, account: &str, period: &Period) -> Result<Vec<UsageEvent>> {
    let mut q = conn.prepare_cached("SELECT body FROM events WHERE account = ?1 AND at < ?2")?;
    let end = ratecard::time::format_instant(&period.end);
    let rows = q.query_map(params![account, end], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for body in rows {
        out.push(read_body(&body?, "event")?);
    }
    Ok(out)
}

/// The outcome stored under an idempotency key, when the key was used before. The same key
/// with another request is a conflict.
fn replay(tx: &rusqlite::Transaction, key: Option<&Idempotency>) -> Result<Option<Outcome>> {
    let Some(k) = key else { return Ok(None) };
    let row: Option<(String, String, String)> = tx
        .query_row(
            "SELECT request, status, numbers FROM idempotency WHERE key = ?1",
            params![k.key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((request, status, numbers)) = row else {
        return Ok(None);
    };
    if request != k.request {
        return Err(LedgerError::Conflict(format!(
            "idempotency key `{}` was used for another request",
            k.key
        )));
    }
    let numbers: Vec<String> = read_body(&numbers, "idempotency numbers")?;
    let mut documents = Vec::new();
    for n in numbers {
        let s = stored_row(tx, &n)?
            .ok_or_else(|| LedgerError::Db(format!("idempotency key names `{n}`, not stored")))?;
        documents.push(s.document);
    }
    Ok(Some(Outcome {
        documents,
        created: status == "created",
        replayed: true,
    }))
}

fn remember(
    tx: &rusqlite::Transaction,
    key: Option<&Idempotency>,
    outcome: &Outcome,
) -> Result<()> {
    let Some(k) = key else { return Ok(()) };
    let numbers: Vec<&str> = outcome
        .documents
        .iter()
        .filter_map(|d| d.number.as_deref())
        .collect();
    let numbers = serde_json::to_string(&numbers).map_err(|e| LedgerError::Db(e.to_string()))?;
    let status = if outcome.created { "created" } else { "found" };
    tx.execute(
        "INSERT INTO idempotency (key, request, status, numbers, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![k.key, k.request, status, numbers, now()],
    )?;
    Ok(())
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
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, m) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(m)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(i + 1).unwrap_or(i64::MAX),
            )?;
            tx.commit()?;
        }
        Ok(SqliteLedger {
            conn: Mutex::new(conn),
            key,
        })
    }

    /// The JSON body a query finds for `key`, read back into its type.
    fn stored<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        key: &str,
        what: &str,
    ) -> Result<Option<T>> {
        let body: Option<String> = self
            .conn()
            .query_row(sql, params![key], |r| r.get(0))
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b).map_err(|e| LedgerError::Db(format!("stored {what}: {e}")))
        })
        .transpose()
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SqliteLedger {
    fn ingest(&self, events: &[UsageEvent]) -> Result<Ingested> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Ingested::default();
        // The batch is the audit entry that will cover it.
        let batch = next_audit_seq(&tx)?;
        let mut accepted: Vec<(String, String)> = Vec::new();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO events (id, account, at, body, batch) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut existing = tx.prepare_cached("SELECT body FROM events WHERE id = ?1")?;
            for e in events {
                let body = e.canonical();
                let at = ratecard::time::format_instant(&e.at);
                if insert.execute(params![e.id.as_str(), e.account.as_str(), at, body, batch])? == 1
                {
                    out.accepted += 1;
                    accepted.push((e.id.to_string(), body));
                } else {
                    let stored: String =
                        existing.query_row(params![e.id.as_str()], |r| r.get(0))?;
                    if stored == body {
                        out.duplicate += 1
                    } else {
                        out.conflicting.push(e.id.to_string())
                    }
                }
            }
        }
        let mut detail = format!(
            "{} accepted, {} duplicate, {} conflicting",
            out.accepted,
            out.duplicate,
            out.conflicting.len()
        );
        if !accepted.is_empty() {
            let d = audit::batch_digest(accepted.iter().map(|(i, b)| (i.as_str(), b.as_str())));
            detail.push_str(&format!(" sha256={d}"));
        }
        append_audit(&tx, &self.key, "ingest", "events", &detail)?;
        tx.commit()?;
        Ok(out)
    }

    fn events(&self, account: &str, period: &Period) -> Result<Vec<UsageEvent>> {
        events_in(&self.conn(), account, period)
    }

    fn event_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn()
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn put_customer(&self, account: &str, customer: &Customer) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let body = serde_json::to_string(customer).map_err(|e| LedgerError::Db(e.to_string()))?;
        tx.execute("INSERT INTO customers (account, body) VALUES (?1, ?2) ON CONFLICT (account) DO UPDATE SET body = excluded.body", params![account, body])?;
        append_audit(
            &tx,
            &self.key,
            "customer",
            account,
            &format!("sha256={}", audit::digest(&body)),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn customer(&self, account: &str) -> Result<Option<Customer>> {
        self.stored(
            "SELECT body FROM customers WHERE account = ?1",
            account,
            "customer",
        )
    }

    fn finalize_period(
        &self,
        account: &str,
        period: &Period,
        series: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        make: &mut MakeInvoice,
    ) -> Result<Outcome> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(o) = replay(&tx, idempotency)? {
            return Ok(o);
        }
        let existing: Option<String> = tx
            .query_row(
                "SELECT body FROM documents WHERE account = ?1 AND period = ?2 AND series = ?3 AND kind = 'final_invoice' AND corrects IS NULL",
                params![account, period.label(), series],
                |r| r.get(0),
            )
            .optional()?;
        let outcome = match existing {
            Some(body) => Outcome {
                documents: vec![read_body(&body, "document")?],
                created: false,
                replayed: false,
            },
            None => {
                let number = next_number(&tx, series, year)?;
                let events = events_in(&tx, account, period)?;
                let doc = make(number, &events).map_err(unprocessable)?;
                store_document(&tx, &self.key, account, None, &doc)?;
                Outcome {
                    documents: vec![doc],
                    created: true,
                    replayed: false,
                }
            }
        };
        remember(&tx, idempotency, &outcome)?;
        tx.commit()?;
        Ok(outcome)
    }

    fn correct(
        &self,
        number: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        make: &mut MakeCorrections,
    ) -> Result<Outcome> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(o) = replay(&tx, idempotency)? {
            return Ok(o);
        }
        let original = stored_row(&tx, number)?
            .ok_or_else(|| LedgerError::NotFound(format!("no document `{number}`")))?;
        let earlier = {
            let mut q = tx.prepare_cached(
                // In the order they were stored: the last state of a line is the latest's.
                "SELECT body FROM documents WHERE corrects = ?1 ORDER BY rowid",
            )?;
            let rows = q.query_map(params![number], |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for b in rows {
                out.push(read_body::<Document>(&b?, "document")?);
            }
            out
        };
        let (cn, inv) = (
            next_number(&tx, "CN", year)?,
            next_number(&tx, "INV", year)?,
        );
        let period = Period::parse(&original.period).map_err(|e| LedgerError::Db(e.to_string()))?;
        let events = events_in(&tx, &original.account, &period)?;
        let docs = make(&original, &earlier, &events, &cn, &inv).map_err(unprocessable)?;
        for d in &docs {
            store_document(&tx, &self.key, &original.account, Some(number), d)?;
        }
        let outcome = Outcome {
            created: !docs.is_empty(),
            documents: docs,
            replayed: false,
        };
        remember(&tx, idempotency, &outcome)?;
        tx.commit()?;
        Ok(outcome)
    }

    fn document(&self, number: &str) -> Result<Option<Stored>> {
        stored_row(&self.conn(), number)
    }

    fn audit(&self, action: &str, subject: &str, detail: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        append_audit(&tx, &self.key, action, subject, detail)?;
        tx.commit()?;
        Ok(())
    }

    fn verify_audit(&self) -> Result<AuditReport> {
        Ok(audit::verify(&self.conn(), &self.key, None)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(name: &str) -> (SqliteLedger, std::path::PathBuf) {
        let p = std::env::temp_dir().join(format!(
            "ratecard-ledger-{}-{name}.sqlite",
            std::process::id()
        ));
        for ext in ["", "-wal", "-shm", ".audit-key"] {
            let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
        }
        (SqliteLedger::open(&p).unwrap(), p)
    }

    fn customer() -> Customer {
        serde_json::from_str(r#"{"name":"A","country":"FR","kind":"business"}"#).unwrap()
    }

    /// A ledger with a customer, a batch of events and an audit entry, and a raw connection on
    /// it with every protective trigger dropped: what someone holding the file can do.
    fn tampering(name: &str) -> (SqliteLedger, Connection) {
        let (l, p) = ledger(name);
        l.put_customer("a", &customer()).unwrap();
        l.ingest(&[
            ev("1", "2026-01-01T00:00:00Z"),
            ev("2", "2026-01-02T00:00:00Z"),
        ])
        .unwrap();
        l.audit("test", "x", "y").unwrap();
        assert!(l.verify_audit().unwrap().ok, "{:?}", l.verify_audit());
        let conn = Connection::open(&p).unwrap();
        let triggers: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        for t in triggers {
            conn.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
        }
        (l, conn)
    }

    fn problems(l: &SqliteLedger) -> Vec<String> {
        let r = l.verify_audit().unwrap();
        assert!(!r.ok);
        r.problems
    }

    #[test]
    fn an_edited_event_or_customer_is_detected() {
        for (name, sql, found) in [
            (
                "edit-event",
                "UPDATE events SET body = replace(body, '2026-01-02', '2026-01-09') WHERE id = '2'",
                "events of batch",
            ),
            (
                "edit-customer",
                "UPDATE customers SET body = replace(body, '\"FR\"', '\"US\"')",
                "customer of `a`",
            ),
            (
                "add-event",
                "INSERT INTO events SELECT '3', account, at, body, batch FROM events WHERE id = '1'",
                "events of batch",
            ),
        ] {
            let (l, conn) = tampering(name);
            conn.execute(sql, []).unwrap();
            let found_it = problems(&l).iter().any(|p| p.contains(found));
            assert!(found_it, "{name}: {:?}", problems(&l));
        }
    }

    #[test]
    fn removing_entries_from_the_end_is_detected() {
        let (l, conn) = tampering("truncate");
        conn.execute(
            "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)",
            [],
        )
        .unwrap();
        assert!(
            problems(&l)
                .iter()
                .any(|p| p.contains("entries were removed from the end"))
        );
        let (l, conn) = tampering("truncate-all");
        conn.execute_batch("DELETE FROM audit; DELETE FROM audit_head;")
            .unwrap();
        let found = problems(&l);
        assert!(
            found.iter().any(|p| p.contains("no audit entry")),
            "{found:?}"
        );
    }

    #[test]
    fn a_chain_recomputed_without_the_key_is_detected() {
        let (l, conn) = tampering("rekey");
        // Rewrite an entry and recompute the whole chain and head with another key.
        let other = AuditKey::from_bytes(b"not-the-ledger-key-0123456789").unwrap();
        conn.execute("UPDATE audit SET detail = 'forged' WHERE seq = 3", [])
            .unwrap();
        let rows: Vec<(i64, String, String, String, String)> = conn
            .prepare("SELECT seq, at, action, subject, detail FROM audit ORDER BY seq")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let mut prev = String::new();
        for (seq, at, action, subject, detail) in rows {
            let hash = other.entry(&prev, seq, &at, &action, &subject, &detail);
            conn.execute(
                "UPDATE audit SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
                params![prev, hash, seq],
            )
            .unwrap();
            conn.execute(
                "UPDATE audit_head SET seq = ?1, hash = ?2, mac = ?3",
                params![seq, hash, other.head(seq, &hash)],
            )
            .unwrap();
            prev = hash;
        }
        let r = l.verify_audit().unwrap();
        assert_eq!((r.ok, r.broken_at), (false, Some(1)), "{r:?}");
    }

    fn ev(id: &str, at: &str) -> UsageEvent {
        serde_json::from_str(&format!(r#"{{"id":"{id}","account":"a","resource":"r","sku":"b2-15","region":"gra","kind":"start","at":"{at}"}}"#)).unwrap()
    }

    #[test]
    fn idempotent_ingestion() {
        let (l, _) = ledger("ingest");
        let r = l
            .ingest(&[
                ev("1", "2026-01-01T00:00:00Z"),
                ev("2", "2026-01-02T00:00:00Z"),
            ])
            .unwrap();
        assert_eq!((r.accepted, r.duplicate), (2, 0));
        let r = l
            .ingest(&[
                ev("1", "2026-01-01T00:00:00Z"),
                ev("2", "2026-01-03T00:00:00Z"),
            ])
            .unwrap();
        assert_eq!(
            (r.accepted, r.duplicate, r.conflicting),
            (0, 1, vec!["2".to_string()])
        );
        assert_eq!(l.event_count().unwrap(), 2);
    }

    #[test]
    fn documents_and_audit_cannot_be_changed() {
        let (l, p) = ledger("immutable");
        l.audit("test", "x", "y").unwrap();
        let conn = Connection::open(&p).unwrap();
        let e = conn
            .execute("UPDATE audit SET detail = 'z'", [])
            .unwrap_err()
            .to_string();
        assert!(e.contains("append-only"), "{e}");
        let e = conn
            .execute("DELETE FROM audit", [])
            .unwrap_err()
            .to_string();
        assert!(e.contains("append-only"), "{e}");
        assert!(l.verify_audit().unwrap().ok);
    }

    #[test]
    fn a_tampered_audit_log_is_detected() {
        let (l, p) = ledger("tamper");
        for i in 0..3 {
            l.audit("test", &i.to_string(), "d").unwrap();
        }
        // Someone drops the trigger and rewrites an entry.
        let conn = Connection::open(&p).unwrap();
        conn.execute_batch(
            "DROP TRIGGER audit_append_only; UPDATE audit SET detail = 'forged' WHERE seq = 2;",
        )
        .unwrap();
        let r = l.verify_audit().unwrap();
        assert_eq!((r.ok, r.broken_at), (false, Some(2)));
    }
}
