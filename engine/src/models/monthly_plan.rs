//! Monthly plans: a fixed price per month, whatever the use.
//!
//! - The order is the first `start`; a `delete` ends the plan but refunds nothing.
//! - Every started month is due. The first month is prorated by days:
//!   `(days_in_month - order_day + 1) / days_in_month x price`, the order day counting in full.
//! - `in_arrears`: the invoice of a month bills that month.
//!   `in_advance`: the prorated first month is billed at order (in the month of the order), and
//!   each following month in the invoice of the month before it.
//! - The price is the one in force when the service month (or the order) starts.
//!
//! Plans are billed by calendar month, so the period must be one.

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;

use crate::catalog::{PlanBilling, PriceBook, Product};
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::meter::{Ctx, Diagnostic, Group, Quantity, Unit};
use crate::models::required;
use crate::rate::{self, RatedLine};
use crate::time::{Period, days_in_month, format_instant};

/// The order instant and, if any, the deletion instant of a plan.
pub(crate) fn lifetime(
    group: &Group,
    diags: &mut Vec<Diagnostic>,
) -> Option<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut order = None;
    let mut deleted = None;
    for chunk in group.events.chunk_by(|a, b| a.at == b.at) {
        for e in crate::meter::at_one_instant(chunk, order.is_some() && deleted.is_none()) {
            match (e.kind, order, deleted) {
                (EventKind::Start, None, _) => order = Some(e.at),
                (EventKind::Delete, Some(_), None) => deleted = Some(e.at),
                (
                    EventKind::Stop | EventKind::Start | EventKind::Sample | EventKind::Increment,
                    Some(_),
                    None,
                ) => {}
                (_, None, _) => diags
                    .push(group.diagnostic(Some(e), "event before the plan was ordered: ignored")),
                (_, Some(_), Some(d)) => diags.push(group.diagnostic(
                    Some(e),
                    format!(
                        "event after the plan was deleted at {}: ignored",
                        format_instant(&d)
                    ),
                )),
            }
        }
    }
    order.map(|o| (o, deleted))
}

/// The calendar month a plan is billed for: the period's own, which the period must lie in
/// (a whole month, or a part of one such as a projection's "so far").
pub(crate) fn month_check(ctx: &Ctx) -> Result<Period> {
    let month = Period::month_of(ctx.period.start);
    if ctx.period.end > month.end {
        return Err(Error::Period(format!(
            "monthly plans and flat fees are billed by calendar month; {} spans more than one",
            ctx.period.label()
        )));
    }
    Ok(month)
}

pub(crate) fn meter(
    billing: PlanBilling,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    let Some((order, deleted)) = lifetime(group, diags) else {
        return Ok(());
    };
    let period = month_check(ctx)?;
    let alive_at = |t: DateTime<Utc>| order <= t && deleted.is_none_or(|d| d > t);
    let alive_in = |p: &Period| order < p.end && deleted.is_none_or(|d| d > p.start);
    let next = Period::month_of(period.end);
    let push = |out: &mut Vec<Quantity>,
                segment: Period,
                price_at: DateTime<Utc>,
                days: Option<i64>,
                detail: String| {
        out.push(Quantity {
            month_days: days.map(|_| days_in_month(segment.start)),
            ..group.quantity(
                segment,
                Decimal::from(days.unwrap_or(1)),
                if days.is_some() {
                    Unit::Day
                } else {
                    Unit::Month
                },
                price_at,
                detail,
            )
        });
    };
    let ordered_in_period = period.contains(order);
    let prorated = |out: &mut Vec<Quantity>| {
        let dim = days_in_month(order);
        // The order day is within its month (1..=dim).
        let days = dim.saturating_sub(i64::from(order.day())).saturating_add(1);
        let from = Period::month_of(order);
        let start = from
            .start
            .checked_add_signed(chrono::Duration::days(
                i64::from(order.day()).saturating_sub(1),
            ))
            .unwrap_or(from.start);
        let segment = Period {
            start,
            end: from.end,
        };
        let when = match billing {
            PlanBilling::InAdvance => "billed at order",
            PlanBilling::InArrears => "billed in arrears",
        };
        let detail = format!(
            "ordered {}: first month prorated, ({dim} - {} + 1) / {dim} days, {when}",
            format_instant(&order),
            order.day()
        );
        push(out, segment, order, Some(days), detail);
    };
    match billing {
        PlanBilling::InArrears => {
            if ordered_in_period {
                prorated(out);
            } else if alive_in(&period) {
                push(
                    out,
                    period,
                    period.start,
                    None,
                    format!("month {} billed in arrears", period.label()),
                );
            }
        }
        PlanBilling::InAdvance => {
            if ordered_in_period {
                prorated(out);
            }
            if alive_at(crate::time::last_instant(&period)) {
                push(
                    out,
                    next,
                    next.start,
                    None,
                    format!("month {} billed in advance", next.label()),
                );
            }
        }
    }
    Ok(())
}

pub(crate) fn rate(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    for q in qs {
        let (catalog, price) = book.price(&q.sku, &q.region, q.price_at)?;
        let monthly = required(price.monthly_price, "monthly_price", catalog, q)?;
        let divisor = Decimal::from(q.month_days.unwrap_or(1));
        let rule = if q.unit == Unit::Day {
            "monthly_plan/prorated_first_month"
        } else {
            "monthly_plan/month"
        };
        out.push(rate::line(
            q,
            product,
            catalog,
            q.quantity,
            monthly,
            "month",
            divisor,
            rule.into(),
            "",
        )?);
    }
    Ok(())
}
