//! The `ratecard` command, run as a user would: its output, its errors and its exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ratecard-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ratecard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run ratecard")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

const REQUEST: &str = r#"{"month":"2026-01","region":"gra","items":[{"sku":"b2-15","count":2,"plan":"monthly","uptime":{"percent":"50"}},{"sku":"classic-volume","gb":"250"}]}"#;

#[test]
fn estimate_prints_the_engines_canonical_json() {
    let d = dir("estimate");
    let f = d.join("request.json");
    std::fs::write(&f, REQUEST).unwrap();
    let out = run(&[
        "estimate",
        f.to_str().unwrap(),
        "--catalog",
        "../catalog/stratus-2026-01.json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let book = ratecard::PriceBook::single(
        ratecard::Catalog::from_json(include_str!("../../catalog/stratus-2026-01.json")).unwrap(),
    );
    let expected = ratecard::estimate(&book, &serde_json::from_str(REQUEST).unwrap()).unwrap();
    assert_eq!(
        text(&out.stdout).trim_end(),
        ratecard::canonical::to_string(&expected).unwrap()
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], "90.33"); // 2 x 40.00 (monthly plan) + 10.33 (744 x 250 x 0.04 / 720)
}

#[test]
fn estimate_accepts_a_calculator_export() {
    let d = dir("export");
    let f = d.join("estimate.json");
    std::fs::write(
        &f,
        format!(r#"{{"catalog":"stratus","request":{REQUEST},"setup":{{}},"estimate":null}}"#),
    )
    .unwrap();
    let out = run(&["estimate", f.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["catalog"], "stratus");
    assert_eq!(v["total"], "90.33");
}

#[test]
fn estimate_errors_name_the_field() {
    let d = dir("estimate-error");
    let f = d.join("request.json");
    std::fs::write(
        &f,
        r#"{"month":"2026-01","region":"gra","items":[{"sku":"b9-99"}]}"#,
    )
    .unwrap();
    let out = run(&["estimate", f.to_str().unwrap(), "--catalog", "stratus"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "ratecard: estimate request: items[0].sku: unknown sku `b9-99` in catalog `stratus`"
    );
}

const EVENTS: &str = r#"{"id":"g1","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-04T09:40:00Z"}
{"id":"g2","account":"acme","resource":"b2-15-a","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-12T16:30:00Z"}
{"id":"g3","account":"acme","resource":"vol-a","sku":"classic-volume","region":"gra","kind":"start","at":"2026-01-08T10:00:00Z","quantity":"250"}
{"id":"g4","account":"acme","resource":"vol-a","sku":"classic-volume","region":"gra","kind":"delete","at":"2026-01-12T16:30:00Z"}
"#;

fn invoice_files(name: &str, events: &str) -> (PathBuf, PathBuf, PathBuf) {
    let d = dir(name);
    let (e, c) = (d.join("events.jsonl"), d.join("customer.json"));
    std::fs::write(&e, events).unwrap();
    std::fs::write(
        &c,
        r#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
    )
    .unwrap();
    (d, e, c)
}

#[test]
fn invoice_from_files() {
    let (_, e, c) = invoice_files("invoice", EVENTS);
    let out = run(&[
        "invoice",
        "--catalog",
        "stratus",
        "--events",
        e.to_str().unwrap(),
        "--customer",
        c.to_str().unwrap(),
        "--period",
        "2026-01",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["totals"]["net"].as_str(),
            v["totals"]["tax"].as_str(),
            v["totals"]["gross"].as_str()
        ),
        (Some("23.63"), Some("4.73"), Some("28.36"))
    );
    assert_eq!(v["kind"], "draft_invoice");
    assert_eq!(v["issue_date"], "2026-02-01");
    let csv = run(&[
        "invoice",
        "--catalog",
        "stratus",
        "--events",
        e.to_str().unwrap(),
        "--customer",
        c.to_str().unwrap(),
        "--period",
        "2026-01",
        "--format",
        "csv",
    ]);
    assert!(
        text(&csv.stdout).starts_with("document,kind,issue_date,line,"),
        "{}",
        text(&csv.stdout)
    );
    let table = run(&[
        "invoice",
        "--catalog",
        "stratus",
        "--events",
        e.to_str().unwrap(),
        "--customer",
        c.to_str().unwrap(),
        "--period",
        "2026-01",
        "--format",
        "table",
    ]);
    let t = text(&table.stdout);
    assert!(
        t.contains("200 started hours x 0.111 EUR") && t.contains("28.36 gross EUR"),
        "{t}"
    );
}

#[test]
fn rejected_events_go_to_stderr_and_the_rejects_file_and_set_the_exit_code() {
    let events = format!(
        "{EVENTS}{}\n",
        r#"{"id":"bad","account":"acme","resource":"x","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-05T10:00:00"}"#
    );
    let (d, e, c) = invoice_files("rejects", &events);
    let rejects = d.join("rejects.jsonl");
    let out = run(&[
        "invoice",
        "--catalog",
        "stratus",
        "--events",
        e.to_str().unwrap(),
        "--customer",
        c.to_str().unwrap(),
        "--period",
        "2026-01",
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "rejected: line 5: event `bad`: at: timestamp `2026-01-05T10:00:00` has no UTC offset"
        ),
        "{err}"
    );
    let kept = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(kept.lines().count(), 1);
    assert!(kept.contains(r#""id":"bad""#));
    // The draft is still made from the good events.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["totals"]["gross"], "28.36");
}

#[test]
fn catalog_validate() {
    let ok = run(&[
        "catalog",
        "validate",
        "../catalog/stratus-2026-01.json",
        "../catalog/nimbus-2026-01.json",
    ]);
    assert!(ok.status.success());
    assert!(
        text(&ok.stdout).contains("stratus@2026-01 (16 products, EUR"),
        "{}",
        text(&ok.stdout)
    );
    let d = dir("validate");
    let bad = d.join("bad.json");
    let mut c: serde_json::Value =
        serde_json::from_str(include_str!("../../catalog/stratus-2026-01.json")).unwrap();
    c["products"][0]["prices"]["gra"]["unit_price"] = serde_json::json!("-1");
    std::fs::write(&bad, c.to_string()).unwrap();
    let out = run(&["catalog", "validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "catalog stratus@2026-01: products[0].prices.gra.unit_price: must not be negative"
        ),
        "{}",
        text(&out.stderr)
    );
}

/// `audit verify` reads only: a file that is not a ledger is refused and left byte for byte as
/// it was; a ledger verifies, its head anchors it, and a head it no longer holds fails it.
#[test]
fn audit_verify_reads_only_and_checks_an_anchored_head() {
    let d = dir("audit");
    let other = d.join("notes.sqlite");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('keep me');")
            .unwrap();
    }
    let before = std::fs::read(&other).unwrap();
    let out = run(&["audit", "verify", "--db", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a ratecard ledger"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&other).unwrap(),
        before,
        "verify changed the file"
    );
    assert!(
        !ratecard_server::audit::beside(&other).exists(),
        "verify created a key"
    );

    let db = d.join("ledger.sqlite");
    {
        let l = ratecard_server::ledger::SqliteLedger::open(&db).unwrap();
        ratecard_server::ledger::Store::audit(&l, "test", "a", "b").unwrap();
    }
    let out = run(&["audit", "head", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let head = text(&out.stdout).trim().to_string();
    assert!(head.starts_with("1:"), "{head}");
    let out = run(&[
        "audit",
        "verify",
        "--db",
        db.to_str().unwrap(),
        "--expect",
        &head,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("audit log intact: 1 entries"));
    let out = run(&[
        "audit",
        "verify",
        "--db",
        db.to_str().unwrap(),
        "--expect",
        "7:abc",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the anchored head is not in the chain"));
}

/// `ratecard close` on a SQLite ledger: it invoices each account with events, names the one it
/// cannot invoice (no billing details) and exits 1, shows progress on stderr, and run again
/// makes nothing twice.
#[test]
fn close_invoices_a_period_and_names_what_it_could_not() {
    use ratecard_server::ledger::Store;
    let d = dir("close");
    let db = d.join("ledger.sqlite");
    {
        let l = ratecard_server::ledger::SqliteLedger::open(&db).unwrap();
        let customer: ratecard::party::Customer = serde_json::from_str(
            r#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045"}"#,
        )
        .unwrap();
        for (acct, with_customer) in [("acct-a", true), ("acct-b", true), ("acct-c", false)] {
            if with_customer {
                l.put_customer(acct, &customer).unwrap();
            }
            let events = format!(
                r#"{{"id":"{acct}-1","account":"{acct}","resource":"vm","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-04T10:00:00Z"}}"#
            );
            let parsed = ratecard::event::parse_jsonl(&events);
            assert_eq!(l.ingest(&parsed.events).unwrap().accepted, 1);
        }
    }
    // A mistyped ledger is an error, never an empty ledger closed with exit 0.
    let typo = d.join("ledgr.sqlite");
    let out = run(&[
        "close",
        "--period",
        "2026-01",
        "--db",
        typo.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no ledger there"),
        "{}",
        text(&out.stderr)
    );
    assert!(!typo.exists(), "no ledger made");
    let close = || run(&["close", "--period", "2026-01", "--db", db.to_str().unwrap()]);
    let out = close();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("closed 2026-01: 2 invoices made, 0 already made, 1 failed (made INV-2026-000001 to INV-2026-000002)"),
        "{err}"
    );
    assert!(err.contains("acct-c: "), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("closed 3 of 3 accounts")
                || l.starts_with("closed 2 of 3 accounts")),
        "{err}"
    );
    // Again: the two invoiced accounts are done; only the failure is tried again.
    let out = close();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("closed 2026-01: 0 invoices made, 0 already made, 1 failed"),
        "{}",
        text(&out.stderr)
    );
    // The FOCUS rows of the two invoices: a header, usage and tax rows, each naming its invoice.
    let out = run(&["focus", "--period", "2026-01", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.starts_with("BilledCost,BillingAccountId,"), "{csv}");
    for n in ["INV-2026-000001", "INV-2026-000002"] {
        assert!(
            csv.lines().any(|l| l.contains(n) && l.contains(",Usage,")),
            "{csv}"
        );
        assert!(
            csv.lines().any(|l| l.contains(n) && l.contains(",Tax,")),
            "{csv}"
        );
    }
    // With the allocation columns: the accounts' untagged usage is shared, split over the
    // shipped rules' targets (none has a direct cost: evenly), and each invoice adds up still.
    let out = run(&[
        "focus",
        "--period",
        "2026-01",
        "--allocate",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let allocated = text(&out.stdout);
    assert!(
        allocated.starts_with("AllocatedMethodDetails,AllocatedMethodId,"),
        "{allocated}"
    );
    assert!(
        allocated.contains(",demo@2026-01:proportional,")
            && allocated.contains(r#""x_Method"":""proportional (no direct cost: even)""#),
        "{allocated}"
    );
    let sums = |text: &str, first: usize| {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let mut by: std::collections::BTreeMap<String, rust_decimal::Decimal> = Default::default();
        let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let at = |n: &str| head.iter().position(|h| h == n).unwrap();
        assert_eq!(at("BilledCost"), first);
        for rec in r.records() {
            let rec = rec.unwrap();
            *by.entry(rec[at("InvoiceId")].to_string()).or_default() += rec[at("BilledCost")]
                .parse::<rust_decimal::Decimal>()
                .unwrap();
        }
        by
    };
    assert_eq!(sums(&allocated, 5), sums(&csv, 0));
    // As Parquet: written to a file, never printed.
    let file = db.with_extension("parquet");
    let out = run(&[
        "focus",
        "--period",
        "2026-01",
        "--format",
        "parquet",
        "--out",
        file.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
    let out = run(&[
        "focus",
        "--period",
        "2026-01",
        "--format",
        "parquet",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("give --out FILE"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&[
        "focus",
        "--period",
        "2026-01",
        "--db",
        "/nonexistent/ledger.sqlite",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no ledger there"),
        "{}",
        text(&out.stderr)
    );
    // The year's sales journal as a FEC file under its conventional name: two invoices, each an
    // entry of 411 in debit against 706100 and 445711 in credit.
    let out = run(&[
        "accounting",
        "--year",
        "2026",
        "--db",
        db.to_str().unwrap(),
        "--out",
        d.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("303265045FEC20261231.txt: 2 entries"),
        "{}",
        text(&out.stdout)
    );
    let fec = std::fs::read_to_string(d.join("303265045FEC20261231.txt")).unwrap();
    let lines: Vec<&str> = fec.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + 2 * 3, "{fec}");
    assert!(
        lines[1].starts_with(
            "VE\tVentes\t1\t20260201\t411000\tClients\tacct-a\tAcme SARL\tINV-2026-000001\t"
        ),
        "{}",
        lines[1]
    );
    let out = run(&[
        "accounting",
        "--year",
        "2026",
        "--format",
        "csv",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stdout).starts_with("entry,date,piece,account"),
        "{}",
        text(&out.stdout)
    );
    let out = run(&[
        "accounting",
        "--year",
        "2026",
        "--map",
        "/nonexistent.json",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/nonexistent.json"),
        "{}",
        text(&out.stderr)
    );
    // A period that has not ended is refused.
    let out = run(&["close", "--period", "2099-01", "--db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("2099-01"),
        "{}",
        text(&out.stderr)
    );
    // An invoice whose files cannot be made (over the PDF's 1,000 pages) is final, is named,
    // and stops neither the report nor the archiving of the others (it ended every later close
    // with only the PDF's error).
    {
        let l = ratecard_server::ledger::SqliteLedger::open(&db).unwrap();
        let customer: ratecard::party::Customer =
            serde_json::from_str(r#"{"name":"Big SA","country":"FR","kind":"consumer"}"#).unwrap();
        l.put_customer("acct-big", &customer).unwrap();
        let events: Vec<String> = (0..20_000)
            .map(|i| format!(r#"{{"id":"b{i}","account":"acct-big","resource":"vm-{i}","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-30T10:00:00Z"}}"#))
            .collect();
        let parsed = ratecard::event::parse_jsonl(&events.join("\n"));
        assert_eq!(l.ingest(&parsed.events).unwrap().accepted, 20_000);
    }
    let out = close();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("closed 2026-01: 1 invoices made, 0 already made, 1 failed (made INV-2026-000003 to INV-2026-000003)"), "{err}");
    assert!(
        err.contains("INV-2026-000003 is final, but its files were not made: "),
        "{err}"
    );
    assert!(err.contains("pages"), "{err}");
    // The next close reports it again, and the invoices already made.
    let out = close();
    let err = text(&out.stderr);
    assert!(
        err.contains("closed 2026-01: 0 invoices made, 0 already made, 1 failed"),
        "{err}"
    );
    assert!(
        err.contains("INV-2026-000003 is final, but its files were not made"),
        "{err}"
    );
}

/// A PostgreSQL ledger without its audit key from the environment: the service refuses to
/// start and says what to set, before it connects to anything.
#[test]
fn a_postgres_ledger_needs_its_audit_key() {
    let out = Command::new(env!("CARGO_BIN_EXE_ratecard"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            "host=/nonexistent dbname=ledger",
        ])
        .env_remove("RATECARD_AUDIT_KEY")
        .env_remove("RATECARD_AUDIT_KEY_FILE")
        .output()
        .expect("run ratecard");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("a PostgreSQL ledger needs its audit key from the environment: set RATECARD_AUDIT_KEY_FILE"),
        "{err}"
    );
}

/// `ratecard token`: a token is printed once and kept hashed; listed without its secret;
/// revoked by id, once; the ledger's audit log records both.
#[test]
fn tokens_are_created_listed_and_revoked() {
    let d = dir("tokens");
    let db = d.join("ledger.sqlite");
    let db = db.to_str().unwrap();
    let out = run(&[
        "token",
        "create",
        "--account",
        "acme",
        "--name",
        "acme console",
        "--db",
        db,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();
    assert!(
        token.starts_with("rc_") && token.len() == 3 + 8 + 1 + 64,
        "{token}"
    );
    let id = &token[3..11];
    assert!(text(&out.stderr).contains(&format!("token {id} (account:acme) created")));
    let out = run(&["token", "create", "--admin", "--db", db]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Neither both nor none of --account and --admin.
    let out = run(&["token", "create", "--db", db]);
    assert!(!out.status.success());
    let out = run(&[
        "token",
        "create",
        "--admin",
        "--account",
        "acme",
        "--db",
        db,
    ]);
    assert!(!out.status.success());
    let out = run(&["token", "list", "--db", db]);
    let list = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        list.contains(id) && list.contains("account:acme") && list.contains("acme console"),
        "{list}"
    );
    assert!(list.contains("admin"), "{list}");
    assert!(
        !list.contains(&token[12..]),
        "the secret is never shown again: {list}"
    );
    let stored: String = rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT hash FROM api_tokens WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored, ratecard::canonical::sha256_hex(&token));
    let out = run(&["token", "revoke", id, "--db", db]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("token {id} revoked")));
    let out = run(&["token", "revoke", id, "--db", db]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("no unrevoked token `{id}`")),
        "{}",
        text(&out.stderr)
    );
    let list = text(&run(&["token", "list", "--db", db]).stdout);
    let line = list.lines().find(|l| l.starts_with(id)).unwrap();
    assert!(!line.ends_with(" -"), "revoked shows when: {line}");
    let audited: i64 = rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'token'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 3);
    let out = run(&["audit", "verify", "--db", db]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
