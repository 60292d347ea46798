//! Quantities over time (volumes, object storage), priced per GB-month.
//!
//! The time a resource exists is cut into hours (clock hours, or hours counted from its creation
//! with `elapsed`). Each started hour counts the largest GB in force during it: the provisioned
//! size for a volume (`start` with a quantity, resized by `sample`), or the largest stored sample
//! for object storage (a sample holds until the next one). The quantity is the sum, in GB-hours;
//! the price per GB-month is spread over the catalog's hours-per-month convention:
//! `cost = price / hours_per_month x GB x hours`.
//!
//! With `minimum_days`, a resource deleted before that many days is billed, in the segment of
//! its deletion, for the rest of the minimum: its size then times the remaining started hours
//! (S3 Glacier: "objects deleted ... before the minimum ... incur a pro-rated charge equal to the
//! storage charge for the remaining days").
//!
//! A price with `tiers` (S3's "first 50 TB / month, next 450 TB / month, over 500 TB / month")
//! prices the account's GB-months of each calendar month, graduated: the resources' quantities,
//! in time order (then by resource), fill the tiers, each piece at its tier's price.
// Integer time arithmetic: instants are nanoseconds in i128 within chrono's range (under 1e28
// in magnitude), units and hours are positive constants of at least one second. Sums and
// differences of a few such values stay far inside i128 (1.7e38), so these cannot overflow.
#![allow(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::catalog::{Charge, Dimension, Granularity, Measure, PriceBook, Product, TimeRounding};
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::models::line::{self, RatedLine};
use crate::models::required;
use crate::num::Arith;
use crate::quantity::{Ctx, Diagnostic, Group, Quantity, Unit};
use crate::time::{FloorDiv, HOUR_NS, format_instant, nanos};

/// One life of the resource, from creation to deletion, with its size changes.
struct Life {
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    /// (instant, GB) in order; the first is at `start`.
    sizes: Vec<(DateTime<Utc>, Decimal)>,
    /// For each provisioned dimension of the charge, (instant, units above its baseline) in
    /// order, from the events that set it.
    dims: Vec<Vec<(DateTime<Utc>, Decimal)>>,
}

impl Life {
    /// Its end as a line's detail says it.
    fn until(&self) -> String {
        self.end
            .map(|e| format_instant(&e))
            .unwrap_or_else(|| "still there".into())
    }
}

fn lives(
    measure: Measure,
    dimensions: &[Dimension],
    group: &Group,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Life> {
    let mut out = Vec::new();
    let mut cur: Option<Life> = None;
    // What an event sets of each dimension, above its baseline (a start sets each, at its
    // baseline when not given).
    let above = |d: &Dimension, e: &crate::event::UsageEvent, at_start: bool| {
        let v = e.dimensions.get(&d.name).copied();
        let v = if at_start {
            Some(v.unwrap_or(d.baseline))
        } else {
            v
        };
        v.map(|v| (e.at, v.less(d.baseline).max(Decimal::ZERO)))
    };
    for chunk in group.events.chunk_by(|a, b| a.at == b.at) {
        for e in crate::quantity::at_one_instant(chunk, cur.is_some()) {
            match (e.kind, cur.as_mut()) {
                (EventKind::Start, None) => match (measure, e.quantity) {
                    (Measure::Provisioned, None) => {
                        diags.push(group.diagnostic(
                            Some(e),
                            "start of a volume without its size (quantity): ignored",
                        ));
                    }
                    (_, q) => {
                        cur = Some(Life {
                            start: e.at,
                            end: None,
                            sizes: q.map(|q| vec![(e.at, q)]).unwrap_or_default(),
                            dims: dimensions
                                .iter()
                                .map(|d| above(d, e, true).into_iter().collect())
                                .collect(),
                        })
                    }
                },
                (EventKind::Start, Some(life)) => diags.push(group.diagnostic(
                    Some(e),
                    format!(
                        "start of a resource that exists since {}: ignored",
                        format_instant(&life.start)
                    ),
                )),
                (EventKind::Sample, Some(life)) => {
                    life.sizes.push((e.at, e.quantity.unwrap_or_default()));
                    for (d, set) in dimensions.iter().zip(life.dims.iter_mut()) {
                        set.extend(above(d, e, false));
                    }
                }
                (EventKind::Sample, None) => match measure {
                    // Object storage exists from its first measurement.
                    Measure::MaxPerHour => {
                        cur = Some(Life {
                            start: e.at,
                            end: None,
                            sizes: vec![(e.at, e.quantity.unwrap_or_default())],
                            dims: dimensions
                                .iter()
                                .map(|d| above(d, e, true).into_iter().collect())
                                .collect(),
                        });
                    }
                    Measure::Provisioned => {
                        diags.push(group.diagnostic(
                            Some(e),
                            "size sample of a volume that does not exist: ignored",
                        ));
                    }
                },
                (EventKind::Stop, _) => {
                    diags.push(group.diagnostic(
                        Some(e),
                        "stop ignored: storage is billed until it is deleted",
                    ));
                }
                (EventKind::Delete, Some(_)) => {
                    if let Some(mut life) = cur.take() {
                        life.end = Some(e.at);
                        out.push(life);
                    }
                }
                (EventKind::Delete, None) => {
                    diags.push(
                        group.diagnostic(
                            Some(e),
                            "delete of a resource that does not exist: ignored",
                        ),
                    );
                }
                (EventKind::Increment, _) => {}
            }
        }
    }
    out.extend(cur);
    out
}

pub(crate) fn meter(
    charge: &Charge,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    let Charge::Storage {
        measure,
        rounding,
        minimum_days,
        granularity,
        minimum_seconds,
        ref unit,
        ref dimensions,
    } = *charge
    else {
        return Ok(());
    };
    let how = Measured {
        measure,
        rounding,
        granularity: granularity.filter(|g| *g != Granularity::Hour),
        minimum_seconds,
    };
    for life in lives(measure, dimensions, group, diags) {
        if life.sizes.is_empty() || life.start >= ctx.period.end {
            continue;
        }
        if let (Some(days), Some(end)) = (minimum_days, life.end) {
            minimum_duration(ctx, group, &life, days, end, out)?;
        }
        how.quantities(ctx, group, &life, &life.sizes, unit.as_deref(), out)?;
        for (d, sizes) in dimensions.iter().zip(&life.dims) {
            if sizes.iter().all(|(_, v)| v.is_zero()) {
                continue;
            }
            let from = out.len();
            how.quantities(ctx, group, &life, sizes, Some(&d.name), out)?;
            for q in out.get_mut(from..).unwrap_or_default() {
                q.sku.clone_from(&d.sku);
                q.detail = format!(
                    "{} above the baseline of {}",
                    q.detail,
                    d.baseline.normalize()
                );
            }
        }
    }
    Ok(())
}

/// How a storage charge measures time: by started hours, or to the second (or minute).
struct Measured {
    measure: Measure,
    rounding: TimeRounding,
    granularity: Option<Granularity>,
    minimum_seconds: u32,
}

/// `sum + size x hours`, or `None` out of range.
fn add_hours(sum: Decimal, (size, hours): (Decimal, i64)) -> Option<Decimal> {
    if hours == 0 {
        return Some(sum);
    }
    size.times(Decimal::from(hours)).and_then(|x| sum.plus(x))
}

impl Measured {
    /// The quantities of one life's `sizes` (its GB, or a dimension's units above baseline),
    /// one per price segment, in `unit` (GB when none) x hours, or x seconds (minutes).
    fn quantities(
        &self,
        ctx: &Ctx,
        group: &Group,
        life: &Life,
        sizes: &[(DateTime<Utc>, Decimal)],
        unit: Option<&str>,
        out: &mut Vec<Quantity>,
    ) -> Result<()> {
        match self.granularity {
            None => self.hourly(ctx, group, life, sizes, unit, out),
            Some(g) => self.by_unit(ctx, group, life, sizes, g, unit.unwrap_or("GB"), out),
        }
    }

    fn hourly(
        &self,
        ctx: &Ctx,
        group: &Group,
        life: &Life,
        sizes: &[(DateTime<Utc>, Decimal)],
        unit: Option<&str>,
        out: &mut Vec<Quantity>,
    ) -> Result<()> {
        let (measure, rounding) = (self.measure, self.rounding);
        let start = nanos(life.start);
        let end = nanos(life.end.unwrap_or(ctx.period.end).min(ctx.period.end)).max(start);
        let origin = match rounding {
            TimeRounding::Elapsed => start,
            TimeRounding::Clock => start.floor_div(HOUR_NS) * HOUR_NS,
        };
        let p0 = nanos(ctx.period.start);
        // Hours k = first.. whose start lies in the period and before the end of the life.
        let first = (-((origin - p0).floor_div(HOUR_NS))).max(0);
        let last = -((origin - end).floor_div(HOUR_NS)); // ceil((end - origin) / HOUR_NS)
        let last = last.max(if end == start { 1 } else { 0 });
        let sizes: Vec<(i128, Decimal)> = sizes.iter().map(|(t, v)| (nanos(*t), *v)).collect();
        let mut cursor = 0usize;
        for seg in ctx.segments {
            let (s0, s1) = (nanos(seg.start), nanos(seg.end));
            let mut gb_hours = Decimal::ZERO;
            let mut hours = 0i64;
            let mut peak = Decimal::ZERO;
            // Hours of this segment: starts in [s0, s1), in order, so the cursor only moves on.
            let k0 = first.max(-((origin - s0).floor_div(HOUR_NS)));
            let k1 = last.min(-((origin - s1).floor_div(HOUR_NS)));
            let mut k = k0;
            // Hours of one size in a row are summed as one product when the size changes (the
            // same sum, without a product and a sum per hour).
            let mut run: (Decimal, i64) = (Decimal::ZERO, 0);
            let overflow = || Error::Overflow(format!("summing GB-hours of `{}`", group.resource));
            while k < k1 {
                let h0 = origin + k * HOUR_NS;
                let gb = max_in(&sizes, &mut cursor, h0.max(start), h0 + HOUR_NS);
                // No size change after this hour's start: it and every later hour of the
                // segment hold `gb`, so they are counted at once.
                let n = if cursor == sizes.len() { k1 - k } else { 1 };
                let n_hours = i64::try_from(n).unwrap_or(i64::MAX);
                if run.1 > 0 && run.0 != gb {
                    gb_hours = add_hours(gb_hours, run).ok_or_else(overflow)?;
                    run.1 = 0;
                }
                run = (gb, run.1.saturating_add(n_hours));
                peak = peak.max(gb);
                hours += n_hours;
                k += n;
            }
            gb_hours = add_hours(gb_hours, run).ok_or_else(overflow)?;
            if hours == 0 {
                continue;
            }
            let what = unit.unwrap_or("GB");
            let hours_of = match rounding {
                TimeRounding::Clock => "clock hour",
                TimeRounding::Elapsed => "started hour",
            };
            let how = match measure {
                Measure::Provisioned => format!("provisioned {what}, {hours_of}s"),
                Measure::MaxPerHour => format!("largest {what} in each {hours_of}"),
            };
            let until = life.until();
            out.push(group.quantity(
                *seg,
                gb_hours.normalize(),
                match unit {
                    None => Unit::GbHour,
                    Some(u) => Unit::Count(format!("{u}-hour")),
                },
                seg.start,
                format!(
                    "{} -> {until}: {hours} hours, {how}, peak {} {what}",
                    format_instant(&life.start),
                    peak.normalize()
                ),
            ));
        }
        Ok(())
    }

    /// To the second (or minute): the life's time rounded up to the unit, at least the
    /// minimum, each size for as long as it held, cut at the period and the price segments.
    #[allow(clippy::too_many_arguments)]
    fn by_unit(
        &self,
        ctx: &Ctx,
        group: &Group,
        life: &Life,
        sizes: &[(DateTime<Utc>, Decimal)],
        g: Granularity,
        unit: &str,
        out: &mut Vec<Quantity>,
    ) -> Result<()> {
        let unit_ns = i128::from(g.seconds()) * 1_000_000_000;
        let start = nanos(life.start);
        let end = match life.end {
            Some(e) => {
                let lived = (nanos(e) - start).max(0);
                let units = -((-lived).floor_div(unit_ns)); // started units
                (start + units * unit_ns)
                    .max(start + i128::from(self.minimum_seconds) * 1_000_000_000)
            }
            None => nanos(ctx.period.end),
        };
        let overflow = || Error::Overflow(format!("summing the usage of `{}`", group.resource));
        for seg in ctx.segments {
            let (a, b) = (start.max(nanos(seg.start)), end.min(nanos(seg.end)));
            if a >= b {
                continue;
            }
            // Each size holds from its instant to the next one's.
            let mut sum = Decimal::ZERO;
            let mut peak = Decimal::ZERO;
            for (k, (t, v)) in sizes.iter().enumerate() {
                let from = nanos(*t).max(a);
                let to = sizes.get(k + 1).map_or(b, |(n, _)| nanos(*n).min(b));
                if from >= to || v.is_zero() {
                    continue;
                }
                // Nanoseconds within chrono's range fit a decimal exactly.
                let span = Decimal::from_i128_with_scale(to - from, 0);
                sum = v
                    .times(span)
                    .and_then(|x| sum.plus(x))
                    .ok_or_else(overflow)?;
                peak = peak.max(*v);
            }
            if sum.is_zero() {
                continue;
            }
            let units = sum
                .over(Decimal::from_i128_with_scale(unit_ns, 0))
                .ok_or_else(overflow)?;
            let name = match g {
                Granularity::Minute => "minute",
                _ => "second",
            };
            let until = life.until();
            let minimum = if self.minimum_seconds > 0 {
                format!(", at least {} seconds", self.minimum_seconds)
            } else {
                String::new()
            };
            out.push(group.quantity(
                *seg,
                units.normalize(),
                Unit::Count(format!("{unit}-{name}")),
                seg.start,
                format!(
                    "{} -> {until}: provisioned {unit}, per {name}{minimum}, peak {} {unit}",
                    format_instant(&life.start),
                    peak.normalize()
                ),
            ));
        }
        Ok(())
    }
}

/// The rest of a minimum storage duration, for a life deleted at `end` before it: the size in
/// force when deleted times the remaining started hours, in the segment of the deletion, from
/// the deletion to the segment's end (a segment of its own, beside the stored hours' line).
fn minimum_duration(
    ctx: &Ctx,
    group: &Group,
    life: &Life,
    days: u32,
    end: DateTime<Utc>,
    out: &mut Vec<Quantity>,
) -> Result<()> {
    let Some(seg) = ctx.segments.iter().find(|s| s.contains(end)) else {
        return Ok(());
    };
    let min_end = nanos(life.start) + i128::from(days) * 24 * HOUR_NS;
    let left = min_end - nanos(end);
    if left <= 0 {
        return Ok(());
    }
    let hours = -((-left).floor_div(HOUR_NS)); // started hours
    let gb = life
        .sizes
        .iter()
        .rev()
        .find(|(t, _)| *t <= end)
        .map_or(Decimal::ZERO, |(_, v)| *v);
    if gb.is_zero() {
        return Ok(());
    }
    let n = i64::try_from(hours).unwrap_or(i64::MAX);
    let quantity = gb
        .times(Decimal::from(n))
        .ok_or_else(|| Error::Overflow(format!("the minimum duration of `{}`", group.resource)))?;
    out.push(group.quantity(
        crate::time::Period {
            start: end,
            end: seg.end,
        },
        quantity.normalize(),
        Unit::GbHour,
        end,
        format!(
            "{} -> deleted {}: the {n} remaining hours of the {days}-day minimum at {} GB",
            format_instant(&life.start),
            format_instant(&end),
            gb.normalize()
        ),
    ));
    Ok(())
}

/// The largest size in force during `[a, b)`: the size at `a` (the last change at or before it)
/// and every change inside the window. `cursor` is the first change after the previous
/// window's start; windows come in order, so it only moves forward.
fn max_in(sizes: &[(i128, Decimal)], cursor: &mut usize, a: i128, b: i128) -> Decimal {
    while *cursor < sizes.len() && sizes[*cursor].0 <= a {
        *cursor += 1;
    }
    let mut best = if *cursor > 0 {
        sizes[*cursor - 1].1
    } else {
        Decimal::ZERO
    };
    for (t, v) in &sizes[*cursor..] {
        if *t >= b {
            break;
        }
        best = best.max(*v);
    }
    best
}

pub(crate) fn rate(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    let mut qs: Vec<&Quantity> = qs.to_vec();
    crate::sort::sort_by(&mut qs, |a, b| {
        (a.segment.start, &a.resource).cmp(&(b.segment.start, &b.resource))
    });
    // The account's GB-hours of the month so far, for tiered prices.
    let mut used = Decimal::ZERO;
    let mut month = None;
    // Priced per month of what is measured (GB-month, IOPS-month), spread over the catalog's
    // hours per month, or over its seconds (minutes) when measured to the second (minute).
    let (what, per_hour) = match &product.charge {
        Charge::Storage {
            unit, granularity, ..
        } => (
            unit.as_deref().unwrap_or("GB"),
            match granularity {
                Some(g @ (Granularity::Second | Granularity::Minute)) => 3600 / g.seconds(),
                _ => 1,
            },
        ),
        _ => ("GB", 1),
    };
    let price_unit = format!("{what}-month");
    let rule = if per_hour == 1 {
        "storage/gb_month"
    } else {
        "storage/per_second"
    };
    for q in qs {
        let (catalog, price) = book.price_of(q)?;
        let hours = catalog.hours_per_month.hours_at(q.segment.start);
        if let Some(tiers) = &price.tiers {
            let m = crate::time::Period::month_of(q.segment.start).start;
            if month != Some(m) {
                month = Some(m);
                used = Decimal::ZERO;
            }
            let overflow = || Error::Overflow(format!("the tiers of `{}`", q.sku));
            let hours = Decimal::from(hours);
            let mut left = q.quantity;
            let mut lower = Decimal::ZERO;
            for (k, t) in tiers.iter().enumerate() {
                // Tier bounds are GB-months; the quantities GB-hours.
                let top = match t.up_to {
                    Some(u) => u.times(hours).ok_or_else(overflow)?,
                    None => Decimal::MAX,
                };
                let take = left.min(top.less(used).max(Decimal::ZERO));
                if take > Decimal::ZERO {
                    let range = match t.up_to {
                        Some(u) => format!("{} to {} GB-months", lower.normalize(), u.normalize()),
                        None => format!("above {} GB-months", lower.normalize()),
                    };
                    let mut l = line::line(
                        q,
                        product,
                        catalog,
                        take,
                        t.unit_price,
                        "GB-month",
                        hours,
                        "storage/gb_month/tiered".into(),
                        &format!(
                            "tier {} of the account's month, {range}",
                            k.saturating_add(1)
                        ),
                    )?;
                    l.slice = Some(format!("tier {}", k.saturating_add(1)));
                    out.push(l);
                    used = used.plus(take).ok_or_else(overflow)?;
                    left = left.less(take);
                }
                lower = t.up_to.unwrap_or(lower);
                if left <= Decimal::ZERO {
                    break;
                }
            }
            continue;
        }
        let unit_price = required(price.unit_price, "unit_price", catalog, q)?;
        out.push(line::line(
            q,
            product,
            catalog,
            q.quantity,
            unit_price,
            &price_unit,
            Decimal::from(hours.saturating_mul(per_hour)),
            rule.into(),
            "",
        )?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;
    use std::str::FromStr;

    #[test]
    fn max_per_hour_takes_the_peak() {
        let t = |s: &str| nanos(parse_instant(s).unwrap());
        let d = |s: &str| Decimal::from_str(s).unwrap();
        let sizes = vec![
            (t("2026-01-01T15:00:00Z"), d("10")),
            (t("2026-01-01T16:20:00Z"), d("15")),
            (t("2026-01-01T16:40:00Z"), d("17")),
            (t("2026-01-01T16:50:00Z"), d("14")),
        ];
        let mut c = 0;
        let h = |s: &str| (t(s), t(s) + HOUR_NS);
        let (a, b) = h("2026-01-01T14:00:00Z");
        assert_eq!(max_in(&sizes, &mut c, a, b), d("0"));
        let (a, b) = h("2026-01-01T16:00:00Z");
        assert_eq!(max_in(&sizes, &mut c, a, b), d("17"));
        let (a, b) = h("2026-01-01T17:00:00Z");
        assert_eq!(max_in(&sizes, &mut c, a, b), d("14"));
    }
}
