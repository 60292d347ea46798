//! Charge models, one module each, behind one interface:
//! - `meter`: a resource's ordered events -> quantities per price segment (plus diagnostics);
//! - `rate`: the quantities of one account, sku and region -> priced lines.
//!
//! | model          | quantity unit           | price              |
//! |----------------|-------------------------|--------------------|
//! | time_metered   | second / minute / hour  | `unit_price`/hour  |
//! | monthly_plan   | month, or days of one   | `monthly_price`    |
//! | storage        | GB-hour                 | `unit_price`/GB-month |
//! | counter        | the counter's unit      | `unit_price` or `tiers` per `price_per` units |
//! | flat           | month                   | `monthly_price`    |

pub mod counter;
pub mod flat;
pub mod monthly_plan;
pub mod storage;
pub mod time_metered;

use crate::catalog::{Charge, PriceBook, Product};
use crate::error::Result;
use crate::meter::{Ctx, Diagnostic, Group, Quantity};
use crate::rate::RatedLine;

pub(crate) fn meter(
    charge: &Charge,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    match charge {
        Charge::TimeMetered { .. } => time_metered::meter(charge, ctx, group, out, diags),
        Charge::MonthlyPlan { billing } => monthly_plan::meter(*billing, ctx, group, out, diags),
        Charge::Storage { measure, rounding } => {
            storage::meter(*measure, *rounding, ctx, group, out, diags)
        }
        Charge::Counter { unit, .. } => counter::meter(unit, ctx, group, out),
        Charge::Flat {} => flat::meter(ctx, group, out, diags),
    }
}

pub(crate) fn rate(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    match &product.charge {
        Charge::TimeMetered { .. } => time_metered::rate(book, product, qs, out),
        Charge::MonthlyPlan { .. } => monthly_plan::rate(book, product, qs, out),
        Charge::Storage { .. } => storage::rate(book, product, qs, out),
        Charge::Counter { .. } => counter::rate(book, product, qs, out),
        Charge::Flat {} => flat::rate(book, product, qs, out),
    }
}

/// The price fields a model reads, or a clear error naming what is missing.
pub(crate) fn required(
    value: Option<rust_decimal::Decimal>,
    field: &str,
    catalog: &crate::catalog::Catalog,
    q: &Quantity,
) -> Result<rust_decimal::Decimal> {
    value.ok_or_else(|| crate::error::Error::NoPrice {
        catalog: catalog.reference(),
        sku: q.sku.clone(),
        region: q.region.clone(),
        message: format!("the price has no `{field}`"),
    })
}
