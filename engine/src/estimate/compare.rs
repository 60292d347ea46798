//! The hourly and monthly plans of an instance compared, and the break-even uptime: more runs
//! of the invoicing path on one resource.

use rust_decimal::Decimal;

use crate::catalog::{PriceBook, Product};
use crate::error::Result;
use crate::money::RoundingMode;
use crate::num::{Arith, OrOverflow};
use crate::rate::{rate, summarize};
use crate::time::Period;

use super::request::EstimateItem;
use super::resolve::Resolved;
use super::usage::{meter_month, write_usage};
use super::{Cheaper, Comparison};

/// The cost of the item alone, under `billed`, at `hours` of uptime: the invoicing path again.
pub(super) fn cost_alone(
    book: &PriceBook,
    rounding: RoundingMode,
    month: &Period,
    r: &Resolved,
    billed: &Product,
    hours: Decimal,
) -> Result<Decimal> {
    let mut events = Vec::new();
    write_usage(r, billed, hours, month, &mut events);
    let rating = rate(book, &meter_month(book, month, &events)?)?;
    Ok(summarize(&rating.lines, book.currency(), rounding).total)
}

/// Break-even hours by (hourly sku, monthly sku, region): a few entries, searched in order.
pub(super) type BreakEvens = Vec<((String, String, String), Option<i64>)>;

pub(super) fn compare(
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
