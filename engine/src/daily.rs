//! The cost of each day of a period: what the explorer groups by `day`.
//!
//! A day's cost is the period rated up to the day's end (the events then known, over
//! `[start, end of day)`, as the projection's "so far"), less the same up to the day before,
//! line by line. Amounts are subtracted after the invoice's rounding, so each day's line is in
//! whole cents and the days add up to the period's rating to the cent, per line and per group:
//! the last day's cumulative rating *is* the period's rating.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::catalog::PriceBook;
use crate::error::{Error, Result};
use crate::event::UsageEvent;
use crate::money::{self, RoundingMode};
use crate::num::{Arith, OrOverflow};
use crate::rate::{RatedLine, Rating};
use crate::time::{self, Period};

/// Most days a period may have to be cut in days.
pub const MAX_DAYS: usize = 31;

/// What a cumulative line is matched by from one day to the next: everything but the
/// quantity, the amount, the segment's end and the words.
type Key = (
    (
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        String,
    ),
    (
        String,
        String,
        Decimal,
        String,
        Decimal,
        BTreeMap<String, String>,
        DateTime<Utc>,
    ),
);

fn key(l: &RatedLine) -> Key {
    (
        (
            l.account.clone(),
            l.resource.clone(),
            l.sku.clone(),
            l.region.clone(),
            l.slice.clone(),
            l.unit.name().to_string(),
        ),
        (
            l.rule.clone(),
            l.catalog.clone(),
            l.unit_price,
            l.price_unit.clone(),
            l.divisor,
            l.tags.clone(),
            l.segment.start,
        ),
    )
}

/// The ratings of each UTC day of `period` (at most [`MAX_DAYS`]), each of the day's period,
/// whose lines are the day's cost: a line per line of the cumulative rating that changed.
pub fn days(
    book: &PriceBook,
    period: &Period,
    events: &[UsageEvent],
    rounding: RoundingMode,
) -> Result<Vec<Rating>> {
    let mut bounds = Vec::new();
    let mut at = period.start;
    while at < period.end {
        if bounds.len() == MAX_DAYS {
            return Err(Error::Period(format!(
                "{}: more than {MAX_DAYS} days to cut in days",
                period.label()
            )));
        }
        let next = at
            .date_naive()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            .unwrap_or(period.end)
            .min(period.end);
        bounds.push((at, next));
        at = next;
    }
    let currency = book.currency().to_string();
    let round = |x: Decimal| money::round(x, &currency, rounding);
    // Per key: the cumulative quantity and rounded amount, and a line to describe it.
    let mut before: BTreeMap<Key, (Decimal, Decimal, RatedLine)> = BTreeMap::new();
    let mut out = Vec::with_capacity(bounds.len());
    for (start, end) in bounds {
        let (cumulative, _) = crate::projection::so_far(book, events, period, end)?;
        let day = Period::new(start, end)?;
        let what = || format!("the cost of {}", time::format_instant(&start));
        let mut now: BTreeMap<Key, (Decimal, Decimal, RatedLine)> = BTreeMap::new();
        for l in &cumulative.lines {
            let amount = round(l.amount);
            match now.get_mut(&key(l)) {
                // Two cumulative lines with one key (a resource run twice in a segment) are
                // one, as the day before's were.
                Some(e) => {
                    e.0 = e.0.plus(l.quantity).or_overflow(what)?;
                    e.1 = e.1.plus(amount).or_overflow(what)?;
                }
                None => {
                    now.insert(key(l), (l.quantity, amount, l.clone()));
                }
            }
        }
        let zero = (Decimal::ZERO, round(Decimal::ZERO));
        let mut lines = Vec::new();
        for (k, (q, a, l)) in &now {
            let (q0, a0) = before.get(k).map_or(zero, |b| (b.0, b.1));
            let quantity = q.minus(q0).or_overflow(what)?;
            let amount = a.minus(a0).or_overflow(what)?;
            if quantity.is_zero() && amount.is_zero() {
                continue;
            }
            let mut d = l.clone();
            d.formula = if before.contains_key(k) {
                format!(
                    "{} to the day's end = {a}, less {a0} the day before",
                    l.formula
                )
            } else {
                format!("{} to the day's end = {a}", l.formula)
            };
            lines.push(day_line(d, day, quantity, amount));
        }
        // A line of the day before that is no longer counted: its cost is given back.
        for (k, (q0, a0, l)) in &before {
            if now.contains_key(k) || (q0.is_zero() && a0.is_zero()) {
                continue;
            }
            let zero_q = Decimal::ZERO;
            let mut d = l.clone();
            d.formula = format!("no longer counted to the day's end, less {a0} the day before");
            lines.push(day_line(
                d,
                day,
                zero_q.minus(*q0).or_overflow(what)?,
                zero.1.minus(*a0).or_overflow(what)?,
            ));
        }
        out.push(Rating {
            period: day,
            catalog: cumulative.catalog,
            currency: cumulative.currency,
            lines,
            diagnostics: Vec::new(),
            rejects: Vec::new(),
        });
        before = now;
    }
    Ok(out)
}

/// A day's line: the cumulative line's description over the day, with the day's quantity
/// and amount.
fn day_line(mut l: RatedLine, day: Period, quantity: Decimal, amount: Decimal) -> RatedLine {
    l.segment = day;
    l.quantity = quantity.normalize();
    l.amount = amount;
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::{Dimension, ExploreRequest, explore};

    fn book() -> PriceBook {
        PriceBook::single(
            crate::Catalog::from_json(include_str!("../../catalog/stratus-2026-01.json")).unwrap(),
        )
    }

    /// An instance run over a few days, a volume resized, storage samples and egress over the
    /// free allowance and into a tier, and an IP: every way a line grows in a month.
    const EVENTS: &str = r#"{"id":"1","account":"a","resource":"vm","sku":"b2-15","region":"gra","kind":"start","at":"2026-01-03T10:20:00Z","tags":{"project":"web"}}
{"id":"2","account":"a","resource":"vm","sku":"b2-15","region":"gra","kind":"delete","at":"2026-01-09T14:30:00Z"}
{"id":"3","account":"a","resource":"vol","sku":"classic-volume","region":"gra","kind":"start","at":"2026-01-05T10:00:00Z","quantity":"100"}
{"id":"4","account":"a","resource":"vol","sku":"classic-volume","region":"gra","kind":"sample","at":"2026-01-15T10:00:00Z","quantity":"250"}
{"id":"5","account":"a","resource":"b","sku":"object-storage","region":"gra","kind":"sample","at":"2026-01-02T12:00:00Z","quantity":"40"}
{"id":"6","account":"a","resource":"b","sku":"object-storage","region":"gra","kind":"sample","at":"2026-01-20T12:00:00Z","quantity":"900"}
{"id":"7","account":"a","resource":"b","sku":"object-egress","region":"gra","kind":"increment","at":"2026-01-04T13:00:00Z","quantity":"700.5"}
{"id":"8","account":"a","resource":"b","sku":"object-egress","region":"gra","kind":"increment","at":"2026-01-18T13:00:00Z","quantity":"15000"}
{"id":"9","account":"a","resource":"ip","sku":"failover-ip","region":"gra","kind":"start","at":"2026-01-03T09:00:00Z"}"#;

    fn group(ratings: &[Rating], by: &[Dimension]) -> crate::explore::Exploration {
        let req = ExploreRequest {
            group_by: by.to_vec(),
            ..Default::default()
        };
        explore(&book(), ratings, None, &req).unwrap()
    }

    #[test]
    fn the_days_add_up_to_the_month_to_the_cent_per_line_and_group() {
        let book = book();
        let parsed = crate::event::parse(EVENTS);
        assert!(parsed.rejects.is_empty(), "{:?}", parsed.rejects);
        let month = Period::month(2026, 1).unwrap();
        let rating =
            crate::rate(&book, &crate::meter(&book, month, &parsed.events).unwrap()).unwrap();
        let days = days(&book, &month, &parsed.events, RoundingMode::default()).unwrap();
        assert_eq!(days.len(), 31);
        assert_eq!(
            days[0].period.label(),
            "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"
        );
        for by in [
            vec![Dimension::Sku],
            vec![Dimension::Resource, Dimension::Tag("project".into())],
            vec![],
        ] {
            let m = group(std::slice::from_ref(&rating), &by);
            let d = group(&days, &by);
            assert_eq!(d.total, m.total, "{by:?}");
            let amounts = |e: &crate::explore::Exploration| {
                e.groups
                    .iter()
                    .map(|g| (g.values.clone(), g.amount))
                    .collect::<BTreeMap<_, _>>()
            };
            assert_eq!(amounts(&d), amounts(&m), "{by:?}");
        }
        assert!(
            !rating.lines.is_empty()
                && rating.summary(RoundingMode::default()).total > Decimal::ONE_HUNDRED
        );
        // By day: nothing before the first event; the instance's first day is 13 h 40 min.
        let by_day = group(&days, &[Dimension::Day, Dimension::Sku]);
        let cost = |day: &str, sku: &str| {
            by_day
                .groups
                .iter()
                .find(|g| g.values == [day, sku])
                .map(|g| g.amount)
        };
        assert_eq!(cost("2026-01-01", "b2-15"), None);
        assert!(cost("2026-01-03", "b2-15").is_some_and(|a| a > Decimal::ZERO));
        assert_eq!(cost("2026-01-12", "b2-15"), None, "deleted on the 9th");
        // Every day line is in whole cents and says how it was made.
        for l in days.iter().flat_map(|r| &r.lines) {
            assert_eq!(l.amount, l.amount.round_dp(2), "{l:?}");
            assert!(l.formula.contains("to the day's end"), "{}", l.formula);
        }
    }

    #[test]
    fn day_needs_the_days_ratings_and_a_period_of_days() {
        let book = book();
        let month = Period::month(2026, 1).unwrap();
        let rating = crate::rate(&book, &crate::meter(&book, month, &[]).unwrap()).unwrap();
        let req = ExploreRequest {
            group_by: vec![Dimension::Day],
            ..Default::default()
        };
        let e = explore(&book, &[rating], None, &req).unwrap_err();
        assert!(e.to_string().contains("not of single days"), "{e}");
        let long = Period::new(month.start, month.end + chrono::Duration::days(2)).unwrap();
        let e = days(&book, &long, &[], RoundingMode::default()).unwrap_err();
        assert!(e.to_string().contains("more than 31 days"), "{e}");
    }
}
