//! Graduated tiers: each tier prices the units of the period's count that fall in it.

use rust_decimal::Decimal;

use super::{Billable, Slice};
use super::{overlap, tier_note, tiers};
use crate::error::Result;

pub(super) fn slices(b: &Billable) -> Result<Vec<Slice>> {
    let tiers = tiers(b.price.tiers.as_deref(), b.catalog, b.q)?;
    let mut out = Vec::new();
    let mut lower = Decimal::ZERO;
    for (k, t) in tiers.iter().enumerate() {
        let units = overlap(b.from, b.to, lower, t.up_to);
        if units > Decimal::ZERO {
            out.push(Slice {
                units,
                unit_price: t.unit_price,
                note: tier_note(k, lower, t.up_to),
                package: false,
                slice: Some(format!("tier {}", k.saturating_add(1))),
            });
        }
        lower = t.up_to.unwrap_or(lower);
    }
    Ok(out)
}
