//! Flat monthly fees (a support plan, a reserved address): the full monthly price for every
//! calendar month in which the resource exists, with no proration.

use rust_decimal::Decimal;

use crate::catalog::{Charge, PriceBook, Product};
use crate::error::Result;
use crate::models::lifecycle::{lifetime, month_check};
use crate::models::line::{self, RatedLine};
use crate::models::required;
use crate::quantity::{Ctx, Diagnostic, Group, Quantity, Unit};

pub(crate) fn meter(
    _charge: &Charge,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    months(ctx, group, out, diags, "flat fee for")
}

/// One month for the period's calendar month if the resource exists in it (ordered before its
/// end, not deleted before its start), explained as `what` and the month.
pub(crate) fn months(
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
    what: &str,
) -> Result<()> {
    let Some((order, deleted)) = lifetime(group, diags) else {
        return Ok(());
    };
    let period = month_check(ctx)?;
    if order < period.end && deleted.is_none_or(|d| d > period.start) {
        out.push(group.quantity(
            period,
            Decimal::ONE,
            Unit::Month,
            order.max(period.start),
            format!("{what} {}", period.label()),
        ));
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
        out.push(line::line(
            q,
            product,
            catalog,
            q.quantity,
            monthly,
            "month",
            Decimal::ONE,
            "flat/month".into(),
            "",
        )?);
    }
    Ok(())
}
