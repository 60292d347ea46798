//! Numbers from outside, and arithmetic on them: **bounded at the edges, checked inside**.
//!
//! Every decimal that enters the engine (an event's quantity, an estimate's GB, a catalog's
//! price, an exchange rate, an adjustment) is read exactly (more digits than a decimal holds is
//! an error, never a silent rounding) and checked against a bound below. With those bounds the
//! sums of a realistic month stay far inside the decimal range; the arithmetic inside is
//! checked all the same (`clippy::arithmetic_side_effects` is denied in the engine), so a
//! pathological input gives [`Error::Overflow`] naming what was being computed, never a panic.

use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// The largest quantity one event or one estimate field may carry (10^12: a trillion GB,
/// requests or units).
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);
/// The largest price a catalog may state per price unit (10^9 in its currency).
pub const MAX_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// The largest exchange rate (units of a currency per euro) and amount of an adjustment (10^12).
pub const MAX_AMOUNT: Decimal = MAX_QUANTITY;

/// Checks that `value` is within `0..=max`, or says which field and bound.
pub fn within(value: Decimal, max: Decimal, what: &str) -> Result<(), String> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(format!("{what} must not be negative (got {value})"));
    }
    if value > max {
        return Err(format!("{what} must be at most {max} (got {value})"));
    }
    Ok(())
}

/// Reads a decimal exactly: more significant digits than a decimal holds (28) is an error
/// rather than a silent rounding.
pub fn parse_exact(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    // Scientific notation is read too ("1e3"), as rust_decimal's serde reader does.
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        Decimal::from_str_exact(t)
    };
    parsed.map_err(|e| match e {
        rust_decimal::Error::Underflow => format!(
            "`{t}` has more digits than a decimal holds (at most 28 after the point)"
        ),
        rust_decimal::Error::ExceedsMaximumPossibleValue
        | rust_decimal::Error::LessThanMinimumPossibleValue => {
            format!("`{t}` is too large for a decimal")
        }
        _ if t.len() > 29 && t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') => {
            format!("`{t}` has more digits than a decimal holds (at most 28)")
        }
        _ if t.contains(',') => format!(
            "`{t}` is not a decimal number: write it without a thousands separator, with `.` before the decimals"
        ),
        _ => format!("`{t}` is not a decimal number"),
    })
}

/// Serde for a decimal string read with [`parse_exact`].
pub mod exact {
    use rust_decimal::Decimal;
    use serde::{Deserializer, Serializer, de};

    struct Exact;

    impl de::Visitor<'_> for Exact {
        type Value = Decimal;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a decimal number written as a string (\"1.5\")")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            super::parse_exact(v).map_err(E::custom)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_str(Exact)
    }

    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::str::serialize(v, s)
    }
}

/// Serde for an optional decimal string read with [`parse_exact`].
pub mod exact_option {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::exact")] Decimal);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::str_option::serialize(v, s)
    }
}

/// Turns a checked operation's `None` into [`Error::Overflow`] naming what was computed.
pub trait OrOverflow<T> {
    fn or_overflow(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> OrOverflow<T> for Option<T> {
    fn or_overflow(self, what: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(|| Error::Overflow(what()))
    }
}

/// The checked sum of decimals (`None` when it leaves the decimal range).
pub fn sum(values: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    values
        .into_iter()
        .try_fold(Decimal::ZERO, |a, v| a.checked_add(v))
}

/// The checked sum, starting from `zero` (a zero with the scale the result should keep).
pub fn sum_from(zero: Decimal, values: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    values.into_iter().try_fold(zero, |a, v| a.checked_add(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_what_they_say() {
        assert_eq!(MAX_QUANTITY.to_string(), "1000000000000");
        assert_eq!(MAX_PRICE.to_string(), "1000000000");
        assert!(within(MAX_QUANTITY, MAX_QUANTITY, "q").is_ok());
        assert_eq!(
            within(MAX_QUANTITY + Decimal::ONE, MAX_QUANTITY, "quantity").unwrap_err(),
            "quantity must be at most 1000000000000 (got 1000000000001)"
        );
        assert!(within(Decimal::NEGATIVE_ONE, MAX_QUANTITY, "q").is_err());
    }

    #[test]
    fn exact_reading_refuses_lost_digits() {
        assert_eq!(parse_exact("1.5").unwrap().to_string(), "1.5");
        assert_eq!(parse_exact("1e3").unwrap(), Decimal::from(1000));
        let e = parse_exact("0.1234567890123456789012345678901").unwrap_err();
        assert!(e.contains("more digits than a decimal holds"), "{e}");
        assert!(parse_exact("79228162514264337593543950336").is_err());
        assert!(parse_exact("1,000").is_err());
    }

    #[test]
    fn checked_sums() {
        let big = Decimal::MAX;
        assert_eq!(sum([Decimal::ONE, Decimal::TWO]), Some(Decimal::from(3)));
        assert_eq!(sum([big, Decimal::ONE]), None);
        let e = sum([big, big])
            .or_overflow(|| "summing".into())
            .unwrap_err();
        assert_eq!(e.to_string(), "decimal overflow while summing");
    }
}
