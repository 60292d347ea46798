//! The usage a resolved item would produce in the month, as the events a customer would send.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::catalog::{Charge, Measure, PlanBilling, PriceBook, Product};
use crate::error::Result;
use crate::event::{EventKind, UsageEvent};
use crate::meter::{Metered, meter};
use crate::time::Period;

use super::resolve::Resolved;

/// The account the synthetic usage is written under.
const ACCOUNT: &str = "estimate";

pub(super) fn resource_prefix(index: usize) -> String {
    format!("item-{index}/")
}

/// The item a synthetic resource belongs to (`item-3/0` is item 3's).
pub(super) fn item_of(resource: &str) -> Option<usize> {
    resource
        .strip_prefix("item-")
        .and_then(|r| r.split_once('/'))
        .and_then(|(i, _)| i.parse().ok())
}

/// The tags every event of an item carries: its index (`item`) and its group, if any.
fn item_tags(r: &Resolved) -> BTreeMap<String, String> {
    // Inserted: `BTreeMap::from` sorts its array with a second sort routine.
    let mut tags = BTreeMap::new();
    tags.insert("item".to_string(), r.index.to_string());
    if let Some(g) = r.item.group.as_deref().filter(|g| !g.is_empty()) {
        tags.insert("group".to_string(), g.to_string());
    }
    tags
}

/// Writes the events the item would produce in the month, under `billed`'s charge model.
pub(super) fn write_usage(
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
        id: format!("{resource}/{sku}/{tag}").into(),
        account: ACCOUNT.into(),
        resource: resource.into(),
        sku: sku.into(),
        region: r.region.as_str().into(),
        kind,
        at,
        quantity,
        tags: item_tags(r),
        function: None,
        dimensions: Default::default(),
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
            Charge::MonthlyPlan { .. } | Charge::Flat {} | Charge::ShareOfSpend { .. } => {
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
                    let mut e = ev(&res, &billed.sku, "create", kind, month.start, r.item.gb);
                    e.dimensions.clone_from(&r.item.dimensions);
                    out.push(e);
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
            // Bought at the month's start: the month is the term's first, upfront included.
            Charge::SavingsPlan { .. } => {
                let mut e = ev(
                    &res,
                    &billed.sku,
                    "buy",
                    EventKind::Start,
                    month.start,
                    r.item.commitment,
                );
                let upfront = r.item.upfront.unwrap_or_default();
                e.tags.insert("upfront".into(), upfront.name().into());
                out.push(e);
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
        let mut e = ev(
            &res,
            &billed.sku,
            "count",
            EventKind::Increment,
            month.start,
            q,
        );
        e.function = r.item.function.clone().map(Box::new);
        out.push(e);
    }
}

/// Hours as a duration, to the nanosecond.
pub(super) fn duration_of_hours(hours: Decimal) -> Duration {
    use rust_decimal::prelude::ToPrimitive;
    let nanos = hours
        .checked_mul(Decimal::from(3_600_000_000_000i64))
        .map(|n| n.round());
    Duration::nanoseconds(nanos.and_then(|n| n.to_i64()).unwrap_or(i64::MAX))
}

/// Meters the setup's month. A monthly plan billed in advance bills each month in the invoice
/// of the month before, so the month's own invoice holds the next month, at the next month's
/// price: the estimate takes that charge as the month's own, at the month's price (the same
/// quantity, the service month it pays for moved back by one).
pub(super) fn meter_month(
    book: &PriceBook,
    month: &Period,
    events: &[UsageEvent],
) -> Result<Metered> {
    let mut metered = meter(book, *month, events)?;
    for q in &mut metered.quantities {
        // An estimate is an order at the start of the month estimated (a plan's start the day
        // before only keeps its first month whole).
        if let Some(o) = q.ordered_at.as_mut() {
            *o = (*o).max(month.start);
        }
        let in_advance = matches!(
            book.product(&q.sku).map(|p| &p.charge),
            Some(Charge::MonthlyPlan {
                billing: PlanBilling::InAdvance
            })
        );
        if in_advance && q.segment.start == month.end {
            q.segment = *month;
            q.price_at = month.start;
            q.detail = format!("month {} billed in advance", month.label());
        }
    }
    Ok(metered)
}
