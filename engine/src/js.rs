//! The JavaScript API (feature `wasm`): the engine for third parties, through wasm-bindgen.
//!
//! ```js
//! import { estimate, rate, invoice, validateCatalog } from './ratecard.js';
//! const result = estimate([catalogJson], { month: '2026-01', region: 'gra', items: [{ sku: 'b2-15' }] });
//! ```
//! Catalogs are passed as JSON text (one version, or an array of versions of one price list).
//! Decimals are strings, as everywhere in the engine. An error is thrown as a JS `Error` whose
//! message is the engine's, with a `path` property naming the field when there is one.

use wasm_bindgen::prelude::*;

use crate::document::{self, DocumentRequest, Fx};
use crate::error::Error;
use crate::fx::FxRates;
use crate::vat::VatTable;
use crate::{Catalog, EstimateRequest, Period, PriceBook};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A decimal number, as a string ("0.111"). */
export type Decimal = string;
export interface EstimateItem {
  sku: string; label?: string; group?: string; region?: string; count?: number; plan?: "hourly" | "monthly";
  uptime?: { hours: Decimal } | { percent: Decimal };
  gb?: Decimal; egress_gb?: Decimal; requests?: Decimal; quantity?: Decimal;
  commitment?: Decimal; upfront?: "none" | "partial" | "all";
}
export interface EstimateRequest { month: string; region?: string; rounding?: "half_up" | "half_even"; items: EstimateItem[]; }
export interface RatedLine {
  account: string; resource?: string; sku: string; region: string; service: string; description: string;
  segment: string; quantity: Decimal; unit: string; unit_price: Decimal; price_unit: string; divisor: Decimal;
  amount: Decimal; rule: string; formula: string; detail: string; catalog: string; tags?: Record<string, string>;
}
export interface Comparison { hourly: Decimal; monthly: Decimal; cheaper: "hourly" | "monthly" | "equal"; break_even_hours?: number; monthly_sku: string; }
export interface ItemEstimate { index: number; sku: string; label?: string; region: string; service: string; count: number; plan: "hourly" | "monthly"; uptime_hours: Decimal; cost: Decimal; comparison?: Comparison; note?: string; }
export interface Estimate { month: string; catalog: string; currency: string; items: ItemEstimate[]; lines: RatedLine[]; rounding: "half_up" | "half_even"; subtotals: Record<string, Decimal>; total: Decimal; }
export interface Reject { line?: number; id?: string; field?: string; reason: string; }
export interface Rating { period: string; catalog: string; currency: string; lines: RatedLine[]; diagnostics: { account: string; resource: string; sku: string; event?: string; message: string }[]; rejects: Reject[]; }
export interface Totals { net: Decimal; tax: Decimal; gross: Decimal; tax_eur?: Decimal; }
export interface Document {
  kind: "estimate" | "quote" | "draft_invoice" | "final_invoice" | "credit_note"; number?: string; series?: string;
  issue_date: string; supply_period: string; currency: string; lines: Record<string, unknown>[];
  vat: { category: string; rate: Decimal; taxable: Decimal; tax: Decimal }[]; totals: Totals; mentions?: string[];
  inputs_digest: string; [field: string]: unknown;
}
export interface CatalogSummary { id: string; version: string; currency: string; products: number; }
/** What the engine throws: its message, and the field at fault when there is one. */
export interface RatecardError extends Error { path?: string; }
"#;

fn throw(e: Error) -> JsValue {
    let path = e.path();
    let err = js_sys::Error::new(&e.to_string());
    if let Some(p) = path {
        let _ = js_sys::Reflect::set(&err, &"path".into(), &p.into());
    }
    err.into()
}

fn message(text: String) -> JsValue {
    js_sys::Error::new(&text).into()
}

fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| message(e.to_string()))
}

fn book(catalogs: JsValue) -> Result<PriceBook, JsValue> {
    let texts: Vec<String> = if let Some(s) = catalogs.as_string() {
        vec![s]
    } else {
        serde_wasm_bindgen::from_value(catalogs)
            .map_err(|e| message(format!("catalogs: a JSON string or an array of them: {e}")))?
    };
    let versions = texts
        .iter()
        .map(|t| Catalog::from_json(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(throw)?;
    PriceBook::new(versions).map_err(throw)
}

/// Prices a setup for one month.
#[wasm_bindgen(js_name = estimate, unchecked_return_type = "Estimate")]
pub fn estimate_js(
    #[wasm_bindgen(unchecked_param_type = "string | string[]")] catalogs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "EstimateRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let book = book(catalogs)?;
    let request: EstimateRequest = serde_wasm_bindgen::from_value(request)
        .map_err(|e| message(format!("estimate request: {e}")))?;
    to_js(&crate::estimate(&book, &request).map_err(throw)?)
}

/// Meters and rates usage events (JSON or JSON Lines) over a period (`YYYY-MM`).
#[wasm_bindgen(js_name = rate, unchecked_return_type = "Rating")]
pub fn rate_js(
    #[wasm_bindgen(unchecked_param_type = "string | string[]")] catalogs: JsValue,
    events: &str,
    period: &str,
) -> Result<JsValue, JsValue> {
    let book = book(catalogs)?;
    let period = Period::parse(period).map_err(throw)?;
    to_js(&crate::rate_events(&book, period, events).map_err(throw)?)
}

/// Events to a document (a draft or final invoice, an estimate, a quote), with VAT, the sample
/// ECB rates and the document request's adjustments.
#[wasm_bindgen(js_name = invoice, unchecked_return_type = "Document")]
pub fn invoice_js(
    #[wasm_bindgen(unchecked_param_type = "string | string[]")] catalogs: JsValue,
    events: &str,
    period: &str,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let book = book(catalogs)?;
    let period = Period::parse(period).map_err(throw)?;
    let rating = crate::rate_events(&book, period, events).map_err(throw)?;
    let request: DocumentRequest = serde_wasm_bindgen::from_value(request)
        .map_err(|e| message(format!("document request: {e}")))?;
    let fx = FxRates::sample().map_err(throw)?;
    to_js(
        &document::build(
            &request,
            &rating,
            &book,
            &VatTable::builtin(),
            Fx::Rates(&fx),
        )
        .map_err(throw)?,
    )
}

/// Checks a catalog's JSON text; throws the first error with its JSON path.
#[wasm_bindgen(js_name = validateCatalog, unchecked_return_type = "CatalogSummary")]
pub fn validate_catalog(json: &str) -> Result<JsValue, JsValue> {
    let c = Catalog::from_json(json).map_err(throw)?;
    to_js(
        &serde_json::json!({ "id": c.id, "version": c.version, "currency": c.currency, "products": c.products.len() }),
    )
}
