#![cfg(not(target_arch = "wasm32"))]
//! Runs every conformance case natively. `RATECARD_BLESS=1` rewrites each case's `expected` with
//! the actual output (review the diff before committing: `checks` still guard the key figures).

use ratecard_conformance::{CASES, run_all, run_case};

#[test]
fn conformance_cases() {
    if std::env::var_os("RATECARD_BLESS").is_some() {
        bless();
    }
    let (passed, failures) = run_all();
    for f in &failures {
        eprintln!("{f}\n");
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases failed (see above)",
        failures.len(),
        CASES.len()
    );
    assert!(
        passed >= 40,
        "only {passed} conformance cases: the suite must keep at least 40"
    );
}

fn bless() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    for (name, text) in CASES {
        let mut case: serde_json::Value = serde_json::from_str(text).expect("case is JSON");
        if case.get("expected_error").is_some() {
            continue;
        }
        let actual = match ratecard_conformance::produce(&case) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("not blessed: {name}: {e}");
                continue;
            }
        };
        case["expected"] = actual;
        let path = dir.join(format!("{name}.json"));
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&case).expect("serialize") + "\n",
        )
        .expect("write case");
        let _ = run_case(name, text);
    }
}
