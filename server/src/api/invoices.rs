//! Stored documents: reading them (JSON, CSV, UBL) and re-rating an invoice.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use ratecard::document::DocumentKind;
use ratecard::export;
use serde::Deserialize;
use serde_json::Value;

use crate::api::auth::authorize;
use crate::api::{Shared, blocking, body, idempotency, json_response, parse};
use crate::billing::{self, stored_document};
use crate::error::{ApiError, ApiResult};

#[derive(Deserialize)]
pub(crate) struct FormatQuery {
    format: Option<String>,
}

pub(crate) async fn get_invoice(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(q): Query<FormatQuery>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let doc = blocking(&s, {
        let s = s.clone();
        let n = number.clone();
        move || stored_document(&s, &n).map(|d| d.document)
    })
    .await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => json_response(StatusCode::OK, &doc),
        "csv" => Ok((
            [(header::CONTENT_TYPE, "text/csv")],
            export::csv(&doc).map_err(ApiError::engine)?,
        )
            .into_response()),
        "ubl" | "xml" => Ok((
            [(header::CONTENT_TYPE, "application/xml")],
            export::ubl(&doc).map_err(ApiError::engine)?,
        )
            .into_response()),
        other => Err(ApiError::bad(format!("format `{other}`: json, csv or ubl"))),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RerateBody {
    #[serde(default, with = "ratecard::time::date_option")]
    issue_date: Option<chrono::NaiveDate>,
}

/// Re-rates a finalized period against the invoice as already corrected, and issues at most one
/// credit note and one supplementary invoice, numbered and stored in one transaction: a second
/// re-rate with nothing new answers `{"unchanged": true}`.
pub(crate) async fn rerate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(number): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let bytes = body(b)?;
    let key = idempotency(&headers, &format!("rerate {number}"), &bytes)?;
    let r: RerateBody = if bytes.is_empty() {
        RerateBody::default()
    } else {
        parse(&bytes, "re-rate request")?
    };
    let issue_date = r
        .issue_date
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let outcome = blocking(&s, {
        let s = s.clone();
        let number = number.clone();
        move || billing::rerate(&s, &number, issue_date, key.as_ref())
    })
    .await?;
    let mut out = serde_json::Map::new();
    for d in &outcome.documents {
        let name = if d.kind == DocumentKind::CreditNote {
            "credit_note"
        } else {
            "supplementary_invoice"
        };
        out.insert(
            name.into(),
            serde_json::to_value(d).map_err(|e| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            })?,
        );
    }
    if out.is_empty() {
        out.insert("unchanged".into(), Value::Bool(true));
    }
    let numbers: Vec<&str> = outcome
        .documents
        .iter()
        .filter_map(|d| d.number.as_deref())
        .collect();
    tracing::info!(
        invoice = number,
        issued = numbers.join(",").as_str(),
        replayed = outcome.replayed,
        "rerate"
    );
    json_response(StatusCode::OK, &Value::Object(out))
}

/// An account's documents, in the order they were issued, each with its kind (`invoice`,
/// `supplementary_invoice`, `credit_note`), what it corrects and what corrects it, its totals
/// and its links.
pub(crate) async fn account_documents(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(account): Path<String>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let list = blocking(&s, {
        let s = s.clone();
        move || Ok(s.ledger.documents_of(&account, MAX_DOCUMENTS)?)
    })
    .await?;
    let mut corrected_by: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for d in &list {
        if let (Some(of), Some(n)) = (&d.corrects, &d.document.number) {
            corrected_by
                .entry(of.as_str())
                .or_default()
                .push(n.as_str());
        }
    }
    let docs: Vec<serde_json::Value> = list
        .iter()
        .map(|d| {
            let n = d.document.number.as_deref().unwrap_or("");
            let kind = match (d.document.kind, &d.corrects) {
                (ratecard::document::DocumentKind::CreditNote, _) => "credit_note",
                (_, Some(_)) => "supplementary_invoice",
                _ => "invoice",
            };
            let by = corrected_by.get(n).cloned().unwrap_or_default();
            serde_json::json!({
                "number": n,
                "kind": kind,
                "status": if by.is_empty() { "final" } else { "final, corrected" },
                "period": d.period,
                "issue_date": d.document.issue_date,
                "currency": d.document.currency,
                "totals": d.document.totals,
                "corrects": d.corrects,
                "corrected_by": by,
                "links": {
                    "json": format!("/api/v1/invoices/{n}"),
                    "csv": format!("/api/v1/invoices/{n}?format=csv"),
                    "ubl": format!("/api/v1/invoices/{n}?format=ubl"),
                },
            })
        })
        .collect();
    json_response(StatusCode::OK, &serde_json::json!({ "documents": docs }))
}

/// Most documents the list gives (the latest).
const MAX_DOCUMENTS: i64 = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FocusQuery {
    period: String,
}

/// `GET /api/v1/focus?period=YYYY-MM`: the period's FOCUS 1.2 cost and usage rows, as CSV.
pub(crate) async fn focus(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<FocusQuery>,
) -> Result<axum::response::Response, ApiError> {
    authorize(&s, &headers)?;
    let period = billing::period_of(&q.period)?;
    let csv = blocking(&s, {
        let s = s.clone();
        move || billing::focus(s.ledger.as_ref(), &period)
    })
    .await?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"focus-{}.csv\"", q.period),
            ),
        ],
        csv,
    )
        .into_response())
}
