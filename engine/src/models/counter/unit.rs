//! `none` tiering: one unit price for every billable unit.

use super::{Billable, Slice};
use crate::error::Result;
use crate::models::required;

pub(super) fn slices(b: &Billable) -> Result<Vec<Slice>> {
    let unit_price = required(b.price.unit_price, "unit_price", b.catalog, b.q)?;
    Ok(vec![Slice {
        units: b.units,
        unit_price,
        note: String::new(),
        package: false,
        slice: None,
    }])
}
