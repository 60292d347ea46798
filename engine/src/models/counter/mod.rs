//! Counters (egress GB, requests, GB-seconds): increments summed per account, sku, region and
//! price segment.
//!
//! Rating applies, to the account's period total and in time order across segments:
//! 1. the free allowance (the first units of the period cost nothing);
//! 2. the tiers: `none` (one unit price), `graduated` (each tier prices the units that fall in
//!    it), `volume` (the tier the total reaches prices every unit) or `package` (a price per
//!    started package of `package_size` units).
//!
//! Prices are per `price_per` units (1,000,000 for a price per million requests).

use rust_decimal::Decimal;

use crate::catalog::{Catalog, Charge, Price, PriceBook, Product, Tier, Tiering};
use crate::error::{Error, Result};
use crate::models::line::{self, RatedLine};
use crate::num::{Arith, OrOverflow};
use crate::quantity::{Ctx, Diagnostic, Group, Quantity, Unit};

pub(crate) fn meter(
    charge: &Charge,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    _diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    let Charge::Counter { unit, .. } = charge else {
        return Ok(());
    };
    let mut resources: Vec<&str> = group.events.iter().map(|e| e.resource.as_str()).collect();
    crate::sort::sort(&mut resources);
    resources.dedup();
    for seg in ctx.segments {
        let mut total = Decimal::ZERO;
        let mut n = 0usize;
        for e in group.events.iter().filter(|e| seg.contains(e.at)) {
            let units = match &e.function {
                Some(f) => f.gb_seconds(),
                None => Some(e.quantity.unwrap_or_default()),
            };
            total = units.and_then(|u| total.plus(u)).ok_or_else(|| {
                Error::Overflow(format!(
                    "summing `{}` for account `{}`",
                    group.sku, group.account
                ))
            })?;
            n = n.saturating_add(1);
        }
        if n == 0 {
            continue;
        }
        out.push(group.quantity(
            *seg,
            total.normalize(),
            Unit::Count(unit.to_string()),
            seg.start,
            format!(
                "{n} {} from {} {}",
                plural(n, "increment"),
                resources.len(),
                plural(resources.len(), "resource")
            ),
        ));
    }
    Ok(())
}

/// The requests a function's invocations make, per price segment, as quantities of the counter
/// `sku` (of `unit`) that prices them: rated with that counter's own increments and allowance.
pub(crate) fn meter_requests(
    ctx: &Ctx,
    group: &Group,
    sku: &str,
    unit: &str,
    out: &mut Vec<Quantity>,
) -> Result<()> {
    for seg in ctx.segments {
        let mut total = Decimal::ZERO;
        let mut n = 0usize;
        for e in group.events.iter().filter(|e| seg.contains(e.at)) {
            let Some(f) = &e.function else { continue };
            total = total.plus(f.requests()).ok_or_else(|| {
                Error::Overflow(format!(
                    "summing the invocations of `{}` for account `{}`",
                    group.sku, group.account
                ))
            })?;
            n = n.saturating_add(1);
        }
        if n == 0 || total.is_zero() {
            continue;
        }
        let mut q = group.quantity(
            *seg,
            total.normalize(),
            Unit::Count(unit.to_string()),
            seg.start,
            format!(
                "invocations of `{}` in {n} {}",
                group.sku,
                plural(n, "increment")
            ),
        );
        q.sku = sku.to_string();
        out.push(q);
    }
    Ok(())
}

mod graduated;
mod package;
mod unit;
mod volume;

/// The units of one segment past the free allowance, as a tiering scheme sees them: the four
/// schemes (one file each) turn it into slices at one price each.
pub(super) struct Billable<'a> {
    /// Where the segment's billable units start and end in the period's billable count.
    from: Decimal,
    to: Decimal,
    /// `to - from`.
    units: Decimal,
    /// The period's billable total (volume tiering prices by it).
    period_total: Decimal,
    price: &'a Price,
    catalog: &'a Catalog,
    q: &'a Quantity,
    package_size: Decimal,
}

/// A slice of a segment's units at one price.
pub(super) struct Slice {
    units: Decimal,
    unit_price: Decimal,
    /// Tier label for the formula ("tier 2", "free allowance").
    note: String,
    /// Package counting: price per started package.
    package: bool,
    /// The line's slice (`free allowance`, `tier 2`) where a segment has several.
    slice: Option<String>,
}

pub(crate) fn rate(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    rate_with(book, product, qs, &[], out)
}

/// Rates the counter; with `included` units, from the lines already rated (`lines`): the hours
/// of the account's resources of those skus in the counter's region bring their share of the
/// allowance, pooled.
pub(crate) fn rate_with(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    lines: &[RatedLine],
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    let Charge::Counter {
        price_per,
        free_allowance,
        allowance_in_first_tier,
        tiering,
        package_size,
        included,
        ..
    } = &product.charge
    else {
        return Ok(());
    };
    // One quantity per segment, in time order: a function's requests come from another group
    // than the counter's own increments (and several functions may name one counter); they
    // are added up, so that a segment has one line per slice, as a correction matches them.
    let mut merged: Vec<Quantity> = Vec::with_capacity(qs.len());
    let mut sorted = qs.to_vec();
    crate::sort::sort_by(&mut sorted, |a, b| {
        (a.segment.start, &a.detail).cmp(&(b.segment.start, &b.detail))
    });
    for q in sorted {
        match merged.last_mut() {
            Some(last) if last.segment == q.segment => {
                last.quantity = last.quantity.plus(q.quantity).ok_or_else(|| {
                    Error::Overflow(format!("counting `{}` for account `{}`", q.sku, q.account))
                })?;
                last.detail = format!("{}; {}", last.detail, q.detail);
                last.tags.retain(|k, v| q.tags.get(k) == Some(v));
            }
            _ => merged.push(q.clone()),
        }
    }
    let refs: Vec<&Quantity> = merged.iter().collect();
    let qs = refs.as_slice();
    let overflow = || {
        qs.first().map_or(String::new(), |q| {
            format!("counting `{}` for account `{}`", q.sku, q.account)
        })
    };
    // The pool: each resource's hours over the catalog's hours per month, times its units.
    let mut pool = Decimal::ZERO;
    let mut resource_hours = Decimal::ZERO;
    if let Some(q) = qs.first() {
        for inc in included {
            for l in lines.iter().filter(|l| {
                l.account == q.account
                    && l.region == q.region
                    && l.sku == inc.sku
                    && matches!(l.unit, Unit::Second | Unit::Minute | Unit::Hour)
            }) {
                let (catalog, _) = book.price(&l.sku, &l.region, l.segment.start)?;
                let month = Decimal::from(catalog.hours_per_month.hours_at(l.segment.start));
                let hours = l.quantity.over(l.divisor).or_overflow(overflow)?;
                resource_hours = resource_hours.plus(hours).or_overflow(overflow)?;
                pool = hours
                    .times(inc.per_month)
                    .and_then(|x| x.over(month))
                    .and_then(|x| x.plus(pool))
                    .or_overflow(overflow)?;
            }
        }
    }
    let free_allowance = &free_allowance.plus(pool).or_overflow(overflow)?;
    let pooled = if included.is_empty() {
        String::new()
    } else {
        format!(
            ", {} of it brought by {} resource-hours",
            pool.round_dp(6).normalize(),
            resource_hours.normalize()
        )
    };
    let total = crate::num::sum(qs.iter().map(|q| q.quantity)).or_overflow(overflow)?;
    // Position of the cumulative count at the start of each segment (segments are in order).
    let mut before = Decimal::ZERO;
    for q in qs {
        let (catalog, price) = book.price_of(q)?;
        let (a, b) = (before, before.plus(q.quantity).or_overflow(overflow)?);
        before = b;
        let mut slices = Vec::new();
        // 1. Free allowance.
        let free = overlap(a, b, Decimal::ZERO, Some(*free_allowance));
        if free > Decimal::ZERO {
            slices.push(Slice {
                units: free,
                unit_price: Decimal::ZERO,
                note: format!(
                    "free allowance of {} per period{pooled}",
                    free_allowance.round_dp(6).normalize()
                ),
                package: false,
                slice: Some("free allowance".into()),
            });
        }
        // Units past the allowance, in the coordinates the tiers count in: the billable count's
        // own (the tiers start after the free units), or the period's whole count when the
        // allowance is inside the first tier. Both are non-negative and the allowance is
        // bounded, so these stay in range.
        let (ba, bb, tiered_total) = if *allowance_in_first_tier {
            (a.max(*free_allowance), b.max(*free_allowance), total)
        } else {
            (
                a.less(*free_allowance).max(Decimal::ZERO),
                b.less(*free_allowance).max(Decimal::ZERO),
                total.less(*free_allowance).max(Decimal::ZERO),
            )
        };
        let billable = bb.less(ba);
        if bb > ba {
            let span = Billable {
                from: ba,
                to: bb,
                units: billable,
                period_total: tiered_total,
                price,
                catalog,
                q,
                package_size: package_size.unwrap_or(Decimal::ONE),
            };
            let scheme: fn(&Billable) -> Result<Vec<Slice>> = match tiering {
                Tiering::None => unit::slices,
                Tiering::Graduated => graduated::slices,
                Tiering::Volume => volume::slices,
                Tiering::Package => package::slices,
            };
            slices.extend(scheme(&span).map_err(|e| match e {
                Error::Overflow(_) => Error::Overflow(overflow()),
                other => other,
            })?);
        }
        for s in slices {
            out.push(slice_line(s, q, product, catalog, *price_per, *tiering)?);
        }
    }
    Ok(())
}

/// The line of one slice: its units at its price, per `price_per` units (or per package).
fn slice_line(
    s: Slice,
    q: &Quantity,
    product: &Product,
    catalog: &Catalog,
    price_per: Decimal,
    tiering: Tiering,
) -> Result<RatedLine> {
    let (price_unit, divisor) = if s.package {
        ("package".to_string(), Decimal::ONE)
    } else if price_per == Decimal::ONE {
        (q.unit.name().to_string(), Decimal::ONE)
    } else {
        (
            format!("{} {}", price_per.normalize(), q.unit.name()),
            price_per,
        )
    };
    let rule = format!("counter/{}", tiering_name(tiering));
    let mut line = line::line(
        q,
        product,
        catalog,
        s.units,
        s.unit_price,
        &price_unit,
        divisor,
        rule,
        &s.note,
    )?;
    line.slice = s.slice;
    if s.package {
        line.unit = Unit::Count("package".into());
        line.formula = line
            .formula
            .replacen(&format!(" {} x", q.unit.name()), " packages x", 1);
    }
    Ok(line)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

pub(super) fn tiers<'a>(
    tiers: Option<&'a [Tier]>,
    catalog: &crate::catalog::Catalog,
    q: &Quantity,
) -> Result<&'a [Tier]> {
    tiers.ok_or_else(|| Error::NoPrice {
        catalog: catalog.reference(),
        sku: q.sku.clone(),
        region: q.region.clone(),
        message: "the price has no `tiers`".into(),
    })
}

/// Units of `[a, b)` that fall in `[lo, hi)` (`hi` none: unbounded).
pub(super) fn overlap(a: Decimal, b: Decimal, lo: Decimal, hi: Option<Decimal>) -> Decimal {
    let top = hi.map_or(b, |h| b.min(h));
    // Non-negative bounds: the difference of two of them stays in range.
    top.less(a.max(lo)).max(Decimal::ZERO)
}

pub(super) fn tier_note(k: usize, lower: Decimal, up_to: Option<Decimal>) -> String {
    match up_to {
        Some(u) => format!(
            "tier {}: {} to {}",
            k.saturating_add(1),
            lower.normalize(),
            u.normalize()
        ),
        None => format!("tier {}: above {}", k.saturating_add(1), lower.normalize()),
    }
}

fn tiering_name(t: Tiering) -> &'static str {
    match t {
        Tiering::None => "unit",
        Tiering::Graduated => "graduated",
        Tiering::Volume => "volume",
        Tiering::Package => "package",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_of_ranges() {
        let d = Decimal::from;
        assert_eq!(overlap(d(0), d(100), d(0), Some(d(75))), d(75));
        assert_eq!(overlap(d(80), d(100), d(0), Some(d(75))), d(0));
        assert_eq!(overlap(d(50), d(100), d(75), None), d(25));
    }
}
