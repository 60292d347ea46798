//! Package tiering: a price per started package of `package_size` units.

use rust_decimal::Decimal;

use super::{Billable, Slice};
use crate::error::Error;
use crate::error::Result;
use crate::models::required;
use crate::num::Arith;

pub(super) fn slices(b: &Billable) -> Result<Vec<Slice>> {
    let unit_price = required(b.price.unit_price, "unit_price", b.catalog, b.q)?;
    // Packages started in this segment: ceil(to / size) - ceil(from / size). The catalog's
    // package size is at least 1, so these are at most `to`.
    let packages =
        b.to.over(b.package_size)
            .map(|x| x.ceil())
            .zip(b.from.over(b.package_size).map(|x| x.ceil()))
            .and_then(|(x, y)| x.minus(y))
            .ok_or_else(|| Error::Overflow(String::new()))?;
    if packages <= Decimal::ZERO {
        return Ok(Vec::new());
    }
    let note = format!(
        "{} {} in started packages of {}",
        b.units.normalize(),
        b.q.unit.name(),
        b.package_size.normalize()
    );
    Ok(vec![Slice {
        units: packages,
        unit_price,
        note,
        package: true,
        slice: None,
    }])
}
