//! The ways to pay for one setup side by side: on demand, monthly plans, and each savings plan
//! of the price list with each upfront option. Every figure is an estimate of the same request
//! (the invoicing path again), changed only in how it is paid; none is a second formula.

use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Charge, CommitmentKind, PriceBook};
use crate::error::Result;
use crate::models::savings_plan::plan_rate;
use crate::num::{Arith, OrOverflow};
use crate::quantity::Unit;
use crate::rate::RatedLine;

use super::request::{EstimateItem, EstimateRequest, Plan, Upfront};
use super::resolve::resolve;
use super::{Estimate, estimate};

/// One way to pay for the setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentOption {
    /// `on_demand`, `monthly_plans` or `savings_plan`.
    pub option: String,
    /// The savings plan, its upfront option, term and commitment (per hour or per month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upfront: Option<Upfront>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_months: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<CommitmentKind>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub commitment: Option<Decimal>,
    /// A month's cost once paid upfront is set aside (excluding VAT).
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub monthly: Decimal,
    /// Paid at the start of the term.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub upfront_amount: Decimal,
    /// Upfront plus twelve months like this one (hours counted as hours, months as months).
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub first_12_months: Decimal,
    /// Upfront plus every month of the term, counted the same way (for on demand and monthly
    /// plans, the longest savings plan's term, so that totals compare).
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub over_term: Decimal,
    /// For a savings plan: on demand over the same term, less `over_term` (negative when the
    /// plan costs more).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub saving_over_term: Option<Decimal>,
    /// For a savings plan: the share of the commitment (in %) the usage must use for the plan
    /// to cost no more than on demand; 100 minus the usage's weighted savings percentage.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::str_option"
    )]
    #[schemars(with = "Option<String>")]
    pub break_even_utilisation: Option<Decimal>,
}

/// On demand, monthly plans (when an item has one) and every savings plan of the price list
/// with each upfront option, for the usage of `request`. A plan the request already buys keeps
/// its commitment; another plan is offered at the commitment its eligible usage would use in
/// full every hour (or month): the on-demand cost of that usage at the plan's rate, rounded
/// down to the cent (the tenth of a cent per hour).
pub fn payment_options(book: &PriceBook, request: &EstimateRequest) -> Result<Vec<PaymentOption>> {
    let is_plan = |it: &EstimateItem| {
        matches!(
            book.product(&it.sku).map(|p| &p.charge),
            Some(Charge::SavingsPlan { .. })
        )
    };
    let usage: Vec<EstimateItem> = request
        .items
        .iter()
        .filter(|it| !is_plan(it))
        .cloned()
        .collect();
    let with_items = |items: Vec<EstimateItem>| EstimateRequest {
        items,
        ..request.clone()
    };
    let hourly: Vec<EstimateItem> = usage
        .iter()
        .map(|it| EstimateItem {
            plan: Plan::Hourly,
            ..it.clone()
        })
        .collect();
    let on_demand = estimate(book, &with_items(hourly.clone()))?;
    let plans: Vec<_> = book
        .versions()
        .last()
        .map(|c| c.products.iter())
        .into_iter()
        .flatten()
        .filter_map(|p| match &p.charge {
            Charge::SavingsPlan {
                commitment,
                term_months,
                eligible,
                ..
            } => Some((p, *commitment, *term_months, eligible)),
            _ => None,
        })
        .collect();
    let longest = plans.iter().map(|p| p.2).max().unwrap_or(12);
    let mut out = vec![option(book, "on_demand", &on_demand, longest)?];
    // Monthly plans where an item has one: the estimate of the same items, each on its plan.
    let month = on_demand.month;
    let probe = with_items(hourly.clone());
    let mut monthly_items = hourly.clone();
    for (i, it) in monthly_items.iter_mut().enumerate() {
        if resolve(book, &probe, &month, i, &probe.items[i])?
            .monthly
            .is_some()
        {
            it.plan = Plan::Monthly;
        }
    }
    if monthly_items.iter().any(|it| it.plan == Plan::Monthly) {
        let e = estimate(book, &with_items(monthly_items))?;
        out.push(option(book, "monthly_plans", &e, longest)?);
    }
    let hours = Decimal::from(on_demand.month.hours());
    for (product, per, term, eligible) in plans {
        // The eligible usage on demand, and at the plan's rate.
        let overflow = || format!("the payment options of `{}`", product.sku);
        let (mut od, mut at_rate) = (Decimal::ZERO, Decimal::ZERO);
        for l in &on_demand.lines {
            if let Some(e) = eligible.iter().find(|e| e.sku == l.sku) {
                od = od.plus(l.amount).or_overflow(overflow)?;
                let r = plan_rate(l.amount, e.percent).or_overflow(overflow)?;
                at_rate = at_rate.plus(r).or_overflow(overflow)?;
            }
        }
        let given = request
            .items
            .iter()
            .find(|it| it.sku == product.sku)
            .and_then(|it| it.commitment);
        let suggested = match per {
            CommitmentKind::Hourly => at_rate
                .over(hours)
                .or_overflow(overflow)?
                .round_dp_with_strategy(3, RoundingStrategy::ToZero),
            CommitmentKind::Monthly => at_rate.round_dp_with_strategy(2, RoundingStrategy::ToZero),
        };
        let Some(amount) = given.or((suggested > Decimal::ZERO).then_some(suggested)) else {
            continue;
        };
        let break_even = if od.is_zero() {
            None
        } else {
            Some(
                at_rate
                    .times(Decimal::ONE_HUNDRED)
                    .and_then(|x| x.over(od))
                    .or_overflow(overflow)?
                    .round_dp(2)
                    .normalize(),
            )
        };
        for upfront in [Upfront::None, Upfront::Partial, Upfront::All] {
            let mut items = hourly.clone();
            items.push(EstimateItem {
                sku: product.sku.clone(),
                label: None,
                group: None,
                region: None,
                count: 1,
                plan: Plan::Hourly,
                uptime: None,
                gb: None,
                egress_gb: None,
                requests: None,
                quantity: None,
                commitment: Some(amount),
                upfront: Some(upfront),
                function: None,
                dimensions: Default::default(),
            });
            let e = estimate(book, &with_items(items))?;
            let mut o = option(book, "savings_plan", &e, term)?;
            o.sku = Some(product.sku.clone());
            o.upfront = Some(upfront);
            o.term_months = Some(term);
            o.per = Some(per);
            o.commitment = Some(amount.normalize());
            o.break_even_utilisation = break_even;
            let (_, on_demand_over_term) = projection(book, &on_demand, term)?;
            o.saving_over_term = Some(on_demand_over_term.less(o.over_term));
            out.push(o);
        }
    }
    Ok(out)
}

/// The upfront lines' amount, and the cost over `months` months from the estimate's month (in
/// the catalog's currency, rounded): the
/// upfront lines once, the other lines as every month's. A line priced by the hour (instances,
/// storage, an hourly commitment) counts the hours of those months, a line priced by the month
/// (plans, monthly commitments, counters) the months: so paying upfront or not changes when the
/// money is paid, not how much (to within the rounding of one month's lines).
pub fn projection(book: &PriceBook, e: &Estimate, months: u32) -> Result<(Decimal, Decimal)> {
    let overflow = || "the payment options".to_string();
    let cur = e.currency.as_str();
    let rounded = |l: &RatedLine| crate::money::round(l.amount, cur, e.summary.rounding);
    let upfront = crate::num::sum(
        e.lines
            .iter()
            .filter(|l| l.rule == "savings_plan/upfront")
            .map(rounded),
    )
    .or_overflow(overflow)?;
    let month_hours = Decimal::from(e.month.hours());
    let end = e
        .month
        .start
        .checked_add_months(chrono::Months::new(months))
        .ok_or_else(|| crate::error::Error::Overflow(overflow()))?;
    let hours = Decimal::from(end.signed_duration_since(e.month.start).num_hours());
    let mut total = upfront;
    for l in e.lines.iter().filter(|l| l.rule != "savings_plan/upfront") {
        let by_hours = match l.unit {
            // What a monthly commitment covers is paid by the month.
            _ if l.rule == "savings_plan/monthly" => false,
            Unit::Second | Unit::Minute | Unit::Hour | Unit::GbHour => true,
            // Storage measured per second (or a dimension per hour) is priced by time too.
            _ if l.rule.starts_with("storage/") => true,
            _ => {
                l.rule == "savings_plan/unused"
                    && matches!(
                        book.product(&l.sku).map(|p| &p.charge),
                        Some(Charge::SavingsPlan {
                            commitment: CommitmentKind::Hourly,
                            ..
                        })
                    )
            }
        };
        let part = if by_hours {
            rounded(l).times(hours).and_then(|x| x.over(month_hours))
        } else {
            rounded(l).times(Decimal::from(months))
        }
        .or_overflow(overflow)?;
        total = total.plus(part).or_overflow(overflow)?;
    }
    Ok((upfront, crate::money::round(total, cur, e.summary.rounding)))
}

/// An option from one month's estimate, projected over twelve months and over `term`.
fn option(book: &PriceBook, name: &str, e: &Estimate, term: u32) -> Result<PaymentOption> {
    let (upfront, first_12_months) = projection(book, e, 12)?;
    let (_, over_term) = projection(book, e, term)?;
    Ok(PaymentOption {
        option: name.to_string(),
        sku: None,
        upfront: None,
        term_months: None,
        per: None,
        commitment: None,
        monthly: e.summary.total.less(upfront),
        upfront_amount: upfront,
        first_12_months,
        over_term,
        saving_over_term: None,
        break_even_utilisation: None,
    })
}

/// The longest term of the savings plans an estimate buys, in months.
pub fn term_months(book: &PriceBook, e: &Estimate) -> Option<u32> {
    e.items
        .iter()
        .filter_map(|it| match book.product(&it.sku).map(|p| &p.charge) {
            Some(Charge::SavingsPlan { term_months, .. }) => Some(*term_months),
            _ => None,
        })
        .max()
}
