//! Budgets, their status and alerts, and the webhook's deliveries.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ratecard::budget::{self, Budget};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::alerting;
use crate::api::auth::{Caller, caller_in};
use crate::api::{Shared, blocking, body, json_response, parse};
use crate::billing::period_of;
use crate::error::{ApiError, ApiResult};

#[derive(Serialize, JsonSchema)]
pub(crate) struct BudgetList {
    budgets: Vec<Budget>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Deleted {
    /// The budget's id.
    deleted: String,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct AlertList {
    /// Newest first, at most 1,000.
    alerts: Vec<crate::ledger::alerts::Crossing>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct DeliveryList {
    /// Where alerts are posted (`RATECARD_WEBHOOK_URL`), if anywhere.
    webhook: Option<String>,
    /// Newest first, at most 1,000.
    deliveries: Vec<crate::ledger::alerts::Delivery>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Redelivery {
    id: i64,
    /// `pending`: the delivery loop posts it within a few seconds.
    status: String,
}

fn now_text() -> String {
    ratecard::time::format_instant(&chrono::Utc::now())
}

pub(crate) async fn put_budget(
    State(s): State<Shared>,
    Path(id): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let budget: Budget = parse(&body(b)?, "budget")?;
    if budget.id != id {
        return Err(ApiError::bad(format!(
            "budget: the body's id `{}` is not the path's `{id}`",
            budget.id
        )));
    }
    budget.validate().map_err(ApiError::engine)?;
    let stored = budget.clone();
    blocking(&s, {
        let s = s.clone();
        move || {
            s.ledger.put_budget(&stored, &now_text())?;
            // A budget already passed in the current month alerts now, not in a minute. The
            // budget is stored: a failed check is logged, and the next minute's pass checks it
            // again (it answered an error for a budget saved and in force).
            let now = chrono::Utc::now();
            if let Some(p) = alerting::month_of(now)
                && let Err(e) = alerting::check_budgets(
                    &s,
                    Some(std::slice::from_ref(&stored.account)),
                    &[p],
                    now,
                )
            {
                tracing::warn!(error = ?e, budget = %stored.id, "budget check after saving");
            }
            Ok(())
        }
    })
    .await?;
    json_response(StatusCode::OK, &budget)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountQuery {
    /// One account's only.
    account: Option<String>,
}

pub(crate) async fn budgets(State(s): State<Shared>, Query(q): Query<AccountQuery>) -> ApiResult {
    let list = blocking(&s, {
        let s = s.clone();
        move || Ok(s.ledger.budgets(q.account.as_deref())?)
    })
    .await?;
    json_response(StatusCode::OK, &BudgetList { budgets: list })
}

pub(crate) async fn delete_budget(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    let gone = blocking(&s, {
        let s = s.clone();
        let id = id.clone();
        move || Ok(s.ledger.delete_budget(&id)?)
    })
    .await?;
    if !gone {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no budget `{id}`"),
        ));
    }
    json_response(StatusCode::OK, &Deleted { deleted: id })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusQuery {
    /// `YYYY-MM`, a month that has started; the current one by default.
    period: Option<String>,
}

/// Where a budget stands in a month (the current one by default): actual, projected, percent
/// and each threshold.
pub(crate) async fn budget_status(
    State(s): State<Shared>,
    caller: Option<Extension<Caller>>,
    Path(id): Path<String>,
    Query(q): Query<StatusQuery>,
) -> ApiResult {
    let now = chrono::Utc::now();
    let period = period_of(&q.period.unwrap_or_else(|| now.format("%Y-%m").to_string()))?;
    if period.start >= now {
        return Err(ApiError::bad(format!(
            "period: {} has not started",
            period.label()
        )));
    }
    let caller = caller_in(caller);
    let st = blocking(&s, {
        let s = s.clone();
        move || {
            let b = s
                .ledger
                .budgets(None)?
                .into_iter()
                .find(|b| b.id == id)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "not_found",
                        format!("no budget `{id}`"),
                    )
                })?;
            caller.may_read(&b.account)?;
            let events = s.ledger.events(&b.account, &period)?;
            budget::evaluate(
                &s.book,
                &events,
                &b,
                &period,
                now.min(period.end),
                ratecard::RoundingMode::default(),
            )
            .map_err(ApiError::engine)
        }
    })
    .await?;
    json_response(StatusCode::OK, &st)
}

pub(crate) async fn alerts(State(s): State<Shared>, Query(q): Query<AccountQuery>) -> ApiResult {
    let list = blocking(&s, {
        let s = s.clone();
        move || Ok(s.ledger.alerts(q.account.as_deref(), 1_000)?)
    })
    .await?;
    json_response(StatusCode::OK, &AlertList { alerts: list })
}

pub(crate) async fn deliveries(State(s): State<Shared>) -> ApiResult {
    let list = blocking(&s, {
        let s = s.clone();
        move || Ok(s.ledger.deliveries(1_000)?)
    })
    .await?;
    json_response(
        StatusCode::OK,
        &DeliveryList {
            webhook: s.webhook.as_ref().map(|w| w.url.clone()),
            deliveries: list,
        },
    )
}

pub(crate) async fn redeliver(State(s): State<Shared>, Path(id): Path<i64>) -> ApiResult {
    let found = blocking(&s, {
        let s = s.clone();
        move || Ok(s.ledger.redeliver(id, &now_text())?)
    })
    .await?;
    if !found {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no webhook delivery {id}"),
        ));
    }
    json_response(
        StatusCode::ACCEPTED,
        &Redelivery {
            id,
            status: "pending".into(),
        },
    )
}
