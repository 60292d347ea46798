//! Volume tiers: the tier the period's total reaches prices every unit.

use rust_decimal::Decimal;

use super::{Billable, Slice};
use super::{tier_note, tiers};
use crate::error::Result;

pub(super) fn slices(b: &Billable) -> Result<Vec<Slice>> {
    let tiers = tiers(b.price.tiers.as_deref(), b.catalog, b.q)?;
    let mut lower = Decimal::ZERO;
    for (k, t) in tiers.iter().enumerate() {
        if t.up_to.is_none_or(|u| b.period_total <= u) {
            let note = format!(
                "volume: period total {} reaches {}",
                b.period_total.normalize(),
                tier_note(k, lower, t.up_to)
            );
            return Ok(vec![Slice {
                units: b.units,
                unit_price: t.unit_price,
                note,
                package: false,
                slice: None,
            }]);
        }
        lower = t.up_to.unwrap_or(lower);
    }
    Ok(Vec::new())
}
