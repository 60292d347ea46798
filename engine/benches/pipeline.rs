//! The invoicing pipeline on 1,000,000 events: 10,000 resources over 100 accounts, every event
//! kind, January 2026, as JSON Lines. The events are generated here, deterministically.
//!
//! - `parse_only`: serde_json into `UsageEvent`, line by line (the ceiling);
//! - `meter_rate`: metering and rating of the parsed events;
//! - `parse_meter_rate`: the whole path from bytes to rated lines (`rate_events`);
//! - `meter_rate_rules`: metering and rating of the parsed events under those rules (below);
//! - `parse_meter_rate_rules`: the same with a catalog that uses the later rules: the instances
//!   covered by a savings plan each account buys (an hourly commitment, applied hour by hour),
//!   and a support plan that is a share of each account's spend.
//!
//! `cargo xtask bench` runs it and writes the figures into BENCHMARKS.md.

use std::hint::black_box;

/// The allocator the `ratecard` server runs with, so that the figures are the service's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecard::{Catalog, Period, PriceBook, UsageEvent, event, meter, rate, rate_events};

const RESOURCES: u64 = 10_000;
const ACCOUNTS: u64 = 100;
const EVENTS_PER_RESOURCE: u64 = 100;

/// A small deterministic generator (64-bit LCG, Knuth's constants).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn generate() -> String {
    let mut rng = Lcg(42);
    let mut out = String::with_capacity(160 * (RESOURCES * EVENTS_PER_RESOURCE) as usize);
    let month_start = 1_767_225_600u64; // 2026-01-01T00:00:00Z
    let span = 31 * 86_400 / EVENTS_PER_RESOURCE;
    for r in 0..RESOURCES {
        let account = format!("acct-{:03}", r % ACCOUNTS);
        let (sku, region) = match r % 10 {
            0..=5 => (
                ["DEV1-S", "DEV1-M", "GP1-XS", "C2-M"][(r % 4) as usize],
                "fr-par",
            ),
            6 | 7 => ("block-ssd", "nl-ams"),
            8 => ("object-standard", "fr-par"),
            _ => ("object-egress", "fr-par"),
        };
        for k in 0..EVENTS_PER_RESOURCE {
            let t = month_start + k * span + rng.next(span);
            let at = chrono::DateTime::from_timestamp(t as i64, 0)
                .unwrap_or_default()
                .format("%Y-%m-%dT%H:%M:%SZ");
            let (kind, quantity) = match (r % 10, k) {
                (0..=5, k) if k % 2 == 0 => ("start", None),
                (0..=5, _) => ("stop", None),
                (6 | 7, 0) => ("start", Some(format!("{}", 10 + rng.next(500)))),
                (6 | 7, k) if k == EVENTS_PER_RESOURCE - 1 => ("delete", None),
                (6..=8, _) => (
                    "sample",
                    Some(format!("{}.{}", 1 + rng.next(900), rng.next(100))),
                ),
                _ => (
                    "increment",
                    Some(format!("{}.{:03}", rng.next(40), rng.next(1000))),
                ),
            };
            out.push_str(&format!(
                r#"{{"id":"ev-{r}-{k}","account":"{account}","resource":"res-{r}","sku":"{sku}","region":"{region}","kind":"{kind}","at":"{at}""#
            ));
            if let Some(q) = quantity {
                out.push_str(&format!(r#","quantity":"{q}""#));
            }
            if k == 0 {
                out.push_str(&format!(r#","tags":{{"team":"t{}"}}"#, r % 7));
            }
            out.push_str("}\n");
        }
    }
    out
}

/// The sample catalog with the later rules: its instances without the monthly cap (a savings
/// plan covers hourly usage), a compute savings plan over them, and support as a share of spend.
fn rules_catalog() -> Catalog {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../../catalog/nimbus-2026-01.json")).expect("json");
    let products = v["products"].as_array_mut().expect("products");
    let mut eligible = Vec::new();
    for p in products.iter_mut() {
        if p["service"] == "Instances" {
            p["charge"]["monthly_cap"] = false.into();
            eligible.push(serde_json::json!({"sku": p["sku"], "percent": "20"}));
        }
    }
    products.retain(|p| p["sku"] != "support-business");
    products.push(serde_json::json!({
        "sku": "compute-plan", "service": "Savings plans",
        "description": "Compute savings plan, 1 year: 20 % off instances",
        "charge": {"model": "savings_plan", "commitment": "hourly", "term_months": 12, "eligible": eligible},
        "prices": {"fr-par": {}}
    }));
    products.push(serde_json::json!({
        "sku": "support-business", "service": "Support",
        "description": "Support: 10 % of the first 10,000 EUR, 7 % above, at least 29 EUR",
        "charge": {"model": "share_of_spend"},
        "prices": {"fr-par": {"monthly_price": "29.00", "tiers": [{"up_to": "10000", "unit_price": "0.10"}, {"unit_price": "0.07"}]}}
    }));
    Catalog::from_json(&v.to_string()).expect("rules catalog")
}

/// A savings plan (0.10 an hour) and a support subscription for every account.
fn purchases() -> String {
    let mut out = String::new();
    for a in 0..ACCOUNTS {
        out.push_str(&format!(
            r#"{{"id":"plan-{a}","account":"acct-{a:03}","resource":"plan","sku":"compute-plan","region":"fr-par","kind":"start","at":"2026-01-01T00:00:00Z","quantity":"0.10"}}"#
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"id":"support-{a}","account":"acct-{a:03}","resource":"support","sku":"support-business","region":"fr-par","kind":"start","at":"2025-12-01T00:00:00Z"}}"#
        ));
        out.push('\n');
    }
    out
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::from_json(include_str!("../../catalog/nimbus-2026-01.json"))
        .expect("sample catalog");
    let book = PriceBook::single(catalog);
    let period = Period::parse("2026-01").expect("period");
    let text = generate();
    let parsed = event::parse_jsonl(&text);
    assert_eq!(
        parsed.events.len() as u64,
        RESOURCES * EVENTS_PER_RESOURCE,
        "rejects: {:?}",
        parsed.rejects.first()
    );

    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(parsed.events.len() as u64));
    g.bench_function("parse_only", |b| {
        b.iter(|| {
            let v: Vec<UsageEvent> = text
                .lines()
                .map(|l| serde_json::from_str(l).expect("event"))
                .collect();
            black_box(v)
        })
    });
    g.bench_function("meter_rate", |b| {
        b.iter(|| {
            let m = meter(&book, period, black_box(&parsed.events)).expect("meter");
            black_box(rate(&book, &m).expect("rate"))
        })
    });
    g.bench_function("parse_meter_rate", |b| {
        b.iter(|| black_box(rate_events(&book, period, black_box(&text)).expect("rate")))
    });
    // The same usage and the accounts' purchases (200 events more) under the later rules.
    let rules = PriceBook::single(rules_catalog());
    let with_plans = format!("{text}{}", purchases());
    let rated = rate_events(&rules, period, &with_plans).expect("rate");
    assert!(
        rated.lines.iter().any(|l| l.rule == "savings_plan/hourly")
            && rated
                .lines
                .iter()
                .any(|l| l.rule.starts_with("share_of_spend")),
        "the plans cover usage and the support reads the spend"
    );
    let parsed_rules = event::parse_jsonl(&with_plans);
    g.bench_function("meter_rate_rules", |b| {
        b.iter(|| {
            let m = meter(&rules, period, black_box(&parsed_rules.events)).expect("meter");
            black_box(rate(&rules, &m).expect("rate"))
        })
    });
    g.bench_function("parse_meter_rate_rules", |b| {
        b.iter(|| black_box(rate_events(&rules, period, black_box(&with_plans)).expect("rate")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
