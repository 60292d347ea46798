//! The service on loopback (`cargo xtask bench` runs it and writes BENCHMARKS.md):
//! - ingestion throughput: 100 batches of 1,000 events, NDJSON, into SQLite, and into
//!   PostgreSQL when `RATECARD_BENCH_POSTGRES` names a server (connection words without
//!   `dbname`; `cargo xtask bench service` starts one, with fsync on);
//! - the draft invoice of an account with 100,000 events (median of 5), on each store;
//! - the estimate endpoint's latency under 100 concurrent clients (p50, p99);
//! - the most expensive estimates the limits allow: time (median of 5) and the memory one takes
//!   (the process's peak resident size before and after it, measured first, on a fresh process).
//!
//! Prints one JSON line.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use ratecard_server::client::request;
use ratecard_server::{api, ledger};

const TOKEN: &str = "bench-token";

fn sqlite() -> Arc<dyn ledger::Store> {
    let db = std::env::temp_dir().join(format!("ratecard-bench-{}.sqlite", std::process::id()));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    Arc::new(ledger::SqliteLedger::open(&db).expect("ledger"))
}

fn postgres(base: &str) -> Arc<dyn ledger::Store> {
    let url = ledger::postgres::fresh_database(base, "bench").expect("a fresh database");
    let key =
        ratecard_server::audit::AuditKey::from_bytes(b"bench-audit-key-0123456789").expect("key");
    Arc::new(ledger::PgLedger::connect(&url, key).expect("ledger"))
}

fn start(ledger: Arc<dyn ledger::Store>) -> SocketAddr {
    let book = ratecard::PriceBook::single(
        ratecard::Catalog::from_json(include_str!("../../catalog/stratus-2026-01.json"))
            .expect("catalog"),
    );
    let mut catalogs = std::collections::BTreeMap::new();
    catalogs.insert("stratus".to_string(), book.clone());
    let state = api::AppState {
        ledger,
        book,
        catalogs,
        token: Some(TOKEN.into()),
        seller: serde_json::from_str(
            r#"{"name":"Ratecard Cloud SAS","vat_number":"FR40303265045"}"#,
        )
        .expect("seller"),
        vat: ratecard::vat::VatTable::builtin(),
        fx: ratecard::fx::FxRates::sample().expect("fx"),
        dist: None,
        work: Default::default(),
        webhook: None,
        rating_key: Default::default(),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(l.local_addr().expect("addr")).expect("send");
            axum::serve(l, api::router(state)).await.expect("serve");
        });
    });
    rx.recv().expect("address")
}

/// `n` events of one account from `from`: 1,000 resources started and stopped through January.
fn batch(account: &str, from: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 170);
    for i in from..from + n {
        let (res, k) = (i % 1000, i / 1000);
        let kind = if k % 2 == 0 { "start" } else { "stop" };
        let minute = k * 440 + res % 400;
        s.push_str(&format!(
            "{{\"id\":\"{account}-{i}\",\"account\":\"{account}\",\"resource\":\"vm-{res}\",\"sku\":\"b2-15\",\"region\":\"gra\",\"kind\":\"{kind}\",\"at\":\"2026-01-{:02}T{:02}:{:02}:00Z\"}}\n",
            1 + minute / 1440,
            (minute / 60) % 24,
            minute % 60
        ));
    }
    s
}

/// The allocator the `ratecard` binary runs with, so that the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // `cargo bench --bench service -- ingest`: only ingestion and the draft, on PostgreSQL when
    // `RATECARD_BENCH_POSTGRES` names a server (else SQLite), for comparing and profiling.
    if std::env::args().any(|a| a == "ingest") {
        let addr = match std::env::var("RATECARD_BENCH_POSTGRES") {
            Ok(base) => start(postgres(&base)),
            Err(_) => start(sqlite()),
        };
        let (ingest_s, draft_ms) = ingest_and_draft(addr);
        let side = ingest_side_by_side(addr);
        println!(
            "{{\"ingest_events_per_s\":{:.0},\"ingest_side_by_side_events_per_s\":{side:.0},\"draft_100k_median_ms\":{draft_ms:.1}}}",
            100_000.0 / ingest_s
        );
        return;
    }
    let addr = start(sqlite());
    let worst = worst_case(addr);
    let (ingest_s, draft_ms) = ingest_and_draft(addr);
    let side = ingest_side_by_side(addr);
    let pg = std::env::var("RATECARD_BENCH_POSTGRES").ok().map(|base| {
        let addr = start(postgres(&base));
        let (s, d) = ingest_and_draft(addr);
        (s, d, ingest_side_by_side(addr))
    });
    let (pg_ingest, pg_draft, pg_side) =
        pg.map_or((0.0, 0.0, 0.0), |(s, d, side)| (100_000.0 / s, d, side));
    let (p50, p99, requests, per_s) = estimates_under_load(addr);
    println!(
        "{{\"worst_estimate\":\"{}\",\"worst_estimate_ms\":{:.1},\"worst_estimate_peak_mib\":{:.1},\"worst_estimate_response_bytes\":{},\"ingest_events_per_s\":{:.0},\"ingest_s\":{ingest_s:.3},\"ingest_side_by_side_events_per_s\":{side:.0},\"draft_100k_median_ms\":{:.1},\"pg_ingest_events_per_s\":{pg_ingest:.0},\"pg_ingest_side_by_side_events_per_s\":{pg_side:.0},\"pg_draft_100k_median_ms\":{pg_draft:.1},\"estimate_p50_ms\":{:.2},\"estimate_p99_ms\":{:.2},\"estimate_requests\":{},\"estimate_per_s\":{:.0}}}",
        worst.0,
        worst.1,
        worst.2,
        worst.3,
        100_000.0 / ingest_s,
        draft_ms,
        p50,
        p99,
        requests,
        per_s
    );
}

fn ok((st, b): (u16, String)) -> String {
    assert!(st == 200 || st == 201, "{st}: {b}");
    b
}

/// 100 batches of 1,000 events of one account, then the median of 5 drafts of its 100,000
/// events: (seconds for the ingestion, the draft's median in ms).
fn ingest_and_draft(addr: SocketAddr) -> (f64, f64) {
    ok(request(
        addr,
        "PUT",
        "/api/v1/accounts/big/customer",
        Some(TOKEN),
        br#"{"name":"Big SAS","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    )
    .expect("put"));

    // Ingestion: 100 batches of 1,000 by one client (one account, so that the draft below has
    // 100,000 events).
    let batches: Vec<String> = (0..100).map(|b| batch("big", b * 1000, 1000)).collect();
    let ingest_s = post_batches(addr, &batches, 1);

    // The draft of an account with 100,000 events.
    let mut drafts = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let body = ok(request(
            addr,
            "GET",
            "/api/v1/accounts/big/invoices/draft?period=2026-01",
            Some(TOKEN),
            b"",
        )
        .expect("draft"));
        drafts.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(body.contains("\"totals\""));
    }
    drafts.sort_by(f64::total_cmp);
    (ingest_s, drafts[2])
}

/// Posts the batches with `clients` clients side by side, each its share in turn: seconds.
fn post_batches(addr: SocketAddr, batches: &[String], clients: usize) -> f64 {
    let t = Instant::now();
    std::thread::scope(|s| {
        for c in 0..clients {
            s.spawn(move || {
                for b in batches.iter().skip(c).step_by(clients) {
                    ok(
                        request(addr, "POST", "/api/v1/events", Some(TOKEN), b.as_bytes())
                            .expect("ingest"),
                    );
                }
            });
        }
    });
    t.elapsed().as_secs_f64()
}

/// Ingestion by several producers at once, as a provider's meters send: 200 batches of 1,000
/// events of 4 accounts, posted by `RATECARD_BENCH_CLIENTS` clients side by side (4 unless
/// told), three times (new accounts each time): the median, in events per second.
fn ingest_side_by_side(addr: SocketAddr) -> f64 {
    let clients: usize = std::env::var("RATECARD_BENCH_CLIENTS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(4)
        .clamp(1, 64);
    let mut runs: Vec<f64> = (0..3)
        .map(|run| {
            let batches: Vec<String> = (0..200)
                .map(|b| batch(&format!("wide-{run}-{}", b % 4), (b / 4) * 1000, 1000))
                .collect();
            let r = 200_000.0 / post_batches(addr, &batches, clients);
            eprintln!("side by side, run {run}: {r:.0} events/s");
            r
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[1]
}

/// The estimate endpoint under 100 concurrent clients, 40 requests each: p50 and p99 in ms,
/// the requests, and requests per second.
fn estimates_under_load(addr: SocketAddr) -> (f64, f64, usize, f64) {
    let req = br#"{"month":"2026-01","region":"gra","items":[{"sku":"b2-15","count":2,"uptime":{"percent":"50"}},{"sku":"classic-volume","gb":"250"},{"sku":"object-storage","gb":"100","egress_gb":"500"}]}"#;
    let t = Instant::now();
    let clients: Vec<_> = (0..100)
        .map(|_| {
            std::thread::spawn(move || {
                (0..40)
                    .map(|_| {
                        let t = Instant::now();
                        let (st, _) = request(addr, "POST", "/api/v1/estimates", None, req)
                            .expect("estimate");
                        assert_eq!(st, 200);
                        t.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect::<Vec<f64>>()
            })
        })
        .collect();
    let mut lat: Vec<f64> = clients
        .into_iter()
        .flat_map(|c| c.join().expect("client"))
        .collect();
    let wall = t.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    (pct(0.50), pct(0.99), lat.len(), lat.len() as f64 / wall)
}

/// The process's peak resident size so far, in MiB (`VmHWM`).
fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The most expensive estimate requests the limits allow (5,000 resources in all): the name of
/// the slowest, its median time over 5 runs, the memory it took, and its answer's size.
fn worst_case(addr: SocketAddr) -> (String, f64, f64, usize) {
    let regions = ["gra", "sbg", "de1"];
    let instances: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                r#"{{"sku":"{}","region":"{}","count":5,"plan":"{}","uptime":{{"hours":"{}"}}}}"#,
                ["b2-7", "b2-15", "b2-30"][i % 3],
                regions[(i / 3) % 3],
                if i % 2 == 0 { "hourly" } else { "monthly" },
                1 + i % 744
            )
        })
        .collect();
    let storage: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                r#"{{"sku":"{}","region":"{}","count":5,"gb":"1000000000000"}}"#,
                ["classic-volume", "high-speed-volume", "object-storage"][i % 3],
                regions[i % 3]
            )
        })
        .collect();
    let candidates = [
        (
            "one item of 5,000 instances, monthly plan compared",
            r#"[{"sku":"b2-15","count":5000,"plan":"monthly","uptime":{"percent":"50"}}]"#.to_string(),
        ),
        (
            "one item of 5,000 volumes of 10^12 GB",
            r#"[{"sku":"high-speed-volume","count":5000,"gb":"1000000000000"}]"#.to_string(),
        ),
        (
            "5,000 object stores of 10^12 GB with 10^12 GB of egress",
            r#"[{"sku":"object-storage","count":5000,"gb":"1000000000000","egress_gb":"1000000000000"}]"#.to_string(),
        ),
        ("1,000 instance items of 5, plans compared", format!("[{}]", instances.join(","))),
        ("1,000 storage items of 5", format!("[{}]", storage.join(","))),
    ];
    let mut worst = (String::new(), 0.0, 0.0, 0);
    for (name, items) in candidates {
        let body = format!(r#"{{"month":"2026-01","region":"gra","items":{items}}}"#);
        let before = peak_mib();
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let (st, answer) = request(addr, "POST", "/api/v1/estimates", None, body.as_bytes())
                .expect("estimate");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(st, 200, "{name}: {}", &answer[..answer.len().min(300)]);
            size = answer.len();
        }
        let grew = peak_mib() - before;
        times.sort_by(f64::total_cmp);
        if times[2] > worst.1 {
            worst = (name.to_string(), times[2], grew.max(worst.2), size);
        } else {
            worst.2 = worst.2.max(grew);
        }
    }
    worst
}
