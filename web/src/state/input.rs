//! Numbers as typed in the form: read with the engine's reader, and a percent within 0..100.

use rust_decimal::Decimal;

use super::FieldError;

/// A discount in percent: a number from 0 to 100, or an inline error at its field.
pub(super) fn percent(
    text: &str,
    item: Option<usize>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Decimal> {
    let p = number(text, item, field, errors)?;
    if p > Decimal::ONE_HUNDRED {
        errors.push(FieldError {
            item,
            field: field.into(),
            message: format!("must be from 0 to 100 % (got {p})"),
        });
        return None;
    }
    Some(p)
}

pub(super) fn number(
    text: &str,
    item: Option<usize>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Decimal> {
    let t = text.trim().replace(',', ".");
    if t.is_empty() {
        return None;
    }
    // The engine's reader: too many digits, a number too large, are said as such.
    match ratecard::parse_decimal(&t) {
        Ok(d) if d.is_sign_negative() && !d.is_zero() => {
            errors.push(FieldError {
                item,
                field: field.into(),
                message: "must not be negative".into(),
            });
            None
        }
        Ok(d) => Some(d),
        Err(message) => {
            errors.push(FieldError {
                item,
                field: field.into(),
                message,
            });
            None
        }
    }
}
