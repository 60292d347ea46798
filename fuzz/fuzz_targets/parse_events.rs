//! Any bytes as events, then metering and rating: the engine must never panic, and every line
//! is either an event or a reject.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ratecard::{Catalog, Period, PriceBook, event, meter, rate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = event::parse(text);
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    if !text.trim_start().starts_with('[') {
        assert_eq!(parsed.events.len() + parsed.rejects.len(), lines);
    }
    let catalog = Catalog::from_json(include_str!("../../catalog/nimbus-2026-01.json")).expect("sample catalog");
    let book = PriceBook::single(catalog);
    let period = Period::parse("2026-01").expect("period");
    if let Ok(m) = meter(&book, period, &parsed.events) {
        let _ = rate(&book, &m);
    }
});
