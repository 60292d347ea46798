//! A share of the month's spend (support plans, management fees): for each calendar month the
//! subscription exists in, graduated tiers of the account's spend on some services, each at a
//! rate (`0.10` is 10 %), with a monthly minimum. DOMAIN.md: "a percentage of the month's spend
//! on a set of services, often tiered (10 % of the first 10,000, 7 % above) and with a minimum
//! per month. It is rated after the charges it reads."
//!
//! Metering is the flat fee's (one month per month the subscription exists in); rating reads the
//! lines already rated ([`crate::rate()`] rates this model last), at their rated amounts: before
//! commitments, discounts and credits, which apply to documents.

use rust_decimal::Decimal;

use crate::catalog::{Charge, PlanBilling, PriceBook, Product};
use crate::error::Result;
use crate::models::flat;
use crate::models::line::{self, RatedLine};
use crate::num::{Arith, OrOverflow};
use crate::quantity::{Ctx, Diagnostic, Group, Quantity, Unit};

pub(crate) fn meter(
    _charge: &Charge,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    flat::months(ctx, group, out, diags, "subscribed for")
}

/// Whether `l` is a monthly plan's fee billed in advance.
fn billed_in_advance(book: &PriceBook, l: &RatedLine) -> bool {
    matches!(
        book.product(&l.sku).map(|p| &p.charge),
        Some(Charge::MonthlyPlan {
            billing: PlanBilling::InAdvance
        })
    )
}

/// Rated only with the lines it reads, by [`rate_with`]; alone it has nothing to read.
pub(crate) fn rate(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    rate_with(book, product, qs, &[], out)
}

/// The share of each subscribed month, from `spent`: the lines rated before it.
pub(crate) fn rate_with(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    spent: &[RatedLine],
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    let Charge::ShareOfSpend { services } = &product.charge else {
        return Ok(());
    };
    let scope = if services.is_empty() {
        format!("every service but {}", product.service)
    } else {
        services.join(", ")
    };
    for q in qs {
        let (catalog, price) = book.price_of(q)?;
        let cur = catalog.currency.as_str();
        // The month's spend is what is billed in it: a plan billed in advance bills next
        // month's fee at the end of this one (its segment starts where this one ends). Read by
        // its segment alone, it would be in no month's base (next month's invoice does not
        // carry it), where the estimate of a month counts one month of it.
        let reads = |l: &&RatedLine| {
            l.account == q.account
                && l.service != product.service
                && (services.is_empty() || services.contains(&l.service))
                && ((q.segment.start <= l.segment.start && l.segment.end <= q.segment.end)
                    || (l.segment.start == q.segment.end && billed_in_advance(book, l)))
        };
        let overflow = || format!("the spend under `{}` of account `{}`", q.sku, q.account);
        let base = crate::num::sum(spent.iter().filter(reads).map(|l| l.amount))
            .or_overflow(overflow)?
            .normalize();
        let tiers = price.tiers.as_deref().unwrap_or_default();
        let many = tiers.len() > 1;
        let mut fee = Decimal::ZERO;
        let mut lower = Decimal::ZERO;
        for (k, t) in tiers.iter().enumerate() {
            let top = t.up_to.map_or(base, |u| base.min(u));
            let in_tier = top.less(lower).max(Decimal::ZERO);
            if in_tier > Decimal::ZERO || k == 0 {
                let mut l = line::line(
                    q,
                    product,
                    catalog,
                    in_tier,
                    t.unit_price,
                    &format!("{cur} spent"),
                    Decimal::ONE,
                    "share_of_spend/graduated".into(),
                    "",
                )?;
                let percent = t
                    .unit_price
                    .times(Decimal::ONE_HUNDRED)
                    .or_overflow(overflow)?;
                let range = match (many, t.up_to) {
                    (false, _) => String::new(),
                    (true, Some(u)) => format!(
                        ", tier {}: {} to {}",
                        k.saturating_add(1),
                        lower.normalize(),
                        u.normalize()
                    ),
                    (true, None) => format!(
                        ", tier {}: above {}",
                        k.saturating_add(1),
                        lower.normalize()
                    ),
                };
                l.unit = Unit::Count(format!("{cur} spent"));
                l.formula = format!(
                    "{} % of {} {cur} spent on {scope}{range}",
                    percent.normalize(),
                    in_tier
                );
                l.detail = format!("{}; the month's spend read: {base} {cur}", q.detail);
                l.slice = many.then(|| format!("tier {}", k.saturating_add(1)));
                fee = fee.plus(l.amount).or_overflow(overflow)?;
                out.push(l);
            }
            lower = t.up_to.unwrap_or(lower);
        }
        if let Some(minimum) = price.monthly_price.filter(|m| fee < *m) {
            let top_up = minimum.less(fee);
            let mut l = line::line(
                q,
                product,
                catalog,
                Decimal::ONE,
                top_up,
                "month",
                Decimal::ONE,
                "share_of_spend/minimum".into(),
                "",
            )?;
            l.formula = format!(
                "monthly minimum {} {cur}: {} {cur} more than the share of {} {cur}",
                minimum.normalize(),
                top_up.normalize(),
                fee.normalize()
            );
            l.slice = Some("minimum".into());
            out.push(l);
        }
    }
    Ok(())
}
