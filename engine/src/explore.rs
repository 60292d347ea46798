//! The cost explorer: rated lines grouped by any of their dimensions, filtered by the same, with
//! quantities beside amounts, and each group set against another set of periods (month over
//! month). A pure function over ratings: the server only fetches them.
//!
//! Amounts follow the invoice's rule: each line is rounded to the currency's minor unit, then
//! summed, so a group's amount is what the invoice's lines of that group add up to, and the
//! groups add up to the total to the cent.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::PriceBook;
use crate::error::{Error, Result};
use crate::money::{self, RoundingMode};
use crate::num::{Arith, OrOverflow};
use crate::rate::{RatedLine, Rating};

/// A dimension lines are grouped or filtered by. Written as text: `account`, `service`,
/// `family`, `sku`, `region`, `resource`, `month`, `day` or `tag:<key>`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub enum Dimension {
    Account,
    Service,
    /// The product family of the line's sku (`B2`), from the price list.
    Family,
    Sku,
    Region,
    Resource,
    /// The billing period (`2026-01`).
    Month,
    /// The day (`2026-01-31`): needs the days' ratings ([`crate::daily::days`]).
    Day,
    /// The value of one tag key (`tag:project`).
    Tag(String),
}

/// A line's value where the dimension has none: no tag, no resource, no family.
pub const NONE: &str = "(none)";

/// The dimensions, as written.
pub const DIMENSIONS: &str =
    "account, service, family, sku, region, resource, month, day or tag:<key>";

impl std::str::FromStr for Dimension {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s {
            "account" => Dimension::Account,
            "service" => Dimension::Service,
            "family" => Dimension::Family,
            "sku" => Dimension::Sku,
            "region" => Dimension::Region,
            "resource" => Dimension::Resource,
            "month" => Dimension::Month,
            "day" => Dimension::Day,
            _ => match s.strip_prefix("tag:") {
                Some(k) if !k.is_empty() && k.len() <= 128 => Dimension::Tag(k.to_string()),
                _ => return Err(format!("unknown dimension `{s}`: use {DIMENSIONS}")),
            },
        })
    }
}

impl TryFrom<String> for Dimension {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        s.parse()
    }
}

impl From<Dimension> for String {
    fn from(d: Dimension) -> String {
        d.to_string()
    }
}

impl std::fmt::Display for Dimension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dimension::Account => f.write_str("account"),
            Dimension::Service => f.write_str("service"),
            Dimension::Family => f.write_str("family"),
            Dimension::Sku => f.write_str("sku"),
            Dimension::Region => f.write_str("region"),
            Dimension::Resource => f.write_str("resource"),
            Dimension::Month => f.write_str("month"),
            Dimension::Day => f.write_str("day"),
            Dimension::Tag(k) => write!(f, "tag:{k}"),
        }
    }
}

/// Most dimensions a request may group by; most values a filter may list.
pub const MAX_GROUP_BY: usize = 4;
pub const MAX_FILTER_VALUES: usize = 1_000;

/// How to group the lines, which to keep, and whether to list them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExploreRequest {
    /// Groups by these dimensions, in order; none gives one group, the total.
    #[serde(default)]
    pub group_by: Vec<Dimension>,
    /// A line is kept when, for each dimension here, its value is one of those listed.
    #[serde(default)]
    pub filters: BTreeMap<Dimension, BTreeSet<String>>,
    #[serde(default)]
    pub rounding: RoundingMode,
    /// Also list the kept lines of the periods explored (the drill-down's last step), with
    /// their formulas.
    #[serde(default)]
    pub lines: bool,
}

/// A quantity summed per unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UnitQuantity {
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub quantity: Decimal,
}

/// One group: its values of the `group_by` dimensions, in their order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CostGroup {
    pub values: Vec<String>,
    /// The rounded lines' sum, in the periods explored.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    /// The lines' quantities, per unit.
    pub quantities: Vec<UnitQuantity>,
    /// How many rated lines the group holds.
    pub lines: usize,
    /// The same group's amount in the compared periods (zero when it had no line there).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub compared: Option<Decimal>,
    /// `amount - compared`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub difference: Option<Decimal>,
}

/// The explorer's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Exploration {
    pub currency: String,
    pub group_by: Vec<Dimension>,
    /// The periods explored, and those compared with them.
    pub periods: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compared_periods: Vec<String>,
    /// Largest amount first; equal amounts by their values.
    pub groups: Vec<CostGroup>,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub total: Decimal,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub compared_total: Option<Decimal>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub difference: Option<Decimal>,
    /// The kept lines, when asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<RatedLine>,
}

/// The month and the day a rating's lines are in: `2026-01`, and `2026-01-31` when the
/// rating is of one day ([`NONE`] otherwise).
pub(crate) struct When {
    pub month: String,
    pub day: String,
}

impl When {
    pub(crate) fn of(p: &crate::time::Period) -> When {
        // A day, or today up to now (the current month's last day, cut short).
        let one_day = p.end.signed_duration_since(p.start) <= chrono::Duration::days(1)
            && p.start.time() == chrono::NaiveTime::MIN;
        When {
            month: p.start.format("%Y-%m").to_string(),
            day: if one_day {
                p.start.format("%Y-%m-%d").to_string()
            } else {
                NONE.to_string()
            },
        }
    }
}

/// The dimensions of one thing the explorer sums: a rated line, or a rollup's row (which has
/// no resource and no tags).
struct Keys<'a> {
    account: &'a str,
    service: &'a str,
    sku: &'a str,
    region: &'a str,
    resource: Option<&'a str>,
    tags: Option<&'a BTreeMap<String, String>>,
}

impl<'a> Keys<'a> {
    fn of_line(l: &'a RatedLine) -> Keys<'a> {
        Keys {
            account: &l.account,
            service: &l.service,
            sku: &l.sku,
            region: &l.region,
            resource: l.resource.as_deref(),
            tags: Some(&l.tags),
        }
    }

    fn of_row(r: &'a RollupRow) -> Keys<'a> {
        Keys {
            account: &r.account,
            service: &r.service,
            sku: &r.sku,
            region: &r.region,
            resource: None,
            tags: None,
        }
    }
}

/// A line's (or a row's) value for a dimension.
fn value_of<'a>(d: &Dimension, k: &Keys<'a>, when: &'a When, book: &'a PriceBook) -> &'a str {
    match d {
        Dimension::Account => k.account,
        Dimension::Service => k.service,
        Dimension::Family => book
            .product(k.sku)
            .and_then(|p| p.family.as_deref())
            .unwrap_or(NONE),
        Dimension::Sku => k.sku,
        Dimension::Region => k.region,
        Dimension::Resource => k.resource.unwrap_or(NONE),
        Dimension::Month => &when.month,
        Dimension::Day => &when.day,
        Dimension::Tag(t) => k
            .tags
            .and_then(|tags| tags.get(t))
            .map(String::as_str)
            .unwrap_or(NONE),
    }
}

fn keeps_keys(
    filters: &BTreeMap<Dimension, BTreeSet<String>>,
    k: &Keys<'_>,
    when: &When,
    book: &PriceBook,
) -> bool {
    filters
        .iter()
        .all(|(d, values)| values.contains(value_of(d, k, when, book)))
}

/// Whether a line passes the filters: for each dimension, its value is one of those listed.
pub(crate) fn keeps(
    filters: &BTreeMap<Dimension, BTreeSet<String>>,
    l: &RatedLine,
    when: &When,
    book: &PriceBook,
) -> bool {
    keeps_keys(filters, &Keys::of_line(l), when, book)
}

/// A rating summed at the explorer's coarse grain: one row per account, service, sku, region
/// and unit, holding the sum of its rounded lines, their quantity and their count. It answers
/// every request that neither groups nor filters by resource, tag or day and does not list the
/// lines ([`Rollup::answers`]) with the rating's own figures, to the cent: a group's amount is
/// the sum of its rounded lines, whichever way they are added up. Made from the rating
/// ([`Rollup::of`]), never from a formula of its own; small enough to be read back for every
/// account of a period at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rollup {
    pub period: crate::time::Period,
    pub currency: String,
    /// How each line was rounded before it was summed.
    pub rounding: RoundingMode,
    /// In the order of their keys.
    pub rows: Vec<RollupRow>,
}

/// The lines of one account, service, sku, region and unit in a [`Rollup`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RollupRow {
    pub account: String,
    pub service: String,
    pub sku: String,
    pub region: String,
    pub unit: String,
    /// The sum of the lines' amounts, each rounded to the currency's minor unit.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub quantity: Decimal,
    pub lines: usize,
}

impl Rollup {
    /// The rating's lines summed per account, service, sku, region and unit, each line rounded
    /// with `rounding` first, as the explorer and the invoice round them.
    pub fn of(r: &Rating, rounding: RoundingMode) -> Result<Rollup> {
        let mut rows: BTreeMap<[&str; 5], (Decimal, Decimal, usize)> = BTreeMap::new();
        let what = || format!("summing the cost of {}", When::of(&r.period).month);
        for l in &r.lines {
            let key = [
                l.account.as_str(),
                &l.service,
                &l.sku,
                &l.region,
                l.unit.name(),
            ];
            let row = rows.entry(key).or_default();
            row.0 = row
                .0
                .plus(money::round(l.amount, &r.currency, rounding))
                .or_overflow(what)?;
            row.1 = row.1.plus(l.quantity).or_overflow(what)?;
            row.2 = row.2.saturating_add(1);
        }
        Ok(Rollup {
            period: r.period,
            currency: r.currency.clone(),
            rounding,
            rows: rows
                .into_iter()
                .map(
                    |([account, service, sku, region, unit], (amount, quantity, lines))| {
                        RollupRow {
                            account: account.to_string(),
                            service: service.to_string(),
                            sku: sku.to_string(),
                            region: region.to_string(),
                            unit: unit.to_string(),
                            amount,
                            quantity: quantity.normalize(),
                            lines,
                        }
                    },
                )
                .collect(),
        })
    }

    /// Whether rollups answer `req` as the ratings would: no resource, tag or day among its
    /// groups and filters, and no lines listed.
    pub fn answers(req: &ExploreRequest) -> bool {
        let coarse =
            |d: &Dimension| !matches!(d, Dimension::Resource | Dimension::Day | Dimension::Tag(_));
        !req.lines && req.group_by.iter().all(coarse) && req.filters.keys().all(coarse)
    }
}

#[derive(Default)]
struct Sums {
    amount: Decimal,
    compared: Decimal,
    quantities: BTreeMap<String, Decimal>,
    lines: usize,
}

/// What the explorer reads for one period: a rating's lines, or a rollup's rows.
#[derive(Clone, Copy)]
enum Part<'a> {
    Lines(&'a Rating),
    Rows(&'a Rollup),
}

impl Part<'_> {
    fn period(&self) -> &crate::time::Period {
        match self {
            Part::Lines(r) => &r.period,
            Part::Rows(u) => &u.period,
        }
    }

    fn currency(&self) -> &str {
        match self {
            Part::Lines(r) => &r.currency,
            Part::Rows(u) => &u.currency,
        }
    }
}

/// Groups the lines of `ratings` (the periods explored) and of `compared` (the periods set
/// against them, when any) as `req` asks. Every rating must be in one currency.
pub fn explore(
    book: &PriceBook,
    ratings: &[Rating],
    compared: Option<&[Rating]>,
    req: &ExploreRequest,
) -> Result<Exploration> {
    let parts: Vec<Part<'_>> = ratings.iter().map(Part::Lines).collect();
    let before: Option<Vec<Part<'_>>> = compared.map(|c| c.iter().map(Part::Lines).collect());
    explore_parts(book, &parts, before.as_deref(), req)
}

/// [`explore`] over rollups: the same answer as over the ratings they were made from, for
/// every request a rollup answers ([`Rollup::answers`]); any other request, or a rollup
/// rounded otherwise than `req` asks, is refused.
pub fn explore_rollups(
    book: &PriceBook,
    rollups: &[Rollup],
    compared: Option<&[Rollup]>,
    req: &ExploreRequest,
) -> Result<Exploration> {
    if !Rollup::answers(req) {
        return Err(Error::Explore(
            "rollups hold no resource, tag, day or line: explore the ratings".into(),
        ));
    }
    if let Some(u) = rollups
        .iter()
        .chain(compared.unwrap_or_default())
        .find(|u| u.rounding != req.rounding)
    {
        return Err(Error::Explore(format!(
            "the rollup of {} is rounded {:?}, the request asks {:?}",
            When::of(&u.period).month,
            u.rounding,
            req.rounding
        )));
    }
    let parts: Vec<Part<'_>> = rollups.iter().map(Part::Rows).collect();
    let before: Option<Vec<Part<'_>>> = compared.map(|c| c.iter().map(Part::Rows).collect());
    explore_parts(book, &parts, before.as_deref(), req)
}

/// The sums of one request, as the parts' lines or rows are added.
struct Tally<'a> {
    book: &'a PriceBook,
    req: &'a ExploreRequest,
    groups: BTreeMap<Vec<&'a str>, Sums>,
    total: Decimal,
    compared_total: Decimal,
    kept: Vec<RatedLine>,
}

impl<'a> Tally<'a> {
    /// Adds one line or row, `net` its rounded amount, when it passes the filters.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        keys: &Keys<'a>,
        when: &'a When,
        net: Decimal,
        unit: &str,
        quantity: Decimal,
        lines: usize,
        line: Option<&RatedLine>,
        is_compared: bool,
    ) -> Result<()> {
        if !keeps_keys(&self.req.filters, keys, when, self.book) {
            return Ok(());
        }
        let what = || format!("summing the cost of {}", when.month);
        let key: Vec<&'a str> = self
            .req
            .group_by
            .iter()
            .map(|d| value_of(d, keys, when, self.book))
            .collect();
        let g = self.groups.entry(key).or_default();
        if is_compared {
            g.compared = g.compared.plus(net).or_overflow(what)?;
            self.compared_total = self.compared_total.plus(net).or_overflow(what)?;
        } else {
            g.amount = g.amount.plus(net).or_overflow(what)?;
            self.total = self.total.plus(net).or_overflow(what)?;
            g.lines = g.lines.saturating_add(lines);
            let q = g.quantities.entry(unit.to_string()).or_default();
            *q = q.plus(quantity).or_overflow(what)?;
            if let Some(l) = line
                && self.req.lines
            {
                self.kept.push(l.clone());
            }
        }
        Ok(())
    }
}

fn explore_parts(
    book: &PriceBook,
    parts: &[Part<'_>],
    compared: Option<&[Part<'_>]>,
    req: &ExploreRequest,
) -> Result<Exploration> {
    if req.group_by.len() > MAX_GROUP_BY {
        return Err(Error::Explore(format!(
            "group_by: {} dimensions, at most {MAX_GROUP_BY}",
            req.group_by.len()
        )));
    }
    for (d, values) in &req.filters {
        if values.len() > MAX_FILTER_VALUES {
            return Err(Error::Explore(format!(
                "filters.{d}: {} values, at most {MAX_FILTER_VALUES}",
                values.len()
            )));
        }
    }
    let currency = parts
        .iter()
        .chain(compared.unwrap_or_default())
        .map(Part::currency)
        .next()
        .unwrap_or_else(|| book.currency())
        .to_string();
    let zero = money::round(Decimal::ZERO, &currency, req.rounding);
    let by_day =
        req.group_by.contains(&Dimension::Day) || req.filters.contains_key(&Dimension::Day);
    let labels: Vec<When> = parts.iter().map(|p| When::of(p.period())).collect();
    let compared_labels: Vec<When> = compared
        .unwrap_or_default()
        .iter()
        .map(|p| When::of(p.period()))
        .collect();
    if by_day
        && let Some(w) = labels
            .iter()
            .chain(&compared_labels)
            .find(|w| w.day == NONE)
    {
        return Err(Error::Explore(format!(
            "day: the ratings of {} are not of single days; group or filter by day over the days' ratings",
            w.month
        )));
    }
    let mut tally = Tally {
        book,
        req,
        groups: BTreeMap::new(),
        total: zero,
        compared_total: zero,
        kept: Vec::new(),
    };
    let sides = [(parts, &labels, false)]
        .into_iter()
        .chain(compared.map(|c| (c, &compared_labels, true)));
    for (side, months, is_compared) in sides {
        for (part, when) in side.iter().zip(months) {
            if part.currency() != currency {
                return Err(Error::Explore(format!(
                    "{} is rated in {}, the others in {currency}: one currency at a time",
                    when.month,
                    part.currency()
                )));
            }
            match part {
                Part::Lines(r) => {
                    for l in &r.lines {
                        let net = money::round(l.amount, &currency, req.rounding);
                        tally.add(
                            &Keys::of_line(l),
                            when,
                            net,
                            l.unit.name(),
                            l.quantity,
                            1,
                            Some(l),
                            is_compared,
                        )?;
                    }
                }
                Part::Rows(u) => {
                    for row in &u.rows {
                        tally.add(
                            &Keys::of_row(row),
                            when,
                            row.amount,
                            &row.unit,
                            row.quantity,
                            row.lines,
                            None,
                            is_compared,
                        )?;
                    }
                }
            }
        }
    }
    let Tally {
        groups,
        total,
        compared_total,
        kept,
        ..
    } = tally;
    let is_compared = compared.is_some();
    let mut out: Vec<CostGroup> = groups
        .into_iter()
        .map(|(values, s)| {
            let amount = if s.amount.is_zero() { zero } else { s.amount };
            let c = if s.compared.is_zero() {
                zero
            } else {
                s.compared
            };
            Ok(CostGroup {
                values: values.into_iter().map(str::to_string).collect(),
                amount,
                quantities: s
                    .quantities
                    .into_iter()
                    .map(|(unit, quantity)| UnitQuantity {
                        unit,
                        quantity: quantity.normalize(),
                    })
                    .collect(),
                lines: s.lines,
                compared: is_compared.then_some(c),
                difference: if is_compared {
                    Some(
                        amount
                            .minus(c)
                            .or_overflow(|| "a group's difference".into())?,
                    )
                } else {
                    None
                },
            })
        })
        .collect::<Result<_>>()?;
    crate::sort::sort_by(&mut out, |a, b| {
        b.amount
            .cmp(&a.amount)
            .then_with(|| a.values.cmp(&b.values))
    });
    let difference = if is_compared {
        Some(
            total
                .minus(compared_total)
                .or_overflow(|| "the difference".into())?,
        )
    } else {
        None
    };
    Ok(Exploration {
        currency,
        group_by: req.group_by.clone(),
        periods: distinct(labels.into_iter().map(|w| w.month).collect()),
        compared_periods: distinct(compared_labels.into_iter().map(|w| w.month).collect()),
        groups: out,
        total,
        compared_total: is_compared.then_some(compared_total),
        difference,
        lines: kept,
    })
}

/// The labels in their first order, each once (several accounts share a period).
fn distinct(labels: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    labels
        .into_iter()
        .filter(|l| seen.insert(l.clone()))
        .collect()
}
