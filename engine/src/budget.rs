//! Budgets: a monthly amount for an account, or for part of it (a project's tag, a service),
//! with thresholds (50, 80 and 100 % by default) checked against the actual cost so far or
//! the cost projected to the month's end. The ledger records each crossing once; this module
//! only says which thresholds are crossed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::PriceBook;
use crate::error::{Error, Result};
use crate::event::UsageEvent;
use crate::explore::{self, Dimension};
use crate::money::{self, RoundingMode};
use crate::num::{Arith, OrOverflow};
use crate::rate::RatedLine;
use crate::time::{self, Period};

/// What a budget's thresholds are checked against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The cost so far in the month.
    #[default]
    Actual,
    /// The cost projected to the month's end (see `projection`).
    Projected,
}

impl Basis {
    pub fn name(self) -> &'static str {
        match self {
            Basis::Actual => "actual",
            Basis::Projected => "projected",
        }
    }
}

fn default_thresholds() -> Vec<u32> {
    vec![50, 80, 100]
}

/// A monthly budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// 1 to 64 letters, digits, `-` or `_`.
    pub id: String,
    pub account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Per month, in the price list's currency.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    /// The part of the account's cost the budget covers, as explorer filters
    /// (`{"tag:project": ["web"]}`, `{"service": ["Instances"]}`); all of it when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scope: BTreeMap<Dimension, BTreeSet<String>>,
    #[serde(default)]
    pub basis: Basis,
    /// Percents of the amount, 1 to 1000; 50, 80 and 100 by default.
    #[serde(default = "default_thresholds")]
    pub thresholds: Vec<u32>,
}

impl Budget {
    /// Checks what serde cannot: the id's form, a positive amount, thresholds in range.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, message: String| Error::Budget(format!("{field}: {message}"));
        let id_ok = (1..=64).contains(&self.id.len())
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(bad(
                "id",
                format!("`{}` is not 1 to 64 letters, digits, `-` or `_`", self.id),
            ));
        }
        if self.account.is_empty() {
            return Err(bad("account", "must not be empty".into()));
        }
        // The account as an event names it: the same bound, no control character.
        crate::event::check_text(&self.account, crate::event::MAX_NAME_BYTES)
            .map_err(|m| bad("account", m))?;
        if self.amount <= Decimal::ZERO || self.amount > crate::num::MAX_AMOUNT {
            return Err(bad(
                "amount",
                format!(
                    "{} is not a positive amount of at most {}",
                    self.amount,
                    crate::num::MAX_AMOUNT
                ),
            ));
        }
        if self.thresholds.is_empty()
            || self.thresholds.len() > 10
            || self.thresholds.iter().any(|t| *t == 0 || *t > 1000)
        {
            return Err(bad(
                "thresholds",
                "1 to 10 percents, each from 1 to 1000".into(),
            ));
        }
        if self.scope.contains_key(&Dimension::Account)
            || self.scope.contains_key(&Dimension::Month)
            || self.scope.contains_key(&Dimension::Day)
        {
            return Err(bad(
                "scope",
                "a budget is of one account and one month at a time: scope by service, family, sku, region, resource or tag".into(),
            ));
        }
        Ok(())
    }
}

/// One threshold of a budget in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Threshold {
    pub threshold: u32,
    /// The amount at which it is crossed.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub limit: Decimal,
    /// Crossed on the budget's basis.
    pub crossed: bool,
}

/// Where a budget stands in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BudgetStatus {
    pub budget: String,
    pub account: String,
    pub period: String,
    #[serde(with = "time::instant")]
    #[schemars(with = "String")]
    pub as_of: DateTime<Utc>,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    pub basis: Basis,
    /// The covered cost so far, and projected to the month's end.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub actual: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub projected: Decimal,
    /// `actual` (or `projected`) as a percent of the amount, 2 decimals.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub percent: Decimal,
    pub thresholds: Vec<Threshold>,
}

/// The budget's standing in `period` at `as_of`, from the account's events.
pub fn evaluate(
    book: &PriceBook,
    events: &[UsageEvent],
    budget: &Budget,
    period: &Period,
    as_of: DateTime<Utc>,
    rounding: RoundingMode,
) -> Result<BudgetStatus> {
    budget.validate()?;
    crate::projection::check_as_of(period, as_of)?;
    let mine: Vec<UsageEvent> = events
        .iter()
        .filter(|e| e.account.as_str() == budget.account)
        .cloned()
        .collect();
    let (so_far, projected, _, _) = crate::projection::project_lines(book, &mine, period, as_of)?;
    let currency = book.currency().to_string();
    let month = explore::When::of(period);
    let covered = |lines: &[RatedLine]| -> Result<Decimal> {
        let mut sum = money::round(Decimal::ZERO, &currency, rounding);
        for l in lines
            .iter()
            .filter(|l| explore::keeps(&budget.scope, l, &month, book))
        {
            sum = sum
                .plus(money::round(l.amount, &currency, rounding))
                .or_overflow(|| format!("summing the cost under budget `{}`", budget.id))?;
        }
        Ok(sum)
    };
    let actual = covered(&so_far)?;
    let projected = covered(&projected)?;
    let basis = match budget.basis {
        Basis::Actual => actual,
        Basis::Projected => projected,
    };
    let thresholds = budget
        .thresholds
        .iter()
        .map(|&t| {
            let limit = crate::projection::threshold_limit(budget.amount, t, &currency);
            Threshold {
                threshold: t,
                limit,
                crossed: basis >= limit,
            }
        })
        .collect();
    let percent = crate::projection::percent_of(basis, budget.amount);
    Ok(BudgetStatus {
        budget: budget.id.clone(),
        account: budget.account.clone(),
        period: period.label(),
        as_of,
        currency,
        amount: budget.amount,
        basis: budget.basis,
        actual,
        projected,
        percent,
        thresholds,
    })
}
