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

use ratecard::document::{self, DocumentRequest, Fx};
use ratecard::fx::FxRates;
use ratecard::vat::{self, VatTable};
use ratecard::{
    Catalog, PriceBook, RoundingMode, canonical, correction, estimate, event, export, projection,
};
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
/// Every document inside a case's output, at any depth (what the UBL, CII and PDF checks
/// read).
pub fn documents(v: &Value, out: &mut Vec<ratecard::document::Document>) {
    if let Ok(d) = serde_json::from_value::<ratecard::document::Document>(v.clone()) {
        out.push(d);
        return;
    }
    match v {
        Value::Object(m) => m.values().for_each(|x| documents(x, out)),
        Value::Array(a) => a.iter().for_each(|x| documents(x, out)),
        _ => {}
    }
}

/// The final invoices and credit notes each case produces, by case, in the cases' order; a
/// draft invoice as the final invoice it would become (same lines, numbered
/// `INV-<year>-000001`), so that the validators see every VAT treatment and charge the cases
/// cover. Cases that expect an error, or fail, give none.
pub fn final_documents() -> Result<Vec<(&'static str, Vec<ratecard::document::Document>)>, String> {
    use ratecard::document::DocumentKind;
    let mut out = Vec::new();
    for (name, text) in CASES {
        let case: Value = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        if case.get("expected_error").is_some() {
            continue;
        }
        let Ok(produced) = produce(&case) else {
            continue;
        };
        let mut found = Vec::new();
        documents(&produced, &mut found);
        let finals = found
            .into_iter()
            .filter_map(|mut d| match d.kind {
                DocumentKind::FinalInvoice | DocumentKind::CreditNote => Some(d),
                DocumentKind::DraftInvoice => {
                    d.kind = DocumentKind::FinalInvoice;
                    d.number = Some(format!(
                        "INV-{}-000001",
                        chrono::Datelike::year(&d.issue_date)
                    ));
                    d.series = Some("INV".into());
                    Some(d)
                }
                DocumentKind::Estimate | DocumentKind::Quote => None,
            })
            .collect();
        out.push((*name, finals));
    }
    Ok(out)
}

pub fn produce(case: &Value) -> Result<Value, String> {
    let field = |k: &str| case.get(k).ok_or_else(|| format!("the case has no `{k}`"));
    let run = field("run")?.as_str().ok_or("`run` must be a string")?;
    let load = |key: &str| -> Result<PriceBook, String> {
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
            let metering = load("catalogs")?;
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
                load("reprice_with")?
            } else {
                metering
            };
            let rating = ratecard::rate(&pricing, &metered).map_err(|e| e.to_string())?;
            let summary = rating.summary(rounding);
            json!({ "rating": rating, "summary": summary, "events": metered.events, "duplicates": metered.duplicates })
        }
        "estimate" => {
            let book = load("catalogs")?;
            let request: ratecard::EstimateRequest =
                serde_json::from_value(field("request")?.clone())
                    .map_err(|e| format!("estimate request: {e}"))?;
            let result = estimate(&book, &request).map_err(|e| e.to_string())?;
            serde_json::to_value(&result).map_err(|e| e.to_string())?
        }
        "payment_options" => {
            let book = load("catalogs")?;
            let request: ratecard::EstimateRequest =
                serde_json::from_value(field("request")?.clone())
                    .map_err(|e| format!("estimate request: {e}"))?;
            let options =
                ratecard::estimate::payment_options(&book, &request).map_err(|e| e.to_string())?;
            json!({ "options": options })
        }
        "catalog" => {
            let text = field("catalog_text")?
                .as_str()
                .ok_or("`catalog_text` must be a string")?;
            let c = Catalog::from_json(text).map_err(|e| e.to_string())?;
            json!({ "catalog": c.reference(), "products": c.products.len() })
        }
        "document" | "export" => {
            let book = load("catalogs")?;
            let rating = rating_of(case, &book)?;
            let request: DocumentRequest = parse(field("document")?, "document request")?;
            let fx = FxRates::sample().map_err(|e| e.to_string())?;
            let doc = document::build(
                &request,
                &rating,
                &book,
                &VatTable::builtin(),
                Fx::Rates(&fx),
            )
            .map_err(|e| e.to_string())?;
            if run == "document" {
                serde_json::to_value(&doc).map_err(|e| e.to_string())?
            } else {
                let ubl = export::ubl(&doc).map_err(|e| e.to_string())?;
                json!({ "csv": export::csv(&doc).map_err(|e| e.to_string())?, "ubl": ubl })
            }
        }
        "correction" => {
            let book = load("catalogs")?;
            let fx = FxRates::sample().map_err(|e| e.to_string())?;
            let vat = VatTable::builtin();
            let rating = rating_of(case, &book)?;
            let request: DocumentRequest = parse(field("document")?, "document request")?;
            let original = document::build(&request, &rating, &book, &vat, Fx::Rates(&fx))
                .map_err(|e| e.to_string())?;
            let before = canonical::to_string(&original).map_err(|e| e.to_string())?;
            // The new rating: the events plus the late ones, under the same or a corrected price book.
            let mut all = events()?;
            if let Some(late) = case.get("late_events") {
                let more = event::parse_json(&late.to_string());
                all.events.extend(more.events);
                all.rejects.extend(more.rejects);
            }
            let pricing = if case.get("rerate_with").is_some() {
                load("rerate_with")?
            } else {
                book.clone()
            };
            let period = ratecard::Period::parse(
                field("period")?
                    .as_str()
                    .ok_or("`period` must be a string")?,
            )
            .map_err(|e| e.to_string())?;
            let metered = ratecard::meter(&book, period, &all.events).map_err(|e| e.to_string())?;
            let rerated = ratecard::rate(&pricing, &metered).map_err(|e| e.to_string())?;
            let req: correction::CorrectionRequest =
                parse(field("correction")?, "correction request")?;
            let result = correction::correct(&original, &[], &rerated, &pricing, &vat, &req)
                .map_err(|e| e.to_string())?;
            let after = canonical::to_string(&original).map_err(|e| e.to_string())?;
            json!({ "original": original, "correction": result, "original_unchanged": before == after })
        }
        "projection" => {
            let book = load("catalogs")?;
            let parsed = events()?;
            let req: projection::ProjectionRequest =
                parse(field("projection")?, "projection request")?;
            serde_json::to_value(
                projection::project(&book, &parsed.events, &req).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?
        }
        "allocate" => {
            let book = load("catalogs")?;
            let parsed = events()?;
            let period = ratecard::Period::parse(field("period")?.as_str().unwrap_or(""))
                .map_err(|e| e.to_string())?;
            let metered =
                ratecard::meter(&book, period, &parsed.events).map_err(|e| e.to_string())?;
            let rating = ratecard::rate(&book, &metered).map_err(|e| e.to_string())?;
            let rules: ratecard::allocation::AllocationRules = parse(field("rules")?, "rules")?;
            let out = ratecard::allocation::allocate(
                &[rating],
                &period,
                &rules,
                book.currency(),
                rounding,
            )
            .map_err(|e| e.to_string())?;
            serde_json::to_value(out).map_err(|e| e.to_string())?
        }
        "budget" => {
            let book = load("catalogs")?;
            let parsed = events()?;
            let budget: ratecard::budget::Budget = parse(field("budget")?, "budget")?;
            let period = ratecard::Period::parse(field("period")?.as_str().unwrap_or(""))
                .map_err(|e| e.to_string())?;
            let as_of = ratecard::time::parse_instant(field("as_of")?.as_str().unwrap_or(""))?;
            let st = ratecard::budget::evaluate(
                &book,
                &parsed.events,
                &budget,
                &period,
                as_of,
                rounding,
            )
            .map_err(|e| e.to_string())?;
            serde_json::to_value(st).map_err(|e| e.to_string())?
        }
        "explore" => {
            // Each period is rated from the same events, as the ledger's drafts are.
            let book = load("catalogs")?;
            let parsed = events()?;
            let rate_all = |key: &str| -> Result<Vec<ratecard::Rating>, String> {
                let Some(list) = case.get(key) else {
                    return Ok(Vec::new());
                };
                let list = list.as_array().ok_or(format!("`{key}` must be an array"))?;
                let mut out = Vec::new();
                // `"days": true` cuts each period in days, as the explorer's `day` reads them.
                let days = case.get("days").and_then(Value::as_bool).unwrap_or(false);
                for p in list {
                    let period = ratecard::Period::parse(p.as_str().unwrap_or(""))
                        .map_err(|e| e.to_string())?;
                    if days {
                        out.extend(
                            ratecard::daily::days(
                                &book,
                                &period,
                                &parsed.events,
                                ratecard::RoundingMode::default(),
                            )
                            .map_err(|e| e.to_string())?,
                        );
                        continue;
                    }
                    let metered = ratecard::meter(&book, period, &parsed.events)
                        .map_err(|e| e.to_string())?;
                    out.push(ratecard::rate(&book, &metered).map_err(|e| e.to_string())?);
                }
                Ok(out)
            };
            let periods = rate_all("periods")?;
            let compared = rate_all("compared_periods")?;
            let req: ratecard::explore::ExploreRequest =
                parse(field("request")?, "explore request")?;
            let out = ratecard::explore::explore(
                &book,
                &periods,
                case.get("compared_periods").map(|_| compared.as_slice()),
                &req,
            )
            .map_err(|e| e.to_string())?;
            // Every request a rollup answers gets the same answer from the periods' rollups:
            // the explorer's fast path is checked by every case that can take it.
            if ratecard::explore::Rollup::answers(&req) {
                let roll = |list: &[ratecard::Rating]| -> Result<Vec<_>, String> {
                    list.iter()
                        .map(|r| ratecard::explore::Rollup::of(r, req.rounding))
                        .collect::<Result<_, _>>()
                        .map_err(|e| e.to_string())
                };
                let (now, before) = (roll(&periods)?, roll(&compared)?);
                let fast = ratecard::explore::explore_rollups(
                    &book,
                    &now,
                    case.get("compared_periods").map(|_| before.as_slice()),
                    &req,
                )
                .map_err(|e| e.to_string())?;
                // Compared as JSON, so that 3.480 and 3.48 differ.
                let (fast, slow) = (
                    serde_json::to_string(&fast).map_err(|e| e.to_string())?,
                    serde_json::to_string(&out).map_err(|e| e.to_string())?,
                );
                if fast != slow {
                    return Err(format!(
                        "the rollups answer otherwise than the ratings: {fast}"
                    ));
                }
            }
            serde_json::to_value(out).map_err(|e| e.to_string())?
        }
        "vat_number" => {
            let list = field("numbers")?
                .as_array()
                .ok_or("`numbers` must be an array")?;
            let mut out = Vec::new();
            for n in list {
                let (c, num) = (
                    n["country"].as_str().unwrap_or(""),
                    n["number"].as_str().unwrap_or(""),
                );
                out.push(match vat::number::validate(c, num) {
                    Ok(()) => json!({ "country": c, "number": num, "valid": true }),
                    Err(why) => {
                        json!({ "country": c, "number": num, "valid": false, "reason": why })
                    }
                });
            }
            json!({ "results": out })
        }
        "vat_treatment" => {
            let seller = parse(field("seller")?, "seller")?;
            let buyer = parse(field("buyer")?, "buyer")?;
            let date = chrono::NaiveDate::parse_from_str(
                field("date")?.as_str().unwrap_or(""),
                "%Y-%m-%d",
            )
            .map_err(|e| e.to_string())?;
            let purpose = if case.get("purpose").and_then(Value::as_str) == Some("estimate") {
                vat::Purpose::Estimate
            } else {
                vat::Purpose::Invoice
            };
            let t = vat::treatment(&VatTable::builtin(), &seller, &buyer, date, purpose)
                .map_err(|e| e.to_string())?;
            serde_json::to_value(t).map_err(|e| e.to_string())?
        }
        "fx" => {
            let rates = match (case.get("xml"), case.get("csv")) {
                (Some(Value::String(x)), _) => FxRates::from_ecb_xml(x, "case"),
                (_, Some(Value::String(c))) => FxRates::from_ecb_csv(c, "case"),
                _ => FxRates::sample(),
            }
            .map_err(|e| e.to_string())?;
            let ask = field("stamp")?;
            let date =
                chrono::NaiveDate::parse_from_str(ask["date"].as_str().unwrap_or(""), "%Y-%m-%d")
                    .map_err(|e| e.to_string())?;
            serde_json::to_value(
                rates
                    .stamp(ask["currency"].as_str().unwrap_or(""), date)
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?
        }
        other => return Err(format!("unknown run `{other}`")),
    };
    Ok(canonical::sort_keys(out))
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("{what}: {e}"))
}

/// The rating a document case is built from: its events over its period, or its estimate.
fn rating_of(case: &Value, book: &PriceBook) -> Result<ratecard::Rating, String> {
    if let Some(req) = case.get("request") {
        let request: ratecard::EstimateRequest = parse(req, "estimate request")?;
        return Ok(estimate(book, &request)
            .map_err(|e| e.to_string())?
            .rating());
    }
    let period = ratecard::Period::parse(
        case.get("period")
            .and_then(Value::as_str)
            .ok_or("the case has no `period`")?,
    )
    .map_err(|e| e.to_string())?;
    let parsed = match (case.get("events"), case.get("events_jsonl")) {
        (Some(v), None) => event::parse_json(&v.to_string()),
        (None, Some(Value::String(t))) => event::parse_jsonl(t),
        _ => return Err("give `events` or `events_jsonl`".into()),
    };
    let metered = ratecard::meter(book, period, &parsed.events).map_err(|e| e.to_string())?;
    ratecard::rate(book, &metered).map_err(|e| e.to_string())
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
            totals_add_up(&actual).map_err(fail)?;
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

/// Hand-computed values, by JSON pointer: they hold even when `expected` is re-blessed. And
/// `contains`: texts that must appear in a string of the output (an export).
fn check_points(case: &Value, actual: &Value) -> Result<(), String> {
    if let Some(Value::Object(contains)) = case.get("contains") {
        for (pointer, wanted) in contains {
            let text = actual
                .pointer(pointer)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("contains {pointer}: no such text in the output"))?;
            for w in wanted
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !text.contains(w) {
                    return Err(format!("contains {pointer}: `{w}` is missing"));
                }
            }
        }
    }
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

/// Every total and every VAT line of the output, recomputed here from the lines shown, with
/// this file's own rounding (not the engine's): a document's net is the sum of its line amounts;
/// each VAT line's taxable amount is the sum of its category's lines and its tax that amount x
/// rate, rounded half up to the currency's minor unit; the tax total is the sum of the VAT lines
/// and the gross net + tax. A rating's or estimate's summary total is the sum of its lines, each
/// rounded with the summary's mode.
pub fn totals_add_up(v: &Value) -> Result<(), String> {
    use rust_decimal::Decimal;
    let dec = |v: &Value, what: &str| -> Result<Decimal, String> {
        v.as_str()
            .and_then(|s| s.parse::<Decimal>().ok())
            .ok_or_else(|| format!("{what}: not a decimal string: {v}"))
    };
    let digits = |currency: &str| match currency {
        "JPY" | "KRW" | "ISK" | "CLP" => 0u32,
        _ => 2,
    };
    // Rounds by hand: scale to the minor unit, then compare the dropped fraction with a half.
    let round = |d: Decimal, dp: u32, even: bool| -> Decimal {
        let scale = Decimal::from(10u64.pow(dp));
        let scaled = d * scale;
        let whole = scaled.trunc();
        let frac = (scaled - whole).abs();
        let half = Decimal::new(5, 1);
        let away =
            frac > half || (frac == half && (!even || (whole % Decimal::TWO) != Decimal::ZERO));
        let units = if away {
            whole + Decimal::from(if d.is_sign_negative() { -1 } else { 1 })
        } else {
            whole
        };
        units / scale
    };
    match v {
        Value::Object(m) => {
            // A document: lines with amounts, a VAT breakdown and totals.
            if let (Some(Value::Array(lines)), Some(Value::Array(vat)), Some(totals), Some(cur)) = (
                m.get("lines"),
                m.get("vat"),
                m.get("totals"),
                m.get("currency").and_then(Value::as_str),
            ) {
                let dp = digits(cur);
                let mut net = Decimal::ZERO;
                for l in lines {
                    net += dec(&l["amount"], "line amount")?;
                }
                if net != dec(&totals["net"], "totals.net")? {
                    return Err(format!(
                        "totals.net is {} but the lines add up to {net}",
                        totals["net"]
                    ));
                }
                let mut tax = Decimal::ZERO;
                for g in vat {
                    let mut taxable = Decimal::ZERO;
                    for l in lines.iter().filter(|l| {
                        l["vat_category"] == g["category"] && l["vat_rate"] == g["rate"]
                    }) {
                        taxable += dec(&l["amount"], "line amount")?;
                    }
                    if taxable != dec(&g["taxable"], "vat.taxable")? {
                        return Err(format!(
                            "VAT {} {}: taxable is {} but its lines add up to {taxable}",
                            g["category"], g["rate"], g["taxable"]
                        ));
                    }
                    let due = round(
                        taxable * dec(&g["rate"], "vat.rate")? / Decimal::ONE_HUNDRED,
                        dp,
                        false,
                    );
                    if due != dec(&g["tax"], "vat.tax")? {
                        return Err(format!(
                            "VAT {} {}: tax is {} but {taxable} x {} % is {due}",
                            g["category"], g["rate"], g["tax"], g["rate"]
                        ));
                    }
                    tax += due;
                }
                if tax != dec(&totals["tax"], "totals.tax")?
                    || net + tax != dec(&totals["gross"], "totals.gross")?
                {
                    return Err(format!(
                        "totals {totals} do not follow from net {net} and VAT {tax}"
                    ));
                }
            }
            // A summary next to its lines (an estimate), or inside a rating's output.
            let lines = m
                .get("lines")
                .or_else(|| m.get("rating").and_then(|r| r.get("lines")));
            let currency = m
                .get("currency")
                .or_else(|| m.get("rating").and_then(|r| r.get("currency")))
                .and_then(Value::as_str);
            if let (Some(Value::Array(lines)), Some(summary), Some(cur)) =
                (lines, m.get("summary"), currency)
            {
                let even = summary["rounding"] == "half_even";
                let mut total = Decimal::ZERO;
                for l in lines {
                    total += round(dec(&l["amount"], "line amount")?, digits(cur), even);
                }
                if total != dec(&summary["total"], "summary.total")? {
                    return Err(format!(
                        "summary.total is {} but the rounded lines add up to {total}",
                        summary["total"]
                    ));
                }
            }
            m.values().try_for_each(totals_add_up)
        }
        Value::Array(a) => a.iter().try_for_each(totals_add_up),
        _ => Ok(()),
    }
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
