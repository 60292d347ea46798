//! A 200-line estimate (`tests/bench/estimate-200.json`) on the hourly sample cloud: what the
//! calculator recomputes on every keystroke. `cargo xtask bench` compares this native figure
//! with the same request in wasm (the engine's JS API under Node).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ratecard::{Catalog, EstimateRequest, PriceBook, estimate};

fn bench(c: &mut Criterion) {
    let book = PriceBook::new(vec![
        Catalog::from_json(include_str!("../../catalog/stratus-2026-01.json")).expect("catalog"),
        Catalog::from_json(include_str!("../../catalog/stratus-2026-03.json")).expect("catalog"),
    ])
    .expect("price book");
    let request: EstimateRequest =
        serde_json::from_str(include_str!("../../tests/bench/estimate-200.json")).expect("request");
    assert_eq!(request.items.len(), 200);
    let mut g = c.benchmark_group("estimate");
    g.sample_size(20);
    g.bench_function("200_lines", |b| {
        b.iter(|| black_box(estimate(&book, black_box(&request)).expect("estimate")))
    });
    // The same work as one call of the JS API: parse the catalogs and the request, estimate,
    // and turn the result into a JSON value. The wasm/native ratio compares against this.
    let texts = [
        include_str!("../../catalog/stratus-2026-01.json"),
        include_str!("../../catalog/stratus-2026-03.json"),
    ];
    let request_text = include_str!("../../tests/bench/estimate-200.json");
    g.bench_function("js_equivalent", |b| {
        b.iter(|| {
            let versions = texts
                .iter()
                .map(|t| Catalog::from_json(t).expect("catalog"))
                .collect();
            let book = PriceBook::new(versions).expect("book");
            let request: EstimateRequest = serde_json::from_str(request_text).expect("request");
            black_box(
                serde_json::to_value(estimate(&book, &request).expect("estimate")).expect("json"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
