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

use crate::catalog::{Charge, PlanBilling, PriceBook, Product};
use crate::error::Result;
use crate::models::lifecycle::{lifetime, month_check};
use crate::models::line::{self, RatedLine};
use crate::models::required;
use crate::quantity::{Ctx, Diagnostic, Group, Quantity, Unit};
use crate::time::{Period, days_in_month, format_instant};

pub(crate) fn meter(
    charge: &Charge,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    let Charge::MonthlyPlan { billing } = *charge else {
        return Ok(());
    };
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
        let (catalog, price) = book.price_of(q)?;
        let monthly = required(price.monthly_price, "monthly_price", catalog, q)?;
        let divisor = Decimal::from(q.month_days.unwrap_or(1));
        let rule = if q.unit == Unit::Day {
            "monthly_plan/prorated_first_month"
        } else {
            "monthly_plan/month"
        };
        out.push(line::line(
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
