#![cfg(not(target_arch = "wasm32"))]
//! Properties of metering and rating that must hold for any usage (proptest).

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use ratecard::event::EventKind;
use ratecard::{Catalog, Period, PriceBook, Rating, UsageEvent, canonical, meter, rate, reprice};
use rust_decimal::Decimal;

fn book(name: &str) -> PriceBook {
    let text = ratecard_conformance::catalog_text(name).expect("sample catalog");
    PriceBook::single(Catalog::from_json(text).expect("valid catalog"))
}

/// A sample catalog with every price doubled (same rules, same skus).
fn doubled(name: &str) -> PriceBook {
    fn double(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if matches!(k.as_str(), "unit_price" | "monthly_price") {
                        if let Some(p) = x.as_str().and_then(|p| p.parse::<Decimal>().ok()) {
                            *x = serde_json::Value::String((p * Decimal::TWO).to_string());
                        }
                    } else {
                        double(x);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(double),
            _ => {}
        }
    }
    let mut v: serde_json::Value =
        serde_json::from_str(ratecard_conformance::catalog_text(name).expect("catalog"))
            .expect("json");
    double(&mut v);
    PriceBook::single(Catalog::from_json(&v.to_string()).expect("valid catalog"))
}

/// A per-second catalog without a run minimum, for the splitting property.
fn per_second_book() -> PriceBook {
    let text = r#"{"id":"p","name":"p","version":"1","effective_from":"2026-01-01T00:00:00Z","currency":"EUR",
      "hours_per_month":"730","source":"test","disclaimer":"test","regions":[{"id":"r1","name":"r1"}],
      "products":[{"sku":"vm","service":"Instances","description":"vm",
      "charge":{"model":"time_metered","granularity":"second","rounding":"elapsed","billable":"running"},
      "prices":{"r1":{"unit_price":"0.0913"}}}]}"#;
    PriceBook::single(Catalog::from_json(text).expect("valid catalog"))
}

fn january() -> Period {
    Period::parse("2026-01").expect("period")
}

fn t0() -> DateTime<Utc> {
    january().start
}

/// Raw material for an event: (resource, kind, minute of the month, quantity).
type Spec = (u8, u8, u32, u32);

/// Events over a mix of models of the `nimbus` sample catalog: per-second instances with a cap,
/// a provisioned volume, object storage samples and an egress counter.
fn events_from(specs: &[Spec]) -> Vec<UsageEvent> {
    specs
        .iter()
        .enumerate()
        .map(|(i, &(res, kind, minute, q))| {
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
                2 => match kind % 3 {
                    0 => ("block-ssd", EventKind::Start, Some(Decimal::from(q % 500))),
                    1 => ("block-ssd", EventKind::Sample, Some(Decimal::from(q % 500))),
                    _ => ("block-ssd", EventKind::Delete, None),
                },
                _ => (
                    "object-egress",
                    EventKind::Increment,
                    Some(Decimal::new(i64::from(q), 1)),
                ),
            };
            UsageEvent {
                id: format!("e{i}").into(),
                account: format!("acct-{}", res % 2).into(),
                resource: format!("res-{res}").into(),
                sku: sku.into(),
                region: "fr-par".into(),
                kind,
                at: t0() + Duration::minutes(i64::from(minute)),
                quantity,
                tags: Default::default(),
                function: None,
                dimensions: Default::default(),
            }
        })
        .collect()
}

fn rated(book: &PriceBook, events: &[UsageEvent]) -> Rating {
    rate(book, &meter(book, january(), events).expect("meter")).expect("rate")
}

fn total(r: &Rating) -> Decimal {
    r.lines.iter().map(|l| l.amount).sum()
}

fn specs() -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(
        (0u8..8, 0u8..6, 0u32..(31 * 24 * 60 + 120), 0u32..100_000),
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Shuffling the events, or sending some twice, never changes the result.
    #[test]
    fn order_and_duplicates_do_not_matter(specs in specs(), seed in any::<u64>(), dup in prop::collection::vec(any::<prop::sample::Index>(), 0..10)) {
        let book = book("nimbus-2026-01");
        let events = events_from(&specs);
        let reference = canonical::to_string(&rated(&book, &events)).expect("json");
        let mut shuffled = events.clone();
        for d in &dup {
            if !events.is_empty() {
                shuffled.push(events[d.index(events.len())].clone());
            }
        }
        // A deterministic shuffle from the seed (Fisher-Yates with an LCG).
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = ((s >> 33) as usize) % (i + 1);
            shuffled.swap(i, j);
        }
        let got = canonical::to_string(&rated(&book, &shuffled)).expect("json");
        prop_assert_eq!(got, reference);
    }

    /// Per-second billing with no minimum: a run split in two contiguous runs costs the same.
    #[test]
    fn splitting_a_run_costs_the_same(start in 0i64..2_000_000, len in 2i64..600_000, cut in 1i64..600_000) {
        let cut = cut % (len - 1) + 1;
        let book = per_second_book();
        let at = |s: i64| t0() + Duration::seconds(s);
        let ev = |id: &str, res: &str, kind, t| UsageEvent {
            id: id.into(), account: "a".into(), resource: res.into(), sku: "vm".into(), region: "r1".into(),
            kind, at: at(t), quantity: None, tags: Default::default(), function: None,
        dimensions: Default::default(),
        };
        let whole = [ev("1", "vm", EventKind::Start, start), ev("2", "vm", EventKind::Stop, start + len)];
        let split = [
            ev("1", "vm", EventKind::Start, start), ev("2", "vm", EventKind::Stop, start + cut),
            ev("3", "vm", EventKind::Start, start + cut), ev("4", "vm", EventKind::Stop, start + len),
        ];
        prop_assert_eq!(total(&rated(&book, &whole)), total(&rated(&book, &split)));
    }

    /// More usage never costs less: an extra increment, or a run that lasts longer.
    #[test]
    fn cost_never_decreases_with_usage(specs in specs(), extra in (0u8..8, 0u8..6, 0u32..(31 * 24 * 60), 0u32..100_000)) {
        let book = book("nimbus-2026-01");
        let base = events_from(&specs);
        let before = total(&rated(&book, &base));
        // Growth that cannot remove usage: one more increment, or the largest specs grown.
        let mut grown = base.clone();
        let res = 3 + 4 * (extra.0 % 2);
        grown.extend(events_from(&[(res, 0, extra.2, extra.3)]).into_iter().map(|mut e| { e.id = "extra".into(); e }));
        prop_assert!(total(&rated(&book, &grown)) >= before);
        // A run that lasts longer.
        let a = [(0u8, 0u8, 10u32, 0u32), (0, 1, 10 + extra.2 % 1000, 0)];
        let b = [(0u8, 0u8, 10u32, 0u32), (0, 1, 10 + extra.2 % 1000 + 1 + u32::from(extra.1), 0)];
        prop_assert!(total(&rated(&book, &events_from(&b))) >= total(&rated(&book, &events_from(&a))));
    }

    /// Quantities are apart from prices: the quantities metered under one price list, re-priced
    /// under another with the same rules (every price doubled), give what rating the events
    /// with that other list gives, and every line costs exactly twice as much.
    #[test]
    fn repricing_under_another_list_is_rating_with_it(specs in specs()) {
        let (book, dear) = (book("nimbus-2026-01"), doubled("nimbus-2026-01"));
        let events = events_from(&specs);
        let m = meter(&book, january(), &events).expect("meter");
        let repriced = reprice(&m, &dear).expect("reprice");
        let direct = rate(&dear, &meter(&dear, january(), &events).expect("meter")).expect("rate");
        prop_assert_eq!(&repriced.lines, &direct.lines);
        let cheap = rate(&book, &m).expect("rate");
        // Full precision is 28 significant digits: the last one may differ.
        let close = |a: Decimal, b: Decimal| (a - b).abs() <= Decimal::new(1, 20);
        for (a, b) in cheap.lines.iter().zip(&repriced.lines) {
            prop_assert!(close(a.amount * Decimal::TWO, b.amount), "{:?} vs {:?}", a, b);
        }
    }

    /// No amount and no quantity is ever negative.
    #[test]
    fn no_amount_is_negative(specs in specs()) {
        let r = rated(&book("nimbus-2026-01"), &events_from(&specs));
        for l in &r.lines {
            prop_assert!(!l.amount.is_sign_negative() || l.amount.is_zero(), "{:?}", l);
            prop_assert!(!l.quantity.is_sign_negative() || l.quantity.is_zero(), "{:?}", l);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A document follows from its lines (recomputed independently of the engine), each line
    /// from its rated amount, and adjustments neither make nor lose money, whatever the usage,
    /// discounts, credits and currency.
    #[test]
    fn documents_follow_from_their_lines(
        specs in specs(),
        percent in 0u32..=100,
        fixed in 0u32..5_000,
        credit in 0u32..5_000,
        country in prop::sample::select(vec!["FR", "DE", "US", "FI"]),
        usd in any::<bool>(),
    ) {
        use ratecard::adjust::{Adjustment, Adjustments, Credit, CreditKind, Scope, Value};
        use ratecard::document::{self, DocumentKind, DocumentRequest, Fx};
        let book = book("nimbus-2026-01");
        let rating = rated(&book, &events_from(&specs));
        let request = DocumentRequest {
            kind: DocumentKind::DraftInvoice,
            number: None,
            issue_date: chrono::NaiveDate::from_ymd_opt(2026, 2, 2).expect("date"),
            valid_until: None,
            seller: serde_json::from_str(r#"{"name":"S","vat_number":"FR40303265045"}"#).expect("seller"),
            buyer: serde_json::from_value(serde_json::json!({"name":"B","country":country})).expect("buyer"),
            currency: usd.then(|| "USD".to_string()),
            rounding: Default::default(),
            adjustments: Adjustments {
                commitments: vec![Adjustment { id: "c".into(), description: "c".into(), scope: Scope::Service("Instances".into()), value: Value::Percent(Decimal::from(percent)) }],
                discounts: vec![Adjustment { id: "d".into(), description: "d".into(), scope: Scope::Document, value: Value::Fixed(Decimal::new(i64::from(fixed), 2)) }],
                credits: vec![Credit { id: "k".into(), description: "k".into(), kind: CreditKind::Prepaid, balance: Decimal::new(i64::from(credit), 2), expires: None }],
            },
            notes: None,
            references: None,
        };
        let fx = ratecard::fx::FxRates::sample().expect("sample rates");
        let doc = document::build(&request, &rating, &book, &ratecard::vat::VatTable::builtin(), Fx::Rates(&fx)).expect("document");
        // Every total and VAT line, recomputed from the lines shown with the runner's own
        // rounding (not the engine's).
        let shown = serde_json::to_value(&doc).expect("json");
        prop_assert_eq!(ratecard_conformance::totals_add_up(&shown), Ok(()));
        // Each line by hand: (rated - reductions) x rate, half up to the cent, never negative.
        let rate = doc.fx.as_ref().map_or(Decimal::ONE, |s| s.rate);
        for l in &doc.lines {
            let cents = ((l.rated - l.reductions) * rate * Decimal::ONE_HUNDRED + Decimal::new(5, 1)).floor();
            prop_assert_eq!(l.amount, cents / Decimal::ONE_HUNDRED, "{:?}", l);
            prop_assert!(!l.amount.is_sign_negative());
            prop_assert!(l.reductions <= l.rated);
        }
        // Adjustments conserve money: what each took is what the lines lost, and a credit's
        // balance is what it used plus what it carries over.
        // (Full precision is 28 significant digits: the last one may differ.)
        let close = |a: Decimal, b: Decimal| (a - b).abs() <= Decimal::new(1, 20);
        let took: Decimal = doc.applied.iter().map(|a| a.amount).sum();
        let lost: Decimal = doc.lines.iter().map(|l| l.reductions).sum();
        prop_assert!(close(took, lost), "took {} lost {}", took, lost);
        for c in &doc.credits {
            if c.status != "expired" {
                prop_assert!(close(c.used + c.remaining, c.before), "{:?}", c);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// An estimate is the invoice of a hypothetical month: instances at an uptime and volumes,
    /// written here as the usage events a customer would send, and rated as an invoice, cost
    /// what the estimate says, line for line and in total.
    #[test]
    fn an_estimate_is_the_invoice_of_its_month(
        n in 1u32..6,
        hours in 0u32..=744,
        m in 0u32..4,
        gb in 1u32..3000,
    ) {
        let book = book("stratus-2026-01");
        let request: ratecard::EstimateRequest = serde_json::from_value(serde_json::json!({
            "month": "2026-01", "region": "gra",
            "items": [
                {"sku": "b2-15", "count": n, "uptime": {"hours": hours.to_string()}},
                {"sku": "classic-volume", "count": m.max(1), "gb": gb.to_string()},
            ]
        })).expect("request");
        let estimate = ratecard::estimate(&book, &request).expect("estimate");
        let mut events = Vec::new();
        let ev = |id: String, res: String, sku: &str, kind, at, q: Option<Decimal>| UsageEvent {
            id: id.into(), account: "acme".into(), resource: res.into(), sku: sku.into(), region: "gra".into(),
            kind, at, quantity: q, tags: Default::default(), function: None,
        dimensions: Default::default(),
        };
        for i in 0..n {
            if hours > 0 {
                events.push(ev(format!("s{i}"), format!("vm-{i}"), "b2-15", EventKind::Start, t0(), None));
                events.push(ev(format!("d{i}"), format!("vm-{i}"), "b2-15", EventKind::Delete, t0() + Duration::hours(i64::from(hours)), None));
            }
        }
        for i in 0..m.max(1) {
            events.push(ev(format!("vs{i}"), format!("vol-{i}"), "classic-volume", EventKind::Start, t0(), Some(Decimal::from(gb))));
            events.push(ev(format!("vd{i}"), format!("vol-{i}"), "classic-volume", EventKind::Delete, january().end, None));
        }
        let invoice = rated(&book, &events);
        let amounts = |lines: &[ratecard::RatedLine]| {
            let mut a: Vec<(String, Decimal)> = lines.iter().map(|l| (l.sku.clone(), l.amount)).collect();
            a.sort();
            a
        };
        prop_assert_eq!(amounts(&estimate.lines), amounts(&invoice.lines));
        prop_assert_eq!(estimate.summary.total, invoice.summary(ratecard::RoundingMode::HalfUp).total);
    }
}
