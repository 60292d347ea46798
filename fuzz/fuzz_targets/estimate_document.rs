//! Any bytes as an estimate request, then as the document request of that estimate (any kind,
//! currency, adjustments, buyer): the engine must answer a result or an error, never panic.
//! The input is split at the first NUL byte: the estimate request, then the document request.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ratecard::document::{self, DocumentRequest, Fx};
use ratecard::{Catalog, EstimateRequest, PriceBook, Rating};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |b| *b == 0);
    let (Some(est), doc) = (parts.next(), parts.next()) else { return };
    let Ok(est) = std::str::from_utf8(est) else { return };
    let Ok(request) = serde_json::from_str::<EstimateRequest>(est) else { return };
    let book = PriceBook::new(vec![
        Catalog::from_json(include_str!("../../catalog/stratus-2026-01.json")).expect("catalog"),
        Catalog::from_json(include_str!("../../catalog/stratus-2026-03.json")).expect("catalog"),
    ])
    .expect("book");
    let Ok(estimate) = ratecard::estimate(&book, &request) else { return };
    let Some(doc) = doc.and_then(|d| std::str::from_utf8(d).ok()) else { return };
    let Ok(req) = serde_json::from_str::<DocumentRequest>(doc) else { return };
    let rating = Rating {
        period: estimate.month,
        catalog: estimate.catalog,
        currency: estimate.currency,
        lines: estimate.lines,
        diagnostics: vec![],
        rejects: vec![],
    };
    let fx = ratecard::fx::FxRates::sample().expect("rates");
    if let Ok(d) = document::build(&req, &rating, &book, &ratecard::vat::VatTable::builtin(), Fx::Rates(&fx)) {
        let _ = ratecard::export::csv(&d);
        let _ = ratecard::export::ubl(&d);
    }
});
