//! Any bytes as a catalog: parsing and validation must return a value or an error, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ratecard::Catalog::from_json(text);
    }
});
