//! The PostgreSQL store: several `ratecard` processes on one database give the results one
//! would. Each write transaction first takes one transaction-scoped advisory lock, so the
//! ledger's rules (gapless numbers read as the series' maximum, one final invoice per period,
//! the audit chain's next entry) apply one transaction at a time across every process, as
//! SQLite's write lock does for one file. Finalized documents, events, idempotency keys and the
//! audit log are refused any change or removal by triggers, not only by the code.
//!
//! Layout: events are partitioned by a hash of the account, then by month; their key
//! `(account, id)` is unique across months in `event_keys`, partitioned by the account alone. So
//! a month can be detached for retention, and a later distribution by account (Citus) keeps every
//! unique key valid (ARCHITECTURE.md).

use std::sync::{Condvar, Mutex};

use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

use super::sql::{Backend, Cell, EventRow, Row, Sql, V};
use super::{Ledger, LedgerError, Result};
use crate::audit::AuditKey;

/// The PostgreSQL ledger.
pub type PgLedger = Ledger<Postgres>;

/// A PostgreSQL database, through a small pool of connections: reads run side by side, and a
/// connection the server closed (a restart, a failover) is replaced by a new one on next use.
pub struct Postgres {
    url: String,
    size: usize,
    pool: Mutex<Pool>,
    freed: Condvar,
    /// The months whose tables this process has seen: a batch of those asks nothing. (A month
    /// detached by hand for retention fails the next batch that has events in it, with
    /// PostgreSQL's message naming the table, and the process then looks again.)
    months: Mutex<std::collections::HashSet<String>>,
}

struct Pool {
    /// Idle connections, with when each was given back.
    idle: Vec<(Client, std::time::Instant)>,
    /// Connections open, idle or lent.
    open: usize,
}

/// A connection lent by the pool, given back when dropped (unless the server closed it).
struct Lent<'p> {
    client: Option<Client>,
    db: &'p Postgres,
}

impl std::ops::Deref for Lent<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("a lent client is held until drop"))
    }
}

impl std::ops::DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .unwrap_or_else(|| unreachable!("a lent client is held until drop"))
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let mut pool = self.db.lock();
        match self.client.take() {
            Some(c) if !c.is_closed() => pool.idle.push((c, std::time::Instant::now())),
            _ => pool.open = pool.open.saturating_sub(1),
        }
        drop(pool);
        self.db.freed.notify_one();
    }
}

/// Connections per process: `RATECARD_PG_POOL`, 8 by default.
fn pool_size() -> usize {
    std::env::var("RATECARD_PG_POOL")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(8)
        .clamp(1, 256)
}

/// What [`MONTH_OF_AT`] gives, for the partitions a batch needs before it is stored.
fn month_of(at: &str) -> &str {
    let b = at.as_bytes();
    if b.len() >= 7 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        &at[..7]
    } else if at.starts_with('-') {
        "0000-01"
    } else {
        "9999-12"
    }
}

/// The advisory lock every write transaction holds: one number for the whole ledger.
pub(crate) const WRITE_LOCK: i64 = 0x7261_7465_6361_7264; // "ratecard"
/// The advisory lock of whoever adds a month's tables.
const PARTITION_LOCK: i64 = 0x7261_7465_6d6f_6e74; // "ratemont"

/// Hash partitions of the events table.
const EVENT_PARTITIONS: u32 = 8;

/// The migrations, in order; the applied ones are counted in `ratecard_schema`.
fn migrations() -> Vec<String> {
    let mut events = String::from(
        "CREATE TABLE events (
            account TEXT NOT NULL,
            id TEXT NOT NULL,
            at TEXT NOT NULL,
            body TEXT NOT NULL,
            batch BIGINT,
            PRIMARY KEY (account, id)
        ) PARTITION BY HASH (account);
        CREATE INDEX events_account_at ON events (account, at);",
    );
    for i in 0..EVENT_PARTITIONS {
        // A partition is a table of its own to TRUNCATE: the parent's statement trigger does
        // not reach it, so each gets one (row triggers are copied to partitions).
        events.push_str(&format!(
            "CREATE TABLE events_p{i} PARTITION OF events FOR VALUES WITH (MODULUS {EVENT_PARTITIONS}, REMAINDER {i});
            CREATE TRIGGER events_p{i}_not_truncated BEFORE TRUNCATE ON events_p{i}
                FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse('stored events are kept');"
        ));
    }
    vec![
        format!(
            r#"
        CREATE FUNCTION ratecard_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
        END $$;
        {events}
        CREATE TRIGGER events_kept BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION ratecard_refuse('stored events are immutable and kept');
        CREATE TRIGGER events_not_truncated BEFORE TRUNCATE ON events
            FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse('stored events are kept');
        CREATE TABLE customers (account TEXT PRIMARY KEY, body TEXT NOT NULL);
        CREATE TABLE documents (
            pos BIGINT GENERATED ALWAYS AS IDENTITY,
            number TEXT PRIMARY KEY,
            series TEXT NOT NULL,
            year BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            kind TEXT NOT NULL,
            account TEXT NOT NULL,
            period TEXT NOT NULL,
            body TEXT NOT NULL,
            corrects TEXT,
            issue_date TEXT NOT NULL,
            UNIQUE (series, year, seq)
        );
        CREATE UNIQUE INDEX documents_one_final_invoice ON documents (account, period, series)
            WHERE kind = 'final_invoice' AND corrects IS NULL;
        CREATE INDEX documents_corrects ON documents (corrects, pos);
        CREATE INDEX documents_series_date ON documents (series, issue_date);
        CREATE TRIGGER documents_immutable BEFORE UPDATE OR DELETE ON documents
            FOR EACH ROW EXECUTE FUNCTION ratecard_refuse('finalized documents are immutable');
        CREATE TRIGGER documents_not_truncated BEFORE TRUNCATE ON documents
            FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse('finalized documents are immutable');
        CREATE TABLE audit (
            seq BIGINT PRIMARY KEY,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            detail TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
            FOR EACH ROW EXECUTE FUNCTION ratecard_refuse('the audit log is append-only');
        CREATE TRIGGER audit_not_truncated BEFORE TRUNCATE ON audit
            FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse('the audit log is append-only');
        CREATE TABLE audit_head (
            id BIGINT PRIMARY KEY CHECK (id = 1),
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL,
            mac TEXT NOT NULL
        );
        CREATE TABLE idempotency (
            key TEXT PRIMARY KEY,
            request TEXT NOT NULL,
            status TEXT NOT NULL,
            numbers TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE TRIGGER idempotency_kept BEFORE UPDATE OR DELETE ON idempotency
            FOR EACH ROW EXECUTE FUNCTION ratecard_refuse('idempotency keys are kept');
        CREATE TRIGGER idempotency_not_truncated BEFORE TRUNCATE ON idempotency
            FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse('idempotency keys are kept');
        "#
        ),
        // 2: who is closing which account of a period, and until when (work state).
        "CREATE TABLE close_claims (
            period TEXT NOT NULL,
            account TEXT NOT NULL,
            worker TEXT NOT NULL,
            until TEXT NOT NULL,
            PRIMARY KEY (period, account)
        );"
        .to_string(),
        // 3: events partitioned by month under each account partition (ARCHITECTURE.md). A
        // unique key of a partitioned table holds its partition keys, so `(account, id)` stays
        // unique across months in `event_keys`, partitioned by account alone; an event is
        // stored when its key is new. Existing events move to the new layout.
        month_partitions(),
        // 4: budgets, their alerts (one per budget, month, threshold and basis) and the
        // alerts' webhook deliveries with their attempts.
        "CREATE TABLE budgets (
            id TEXT PRIMARY KEY,
            account TEXT NOT NULL,
            body TEXT NOT NULL,
            updated TEXT NOT NULL
        );
        CREATE TABLE budget_alerts (
            budget TEXT NOT NULL,
            account TEXT NOT NULL,
            period TEXT NOT NULL,
            threshold BIGINT NOT NULL,
            basis TEXT NOT NULL,
            status TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (budget, period, threshold, basis)
        );
        CREATE INDEX budget_alerts_account ON budget_alerts (account, at);
        CREATE TRIGGER budget_alerts_kept BEFORE UPDATE OR DELETE ON budget_alerts
            FOR EACH ROW EXECUTE FUNCTION ratecard_refuse('recorded alerts are kept');
        CREATE TABLE webhook_deliveries (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            url TEXT NOT NULL,
            event TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts BIGINT NOT NULL,
            next_at TEXT NOT NULL,
            created TEXT NOT NULL
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
        CREATE TABLE webhook_attempts (
            delivery BIGINT NOT NULL,
            attempt BIGINT NOT NULL,
            at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            PRIMARY KEY (delivery, attempt)
        );"
        .to_string(),
        // 5: each account's version (raised by every ingestion that stores one of its
        // events), and the ratings kept per account, month and price list with the version
        // they were made at.
        "CREATE TABLE account_versions (
            account TEXT PRIMARY KEY,
            version BIGINT NOT NULL
        );
        INSERT INTO account_versions (account, version) SELECT DISTINCT account, 1 FROM event_keys;
        CREATE TABLE rated_months (
            account TEXT NOT NULL,
            period TEXT NOT NULL,
            catalog TEXT NOT NULL,
            version BIGINT NOT NULL,
            rating TEXT NOT NULL,
            PRIMARY KEY (account, period, catalog)
        );"
        .to_string(),
        // 6: API tokens, hashed, each with its scope (`admin` or `account:<id>`).
        "CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            scope TEXT NOT NULL,
            created TEXT NOT NULL,
            revoked TEXT
        );"
        .to_string(),
        // 7: the allocation rules, each version saved kept (the last one applies).
        "CREATE TABLE allocation_rules (
            seq BIGSERIAL PRIMARY KEY,
            body TEXT NOT NULL,
            saved TEXT NOT NULL
        );
        CREATE TRIGGER allocation_rules_kept BEFORE UPDATE ON allocation_rules
            FOR EACH ROW EXECUTE FUNCTION ratecard_refuse('saved allocation rules are kept as they were');"
        .to_string(),
        // 8: the files of each final document (its Factur-X PDF, base64, and its CII XML),
        // made once and kept as they were.
        "CREATE TABLE archives (
            number TEXT PRIMARY KEY,
            pdf TEXT NOT NULL,
            pdf_sha256 TEXT NOT NULL,
            xml TEXT NOT NULL,
            xml_sha256 TEXT NOT NULL,
            made TEXT NOT NULL
        );
        CREATE TRIGGER archives_immutable BEFORE UPDATE OR DELETE ON archives
            FOR EACH ROW EXECUTE FUNCTION ratecard_refuse('archived documents are immutable and kept');"
        .to_string(),
        // 9: the kept ratings of a period, every account's at once (the explorer's rollups).
        "CREATE INDEX rated_months_period ON rated_months (period, catalog);".to_string(),
        // 10: versions per account and month instead of per account: the ingestion that last
        // stored an event of the account in that month (its audit sequence, which only
        // grows). A kept month is current while no month up to it has changed. Those kept
        // under account versions are dropped.
        "CREATE TABLE account_months (
            account TEXT NOT NULL,
            month TEXT NOT NULL,
            stamp BIGINT NOT NULL,
            PRIMARY KEY (account, month)
        );
        INSERT INTO account_months (account, month, stamp)
            SELECT account, month, COALESCE(MAX(batch), 1) FROM events GROUP BY account, month;
        DELETE FROM rated_months;
        DROP TABLE account_versions;"
            .to_string(),
        // 11: event batches numbered by a sequence, so that a batch's events are stored before
        // the write lock, beside other batches; its audit entry names the number
        // (`batch=N`). The numbers start at 2^40, apart from the audit entries' numbers, which
        // numbered the batches stored before. And a month's tables are attached rather than
        // created as partitions: attaching locks the parent in a mode that inserts and reads
        // do not conflict with, so it waits for no batch in flight (creating one waits for
        // every transaction that has touched the parent, and a batch in flight waits for the
        // ledger's lock: a deadlock if the creator held that lock).
        format!(
            "CREATE SEQUENCE event_batches START WITH 1099511627776;\n{}",
            event_month_function()
        ),
    ]
}

/// The function that adds a month's tables, one per hash partition of `events`: each created
/// apart, then attached (`ATTACH PARTITION` locks the parent in a mode that inserts and reads do
/// not conflict with, where `CREATE TABLE ... PARTITION OF` waits for every transaction that
/// has touched it).
fn event_month_function() -> String {
    format!(
        r#"        CREATE OR REPLACE FUNCTION ratecard_event_month(m TEXT) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            upper TEXT;
            leaf TEXT;
        BEGIN
            IF m !~ '^[0-9]{{4}}-(0[1-9]|1[0-2])$' THEN
                RAISE EXCEPTION 'the month % is not YYYY-MM', m;
            END IF;
            upper := CASE WHEN m = '9999-12' THEN 'MAXVALUE'
                ELSE quote_literal(to_char(to_date(m || '-01', 'YYYY-MM-DD') + interval '1 month', 'YYYY-MM')) END;
            FOR i IN 0..{last} LOOP
                leaf := format('events_p%s_%s', i, replace(m, '-', '_'));
                IF to_regclass(leaf) IS NULL THEN
                    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                        leaf, 'events_p' || i);
                    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse(%L)',
                        leaf || '_not_truncated', leaf, 'stored events are kept');
                    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%s)',
                        'events_p' || i, leaf, m, upper);
                END IF;
            END LOOP;
        END $$;"#,
        last = EVENT_PARTITIONS - 1
    )
}

/// Migration 3: `event_keys`, events by account then month, and the function that adds a
/// month's tables (called by [`Backend::prepare_events`] before a month's first event).
fn month_partitions() -> String {
    let n = EVENT_PARTITIONS;
    let mut sql = String::from(
        r#"
        CREATE TEMP TABLE events_move ON COMMIT DROP AS SELECT account, id, at, body, batch FROM events;
        DROP TABLE events;
        CREATE TABLE event_keys (
            account TEXT NOT NULL,
            id TEXT NOT NULL,
            month TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (account, id)
        ) PARTITION BY HASH (account);
        CREATE TRIGGER event_keys_kept BEFORE UPDATE OR DELETE ON event_keys
            FOR EACH ROW EXECUTE FUNCTION ratecard_refuse('stored events are immutable and kept');
        CREATE TRIGGER event_keys_not_truncated BEFORE TRUNCATE ON event_keys
            FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse('stored events are kept');
        CREATE TABLE events (
            account TEXT NOT NULL,
            id TEXT NOT NULL,
            month TEXT COLLATE "C" NOT NULL,
            at TEXT NOT NULL,
            body TEXT NOT NULL,
            batch BIGINT,
            PRIMARY KEY (account, month, id)
        ) PARTITION BY HASH (account);
        CREATE INDEX events_account_at ON events (account, at);
        CREATE TRIGGER events_kept BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION ratecard_refuse('stored events are immutable and kept');
        CREATE TRIGGER events_not_truncated BEFORE TRUNCATE ON events
            FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse('stored events are kept');
        "#,
    );
    for i in 0..n {
        sql.push_str(&format!(
            "CREATE TABLE event_keys_p{i} PARTITION OF event_keys FOR VALUES WITH (MODULUS {n}, REMAINDER {i});
            CREATE TRIGGER event_keys_p{i}_not_truncated BEFORE TRUNCATE ON event_keys_p{i}
                FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse('stored events are kept');
            CREATE TABLE events_p{i} PARTITION OF events FOR VALUES WITH (MODULUS {n}, REMAINDER {i})
                PARTITION BY RANGE (month);
            CREATE TRIGGER events_p{i}_not_truncated BEFORE TRUNCATE ON events_p{i}
                FOR EACH STATEMENT EXECUTE FUNCTION ratecard_refuse('stored events are kept');"
        ));
    }
    sql.push_str(&format!(
        r#"
        {function}
        INSERT INTO event_keys (account, id, month) SELECT account, id, {month} FROM events_move;
        SELECT ratecard_event_month(m) FROM (SELECT DISTINCT {month} AS m FROM events_move) AS months;
        INSERT INTO events (account, id, month, at, body, batch)
            SELECT account, id, {month}, at, body, batch FROM events_move;
        "#,
        function = event_month_function(),
        month = MONTH_OF_AT,
    ));
    sql
}

/// The month partition of a stored time (`at`, RFC 3339 in UTC): its `YYYY-MM`, and the first or
/// last month of the range for a time outside years 0000..9999 (an offset can carry a time
/// there). The month only places the row; reads select on `at`.
const MONTH_OF_AT: &str = "CASE WHEN at ~ '^[0-9]{4}-' THEN substr(at, 1, 7) WHEN at LIKE '-%' THEN '0000-01' ELSE '9999-12' END";

fn params<'a>(values: &'a [V<'a>]) -> Vec<Box<dyn ToSql + Sync + 'a>> {
    values
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync + 'a> {
            match *v {
                V::Text(s) => Box::new(s),
                V::Int(i) => Box::new(i),
                V::NullText => Box::new(None::<&str>),
                V::Texts(list) => Box::new(list),
            }
        })
        .collect()
}

/// A transaction as [`Sql`].
struct Tx<'t, 'c>(&'t mut postgres::Transaction<'c>);

impl Sql for Tx<'_, '_> {
    fn exec(&mut self, sql: &str, values: &[V]) -> Result<u64> {
        let p = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
        Ok(self.0.execute(sql, &refs)?)
    }

    fn rows(&mut self, sql: &str, values: &[V]) -> Result<Vec<Row>> {
        let p = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
        let rows = self.0.query(sql, &refs)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut cells = Vec::with_capacity(r.len());
            for (i, c) in r.columns().iter().enumerate() {
                let t = c.type_();
                let cell = if *t == Type::INT8 {
                    r.try_get::<_, Option<i64>>(i)?
                        .map_or(Cell::Null, Cell::Int)
                } else if *t == Type::INT4 {
                    r.try_get::<_, Option<i32>>(i)?
                        .map_or(Cell::Null, |v| Cell::Int(i64::from(v)))
                } else if *t == Type::TEXT || *t == Type::VARCHAR {
                    r.try_get::<_, Option<String>>(i)?
                        .map_or(Cell::Null, Cell::Text)
                } else {
                    return Err(LedgerError::Db(format!(
                        "column `{}` has type {t}, neither text nor an integer",
                        c.name()
                    )));
                };
                cells.push(cell);
            }
            out.push(Row::new(cells));
        }
        Ok(out)
    }

    fn each_text(
        &mut self,
        sql: &str,
        values: &[V],
        f: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        // Fetched through a portal, 10,000 rows a round trip: memory stays bounded, and the
        // client's runtime is entered once per batch rather than once per row (a row iterator
        // did that, and took a second for a million events).
        const BATCH: i32 = 10_000;
        let p = params(values);
        let refs: Vec<&(dyn ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
        let portal = self.0.bind(sql, &refs)?;
        loop {
            let rows = self.0.query_portal(&portal, BATCH)?;
            for r in &rows {
                f(r.try_get::<_, &str>(0)?)?;
            }
            if rows.len() < BATCH as usize {
                return Ok(());
            }
        }
    }
}

impl Postgres {
    fn new(url: &str, first: Client) -> Self {
        Postgres {
            url: url.to_string(),
            size: pool_size(),
            pool: Mutex::new(Pool {
                idle: vec![(first, std::time::Instant::now())],
                open: 1,
            }),
            freed: Condvar::new(),
            months: Mutex::new(Default::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection: an idle one, a new one while the pool has room, or the next one given
    /// back. One idle for more than a second is checked first (an empty query), so that one
    /// the server closed meanwhile (a restart) is replaced before a transaction starts on it.
    fn client(&self) -> Result<Lent<'_>> {
        let mut pool = self.lock();
        loop {
            while let Some((mut c, since)) = pool.idle.pop() {
                let stale = since.elapsed() > std::time::Duration::from_secs(1);
                if !c.is_closed() && !stale {
                    return Ok(Lent {
                        client: Some(c),
                        db: self,
                    });
                }
                // The check goes to the server: not while the others wait for the pool.
                drop(pool);
                let alive = !c.is_closed() && c.is_valid(std::time::Duration::from_secs(5)).is_ok();
                if alive {
                    return Ok(Lent {
                        client: Some(c),
                        db: self,
                    });
                }
                drop(c);
                pool = self.lock();
                pool.open = pool.open.saturating_sub(1);
                self.freed.notify_one();
            }
            if pool.open < self.size {
                pool.open += 1;
                drop(pool);
                return match Client::connect(&self.url, NoTls) {
                    Ok(c) => Ok(Lent {
                        client: Some(c),
                        db: self,
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e.into())
                    }
                };
            }
            pool = self.freed.wait(pool).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Backend for Postgres {
    const STORED_ORDER: &'static str = "pos";

    /// One statement for the whole batch: its columns as arrays, unnested in order. A key is
    /// claimed in `event_keys` (unique across months); the first row of each new key is stored
    /// in its month's partition ([`Backend::prepare_events`] added it). This runs before the
    /// ledger's write lock, beside other batches: keys are claimed in key order, so two batches
    /// sharing keys wait for each other in one direction only (the later one, on the first key
    /// they share, until the other commits), never in a cycle.
    fn insert_events(tx: &mut dyn Sql, batch: i64, rows: &[EventRow]) -> Result<Vec<bool>> {
        let accounts: Vec<&str> = rows.iter().map(|r| r.account).collect();
        let ids: Vec<&str> = rows.iter().map(|r| r.id).collect();
        let ats: Vec<&str> = rows.iter().map(|r| r.at).collect();
        let bodies: Vec<&str> = rows.iter().map(|r| r.body).collect();
        let stored = tx.rows(
            &format!(
                "WITH u AS (SELECT account, id, at, body, n FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(account, id, at, body, n)),
                k AS (INSERT INTO event_keys (account, id, month) SELECT account, id, {MONTH_OF_AT} FROM u ORDER BY account, id, n ON CONFLICT (account, id) DO NOTHING RETURNING account, id),
                f AS (SELECT DISTINCT ON (u.account, u.id) u.account, u.id, u.at, u.body, u.n FROM u JOIN k ON u.account = k.account AND u.id = k.id ORDER BY u.account, u.id, u.n)
                INSERT INTO events (account, id, month, at, body, batch) SELECT account, id, {MONTH_OF_AT}, at, body, $5 FROM f ORDER BY n RETURNING account, id"
            ),
            &[
                V::Texts(&accounts),
                V::Texts(&ids),
                V::Texts(&ats),
                V::Texts(&bodies),
                batch.into(),
            ],
        )?;
        let mut now: std::collections::HashSet<(String, String)> = stored
            .into_iter()
            .map(|mut r| Ok((r.take().text()?, r.take().text()?)))
            .collect::<Result<_>>()?;
        // The first row of a key is the one stored.
        Ok(rows
            .iter()
            .map(|r| now.remove(&(r.account.to_string(), r.id.to_string())))
            .collect())
    }

    fn stored_bodies(
        tx: &mut dyn Sql,
        keys: &[(&str, &str)],
    ) -> Result<std::collections::HashMap<(String, String), String>> {
        let accounts: Vec<&str> = keys.iter().map(|k| k.0).collect();
        let ids: Vec<&str> = keys.iter().map(|k| k.1).collect();
        let rows = tx.rows(
            "SELECT e.account, e.id, e.body FROM unnest($1::text[], $2::text[]) AS u(account, id) JOIN event_keys k ON k.account = u.account AND k.id = u.id JOIN events e ON e.account = k.account AND e.month = k.month AND e.id = k.id",
            &[V::Texts(&accounts), V::Texts(&ids)],
        )?;
        rows.into_iter()
            .map(|mut r| Ok(((r.take().text()?, r.take().text()?), r.take().text()?)))
            .collect()
    }

    fn write_late<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let out = f(&mut Tx(&mut tx)).inspect_err(|e| {
            // A month's tables were detached or dropped by hand: the next batch looks again.
            if e.to_string().contains("no partition of relation") {
                self.months
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clear();
            }
        })?;
        tx.commit()?;
        Ok(out)
    }

    fn lock_ledger(tx: &mut dyn Sql) -> Result<()> {
        tx.exec("SELECT pg_advisory_xact_lock($1)", &[WRITE_LOCK.into()])?;
        Ok(())
    }

    fn batch_id(tx: &mut dyn Sql) -> Result<Option<i64>> {
        match tx.row("SELECT nextval('event_batches')", &[])? {
            Some(mut r) => Ok(Some(r.take().int()?)),
            None => Err(LedgerError::Db("no batch number drawn".into())),
        }
    }

    /// A month's tables are added once, by the first batch that needs them, one adder at a
    /// time (a lock of their own, not the ledger's: a batch in flight may hold the parent
    /// tables while it waits for the ledger's lock); the months seen are remembered, so a
    /// batch of those asks nothing.
    fn prepare_events(&self, rows: &[EventRow]) -> Result<()> {
        let months: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| month_of(r.at)).collect();
        let months: Vec<&str> = {
            let seen = self.months.lock().unwrap_or_else(|p| p.into_inner());
            months.into_iter().filter(|m| !seen.contains(*m)).collect()
        };
        if months.is_empty() {
            return Ok(());
        }
        let missing = self.read(|tx| {
            tx.rows(
                &format!(
                    "SELECT DISTINCT m FROM unnest($1::text[]) AS m, generate_series(0, {}) AS i WHERE to_regclass('events_p' || i || '_' || replace(m, '-', '_')) IS NULL",
                    EVENT_PARTITIONS - 1
                ),
                &[V::Texts(&months)],
            )
        })?;
        if !missing.is_empty() {
            self.write_late(|tx| {
                tx.exec("SELECT pg_advisory_xact_lock($1)", &[PARTITION_LOCK.into()])?;
                for m in &months {
                    tx.exec("SELECT ratecard_event_month($1)", &[(*m).into()])?;
                }
                Ok(())
            })?;
        }
        let mut seen = self.months.lock().unwrap_or_else(|p| p.into_inner());
        seen.extend(months.iter().map(|m| m.to_string()));
        Ok(())
    }

    fn write<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        let out = f(&mut Tx(&mut tx))?;
        tx.commit()?;
        Ok(out)
    }

    fn write_state<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let out = f(&mut Tx(&mut tx))?;
        tx.commit()?;
        Ok(out)
    }

    fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        let mut client = self.client()?;
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let out = f(&mut Tx(&mut tx))?;
        tx.commit()?;
        Ok(out)
    }
}

impl PgLedger {
    /// Connects to `url` (`postgres://user@host:port/db`, or `host=/run/dir` to use a Unix
    /// socket) and applies the pending migrations, one process at a time.
    pub fn connect(url: &str, key: AuditKey) -> Result<Self> {
        let mut client = Client::connect(url, NoTls)?;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS ratecard_schema (version BIGINT NOT NULL)")?;
        let version: i64 = tx
            .query_opt("SELECT version FROM ratecard_schema", &[])?
            .map(|r| r.get(0))
            .unwrap_or(0);
        let all = migrations();
        if usize::try_from(version).is_ok_and(|v| v > all.len()) {
            return Err(LedgerError::Db(format!(
                "the ledger's schema is at version {version}, newer than this program's {}: run the newer ratecard",
                all.len()
            )));
        }
        for m in all.iter().skip(usize::try_from(version).unwrap_or(0)) {
            tx.batch_execute(m)?;
        }
        let now = i64::try_from(all.len()).unwrap_or(i64::MAX);
        if version == 0 {
            tx.execute("INSERT INTO ratecard_schema (version) VALUES ($1)", &[&now])?;
        } else {
            tx.execute("UPDATE ratecard_schema SET version = $1", &[&now])?;
        }
        tx.commit()?;
        Ok(Ledger::with(Postgres::new(url, client), key))
    }

    /// Connects to an existing ledger without changing anything: for verification. A database
    /// that is not a ratecard ledger at the current version is refused.
    pub fn connect_existing(url: &str, key: AuditKey) -> Result<Self> {
        let mut client = Client::connect(url, NoTls)?;
        let version: Option<i64> = client
            .query_opt(
                "SELECT version FROM ratecard_schema WHERE to_regclass('ratecard_schema') IS NOT NULL",
                &[],
            )
            .ok()
            .flatten()
            .map(|r| r.get(0));
        let current = i64::try_from(migrations().len()).unwrap_or(i64::MAX);
        if version != Some(current) {
            return Err(LedgerError::Db(format!(
                "not a ratecard ledger at schema version {current} (found {})",
                version.map_or_else(|| "none".to_string(), |v| v.to_string())
            )));
        }
        Ok(Ledger::with(Postgres::new(url, client), key))
    }

    /// Runs statements on a connection of their own, outside the ledger's rules: for tests
    /// that play an intruder.
    pub fn raw(&self, sql: &str) -> Result<()> {
        Ok(Client::connect(&self.backend().url, NoTls)?.batch_execute(sql)?)
    }
}

/// Creates (dropping any earlier one) a database named `ratecard_<pid>_<name>` on the server
/// `base` names (a `key=value` connection string without `dbname`), and returns the connection
/// string of the new database. For tests and benchmarks: every run starts from nothing.
pub fn fresh_database(base: &str, name: &str) -> Result<String> {
    let db: String = format!("ratecard_{}_{name}", std::process::id())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut admin = Client::connect(&format!("{base} dbname=postgres"), NoTls)?;
    // One statement each: neither runs inside a transaction block.
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE {db}"))?;
    Ok(format!("{base} dbname={db}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Store;

    /// A ledger made before month partitions (schema version 2) keeps its events: the
    /// migration moves them into their months and their keys into `event_keys`.
    #[test]
    fn events_of_a_ledger_before_month_partitions_move_to_their_months() {
        let Ok(base) = std::env::var("RATECARD_TEST_POSTGRES") else {
            return;
        };
        let url = fresh_database(&base, "before_months").unwrap();
        let mut c = Client::connect(&url, NoTls).unwrap();
        let old = migrations();
        c.batch_execute(&format!(
            "CREATE TABLE ratecard_schema (version BIGINT NOT NULL); INSERT INTO ratecard_schema VALUES (2); {} {}",
            old[0], old[1]
        ))
        .unwrap();
        for (id, at) in [("1", "2026-01-05T00:00:00Z"), ("2", "2026-02-05T00:00:00Z")] {
            let body = format!(
                r#"{{"account":"a","at":"{at}","id":"{id}","kind":"start","region":"gra","resource":"r","sku":"b2-15"}}"#
            );
            c.execute(
                "INSERT INTO events (account, id, at, body, batch) VALUES ('a', $1, $2, $3, NULL)",
                &[&id, &at, &body],
            )
            .unwrap();
        }
        drop(c);
        let key = AuditKey::from_bytes(b"a-test-key-for-postgres-0123456789").unwrap();
        let l = PgLedger::connect(&url, key).unwrap();
        assert_eq!(l.event_count().unwrap(), 2);
        let feb = l
            .events("a", &ratecard::time::Period::parse("2026-02").unwrap())
            .unwrap();
        assert_eq!(feb.len(), 2);
        let months: Vec<String> = Client::connect(&url, NoTls)
            .unwrap()
            .query(
                "SELECT tableoid::regclass::text FROM events ORDER BY id",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(months, ["events_p6_2026_01", "events_p6_2026_02"]);
        // The keys moved too: the same id again is not a new event.
        let again: ratecard::event::UsageEvent = serde_json::from_str(
            r#"{"account":"a","at":"2026-03-05T00:00:00Z","id":"1","kind":"start","region":"gra","resource":"r","sku":"b2-15"}"#,
        )
        .unwrap();
        let r = l.ingest(&[again]).unwrap();
        assert_eq!((r.accepted, r.conflicting.len()), (0, 1));
    }
}
