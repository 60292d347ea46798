//! Allocation: direct and indirect costs in one model. Direct costs are the rated lines of
//! resources tagged with a target (a project, an application: the values of one tag key).
//! Indirect costs are the lines of shared resources (untagged, or tagged with a shared value)
//! and fixed amounts entered by hand (a licence, a support contract). Each indirect cost is
//! spread over the targets evenly, in proportion to their direct cost, or by weights; the cents
//! are handed out by largest remainder, so that the shares add up to the indirect cost exactly,
//! and every share names its rule and weight. Rules are versioned data with effective dates,
//! like price lists.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::{self, RoundingMode};
use crate::num::{Arith, OrOverflow};
use crate::rate::Rating;
use crate::time::{self, Period};

/// How an indirect cost is spread over the targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Spread {
    /// The same weight for every target.
    Even,
    /// In proportion to each target's direct cost (evenly when none has any).
    Proportional,
    /// By the weights given (team size, users); a target without a weight gets none.
    Weights {
        #[schemars(with = "BTreeMap<String, String>")]
        weights: BTreeMap<String, Decimal>,
    },
}

impl Spread {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Spread::Even => "even",
            Spread::Proportional => "proportional",
            Spread::Weights { .. } => "weights",
        }
    }
}

/// An amount entered by hand, spread like the shared resources' cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixedCost {
    pub name: String,
    /// For the period, in the price list's currency.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    pub spread: Spread,
}

fn default_shared_values() -> Vec<String> {
    vec!["shared".into()]
}

fn default_spread() -> Spread {
    Spread::Proportional
}

/// One version of the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesVersion {
    pub version: String,
    #[serde(with = "time::instant")]
    #[schemars(with = "String")]
    pub effective_from: DateTime<Utc>,
    /// The target tag's values that mark a shared resource; untagged lines are shared too.
    #[serde(default = "default_shared_values")]
    pub shared_values: Vec<String>,
    /// How the shared resources' cost is spread (in proportion to direct cost by default).
    #[serde(default = "default_spread")]
    pub shared: Spread,
    #[serde(default)]
    pub fixed: Vec<FixedCost>,
    /// Targets that receive shares even without direct cost (every target with direct cost
    /// is one anyway).
    #[serde(default)]
    pub targets: Vec<String>,
}

/// Allocation rules: the tag key whose values are the targets, and the rules' versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationRules {
    pub id: String,
    /// `project`, `application`, `team`.
    pub target_tag: String,
    pub versions: Vec<RulesVersion>,
}

/// A share of one indirect cost given to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Share {
    pub target: String,
    /// The indirect cost shared: `shared resources`, or a fixed cost's name.
    pub source: String,
    pub method: String,
    /// The target's weight under the method (1, its direct cost, or the weight given), and
    /// the sum of the weights.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub weight: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub of_total_weight: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
}

/// One target's costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TargetCost {
    pub target: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub direct: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub allocated: Decimal,
    /// `direct + allocated`.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub total: Decimal,
    pub shares: Vec<Share>,
}

/// One indirect cost and how it was spread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct IndirectCost {
    pub source: String,
    pub method: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
}

/// The allocation of some ratings' cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Allocation {
    pub rules: String,
    pub target_tag: String,
    pub currency: String,
    pub targets: Vec<TargetCost>,
    pub indirect: Vec<IndirectCost>,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub direct: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub allocated: Decimal,
    /// Every line's cost and every fixed cost: the targets' totals add up to it.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub total: Decimal,
}

impl AllocationRules {
    /// The version in force at `t`.
    pub fn at(&self, t: DateTime<Utc>) -> Result<&RulesVersion> {
        self.versions
            .iter()
            .filter(|v| v.effective_from <= t)
            .max_by_key(|v| v.effective_from)
            .ok_or_else(|| {
                Error::Allocation(format!(
                    "rules `{}` have no version in force at {}",
                    self.id,
                    time::format_instant(&t)
                ))
            })
    }
}

/// Most targets and fixed costs a version may have.
pub const MAX_TARGETS: usize = 1_000;

/// Allocates the cost of `ratings` (one period's, of one or more accounts) with the version
/// of `rules` in force at `period`'s start.
pub fn allocate(
    ratings: &[Rating],
    period: &Period,
    rules: &AllocationRules,
    currency: &str,
    rounding: RoundingMode,
) -> Result<Allocation> {
    let v = rules.at(period.start)?;
    if v.fixed.len() > MAX_TARGETS || v.targets.len() > MAX_TARGETS {
        return Err(Error::Allocation(format!(
            "rules `{}` {}: at most {MAX_TARGETS} targets and fixed costs",
            rules.id, v.version
        )));
    }
    let shared_values: BTreeSet<&str> = v.shared_values.iter().map(String::as_str).collect();
    let zero = money::round(Decimal::ZERO, currency, rounding);
    let mut direct: BTreeMap<String, Decimal> =
        v.targets.iter().map(|t| (t.clone(), zero)).collect();
    let mut shared = zero;
    let what = || "summing the costs to allocate".to_string();
    for r in ratings {
        if r.currency != currency {
            return Err(Error::Allocation(format!(
                "{} is rated in {}, the allocation in {currency}",
                r.period.label(),
                r.currency
            )));
        }
        for l in &r.lines {
            let net = money::round(l.amount, currency, rounding);
            match l.tags.get(&rules.target_tag) {
                Some(t) if !shared_values.contains(t.as_str()) => {
                    let d = direct.entry(t.clone()).or_insert(zero);
                    *d = d.plus(net).or_overflow(what)?;
                }
                _ => shared = shared.plus(net).or_overflow(what)?,
            }
        }
    }
    if direct.len() > MAX_TARGETS {
        return Err(Error::Allocation(format!(
            "{} values of tag `{}`: at most {MAX_TARGETS} targets",
            direct.len(),
            rules.target_tag
        )));
    }
    let mut indirect = vec![IndirectCost {
        source: "shared resources".into(),
        method: v.shared.name().into(),
        amount: shared,
    }];
    let mut spreads = vec![&v.shared];
    for f in &v.fixed {
        indirect.push(IndirectCost {
            source: f.name.clone(),
            method: f.spread.name().into(),
            amount: money::round(f.amount, currency, rounding),
        });
        spreads.push(&f.spread);
    }
    let mut shares: BTreeMap<String, Vec<Share>> = BTreeMap::new();
    for (cost, spread) in indirect.iter_mut().zip(spreads) {
        for s in spread_cost(cost, spread, &direct, currency)? {
            // The list of indirect costs names the method its shares were spread by (a
            // proportional spread with no direct cost to follow goes evenly).
            cost.method.clone_from(&s.method);
            shares.entry(s.target.clone()).or_default().push(s);
        }
    }
    let mut targets = Vec::with_capacity(direct.len());
    let (mut total_direct, mut total_allocated) = (zero, zero);
    let names: BTreeSet<String> = direct.keys().chain(shares.keys()).cloned().collect();
    for t in names {
        let d = direct.get(&t).copied().unwrap_or(zero);
        let mine = shares.remove(&t).unwrap_or_default();
        let mut allocated = zero;
        for s in &mine {
            allocated = allocated.plus(s.amount).or_overflow(what)?;
        }
        total_direct = total_direct.plus(d).or_overflow(what)?;
        total_allocated = total_allocated.plus(allocated).or_overflow(what)?;
        targets.push(TargetCost {
            total: d.plus(allocated).or_overflow(what)?,
            target: t,
            direct: d,
            allocated,
            shares: mine,
        });
    }
    crate::sort::sort_by(&mut targets, |a, b| {
        b.total.cmp(&a.total).then_with(|| a.target.cmp(&b.target))
    });
    Ok(Allocation {
        rules: format!("{}@{}", rules.id, v.version),
        target_tag: rules.target_tag.clone(),
        currency: currency.to_string(),
        targets,
        indirect,
        direct: total_direct,
        allocated: total_allocated,
        total: total_direct.plus(total_allocated).or_overflow(what)?,
    })
}

/// Spreads one indirect cost: each target's exact share in minor units is floored, and the
/// units left are given one each to the largest remainders (ties by target name), so that the
/// shares add up to the cost.
pub(crate) fn spread_cost(
    cost: &IndirectCost,
    spread: &Spread,
    direct: &BTreeMap<String, Decimal>,
    currency: &str,
) -> Result<Vec<Share>> {
    let mut method = spread.name().to_string();
    let mut weights: Vec<(String, Decimal)> = match spread {
        Spread::Even => direct.keys().map(|t| (t.clone(), Decimal::ONE)).collect(),
        Spread::Proportional => direct.iter().map(|(t, d)| (t.clone(), *d)).collect(),
        Spread::Weights { weights } => {
            if let Some((t, w)) = weights.iter().find(|(_, w)| w.is_sign_negative()) {
                return Err(Error::Allocation(format!(
                    "{}: the weight of `{t}` is {w}, below zero",
                    cost.source
                )));
            }
            weights.iter().map(|(t, w)| (t.clone(), *w)).collect()
        }
    };
    let sum = |ws: &[(String, Decimal)]| -> Result<Decimal> {
        ws.iter().try_fold(Decimal::ZERO, |a, (_, w)| {
            a.plus(*w)
                .or_overflow(|| format!("summing the weights of {}", cost.source))
        })
    };
    let mut total = sum(&weights)?;
    if total <= Decimal::ZERO && matches!(spread, Spread::Proportional) {
        // No target has a direct cost to be proportional to.
        method = "proportional (no direct cost: even)".into();
        weights = direct.keys().map(|t| (t.clone(), Decimal::ONE)).collect();
        total = sum(&weights)?;
    }
    if cost.amount.is_zero() {
        return Ok(Vec::new());
    }
    if weights.is_empty() || total <= Decimal::ZERO {
        return Err(Error::Allocation(format!(
            "{} ({}) has no target to go to: no target has a weight",
            cost.source, cost.amount
        )));
    }
    let scale =
        (0..money::minor_digits(currency)).fold(Decimal::ONE, |s, _| s.sat_times(Decimal::TEN));
    let units = cost
        .amount
        .abs()
        .times(scale)
        .or_overflow(|| format!("spreading {}", cost.source))?;
    let mut parts = Vec::with_capacity(weights.len());
    let mut given = Decimal::ZERO;
    for (t, w) in &weights {
        let exact = units
            .times(*w)
            .and_then(|x| x.over(total))
            .or_overflow(|| format!("spreading {}", cost.source))?;
        let floor = exact.floor();
        given = given.plus(floor).or_overflow(|| "spreading".into())?;
        parts.push((
            t.clone(),
            *w,
            floor,
            exact.minus(floor).unwrap_or(Decimal::ZERO),
        ));
    }
    // Units left over (0 to the number of targets, short of a rounding of the division).
    let left = units.minus(given).or_overflow(|| "spreading".into())?;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    crate::sort::sort_by(&mut order, |&a, &b| {
        parts[b]
            .3
            .cmp(&parts[a].3)
            .then_with(|| parts[a].0.cmp(&parts[b].0))
    });
    let n = Decimal::from(parts.len());
    if left.is_sign_negative() || left > n {
        return Err(Error::Allocation(format!(
            "{}: {left} units left to hand out over {n} targets",
            cost.source
        )));
    }
    let mut left = left;
    for &i in &order {
        if left <= Decimal::ZERO {
            break;
        }
        parts[i].2 = parts[i]
            .2
            .plus(Decimal::ONE)
            .or_overflow(|| "spreading".into())?;
        left = left
            .minus(Decimal::ONE)
            .or_overflow(|| "spreading".into())?;
    }
    let negative = cost.amount.is_sign_negative();
    let dp = money::minor_digits(currency);
    Ok(parts
        .into_iter()
        .map(|(target, weight, units, _)| {
            let mut amount = units.over(scale).unwrap_or(Decimal::ZERO);
            if negative && !amount.is_zero() {
                amount.set_sign_negative(true);
            }
            amount.rescale(dp);
            Share {
                target,
                source: cost.source.clone(),
                method: method.clone(),
                weight: weight.normalize(),
                of_total_weight: total.normalize(),
                amount,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cost(cents: i64) -> IndirectCost {
        IndirectCost {
            source: "x".into(),
            method: "weights".into(),
            amount: Decimal::new(cents, 2),
        }
    }

    proptest! {
        /// Whatever the amount and the weights, the shares add up to the cost to the cent,
        /// each is within a cent of its exact share, and none is negative for a positive cost.
        #[test]
        fn shares_add_up_to_the_cost(
            cents in -10_000_000i64..10_000_000,
            weights in proptest::collection::vec(0u32..1_000, 1..12),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let ws: BTreeMap<String, Decimal> = weights
                .iter()
                .enumerate()
                .map(|(i, w)| (format!("t{i:02}"), Decimal::from(*w)))
                .collect();
            let c = cost(cents);
            let shares = spread_cost(&c, &Spread::Weights { weights: ws.clone() }, &BTreeMap::new(), "EUR").unwrap();
            let sum: Decimal = shares.iter().map(|s| s.amount).sum();
            prop_assert_eq!(sum, c.amount);
            let total: Decimal = ws.values().copied().sum();
            for s in &shares {
                let exact = c.amount * ws[&s.target] / total;
                prop_assert!((s.amount - exact).abs() < Decimal::new(1, 2), "{} vs {}", s.amount, exact);
                if cents > 0 {
                    prop_assert!(!s.amount.is_sign_negative());
                }
            }
        }
    }
}
