//! Demo data for `ratecard serve --demo`: three customers and three months of usage on the
//! hourly sample cloud (January to March 2026), tagged by project and team, generated
//! deterministically, and one final invoice to look at.

use ratecard::party::Customer;

use crate::ledger::Store;

pub const ACCOUNTS: &[(&str, &str)] = &[
    (
        "acme",
        r#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045","siren":"303265045","address":{"lines":["12 rue des Lilas"],"postcode":"69003","city":"Lyon"}}"#,
    ),
    (
        "beispiel",
        r#"{"name":"Beispiel GmbH","country":"DE","kind":"business","vat_number":"DE136695976"}"#,
    ),
    (
        "globex",
        r#"{"name":"Globex Inc.","country":"US","kind":"business"}"#,
    ),
];

/// The demo's tags, by the resource's kind: projects `web`, `data` and `batch` and two teams.
/// The failover IPs carry none: they are the shared costs an allocation spreads.
fn tags_of(resource: &str) -> &'static str {
    let kind = resource.rsplit_once('-').map_or(resource, |(_, k)| k);
    let vm = resource.contains("-vm-");
    match (vm, kind) {
        (true, "0" | "3") | (false, "bucket") => r#","tags":{"project":"web","team":"platform"}"#,
        (true, "1") | (false, "vol") => r#","tags":{"project":"data","team":"analytics"}"#,
        (true, _) => r#","tags":{"project":"batch","team":"analytics"}"#,
        _ => "",
    }
}

/// January to March 2026 for each demo account: instances (one deleted in January, one more
/// from March), volumes, object storage samples and egress, as JSON Lines.
pub fn events() -> String {
    let mut out = String::new();
    let mut n = 0u32;
    let mut ev = |account: &str,
                  resource: &str,
                  sku: &str,
                  kind: &str,
                  at: String,
                  q: Option<String>| {
        n += 1;
        let q = q
            .map(|q| format!(r#","quantity":"{q}""#))
            .unwrap_or_default();
        let tags = tags_of(resource);
        out.push_str(&format!(
            r#"{{"id":"demo-{n:05}","account":"{account}","resource":"{resource}","sku":"{sku}","region":"gra","kind":"{kind}","at":"{at}"{q}{tags}}}"#
        ));
        out.push('\n');
    };
    for (a, (account, _)) in ACCOUNTS.iter().enumerate() {
        for i in 0..3 {
            let vm = format!("{account}-vm-{i}");
            let sku = ["b2-7", "b2-15", "b2-30"][i];
            ev(
                account,
                &vm,
                sku,
                "start",
                format!("2026-01-{:02}T{:02}:15:00Z", 2 + i, 8 + a),
                None,
            );
            if i == 2 {
                ev(
                    account,
                    &vm,
                    sku,
                    "delete",
                    format!("2026-01-{:02}T18:40:00Z", 20 + a),
                    None,
                );
            }
        }
        let vol = format!("{account}-vol");
        ev(
            account,
            &vol,
            "classic-volume",
            "start",
            "2026-01-05T10:00:00Z".into(),
            Some(format!("{}", 100 * (a + 1))),
        );
        ev(
            account,
            &vol,
            "classic-volume",
            "sample",
            "2026-01-15T10:00:00Z".into(),
            Some(format!("{}", 150 * (a + 1))),
        );
        let bucket = format!("{account}-bucket");
        for d in (1..=31).step_by(3) {
            ev(
                account,
                &bucket,
                "object-storage",
                "sample",
                format!("2026-01-{d:02}T12:00:00Z"),
                Some(format!("{}", 40 + d * (a + 2))),
            );
            ev(
                account,
                &bucket,
                "object-egress",
                "increment",
                format!("2026-01-{d:02}T13:00:00Z"),
                Some(format!("{}.5", 20 * (a + 1) + d)),
            );
        }
        ev(
            account,
            &format!("{account}-ip"),
            "failover-ip",
            "start",
            "2026-01-03T09:00:00Z".into(),
            None,
        );
    }
    // February and March: the instances, volumes and IPs run on; storage and egress go on,
    // growing; acme adds a web instance on 10 March.
    for (month, days) in [(2, 28), (3, 31)] {
        for (a, (account, _)) in ACCOUNTS.iter().enumerate() {
            let bucket = format!("{account}-bucket");
            for d in (1..=days).step_by(3) {
                ev(
                    account,
                    &bucket,
                    "object-storage",
                    "sample",
                    format!("2026-{month:02}-{d:02}T12:00:00Z"),
                    Some(format!("{}", 40 * month + d * (a + 2))),
                );
                ev(
                    account,
                    &bucket,
                    "object-egress",
                    "increment",
                    format!("2026-{month:02}-{d:02}T13:00:00Z"),
                    Some(format!("{}.5", 20 * (a + 1) * month + d)),
                );
            }
        }
    }
    ev(
        "acme",
        "acme-vm-3",
        "b2-15",
        "start",
        "2026-03-10T08:00:00Z".into(),
        None,
    );
    out
}

/// The demo's budgets: acme's whole account against its projection (its resources run on, so
/// every month nears 250 EUR), and its web project against what it has cost so far.
pub const BUDGETS: &[&str] = &[
    r#"{"id":"acme-monthly","account":"acme","name":"acme, all of it","amount":"250.00","basis":"projected"}"#,
    r#"{"id":"acme-web","account":"acme","name":"acme's web project","amount":"120.00","scope":{"tag:project":["web"]}}"#,
];

/// Seeds an empty ledger; does nothing when it has events already.
pub fn seed(ledger: &dyn Store, book: &ratecard::PriceBook) -> Result<bool, String> {
    if ledger.event_count().map_err(|e| e.to_string())? > 0 {
        return Ok(false);
    }
    for (account, customer) in ACCOUNTS {
        let c: Customer = serde_json::from_str(customer).map_err(|e| e.to_string())?;
        ledger
            .put_customer(account, &c)
            .map_err(|e| e.to_string())?;
    }
    let parsed = ratecard::event::parse(&events());
    if let Some(r) = parsed.rejects.first() {
        return Err(format!("demo events: {r}"));
    }
    for e in &parsed.events {
        ratecard::meter::check(book, e).map_err(|r| format!("demo events: {r}"))?;
    }
    ledger.ingest(&parsed.events).map_err(|e| e.to_string())?;
    for b in BUDGETS {
        let b: ratecard::budget::Budget = serde_json::from_str(b).map_err(|e| e.to_string())?;
        b.validate().map_err(|e| e.to_string())?;
        ledger
            .put_budget(&b, "2026-01-01T00:00:00Z")
            .map_err(|e| e.to_string())?;
    }
    Ok(true)
}
