//! An account's endpoints: its customer details, draft, finalization and projection.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use ratecard::party::Customer;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::api::{Shared, blocking, body, idempotency, json_response, parse};
use crate::billing::{self, period_of};
use crate::error::{ApiError, ApiResult};

pub(crate) async fn put_customer(
    State(s): State<Shared>,
    Path(account): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    // The account as its events name it: a 3,500-byte one was a 500 on PostgreSQL (its index
    // row too large) and, on SQLite, a customer no event could ever have.
    ratecard::event::check_account(&account).map_err(|m| ApiError::bad(format!("account: {m}")))?;
    let customer: Customer = parse(&body(b)?, "customer")?;
    if let Some((field, m)) = customer.problems().into_iter().next() {
        return Err(ApiError::bad(format!("customer: {field}: {m}")));
    }
    let stored = customer.clone();
    blocking(&s, {
        let s = s.clone();
        move || Ok(s.ledger.put_customer(&account, &stored)?)
    })
    .await?;
    json_response(StatusCode::OK, &customer)
}

pub(crate) async fn get_customer(
    State(s): State<Shared>,
    Path(account): Path<String>,
) -> ApiResult {
    let customer = blocking(&s, {
        let s = s.clone();
        move || billing::customer_of(&s, &account)
    })
    .await?;
    json_response(StatusCode::OK, &customer)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftQuery {
    /// `YYYY-MM`.
    period: String,
    /// `json` (the default) or `pdf`.
    format: Option<String>,
    /// The language of a PDF: `fr` (the default) or `en`.
    lang: Option<String>,
}

pub(crate) async fn draft(
    State(s): State<Shared>,
    Path(account): Path<String>,
    Query(q): Query<DraftQuery>,
) -> ApiResult {
    let period = period_of(&q.period)?;
    let pdf = crate::api::invoices::wants_pdf(q.format.as_deref())?;
    let doc = blocking(&s, {
        let s = s.clone();
        move || billing::draft(&s, &account, &period)
    })
    .await?;
    if pdf {
        crate::api::invoices::pdf_of(&s, doc, false, q.lang.as_deref()).await
    } else {
        json_response(StatusCode::OK, &doc)
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FinalizeBody {
    /// `YYYY-MM`, a month that has ended.
    period: String,
    /// `YYYY-MM-DD`; the first day after the period by default.
    #[serde(default, with = "ratecard::time::date_option")]
    #[schemars(with = "Option<String>")]
    issue_date: Option<chrono::NaiveDate>,
}

pub(crate) async fn finalize(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(account): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let bytes = body(b)?;
    let key = idempotency(&headers, &format!("finalize {account}"), &bytes)?;
    let f: FinalizeBody = parse(&bytes, "finalize request")?;
    let period = period_of(&f.period)?;
    billing::check_ended(&period, chrono::Utc::now())?;
    let issue_date = f
        .issue_date
        .unwrap_or_else(|| billing::default_issue_date(&period));
    billing::check_issue_date(issue_date, chrono::Utc::now())?;
    let outcome = blocking(&s, {
        let s = s.clone();
        let account = account.clone();
        move || billing::finalize_period(&s, &account, &period, issue_date, key.as_ref())
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

#[derive(Deserialize, JsonSchema)]
pub(crate) struct ProjectionQuery {
    /// `YYYY-MM`; the current month by default.
    period: Option<String>,
    /// An instant (`2026-03-15T12:00:00Z`); now by default, or the period's end once it has
    /// ended.
    as_of: Option<String>,
    /// A monthly budget amount, to see its alerts.
    budget: Option<String>,
}

pub(crate) async fn projection(
    State(s): State<Shared>,
    Path(account): Path<String>,
    Query(q): Query<ProjectionQuery>,
) -> ApiResult {
    let now = chrono::Utc::now();
    let period = q.period.unwrap_or_else(|| now.format("%Y-%m").to_string());
    let as_of = match q.as_of {
        Some(a) => a,
        None => {
            let p = period_of(&period)?;
            ratecard::time::format_instant(&now.min(p.end))
        }
    };
    let mut req = json!({ "period": period, "as_of": as_of });
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

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsumptionQuery {
    /// An instant (`2026-03-15T12:00:00Z`); now by default. Its calendar month is the period.
    as_of: Option<String>,
}

/// The current month of an account.
#[derive(Serialize, JsonSchema)]
pub(crate) struct CurrentMonth {
    #[serde(flatten)]
    consumption: ratecard::projection::Consumption,
    account: String,
    /// The next invoice estimated, when the account has customer details (its buyer).
    next_invoice: Option<NextInvoice>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct NextInvoice {
    #[serde(with = "ratecard::time::date")]
    #[schemars(with = "String")]
    issue_date: chrono::NaiveDate,
    currency: String,
    totals: ratecard::document::Totals,
    vat: Vec<ratecard::document::VatBreakdown>,
    vat_treatment: ratecard::vat::Treatment,
}

/// The current month as the customer sees it: already billed (plans billed in advance), so
/// far (pay as you go, and next month's plans), projected to the end with its rule, and the
/// next invoice estimated with its tax (when the account has billing details).
pub(crate) async fn consumption(
    State(s): State<Shared>,
    Path(account): Path<String>,
    Query(q): Query<ConsumptionQuery>,
) -> ApiResult {
    let as_of = match q.as_of {
        Some(t) => {
            ratecard::time::parse_instant(&t).map_err(|e| ApiError::bad(format!("as_of: {e}")))?
        }
        None => chrono::Utc::now(),
    };
    // The month holding the instant just before `as_of`: a month's end is in that month.
    let period = ratecard::Period::month_of(
        as_of
            .checked_sub_signed(chrono::Duration::nanoseconds(1))
            .unwrap_or(as_of),
    );
    let out = blocking(&s, {
        let s = s.clone();
        move || {
            let events = s.ledger.events(&account, &period)?;
            let (c, rating) = ratecard::projection::consumption(
                &s.book,
                &events,
                &period,
                as_of,
                ratecard::RoundingMode::default(),
            )
            .map_err(ApiError::engine)?;
            let next_invoice = match s.ledger.customer(&account)? {
                Some(buyer) => {
                    let req = billing::request_for(
                        &s,
                        ratecard::document::DocumentKind::DraftInvoice,
                        None,
                        billing::default_issue_date(&period),
                        buyer,
                    );
                    let doc = ratecard::document::build(
                        &req,
                        &rating,
                        &s.book,
                        &s.vat,
                        ratecard::document::Fx::Rates(&s.fx),
                    )
                    .map_err(ApiError::engine)?;
                    Some(NextInvoice {
                        issue_date: doc.issue_date,
                        currency: doc.currency,
                        totals: doc.totals,
                        vat: doc.vat,
                        vat_treatment: doc.vat_treatment,
                    })
                }
                None => None,
            };
            Ok(CurrentMonth {
                consumption: c,
                account,
                next_invoice,
            })
        }
    })
    .await?;
    json_response(StatusCode::OK, &out)
}
