//! The HTTP service: the calculator's files and a versioned JSON API under `/api/v1`.
//!
//! One table, [`ROUTES`], lists every endpoint with its method, path, summary and whether it
//! needs the bearer token; the router and `/api/openapi.json` are both built from it, so the
//! description cannot drift from the handlers.
//!
//! Errors are JSON `{"code": "...", "message": "..."}` with a stable code: `invalid_json`,
//! `invalid_request` (400), `unauthorized` (401, no token), `forbidden` (403, wrong token),
//! `not_found` (404), `conflict` (409), `too_large` (413), `unprocessable` (422, the engine
//! refused the request), `no_token_configured` (503), `internal` (500).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use axum::{Json, Router};
use ratecard::correction::{self, CorrectionRequest};
use ratecard::document::{self, DocumentKind, DocumentRequest, Fx};
use ratecard::fx::FxRates;
use ratecard::party::{Customer, Seller};
use ratecard::vat::VatTable;
use ratecard::{EstimateRequest, Period, PriceBook, canonical, event, export};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ledger::{LedgerError, Store};

/// Largest request body accepted (an events batch of some 40,000 events).
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Most rejected events one batch may have; past it the batch is refused whole (422).
pub const MAX_REJECTS: usize = 1000;

pub struct AppState {
    pub ledger: Arc<dyn Store>,
    /// The price list the ledger's events are metered and invoiced with.
    pub book: PriceBook,
    /// Price lists the public estimate endpoint offers, by id.
    pub catalogs: BTreeMap<String, PriceBook>,
    pub token: Option<String>,
    pub seller: Seller,
    pub vat: VatTable,
    pub fx: FxRates,
    /// The built calculator (`dist/`), served at `/`.
    pub dist: Option<PathBuf>,
    /// How much engine and ledger work runs at once, off the async workers.
    pub work: WorkLimit,
}

/// A bound on the engine and ledger work running at once: a request waits at most
/// [`WorkLimit::WAIT`] for a slot, then gets 503 `busy`. The async workers only move bytes, so
/// `/health` and the other cheap endpoints answer while heavy work runs.
#[derive(Clone)]
pub struct WorkLimit(Arc<tokio::sync::Semaphore>);

impl WorkLimit {
    /// How long a request waits for a slot before `busy`.
    pub const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

    pub fn new(slots: usize) -> Self {
        WorkLimit(Arc::new(tokio::sync::Semaphore::new(slots.max(1))))
    }
}

impl Default for WorkLimit {
    /// One slot per core, so engine work never takes every core from the runtime.
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

type Shared = Arc<AppState>;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }
    fn engine(e: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            e.to_string(),
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "code": self.code, "message": self.message })),
        )
            .into_response()
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            LedgerError::Unprocessable { code, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            LedgerError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "not_found", m),
            LedgerError::Db(m) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", m),
        }
    }
}

type ApiResult = Result<Response, ApiError>;

fn body(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    b.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {BODY_LIMIT} bytes"),
            )
        } else if std::error::Error::source(&r).is_some_and(|e| {
            e.to_string().contains("timeout") || e.to_string().contains("timed out")
        }) || r.body_text().contains("timeout")
        {
            // The body did not arrive within the server's body time limit (`serve::Limits`).
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "the body did not arrive in time; send it again",
            )
        } else {
            ApiError::bad(r.body_text())
        }
    })
}

fn parse<T: serde::de::DeserializeOwned>(b: &[u8], what: &str) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(b).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("{what}: {e}"),
        )
    })?;
    serde_json::from_value(value).map_err(|e| ApiError::bad(format!("{what}: {e}")))
}

/// Checks the bearer token of a write (or account) endpoint.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &state.token else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_token_configured",
            "this endpoint needs a bearer token, and the server has none configured (set RATECARD_TOKEN)",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        None => {
            tracing::warn!("auth failure: no bearer token");
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing bearer token",
            ))
        }
        Some(t) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => {
            tracing::warn!("auth failure: wrong bearer token");
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "wrong bearer token",
            ))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn json_response(status: StatusCode, v: &impl serde::Serialize) -> ApiResult {
    let text = canonical::to_string(v)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok((status, [(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// Runs ledger and engine work off the async threads, within the [`WorkLimit`]. A panic inside
/// is logged and answered 500 `internal`; the process goes on.
async fn blocking<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = tokio::time::timeout(WorkLimit::WAIT, s.work.0.clone().acquire_owned())
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the server is busy with other work; retry in a few seconds",
            )
        })?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "engine or ledger work panicked; answered 500");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error: the request failed and was logged; nothing was stored",
        )
    })?
}

async fn health(State(s): State<Shared>) -> ApiResult {
    let events = tokio::task::spawn_blocking({
        let s = s.clone();
        move || s.ledger.event_count()
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))??;
    json_response(
        StatusCode::OK,
        &json!({ "status": "ok", "events": events, "catalog": s.book.id() }),
    )
}

async fn catalogs(State(s): State<Shared>) -> ApiResult {
    let list: Vec<Value> = s
        .catalogs
        .iter()
        .map(|(id, b)| json!({ "id": id, "currency": b.currency(), "versions": b.versions().iter().map(|v| v.version.clone()).collect::<Vec<_>>() }))
        .collect();
    json_response(StatusCode::OK, &list)
}

async fn catalog(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let b = s.catalogs.get(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no catalog `{id}`"),
        )
    })?;
    json_response(StatusCode::OK, &b.versions())
}

#[derive(Deserialize)]
struct CatalogQuery {
    catalog: Option<String>,
}

async fn estimate(
    State(s): State<Shared>,
    Query(q): Query<CatalogQuery>,
    b: Result<Bytes, BytesRejection>,
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
            Some(book) => ratecard::estimate(book, &request).map_err(ApiError::engine),
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

async fn ingest(
    State(s): State<Shared>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let bytes = body(b)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the body is not UTF-8",
        )
    })?;
    if text.trim_start().starts_with('[')
        && serde_json::from_str::<Vec<&serde_json::value::RawValue>>(text).is_err()
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the body is not a JSON array of events",
        ));
    }
    let text = text.to_string();
    let (report, mut rejects) = blocking(&s, {
        let s = s.clone();
        move || {
            let mut parsed = event::parse(&text);
            parsed.reject_conflicting_ids();
            let mut rejects = parsed.rejects;
            let mut good = Vec::with_capacity(parsed.events.len());
            for e in parsed.events {
                match ratecard::meter::check(&s.book, &e) {
                    Ok(()) => good.push(e),
                    Err(r) => rejects.push(r),
                }
            }
            // A batch this wrong is refused whole, and the answer stays small.
            if rejects.len() > MAX_REJECTS {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "too_many_rejects",
                    format!(
                        "{} events of the batch are invalid, more than the {MAX_REJECTS} a batch may have; nothing was stored. The first: {}",
                        rejects.len(),
                        rejects.iter().take(3).map(|r| r.to_string()).collect::<Vec<_>>().join("; ")
                    ),
                ));
            }
            Ok((s.ledger.ingest(&good)?, rejects))
        }
    })
    .await?;
    for id in &report.conflicting {
        rejects.push(ratecard::Reject {
            line: None,
            id: Some(id.clone()),
            field: Some("id".into()),
            reason: "this id was stored before with other content".into(),
        });
    }
    tracing::info!(
        accepted = report.accepted,
        duplicate = report.duplicate,
        rejected = rejects.len(),
        "events ingested"
    );
    json_response(
        StatusCode::OK,
        &json!({ "accepted": report.accepted, "duplicate": report.duplicate, "rejected": rejects.len(), "rejects": rejects }),
    )
}

async fn put_customer(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(account): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let customer: Customer = parse(&body(b)?, "customer")?;
    let stored = customer.clone();
    blocking(&s, {
        let s = s.clone();
        move || Ok(s.ledger.put_customer(&account, &stored)?)
    })
    .await?;
    json_response(StatusCode::OK, &customer)
}

#[derive(Deserialize)]
struct PeriodQuery {
    period: String,
}

/// The account's rating for a period, from the ledger's events.
fn rating(s: &AppState, account: &str, period: &Period) -> Result<ratecard::Rating, ApiError> {
    let events = s.ledger.events(account, period)?;
    let metered = ratecard::meter(&s.book, *period, &events).map_err(ApiError::engine)?;
    ratecard::rate(&s.book, &metered).map_err(ApiError::engine)
}

fn customer_of(s: &AppState, account: &str) -> Result<Customer, ApiError> {
    s.ledger.customer(account)?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("account `{account}` has no customer details (PUT /api/v1/accounts/{account}/customer)"))
    })
}

fn request_for(
    s: &AppState,
    kind: DocumentKind,
    number: Option<String>,
    issue_date: chrono::NaiveDate,
    buyer: Customer,
) -> DocumentRequest {
    DocumentRequest {
        kind,
        number,
        issue_date,
        valid_until: None,
        seller: s.seller.clone(),
        buyer,
        currency: None,
        rounding: Default::default(),
        adjustments: Default::default(),
        notes: None,
        references: None,
    }
}

fn period_of(text: &str) -> Result<Period, ApiError> {
    let p = Period::parse(text).map_err(|e| ApiError::bad(e.to_string()))?;
    if !p.is_calendar_month() {
        return Err(ApiError::bad(format!(
            "`{text}`: invoices cover a calendar month, YYYY-MM"
        )));
    }
    Ok(p)
}

async fn draft(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(account): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let period = period_of(&q.period)?;
    let doc = blocking(&s, {
        let s = s.clone();
        move || {
            let rating = rating(&s, &account, &period)?;
            let req = request_for(
                &s,
                DocumentKind::DraftInvoice,
                None,
                period.end.date_naive(),
                customer_of(&s, &account)?,
            );
            document::build(&req, &rating, &s.book, &s.vat, Fx::Rates(&s.fx))
                .map_err(ApiError::engine)
        }
    })
    .await?;
    json_response(StatusCode::OK, &doc)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FinalizeBody {
    period: String,
    #[serde(default, with = "ratecard::time::date_option")]
    issue_date: Option<chrono::NaiveDate>,
}

/// The `Idempotency-Key` header, with a digest of what it came with (endpoint and body): a
/// retry with the same key and request gets the first answer; another request, 409.
fn idempotency(
    headers: &HeaderMap,
    endpoint: &str,
    body: &[u8],
) -> Result<Option<crate::ledger::Idempotency>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()))
        .ok_or_else(|| ApiError::bad("Idempotency-Key: 1 to 255 visible ASCII characters"))?;
    let request = canonical::sha256_hex(&format!("{endpoint}\n{}", String::from_utf8_lossy(body)));
    Ok(Some(crate::ledger::Idempotency {
        key: key.to_string(),
        request,
    }))
}

/// Finalizes an account's period: rates it from the ledger, and lets the ledger check, number
/// and store the invoice in one transaction. A period already finalized gives its invoice back.
pub fn finalize_period(
    s: &AppState,
    account: &str,
    period: &Period,
    issue_date: chrono::NaiveDate,
    key: Option<&crate::ledger::Idempotency>,
) -> Result<crate::ledger::Outcome, ApiError> {
    let last_day = document::supply_date(period);
    if issue_date <= last_day {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "issue_date_before_period_end",
            format!(
                "issue date {issue_date}: an invoice for {} is issued after its last day, {last_day}",
                period.label()
            ),
        ));
    }
    let rating = rating(s, account, period)?;
    let buyer = customer_of(s, account)?;
    let year = chrono::Datelike::year(&issue_date);
    let mut make = |number: String| {
        let req = request_for(
            s,
            DocumentKind::FinalInvoice,
            Some(number),
            issue_date,
            buyer.clone(),
        );
        document::build(&req, &rating, &s.book, &s.vat, Fx::Rates(&s.fx)).map_err(|e| e.to_string())
    };
    Ok(s.ledger
        .finalize_period(account, period, "INV", year, key, &mut make)?)
}

async fn finalize(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(account): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let bytes = body(b)?;
    let key = idempotency(&headers, &format!("finalize {account}"), &bytes)?;
    let f: FinalizeBody = parse(&bytes, "finalize request")?;
    let period = period_of(&f.period)?;
    let now = chrono::Utc::now();
    if period.end > now {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "period_not_ended",
            format!(
                "{} ends at {}: a period is finalized once it has ended",
                period.label(),
                ratecard::time::format_instant(&period.end)
            ),
        ));
    }
    let issue_date = f.issue_date.unwrap_or_else(|| period.end.date_naive());
    let outcome = blocking(&s, {
        let s = s.clone();
        let account = account.clone();
        move || finalize_period(&s, &account, &period, issue_date, key.as_ref())
    })
    .await?;
    let doc = outcome.documents.first().ok_or_else(|| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "no document")
    })?;
    let number = doc.number.as_deref().unwrap_or("");
    tracing::info!(
        account,
        number,
        created = outcome.created,
        replayed = outcome.replayed,
        "finalize"
    );
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    json_response(status, doc)
}

fn stored_document(s: &AppState, number: &str) -> Result<crate::ledger::Stored, ApiError> {
    s.ledger.document(number)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no document `{number}`"),
        )
    })
}

#[derive(Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

async fn get_invoice(
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
struct RerateBody {
    #[serde(default, with = "ratecard::time::date_option")]
    issue_date: Option<chrono::NaiveDate>,
}

/// Re-rates a finalized period against the invoice as already corrected, and issues at most one
/// credit note and one supplementary invoice, numbered and stored in one transaction: a second
/// re-rate with nothing new answers `{"unchanged": true}`.
async fn rerate(
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
        move || {
            let original = stored_document(&s, &number)?;
            if original.corrects.is_some() {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "not_an_original",
                    format!(
                        "{number} corrects {}: re-rate the original invoice",
                        original.corrects.as_deref().unwrap_or("")
                    ),
                ));
            }
            let rerated = rating(&s, &original.account, &original.document.supply_period)?;
            let year = chrono::Datelike::year(&issue_date);
            let mut make = |stored: &crate::ledger::Stored,
                            earlier: &[ratecard::document::Document],
                            cn: &str,
                            inv: &str| {
                let req = CorrectionRequest {
                    issue_date,
                    credit_note_number: Some(cn.to_string()),
                    supplementary_number: Some(inv.to_string()),
                };
                let c =
                    correction::correct(&stored.document, earlier, &rerated, &s.book, &s.vat, &req)
                        .map_err(|e| e.to_string())?;
                Ok(c.credit_note
                    .into_iter()
                    .chain(c.supplementary_invoice)
                    .collect())
            };
            Ok(s.ledger.correct(&number, year, key.as_ref(), &mut make)?)
        }
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

#[derive(Deserialize)]
struct ProjectionQuery {
    period: String,
    as_of: String,
    budget: Option<String>,
}

async fn projection(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(account): Path<String>,
    Query(q): Query<ProjectionQuery>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let mut req = json!({ "period": q.period, "as_of": q.as_of });
    if let Some(b) = q.budget {
        req["budget"] = Value::String(b);
    }
    let req: ratecard::projection::ProjectionRequest =
        serde_json::from_value(req).map_err(|e| ApiError::bad(e.to_string()))?;
    let result = blocking(&s, {
        let s = s.clone();
        move || {
            let events = s.ledger.events(&account, &req.period)?;
            ratecard::projection::project(&s.book, &events, &req).map_err(ApiError::engine)
        }
    })
    .await?;
    json_response(StatusCode::OK, &result)
}

async fn openapi() -> ApiResult {
    json_response(StatusCode::OK, &openapi_document())
}

/// One endpoint: what the router mounts and what the OpenAPI document describes.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub auth: bool,
    handler: fn() -> MethodRouter<Shared>,
}

pub static ROUTES: &[Route] = &[
    Route {
        method: "get",
        path: "/api/v1/health",
        summary: "Liveness, and the number of stored events",
        auth: false,
        handler: || get(health),
    },
    Route {
        method: "get",
        path: "/api/v1/catalogs",
        summary: "The price lists and their versions",
        auth: false,
        handler: || get(catalogs),
    },
    Route {
        method: "get",
        path: "/api/v1/catalogs/{id}",
        summary: "One price list's versions",
        auth: false,
        handler: || get(catalog),
    },
    Route {
        method: "post",
        path: "/api/v1/estimates",
        summary: "Price an estimate request (?catalog=id)",
        auth: false,
        handler: || post(estimate),
    },
    Route {
        method: "post",
        path: "/api/v1/events",
        summary: "Ingest usage events (JSON array or NDJSON), idempotent by id",
        auth: true,
        handler: || post(ingest),
    },
    Route {
        method: "put",
        path: "/api/v1/accounts/{account}/customer",
        summary: "Set an account's customer details",
        auth: true,
        handler: || put(put_customer),
    },
    Route {
        method: "get",
        path: "/api/v1/accounts/{account}/invoices/draft",
        summary: "Draft invoice of an account for ?period=YYYY-MM",
        auth: true,
        handler: || get(draft),
    },
    Route {
        method: "post",
        path: "/api/v1/accounts/{account}/invoices",
        summary: "Finalize a period: the next number, in one transaction",
        auth: true,
        handler: || post(finalize),
    },
    Route {
        method: "get",
        path: "/api/v1/accounts/{account}/projection",
        summary: "Projection and budget alerts (?period, as_of, budget)",
        auth: true,
        handler: || get(projection),
    },
    Route {
        method: "get",
        path: "/api/v1/invoices/{number}",
        summary: "A stored document (?format=json|csv|ubl)",
        auth: true,
        handler: || get(get_invoice),
    },
    Route {
        method: "post",
        path: "/api/v1/invoices/{number}/rerate",
        summary: "Re-rate a finalized period: a credit note or a supplementary invoice",
        auth: true,
        handler: || post(rerate),
    },
    Route {
        method: "get",
        path: "/api/openapi.json",
        summary: "This description",
        auth: false,
        handler: || get(openapi),
    },
];

/// The OpenAPI 3.1 description, generated from [`ROUTES`].
pub fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    for r in ROUTES {
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut op = json!({
            "summary": r.summary,
            "parameters": params,
            "responses": {
                "200": { "description": "OK", "content": { "application/json": {} } },
                "4XX": { "description": "An error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        if r.auth {
            op["security"] = json!([{ "bearer": [] }]);
        }
        if matches!(r.method, "post" | "put") {
            op["requestBody"] = json!({ "content": { "application/json": {} } });
        }
        paths.entry(r.path.to_string()).or_insert_with(|| json!({}))[r.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "ratecard", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": { "Error": { "type": "object", "required": ["code", "message"], "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } }
        }
    })
}

/// Numbers each request (`x-request-id`, unless the client sent one), so that a log line and
/// an error answer can be matched.
#[derive(Clone, Default)]
struct RequestIds(Arc<std::sync::atomic::AtomicU64>);

impl tower_http::request_id::MakeRequestId for RequestIds {
    fn make_request_id<B>(
        &mut self,
        _: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        axum::http::HeaderValue::from_str(&format!("req-{n}"))
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}

/// A panic in a handler becomes a JSON 500 `internal` for that request alone; the process keeps
/// serving (the release profile unwinds). The log line carries the request's span and id.
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    tracing::error!(panic = what, "a handler panicked; answered 500");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error: the request failed and was logged; nothing was stored",
    )
    .into_response()
}

/// Every error answer is JSON `{"code","message"}`, those of the framework too (a bad query
/// string, a wrong method, a body over the limit), which come as text or empty otherwise.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::BAD_REQUEST => "invalid_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "invalid_request",
    };
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
    } else {
        text
    };
    let mut out = ApiError::new(status, code, message).into_response();
    for name in [
        header::ALLOW,
        header::HeaderName::from_static("x-request-id"),
    ] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

pub fn router(state: AppState) -> Router {
    let dist = state.dist.clone();
    let mut app = Router::new();
    for r in ROUTES {
        app = app.route(r.path, (r.handler)());
    }
    let api_404 =
        || async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") };
    app = app.route("/api/{*rest}", axum::routing::any(api_404));
    let app = app
        .with_state(Arc::new(state))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let app = match dist {
        Some(d) => app.fallback(move |r: axum::http::Request<axum::body::Body>| {
            crate::files::serve(d.clone(), r)
        }),
        None => app,
    };
    harden(app)
}

/// The layers every answer goes through: JSON errors, a panic turned into one JSON 500, a
/// traced span per request, and a request id on every answer.
pub fn harden(app: Router) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    app.layer(axum::middleware::map_response(json_errors))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |r: &axum::http::Request<axum::body::Body>| {
                    let id = r
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id, method = %r.method(), uri = %r.uri().path())
                },
            ),
        )
        .layer(tower_http::request_id::PropagateRequestIdLayer::new(
            request_id.clone(),
        ))
        .layer(tower_http::request_id::SetRequestIdLayer::new(
            request_id,
            RequestIds::default(),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        panic!("boom")
    }

    /// A handler that panics answers one JSON 500 `internal` with a request id; the router
    /// keeps answering.
    #[tokio::test]
    async fn a_panic_is_one_json_500() {
        let app = harden(
            Router::new()
                .route("/boom", get(boom))
                .route("/ok", get(|| async { "fine" })),
        );
        let req = |p: &str| {
            axum::http::Request::builder()
                .uri(p)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let r = app.clone().oneshot(req("/boom")).await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(r.headers().contains_key("x-request-id"));
        let body = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "internal");
        let r = app.oneshot(req("/ok")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
