//! The audit log's tamper evidence.
//!
//! - **A keyed chain.** Each entry's `hash` is an HMAC-SHA256, under the ledger's audit key, of
//!   the previous entry's hash and the entry's fields. Changing, inserting or removing an entry
//!   breaks the chain, and recomputing it takes the key, which is not in the database.
//! - **A keyed head.** `audit_head` holds the last entry's number and hash with a MAC of its own,
//!   updated in the transaction that appends. Removing entries from the end, even all of them,
//!   leaves a head that no longer matches; forging a head takes the key. An operator anchors the
//!   chain by recording `ratecard audit head` somewhere the database's owner cannot rewrite
//!   (a daily e-mail, a ticket, a write-once bucket) and passing it to `audit verify --expect`.
//! - **What the entries cover.** A stored document's entry holds the SHA-256 of its canonical
//!   bytes; an accepted event batch's entry, the SHA-256 of its events (each stored event names
//!   its batch: the entry's number, or the `batch=N` the entry names where the store numbers
//!   batches itself, as PostgreSQL does to store them beside each other); a customer change's, the SHA-256 of the stored details. [`verify`] recomputes
//!   them all from the tables, so an edited document, event or customer is found too.
//!
//! The key comes from `RATECARD_AUDIT_KEY` (the key itself) or `RATECARD_AUDIT_KEY_FILE` (a file
//! holding it); without either, from `<ledger>.audit-key` beside the ledger, created with 32
//! random bytes (readable by its owner only) on first use: keep that file elsewhere in
//! production.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use rusqlite::Connection;

use crate::ledger::Result as LedgerResult;
use crate::ledger::sql::Sql;
use sha2::Sha256;

/// The secret the chain is keyed with.
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

/// Where a key came from, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File(PathBuf),
    /// Created beside the ledger just now.
    Created(PathBuf),
}

impl AuditKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < 16 {
            return Err("the audit key must be at least 16 bytes".into());
        }
        Ok(AuditKey(bytes.to_vec()))
    }

    /// The key the environment gives (`RATECARD_AUDIT_KEY`, or the file
    /// `RATECARD_AUDIT_KEY_FILE` names): a PostgreSQL ledger has no file to keep one beside.
    pub fn from_env() -> Result<(Self, KeySource), String> {
        if let Ok(k) = std::env::var("RATECARD_AUDIT_KEY") {
            return Ok((Self::from_bytes(k.trim().as_bytes())?, KeySource::Env));
        }
        let Some(path) = std::env::var_os("RATECARD_AUDIT_KEY_FILE").map(PathBuf::from) else {
            return Err("a PostgreSQL ledger needs its audit key from the environment: set RATECARD_AUDIT_KEY_FILE to a file of at least 16 bytes kept apart from the database (or RATECARD_AUDIT_KEY)".into());
        };
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("the audit key file {}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        Ok((
            Self::from_bytes(text.trim().as_bytes())?,
            KeySource::File(path),
        ))
    }

    /// The key of the ledger at `db`: the environment, a key file, or the file beside the
    /// ledger (created when `create` and absent).
    pub fn for_ledger(db: &Path, create: bool) -> Result<(Self, KeySource), String> {
        if let Ok(k) = std::env::var("RATECARD_AUDIT_KEY") {
            return Ok((Self::from_bytes(k.trim().as_bytes())?, KeySource::Env));
        }
        let path = match std::env::var_os("RATECARD_AUDIT_KEY_FILE") {
            Some(p) => PathBuf::from(p),
            None => beside(db),
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                Ok((
                    Self::from_bytes(text.trim().as_bytes())?,
                    KeySource::File(path),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let key = random_hex(32)?;
                write_private(&path, key.as_bytes())?;
                Ok((Self::from_bytes(key.as_bytes())?, KeySource::Created(path)))
            }
            Err(e) => Err(format!(
                "the audit key is needed ({}: {e}); set RATECARD_AUDIT_KEY or RATECARD_AUDIT_KEY_FILE",
                path.display()
            )),
        }
    }

    fn mac(&self, parts: &[&str]) -> String {
        // HMAC takes a key of any length, so this cannot fail.
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        for p in parts {
            m.update(p.as_bytes());
            m.update(&[0u8]);
        }
        hex(&m.finalize().into_bytes())
    }

    /// An entry's hash: the keyed MAC of the previous hash and the entry's fields.
    pub fn entry(
        &self,
        prev: &str,
        seq: i64,
        at: &str,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> String {
        self.mac(&[prev, &seq.to_string(), at, action, subject, detail])
    }

    /// The head's MAC: distinct from an entry's, so that a head cannot be copied from one.
    pub fn head(&self, seq: i64, hash: &str) -> String {
        self.mac(&["head", &seq.to_string(), hash])
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `<ledger>.audit-key`.
pub fn beside(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".audit-key");
    PathBuf::from(name)
}

fn random_hex(n: usize) -> Result<String, String> {
    use std::io::Read;
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("no randomness for a new audit key: {e}"))?;
    Ok(hex(&bytes))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The SHA-256 of a text, in hex (the engine's one digest).
pub fn digest(text: &str) -> String {
    ratecard::canonical::sha256_hex(text)
}

/// The digest of an event batch: its events' stored bodies, in id order.
pub fn batch_digest<'a>(bodies: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut sorted: Vec<(&str, &str)> = bodies.into_iter().collect();
    sorted.sort_unstable();
    let text: Vec<String> = sorted.iter().map(|(id, b)| format!("{id}\t{b}")).collect();
    digest(&text.join("\n"))
}

/// The batch an ingestion entry names (`batch=N`), if it names one.
fn named_batch(detail: &str) -> Option<i64> {
    detail
        .split_whitespace()
        .find_map(|w| w.strip_prefix("batch="))
        .and_then(|n| n.parse().ok())
}

/// Reads `sha256=...` from an entry's detail.
fn recorded(detail: &str) -> Option<&str> {
    detail
        .split_whitespace()
        .find_map(|w| w.strip_prefix("sha256="))
}

/// What verification found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditReport {
    pub entries: u64,
    pub ok: bool,
    /// The first entry whose hash does not follow, if any.
    pub broken_at: Option<i64>,
    /// The head: the last entry's number and hash.
    pub head: Option<(i64, String)>,
    /// Every problem found (at most 50), in words.
    pub problems: Vec<String>,
}

/// Verifies the chain, its head and what the entries cover, reading only; the caller runs it on
/// one snapshot (a server appending meanwhile changes nothing of what is read). `expect` is an
/// anchored head (`SEQ:HASH`) the chain must contain.
pub fn verify(
    tx: &mut dyn Sql,
    key: &AuditKey,
    expect: Option<(i64, &str)>,
) -> LedgerResult<AuditReport> {
    let mut problems: Vec<String> = Vec::new();
    let mut broken_at = None;
    let mut entries = 0u64;
    let mut prev = String::new();
    let mut expected_seq = 1i64;
    // What the entries say of each document, batch and customer.
    let mut documents: BTreeMap<String, String> = BTreeMap::new();
    let mut batches: BTreeMap<i64, String> = BTreeMap::new();
    let mut customers: BTreeMap<String, String> = BTreeMap::new();
    let mut archives: BTreeMap<String, String> = BTreeMap::new();
    let mut anchored = expect.is_none();
    let rows = tx.rows(
        "SELECT seq, at, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq",
        &[],
    )?;
    for mut r in rows {
        let (seq, at, action, subject, detail, prev_hash, hash) = (
            r.take().int()?,
            r.take().text()?,
            r.take().text()?,
            r.take().text()?,
            r.take().text()?,
            r.take().text()?,
            r.take().text()?,
        );
        entries = entries.saturating_add(1);
        let good = seq == expected_seq
            && prev_hash == prev
            && hash == key.entry(&prev, seq, &at, &action, &subject, &detail);
        if !good && broken_at.is_none() {
            broken_at = Some(seq);
            problems.push(format!(
                "entry {seq} does not follow: it was changed, inserted or one before it removed, or the key is not the ledger's"
            ));
        }
        if let Some((s, h)) = expect
            && s == seq
            && h == hash
        {
            anchored = true;
        }
        if let Some(d) = recorded(&detail) {
            match action.as_str() {
                "finalize" => {
                    documents.insert(subject.clone(), d.to_string());
                }
                "ingest" => {
                    // The batch the entry names (a store that numbers batches itself), or
                    // the entry's own number.
                    let batch = named_batch(&detail).unwrap_or(seq);
                    if batches.insert(batch, d.to_string()).is_some() {
                        problems.push(format!("batch {batch} is covered by two audit entries"));
                    }
                }
                "customer" => {
                    customers.insert(subject.clone(), d.to_string());
                }
                "archive" => {
                    // Files are made once: a second entry means the first files were removed.
                    let again = archives.insert(subject.clone(), d.to_string()).is_some();
                    if again {
                        problems.push(format!("the files of {subject} were archived twice"));
                    }
                }
                _ => {}
            }
        }
        prev = hash;
        expected_seq = seq.saturating_add(1);
    }
    let last = (entries > 0).then(|| (expected_seq.saturating_sub(1), prev.clone()));
    check_head(tx, key, last.as_ref(), &mut problems)?;
    if !anchored {
        problems.push(
            "the anchored head is not in the chain: entries were removed or rewritten".into(),
        );
    }
    check_documents(tx, &documents, &mut problems)?;
    check_events(tx, &batches, &mut problems)?;
    check_customers(tx, &customers, &mut problems)?;
    check_archives(tx, &archives, &mut problems)?;
    problems.truncate(50);
    Ok(AuditReport {
        entries,
        ok: problems.is_empty(),
        broken_at,
        head: last,
        problems,
    })
}

/// The head names the chain's last entry, under a MAC of its own.
fn check_head(
    tx: &mut dyn Sql,
    key: &AuditKey,
    last: Option<&(i64, String)>,
    problems: &mut Vec<String>,
) -> LedgerResult<()> {
    let head = match tx.row("SELECT seq, hash, mac FROM audit_head WHERE id = 1", &[])? {
        Some(mut r) => Some((r.take().int()?, r.take().text()?, r.take().text()?)),
        None => None,
    };
    match (&head, &last) {
        (None, None) => {}
        (None, Some(_)) => problems.push("the chain head is missing".into()),
        (Some((s, h, m)), _) => {
            if *m != key.head(*s, h) {
                problems.push(
                    "the chain head's MAC is wrong: it was forged or the key is not the ledger's"
                        .into(),
                );
            } else if last != Some(&(*s, h.clone())) {
                problems.push(format!(
                    "the chain ends at entry {} but its head names entry {s}: entries were removed from the end",
                    last.map_or(0, |l| l.0)
                ));
            }
        }
    }
    Ok(())
}

/// Every archived file is the one its entry covers: its bytes hash to the digest recorded when
/// it was made.
fn check_archives(
    tx: &mut dyn Sql,
    archives: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> LedgerResult<()> {
    use base64::Engine;
    let mut seen = std::collections::BTreeSet::new();
    // One file at a time: a ledger's PDFs together may not fit in memory.
    let numbers: Vec<String> = tx
        .rows("SELECT number FROM archives ORDER BY number", &[])?
        .into_iter()
        .map(|mut r| r.take().text())
        .collect::<LedgerResult<_>>()?;
    for number in numbers {
        let Some(mut r) = tx.row(
            "SELECT pdf, xml FROM archives WHERE number = $1",
            &[number.as_str().into()],
        )?
        else {
            continue;
        };
        let (pdf, xml) = (r.take().text()?, r.take().text()?);
        seen.insert(number.clone());
        let Ok(pdf) = base64::engine::general_purpose::STANDARD.decode(pdf) else {
            problems.push(format!("the archived PDF of {number} is not base64"));
            continue;
        };
        let detail = crate::ledger::Archive { pdf, xml }.audit_detail();
        match archives.get(&number) {
            None => problems.push(format!("the files of {number} have no audit entry")),
            Some(d) if Some(d.as_str()) != recorded(&detail) => problems.push(format!(
                "the files of {number} were changed after they were archived"
            )),
            Some(_) => {}
        }
    }
    for number in archives.keys().filter(|n| !seen.contains(*n)) {
        problems.push(format!("the archived files of {number} are gone"));
    }
    Ok(())
}

/// Every stored document is the one its entry covers.
fn check_documents(
    tx: &mut dyn Sql,
    documents: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> LedgerResult<()> {
    let mut seen = std::collections::BTreeSet::new();
    for mut r in tx.rows("SELECT number, body FROM documents ORDER BY number", &[])? {
        let (number, body) = (r.take().text()?, r.take().text()?);
        seen.insert(number.clone());
        match documents.get(&number) {
            None => problems.push(format!("document {number} has no audit entry")),
            Some(d) if *d != digest(&body) => {
                problems.push(format!("document {number} was changed after it was stored"))
            }
            Some(_) => {}
        }
    }
    for number in documents.keys().filter(|n| !seen.contains(*n)) {
        problems.push(format!("document {number} is gone"));
    }
    Ok(())
}

/// Every stored event belongs to a batch whose entry covers exactly its events.
fn check_events(
    tx: &mut dyn Sql,
    batches: &BTreeMap<i64, String>,
    problems: &mut Vec<String>,
) -> LedgerResult<()> {
    let mut by_batch: BTreeMap<i64, Vec<(String, String)>> = BTreeMap::new();
    let mut loose = 0u64;
    for mut r in tx.rows("SELECT id, body, batch FROM events", &[])? {
        let (id, body, batch) = (r.take().text()?, r.take().text()?, r.take().opt_int()?);
        match batch {
            Some(b) => by_batch.entry(b).or_default().push((id, body)),
            None => loose = loose.saturating_add(1),
        }
    }
    if loose > 0 {
        problems.push(format!("{loose} stored events belong to no audited batch"));
    }
    for (b, events) in &by_batch {
        let got = batch_digest(events.iter().map(|(i, b)| (i.as_str(), b.as_str())));
        match batches.get(b) {
            None => problems.push(format!("events of batch {b} have no audit entry")),
            Some(d) if *d != got => problems.push(format!(
                "the events of batch {b} were changed, added or removed after they were stored"
            )),
            Some(_) => {}
        }
    }
    for b in batches.keys().filter(|b| !by_batch.contains_key(b)) {
        problems.push(format!("the events of batch {b} are gone"));
    }
    Ok(())
}

/// Every account's stored details are the last ones audited.
fn check_customers(
    tx: &mut dyn Sql,
    customers: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> LedgerResult<()> {
    let mut seen = std::collections::BTreeSet::new();
    for mut r in tx.rows("SELECT account, body FROM customers ORDER BY account", &[])? {
        let (account, body) = (r.take().text()?, r.take().text()?);
        seen.insert(account.clone());
        match customers.get(&account) {
            None => problems.push(format!("the customer of `{account}` has no audit entry")),
            Some(d) if *d != digest(&body) => problems.push(format!(
                "the customer of `{account}` was changed outside the service"
            )),
            Some(_) => {}
        }
    }
    for account in customers.keys().filter(|a| !seen.contains(*a)) {
        problems.push(format!("the customer of `{account}` is gone"));
    }
    Ok(())
}

/// Opens a ledger file for verification: read-only, and only if it is a ledger (it has the
/// audit table); nothing is created or migrated.
pub fn open_read_only(db: &Path) -> Result<Connection, String> {
    let conn = Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("{}: {e}", db.display()))?;
    let is_ledger: bool = conn
        .query_row(
            "SELECT COUNT(*) = 2 FROM sqlite_master WHERE type = 'table' AND name IN ('audit', 'audit_head')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| format!("{}: not a ratecard ledger ({e})", db.display()))?;
    if !is_ledger {
        return Err(format!(
            "{}: not a ratecard ledger (no audit log, or one older than the keyed chain)",
            db.display()
        ));
    }
    Ok(conn)
}
