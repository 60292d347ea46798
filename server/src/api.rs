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
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing bearer token",
        )),
        Some(t) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "wrong bearer token",
        )),
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

/// Runs ledger and engine work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

async fn health(State(s): State<Shared>) -> ApiResult {
    let events = blocking({
        let s = s.clone();
        move || Ok(s.ledger.event_count()?)
    })
    .await?;
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
    let book = s.catalogs.get(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no catalog `{id}`"),
        )
    })?;
    let result = ratecard::estimate(book, &request).map_err(ApiError::engine)?;
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
    let parsed = event::parse(text);
    let mut rejects = parsed.rejects;
    let mut good = Vec::with_capacity(parsed.events.len());
    for e in parsed.events {
        match ratecard::meter::check(&s.book, &e) {
            Ok(()) => good.push(e),
            Err(r) => rejects.push(r),
        }
    }
    let report = blocking({
        let s = s.clone();
        move || Ok(s.ledger.ingest(&good)?)
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
    blocking({
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
    let doc = blocking({
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
    #[serde(default)]
    issue_date: Option<chrono::NaiveDate>,
}

/// Finalizes an account's period: refuses a period already finalized, rates it from the ledger,
/// and lets the ledger number and store the invoice in one transaction.
pub fn finalize_period(
    s: &AppState,
    account: &str,
    period: &Period,
    issue_date: chrono::NaiveDate,
) -> Result<ratecard::document::Document, ApiError> {
    if let Some(n) = s.ledger.final_invoice_for(account, period)? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "{} is already finalized as {n}; re-rate it to correct it",
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
    Ok(s.ledger.finalize("INV", year, account, &mut make)?)
}

async fn finalize(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(account): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let f: FinalizeBody = parse(&body(b)?, "finalize request")?;
    let period = period_of(&f.period)?;
    let issue_date = f.issue_date.unwrap_or_else(|| period.end.date_naive());
    let doc = blocking({
        let s = s.clone();
        move || finalize_period(&s, &account, &period, issue_date)
    })
    .await?;
    tracing::info!(
        number = doc.number.as_deref().unwrap_or(""),
        "invoice finalized"
    );
    json_response(StatusCode::CREATED, &doc)
}

fn stored_document(s: &AppState, number: &str) -> Result<ratecard::document::Document, ApiError> {
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
    let doc = blocking({
        let s = s.clone();
        let n = number.clone();
        move || stored_document(&s, &n)
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
    #[serde(default)]
    issue_date: Option<chrono::NaiveDate>,
}

async fn rerate(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(number): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let bytes = body(b)?;
    let r: RerateBody = if bytes.is_empty() {
        RerateBody::default()
    } else {
        parse(&bytes, "re-rate request")?
    };
    let result = blocking({
        let s = s.clone();
        move || {
            let original = stored_document(&s, &number)?;
            let account = original
                .lines
                .first()
                .map(|l| l.account.clone())
                .unwrap_or_default();
            let rerated = rating(&s, &account, &original.supply_period)?;
            let issue_date = r
                .issue_date
                .unwrap_or_else(|| chrono::Utc::now().date_naive());
            let year = chrono::Datelike::year(&issue_date);
            // A dry run says which documents are needed; each is then numbered and stored in
            // its own transaction, by the ledger, in one sequence per series.
            let probe = CorrectionRequest {
                issue_date,
                credit_note_number: Some(format!("CN-{year}-000000")),
                supplementary_number: Some(format!("INV-{year}-000000")),
            };
            let plan = correction::correct(&original, &rerated, &s.book, &s.vat, &probe)
                .map_err(ApiError::engine)?;
            let mut out = serde_json::Map::new();
            // The same correction, numbered: `pick` takes the document of one series from it.
            type Pick = fn(correction::Correction) -> Option<ratecard::document::Document>;
            let needed: [(&str, &str, bool, Pick); 2] = [
                ("CN", "credit_note", plan.credit_note.is_some(), |c| {
                    c.credit_note
                }),
                (
                    "INV",
                    "supplementary_invoice",
                    plan.supplementary_invoice.is_some(),
                    |c| c.supplementary_invoice,
                ),
            ];
            for (series, key, wanted, pick) in needed {
                if !wanted {
                    continue;
                }
                let mut make = |n: String| {
                    let mut req = probe.clone();
                    if series == "CN" {
                        req.credit_note_number = Some(n)
                    } else {
                        req.supplementary_number = Some(n)
                    }
                    let c = correction::correct(&original, &rerated, &s.book, &s.vat, &req)
                        .map_err(|e| e.to_string())?;
                    pick(c).ok_or_else(|| format!("the correction no longer needs a {key}"))
                };
                let doc = s.ledger.finalize(series, year, &account, &mut make)?;
                out.insert(key.into(), serde_json::to_value(doc).unwrap_or_default());
            }
            if out.is_empty() {
                out.insert("unchanged".into(), Value::Bool(true));
            }
            Ok(Value::Object(out))
        }
    })
    .await?;
    json_response(StatusCode::OK, &result)
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
    let result = blocking({
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
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    match dist {
        Some(d) => app.fallback_service(
            tower_http::services::ServeDir::new(&d)
                .fallback(tower_http::services::ServeFile::new(d.join("index.html"))),
        ),
        None => app,
    }
}
