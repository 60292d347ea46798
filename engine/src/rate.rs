//! Rating: quantities in, priced lines out. Cost = Quantity x Unit Price, at full precision.
//! Every line explains itself: quantity, unit, unit price, rule and a readable formula.
//!
//! [`rate`] prices metered quantities with a price book; [`reprice`] is the pricing view: the
//! same quantities under another price book (another provider, a what-if, next year's prices).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Charge, PriceBook};
use crate::error::{Error, Result};
use crate::event::Reject;
use crate::meter::{Diagnostic, Metered, Quantity, Unit};
use crate::models;
pub use crate::models::line::RatedLine;
use crate::money::{self, RoundingMode};
use crate::num::Arith;
use crate::time::Period;

/// All lines of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Rating {
    pub period: Period,
    /// The price list the lines were priced with.
    pub catalog: String,
    pub currency: String,
    pub lines: Vec<RatedLine>,
    pub diagnostics: Vec<Diagnostic>,
    pub rejects: Vec<Reject>,
}

/// Rounded subtotals per service and their total: the sums of the rounded lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub rounding: RoundingMode,
    #[schemars(with = "BTreeMap<String, String>")]
    pub subtotals: BTreeMap<String, Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub total: Decimal,
}

impl Rating {
    /// Rounds each line to the currency's minor unit, then sums per service and overall.
    pub fn summary(&self, rounding: RoundingMode) -> Summary {
        summarize(&self.lines, &self.currency, rounding)
    }
}

pub(crate) fn summarize(lines: &[RatedLine], currency: &str, rounding: RoundingMode) -> Summary {
    summarize_lines(lines, currency, rounding)
}

/// [`summarize`] over any lines, without copying them.
pub(crate) fn summarize_lines<'a>(
    lines: impl IntoIterator<Item = &'a RatedLine>,
    currency: &str,
    rounding: RoundingMode,
) -> Summary {
    let mut subtotals: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut total = money::round(Decimal::ZERO, currency, rounding);
    for l in lines {
        let net = money::round(l.amount, currency, rounding);
        let s = subtotals
            .entry(l.service.clone())
            .or_insert_with(|| money::round(Decimal::ZERO, currency, rounding));
        // Summaries are for display; a sum past the decimal range saturates rather than panics
        // (documents, which are what gets billed, check every sum).
        *s = s.sat_plus(net);
        total = total.sat_plus(net);
    }
    Summary {
        rounding,
        subtotals,
        total,
    }
}

/// Prices metered quantities with `book`.
pub fn rate(book: &PriceBook, metered: &Metered) -> Result<Rating> {
    // Quantities of one account, sku and region are rated together: free allowances and tiers
    // apply to the account's total, and a monthly cap to a resource's month.
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&Quantity>> = BTreeMap::new();
    for q in &metered.quantities {
        groups
            .entry((q.account.as_str(), q.sku.as_str(), q.region.as_str()))
            .or_default()
            .push(q);
    }
    let mut lines = Vec::with_capacity(metered.quantities.len());
    // A share of spend reads the other lines: rated after all of them.
    let mut derived = Vec::new();
    // Savings plans cover the usage lines: applied once they are all rated, before the shares.
    let mut plans = Vec::new();
    // Counters whose allowance the resources bring read the time lines: rated after them.
    let mut pooled = Vec::new();
    for ((_, sku, region), qs) in groups {
        let product = book.product(sku).ok_or_else(|| Error::NoPrice {
            catalog: book.id().to_string(),
            sku: sku.to_string(),
            region: region.to_string(),
            message: "the sku is not in this price list".into(),
        })?;
        for q in &qs {
            check_segment(book, q)?;
        }
        if matches!(product.charge, Charge::ShareOfSpend { .. }) {
            derived.push((product, qs));
        } else if matches!(product.charge, Charge::SavingsPlan { .. }) {
            plans.push((product, qs));
        } else if matches!(&product.charge, Charge::Counter { included, .. } if !included.is_empty())
        {
            pooled.push((product, qs));
        } else {
            models::rate(book, product, &qs, &mut lines)?;
        }
    }
    if !plans.is_empty() {
        models::savings_plan::apply(book, &plans, &metered.hourly, metered.period, &mut lines)?;
    }
    // After the plans (which need the lines in account order), before the shares (which read
    // these lines' amounts).
    let mut counted = Vec::new();
    for (product, qs) in pooled {
        models::counter::rate_with(book, product, &qs, &lines, &mut counted)?;
    }
    lines.append(&mut counted);
    let mut shares = Vec::new();
    for (product, qs) in derived {
        models::share_of_spend::rate_with(book, product, &qs, &lines, &mut shares)?;
    }
    lines.append(&mut shares);
    // Stable: within one resource and segment, the model's order stands (allowance, then tiers).
    fn key(l: &RatedLine) -> impl Ord + '_ {
        (&l.account, &l.sku, &l.region, &l.resource, l.segment)
    }
    crate::sort::sort_by(&mut lines, |a, b| key(a).cmp(&key(b)));
    tell_apart(&mut lines);
    if book.fixes_prices_at_order() {
        explain_kept_prices(book, &mut lines);
    }
    Ok(Rating {
        period: metered.period,
        catalog: book.id().to_string(),
        currency: book.currency().to_string(),
        lines,
        diagnostics: metered.diagnostics.clone(),
        rejects: metered.rejects.clone(),
    })
}

/// Gives each line of a resource and segment a key of its own: a second line with the same
/// account, sku, region, resource, segment and slice (a storage resource deleted and created
/// again within one month has two lives) is `part 2`, and so on. Corrections match an invoice's
/// lines by that key; two lines under one key would be matched wrongly (one of them lost).
fn tell_apart(lines: &mut [RatedLine]) {
    fn key(l: &RatedLine) -> impl Ord + '_ {
        (
            (&l.account, &l.sku, &l.region),
            (&l.resource, l.segment, &l.slice),
        )
    }
    // Positions in key order (ties in line order), through the shared sort: a map of these
    // keys would be one more copy of a B-tree in the calculator's download.
    let mut order: Vec<usize> = (0..lines.len()).collect();
    crate::sort::sort_by(&mut order, |&a, &b| match (lines.get(a), lines.get(b)) {
        (Some(x), Some(y)) => key(x).cmp(&key(y)).then(a.cmp(&b)),
        _ => a.cmp(&b),
    });
    let mut parts = Vec::new();
    let mut n = 0usize;
    for (k, &i) in order.iter().enumerate() {
        let prev = k.checked_sub(1).and_then(|p| order.get(p)).copied();
        let same = match (prev.and_then(|p| lines.get(p)), lines.get(i)) {
            (Some(a), Some(b)) => key(a) == key(b),
            _ => false,
        };
        n = if same { n.saturating_add(1) } else { 1 };
        if n > 1 {
            parts.push((i, n));
        }
    }
    for (i, n) in parts {
        if let Some(l) = lines.get_mut(i) {
            l.slice = Some(match &l.slice {
                Some(s) => format!("{s}, part {n}"),
                None => format!("part {n}"),
            });
        }
    }
}

/// A line priced by an older version than the one in force, because its resource was ordered
/// before a version for new resources only, says so.
fn explain_kept_prices(book: &PriceBook, lines: &mut [RatedLine]) {
    for l in lines.iter_mut().filter(|l| l.resource.is_some()) {
        let Some(now) = book.at(l.segment.start) else {
            continue;
        };
        let reference = now.reference();
        if l.catalog != reference {
            l.detail = format!(
                "{}; price fixed at order: {reference} applies to resources ordered from {}",
                l.detail,
                crate::time::format_instant(&now.effective_from)
            );
        }
    }
}

/// The pricing view: the same metered quantities, valued with another price book.
pub fn reprice(metered: &Metered, other: &PriceBook) -> Result<Rating> {
    rate(other, metered)
}

/// Time-split quantities must not straddle a price change of the book that prices them: that
/// would price part of the usage at the wrong price. Plans are priced at their start by rule.
fn check_segment(book: &PriceBook, q: &Quantity) -> Result<()> {
    if matches!(q.unit, Unit::Day | Unit::Month) {
        return Ok(());
    }
    if let Some(v) = book
        .versions()
        .iter()
        .find(|v| q.segment.start < v.effective_from && v.effective_from < q.segment.end)
    {
        return Err(Error::PriceBook(format!(
            "{} takes effect inside a metered segment ({}); meter the events again with this price book",
            v.reference(),
            q.segment.label()
        )));
    }
    Ok(())
}
