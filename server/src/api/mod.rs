//! The HTTP service: the calculator's files and a versioned JSON API under `/api/v1`.
//!
//! One table, [`ROUTES`], lists every endpoint with its method, path, summary and scope (public, admin, or an
//! account's read; `auth.rs`); the router and `/api/openapi.json` are both built from it, so the
//! description cannot drift from the handlers.
//!
//! Errors are JSON `{"code": "...", "message": "..."}` with a stable code: `invalid_json`,
//! `invalid_request` (400), `unauthorized` (401, no token), `forbidden` (403, wrong token),
//! `not_found` (404), `conflict` (409), `too_large` (413), `unprocessable` (422, the engine
//! refused the request), `no_token_configured` (503), `internal` (500).

mod accounts;
pub mod auth;
mod budgets;
mod catalogs;
pub mod costs;
mod events;
mod invoices;
pub mod openapi;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use ratecard::fx::FxRates;
use ratecard::party::Seller;
use ratecard::vat::VatTable;
use ratecard::{PriceBook, canonical};
use serde_json::Value;

pub use crate::api::auth::{Caller, Owner, Scope};
use crate::ledger::Store;

pub use crate::error::{ApiError, ApiResult};

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
    /// Where budget alerts are posted, if anywhere.
    pub webhook: Option<crate::alerting::Webhook>,
    /// What kept ratings are keyed by: the price list's versions and a digest of their content,
    /// computed on first use.
    pub rating_key: std::sync::OnceLock<String>,
}

impl AppState {
    /// The key of ratings made with this state's price list: `id@version,...`, the SHA-256
    /// of the versions' canonical JSON and the engine's [`ratecard::RATING_RULES`], so that a
    /// rating kept under an older price list or older rules is never read as current.
    pub fn rating_key(&self) -> &str {
        self.rating_key.get_or_init(|| {
            let refs: Vec<String> = self.book.versions().iter().map(|c| c.reference()).collect();
            let body = serde_json::to_string(self.book.versions()).unwrap_or_default();
            format!(
                "{} {} rules {}",
                refs.join(","),
                ratecard::canonical::sha256_hex(&body),
                ratecard::RATING_RULES
            )
        })
    }
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

pub type Shared = Arc<AppState>;

pub(crate) fn body(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
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

/// Reads a JSON body straight into `T`: never through a `serde_json::Value` tree, which costs
/// 30 bytes and more per byte of input (8 MB of `[0,0,...]` would hold 200 MB before the first
/// unknown field is refused). Broken JSON is `invalid_json`; JSON of the wrong shape,
/// `invalid_request`.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(b: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(b).map_err(|e| match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("{what}: {e}"),
        ),
        _ => ApiError::bad(format!("{what}: {e}")),
    })
}

pub(crate) fn json_response(status: StatusCode, v: &impl serde::Serialize) -> ApiResult {
    let text = canonical::to_string(v)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok((status, [(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// Runs ledger and engine work off the async threads, within the [`WorkLimit`]. A panic inside
/// is logged and answered 500 `internal`; the process goes on.
pub(crate) async fn blocking<T: Send + 'static>(
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
        &Health {
            status: "ok".into(),
            events,
            catalog: s.book.id().to_string(),
        },
    )
}

/// The `Idempotency-Key` header, with a digest of what it came with (endpoint and body): a
/// retry with the same key and request gets the first answer; another request, 409.
pub(crate) fn idempotency(
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

async fn openapi() -> ApiResult {
    json_response(StatusCode::OK, &openapi_document())
}

/// One endpoint: what the router mounts and what the OpenAPI document describes.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// Who may call it; checked before anything of the request is read.
    pub scope: Scope,
    /// The query string's type, for its parameters.
    pub query: Option<openapi::SchemaFn>,
    /// The bodies accepted: media type and schema.
    pub body: &'static [(&'static str, openapi::SchemaFn)],
    /// The answers on success: status, media type and schema.
    pub responses: &'static [openapi::Answer],
    handler: fn() -> MethodRouter<Shared>,
}

pub static ROUTES: &[Route] = &[
    Route {
        method: "get",
        path: "/api/v1/me",
        summary: "Who the bearer token is: admin, or the account it reads",
        scope: Scope::Account(Owner::Any),
        query: None,
        body: &[],
        responses: &[(200, "application/json", openapi::schema::<auth::Me>)],
        handler: || get(auth::me),
    },
    Route {
        method: "get",
        path: "/api/v1/health",
        summary: "Liveness, and the number of stored events",
        scope: Scope::Public,
        query: None,
        body: &[],
        responses: &[(200, "application/json", openapi::schema::<Health>)],
        handler: || get(health),
    },
    Route {
        method: "get",
        path: "/api/v1/catalogs",
        summary: "The price lists and their versions",
        scope: Scope::Public,
        query: None,
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<Vec<catalogs::CatalogSummary>>,
        )],
        handler: || get(catalogs::catalogs),
    },
    Route {
        method: "get",
        path: "/api/v1/catalogs/{id}",
        summary: "One price list's versions",
        scope: Scope::Public,
        query: None,
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<Vec<ratecard::Catalog>>,
        )],
        handler: || get(catalogs::catalog),
    },
    Route {
        method: "post",
        path: "/api/v1/estimates",
        summary: "Price an estimate request (?catalog=id)",
        scope: Scope::Public,
        query: Some(openapi::schema::<catalogs::CatalogQuery>),
        body: &[(
            "application/json",
            openapi::schema::<ratecard::EstimateRequest>,
        )],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::estimate::Estimate>,
        )],
        handler: || post(catalogs::estimate),
    },
    Route {
        method: "post",
        path: "/api/v1/quotes",
        summary: "Price a quote as the calculator does, as JSON or PDF (?format=pdf&lang=fr|en)",
        scope: Scope::Public,
        query: Some(openapi::schema::<catalogs::QuoteQuery>),
        body: &[
            ("application/json", openapi::schema::<catalogs::QuoteBody>),
            (
                "application/x-www-form-urlencoded",
                openapi::schema::<catalogs::QuoteForm>,
            ),
        ],
        responses: &[
            (
                200,
                "application/json",
                openapi::schema::<ratecard::document::Document>,
            ),
            (200, "application/pdf", openapi::binary),
        ],
        handler: || post(catalogs::quote),
    },
    Route {
        method: "post",
        path: "/api/v1/estimates/options",
        summary: "Every way to pay for an estimate's usage: on demand, monthly plans, savings plans",
        scope: Scope::Public,
        query: Some(openapi::schema::<catalogs::CatalogQuery>),
        body: &[(
            "application/json",
            openapi::schema::<ratecard::EstimateRequest>,
        )],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<catalogs::PaymentOptions>,
        )],
        handler: || post(catalogs::payment_options),
    },
    Route {
        method: "post",
        path: "/api/v1/events",
        summary: "Ingest usage events (JSON array or NDJSON), idempotent by id",
        scope: Scope::Admin,
        query: None,
        body: &[
            (
                "application/json",
                openapi::schema::<Vec<ratecard::event::UsageEvent>>,
            ),
            ("application/x-ndjson", openapi::schema::<String>),
        ],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<events::IngestReport>,
        )],
        handler: || post(events::ingest),
    },
    Route {
        method: "put",
        path: "/api/v1/accounts/{account}/customer",
        summary: "Set an account's customer details",
        scope: Scope::Admin,
        query: None,
        body: &[(
            "application/json",
            openapi::schema::<ratecard::party::Customer>,
        )],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::party::Customer>,
        )],
        handler: || put(accounts::put_customer),
    },
    Route {
        method: "get",
        path: "/api/v1/accounts/{account}/customer",
        summary: "An account's customer details",
        scope: Scope::Account(Owner::Path),
        query: None,
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::party::Customer>,
        )],
        handler: || get(accounts::get_customer),
    },
    Route {
        method: "get",
        path: "/api/v1/accounts",
        summary: "Every account the ledger knows, with its customer's name",
        scope: Scope::Admin,
        query: None,
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<costs::AccountList>,
        )],
        handler: || get(costs::accounts),
    },
    Route {
        method: "get",
        path: "/api/v1/accounts/{account}/events",
        summary: "The events a period's rating read (?period=YYYY-MM, resource): the drill-down's last step",
        scope: Scope::Account(Owner::Path),
        query: Some(openapi::schema::<costs::EventsQuery>),
        body: &[],
        responses: &[(200, "application/json", openapi::schema::<costs::EventList>)],
        handler: || get(costs::events),
    },
    Route {
        method: "get",
        path: "/api/v1/budgets",
        summary: "The budgets (?account)",
        scope: Scope::Account(Owner::Query),
        query: Some(openapi::schema::<budgets::AccountQuery>),
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<budgets::BudgetList>,
        )],
        handler: || get(budgets::budgets),
    },
    Route {
        method: "put",
        path: "/api/v1/budgets/{id}",
        summary: "Create or replace a budget: account, amount a month, scope, basis, thresholds",
        scope: Scope::Admin,
        query: None,
        body: &[(
            "application/json",
            openapi::schema::<ratecard::budget::Budget>,
        )],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::budget::Budget>,
        )],
        handler: || put(budgets::put_budget),
    },
    Route {
        method: "delete",
        path: "/api/v1/budgets/{id}",
        summary: "Remove a budget (its alerts stay)",
        scope: Scope::Admin,
        query: None,
        body: &[],
        responses: &[(200, "application/json", openapi::schema::<budgets::Deleted>)],
        handler: || axum::routing::delete(budgets::delete_budget),
    },
    Route {
        method: "get",
        path: "/api/v1/budgets/{id}/status",
        summary: "Where a budget stands in a month (?period, the current one by default)",
        scope: Scope::Account(Owner::Lookup),
        query: Some(openapi::schema::<budgets::StatusQuery>),
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::budget::BudgetStatus>,
        )],
        handler: || get(budgets::budget_status),
    },
    Route {
        method: "get",
        path: "/api/v1/alerts",
        summary: "Budget alerts recorded, newest first (?account)",
        scope: Scope::Account(Owner::Query),
        query: Some(openapi::schema::<budgets::AccountQuery>),
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<budgets::AlertList>,
        )],
        handler: || get(budgets::alerts),
    },
    Route {
        method: "get",
        path: "/api/v1/webhooks/deliveries",
        summary: "The webhook's deliveries, with every attempt",
        scope: Scope::Admin,
        query: None,
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<budgets::DeliveryList>,
        )],
        handler: || get(budgets::deliveries),
    },
    Route {
        method: "post",
        path: "/api/v1/webhooks/deliveries/{id}/redeliver",
        summary: "Deliver an alert again, now",
        scope: Scope::Admin,
        query: None,
        body: &[],
        responses: &[(
            202,
            "application/json",
            openapi::schema::<budgets::Redelivery>,
        )],
        handler: || post(budgets::redeliver),
    },
    Route {
        method: "get",
        path: "/api/v1/costs/allocation",
        summary: "A month's cost allocated: direct per target, shared resources and fixed costs spread by the server's rules (?period, filter=account:...)",
        scope: Scope::Account(Owner::Filter),
        query: Some(openapi::schema::<costs::AllocationQuery>),
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::allocation::Allocation>,
        )],
        handler: || get(costs::allocation),
    },
    Route {
        method: "get",
        path: "/api/v1/costs/allocation/rules",
        summary: "The allocation rules the server applies (the last saved, else the shipped ones)",
        scope: Scope::Account(Owner::Any),
        query: None,
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::allocation::AllocationRules>,
        )],
        handler: || get(costs::allocation_rules),
    },
    Route {
        method: "put",
        path: "/api/v1/costs/allocation/rules",
        summary: "Save new allocation rules (each version checked by the engine; earlier ones kept)",
        scope: Scope::Admin,
        query: None,
        body: &[(
            "application/json",
            openapi::schema::<ratecard::allocation::AllocationRules>,
        )],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::allocation::AllocationRules>,
        )],
        handler: || put(costs::put_allocation_rules),
    },
    Route {
        method: "post",
        path: "/api/v1/costs/allocation",
        summary: "The same under allocation rules given as the body: a preview",
        scope: Scope::Account(Owner::Filter),
        query: Some(openapi::schema::<costs::AllocationQuery>),
        body: &[(
            "application/json",
            openapi::schema::<ratecard::allocation::AllocationRules>,
        )],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::allocation::Allocation>,
        )],
        handler: || post(costs::allocation),
    },
    Route {
        method: "get",
        path: "/api/v1/costs/pricing-view",
        summary: "Pricing view: the recorded quantities valued as billed and under ?price_list=id or id@version, per group, with the difference",
        scope: Scope::Account(Owner::Filter),
        query: Some(openapi::schema::<costs::PricingViewQuery>),
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<costs::PricingView>,
        )],
        handler: || get(costs::pricing_view),
    },
    Route {
        method: "post",
        path: "/api/v1/costs/pricing-view",
        summary: "Pricing view under an uploaded price list (the body)",
        scope: Scope::Account(Owner::Filter),
        query: Some(openapi::schema::<costs::PricingViewQuery>),
        body: &[("application/json", openapi::schema::<ratecard::Catalog>)],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<costs::PricingView>,
        )],
        handler: || post(costs::pricing_view),
    },
    Route {
        method: "get",
        path: "/api/v1/costs",
        summary: "Cost explorer: rated cost grouped and filtered (?period=YYYY-MM[..YYYY-MM], compare, group_by, filter, lines)",
        scope: Scope::Account(Owner::Filter),
        query: Some(openapi::schema::<costs::CostsQuery>),
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::explore::Exploration>,
        )],
        handler: || get(costs::costs),
    },
    Route {
        method: "get",
        path: "/api/v1/accounts/{account}/invoices/draft",
        summary: "Draft invoice of an account for ?period=YYYY-MM",
        scope: Scope::Account(Owner::Path),
        query: Some(openapi::schema::<accounts::DraftQuery>),
        body: &[],
        responses: &[
            (
                200,
                "application/json",
                openapi::schema::<ratecard::document::Document>,
            ),
            (200, "application/pdf", openapi::binary),
        ],
        handler: || get(accounts::draft),
    },
    Route {
        method: "post",
        path: "/api/v1/accounts/{account}/invoices",
        summary: "Finalize a period: the next number, in one transaction",
        scope: Scope::Admin,
        query: None,
        body: &[(
            "application/json",
            openapi::schema::<accounts::FinalizeBody>,
        )],
        responses: &[
            (
                201,
                "application/json",
                openapi::schema::<ratecard::document::Document>,
            ),
            (
                200,
                "application/json",
                openapi::schema::<ratecard::document::Document>,
            ),
        ],
        handler: || post(accounts::finalize),
    },
    Route {
        method: "get",
        path: "/api/v1/focus",
        summary: "The FinOps Foundation's FOCUS 1.2 cost and usage rows of a period's final documents, as CSV or Parquet, with FOCUS 1.3's allocation columns when asked (?period=YYYY-MM, allocate=true, format=csv|parquet)",
        scope: Scope::Admin,
        query: Some(openapi::schema::<invoices::FocusQuery>),
        body: &[],
        responses: &[
            (200, "text/csv", openapi::schema::<String>),
            (200, "application/vnd.apache.parquet", openapi::binary),
        ],
        handler: || get(invoices::focus),
    },
    Route {
        method: "get",
        path: "/api/v1/accounting",
        summary: "A year's sales journal in double entry: the French FEC (tab-separated), CSV, or the entries as JSON (?year=YYYY, format=fec|csv|json)",
        scope: Scope::Admin,
        query: Some(openapi::schema::<invoices::AccountingQuery>),
        body: &[],
        responses: &[
            (200, "text/tab-separated-values", openapi::schema::<String>),
            (200, "text/csv", openapi::schema::<String>),
            (
                200,
                "application/json",
                openapi::schema::<Vec<ratecard::accounting::Entry>>,
            ),
        ],
        handler: || get(invoices::accounting),
    },
    Route {
        method: "get",
        path: "/api/v1/accounts/{account}/documents",
        summary: "The account's final documents: kind, status, what each corrects and is corrected by, totals, links",
        scope: Scope::Account(Owner::Path),
        query: None,
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<invoices::DocumentList>,
        )],
        handler: || get(invoices::account_documents),
    },
    Route {
        method: "get",
        path: "/api/v1/accounts/{account}/consumption",
        summary: "The current month: already billed, so far, projected to its end with the rule, and the next invoice with VAT (?as_of, now by default)",
        scope: Scope::Account(Owner::Path),
        query: Some(openapi::schema::<accounts::ConsumptionQuery>),
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<accounts::CurrentMonth>,
        )],
        handler: || get(accounts::consumption),
    },
    Route {
        method: "get",
        path: "/api/v1/accounts/{account}/projection",
        summary: "Projection and budget alerts (?period, as_of, budget)",
        scope: Scope::Account(Owner::Path),
        query: Some(openapi::schema::<accounts::ProjectionQuery>),
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<ratecard::projection::Projection>,
        )],
        handler: || get(accounts::projection),
    },
    Route {
        method: "get",
        path: "/api/v1/invoices/{number}",
        summary: "A stored document (?format=json|csv|ubl|cii|pdf|facturx)",
        scope: Scope::Account(Owner::Lookup),
        query: Some(openapi::schema::<invoices::FormatQuery>),
        body: &[],
        responses: &[
            (
                200,
                "application/json",
                openapi::schema::<ratecard::document::Document>,
            ),
            (200, "text/csv", openapi::schema::<String>),
            (200, "application/xml", openapi::schema::<String>),
            (200, "application/pdf", openapi::binary),
        ],
        handler: || get(invoices::get_invoice),
    },
    Route {
        method: "post",
        path: "/api/v1/invoices/{number}/rerate",
        summary: "Re-rate a finalized period: a credit note or a supplementary invoice",
        scope: Scope::Admin,
        query: None,
        body: &[("application/json", openapi::schema::<invoices::RerateBody>)],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<invoices::Rerated>,
        )],
        handler: || post(invoices::rerate),
    },
    Route {
        method: "get",
        path: "/api/openapi.json",
        summary: "This description",
        scope: Scope::Public,
        query: None,
        body: &[],
        responses: &[(
            200,
            "application/json",
            openapi::schema::<serde_json::Value>,
        )],
        handler: || get(openapi),
    },
];

/// The OpenAPI 3.1 description, generated from [`ROUTES`] and the handlers' types.
pub fn openapi_document() -> Value {
    openapi::document()
}

/// `/health`'s answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Health {
    /// `ok`.
    status: String,
    /// Events stored.
    events: u64,
    /// The price list the ledger is billed with.
    catalog: String,
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
    router_with(Arc::new(state))
}

/// [`router`] on a state shared with other work (the alerts' background loop).
pub fn router_with(state: Shared) -> Router {
    let dist = state.dist.clone();
    let mut app = Router::new();
    for r in ROUTES {
        let mut handler = (r.handler)();
        if r.scope != Scope::Public {
            // The token is checked before anything of the request is read: a caller without
            // one learns nothing of the endpoint's parameters.
            handler = handler.route_layer(axum::middleware::from_fn_with_state(
                (state.clone(), r.scope),
                auth::require,
            ));
        }
        app = app.route(r.path, handler);
    }
    let api_404 =
        || async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") };
    app = app.route("/api/{*rest}", axum::routing::any(api_404));
    let app = app
        .with_state(state)
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
        .layer(axum::middleware::from_fn(plain_addresses))
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

/// The longest address (path and query) the service reads.
const MAX_ADDRESS_BYTES: usize = 4096;

/// Refuses an address whose path or query, once decoded, holds a control character (an account
/// `a%00` cannot be stored in PostgreSQL, and would be a 500 there), or that is over
/// [`MAX_ADDRESS_BYTES`]: a clear 400 before any handler reads it.
async fn plain_addresses(
    r: axum::http::Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> Response {
    let raw = r.uri().path_and_query().map_or("", |p| p.as_str());
    if raw.len() > MAX_ADDRESS_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "invalid_request",
            format!(
                "the address is {} bytes long, more than {MAX_ADDRESS_BYTES}",
                raw.len()
            ),
        )
        .into_response();
    }
    if crate::files::percent_decode(raw)
        .chars()
        .any(char::is_control)
    {
        return ApiError::bad("the address holds a control character (such as %00 or %0A)")
            .into_response();
    }
    next.run(r).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// An account or parameter with a control character, or an address too long, is a 400 (a
    /// 414) before any handler, whatever the ledger.
    #[tokio::test]
    async fn addresses_with_control_characters_are_refused() {
        let app = harden(Router::new().route("/a/{x}", get(|| async { "fine" })));
        let status = |p: String| {
            let app = app.clone();
            async move {
                let req = axum::http::Request::builder()
                    .uri(p)
                    .body(axum::body::Body::empty())
                    .unwrap();
                let r = app.oneshot(req).await.unwrap();
                let status = r.status();
                let body = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
                (status, String::from_utf8_lossy(&body).to_string())
            }
        };
        assert_eq!(status("/a/acme".into()).await.0, StatusCode::OK);
        assert_eq!(status("/a/caf%C3%A9?x=1".into()).await.0, StatusCode::OK);
        for bad in ["/a/a%00", "/a/a?account=b%0Ac", "/a/a%1b"] {
            let (s, body) = status(bad.into()).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
            assert!(body.contains("control character"), "{body}");
        }
        let (s, body) = status(format!("/a/{}", "x".repeat(MAX_ADDRESS_BYTES))).await;
        assert_eq!(s, StatusCode::URI_TOO_LONG);
        assert!(body.contains("more than 4096"), "{body}");
    }

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
