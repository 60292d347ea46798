//! Metering: usage events in, quantities out. No price is read here: the result can be rated
//! under any price book that sells the same skus (a pricing view).
//!
//! The steps, each deterministic whatever the order of the events:
//! 1. deduplicate by event id (the same id with other content rejects both, naming both);
//! 2. check each event against the price book (sku, region, kind for the charge model);
//! 3. group by resource (or by account for counters), order each group by (instant, kind, id);
//! 4. hand each group to its charge model, which cuts the usage at the period and at the price
//!    segments and reports inconsistencies as diagnostics.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::catalog::{Charge, PriceBook};
use crate::error::{Error, Result};
use crate::event::{EventKind, Reject, UsageEvent};
use crate::models;
use crate::time::{self, Period};

/// A deterministic hasher (FxHash, with no random seed): the engine holds no randomness, not
/// even in hash seeds, and the output is sorted whatever the map's order.
pub(crate) type FixedState = rustc_hash::FxBuildHasher;

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
    /// For `day` quantities: the days of the month the plan's price is spread over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month_days: Option<i64>,
    /// How the quantity was counted, in words.
    pub detail: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
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

/// The result of metering one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Metered {
    pub period: Period,
    /// The price list whose charge rules were used (`id`).
    pub catalog: String,
    pub quantities: Vec<Quantity>,
    pub diagnostics: Vec<Diagnostic>,
    pub rejects: Vec<Reject>,
    /// Distinct events accepted (duplicates counted once).
    pub events: usize,
    /// Exact duplicates that were folded into one.
    pub duplicates: usize,
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
            event: event.map(|e| e.id.clone()),
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
            month_days: None,
            detail,
            tags: if per_resource {
                self.tags()
            } else {
                BTreeMap::new()
            },
        }
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

/// Meters `events` over `period` with the charge rules of `book`.
pub fn meter(book: &PriceBook, period: Period, events: &[UsageEvent]) -> Result<Metered> {
    let segments = book.segments(&period)?;
    let mut rejects = Vec::new();

    // 1. Deduplicate by id. The map is keyed by a 64-bit hash of the id (small entries, no
    // string compare); two different ids with one hash go to a string-keyed map, so the result
    // never depends on the hash. `keep` marks the events that go on, in input order.
    let mut by_hash: HashMap<u64, usize, FixedState> =
        HashMap::with_capacity_and_hasher(events.len(), FixedState::default());
    let mut collided: HashMap<&str, usize, FixedState> = HashMap::default();
    let mut conflicted: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut keep = vec![true; events.len()];
    let mut duplicates = 0usize;
    for (i, e) in events.iter().enumerate() {
        let first = match by_hash.entry(FixedState::default().hash_one(e.id.as_str())) {
            Entry::Vacant(slot) => {
                slot.insert(i);
                continue;
            }
            Entry::Occupied(j) if events[*j.get()].id == e.id => *j.get(),
            Entry::Occupied(_) => match collided.entry(e.id.as_str()) {
                Entry::Vacant(slot) => {
                    slot.insert(i);
                    continue;
                }
                Entry::Occupied(j) => *j.get(),
            },
        };
        keep[i] = false;
        if events[first] == *e {
            duplicates = duplicates.saturating_add(1);
        } else {
            let list = conflicted.entry(&e.id).or_insert_with(|| vec![first]);
            if !list.iter().any(|&k| events[k] == *e) {
                list.push(i);
            }
        }
    }
    for (id, list) in conflicted {
        keep[list[0]] = false;
        let mut texts: Vec<String> = list.iter().map(|&k| events[k].canonical()).collect();
        texts.sort_unstable();
        let message = Error::ConflictingDuplicate {
            id: id.to_string(),
            first: texts[0].clone(),
            second: texts[1].clone(),
        }
        .to_string();
        rejects.push(Reject {
            line: None,
            id: Some(id.to_string()),
            field: Some("id".into()),
            reason: message,
        });
    }

    // 2. Check against the price book; 3. group.
    type Key<'a> = (&'a str, &'a str, &'a str, &'a str);
    let mut groups: HashMap<Key, Vec<&UsageEvent>, FixedState> = HashMap::with_capacity_and_hasher(
        (events.len() / 16).saturating_add(1),
        FixedState::default(),
    );
    let mut accepted = 0usize;
    // The newest version that sells a sku holds its charge rules.
    let mut products: HashMap<&str, &crate::catalog::Product, FixedState> =
        HashMap::with_hasher(FixedState::default());
    for v in book.versions() {
        products.extend(v.products.iter().map(|p| (p.sku.as_str(), p)));
    }
    for e in events
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(e, _)| e)
    {
        let product = match check_with(book, products.get(e.sku.as_str()).copied(), e) {
            Ok(p) => p,
            Err(r) => {
                rejects.push(r);
                continue;
            }
        };
        accepted = accepted.saturating_add(1);
        let resource = if matches!(product.charge, Charge::Counter { .. }) {
            ""
        } else {
            e.resource.as_str()
        };
        groups
            .entry((&e.account, resource, &e.sku, &e.region))
            .or_default()
            .push(e);
    }
    let mut keys: Vec<Key> = groups.keys().copied().collect();
    keys.sort_unstable();

    // 4. Meter each group with its charge model.
    let ctx = Ctx {
        period,
        segments: &segments,
    };
    let mut quantities = Vec::new();
    let mut diagnostics = Vec::new();
    for key in keys {
        let mut evs = groups.remove(&key).unwrap_or_default();
        evs.sort_unstable_by(|a, b| {
            (a.at, a.kind.rank(), &a.id).cmp(&(b.at, b.kind.rank(), &b.id))
        });
        let group = Group {
            account: key.0,
            resource: key.1,
            sku: key.2,
            region: key.3,
            events: evs,
        };
        let Some(product) = book.product(group.sku) else {
            continue;
        };
        models::meter(
            &product.charge,
            &ctx,
            &group,
            &mut quantities,
            &mut diagnostics,
        )?;
    }

    // Unstable sorts wherever equal elements are identical (a derived Ord over every field): the
    // same order as a stable sort, and one sort algorithm less in the calculator's WebAssembly.
    rejects.sort_unstable();
    diagnostics.sort_unstable();
    Ok(Metered {
        period,
        catalog: book.id().to_string(),
        quantities,
        diagnostics,
        rejects,
        events: accepted,
        duplicates,
    })
}

/// Checks one event against the price book: its sku, its region and its kind. A service that
/// stores events checks them with this, the rule metering applies.
pub fn check(book: &PriceBook, e: &UsageEvent) -> std::result::Result<(), Reject> {
    check_with(book, book.product(&e.sku), e).map(|_| ())
}

fn check_with<'a>(
    book: &PriceBook,
    product: Option<&'a crate::catalog::Product>,
    e: &UsageEvent,
) -> std::result::Result<&'a crate::catalog::Product, Reject> {
    let Some(product) = product else {
        return Err(Reject::of(
            e,
            "sku",
            format!("unknown sku `{}` in catalog `{}`", e.sku, book.id()),
        ));
    };
    if !product.prices.contains_key(&e.region) {
        return Err(Reject::of(
            e,
            "region",
            format!("sku `{}` is not sold in region `{}`", e.sku, e.region),
        ));
    }
    kind_allowed(&product.charge, e).map_err(|reason| Reject::of(e, "kind", reason))?;
    Ok(product)
}

/// Which event kinds a charge model takes.
fn kind_allowed(charge: &Charge, e: &UsageEvent) -> std::result::Result<(), String> {
    use EventKind::*;
    let ok = match charge {
        Charge::TimeMetered { .. } | Charge::MonthlyPlan { .. } | Charge::Flat {} => {
            matches!(e.kind, Start | Stop | Delete)
        }
        Charge::Storage { .. } => matches!(e.kind, Start | Stop | Delete | Sample),
        Charge::Counter { .. } => e.kind == Increment,
    };
    if ok {
        Ok(())
    } else {
        let model = match charge {
            Charge::TimeMetered { .. } => "time_metered",
            Charge::MonthlyPlan { .. } => "monthly_plan",
            Charge::Flat {} => "flat",
            Charge::Storage { .. } => "storage",
            Charge::Counter { .. } => "counter",
        };
        Err(format!(
            "a {} event does not apply to sku `{}` ({model})",
            e.kind.name(),
            e.sku
        ))
    }
}
