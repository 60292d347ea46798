//! The conformance cases on wasm32, under Node: each case's output must be byte-identical to
//! the `expected` canonical JSON the native run produced. A difference fails and names the case.
#![cfg(target_arch = "wasm32")]

use ratecard_conformance::{CASES, run_all};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn conformance_cases_are_byte_identical_on_wasm32() {
    let (passed, failures) = run_all();
    let report: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ on wasm32:\n{}",
        failures.len(),
        CASES.len(),
        report.join("\n\n")
    );
    assert_eq!(passed, CASES.len());
}
