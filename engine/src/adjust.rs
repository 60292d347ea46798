//! Commitments, discounts and credits: applied after rating and before tax, in that order.
//!
//! - A commitment (savings plan) or a discount is a percentage or a fixed amount, on one line, a
//!   sku, a family, a service or the whole document.
//! - A credit (prepaid or promotional) is a balance with an expiry date, used on the whole
//!   document after the discounts; what is left is reported and carries over.
//! - Nothing makes a line negative: a reduction takes at most what the line still has. A fixed
//!   amount is taken from the lines in their order.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::num::{Arith, OrOverflow};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustments {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commitments: Vec<Adjustment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<Adjustment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credits: Vec<Credit>,
}

impl Adjustments {
    pub fn is_empty(&self) -> bool {
        self.commitments.is_empty() && self.discounts.is_empty() && self.credits.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    pub id: String,
    pub description: String,
    #[serde(default)]
    pub scope: Scope,
    pub value: Value,
}

/// What an adjustment applies to: `"document"`, `{"line": 1}` (1-based), `{"sku": "b2-15"}`,
/// `{"family": "B2"}`, `{"service": "Instances"}`, or the lines that carry a tag,
/// `{"tag": {"key": "item", "value": "2"}}` (an estimate's lines carry their item's index, so a
/// discount follows its item whatever the order and number of its lines).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Document,
    Line(usize),
    Sku(String),
    Family(String),
    Service(String),
    Tag {
        key: String,
        value: String,
    },
}

/// `{"percent": "10"}` or `{"fixed": "25.00"}` (in the catalog's currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Percent(
        #[serde(with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        Decimal,
    ),
    Fixed(
        #[serde(with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        Decimal,
    ),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credit {
    pub id: String,
    pub description: String,
    pub kind: CreditKind,
    /// The balance before this document, in the catalog's currency.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub balance: Decimal,
    /// The last issue date on which the credit can be used.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::time::date_option"
    )]
    #[schemars(with = "Option<String>")]
    pub expires: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreditKind {
    Prepaid,
    Promotional,
}

/// What one adjustment took off, in the catalog's currency at full precision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Applied {
    pub id: String,
    /// `commitment`, `discount` or `credit`.
    pub kind: String,
    pub description: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub amount: Decimal,
    /// Set when a fixed amount could not be used in full (the lines in scope had less).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A credit after this document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreditBalance {
    pub id: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub before: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub used: Decimal,
    /// Carried over to the next document (zero once expired).
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub remaining: Decimal,
    /// `applied`, `expired` or `exhausted`.
    pub status: String,
}

/// A line as adjustments see it.
pub(crate) struct Target<'a> {
    pub sku: &'a str,
    pub family: Option<&'a str>,
    pub service: &'a str,
    pub tags: &'a std::collections::BTreeMap<String, String>,
    /// What the line still has; reduced in place.
    pub amount: Decimal,
    /// What credits took from the line (a part of what it lost).
    pub credited: Decimal,
}

fn in_scope(scope: &Scope, index: usize, t: &Target) -> bool {
    match scope {
        Scope::Document => true,
        Scope::Line(n) => *n == index.saturating_add(1),
        Scope::Sku(s) => t.sku == s,
        Scope::Family(f) => t.family == Some(f.as_str()),
        Scope::Service(s) => t.service == s,
        Scope::Tag { key, value } => t.tags.get(key) == Some(value),
    }
}

/// Takes up to `amount` from the lines for which `pick` is true, in order; returns what it took.
fn take(lines: &mut [Target], amount: Decimal, pick: impl Fn(usize, &Target) -> bool) -> Decimal {
    let mut left = amount;
    for (i, t) in lines.iter_mut().enumerate() {
        if left <= Decimal::ZERO {
            break;
        }
        if pick(i, t) {
            // `cut` is at most each of the two, so neither subtraction can leave the range.
            let cut = left.min(t.amount);
            t.amount = t.amount.less(cut);
            left = left.less(cut);
        }
    }
    amount.less(left)
}

fn check(a: &Adjustment, lines: usize) -> Result<()> {
    let bad = |m: String| Err(Error::Document(format!("adjustment `{}`: {m}", a.id)));
    match a.value {
        Value::Percent(p) if p.is_sign_negative() || p > Decimal::ONE_HUNDRED => {
            bad(format!("percent must be from 0 to 100 (got {p})"))
        }
        Value::Fixed(f) if f.is_sign_negative() => {
            bad(format!("a fixed amount must not be negative (got {f})"))
        }
        Value::Fixed(f) if f > crate::num::MAX_AMOUNT => bad(format!(
            "a fixed amount must be at most {} (got {f})",
            crate::num::MAX_AMOUNT
        )),
        _ => match a.scope {
            Scope::Line(n) if n == 0 || n > lines => bad(format!(
                "line {n} does not exist (the document has {lines})"
            )),
            _ => Ok(()),
        },
    }
}

/// Applies the adjustments to the lines (in place), in the order commitments, discounts,
/// credits. Returns what each took and the credits' balances.
pub(crate) fn apply(
    lines: &mut [Target],
    adj: &Adjustments,
    issue_date: NaiveDate,
) -> Result<(Vec<Applied>, Vec<CreditBalance>)> {
    let mut applied = Vec::new();
    let n = lines.len();
    for (kind, list) in [
        ("commitment", &adj.commitments),
        ("discount", &adj.discounts),
    ] {
        for a in list {
            check(a, n)?;
            let (amount, note) = reduce(lines, a)?;
            applied.push(Applied {
                id: a.id.clone(),
                kind: kind.into(),
                description: a.description.clone(),
                amount: amount.normalize(),
                note,
            });
        }
    }
    let mut balances = Vec::new();
    for c in &adj.credits {
        let balance = spend(lines, c, issue_date)?;
        if balance.status != "expired" {
            applied.push(Applied {
                id: c.id.clone(),
                kind: "credit".into(),
                description: c.description.clone(),
                amount: balance.used,
                note: None,
            });
        }
        balances.push(balance);
    }
    Ok((applied, balances))
}

/// A commitment or discount on the lines in its scope: a percent of each, or a fixed amount
/// taken from them in order. Returns what it took, and a note when the lines had less.
fn reduce(lines: &mut [Target], a: &Adjustment) -> Result<(Decimal, Option<String>)> {
    Ok(match a.value {
        Value::Percent(p) => {
            let mut total = Decimal::ZERO;
            for (i, t) in lines.iter_mut().enumerate() {
                if in_scope(&a.scope, i, t) {
                    let cut = t
                        .amount
                        .times(p)
                        .and_then(|x| x.over(Decimal::ONE_HUNDRED))
                        .or_overflow(|| format!("applying adjustment `{}`", a.id))?
                        .min(t.amount);
                    t.amount = t.amount.less(cut);
                    total = total
                        .plus(cut)
                        .or_overflow(|| format!("summing adjustment `{}`", a.id))?;
                }
            }
            (total, None)
        }
        Value::Fixed(f) => {
            let took = take(lines, f, |i, t| in_scope(&a.scope, i, t));
            let note = (took < f).then(|| {
                format!(
                    "{} of {} used: the lines in scope had no more",
                    took.normalize(),
                    f.normalize()
                )
            });
            (took, note)
        }
    })
}

/// A credit's balance spent on the lines in order, unless it expired before the issue date.
fn spend(lines: &mut [Target], c: &Credit, issue_date: NaiveDate) -> Result<CreditBalance> {
    if let Err(m) = crate::num::within(c.balance, crate::num::MAX_AMOUNT, "the balance") {
        return Err(Error::Document(format!("credit `{}`: {m}", c.id)));
    }
    if c.expires.is_some_and(|e| e < issue_date) {
        return Ok(CreditBalance {
            id: c.id.clone(),
            before: c.balance,
            used: Decimal::ZERO,
            remaining: Decimal::ZERO,
            status: "expired".into(),
        });
    }
    // Like `take`, keeping what each line gave, for the line's own record of it.
    let mut left = c.balance;
    for t in lines.iter_mut() {
        if left <= Decimal::ZERO {
            break;
        }
        // `cut` is at most each of the two; `credited` stays at most the line's rated amount.
        let cut = left.min(t.amount);
        t.amount = t.amount.less(cut);
        t.credited = t
            .credited
            .plus(cut)
            .or_overflow(|| format!("credit `{}`", c.id))?;
        left = left.less(cut);
    }
    let used = c.balance.less(left);
    // `used` is at most the balance.
    let remaining = c.balance.less(used);
    let status = if remaining.is_zero() {
        "exhausted"
    } else {
        "applied"
    };
    Ok(CreditBalance {
        id: c.id.clone(),
        before: c.balance,
        used: used.normalize(),
        remaining: remaining.normalize(),
        status: status.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    static NO_TAGS: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();

    fn lines() -> Vec<Target<'static>> {
        vec![
            Target {
                credited: Decimal::ZERO,
                sku: "a",
                family: Some("F"),
                service: "Instances",
                tags: &NO_TAGS,
                amount: d("100"),
            },
            Target {
                credited: Decimal::ZERO,
                sku: "b",
                family: None,
                service: "Storage",
                tags: &NO_TAGS,
                amount: d("10"),
            },
        ]
    }

    #[test]
    fn order_and_floor_at_zero() {
        let mut l = lines();
        let adj = Adjustments {
            commitments: vec![Adjustment {
                id: "sp".into(),
                description: "plan".into(),
                scope: Scope::Family("F".into()),
                value: Value::Percent(d("20")),
            }],
            discounts: vec![Adjustment {
                id: "v".into(),
                description: "voucher".into(),
                scope: Scope::Sku("b".into()),
                value: Value::Fixed(d("15")),
            }],
            credits: vec![Credit {
                id: "c".into(),
                description: "promo".into(),
                kind: CreditKind::Promotional,
                balance: d("100"),
                expires: None,
            }],
        };
        let (applied, bal) =
            apply(&mut l, &adj, NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()).unwrap();
        assert_eq!(applied[0].amount, d("20"));
        assert_eq!(applied[1].amount, d("10"));
        assert!(applied[1].note.is_some());
        assert_eq!((l[0].amount, l[1].amount), (d("0"), d("0")));
        assert_eq!((bal[0].used, bal[0].remaining), (d("80"), d("20")));
    }

    #[test]
    fn expired_credit_is_not_used() {
        let mut l = lines();
        let adj = Adjustments {
            credits: vec![Credit {
                id: "c".into(),
                description: "old".into(),
                kind: CreditKind::Prepaid,
                balance: d("5"),
                expires: Some(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()),
            }],
            ..Default::default()
        };
        let (_, bal) = apply(&mut l, &adj, NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()).unwrap();
        assert_eq!(bal[0].status, "expired");
        assert_eq!(l[0].amount, d("100"));
    }
}
