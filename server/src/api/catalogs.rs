//! The public endpoints: price lists and estimates.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ratecard::EstimateRequest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{Shared, blocking, body, json_response, parse};
use crate::error::{ApiError, ApiResult};

/// A price list: its id, currency and versions.
#[derive(Serialize, JsonSchema)]
pub(crate) struct CatalogSummary {
    id: String,
    currency: String,
    versions: Vec<String>,
}

/// Every way to pay for an estimate's usage.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PaymentOptions {
    options: Vec<ratecard::estimate::PaymentOption>,
}

pub(crate) async fn catalogs(State(s): State<Shared>) -> ApiResult {
    let list: Vec<CatalogSummary> = s
        .catalogs
        .iter()
        .map(|(id, b)| CatalogSummary {
            id: id.clone(),
            currency: b.currency().to_string(),
            versions: b.versions().iter().map(|v| v.version.clone()).collect(),
        })
        .collect();
    json_response(StatusCode::OK, &list)
}

pub(crate) async fn catalog(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let b = s.catalogs.get(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no catalog `{id}`"),
        )
    })?;
    json_response(StatusCode::OK, &b.versions())
}

#[derive(Deserialize, JsonSchema)]
pub(crate) struct CatalogQuery {
    /// A price list's id (`GET /api/v1/catalogs`); the ledger's by default.
    catalog: Option<String>,
}

pub(crate) async fn estimate(
    s: State<Shared>,
    q: Query<CatalogQuery>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    priced(s, q, b, |book, r| {
        to_value(&ratecard::estimate(book, r).map_err(ApiError::engine)?)
    })
    .await
}

/// Every way to pay for the request's usage: on demand, monthly plans, each savings plan.
pub(crate) async fn payment_options(
    s: State<Shared>,
    q: Query<CatalogQuery>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    priced(s, q, b, |book, r| {
        let options = ratecard::estimate::payment_options(book, r).map_err(ApiError::engine)?;
        to_value(&PaymentOptions { options })
    })
    .await
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

/// An estimate request priced by `run` with the price list of `?catalog=` (the default one
/// otherwise), off the async threads.
async fn priced(
    State(s): State<Shared>,
    Query(q): Query<CatalogQuery>,
    b: Result<Bytes, BytesRejection>,
    run: fn(&ratecard::PriceBook, &EstimateRequest) -> Result<Value, ApiError>,
) -> ApiResult {
    let request: EstimateRequest = parse(&body(b)?, "estimate request")?;
    let id = q.catalog.unwrap_or_else(|| s.book.id().to_string());
    if !s.catalogs.contains_key(&id) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no catalog `{id}`"),
        ));
    }
    let result = blocking(&s, {
        let s = s.clone();
        move || match s.catalogs.get(&id) {
            Some(book) => run(book, &request),
            None => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no catalog",
            )),
        }
    })
    .await?;
    json_response(StatusCode::OK, &result)
}

/// The longest notes a quote may carry (characters).
pub const MAX_QUOTE_NOTES: usize = 10_000;

/// A quote (or estimate) to price: the calculator's estimate request and its document request.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuoteBody {
    estimate: EstimateRequest,
    /// Of kind `quote` or `estimate`; its seller is replaced by the service's own.
    document: ratecard::document::DocumentRequest,
}

/// The same, posted as a form (the calculator's "PDF" button): one field holding the JSON.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuoteForm {
    /// A [`QuoteBody`] as JSON text.
    quote: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QuoteQuery {
    /// A price list's id (`GET /api/v1/catalogs`); the ledger's by default.
    catalog: Option<String>,
    /// `json` (the default: the quote document) or `pdf`.
    format: Option<String>,
    /// The language of the PDF: `fr` (the default) or `en`.
    lang: Option<String>,
}

/// Prices a quote as the calculator does (the estimate, then the document with VAT and
/// currency) and answers the document, or its PDF. The figures are the engine's, made again
/// here from the request: a PDF never prints figures a browser sent.
pub(crate) async fn quote(
    State(s): State<Shared>,
    Query(q): Query<QuoteQuery>,
    headers: axum::http::HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let bytes = body(b)?;
    let is_form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let request: QuoteBody = if is_form {
        let form: QuoteForm = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::bad(format!("quote form: {e}")))?;
        parse(form.quote.as_bytes(), "quote request")?
    } else {
        parse(&bytes, "quote request")?
    };
    let pdf = crate::api::invoices::wants_pdf(q.format.as_deref())?;
    use ratecard::document::DocumentKind;
    // A public route that prints: the notes are a few paragraphs, not a book.
    if let Some(n) = &request.document.notes
        && n.chars().count() > MAX_QUOTE_NOTES
    {
        return Err(ApiError::bad(format!(
            "document.notes: at most {MAX_QUOTE_NOTES} characters (got {})",
            n.chars().count()
        )));
    }
    // A public route that prints: the buyer's name and address are bounded as a stored
    // customer's are (two million address lines were drawn on one page).
    if let Some((field, m)) = request.document.buyer.problems().into_iter().next() {
        return Err(ApiError::bad(format!("document.buyer.{field}: {m}")));
    }
    if request.document.references.is_some() {
        return Err(ApiError::bad(
            "document.references: a quote corrects no invoice".to_string(),
        ));
    }
    if !matches!(
        request.document.kind,
        DocumentKind::Quote | DocumentKind::Estimate
    ) {
        return Err(ApiError::bad(format!(
            "a {} is not priced here: quotes and estimates only (invoices come from the ledger)",
            request.document.kind.name()
        )));
    }
    let id = q.catalog.unwrap_or_else(|| s.book.id().to_string());
    let doc = blocking(&s, {
        let s = s.clone();
        move || {
            let book = s.catalogs.get(&id).ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no catalog `{id}`"),
                )
            })?;
            let est = ratecard::estimate(book, &request.estimate).map_err(ApiError::engine)?;
            let mut req = request.document;
            req.seller = s.seller.clone();
            let mut doc = ratecard::document::build(
                &req,
                &est.rating(),
                book,
                &s.vat,
                ratecard::document::Fx::Rates(&s.fx),
            )
            .map_err(ApiError::engine)?;
            // Each line says what it is for, as the calculator's printed quote does: the label
            // its item was given, before the product's description.
            for (i, line) in doc.lines.iter_mut().enumerate() {
                if let Some(label) = est.label_of_line(i, &line.sku) {
                    line.description = format!("{label}: {}", line.description);
                }
            }
            Ok(doc)
        }
    })
    .await?;
    if pdf {
        crate::api::invoices::pdf_of(&s, doc, false, q.lang.as_deref()).await
    } else {
        json_response(StatusCode::OK, &doc)
    }
}
