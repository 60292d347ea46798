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

use crate::catalog::{Charge, PriceBook, Product, Tier, Tiering};
use crate::error::{Error, Result};
use crate::meter::{Ctx, Group, Quantity, Unit};
use crate::models::required;
use crate::num::{Arith, OrOverflow};
use crate::rate::{self, RatedLine};

pub(crate) fn meter(unit: &str, ctx: &Ctx, group: &Group, out: &mut Vec<Quantity>) -> Result<()> {
    let mut resources: Vec<&str> = group.events.iter().map(|e| e.resource.as_str()).collect();
    resources.sort_unstable();
    resources.dedup();
    for seg in ctx.segments {
        let mut total = Decimal::ZERO;
        let mut n = 0usize;
        for e in group.events.iter().filter(|e| seg.contains(e.at)) {
            total = total.plus(e.quantity.unwrap_or_default()).ok_or_else(|| {
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

/// A slice of a segment's units at one price.
struct Slice {
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
    let Charge::Counter {
        price_per,
        free_allowance,
        tiering,
        package_size,
        ..
    } = &product.charge
    else {
        return Ok(());
    };
    let overflow = || {
        qs.first().map_or(String::new(), |q| {
            format!("counting `{}` for account `{}`", q.sku, q.account)
        })
    };
    let total = crate::num::sum(qs.iter().map(|q| q.quantity)).or_overflow(overflow)?;
    // Position of the cumulative count at the start of each segment (segments are in order).
    let mut before = Decimal::ZERO;
    for q in qs {
        let (catalog, price) = book.price(&q.sku, &q.region, q.price_at)?;
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
                    "free allowance of {} per period",
                    free_allowance.normalize()
                ),
                package: false,
                slice: Some("free allowance".into()),
            });
        }
        // Units past the allowance, in the billable count's own coordinates.
        // Both are non-negative and the allowance is bounded, so these stay in range.
        let (ba, bb) = (
            a.less(*free_allowance).max(Decimal::ZERO),
            b.less(*free_allowance).max(Decimal::ZERO),
        );
        let billable = bb.less(ba);
        if bb > ba {
            match tiering {
                Tiering::None => {
                    let unit_price = required(price.unit_price, "unit_price", catalog, q)?;
                    slices.push(Slice {
                        units: billable,
                        unit_price,
                        note: String::new(),
                        package: false,
                        slice: None,
                    });
                }
                Tiering::Graduated => {
                    let tiers = tiers(price.tiers.as_deref(), catalog, q)?;
                    let mut lower = Decimal::ZERO;
                    for (k, t) in tiers.iter().enumerate() {
                        let units = overlap(ba, bb, lower, t.up_to);
                        if units > Decimal::ZERO {
                            slices.push(Slice {
                                units,
                                unit_price: t.unit_price,
                                note: tier_note(k, lower, t.up_to),
                                package: false,
                                slice: Some(format!("tier {}", k.saturating_add(1))),
                            });
                        }
                        lower = t.up_to.unwrap_or(lower);
                    }
                }
                Tiering::Volume => {
                    let tiers = tiers(price.tiers.as_deref(), catalog, q)?;
                    let billable_total = total.saturating_sub(*free_allowance).max(Decimal::ZERO);
                    let mut lower = Decimal::ZERO;
                    for (k, t) in tiers.iter().enumerate() {
                        if t.up_to.is_none_or(|u| billable_total <= u) {
                            let note = format!(
                                "volume: period total {} reaches {}",
                                billable_total.normalize(),
                                tier_note(k, lower, t.up_to)
                            );
                            slices.push(Slice {
                                units: billable,
                                unit_price: t.unit_price,
                                note,
                                package: false,
                                slice: None,
                            });
                            break;
                        }
                        lower = t.up_to.unwrap_or(lower);
                    }
                }
                Tiering::Package => {
                    let size = package_size.unwrap_or(Decimal::ONE);
                    let unit_price = required(price.unit_price, "unit_price", catalog, q)?;
                    // Packages started in this segment: ceil(b / size) - ceil(a / size).
                    // The catalog's package size is at least 1, so these are at most `bb`.
                    let packages = bb
                        .over(size)
                        .map(|x| x.ceil())
                        .zip(ba.over(size).map(|x| x.ceil()))
                        .and_then(|(x, y)| x.minus(y))
                        .or_overflow(overflow)?;
                    if packages > Decimal::ZERO {
                        let note = format!(
                            "{} {} in started packages of {}",
                            billable.normalize(),
                            q.unit.name(),
                            size.normalize()
                        );
                        slices.push(Slice {
                            units: packages,
                            unit_price,
                            note,
                            package: true,
                            slice: None,
                        });
                    }
                }
            }
        }
        for s in slices {
            let (price_unit, divisor) = if s.package {
                ("package".to_string(), Decimal::ONE)
            } else if *price_per == Decimal::ONE {
                (q.unit.name().to_string(), Decimal::ONE)
            } else {
                (
                    format!("{} {}", price_per.normalize(), q.unit.name()),
                    *price_per,
                )
            };
            let rule = format!("counter/{}", tiering_name(*tiering));
            let mut line = rate::line(
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
                line.formula =
                    line.formula
                        .replacen(&format!(" {} x", q.unit.name()), " packages x", 1);
            }
            out.push(line);
        }
    }
    Ok(())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

fn tiers<'a>(
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
fn overlap(a: Decimal, b: Decimal, lo: Decimal, hi: Option<Decimal>) -> Decimal {
    let top = hi.map_or(b, |h| b.min(h));
    // Non-negative bounds: the difference of two of them stays in range.
    top.less(a.max(lo)).max(Decimal::ZERO)
}

fn tier_note(k: usize, lower: Decimal, up_to: Option<Decimal>) -> String {
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
