//! Estimates: an estimate is the invoice of a hypothetical month.
//!
//! The request describes a setup (items: a sku, a count, a plan, an expected uptime, GB, egress
//! or requests). [`estimate`] writes the usage events that setup would produce in the month, then
//! meters and rates them with [`crate::meter()`] and [`crate::rate()`], the path invoices take.
//! There is no second formula: the hourly and monthly costs of an instance, and the break-even
//! uptime between them, are found by rating the same synthetic usage under each plan.

mod commitments;
mod compare;
mod request;
mod resolve;
mod usage;

pub use commitments::{PaymentOption, payment_options, projection, term_months};
pub use request::{
    EstimateItem, EstimateRequest, ItemFields, MAX_COUNT, MAX_ITEMS, MAX_RESOURCES, Plan, Upfront,
    Uptime, item_fields, product_kind, request_schema,
};

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::PriceBook;
use crate::error::Result;
use crate::meter::Diagnostic;
use crate::money::RoundingMode;
use crate::rate::{RatedLine, Summary, rate, summarize, summarize_lines};
use crate::time::{Period, format_instant};

use compare::{BreakEvens, compare};
use resolve::{Resolved, counter_skus, req_err, resolve};
use usage::{item_of, meter_month, write_usage};

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

/// A document's line amounts (converted and after adjustments, as the document shows them)
/// summed per value of the estimate lines' tag `key` (`item`, `group`); lines without the tag
/// are summed under "". `doc` must be built from this estimate's rating, so its lines are the
/// estimate's lines in the same order; `None` if they are not, or on overflow.
pub fn amounts_by_tag(
    est: &Estimate,
    doc: &crate::document::Document,
    key: &str,
) -> Option<BTreeMap<String, Decimal>> {
    if est.lines.len() != doc.lines.len()
        || est
            .lines
            .iter()
            .zip(&doc.lines)
            .any(|(a, b)| a.sku != b.sku)
    {
        return None;
    }
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for (line, shown) in est.lines.iter().zip(&doc.lines) {
        let at = out
            .entry(line.tags.get(key).cloned().unwrap_or_default())
            .or_insert(Decimal::ZERO);
        *at = at.checked_add(shown.amount)?;
    }
    Some(out)
}

/// The estimate's line amounts at list price (before any adjustment) converted and rounded one
/// by one as a document in `currency` converts its lines, summed per value of the tag `key`.
/// With no adjustment, the same figures as [`amounts_by_tag`] on that document; `None` on
/// overflow.
pub fn list_amounts_by_tag(
    est: &Estimate,
    stamp: Option<&crate::fx::FxStamp>,
    currency: &str,
    rounding: RoundingMode,
    key: &str,
) -> Option<BTreeMap<String, Decimal>> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for line in &est.lines {
        let shown = crate::document::convert(line.amount, stamp, currency, rounding)?;
        let at = out
            .entry(line.tags.get(key).cloned().unwrap_or_default())
            .or_insert(Decimal::ZERO);
        *at = at.checked_add(shown)?;
    }
    Some(out)
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
    let metered = meter_month(book, &month, &events)?;
    let mut rating = rate(book, &metered)?;
    tag_shared_counters(&mut rating.lines, &resolved);
    let currency = book.currency().to_string();
    let summary = summarize(&rating.lines, &currency, request.rounding);

    let items = item_estimates(book, request.rounding, &month, &resolved, &rating.lines)?;
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

/// Which item each counter sku's line belongs to: the first item that feeds it.
fn counter_owners<'a>(resolved: &[Resolved<'a>]) -> BTreeMap<&'a str, usize> {
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for r in resolved {
        for sku in counter_skus(r) {
            owner.entry(sku).or_insert(r.index);
        }
    }
    owner
}

/// A counter line is an account total: fed by several items, it keeps only the tags their
/// events share, so it lost `item` (and `group` when theirs differ). It is the first feeding
/// item's line, as its cost is (see [`item_estimates`]): it gets that item's tags, so that a
/// discount on that item and the amounts per item and per group take it whole.
fn tag_shared_counters(lines: &mut [RatedLine], resolved: &[Resolved]) {
    let owner = counter_owners(resolved);
    for l in lines.iter_mut().filter(|l| l.resource.is_none()) {
        if l.tags.contains_key("item") {
            continue;
        }
        let Some(r) = owner.get(l.sku.as_str()).and_then(|i| resolved.get(*i)) else {
            continue;
        };
        l.tags.insert("item".to_string(), r.index.to_string());
        match r.item.group.as_deref().filter(|g| !g.is_empty()) {
            Some(g) => {
                l.tags.insert("group".to_string(), g.to_string());
            }
            None => {
                l.tags.remove("group");
            }
        }
    }
}

/// Each item's part of the month: the cost of its lines (a resource line by its resource's
/// prefix, a counter line, an account total, with the first item that feeds its sku) and, for
/// an instance sold both ways, the plans compared.
fn item_estimates(
    book: &PriceBook,
    rounding: RoundingMode,
    month: &Period,
    resolved: &[Resolved],
    lines: &[RatedLine],
) -> Result<Vec<ItemEstimate>> {
    let currency = book.currency();
    // Item summaries: resource lines by prefix; a counter line (an account total) goes to the
    // first item that feeds its sku.
    let counter_owner = counter_owners(resolved);
    // The break-even uptime depends on the sku, its monthly plan and the region only, not on
    // the item's uptime or count: found once per such triple.
    let mut break_even: BreakEvens = Vec::new();
    // Each line to its item, in one pass: a resource line by its resource's prefix, a counter
    // line to the item that owns its sku.
    let mut by_item: Vec<Vec<&RatedLine>> = vec![Vec::new(); resolved.len()];
    for l in lines {
        let owner = match &l.resource {
            Some(res) => item_of(res),
            None => counter_owner.get(l.sku.as_str()).copied(),
        };
        if let Some(mine) = owner.and_then(|i| by_item.get_mut(i)) {
            mine.push(l);
        }
    }
    let mut items = Vec::with_capacity(resolved.len());
    for r in resolved {
        let mine = by_item.get(r.index).map(Vec::as_slice).unwrap_or_default();
        let cost = summarize_lines(mine.iter().copied(), currency, rounding).total;
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
            Some(monthly) => Some(compare(book, rounding, month, r, monthly, &mut break_even)?),
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
    Ok(items)
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

    /// Whether a savings plan covers some of item `index`'s usage: its lines then cost less
    /// than the on-demand figures its plan comparison weighs.
    pub fn covered_by_savings_plan(&self, index: usize) -> bool {
        let index = index.to_string();
        self.lines
            .iter()
            .any(|l| l.rule.starts_with("savings_plan/") && l.tags.get("item") == Some(&index))
    }

    /// The label given to the item that line `i` of this estimate belongs to, by the line's
    /// `item` tag: what a printed quote shows above the product's description. A document
    /// built on the estimate has its lines in the same order; `sku` is the document line's, and
    /// a line of another sku has no label. A counter line (egress, requests), an account
    /// total, is the first feeding item's, as its cost and its discounts are (it had none: it
    /// was looked up by resource, and counters have none).
    pub fn label_of_line(&self, i: usize, sku: &str) -> Option<&str> {
        let line = self.lines.get(i).filter(|l| l.sku == sku)?;
        let index: usize = line.tags.get("item")?.parse().ok()?;
        let item = self.items.iter().find(|it| it.index == index)?;
        item.label.as_deref().filter(|l| !l.trim().is_empty())
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
