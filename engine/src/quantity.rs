//! What metering produces and the charge models share: units, quantities, diagnostics, and the
//! events of one resource as a model sees them. A leaf of the pipeline: it knows events and time,
//! and no price, no model, no rating.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::event::{EventKind, UsageEvent};
use crate::time::{self, Period};

/// The unit a quantity is counted in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unit {
    Second,
    Minute,
    Hour,
    /// One GB held for one hour.
    GbHour,
    /// One day of a monthly plan's first month.
    Day,
    Month,
    /// A counter's own unit (`GB`, `request`).
    Count(String),
}

impl Unit {
    pub fn name(&self) -> &str {
        match self {
            Unit::Second => "second",
            Unit::Minute => "minute",
            Unit::Hour => "hour",
            Unit::GbHour => "GB-hour",
            Unit::Day => "day",
            Unit::Month => "month",
            Unit::Count(u) => u,
        }
    }

    /// Plural for formulas ("200 hours").
    pub fn plural(&self, quantity: Decimal) -> String {
        let n = self.name();
        if quantity == Decimal::ONE || matches!(self, Unit::Count(_)) {
            n.to_string()
        } else {
            format!("{n}s")
        }
    }

    fn from_name(s: &str) -> Unit {
        match s {
            "second" => Unit::Second,
            "minute" => Unit::Minute,
            "hour" => Unit::Hour,
            "GB-hour" => Unit::GbHour,
            "day" => Unit::Day,
            "month" => Unit::Month,
            other => Unit::Count(other.to_string()),
        }
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Unit::from_name(&s))
    }
}

impl JsonSchema for Unit {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Unit".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string"})
    }
}

/// A metered quantity: what a resource (or, for counters, an account) used of one sku in one
/// region during one price segment. Rating turns it into a line by multiplying by a price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    pub account: String,
    /// The resource; none for counters, which are totalled per account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub sku: String,
    pub region: String,
    /// The time the quantity covers: a price segment, or the service month of a plan.
    pub segment: Period,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub quantity: Decimal,
    pub unit: Unit,
    /// The instant whose price applies.
    #[serde(with = "time::instant")]
    #[schemars(with = "String")]
    pub price_at: DateTime<Utc>,
    /// When the resource was ordered (created, or resized to its sku): set only when a version of
    /// the price book fixes prices at order, to price the quantity at the version of its order.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::instant_option"
    )]
    #[schemars(with = "Option<String>")]
    pub ordered_at: Option<DateTime<Utc>>,
    /// For `day` quantities: the days of the month the plan's price is spread over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month_days: Option<i64>,
    /// How the quantity was counted, in words.
    pub detail: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// For a savings plan: what was committed (the quantity is then the hours of the term in
    /// the segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Commitment>,
}

/// A savings plan bought: the amount per hour or per month, how it is paid, and its term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    pub upfront: Upfront,
    pub term: Period,
}

/// How much of a commitment is paid at the start of its term.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Upfront {
    /// Nothing: the commitment is billed as it runs.
    #[default]
    None,
    /// The catalog's `partial_upfront_percent` of the term's commitment at the start.
    Partial,
    /// The whole term's commitment at the start.
    All,
}

impl Upfront {
    pub fn name(self) -> &'static str {
        match self {
            Upfront::None => "none",
            Upfront::Partial => "partial",
            Upfront::All => "all",
        }
    }

    /// `none`, `partial` or `all`.
    pub fn parse(s: &str) -> Option<Upfront> {
        [Upfront::None, Upfront::Partial, Upfront::All]
            .into_iter()
            .find(|u| u.name() == s)
    }
}

/// A resource's usage of a sku a savings plan covers, hour by hour: what a commitment per hour
/// is set against. Metered only for the accounts that hold a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HourlyUse {
    pub account: String,
    pub resource: String,
    pub sku: String,
    pub region: String,
    /// The unit the units are counted in (the sku's granularity).
    pub unit: Unit,
    pub stretches: Vec<Stretch>,
}

/// `windows` consecutive windows with `units` units in each. A window is a clock hour, or the
/// part of one inside a price segment; a stretch of several windows is whole clock hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stretch {
    pub period: Period,
    pub windows: u32,
    pub units: u32,
}

/// An inconsistency in the events that metering resolved in a stated, deterministic way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Diagnostic {
    pub account: String,
    pub resource: String,
    pub sku: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    pub message: String,
}

/// The events of one resource (or one account's counter), in order.
pub(crate) struct Group<'a> {
    pub account: &'a str,
    pub resource: &'a str,
    pub sku: &'a str,
    pub region: &'a str,
    pub events: Vec<&'a UsageEvent>,
}

impl Group<'_> {
    pub fn diagnostic(&self, event: Option<&UsageEvent>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            account: self.account.to_string(),
            resource: self.resource.to_string(),
            sku: self.sku.to_string(),
            event: event.map(|e| e.id.to_string()),
            message: message.into(),
        }
    }

    /// A quantity of the group's sku: for its resource, or for the account when the group is a
    /// counter (whose resource is empty).
    pub fn quantity(
        &self,
        segment: Period,
        quantity: Decimal,
        unit: Unit,
        price_at: DateTime<Utc>,
        detail: String,
    ) -> Quantity {
        let per_resource = !self.resource.is_empty();
        Quantity {
            account: self.account.to_string(),
            resource: per_resource.then(|| self.resource.to_string()),
            sku: self.sku.to_string(),
            region: self.region.to_string(),
            segment,
            quantity,
            unit,
            price_at,
            ordered_at: None,
            month_days: None,
            detail,
            tags: if per_resource {
                self.tags()
            } else {
                self.shared_tags()
            },
            commitment: None,
        }
    }

    /// Tags every event of the group carries with the same value: a counter's total (of many
    /// resources) carries those, and only those.
    pub fn shared_tags(&self) -> BTreeMap<String, String> {
        let mut events = self.events.iter();
        let Some(first) = events.next() else {
            return BTreeMap::new();
        };
        let mut tags = first.tags.clone();
        for e in events {
            tags.retain(|k, v| e.tags.get(k) == Some(v));
        }
        tags
    }

    /// Tags of the group: the union over its events, later events winning.
    pub fn tags(&self) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        for e in &self.events {
            tags.extend(e.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        tags
    }
}

/// Events at one instant, in the order that keeps a resource's story consistent: when it is
/// open, what closes comes first (a stop and a start make a restart); when it is not, what opens
/// comes first (a start and a stop make a run of zero length, billed its minimum). The chunk is
/// already in (kind, id) order, so the result depends only on the events and the state.
pub(crate) fn at_one_instant<'a>(chunk: &[&'a UsageEvent], open: bool) -> Vec<&'a UsageEvent> {
    let opens = |e: &&UsageEvent| matches!(e.kind, EventKind::Start | EventKind::Sample);
    if open {
        chunk.to_vec()
    } else {
        chunk
            .iter()
            .filter(|e| opens(e))
            .chain(chunk.iter().filter(|e| !opens(e)))
            .copied()
            .collect()
    }
}

/// What a charge model's metering gets to work with.
pub(crate) struct Ctx<'a> {
    pub period: Period,
    /// The period cut at the price book's version boundaries.
    pub segments: &'a [Period],
}
