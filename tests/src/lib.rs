//! The conformance runner. A case is a JSON file under `tests/cases/`: a catalog reference, the
//! inputs, hand-computed `checks` and the expected output. The actual output's canonical JSON
//! must equal the expected one byte for byte.
//!
//! Cases and catalogs are embedded at build time: the runner reads no file and runs the same on
//! x86_64 and wasm32.
//!
//! ```json
//! {
//!   "description": "what the case shows",
//!   "run": "rate | estimate | reprice | catalog",
//!   "catalogs": ["stratus-2026-01"],            // names under catalog/, or inline objects
//!   "period": "2026-01",                          // rate, reprice
//!   "events": [ ... ] | "events_jsonl": "...",  // rate, reprice
//!   "reprice_with": ["nimbus-2026-01"],          // reprice
//!   "request": { ... },                           // estimate
//!   "catalog_text": "...",                        // catalog: raw text to validate
//!   "checks": { "/summary/total": "23.63" },      // JSON pointer -> value, computed by hand
//!   "expected": { ... } | "expected_error": "..."
//! }
//! ```

use ratecard::{Catalog, PriceBook, canonical, estimate, event, money::RoundingMode};
use serde_json::{Value, json};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub use embedded::{CASES, CATALOGS};

/// The text of a catalog shipped under `catalog/`, by file stem.
pub fn catalog_text(name: &str) -> Option<&'static str> {
    CATALOGS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// A case that did not pass, with the reason and, for a wrong output, a diff.
#[derive(Debug)]
pub struct Failure {
    pub case: String,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "case {}: {}", self.case, self.message)
    }
}

/// What a case produced: its output (or error) as canonical JSON.
pub fn produce(case: &Value) -> Result<Value, String> {
    let field = |k: &str| case.get(k).ok_or_else(|| format!("the case has no `{k}`"));
    let run = field("run")?.as_str().ok_or("`run` must be a string")?;
    let book = |key: &str| -> Result<PriceBook, String> {
        let list = field(key)?
            .as_array()
            .ok_or(format!("`{key}` must be an array"))?;
        let mut versions = Vec::new();
        for c in list {
            let text = match c {
                Value::String(name) => catalog_text(name)
                    .ok_or(format!("no catalog `{name}` under catalog/"))?
                    .to_string(),
                other => other.to_string(),
            };
            versions.push(Catalog::from_json(&text).map_err(|e| e.to_string())?);
        }
        PriceBook::new(versions).map_err(|e| e.to_string())
    };
    let events = || -> Result<event::Parsed, String> {
        match (case.get("events"), case.get("events_jsonl")) {
            (Some(v), None) => Ok(event::parse_json(&v.to_string())),
            (None, Some(Value::String(t))) => Ok(event::parse_jsonl(t)),
            _ => Err("give `events` (an array) or `events_jsonl` (a string)".into()),
        }
    };
    let rounding: RoundingMode = match case.get("rounding") {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| e.to_string())?,
        None => RoundingMode::default(),
    };
    let out = match run {
        "rate" | "reprice" => {
            let metering = book("catalogs")?;
            let period = ratecard::Period::parse(
                field("period")?
                    .as_str()
                    .ok_or("`period` must be a string")?,
            )
            .map_err(|e| e.to_string())?;
            let parsed = events()?;
            let mut metered =
                ratecard::meter(&metering, period, &parsed.events).map_err(|e| e.to_string())?;
            metered.rejects.extend(parsed.rejects);
            metered.rejects.sort();
            let pricing = if run == "reprice" {
                book("reprice_with")?
            } else {
                metering
            };
            let rating = ratecard::rate(&pricing, &metered).map_err(|e| e.to_string())?;
            let summary = rating.summary(rounding);
            json!({ "rating": rating, "summary": summary, "events": metered.events, "duplicates": metered.duplicates })
        }
        "estimate" => {
            let book = book("catalogs")?;
            let request: ratecard::EstimateRequest =
                serde_json::from_value(field("request")?.clone())
                    .map_err(|e| format!("estimate request: {e}"))?;
            let result = estimate(&book, &request).map_err(|e| e.to_string())?;
            serde_json::to_value(&result).map_err(|e| e.to_string())?
        }
        "catalog" => {
            let text = field("catalog_text")?
                .as_str()
                .ok_or("`catalog_text` must be a string")?;
            let c = Catalog::from_json(text).map_err(|e| e.to_string())?;
            json!({ "catalog": c.reference(), "products": c.products.len() })
        }
        other => return Err(format!("unknown run `{other}`")),
    };
    Ok(canonical::sort_keys(out))
}

/// Runs one case. `Ok(actual)` when it passes; the actual output is returned for blessing.
pub fn run_case(name: &str, text: &str) -> Result<Value, Failure> {
    let fail = |message: String| Failure {
        case: name.to_string(),
        message,
    };
    let case: Value =
        serde_json::from_str(text).map_err(|e| fail(format!("the case file is not JSON: {e}")))?;
    let produced = produce(&case);
    match (case.get("expected_error"), produced) {
        (Some(Value::String(want)), Err(got)) if *want == got => Ok(json!({ "error": got })),
        (Some(want), Err(got)) => Err(fail(format!(
            "wrong error\n  expected: {want}\n  actual:   {got}"
        ))),
        (Some(_), Ok(out)) => Err(fail(format!(
            "expected an error, got {}",
            canonical::to_string(&out).unwrap_or_default()
        ))),
        (None, Err(got)) => Err(fail(format!("failed: {got}"))),
        (None, Ok(actual)) => {
            check_points(&case, &actual).map_err(fail)?;
            let expected =
                canonical::sort_keys(case.get("expected").cloned().unwrap_or(Value::Null));
            let (e, a) = (
                canonical::to_string(&expected).unwrap_or_default(),
                canonical::to_string(&actual).unwrap_or_default(),
            );
            if e != a {
                return Err(fail(format!(
                    "output differs from `expected` (- expected, + actual):\n{}",
                    diff(&expected, &actual)
                )));
            }
            Ok(actual)
        }
    }
}

/// Hand-computed values, by JSON pointer: they hold even when `expected` is re-blessed.
fn check_points(case: &Value, actual: &Value) -> Result<(), String> {
    let Some(Value::Object(checks)) = case.get("checks") else {
        return Ok(());
    };
    for (pointer, want) in checks {
        let got = actual
            .pointer(pointer)
            .ok_or_else(|| format!("check {pointer}: no such value in the output"))?;
        if got != want {
            return Err(format!("check {pointer}: expected {want}, got {got}"));
        }
    }
    Ok(())
}

fn diff(expected: &Value, actual: &Value) -> String {
    let e = canonical::to_string_pretty(expected).unwrap_or_default();
    let a = canonical::to_string_pretty(actual).unwrap_or_default();
    similar::TextDiff::from_lines(&e, &a)
        .unified_diff()
        .context_radius(3)
        .to_string()
}

/// Runs every embedded case: (passed, failures).
pub fn run_all() -> (usize, Vec<Failure>) {
    let mut failures = Vec::new();
    let mut passed = 0;
    for (name, text) in CASES {
        match run_case(name, text) {
            Ok(_) => passed += 1,
            Err(f) => failures.push(f),
        }
    }
    (passed, failures)
}
