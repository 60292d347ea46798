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

/// A number as people read it, grouped by thousands: `grouped(3000.5, "\u{202f}", ",")` is
/// `3 000,5` (French), `grouped(3000.5, ",", ".")` is `3,000.5` (English). The digits are the
/// decimal's own: an amount keeps its currency's minor digits.
pub fn grouped(value: Decimal, thousands: &str, point: &str) -> String {
    let text = value.to_string();
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |d| ("-", d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::from(sign);
    let len = int.len();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && len.saturating_sub(i) % 3 == 0 {
            out.push_str(thousands);
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push_str(point);
        out.push_str(frac);
    }
    out
}

/// Reads a decimal exactly: more significant digits than a decimal holds (28) is an error
/// rather than a silent rounding.
pub fn parse_exact(text: &str) -> Result<Decimal, String> {
    use std::str::FromStr;
    let t = text.trim();
    let scientific = t.contains(['e', 'E']);
    // Scientific notation is read too ("1e3"), as rust_decimal's serde reader does. The plain
    // reader is the one the engine links anyway (its exact variant would add a second copy).
    let parsed = if scientific {
        Decimal::from_scientific(t)
    } else {
        Decimal::from_str(t)
    };
    let too_long =
        || format!("`{t}` has more digits than a decimal holds (28 significant digits at most)");
    // rust_decimal reads `1_000` as a thousand: a separator is refused like a comma.
    if t.contains('_') {
        return Err(format!(
            "`{t}` is not a decimal number: write it without a thousands separator"
        ));
    }
    // A mantissa is read by rounding: more digits than a decimal holds is refused first.
    if scientific {
        let mantissa = t.split(['e', 'E']).next().unwrap_or_default();
        let digits = mantissa
            .trim_start_matches(['-', '+'])
            .bytes()
            .filter(u8::is_ascii_digit)
            .skip_while(|b| *b == b'0')
            .count();
        if digits > 28 {
            return Err(too_long());
        }
    }
    let d = parsed.map_err(|e| match e {
        rust_decimal::Error::ExceedsMaximumPossibleValue
        | rust_decimal::Error::LessThanMinimumPossibleValue => {
            format!("`{t}` is too large for a decimal")
        }
        _ if t.len() > 29 && t.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') => {
            too_long()
        }
        _ if t.contains(',') => format!(
            "`{t}` is not a decimal number: write it without a thousands separator, with `.` before the decimals"
        ),
        _ => format!("`{t}` is not a decimal number"),
    })?;
    // A reading that kept fewer decimals than were written rounded them away.
    let written = t
        .split_once('.')
        .map_or(0, |(_, f)| f.bytes().filter(u8::is_ascii_digit).count());
    if !scientific && written > usize::try_from(d.scale()).unwrap_or(usize::MAX) {
        return Err(too_long());
    }
    Ok(d)
}

/// Serde for a decimal string read with [`parse_exact`].
pub mod exact {
    use rust_decimal::Decimal;
    use serde::{Deserializer, de};

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

    pub fn serialize<S: serde::Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
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

/// Serde for a list of decimal strings read with [`parse_exact`].
pub mod exact_list {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::exact")] Decimal);
        Ok(Vec::<Wrap>::deserialize(d)?
            .into_iter()
            .map(|w| w.0)
            .collect())
    }

    pub fn serialize<S: Serializer>(v: &[Decimal], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|d| d.to_string()))
    }
}

/// Serde for a map of names to decimal strings read with [`parse_exact`].
pub mod exact_map {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::exact")] Decimal);
        Ok(BTreeMap::<String, Wrap>::deserialize(d)?
            .into_iter()
            .map(|(k, w)| (k, w.0))
            .collect())
    }

    pub fn serialize<S: Serializer>(
        v: &BTreeMap<String, Decimal>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().map(|(k, d)| (k, d.to_string())))
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

/// Checked decimal arithmetic through one out-of-line copy of each operation: rust_decimal's
/// `checked_*` are inlined at every call, which would copy its 96-bit arithmetic into each
/// caller (about 25 KB of the calculator's gzipped WebAssembly when written out everywhere).
pub trait Arith: Sized {
    /// `self + rhs`, or `None` out of range.
    fn plus(self, rhs: Self) -> Option<Self>;
    /// `self - rhs`, or `None` out of range.
    fn minus(self, rhs: Self) -> Option<Self>;
    /// `self * rhs`, or `None` out of range.
    fn times(self, rhs: Self) -> Option<Self>;
    /// `self / rhs`, or `None` when `rhs` is zero or out of range.
    fn over(self, rhs: Self) -> Option<Self>;
    /// `self - rhs`, saturating: for differences that cannot leave the range.
    fn less(self, rhs: Self) -> Self;
    /// `self + rhs`, saturating.
    fn sat_plus(self, rhs: Self) -> Self;
    /// `self * rhs`, saturating.
    fn sat_times(self, rhs: Self) -> Self;
}

#[inline(never)]
fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_add(b)
}
#[inline(never)]
fn sub(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_sub(b)
}
#[inline(never)]
fn mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_mul(b)
}
#[inline(never)]
fn div(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_div(b)
}

impl Arith for Decimal {
    fn plus(self, rhs: Self) -> Option<Self> {
        add(self, rhs)
    }
    fn minus(self, rhs: Self) -> Option<Self> {
        sub(self, rhs)
    }
    fn times(self, rhs: Self) -> Option<Self> {
        mul(self, rhs)
    }
    fn over(self, rhs: Self) -> Option<Self> {
        div(self, rhs)
    }
    fn less(self, rhs: Self) -> Self {
        sub(self, rhs).unwrap_or(if rhs.is_sign_negative() {
            Decimal::MAX
        } else {
            Decimal::MIN
        })
    }
    fn sat_plus(self, rhs: Self) -> Self {
        add(self, rhs).unwrap_or(if rhs.is_sign_negative() {
            Decimal::MIN
        } else {
            Decimal::MAX
        })
    }
    fn sat_times(self, rhs: Self) -> Self {
        mul(self, rhs).unwrap_or(if self.is_sign_negative() == rhs.is_sign_negative() {
            Decimal::MAX
        } else {
            Decimal::MIN
        })
    }
}

/// The checked sum of decimals (`None` when it leaves the decimal range).
pub fn sum(values: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    sum_from(Decimal::ZERO, values)
}

/// The checked sum, starting from `zero` (a zero with the scale the result should keep).
pub fn sum_from(zero: Decimal, values: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    values.into_iter().try_fold(zero, add)
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
        assert!(parse_exact("1_000").is_err());
        assert!(parse_exact("0.12345678901234567890123456789012e0").is_err());
        assert_eq!(parse_exact("1.5e2").unwrap(), Decimal::from(150));
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
