//! Demo data for `ratecard serve --demo`: three customers and a month of usage on the hourly
//! sample cloud, generated deterministically, and one final invoice to look at.

use ratecard::party::Customer;

use crate::ledger::Store;

pub const ACCOUNTS: &[(&str, &str)] = &[
    (
        "acme",
        r#"{"name":"Acme SARL","country":"FR","kind":"business","vat_number":"FR40303265045","address":{"lines":["12 rue des Lilas"],"postcode":"69003","city":"Lyon"}}"#,
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

/// January 2026 for each demo account: instances with stops and restarts, volumes, object
/// storage samples and egress, as JSON Lines.
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
        out.push_str(&format!(
            r#"{{"id":"demo-{n:05}","account":"{account}","resource":"{resource}","sku":"{sku}","region":"gra","kind":"{kind}","at":"{at}"{q}}}"#
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
    out
}

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
    Ok(true)
}
