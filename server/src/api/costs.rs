//! The cost explorer over the ledger, and the drill-down's last step (a resource's events).
//! The server fetches ratings; the engine (`ratecard::explore`) groups and sums them.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use ratecard::Period;
use ratecard::explore::{Dimension, ExploreRequest};
use serde::Deserialize;
use serde_json::json;

use crate::api::auth::authorize;
use crate::api::{Shared, blocking, json_response};
use crate::billing::{self, period_of};
use crate::error::{ApiError, ApiResult};

/// Most months a range may hold, on each side of a comparison.
pub const MAX_MONTHS: usize = 12;
/// Most account-months one request may rate (without daily rollups, each is rated anew).
pub const MAX_RATINGS: usize = 10_000;
/// Most events the drill-down lists.
pub const MAX_EVENTS: usize = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CostsQuery {
    /// `YYYY-MM` or `YYYY-MM..YYYY-MM`; the current month by default.
    period: Option<String>,
    /// The months to set against `period`, written the same way.
    compare: Option<String>,
    /// Dimensions, comma-separated.
    group_by: Option<String>,
    /// `dimension:value`, comma-separated (`region:gra,tag:project:web`); values of one
    /// dimension are alternatives, dimensions all apply.
    filter: Option<String>,
    /// List the kept lines too.
    lines: Option<bool>,
}

/// The calendar months of `YYYY-MM` or `YYYY-MM..YYYY-MM`, in order.
pub fn months(text: &str, what: &str) -> Result<Vec<Period>, ApiError> {
    let (from, to) = text.split_once("..").unwrap_or((text, text));
    let first = period_of(from).map_err(|e| e.prefixed(what))?;
    let last = period_of(to).map_err(|e| e.prefixed(what))?;
    if last.start < first.start {
        return Err(ApiError::bad(format!(
            "{what}: `{text}` ends before it starts"
        )));
    }
    let mut out = vec![first];
    while let Some(p) = out.last().filter(|p| p.start < last.start) {
        if out.len() == MAX_MONTHS {
            return Err(ApiError::bad(format!(
                "{what}: `{text}` spans more than {MAX_MONTHS} months"
            )));
        }
        let next = p.end.format("%Y-%m").to_string();
        out.push(period_of(&next)?);
    }
    Ok(out)
}

/// `region:gra,tag:project:web` as filters: a tag's key runs to its second colon.
pub fn filters(text: &str) -> Result<ExploreRequest, ApiError> {
    let mut req = ExploreRequest::default();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let split = if part.starts_with("tag:") {
            part[4..].find(':').map(|i| i + 4)
        } else {
            part.find(':')
        };
        let Some(i) = split else {
            return Err(ApiError::bad(format!(
                "filter: `{part}` is not `dimension:value`"
            )));
        };
        let d: Dimension = part[..i]
            .parse()
            .map_err(|e| ApiError::bad(format!("filter: {e}")))?;
        req.filters
            .entry(d)
            .or_default()
            .insert(part[i + 1..].to_string());
    }
    Ok(req)
}

fn current_month() -> String {
    chrono::Utc::now().format("%Y-%m").to_string()
}

pub(crate) async fn costs(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<CostsQuery>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let periods = months(q.period.as_deref().unwrap_or(&current_month()), "period")?;
    let compared = q
        .compare
        .as_deref()
        .map(|c| months(c, "compare"))
        .transpose()?;
    let mut req = filters(q.filter.as_deref().unwrap_or(""))?;
    req.group_by = q
        .group_by
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse()
                .map_err(|e| ApiError::bad(format!("group_by: {e}")))
        })
        .collect::<Result<_, _>>()?;
    req.lines = q.lines.unwrap_or(false);
    let out = blocking(&s, {
        let s = s.clone();
        move || {
            // An account filter narrows what is fetched; the engine filters again.
            let accounts: Vec<String> = match req.filters.get(&Dimension::Account) {
                Some(list) => list.iter().cloned().collect(),
                None => s.ledger.accounts()?,
            };
            let n = accounts.len() * (periods.len() + compared.as_ref().map_or(0, Vec::len));
            if n > MAX_RATINGS {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "too_much_work",
                    format!(
                        "{} accounts over these months make {n} account-months to rate, at most {MAX_RATINGS}: filter by account or ask fewer months",
                        accounts.len()
                    ),
                ));
            }
            let rate = |list: &[Period]| -> Result<Vec<ratecard::Rating>, ApiError> {
                let mut out = Vec::new();
                for p in list {
                    for a in &accounts {
                        out.push(billing::rating(&s, a, p)?);
                    }
                }
                Ok(out)
            };
            let current = rate(&periods)?;
            let before = compared.as_deref().map(rate).transpose()?;
            ratecard::explore::explore(&s.book, &current, before.as_deref(), &req)
                .map_err(ApiError::engine)
        }
    })
    .await?;
    json_response(StatusCode::OK, &out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    period: Option<String>,
    resource: Option<String>,
}

/// The events a period's rating of the account read (those before its end), optionally of one
/// resource: what a rated line was counted from.
pub(crate) async fn events(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(account): Path<String>,
    Query(q): Query<EventsQuery>,
) -> ApiResult {
    authorize(&s, &headers)?;
    let period = period_of(q.period.as_deref().unwrap_or(&current_month()))?;
    let out = blocking(&s, {
        let s = s.clone();
        move || {
            let mut events = s.ledger.events(&account, &period)?;
            if let Some(r) = &q.resource {
                events.retain(|e| e.resource.as_str() == r.as_str());
            }
            events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
            let total = events.len();
            events.truncate(MAX_EVENTS);
            Ok(json!({
                "account": account,
                "period": period.label(),
                "resource": q.resource,
                "total": total,
                "truncated": total > MAX_EVENTS,
                "events": events,
            }))
        }
    })
    .await?;
    json_response(StatusCode::OK, &out)
}

/// Every account the ledger knows, with its customer's name when it has customer details.
pub(crate) async fn accounts(State(s): State<Shared>, headers: HeaderMap) -> ApiResult {
    authorize(&s, &headers)?;
    let out = blocking(&s, {
        let s = s.clone();
        move || {
            let mut list = Vec::new();
            for a in s.ledger.accounts()? {
                let name = s.ledger.customer(&a)?.map(|c| c.name);
                list.push(json!({ "account": a, "name": name }));
            }
            Ok(json!({ "accounts": list }))
        }
    })
    .await?;
    json_response(StatusCode::OK, &out)
}
