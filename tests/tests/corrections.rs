#![cfg(not(target_arch = "wasm32"))]
//! Corrections add up, and huge numbers never panic (proptest).
//!
//! - Any sequence of late events and re-ratings leaves the original invoice plus its credit
//!   notes and supplementary invoices equal, to the cent, to a fresh invoice of all the events;
//!   every correction line's quantity x unit price (/ divisor) rounds to its amount; and a
//!   re-rating with nothing new issues nothing.
//! - Estimate and document requests with values up to the bounds and past them give a result or
//!   an error, never a panic.

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use ratecard::correction::{CorrectionRequest, correct};
use ratecard::document::{self, Document, DocumentKind, DocumentRequest, Fx};
use ratecard::event::EventKind;
use ratecard::vat::VatTable;
use ratecard::{Catalog, Period, PriceBook, Rating, UsageEvent, meter, rate};
use rust_decimal::Decimal;

fn nimbus() -> PriceBook {
    let text = ratecard_conformance::catalog_text("nimbus-2026-01").expect("sample catalog");
    PriceBook::single(Catalog::from_json(text).expect("valid catalog"))
}

fn january() -> Period {
    Period::parse("2026-01").expect("period")
}

/// (resource, kind, minute of the month, quantity): instances with a monthly cap, an egress
/// counter with a free allowance, and a graduated counter with an allowance.
type Spec = (u8, u8, u32, u32);

fn event(i: usize, batch: usize, &(res, kind, minute, q): &Spec) -> UsageEvent {
    let (sku, kind, quantity) = match res % 4 {
        0 | 1 => (
            "GP1-XS",
            if kind % 2 == 0 {
                EventKind::Start
            } else {
                EventKind::Stop
            },
            None,
        ),
        2 => (
            "object-egress",
            EventKind::Increment,
            Some(Decimal::new(i64::from(q % 20_000), 1)),
        ),
        _ => (
            "functions-compute",
            EventKind::Increment,
            Some(Decimal::from(u64::from(q) * 97)),
        ),
    };
    UsageEvent {
        id: format!("b{batch}-e{i}").into(),
        account: "acme".into(),
        resource: format!("res-{res}").into(),
        sku: sku.into(),
        region: "fr-par".into(),
        kind,
        at: january().start + Duration::minutes(i64::from(minute)),
        quantity,
        tags: Default::default(),
        function: None,
        dimensions: Default::default(),
    }
}

fn rated(book: &PriceBook, events: &[UsageEvent]) -> Rating {
    rate(book, &meter(book, january(), events).expect("meter")).expect("rate")
}

fn request(kind: DocumentKind, number: Option<&str>, percent: u32, usd: bool) -> DocumentRequest {
    use ratecard::adjust::{Adjustment, Adjustments, Scope, Value};
    DocumentRequest {
        kind,
        number: number.map(String::from),
        issue_date: NaiveDate::from_ymd_opt(2026, 2, 1).expect("date"),
        valid_until: None,
        seller: serde_json::from_str(r#"{"name":"S","vat_number":"FR40303265045"}"#)
            .expect("seller"),
        buyer: serde_json::from_str(r#"{"name":"B","country":"FR","kind":"business"}"#)
            .expect("buyer"),
        currency: usd.then(|| "USD".to_string()),
        rounding: Default::default(),
        adjustments: Adjustments {
            discounts: vec![Adjustment {
                id: "d".into(),
                description: "d".into(),
                scope: Scope::Document,
                value: Value::Percent(Decimal::from(percent)),
            }],
            ..Default::default()
        },
        notes: None,
        references: None,
    }
}

fn specs(max: usize) -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(
        (0u8..8, 0u8..4, 0u32..(31 * 24 * 60), 0u32..200_000),
        0..max,
    )
}

/// Signed net of a correction: a supplementary invoice adds, a credit note takes away.
fn signed(d: &Document) -> Decimal {
    match d.kind {
        DocumentKind::CreditNote => -d.totals.net,
        _ => d.totals.net,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn corrections_add_up_to_a_fresh_invoice(
        first in specs(24),
        late in prop::collection::vec(specs(8), 1..4),
        percent in prop::sample::select(vec![0u32, 10, 33]),
        usd in any::<bool>(),
    ) {
        let (book, vat) = (nimbus(), VatTable::builtin());
        let fx = ratecard::fx::FxRates::sample().expect("rates");
        let mut events: Vec<UsageEvent> = first.iter().enumerate().map(|(i, s)| event(i, 0, s)).collect();
        let original = document::build(
            &request(DocumentKind::FinalInvoice, Some("INV-2026-000001"), percent, usd),
            &rated(&book, &events), &book, &vat, Fx::Rates(&fx),
        ).expect("invoice");
        let mut earlier: Vec<Document> = Vec::new();
        let mut seq = 1;
        for (b, batch) in late.iter().enumerate() {
            events.extend(batch.iter().enumerate().map(|(i, s)| event(i, b + 1, s)));
            let rerated = rated(&book, &events);
            seq += 1;
            let req = CorrectionRequest {
                issue_date: NaiveDate::from_ymd_opt(2026, 2, 10).expect("date"),
                credit_note_number: Some(format!("CN-2026-{seq:06}")),
                supplementary_number: Some(format!("INV-2026-{seq:06}")),
            };
            let c = correct(&original, &earlier, &rerated, &book, &vat, &req).expect("correction");
            for d in [c.credit_note, c.supplementary_invoice].into_iter().flatten() {
                // The one-pass canonical writer and the tree agree on real documents.
                prop_assert_eq!(
                    ratecard::canonical::to_string(&d).expect("json"),
                    ratecard::canonical::tree_string(&d).expect("json")
                );
                for l in &d.lines {
                    // Half up to the cent, by hand (the sample rates' currencies have cents).
                    let exact = l.quantity * l.unit_price / l.divisor * Decimal::ONE_HUNDRED;
                    let shown = (exact + Decimal::new(5, 1)).floor() / Decimal::ONE_HUNDRED;
                    prop_assert_eq!(shown, l.amount, "quantity x unit price must give the amount: {:?}", l);
                    prop_assert!(l.amount > Decimal::ZERO);
                }
                earlier.push(d);
            }
            // The invoice as corrected equals a fresh invoice of all the events, to the cent.
            let fresh = document::build(
                &request(DocumentKind::DraftInvoice, None, percent, usd),
                &rerated, &book, &vat, Fx::Kept { fx: original.fx.as_ref(), vat: original.vat_fx.as_ref() },
            );
            let fresh = match fresh {
                Ok(f) => f,
                // A document in the catalog's own currency takes no stamp.
                Err(_) => document::build(&request(DocumentKind::DraftInvoice, None, percent, usd), &rerated, &book, &vat, Fx::Rates(&fx)).expect("fresh"),
            };
            let corrected = earlier.iter().fold(original.totals.net, |a, d| a + signed(d));
            prop_assert_eq!(corrected, fresh.totals.net);
            prop_assert_eq!(
                ratecard::canonical::to_string(&rerated).expect("json"),
                ratecard::canonical::tree_string(&rerated).expect("json")
            );
            // Nothing new: nothing issued.
            let again = correct(&original, &earlier, &rerated, &book, &vat, &req).expect("again");
            prop_assert!(again.credit_note.is_none() && again.supplementary_invoice.is_none());
        }
    }

    /// Values up to the bounds and past them: a result or a clear error, never a panic.
    #[test]
    fn huge_values_never_panic(
        digits in 1usize..=40,
        field in prop::sample::select(vec!["gb", "egress_gb", "requests", "quantity"]),
        sku in prop::sample::select(vec!["high-speed-volume", "object-storage", "object-egress", "archive-retrieval", "b2-15"]),
        count in prop::sample::select(vec![1u32, 10, 10_000]),
        currency in prop::sample::select(vec!["EUR", "JPY", "USD"]),
    ) {
        let text = ratecard_conformance::catalog_text("stratus-2026-01").expect("catalog");
        let book = PriceBook::single(Catalog::from_json(text).expect("catalog"));
        let value = "9".repeat(digits);
        let body = serde_json::json!({"month":"2026-01","region":"gra","items":[{"sku":sku,"count":count,field:value}]});
        let Ok(req) = serde_json::from_value::<ratecard::EstimateRequest>(body) else { return Ok(()) };
        let Ok(est) = ratecard::estimate(&book, &req) else { return Ok(()) };
        let rating = Rating {
            period: est.month, catalog: est.catalog.clone(), currency: est.currency.clone(),
            lines: est.lines.clone(), diagnostics: vec![], rejects: vec![],
        };
        let mut r = request(DocumentKind::Estimate, None, 0, false);
        r.currency = Some(currency.to_string());
        let fx = ratecard::fx::FxRates::sample().expect("rates");
        let _ = document::build(&r, &rating, &book, &VatTable::builtin(), Fx::Rates(&fx));
    }
}

/// The request that killed the server: now a clear error naming the item and field.
#[test]
fn the_estimate_that_overflowed_is_refused_by_name() {
    let text = ratecard_conformance::catalog_text("stratus-2026-01").expect("catalog");
    let book = PriceBook::single(Catalog::from_json(text).expect("catalog"));
    let req: ratecard::EstimateRequest = serde_json::from_str(
        r#"{"month":"2026-01","region":"gra","items":[{"sku":"high-speed-volume","count":10000,"gb":"106000000000000000000000000"}]}"#,
    )
    .expect("request");
    assert_eq!(
        ratecard::estimate(&book, &req).unwrap_err().to_string(),
        "estimate request: items[0].count: must be from 1 to 5000 (got 10000)"
    );
    let req: ratecard::EstimateRequest = serde_json::from_str(
        r#"{"month":"2026-01","region":"gra","items":[{"sku":"high-speed-volume","count":5000,"gb":"106000000000000000000000000"}]}"#,
    )
    .expect("request");
    assert_eq!(
        ratecard::estimate(&book, &req).unwrap_err().to_string(),
        "estimate request: items[0].gb: must be at most 1000000000000 (got 106000000000000000000000000)"
    );
}
