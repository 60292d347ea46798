//! The HTTP service end to end, on loopback: errors, idempotent ingestion, numbering under
//! concurrency, corrections, the audit chain, and an ingestion killed with SIGKILL.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ratecard_server::{api, ledger};
use serde_json::Value;

const TOKEN: &str = "test-token-7f3a";

fn db_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ratecard-api-{}-{name}.sqlite", std::process::id()))
}

/// A fresh ledger path (any earlier file removed).
fn temp_db(name: &str) -> PathBuf {
    let p = db_path(name);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
    }
    p
}

fn book() -> ratecard::PriceBook {
    ratecard::PriceBook::single(
        ratecard::Catalog::from_json(include_str!("../../catalog/stratus-2026-01.json")).unwrap(),
    )
}

/// The database under a test, reached around the service: SQLite by default, PostgreSQL when
/// `RATECARD_TEST_POSTGRES` names a server (`cargo xtask test` runs this file both ways).
enum Raw {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Raw {
    fn is_postgres(&self) -> bool {
        matches!(self, Raw::Postgres(_))
    }

    /// Runs statements; the database's error, if it refuses.
    fn exec(&self, sql: &str) -> Result<(), String> {
        match self {
            Raw::Sqlite(p) => rusqlite::Connection::open(p)
                .and_then(|c| c.execute_batch(sql))
                .map_err(|e| e.to_string()),
            Raw::Postgres(url) => postgres::Client::connect(url, postgres::NoTls)
                .and_then(|mut c| c.batch_execute(sql))
                .map_err(|e| match e.as_db_error() {
                    Some(db) => db.message().to_string(),
                    None => e.to_string(),
                }),
        }
    }

    /// A query's one integer.
    fn count(&self, sql: &str) -> i64 {
        match self {
            Raw::Sqlite(p) => rusqlite::Connection::open(p)
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .unwrap(),
            Raw::Postgres(url) => postgres::Client::connect(url, postgres::NoTls)
                .unwrap()
                .query_one(sql, &[])
                .unwrap()
                .get(0),
        }
    }

    /// A query's one text.
    fn text(&self, sql: &str) -> String {
        match self {
            Raw::Sqlite(p) => rusqlite::Connection::open(p)
                .unwrap()
                .query_row(sql, [], |r| r.get(0))
                .unwrap(),
            Raw::Postgres(url) => postgres::Client::connect(url, postgres::NoTls)
                .unwrap()
                .query_one(sql, &[])
                .unwrap()
                .get(0),
        }
    }
}

/// A fresh ledger of the store under test.
fn fresh(name: &str) -> (Arc<dyn ledger::Store>, Raw) {
    match std::env::var("RATECARD_TEST_POSTGRES") {
        Ok(base) => {
            let url = ledger::postgres::fresh_database(&base, &format!("api_{name}")).unwrap();
            let key =
                ratecard_server::audit::AuditKey::from_bytes(b"api-test-key-0123456789abcdef")
                    .unwrap();
            (
                Arc::new(ledger::PgLedger::connect(&url, key).unwrap()),
                Raw::Postgres(url),
            )
        }
        Err(_) => (
            Arc::new(ledger::SqliteLedger::open(&temp_db(name)).unwrap()),
            Raw::Sqlite(db_path(name)),
        ),
    }
}

/// Starts the service in this process on a free loopback port.
fn start(name: &str, token: Option<&str>) -> (SocketAddr, Arc<dyn ledger::Store>) {
    let (addr, ledger, _) = start_raw(name, token);
    (addr, ledger)
}

/// Starts the service, and gives the way around it too.
fn start_raw(name: &str, token: Option<&str>) -> (SocketAddr, Arc<dyn ledger::Store>, Raw) {
    let (ledger, raw) = fresh(name);
    let state = state_of(ledger.clone(), token);
    (serve(Arc::new(state)), ledger, raw)
}

/// Serves `state` in this process on a free loopback port.
fn serve(state: api::Shared) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            axum::serve(l, api::router_with(state)).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// The service's state over `ledger`, priced with the sample price list.
fn state_of(ledger: Arc<dyn ledger::Store>, token: Option<&str>) -> api::AppState {
    let mut catalogs = std::collections::BTreeMap::new();
    catalogs.insert("stratus".to_string(), book());
    api::AppState {
        ledger,
        book: book(),
        catalogs,
        token: token.map(String::from),
        seller: serde_json::from_str(
            r#"{"name":"Ratecard Cloud SAS","vat_number":"FR40303265045","siren":"303265045"}"#,
        )
        .unwrap(),
        vat: ratecard::vat::VatTable::builtin(),
        fx: ratecard::fx::FxRates::sample().unwrap(),
        dist: None,
        work: Default::default(),
        webhook: None,
        rating_key: Default::default(),
    }
}

fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    ratecard_server::client::request(addr, method, path, token, body).expect("request")
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn setup_account(addr: SocketAddr, account: &str) {
    let (st, b) = http(
        addr,
        "PUT",
        &format!("/api/v1/accounts/{account}/customer"),
        Some(TOKEN),
        br#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    );
    assert_eq!(st, 200, "{b}");
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        common::events(account, 0, 20).as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
}

#[test]
fn health_openapi_and_estimates_are_public() {
    let (addr, _) = start("public", Some(TOKEN));
    let (st, b) = http(addr, "GET", "/api/v1/health", None, b"");
    assert_eq!((st, json_of(&b)["status"].as_str()), (200, Some("ok")));
    let (st, b) = http(addr, "GET", "/api/openapi.json", None, b"");
    assert_eq!(st, 200);
    let doc = json_of(&b);
    for r in api::ROUTES {
        assert!(
            doc["paths"][r.path][r.method].is_object(),
            "{} {} missing from the OpenAPI document",
            r.method,
            r.path
        );
    }
    // Every route that declares the token refuses a request without one, before any work.
    for r in api::ROUTES.iter().filter(|r| r.scope != api::Scope::Public) {
        let path = r
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "1" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        let (st, b) = http(addr, &r.method.to_ascii_uppercase(), &path, None, b"");
        assert_eq!(
            (st, json_of(&b)["code"].as_str()),
            (401, Some("unauthorized")),
            "{} {path}: {b}",
            r.method
        );
    }
    let (st, b) = http(addr, "POST", "/api/v1/estimates", None, br#"{"month":"2026-01","region":"gra","items":[{"sku":"b2-15","uptime":{"percent":"50"}}]}"#);
    assert_eq!(
        (st, json_of(&b)["total"].as_str()),
        (200, Some("41.29")),
        "{b}"
    );
    // Every way to pay for two b2-30 all January: on demand, the monthly plans, then the
    // savings plans at the commitment the usage uses in full (2 x 0.1776 = 0.3552, to 0.355).
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/estimates/options",
        None,
        br#"{"month":"2026-01","region":"gra","items":[{"sku":"b2-30","count":2}]}"#,
    );
    let o = json_of(&b);
    assert_eq!(st, 200, "{b}");
    let got: Vec<(&str, &str, &str)> = o["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["option"].as_str().unwrap_or(""),
                x["sku"].as_str().unwrap_or(""),
                x["monthly"].as_str().unwrap_or(""),
            )
        })
        .take(3)
        .collect();
    assert_eq!(
        got,
        [
            ("on_demand", "", "330.34"),
            ("monthly_plans", "", "160.00"),
            ("savings_plan", "savings-1y", "264.30"),
        ],
        "{b}"
    );
    assert_eq!(o["options"][2]["commitment"], "0.355", "{b}");
    assert_eq!(o["options"][2]["break_even_utilisation"], "80", "{b}");
    let (st, b) = http(addr, "GET", "/api/v1/catalogs", None, b"");
    assert_eq!((st, json_of(&b)[0]["id"].as_str()), (200, Some("stratus")));
}

#[test]
fn documented_errors() {
    let (addr, _) = start("errors", Some(TOKEN));
    let code =
        |(st, b): (u16, String)| (st, json_of(&b)["code"].as_str().unwrap_or("").to_string());
    assert_eq!(
        code(http(addr, "POST", "/api/v1/estimates", None, b"{not json")),
        (400, "invalid_json".into())
    );
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/estimates",
        None,
        br#"{"month":"2026-01","items":[],"colour":"red"}"#,
    );
    assert_eq!(
        (st, json_of(&b)["code"].as_str()),
        (400, Some("invalid_request"))
    );
    assert!(
        json_of(&b)["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`"),
        "{b}"
    );
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/estimates",
        None,
        br#"{"month":"2026-01","region":"gra","items":[{"sku":"b9-99"}]}"#,
    );
    assert_eq!(
        (st, json_of(&b)["code"].as_str()),
        (422, Some("unprocessable"))
    );
    let big = vec![b' '; api::BODY_LIMIT + 1024];
    assert_eq!(
        code(http(addr, "POST", "/api/v1/events", Some(TOKEN), &big)),
        (413, "too_large".into())
    );
    assert_eq!(
        code(http(addr, "POST", "/api/v1/events", None, b"[]")),
        (401, "unauthorized".into())
    );
    assert_eq!(
        code(http(addr, "POST", "/api/v1/events", Some("nope"), b"[]")),
        (403, "forbidden".into())
    );
    assert_eq!(
        code(http(
            addr,
            "GET",
            "/api/v1/invoices/INV-2026-999999",
            Some(TOKEN),
            b""
        )),
        (404, "not_found".into())
    );
    assert_eq!(
        code(http(addr, "GET", "/api/v1/nothing", None, b"")),
        (404, "not_found".into())
    );
    let (addr, _) = start("no-token", None);
    assert_eq!(
        code(http(
            addr,
            "POST",
            "/api/v1/events",
            Some("anything"),
            b"[]"
        )),
        (503, "no_token_configured".into())
    );
}

#[test]
fn ingestion_is_idempotent_and_keeps_rejects() {
    let (addr, ledger) = start("ingest", Some(TOKEN));
    let batch = common::events("acme", 0, 10);
    let (_, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        batch.as_bytes(),
    );
    assert_eq!(
        (
            json_of(&b)["accepted"].as_u64(),
            json_of(&b)["duplicate"].as_u64()
        ),
        (Some(10), Some(0)),
        "{b}"
    );
    let (_, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        batch.as_bytes(),
    );
    assert_eq!(
        (
            json_of(&b)["accepted"].as_u64(),
            json_of(&b)["duplicate"].as_u64()
        ),
        (Some(0), Some(10)),
        "{b}"
    );
    let bad = concat!(
        r#"{"id":"acme-0","account":"acme","resource":"vm-0","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-09T00:00:00Z"}"#,
        "\n",
        r#"{"id":"x1","account":"acme","resource":"vm-9","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-09T00:00:00"}"#,
        "\n",
        r#"{"id":"x2","account":"acme","resource":"vm-9","sku":"zz-99","region":"gra","kind":"start","at":"2026-01-09T00:00:00Z"}"#
    );
    let (st, b) = http(addr, "POST", "/api/v1/events", Some(TOKEN), bad.as_bytes());
    let v = json_of(&b);
    assert_eq!(
        (st, v["accepted"].as_u64(), v["rejected"].as_u64()),
        (200, Some(0), Some(3)),
        "{b}"
    );
    let reasons: Vec<&str> = v["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("no UTC offset")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("unknown sku `zz-99`")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("stored before with other content")),
        "{reasons:?}"
    );
    assert_eq!(ledger.event_count().unwrap(), 10);
}

/// An id is its account's own: two accounts' events with one id in one batch are two events,
/// as they are in two batches.
#[test]
fn one_id_in_two_accounts_in_one_batch_is_two_events() {
    let (addr, ledger) = start("one-id-two-accounts", Some(TOKEN));
    let batch = concat!(
        r#"{"id":"e1","account":"a","resource":"vm","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-09T00:00:00Z"}"#,
        "\n",
        r#"{"id":"e1","account":"b","resource":"vm","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-10T00:00:00Z"}"#
    );
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        batch.as_bytes(),
    );
    let v = json_of(&b);
    assert_eq!(
        (st, v["accepted"].as_u64(), v["rejected"].as_u64()),
        (200, Some(2), Some(0)),
        "{b}"
    );
    assert_eq!(ledger.event_count().unwrap(), 2);
}

/// An event whose id holds a NUL, or whose resource is 10 KB long, is one reject: on
/// PostgreSQL either made the whole batch a 500 that no retry could pass.
#[test]
fn an_event_no_ledger_could_store_is_one_reject_and_the_batch_goes_in() {
    let (addr, ledger) = start("unstorable-event", Some(TOKEN));
    let long = "r".repeat(10_000);
    let nul = r#"{"id":"x\u0000y","account":"acme","resource":"vm","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-09T00:00:00Z"}"#;
    let tall = format!(
        r#"{{"id":"long","account":"acme","resource":"{long}","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-09T00:00:00Z"}}"#
    );
    let batch = format!("{}\n{nul}\n{tall}", common::events("acme", 0, 4));
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        batch.as_bytes(),
    );
    let v = json_of(&b);
    assert_eq!(
        (st, v["accepted"].as_u64(), v["rejected"].as_u64()),
        (200, Some(4), Some(2)),
        "{b}"
    );
    let fields: Vec<&str> = v["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["id", "resource"], "{b}");
    assert_eq!(ledger.event_count().unwrap(), 4);
}

/// Events accepted under one price list, finalized by a service started with another that does
/// not sell them: the invoice is refused, naming the rejects, where it was issued at 0.00 (the
/// usage left off without a word).
#[test]
fn a_final_invoice_that_would_leave_stored_usage_off_is_refused() {
    let (addr, ledger) = start("other-price-list", Some(TOKEN));
    setup_account(addr, "acme");
    let mut state = state_of(ledger.clone(), Some(TOKEN));
    state.book = ratecard::PriceBook::single(
        ratecard::Catalog::from_json(include_str!("../../catalog/nimbus-2026-01.json")).unwrap(),
    );
    let other = serve(std::sync::Arc::new(state));
    let (st, v) = post(
        other,
        "/api/v1/accounts/acme/invoices",
        None,
        br#"{"period":"2026-01","issue_date":"2026-02-02"}"#,
    );
    assert_eq!(
        (st, v["code"].as_str()),
        (422, Some("unprocessable")),
        "{v}"
    );
    let said = v["message"].as_str().unwrap();
    assert!(
        said.contains("the price list `nimbus` rejects 20 of the stored events"),
        "{said}"
    );
    // Nothing was issued: the right price list still makes the one invoice.
    let (st, v) = post(
        addr,
        "/api/v1/accounts/acme/invoices",
        None,
        br#"{"period":"2026-01","issue_date":"2026-02-02"}"#,
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["number"].as_str(), Some("INV-2026-000001"), "{v}");
}

/// A resource with more events than a page shows: the latest are kept, the period's own
/// (the oldest were kept, so a resource of many months showed none of the month asked).
#[test]
fn an_events_page_keeps_the_latest() {
    let (addr, _) = start("events-page", Some(TOKEN));
    let n = ratecard_server::api::costs::MAX_EVENTS + 6;
    let batch = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":"s{i}","account":"acme","resource":"disk","sku":"classic-volume","region":"gra","kind":"sample","quantity":"{}","at":"2026-01-{:02}T{:02}:{:02}:00Z"}}"#,
                10 + i % 7,
                1 + i / 1440,
                i / 60 % 24,
                i % 60
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        batch.as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/accounts/acme/events?period=2026-01&resource=disk",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200, "{b}");
    let v = json_of(&b);
    let events = v["events"].as_array().unwrap();
    assert_eq!(
        (v["total"].as_u64(), v["truncated"].as_bool()),
        (Some(n as u64), Some(true))
    );
    assert_eq!(events.len(), n - 6);
    let last = format!("s{}", n - 1);
    assert_eq!(
        events.last().unwrap()["id"].as_str(),
        Some(last.as_str()),
        "the latest is shown"
    );
    assert_eq!(
        events[0]["id"].as_str(),
        Some("s6"),
        "the six oldest are left out"
    );
}

/// A customer's country in the wrong case, or a VAT prefix for a country, would read as a
/// country outside the EU and be invoiced at 0 %: it is refused, and nothing is stored.
#[test]
fn a_customer_country_that_is_no_iso_code_is_refused() {
    let (addr, _) = start("customer-country", Some(TOKEN));
    for (country, said) in [
        (
            "fr",
            "`fr` is not an ISO 3166 country code (write it in capitals)",
        ),
        ("EL", "its country code is GR"),
    ] {
        let body = format!(r#"{{"name":"Dupont","country":"{country}","kind":"consumer"}}"#);
        let (st, b) = http(
            addr,
            "PUT",
            "/api/v1/accounts/dupont/customer",
            Some(TOKEN),
            body.as_bytes(),
        );
        assert_eq!(st, 400, "{b}");
        assert!(
            json_of(&b)["message"].as_str().unwrap().contains(said),
            "{b}"
        );
    }
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/accounts/dupont/customer",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 404, "{b}");
}

/// A finalize or a re-rate dated after tomorrow is refused: a series' dates never go back, so
/// one invoice dated 9999-12-31 would refuse every later invoice of its series.
#[test]
fn an_issue_date_after_tomorrow_is_refused_and_the_series_goes_on() {
    let (addr, ledger) = start("future-issue-date", Some(TOKEN));
    setup_account(addr, "acme");
    let (st, v) = post(
        addr,
        "/api/v1/accounts/acme/invoices",
        None,
        br#"{"period":"2026-01","issue_date":"9999-12-31"}"#,
    );
    assert_eq!(
        (st, v["code"].as_str()),
        (422, Some("issue_date_in_future")),
        "{v}"
    );
    let (st, v) = post(
        addr,
        "/api/v1/accounts/acme/invoices",
        None,
        br#"{"period":"2026-01","issue_date":"2026-02-02"}"#,
    );
    assert_eq!(st, 201, "{v}");
    let number = v["number"].as_str().unwrap().to_string();
    let (st, v) = post(
        addr,
        &format!("/api/v1/invoices/{number}/rerate"),
        None,
        br#"{"issue_date":"9999-12-31"}"#,
    );
    assert_eq!(
        (st, v["code"].as_str()),
        (422, Some("issue_date_in_future")),
        "{v}"
    );
    assert!(ledger.verify_audit().unwrap().ok);
}

#[test]
fn fifty_concurrent_finalizations_get_fifty_gapless_numbers() {
    let (addr, ledger) = start("numbers", Some(TOKEN));
    for i in 0..50 {
        setup_account(addr, &format!("acct-{i:02}"));
    }
    let handles: Vec<_> = (0..50)
        .map(|i| {
            std::thread::spawn(move || {
                let (st, b) = http(
                    addr,
                    "POST",
                    &format!("/api/v1/accounts/acct-{i:02}/invoices"),
                    Some(TOKEN),
                    br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
                );
                assert_eq!(st, 201, "{b}");
                json_of(&b)["number"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let numbers: BTreeSet<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let expected: BTreeSet<String> = (1..=50).map(|n| format!("INV-2026-{n:06}")).collect();
    assert_eq!(numbers, expected);
    // A period is finalized once: asking again gives the same invoice back (200).
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/accounts/acct-07/invoices",
        Some(TOKEN),
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(st, 200, "{b}");
    assert!(numbers.contains(json_of(&b)["number"].as_str().unwrap()));
    assert!(ledger.verify_audit().unwrap().ok);
}

/// Account `acme`, a French business, with one b2-15 started on 4 January and never stopped.
fn acme_with_a_running_b2_15(addr: SocketAddr) {
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/accounts/acme/customer",
        Some(TOKEN),
        br#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    );
    assert_eq!(st, 200, "{b}");
    let start_ev = r#"{"id":"g1","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-04T09:40:00Z"}"#;
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        start_ev.as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
}

fn post(addr: SocketAddr, path: &str, key: Option<&str>, body: &[u8]) -> (u16, Value) {
    let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
    let (st, b) =
        ratecard_server::client::request_with(addr, "POST", path, Some(TOKEN), &headers, body)
            .expect("request");
    (st, json_of(&b))
}

/// Fifty finalizations of one account and period at once: one invoice, one number, 1 x 201
/// and 49 x 200, and one row in the ledger.
#[test]
fn fifty_concurrent_finalizations_of_one_period_make_one_invoice() {
    let (addr, _, raw) = start_raw("one-period", Some(TOKEN));
    setup_account(addr, "acme");
    let handles: Vec<_> = (0..50)
        .map(|_| {
            std::thread::spawn(move || {
                post(
                    addr,
                    "/api/v1/accounts/acme/invoices",
                    None,
                    br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
                )
            })
        })
        .collect();
    let answers: Vec<(u16, Value)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let created = answers.iter().filter(|(st, _)| *st == 201).count();
    let found = answers.iter().filter(|(st, _)| *st == 200).count();
    assert_eq!((created, found), (1, 49), "{answers:?}");
    let numbers: BTreeSet<&str> = answers
        .iter()
        .filter_map(|(_, v)| v["number"].as_str())
        .collect();
    assert_eq!(numbers, BTreeSet::from(["INV-2026-000001"]));
    assert_eq!(raw.count("SELECT COUNT(*) FROM documents"), 1);
}

/// Re-rating twice, or eight times at once, issues one credit note; a retry with the same
/// Idempotency-Key gets the same answer; the same key with another body is refused.
#[test]
fn rerating_is_idempotent_and_concurrent_rerates_issue_one_document() {
    let (addr, _, raw) = start_raw("rerate-once", Some(TOKEN));
    acme_with_a_running_b2_15(addr);
    let (st, inv) = post(
        addr,
        "/api/v1/accounts/acme/invoices",
        Some("fin-1"),
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(st, 201, "{inv}");
    let number = inv["number"].as_str().unwrap().to_string();
    // The same key and body: the same answer, 201 again, no second invoice.
    let (st, again) = post(
        addr,
        "/api/v1/accounts/acme/invoices",
        Some("fin-1"),
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!((st, &again), (201, &inv));
    let late = r#"{"id":"g2","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-12T16:30:00Z"}"#;
    http(addr, "POST", "/api/v1/events", Some(TOKEN), late.as_bytes());
    let path = format!("/api/v1/invoices/{number}/rerate");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || post(addr, &path, None, br#"{"issue_date":"2026-02-10"}"#))
        })
        .collect();
    let answers: Vec<(u16, Value)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let notes: Vec<&str> = answers
        .iter()
        .filter_map(|(_, v)| v["credit_note"]["number"].as_str())
        .collect();
    assert_eq!(notes, vec!["CN-2026-000001"], "{answers:?}");
    assert_eq!(
        answers
            .iter()
            .filter(|(st, v)| *st == 200 && v["unchanged"] == true)
            .count(),
        7
    );
    // Once more, with a key: nothing new, so nothing issued; the retry answers the same.
    let (st, a) = post(addr, &path, Some("rr-1"), br#"{"issue_date":"2026-02-11"}"#);
    assert_eq!((st, &a["unchanged"]), (200, &Value::Bool(true)), "{a}");
    let (st, b) = post(addr, &path, Some("rr-1"), br#"{"issue_date":"2026-02-11"}"#);
    assert_eq!((st, &b), (200, &a));
    let (st, c) = post(addr, &path, Some("rr-1"), br#"{"issue_date":"2026-02-12"}"#);
    assert_eq!((st, c["code"].as_str()), (409, Some("conflict")), "{c}");
    // The stored outcome of a key cannot be rewritten, an insert over it included.
    let e = raw
        .exec(if raw.is_postgres() {
            "INSERT INTO idempotency SELECT key, request, status, '[\"INV-2026-000009\"]', at FROM idempotency ON CONFLICT (key) DO UPDATE SET numbers = EXCLUDED.numbers"
        } else {
            "INSERT OR REPLACE INTO idempotency SELECT key, request, status, '[\"INV-2026-000009\"]', at FROM idempotency"
        })
        .unwrap_err();
    assert!(e.contains("idempotency keys are kept"), "{e}");
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM documents WHERE kind = 'credit_note'"),
        1
    );
}

/// Corrections are read back in the order they were stored: a line raised by a supplementary
/// invoice, then lowered by a credit note on the same day, is not credited again by a third
/// re-rate with nothing new. And a correction is not dated before the invoice.
#[test]
fn corrections_replay_in_the_order_they_were_issued() {
    let (addr, _) = start("order-of-corrections", Some(TOKEN));
    acme_with_a_running_b2_15(addr);
    let (st, inv) = post(
        addr,
        "/api/v1/accounts/acme/invoices",
        None,
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(st, 201, "{inv}");
    let path = format!(
        "/api/v1/invoices/{}/rerate",
        inv["number"].as_str().unwrap()
    );
    let send = |e: &str| {
        let (st, b) = http(addr, "POST", "/api/v1/events", Some(TOKEN), e.as_bytes());
        assert_eq!(st, 200, "{b}");
    };
    // Up: a second instance, created on the 20th and left running.
    send(
        r#"{"id":"b1","account":"acme","resource":"b2-15-b","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-20T00:00:00Z"}"#,
    );
    let (st, up) = post(addr, &path, None, br#"{"issue_date":"2026-02-10"}"#);
    assert!(st == 200 && up["supplementary_invoice"].is_object(), "{up}");
    // Down, the same day: it was deleted on the 25th.
    send(
        r#"{"id":"b2","account":"acme","resource":"b2-15-b","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-25T00:00:00Z"}"#,
    );
    let (st, down) = post(addr, &path, None, br#"{"issue_date":"2026-02-10"}"#);
    assert!(st == 200 && down["credit_note"].is_object(), "{down}");
    // Nothing new: nothing issued (read in date and series order, the credit note would come
    // first and the instance would look still running, to be credited again).
    let (st, same) = post(addr, &path, None, br#"{"issue_date":"2026-02-10"}"#);
    assert_eq!(
        (st, &same["unchanged"]),
        (200, &Value::Bool(true)),
        "{same}"
    );
    // A correction dated before the last one is refused.
    send(
        r#"{"id":"b3","account":"acme","resource":"b2-15-c","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-28T00:00:00Z"}"#,
    );
    let (st, early) = post(addr, &path, None, br#"{"issue_date":"2026-02-05"}"#);
    assert_eq!(st, 422, "{early}");
    assert!(
        early["message"]
            .as_str()
            .unwrap_or("")
            .contains("issued on or after 2026-02-10"),
        "{early}"
    );
}

/// An invoice without lines can still be corrected: the account comes from the ledger row.
#[test]
fn an_empty_invoice_is_corrected_by_a_supplementary_invoice() {
    let (addr, _) = start("empty", Some(TOKEN));
    http(
        addr,
        "PUT",
        "/api/v1/accounts/quiet/customer",
        Some(TOKEN),
        br#"{"name":"Quiet SAS","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    );
    let (st, inv) = post(
        addr,
        "/api/v1/accounts/quiet/invoices",
        None,
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(
        (st, inv["totals"]["net"].as_str()),
        (201, Some("0.00")),
        "{inv}"
    );
    let late = r#"{"id":"q1","account":"quiet","resource":"vm","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-31T22:00:00Z"}"#;
    http(addr, "POST", "/api/v1/events", Some(TOKEN), late.as_bytes());
    let number = inv["number"].as_str().unwrap();
    let (st, c) = post(
        addr,
        &format!("/api/v1/invoices/{number}/rerate"),
        None,
        br#"{"issue_date":"2026-02-10"}"#,
    );
    assert_eq!(st, 200, "{c}");
    // 2 clock hours x 0.111 = 0.22
    assert_eq!(c["supplementary_invoice"]["totals"]["net"], "0.22", "{c}");
}

/// The legal order of documents: issue dates never go backwards in a series, an invoice is
/// issued after its period, and a period that has not ended cannot be finalized.
#[test]
fn documents_keep_their_legal_order() {
    let (addr, _) = start("order", Some(TOKEN));
    setup_account(addr, "a");
    setup_account(addr, "b");
    let (st, v) = post(
        addr,
        "/api/v1/accounts/a/invoices",
        None,
        br#"{"period":"2026-01","issue_date":"2026-02-05"}"#,
    );
    assert_eq!(st, 201, "{v}");
    for (body, status, code) in [
        (
            &br#"{"period":"2026-01","issue_date":"2026-02-01"}"#[..],
            422,
            "issue_date_out_of_order",
        ),
        (
            br#"{"period":"2026-01","issue_date":"2026-01-20"}"#,
            422,
            "issue_date_before_period_end",
        ),
        (br#"{"period":"2099-01"}"#, 422, "period_not_ended"),
        (
            br#"{"period":"2026-01","issue_date":"2026-2-1"}"#,
            400,
            "invalid_request",
        ),
    ] {
        let (st, v) = post(addr, "/api/v1/accounts/b/invoices", None, body);
        assert_eq!((st, v["code"].as_str()), (status, Some(code)), "{v}");
    }
}

/// Rewrites of what is final are refused by the database itself, INSERT OR REPLACE included.
#[test]
fn the_database_refuses_rewrites_of_final_documents_events_and_audit() {
    let (addr, ledger, raw) = start_raw("rewrite", Some(TOKEN));
    setup_account(addr, "acme");
    let (st, _) = post(
        addr,
        "/api/v1/accounts/acme/invoices",
        None,
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(st, 201);
    // An insert over an existing row is each database's own syntax; the rest is common.
    let rewrites: Vec<&str> = if raw.is_postgres() {
        vec![
            "INSERT INTO documents (number, series, year, seq, kind, account, period, body, corrects, issue_date) SELECT number, series, year, seq, kind, account, period, 'x', corrects, issue_date FROM documents ON CONFLICT (number) DO UPDATE SET body = EXCLUDED.body",
            "INSERT INTO audit SELECT seq, at, action, subject, 'forged', prev_hash, hash FROM audit ON CONFLICT (seq) DO UPDATE SET detail = EXCLUDED.detail",
            "TRUNCATE documents",
            "TRUNCATE events",
            "TRUNCATE events_p0",
            "TRUNCATE events_p7",
            "TRUNCATE audit",
        ]
    } else {
        vec![
            "INSERT OR REPLACE INTO documents (number, series, year, seq, kind, account, period, body, corrects, issue_date) SELECT number, series, year, seq, kind, account, period, replace(body, '\"gross\":\"', '\"gross\":\"1'), corrects, issue_date FROM documents",
            "INSERT OR REPLACE INTO audit SELECT seq, at, action, subject, 'forged', prev_hash, hash FROM audit",
        ]
    };
    for sql in rewrites.into_iter().chain([
        "UPDATE documents SET body = 'x'",
        "DELETE FROM documents",
        "UPDATE events SET body = 'x'",
        "DELETE FROM events",
        "DELETE FROM audit",
    ]) {
        let e = raw.exec(sql).expect_err(sql);
        // Refused by the ledger's own rules, not by a mistake in the statement.
        assert!(
            ["immutable", "kept", "append-only"]
                .iter()
                .any(|w| e.contains(w)),
            "{sql}: {e}"
        );
    }
    // Someone who lifts the guards can edit a document; verification finds it.
    let edit = "UPDATE documents SET body = replace(body, '\"gross\":\"', '\"gross\":\"1')";
    if raw.is_postgres() {
        raw.exec(&format!("SET session_replication_role = replica; {edit}"))
            .unwrap();
    } else {
        raw.exec(&format!("DROP TRIGGER documents_immutable; {edit}"))
            .unwrap();
    }
    let r = ledger.verify_audit().unwrap();
    assert!(
        !r.ok
            && r.problems
                .iter()
                .any(|p| p.contains("INV-2026-000001 was changed")),
        "{r:?}"
    );
    // An insert over an event is ignored: the stored body stays.
    let first = "SELECT body FROM events ORDER BY account, id LIMIT 1";
    let before = raw.text(first);
    raw.exec(if raw.is_postgres() {
        "INSERT INTO events SELECT account, id, at, 'forged', batch FROM events ON CONFLICT DO NOTHING"
    } else {
        "INSERT OR REPLACE INTO events SELECT account, id, at, 'forged', batch FROM events"
    })
    .unwrap();
    assert_eq!(before, raw.text(first));
}

/// Every error is JSON with a stable code, the framework's too.
#[test]
fn framework_errors_are_json() {
    let (addr, _) = start("json-errors", Some(TOKEN));
    for (method, path, body, status, code) in [
        (
            "DELETE",
            "/api/v1/health",
            &b""[..],
            405,
            "method_not_allowed",
        ),
        (
            "GET",
            "/api/v1/costs?lines=maybe",
            &b""[..],
            400,
            "invalid_request",
        ),
        ("GET", "/api/v1/nothing", &b""[..], 404, "not_found"),
        ("POST", "/api/v1/estimates", &b"{"[..], 400, "invalid_json"),
    ] {
        let (st, b) = http(addr, method, path, Some(TOKEN), body);
        let v = json_of(&b);
        assert_eq!(
            (st, v["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {b}"
        );
    }
    // The request that aborted the release server: a 422 naming the item and field.
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/estimates",
        None,
        br#"{"month":"2026-01","region":"gra","items":[{"sku":"high-speed-volume","count":10000,"gb":"106000000000000000000000000"}]}"#,
    );
    assert_eq!(st, 422, "{b}");
    assert!(
        json_of(&b)["message"]
            .as_str()
            .unwrap()
            .contains("items[0].count"),
        "{b}"
    );
}

#[test]
fn a_late_event_gives_a_credit_note_and_the_invoice_stays_byte_identical() {
    let (addr, ledger) = start("late", Some(TOKEN));
    acme_with_a_running_b2_15(addr);
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/accounts/acme/invoices",
        Some(TOKEN),
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(st, 201, "{b}");
    let number = json_of(&b)["number"].as_str().unwrap().to_string();
    assert_eq!(json_of(&b)["totals"]["net"], "73.59"); // 663 clock hours x 0.111
    let (_, before) = http(
        addr,
        "GET",
        &format!("/api/v1/invoices/{number}"),
        Some(TOKEN),
        b"",
    );
    let late = r#"{"id":"g2","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-12T16:30:00Z"}"#;
    http(addr, "POST", "/api/v1/events", Some(TOKEN), late.as_bytes());
    let (st, b) = http(
        addr,
        "POST",
        &format!("/api/v1/invoices/{number}/rerate"),
        Some(TOKEN),
        br#"{"issue_date":"2026-02-10"}"#,
    );
    assert_eq!(st, 200, "{b}");
    let cn = &json_of(&b)["credit_note"];
    assert_eq!(
        (
            cn["number"].as_str(),
            cn["totals"]["net"].as_str(),
            cn["references"]["number"].as_str()
        ),
        (Some("CN-2026-000001"), Some("51.39"), Some(number.as_str()))
    );
    let (_, after) = http(
        addr,
        "GET",
        &format!("/api/v1/invoices/{number}"),
        Some(TOKEN),
        b"",
    );
    assert_eq!(before, after, "the finalized invoice changed");
    let (st, ubl) = http(
        addr,
        "GET",
        "/api/v1/invoices/CN-2026-000001?format=ubl",
        Some(TOKEN),
        b"",
    );
    assert!(
        st == 200 && ubl.contains("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"),
        "{ubl}"
    );
    let (st, csv) = http(
        addr,
        "GET",
        &format!("/api/v1/invoices/{number}?format=csv"),
        Some(TOKEN),
        b"",
    );
    assert!(st == 200 && csv.starts_with("document,kind,"), "{csv}");
    // The account's documents: the invoice, corrected by the credit note, which names it.
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/accounts/acme/documents",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200, "{b}");
    let docs = json_of(&b)["documents"].as_array().unwrap().clone();
    let row = |d: &Value| {
        (
            d["number"].as_str().unwrap().to_string(),
            d["kind"].as_str().unwrap().to_string(),
            d["status"].as_str().unwrap().to_string(),
            d["corrects"].as_str().map(String::from),
            d["corrected_by"].clone(),
        )
    };
    assert_eq!(
        docs.iter().map(row).collect::<Vec<_>>(),
        [
            (
                number.clone(),
                "invoice".into(),
                "final, corrected".into(),
                None,
                serde_json::json!(["CN-2026-000001"])
            ),
            (
                "CN-2026-000001".into(),
                "credit_note".into(),
                "final".into(),
                Some(number.clone()),
                serde_json::json!([])
            ),
        ]
    );
    assert_eq!(docs[0]["totals"]["net"], "73.59");
    assert_eq!(
        docs[1]["links"]["ubl"],
        "/api/v1/invoices/CN-2026-000001?format=ubl"
    );
    // FOCUS: per InvoiceId, the BilledCosts add up to the payable amount (the credit note's
    // negative), its rows are corrections, and tax has its own rows.
    let (st, csv) = http(
        addr,
        "GET",
        "/api/v1/focus?period=2026-01",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200, "{csv}");
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let mut billed: std::collections::BTreeMap<String, rust_decimal::Decimal> = Default::default();
    let mut kinds = BTreeSet::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let cost: rust_decimal::Decimal = rec[col("BilledCost")].parse().unwrap();
        *billed.entry(rec[col("InvoiceId")].to_string()).or_default() += cost;
        kinds.insert((
            rec[col("InvoiceId")].to_string(),
            rec[col("ChargeCategory")].to_string(),
            rec[col("ChargeClass")].to_string(),
        ));
    }
    let gross = |d: &Value| {
        d["totals"]["gross"]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap()
    };
    assert_eq!(billed[&number], gross(&docs[0]), "{csv}");
    assert_eq!(billed["CN-2026-000001"], -gross(&docs[1]), "{csv}");
    assert!(
        kinds.contains(&(number.clone(), "Usage".into(), String::new())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(number.clone(), "Tax".into(), String::new())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("CN-2026-000001".into(), "Usage".into(), "Correction".into())),
        "{kinds:?}"
    );
    assert!(ledger.verify_audit().unwrap().ok);
}

/// FOCUS 1.3's split cost allocation: a shared resource's usage row is split over the targets
/// in proportion to their direct costs, to the cent, and the sums per invoice do not move.
#[test]
fn focus_splits_shared_usage_over_the_targets() {
    let (addr, ledger) = start("focus-allocated", Some(TOKEN));
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/accounts/acme/customer",
        Some(TOKEN),
        br#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    );
    assert_eq!(st, 200, "{b}");
    // b2-15 at 0.111 an hour: web 10 h (1.11), data 30 h (3.33), a shared machine 7 h (0.777,
    // billed 0.78), and an untagged one 1 h (0.111, billed 0.11).
    let vm = |id: &str, tags: &str, hours: u32| {
        format!(
            r#"{{"id":"{id}-1","account":"acme","resource":"{id}","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-05T00:00:00Z"{tags}}}
{{"id":"{id}-2","account":"acme","resource":"{id}","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-05T{hours:02}:00:00Z"{tags}}}
"#
        )
    };
    let events = [
        vm("web-1", r#","tags":{"project":"web"}"#, 10),
        vm("data-1", r#","tags":{"project":"data"}"#, 23),
        vm("data-2", r#","tags":{"project":"data"}"#, 7),
        vm("ops-1", r#","tags":{"project":"shared"}"#, 7),
        vm("misc-1", "", 1),
    ]
    .concat();
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        events.as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/accounts/acme/invoices",
        Some(TOKEN),
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(st, 201, "{b}");
    let invoice = json_of(&b);
    let number = invoice["number"].as_str().unwrap().to_string();
    assert_eq!(invoice["totals"]["net"], "5.33", "{b}");
    let (st, csv) = http(
        addr,
        "GET",
        "/api/v1/focus?period=2026-01&allocate=true",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200, "{csv}");
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        head[..6],
        [
            "AllocatedMethodDetails",
            "AllocatedMethodId",
            "AllocatedResourceId",
            "AllocatedResourceName",
            "AllocatedTags",
            "BilledCost"
        ]
    );
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let mut billed = rust_decimal::Decimal::ZERO;
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        assert_eq!(&rec[col("InvoiceId")], number.as_str());
        billed += rec[col("BilledCost")]
            .parse::<rust_decimal::Decimal>()
            .unwrap();
        rows.push((
            rec[col("ResourceId")].to_string(),
            rec[col("AllocatedResourceId")].to_string(),
            rec[col("BilledCost")].to_string(),
            rec[col("ListCost")].to_string(),
            rec[col("AllocatedMethodId")].to_string(),
            rec[col("AllocatedTags")].to_string(),
            rec[col("AllocatedMethodDetails")].to_string(),
        ));
    }
    // The sum per invoice is the payable amount, as without allocation.
    assert_eq!(
        billed.to_string(),
        invoice["totals"]["gross"].as_str().unwrap()
    );
    let split = |resource: &str| -> Vec<(String, String, String, String, String)> {
        rows.iter()
            .filter(|r| r.0 == resource)
            .map(|r| {
                (
                    r.1.clone(),
                    r.2.clone(),
                    r.3.clone(),
                    r.4.clone(),
                    r.5.clone(),
                )
            })
            .collect()
    };
    let m = "demo@2026-01:proportional".to_string();
    // Direct costs: web 1.11, data 3.33 (1 to 3); batch has none and gets no row. 0.78 is
    // 19.5 and 58.5 cents: the cent left goes to the first name of equal remainders.
    assert_eq!(
        split("ops-1"),
        [
            (
                "data".into(),
                "0.59".into(),
                "0.59".into(),
                m.clone(),
                r#"{"project":"data"}"#.into()
            ),
            (
                "web".into(),
                "0.19".into(),
                "0.19".into(),
                m.clone(),
                r#"{"project":"web"}"#.into()
            ),
        ]
    );
    assert_eq!(
        split("misc-1"),
        [
            (
                "data".into(),
                "0.08".into(),
                "0.08".into(),
                m.clone(),
                r#"{"project":"data"}"#.into()
            ),
            (
                "web".into(),
                "0.03".into(),
                "0.03".into(),
                m,
                r#"{"project":"web"}"#.into()
            ),
        ]
    );
    let details: Value = serde_json::from_str(
        &rows
            .iter()
            .find(|r| r.0 == "ops-1" && r.1 == "web")
            .unwrap()
            .6,
    )
    .unwrap();
    assert_eq!(
        details["Elements"][0]["AllocatedRatio"],
        serde_json::json!(0.25)
    );
    assert_eq!(
        details["Elements"][0]["UsageQuantity"],
        serde_json::json!(1.75)
    );
    assert_eq!(details["Elements"][0]["UsageUnit"], "Hours");
    // Direct usage and tax rows are not allocated.
    assert_eq!(
        split("web-1"),
        [(
            String::new(),
            "1.11".into(),
            "1.11".into(),
            String::new(),
            String::new()
        )]
    );
    // Without `allocate`, FOCUS 1.2's columns only.
    let (_, plain) = http(
        addr,
        "GET",
        "/api/v1/focus?period=2026-01",
        Some(TOKEN),
        b"",
    );
    assert!(plain.starts_with("BilledCost,"), "{plain}");
    // As Parquet: the same rows, every cell typed and equal to the CSV's.
    let (st, body) = http(
        addr,
        "GET",
        "/api/v1/focus?period=2026-01&allocate=true&format=parquet",
        Some(TOKEN),
        b"",
    );
    assert!(st == 200 && body.starts_with("PAR1"), "{st}");
    let (st, body) = http(
        addr,
        "GET",
        "/api/v1/focus?period=2026-01&format=xlsx",
        Some(TOKEN),
        b"",
    );
    assert!(st == 400 && body.contains("csv or parquet"), "{body}");
    let period = ratecard::Period::parse("2026-01").unwrap();
    let rules = ratecard_server::billing::allocation_rules(ledger.as_ref()).unwrap();
    let table = ratecard_server::billing::focus(ledger.as_ref(), &period, Some(&rules)).unwrap();
    assert_eq!(table.to_csv(), csv);
    let file = temp_db("focus.parquet");
    std::fs::write(&file, ratecard_server::focus_file::parquet(&table).unwrap()).unwrap();
    assert_parquet_holds(&file, &table);
}

/// The Parquet file at `path` holds `table`: its columns in order, a row per row, each cell the
/// same value typed (decimals exact, times in UTC milliseconds, an empty cell null).
fn assert_parquet_holds(path: &std::path::Path, table: &ratecard::focus::Table) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(names, table.columns);
    let rows: Vec<_> = reader
        .get_row_iter(None)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), table.rows.len());
    for (row, cells) in rows.iter().zip(&table.rows) {
        for ((name, field), cell) in row.get_column_iter().zip(cells) {
            let kind = ratecard::focus::kind(name);
            match field {
                Field::Null => assert_eq!(cell, "", "{name}"),
                Field::Decimal(d) => {
                    assert_eq!(kind, ratecard::focus::Kind::Decimal, "{name}");
                    let v = i128::from_be_bytes(d.data().try_into().unwrap());
                    let got = rust_decimal::Decimal::from_i128_with_scale(v, d.scale() as u32);
                    assert_eq!(
                        got.normalize(),
                        cell.parse::<rust_decimal::Decimal>().unwrap().normalize(),
                        "{name}"
                    );
                }
                Field::TimestampMillis(ms) => {
                    assert_eq!(kind, ratecard::focus::Kind::DateTime, "{name}");
                    let t = chrono::DateTime::parse_from_rfc3339(cell).unwrap();
                    assert_eq!(*ms, t.timestamp_millis(), "{name}");
                }
                Field::Str(s) => {
                    assert!(
                        matches!(
                            kind,
                            ratecard::focus::Kind::Text | ratecard::focus::Kind::Json
                        ),
                        "{name}"
                    );
                    assert_eq!(s, cell, "{name}");
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}

#[test]
fn projection_with_budget_alerts() {
    let (addr, _) = start("projection", Some(TOKEN));
    setup_account(addr, "acme");
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/accounts/acme/projection?period=2026-01&as_of=2026-01-15T00:00:00Z&budget=10",
        Some(TOKEN),
        b"",
    );
    let v = json_of(&b);
    assert_eq!(st, 200, "{b}");
    assert_eq!(v["alerts"].as_array().map(|a| a.len()), Some(3));
}

/// A FOCUS row carries its resource's tags as the rating does, in time order with later values
/// winning, whatever order the ledger gives the events back in: SQLite gives them by id, and
/// the row carried only the tags of the event whose id sorted last.
#[test]
fn focus_tags_follow_the_events_in_time_order() {
    let (addr, _) = start("focus-tags", Some(TOKEN));
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/accounts/acme/customer",
        Some(TOKEN),
        br#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    );
    assert_eq!(st, 200, "{b}");
    let events = [
        r#"{"id":"b1","account":"acme","resource":"vm","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-01T00:00:00Z","tags":{"project":"web","team":"x"}}"#,
        r#"{"id":"a1","account":"acme","resource":"vm","sku":"b2-15","region":"gra","kind":"stop","at":"2026-01-20T00:00:00Z","tags":{"env":"prod","team":"y"}}"#,
    ]
    .join("\n");
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        events.as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/accounts/acme/invoices",
        Some(TOKEN),
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(st, 201, "{b}");
    let (st, csv) = http(
        addr,
        "GET",
        "/api/v1/focus?period=2026-01",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200, "{csv}");
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let tags: Vec<String> = r
        .records()
        .map(|rec| rec.unwrap())
        .filter(|rec| &rec[col("ResourceId")] == "vm")
        .map(|rec| rec[col("Tags")].to_string())
        .collect();
    assert!(!tags.is_empty(), "{csv}");
    for t in tags {
        assert_eq!(t, r#"{"env":"prod","project":"web","team":"y"}"#, "{csv}");
    }
}

/// A customer's account is checked as an event's is: one longer than an event may name was
/// stored on SQLite (a customer no event could have) and a 500 on PostgreSQL.
#[test]
fn a_customer_account_is_named_as_events_name_it() {
    let (addr, _) = start("customer-account", Some(TOKEN));
    let body = br#"{"name":"Acme SARL","country":"FR","kind":"business"}"#;
    let long = "a".repeat(600);
    let (st, b) = http(
        addr,
        "PUT",
        &format!("/api/v1/accounts/{long}/customer"),
        Some(TOKEN),
        body,
    );
    assert_eq!(st, 400, "{b}");
    assert!(
        b.contains("account: is 600 bytes long, more than 512"),
        "{b}"
    );
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/accounts/acme/customer",
        Some(TOKEN),
        body,
    );
    assert_eq!(st, 200, "{b}");
}

/// The current month is rated up to now, as the Now page counts it: a machine running since the
/// month began has cost its hours so far, not the whole month's (the explorer showed 744 hours
/// of it on the month's first day), by account, by resource (kept, then read again), by day and
/// in the pricing view; a month not begun is refused, and the pricing view is never by day.
#[test]
fn the_current_month_is_rated_up_to_now() {
    use chrono::{Datelike, DurationRound, TimeZone};
    use rust_decimal::Decimal;
    let (addr, _) = start("costs-now", Some(TOKEN));
    let t0 = chrono::Utc::now();
    let month_start = chrono::Utc
        .with_ymd_and_hms(t0.year(), t0.month(), 1, 0, 0, 0)
        .unwrap();
    let next_month = (month_start + chrono::Duration::days(32))
        .with_day(1)
        .unwrap();
    let month = month_start.format("%Y-%m").to_string();
    let event = format!(
        r#"{{"id":"n1","account":"acme","resource":"web-1","sku":"b2-15","region":"gra","kind":"start","at":"{}"}}"#,
        month_start.to_rfc3339()
    );
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        event.as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    // b2-15 at 0.111 EUR per started clock hour, up to the minute (and at most the month).
    let cost_at = |t: chrono::DateTime<chrono::Utc>| {
        let until = t
            .duration_trunc(chrono::Duration::minutes(1))
            .unwrap()
            .min(next_month);
        let seconds = (until - month_start).num_seconds().max(1);
        let hours = (seconds + 3599) / 3600;
        // Rounded half up to the cent, as lines are (2.775 is 2.78).
        (Decimal::from(hours) * Decimal::new(111, 3))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };
    // A rating kept earlier in the test (minutes ago at most) may answer: at least the cost
    // when the test began, at most the cost after the request.
    let within = |path: &str, v: &Value, field: &str, after: Decimal| {
        let t: Decimal = v[field].as_str().unwrap_or_default().parse().unwrap();
        assert!(
            cost_at(t0) <= t && t <= after,
            "{path}: {field} {t}, not from {} to {after}: {v}",
            cost_at(t0)
        );
    };
    let get = |path: &str| {
        let (st, b) = http(addr, "GET", path, Some(TOKEN), b"");
        assert_eq!(st, 200, "{b}");
        (json_of(&b), cost_at(chrono::Utc::now()))
    };
    for path in [
        format!("/api/v1/costs?period={month}&group_by=account"),
        format!("/api/v1/costs?period={month}&group_by=resource"),
        format!("/api/v1/costs?period={month}&group_by=resource"),
        format!("/api/v1/costs?period={month}&group_by=day"),
        format!("/api/v1/costs/pricing-view?period={month}&price_list=stratus"),
    ] {
        let (v, after) = get(&path);
        within(&path, &v, "total", after);
        if path.contains("pricing-view") {
            within(&path, &v, "compared_total", after);
        }
    }
    // By day: no day after today.
    let (v, _) = get(&format!("/api/v1/costs?period={month}&group_by=day"));
    // Read after the request: a day that turns meanwhile is still not after it.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for g in v["groups"].as_array().unwrap() {
        let day = g["values"][0].as_str().unwrap();
        assert!(day <= today.as_str(), "{day} after {today}: {v}");
    }
    // Next month has not begun; the pricing view is never by day.
    let next = next_month.format("%Y-%m").to_string();
    for (path, status, says) in [
        (format!("/api/v1/costs?period={next}"), 400, "has not begun"),
        (
            format!("/api/v1/costs/pricing-view?period={month}&group_by=day&price_list=stratus"),
            422,
            "not of single days",
        ),
    ] {
        let (st, b) = http(addr, "GET", &path, Some(TOKEN), b"");
        assert_eq!(st, status, "{path}: {b}");
        assert!(b.contains(says), "{path}: {b}");
    }
}

/// The cost explorer over the ledger: February against January by project, the drill-down to
/// a resource's lines and the events behind them, the account list and the customer read back.
/// The amounts are those of the conformance case `explore/month-over-month-by-project`.
#[test]
fn cost_explorer_groups_compares_and_drills_down() {
    let (addr, _) = start("costs", Some(TOKEN));
    let events = [
        r#"{"id":"e1","account":"acme","resource":"web-1","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-01T00:00:00Z","tags":{"project":"web"}}"#,
        r#"{"id":"e2","account":"acme","resource":"db-1","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-01T00:00:00Z","tags":{"project":"db"}}"#,
        r#"{"id":"e3","account":"acme","resource":"db-1","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-11T00:00:00Z","tags":{"project":"db"}}"#,
        r#"{"id":"e4","account":"acme","resource":"bucket","sku":"object-egress","region":"gra","kind":"increment","at":"2026-01-10T00:00:00Z","quantity":"1000","tags":{"project":"web"}}"#,
        r#"{"id":"e5","account":"acme","resource":"bucket","sku":"object-egress","region":"gra","kind":"increment","at":"2026-02-10T00:00:00Z","quantity":"2000","tags":{"project":"web"}}"#,
        r#"{"id":"e6","account":"acme","resource":"tmp","sku":"b2-7","region":"de1","kind":"start","at":"2026-02-01T00:00:00Z"}"#,
        r#"{"id":"e7","account":"acme","resource":"tmp","sku":"b2-7","region":"de1","kind":"delete","at":"2026-02-02T00:00:00Z"}"#,
        // Another account's cost shows in the totals unless filtered out.
        r#"{"id":"b1","account":"beta","resource":"vm","sku":"b2-7","region":"gra","kind":"start","at":"2026-02-01T00:00:00Z"}"#,
        r#"{"id":"b2","account":"beta","resource":"vm","sku":"b2-7","region":"gra","kind":"delete","at":"2026-02-01T10:00:00Z"}"#,
    ]
    .join("\n");
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        events.as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    let get = |path: &str| {
        let (st, b) = http(addr, "GET", path, Some(TOKEN), b"");
        (st, json_of(&b))
    };
    let (st, v) = get(
        "/api/v1/costs?period=2026-02&compare=2026-01&group_by=tag:project&filter=account:acme",
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["total"].as_str(),
            v["compared_total"].as_str(),
            v["difference"].as_str()
        ),
        (Some("98.12"), Some("120.22"), Some("-22.10"))
    );
    let groups: Vec<(String, String, String)> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["values"][0].as_str().unwrap().to_string(),
                g["amount"].as_str().unwrap().to_string(),
                g["difference"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("web".into(), "96.59".into(), "3.01".into()),
            ("(none)".into(), "1.53".into(), "1.53".into()),
            ("db".into(), "0.00".into(), "-26.64".into())
        ]
    );
    // Every account, by account: beta's 10 hours of b2-7 (0.581) join acme's 98.12.
    let (_, v) = get("/api/v1/costs?period=2026-02&group_by=account");
    assert_eq!(v["total"], "98.70", "{v}");
    assert_eq!(v["groups"][1]["values"][0], "beta");
    assert_eq!(v["groups"][1]["amount"], "0.58");
    // Drill-down: project web, by resource, then the resource's lines and its events.
    let (_, v) = get("/api/v1/costs?period=2026-01&group_by=resource&filter=tag:project:web");
    assert_eq!(v["groups"][0]["values"][0], "web-1", "{v}");
    assert_eq!(v["groups"][0]["amount"], "82.58");
    let (_, v) = get("/api/v1/costs?period=2026-01&filter=resource:web-1,account:acme&lines=true");
    assert_eq!(
        v["lines"][0]["formula"], "744 started hours x 0.111 EUR",
        "{v}"
    );
    let (st, v) = get("/api/v1/accounts/acme/events?period=2026-02&resource=db-1");
    assert_eq!(st, 200, "{v}");
    let ids: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["e2", "e3"]);
    // Clear refusals.
    let (st, v) = get("/api/v1/costs?period=2026-01&group_by=colour");
    assert_eq!(st, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("unknown dimension `colour`"),
        "{v}"
    );
    let (st, v) = get("/api/v1/costs?period=2025-01..2026-02");
    assert_eq!(st, 400);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("more than 12 months"),
        "{v}"
    );
    let (st, _) = http(addr, "GET", "/api/v1/costs?period=2026-01", None, b"");
    assert_eq!(st, 401);
    // The accounts, and a customer read back.
    let (st, _) = http(
        addr,
        "PUT",
        "/api/v1/accounts/acme/customer",
        Some(TOKEN),
        br#"{"name":"Acme SARL","country":"FR","kind":"business"}"#,
    );
    assert_eq!(st, 200);
    let (_, v) = get("/api/v1/accounts");
    assert_eq!(
        v["accounts"],
        serde_json::json!([{"account":"acme","name":"Acme SARL"},{"account":"beta","name":null}])
    );
    let (st, v) = get("/api/v1/accounts/acme/customer");
    assert_eq!((st, v["name"].as_str()), (200, Some("Acme SARL")));
    let (st, v) = get("/api/v1/accounts/beta/customer");
    assert_eq!((st, v["code"].as_str()), (404, Some("not_found")));
    // Pricing views: February's quantities under an uploaded price list where b2-15 costs
    // 0.20 an hour in gra: web-1's 672 hours are 134.40 there, against 74.59 billed.
    let with_b2_15 = |f: &dyn Fn(&mut Value)| {
        let mut c: Value =
            serde_json::from_str(include_str!("../../catalog/stratus-2026-01.json")).unwrap();
        let p = c["products"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|p| p["sku"] == "b2-15")
            .unwrap();
        f(&mut p["prices"]);
        c.to_string()
    };
    let uploaded = with_b2_15(&|prices| prices["gra"]["unit_price"] = "0.20".into());
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/costs/pricing-view?period=2026-02&group_by=resource&filter=account:acme",
        Some(TOKEN),
        uploaded.as_bytes(),
    );
    let v = json_of(&b);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["price_list"], "stratus@2026-01 (uploaded)");
    let web = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["values"][0] == "web-1")
        .unwrap();
    assert_eq!(
        (
            web["amount"].as_str(),
            web["compared"].as_str(),
            web["difference"].as_str()
        ),
        (Some("74.59"), Some("134.40"), Some("-59.81")),
        "{v}"
    );
    assert_eq!(
        (v["total"].as_str(), v["compared_total"].as_str()),
        (Some("98.12"), Some("157.93"))
    );
    // A named version, and a price list that does not sell a sku: refused, naming it.
    let (st, v) = get(
        "/api/v1/costs/pricing-view?period=2026-02&filter=account:acme&price_list=stratus@2026-01",
    );
    assert_eq!((st, v["difference"].as_str()), (200, Some("0.00")), "{v}");
    let no_b2 = with_b2_15(&|prices| {
        prices.as_object_mut().unwrap().remove("gra");
    });
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/costs/pricing-view?period=2026-02&filter=account:acme",
        Some(TOKEN),
        no_b2.as_bytes(),
    );
    assert_eq!(st, 422, "{b}");
    assert!(b.contains("no price for sku `b2-15`"), "{b}");
    let (st, v) = get("/api/v1/costs/pricing-view?period=2026-02&price_list=stratus@1999-01");
    assert_eq!((st, v["code"].as_str()), (404, Some("not_found")), "{v}");
    // Allocation, previewed with rules given as the body: February's untagged b2-7 (1.53) is
    // shared evenly by web and db, 76.5 cents each: the cent left goes to the first by name.
    let rules = br#"{"id":"t","target_tag":"project","versions":[{"version":"1","effective_from":"2026-01-01T00:00:00Z","shared":{"method":"even"},"targets":["web","db"]}]}"#;
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/costs/allocation?period=2026-02&filter=account:acme",
        Some(TOKEN),
        rules,
    );
    let v = json_of(&b);
    assert_eq!(st, 200, "{b}");
    let t: Vec<(&str, &str, &str, &str)> = v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["target"].as_str().unwrap(),
                t["direct"].as_str().unwrap(),
                t["allocated"].as_str().unwrap(),
                t["total"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        t,
        [
            ("web", "96.59", "0.76", "97.35"),
            ("db", "0.00", "0.77", "0.77")
        ]
    );
    assert_eq!(
        v["total"], "98.12",
        "the allocation's total is the explorer's"
    );
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/costs/allocation?period=2026-01..2026-02",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 400, "{b}");
    assert!(b.contains("one month"), "{b}");
    // The explorer's kept ratings follow late events: web-1 deleted on 20 January, after
    // January was explored, is 456 hours (50.616), no longer 744.
    let (_, before) = get("/api/v1/costs?period=2026-01&group_by=resource&filter=account:acme");
    assert_eq!(before["groups"][0]["values"][0], "web-1");
    assert_eq!(before["groups"][0]["amount"], "82.58");
    let late = r#"{"id":"e8","account":"acme","resource":"web-1","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-20T00:00:00Z","tags":{"project":"web"}}"#;
    let (st, b) = http(addr, "POST", "/api/v1/events", Some(TOKEN), late.as_bytes());
    assert_eq!(st, 200, "{b}");
    let (_, after) = get("/api/v1/costs?period=2026-01&group_by=resource&filter=account:acme");
    let web = after["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["values"][0] == "web-1")
        .unwrap()
        .clone();
    assert_eq!(web["amount"], "50.62", "{after}");
    assert_eq!(web["quantities"][0]["quantity"], "456");
    // A projection of an ended month needs neither as_of nor anything but the period.
    let (st, v) = get("/api/v1/accounts/acme/projection?period=2026-01");
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["as_of"], "2026-02-01T00:00:00Z");
    assert_eq!(v["so_far"], v["projected"]);
}

/// A webhook receiver on loopback: answers 500 to its first request and 200 after, and keeps
/// each request's signature header and body.
/// The requests a receiver got: each one's signature header and body.
type Posts = Arc<std::sync::Mutex<Vec<(String, String)>>>;

fn receiver() -> (SocketAddr, Posts) {
    use std::io::{BufRead, BufReader, Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let got: Posts = Default::default();
    let seen = got.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let (mut len, mut sig) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if lower.starts_with("ratecard-signature:") {
                    sig = line["ratecard-signature:".len()..].trim().to_string();
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let first = {
                let mut g = seen.lock().unwrap();
                g.push((sig, String::from_utf8(body).unwrap()));
                g.len() == 1
            };
            let status = if first {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (addr, got)
}

/// Budgets: each threshold crossed is one alert, however often it is seen; its webhook is
/// signed, retried after a failure with backoff, logged, and delivered again on demand.
#[test]
fn budget_alerts_are_recorded_once_and_delivered_signed_with_retries() {
    use ratecard_server::alerting;
    let (hook, got) = receiver();
    let secret = b"whsec-test-0123456789abcdef";
    let (ledger, _) = fresh("alerts");
    let mut state = state_of(ledger, Some(TOKEN));
    state.webhook =
        Some(alerting::Webhook::new(&format!("http://{hook}/hooks/ratecard"), secret).unwrap());
    let state = Arc::new(state);
    let addr = serve(state.clone());
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/budgets/acme-web",
        Some(TOKEN),
        br#"{"id":"acme-web","account":"acme","name":"Web project","amount":"100","scope":{"tag:project":["web"]}}"#,
    );
    assert_eq!(st, 200, "{b}");
    // 480 hours of b2-15 for project web: 53.28, past 50 % of 100; the db instance is not in
    // the budget's scope.
    let batch = |lines: &[&str]| {
        let (st, b) = http(
            addr,
            "POST",
            "/api/v1/events",
            Some(TOKEN),
            lines.join("\n").as_bytes(),
        );
        assert_eq!(st, 200, "{b}");
    };
    let first = [
        r#"{"id":"w1","account":"acme","resource":"web-1","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-01T00:00:00Z","tags":{"project":"web"}}"#,
        r#"{"id":"w2","account":"acme","resource":"web-1","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-21T00:00:00Z","tags":{"project":"web"}}"#,
        r#"{"id":"d1","account":"acme","resource":"db-1","sku":"b2-30","region":"gra","kind":"start","at":"2026-01-01T00:00:00Z","tags":{"project":"db"}}"#,
    ];
    batch(&first);
    let alerts = || {
        let (st, b) = http(addr, "GET", "/api/v1/alerts?account=acme", Some(TOKEN), b"");
        assert_eq!(st, 200, "{b}");
        json_of(&b)["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["period"].as_str().unwrap().to_string(),
                    a["threshold"].as_i64().unwrap(),
                )
            })
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(alerts(), BTreeSet::from([("2026-01".to_string(), 50)]));
    // The same batch again changes nothing; 3,000 GB of web egress (33.00) make 86.28: 80 %.
    batch(&first);
    batch(&[
        r#"{"id":"w3","account":"acme","resource":"bucket","sku":"object-egress","region":"gra","kind":"increment","at":"2026-01-25T00:00:00Z","quantity":"3000","tags":{"project":"web"}}"#,
    ]);
    assert_eq!(
        alerts(),
        BTreeSet::from([("2026-01".to_string(), 50), ("2026-01".to_string(), 80)])
    );
    let jan = ratecard::Period::parse("2026-01").unwrap();
    let again = alerting::check_budgets(&state, None, &[jan], chrono::Utc::now()).unwrap();
    assert!(again.is_empty(), "{again:?}");
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/budgets/acme-web/status?period=2026-01",
        Some(TOKEN),
        b"",
    );
    let v = json_of(&b);
    assert_eq!(st, 200, "{b}");
    assert_eq!(
        (v["actual"].as_str(), v["percent"].as_str()),
        (Some("86.28"), Some("86.28"))
    );
    let crossed: Vec<bool> = v["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["crossed"].as_bool().unwrap())
        .collect();
    assert_eq!(crossed, [true, true, false]);

    // Delivery: the first post fails (500) and waits a second; the second is delivered.
    let t0 = chrono::Utc::now();
    assert_eq!(alerting::deliver_due(&state, t0).unwrap(), 2);
    assert_eq!(
        alerting::deliver_due(&state, t0).unwrap(),
        0,
        "nothing due before the backoff"
    );
    assert_eq!(
        alerting::deliver_due(&state, t0 + chrono::Duration::seconds(2)).unwrap(),
        1
    );
    let deliveries = || {
        let (_, b) = http(addr, "GET", "/api/v1/webhooks/deliveries", Some(TOKEN), b"");
        json_of(&b)["deliveries"].as_array().unwrap().clone()
    };
    let d = deliveries();
    let log = |d: &Value| -> Vec<String> {
        d["log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["outcome"].as_str().unwrap().to_string())
            .collect()
    };
    // Newest first: the 80 % alert, delivered at once; the 50 % one after a 500.
    assert_eq!(
        (d[1]["event"].as_str(), d[1]["status"].as_str(), log(&d[1])),
        (
            Some("acme-web/2026-01/50/actual"),
            Some("delivered"),
            vec!["500".to_string(), "200".to_string()]
        )
    );
    assert_eq!(
        (d[0]["status"].as_str(), log(&d[0])),
        (Some("delivered"), vec!["200".to_string()])
    );
    // Every post is signed: HMAC-SHA256 of "<t>.<body>" under the secret.
    let posts = got.lock().unwrap().clone();
    assert_eq!(posts.len(), 3);
    for (sig, body) in &posts {
        let t: i64 = sig
            .strip_prefix("t=")
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(sig, &alerting::signature(secret, t, body));
        assert_ne!(
            sig,
            &alerting::signature(b"another-secret-0123456789", t, body)
        );
        let v = json_of(body);
        assert_eq!(v["type"], "budget.threshold_crossed");
        assert_eq!(v["data"]["budget"], "acme-web");
    }
    assert_eq!(json_of(&posts[0].1)["data"]["actual"], "53.28");
    // Redelivery on demand: due at once, posted again, logged as a third attempt.
    let id = d[1]["id"].as_i64().unwrap();
    let (st, b) = http(
        addr,
        "POST",
        &format!("/api/v1/webhooks/deliveries/{id}/redeliver"),
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 202, "{b}");
    assert_eq!(
        alerting::deliver_due(&state, chrono::Utc::now() + chrono::Duration::seconds(3)).unwrap(),
        1
    );
    assert_eq!(got.lock().unwrap().len(), 4);
    assert_eq!(log(&deliveries()[1]).len(), 3);
    let (st, _) = http(
        addr,
        "POST",
        "/api/v1/webhooks/deliveries/999/redeliver",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 404);
    // A bad budget is refused, naming the field.
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/budgets/x",
        Some(TOKEN),
        br#"{"id":"x","account":"acme","amount":"-5"}"#,
    );
    assert_eq!(st, 422, "{b}");
    assert!(b.contains("amount"), "{b}");
    // An account with a NUL is refused as an event's is (on PostgreSQL it was a 500).
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/budgets/x",
        Some(TOKEN),
        br#"{"id":"x","account":"a\u0000b","amount":"5"}"#,
    );
    assert_eq!(st, 422, "{b}");
    assert!(b.contains("control characters"), "{b}");
}

/// The current month as the customer sees it, on 15 February: the February plan was billed in
/// advance on January's invoice (40.00); so far, 336 hours of b2-7 (19.52) and March's plan
/// (40.00), billed in advance with February; projected, 672 hours (39.04) and the plan: 79.04,
/// and the next invoice with French VAT at 20 %.
#[test]
fn consumption_of_the_current_month() {
    let (addr, _) = start("consumption", Some(TOKEN));
    let events = [
        r#"{"id":"p1","account":"acme","resource":"plan-1","sku":"b2-15-monthly","region":"gra","kind":"start","at":"2026-01-10T00:00:00Z"}"#,
        r#"{"id":"h1","account":"acme","resource":"vm-1","sku":"b2-7","region":"gra","kind":"start","at":"2026-02-01T00:00:00Z"}"#,
    ]
    .join("\n");
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        events.as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/accounts/acme/customer",
        Some(TOKEN),
        br#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    );
    assert_eq!(st, 200, "{b}");
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/accounts/acme/consumption?as_of=2026-02-15T00:00:00Z",
        Some(TOKEN),
        b"",
    );
    let v = json_of(&b);
    assert_eq!(st, 200, "{b}");
    let got = |k: &str| v[k].as_str().unwrap_or("").to_string();
    assert_eq!(
        [
            got("period"),
            got("elapsed_percent"),
            got("already_billed"),
            got("pay_as_you_go"),
            got("billed_in_advance"),
            got("so_far"),
            got("projected")
        ],
        [
            "2026-02", "50.00", "40.00", "19.52", "40.00", "59.52", "79.04"
        ],
        "{v}"
    );
    assert!(got("rule").contains("counters go on at their rate"), "{v}");
    assert_eq!(v["next_invoice"]["totals"]["net"], "79.04", "{v}");
    assert_eq!(v["next_invoice"]["totals"]["tax"], "15.81", "{v}");
    assert_eq!(v["next_invoice"]["totals"]["gross"], "94.85", "{v}");
    // An instant that is no time gives a clear 400.
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/accounts/acme/consumption?as_of=yesterday",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 400, "{b}");
    assert!(b.contains("as_of"), "{b}");
}

/// The schema the OpenAPI document gives an answer, self-contained: the answer's schema with
/// the document's components beside it, and every object closed to properties it does not
/// declare (so an answer's undocumented field fails too).
fn answer_schema(doc: &Value, path: &str, method: &str, status: u16, media: &str) -> Value {
    fn close(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.contains_key("properties")
                    && !m.contains_key("additionalProperties")
                    && !m.contains_key("unevaluatedProperties")
                {
                    m.insert("unevaluatedProperties".into(), Value::Bool(false));
                }
                m.values_mut().for_each(close);
            }
            Value::Array(a) => a.iter_mut().for_each(close),
            _ => {}
        }
    }
    let op = &doc["paths"][path][method];
    let mut schema = op["responses"][status.to_string()]["content"][media]["schema"].clone();
    assert!(
        !schema.is_null(),
        "the document gives {method} {path} no {status} {media} answer"
    );
    if !schema.is_object() {
        schema = serde_json::json!({ "allOf": [schema] });
    }
    schema["components"] = doc["components"].clone();
    close(&mut schema);
    schema
}

#[test]
fn every_route_answers_as_the_openapi_document_says() {
    let (ledger, _raw) = fresh("openapi");
    ratecard_server::demo::seed(ledger.as_ref(), &book()).unwrap();
    let mut state = state_of(ledger.clone(), Some(TOKEN));
    // A webhook nobody listens to: deliveries are recorded, with their failed attempts.
    state.webhook = Some(ratecard_server::alerting::Webhook {
        url: "http://127.0.0.1:9/alerts".into(),
        secret: b"whsec".to_vec(),
        backoff: std::time::Duration::from_secs(60),
        max_attempts: 3,
        timeout: std::time::Duration::from_millis(200),
    });
    let state = Arc::new(state);
    let addr = serve(state.clone());
    let (st, b) = http(addr, "GET", "/api/openapi.json", None, b"");
    assert_eq!(st, 200);
    let doc = json_of(&b);

    let budget = br#"{"id":"acme-q1","account":"acme","amount":"10.00","thresholds":[50,80,100]}"#;
    let late = br#"{"id":"late-1","account":"acme","resource":"acme-late","sku":"b2-7","region":"gra","kind":"start","at":"2026-01-20T00:00:00Z"}
{"id":"late-1s","account":"acme","resource":"acme-late","sku":"b2-7","region":"gra","kind":"stop","at":"2026-01-21T00:00:00Z"}"#;
    let estimate: &[u8] = br#"{"month":"2026-01","region":"gra","items":[{"sku":"b2-15","uptime":{"percent":"50"}},{"sku":"classic-volume","gb":"100"}]}"#;
    let rules = ratecard::samples::ALLOCATION_RULES.as_bytes();
    let price_list = include_bytes!("../../catalog/stratus-2026-01.json");
    // Every route, once at least: method, route, the request's path, its body.
    let mut calls: Vec<(&str, &str, String, Vec<u8>)> = vec![
        ("get", "/api/v1/health", "/api/v1/health".into(), vec![]),
        ("get", "/api/v1/me", "/api/v1/me".into(), vec![]),
        ("get", "/api/v1/costs/allocation/rules", "/api/v1/costs/allocation/rules".into(), vec![]),
        ("put", "/api/v1/costs/allocation/rules", "/api/v1/costs/allocation/rules".into(), rules.to_vec()),
        ("get", "/api/v1/catalogs", "/api/v1/catalogs".into(), vec![]),
        ("get", "/api/v1/catalogs/{id}", "/api/v1/catalogs/stratus".into(), vec![]),
        ("post", "/api/v1/estimates", "/api/v1/estimates".into(), estimate.to_vec()),
        ("post", "/api/v1/estimates/options", "/api/v1/estimates/options?catalog=stratus".into(), estimate.to_vec()),
        ("post", "/api/v1/quotes", "/api/v1/quotes".into(), QUOTE.to_vec()),
        ("post", "/api/v1/quotes", "/api/v1/quotes?format=pdf&lang=en".into(), QUOTE.to_vec()),
        ("put", "/api/v1/accounts/{account}/customer", "/api/v1/accounts/acme/customer".into(), br#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#.to_vec()),
        ("get", "/api/v1/accounts/{account}/customer", "/api/v1/accounts/acme/customer".into(), vec![]),
        ("get", "/api/v1/accounts", "/api/v1/accounts".into(), vec![]),
        ("get", "/api/v1/accounts/{account}/invoices/draft", "/api/v1/accounts/acme/invoices/draft?period=2026-01".into(), vec![]),
        ("get", "/api/v1/accounts/{account}/invoices/draft", "/api/v1/accounts/acme/invoices/draft?period=2026-01&format=pdf&lang=en".into(), vec![]),
        ("post", "/api/v1/accounts/{account}/invoices", "/api/v1/accounts/acme/invoices".into(), br#"{"period":"2026-01"}"#.to_vec()),
        ("post", "/api/v1/accounts/{account}/invoices", "/api/v1/accounts/acme/invoices".into(), br#"{"period":"2026-01"}"#.to_vec()),
        ("post", "/api/v1/events", "/api/v1/events".into(), late.to_vec()),
        ("post", "/api/v1/invoices/{number}/rerate", "/api/v1/invoices/INV-2026-000001/rerate".into(), vec![]),
        ("post", "/api/v1/invoices/{number}/rerate", "/api/v1/invoices/INV-2026-000001/rerate".into(), vec![]),
        ("get", "/api/v1/invoices/{number}", "/api/v1/invoices/INV-2026-000001".into(), vec![]),
        ("get", "/api/v1/invoices/{number}", "/api/v1/invoices/INV-2026-000001?format=csv".into(), vec![]),
        ("get", "/api/v1/invoices/{number}", "/api/v1/invoices/INV-2026-000001?format=ubl".into(), vec![]),
        ("get", "/api/v1/invoices/{number}", "/api/v1/invoices/INV-2026-000001?format=cii".into(), vec![]),
        ("get", "/api/v1/invoices/{number}", "/api/v1/invoices/INV-2026-000001?format=pdf".into(), vec![]),
        ("get", "/api/v1/invoices/{number}", "/api/v1/invoices/INV-2026-000001?format=facturx&lang=en".into(), vec![]),
        ("get", "/api/v1/accounts/{account}/documents", "/api/v1/accounts/acme/documents".into(), vec![]),
        ("get", "/api/v1/focus", "/api/v1/focus?period=2026-01".into(), vec![]),
        ("get", "/api/v1/accounting", "/api/v1/accounting?year=2026&format=json".into(), vec![]),
        ("get", "/api/v1/accounts/{account}/events", "/api/v1/accounts/acme/events?period=2026-01&resource=acme-late".into(), vec![]),
        ("get", "/api/v1/accounts/{account}/consumption", "/api/v1/accounts/acme/consumption?as_of=2026-02-15T00:00:00Z".into(), vec![]),
        ("get", "/api/v1/accounts/{account}/projection", "/api/v1/accounts/acme/projection?period=2026-02&as_of=2026-02-15T00:00:00Z&budget=10".into(), vec![]),
        ("get", "/api/v1/costs", "/api/v1/costs?period=2026-02&compare=2026-01&group_by=service,tag:project&lines=true".into(), vec![]),
        ("get", "/api/v1/costs/pricing-view", "/api/v1/costs/pricing-view?period=2026-01&price_list=stratus@2026-01&group_by=sku&lines=true".into(), vec![]),
        ("post", "/api/v1/costs/pricing-view", "/api/v1/costs/pricing-view?period=2026-01&group_by=region".into(), price_list.to_vec()),
        ("get", "/api/v1/costs/allocation", "/api/v1/costs/allocation?period=2026-02".into(), vec![]),
        ("post", "/api/v1/costs/allocation", "/api/v1/costs/allocation?period=2026-02&filter=account:acme".into(), rules.to_vec()),
        ("put", "/api/v1/budgets/{id}", "/api/v1/budgets/acme-q1".into(), budget.to_vec()),
        ("get", "/api/v1/budgets", "/api/v1/budgets?account=acme".into(), vec![]),
        ("get", "/api/v1/budgets/{id}/status", "/api/v1/budgets/acme-q1/status?period=2026-02".into(), vec![]),
    ];
    // The check can fail: an undocumented field, a number where a string is documented.
    let validates = |schema: Value, answer: &Value| {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler
            .add_resource("urn:ratecard:answer", schema)
            .unwrap();
        let idx = compiler
            .compile("urn:ratecard:answer", &mut schemas)
            .unwrap();
        schemas.validate(answer, idx).is_ok()
    };
    let health = answer_schema(&doc, "/api/v1/health", "get", 200, "application/json");
    let ok = serde_json::json!({"status": "ok", "events": 3, "catalog": "stratus"});
    assert!(validates(health.clone(), &ok));
    let mut extra = ok.clone();
    extra["extra"] = Value::Bool(true);
    assert!(!validates(health.clone(), &extra));
    let mut wrong = ok.clone();
    wrong["catalog"] = serde_json::json!(7);
    assert!(!validates(health, &wrong));

    let mut seen = BTreeSet::new();
    let mut check = |method: &str, route: &str, path: &str, body: &[u8]| {
        let (st, b) = http(addr, &method.to_uppercase(), path, Some(TOKEN), body);
        assert!((200..300).contains(&st), "{method} {path}: {st} {b}");
        let media = if path.contains("format=csv") || route == "/api/v1/focus" {
            "text/csv"
        } else if path.contains("format=ubl") || path.contains("format=cii") {
            "application/xml"
        } else if path.contains("format=pdf") || path.contains("format=facturx") {
            "application/pdf"
        } else {
            "application/json"
        };
        let schema = answer_schema(&doc, route, method, st, media);
        let answer = if media == "application/json" {
            json_of(&b)
        } else {
            Value::String(b)
        };
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler
            .add_resource("urn:ratecard:answer", schema)
            .unwrap_or_else(|e| panic!("{method} {route}: {e}"));
        let idx = compiler
            .compile("urn:ratecard:answer", &mut schemas)
            .unwrap_or_else(|e| panic!("{method} {route}: {e:#}"));
        if let Err(e) = schemas.validate(&answer, idx) {
            panic!("{method} {path} ({st}) does not match the document:\n{e:#}\n{answer:#}");
        }
        // Each answer says something: no route passes with an empty list where data exists.
        assert!(answer != Value::Null, "{method} {path}");
        seen.insert(format!("{method} {route}"));
    };
    for (method, route, path, body) in calls.drain(..) {
        check(method, route, &path, &body);
    }
    // The budget is passed in February: one alert, one delivery (refused, so retried later).
    let feb = ratecard_server::billing::period_of("2026-02").unwrap();
    let now = chrono::Utc::now();
    let crossed = ratecard_server::alerting::check_budgets(&state, None, &[feb], now).unwrap();
    assert!(!crossed.is_empty());
    ratecard_server::alerting::deliver_due(&state, now).unwrap();
    for (method, route, path) in [
        ("get", "/api/v1/alerts", "/api/v1/alerts"),
        (
            "get",
            "/api/v1/webhooks/deliveries",
            "/api/v1/webhooks/deliveries",
        ),
    ] {
        check(method, route, path, b"");
    }
    let (_, b) = http(addr, "GET", "/api/v1/webhooks/deliveries", Some(TOKEN), b"");
    let deliveries = json_of(&b);
    assert!(
        !deliveries["deliveries"][0]["log"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{deliveries}"
    );
    let id = deliveries["deliveries"][0]["id"].as_i64().unwrap();
    check(
        "post",
        "/api/v1/webhooks/deliveries/{id}/redeliver",
        &format!("/api/v1/webhooks/deliveries/{id}/redeliver"),
        b"",
    );
    check(
        "delete",
        "/api/v1/budgets/{id}",
        "/api/v1/budgets/acme-q1",
        b"",
    );
    check("get", "/api/openapi.json", "/api/openapi.json", b"");
    let routes: BTreeSet<String> = api::ROUTES
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        routes.difference(&seen).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "routes no call reached"
    );
}

/// Cost by day: the days' kept rollups add up, per group and in total, to a fresh rating of
/// the raw events, to the cent, before and after a late event; and the late event's day moves.
#[test]
fn days_add_up_to_a_fresh_rating_before_and_after_a_late_event() {
    let (ledger, _raw) = fresh("days");
    ratecard_server::demo::seed(ledger.as_ref(), &book()).unwrap();
    let addr = serve(Arc::new(state_of(ledger.clone(), Some(TOKEN))));
    let get = |q: &str| {
        let (st, b) = http(addr, "GET", &format!("/api/v1/costs?{q}"), Some(TOKEN), b"");
        assert_eq!(st, 200, "{q}: {b}");
        json_of(&b)
    };
    let amounts = |v: &Value, skip: usize| {
        let mut out = std::collections::BTreeMap::<String, rust_decimal::Decimal>::new();
        for g in v["groups"].as_array().unwrap() {
            let key = g["values"].as_array().unwrap()[skip..]
                .iter()
                .map(|x| x.as_str().unwrap())
                .collect::<Vec<_>>()
                .join("/");
            *out.entry(key).or_default() += g["amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap();
        }
        out
    };
    let fresh_total = |account: &str| {
        let p = ratecard::Period::month(2026, 1).unwrap();
        let events = ledger.events(account, &p).unwrap();
        let b = book();
        ratecard::rate(&b, &ratecard::meter(&b, p, &events).unwrap())
            .unwrap()
            .summary(ratecard::RoundingMode::default())
            .total
    };
    let check = || {
        let days = get("period=2026-01&group_by=day,account,sku");
        let month = get("period=2026-01&group_by=account,sku");
        assert_eq!(amounts(&days, 1), amounts(&month, 0));
        assert_eq!(days["total"], month["total"]);
        let acme = get("period=2026-01&group_by=day&filter=account:acme");
        assert_eq!(
            acme["total"].as_str().unwrap(),
            fresh_total("acme").to_string()
        );
        assert!(acme["groups"].as_array().unwrap().len() >= 28, "{acme}");
        days
    };
    let before = check();
    let late = br#"{"id":"late-egress","account":"acme","resource":"acme-bucket","sku":"object-egress","region":"gra","kind":"increment","at":"2026-01-12T09:00:00Z","quantity":"20000"}"#;
    let (st, b) = http(addr, "POST", "/api/v1/events", Some(TOKEN), late);
    assert_eq!(st, 200, "{b}");
    let after = check();
    assert_ne!(before["total"], after["total"]);
    let day = |v: &Value, d: &str| {
        amounts(v, 0)
            .into_iter()
            .filter(|(k, _)| k.starts_with(&format!("{d}/acme/object-egress")))
            .map(|(_, a)| a)
            .sum::<rust_decimal::Decimal>()
    };
    assert!(day(&after, "2026-01-12") > day(&before, "2026-01-12"));
    assert_eq!(day(&after, "2026-01-11"), day(&before, "2026-01-11"));
    // Day is refused where the days are not read: a pricing view.
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/costs/pricing-view?period=2026-01&group_by=day&price_list=stratus",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 422, "{b}");
    assert!(b.contains("not of single days"), "{b}");
}

/// The explorer's rollups (asked for no resource, tag, day or line) answer byte for byte as the
/// engine's explorer over a fresh rating of the raw events: every account at once and one
/// account, the first time (made and kept) and after (read back), before and after a late
/// event, which retires the kept ones.
#[test]
fn rollups_answer_as_a_fresh_rating_before_and_after_a_late_event() {
    use ratecard::explore::{Dimension, ExploreRequest};
    let (ledger, _raw) = fresh("rollups");
    ratecard_server::demo::seed(ledger.as_ref(), &book()).unwrap();
    let state = Arc::new(state_of(ledger.clone(), Some(TOKEN)));
    let addr = serve(state.clone());
    let get = |q: &str| {
        let (st, b) = http(addr, "GET", &format!("/api/v1/costs?{q}"), Some(TOKEN), b"");
        assert_eq!(st, 200, "{q}: {b}");
        json_of(&b)
    };
    let fresh = |month: u32, accounts: &[&str]| -> Vec<ratecard::Rating> {
        let p = ratecard::Period::month(2026, month).unwrap();
        let b = book();
        accounts
            .iter()
            .map(|a| {
                let events = ledger.events(a, &p).unwrap();
                ratecard::rate(&b, &ratecard::meter(&b, p, &events).unwrap()).unwrap()
            })
            .collect()
    };
    let all = ledger.accounts().unwrap();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    assert!(all.len() >= 2, "{all:?}");
    let cases: [(&str, Vec<Dimension>, Option<&str>); 3] = [
        (
            "group_by=account,service,sku,region",
            vec![
                Dimension::Account,
                Dimension::Service,
                Dimension::Sku,
                Dimension::Region,
            ],
            None,
        ),
        (
            "group_by=family,month",
            vec![Dimension::Family, Dimension::Month],
            None,
        ),
        (
            "group_by=sku&filter=account:acme",
            vec![Dimension::Sku],
            Some("acme"),
        ),
    ];
    let check = || {
        let mut totals = Vec::new();
        for (q, group_by, account) in &cases {
            let mut req = ExploreRequest {
                group_by: group_by.clone(),
                ..Default::default()
            };
            let accounts: Vec<&str> = match account {
                Some(a) => {
                    req.filters
                        .insert(Dimension::Account, [a.to_string()].into_iter().collect());
                    vec![*a]
                }
                None => all.clone(),
            };
            let expected = ratecard::explore::explore(
                &book(),
                &fresh(2, &accounts),
                Some(&fresh(1, &accounts)),
                &req,
            )
            .unwrap();
            let expected = serde_json::to_value(&expected).unwrap();
            // Made and kept the first time, read back the second: the same answer.
            for _ in 0..2 {
                let got = get(&format!("period=2026-02&compare=2026-01&{q}"));
                assert_eq!(got, expected, "{q}");
            }
            totals.push(expected["compared_total"].clone());
        }
        totals
    };
    // A final invoice leaves its month's rollup kept, made from the events it was rated from.
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/accounts/acme/invoices",
        Some(TOKEN),
        br#"{"period":"2026-02","issue_date":"2026-03-01"}"#,
    );
    assert_eq!(st, 201, "{b}");
    let (text, _) = ledger
        .kept_rating("acme", "2026-02/rollup/half_up", state.rating_key())
        .unwrap()
        .expect("the invoice's rollup is kept");
    let kept: ratecard::explore::Rollup = serde_json::from_str(&text).unwrap();
    assert_eq!(
        kept,
        ratecard::explore::Rollup::of(&fresh(2, &["acme"])[0], Default::default()).unwrap()
    );
    let before = check();
    let late = br#"{"id":"late-egress-rollup","account":"acme","resource":"acme-bucket","sku":"object-egress","region":"gra","kind":"increment","at":"2026-01-12T09:00:00Z","quantity":"20000"}"#;
    let (st, b) = http(addr, "POST", "/api/v1/events", Some(TOKEN), late);
    assert_eq!(st, 200, "{b}");
    let after = check();
    for (b, a) in before.iter().zip(&after) {
        assert_ne!(b, a, "a late event in January changes January's total");
    }
}

/// Every route, called by every kind of caller: no token, the configured admin token, a stored
/// admin token, an account's token on its own account and on another's, a revoked token and a
/// made-up one. Each route's scope decides, before the handler reads anything.
#[test]
fn every_route_with_every_scope() {
    use ratecard_server::ledger::tokens::TokenRecord;
    let (ledger, _raw) = fresh("scopes");
    ratecard_server::demo::seed(ledger.as_ref(), &book()).unwrap();
    let stored = |scope: &str| {
        let (id, secret) = api::auth::new_token().unwrap();
        let t = TokenRecord {
            id: id.clone(),
            name: format!("test {scope}"),
            scope: scope.into(),
            created: "2026-12-01T00:00:00Z".into(),
            revoked: None,
        };
        ledger
            .create_token(&t, &api::auth::token_hash(&secret))
            .unwrap();
        (id, secret)
    };
    let (_, admin2) = stored("admin");
    let (_, acme) = stored("account:acme");
    let (_, beispiel) = stored("account:beispiel");
    let (revoked_id, revoked) = stored("account:acme");
    assert!(
        ledger
            .revoke_token(&revoked_id, "2026-12-01T00:00:01Z")
            .unwrap()
    );
    assert!(
        !ledger
            .revoke_token(&revoked_id, "2026-12-01T00:00:02Z")
            .unwrap()
    );
    // Only hashes are stored.
    let listed = format!("{:?}", ledger.tokens().unwrap());
    assert!(
        !listed.contains(&acme) && listed.contains("account:acme"),
        "{listed}"
    );
    let addr = serve(Arc::new(state_of(ledger.clone(), Some(TOKEN))));
    let budget = br#"{"id":"acme-b","account":"acme","amount":"500.00"}"#;
    let (st, b) = http(addr, "PUT", "/api/v1/budgets/acme-b", Some(TOKEN), budget);
    assert_eq!(st, 200, "{b}");
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/accounts/acme/invoices",
        Some(TOKEN),
        br#"{"period":"2026-01"}"#,
    );
    assert_eq!(st, 201, "{b}");
    let number = json_of(&b)["number"].as_str().unwrap().to_string();
    let rules = ratecard::samples::ALLOCATION_RULES.as_bytes();
    let price_list = include_bytes!("../../catalog/stratus-2026-01.json");
    let garbage = "rc_00000000_not-a-token";
    let callers: [(&str, Option<&str>); 7] = [
        ("none", None),
        ("admin", Some(TOKEN)),
        ("stored admin", Some(&admin2)),
        ("acme", Some(&acme)),
        ("beispiel", Some(&beispiel)),
        ("revoked", Some(&revoked)),
        ("made up", Some(garbage)),
    ];
    let mut walked = 0;
    for r in api::ROUTES {
        // A request about acme: its path, its query and a body the route accepts.
        let mut path = r
            .path
            .replace("{account}", "acme")
            .replace("{number}", &number)
            .replace(
                "{id}",
                if r.path.starts_with("/api/v1/catalogs") {
                    "stratus"
                } else if r.path.contains("deliveries") {
                    "1"
                } else {
                    "acme-b"
                },
            );
        let query = match r.scope {
            api::Scope::Account(api::Owner::Query) => "account=acme",
            api::Scope::Account(api::Owner::Filter)
                if r.path.ends_with("pricing-view") && r.method == "get" =>
            {
                "period=2026-01&filter=account:acme&price_list=stratus"
            }
            api::Scope::Account(api::Owner::Filter) => "period=2026-01&filter=account:acme",
            _ if r.path.ends_with("/draft") => "period=2026-01",
            _ => "",
        };
        if !query.is_empty() {
            path = format!("{path}?{query}");
        }
        let body: &[u8] = match (r.method, r.path) {
            ("post", "/api/v1/costs/allocation") => rules,
            ("post", "/api/v1/costs/pricing-view") => price_list,
            ("put", "/api/v1/budgets/{id}") => budget,
            ("post", "/api/v1/accounts/{account}/invoices") => br#"{"period":"2026-01"}"#,
            ("post", "/api/v1/estimates" | "/api/v1/estimates/options") => br#"{"month":"2026-01","region":"gra","items":[{"sku":"b2-15"}]}"#,
            ("post", "/api/v1/quotes") => QUOTE,
            ("put", _) => br#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
            _ => b"",
        };
        for (who, token) in callers {
            // The budget the lookups read is there for every caller.
            http(addr, "PUT", "/api/v1/budgets/acme-b", Some(TOKEN), budget);
            let (st, b) = http(addr, &r.method.to_uppercase(), &path, token, body);
            let refused = st == 401 || st == 403;
            let expect_refused = match (r.scope, who) {
                (api::Scope::Public, _) => false,
                (_, "none" | "revoked" | "made up") => true,
                (_, "admin" | "stored admin") => false,
                (api::Scope::Admin, _) => true,
                (api::Scope::Account(api::Owner::Any), _) => false,
                (api::Scope::Account(_), "acme") => false,
                (api::Scope::Account(_), _) => true,
            };
            assert_eq!(
                refused, expect_refused,
                "{} {path} by {who}: {st} {b}",
                r.method
            );
            if refused {
                let code = json_of(&b)["code"].as_str().unwrap_or("").to_string();
                let want = if who == "none" {
                    (401, "unauthorized")
                } else {
                    (403, "forbidden")
                };
                assert_eq!(
                    (st, code.as_str()),
                    want,
                    "{} {path} by {who}: {b}",
                    r.method
                );
            }
            // An account's token reads what the admin token reads about its account.
            if who == "acme" && matches!(r.scope, api::Scope::Account(_)) {
                assert_eq!(st, 200, "{} {path} by acme: {b}", r.method);
            }
        }
        walked += 1;
    }
    assert_eq!(walked, api::ROUTES.len());
    // An account's token must name its account, and only it.
    for path in [
        "/api/v1/costs?period=2026-01",
        "/api/v1/costs?period=2026-01&filter=account:acme,account:beispiel",
        "/api/v1/costs?period=2026-01&filter=account:acme&filter=account:beispiel",
        "/api/v1/budgets",
        "/api/v1/alerts?account=acme&account=beispiel",
        "/api/v1/accounts/beispiel/documents",
        "/api/v1/accounts/ac%6de/../beispiel/documents",
    ] {
        let (st, b) = http(addr, "GET", path, Some(&acme), b"");
        assert!(st == 403 || st == 404, "{path}: {st} {b}");
    }
}

/// The sales journal: every entry and the whole file balance, and each account's total is the
/// documents' (gross on 411, nets on 706x, VAT on 4457x), invoices less credit notes; the FEC
/// has its 18 columns on every line.
#[test]
fn the_accounting_export_balances_and_matches_the_documents() {
    use rust_decimal::Decimal;
    let (ledger, _raw) = fresh("accounting");
    ratecard_server::demo::seed(ledger.as_ref(), &book()).unwrap();
    let addr = serve(Arc::new(state_of(ledger.clone(), Some(TOKEN))));
    for (account, period) in [
        ("acme", "2026-01"),
        ("beispiel", "2026-01"),
        ("acme", "2026-02"),
    ] {
        let (st, b) = http(
            addr,
            "POST",
            &format!("/api/v1/accounts/{account}/invoices"),
            Some(TOKEN),
            format!(r#"{{"period":"{period}"}}"#).as_bytes(),
        );
        assert_eq!(st, 201, "{b}");
    }
    // A volume deleted earlier than billed: a credit note for acme's January.
    let late = br#"{"id":"acc-late","account":"acme","resource":"acme-vol","sku":"classic-volume","region":"gra","kind":"delete","at":"2026-01-20T00:00:00Z"}"#;
    let (st, b) = http(addr, "POST", "/api/v1/events", Some(TOKEN), late);
    assert_eq!(st, 200, "{b}");
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/invoices/INV-2026-000001/rerate",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200, "{b}");
    assert!(json_of(&b)["credit_note"].is_object(), "{b}");
    let (st, b) = http(
        addr,
        "GET",
        "/api/v1/accounting?year=2026&format=json",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200, "{b}");
    let entries = json_of(&b);
    let dec = |v: &Value| v.as_str().unwrap().parse::<Decimal>().unwrap();
    let mut by_prefix: std::collections::BTreeMap<&str, Decimal> = Default::default();
    let (mut all_debit, mut all_credit) = (Decimal::ZERO, Decimal::ZERO);
    for e in entries.as_array().unwrap() {
        let (mut d, mut c) = (Decimal::ZERO, Decimal::ZERO);
        for p in e["postings"].as_array().unwrap() {
            d += dec(&p["debit"]);
            c += dec(&p["credit"]);
            let account = p["account"]["account"].as_str().unwrap();
            let prefix = ["411", "706", "4457"]
                .into_iter()
                .find(|x| account.starts_with(x))
                .unwrap();
            *by_prefix.entry(prefix).or_default() += dec(&p["debit"]) - dec(&p["credit"]);
        }
        assert_eq!(d, c, "entry {} balances", e["piece"]);
        all_debit += d;
        all_credit += c;
    }
    assert_eq!(all_debit, all_credit);
    assert_eq!(
        entries.as_array().unwrap().len(),
        4,
        "three invoices and a credit note"
    );
    // The documents' totals, invoices less credit notes.
    let (mut gross, mut net, mut tax) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for account in ["acme", "beispiel"] {
        let (_, b) = http(
            addr,
            "GET",
            &format!("/api/v1/accounts/{account}/documents"),
            Some(TOKEN),
            b"",
        );
        for d in json_of(&b)["documents"].as_array().unwrap() {
            let sign = if d["kind"] == "credit_note" {
                -Decimal::ONE
            } else {
                Decimal::ONE
            };
            gross += sign * dec(&d["totals"]["gross"]);
            net += sign * dec(&d["totals"]["net"]);
            tax += sign * dec(&d["totals"]["tax"]);
        }
    }
    assert_eq!(by_prefix["411"], gross);
    assert_eq!(-by_prefix["706"], net);
    assert_eq!(-by_prefix["4457"], tax);
    assert!(gross > Decimal::ZERO && tax > Decimal::ZERO);
    // The FEC: its header, 18 columns a line, every posting, amounts with a comma.
    let (st, fec) = http(
        addr,
        "GET",
        "/api/v1/accounting?year=2026",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200, "{fec}");
    let lines: Vec<&str> = fec.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].starts_with("JournalCode\tJournalLib\tEcritureNum\tEcritureDate"));
    let postings: usize = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["postings"].as_array().unwrap().len())
        .sum();
    assert_eq!(lines.len(), 1 + postings);
    for l in &lines[1..] {
        let cells: Vec<&str> = l.split('\t').collect();
        assert_eq!(cells.len(), 18, "{l}");
        assert!(cells[11].contains(',') && cells[12].contains(','), "{l}");
    }
    // The CII of an invoice carries the document's own figures.
    let (_, b) = http(
        addr,
        "GET",
        "/api/v1/invoices/INV-2026-000001",
        Some(TOKEN),
        b"",
    );
    let doc = json_of(&b);
    let (st, cii) = http(
        addr,
        "GET",
        "/api/v1/invoices/INV-2026-000001?format=cii",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200, "{cii}");
    for (tag, v) in [
        ("GrandTotalAmount", &doc["totals"]["gross"]),
        ("TaxBasisTotalAmount", &doc["totals"]["net"]),
    ] {
        let want = format!("<ram:{tag}>{}</ram:{tag}>", v.as_str().unwrap());
        assert!(cii.contains(&want), "{want} in {cii}");
    }
    assert!(cii.contains("<ram:ID>INV-2026-000001</ram:ID><ram:TypeCode>380</ram:TypeCode>"));
    let (st, csv) = http(
        addr,
        "GET",
        "/api/v1/accounting?year=2026&format=csv",
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200);
    assert_eq!(
        csv.split("\r\n").filter(|l| !l.is_empty()).count(),
        1 + postings
    );
    for bad in ["year=2026&format=pdf", "year=12", "format=fec"] {
        let (st, b) = http(
            addr,
            "GET",
            &format!("/api/v1/accounting?{bad}"),
            Some(TOKEN),
            b"",
        );
        assert_eq!(st, 400, "{bad}: {b}");
    }
}

/// Allocation rules saved: refused when an engine check fails, kept when not, applied by the
/// allocation from then on, earlier versions kept and the saving audited; on both stores.
#[test]
fn allocation_rules_are_saved_checked_and_applied() {
    let (ledger, raw) = fresh("rules");
    ratecard_server::demo::seed(ledger.as_ref(), &book()).unwrap();
    let addr = serve(Arc::new(state_of(ledger.clone(), Some(TOKEN))));
    let get = |path: &str| {
        let (st, b) = http(addr, "GET", path, Some(TOKEN), b"");
        assert_eq!(st, 200, "{b}");
        json_of(&b)
    };
    let shipped = get("/api/v1/costs/allocation/rules");
    assert_eq!(shipped["id"], "demo");
    let before = get("/api/v1/costs/allocation?period=2026-03");
    // The support contract spread evenly instead of by weights.
    let mut rules = shipped.clone();
    rules["versions"][0]["fixed"][1]["spread"] = serde_json::json!({"method": "even"});
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/costs/allocation?period=2026-03",
        Some(TOKEN),
        rules.to_string().as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    let preview = json_of(&b);
    assert_ne!(preview["targets"], before["targets"]);
    // Broken rules are refused, and nothing is kept.
    let mut broken = rules.clone();
    broken["versions"][0]["fixed"][1]["spread"] =
        serde_json::json!({"method": "weights", "weights": {"web": "0"}});
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/costs/allocation/rules",
        Some(TOKEN),
        broken.to_string().as_bytes(),
    );
    assert!(st == 422 || st == 400, "{st} {b}");
    // So is a version from the middle of a month, checked for the month it first applies to
    // (it was checked against the version before it, saved, and refused every later month).
    let mut late = rules.clone();
    let mut v = rules["versions"][0].clone();
    v["version"] = "2026-04b".into();
    v["effective_from"] = "2026-04-15T00:00:00Z".into();
    v["fixed"][1]["spread"] = serde_json::json!({"method": "weights", "weights": {"web": "-1"}});
    late["versions"].as_array_mut().unwrap().push(v);
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/costs/allocation/rules",
        Some(TOKEN),
        late.to_string().as_bytes(),
    );
    assert!(st == 422 || st == 400, "{st} {b}");
    assert!(b.contains("weight"), "{b}");
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/costs/allocation/rules",
        Some(TOKEN),
        b"{not json",
    );
    assert_eq!(st, 400, "{b}");
    let mut many = rules.clone();
    let v = many["versions"][0].clone();
    many["versions"] = Value::Array(vec![v; 1_001]);
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/costs/allocation/rules",
        Some(TOKEN),
        many.to_string().as_bytes(),
    );
    assert_eq!(st, 400, "{b}");
    assert!(b.contains("1 to 1000 versions, not 1001"), "{b}");
    assert_eq!(get("/api/v1/costs/allocation/rules"), shipped);
    // Saved: read back, and what the allocation applies (the preview's figures).
    let (st, b) = http(
        addr,
        "PUT",
        "/api/v1/costs/allocation/rules",
        Some(TOKEN),
        rules.to_string().as_bytes(),
    );
    assert_eq!(st, 200, "{b}");
    assert_eq!(get("/api/v1/costs/allocation/rules"), rules);
    let after = get("/api/v1/costs/allocation?period=2026-03");
    assert_eq!(after["targets"], preview["targets"]);
    assert_eq!(
        after["total"], before["total"],
        "spread differently, the same total"
    );
    // Again with the shipped rules: both versions are kept, the last applies.
    let (st, _) = http(
        addr,
        "PUT",
        "/api/v1/costs/allocation/rules",
        Some(TOKEN),
        shipped.to_string().as_bytes(),
    );
    assert_eq!(st, 200);
    assert_eq!(
        get("/api/v1/costs/allocation?period=2026-03")["targets"],
        before["targets"]
    );
    assert_eq!(raw.count("SELECT count(*) FROM allocation_rules"), 2);
    assert_eq!(
        raw.count("SELECT count(*) FROM audit WHERE action = 'allocation_rules'"),
        2
    );
    assert!(raw.exec("UPDATE allocation_rules SET body = '{}'").is_err());
}

/// A final document's files are made when it is issued: its Factur-X PDF and the CII inside it,
/// kept with their SHA-256 in the audit chain and served as they were ever after. A second
/// maker's files are dropped, the database refuses to rewrite or remove them, and verification
/// finds a file changed underneath. A credit note is archived when it is issued too.
#[test]
fn final_documents_are_archived_once_and_served_as_they_were() {
    let (addr, ledger, raw) = start_raw("archive", Some(TOKEN));
    acme_with_a_running_b2_15(addr);
    let (st, inv) = post(
        addr,
        "/api/v1/accounts/acme/invoices",
        None,
        br#"{"period":"2026-01"}"#,
    );
    assert_eq!(st, 201, "{inv}");
    let number = inv["number"].as_str().unwrap().to_string();
    let doc: ratecard::document::Document = serde_json::from_value(inv.clone()).unwrap();
    let kept = ledger
        .archive(&number)
        .unwrap()
        .expect("archived when finalized");
    assert_eq!(kept.xml, ratecard::export::cii(&doc).unwrap());
    assert!(kept.pdf.starts_with(b"%PDF-1.7"));
    assert!(String::from_utf8_lossy(&kept.pdf).contains("/AFRelationship/Alternative"));
    // One audit entry names both files' digests.
    let detail = raw.text(&format!(
        "SELECT detail FROM audit WHERE action = 'archive' AND subject = '{number}'"
    ));
    assert_eq!(detail, kept.audit_detail());
    assert!(detail.contains(&format!("pdf_sha256={}", kept.pdf_sha256())));
    // Served as kept: PDF, Factur-X and CII.
    for f in ["pdf", "facturx", "pdf&lang=fr"] {
        let (st, body) = http(
            addr,
            "GET",
            &format!("/api/v1/invoices/{number}?format={f}"),
            Some(TOKEN),
            b"",
        );
        assert_eq!(st, 200);
        assert_eq!(body, String::from_utf8_lossy(&kept.pdf), "{f}");
    }
    let (_, cii) = http(
        addr,
        "GET",
        &format!("/api/v1/invoices/{number}?format=cii"),
        Some(TOKEN),
        b"",
    );
    assert_eq!(cii, kept.xml);
    // English is a copy made now, not the archived file.
    let (st, en) = http(
        addr,
        "GET",
        &format!("/api/v1/invoices/{number}?format=pdf&lang=en"),
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 200);
    assert!(en.starts_with("%PDF-1.7") && en != String::from_utf8_lossy(&kept.pdf));
    let (st, b) = http(
        addr,
        "GET",
        &format!("/api/v1/invoices/{number}?format=pdf&lang=de"),
        Some(TOKEN),
        b"",
    );
    assert_eq!(st, 400, "{b}");
    assert!(b.contains("language `de`: fr or en"), "{b}");
    // The first files stay.
    let other = ratecard_server::ledger::Archive {
        pdf: b"%PDF-1.7 other".to_vec(),
        xml: "<other/>".into(),
    };
    assert!(!ledger.put_archive(&number, &other).unwrap());
    assert_eq!(ledger.archive(&number).unwrap().as_ref(), Some(&kept));
    assert!(ledger.put_archive("INV-2099-000001", &other).is_err());
    // The database refuses a rewrite and a removal.
    for sql in [
        format!("UPDATE archives SET xml = '<x/>' WHERE number = '{number}'"),
        format!("DELETE FROM archives WHERE number = '{number}'"),
    ] {
        let e = raw.exec(&sql).unwrap_err();
        assert!(e.contains("archived documents are"), "{sql}: {e}");
    }
    assert!(ledger.verify_audit().unwrap().ok);
    // Changed underneath (the trigger dropped first): verification says which.
    let drop = if raw.is_postgres() {
        "DROP TRIGGER archives_immutable ON archives"
    } else {
        "DROP TRIGGER archives_immutable"
    };
    raw.exec(&format!(
        "{drop}; UPDATE archives SET xml = '<x/>' WHERE number = '{number}'"
    ))
    .unwrap();
    let report = ledger.verify_audit().unwrap();
    assert!(!report.ok);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p == &format!("the files of {number} were changed after they were archived")),
        "{:?}",
        report.problems
    );
    // Removed underneath: verification says so; the sweep a starting service runs makes them
    // again, and verification still shows that they were made twice.
    let drop_delete = if raw.is_postgres() {
        "SELECT 1"
    } else {
        "DROP TRIGGER archives_kept"
    };
    raw.exec(&format!(
        "{drop_delete}; DELETE FROM archives WHERE number = '{number}'"
    ))
    .unwrap();
    assert_eq!(ledger.unarchived(10).unwrap(), vec![number.clone()]);
    let report = ledger.verify_audit().unwrap();
    assert!(
        report
            .problems
            .contains(&format!("the archived files of {number} are gone")),
        "{:?}",
        report.problems
    );
    assert_eq!(
        ratecard_server::billing::archive_missing(ledger.as_ref())
            .unwrap()
            .done,
        1
    );
    assert!(ledger.unarchived(10).unwrap().is_empty());
    assert_eq!(ledger.archive(&number).unwrap().unwrap().xml, kept.xml);
    let report = ledger.verify_audit().unwrap();
    assert!(
        report
            .problems
            .contains(&format!("the files of {number} were archived twice")),
        "{:?}",
        report.problems
    );
    // A credit note is archived as it is issued.
    let late = br#"{"id":"g2","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-10T00:00:00Z"}"#;
    let (st, b) = http(addr, "POST", "/api/v1/events", Some(TOKEN), late);
    assert_eq!(st, 200, "{b}");
    let (st, r) = post(
        addr,
        &format!("/api/v1/invoices/{number}/rerate"),
        None,
        b"",
    );
    assert_eq!(st, 200, "{r}");
    let cn = r["credit_note"]["number"]
        .as_str()
        .unwrap_or_else(|| panic!("a credit note: {r}"));
    let cn_files = ledger
        .archive(cn)
        .unwrap()
        .expect("the credit note archived");
    assert!(cn_files.xml.contains("<ram:TypeCode>381</ram:TypeCode>"));
}

/// A quote as the calculator sends it: its estimate request and its document request (the
/// seller it names is replaced by the service's).
const QUOTE: &[u8] = br#"{"estimate":{"month":"2026-01","region":"gra","items":[{"sku":"b2-15","count":2,"label":"web"},{"sku":"classic-volume","gb":"100"}]},"document":{"kind":"quote","number":"Q-2026-0042","issue_date":"2026-01-05","valid_until":"2026-02-05","seller":{"name":"Someone Else"},"buyer":{"name":"Prospect SA","country":"FR","kind":"business","vat_number":"FR40303265045"},"adjustments":{"discounts":[{"id":"overall","description":"Overall discount","scope":"document","value":{"percent":"10"}}]},"notes":"Prices held until the validity date."}}"#;

/// A labelled object storage's egress, an account total with no resource, says what it is
/// for on the service's quote, as the storage does (it had no label).
#[test]
fn a_quote_labels_its_counter_lines() {
    let (addr, _) = start("quote-counter", Some(TOKEN));
    let quote = String::from_utf8(QUOTE.to_vec()).unwrap().replace(
        r#"{"sku":"classic-volume","gb":"100"}"#,
        r#"{"sku":"object-storage","gb":"100","egress_gb":"500","label":"backups"}"#,
    );
    let (st, b) = http(addr, "POST", "/api/v1/quotes", None, quote.as_bytes());
    assert_eq!(st, 200, "{b}");
    let doc: ratecard::document::Document = serde_json::from_str(&b).unwrap();
    let described = |sku: &str| {
        doc.lines
            .iter()
            .filter(|l| l.sku == sku)
            .map(|l| {
                l.description
                    .split_once(": ")
                    .map(|(label, _)| label.to_string())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(described("object-egress"), [Some("backups".to_string())]);
    assert_eq!(described("object-storage"), [Some("backups".to_string())]);
    assert_eq!(
        described("b2-15"),
        [Some("web".to_string()), Some("web".to_string())]
    );
}

/// The calculator's quote, priced again by the service with the same engine: the same figures
/// as the engine gives for the same requests, the service's seller, a PDF (posted as JSON or
/// as the calculator's form) that prints them; an invoice kind is refused.
#[test]
fn a_quote_is_priced_by_the_engine_and_printed() {
    let (addr, _) = start("quote", Some(TOKEN));
    let (st, b) = http(addr, "POST", "/api/v1/quotes", None, QUOTE);
    assert_eq!(st, 200, "{b}");
    let doc: ratecard::document::Document = serde_json::from_str(&b).unwrap();
    let body: Value = serde_json::from_slice(QUOTE).unwrap();
    let req: ratecard::EstimateRequest = serde_json::from_value(body["estimate"].clone()).unwrap();
    let mut dreq: ratecard::document::DocumentRequest =
        serde_json::from_value(body["document"].clone()).unwrap();
    let state = state_of(fresh("quote-engine").0, None);
    dreq.seller = state.seller.clone();
    let est = ratecard::estimate(&book(), &req).unwrap();
    let expected = ratecard::document::build(
        &dreq,
        &est.rating(),
        &book(),
        &state.vat,
        ratecard::document::Fx::Rates(&state.fx),
    )
    .unwrap();
    // The same document, each line of the labelled item saying what it is for.
    let mut expected = expected;
    let mut labelled = 0;
    for l in expected.lines.iter_mut().filter(|l| l.sku == "b2-15") {
        l.description = format!("web: {}", l.description);
        labelled += 1;
    }
    assert_eq!(labelled, 2);
    assert_eq!(doc, expected);
    assert_eq!(doc.seller.name, "Ratecard Cloud SAS");
    assert_eq!(doc.number.as_deref(), Some("Q-2026-0042"));
    assert!(doc.totals.gross > rust_decimal::Decimal::ZERO);
    // The calculator's form: one field holding the JSON, answered with the PDF to download.
    let form = format!("quote={}", url_encode(std::str::from_utf8(QUOTE).unwrap()));
    let (st, pdf) = ratecard_server::client::request_with(
        addr,
        "POST",
        "/api/v1/quotes?format=pdf&lang=fr",
        None,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .unwrap();
    assert_eq!(st, 200, "{pdf}");
    assert!(pdf.starts_with("%PDF-1.7"));
    assert!(pdf.contains("/Title(Devis Q-2026-0042)"), "the PDF's title");
    // Only quotes and estimates.
    let invoice = String::from_utf8(QUOTE.to_vec())
        .unwrap()
        .replace(r#""kind":"quote""#, r#""kind":"final_invoice""#);
    let (st, b) = http(addr, "POST", "/api/v1/quotes", None, invoice.as_bytes());
    assert_eq!(st, 400, "{b}");
    assert!(b.contains("quotes and estimates only"), "{b}");
    // The buyer's address is bounded: the block is drawn on the first page, not paginated.
    let lines = ["\"a\""; 7].join(",");
    let many = String::from_utf8(QUOTE.to_vec()).unwrap().replace(
        r#""country":"FR","kind":"business""#,
        &format!(r#""country":"FR","address":{{"lines":[{lines}]}},"kind":"business""#),
    );
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/quotes?format=pdf",
        None,
        many.as_bytes(),
    );
    assert_eq!(st, 400, "{b}");
    assert!(
        b.contains("document.buyer.address: at most 6 address lines (got 7)"),
        "{b}"
    );
    // Notes are bounded: a public route that prints is no book printer.
    let long = String::from_utf8(QUOTE.to_vec())
        .unwrap()
        .replace("Prices held until the validity date.", &"x".repeat(10_001));
    let (st, b) = http(
        addr,
        "POST",
        "/api/v1/quotes?format=pdf",
        None,
        long.as_bytes(),
    );
    assert_eq!(st, 400, "{b}");
    assert!(
        b.contains("document.notes: at most 10000 characters (got 10001)"),
        "{b}"
    );
    let (st, b) = http(addr, "POST", "/api/v1/quotes?format=docx", None, QUOTE);
    assert_eq!(st, 400, "{b}");
    let (st, b) = http(addr, "POST", "/api/v1/quotes?catalog=nope", None, QUOTE);
    assert_eq!(st, 404, "{b}");
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
