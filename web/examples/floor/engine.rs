//! The engine's part of the calculator and nothing else: the shipped price lists parsed, an
//! estimate request read from JSON and rated, its document built with VAT and exchange rates,
//! written as canonical JSON. The floor under any page that rates with the engine.

use ratecard::document::{self, DocumentRequest, Fx};
use ratecard::fx::FxRates;
use ratecard::vat::VatTable;
use ratecard::{Catalog, EstimateRequest, PriceBook};

/// Rates `request` under shipped price list number `catalog` and builds `document` on it.
pub fn rate(catalog: usize, request: &str, document: &str) -> String {
    let Some((_, texts)) = ratecard::samples::CATALOGS.get(catalog) else {
        return "no such price list".into();
    };
    let versions = match texts
        .iter()
        .map(|t| Catalog::from_shipped_json(t))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(v) => v,
        Err(e) => return e.to_string(),
    };
    let book = match PriceBook::new(versions) {
        Ok(b) => b,
        Err(e) => return e.to_string(),
    };
    let request: EstimateRequest = match serde_json::from_str(request) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    let doc_request: DocumentRequest = match serde_json::from_str(document) {
        Ok(r) => r,
        Err(e) => return e.to_string(),
    };
    let estimate = match ratecard::estimate(&book, &request) {
        Ok(e) => e,
        Err(e) => return e.to_string(),
    };
    let rates = FxRates::sample().ok();
    let fx = rates.as_ref().map_or(Fx::None, Fx::Rates);
    match document::build(
        &doc_request,
        &estimate.rating(),
        &book,
        &VatTable::builtin(),
        fx,
    ) {
        Ok(d) => ratecard::canonical::to_string(&d).unwrap_or_default(),
        Err(e) => e.to_string(),
    }
}
