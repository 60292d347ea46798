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
use crate::time::{Period, format_instant, from_nanos, nanos};

const HOUR: i128 = 3_600_000_000_000;

/// The term of a plan bought at `at`: from the start of that clock hour, for `months`.
pub(crate) fn term(at: DateTime<Utc>, months: u32) -> Option<Period> {
    let start = from_nanos(nanos(at).div_euclid(HOUR).saturating_mul(HOUR));
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
        let hours = Decimal::from_i128_with_scale(
            nanos(end).saturating_sub(nanos(start)).div_euclid(HOUR),
            0,
        );
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

/// A piece of eligible usage: one resource's stretch inside one interval of time, between two
/// cuts where anything changes (a stretch, a price segment, a term, a month).
struct Cell {
    /// The hourly usage it comes from, and the account's eligible line it belongs to.
    usage: usize,
    line: usize,
    period: Period,
    /// Windows in the interval, and units in each.
    windows: u32,
    units: u32,
    /// The share of the units not yet covered by a plan (1 at first).
    left: Decimal,
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
        // Unstable sorts on keys no two share (the segment tells a plan's quantities apart):
        // the order a stable sort gives, without a second sort algorithm in the calculator.
        qs.sort_unstable_by(|a, b| {
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
    all.sort_unstable_by(|a, b| key(a).cmp(&key(b)));
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
        let mut cells = cells(book, usage, &mine, lines, plans, period)?;
        let n = plans.len();
        let mut covered = vec![Decimal::ZERO; mine.len().saturating_mul(n)];
        for (k, plan) in plans.iter_mut().enumerate() {
            cover(
                plan,
                k,
                n,
                usage,
                lines,
                &mine,
                &mut cells,
                period,
                &mut covered,
            )?;
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

/// The account's eligible usage cut at every boundary where anything changes: the stretches,
/// the price segments, the plans' terms and, for monthly plans, the months. Inside one interval
/// every window of a cell is the same, so a window's coverage is worked out once per interval.
/// In time order.
fn cells(
    book: &PriceBook,
    usage: &[HourlyUse],
    mine: &[(usize, usize)],
    lines: &[RatedLine],
    plans: &[Plan],
    period: Period,
) -> Result<Vec<Cell>> {
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
    for &(_, u) in mine {
        for s in &usage[u].stretches {
            cuts.extend([s.period.start, s.period.end]);
        }
    }
    // A cut inside an hour (a price change at 12:30) isolates its clock hour: the hour is one
    // window of the commitment, whatever the prices inside it.
    let inside: Vec<DateTime<Utc>> = cuts
        .iter()
        .filter(|t| nanos(**t).rem_euclid(HOUR) != 0)
        .flat_map(|t| {
            let h = nanos(*t).div_euclid(HOUR).saturating_mul(HOUR);
            [from_nanos(h), from_nanos(h.saturating_add(HOUR))]
        })
        .collect();
    cuts.extend(inside);
    cuts.retain(|t| period.start <= *t && *t <= period.end);
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    for (li, &(line, u)) in mine.iter().enumerate() {
        let seg = lines[line].segment;
        for s in &usage[u].stretches {
            for w in cuts.windows(2) {
                let (a, b) = (w[0], w[1]);
                if a < s.period.start || s.period.end < b || !seg.contains(a) {
                    continue;
                }
                out.push(Cell {
                    usage: u,
                    line: li,
                    period: Period { start: a, end: b },
                    windows: u32::try_from(windows_in(&Period { start: a, end: b }))
                        .unwrap_or(u32::MAX),
                    units: s.units,
                    left: Decimal::ONE,
                });
            }
        }
    }
    out.sort_unstable_by_key(|c| (c.period.start, c.line));
    Ok(out)
}

/// The windows of an interval: its clock hours when it is whole hours, else one (a part of an
/// hour, cut by a price segment or the period).
fn windows_in(p: &Period) -> i128 {
    let (a, b) = (nanos(p.start), nanos(p.end));
    if a.rem_euclid(HOUR) == 0 && b.rem_euclid(HOUR) == 0 {
        b.saturating_sub(a).div_euclid(HOUR).max(1)
    } else {
        1
    }
}

/// The plan rate of a line's price under a plan's percent.
fn plan_rate(price: Decimal, percent: Decimal) -> Option<Decimal> {
    price
        .times(Decimal::ONE_HUNDRED.less(percent))
        .and_then(|x| x.over(Decimal::ONE_HUNDRED))
}

/// Plan `k` (of `n`) set against the cells, window by window (an hour, or a calendar month):
/// each window's commitment covers the window's eligible usage at the plan's rate, highest
/// percent first, then the lowest plan rate; the covered units go to `covered` by line.
#[allow(clippy::too_many_arguments)]
fn cover(
    plan: &mut Plan,
    k: usize,
    n: usize,
    usage: &[HourlyUse],
    lines: &[RatedLine],
    mine: &[(usize, usize)],
    cells: &mut [Cell],
    period: Period,
    covered: &mut [Decimal],
) -> Result<()> {
    let Charge::SavingsPlan {
        commitment,
        eligible,
        ..
    } = &plan.product.charge
    else {
        return Ok(());
    };
    let overflow = || format!("the savings plan `{}`", plan.product.sku);
    let term = Period {
        start: plan.c.term.start.max(period.start),
        end: plan.c.term.end.min(period.end),
    };
    if term.start >= term.end {
        return Ok(());
    }
    let hourly = *commitment == CommitmentKind::Hourly;
    // Buckets: for an hourly plan, the clock hours of the term, alike between two cuts (each
    // span's windows); for a monthly plan each calendar month of the term (one window).
    let mut cuts: Vec<DateTime<Utc>> = vec![term.start, term.end];
    if hourly {
        cuts.extend(
            cells
                .iter()
                .flat_map(|c| [c.period.start, c.period.end])
                .filter(|t| nanos(*t).rem_euclid(HOUR) == 0),
        );
    } else {
        let mut m = term.start;
        while m < term.end {
            m = Period::month_of(m).end;
            cuts.push(m);
        }
    }
    cuts.retain(|t| term.start <= *t && *t <= term.end);
    cuts.sort_unstable();
    cuts.dedup();
    let ns = |t: DateTime<Utc>| Decimal::from_i128_with_scale(nanos(t), 0);
    for w in cuts.windows(2) {
        let span = Period {
            start: w[0],
            end: w[1],
        };
        let len = ns(span.end).less(ns(span.start));
        let (windows, per_window) = if hourly {
            // The amount per hour, for each window (a part of an hour pays its part).
            let windows = Decimal::from_i128_with_scale(windows_in(&span), 0);
            let hours = len.over(Decimal::from_i128_with_scale(HOUR, 0));
            let per = hours
                .and_then(|h| plan.c.amount.times(h))
                .and_then(|x| x.over(windows));
            (windows, per.or_overflow(overflow)?)
        } else {
            // The month's amount, prorated by the hours of the term in it.
            let month = Period::month_of(span.start);
            let share = len.over(ns(month.end).less(ns(month.start)));
            let per = share.and_then(|s| plan.c.amount.times(s));
            (Decimal::ONE, per.or_overflow(overflow)?)
        };
        plan.committed = per_window
            .times(windows)
            .and_then(|x| x.plus(plan.committed))
            .or_overflow(overflow)?;
        // The eligible cells of the bucket (cells are in time order), valued at the plan's
        // rate, in the order they are covered.
        let a = cells.partition_point(|c| c.period.start < span.start);
        let b = cells.partition_point(|c| c.period.start < span.end);
        let mut order: Vec<(Decimal, Decimal, usize, usize)> = Vec::new();
        for (i, c) in cells.iter().enumerate().take(b).skip(a) {
            let l = &lines[mine[c.line].0];
            let Some(e) = eligible.iter().find(|e| e.sku == l.sku) else {
                continue;
            };
            if c.left > Decimal::ZERO {
                let rate = plan_rate(l.unit_price, e.percent).or_overflow(overflow)?;
                order.push((e.percent, rate, c.usage, i));
            }
        }
        let key = |&(p, r, u, _): &(Decimal, Decimal, usize, usize)| {
            let u = &usage[u];
            (std::cmp::Reverse(p), r, u.sku.as_str(), u.region.as_str())
        };
        order.sort_unstable_by(|x, y| key(x).cmp(&key(y)).then(x.3.cmp(&y.3)));
        let mut left = per_window;
        for group in order.chunk_by(|x, y| key(x) == key(y)) {
            if left.is_zero() {
                break;
            }
            // The group's value at the plan's rate, per window (hourly) or for the month.
            let mut value = Decimal::ZERO;
            for &(_, rate, _, i) in group {
                let c = &cells[i];
                let mut units = Decimal::from(c.units).times(c.left);
                if !hourly {
                    units = units.and_then(|u| u.times(Decimal::from(c.windows)));
                }
                let v = units
                    .and_then(|u| u.times(rate))
                    .and_then(|x| x.over(lines[mine[c.line].0].divisor))
                    .and_then(|x| x.plus(value));
                value = v.or_overflow(overflow)?;
            }
            if value.is_zero() {
                continue;
            }
            // The share of the group's remaining units this plan covers.
            let share = if left >= value {
                Decimal::ONE
            } else {
                left.over(value).or_overflow(overflow)?
            };
            left = left.less(value.min(left));
            for &(.., i) in group {
                let c = &mut cells[i];
                let units = Decimal::from(c.units)
                    .times(Decimal::from(c.windows))
                    .and_then(|x| x.times(c.left))
                    .and_then(|x| x.times(share))
                    .or_overflow(overflow)?;
                c.left = c
                    .left
                    .times(Decimal::ONE.less(share))
                    .or_overflow(overflow)?;
                let slot = c.line.saturating_mul(n).saturating_add(k);
                if let Some(s) = covered.get_mut(slot) {
                    *s = s.plus(units).or_overflow(overflow)?;
                }
            }
        }
    }
    Ok(())
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
    let all = crate::num::sum(per_plan.iter().copied()).or_overflow(overflow)?;
    let rest = l.quantity.less(all).max(Decimal::ZERO);
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
    for (plan, &units) in plans.iter_mut().zip(per_plan) {
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
        let units = units.min(l.quantity);
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
    let (catalog, _) = book.price(&q0.sku, &q0.region, q0.price_at)?;
    let cur = catalog.currency.as_str();
    let per = match commitment {
        CommitmentKind::Hourly => "an hour",
        CommitmentKind::Monthly => "a month",
    };
    let due = Decimal::ONE.less(plan.paid_upfront);
    let unused = plan.committed.less(plan.used).max(Decimal::ZERO);
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
        "{} {cur} {per} committed for {what}: {} {cur}, {} {cur} used by covered usage, {} {cur} unused{}",
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
