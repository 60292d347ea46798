//! Stored documents: reading them (JSON, CSV, UBL) and re-rating an invoice.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use ratecard::document::Document;
use ratecard::document::DocumentKind;
use ratecard::export;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::auth::{Caller, caller_in};
use crate::api::{Shared, blocking, body, idempotency, json_response, parse};
use crate::billing::{self, stored_document};
use crate::error::{ApiError, ApiResult};

#[derive(Deserialize, JsonSchema)]
pub(crate) struct FormatQuery {
    /// `json` (the default), `csv`, `ubl` (UBL 2.1 XML), `cii` (UN/CEFACT CII D16B), both
    /// EN 16931, `pdf`, or `facturx` (PDF/A-3 with the CII embedded; final invoices and credit
    /// notes).
    format: Option<String>,
    /// The language of a PDF: `fr` (the default) or `en`.
    lang: Option<String>,
}

/// A final document's archived files, made now if they are not yet.
async fn archived(s: &Shared, doc: Document) -> Result<crate::ledger::Archive, ApiError> {
    blocking(s, {
        let s = s.clone();
        move || billing::archived(s.ledger.as_ref(), &doc)
    })
    .await
}

/// Whether `?format=` asks for a PDF: `json` (the default) or `pdf`, anything else refused.
pub(crate) fn wants_pdf(format: Option<&str>) -> Result<bool, ApiError> {
    match format.unwrap_or("json") {
        "json" => Ok(false),
        "pdf" => Ok(true),
        other => Err(ApiError::bad(format!("format `{other}`: json or pdf"))),
    }
}

/// A document as a PDF (or Factur-X) in `lang` (`fr` by default), made off the async threads.
pub(crate) async fn pdf_of(
    s: &Shared,
    doc: Document,
    facturx: bool,
    lang: Option<&str>,
) -> ApiResult {
    let lang = crate::pdf::Lang::parse(lang.unwrap_or("fr")).map_err(ApiError::bad)?;
    let name = crate::pdf::file_name(&doc, "pdf");
    let bytes = blocking(s, move || {
        if facturx {
            crate::pdf::facturx(&doc, lang)
        } else {
            crate::pdf::pdf(&doc, lang)
        }
        .map_err(ApiError::bad)
    })
    .await?;
    pdf_response(bytes, &name)
}

/// A PDF answer, named for download.
fn pdf_response(bytes: Vec<u8>, name: &str) -> ApiResult {
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub(crate) async fn get_invoice(
    State(s): State<Shared>,
    caller: Option<Extension<Caller>>,
    Path(number): Path<String>,
    Query(q): Query<FormatQuery>,
) -> ApiResult {
    let stored = blocking(&s, {
        let s = s.clone();
        let n = number.clone();
        move || stored_document(&s, &n)
    })
    .await?;
    caller_in(caller).may_read(&stored.account)?;
    let doc = stored.document;
    let lang = q
        .lang
        .as_deref()
        .map(crate::pdf::Lang::parse)
        .transpose()
        .map_err(ApiError::bad)?;
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
        // The XML archived with the PDF, or the export when the files are not made yet (it is
        // the same text: the archive keeps what `export::cii` wrote), so a PDF that cannot be
        // made never stops the XML.
        "cii" => {
            let kept = blocking(&s, {
                let s = s.clone();
                let number = number.clone();
                move || Ok(s.ledger.archive(&number)?)
            })
            .await?;
            let xml = match kept {
                Some(a) => a.xml,
                None => export::cii(&doc).map_err(ApiError::engine)?,
            };
            Ok(([(header::CONTENT_TYPE, "application/xml")], xml).into_response())
        }
        // The file made when the document was issued, in the seller's language; another
        // language is a copy made now from the same document.
        "pdf" | "facturx" if lang.is_none_or(|l| l == billing::archive_lang(&doc)) => {
            let name = crate::pdf::file_name(&doc, "pdf");
            pdf_response(archived(&s, doc).await?.pdf, &name)
        }
        "pdf" => pdf_of(&s, doc, false, q.lang.as_deref()).await,
        "facturx" => pdf_of(&s, doc, true, q.lang.as_deref()).await,
        other => Err(ApiError::bad(format!(
            "format `{other}`: json, csv, ubl, cii, pdf or facturx"
        ))),
    }
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RerateBody {
    /// `YYYY-MM-DD`; today by default.
    #[serde(default, with = "ratecard::time::date_option")]
    #[schemars(with = "Option<String>")]
    issue_date: Option<chrono::NaiveDate>,
}

/// What a re-rate issued: a credit note, a supplementary invoice, both, or `unchanged`.
#[derive(Serialize, Default, JsonSchema)]
pub(crate) struct Rerated {
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_note: Option<Document>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplementary_invoice: Option<Document>,
    /// Present, and true, when the period's rating has not changed: nothing was issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    unchanged: Option<bool>,
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
    billing::check_issue_date(issue_date, chrono::Utc::now())?;
    let outcome = blocking(&s, {
        let s = s.clone();
        let number = number.clone();
        move || billing::rerate(&s, &number, issue_date, key.as_ref())
    })
    .await?;
    let mut out = Rerated::default();
    for d in &outcome.documents {
        if d.kind == DocumentKind::CreditNote {
            out.credit_note = Some(d.clone());
        } else {
            out.supplementary_invoice = Some(d.clone());
        }
    }
    if out.credit_note.is_none() && out.supplementary_invoice.is_none() {
        out.unchanged = Some(true);
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
    json_response(StatusCode::OK, &out)
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct DocumentList {
    documents: Vec<DocumentEntry>,
}

/// A final document, as the account's list gives it.
#[derive(Serialize, JsonSchema)]
pub(crate) struct DocumentEntry {
    number: String,
    /// `invoice`, `supplementary_invoice` or `credit_note`.
    kind: String,
    /// `final`, or `final, corrected` once a later document corrects it.
    status: String,
    /// `YYYY-MM`.
    period: String,
    #[serde(with = "ratecard::time::date")]
    #[schemars(with = "String")]
    issue_date: chrono::NaiveDate,
    currency: String,
    totals: ratecard::document::Totals,
    /// The invoice this document corrects.
    corrects: Option<String>,
    /// The documents that correct this one, in order.
    corrected_by: Vec<String>,
    links: Links,
}

/// Where the document is read, in each format.
#[derive(Serialize, JsonSchema)]
pub(crate) struct Links {
    json: String,
    csv: String,
    ubl: String,
    cii: String,
    /// The Factur-X PDF made when the document was issued.
    pdf: String,
}

/// An account's documents, in the order they were issued, each with its kind (`invoice`,
/// `supplementary_invoice`, `credit_note`), what it corrects and what corrects it, its totals
/// and its links.
pub(crate) async fn account_documents(
    State(s): State<Shared>,
    Path(account): Path<String>,
) -> ApiResult {
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
    let docs: Vec<DocumentEntry> = list
        .iter()
        .map(|d| {
            let n = d.document.number.as_deref().unwrap_or("");
            let kind = match (d.document.kind, &d.corrects) {
                (ratecard::document::DocumentKind::CreditNote, _) => "credit_note",
                (_, Some(_)) => "supplementary_invoice",
                _ => "invoice",
            };
            let by = corrected_by.get(n).cloned().unwrap_or_default();
            DocumentEntry {
                number: n.to_string(),
                kind: kind.into(),
                status: if by.is_empty() {
                    "final"
                } else {
                    "final, corrected"
                }
                .into(),
                period: d.period.clone(),
                issue_date: d.document.issue_date,
                currency: d.document.currency.clone(),
                totals: d.document.totals.clone(),
                corrects: d.corrects.clone(),
                corrected_by: by.iter().map(|s| s.to_string()).collect(),
                links: Links {
                    json: format!("/api/v1/invoices/{n}"),
                    csv: format!("/api/v1/invoices/{n}?format=csv"),
                    ubl: format!("/api/v1/invoices/{n}?format=ubl"),
                    cii: format!("/api/v1/invoices/{n}?format=cii"),
                    pdf: format!("/api/v1/invoices/{n}?format=pdf"),
                },
            }
        })
        .collect();
    json_response(StatusCode::OK, &DocumentList { documents: docs })
}

/// Most documents the list gives (the latest).
const MAX_DOCUMENTS: i64 = 10_000;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FocusQuery {
    /// `YYYY-MM`.
    period: String,
    /// With FOCUS 1.3's `Allocated*` columns: the usage of shared resources split over the
    /// targets by the allocation rules in force (`GET /api/v1/costs/allocation/rules`).
    #[serde(default)]
    allocate: bool,
    /// `csv` (the default) or `parquet` (typed columns: decimals, UTC times, JSON, text).
    format: Option<String>,
}

/// `GET /api/v1/focus?period=YYYY-MM[&allocate=true][&format=csv|parquet]`: the period's FOCUS
/// cost and usage rows, as CSV or Parquet.
pub(crate) async fn focus(
    State(s): State<Shared>,
    Query(q): Query<FocusQuery>,
) -> Result<axum::response::Response, ApiError> {
    let period = billing::period_of(&q.period)?;
    let allocate = q.allocate;
    let parquet = match q.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "parquet" => true,
        other => return Err(ApiError::bad(format!("format `{other}`: csv or parquet"))),
    };
    let table = blocking(&s, {
        let s = s.clone();
        move || {
            let rules = match allocate {
                true => Some(billing::allocation_rules(s.ledger.as_ref())?),
                false => None,
            };
            billing::focus(s.ledger.as_ref(), &period, rules.as_ref())
        }
    })
    .await?;
    let (body, media, extension) = if parquet {
        let bytes = crate::focus_file::parquet(&table)
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", e))?;
        (bytes, "application/vnd.apache.parquet", "parquet")
    } else {
        (
            table.to_csv().into_bytes(),
            "text/csv; charset=utf-8",
            "csv",
        )
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, media.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"focus-{}.{extension}\"", q.period),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountingQuery {
    /// The fiscal year: the documents numbered (issued) in it.
    year: i32,
    /// `fec` (the French FEC, the default), `csv`, or `json` (the entries).
    format: Option<String>,
}

/// `GET /api/v1/accounting?year=2026&format=fec|csv|json`: the sales journal of a year's final
/// documents, in double entry, with the default account map.
pub(crate) async fn accounting(
    State(s): State<Shared>,
    Query(q): Query<AccountingQuery>,
) -> Result<axum::response::Response, ApiError> {
    if !(1970..=9999).contains(&q.year) {
        return Err(ApiError::bad("year: 1970 to 9999"));
    }
    let format = q.format.unwrap_or_else(|| "fec".into());
    if !matches!(format.as_str(), "fec" | "csv" | "json") {
        return Err(ApiError::bad(format!(
            "format `{format}`: fec, csv or json"
        )));
    }
    let map = ratecard::accounting::AccountMap::from_json(ratecard::samples::ACCOUNT_MAP)
        .map_err(ApiError::engine)?;
    let year = q.year;
    let entries = blocking(&s, {
        let s = s.clone();
        let map = map.clone();
        move || billing::journal(s.ledger.as_ref(), &s.book, year, &map)
    })
    .await?;
    let (body, mime, name) = match format.as_str() {
        "json" => return json_response(StatusCode::OK, &entries),
        "csv" => (
            ratecard::accounting::csv(&entries),
            "text/csv; charset=utf-8",
            format!("journal-{year}.csv"),
        ),
        _ => {
            let siren = s.seller.siren.clone().unwrap_or_else(|| "000000000".into());
            let closing = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
            (
                ratecard::accounting::fec(&entries, &map).map_err(ApiError::engine)?,
                "text/tab-separated-values; charset=utf-8",
                ratecard::accounting::fec_file_name(&siren, closing),
            )
        }
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}
