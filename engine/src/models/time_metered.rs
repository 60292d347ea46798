//! Time-metered resources (instances, IPs): billed for the time each run lasts.
//!
//! - A run is one uninterrupted period from start to stop (or delete). Each run is billed on its
//!   own: its minimum applies again after a restart.
//! - `billable: running` ends a run at stop; `create_to_delete` keeps it open through stops.
//! - The run becomes whole units by the granularity rules ([`crate::granularity`]); each unit
//!   belongs to the price segment containing its start.
//! - `freeze_after_hours` (legacy) bills a run at most N hours in a period.
//! - `monthly_cap` bills a resource at most its monthly price in each calendar month: with a cap,
//!   the units are counted per calendar month too, so a period of several months gets one cap
//!   per month.
//! - `spot`: a run the provider interrupts within its first hour (its end event tagged
//!   `interrupted_by: provider`) costs nothing (AWS: "If your Spot Instance is interrupted by
//!   Amazon EC2 in the first instance hour, you are not charged for that usage").
//! - `sustained_use` (GCP) prices each further equal part of a calendar month a resource runs
//!   at a lower percent of the price: its units are counted per calendar month too.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::catalog::{Billable, Charge, Granularity, PriceBook, Product, TimeRounding};
use crate::error::Result;
use crate::event::EventKind;
use crate::granularity::UnitSpan;
use crate::models::line::{self, RatedLine};
use crate::models::required;
use crate::num::{Arith, OrOverflow};
use crate::quantity::{Ctx, Diagnostic, Group, Quantity, Stretch, Unit};
use crate::time::{FloorDiv, HOUR_NS, Period, format_instant, nanos};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    /// Ended by the provider (the end event tagged `interrupted_by: provider`).
    pub by_provider: bool,
}

impl Run {
    /// A spot run the provider interrupted within its first hour: not billed.
    fn free(&self, spot: bool) -> bool {
        spot && self.by_provider
            && self
                .end
                .is_some_and(|e| e.signed_duration_since(self.start) < chrono::Duration::hours(1))
    }
}

fn by_provider(e: &crate::event::UsageEvent) -> bool {
    e.tags
        .get("interrupted_by")
        .is_some_and(|v| v == "provider")
}

/// Turns ordered start/stop/delete events into runs. Inconsistent events are reported and
/// ignored, the same way whatever their input order.
pub(crate) fn runs(group: &Group, billable: Billable, diags: &mut Vec<Diagnostic>) -> Vec<Run> {
    let mut out = Vec::new();
    let mut open: Option<DateTime<Utc>> = None;
    let mut stopped = false;
    for chunk in group.events.chunk_by(|a, b| a.at == b.at) {
        for e in crate::quantity::at_one_instant(chunk, open.is_some()) {
            match (e.kind, open, billable) {
                (EventKind::Start, None, _) => {
                    open = Some(e.at);
                    stopped = false;
                }
                (EventKind::Start, Some(_), Billable::CreateToDelete) if stopped => stopped = false,
                (EventKind::Start, Some(since), _) => diags.push(group.diagnostic(
                    Some(e),
                    format!(
                        "start while already running since {}: ignored",
                        format_instant(&since)
                    ),
                )),
                (EventKind::Stop, Some(start), Billable::Running) => {
                    out.push(Run {
                        start,
                        end: Some(e.at),
                        by_provider: by_provider(e),
                    });
                    open = None;
                }
                (EventKind::Stop, Some(_), Billable::CreateToDelete) => stopped = true,
                (EventKind::Delete, Some(start), _) => {
                    out.push(Run {
                        start,
                        end: Some(e.at),
                        by_provider: by_provider(e),
                    });
                    open = None;
                }
                (EventKind::Stop, None, _) => {
                    diags.push(group.diagnostic(Some(e), "stop without a running run: ignored"));
                }
                // A delete of a stopped resource is normal when only running time is billed.
                (EventKind::Delete, None, Billable::Running) => {}
                (EventKind::Delete, None, Billable::CreateToDelete) => {
                    diags.push(
                        group.diagnostic(
                            Some(e),
                            "delete of a resource that does not exist: ignored",
                        ),
                    );
                }
                (EventKind::Sample | EventKind::Increment, _, _) => {}
            }
        }
    }
    if let Some(start) = open {
        out.push(Run {
            start,
            end: None,
            by_provider: false,
        });
    }
    out
}

pub(crate) fn meter(
    charge: &Charge,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    let Charge::TimeMetered {
        granularity,
        rounding,
        minimum_seconds,
        billable,
        freeze_after_hours,
        monthly_cap,
        ref sustained_use,
        spot,
    } = *charge
    else {
        return Ok(());
    };
    // A cap and sustained use are monthly: the units are counted per calendar month as well as
    // per price segment.
    let by_month;
    let segments: &[Period] = if monthly_cap || !sustained_use.is_empty() {
        by_month = calendar_months(ctx.segments);
        &by_month
    } else {
        ctx.segments
    };
    // Each run is counted on its own (its minimum, its freeze); the units of a resource's runs
    // in one price segment then make one quantity, as an invoice line per resource and month.
    struct Acc {
        units: i128,
        runs: usize,
        first: Option<Run>,
        last: Option<Run>,
        frozen: bool,
        /// Spot runs the provider interrupted within their first hour, not billed.
        free: usize,
    }
    let mut acc: Vec<Acc> = segments
        .iter()
        .map(|_| Acc {
            units: 0,
            runs: 0,
            first: None,
            last: None,
            frozen: false,
            free: 0,
        })
        .collect();
    for run in runs(group, billable, diags) {
        if run.start >= ctx.period.end {
            continue;
        }
        if run.free(spot) {
            if let Some((_, a)) = segments
                .iter()
                .zip(acc.iter_mut())
                .find(|(s, _)| s.contains(run.start))
            {
                a.free = a.free.saturating_add(1);
                a.first.get_or_insert(run);
                a.last = Some(run);
            }
            continue;
        }
        let end = run.end.unwrap_or(ctx.period.end);
        let span = UnitSpan::of_run(
            nanos(run.start),
            nanos(end),
            granularity.seconds(),
            rounding,
            minimum_seconds,
        );
        let mut left = freeze_after_hours.map(|h| {
            i128::from(h)
                .saturating_mul(3600)
                .checked_div(i128::from(granularity.seconds()))
                .unwrap_or(0)
        });
        for (seg, a) in segments.iter().zip(acc.iter_mut()) {
            let mut n = span.count_in(seg);
            if let Some(l) = left.as_mut() {
                if n > *l {
                    a.frozen = true;
                    n = *l;
                }
                *l = l.saturating_sub(n);
            }
            if n > 0 {
                a.units = a.units.saturating_add(n);
                a.runs = a.runs.saturating_add(1);
                a.first.get_or_insert(run);
                a.last = Some(run);
            }
        }
    }
    let unit = unit_of(granularity);
    for (seg, a) in segments.iter().zip(acc) {
        let (Some(first), Some(last)) = (a.first, a.last) else {
            continue;
        };
        let mut detail = describe(
            a.runs.saturating_add(a.free),
            &first,
            &last,
            rounding,
            granularity,
            minimum_seconds,
        );
        if a.frozen {
            detail.push_str(&format!(
                ", frozen after {} hours a run",
                freeze_after_hours.unwrap_or(0)
            ));
        }
        if a.free > 0 {
            detail.push_str(&format!(
                ", {} interrupted by the provider within the first hour, not billed",
                if a.free == 1 {
                    "1 run".to_string()
                } else {
                    format!("{} runs", a.free)
                }
            ));
        }
        out.push(group.quantity(
            *seg,
            Decimal::from_i128_with_scale(a.units, 0),
            unit.clone(),
            seg.start,
            detail,
        ));
    }
    Ok(())
}

/// The units of a resource hour by hour, for savings plans: the units `meter` counts, by the same
/// spans, counted in each window (a clock hour, cut at the price segments) and merged into
/// stretches of whole hours with the same units. Diagnostics are `meter`'s, reported there.
pub(crate) fn hourly(charge: &Charge, ctx: &Ctx, group: &Group) -> Vec<Stretch> {
    let Charge::TimeMetered {
        granularity,
        rounding,
        minimum_seconds,
        billable,
        spot,
        ..
    } = *charge
    else {
        return Vec::new();
    };
    let spans: Vec<UnitSpan> = runs(group, billable, &mut Vec::new())
        .into_iter()
        .filter(|run| !run.free(spot))
        .map(|run| {
            let end = run.end.unwrap_or(ctx.period.end);
            UnitSpan::of_run(
                nanos(run.start),
                nanos(end),
                granularity.seconds(),
                rounding,
                minimum_seconds,
            )
        })
        .collect();
    // Runs come in order; two share a window at most where one ends and the next starts, and
    // those windows' units add up. Spans that overlap further (a run minimum reaching into the
    // next run) are counted window by window.
    let per_hour = 3600i128
        .checked_div(i128::from(granularity.seconds()))
        .unwrap_or(1);
    hourly_entries(&spans, ctx, Some(per_hour))
        .or_else(|| hourly_entries(&spans, ctx, None))
        .map(|e| stretches(e, ctx.segments))
        .unwrap_or_default()
}

/// The spans' units by window, as entries (start, end, units per window, windows) in order.
/// With `per_hour`, a clock hour wholly inside a span has that many units (the unit divides
/// the hour), so a run's whole hours are one entry and only its first and last windows are
/// counted one by one; none then if two spans overlap beyond a shared window. Without, every
/// window is counted, and the windows the spans share add up.
fn hourly_entries(
    spans: &[UnitSpan],
    ctx: &Ctx,
    per_hour: Option<i128>,
) -> Option<Vec<(i128, i128, i128, i128)>> {
    let mut entries: Vec<(i128, i128, i128, i128)> = Vec::with_capacity(spans.len());
    let segments: Vec<(i128, i128)> = ctx
        .segments
        .iter()
        .map(|s| (nanos(s.start), nanos(s.end)))
        .collect();
    for span in spans {
        // Spans are within chrono's range (under 1e28 ns): no overflow in i128.
        let span_end = span
            .origin
            .saturating_add(span.unit.saturating_mul(span.count));
        for &(a, b) in &segments {
            let (lo, hi) = (a.max(span.origin), b.min(span_end));
            let mut t = floor_hour(lo).max(a);
            while t < hi {
                let next = floor_hour(t).saturating_add(HOUR_NS).min(b);
                if let Some(n) = per_hour
                    && next.saturating_sub(t) == HOUR_NS
                    && t >= span.origin
                    && next <= span_end
                {
                    let k = hi.saturating_sub(t).floor_div(HOUR_NS);
                    let end = t.saturating_add(k.saturating_mul(HOUR_NS));
                    entries.push((t, end, n, k));
                    t = end;
                    continue;
                }
                let n = span.count_between(t, next);
                if n > 0 {
                    entries.push((t, next, n, 1));
                }
                t = next;
            }
        }
    }
    crate::sort::sort(&mut entries);
    let mut merged: Vec<(i128, i128, i128, i128)> = Vec::with_capacity(entries.len());
    for e in entries {
        match merged.last_mut() {
            Some(last) if (last.0, last.1, last.3, e.3) == (e.0, e.1, 1, 1) => {
                last.2 = last.2.saturating_add(e.2);
            }
            Some(last) if e.0 < last.1 => return None,
            _ => merged.push(e),
        }
    }
    Some(merged)
}

fn floor_hour(t: i128) -> i128 {
    t.floor_div(HOUR_NS).saturating_mul(HOUR_NS)
}

/// Entries (start, end, units per window, windows) in order, without overlap, as stretches:
/// consecutive whole hours with the same units make one, within one price segment (a stretch
/// belongs to the line of its segment).
fn stretches(entries: Vec<(i128, i128, i128, i128)>, segments: &[Period]) -> Vec<Stretch> {
    let mut out: Vec<Stretch> = Vec::with_capacity(entries.len());
    let starts: Vec<i128> = segments.iter().map(|s| nanos(s.start)).collect();
    // The last stretch's start and end as nanoseconds, not read back from its dates.
    let mut last_ns = (0i128, 0i128);
    for (start, end, n, k) in entries {
        let new_segment = starts.contains(&start);
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        let k = u32::try_from(k).unwrap_or(u32::MAX);
        let whole = end.saturating_sub(start) == HOUR_NS.saturating_mul(i128::from(k));
        if let Some(last) = out.last_mut()
            && whole
            && !new_segment
            && last.units == n
            && last_ns.1 == start
            && last_ns.1.saturating_sub(last_ns.0)
                == HOUR_NS.saturating_mul(i128::from(last.windows))
        {
            last.period.end = crate::time::from_nanos(end);
            last.windows = last.windows.saturating_add(k);
            last_ns.1 = end;
            continue;
        }
        last_ns = (start, end);
        out.push(Stretch {
            period: Period {
                start: crate::time::from_nanos(start),
                end: crate::time::from_nanos(end),
            },
            windows: k,
            units: n,
        });
    }
    out
}

/// The segments cut again at each calendar month's start.
fn calendar_months(segments: &[Period]) -> Vec<Period> {
    let mut out = Vec::with_capacity(segments.len());
    for s in segments {
        let mut start = s.start;
        while start < s.end {
            let end = Period::month_of(start).end.min(s.end);
            out.push(Period { start, end });
            start = end;
        }
    }
    out
}

fn unit_of(g: Granularity) -> Unit {
    match g {
        Granularity::Second => Unit::Second,
        Granularity::Minute => Unit::Minute,
        Granularity::Hour => Unit::Hour,
    }
}

fn describe(
    runs: usize,
    first: &Run,
    last: &Run,
    rounding: TimeRounding,
    g: Granularity,
    minimum: u32,
) -> String {
    let end = last
        .end
        .map(|e| format_instant(&e))
        .unwrap_or_else(|| "still running".into());
    let how = match rounding {
        TimeRounding::Elapsed => "elapsed",
        TimeRounding::Clock => "clock",
    };
    let g = unit_of(g);
    let what = if runs == 1 {
        "run".to_string()
    } else {
        format!("{runs} runs")
    };
    let mut text = format!(
        "{what} {} -> {end}, {how} {}s",
        format_instant(&first.start),
        g.name()
    );
    if minimum > 0 {
        text.push_str(&format!(", minimum {minimum} s"));
    }
    text
}

pub(crate) fn rate(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    let Charge::TimeMetered {
        granularity,
        rounding,
        monthly_cap,
        ref sustained_use,
        ..
    } = product.charge
    else {
        return Ok(());
    };
    let divisor = Decimal::from(3600i64.checked_div(granularity.seconds()).unwrap_or(1));
    let rule = format!(
        "time_metered/{}/{}",
        match rounding {
            TimeRounding::Elapsed => "elapsed",
            TimeRounding::Clock => "clock",
        },
        unit_of(granularity).name()
    );
    if !sustained_use.is_empty() {
        return sustained(book, product, qs, sustained_use, divisor, out);
    }
    let mut lines = Vec::with_capacity(qs.len());
    for q in qs {
        let (catalog, price) = book.price_of(q)?;
        let unit_price = required(price.unit_price, "unit_price", catalog, q)?;
        lines.push(line::line(
            q,
            product,
            catalog,
            q.quantity,
            unit_price,
            "hour",
            divisor,
            rule.clone(),
            "",
        )?);
    }
    if monthly_cap {
        apply_monthly_cap(book, product, qs, &mut lines)?;
    }
    out.extend(lines);
    Ok(())
}

/// Sustained use: each resource's units of a calendar month, in time order, split into equal
/// parts of the month (a quarter of its hours for four percents), each part at its percent of
/// the price. The parts are of the whole month, whatever part of it the period covers.
fn sustained(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    percents: &[Decimal],
    divisor: Decimal,
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    let mut qs: Vec<&Quantity> = qs.to_vec();
    // By resource, then time: a resource's month is walked in order.
    crate::sort::sort_by(&mut qs, |a, b| {
        (&a.resource, a.segment.start).cmp(&(&b.resource, b.segment.start))
    });
    let n = Decimal::from(percents.len());
    let mut used = Decimal::ZERO;
    let mut current: Option<(&Option<String>, DateTime<Utc>)> = None;
    for q in qs {
        let month = Period::month_of(q.segment.start);
        if current != Some((&q.resource, month.start)) {
            current = Some((&q.resource, month.start));
            used = Decimal::ZERO;
        }
        let (catalog, price) = book.price_of(q)?;
        let unit_price = required(price.unit_price, "unit_price", catalog, q)?;
        let overflow = || format!("the sustained use of `{}`", q.sku);
        // Units in one part of the month: its hours over the parts, in the unit counted.
        let part = Decimal::from(month.hours())
            .times(divisor)
            .and_then(|x| x.over(n))
            .or_overflow(overflow)?;
        let mut left = q.quantity;
        for (k, percent) in percents.iter().enumerate() {
            let last = k.saturating_add(1) == percents.len();
            let top = if last {
                Decimal::MAX
            } else {
                part.times(Decimal::from(k.saturating_add(1)))
                    .or_overflow(overflow)?
            };
            let room = top.less(used).max(Decimal::ZERO);
            let take = left.min(room);
            if take <= Decimal::ZERO {
                continue;
            }
            let at = unit_price
                .times(*percent)
                .and_then(|x| x.over(Decimal::ONE_HUNDRED))
                .or_overflow(overflow)?;
            let mut l = line::line(
                q,
                product,
                catalog,
                take,
                at,
                "hour",
                divisor,
                "time_metered/sustained_use".into(),
                &format!(
                    "sustained use, part {} of {} of the month: {} % of {} {}",
                    k.saturating_add(1),
                    percents.len(),
                    percent.normalize(),
                    unit_price.normalize(),
                    catalog.currency
                ),
            )?;
            l.slice = Some(format!("sustained use {}", k.saturating_add(1)));
            out.push(l);
            used = used.plus(take).or_overflow(overflow)?;
            left = left.less(take);
            if left <= Decimal::ZERO {
                break;
            }
        }
    }
    Ok(())
}

/// Replaces the lines of each resource and calendar month whose sum passes the monthly price by
/// one line at the monthly price, which names the sum it replaces.
fn apply_monthly_cap(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    lines: &mut Vec<RatedLine>,
) -> Result<()> {
    let month = |t: DateTime<Utc>| Period::month_of(t).start;
    // Each resource's month, with its first quantity and its lines: both sorted once by that
    // key (stable, through the shared sort) and walked side by side, where a scan of every
    // line per resource was quadratic in the resources of a capped product.
    let mut firsts: Vec<(&Option<String>, DateTime<Utc>, &Quantity)> = qs
        .iter()
        .map(|q| (&q.resource, month(q.segment.start), *q))
        .collect();
    crate::sort::sort_by(&mut firsts, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    firsts.dedup_by(|b, a| (a.0, a.1) == (b.0, b.1));
    let mut owned: Vec<(&Option<String>, DateTime<Utc>, &RatedLine)> = lines
        .iter()
        .map(|l| (&l.resource, month(l.segment.start), l))
        .collect();
    crate::sort::sort_by(&mut owned, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut owned = owned.into_iter().peekable();
    let mut capped = Vec::with_capacity(lines.len());
    for (resource, start, first) in firsts {
        while owned.next_if(|o| (o.0, o.1) < (resource, start)).is_some() {}
        let mut mine: Vec<&RatedLine> = Vec::new();
        while let Some((_, _, l)) = owned.next_if(|o| (o.0, o.1) == (resource, start)) {
            mine.push(l);
        }
        let (catalog, price) = book.price_of(first)?;
        let cap = required(price.monthly_price, "monthly_price", catalog, first)?;
        let overflow = || format!("summing the month of `{}`", first.sku);
        let sum = crate::num::sum(mine.iter().map(|l| l.amount)).or_overflow(overflow)?;
        if sum <= cap {
            capped.extend(mine.into_iter().cloned());
            continue;
        }
        let units = crate::num::sum(mine.iter().map(|l| l.quantity)).or_overflow(overflow)?;
        let capped_month = crate::quantity::Quantity {
            quantity: Decimal::ONE,
            unit: Unit::Month,
            detail: format!(
                "{} of usage ({} {}) capped at the monthly price",
                mine.iter()
                    .map(|l| l.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                units.normalize(),
                first.unit.plural(units)
            ),
            ..(*first).clone()
        };
        let note = format!(
            "monthly cap; usage would cost {} {}",
            sum.normalize(),
            catalog.currency
        );
        let mut line = line::line(
            &capped_month,
            product,
            catalog,
            Decimal::ONE,
            cap,
            "month",
            Decimal::ONE,
            "time_metered/monthly_cap".into(),
            &note,
        )?;
        line.segment = crate::time::Period {
            start: mine
                .iter()
                .map(|l| l.segment.start)
                .min()
                .unwrap_or(line.segment.start),
            end: mine
                .iter()
                .map(|l| l.segment.end)
                .max()
                .unwrap_or(line.segment.end),
        };
        capped.push(line);
    }
    *lines = capped;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::UsageEvent;
    use crate::time::parse_instant;

    fn ev(id: &str, kind: EventKind, at: &str) -> UsageEvent {
        UsageEvent {
            id: id.into(),
            account: "a".into(),
            resource: "r".into(),
            sku: "s".into(),
            region: "x".into(),
            kind,
            at: parse_instant(at).unwrap(),
            quantity: None,
            tags: Default::default(),
            function: None,
            dimensions: Default::default(),
        }
    }

    fn group(events: &[UsageEvent]) -> Group<'_> {
        Group {
            account: "a",
            resource: "r",
            sku: "s",
            region: "x",
            events: events.iter().collect(),
        }
    }

    #[test]
    fn stop_then_start_opens_a_new_run() {
        let evs = [
            ev("1", EventKind::Start, "2026-01-01T10:00:00Z"),
            ev("2", EventKind::Stop, "2026-01-01T11:00:00Z"),
            ev("3", EventKind::Start, "2026-01-01T12:00:00Z"),
            ev("4", EventKind::Delete, "2026-01-01T13:00:00Z"),
        ];
        let mut d = vec![];
        assert_eq!(runs(&group(&evs), Billable::Running, &mut d).len(), 2);
        // Create to delete: the stop does not end the run.
        let r = runs(&group(&evs), Billable::CreateToDelete, &mut d);
        assert_eq!(
            r,
            vec![Run {
                start: evs[0].at,
                end: Some(evs[3].at),
                by_provider: false,
            }]
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn start_and_stop_at_one_instant() {
        // Idle: the start comes first, a run of zero length. Running: the stop comes first, a restart.
        let idle = [
            ev("2", EventKind::Stop, "2026-01-01T10:00:00Z"),
            ev("1", EventKind::Start, "2026-01-01T10:00:00Z"),
        ];
        let mut d = vec![];
        let r = runs(&group(&idle), Billable::Running, &mut d);
        assert_eq!(
            r,
            vec![Run {
                start: idle[0].at,
                end: Some(idle[0].at),
                by_provider: false,
            }]
        );
        let running = [
            ev("0", EventKind::Start, "2026-01-01T09:00:00Z"),
            ev("1", EventKind::Stop, "2026-01-01T10:00:00Z"),
            ev("2", EventKind::Start, "2026-01-01T10:00:00Z"),
        ];
        let r = runs(&group(&running), Billable::Running, &mut d);
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[1],
            Run {
                start: running[2].at,
                end: None,
                by_provider: false,
            }
        );
        assert!(d.is_empty(), "{d:?}");
    }

    /// The savings plans' hourly units: whole hours in one step, the same as window by window,
    /// for every granularity, rounding and minimum, runs that share an hour or overlap through a
    /// minimum, and a price segment that starts inside an hour.
    #[test]
    fn hourly_units_match_window_by_window() {
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let period = Period::parse("2026-01").unwrap();
        for case in 0..400 {
            // A price change inside an hour, or on the hour.
            let cut =
                parse_instant(["2026-01-16T12:30:00Z", "2026-01-16T00:00:00Z"][case % 2]).unwrap();
            let segments = [
                Period {
                    start: period.start,
                    end: cut,
                },
                Period {
                    start: cut,
                    end: period.end,
                },
            ];
            let ctx = Ctx {
                period,
                segments: &segments,
            };
            let case = case / 2;
            let granularity =
                [Granularity::Second, Granularity::Minute, Granularity::Hour][case % 3];
            let rounding = [TimeRounding::Elapsed, TimeRounding::Clock][(case / 3) % 2];
            let minimum_seconds = [0, 60, 7200][(case / 6) % 3];
            let charge = Charge::TimeMetered {
                granularity,
                rounding,
                minimum_seconds,
                billable: Billable::Running,
                monthly_cap: false,
                freeze_after_hours: None,
                sustained_use: Vec::new(),
                spot: false,
            };
            let mut evs = Vec::new();
            let mut t = 1_767_225_600 + next(20_000) as i64;
            for k in 0..(2 + next(8)) {
                let kind = if k % 2 == 0 { "start" } else { "stop" };
                let at = chrono::DateTime::from_timestamp(t, 0).unwrap();
                evs.push(ev(
                    &format!("{k}"),
                    if kind == "start" {
                        EventKind::Start
                    } else {
                        EventKind::Stop
                    },
                    &format_instant(&at),
                ));
                t += 1 + next(if k % 2 == 0 { 200_000 } else { 4_000 }) as i64;
            }
            let g = group(&evs);
            let spans: Vec<UnitSpan> = runs(&g, Billable::Running, &mut Vec::new())
                .into_iter()
                .map(|r| {
                    UnitSpan::of_run(
                        nanos(r.start),
                        nanos(r.end.unwrap_or(period.end)),
                        granularity.seconds(),
                        rounding,
                        minimum_seconds,
                    )
                })
                .collect();
            let stretches = hourly(&charge, &ctx, &g);
            let by_window =
                hourly_entries(&spans, &ctx, None).map(|e| super::stretches(e, &segments));
            // No stretch crosses a price segment: each belongs to one line.
            assert!(
                stretches.iter().all(|s| segments
                    .iter()
                    .any(|g| g.start <= s.period.start && s.period.end <= g.end)),
                "case {case}"
            );
            assert_eq!(Some(stretches.clone()), by_window, "case {case}");
            // Hour by hour, the same units as the lines.
            let mut qs = Vec::new();
            meter(&charge, &ctx, &g, &mut qs, &mut Vec::new()).unwrap();
            let lines: Decimal = qs.iter().map(|q| q.quantity).sum();
            let hours: u64 = stretches
                .iter()
                .map(|s| u64::from(s.units) * u64::from(s.windows))
                .sum();
            assert_eq!(lines, Decimal::from(hours), "case {case}");
        }
    }

    #[test]
    fn inconsistencies_are_diagnosed() {
        let evs = [
            ev("0", EventKind::Stop, "2026-01-01T09:00:00Z"),
            ev("1", EventKind::Start, "2026-01-01T10:00:00Z"),
            ev("2", EventKind::Start, "2026-01-01T10:30:00Z"),
        ];
        let mut d = vec![];
        let r = runs(&group(&evs), Billable::Running, &mut d);
        assert_eq!(
            r,
            vec![Run {
                start: evs[1].at,
                end: None,
                by_provider: false,
            }]
        );
        let msgs: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "stop without a running run: ignored",
                "start while already running since 2026-01-01T10:00:00Z: ignored"
            ]
        );
    }
}
