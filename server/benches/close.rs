//! The monthly close (`cargo xtask bench close` runs it and writes BENCHMARKS.md): a period of
//! 1,000 accounts with 1,000 events each (1,000,000 events), closed with 1 worker and then,
//! on a fresh copy, with 2; and the draft invoice of one account holding 1,000,000 events
//! (median of 3). On SQLite, and on PostgreSQL when `RATECARD_BENCH_POSTGRES` names a server.
//! Prints one JSON line. `-- scale` runs the close at the issue's scale instead: 10,000
//! accounts, 10,000,000 events (`cargo xtask bench close-10m`). `-- explore` runs only the cost
//! explorer over such a period (`cargo xtask bench explore`).

use std::sync::Arc;
use std::time::Instant;

use ratecard_server::ledger::{self, Store};
use ratecard_server::{api, close};

/// Accounts in a period, unless `-- scale`.
const ACCOUNTS: usize = 1_000;
/// Accounts in a period with `-- scale`.
const ACCOUNTS_AT_SCALE: usize = 10_000;
/// Events per account.
const EVENTS: usize = 1_000;

/// An account's events: 250 instances started and stopped twice through January.
fn events(account: &str) -> Vec<ratecard::UsageEvent> {
    let mut s = String::with_capacity(EVENTS * 170);
    for i in 0..EVENTS {
        let (res, k) = (i % 250, i / 250);
        let kind = if k % 2 == 0 { "start" } else { "stop" };
        let hour = k * 170 + res % 150;
        s.push_str(&format!(
            "{{\"id\":\"{account}-{i}\",\"account\":\"{account}\",\"resource\":\"vm-{res}\",\"sku\":\"b2-15\",\"region\":\"gra\",\"kind\":\"{kind}\",\"at\":\"2026-01-{:02}T{:02}:00:00Z\"}}\n",
            1 + hour / 24,
            hour % 24
        ));
    }
    let parsed = ratecard::event::parse_jsonl(&s);
    assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects.first());
    parsed.events
}

fn fill(l: &dyn Store, accounts: usize) {
    let t = Instant::now();
    let customer: ratecard::party::Customer = serde_json::from_str(
        r#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    )
    .expect("customer");
    for a in 0..accounts {
        let account = format!("acct-{a:05}");
        l.put_customer(&account, &customer).expect("customer");
        assert_eq!(
            l.ingest(&events(&account)).expect("ingest").accepted,
            EVENTS
        );
        if (a + 1) % 1_000 == 0 {
            eprintln!(
                "filled {} accounts in {:.0} s",
                a + 1,
                t.elapsed().as_secs_f64()
            );
        }
    }
}

fn state(ledger: Arc<dyn Store>) -> api::AppState {
    let book = ratecard::PriceBook::single(
        ratecard::Catalog::from_json(include_str!("../../catalog/stratus-2026-01.json"))
            .expect("catalog"),
    );
    api::AppState {
        ledger,
        book,
        catalogs: Default::default(),
        token: None,
        seller: ratecard::samples::seller(),
        vat: ratecard::vat::VatTable::builtin(),
        fx: ratecard::fx::FxRates::sample().expect("fx"),
        dist: None,
        work: Default::default(),
        webhook: None,
        rating_key: Default::default(),
    }
}

/// The draft of one account with 1,000,000 events (1,000 batches of 1,000, 250,000
/// instances): the median of 3, in seconds.
fn big_draft(ledger: Arc<dyn Store>) -> f64 {
    let customer: ratecard::party::Customer = serde_json::from_str(
        r#"{"name":"Big SAS","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    )
    .expect("customer");
    ledger.put_customer("big", &customer).expect("customer");
    for b in 0..ACCOUNTS {
        let mut batch = events("big");
        for e in &mut batch {
            e.id = format!("{}-{b}", e.id).into();
            e.resource = format!("{}-{b}", e.resource).into();
        }
        assert_eq!(ledger.ingest(&batch).expect("ingest").accepted, EVENTS);
    }
    let s = state(ledger);
    let period = ratecard::Period::parse("2026-01").expect("period");
    let mut times: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            let d = ratecard_server::billing::draft(&s, "big", &period).expect("draft");
            assert!(!d.lines.is_empty());
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[1]
}

/// The cost explorer over the whole period (every account, by service, then by resource):
/// seconds the first time (each account-month rated, its rating and rollup kept) and the
/// median of 3 after (the rollups read back), then by resource once (the kept ratings read
/// back, every line grouped).
fn explorer(ledger: Arc<dyn Store>) -> (f64, f64, f64) {
    use ratecard::explore::{Dimension, ExploreRequest};
    let s = state(ledger);
    let period = [ratecard::Period::parse("2026-01").expect("period")];
    let by = |d: Dimension| ExploreRequest {
        group_by: vec![d],
        ..Default::default()
    };
    let once = |req: &ExploreRequest, groups: usize| {
        let t = Instant::now();
        let e = api::costs::explore(&s, &period, None, req).expect("explore");
        assert_eq!(e.groups.len(), groups);
        t.elapsed().as_secs_f64()
    };
    let service = by(Dimension::Service);
    let cold = once(&service, 1);
    let mut warm: Vec<f64> = (0..3).map(|_| once(&service, 1)).collect();
    warm.sort_by(f64::total_cmp);
    // Every account has the same 250 resources.
    let resources = once(&by(Dimension::Resource), 250);
    (cold, warm[1], resources)
}

/// Seconds the explorer takes the first time over a closed period (every account, by
/// service): the close kept each account's rollup, so no event is read.
fn explore_closed(ledger: Arc<dyn Store>) -> f64 {
    let s = state(ledger);
    let period = [ratecard::Period::parse("2026-01").expect("period")];
    let req = ratecard::explore::ExploreRequest {
        group_by: vec![ratecard::explore::Dimension::Service],
        ..Default::default()
    };
    let t = Instant::now();
    let e = api::costs::explore(&s, &period, None, &req).expect("explore");
    assert_eq!(e.groups.len(), 1);
    t.elapsed().as_secs_f64()
}

/// `-- explore`: the explorer over 10,000 accounts and 10,000,000 events, on each store.
fn explore_at_scale(pg: Option<&str>) {
    let mut out = vec![format!("\"events\":{}", ACCOUNTS_AT_SCALE * EVENTS)];
    let mut one = |key: &str, l: Arc<dyn Store>| {
        fill(l.as_ref(), ACCOUNTS_AT_SCALE);
        let (cold, warm, resources) = explorer(l);
        out.push(format!(
            "\"{key}_explore_cold_s\":{cold:.3},\"{key}_explore_warm_s\":{warm:.3},\"{key}_explore_resource_s\":{resources:.3}"
        ));
    };
    one("sqlite", sqlite("explore"));
    remove_sqlite("explore");
    if let Some(base) = pg {
        one("pg", postgres(base, "explore"));
    }
    println!("{{{}}}", out.join(","));
}

/// Seconds to close the period of `accounts` with `workers`.
fn run(ledger: Arc<dyn Store>, accounts: usize, workers: usize) -> f64 {
    let s = state(ledger);
    let period = ratecard::Period::parse("2026-01").expect("period");
    let issue = chrono::NaiveDate::from_ymd_opt(2026, 2, 1).expect("date");
    let t = Instant::now();
    let r = close::close(&s, &period, issue, workers, &|_| {}).expect("close");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!((r.made.len(), r.failed.len()), (accounts, 0));
    eprintln!("closed {accounts} accounts with {workers} worker(s) in {secs:.1} s");
    secs
}

fn sqlite_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "ratecard-close-{}-{name}.sqlite",
        std::process::id()
    ))
}

/// Removes a SQLite ledger's files (10 GB at the issue's scale).
fn remove_sqlite(name: &str) {
    let db = sqlite_path(name);
    for ext in ["", "-wal", "-shm", ".audit-key"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
}

fn sqlite(name: &str) -> Arc<dyn Store> {
    remove_sqlite(name);
    Arc::new(ledger::SqliteLedger::open(&sqlite_path(name)).expect("ledger"))
}

fn postgres(base: &str, name: &str) -> Arc<dyn Store> {
    let url = ledger::postgres::fresh_database(base, &format!("close_{name}")).expect("database");
    let key =
        ratecard_server::audit::AuditKey::from_bytes(b"bench-audit-key-0123456789").expect("key");
    Arc::new(ledger::PgLedger::connect(&url, key).expect("ledger"))
}

/// The allocator the `ratecard` binary runs with, so that the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mut out = Vec::new();
    let pg = std::env::var("RATECARD_BENCH_POSTGRES").ok();
    // `cargo bench --bench close -- draft`: only the 1,000,000-event draft, for profiling.
    if std::env::args().any(|a| a == "draft") {
        println!(
            "{{\"sqlite_draft_1m_s\":{:.2}}}",
            big_draft(sqlite("draft"))
        );
        remove_sqlite("draft");
        if let Some(base) = &pg {
            println!(
                "{{\"pg_draft_1m_s\":{:.2}}}",
                big_draft(postgres(base, "draft"))
            );
        }
        return;
    }
    // `cargo bench --bench close -- close`: only SQLite's close with 1 worker, for profiling.
    if std::env::args().any(|a| a == "close") {
        let l = sqlite("w1");
        fill(l.as_ref(), ACCOUNTS);
        println!("{{\"sqlite_w1_s\":{:.2}}}", run(l, ACCOUNTS, 1));
        remove_sqlite("w1");
        return;
    }
    if std::env::args().any(|a| a == "explore") {
        explore_at_scale(pg.as_deref());
        return;
    }
    let scale = std::env::args().any(|a| a == "scale");
    let accounts = if scale { ACCOUNTS_AT_SCALE } else { ACCOUNTS };
    for workers in [1, 2] {
        let l = sqlite(&format!("w{workers}"));
        fill(l.as_ref(), accounts);
        out.push(format!(
            "\"sqlite_w{workers}_s\":{:.2}",
            run(l.clone(), accounts, workers)
        ));
        if workers == 1 {
            out.push(format!(
                "\"sqlite_explore_after_close_s\":{:.3}",
                explore_closed(l)
            ));
        }
        remove_sqlite(&format!("w{workers}"));
        if let Some(base) = &pg {
            let l = postgres(base, &format!("w{workers}"));
            fill(l.as_ref(), accounts);
            out.push(format!(
                "\"pg_w{workers}_s\":{:.2}",
                run(l.clone(), accounts, workers)
            ));
            if workers == 1 {
                out.push(format!(
                    "\"pg_explore_after_close_s\":{:.3}",
                    explore_closed(l)
                ));
            }
        }
    }
    if scale {
        println!("{{\"events\":{},{}}}", accounts * EVENTS, out.join(","));
        return;
    }
    out.push(format!(
        "\"sqlite_draft_1m_s\":{:.2}",
        big_draft(sqlite("draft"))
    ));
    remove_sqlite("draft");
    if let Some(base) = &pg {
        out.push(format!(
            "\"pg_draft_1m_s\":{:.2}",
            big_draft(postgres(base, "draft"))
        ));
    }
    println!("{{\"events\":{},{}}}", accounts * EVENTS, out.join(","));
}
