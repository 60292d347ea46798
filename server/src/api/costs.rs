//! The cost explorer over the ledger, and the drill-down's last step (a resource's events).
//! The server fetches ratings; the engine (`ratecard::explore`) groups and sums them.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ratecard::Period;
use ratecard::explore::{Dimension, ExploreRequest};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::{AppState, Shared, blocking, body, json_response};
use crate::billing::{self, period_of};
use crate::error::{ApiError, ApiResult};

/// Most months a range may hold, on each side of a comparison.
pub const MAX_MONTHS: usize = 12;
/// Most account-months one request may read.
pub const MAX_RATINGS: usize = 10_000;
/// Most account-months one request may read cut in days (each month is 31 ratings once).
pub const MAX_DAY_RATINGS: usize = 300;
/// Most versions saved allocation rules may have.
pub const MAX_RULE_VERSIONS: usize = 1_000;
/// Most events the drill-down lists.
pub const MAX_EVENTS: usize = 10_000;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CostsQuery {
    /// `YYYY-MM` or `YYYY-MM..YYYY-MM`; the current month by default.
    period: Option<String>,
    /// The months to set against `period`, written the same way.
    compare: Option<String>,
    /// Dimensions, comma-separated: account, service, family, sku, region, resource, month,
    /// day, `tag:<key>`. By day, each day's cost is the month rated to the day's end less the
    /// same to the day before (at most 300 account-months).
    group_by: Option<String>,
    /// `dimension:value`, comma-separated (`region:gra,tag:project:web`); values of one
    /// dimension are alternatives, dimensions all apply.
    filter: Option<String>,
    /// List the kept lines too, with their formulas.
    lines: Option<bool>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PricingViewQuery {
    /// `YYYY-MM` or `YYYY-MM..YYYY-MM`; the current month by default.
    period: Option<String>,
    /// Dimensions, comma-separated, as the explorer's.
    group_by: Option<String>,
    /// `dimension:value`, comma-separated, as the explorer's.
    filter: Option<String>,
    /// List the kept lines too, valued both ways.
    lines: Option<bool>,
    /// The other price list, `id` or `id@version`; absent when the body uploads one.
    price_list: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllocationQuery {
    /// `YYYY-MM`, one month; the current one by default.
    period: Option<String>,
    /// `account:<id>`, comma-separated: the accounts to allocate (all by default).
    filter: Option<String>,
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
        let split = if let Some(rest) = part.strip_prefix("tag:") {
            rest.find(':').map(|i| i + 4)
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

/// The explorer's request and months from a query's `period`, `group_by`, `filter` and `lines`.
fn request_of(
    period: Option<&str>,
    group_by: Option<&str>,
    filter: Option<&str>,
    lines: Option<bool>,
) -> Result<(Vec<Period>, ExploreRequest), ApiError> {
    let periods = months(period.unwrap_or(&current_month()), "period")?;
    let mut req = filters(filter.unwrap_or(""))?;
    req.group_by = group_by
        .unwrap_or("")
        .split(',')
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.parse()
                .map_err(|e| ApiError::bad(format!("group_by: {e}")))
        })
        .collect::<Result<_, _>>()?;
    req.lines = lines.unwrap_or(false);
    Ok((periods, req))
}

/// The accounts to rate: those an account filter names, or every account; refused past
/// [`MAX_RATINGS`] account-months.
fn accounts_for(
    s: &AppState,
    req: &ExploreRequest,
    months: usize,
) -> Result<Vec<String>, ApiError> {
    let accounts: Vec<String> = match req.filters.get(&Dimension::Account) {
        Some(list) => list.iter().cloned().collect(),
        None => s.ledger.accounts()?,
    };
    let n = accounts.len().saturating_mul(months);
    let (most, how) = if by_day(req) {
        (MAX_DAY_RATINGS, " cut in days")
    } else {
        (MAX_RATINGS, "")
    };
    if n > most {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_much_work",
            format!(
                "{} accounts over these months make {n} account-months to rate{how}, at most {most}: filter by account or ask fewer months",
                accounts.len()
            ),
        ));
    }
    Ok(accounts)
}

/// Whether the request groups or filters by day: it then reads each month's days.
fn by_day(req: &ExploreRequest) -> bool {
    req.group_by.contains(&Dimension::Day) || req.filters.contains_key(&Dimension::Day)
}

pub(crate) async fn costs(State(s): State<Shared>, Query(q): Query<CostsQuery>) -> ApiResult {
    let (periods, req) = request_of(
        q.period.as_deref(),
        q.group_by.as_deref(),
        q.filter.as_deref(),
        q.lines,
    )?;
    let compared = q
        .compare
        .as_deref()
        .map(|c| months(c, "compare"))
        .transpose()?;
    let out = blocking(&s, {
        let s = s.clone();
        move || explore(&s, &periods, compared.as_deref(), &req)
    })
    .await?;
    json_response(StatusCode::OK, &out)
}

/// What the views read of each period at `now` ([`billing::Seen`]): the current month up to
/// now, a month over whole. A month not yet begun is refused: nothing is spent in it, and a
/// machine running now showed its whole month there.
fn seen_all(
    periods: &[Period],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<billing::Seen>, ApiError> {
    periods
        .iter()
        .map(|p| {
            if now <= p.start {
                return Err(ApiError::bad(format!(
                    "period: {} has not begun: nothing is spent in it yet",
                    p.label()
                )));
            }
            Ok(billing::Seen::of(p, now))
        })
        .collect()
}

/// The explorer over the ledger: the accounts' kept rollups of `periods` (and of `compared`)
/// when they answer the request, else their kept ratings, or their kept days when the request
/// is by day, grouped by the engine.
pub fn explore(
    s: &AppState,
    periods: &[Period],
    compared: Option<&[Period]>,
    req: &ExploreRequest,
) -> Result<ratecard::explore::Exploration, ApiError> {
    let n = periods.len() + compared.map_or(0, <[Period]>::len);
    let accounts = accounts_for(s, req, n)?;
    // One clock for the whole answer: every account cut at the same minute.
    let now = chrono::Utc::now();
    let periods = &seen_all(periods, now)?;
    let compared = compared.map(|c| seen_all(c, now)).transpose()?;
    let compared = compared.as_deref();
    if ratecard::explore::Rollup::answers(req) {
        // No resource, tag, day or line asked: the accounts' rollups answer, read in one query
        // per month when every account is explored.
        let every = !req.filters.contains_key(&Dimension::Account);
        let roll = |list: &[billing::Seen]| -> Result<Vec<ratecard::explore::Rollup>, ApiError> {
            let mut out = Vec::new();
            for p in list {
                out.extend(billing::kept_rollups(s, &accounts, every, p, req.rounding)?);
            }
            Ok(out)
        };
        let current = roll(periods)?;
        let before = compared.map(roll).transpose()?;
        return ratecard::explore::explore_rollups(&s.book, &current, before.as_deref(), req)
            .map_err(ApiError::engine);
    }
    let days = by_day(req);
    let rate = |list: &[billing::Seen]| -> Result<Vec<ratecard::Rating>, ApiError> {
        let mut out = Vec::new();
        for p in list {
            for a in &accounts {
                if days {
                    out.extend(billing::kept_days(s, a, p)?);
                } else {
                    out.push(billing::kept_rating(s, a, p)?);
                }
            }
        }
        Ok(out)
    };
    let current = rate(periods)?;
    let before = compared.map(rate).transpose()?;
    ratecard::explore::explore(&s.book, &current, before.as_deref(), req).map_err(ApiError::engine)
}

/// The other price list of a pricing view: `id` (that price list, each version at its dates),
/// `id@version` (that version throughout), or an uploaded price list (its JSON as the body,
/// in force throughout).
fn price_list(
    s: &AppState,
    named: Option<&str>,
    body: &[u8],
) -> Result<(ratecard::PriceBook, String), ApiError> {
    if !body.is_empty() {
        if named.is_some() {
            return Err(ApiError::bad(
                "price_list: name a price list or upload one as the body, not both",
            ));
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::bad("the uploaded price list is not UTF-8"))?;
        let c = ratecard::Catalog::from_json(text).map_err(ApiError::engine)?;
        let label = format!("{} (uploaded)", c.reference());
        return Ok((ratecard::PriceBook::throughout(c), label));
    }
    let Some(named) = named else {
        return Err(ApiError::bad(
            "price_list: name one (`stratus`, `stratus@2026-03`) or upload one as the body",
        ));
    };
    let (id, version) = match named.split_once('@') {
        Some((i, v)) => (i, Some(v)),
        None => (named, None),
    };
    let book = s.catalogs.get(id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("price_list: no price list `{id}` (GET /api/v1/catalogs lists them)"),
        )
    })?;
    match version {
        None => Ok((book.clone(), id.to_string())),
        Some(v) => book
            .versions()
            .iter()
            .find(|c| c.version == v)
            .map(|c| (ratecard::PriceBook::throughout(c.clone()), c.reference()))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("price_list: `{id}` has no version `{v}`"),
                )
            }),
    }
}

/// A pricing view: the recorded quantities of the months asked, valued as billed (`amount`)
/// and under another price list (`compared`), per group, with the difference (billed minus
/// the other).
pub(crate) async fn pricing_view(
    State(s): State<Shared>,
    Query(q): Query<PricingViewQuery>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let (periods, req) = request_of(
        q.period.as_deref(),
        q.group_by.as_deref(),
        q.filter.as_deref(),
        q.lines,
    )?;
    if by_day(&req) {
        // Its ratings are whole months (or the current one up to now), never days.
        return Err(ApiError::engine(ratecard::Error::Explore(
            "day: the pricing view's ratings are not of single days; group or filter by day in the explorer".into(),
        )));
    }
    let bytes = body(b)?;
    let (other, label) = price_list(&s, q.price_list.as_deref(), &bytes)?;
    let out = blocking(&s, {
        let s = s.clone();
        move || {
            let accounts = accounts_for(&s, &req, periods.len())?;
            let (mut billed, mut view) = (Vec::new(), Vec::new());
            for p in &seen_all(&periods, chrono::Utc::now())? {
                for a in &accounts {
                    let (r, v) = billing::rating_and_view(&s, a, p, &other)?;
                    billed.push(r);
                    view.push(v);
                }
            }
            if other.currency() != s.book.currency() {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unprocessable",
                    format!(
                        "price_list: {} prices in {}, the ledger bills in {}: a pricing view compares one currency",
                        other.id(),
                        other.currency(),
                        s.book.currency()
                    ),
                ));
            }
            let exploration = ratecard::explore::explore(&s.book, &billed, Some(&view), &req)
                .map_err(ApiError::engine)?;
            Ok(PricingView {
                exploration,
                price_list: label,
            })
        }
    })
    .await?;
    json_response(StatusCode::OK, &out)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    /// `YYYY-MM`; the current month by default.
    period: Option<String>,
    /// One resource's events only.
    resource: Option<String>,
}

/// A pricing view: the explorer's answer with `compared` the other price list's values.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PricingView {
    #[serde(flatten)]
    exploration: ratecard::explore::Exploration,
    /// The other price list: `id`, `id@version`, or `id@version (uploaded)`.
    price_list: String,
}

/// The events behind a period's rating.
#[derive(Serialize, JsonSchema)]
pub(crate) struct EventList {
    account: String,
    period: String,
    resource: Option<String>,
    /// How many events matched.
    total: usize,
    /// More matched than the list gives (10,000).
    truncated: bool,
    events: Vec<ratecard::event::UsageEvent>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct AccountList {
    accounts: Vec<AccountEntry>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct AccountEntry {
    account: String,
    /// The customer's name, when the account has customer details.
    name: Option<String>,
}

/// The events a period's rating of the account read (those before its end), optionally of one
/// resource: what a rated line was counted from.
pub(crate) async fn events(
    State(s): State<Shared>,
    Path(account): Path<String>,
    Query(q): Query<EventsQuery>,
) -> ApiResult {
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
            // The latest are kept: the period's own events come last (those before it only set
            // its state), and a resource of many months would otherwise show only its first.
            events.drain(..total.saturating_sub(MAX_EVENTS));
            Ok(EventList {
                account,
                period: period.label(),
                resource: q.resource,
                total,
                truncated: total > MAX_EVENTS,
                events,
            })
        }
    })
    .await?;
    json_response(StatusCode::OK, &out)
}

/// Every account the ledger knows, with its customer's name when it has customer details.
pub(crate) async fn accounts(State(s): State<Shared>) -> ApiResult {
    let out = blocking(&s, {
        let s = s.clone();
        move || {
            let mut list = Vec::new();
            for a in s.ledger.accounts()? {
                let name = s.ledger.customer(&a)?.map(|c| c.name);
                list.push(AccountEntry { account: a, name });
            }
            Ok(AccountList { accounts: list })
        }
    })
    .await?;
    json_response(StatusCode::OK, &out)
}

/// The allocation rules the server applies: the last saved, else the shipped ones
/// (`catalog/allocation/demo.json`).
pub(crate) fn server_rules(
    s: &AppState,
) -> Result<ratecard::allocation::AllocationRules, ApiError> {
    billing::allocation_rules(s.ledger.as_ref())
}

/// `GET /costs/allocation/rules`: the rules `GET /costs/allocation` applies.
pub(crate) async fn allocation_rules(State(s): State<Shared>) -> ApiResult {
    let rules = blocking(&s, {
        let s = s.clone();
        move || server_rules(&s)
    })
    .await?;
    json_response(StatusCode::OK, &rules)
}

/// `PUT /costs/allocation/rules`: keeps new rules, after checking that each version allocates
/// (weights, targets and amounts the engine accepts); the versions saved before stay in the
/// ledger, and the audit log records the new one's digest.
pub(crate) async fn put_allocation_rules(
    State(s): State<Shared>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let rules: ratecard::allocation::AllocationRules =
        crate::api::parse(&body(b)?, "allocation rules")?;
    // Each version is checked against the whole list: bounded, so that the check stays small.
    if rules.versions.is_empty() || rules.versions.len() > MAX_RULE_VERSIONS {
        return Err(ApiError::bad(format!(
            "allocation rules: 1 to {MAX_RULE_VERSIONS} versions, not {}",
            rules.versions.len()
        )));
    }
    for v in &rules.versions {
        // A month is allocated under the version in force at its start: a version from the
        // middle of a month first applies to the next one, so that is the month checked.
        let mut month = ratecard::Period::month_of(v.effective_from);
        if month.start < v.effective_from {
            month = ratecard::Period::month_of(month.end);
        }
        ratecard::allocation::allocate(
            &[],
            &month,
            &rules,
            s.book.currency(),
            ratecard::RoundingMode::default(),
        )
        .map_err(ApiError::engine)?;
    }
    let text = ratecard::canonical::to_string(&rules)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    blocking(&s, {
        let s = s.clone();
        move || {
            let now = ratecard::time::format_instant(&chrono::Utc::now());
            s.ledger.save_allocation_rules(&text, &now)?;
            Ok(())
        }
    })
    .await?;
    json_response(StatusCode::OK, &rules)
}

/// Allocation of a month's cost: direct costs per target (the rules' tag), indirect ones (shared
/// resources, fixed amounts) spread by the rules' version in force. `GET` uses the server's
/// rules (the last saved, else the shipped ones); `POST` takes rules as the body (to preview a
/// change before saving it).
pub(crate) async fn allocation(
    State(s): State<Shared>,
    Query(q): Query<AllocationQuery>,
    b: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let (periods, req) = request_of(q.period.as_deref(), None, q.filter.as_deref(), None)?;
    let [period] = periods[..] else {
        return Err(ApiError::bad("period: an allocation covers one month"));
    };
    if req.filters.keys().any(|d| *d != Dimension::Account) {
        return Err(ApiError::bad(
            "filter: an allocation takes account filters only",
        ));
    }
    let bytes = body(b)?;
    let given: Option<ratecard::allocation::AllocationRules> = if bytes.is_empty() {
        None
    } else {
        Some(crate::api::parse(&bytes, "allocation rules")?)
    };
    let out = blocking(&s, {
        let s = s.clone();
        move || {
            let rules = match given {
                Some(r) => r,
                None => server_rules(&s)?,
            };
            let accounts = accounts_for(&s, &req, 1)?;
            let [seen] = &seen_all(&[period], chrono::Utc::now())?[..] else {
                return Err(ApiError::bad("period: an allocation covers one month"));
            };
            let ratings = accounts
                .iter()
                .map(|a| billing::kept_rating(&s, a, seen))
                .collect::<Result<Vec<_>, _>>()?;
            ratecard::allocation::allocate(
                &ratings,
                &period,
                &rules,
                s.book.currency(),
                ratecard::RoundingMode::default(),
            )
            .map_err(ApiError::engine)
        }
    })
    .await?;
    json_response(StatusCode::OK, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_ranges() {
        let labels = |t: &str| -> Vec<String> {
            months(t, "period")
                .unwrap()
                .iter()
                .map(|p| p.label())
                .collect()
        };
        assert_eq!(labels("2026-01"), ["2026-01"]);
        assert_eq!(
            labels("2025-11..2026-02"),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(labels("2025-01..2025-12").len(), 12);
        for (bad, says) in [
            ("2025-01..2026-01", "more than 12 months"),
            ("2026-03..2026-01", "ends before it starts"),
            ("2026-13", "period:"),
            ("2026-01..", "period:"),
        ] {
            let e = months(bad, "period").unwrap_err();
            assert!(format!("{e:?}").contains(says), "{bad}: {e:?}");
        }
    }

    #[test]
    fn filters_split_a_tag_key_from_its_value() {
        let r = filters("region:gra,region:sbg,tag:project:web:v2,account:a").unwrap();
        let got: Vec<(String, Vec<String>)> = r
            .filters
            .iter()
            .map(|(d, v)| (d.to_string(), v.iter().cloned().collect()))
            .collect();
        assert_eq!(
            got,
            [
                ("account".to_string(), vec!["a".to_string()]),
                (
                    "region".to_string(),
                    vec!["gra".to_string(), "sbg".to_string()]
                ),
                ("tag:project".to_string(), vec!["web:v2".to_string()]),
            ]
        );
        for bad in ["region", "colour:red", "tag:project"] {
            assert!(filters(bad).is_err(), "{bad}");
        }
    }
}
