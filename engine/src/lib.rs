//! # ratecard: the rating engine
//!
//! One pure pipeline serves both the calculator (compiled to WebAssembly) and the invoicing
//! backend (native): **meter -> rate -> (discount -> tax -> document)**.
//!
//! - [`event`]: usage events, the input contract (JSON or JSON Lines);
//! - [`catalog`]: price lists and their versions ([`catalog::PriceBook`]);
//! - [`meter`]: events -> quantities, per resource and price segment (no prices);
//! - [`rate`]: quantities -> priced lines (Cost = Quantity x Unit Price), and re-pricing;
//! - [`estimate`]: a setup -> the usage of a hypothetical month -> the same meter and rate path;
//! - [`models`]: one module per charge model; [`granularity`]: time units; [`money`]: rounding.
//!
//! The engine is pure: no I/O, no clock, no randomness, no global state, no floats. The same
//! inputs give byte-identical [`canonical`] JSON on every platform.
#![deny(
    clippy::float_arithmetic,
    clippy::float_cmp,
    clippy::cast_precision_loss
)]
#![forbid(unsafe_code)]
// Arithmetic on input is checked (see `num`): an unchecked `+`, `-`, `*` or `/` on a decimal
// or an integer does not compile outside tests.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

pub mod accounting;
pub mod adjust;
pub mod allocation;
pub mod budget;
pub mod canonical;
pub mod catalog;
pub mod correction;
pub mod daily;
pub mod document;
pub mod error;
pub mod estimate;
pub mod event;
pub mod explore;
pub mod export;
pub mod focus;
pub mod fx;
mod granularity;
#[cfg(feature = "wasm")]
pub mod js;
pub mod meter;
mod models;
mod money;
mod num;
pub mod party;
pub mod projection;
mod quantity;
pub mod rate;
pub mod samples;
pub mod sort;
pub mod time;
pub mod vat;

/// Changes whenever the rating of the same events under the same price list can change (a
/// rule of rating, metering or of a share of spend): ratings kept by the service are keyed by
/// it, so that none made under older rules is read as current.
pub const RATING_RULES: &str = "2026-12-01";

pub use catalog::{Catalog, PriceBook};
pub use error::{Error, Result};
pub use estimate::{Estimate, EstimateRequest, estimate};
pub use event::{Reject, UsageEvent};
pub use meter::{Metered, Quantity, meter};
pub use money::RoundingMode;
pub use num::grouped;
pub use num::parse_exact as parse_decimal;
pub use rate::{RatedLine, Rating, rate, reprice};
pub use time::Period;

/// Parses, meters and rates events in one call: the invoicing path up to priced lines.
pub fn rate_events(book: &PriceBook, period: Period, events_text: &str) -> Result<Rating> {
    let parsed = event::parse(events_text);
    let mut metered = meter(book, period, &parsed.events)?;
    metered.rejects.extend(parsed.rejects);
    crate::sort::sort(&mut metered.rejects);
    rate(book, &metered)
}
