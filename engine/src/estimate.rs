//! Estimates: an estimate is the invoice of a hypothetical month.
//!
//! The request describes a setup (items: a sku, a count, a plan, an expected uptime, GB, egress
//! or requests). [`estimate`] writes the usage events that setup would produce in the month, then
//! meters and rates them with [`crate::meter()`] and [`crate::rate()`], the path invoices take.
//! There is no second formula: the hourly and monthly costs of an instance, and the break-even
//! uptime between them, are found by rating the same synthetic usage under each plan.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Charge, Measure, PriceBook, Product};
use crate::error::{Error, Result};
use crate::event::{EventKind, UsageEvent};
use crate::meter::{Diagnostic, meter};
use crate::money::RoundingMode;
use crate::num::{Arith, OrOverflow};
use crate::rate::{RatedLine, Summary, rate, summarize, summarize_lines};
use crate::time::{Period, format_instant};

/// Most items in one request, most resources per item, and most resources in all: bounds on the
/// work one request asks (the most expensive request they allow is measured in BENCHMARKS.md).
pub const MAX_ITEMS: usize = 1000;
pub const MAX_COUNT: u32 = 5_000;
pub const MAX_RESOURCES: u64 = 5_000;

/// The account the synthetic usage is written under.
const ACCOUNT: &str = "estimate";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateRequest {
    /// The month to estimate, `YYYY-MM` (its length matters for uptime and per-second billing).
    pub month: String,
    /// Default region of the items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Rounding of line amounts to the currency's minor unit.
    #[serde(default)]
    pub rounding: RoundingMode,
    pub items: Vec<EstimateItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateItem {
    pub sku: String,
    /// A name for the line ("web servers").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// How many identical resources.
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default)]
    pub plan: Plan,
    /// Expected time running in the month (default: the whole month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime: Option<Uptime>,
    /// GB per resource (storage: provisioned or stored).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub gb: Option<Decimal>,
    /// Outgoing GB in the month for the whole item.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub egress_gb: Option<Decimal>,
    /// Requests in the month for the whole item.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub requests: Option<Decimal>,
    /// Units in the month of any other counter.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::num::exact_option"
    )]
    #[schemars(with = "Option<String>")]
    pub quantity: Option<Decimal>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    #[default]
    Hourly,
    Monthly,
}

/// Expected uptime: `{"hours": "200"}` in the month, or `{"percent": "50"}` of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Uptime {
    Hours(
        #[serde(with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        Decimal,
    ),
    Percent(
        #[serde(with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        Decimal,
    ),
}

/// The result: the rated lines of the month, a summary per item, subtotals and the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Estimate {
    pub month: Period,
    pub catalog: String,
    pub currency: String,
    pub items: Vec<ItemEstimate>,
    pub lines: Vec<RatedLine>,
    #[serde(flatten)]
    pub summary: Summary,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ItemEstimate {
    pub index: usize,
    pub sku: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub region: String,
    pub service: String,
    pub count: u32,
    pub plan: Plan,
    /// Uptime in hours per resource, as used.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub uptime_hours: Decimal,
    /// The item's share of the total: the sum of its rounded lines.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub cost: Decimal,
    /// For an instance sold both ways: both plans at this uptime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// Why the item's cost leaves something out, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Comparison {
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub hourly: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub monthly: Decimal,
    pub cheaper: Cheaper,
    /// The fewest whole hours of uptime from which the monthly plan costs no more than the hourly
    /// one; none when the hourly plan stays cheaper all month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_even_hours: Option<i64>,
    pub monthly_sku: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cheaper {
    Hourly,
    Monthly,
    Equal,
}

/// Which fields of an item apply to a product: what the engine reads (it refuses a quantity
/// field that does not apply) and so what the calculator shows. The one place this is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemFields {
    /// Expected time running: instances, and storage (held for part of the month).
    pub uptime: bool,
    /// GB per resource: storage.
    pub gb: bool,
    /// Outgoing GB: storage with a traffic counter, and counters counted in GB.
    pub egress_gb: bool,
    /// A counter's units in the month (`egress_gb`, `requests` or `quantity`, one of them).
    pub counted: bool,
}

/// The fields of an item that apply to `product`.
pub fn item_fields(product: &Product) -> ItemFields {
    match &product.charge {
        Charge::TimeMetered { .. } => ItemFields {
            uptime: true,
            ..ItemFields::default()
        },
        Charge::MonthlyPlan { .. } | Charge::Flat {} => ItemFields::default(),
        Charge::Storage { .. } => ItemFields {
            uptime: true,
            gb: true,
            egress_gb: product.egress_sku.is_some(),
            counted: false,
        },
        Charge::Counter { .. } => ItemFields {
            egress_gb: true,
            counted: true,
            ..ItemFields::default()
        },
    }
}

impl EstimateItem {
    /// Clears the fields that do not apply to `product` (a value left over from another
    /// product), so that the item is what the engine reads. A counter keeps the one count its
    /// unit calls for (egress GB for GB, requests otherwise), or counts zero.
    pub fn trim_to(&mut self, product: &Product) {
        let f = item_fields(product);
        if !f.uptime {
            self.uptime = None;
        }
        if !f.gb {
            self.gb = None;
        }
        if !f.egress_gb {
            self.egress_gb = None;
        }
        if !f.counted {
            self.requests = None;
            self.quantity = None;
        }
        if let Charge::Counter { unit, .. } = &product.charge {
            if unit == "GB" {
                self.requests = None;
            } else {
                self.egress_gb = None;
            }
            if self.egress_gb.is_none() && self.requests.is_none() && self.quantity.is_none() {
                self.quantity = Some(Decimal::ZERO);
            }
        }
    }
}

/// A validated item, ready to write usage for.
struct Resolved<'a> {
    index: usize,
    item: &'a EstimateItem,
    product: &'a Product,
    region: String,
    hours: Decimal,
    /// The monthly-plan product sold for this hourly sku, if any.
    monthly: Option<&'a Product>,
    /// The sku whose usage the item bills (the monthly plan's under `plan: monthly`).
    billed: &'a Product,
}

/// Prices a setup for one month.
pub fn estimate(book: &PriceBook, request: &EstimateRequest) -> Result<Estimate> {
    let month = Period::parse(&request.month).map_err(|e| req_err("month", e.to_string()))?;
    if !month.is_calendar_month() {
        return Err(req_err(
            "month",
            format!("`{}` must be a calendar month, YYYY-MM", request.month),
        ));
    }
    if request.items.len() > MAX_ITEMS {
        return Err(req_err(
            "items",
            format!(
                "at most {MAX_ITEMS} items per request (got {})",
                request.items.len()
            ),
        ));
    }
    let resolved: Vec<Resolved> = request
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| resolve(book, request, &month, i, item))
        .collect::<Result<_>>()?;
    let resources = resolved
        .iter()
        .fold(0u64, |n, r| n.saturating_add(u64::from(r.item.count)));
    if resources > MAX_RESOURCES {
        return Err(req_err(
            "items",
            format!(
                "at most {MAX_RESOURCES} resources in all per request (the counts add up to {resources})"
            ),
        ));
    }

    // The month of the whole setup, through the invoicing path.
    let mut events = Vec::new();
    for r in &resolved {
        write_usage(r, r.billed, r.hours, &month, &mut events);
    }
    let metered = meter(book, month, &events)?;
    let rating = rate(book, &metered)?;
    let currency = book.currency().to_string();
    let summary = summarize(&rating.lines, &currency, request.rounding);

    // Item summaries: resource lines by prefix; a counter line (an account total) goes to the
    // first item that feeds its sku.
    let mut counter_owner: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &resolved {
        for sku in counter_skus(r) {
            counter_owner.entry(sku).or_insert(r.index);
        }
    }
    // The break-even uptime depends on the sku, its monthly plan and the region only, not on
    // the item's uptime or count: found once per such triple.
    let mut break_even: BreakEvens = Vec::new();
    // Each line to its item, in one pass: a resource line by its resource's prefix, a counter
    // line to the item that owns its sku.
    let mut by_item: Vec<Vec<&RatedLine>> = vec![Vec::new(); resolved.len()];
    for l in &rating.lines {
        let owner = match &l.resource {
            Some(res) => item_of(res),
            None => counter_owner.get(l.sku.as_str()).copied(),
        };
        if let Some(mine) = owner.and_then(|i| by_item.get_mut(i)) {
            mine.push(l);
        }
    }
    let mut items = Vec::with_capacity(resolved.len());
    for r in &resolved {
        let mine = by_item.get(r.index).map(Vec::as_slice).unwrap_or_default();
        let cost = summarize_lines(mine.iter().copied(), &currency, request.rounding).total;
        let shared: Vec<String> = counter_skus(r)
            .into_iter()
            .filter_map(|s| {
                counter_owner
                    .get(s)
                    .filter(|o| **o != r.index)
                    .map(|o| format!("`{s}` is counted with item {o}"))
            })
            .collect();
        let comparison = match r.monthly {
            Some(monthly) => Some(compare(
                book,
                request.rounding,
                &month,
                r,
                monthly,
                &mut break_even,
            )?),
            None => None,
        };
        items.push(ItemEstimate {
            index: r.index,
            sku: r.item.sku.clone(),
            label: r.item.label.clone(),
            region: r.region.clone(),
            service: r.product.service.clone(),
            count: r.item.count,
            plan: r.item.plan,
            uptime_hours: r.hours.normalize(),
            cost,
            comparison,
            note: (!shared.is_empty()).then(|| {
                format!(
                    "{}: free allowances and tiers apply to the account total",
                    shared.join(", ")
                )
            }),
        });
    }
    Ok(Estimate {
        month,
        catalog: rating.catalog,
        currency,
        items,
        lines: rating.lines,
        summary,
        diagnostics: rating.diagnostics,
    })
}

fn req_err(field: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Request {
        item: None,
        field: field.into(),
        message: message.into(),
    }
}

/// An error at a field of item `i`.
fn item_err(i: usize, field: &str, message: impl Into<String>) -> Error {
    Error::Request {
        item: Some(i),
        field: field.to_string(),
        message: message.into(),
    }
}

fn resource_prefix(index: usize) -> String {
    format!("item-{index}/")
}

/// The item a synthetic resource belongs to (`item-3/0` is item 3's).
fn item_of(resource: &str) -> Option<usize> {
    resource
        .strip_prefix("item-")
        .and_then(|r| r.split_once('/'))
        .and_then(|(i, _)| i.parse().ok())
}

fn counter_skus<'a>(r: &Resolved<'a>) -> Vec<&'a str> {
    match (&r.product.charge, &r.product.egress_sku) {
        (Charge::Counter { .. }, _) => vec![r.product.sku.as_str()],
        (Charge::Storage { .. }, Some(e)) if r.item.egress_gb.is_some() => vec![e.as_str()],
        _ => vec![],
    }
}

fn resolve<'a>(
    book: &'a PriceBook,
    req: &EstimateRequest,
    month: &Period,
    i: usize,
    item: &'a EstimateItem,
) -> Result<Resolved<'a>> {
    let product = book.product(&item.sku).ok_or_else(|| {
        item_err(
            i,
            "sku",
            format!("unknown sku `{}` in catalog `{}`", item.sku, book.id()),
        )
    })?;
    let region = item
        .region
        .clone()
        .or_else(|| req.region.clone())
        .ok_or_else(|| {
            item_err(
                i,
                "region",
                "required when the request has no default region",
            )
        })?;
    if !product.prices.contains_key(&region) {
        return Err(item_err(
            i,
            "region",
            format!("sku `{}` is not sold in region `{region}`", item.sku),
        ));
    }
    if item.count == 0 || item.count > MAX_COUNT {
        return Err(item_err(
            i,
            "count",
            format!("must be from 1 to {MAX_COUNT} (got {})", item.count),
        ));
    }
    let month_hours = Decimal::from(month.hours());
    let hours = match item.uptime {
        None => month_hours,
        Some(Uptime::Hours(h)) => h,
        Some(Uptime::Percent(p)) => {
            if p.is_sign_negative() || p > Decimal::ONE_HUNDRED {
                return Err(item_err(
                    i,
                    "uptime.percent",
                    format!("must be from 0 to 100 (got {p})"),
                ));
            }
            // At most 744 x 100: in range.
            month_hours
                .sat_times(p)
                .over(Decimal::ONE_HUNDRED)
                .unwrap_or(month_hours)
        }
    };
    if hours.is_sign_negative() || hours > month_hours {
        return Err(item_err(
            i,
            "uptime.hours",
            format!(
                "must be from 0 to {month_hours}, the hours of {} (got {hours})",
                month.label()
            ),
        ));
    }
    for (field, v) in [
        ("gb", item.gb),
        ("egress_gb", item.egress_gb),
        ("requests", item.requests),
        ("quantity", item.quantity),
    ] {
        if v.is_some_and(|v| v.is_sign_negative() && !v.is_zero()) {
            return Err(item_err(i, field, "must not be negative"));
        }
        if let Some(v) = v.filter(|v| *v > crate::num::MAX_QUANTITY) {
            return Err(item_err(
                i,
                field,
                format!("must be at most {} (got {v})", crate::num::MAX_QUANTITY),
            ));
        }
    }
    let given: Vec<&str> = [
        ("gb", item.gb),
        ("egress_gb", item.egress_gb),
        ("requests", item.requests),
        ("quantity", item.quantity),
    ]
    .iter()
    .filter(|(_, v)| v.is_some())
    .map(|(f, _)| *f)
    .collect();
    let fields = item_fields(product);
    let takes: Vec<&str> = [
        ("gb", fields.gb),
        ("egress_gb", fields.egress_gb),
        ("requests", fields.counted),
        ("quantity", fields.counted),
    ]
    .iter()
    .filter(|(_, applies)| *applies)
    .map(|(f, _)| *f)
    .collect();
    if let Some(f) = given.iter().find(|f| !takes.contains(f)) {
        return Err(item_err(
            i,
            f,
            format!("does not apply to sku `{}`", item.sku),
        ));
    }
    match &product.charge {
        Charge::Storage { .. } if item.gb.is_none() => {
            return Err(item_err(
                i,
                "gb",
                format!("required for storage sku `{}`", item.sku),
            ));
        }
        Charge::Counter { .. } if given.len() != 1 => {
            return Err(item_err(
                i,
                "quantity",
                format!(
                    "give one of egress_gb, requests or quantity for counter sku `{}`",
                    item.sku
                ),
            ));
        }
        _ => {}
    }
    let monthly = match &product.charge {
        Charge::TimeMetered { .. } => book.versions().last().and_then(|c| {
            c.products
                .iter()
                .find(|p| p.plan_of.as_deref() == Some(&item.sku) && p.prices.contains_key(&region))
        }),
        _ => None,
    };
    let billed = match (item.plan, monthly) {
        (Plan::Hourly, _) => product,
        (Plan::Monthly, Some(m)) => m,
        (Plan::Monthly, None) => {
            return Err(item_err(
                i,
                "plan",
                format!(
                    "sku `{}` has no monthly plan in region `{region}`",
                    item.sku
                ),
            ));
        }
    };
    Ok(Resolved {
        index: i,
        item,
        product,
        region,
        hours,
        monthly,
        billed,
    })
}

/// Writes the events the item would produce in the month, under `billed`'s charge model.
fn write_usage(
    r: &Resolved,
    billed: &Product,
    hours: Decimal,
    month: &Period,
    out: &mut Vec<UsageEvent>,
) {
    // `hours` is within the month (checked by `resolve`).
    let end = month
        .start
        .checked_add_signed(duration_of_hours(hours))
        .unwrap_or(month.end);
    let ev = |resource: &str,
              sku: &str,
              tag: &str,
              kind: EventKind,
              at: DateTime<Utc>,
              quantity: Option<Decimal>| UsageEvent {
        id: format!("{resource}/{sku}/{tag}"),
        account: ACCOUNT.to_string(),
        resource: resource.to_string(),
        sku: sku.to_string(),
        region: r.region.clone(),
        kind,
        at,
        quantity,
        tags: BTreeMap::from([("item".to_string(), r.index.to_string())]),
    };
    let prefix = resource_prefix(r.index);
    for n in 0..r.item.count {
        let res = format!("{prefix}{n}");
        match &billed.charge {
            Charge::TimeMetered { .. } => {
                if hours > Decimal::ZERO {
                    out.push(ev(
                        &res,
                        &billed.sku,
                        "start",
                        EventKind::Start,
                        month.start,
                        None,
                    ));
                    out.push(ev(
                        &res,
                        &billed.sku,
                        "delete",
                        EventKind::Delete,
                        end,
                        None,
                    ));
                }
            }
            // Ordered before the month: a steady month, not a prorated first one.
            Charge::MonthlyPlan { .. } | Charge::Flat {} => {
                out.push(ev(
                    &res,
                    &billed.sku,
                    "start",
                    EventKind::Start,
                    month
                        .start
                        .checked_sub_signed(Duration::days(1))
                        .unwrap_or(month.start),
                    None,
                ));
            }
            Charge::Storage { measure, .. } => {
                let kind = match measure {
                    Measure::Provisioned => EventKind::Start,
                    Measure::MaxPerHour => EventKind::Sample,
                };
                if hours > Decimal::ZERO {
                    out.push(ev(
                        &res,
                        &billed.sku,
                        "create",
                        kind,
                        month.start,
                        r.item.gb,
                    ));
                    out.push(ev(
                        &res,
                        &billed.sku,
                        "delete",
                        EventKind::Delete,
                        end,
                        None,
                    ));
                }
            }
            Charge::Counter { .. } => {}
        }
    }
    let res = format!("{prefix}usage");
    if let (Charge::Storage { .. }, Some(egress), Some(gb)) =
        (&billed.charge, &billed.egress_sku, r.item.egress_gb)
    {
        out.push(ev(
            &res,
            egress,
            "egress",
            EventKind::Increment,
            month.start,
            Some(gb),
        ));
    }
    if let Charge::Counter { .. } = billed.charge {
        let q = r.item.egress_gb.or(r.item.requests).or(r.item.quantity);
        out.push(ev(
            &res,
            &billed.sku,
            "count",
            EventKind::Increment,
            month.start,
            q,
        ));
    }
}

/// Hours as a duration, to the nanosecond.
fn duration_of_hours(hours: Decimal) -> Duration {
    use rust_decimal::prelude::ToPrimitive;
    let nanos = hours
        .checked_mul(Decimal::from(3_600_000_000_000i64))
        .map(|n| n.round());
    Duration::nanoseconds(nanos.and_then(|n| n.to_i64()).unwrap_or(i64::MAX))
}

/// The cost of the item alone, under `billed`, at `hours` of uptime: the invoicing path again.
fn cost_alone(
    book: &PriceBook,
    rounding: RoundingMode,
    month: &Period,
    r: &Resolved,
    billed: &Product,
    hours: Decimal,
) -> Result<Decimal> {
    let mut events = Vec::new();
    write_usage(r, billed, hours, month, &mut events);
    let rating = rate(book, &meter(book, *month, &events)?)?;
    Ok(summarize(&rating.lines, book.currency(), rounding).total)
}

/// Break-even hours by (hourly sku, monthly sku, region): a few entries, searched in order.
type BreakEvens = Vec<((String, String, String), Option<i64>)>;

fn compare(
    book: &PriceBook,
    rounding: RoundingMode,
    month: &Period,
    r: &Resolved,
    monthly: &Product,
    break_even: &mut BreakEvens,
) -> Result<Comparison> {
    let r_count = r.item.count;
    // Each resource of an item is a line of its own, rounded on its own, so the item costs
    // `count` times one resource, and the break-even uptime is that of one resource: the plans
    // are compared by rating one resource, whatever the count.
    let one = EstimateItem {
        count: 1,
        ..r.item.clone()
    };
    let r = &Resolved {
        item: &one,
        region: r.region.clone(),
        ..*r
    };
    let count = Decimal::from(r_count);
    let times = |cost: Decimal| {
        cost.times(count)
            .or_overflow(|| format!("items[{}]: the cost of {r_count} resources", r.index))
    };
    let one_hourly = cost_alone(book, rounding, month, r, r.product, r.hours)?;
    let one_monthly = cost_alone(book, rounding, month, r, monthly, r.hours)?;
    let (hourly_cost, monthly_cost) = (times(one_hourly)?, times(one_monthly)?);
    let cheaper = match hourly_cost.cmp(&monthly_cost) {
        std::cmp::Ordering::Less => Cheaper::Hourly,
        std::cmp::Ordering::Greater => Cheaper::Monthly,
        std::cmp::Ordering::Equal => Cheaper::Equal,
    };
    // Cost never decreases with uptime, so a binary search over whole hours finds the first
    // hour at which the hourly plan costs at least the monthly one.
    let key = (r.product.sku.clone(), monthly.sku.clone(), r.region.clone());
    if let Some((_, found)) = break_even.iter().find(|(k, _)| *k == key) {
        return Ok(Comparison {
            hourly: hourly_cost,
            monthly: monthly_cost,
            cheaper,
            break_even_hours: *found,
            monthly_sku: monthly.sku.clone(),
        });
    }
    // A monthly plan costs the same at any uptime (a steady month), so the search's target,
    // and its result, are the same for every item of this sku, plan and region.
    let (mut lo, mut hi) = (0i64, month.hours());
    let at = |h: i64| cost_alone(book, rounding, month, r, r.product, Decimal::from(h));
    let break_even_hours = if at(hi)? < one_monthly {
        None
    } else {
        while lo < hi {
            // lo < hi <= 744: neither can leave the range.
            let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
            if at(mid)? >= one_monthly {
                hi = mid
            } else {
                lo = mid.saturating_add(1)
            }
        }
        Some(lo)
    };
    break_even.push((key, break_even_hours));
    Ok(Comparison {
        hourly: hourly_cost,
        monthly: monthly_cost,
        cheaper,
        break_even_hours,
        monthly_sku: monthly.sku.clone(),
    })
}

/// The JSON Schema of an estimate request.
pub fn request_schema() -> String {
    let mut text =
        serde_json::to_string_pretty(&schemars::schema_for!(EstimateRequest)).unwrap_or_default();
    text.push('\n');
    text
}

impl Estimate {
    /// The estimate's lines as the rating of its month: what a quote or an estimate document
    /// is built from.
    pub fn rating(&self) -> crate::rate::Rating {
        crate::rate::Rating {
            period: self.month,
            catalog: self.catalog.clone(),
            currency: self.currency.clone(),
            lines: self.lines.clone(),
            diagnostics: self.diagnostics.clone(),
            rejects: Vec::new(),
        }
    }
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "Estimate for {} ({}, {})",
            self.month.label(),
            self.catalog,
            format_instant(&self.month.start)
        )?;
        for (service, amount) in &self.summary.subtotals {
            writeln!(f, "  {service:<24} {amount:>12} {}", self.currency)?;
        }
        write!(
            f,
            "  {:<24} {:>12} {}",
            "Total", self.summary.total, self.currency
        )
    }
}
