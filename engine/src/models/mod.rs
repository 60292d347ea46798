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
//! | share_of_spend | month (rated on spend)  | `tiers` of rates, `monthly_price` minimum |
//! | savings_plan   | hours of the term       | none: a share off eligible usage, committed amount in the event |

pub mod counter;
pub mod flat;
pub(crate) mod lifecycle;
pub(crate) mod line;
pub mod monthly_plan;
pub(crate) mod savings_plan;
pub(crate) mod share_of_spend;
pub mod storage;
pub mod time_metered;

use crate::catalog::{Charge, PriceBook, Product};
use crate::error::Result;
use crate::models::line::RatedLine;
use crate::quantity::{Ctx, Diagnostic, Group, Quantity};

/// Meters one resource's events (a group) under its charge model.
pub(crate) type MeterFn =
    fn(&Charge, &Ctx, &Group, &mut Vec<Quantity>, &mut Vec<Diagnostic>) -> Result<()>;
/// Prices the quantities of one account, sku and region under their charge model.
pub(crate) type RateFn = fn(&PriceBook, &Product, &[&Quantity], &mut Vec<RatedLine>) -> Result<()>;

/// The one interface every charge model has: how it meters and how it rates. A model reads its
/// own settings from the charge; metering reads no price, rating no event.
pub(crate) struct Model {
    pub meter: MeterFn,
    pub rate: RateFn,
}

/// The model of a charge.
pub(crate) fn of(charge: &Charge) -> Model {
    match charge {
        Charge::TimeMetered { .. } => Model {
            meter: time_metered::meter,
            rate: time_metered::rate,
        },
        Charge::MonthlyPlan { .. } => Model {
            meter: monthly_plan::meter,
            rate: monthly_plan::rate,
        },
        Charge::Storage { .. } => Model {
            meter: storage::meter,
            rate: storage::rate,
        },
        Charge::Counter { .. } => Model {
            meter: counter::meter,
            rate: counter::rate,
        },
        Charge::Flat {} => Model {
            meter: flat::meter,
            rate: flat::rate,
        },
        // Rated by `crate::rate()` after every other line, with the lines it reads.
        Charge::ShareOfSpend { .. } => Model {
            meter: share_of_spend::meter,
            rate: share_of_spend::rate,
        },
        // Applied by `crate::rate()` to the usage lines it covers.
        Charge::SavingsPlan { .. } => Model {
            meter: savings_plan::meter,
            rate: savings_plan::rate,
        },
    }
}

pub(crate) fn meter(
    charge: &Charge,
    ctx: &Ctx,
    group: &Group,
    out: &mut Vec<Quantity>,
    diags: &mut Vec<Diagnostic>,
) -> Result<()> {
    (of(charge).meter)(charge, ctx, group, out, diags)
}

pub(crate) fn rate(
    book: &PriceBook,
    product: &Product,
    qs: &[&Quantity],
    out: &mut Vec<RatedLine>,
) -> Result<()> {
    (of(&product.charge).rate)(book, product, qs, out)
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
