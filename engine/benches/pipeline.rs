//! The invoicing pipeline on 1,000,000 events: 10,000 resources over 100 accounts, every event
//! kind, January 2026, as JSON Lines. The events are generated here, deterministically.
//!
//! - `parse_only`: serde_json into `UsageEvent`, line by line (the ceiling);
//! - `meter_rate`: metering and rating of the parsed events;
//! - `parse_meter_rate`: the whole path from bytes to rated lines (`rate_events`).
//!
//! `cargo xtask bench` runs it and writes the figures into BENCHMARKS.md.

use std::hint::black_box;
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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
