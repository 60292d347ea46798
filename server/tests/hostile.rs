//! The hostile-client suite: a release build of `ratecard serve`, driven as an attacker and as
//! many clients at once would. `cargo xtask test` builds the release binary and runs these with
//! `RATECARD_RELEASE_BIN` set (`cargo test -p ratecard-server --test hostile -- --ignored`);
//! each test asserts the outcome (rows, documents, exit codes), not only a status.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

const TOKEN: &str = "hostile-token-51c2";
const KEY: &str = "hostile-audit-key-0123456789abcdef";

fn binary() -> PathBuf {
    PathBuf::from(
        std::env::var("RATECARD_RELEASE_BIN").expect(
            "RATECARD_RELEASE_BIN: the release binary (cargo xtask test builds and sets it)",
        ),
    )
}

fn db(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "ratecard-hostile-{}-{name}.sqlite",
        std::process::id()
    ));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
    }
    p
}

struct Server {
    child: Child,
    addr: SocketAddr,
    db: PathBuf,
}

impl Server {
    fn start(name: &str) -> Server {
        Self::on(db(name))
    }

    /// Starts the server on an existing ledger (or a new one at that path), on a port it picks
    /// itself and prints (two servers starting at once never race for one port).
    fn on(db: PathBuf) -> Server {
        use std::io::BufRead;
        #[allow(clippy::zombie_processes)] // Drop kills and waits
        let mut child = Command::new(binary())
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args(["--dist", "/nonexistent"])
            .env("RATECARD_TOKEN", TOKEN)
            .env("RATECARD_AUDIT_KEY", KEY)
            .env("RATECARD_HEADER_TIMEOUT_S", "2")
            .env("RATECARD_BODY_TIMEOUT_S", "2")
            .env("RATECARD_DRAIN_S", "3")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the release server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let addr: SocketAddr = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server ended before listening");
            };
            if let Some(rest) = line.strip_prefix("ratecard is listening on http://") {
                break rest
                    .trim_end_matches('/')
                    .parse()
                    .expect("the address it printed");
            }
        };
        // Keep reading its output, so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr, db }
    }

    fn call(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        self.call_with(method, path, &[], body)
    }

    fn call_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Value) {
        let (st, b) = ratecard_server::client::request_with(
            self.addr,
            method,
            path,
            Some(TOKEN),
            headers,
            body,
        )
        .expect("request");
        let v = serde_json::from_str(&b).unwrap_or_else(|e| panic!("not JSON ({e}): {b}"));
        (st, v)
    }

    fn alive(&self) -> bool {
        matches!(self.call("GET", "/api/v1/health", b""), (200, v) if v["status"] == "ok")
    }

    fn stop(mut self) -> PathBuf {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.db.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CUSTOMER: &[u8] =
    br#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#;

fn account(s: &Server, name: &str) {
    assert_eq!(
        s.call(
            "PUT",
            &format!("/api/v1/accounts/{name}/customer"),
            CUSTOMER
        )
        .0,
        200
    );
    assert_eq!(
        s.call(
            "POST",
            "/api/v1/events",
            common::events(name, 0, 20).as_bytes()
        )
        .0,
        200
    );
}

fn sqlite(db: &Path, sql: &str) -> (bool, String) {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("the sqlite3 shell");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn verify(db: &Path) -> (i32, String) {
    let out = Command::new(binary())
        .args(["audit", "verify", "--db"])
        .arg(db)
        .env("RATECARD_AUDIT_KEY", KEY)
        .output()
        .expect("audit verify");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
#[ignore = "needs the release build: cargo xtask test"]
fn requests_that_once_killed_the_server_are_answered_and_it_lives() {
    let s = Server::start("overflow");
    let (st, v) = s.call(
        "POST",
        "/api/v1/estimates",
        br#"{"month":"2026-01","region":"gra","items":[{"sku":"high-speed-volume","count":10000,"gb":"106000000000000000000000000"}]}"#,
    );
    assert_eq!(
        (st, v["code"].as_str()),
        (422, Some("unprocessable")),
        "{v}"
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("items[0].count"),
        "{v}"
    );
    // The 80-item request that went past 4 GiB: refused by the resource cap, by name.
    let items: Vec<String> = (0..80)
        .map(|_| r#"{"sku":"b2-15","count":100,"plan":"monthly"}"#.to_string())
        .collect();
    let body = format!(
        r#"{{"month":"2026-01","region":"gra","items":[{}]}}"#,
        items.join(",")
    );
    let (st, v) = s.call("POST", "/api/v1/estimates", body.as_bytes());
    assert_eq!(st, 422, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("at most 5000 resources in all"),
        "{v}"
    );
    // Huge numbers in every numeric field, and 31 decimals: clear errors.
    for field in ["gb", "egress_gb", "requests", "quantity"] {
        let body = format!(
            r#"{{"month":"2026-01","region":"gra","items":[{{"sku":"object-storage","{field}":"{}"}}]}}"#,
            "9".repeat(30)
        );
        let (st, v) = s.call("POST", "/api/v1/estimates", body.as_bytes());
        assert!(st == 400 || st == 422, "{field}: {st} {v}");
    }
    let (st, v) = s.call("POST", "/api/v1/estimates", br#"{"month":"2026-01","region":"gra","items":[{"sku":"classic-volume","gb":"0.1234567890123456789012345678901"}]}"#);
    assert_eq!(st, 400, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("more digits than a decimal holds"),
        "{v}"
    );
    // An event of 1e26 GB is rejected by name; a draft cannot be made to overflow.
    account(&s, "big");
    let (st, v) = s.call("POST", "/api/v1/events", br#"{"id":"x1","account":"big","resource":"v","sku":"object-egress","region":"gra","kind":"increment","at":"2026-01-05T00:00:00Z","quantity":"100000000000000000000000000"}"#);
    assert_eq!((st, v["rejected"].as_u64()), (200, Some(1)), "{v}");
    assert_eq!(
        s.call(
            "GET",
            "/api/v1/accounts/big/invoices/draft?period=2026-01",
            b""
        )
        .0,
        200
    );
    assert!(s.alive());
}

#[test]
#[ignore = "needs the release build: cargo xtask test"]
fn fifty_concurrent_finalizes_of_one_period_store_one_invoice() {
    let s = Arc::new(Server::start("finalize"));
    account(&s, "acme");
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                s.call(
                    "POST",
                    "/api/v1/accounts/acme/invoices",
                    br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
                )
            })
        })
        .collect();
    let answers: Vec<(u16, Value)> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert_eq!(
        answers.iter().filter(|(st, _)| *st == 201).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .all(|(st, v)| (*st == 201 || *st == 200) && v["number"] == "INV-2026-000001")
    );
    let s = Arc::try_unwrap(s).ok().expect("one owner");
    let db = s.stop();
    assert_eq!(sqlite(&db, "SELECT COUNT(*) FROM documents;").1.trim(), "1");
}

#[test]
#[ignore = "needs the release build: cargo xtask test"]
fn concurrent_and_repeated_rerates_issue_one_credit_note() {
    let s = Arc::new(Server::start("rerate"));
    assert_eq!(
        s.call("PUT", "/api/v1/accounts/acme/customer", CUSTOMER).0,
        200
    );
    s.call("POST", "/api/v1/events", br#"{"id":"g1","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-04T09:40:00Z"}"#);
    let (st, inv) = s.call(
        "POST",
        "/api/v1/accounts/acme/invoices",
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(st, 201, "{inv}");
    s.call("POST", "/api/v1/events", br#"{"id":"g2","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-12T16:30:00Z"}"#);
    let path = format!(
        "/api/v1/invoices/{}/rerate",
        inv["number"].as_str().unwrap_or("")
    );
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let (s, path) = (s.clone(), path.clone());
            std::thread::spawn(move || s.call("POST", &path, br#"{"issue_date":"2026-02-10"}"#))
        })
        .collect();
    let answers: Vec<(u16, Value)> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    let notes: Vec<&Value> = answers
        .iter()
        .filter_map(|(_, v)| v.get("credit_note"))
        .collect();
    assert_eq!(notes.len(), 1, "{answers:?}");
    assert_eq!(notes[0]["totals"]["gross"], "61.67");
    for _ in 0..3 {
        let (st, v) = s.call("POST", &path, br#"{"issue_date":"2026-02-11"}"#);
        assert_eq!((st, &v["unchanged"]), (200, &Value::Bool(true)), "{v}");
    }
    let s = Arc::try_unwrap(s).ok().expect("one owner");
    let db = s.stop();
    assert_eq!(
        sqlite(
            &db,
            "SELECT COUNT(*) FROM documents WHERE kind = 'credit_note';"
        )
        .1
        .trim(),
        "1"
    );
    assert_eq!(verify(&db).0, 0, "{}", verify(&db).1);
}

#[test]
#[ignore = "needs the release build: cargo xtask test"]
fn an_ingestion_killed_with_sigkill_loses_no_acknowledged_event() {
    let s = Server::start("sigkill");
    let batches: Vec<String> = (0..30)
        .map(|b| common::events("kill", b * 1000, 1000))
        .collect();
    let acked = Arc::new(AtomicUsize::new(0));
    let addr = s.addr;
    let sender = {
        let (acked, batches) = (acked.clone(), batches.clone());
        std::thread::spawn(move || {
            for b in &batches {
                match ratecard_server::client::request(
                    addr,
                    "POST",
                    "/api/v1/events",
                    Some(TOKEN),
                    b.as_bytes(),
                ) {
                    Ok((200, body)) if body.contains(r#""accepted":1000"#) => {
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => return,
                }
            }
        })
    };
    while acked.load(Ordering::SeqCst) < 5 {
        std::thread::sleep(Duration::from_millis(2));
    }
    let db = s.stop(); // SIGKILL
    let _ = sender.join();
    let acknowledged = acked.load(Ordering::SeqCst);
    assert!(
        (5..30).contains(&acknowledged),
        "killed after {acknowledged} batches"
    );
    let s = Server::on(db);
    for b in &batches[..acknowledged] {
        let (_, v) = s.call("POST", "/api/v1/events", b.as_bytes());
        assert_eq!(
            (v["accepted"].as_u64(), v["duplicate"].as_u64()),
            (Some(0), Some(1000)),
            "{v}"
        );
    }
    for b in &batches[acknowledged..] {
        s.call("POST", "/api/v1/events", b.as_bytes());
    }
    assert_eq!(
        s.call("GET", "/api/v1/health", b"").1["events"].as_u64(),
        Some(30_000)
    );
    let db = s.stop();
    assert_eq!(verify(&db).0, 0, "{}", verify(&db).1);
}

#[test]
#[ignore = "needs the release build: cargo xtask test"]
fn tampering_with_each_table_is_refused_or_detected() {
    let s = Server::start("tamper");
    account(&s, "acme");
    let (st, _) = s.call(
        "POST",
        "/api/v1/accounts/acme/invoices",
        br#"{"period":"2026-01","issue_date":"2026-02-01"}"#,
    );
    assert_eq!(st, 201);
    let db = s.stop();
    assert_eq!(verify(&db), (0, verify(&db).1));
    // With the triggers in place, the database refuses every rewrite path.
    for sql in [
        "INSERT OR REPLACE INTO documents SELECT number, series, year, seq, kind, account, period, replace(body, '88', '8'), corrects, issue_date FROM documents;",
        "UPDATE documents SET body = 'x';",
        "DELETE FROM documents;",
        "UPDATE events SET body = 'x';",
        "DELETE FROM events;",
        "DELETE FROM audit;",
        "UPDATE audit SET detail = 'x';",
        "INSERT OR REPLACE INTO audit SELECT seq, at, action, subject, 'x', prev_hash, hash FROM audit;",
        // A new number that takes an existing one's place in its series, or its period.
        "INSERT OR REPLACE INTO documents SELECT 'INV-2026-999999', series, year, seq, kind, account, period, body, corrects, issue_date FROM documents;",
        "INSERT OR REPLACE INTO documents SELECT 'INV-2026-999998', series, year, 999998, kind, account, period, body, corrects, issue_date FROM documents;",
    ] {
        let (ok, out) = sqlite(&db, sql);
        assert!(!ok, "the database accepted: {sql} ({out})");
    }
    // Someone who drops the triggers: each edit is found by verification, on a copy each.
    let drop_all = "SELECT 1; DROP TRIGGER documents_immutable; DROP TRIGGER documents_kept; DROP TRIGGER documents_not_replaced; DROP TRIGGER events_immutable; DROP TRIGGER events_kept; DROP TRIGGER audit_append_only; DROP TRIGGER audit_kept;";
    for (sql, found) in [
        (
            "UPDATE documents SET body = replace(body, '\"gross\":\"', '\"gross\":\"1');",
            "was changed after it was stored",
        ),
        (
            "UPDATE events SET body = replace(body, 'T01:00', 'T02:00');",
            "events of batch",
        ),
        ("DELETE FROM events WHERE id = 'acme-3';", "events of batch"),
        (
            "UPDATE customers SET body = replace(body, 'Acme', 'Evil');",
            "customer of `acme`",
        ),
        (
            "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit);",
            "removed from the end",
        ),
        (
            "DELETE FROM audit; DELETE FROM audit_head;",
            "no audit entry",
        ),
        ("DELETE FROM documents;", "INV-2026-000001 is gone"),
        ("DELETE FROM customers;", "the customer of `acme` is gone"),
        (
            "UPDATE audit SET detail = 'forged' WHERE seq = 1;",
            "does not follow",
        ),
    ] {
        // A consistent copy (the ledger is in WAL mode: the main file alone is not the ledger).
        let copy = db.with_extension(format!("copy-{}.sqlite", found.len()));
        let _ = std::fs::remove_file(&copy);
        let (ok, out) = sqlite(&db, &format!("VACUUM INTO '{}';", copy.display()));
        assert!(ok, "copy: {out}");
        let (ok, out) = sqlite(&copy, &format!("{drop_all} {sql}"));
        assert!(ok, "{sql}: {out}");
        let (code, report) = verify(&copy);
        assert!(code == 1 && report.contains(found), "{sql}: {report}");
        let _ = std::fs::remove_file(&copy);
    }
}

#[test]
#[ignore = "needs the release build: cargo xtask test"]
fn slow_and_silent_clients_are_cut_off_and_shutdown_is_bounded() {
    let mut s = Server::start("slow");
    // Headers never finished: the server closes the connection.
    let mut c = TcpStream::connect(s.addr).expect("connect");
    c.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
        .expect("write");
    c.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let mut buf = Vec::new();
    let n = c.read_to_end(&mut buf).unwrap_or(0);
    assert!(
        n == 0 || String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    // A connection that says nothing: closed too.
    let mut c = TcpStream::connect(s.addr).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let mut buf = Vec::new();
    let n = c.read_to_end(&mut buf).unwrap_or(usize::MAX);
    assert!(n != usize::MAX, "a silent connection was kept open");
    // A half-sent upload: 408 `timeout`, as JSON.
    let mut c = TcpStream::connect(s.addr).expect("connect");
    write!(c, "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 1000\r\n\r\n{{\"id\":").expect("write");
    c.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    let mut buf = Vec::new();
    let _ = c.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.starts_with("HTTP/1.1 408") && text.contains("\"code\":\"timeout\""),
        "{text}"
    );
    assert!(s.alive());
    // Shutdown while an upload hangs: the process ends within the drain bound.
    let mut hanging = TcpStream::connect(s.addr).expect("connect");
    write!(hanging, "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 1000\r\n\r\n[").expect("write");
    std::thread::sleep(Duration::from_millis(200));
    let pid = s.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let mut ended = None;
    for _ in 0..300 {
        if let Some(st) = s.child.try_wait().expect("wait") {
            ended = Some(st);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        ended.is_some_and(|st| st.success()),
        "the server did not end after SIGTERM: {ended:?}"
    );
    drop(hanging);
}

#[test]
#[ignore = "needs the release build: cargo xtask test"]
fn a_megabyte_of_bad_lines_is_refused_with_a_small_answer() {
    let s = Server::start("bad-lines");
    let line = "{\"id\":\"x\",\"oops\":true}\n";
    let body = line.repeat((1 << 20) / line.len());
    let (st, b) = ratecard_server::client::request(
        s.addr,
        "POST",
        "/api/v1/events",
        Some(TOKEN),
        body.as_bytes(),
    )
    .expect("request");
    assert_eq!(st, 422, "{b}");
    assert!(b.len() < 4096, "{} bytes", b.len());
    assert!(b.contains("too_many_rejects"), "{b}");
    assert_eq!(
        s.call("GET", "/api/v1/health", b"").1["events"].as_u64(),
        Some(0)
    );
    // Every error is JSON, the framework's too.
    for (method, path, code) in [
        ("DELETE", "/api/v1/health", "method_not_allowed"),
        ("GET", "/api/v1/nope", "not_found"),
        (
            "GET",
            "/api/v1/accounts/a/projection?period=x",
            "invalid_request",
        ),
    ] {
        let (_, v) = s.call(method, path, b"");
        assert_eq!(v["code"], code, "{method} {path}");
    }
}

/// The peak of the server's resident memory, in kB (`VmHWM`).
fn peak_kb(s: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// A body of the largest size, made of a million small values, is refused at its unknown field
/// without the server holding a tree of it: its memory peak grows by a few times the body, not
/// by the 200 MB a tree of 4 million values takes (8 MB x 512 connections would be 100 GB).
#[test]
#[ignore = "needs the release build: cargo xtask test"]
fn a_body_of_many_small_values_costs_no_tree_of_them() {
    let s = Server::start("tree");
    assert!(s.alive());
    let before = peak_kb(&s);
    let head = r#"{"month":"2026-01","items":[],"x":["#;
    let n = (ratecard_server::api::BODY_LIMIT - head.len() - 8) / 2;
    let body = format!("{head}{}0]}}", "0,".repeat(n - 1));
    for _ in 0..3 {
        let (st, v) = s.call("POST", "/api/v1/estimates", body.as_bytes());
        assert_eq!(st, 400, "{v}");
        assert_eq!(v["code"], "invalid_request", "{v}");
        assert!(
            v["message"].as_str().unwrap().contains("unknown field `x`"),
            "{v}"
        );
    }
    let grown_mb = (peak_kb(&s) - before) / 1024;
    assert!(
        grown_mb < 64,
        "the peak grew by {grown_mb} MB for an 8 MB body"
    );
    assert!(s.alive());
}

/// A batch of the largest size holding one id 80,000 times, one copy different, and a batch
/// of 4 million `1`s: each is refused with a small answer, and the server's memory peak grows
/// by a few times the body. Each copy's reject named every other line (48 GB of messages, the
/// server killed by the kernel), and each `1` was a reject held whole (a gigabyte).
#[test]
#[ignore = "needs the release build: cargo xtask test"]
fn batches_of_conflicting_ids_or_bare_values_cost_a_bounded_memory() {
    let s = Server::start("conflicts");
    let before = peak_kb(&s);
    let event = |resource: &str| {
        format!(
            r#"{{"id":"e","account":"a","resource":"{resource}","sku":"b2-7","region":"gra","kind":"start","at":"2026-01-01T00:00:00Z"}}"#
        )
    };
    let limit = ratecard_server::api::BODY_LIMIT;
    let copy = format!("{}\n", event("r2"));
    let mut body = format!("{}\n", event("r1"));
    body.push_str(&copy.repeat((limit - body.len()) / copy.len()));
    let ones = format!("[{}1]", "1,".repeat((limit - 3) / 2));
    for body in [body, ones] {
        let (st, v) = s.call("POST", "/api/v1/events", body.as_bytes());
        assert_eq!(st, 422, "{v}");
        assert_eq!(v["code"], "too_many_rejects", "{v}");
        assert!(v.to_string().len() < 4096, "{v}");
    }
    let grown_mb = (peak_kb(&s) - before) / 1024;
    assert!(
        grown_mb < 128,
        "the peak grew by {grown_mb} MB for 8 MB bodies"
    );
    assert_eq!(
        s.call("GET", "/api/v1/health", b"").1["events"].as_u64(),
        Some(0)
    );
    assert!(s.alive());
}
