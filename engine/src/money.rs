//! Money rounding: the one place where an amount at full precision becomes an amount in the
//! currency's minor unit. The mode is a setting, stated on every document; the default is half
//! up, as French and EU invoicing rules round halves up.

use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a half minor unit is rounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// 0.125 -> 0.13 and -0.125 -> -0.13 (away from zero). The default.
    #[default]
    HalfUp,
    /// 0.125 -> 0.12, 0.135 -> 0.14 ("banker's" rounding).
    HalfEven,
}

impl RoundingMode {
    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        }
    }
}

/// Digits after the decimal point of a currency's minor unit (ISO 4217).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" | "CLP" => 0,
        _ => 2,
    }
}

/// Rounds an amount to the currency's minor unit, always keeping that many digits
/// (`0.1` becomes `0.10`), so that the canonical text of an amount is stable.
pub fn round(amount: Decimal, currency: &str, mode: RoundingMode) -> Decimal {
    round_dp(amount, minor_digits(currency), mode)
}

/// Rounds to `dp` digits with the given mode and keeps exactly `dp` digits.
pub fn round_dp(amount: Decimal, dp: u32, mode: RoundingMode) -> Decimal {
    let mut r = amount.round_dp_with_strategy(dp, mode.strategy());
    r.rescale(dp);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn half_up_and_half_even() {
        assert_eq!(
            round(d("0.125"), "EUR", RoundingMode::HalfUp).to_string(),
            "0.13"
        );
        assert_eq!(
            round(d("0.125"), "EUR", RoundingMode::HalfEven).to_string(),
            "0.12"
        );
        assert_eq!(
            round(d("0.135"), "EUR", RoundingMode::HalfEven).to_string(),
            "0.14"
        );
        assert_eq!(
            round(d("0.114"), "EUR", RoundingMode::HalfUp).to_string(),
            "0.11"
        );
        assert_eq!(
            round(d("0.1"), "EUR", RoundingMode::HalfUp).to_string(),
            "0.10"
        );
        assert_eq!(
            round(d("20"), "EUR", RoundingMode::HalfUp).to_string(),
            "20.00"
        );
    }

    #[test]
    fn zero_digit_currencies() {
        assert_eq!(
            round(d("152.5"), "JPY", RoundingMode::HalfUp).to_string(),
            "153"
        );
        assert_eq!(minor_digits("HUF"), 2);
        assert_eq!(minor_digits("USD"), 2);
    }
}
