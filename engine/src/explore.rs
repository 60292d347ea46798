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
        let one_day = p.end.signed_duration_since(p.start) == chrono::Duration::days(1)
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

/// A line's value for a dimension.
fn value_of<'a>(d: &Dimension, l: &'a RatedLine, when: &'a When, book: &'a PriceBook) -> &'a str {
    match d {
        Dimension::Account => &l.account,
        Dimension::Service => &l.service,
        Dimension::Family => book
            .product(&l.sku)
            .and_then(|p| p.family.as_deref())
            .unwrap_or(NONE),
        Dimension::Sku => &l.sku,
        Dimension::Region => &l.region,
        Dimension::Resource => l.resource.as_deref().unwrap_or(NONE),
        Dimension::Month => &when.month,
        Dimension::Day => &when.day,
        Dimension::Tag(k) => l.tags.get(k).map(String::as_str).unwrap_or(NONE),
    }
}

/// Whether a line passes the filters: for each dimension, its value is one of those listed.
pub(crate) fn keeps(
    filters: &BTreeMap<Dimension, BTreeSet<String>>,
    l: &RatedLine,
    when: &When,
    book: &PriceBook,
) -> bool {
    filters
        .iter()
        .all(|(d, values)| values.contains(value_of(d, l, when, book)))
}

#[derive(Default)]
struct Sums {
    amount: Decimal,
    compared: Decimal,
    quantities: BTreeMap<String, Decimal>,
    lines: usize,
}

/// Groups the lines of `ratings` (the periods explored) and of `compared` (the periods set
/// against them, when any) as `req` asks. Every rating must be in one currency.
pub fn explore(
    book: &PriceBook,
    ratings: &[Rating],
    compared: Option<&[Rating]>,
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
    let currency = ratings
        .iter()
        .chain(compared.unwrap_or_default())
        .map(|r| r.currency.as_str())
        .next()
        .unwrap_or_else(|| book.currency())
        .to_string();
    let zero = money::round(Decimal::ZERO, &currency, req.rounding);
    let mut groups: BTreeMap<Vec<&str>, Sums> = BTreeMap::new();
    let mut total = zero;
    let mut compared_total = zero;
    let mut kept = Vec::new();
    let by_day =
        req.group_by.contains(&Dimension::Day) || req.filters.contains_key(&Dimension::Day);
    let labels: Vec<When> = ratings.iter().map(|r| When::of(&r.period)).collect();
    let compared_labels: Vec<When> = compared
        .unwrap_or_default()
        .iter()
        .map(|r| When::of(&r.period))
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
    let sides = [(ratings, &labels, false)]
        .into_iter()
        .chain(compared.map(|c| (c, &compared_labels, true)));
    for (side, months, is_compared) in sides {
        for (r, when) in side.iter().zip(months) {
            let month = &when.month;
            if r.currency != currency {
                return Err(Error::Explore(format!(
                    "{month} is rated in {}, the others in {currency}: one currency at a time",
                    r.currency
                )));
            }
            let what = || format!("summing the cost of {month}");
            for l in &r.lines {
                if !keeps(&req.filters, l, when, book) {
                    continue;
                }
                let net = money::round(l.amount, &currency, req.rounding);
                let key: Vec<&str> = req
                    .group_by
                    .iter()
                    .map(|d| value_of(d, l, when, book))
                    .collect();
                let g = groups.entry(key).or_default();
                if is_compared {
                    g.compared = g.compared.plus(net).or_overflow(what)?;
                    compared_total = compared_total.plus(net).or_overflow(what)?;
                } else {
                    g.amount = g.amount.plus(net).or_overflow(what)?;
                    total = total.plus(net).or_overflow(what)?;
                    g.lines = g.lines.saturating_add(1);
                    let q = g.quantities.entry(l.unit.name().to_string()).or_default();
                    *q = q.plus(l.quantity).or_overflow(what)?;
                    if req.lines {
                        kept.push(l.clone());
                    }
                }
            }
        }
    }
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
