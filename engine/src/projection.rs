//! Projection: the cost of the period so far, and at its end if the current resources keep
//! running. It feeds budget alerts at thresholds (50, 80 and 100 % of a budget by default).
//!
//! - So far: the events up to `as_of`, metered and rated over `[start, as_of)`.
//! - Projected: the same events over the whole period: a resource still running at `as_of`
//!   runs to the end (an open run is clipped at the period's end), storage stays as it is, and
//!   counters go on at their rate so far (scaled by period / elapsed).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::PriceBook;
use crate::error::{Error, Result};
use crate::event::UsageEvent;
use crate::meter::meter;
use crate::money::{self, RoundingMode};
use crate::num::{Arith, OrOverflow};
use crate::rate::{RatedLine, rate};
use crate::time::{self, Period};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectionRequest {
    pub period: Period,
    #[serde(with = "time::instant")]
    #[schemars(with = "String")]
    pub as_of: DateTime<Utc>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub budget: Option<Decimal>,
    /// Percent of the budget; 50, 80 and 100 by default.
    #[serde(default = "default_thresholds")]
    pub thresholds: Vec<u32>,
    #[serde(default)]
    pub rounding: RoundingMode,
}

fn default_thresholds() -> Vec<u32> {
    vec![50, 80, 100]
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Projection {
    pub period: Period,
    #[serde(with = "time::instant")]
    #[schemars(with = "String")]
    pub as_of: DateTime<Utc>,
    /// Elapsed share of the period, in percent (2 decimals).
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub elapsed_percent: Decimal,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub so_far: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub projected: Decimal,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub budget: Option<Decimal>,
    pub alerts: Vec<Alert>,
    /// The projected lines, for the breakdown.
    pub lines: Vec<RatedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Alert {
    pub threshold: u32,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub limit: Decimal,
    pub reached_so_far: bool,
    pub reached_projected: bool,
}

pub fn project(
    book: &PriceBook,
    events: &[UsageEvent],
    req: &ProjectionRequest,
) -> Result<Projection> {
    let p = req.period;
    check_as_of(&p, req.as_of)?;
    if req.thresholds.iter().any(|t| *t == 0 || *t > 1000) {
        return Err(Error::Request {
            item: None,
            field: "thresholds".into(),
            message: "each threshold is a percent from 1 to 1000".into(),
        });
    }
    let currency = book.currency().to_string();
    let total = |lines: &[RatedLine]| crate::rate::summarize(lines, &currency, req.rounding).total;
    let (so_far_lines, lines, elapsed, whole) = project_lines(book, events, &p, req.as_of)?;
    let so_far = total(&so_far_lines);
    let projected = total(&lines);
    let alerts = match req.budget {
        None => Vec::new(),
        Some(b) => alerts(b, &req.thresholds, so_far, projected, &currency),
    };
    Ok(Projection {
        period: p,
        as_of: req.as_of,
        elapsed_percent: percent_of(elapsed, whole),
        currency,
        so_far,
        projected,
        budget: req.budget,
        alerts,
        lines,
    })
}

/// The lines of the period so far (the events up to `as_of`, over `[start, as_of)`) and
/// projected to its end, with the seconds elapsed and in the whole period.
pub(crate) fn project_lines(
    book: &PriceBook,
    events: &[UsageEvent],
    p: &Period,
    as_of: DateTime<Utc>,
) -> Result<(Vec<RatedLine>, Vec<RatedLine>, Decimal, Decimal)> {
    let (so_far, known) = so_far(book, events, p, as_of)?;
    let so_far = so_far.lines;
    let mut metered = meter(book, *p, &known)?;
    let (elapsed, whole) = extrapolate(book, &mut metered, p, as_of)?;
    let projected = rate(book, &metered)?.lines;
    Ok((so_far, projected, elapsed, whole))
}

/// The period so far: the events known at `as_of` (those up to it), metered and rated over
/// `[start, as_of)`; and those events. What the service's views over consumption show of the
/// current month.
pub fn so_far(
    book: &PriceBook,
    events: &[UsageEvent],
    p: &Period,
    as_of: DateTime<Utc>,
) -> Result<(crate::rate::Rating, Vec<UsageEvent>)> {
    let known: Vec<UsageEvent> = events.iter().filter(|e| e.at <= as_of).cloned().collect();
    let rating = rate(book, &meter(book, Period::new(p.start, as_of)?, &known)?)?;
    Ok((rating, known))
}

/// Counters go on at their rate: each counted quantity is scaled from the time elapsed to the
/// whole period. Returns the seconds elapsed and in the whole period.
fn extrapolate(
    book: &PriceBook,
    metered: &mut crate::meter::Metered,
    p: &Period,
    as_of: chrono::DateTime<chrono::Utc>,
) -> Result<(Decimal, Decimal)> {
    let elapsed = Decimal::from(as_of.signed_duration_since(p.start).num_seconds().max(1));
    let whole = Decimal::from(p.end.signed_duration_since(p.start).num_seconds());
    let factor = whole.over(elapsed).unwrap_or(Decimal::ONE);
    for q in metered.quantities.iter_mut().filter(|q| {
        matches!(
            book.product(&q.sku).map(|p| &p.charge),
            Some(crate::catalog::Charge::Counter { .. })
        )
    }) {
        q.quantity = q
            .quantity
            .times(whole)
            .and_then(|x| x.over(elapsed))
            .or_overflow(|| format!("extrapolating `{}` to the end of the period", q.sku))?
            .normalize();
        q.detail.push_str(&format!(
            ", extrapolated x {} to the end of the period",
            factor.round_dp(4).normalize()
        ));
    }
    Ok((elapsed, whole))
}

/// An alert per threshold of the budget: its amount, and whether it is reached so far and at
/// the end of the period.
fn alerts(
    budget: Decimal,
    thresholds: &[u32],
    so_far: Decimal,
    projected: Decimal,
    currency: &str,
) -> Vec<Alert> {
    thresholds
        .iter()
        .map(|&t| {
            let limit = threshold_limit(budget, t, currency);
            Alert {
                threshold: t,
                limit,
                reached_so_far: so_far >= limit,
                reached_projected: projected >= limit,
            }
        })
        .collect()
}

/// `percent` % of `amount`, rounded to the currency's minor unit: where a threshold is
/// crossed. The percent is 1..=1000 and the amount bounded, so the product is in range.
pub(crate) fn threshold_limit(amount: Decimal, percent: u32, currency: &str) -> Decimal {
    money::round(
        amount
            .sat_times(Decimal::from(percent))
            .over(Decimal::ONE_HUNDRED)
            .unwrap_or(Decimal::ZERO),
        currency,
        RoundingMode::HalfUp,
    )
}

/// `part` as a percent of `whole`, 2 decimals (zero for a zero whole).
pub(crate) fn percent_of(part: Decimal, whole: Decimal) -> Decimal {
    money::round_dp(
        part.sat_times(Decimal::ONE_HUNDRED)
            .over(whole)
            .unwrap_or(Decimal::ZERO),
        2,
        RoundingMode::HalfUp,
    )
}

/// A projection's instant lies in `(start, end]` of its period.
pub(crate) fn check_as_of(p: &Period, as_of: DateTime<Utc>) -> Result<()> {
    if p.start < as_of && as_of <= p.end {
        return Ok(());
    }
    Err(Error::Period(format!(
        "as_of {} is not inside {}",
        time::format_instant(&as_of),
        p.label()
    )))
}

/// How the projection reaches the period's end, in words: what `consumption` and the
/// projection's callers show beside the projected amount.
pub const RULE: &str = "resources running at as_of run to the end of the period (those stopped or deleted stay so), storage stays at its last size, and counters go on at their rate so far (scaled by the whole period over the time elapsed)";

/// An account's current period as its customer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Consumption {
    pub period: Period,
    #[serde(with = "time::instant")]
    #[schemars(with = "String")]
    pub as_of: DateTime<Utc>,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub elapsed_percent: Decimal,
    /// This period's monthly plans billed in advance: on the previous period's invoice.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub already_billed: Decimal,
    /// Accrued so far, to be invoiced at the period's end: the usage of the period...
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub pay_as_you_go: Decimal,
    /// ...and the next period's monthly plans, billed in advance with it.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub billed_in_advance: Decimal,
    /// `pay_as_you_go + billed_in_advance`: the period's invoice so far, before tax.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub so_far: Decimal,
    /// The period's invoice projected to its end, before tax, by [`RULE`].
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub projected: Decimal,
    pub rule: String,
}

/// The period of `as_of`'s account so far and projected (see [`Consumption`]), and the
/// projected rating, from which the next invoice is estimated with its tax.
pub fn consumption(
    book: &PriceBook,
    events: &[UsageEvent],
    p: &Period,
    as_of: DateTime<Utc>,
    rounding: RoundingMode,
) -> Result<(Consumption, crate::rate::Rating)> {
    check_as_of(p, as_of)?;
    let currency = book.currency().to_string();
    let sum = |lines: &mut dyn Iterator<Item = &RatedLine>| -> Result<Decimal> {
        let mut s = money::round(Decimal::ZERO, &currency, rounding);
        for l in lines {
            s = s
                .plus(money::round(l.amount, &currency, rounding))
                .or_overflow(|| "summing the period's cost".into())?;
        }
        Ok(s)
    };
    // The previous period's invoice billed this one's plans in advance, when a price list was
    // in force for it.
    let before = p
        .start
        .checked_sub_signed(chrono::Duration::nanoseconds(1))
        .map(Period::month_of)
        .filter(|b| book.at(b.start).is_some());
    let already_billed = match before {
        Some(b) => {
            let earlier: Vec<UsageEvent> =
                events.iter().filter(|e| e.at < b.end).cloned().collect();
            let lines = rate(book, &meter(book, b, &earlier)?)?.lines;
            sum(&mut lines
                .iter()
                .filter(|l| l.segment.start >= p.start && l.segment.end <= p.end))?
        }
        None => money::round(Decimal::ZERO, &currency, rounding),
    };
    let (so_far_lines, projected_lines, elapsed, whole) = project_lines(book, events, p, as_of)?;
    let ahead = |l: &&RatedLine| l.segment.start >= p.end;
    let billed_in_advance = sum(&mut so_far_lines.iter().filter(ahead))?;
    let pay_as_you_go = sum(&mut so_far_lines.iter().filter(|l| !ahead(l)))?;
    let so_far = pay_as_you_go
        .plus(billed_in_advance)
        .or_overflow(|| "summing the period's cost".into())?;
    let projected = sum(&mut projected_lines.iter())?;
    let rating = crate::rate::Rating {
        period: *p,
        catalog: book.id().to_string(),
        currency: currency.clone(),
        lines: projected_lines,
        diagnostics: Vec::new(),
        rejects: Vec::new(),
    };
    Ok((
        Consumption {
            period: *p,
            as_of,
            currency,
            elapsed_percent: percent_of(elapsed, whole),
            already_billed,
            pay_as_you_go,
            billed_in_advance,
            so_far,
            projected,
            rule: RULE.to_string(),
        },
        rating,
    ))
}
