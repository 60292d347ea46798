//! The line builder the charge models share: amount = quantity x unit price / divisor, at full
//! precision, with the formula that explains it. Models build lines here and never reach back
//! into rating or metering.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Product};
use crate::error::{Error, Result};
use crate::num::Arith;
use crate::quantity::{Quantity, Unit};
use crate::time::Period;

/// One priced line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RatedLine {
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub sku: String,
    pub region: String,
    /// The product's service, for subtotals.
    pub service: String,
    pub description: String,
    pub segment: Period,
    /// Which part of a split price the line is (`free allowance`, `tier 2`), when one resource
    /// and segment has several lines: it tells them apart (corrections match lines by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slice: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub quantity: Decimal,
    pub unit: Unit,
    /// The catalog's price, per `price_unit`.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub unit_price: Decimal,
    pub price_unit: String,
    /// Quantity units per `price_unit` (3600 seconds per hour, 720 GB-hours per GB-month).
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub divisor: Decimal,
    /// quantity x unit_price / divisor, at full precision.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    /// The charge rule that produced the line (`time_metered/clock/hour`).
    pub rule: String,
    /// The computation in words: `200 started hours x 0.111 EUR`.
    pub formula: String,
    /// How the quantity was counted (the run, the samples, the allowance).
    pub detail: String,
    /// The catalog version that priced the line (`id@version`).
    pub catalog: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// Builds a line: amount = quantity x unit_price / divisor, with its formula.
#[allow(clippy::too_many_arguments)]
pub(crate) fn line(
    q: &Quantity,
    product: &Product,
    catalog: &Catalog,
    quantity: Decimal,
    unit_price: Decimal,
    price_unit: &str,
    divisor: Decimal,
    rule: String,
    note: &str,
) -> Result<RatedLine> {
    let amount = quantity
        .times(unit_price)
        .and_then(|x| x.over(divisor))
        .ok_or_else(|| {
            Error::Overflow(format!(
                "pricing {quantity} {} of `{}`",
                q.unit.name(),
                q.sku
            ))
        })?
        .normalize();
    let formula = formula(
        quantity,
        &q.unit,
        unit_price,
        price_unit,
        divisor,
        &catalog.currency,
        note,
    );
    Ok(RatedLine {
        account: q.account.clone(),
        resource: q.resource.clone(),
        sku: q.sku.clone(),
        region: q.region.clone(),
        service: product.service.clone(),
        description: product.description.clone(),
        segment: q.segment,
        slice: None,
        quantity: quantity.normalize(),
        unit: q.unit.clone(),
        unit_price: unit_price.normalize(),
        price_unit: price_unit.to_string(),
        divisor: divisor.normalize(),
        amount,
        rule,
        formula,
        detail: q.detail.clone(),
        catalog: catalog.reference(),
        tags: q.tags.clone(),
    })
}

/// `200 started hours x 0.111 EUR/hour / 1 (note)`: the computation of a line, in words.
fn formula(
    quantity: Decimal,
    unit: &Unit,
    unit_price: Decimal,
    price_unit: &str,
    divisor: Decimal,
    cur: &str,
    note: &str,
) -> String {
    let mut formula = format!(
        "{} {} x {} {cur}",
        quantity.normalize(),
        started(unit, quantity),
        unit_price.normalize()
    );
    if price_unit != unit.name() {
        formula.push('/');
        formula.push_str(price_unit);
    }
    if divisor != Decimal::ONE {
        formula.push_str(&format!(" / {}", divisor.normalize()));
    }
    if !note.is_empty() {
        formula.push_str(&format!(" ({note})"));
    }
    formula
}

/// A line like `l` for another quantity or unit price (a part of it): the amount and formula
/// worked out again by the rule every line follows.
pub(crate) fn requantify(
    l: &RatedLine,
    quantity: Decimal,
    unit_price: Decimal,
    cur: &str,
    rule: String,
    note: &str,
) -> Result<RatedLine> {
    let amount = quantity
        .times(unit_price)
        .and_then(|x| x.over(l.divisor))
        .ok_or_else(|| Error::Overflow(format!("pricing part of a line of `{}`", l.sku)))?
        .normalize();
    Ok(RatedLine {
        quantity: quantity.normalize(),
        unit_price: unit_price.normalize(),
        amount,
        formula: formula(
            quantity,
            &l.unit,
            unit_price,
            &l.price_unit,
            l.divisor,
            cur,
            note,
        ),
        rule,
        ..l.clone()
    })
}

/// "started hours" for time units, the plain unit otherwise.
fn started(unit: &Unit, quantity: Decimal) -> String {
    match unit {
        Unit::Second | Unit::Minute | Unit::Hour => format!("started {}", unit.plural(quantity)),
        _ => unit.plural(quantity),
    }
}
