//! The ledger: usage events, customers, finalized documents and the audit log, in SQLite (the
//! default, one file) or PostgreSQL (several processes on one database).
//!
//! - Events are idempotent by account and id: a UNIQUE primary key, so the same event sent
//!   twice is stored once. The same id with other content is refused.
//! - Finalized documents are immutable: there is no update or delete path, and triggers make
//!   the database refuse one too.
//! - Numbers are assigned inside the transaction that stores the document, one sequence per
//!   series and year, so they have no gaps and no duplicates.
//! - Every state change appends an audit entry whose hash covers the previous entry's hash:
//!   changing or removing an entry breaks the chain, which `verify_audit` detects.
//!
//! [`Store`] is the interface the service uses. [`Ledger`] applies its rules once, in this file,
//! over a [`Backend`]: [`SqliteLedger`] and [`PgLedger`] differ only in how they open, migrate
//! and hold a transaction.

pub mod alerts;
pub mod postgres;
pub mod sql;
pub mod sqlite;
pub mod tokens;

use ratecard::document::Document;
use ratecard::event::UsageEvent;
use ratecard::party::Customer;
use ratecard::time::Period;

use crate::audit::{self, AuditKey};
pub use alerts::Alerts;
pub use postgres::PgLedger;
use sql::{Backend, Sql};
pub use sqlite::SqliteLedger;
pub use tokens::Tokens;

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

impl From<::postgres::Error> for LedgerError {
    fn from(e: ::postgres::Error) -> Self {
        // The server's own message (a refused change names its rule), not only its class.
        match e.as_db_error() {
            Some(db) => LedgerError::Db(db.message().to_string()),
            None => LedgerError::Db(e.to_string()),
        }
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

/// Where a ledger is, as `--db` names it: a PostgreSQL connection (`postgres://...`,
/// `postgresql://...`, or `key=value` words such as `host=/run/pg dbname=ratecard`), or a SQLite
/// file (a path, or `sqlite:PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Postgres(String),
    Sqlite(std::path::PathBuf),
}

impl Location {
    pub fn parse(db: &str) -> Self {
        let words = db.split_whitespace().count() > 0
            && db.split_whitespace().all(|w| {
                w.split_once('=')
                    .is_some_and(|(k, _)| !k.is_empty() && !k.contains('/'))
            });
        if db.starts_with("postgres://") || db.starts_with("postgresql://") || words {
            Location::Postgres(db.to_string())
        } else {
            Location::Sqlite(db.strip_prefix("sqlite:").unwrap_or(db).into())
        }
    }

    /// What to tell a person: the store and where it is, never a password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(p) => format!("SQLite, {}", p.display()),
            Location::Postgres(url) => match url.parse::<::postgres::Config>() {
                Ok(c) => format!(
                    "PostgreSQL, database {} as {}",
                    c.get_dbname().unwrap_or("(the user's)"),
                    c.get_user().unwrap_or("(the system user)")
                ),
                Err(_) => "PostgreSQL".into(),
            },
        }
    }

    /// Opens (creating and migrating when needed) the ledger. A SQLite ledger's audit key may be
    /// created beside its file; a PostgreSQL ledger's comes from the environment
    /// (`RATECARD_AUDIT_KEY` or `RATECARD_AUDIT_KEY_FILE`), kept apart from the database.
    pub fn open(&self) -> std::result::Result<std::sync::Arc<dyn Store>, String> {
        Ok(match self {
            Location::Sqlite(p) => {
                std::sync::Arc::new(SqliteLedger::open(p).map_err(|e| e.to_string())?)
            }
            Location::Postgres(url) => {
                let (key, _) = AuditKey::from_env()?;
                std::sync::Arc::new(PgLedger::connect(url, key).map_err(|e| e.to_string())?)
            }
        })
    }
}

/// A rating kept for an account, with the version of the account's events it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub account: String,
    pub version: i64,
    pub rating: String,
}

/// The ledger's interface: what the service asks of either store (budgets and alerts in
/// [`Alerts`], API tokens in [`Tokens`]).
pub trait Store: Alerts + Tokens + Send + Sync {
    fn ingest(&self, events: &[UsageEvent]) -> Result<Ingested>;
    /// The account's events up to the end of `period` (earlier ones give the state at its start).
    fn events(&self, account: &str, period: &Period) -> Result<Vec<UsageEvent>>;
    fn event_count(&self) -> Result<u64>;
    /// [`Store::events`], and their version (the last ingestion that stored one of the
    /// account's events in a month up to the period's), read in one snapshot.
    fn events_versioned(&self, account: &str, period: &Period) -> Result<(Vec<UsageEvent>, i64)>;
    /// The rating kept for the account's period (`YYYY-MM`, or a label under it) with
    /// `catalog`, when it was made at the account's current version: the same as a fresh
    /// rating of its events. With that version.
    fn kept_rating(
        &self,
        account: &str,
        period: &str,
        catalog: &str,
    ) -> Result<Option<(String, i64)>>;
    /// [`Store::kept_rating`] for every account at once: those kept at their account's current
    /// version, by account, with that version. One read, for the explorer's rollups.
    fn kept_ratings(&self, period: &str, catalog: &str) -> Result<Vec<Kept>>;
    /// Keeps ratings, each made from the events of its version (one kept from a later version
    /// stays), in one transaction.
    fn keep_ratings(&self, period: &str, catalog: &str, kept: &[Kept]) -> Result<()>;
    /// Keeps one rating made from the events of `version`.
    fn keep_rating(
        &self,
        account: &str,
        period: &str,
        catalog: &str,
        version: i64,
        rating: &str,
    ) -> Result<()> {
        self.keep_ratings(
            period,
            catalog,
            &[Kept {
                account: account.to_string(),
                version,
                rating: rating.to_string(),
            }],
        )
    }
    fn put_customer(&self, account: &str, customer: &Customer) -> Result<()>;
    fn customer(&self, account: &str) -> Result<Option<Customer>>;
    /// Every account the ledger knows, by name: those with customer details or events (read
    /// from the accounts' months, which every ingestion that stores an event stamps in its
    /// transaction, not from the events).
    fn accounts(&self) -> Result<Vec<String>>;
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
    /// The account's stored documents in the order they were stored (at most `limit`, the
    /// latest), each with what it corrects.
    fn documents_of(&self, account: &str, limit: i64) -> Result<Vec<Stored>>;
    /// Every stored document of a period (`YYYY-MM`: originals and their corrections), in the
    /// order they were stored, at most `limit`.
    fn documents_in(&self, period: &str, limit: i64) -> Result<Vec<Stored>>;
    /// Every stored document numbered in `year` (its issue year), in the order they were
    /// stored, at most `limit`: a fiscal year's sales journal.
    fn documents_of_year(&self, year: i32, limit: i64) -> Result<Vec<Stored>>;
    /// Keeps the files of the stored document `number`, with an audit entry naming their
    /// SHA-256, unless it has files already: the first kept stay, and `false` says so.
    fn put_archive(&self, number: &str, archive: &Archive) -> Result<bool>;
    /// The files kept for a document, as they were kept.
    fn archive(&self, number: &str) -> Result<Option<Archive>>;
    /// Final invoices and credit notes that have no files yet (a process stopped between
    /// storing one and archiving it), by number, at most `limit`.
    fn unarchived(&self, limit: i64) -> Result<Vec<String>>;
    fn audit(&self, action: &str, subject: &str, detail: &str) -> Result<()>;
    fn verify_audit(&self) -> Result<AuditReport>;
    /// The accounts a close of `period` still has to invoice in `series`: those with events
    /// before its end and no original final invoice of it yet, each with its events' count.
    fn accounts_to_close(&self, period: &Period, series: &str) -> Result<Vec<(String, u64)>>;
    /// Claims an account's close for `worker` until `until` (RFC 3339): true when no other
    /// worker holds an unexpired claim on it. A worker that dies lets its claims expire, and
    /// another takes them over.
    fn claim(
        &self,
        period: &Period,
        account: &str,
        worker: &str,
        now: &str,
        until: &str,
    ) -> Result<bool>;
    /// Ends `worker`'s claim on an account, done or failed: another may take it at once.
    fn release(&self, period: &Period, account: &str, worker: &str) -> Result<()>;
}

/// The files of a final document, made once when it is issued: its Factur-X PDF and its CII
/// XML (the one embedded in the PDF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    pub pdf: Vec<u8>,
    pub xml: String,
}

impl Archive {
    pub fn pdf_sha256(&self) -> String {
        use sha2::Digest;
        let d = sha2::Sha256::digest(&self.pdf);
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn xml_sha256(&self) -> String {
        audit::digest(&self.xml)
    }

    /// What the audit entry records: one digest over both files' digests, then each.
    pub fn audit_detail(&self) -> String {
        let (p, x) = (self.pdf_sha256(), self.xml_sha256());
        format!(
            "sha256={} pdf_sha256={p} xml_sha256={x}",
            audit::digest(&format!("{p} {x}"))
        )
    }
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
    dyn FnMut(String, &[UsageEvent]) -> std::result::Result<Invoiced, String> + 'a;

/// What a [`MakeInvoice`] makes: the invoice, and a rating of the same events to keep (under
/// `period`, a label, with `catalog`), stored in the invoice's transaction at the version of
/// the account's events read before them.
pub struct Invoiced {
    pub document: Document,
    pub keep: Option<KeepAlong>,
}

/// A rating kept along with an invoice ([`Invoiced`]).
pub struct KeepAlong {
    pub period: String,
    pub catalog: String,
    pub rating: String,
}

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

/// The ledger's rules over a database: every store is one of these.
pub struct Ledger<B> {
    db: B,
    key: AuditKey,
}

impl<B: Backend> Ledger<B> {
    pub(crate) fn with(db: B, key: AuditKey) -> Self {
        Ledger { db, key }
    }

    /// Verifies the audit log on one snapshot, with a head (`SEQ:HASH`) the chain must contain.
    pub fn verify_anchored(&self, expect: Option<(i64, &str)>) -> Result<AuditReport> {
        self.db.read(|tx| audit::verify(tx, &self.key, expect))
    }

    /// The database underneath, for the tests and tools that read it directly.
    pub fn backend(&self) -> &B {
        &self.db
    }
}

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

fn stored_row(tx: &mut dyn Sql, number: &str) -> Result<Option<Stored>> {
    let Some(mut r) = tx.row(
        "SELECT body, account, period, corrects FROM documents WHERE number = $1",
        &[number.into()],
    )?
    else {
        return Ok(None);
    };
    let (body, account, period, corrects) = (
        r.take().text()?,
        r.take().text()?,
        r.take().text()?,
        r.take().opt_text()?,
    );
    Ok(Some(Stored {
        document: read_body(&body, "document")?,
        account,
        period,
        corrects,
    }))
}

/// The next number of a series for a year: one sequence without gaps, read inside the
/// transaction that stores the document.
fn next_number(tx: &mut dyn Sql, series: &str, year: i32) -> Result<String> {
    let last = match tx.row(
        "SELECT COALESCE(MAX(seq), 0) FROM documents WHERE series = $1 AND year = $2",
        &[series.into(), i64::from(year).into()],
    )? {
        Some(mut r) => r.take().int()?,
        None => 0,
    };
    Ok(format!("{series}-{year:04}-{:06}", last.saturating_add(1)))
}

/// Stores a numbered document, after checking the series' chronological order: its issue date
/// may not come before the last one of the series.
fn store_document(
    tx: &mut dyn Sql,
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
    let last = match tx.row(
        "SELECT MAX(issue_date) FROM documents WHERE series = $1",
        &[series.as_str().into()],
    )? {
        Some(mut r) => r.take().opt_text()?,
        None => None,
    };
    if let Some(last) = last.filter(|l| *l > issue) {
        return Err(LedgerError::Unprocessable {
            code: "issue_date_out_of_order",
            message: format!(
                "issue date {issue} comes before {last}, the last issue date of series {series}: a series is one chronological sequence"
            ),
        });
    }
    let body = ratecard::canonical::to_string(doc).map_err(|e| LedgerError::Db(e.to_string()))?;
    let period = doc.supply_period.label();
    tx.exec(
        "INSERT INTO documents (number, series, year, seq, kind, account, period, body, corrects, issue_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            number.as_str().into(),
            series.as_str().into(),
            year.into(),
            seq.into(),
            doc.kind.code().into(),
            account.into(),
            period.as_str().into(),
            body.as_str().into(),
            corrects.into(),
            issue.as_str().into(),
        ],
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
    tx: &mut dyn Sql,
    key: &AuditKey,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<i64> {
    let (prev_seq, prev) =
        match tx.row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &[])? {
            Some(mut r) => (r.take().int()?, r.take().text()?),
            None => (0, String::new()),
        };
    let (seq, at) = (prev_seq.saturating_add(1), now());
    let hash = key.entry(&prev, seq, &at, action, subject, detail);
    tx.exec(
        "INSERT INTO audit (seq, at, action, subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            seq.into(),
            at.as_str().into(),
            action.into(),
            subject.into(),
            detail.into(),
            prev.as_str().into(),
            hash.as_str().into(),
        ],
    )?;
    let mac = key.head(seq, &hash);
    tx.exec(
        "INSERT INTO audit_head (id, seq, hash, mac) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac",
        &[seq.into(), hash.as_str().into(), mac.as_str().into()],
    )?;
    Ok(seq)
}

/// The number the next audit entry will have (in a write transaction, no one else appends
/// meanwhile).
fn next_audit_seq(tx: &mut dyn Sql) -> Result<i64> {
    let last = match tx.row("SELECT COALESCE(MAX(seq), 0) FROM audit", &[])? {
        Some(mut r) => r.take().int()?,
        None => 0,
    };
    Ok(last.saturating_add(1))
}

/// A text bound for the stored `at` of events before `end`: `YYYY-MM-DDTHH:MM:SS` of the
/// second at or after `end`, without its `Z`. Stored times end in `Z` or in a fraction of a
/// second then `Z` (`.` sorts before `Z`, so the times themselves do not sort as text); any time
/// within that second or after is longer than the bound with the bound as its prefix, so it
/// sorts after it, and any time in an earlier second differs before. Rows under the bound are
/// the events before `end` rounded up to the second: exact for a period, whose ends are whole
/// seconds, and filtered again where a caller needs it exact.
fn at_bound(end: &chrono::DateTime<chrono::Utc>) -> String {
    let whole = chrono::Timelike::nanosecond(end) == 0;
    let second = if whole {
        *end
    } else {
        end.checked_add_signed(chrono::Duration::seconds(1))
            .unwrap_or(*end)
    };
    second.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Keeps a rating made from the events of its version, unless one from a later version is kept.
fn keep_in(tx: &mut dyn Sql, period: &str, catalog: &str, k: &Kept) -> Result<()> {
    tx.exec(
        "INSERT INTO rated_months (account, period, catalog, version, rating) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, period, catalog) DO UPDATE SET version = excluded.version, rating = excluded.rating WHERE rated_months.version <= excluded.version",
        &[
            k.account.as_str().into(),
            period.into(),
            catalog.into(),
            k.version.into(),
            k.rating.as_str().into(),
        ],
    )?;
    Ok(())
}

/// The version of the account's events up to the end of `period`: the last ingestion that
/// stored one of them in a month up to the period's (0 when none). It changes with those
/// events only: an event of a later month leaves it.
fn account_version(tx: &mut dyn Sql, account: &str, period: &Period) -> Result<i64> {
    let month = last_month(period);
    match tx.row(
        "SELECT COALESCE(MAX(stamp), 0) FROM account_months WHERE account = $1 AND month <= $2",
        &[account.into(), month.as_str().into()],
    )? {
        Some(mut r) => r.take().int(),
        None => Ok(0),
    }
}

/// The month (`YYYY-MM`) of the period's last instant.
fn last_month(period: &Period) -> String {
    (period.end - chrono::Duration::nanoseconds(1))
        .format("%Y-%m")
        .to_string()
}

/// Whether a kept row `r` was made at its account's current version for the month its label
/// starts with: the SQL both stores share.
const KEPT_IS_CURRENT: &str = "r.version = (SELECT MAX(v.stamp) FROM account_months v WHERE v.account = r.account AND v.month <= substr(r.period, 1, 7))";

/// The account's events up to the end of `period` (earlier ones give the state at its start).
fn events_in<B: Backend>(
    tx: &mut dyn Sql,
    account: &str,
    period: &Period,
) -> Result<Vec<UsageEvent>> {
    /// Bodies as read, handed to the parsing thread about a megabyte at a time.
    #[derive(Default)]
    struct Chunk {
        text: String,
        ends: Vec<usize>,
    }
    const CHUNK_BYTES: usize = 1 << 20;
    let bound = at_bound(&period.end);
    let end = period.end;
    // The database's rows are read here while another thread parses them: for an account of a
    // million events, reading and parsing are each a few tenths of a second.
    std::thread::scope(|scope| {
        let (send, recv) = std::sync::mpsc::sync_channel::<Chunk>(4);
        let parser = scope.spawn(move || -> Result<Vec<UsageEvent>> {
            let mut out = Vec::new();
            for chunk in recv {
                let mut start = 0;
                for &stop in &chunk.ends {
                    let e: UsageEvent =
                        read_body(chunk.text.get(start..stop).unwrap_or_default(), "event")?;
                    if e.at < end {
                        out.push(e);
                    }
                    start = stop;
                }
            }
            Ok(out)
        });
        let mut chunk = Chunk::default();
        let read = tx.each_text(
            B::EVENTS_BEFORE,
            &[account.into(), bound.as_str().into()],
            &mut |body| {
                chunk.text.push_str(body);
                chunk.ends.push(chunk.text.len());
                if chunk.text.len() >= CHUNK_BYTES {
                    send.send(std::mem::take(&mut chunk))
                        .map_err(|_| LedgerError::Db("the events' parser stopped".into()))?;
                }
                Ok(())
            },
        );
        if !chunk.ends.is_empty() {
            // A parser that stopped has its own error, returned below.
            let _ = send.send(chunk);
        }
        drop(send);
        let parsed = parser
            .join()
            .map_err(|_| LedgerError::Db("the events' parser failed".into()))?;
        // A stored event that does not parse explains a stopped parser better than the reader.
        let events = parsed?;
        read?;
        Ok(events)
    })
}

/// The outcome stored under an idempotency key, when the key was used before. The same key
/// with another request is a conflict.
fn replay(tx: &mut dyn Sql, key: Option<&Idempotency>) -> Result<Option<Outcome>> {
    let Some(k) = key else { return Ok(None) };
    let Some(mut r) = tx.row(
        "SELECT request, status, numbers FROM idempotency WHERE key = $1",
        &[k.key.as_str().into()],
    )?
    else {
        return Ok(None);
    };
    let (request, status, numbers) = (r.take().text()?, r.take().text()?, r.take().text()?);
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

fn remember(tx: &mut dyn Sql, key: Option<&Idempotency>, outcome: &Outcome) -> Result<()> {
    let Some(k) = key else { return Ok(()) };
    let numbers: Vec<&str> = outcome
        .documents
        .iter()
        .filter_map(|d| d.number.as_deref())
        .collect();
    let numbers = serde_json::to_string(&numbers).map_err(|e| LedgerError::Db(e.to_string()))?;
    let status = if outcome.created { "created" } else { "found" };
    let at = now();
    tx.exec(
        "INSERT INTO idempotency (key, request, status, numbers, at) VALUES ($1, $2, $3, $4, $5)",
        &[
            k.key.as_str().into(),
            k.request.as_str().into(),
            status.into(),
            numbers.as_str().into(),
            at.as_str().into(),
        ],
    )?;
    Ok(())
}

impl<B: Backend> Store for Ledger<B> {
    fn ingest(&self, events: &[UsageEvent]) -> Result<Ingested> {
        let bodies: Vec<(String, String)> = events
            .iter()
            .map(|e| (e.canonical(), ratecard::time::format_instant(&e.at)))
            .collect();
        let rows: Vec<sql::EventRow> = events
            .iter()
            .zip(&bodies)
            .map(|(e, (body, at))| sql::EventRow {
                account: e.account.as_str(),
                id: e.id.as_str(),
                at,
                body,
            })
            .collect();
        self.db.prepare_events(&rows)?;
        // The events are stored first, beside other batches where the store allows it; the
        // write lock is taken for what must follow one batch at a time: the months' stamps
        // and the audit entry.
        self.db.write_late(|tx| {
            let mut out = Ingested::default();
            // The batch's number: the store's, or the audit entry that will cover it.
            let drawn = B::batch_id(tx)?;
            let batch = match drawn {
                Some(b) => b,
                None => next_audit_seq(tx)?,
            };
            let stored = B::insert_events(tx, batch, &rows)?;
            // Those not stored now were stored before (or earlier in this batch): the same
            // content is a duplicate, other content a conflict.
            let keys: Vec<(&str, &str)> = rows
                .iter()
                .zip(&stored)
                .filter(|(_, s)| !**s)
                .map(|(r, _)| (r.account, r.id))
                .collect();
            let before = if keys.is_empty() {
                Default::default()
            } else {
                B::stored_bodies(tx, &keys)?
            };
            let mut accepted: Vec<(&str, &str)> = Vec::new();
            for (r, s) in rows.iter().zip(&stored) {
                if *s {
                    out.accepted += 1;
                    accepted.push((r.id, r.body));
                    continue;
                }
                let key = (r.account.to_string(), r.id.to_string());
                if before.get(&key).map(String::as_str) == Some(r.body) {
                    out.duplicate += 1
                } else {
                    out.conflicting.push(r.id.to_string())
                }
            }
            B::lock_ledger(tx)?;
            let mut detail = format!(
                "{} accepted, {} duplicate, {} conflicting",
                out.accepted,
                out.duplicate,
                out.conflicting.len()
            );
            if !accepted.is_empty() {
                if drawn.is_some() {
                    detail.push_str(&format!(" batch={batch}"));
                }
                let d = audit::batch_digest(accepted.iter().copied());
                detail.push_str(&format!(" sha256={d}"));
            }
            let stamp = append_audit(tx, &self.key, "ingest", "events", &detail)?;
            // A kept rating of these accounts' months, and of the months after, no longer
            // matches their events: each month stored in is stamped with this batch's audit
            // entry. Numbered under the lock, the stamps grow in the order batches commit,
            // so a snapshot that sees a stamp sees every batch stamped before it.
            let mut touched: Vec<(&str, &str)> = rows
                .iter()
                .zip(&stored)
                .filter(|(_, s)| **s)
                .map(|(r, _)| (r.account, r.at.get(..7).unwrap_or(r.at)))
                .collect();
            touched.sort_unstable();
            touched.dedup();
            for (a, month) in touched {
                tx.exec(
                    "INSERT INTO account_months (account, month, stamp) VALUES ($1, $2, $3) ON CONFLICT (account, month) DO UPDATE SET stamp = excluded.stamp",
                    &[a.into(), month.into(), stamp.into()],
                )?;
            }
            Ok(out)
        })
    }

    fn events(&self, account: &str, period: &Period) -> Result<Vec<UsageEvent>> {
        self.db.read(|tx| events_in::<B>(tx, account, period))
    }

    fn event_count(&self) -> Result<u64> {
        self.db.read(|tx| {
            let n = match tx.row("SELECT COUNT(*) FROM events", &[])? {
                Some(mut r) => r.take().int()?,
                None => 0,
            };
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    fn put_customer(&self, account: &str, customer: &Customer) -> Result<()> {
        let body = serde_json::to_string(customer).map_err(|e| LedgerError::Db(e.to_string()))?;
        self.db.write(|tx| {
            tx.exec(
                "INSERT INTO customers (account, body) VALUES ($1, $2) ON CONFLICT (account) DO UPDATE SET body = excluded.body",
                &[account.into(), body.as_str().into()],
            )?;
            append_audit(
                tx,
                &self.key,
                "customer",
                account,
                &format!("sha256={}", audit::digest(&body)),
            )?;
            Ok(())
        })
    }

    fn events_versioned(&self, account: &str, period: &Period) -> Result<(Vec<UsageEvent>, i64)> {
        self.db.read(|tx| {
            let events = events_in::<B>(tx, account, period)?;
            Ok((events, account_version(tx, account, period)?))
        })
    }

    fn kept_rating(
        &self,
        account: &str,
        period: &str,
        catalog: &str,
    ) -> Result<Option<(String, i64)>> {
        self.db.read(|tx| {
            match tx.row(
                &format!("SELECT r.rating, r.version FROM rated_months r WHERE r.account = $1 AND r.period = $2 AND r.catalog = $3 AND {KEPT_IS_CURRENT}"),
                &[account.into(), period.into(), catalog.into()],
            )? {
                Some(mut r) => Ok(Some((r.take().text()?, r.take().int()?))),
                None => Ok(None),
            }
        })
    }

    fn kept_ratings(&self, period: &str, catalog: &str) -> Result<Vec<Kept>> {
        self.db.read(|tx| {
            tx.rows(
                &format!("SELECT r.account, r.version, r.rating FROM rated_months r WHERE r.period = $1 AND r.catalog = $2 AND {KEPT_IS_CURRENT} ORDER BY r.account"),
                &[period.into(), catalog.into()],
            )?
            .into_iter()
            .map(|mut r| {
                Ok(Kept {
                    account: r.take().text()?,
                    version: r.take().int()?,
                    rating: r.take().text()?,
                })
            })
            .collect()
        })
    }

    fn keep_ratings(&self, period: &str, catalog: &str, kept: &[Kept]) -> Result<()> {
        if kept.is_empty() {
            return Ok(());
        }
        // In the accounts' order, so that two writers lock the rows in one order.
        let mut sorted: Vec<&Kept> = kept.iter().collect();
        sorted.sort_unstable_by(|a, b| a.account.cmp(&b.account));
        self.db.write_state(|tx| {
            for k in sorted {
                keep_in(tx, period, catalog, k)?;
            }
            Ok(())
        })
    }

    fn accounts(&self) -> Result<Vec<String>> {
        self.db.read(|tx| {
            tx.rows(
                "SELECT account FROM customers UNION SELECT account FROM account_months ORDER BY account",
                &[],
            )?
            .into_iter()
            .map(|mut r| r.take().text())
            .collect()
        })
    }

    fn customer(&self, account: &str) -> Result<Option<Customer>> {
        self.db.read(|tx| {
            match tx.row(
                "SELECT body FROM customers WHERE account = $1",
                &[account.into()],
            )? {
                Some(mut r) => Ok(Some(read_body(&r.take().text()?, "customer")?)),
                None => Ok(None),
            }
        })
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
        let label = period.label();
        self.db.write(|tx| {
            if let Some(o) = replay(tx, idempotency)? {
                return Ok(o);
            }
            let existing = tx.row(
                "SELECT body FROM documents WHERE account = $1 AND period = $2 AND series = $3 AND kind = 'final_invoice' AND corrects IS NULL",
                &[account.into(), label.as_str().into(), series.into()],
            )?;
            let outcome = match existing {
                Some(mut r) => Outcome {
                    documents: vec![read_body(&r.take().text()?, "document")?],
                    created: false,
                    replayed: false,
                },
                None => {
                    let number = next_number(tx, series, year)?;
                    let version = account_version(tx, account, period)?;
                    let events = events_in::<B>(tx, account, period)?;
                    let made = make(number, &events).map_err(unprocessable)?;
                    let doc = made.document;
                    store_document(tx, &self.key, account, None, &doc)?;
                    if let Some(k) = made.keep
                        && version > 0
                    {
                        keep_in(
                            tx,
                            &k.period,
                            &k.catalog,
                            &Kept {
                                account: account.to_string(),
                                version,
                                rating: k.rating,
                            },
                        )?;
                    }
                    Outcome {
                        documents: vec![doc],
                        created: true,
                        replayed: false,
                    }
                }
            };
            remember(tx, idempotency, &outcome)?;
            Ok(outcome)
        })
    }

    fn correct(
        &self,
        number: &str,
        year: i32,
        idempotency: Option<&Idempotency>,
        make: &mut MakeCorrections,
    ) -> Result<Outcome> {
        self.db.write(|tx| {
            if let Some(o) = replay(tx, idempotency)? {
                return Ok(o);
            }
            let original = stored_row(tx, number)?
                .ok_or_else(|| LedgerError::NotFound(format!("no document `{number}`")))?;
            // In the order they were stored: the last state of a line is the latest's.
            let rows = tx.rows(
                &format!(
                    "SELECT body FROM documents WHERE corrects = $1 ORDER BY {}",
                    B::STORED_ORDER
                ),
                &[number.into()],
            )?;
            let mut earlier = Vec::with_capacity(rows.len());
            for mut r in rows {
                earlier.push(read_body::<Document>(&r.take().text()?, "document")?);
            }
            let (cn, inv) = (next_number(tx, "CN", year)?, next_number(tx, "INV", year)?);
            let period =
                Period::parse(&original.period).map_err(|e| LedgerError::Db(e.to_string()))?;
            let events = events_in::<B>(tx, &original.account, &period)?;
            let docs = make(&original, &earlier, &events, &cn, &inv).map_err(unprocessable)?;
            for d in &docs {
                store_document(tx, &self.key, &original.account, Some(number), d)?;
            }
            let outcome = Outcome {
                created: !docs.is_empty(),
                documents: docs,
                replayed: false,
            };
            remember(tx, idempotency, &outcome)?;
            Ok(outcome)
        })
    }

    fn document(&self, number: &str) -> Result<Option<Stored>> {
        self.db.read(|tx| stored_row(tx, number))
    }

    fn documents_in(&self, period: &str, limit: i64) -> Result<Vec<Stored>> {
        self.db.read(|tx| {
            let rows = tx.rows(
                &format!(
                    "SELECT body, account, corrects FROM documents WHERE period = $1 ORDER BY {} LIMIT $2",
                    B::STORED_ORDER
                ),
                &[period.into(), limit.into()],
            )?;
            rows.into_iter()
                .map(|mut r| {
                    let (body, account, corrects) =
                        (r.take().text()?, r.take().text()?, r.take().opt_text()?);
                    Ok(Stored {
                        document: read_body(&body, "document")?,
                        account,
                        period: period.to_string(),
                        corrects,
                    })
                })
                .collect()
        })
    }

    fn documents_of_year(&self, year: i32, limit: i64) -> Result<Vec<Stored>> {
        self.db.read(|tx| {
            let rows = tx.rows(
                &format!(
                    "SELECT body, account, period, corrects FROM documents WHERE year = $1 ORDER BY {} LIMIT $2",
                    B::STORED_ORDER
                ),
                &[i64::from(year).into(), limit.into()],
            )?;
            rows.into_iter()
                .map(|mut r| {
                    let (body, account, period, corrects) = (
                        r.take().text()?,
                        r.take().text()?,
                        r.take().text()?,
                        r.take().opt_text()?,
                    );
                    Ok(Stored {
                        document: read_body(&body, "document")?,
                        account,
                        period,
                        corrects,
                    })
                })
                .collect()
        })
    }

    fn documents_of(&self, account: &str, limit: i64) -> Result<Vec<Stored>> {
        self.db.read(|tx| {
            let rows = tx.rows(
                &format!(
                    "SELECT body, period, corrects FROM documents WHERE account = $1 ORDER BY {} DESC LIMIT $2",
                    B::STORED_ORDER
                ),
                &[account.into(), limit.into()],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for mut r in rows {
                let (body, period, corrects) =
                    (r.take().text()?, r.take().text()?, r.take().opt_text()?);
                out.push(Stored {
                    document: read_body(&body, "document")?,
                    account: account.to_string(),
                    period,
                    corrects,
                });
            }
            out.reverse();
            Ok(out)
        })
    }

    fn put_archive(&self, number: &str, archive: &Archive) -> Result<bool> {
        use base64::Engine;
        let pdf = base64::engine::general_purpose::STANDARD.encode(&archive.pdf);
        let (pdf_sha, xml_sha) = (archive.pdf_sha256(), archive.xml_sha256());
        let made = now();
        self.db.write(|tx| {
            if tx
                .row("SELECT 1 FROM documents WHERE number = $1", &[number.into()])?
                .is_none()
            {
                return Err(LedgerError::Db(format!(
                    "no document {number} to archive files for"
                )));
            }
            let n = tx.exec(
                "INSERT INTO archives (number, pdf, pdf_sha256, xml, xml_sha256, made) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (number) DO NOTHING",
                &[
                    number.into(),
                    pdf.as_str().into(),
                    pdf_sha.as_str().into(),
                    archive.xml.as_str().into(),
                    xml_sha.as_str().into(),
                    made.as_str().into(),
                ],
            )?;
            if n == 0 {
                return Ok(false);
            }
            append_audit(tx, &self.key, "archive", number, &archive.audit_detail())?;
            Ok(true)
        })
    }

    fn archive(&self, number: &str) -> Result<Option<Archive>> {
        use base64::Engine;
        self.db.read(|tx| {
            match tx.row(
                "SELECT pdf, xml FROM archives WHERE number = $1",
                &[number.into()],
            )? {
                Some(mut r) => {
                    let (pdf, xml) = (r.take().text()?, r.take().text()?);
                    let pdf = base64::engine::general_purpose::STANDARD
                        .decode(pdf)
                        .map_err(|e| LedgerError::Db(format!("archived PDF of {number}: {e}")))?;
                    Ok(Some(Archive { pdf, xml }))
                }
                None => Ok(None),
            }
        })
    }

    fn unarchived(&self, limit: i64) -> Result<Vec<String>> {
        self.db.read(|tx| {
            tx.rows(
                "SELECT d.number FROM documents d LEFT JOIN archives a ON a.number = d.number WHERE a.number IS NULL AND d.kind IN ('final_invoice', 'credit_note') ORDER BY d.number LIMIT $1",
                &[limit.into()],
            )?
            .into_iter()
            .map(|mut r| r.take().text())
            .collect()
        })
    }

    fn audit(&self, action: &str, subject: &str, detail: &str) -> Result<()> {
        self.db
            .write(|tx| append_audit(tx, &self.key, action, subject, detail).map(|_| ()))
    }

    fn verify_audit(&self) -> Result<AuditReport> {
        self.db.read(|tx| audit::verify(tx, &self.key, None))
    }

    fn accounts_to_close(&self, period: &Period, series: &str) -> Result<Vec<(String, u64)>> {
        let end = at_bound(&period.end);
        let label = period.label();
        self.db.read(|tx| {
            let rows = tx.rows(
                "SELECT account, COUNT(*) FROM events WHERE at < $1 AND account NOT IN (SELECT account FROM documents WHERE period = $2 AND series = $3 AND kind = 'final_invoice' AND corrects IS NULL) GROUP BY account ORDER BY account",
                &[end.as_str().into(), label.as_str().into(), series.into()],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for mut r in rows {
                let account = r.take().text()?;
                let n = u64::try_from(r.take().int()?).unwrap_or(0);
                out.push((account, n));
            }
            Ok(out)
        })
    }

    fn claim(
        &self,
        period: &Period,
        account: &str,
        worker: &str,
        now: &str,
        until: &str,
    ) -> Result<bool> {
        let label = period.label();
        self.db.write_state(|tx| {
            let n = tx.exec(
                "INSERT INTO close_claims (period, account, worker, until) VALUES ($1, $2, $3, $4) ON CONFLICT (period, account) DO UPDATE SET worker = excluded.worker, until = excluded.until WHERE close_claims.worker = excluded.worker OR close_claims.until < $5",
                &[
                    label.as_str().into(),
                    account.into(),
                    worker.into(),
                    until.into(),
                    now.into(),
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn release(&self, period: &Period, account: &str, worker: &str) -> Result<()> {
        let label = period.label();
        self.db.write_state(|tx| {
            // An empty end sorts before every instant: the claim has expired.
            tx.exec(
                "UPDATE close_claims SET until = '' WHERE period = $1 AND account = $2 AND worker = $3",
                &[label.as_str().into(), account.into(), worker.into()],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod location_tests {
    use super::Location;

    #[test]
    fn db_names_its_store() {
        for (db, pg) in [
            ("ratecard.sqlite", false),
            ("sqlite:/var/lib/ratecard/a.db", false),
            ("/tmp/a=b.sqlite", false),
            ("postgres://ratecard@localhost:5432/ledger", true),
            ("postgresql://u@h/d?host=/run/pg", true),
            ("host=/run/pg port=5432 user=ratecard dbname=ledger", true),
        ] {
            assert_eq!(
                matches!(Location::parse(db), Location::Postgres(_)),
                pg,
                "{db}"
            );
        }
        assert_eq!(
            Location::parse("sqlite:/var/lib/ratecard/a.db"),
            Location::Sqlite("/var/lib/ratecard/a.db".into())
        );
        assert_eq!(
            Location::parse("postgres://ratecard:secret@localhost/ledger").describe(),
            "PostgreSQL, database ledger as ratecard"
        );
    }
}

#[cfg(test)]
mod tests {
    //! Each test runs on SQLite, and on PostgreSQL too when `RATECARD_TEST_POSTGRES` names a
    //! server (`cargo xtask test` starts one).
    use super::*;
    use rusqlite::Connection;

    /// A store under test, and a way in that goes around the service: what someone holding the
    /// database can do.
    struct Case {
        name: &'static str,
        ledger: Arc<dyn Store>,
        intruder: Box<Intruder>,
        /// Lifts the database's own guards (triggers) for the intruder.
        unguard: Box<dyn Fn()>,
        /// Reads rows as they are stored.
        query: Box<Query>,
    }

    type Intruder = dyn Fn(&str) -> std::result::Result<(), String>;
    type Query = dyn Fn(&str) -> Vec<sql::Row>;

    use std::sync::Arc;

    fn sqlite(name: &str) -> Case {
        let p = std::env::temp_dir().join(format!(
            "ratecard-ledger-{}-{name}.sqlite",
            std::process::id()
        ));
        for ext in ["", "-wal", "-shm", ".audit-key"] {
            let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
        }
        let ledger = Arc::new(SqliteLedger::open(&p).unwrap());
        let (p1, p2, l) = (p.clone(), p, ledger.clone());
        Case {
            name: "sqlite",
            ledger,
            query: Box::new(move |q| l.backend().read(|tx| tx.rows(q, &[])).unwrap()),
            intruder: Box::new(move |sql| {
                Connection::open(&p1)
                    .and_then(|c| c.execute_batch(sql))
                    .map_err(|e| e.to_string())
            }),
            unguard: Box::new(move || {
                let conn = Connection::open(&p2).unwrap();
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
            }),
        }
    }

    /// A fresh PostgreSQL ledger and its connection string, when `RATECARD_TEST_POSTGRES`
    /// names a server.
    fn fresh_pg(name: &str) -> Option<(String, PgLedger)> {
        let base = std::env::var("RATECARD_TEST_POSTGRES").ok()?;
        let url = postgres::fresh_database(&base, &format!("ledger_{name}")).unwrap();
        let key = AuditKey::from_bytes(b"a-test-key-for-postgres-0123456789").unwrap();
        let ledger = PgLedger::connect(&url, key).unwrap();
        Some((url, ledger))
    }

    fn pg(name: &str) -> Option<Case> {
        let (_, ledger) = fresh_pg(name)?;
        let ledger = Arc::new(ledger);
        let (l1, l) = (ledger.clone(), ledger.clone());
        let unguarded = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let u = unguarded.clone();
        Some(Case {
            name: "postgres",
            ledger,
            query: Box::new(move |q| l.backend().read(|tx| tx.rows(q, &[])).unwrap()),
            intruder: Box::new(move |sql| {
                // Triggers are lifted for a session as a superuser can.
                let prefix = if u.load(std::sync::atomic::Ordering::SeqCst) {
                    "SET session_replication_role = replica; "
                } else {
                    ""
                };
                l1.raw(&format!("{prefix}{sql}")).map_err(|e| e.to_string())
            }),
            unguard: Box::new(move || unguarded.store(true, std::sync::atomic::Ordering::SeqCst)),
        })
    }

    /// The stores to run a test on, each fresh.
    fn stores(name: &str) -> Vec<Case> {
        let mut all = vec![sqlite(name)];
        all.extend(pg(name));
        all
    }

    fn customer() -> Customer {
        serde_json::from_str(r#"{"name":"A","country":"FR","kind":"business"}"#).unwrap()
    }

    /// A ledger with a customer, a batch of events and an audit entry, its guards lifted.
    fn tampering(name: &str) -> Vec<Case> {
        let cases = stores(name);
        for c in &cases {
            let l = &c.ledger;
            l.put_customer("a", &customer()).unwrap();
            l.ingest(&[
                ev("1", "2026-01-01T00:00:00Z"),
                ev("2", "2026-01-02T00:00:00Z"),
            ])
            .unwrap();
            l.audit("test", "x", "y").unwrap();
            assert!(l.verify_audit().unwrap().ok, "{:?}", l.verify_audit());
            (c.unguard)();
        }
        cases
    }

    fn problems(l: &dyn Store) -> Vec<String> {
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
                "INSERT INTO events (account, id, at, body, batch) SELECT account, '3', at, body, batch FROM events WHERE id = '1'",
                "events of batch",
            ),
        ] {
            for c in tampering(name) {
                // PostgreSQL's events carry their month partition.
                let sql = if c.name == "postgres" {
                    sql.replace("(account, id, at,", "(account, id, month, at,")
                        .replace("'3', at,", "'3', month, at,")
                } else {
                    sql.to_string()
                };
                (c.intruder)(&sql).unwrap();
                let found_it = problems(c.ledger.as_ref())
                    .iter()
                    .any(|p| p.contains(found));
                assert!(
                    found_it,
                    "{name} on {}: {:?}",
                    c.name,
                    problems(c.ledger.as_ref())
                );
            }
        }
    }

    #[test]
    fn removing_entries_from_the_end_is_detected() {
        for c in tampering("truncate") {
            (c.intruder)("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)").unwrap();
            assert!(
                problems(c.ledger.as_ref())
                    .iter()
                    .any(|p| p.contains("entries were removed from the end")),
                "{}",
                c.name
            );
        }
        for c in tampering("truncate-all") {
            (c.intruder)("DELETE FROM audit; DELETE FROM audit_head;").unwrap();
            let found = problems(c.ledger.as_ref());
            assert!(
                found.iter().any(|p| p.contains("no audit entry")),
                "{}: {found:?}",
                c.name
            );
        }
    }

    #[test]
    fn a_chain_recomputed_without_the_key_is_detected() {
        for c in tampering("rekey") {
            // Rewrite an entry and recompute the whole chain and head with another key.
            let other = AuditKey::from_bytes(b"not-the-ledger-key-0123456789").unwrap();
            (c.intruder)("UPDATE audit SET detail = 'forged' WHERE seq = 3").unwrap();
            let rows: Vec<(i64, String, String, String, String)> =
                (c.query)("SELECT seq, at, action, subject, detail FROM audit ORDER BY seq")
                    .into_iter()
                    .map(|mut r| {
                        (
                            r.take().int().unwrap(),
                            r.take().text().unwrap(),
                            r.take().text().unwrap(),
                            r.take().text().unwrap(),
                            r.take().text().unwrap(),
                        )
                    })
                    .collect();
            assert_eq!(rows.len(), 3, "{}", c.name);
            let mut prev = String::new();
            for (seq, at, action, subject, detail) in rows {
                let hash = other.entry(&prev, seq, &at, &action, &subject, &detail);
                (c.intruder)(&format!(
                    "UPDATE audit SET prev_hash = '{prev}', hash = '{hash}' WHERE seq = {seq}; UPDATE audit_head SET seq = {seq}, hash = '{hash}', mac = '{}'",
                    other.head(seq, &hash)
                ))
                .unwrap();
                prev = hash;
            }
            let r = c.ledger.verify_audit().unwrap();
            assert_eq!((r.ok, r.broken_at), (false, Some(1)), "{}: {r:?}", c.name);
        }
    }

    /// A stored event that no longer parses, read among megabytes of others (more than the
    /// parsing thread's queue holds), is an error that names it: the reader stops when the
    /// parser does, and nothing waits forever.
    #[test]
    fn an_unreadable_stored_event_is_an_error_not_a_hang() {
        for c in stores("unreadable") {
            let l = &c.ledger;
            let events: Vec<UsageEvent> = (0..40_000)
                .map(|i| ev(&format!("e{i:05}"), "2026-01-01T00:00:00Z"))
                .collect();
            for batch in events.chunks(10_000) {
                l.ingest(batch).unwrap();
            }
            let jan = Period::parse("2026-01").unwrap();
            assert_eq!(l.events("a", &jan).unwrap().len(), 40_000, "{}", c.name);
            (c.unguard)();
            (c.intruder)("UPDATE events SET body = '{\"id\":' WHERE id = 'e00000'").unwrap();
            let err = l.events("a", &jan).unwrap_err().to_string();
            assert!(err.contains("stored event"), "{}: {err}", c.name);
        }
    }

    fn ev(id: &str, at: &str) -> UsageEvent {
        serde_json::from_str(&format!(r#"{{"id":"{id}","account":"a","resource":"r","sku":"b2-15","region":"gra","kind":"start","at":"{at}"}}"#)).unwrap()
    }

    /// Two clients sending the same 2,000 events at once, in opposite orders, ten times over:
    /// on PostgreSQL their batches are stored side by side, so keys claimed in the order sent
    /// would make each wait for the other (one then fails, "deadlock detected"). Every batch
    /// succeeds, each event is stored once, and the audit log covers every batch.
    #[test]
    fn batches_sharing_events_in_opposite_orders_never_deadlock() {
        for c in stores("opposite") {
            let l = &c.ledger;
            let mut stored = 0;
            for round in 0..10 {
                let forward: Vec<UsageEvent> = (0..2000)
                    .map(|i| ev(&format!("{round}-{i:04}"), "2026-01-01T00:00:00Z"))
                    .collect();
                let backward: Vec<UsageEvent> = forward.iter().rev().cloned().collect();
                let (a, b) = std::thread::scope(|s| {
                    let a = s.spawn(|| l.ingest(&forward));
                    let b = s.spawn(|| l.ingest(&backward));
                    (a.join().unwrap(), b.join().unwrap())
                });
                let (a, b) = (a.unwrap(), b.unwrap());
                assert_eq!(a.accepted + b.accepted, 2000, "{} round {round}", c.name);
                assert_eq!(a.duplicate + b.duplicate, 2000, "{} round {round}", c.name);
                assert!(a.conflicting.is_empty() && b.conflicting.is_empty());
                stored += 2000;
                assert_eq!(l.event_count().unwrap(), stored, "{}", c.name);
            }
            let r = l.verify_audit().unwrap();
            assert!(r.ok, "{}: {r:?}", c.name);
        }
    }

    /// Waits (10 s at most) until `ok` holds; whether it did.
    fn within(mut ok: impl FnMut() -> bool) -> bool {
        for _ in 0..1000 {
            if ok() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        false
    }

    /// The ledger's write lock held by a session of its own (dropped: released).
    fn hold_ledger_lock(url: &str) -> ::postgres::Client {
        let mut holder = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
        holder
            .execute("SELECT pg_advisory_lock($1)", &[&postgres::WRITE_LOCK])
            .unwrap();
        holder
    }

    /// How many sessions wait for an advisory lock; -1 when the question fails.
    fn lock_waiters(c: &mut ::postgres::Client) -> i64 {
        c.query_one(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
            &[],
        )
        .map_or(-1, |r| r.get(0))
    }

    /// A fresh PostgreSQL ledger, its connection string and a session to watch it from.
    fn pg_only(name: &str) -> Option<(String, PgLedger, ::postgres::Client)> {
        let (url, l) = fresh_pg(name)?;
        let watcher = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
        Some((url, l, watcher))
    }

    /// On PostgreSQL a batch stores its events before it takes the ledger's write lock, so
    /// batches do not wait for each other's inserts: with the lock held elsewhere, an ingestion
    /// is found waiting for it with its events' keys already claimed. Released, it completes,
    /// and its audit entry names the batch its events carry.
    #[test]
    fn a_batch_is_stored_before_it_waits_for_the_ledger_lock() {
        let Some((url, l, mut watcher)) = pg_only("late_lock") else {
            return;
        };
        // A first batch adds January's tables.
        l.ingest(&[ev("0", "2026-01-01T00:00:00Z")]).unwrap();
        let holder = hold_ledger_lock(&url);
        let (seen, r) = std::thread::scope(|s| {
            let ingest = s.spawn(|| {
                l.ingest(&[
                    ev("1", "2026-01-02T00:00:00Z"),
                    ev("2", "2026-01-03T00:00:00Z"),
                ])
            });
            // The session waiting for the lock holds a row lock on event_keys: its keys are
            // claimed. (Nothing here panics before the lock is released: a panic would leave
            // the scope waiting for the ingestion, and the ingestion for the lock.)
            let seen = within(|| {
                watcher
                    .query_one(
                        "SELECT COUNT(*) FROM pg_locks w JOIN pg_locks k ON k.pid = w.pid
                         WHERE w.locktype = 'advisory' AND NOT w.granted
                           AND k.locktype = 'relation' AND k.granted AND k.mode = 'RowExclusiveLock'
                           AND k.relation::regclass::text LIKE 'event_keys%'",
                        &[],
                    )
                    .is_ok_and(|r| r.get::<_, i64>(0) > 0)
            });
            drop(holder);
            (seen, ingest.join())
        });
        assert!(
            seen,
            "the ingestion waited for the lock before storing its events"
        );
        assert_eq!(r.unwrap().unwrap().accepted, 2);
        let batch: i64 = watcher
            .query_one("SELECT batch FROM events WHERE id = '1'", &[])
            .unwrap()
            .get(0);
        assert!(
            batch >= 1 << 40,
            "batch numbers are apart from audit numbers: {batch}"
        );
        let detail: String = watcher
            .query_one("SELECT detail FROM audit ORDER BY seq DESC LIMIT 1", &[])
            .unwrap()
            .get(0);
        assert!(detail.contains(&format!(" batch={batch} ")), "{detail}");
        assert!(l.verify_audit().unwrap().ok);
    }

    /// A month's first batch adds the month's tables while other batches are in flight
    /// (stored, holding the tables they stored in, waiting for the ledger's lock), in either
    /// order: neither waits for the other, and all are stored. When the tables were added as
    /// partitions under the ledger's lock, the first order was a deadlock: the adder held the
    /// lock and waited for the batch's tables, the batch waited for the lock.
    #[test]
    fn a_new_month_is_added_beside_batches_in_flight() {
        let Some((url, l, mut watcher)) = pg_only("new_month") else {
            return;
        };
        l.ingest(&[ev("0", "2026-01-01T00:00:00Z")]).unwrap();
        // The new month's batch first, then a January one; then a January batch first, and
        // a new month's.
        for (first, second) in [
            (
                ev("feb", "2026-02-01T00:00:00Z"),
                ev("jan-1", "2026-01-05T00:00:00Z"),
            ),
            (
                ev("jan-2", "2026-01-06T00:00:00Z"),
                ev("mar", "2026-03-01T00:00:00Z"),
            ),
        ] {
            let holder = hold_ledger_lock(&url);
            let (both_waiting, a, b) = std::thread::scope(|s| {
                let a = s.spawn(|| l.ingest(std::slice::from_ref(&first)));
                let one = within(|| lock_waiters(&mut watcher) == 1);
                let b = s.spawn(|| l.ingest(std::slice::from_ref(&second)));
                let two = one && within(|| lock_waiters(&mut watcher) == 2);
                drop(holder);
                (two, a.join(), b.join())
            });
            assert!(
                both_waiting,
                "{} and {}: one waited for the other",
                first.id, second.id
            );
            assert_eq!(a.unwrap().unwrap().accepted, 1, "{}", first.id);
            assert_eq!(b.unwrap().unwrap().accepted, 1, "{}", second.id);
        }
        assert_eq!(l.event_count().unwrap(), 5);
        assert!(l.verify_audit().unwrap().ok);
    }

    #[test]
    fn idempotent_ingestion() {
        for c in stores("ingest") {
            let l = &c.ledger;
            let r = l
                .ingest(&[
                    ev("1", "2026-01-01T00:00:00Z"),
                    ev("2", "2026-01-02T00:00:00Z"),
                ])
                .unwrap();
            assert_eq!((r.accepted, r.duplicate), (2, 0), "{}", c.name);
            let r = l
                .ingest(&[
                    ev("1", "2026-01-01T00:00:00Z"),
                    ev("2", "2026-01-03T00:00:00Z"),
                ])
                .unwrap();
            assert_eq!(
                (r.accepted, r.duplicate, r.conflicting),
                (0, 1, vec!["2".to_string()]),
                "{}",
                c.name
            );
            // An id is the account's own: another account's "1" is another event.
            let mut other = ev("1", "2026-01-01T00:00:00Z");
            other.account = "b".into();
            let r = l.ingest(&[other]).unwrap();
            assert_eq!((r.accepted, r.duplicate), (1, 0), "{}", c.name);
            assert_eq!(l.event_count().unwrap(), 3, "{}", c.name);
            // One batch carrying a key twice: the first copy is stored, the second is a
            // duplicate (same content) or a conflict (other content).
            let r = l
                .ingest(&[
                    ev("7", "2026-01-05T00:00:00Z"),
                    ev("7", "2026-01-05T00:00:00Z"),
                    ev("8", "2026-01-06T00:00:00Z"),
                    ev("8", "2026-01-07T00:00:00Z"),
                ])
                .unwrap();
            assert_eq!(
                (r.accepted, r.duplicate, r.conflicting),
                (2, 1, vec!["8".to_string()]),
                "{}",
                c.name
            );
            let stored = l
                .events("a", &Period::parse("2026-01").unwrap())
                .unwrap()
                .into_iter()
                .find(|e| e.id == "8")
                .map(|e| e.at.to_rfc3339());
            assert_eq!(
                stored.as_deref(),
                Some("2026-01-06T00:00:00+00:00"),
                "{}",
                c.name
            );
            assert_eq!(l.event_count().unwrap(), 5, "{}", c.name);
            assert!(l.verify_audit().unwrap().ok, "{}", c.name);
        }
    }

    /// A kept rating is read only while the account's events up to its month are those it was
    /// made from: an ingestion that stores one of them (a late one too, or one of an earlier
    /// month) retires it; another account's does not, nor a batch of duplicates, nor an event
    /// of a later month.
    /// Rules saved by two callers at once: each version has its own audit entry, naming it and
    /// the digest of its text (saved, then audited apart, two saves could both audit one
    /// version on PostgreSQL, and a crash between left a version unaudited).
    #[test]
    fn each_version_of_the_allocation_rules_is_audited_with_it() {
        for c in stores("rules-audit") {
            std::thread::scope(|scope| {
                for t in 0..2 {
                    let l = c.ledger.clone();
                    scope.spawn(move || {
                        for i in 0..10 {
                            let body = format!("{{\"caller\":{t},\"n\":{i}}}");
                            l.save_allocation_rules(&body, "2026-01-01T00:00:00Z")
                                .unwrap();
                        }
                    });
                }
            });
            let saved: std::collections::BTreeMap<String, String> =
                (c.query)("SELECT CAST(seq AS TEXT), body FROM allocation_rules ORDER BY seq")
                    .into_iter()
                    .map(|mut r| {
                        let seq = r.take().text().unwrap();
                        let body = r.take().text().unwrap();
                        (seq, ratecard::canonical::sha256_hex(&body))
                    })
                    .collect();
            let audited: std::collections::BTreeMap<String, String> = (c.query)(
                "SELECT subject, detail FROM audit WHERE action = 'allocation_rules' ORDER BY seq",
            )
            .into_iter()
            .map(|mut r| (r.take().text().unwrap(), r.take().text().unwrap()))
            .collect();
            assert_eq!(saved.len(), 20, "{}", c.name);
            assert_eq!(audited, saved, "{}", c.name);
            assert!(c.ledger.verify_audit().unwrap().ok, "{}", c.name);
        }
    }

    #[test]
    fn a_kept_rating_is_retired_by_the_accounts_next_events() {
        for c in stores("kept") {
            let l = c.ledger.as_ref();
            l.ingest(&[ev("1", "2026-01-01T00:00:00Z")]).unwrap();
            let jan = Period::parse("2026-01").unwrap();
            let (events, v) = l.events_versioned("a", &jan).unwrap();
            assert_eq!(events.len(), 1, "{}", c.name);
            assert!(v > 0, "{}", c.name);
            l.keep_rating("a", "2026-01", "k", v, "R1").unwrap();
            assert_eq!(
                l.kept_rating("a", "2026-01", "k")
                    .unwrap()
                    .map(|k| k.0)
                    .as_deref(),
                Some("R1"),
                "{}",
                c.name
            );
            assert_eq!(
                l.kept_rating("a", "2026-01", "other price list").unwrap(),
                None
            );
            // Another account's events, and duplicates, change nothing.
            let mut other = ev("9", "2026-01-01T00:00:00Z");
            other.account = "b".into();
            l.ingest(&[other]).unwrap();
            l.ingest(&[ev("1", "2026-01-01T00:00:00Z")]).unwrap();
            assert_eq!(
                l.kept_rating("a", "2026-01", "k")
                    .unwrap()
                    .map(|k| k.0)
                    .as_deref(),
                Some("R1"),
                "{}",
                c.name
            );
            // A late event of the account retires it; a rating made from the old events and
            // kept after is not read either.
            l.ingest(&[ev("2", "2026-01-02T00:00:00Z")]).unwrap();
            assert_eq!(
                l.kept_rating("a", "2026-01", "k").unwrap(),
                None,
                "{}",
                c.name
            );
            l.keep_rating("a", "2026-01", "k", v, "stale").unwrap();
            assert_eq!(
                l.kept_rating("a", "2026-01", "k").unwrap(),
                None,
                "{}",
                c.name
            );
            let (_, v2) = l.events_versioned("a", &jan).unwrap();
            assert!(v2 > v, "{}", c.name);
            l.keep_rating("a", "2026-01", "k", v2, "R2").unwrap();
            assert_eq!(
                l.kept_rating("a", "2026-01", "k")
                    .unwrap()
                    .map(|k| k.0)
                    .as_deref(),
                Some("R2"),
                "{}",
                c.name
            );
            // One made again from the same events (the current month a minute later) replaces
            // it: it stayed, and the current month was rated again on every read.
            l.keep_rating("a", "2026-01", "k", v2, "R2 later").unwrap();
            assert_eq!(
                l.kept_rating("a", "2026-01", "k")
                    .unwrap()
                    .map(|k| k.0)
                    .as_deref(),
                Some("R2 later"),
                "{}",
                c.name
            );
            l.keep_rating("a", "2026-01", "k", v2, "R2").unwrap();
            // Every account's at once: in one transaction, a stale one ignored, and read back
            // only at each account's current version.
            let (_, vb) = l.events_versioned("b", &jan).unwrap();
            let kept = |account: &str, version: i64, rating: &str| Kept {
                account: account.into(),
                version,
                rating: rating.into(),
            };
            l.keep_ratings(
                "2026-01",
                "k",
                &[kept("a", v, "stale again"), kept("b", vb, "B1")],
            )
            .unwrap();
            assert_eq!(
                l.kept_ratings("2026-01", "k").unwrap(),
                vec![kept("a", v2, "R2"), kept("b", vb, "B1")],
                "{}",
                c.name
            );
            assert_eq!(l.kept_ratings("2026-02", "k").unwrap(), vec![]);
            let mut late = ev("8", "2026-01-03T00:00:00Z");
            late.account = "b".into();
            l.ingest(&[late]).unwrap();
            assert_eq!(
                l.kept_ratings("2026-01", "k").unwrap(),
                vec![kept("a", v2, "R2")],
                "{}",
                c.name
            );
            // An event of a later month leaves January's rating (and its rollup) current; one
            // of an earlier month, which shapes January, retires it.
            l.ingest(&[ev("3", "2026-02-01T00:00:00Z")]).unwrap();
            assert_eq!(
                l.kept_rating("a", "2026-01", "k").unwrap(),
                Some(("R2".to_string(), v2)),
                "{}",
                c.name
            );
            l.keep_rating("a", "2026-01/rollup/half_up", "k", v2, "U2")
                .unwrap();
            assert_eq!(
                l.kept_ratings("2026-01/rollup/half_up", "k").unwrap(),
                vec![kept("a", v2, "U2")],
                "{}",
                c.name
            );
            let feb = Period::parse("2026-02").unwrap();
            let (_, vf) = l.events_versioned("a", &feb).unwrap();
            assert!(vf > v2, "{}", c.name);
            l.ingest(&[ev("4", "2025-12-31T00:00:00Z")]).unwrap();
            assert_eq!(
                l.kept_rating("a", "2026-01", "k").unwrap(),
                None,
                "{}",
                c.name
            );
            assert_eq!(
                l.kept_ratings("2026-01/rollup/half_up", "k").unwrap(),
                vec![],
                "{}",
                c.name
            );
            let (_, v3) = l.events_versioned("a", &jan).unwrap();
            assert!(v3 > vf, "{}", c.name);
        }
    }

    /// An event id is unique within its account across months: the same id sent again with
    /// another month's time is a conflict, not a second event in another month's partition.
    #[test]
    fn an_id_is_unique_across_months() {
        for c in stores("months") {
            let l = c.ledger.as_ref();
            let r = l
                .ingest(&[
                    ev("1", "2026-01-31T23:59:59Z"),
                    ev("2", "2026-02-01T00:00:00Z"),
                ])
                .unwrap();
            assert_eq!(r.accepted, 2, "{}", c.name);
            let r = l
                .ingest(&[
                    ev("1", "2026-03-01T00:00:00Z"),
                    ev("3", "2026-03-02T00:00:00Z"),
                ])
                .unwrap();
            assert_eq!(
                (r.accepted, r.duplicate, r.conflicting),
                (1, 0, vec!["1".to_string()]),
                "{}",
                c.name
            );
            // In one batch too: the first copy is stored, whatever its month.
            let r = l
                .ingest(&[
                    ev("4", "2026-04-01T00:00:00Z"),
                    ev("4", "2026-05-01T00:00:00Z"),
                ])
                .unwrap();
            assert_eq!((r.accepted, r.conflicting.len()), (1, 1), "{}", c.name);
            assert_eq!(l.event_count().unwrap(), 4, "{}", c.name);
            let feb = l.events("a", &Period::parse("2026-02").unwrap()).unwrap();
            let ids: Vec<&str> = feb.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(ids.len(), 2, "{}: {ids:?}", c.name);
            assert!(l.verify_audit().unwrap().ok, "{}", c.name);
        }
    }

    /// PostgreSQL keeps each month of an account partition in a table of its own, added with
    /// the month's first event; a month's table refuses TRUNCATE like the others.
    #[test]
    fn postgres_events_are_partitioned_by_month() {
        let Some(c) = pg("month_partitions") else {
            return;
        };
        c.ledger
            .ingest(&[
                ev("1", "2026-01-31T23:59:59.5Z"),
                ev("2", "2026-02-01T00:00:00Z"),
                // An offset can carry a time past year 9999 in UTC: the last partition.
                ev("3", "9999-12-31T23:00:00-05:00"),
            ])
            .unwrap();
        let rows = (c.query)("SELECT tableoid::regclass::text, month, id FROM events ORDER BY id");
        let got: Vec<(String, String, String)> = rows
            .into_iter()
            .map(|mut r| {
                (
                    r.take().text().unwrap(),
                    r.take().text().unwrap(),
                    r.take().text().unwrap(),
                )
            })
            .collect();
        let leaf = |m: &str| {
            let p = &got.iter().find(|g| g.1 == m).unwrap().0;
            assert!(
                p.starts_with("events_p") && p.ends_with(&m.replace('-', "_")),
                "{got:?}"
            );
            p.clone()
        };
        assert_eq!(
            got.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(),
            ["2026-01", "2026-02", "9999-12"]
        );
        let jan = leaf("2026-01");
        leaf("2026-02");
        let err = (c.intruder)(&format!("TRUNCATE {jan}")).unwrap_err();
        assert!(err.contains("stored events are kept"), "{err}");
        let err = (c.intruder)("DELETE FROM event_keys").unwrap_err();
        assert!(
            err.contains("stored events are immutable and kept"),
            "{err}"
        );
        // Every month's table holds the key columns; the keys table has one row per event.
        let keys = (c.query)("SELECT COUNT(*) FROM event_keys")
            .remove(0)
            .take()
            .int()
            .unwrap();
        assert_eq!(keys, 3);
    }

    /// The server drops every connection (a restart, a failover): the next call opens a new
    /// one instead of failing on a dead one.
    #[test]
    fn a_dropped_connection_is_replaced() {
        let Some(c) = pg("reconnect") else { return };
        c.ledger.ingest(&[ev("1", "2026-01-01T00:00:00Z")]).unwrap();
        (c.intruder)(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .unwrap();
        // Past the second after which an idle connection is checked before use.
        std::thread::sleep(std::time::Duration::from_millis(1_100));
        let r = c.ledger.ingest(&[ev("2", "2026-01-02T00:00:00Z")]).unwrap();
        assert_eq!(r.accepted, 1);
        assert_eq!(c.ledger.event_count().unwrap(), 2);
        assert!(c.ledger.verify_audit().unwrap().ok);
    }

    /// Stored times do not sort as text (`.` sorts before `Z`): an event half a second into
    /// February is not January's, on either store, for a draft or for the close.
    #[test]
    fn an_event_in_the_first_second_after_a_period_is_not_in_it() {
        for c in stores("bound") {
            let l = &c.ledger;
            l.ingest(&[
                ev("1", "2026-01-31T23:59:59.999Z"),
                ev("2", "2026-02-01T00:00:00.5Z"),
                ev("3", "2026-02-01T00:00:00Z"),
            ])
            .unwrap();
            let mut late = ev("4", "2026-02-01T00:00:00.5Z");
            late.account = "b".into();
            l.ingest(&[late]).unwrap();
            let jan = Period::parse("2026-01").unwrap();
            let ids: Vec<String> = l
                .events("a", &jan)
                .unwrap()
                .into_iter()
                .map(|e| e.id.to_string())
                .collect();
            assert_eq!(ids, vec!["1"], "{}", c.name);
            assert_eq!(
                l.accounts_to_close(&jan, "INV").unwrap(),
                vec![("a".to_string(), 1)],
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn documents_and_audit_cannot_be_changed() {
        for c in stores("immutable") {
            c.ledger.audit("test", "x", "y").unwrap();
            let e = (c.intruder)("UPDATE audit SET detail = 'z'").unwrap_err();
            assert!(e.contains("append-only"), "{}: {e}", c.name);
            let e = (c.intruder)("DELETE FROM audit").unwrap_err();
            assert!(e.contains("append-only"), "{}: {e}", c.name);
            assert!(c.ledger.verify_audit().unwrap().ok, "{}", c.name);
        }
    }

    #[test]
    fn a_tampered_audit_log_is_detected() {
        for c in stores("tamper") {
            for i in 0..3 {
                c.ledger.audit("test", &i.to_string(), "d").unwrap();
            }
            // Someone lifts the guards and rewrites an entry.
            (c.unguard)();
            (c.intruder)("UPDATE audit SET detail = 'forged' WHERE seq = 2").unwrap();
            let r = c.ledger.verify_audit().unwrap();
            assert_eq!((r.ok, r.broken_at), (false, Some(2)), "{}", c.name);
        }
    }
}
