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

use std::collections::BTreeMap;

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

/// A piece of eligible usage: one resource's stretch inside one interval of time.
struct Cell<'a> {
    usage: &'a HourlyUse,
    /// The interval (between two boundaries of any stretch, segment, term or month).
    period: Period,
    /// Windows in the interval, and units in each.
    windows: u32,
    units: u32,
    /// The share of the units not yet covered by a plan (1 at first).
    left: Decimal,
    /// The on-demand price per hour and the units per hour.
    price: Decimal,
    per_hour: Decimal,
}

/// Covered units, per eligible line (account, resource, sku, region, segment start) and plan.
type Covered = BTreeMap<(String, String, String, String, DateTime<Utc>, usize), Decimal>;

/// Sets each plan against the eligible usage of its account, splits the eligible lines into
/// covered and on-demand parts, and adds each plan's unused and upfront lines.
pub(crate) fn apply(
    book: &PriceBook,
    plans: &[(&Product, Vec<&Quantity>)],
    usage: &[HourlyUse],
    period: Period,
    lines: &mut Vec<RatedLine>,
) -> Result<()> {
    // Plans per account, in the order they were bought (then by resource).
    let mut by_account: BTreeMap<&str, Vec<Plan>> = BTreeMap::new();
    for (product, qs) in plans {
        let Charge::SavingsPlan {
            partial_upfront_percent,
            ..
        } = &product.charge
        else {
            continue;
        };
        let mut per_resource: BTreeMap<(&str, Option<&str>), Vec<&Quantity>> = BTreeMap::new();
        for q in qs {
            per_resource
                .entry((q.account.as_str(), q.resource.as_deref()))
                .or_default()
                .push(q);
        }
        for ((account, _), qs) in per_resource {
            let Some(c) = qs.first().and_then(|q| q.commitment.as_ref()) else {
                continue;
            };
            let paid_upfront = match c.upfront {
                Upfront::None => Decimal::ZERO,
                Upfront::Partial => partial_upfront_percent
                    .over(Decimal::ONE_HUNDRED)
                    .unwrap_or_default(),
                Upfront::All => Decimal::ONE,
            };
            by_account.entry(account).or_default().push(Plan {
                product,
                qs,
                c,
                paid_upfront,
                committed: Decimal::ZERO,
                used: Decimal::ZERO,
            });
        }
    }
    let mut covered = Covered::new();
    for (account, plans) in &mut by_account {
        plans.sort_by(|a, b| {
            (a.c.term.start, &a.qs[0].resource).cmp(&(b.c.term.start, &b.qs[0].resource))
        });
        let mine: Vec<&HourlyUse> = usage.iter().filter(|u| u.account == *account).collect();
        let mut cells = cells(book, &mine, plans, period)?;
        for (k, plan) in plans.iter_mut().enumerate() {
            cover(plan, k, &mut cells, period, &mut covered)?;
        }
    }
    // What each plan used, from the covered units as the lines state them.
    let used = split_lines(book, &by_account, &covered, lines)?;
    for (account, plans) in &mut by_account {
        for (k, plan) in plans.iter_mut().enumerate() {
            plan.used = used.get(&(*account, k)).copied().unwrap_or_default();
        }
    }
    for plans in by_account.values() {
        for plan in plans {
            plan_lines(book, plan, period, lines)?;
        }
    }
    Ok(())
}

/// The eligible usage cut at every boundary where anything changes: the stretches, the price
/// segments, the plans' terms and, for monthly plans, the months. Inside one interval every
/// window of a cell is the same, so a window's coverage is worked out once per interval.
fn cells<'a>(
    book: &PriceBook,
    usage: &[&'a HourlyUse],
    plans: &[Plan],
    period: Period,
) -> Result<Vec<Cell<'a>>> {
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
    for u in usage {
        for s in &u.stretches {
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
    for u in usage {
        let Some(product) = book.product(&u.sku) else {
            continue;
        };
        let Charge::TimeMetered { granularity, .. } = product.charge else {
            continue;
        };
        let per_hour = Decimal::from(3600i64.checked_div(granularity.seconds()).unwrap_or(1));
        for s in &u.stretches {
            for w in cuts.windows(2) {
                let (a, b) = (w[0], w[1]);
                if a < s.period.start || s.period.end < b {
                    continue;
                }
                let windows =
                    u32::try_from(windows_in(&Period { start: a, end: b })).unwrap_or(u32::MAX);
                let (_, price) = book.price(&u.sku, &u.region, a)?;
                let price = price.unit_price.ok_or_else(|| Error::NoPrice {
                    catalog: book.id().to_string(),
                    sku: u.sku.clone(),
                    region: u.region.clone(),
                    message: "the price has no `unit_price`".into(),
                })?;
                out.push(Cell {
                    usage: u,
                    period: Period { start: a, end: b },
                    windows,
                    units: s.units,
                    left: Decimal::ONE,
                    price,
                    per_hour,
                });
            }
        }
    }
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

/// One plan set against the cells, window by window (an hour, or a calendar month).
fn cover(
    plan: &mut Plan,
    index: usize,
    cells: &mut [Cell],
    period: Period,
    covered: &mut Covered,
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
    let percent = |sku: &str| eligible.iter().find(|e| e.sku == sku).map(|e| e.percent);
    // Buckets: for an hourly plan every interval of the term (its windows alike); for a
    // monthly plan each calendar month of the term.
    let mut buckets: Vec<(Period, Decimal, Decimal)> = Vec::new(); // (span, windows, commitment per window)
    match commitment {
        CommitmentKind::Hourly => {
            // Windows are clock hours: the cells' cuts on the hour, and the term's ends.
            let mut cuts: Vec<DateTime<Utc>> = cells
                .iter()
                .flat_map(|c| [c.period.start, c.period.end])
                .filter(|t| nanos(*t).rem_euclid(HOUR) == 0)
                .chain([term.start, term.end])
                .filter(|t| term.start <= *t && *t <= term.end)
                .collect();
            cuts.sort_unstable();
            cuts.dedup();
            for w in cuts.windows(2) {
                let span = Period {
                    start: w[0],
                    end: w[1],
                };
                let len = nanos(span.end).saturating_sub(nanos(span.start));
                let windows = windows_in(&span);
                let hours = Decimal::from_i128_with_scale(len, 0)
                    .over(Decimal::from_i128_with_scale(HOUR, 0))
                    .or_overflow(overflow)?;
                let per_window = plan
                    .c
                    .amount
                    .times(hours)
                    .and_then(|x| x.over(Decimal::from_i128_with_scale(windows, 0)))
                    .or_overflow(overflow)?;
                buckets.push((span, Decimal::from_i128_with_scale(windows, 0), per_window));
            }
        }
        CommitmentKind::Monthly => {
            let mut m = term.start;
            while m < term.end {
                let month = Period::month_of(m);
                let span = Period {
                    start: m,
                    end: month.end.min(term.end),
                };
                // The month's amount, prorated by the hours of the term in it.
                let share = Decimal::from_i128_with_scale(
                    nanos(span.end).saturating_sub(nanos(span.start)),
                    0,
                )
                .over(Decimal::from_i128_with_scale(
                    nanos(month.end).saturating_sub(nanos(month.start)),
                    0,
                ))
                .or_overflow(overflow)?;
                let amount = plan.c.amount.times(share).or_overflow(overflow)?;
                buckets.push((span, Decimal::ONE, amount));
                m = span.end;
            }
        }
    }
    for (span, windows, per_window) in buckets {
        let total = per_window.times(windows).or_overflow(overflow)?;
        plan.committed = plan.committed.plus(total).or_overflow(overflow)?;
        // Eligible groups in the bucket: (percent, plan rate per hour, sku, region) -> cells.
        // Hourly: the cells of this interval, per window. Monthly: the month's cells, in all.
        let mut groups: BTreeMap<(std::cmp::Reverse<Decimal>, Decimal, &str, &str), Vec<usize>> =
            BTreeMap::new();
        for (i, c) in cells.iter().enumerate() {
            let inside = span.start <= c.period.start && c.period.end <= span.end;
            if !inside || c.left.is_zero() {
                continue;
            }
            let Some(p) = percent(&c.usage.sku) else {
                continue;
            };
            let rate = c
                .price
                .times(Decimal::ONE_HUNDRED.less(p))
                .and_then(|x| x.over(Decimal::ONE_HUNDRED))
                .or_overflow(overflow)?;
            groups
                .entry((std::cmp::Reverse(p), rate, &c.usage.sku, &c.usage.region))
                .or_default()
                .push(i);
        }
        // Per window for an hourly plan (the cells' windows are alike), in all for a month.
        let mut left = per_window;
        for ((_, rate, _, _), members) in groups {
            // The group's value at the plan's rate, in the bucket's unit (a window or the month).
            let mut value = Decimal::ZERO;
            for &i in &members {
                let c = &cells[i];
                let mut units = Decimal::from(c.units).times(c.left).or_overflow(overflow)?;
                if matches!(commitment, CommitmentKind::Monthly) {
                    units = units
                        .times(Decimal::from(c.windows))
                        .or_overflow(overflow)?;
                }
                value = value
                    .plus(
                        units
                            .times(rate)
                            .and_then(|x| x.over(c.per_hour))
                            .or_overflow(overflow)?,
                    )
                    .or_overflow(overflow)?;
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
            let used = value.min(left);
            left = left.less(used);
            let used_all = used.times(windows).or_overflow(overflow)?;
            plan.used = plan.used.plus(used_all).or_overflow(overflow)?;
            for &i in &members {
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
                let key = (
                    c.usage.account.clone(),
                    c.usage.resource.clone(),
                    c.usage.sku.clone(),
                    c.usage.region.clone(),
                    c.period.start,
                    index,
                );
                let e = covered.entry(key).or_default();
                *e = e.plus(units).or_overflow(overflow)?;
            }
            if left.is_zero() {
                break;
            }
        }
    }
    Ok(())
}

/// The eligible lines of the accounts with plans, each split into the units a plan covered (at
/// the plan's rate, less what was paid upfront) and the rest (on demand).
/// Returns what each plan (account, index) used, at the plan's rate.
fn split_lines<'a>(
    book: &PriceBook,
    by_account: &BTreeMap<&'a str, Vec<Plan>>,
    covered: &Covered,
    lines: &mut Vec<RatedLine>,
) -> Result<BTreeMap<(&'a str, usize), Decimal>> {
    let mut used = BTreeMap::new();
    if covered.is_empty() {
        return Ok(used);
    }
    let cur = book.currency();
    let mut out = Vec::with_capacity(lines.len());
    for l in std::mem::take(lines) {
        let (Some((&account, plans)), Some(resource)) =
            (by_account.get_key_value(l.account.as_str()), &l.resource)
        else {
            out.push(l);
            continue;
        };
        let key = |t: DateTime<Utc>, k: usize| {
            (
                l.account.clone(),
                resource.clone(),
                l.sku.clone(),
                l.region.clone(),
                t,
                k,
            )
        };
        let mut per_plan: BTreeMap<usize, Decimal> = BTreeMap::new();
        for ((.., k), units) in covered.range(key(l.segment.start, 0)..key(l.segment.end, 0)) {
            let e = per_plan.entry(*k).or_default();
            *e = e.sat_plus(*units);
        }
        // At full precision: rounding the units (to the millionth, say) moves a line's amount
        // across a half cent (1,066.625 would become 1,066.624998).
        for units in per_plan.values_mut() {
            *units = (*units).min(l.quantity);
        }
        if per_plan.is_empty() {
            out.push(l);
            continue;
        }
        let overflow = || format!("the savings plans of `{}`", resource);
        let all = crate::num::sum(per_plan.values().copied()).or_overflow(overflow)?;
        let rest = l.quantity.less(all).max(Decimal::ZERO);
        let mut parts = Vec::new();
        if rest > Decimal::ZERO {
            parts.push(line::requantify(
                &l,
                rest,
                l.unit_price,
                cur,
                l.rule.clone(),
                "on demand: not covered by a savings plan",
            )?);
        }
        for (k, units) in per_plan {
            let Some(plan) = plans.get(k) else {
                continue;
            };
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
            let plan_rate = l
                .unit_price
                .times(Decimal::ONE_HUNDRED.less(percent))
                .and_then(|x| x.over(Decimal::ONE_HUNDRED))
                .or_overflow(overflow)?;
            let rate = plan_rate
                .times(Decimal::ONE.less(plan.paid_upfront))
                .or_overflow(overflow)?;
            let value = units
                .times(plan_rate)
                .and_then(|x| x.over(l.divisor))
                .or_overflow(overflow)?;
            let u = used.entry((account, k)).or_insert(Decimal::ZERO);
            *u = u.plus(value).or_overflow(overflow)?;
            let plan_id = plan.qs[0].resource.as_deref().unwrap_or_default();
            let mut note = format!(
                "covered by savings plan `{plan_id}`: {} {cur} less {} %",
                l.unit_price.normalize(),
                percent.normalize()
            );
            note.push_str(&upfront_note(plan));
            let mut part = line::requantify(
                &l,
                units.normalize(),
                rate,
                cur,
                format!(
                    "savings_plan/{}",
                    match commitment {
                        CommitmentKind::Hourly => "hourly",
                        CommitmentKind::Monthly => "monthly",
                    }
                ),
                &note,
            )?;
            part.slice = Some(format!("savings plan {plan_id}"));
            parts.push(part);
        }
        out.extend(parts);
    }
    *lines = out;
    Ok(used)
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
