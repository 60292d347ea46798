//! Several `ratecard serve` processes on one PostgreSQL ledger give the results one would: two
//! processes, overlapping event batches sent to both, and fifty finalizations at once, half to
//! each. Needs a PostgreSQL server (`RATECARD_TEST_POSTGRES`); `cargo xtask test` starts one
//! and runs this file.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use ratecard_server::ledger::{self, Store};
use serde_json::Value;

const TOKEN: &str = "nodes-test-token";
const KEY: &str = "nodes-test-audit-key-0123456789";
const ACCOUNTS: usize = 25;
const EVENTS: usize = 40;

struct Node {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node(url: &str) -> Node {
    #[allow(clippy::zombie_processes)] // Drop kills and waits
    let mut child = Command::new(env!("CARGO_BIN_EXE_ratecard"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--dist",
            "/nonexistent",
            "--db",
            url,
        ])
        .env("RATECARD_TOKEN", TOKEN)
        .env("RATECARD_AUDIT_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ratecard serve");
    let out = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(out).lines();
    let addr = loop {
        let l = lines
            .next()
            .expect("the server printed its address")
            .expect("a line");
        if let Some(a) = l.strip_prefix("ratecard is listening on http://") {
            break a.trim_end_matches('/').parse().expect("an address");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Node { child, addr }
}

fn call(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
    let (st, b) =
        ratecard_server::client::request(addr, method, path, Some(TOKEN), body).expect("request");
    (
        st,
        serde_json::from_str(&b).unwrap_or_else(|e| panic!("not JSON ({e}): {b}")),
    )
}

#[test]
#[ignore = "needs a PostgreSQL server in RATECARD_TEST_POSTGRES; cargo xtask test runs it"]
fn two_processes_on_one_postgres_ledger_give_one_ledger() {
    let base = std::env::var("RATECARD_TEST_POSTGRES").expect("RATECARD_TEST_POSTGRES");
    let url = ledger::postgres::fresh_database(&base, "nodes").expect("a fresh database");
    // Both start at once on an empty database: one migrates, the other finds it migrated.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| node(&url));
        let b = s.spawn(|| node(&url));
        (a.join().unwrap(), b.join().unwrap())
    });
    let nodes = [a.addr, b.addr];
    let accounts: Vec<String> = (0..ACCOUNTS).map(|i| format!("acct-{i:02}")).collect();
    // Customers, and each account's events in two overlapping batches, one to each process,
    // at the same time: 40 distinct events per account, 20 of them sent twice.
    std::thread::scope(|s| {
        for (i, acct) in accounts.iter().enumerate() {
            s.spawn(move || {
                let (st, v) = call(
                    nodes[i % 2],
                    "PUT",
                    &format!("/api/v1/accounts/{acct}/customer"),
                    br#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
                );
                assert_eq!(st, 200, "{v}");
                let first = common::events(acct, 0, 30);
                let second = common::events(acct, 10, EVENTS - 10);
                std::thread::scope(|s2| {
                    let h1 = s2.spawn(|| call(nodes[0], "POST", "/api/v1/events", first.as_bytes()));
                    let h2 = s2.spawn(|| call(nodes[1], "POST", "/api/v1/events", second.as_bytes()));
                    let (r1, r2) = (h1.join().unwrap(), h2.join().unwrap());
                    assert_eq!((r1.0, r2.0), (200, 200), "{r1:?} {r2:?}");
                    let accepted = r1.1["accepted"].as_u64().unwrap() + r2.1["accepted"].as_u64().unwrap();
                    let duplicate = r1.1["duplicate"].as_u64().unwrap() + r2.1["duplicate"].as_u64().unwrap();
                    assert_eq!((accepted, duplicate), (EVENTS as u64, 20), "{acct}: {r1:?} {r2:?}");
                });
            });
        }
    });
    for n in nodes {
        let (st, h) = call(n, "GET", "/api/v1/health", b"");
        assert_eq!(
            (st, h["events"].as_u64()),
            (200, Some((ACCOUNTS * EVENTS) as u64)),
            "{h}"
        );
    }
    // Fifty finalizations at once: each account's period asked of both processes.
    let answers: Vec<(String, u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = accounts
            .iter()
            .flat_map(|acct| nodes.map(|n| (acct.clone(), n)))
            .map(|(acct, n)| {
                s.spawn(move || {
                    let (st, v) = call(
                        n,
                        "POST",
                        &format!("/api/v1/accounts/{acct}/invoices"),
                        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
                    );
                    (acct, st, v)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut per_account: BTreeMap<&str, Vec<(u16, String)>> = BTreeMap::new();
    for (acct, st, v) in &answers {
        let number = v["number"].as_str().unwrap_or_else(|| panic!("{st} {v}"));
        per_account
            .entry(acct)
            .or_default()
            .push((*st, number.to_string()));
    }
    assert_eq!(per_account.len(), ACCOUNTS);
    for (acct, got) in &per_account {
        let statuses: BTreeSet<u16> = got.iter().map(|g| g.0).collect();
        assert_eq!(
            statuses,
            BTreeSet::from([200, 201]),
            "{acct}: one made it, one found it"
        );
        assert_eq!(got[0].1, got[1].1, "{acct}: both answers name one invoice");
    }
    // Gapless: the numbers are exactly 1 to 25.
    let numbers: BTreeSet<String> = per_account.values().map(|g| g[0].1.clone()).collect();
    let expected: BTreeSet<String> = (1..=ACCOUNTS).map(|i| format!("INV-2026-{i:06}")).collect();
    assert_eq!(numbers, expected);
    // The database agrees, and its audit chain verifies.
    let key = ratecard_server::audit::AuditKey::from_bytes(KEY.as_bytes()).unwrap();
    let l = ledger::PgLedger::connect_existing(&url, key).unwrap();
    assert_eq!(l.event_count().unwrap(), (ACCOUNTS * EVENTS) as u64);
    let r = l.verify_audit().unwrap();
    assert!(r.ok, "{r:?}");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = client
        .query_one(
            "SELECT COUNT(*), MAX(seq) FROM documents WHERE series = 'INV'",
            &[],
        )
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (25, 25));
}

/// The close of a period with 80 accounts: killed (SIGKILL) after its first progress line, then
/// run again by two processes of two workers each at once. Every account ends with exactly one
/// invoice, numbered 1 to 80 without a gap, and the audit chain verifies.
#[test]
#[ignore = "needs a PostgreSQL server in RATECARD_TEST_POSTGRES; cargo xtask test runs it"]
fn a_killed_close_is_finished_by_two_processes_with_no_duplicate_and_no_gap() {
    const N: usize = 80;
    let base = std::env::var("RATECARD_TEST_POSTGRES").expect("RATECARD_TEST_POSTGRES");
    let url = ledger::postgres::fresh_database(&base, "close").expect("a fresh database");
    let key = ratecard_server::audit::AuditKey::from_bytes(KEY.as_bytes()).unwrap();
    let l = ledger::PgLedger::connect(&url, key.clone()).unwrap();
    let customer: ratecard::party::Customer = serde_json::from_str(
        r#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    )
    .unwrap();
    for i in 0..N {
        let acct = format!("close-{i:03}");
        l.put_customer(&acct, &customer).unwrap();
        let parsed = ratecard::event::parse_jsonl(&common::events(&acct, 0, 20));
        assert!(parsed.rejects.is_empty());
        assert_eq!(l.ingest(&parsed.events).unwrap().accepted, 20);
    }
    let close = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ratecard"));
        c.args([
            "close",
            "--period",
            "2026-01",
            "--workers",
            "2",
            "--db",
            &url,
        ])
        .env("RATECARD_AUDIT_KEY", KEY)
        .env("RATECARD_CLOSE_LEASE_S", "1");
        c
    };
    // Killed after its first progress line: part of the period is invoiced.
    let mut first = close()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ratecard close");
    let err = first.stderr.take().expect("stderr");
    let line = std::io::BufReader::new(err)
        .lines()
        .next()
        .expect("a progress line")
        .expect("a line");
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    assert!(line.starts_with("closed "), "{line}");
    let made = l
        .accounts_to_close(&ratecard::Period::parse("2026-01").unwrap(), "INV")
        .unwrap();
    assert!(
        !made.is_empty() && made.len() < N,
        "the kill landed mid-close: {} accounts left",
        made.len()
    );
    // Two processes finish it together.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| close().output().unwrap());
        let b = s.spawn(|| close().output().unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    for o in [&a, &b] {
        assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let summary = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).to_string();
    assert!(summary(&a).contains("0 failed"), "{}", summary(&a));
    let period = ratecard::Period::parse("2026-01").unwrap();
    assert!(l.accounts_to_close(&period, "INV").unwrap().is_empty());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = client
        .query_one(
            "SELECT COUNT(*), COUNT(DISTINCT account), MIN(seq), MAX(seq) FROM documents WHERE series = 'INV' AND period = '2026-01'",
            &[],
        )
        .unwrap();
    let got: (i64, i64, i64, i64) = (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!(got, (N as i64, N as i64, 1, N as i64));
    let r = l.verify_audit().unwrap();
    assert!(r.ok, "{r:?}");
    // The command line verifies the same ledger, and anchors its head.
    let audit = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ratecard"))
            .args(args)
            .env("RATECARD_AUDIT_KEY", KEY)
            .output()
            .unwrap()
    };
    let head = audit(&["audit", "head", "--db", &url]);
    assert!(
        head.status.success(),
        "{}",
        String::from_utf8_lossy(&head.stderr)
    );
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let out = audit(&["audit", "verify", "--db", &url, "--expect", &head]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("audit log intact"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A database that is not a ledger is refused, and nothing is created in it.
    let empty = ledger::postgres::fresh_database(&base, "not_a_ledger").unwrap();
    let out = audit(&["audit", "verify", "--db", &empty]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a ratecard ledger"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
