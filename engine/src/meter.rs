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

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Charge, PriceBook};
use crate::error::{Error, Result};
use crate::event::{EventKind, Reject, UsageEvent};
use crate::models;
pub(crate) use crate::quantity::{Ctx, Group};
pub use crate::quantity::{Diagnostic, HourlyUse, Quantity, Stretch, Unit};
use crate::time::Period;

/// A deterministic hasher (FxHash, with no random seed): the engine holds no randomness, not
/// even in hash seeds, and the output is sorted whatever the map's order.
pub(crate) type FixedState = rustc_hash::FxBuildHasher;

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
    /// The usage savings plans cover, hour by hour, for the accounts that hold one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hourly: Vec<HourlyUse>,
}

/// Meters `events` over `period` with the charge rules of `book`.
pub fn meter(book: &PriceBook, period: Period, events: &[UsageEvent]) -> Result<Metered> {
    let segments = book.segments(&period)?;
    let (keep, duplicates, mut rejects) = dedupe(events);
    let (mut groups, accepted) = group(book, events, &keep, &mut rejects);
    let mut keys: Vec<GroupKey> = groups.keys().copied().collect();
    crate::sort::sort(&mut keys);

    // 4. Meter each group with its charge model.
    let ctx = Ctx {
        period,
        segments: &segments,
    };
    let mut quantities = Vec::new();
    let mut diagnostics = Vec::new();
    // Savings plans: the accounts that hold one, and the skus the plans cover.
    let mut plan_accounts: Vec<&str> = Vec::new();
    let mut eligible: Vec<&str> = Vec::new();
    for key in &keys {
        if let Some(Charge::SavingsPlan { eligible: e, .. }) =
            book.product(key.2).map(|p| &p.charge)
        {
            plan_accounts.push(key.0);
            eligible.extend(e.iter().map(|e| e.sku.as_str()));
        }
    }
    plan_accounts.dedup();
    crate::sort::sort(&mut eligible);
    eligible.dedup();
    let mut hourly = Vec::new();
    for key in keys {
        let mut evs = groups.remove(&key).unwrap_or_default();
        crate::sort::sort_by(&mut evs, |a, b| {
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
        let before = quantities.len();
        models::meter(
            &product.charge,
            &ctx,
            &group,
            &mut quantities,
            &mut diagnostics,
        )?;
        if !matches!(
            product.charge,
            Charge::ShareOfSpend { .. } | Charge::SavingsPlan { .. }
        ) {
            order_prices(&group, quantities.get_mut(before..).unwrap_or_default());
        }
        // A function's invocations are requests, counted by the counter the catalog names.
        if let Charge::Counter {
            function:
                Some(crate::catalog::FunctionCounter {
                    requests: Some(r), ..
                }),
            ..
        } = &product.charge
            && let Some(Charge::Counter { unit, .. }) = book.product(r).map(|p| &p.charge)
        {
            models::counter::meter_requests(&ctx, &group, r, unit, &mut quantities)?;
        }
        // Both lists are sorted (the keys are).
        if plan_accounts.binary_search(&group.account).is_ok()
            && eligible.binary_search(&group.sku).is_ok()
        {
            let stretches = models::time_metered::hourly(&product.charge, &ctx, &group);
            if !stretches.is_empty() {
                hourly.push(HourlyUse {
                    account: group.account.to_string(),
                    resource: group.resource.to_string(),
                    sku: group.sku.to_string(),
                    region: group.region.to_string(),
                    unit: quantities
                        .last()
                        .map_or(Unit::Hour, |q: &Quantity| q.unit.clone()),
                    stretches,
                });
            }
        }
    }

    crate::sort::sort(&mut rejects);
    crate::sort::sort(&mut diagnostics);
    Ok(Metered {
        period,
        catalog: book.id().to_string(),
        quantities,
        diagnostics,
        rejects,
        events: accepted,
        duplicates,
        hourly,
    })
}

/// When each of a resource's quantities was ordered (its first start, or its first event): the
/// instant a price book with a version for new resources only prices it by
/// (`PriceBook::for_order`), whichever book rates it. Shares of spend and savings plans are
/// read from the spend and their purchase, never priced at order.
fn order_prices(group: &Group, qs: &mut [Quantity]) {
    let first = group.events.iter().find(|e| e.kind == EventKind::Start);
    let Some(ordered) = first.or(group.events.first()).map(|e| e.at) else {
        return;
    };
    for q in qs.iter_mut().filter(|q| q.resource.is_some()) {
        q.ordered_at = Some(ordered);
    }
}

/// Step 1: deduplicate by account and id (an id is its account's own). The map is keyed by a
/// 64-bit hash of the two (small entries, no string compare); two different keys with one hash
/// go to a string-keyed map, so the result never depends on the hash. Returns which events go
/// on (in input order), how many exact duplicates were folded, and a reject for each id used
/// with different content within one account.
fn dedupe(events: &[UsageEvent]) -> (Vec<bool>, usize, Vec<Reject>) {
    let mut by_hash: HashMap<u64, usize, FixedState> =
        HashMap::with_capacity_and_hasher(events.len(), FixedState::default());
    let mut collided: HashMap<(&str, &str), usize, FixedState> = HashMap::default();
    let mut conflicted: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    let mut keep = vec![true; events.len()];
    let mut duplicates = 0usize;
    let same = |a: &UsageEvent, b: &UsageEvent| a.id == b.id && a.account == b.account;
    for (i, e) in events.iter().enumerate() {
        let key = (e.account.as_str(), e.id.as_str());
        let first = match by_hash.entry(FixedState::default().hash_one(key)) {
            Entry::Vacant(slot) => {
                slot.insert(i);
                continue;
            }
            Entry::Occupied(j) if same(&events[*j.get()], e) => *j.get(),
            Entry::Occupied(_) => match collided.entry(key) {
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
            let list = conflicted.entry(key).or_insert_with(|| vec![first]);
            if !list.iter().any(|&k| events[k] == *e) {
                list.push(i);
            }
        }
    }
    let mut rejects = Vec::new();
    for ((_, id), list) in conflicted {
        // Each list holds the first copy and at least one other.
        keep[list[0]] = false;
        let mut texts: Vec<String> = list.iter().map(|&k| events[k].canonical()).collect();
        crate::sort::sort(&mut texts);
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
    (keep, duplicates, rejects)
}

/// A group's key: account, resource (empty for a counter, totalled per account), sku, region.
type GroupKey<'a> = (&'a str, &'a str, &'a str, &'a str);

/// Steps 2 and 3: each kept event checked against the price book (a reject otherwise) and put
/// in its group. Returns the groups and how many events were accepted.
fn group<'a>(
    book: &PriceBook,
    events: &'a [UsageEvent],
    keep: &[bool],
    rejects: &mut Vec<Reject>,
) -> (
    HashMap<GroupKey<'a>, Vec<&'a UsageEvent>, FixedState>,
    usize,
) {
    let mut groups: HashMap<GroupKey, Vec<&UsageEvent>, FixedState> =
        HashMap::with_capacity_and_hasher(
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
    for e in events.iter().zip(keep).filter(|(_, k)| **k).map(|(e, _)| e) {
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
    (groups, accepted)
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
    if !product.prices.contains_key(e.region.as_str()) {
        return Err(Reject::of(
            e,
            "region",
            format!("sku `{}` is not sold in region `{}`", e.sku, e.region),
        ));
    }
    kind_allowed(&product.charge, e).map_err(|reason| Reject::of(e, "kind", reason))?;
    for name in e.dimensions.keys() {
        product
            .charge
            .check_dimension(&e.sku, name)
            .map_err(|reason| Reject::of(e, &format!("dimensions.{name}"), reason))?;
    }
    if e.function.is_some()
        && !matches!(
            product.charge,
            Charge::Counter {
                function: Some(_),
                ..
            }
        )
    {
        return Err(Reject::of(
            e,
            "function",
            format!(
                "sku `{}` does not count a function's use: send its `quantity`",
                e.sku
            ),
        ));
    }
    if let Charge::SavingsPlan { .. } = product.charge {
        models::savings_plan::check(e).map_err(|(field, reason)| Reject::of(e, field, reason))?;
    }
    Ok(product)
}

/// Which event kinds a charge model takes.
fn kind_allowed(charge: &Charge, e: &UsageEvent) -> std::result::Result<(), String> {
    use EventKind::*;
    let ok = match charge {
        Charge::TimeMetered { .. }
        | Charge::MonthlyPlan { .. }
        | Charge::Flat {}
        | Charge::ShareOfSpend { .. }
        | Charge::SavingsPlan { .. } => matches!(e.kind, Start | Stop | Delete),
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
            Charge::ShareOfSpend { .. } => "share_of_spend",
            Charge::SavingsPlan { .. } => "savings_plan",
        };
        Err(format!(
            "a {} event does not apply to sku `{}` ({model})",
            e.kind.name(),
            e.sku
        ))
    }
}
