//! Savings plans: a commitment of an amount per hour (AWS) or per month (Scaleway) for a term,
//! which covers the account's eligible usage at the plan's rate. DOMAIN.md, "Commitments and
//! derived charges": "Each hour, the commitment covers eligible usage valued at the plan's rate,
//! highest savings percentage first (on a tie, the lowest plan rate first); usage beyond it is on
//! demand; any part of the hourly commitment left unused is still owed."
//!
//! - Metering: a `start` event buys the plan (`quantity` = the amount, tag `upfront`); the term
//!   runs from the start of that clock hour for `term_months`. Each price segment of the term in
//!   the period is a quantity of hours carrying the [`Commitment`]. The eligible usage of the
//!   plan's account is metered hour by hour beside it ([`HourlyUse`], by
//!   [`crate::models::time_metered::hourly`]).
//! - Rating ([`apply`], after every usage line): each window (an hour, or for a monthly plan a
//!   calendar month) sets the commitment against the eligible usage of the window, valued at
//!   the plan's rate. An eligible line is split into the units covered (at the plan's rate) and
//!   the rest (on demand); the plan has a line for what it left unused, and, in the month its
//!   term starts, one for what is paid upfront. Per hour: commitment + uncovered usage at the
//!   on-demand price, as in DOMAIN.md's example (13.00 committed, 4 instances at 5.00, plan rate
//!   4.00: 16.75).

use chrono::{DateTime, Months, Utc};
use rust_decimal::Decimal;

use crate::catalog::{Charge, CommitmentKind, PriceBook, Product};
use crate::error::{Error, Result};
use crate::event::{EventKind, UsageEvent};
use crate::models::line::{self, RatedLine};
use crate::num::{Arith, OrOverflow};
use crate::quantity::{Commitment, Ctx, Diagnostic, Group, HourlyUse, Quantity, Unit, Upfront};
use crate::time::{FloorDiv, HOUR_NS, Period, format_instant, from_nanos, nanos};

/// The term of a plan bought at `at`: from the start of that clock hour, for `months`.
pub(crate) fn term(at: DateTime<Utc>, months: u32) -> Option<Period> {
    let start = from_nanos(nanos(at).floor_div(HOUR_NS).saturating_mul(HOUR_NS));
    let end = start.checked_add_months(Months::new(months))?;
    Some(Period { start, end })
}

pub(crate) fn meter(
    charge: &Charge,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    let Charge::SavingsPlan {
        commitment,
        term_months,
        ..
    } = charge
    else {
        return Ok(());
    };
    let mut bought: Option<&UsageEvent> = None;
    for e in &group.events {
        match (e.kind, bought) {
            (EventKind::Start, None) => bought = Some(e),
            (EventKind::Start, Some(_)) => diags.push(group.diagnostic(
                Some(e),
                "this plan was already bought: ignored (another plan is another resource)",
            )),
            _ => diags.push(
                group.diagnostic(Some(e), "a commitment runs to the end of its term: ignored"),
            ),
        }
    }
    let Some(e) = bought else {
        return Ok(());
    };
    // Checked at ingestion (`check`): a purchase has an amount and a known upfront option.
    let (Some(amount), Some(upfront)) = (e.quantity, upfront_of(e)) else {
        return Ok(());
    };
    let term = term(e.at, *term_months)
        .ok_or_else(|| Error::Overflow(format!("the term of savings plan `{}`", group.resource)))?;
    let per = match commitment {
        CommitmentKind::Hourly => "hour",
        CommitmentKind::Monthly => "month",
    };
    for seg in ctx.segments {
        let (start, end) = (seg.start.max(term.start), seg.end.min(term.end));
        if start >= end {
            continue;
        }
        let part = Period { start, end };
        // Exact hours (a segment may start inside an hour).
        let hours = Decimal::from_i128_with_scale(nanos(end).saturating_sub(nanos(start)), 0)
            .over(Decimal::from_i128_with_scale(HOUR_NS, 0))
            .unwrap_or_default()
            .normalize();
        let mut q = group.quantity(
            part,
            hours,
            Unit::Hour,
            part.start,
            format!(
                "bought {}: {} per {per} for {term_months} months ({} -> {}), {} upfront",
                format_instant(&e.at),
                amount.normalize(),
                format_instant(&term.start),
                format_instant(&term.end),
                match upfront {
                    Upfront::None => "nothing",
                    Upfront::Partial => "part",
                    Upfront::All => "all",
                }
            ),
        );
        q.commitment = Some(Commitment {
            amount,
            upfront,
            term,
        });
        out.push(q);
    }
    Ok(())
}

/// The purchase's upfront option: the tag `upfront`, `none` when absent.
pub(crate) fn upfront_of(e: &UsageEvent) -> Option<Upfront> {
    e.tags
        .get("upfront")
        .map_or(Some(Upfront::None), |u| Upfront::parse(u))
}

/// What ingestion checks of a purchase: an amount within bounds and a known upfront option.
pub(crate) fn check(e: &UsageEvent) -> std::result::Result<(), (&'static str, String)> {
    if e.kind != EventKind::Start {
        return Ok(());
    }
    match e.quantity {
        None => {
            return Err((
                "quantity",
                "a savings plan's start needs the committed amount as its quantity".into(),
            ));
        }
        Some(a) if a <= Decimal::ZERO => {
            return Err((
                "quantity",
                format!("the committed amount must be above zero (got {a})"),
            ));
        }
        Some(a) if a > crate::num::MAX_PRICE => {
            return Err((
                "quantity",
                format!(
                    "the committed amount must be at most {} (got {a})",
                    crate::num::MAX_PRICE
                ),
            ));
        }
        Some(_) => {}
    }
    if upfront_of(e).is_none() {
        return Err((
            "tags.upfront",
            format!(
                "must be `none`, `partial` or `all` (got `{}`)",
                e.tags
                    .get("upfront")
                    .map(String::as_str)
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// Rated only by [`apply`], with the usage it covers.
pub(crate) fn rate(
    _book: &PriceBook,
    _product: &Product,
    _qs: &[&Quantity],
    _out: &mut Vec<RatedLine>,
) -> Result<()> {
    Ok(())
}

/// One plan of an account in the period.
struct Plan<'a> {
    product: &'a Product,
    /// Its quantities (one per price segment of the term in the period).
    qs: Vec<&'a Quantity>,
    c: &'a Commitment,
    /// The share paid upfront (0, the catalog's partial percent, or 1).
    paid_upfront: Decimal,
    /// Committed and used in the period, valued at the plan's rate (before upfront).
    committed: Decimal,
    used: Decimal,
}

impl Plan<'_> {
    fn account(&self) -> &str {
        &self.qs[0].account
    }
    fn id(&self) -> &str {
        self.qs[0].resource.as_deref().unwrap_or_default()
    }
}

/// Sets each plan against the eligible usage of its account, splits the eligible lines into
/// covered and on-demand parts, and adds each plan's unused and upfront lines.
pub(crate) fn apply(
    book: &PriceBook,
    plans: &[(&Product, Vec<&Quantity>)],
    usage: &[HourlyUse],
    period: Period,
    lines: &mut Vec<RatedLine>,
) -> Result<()> {
    let mut all: Vec<Plan> = Vec::new();
    for (product, qs) in plans {
        let Charge::SavingsPlan {
            partial_upfront_percent,
            ..
        } = &product.charge
        else {
            continue;
        };
        let mut qs = qs.clone();
        // The segment tells a plan's quantities apart: no two share a key.
        crate::sort::sort_by(&mut qs, |a, b| {
            (&a.account, &a.resource, a.segment.start).cmp(&(
                &b.account,
                &b.resource,
                b.segment.start,
            ))
        });
        for qs in qs.chunk_by(|a, b| (&a.account, &a.resource) == (&b.account, &b.resource)) {
            let Some(c) = qs[0].commitment.as_ref() else {
                continue;
            };
            let paid_upfront = match c.upfront {
                Upfront::None => Decimal::ZERO,
                Upfront::Partial => partial_upfront_percent
                    .over(Decimal::ONE_HUNDRED)
                    .unwrap_or_default(),
                Upfront::All => Decimal::ONE,
            };
            all.push(Plan {
                product,
                qs: qs.to_vec(),
                c,
                paid_upfront,
                committed: Decimal::ZERO,
                used: Decimal::ZERO,
            });
        }
    }
    // Per account, plans in the order they were bought (then by resource).
    fn key<'p>(p: &'p Plan) -> (&'p str, DateTime<Utc>, &'p str, &'p str) {
        (p.account(), p.c.term.start, p.id(), p.product.sku.as_str())
    }
    crate::sort::sort_by(&mut all, |a, b| key(a).cmp(&key(b)));
    // Rating lists the usage lines by account (then sku and region): each account's are found
    // by halving.
    debug_assert!(lines.windows(2).all(|w| w[0].account <= w[1].account));
    // The parts each eligible line is split into, by its index.
    let mut parts: Vec<Option<Vec<RatedLine>>> = Vec::new();
    parts.resize_with(lines.len(), || None);
    for plans in all.chunk_by_mut(|a, b| a.account() == b.account()) {
        let account = plans[0].account().to_string();
        // The account's hourly usage (metering lists it by account, resource, sku, region),
        // and its eligible lines: one per usage and price segment.
        let from = usage.partition_point(|u| u.account < account);
        let to = usage.partition_point(|u| u.account <= account);
        let (la, lb) = (
            lines.partition_point(|l| l.account < account),
            lines.partition_point(|l| l.account <= account),
        );
        let mine: Vec<(usize, usize)> = lines
            .iter()
            .enumerate()
            .take(lb)
            .skip(la)
            .filter_map(|(i, l)| {
                let key = (l.resource.as_deref()?, l.sku.as_str(), l.region.as_str());
                let u = usage[from..to]
                    .binary_search_by(|u| {
                        (u.resource.as_str(), u.sku.as_str(), u.region.as_str()).cmp(&key)
                    })
                    .ok()?;
                Some((i, from.saturating_add(u)))
            })
            .collect();
        let mut acct = Usage::of(book, usage, &mine, lines, plans, period)?;
        let n = plans.len();
        let mut covered = vec![Decimal::ZERO; mine.len().saturating_mul(n)];
        for (k, plan) in plans.iter_mut().enumerate() {
            let share = acct.cover(plan, period)?;
            // A piece's covered units: its units per window times the covered share of each
            // of its windows, summed by prefix.
            for &(li, g, t0, t1, units) in &acct.pieces {
                let row = g.saturating_mul(acct.t1());
                let (hi, lo) = (share[row.saturating_add(t1)], share[row.saturating_add(t0)]);
                if hi == lo {
                    continue;
                }
                let overflow = || format!("the savings plans of account `{account}`");
                let units = Decimal::from(units)
                    .times(hi.less(lo))
                    .or_overflow(overflow)?;
                if let Some(c) = covered.get_mut(li.saturating_mul(n).saturating_add(k)) {
                    *c = c.plus(units).or_overflow(overflow)?;
                }
            }
        }
        for (li, &(i, _)) in mine.iter().enumerate() {
            let per_plan =
                covered.get(li.saturating_mul(n)..li.saturating_add(1).saturating_mul(n));
            if let Some(split) = split_line(book, &lines[i], per_plan.unwrap_or_default(), plans)? {
                parts[i] = Some(split);
            }
        }
    }
    if parts.iter().any(Option::is_some) {
        let old = std::mem::take(lines);
        for (l, p) in old.into_iter().zip(parts) {
            match p {
                Some(p) => lines.extend(p),
                None => lines.push(l),
            }
        }
    }
    for plan in &all {
        plan_lines(book, plan, period, lines)?;
    }
    Ok(())
}

/// An account's eligible usage, cut at every boundary where anything changes (a stretch, a
/// price segment, a term, a month) into intervals, and summed per group: the lines of one sku,
/// region and price, which a plan covers alike. Inside an interval every window (clock hour)
/// is the same, so coverage is worked out once per interval and group, never per resource and
/// hour; a resource's share follows from its units and its group's covered share.
struct Usage<'a> {
    /// The cuts; interval `t` runs from `cuts[t]` to `cuts[t + 1]`.
    cuts: Vec<DateTime<Utc>>,
    /// Windows in each interval: its clock hours, or one (a part of an hour).
    windows: Vec<u32>,
    /// The groups: (sku, region, price per hour, units per hour), and each line's group.
    groups: Vec<(&'a str, &'a str, Decimal, Decimal)>,
    /// Units per window of each group in each interval (`g * intervals + t`).
    units: Vec<i64>,
    /// The share of those units no plan has covered yet (1 at first).
    left: Vec<Decimal>,
    /// Each stretch of an eligible line: (line in `mine`, group, first interval, end interval,
    /// units per window).
    pieces: Vec<(usize, usize, usize, usize, u32)>,
}

impl<'a> Usage<'a> {
    fn of(
        book: &PriceBook,
        usage: &[HourlyUse],
        mine: &[(usize, usize)],
        lines: &'a [RatedLine],
        plans: &[Plan],
        period: Period,
    ) -> Result<Self> {
        let mut cuts: Vec<DateTime<Utc>> = vec![period.start, period.end];
        for s in book.segments(&period)? {
            cuts.push(s.start);
        }
        for p in plans {
            cuts.extend([p.c.term.start, p.c.term.end]);
        }
        if plans.iter().any(|p| {
            matches!(
                p.product.charge,
                Charge::SavingsPlan {
                    commitment: CommitmentKind::Monthly,
                    ..
                }
            )
        }) {
            let mut m = period.start;
            while m < period.end {
                m = Period::month_of(m).end;
                cuts.push(m);
            }
        }
        // The stretches' ends, nearly all on the hour: marked on an hour map (a sort of every
        // end would cost more than the rest), the others kept as cuts.
        let base = nanos(period.start)
            .floor_div(HOUR_NS)
            .saturating_mul(HOUR_NS);
        let hours = nanos(period.end)
            .saturating_sub(base)
            .floor_div(HOUR_NS)
            .saturating_add(2);
        let mut on_hour = vec![false; usize::try_from(hours).unwrap_or(0)];
        let mut mark = |t: DateTime<Utc>, cuts: &mut Vec<DateTime<Utc>>| {
            let n = nanos(t);
            let at = usize::try_from(n.saturating_sub(base).floor_div(HOUR_NS)).ok();
            match at.and_then(|i| on_hour.get_mut(i)) {
                Some(slot) if n.floor_rem(HOUR_NS) == 0 => *slot = true,
                _ => cuts.push(t),
            }
        };
        for &(_, u) in mine {
            for s in &usage[u].stretches {
                mark(s.period.start, &mut cuts);
                mark(s.period.end, &mut cuts);
            }
        }
        // A cut inside an hour (a price change at 12:30) isolates its clock hour: the hour is
        // one window of the commitment, whatever the prices inside it.
        let inside: Vec<DateTime<Utc>> = cuts
            .iter()
            .filter(|t| nanos(**t).floor_rem(HOUR_NS) != 0)
            .flat_map(|t| {
                let h = nanos(*t).floor_div(HOUR_NS).saturating_mul(HOUR_NS);
                [from_nanos(h), from_nanos(h.saturating_add(HOUR_NS))]
            })
            .collect();
        for t in inside {
            mark(t, &mut cuts);
        }
        let mut h = base;
        for on in &on_hour {
            if *on {
                cuts.push(from_nanos(h));
            }
            h = h.saturating_add(HOUR_NS);
        }
        cuts.retain(|t| period.start <= *t && *t <= period.end);
        crate::sort::sort(&mut cuts);
        cuts.dedup();
        let windows: Vec<u32> = cuts
            .windows(2)
            .map(|w| {
                u32::try_from(windows_in(&Period {
                    start: w[0],
                    end: w[1],
                }))
                .unwrap_or(u32::MAX)
            })
            .collect();
        let intervals = windows.len();
        // Groups: one per sku, region and price (a price segment's lines share it).
        let key = |line: usize| {
            let l = &lines[line];
            (l.sku.as_str(), l.region.as_str(), l.unit_price, l.divisor)
        };
        let mut groups: Vec<(&str, &str, Decimal, Decimal)> =
            mine.iter().map(|&(line, _)| key(line)).collect();
        crate::sort::sort(&mut groups);
        groups.dedup();
        let mut units = vec![0i64; groups.len().saturating_mul(intervals.saturating_add(1))];
        let mut pieces = Vec::new();
        // The cuts as nanoseconds: a stretch's cuts are found by halving, and an integer
        // compares faster than a date and time.
        let cut_ns: Vec<i128> = cuts.iter().map(|t| nanos(*t)).collect();
        for (li, &(line, u)) in mine.iter().enumerate() {
            let g = groups.binary_search(&key(line)).unwrap_or_default();
            let seg = lines[line].segment;
            // A line's stretches come in time order: each search starts where the last ended.
            let mut from = 0usize;
            for s in usage[u]
                .stretches
                .iter()
                .filter(|s| seg.contains(s.period.start))
            {
                // Stretches start and end on cuts.
                let (a, b) = (nanos(s.period.start), nanos(s.period.end));
                let rest = cut_ns.get(from..).unwrap_or_default();
                let t0 = from.saturating_add(rest.partition_point(|t| *t < a));
                let rest = cut_ns.get(t0..).unwrap_or_default();
                let t1 = t0
                    .saturating_add(rest.partition_point(|t| *t < b))
                    .min(intervals);
                from = t0;
                let row = g.saturating_mul(intervals.saturating_add(1));
                units[row.saturating_add(t0)] =
                    units[row.saturating_add(t0)].saturating_add(i64::from(s.units));
                units[row.saturating_add(t1)] =
                    units[row.saturating_add(t1)].saturating_sub(i64::from(s.units));
                pieces.push((li, g, t0, t1, s.units));
            }
        }
        // From differences to units per window, `intervals` per group.
        let mut per = Vec::with_capacity(groups.len().saturating_mul(intervals));
        for row in units.chunks(intervals.saturating_add(1)) {
            let mut run = 0i64;
            for d in row.iter().take(intervals) {
                run = run.saturating_add(*d);
                per.push(run);
            }
        }
        let left = vec![Decimal::ONE; per.len()];
        Ok(Usage {
            cuts,
            windows,
            groups,
            units: per,
            left,
            pieces,
        })
    }

    /// Intervals plus one: the row length of a prefix sum.
    fn t1(&self) -> usize {
        self.windows.len().saturating_add(1)
    }

    /// The plan set against the usage, window by window (an hour, or a calendar month): each
    /// window's commitment covers the window's usage at the plan's rate, highest percent first,
    /// then the lowest plan rate. Returns, per group, the prefix sums over the intervals of the
    /// covered share of a unit times the windows (`g * (intervals + 1) + t`).
    fn cover(&mut self, plan: &mut Plan, period: Period) -> Result<Vec<Decimal>> {
        let nt = self.windows.len();
        let mut share = vec![Decimal::ZERO; self.groups.len().saturating_mul(nt)];
        let Charge::SavingsPlan {
            commitment,
            eligible,
            ..
        } = &plan.product.charge
        else {
            return Ok(vec![
                Decimal::ZERO;
                self.groups.len().saturating_mul(self.t1())
            ]);
        };
        let overflow = || format!("the savings plan `{}`", plan.product.sku);
        let hourly = *commitment == CommitmentKind::Hourly;
        // The groups in the order they are covered, with their plan rate.
        let mut order: Vec<(std::cmp::Reverse<Decimal>, Decimal, usize)> = Vec::new();
        for (g, (sku, _, price, _)) in self.groups.iter().enumerate() {
            if let Some(e) = eligible.iter().find(|e| e.sku == *sku) {
                let rate = plan_rate(*price, e.percent).or_overflow(overflow)?;
                order.push((std::cmp::Reverse(e.percent), rate, g));
            }
        }
        // Sku and region break ties: the groups are in that order already.
        crate::sort::sort(&mut order);
        let term = Period {
            start: plan.c.term.start.max(period.start),
            end: plan.c.term.end.min(period.end),
        };
        // Buckets of intervals: for an hourly plan, each clock hour (an interval of whole hours
        // is as many alike; the parts of an hour cut inside it make one); for a monthly plan,
        // each calendar month.
        let mut buckets: Vec<(usize, usize)> = Vec::new();
        for t in 0..nt {
            let (a, b) = (self.cuts[t], self.cuts[t.saturating_add(1)]);
            if a < term.start || b > term.end {
                continue;
            }
            let new = match buckets.last() {
                None => true,
                Some(&(_, end)) if end != t => true,
                Some(&(first, _)) if hourly => {
                    nanos(a).floor_rem(HOUR_NS) == 0 || self.windows[first] > 1
                }
                Some(&(first, _)) => Period::month_of(self.cuts[first]) != Period::month_of(a),
            };
            if new {
                buckets.push((t, t.saturating_add(1)));
            } else if let Some(last) = buckets.last_mut() {
                last.1 = t.saturating_add(1);
            }
        }
        let ns = |t: DateTime<Utc>| Decimal::from_i128_with_scale(nanos(t), 0);
        // Windows of whole hours, each committing the hourly amount: counted, and multiplied
        // once at the end (the same sum, without a product per hour).
        let mut whole_hours = 0i64;
        for (ta, tb) in buckets {
            let span = Period {
                start: self.cuts[ta],
                end: self.cuts[tb],
            };
            let whole = hourly
                && tb.saturating_sub(ta) == 1
                && nanos(span.end).saturating_sub(nanos(span.start))
                    == HOUR_NS.saturating_mul(i128::from(self.windows[ta]));
            let per_window = if whole {
                // A whole number of clock hours: that many windows, each of the hourly amount.
                whole_hours = whole_hours.saturating_add(i64::from(self.windows[ta]));
                plan.c.amount
            } else if hourly {
                let len = ns(span.end).less(ns(span.start));
                // An interval of whole hours is that many windows; a part of an hour is one,
                // and pays its part of the hour.
                let windows = if tb.saturating_sub(ta) == 1 {
                    Decimal::from(self.windows[ta])
                } else {
                    Decimal::ONE
                };
                let hours = len.over(Decimal::from_i128_with_scale(HOUR_NS, 0));
                let per = hours
                    .and_then(|h| plan.c.amount.times(h))
                    .and_then(|x| x.over(windows));
                let per = per.or_overflow(overflow)?;
                plan.committed = per
                    .times(windows)
                    .and_then(|x| x.plus(plan.committed))
                    .or_overflow(overflow)?;
                per
            } else {
                // The month's amount, prorated by the hours of the term in it.
                let len = ns(span.end).less(ns(span.start));
                let month = Period::month_of(span.start);
                let part = len.over(ns(month.end).less(ns(month.start)));
                let per = part.and_then(|s| plan.c.amount.times(s));
                let per = per.or_overflow(overflow)?;
                plan.committed = per.plus(plan.committed).or_overflow(overflow)?;
                per
            };
            let mut left = per_window;
            for &(_, rate, g) in &order {
                if left.is_zero() {
                    break;
                }
                // The group's uncovered units at the plan's rate, per window (hourly; the
                // parts of an hour together) or for the month.
                let mut units = Decimal::ZERO;
                for t in ta..tb {
                    let i = g.saturating_mul(nt).saturating_add(t);
                    let w = if hourly { 1 } else { self.windows[t] };
                    let u = i64::from(w).saturating_mul(self.units[i]);
                    if u != 0 {
                        // Most units are wholly uncovered yet: no product by one.
                        let u = if self.left[i] == Decimal::ONE {
                            Some(Decimal::from(u))
                        } else {
                            Decimal::from(u).times(self.left[i])
                        };
                        // An hourly bucket is one interval: nothing to add to yet.
                        units = if units.is_zero() {
                            u
                        } else {
                            u.and_then(|x| x.plus(units))
                        }
                        .or_overflow(overflow)?;
                    }
                }
                let divisor = self.groups[g].3;
                let value = units.times(rate);
                let value = if divisor == Decimal::ONE {
                    value
                } else {
                    value.and_then(|x| x.over(divisor))
                };
                let value = value.or_overflow(overflow)?;
                if value.is_zero() {
                    continue;
                }
                // The share of the group's uncovered units this plan covers.
                let f = if left >= value {
                    Decimal::ONE
                } else {
                    left.over(value).or_overflow(overflow)?
                };
                left = left.less(value.min(left));
                for t in ta..tb {
                    let i = g.saturating_mul(nt).saturating_add(t);
                    if f == Decimal::ONE {
                        share[i] = self.left[i];
                        self.left[i] = Decimal::ZERO;
                    } else {
                        share[i] = self.left[i].times(f).or_overflow(overflow)?;
                        self.left[i] = self.left[i]
                            .times(Decimal::ONE.less(f))
                            .or_overflow(overflow)?;
                    }
                }
            }
        }
        plan.committed = plan
            .c
            .amount
            .times(Decimal::from(whole_hours))
            .and_then(|x| x.plus(plan.committed))
            .or_overflow(overflow)?;
        // Prefix sums of share x windows, per group.
        let mut prefix = Vec::with_capacity(self.groups.len().saturating_mul(self.t1()));
        for row in share.chunks(nt.max(1)).take(self.groups.len()) {
            let mut run = Decimal::ZERO;
            prefix.push(run);
            for (t, s) in row.iter().enumerate() {
                if !s.is_zero() {
                    let w = self.windows[t];
                    let sw = if w == 1 {
                        Some(*s)
                    } else {
                        s.times(Decimal::from(w))
                    };
                    run = sw.and_then(|x| x.plus(run)).or_overflow(overflow)?;
                }
                prefix.push(run);
            }
        }
        Ok(prefix)
    }
}

/// The windows of an interval: its clock hours when it is whole hours, else one (a part of an
/// hour, cut by a price segment or the period).
fn windows_in(p: &Period) -> i128 {
    let (a, b) = (nanos(p.start), nanos(p.end));
    if a.floor_rem(HOUR_NS) == 0 && b.floor_rem(HOUR_NS) == 0 {
        b.saturating_sub(a).floor_div(HOUR_NS).max(1)
    } else {
        1
    }
}

/// The plan rate of a price (or an amount) under a plan's percent: the one place it is worked
/// out, for rating and for the payment options.
pub(crate) fn plan_rate(price: Decimal, percent: Decimal) -> Option<Decimal> {
    price
        .times(Decimal::ONE_HUNDRED.less(percent))
        .and_then(|x| x.over(Decimal::ONE_HUNDRED))
}

/// An eligible line split into the units each plan covered (at the plan's rate, less what was
/// paid upfront) and the rest (on demand); none when no plan covered any. Each plan's `used`
/// grows by what it covered here, as the lines state it.
fn split_line(
    book: &PriceBook,
    l: &RatedLine,
    per_plan: &[Decimal],
    plans: &mut [Plan],
) -> Result<Option<Vec<RatedLine>>> {
    if per_plan.iter().all(|u| u.is_zero()) {
        return Ok(None);
    }
    let cur = book.currency();
    let overflow = || format!("the savings plans of `{}`", l.sku);
    // At full precision: rounding the units (to the millionth, say) moves a line's amount
    // across a half cent (1,066.625 would become 1,066.624998).
    // The plans' units, in plan order, never more in all than the line has.
    let mut room = l.quantity;
    let per_plan: Vec<Decimal> = per_plan
        .iter()
        .map(|u| {
            let u = (*u).min(room).max(Decimal::ZERO);
            room = room.less(u);
            u
        })
        .collect();
    let rest = room;
    let mut parts = Vec::new();
    if rest > Decimal::ZERO {
        parts.push(line::requantify(
            l,
            rest,
            l.unit_price,
            cur,
            l.rule.clone(),
            "on demand: not covered by a savings plan",
        )?);
    }
    for (plan, &units) in plans.iter_mut().zip(&per_plan) {
        if units.is_zero() {
            continue;
        }
        let Charge::SavingsPlan {
            eligible,
            commitment,
            ..
        } = &plan.product.charge
        else {
            continue;
        };
        let percent = eligible
            .iter()
            .find(|e| e.sku == l.sku)
            .map_or(Decimal::ZERO, |e| e.percent);
        let at_rate = plan_rate(l.unit_price, percent).or_overflow(overflow)?;
        let rate = at_rate
            .times(Decimal::ONE.less(plan.paid_upfront))
            .or_overflow(overflow)?;
        plan.used = units
            .times(at_rate)
            .and_then(|x| x.over(l.divisor))
            .and_then(|x| x.plus(plan.used))
            .or_overflow(overflow)?;
        let mut note = format!(
            "covered by savings plan `{}`: {} {cur} less {} %",
            plan.id(),
            l.unit_price.normalize(),
            percent.normalize()
        );
        note.push_str(&upfront_note(plan));
        let rule = match commitment {
            CommitmentKind::Hourly => "savings_plan/hourly",
            CommitmentKind::Monthly => "savings_plan/monthly",
        };
        let mut part = line::requantify(l, units.normalize(), rate, cur, rule.into(), &note)?;
        part.slice = Some(format!("savings plan {}", plan.id()));
        parts.push(part);
    }
    Ok(Some(parts))
}

/// ", half paid upfront" and the like, for formulas.
fn upfront_note(plan: &Plan) -> String {
    match plan.c.upfront {
        Upfront::None => String::new(),
        Upfront::All => ", paid upfront".into(),
        Upfront::Partial => format!(
            ", {} % paid upfront",
            plan.paid_upfront
                .times(Decimal::ONE_HUNDRED)
                .unwrap_or_default()
                .normalize()
        ),
    }
}

/// A plan's own lines: what it left unused in the period (always, zero included, so the
/// commitment shows), and what is paid upfront when its term starts in the period.
fn plan_lines(
    book: &PriceBook,
    plan: &Plan,
    period: Period,
    lines: &mut Vec<RatedLine>,
) -> Result<()> {
    let Charge::SavingsPlan {
        commitment,
        term_months,
        ..
    } = &plan.product.charge
    else {
        return Ok(());
    };
    let q0 = plan.qs[0];
    let plan_id = q0.resource.as_deref().unwrap_or_default();
    let overflow = || format!("the savings plan `{plan_id}`");
    let (catalog, _) = book.price_of(q0)?;
    let cur = catalog.currency.as_str();
    let per = match commitment {
        CommitmentKind::Hourly => "an hour",
        CommitmentKind::Monthly => "a month",
    };
    let due = Decimal::ONE.less(plan.paid_upfront);
    // What the plan left unused; a residue of the divisions below a billionth of a cent is none.
    let unused = plan
        .committed
        .less(plan.used)
        .max(Decimal::ZERO)
        .round_dp(11)
        .normalize();
    let segment = Period {
        start: plan
            .qs
            .iter()
            .map(|q| q.segment.start)
            .min()
            .unwrap_or(period.start),
        end: plan
            .qs
            .iter()
            .map(|q| q.segment.end)
            .max()
            .unwrap_or(period.end),
    };
    let hours = crate::num::sum(plan.qs.iter().map(|q| q.quantity)).or_overflow(overflow)?;
    let unit = Unit::Count(format!("{cur} unused"));
    let mut l = line::line(
        q0,
        plan.product,
        catalog,
        unused.normalize(),
        due,
        unit.name(),
        Decimal::ONE,
        "savings_plan/unused".into(),
        "",
    )?;
    l.unit = unit;
    l.segment = segment;
    l.slice = Some("unused".into());
    let what = match commitment {
        CommitmentKind::Hourly => format!("{} hours", hours.normalize()),
        CommitmentKind::Monthly => "the month".to_string(),
    };
    l.formula = format!(
        "{} {cur} {per} committed for {what}: {:.2} {cur}, {:.2} {cur} used by covered usage, {:.2} {cur} unused{}",
        plan.c.amount.normalize(),
        plan.committed.round_dp(2),
        plan.used.round_dp(2),
        unused.round_dp(2),
        match plan.c.upfront {
            Upfront::None => String::new(),
            Upfront::All => ", all paid upfront: nothing more due".to_string(),
            Upfront::Partial => format!(
                ", {} % due now{}",
                due.times(Decimal::ONE_HUNDRED)
                    .unwrap_or_default()
                    .normalize(),
                upfront_note(plan)
            ),
        }
    );
    lines.push(l);
    if plan.paid_upfront > Decimal::ZERO && period.contains(plan.c.term.start) {
        let (count, what) = match commitment {
            CommitmentKind::Hourly => (Decimal::from(plan.c.term.hours()), "hour"),
            CommitmentKind::Monthly => (Decimal::from(*term_months), "month"),
        };
        let price = plan
            .c
            .amount
            .times(plan.paid_upfront)
            .or_overflow(overflow)?;
        let mut l = line::line(
            q0,
            plan.product,
            catalog,
            count,
            price,
            what,
            Decimal::ONE,
            "savings_plan/upfront".into(),
            "",
        )?;
        l.unit = if what == "hour" {
            Unit::Hour
        } else {
            Unit::Month
        };
        l.segment = segment;
        l.slice = Some("upfront".into());
        l.formula = format!(
            "{count} {what}s of the term x {} {cur} {per}{}",
            plan.c.amount.normalize(),
            upfront_note(plan)
        );
        if plan.paid_upfront < Decimal::ONE {
            l.formula
                .push_str(&format!(": {} {cur} {per} upfront", price.normalize()));
        }
        lines.push(l);
    }
    Ok(())
}
