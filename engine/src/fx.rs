//! Currencies: ECB euro reference rates, in units of currency per 1 EUR.
//!
//! - the daily XML: `<Cube time='YYYY-MM-DD'><Cube currency='USD' rate='1.0850'/>...`;
//! - the history CSV: a header `Date,USD,JPY,...,` with a trailing comma, one row per day, and
//!   `N/A` where a currency was not quoted.
//!
//! A document uses the rate of its date, or the latest published before it (the ECB publishes
//! on working days only), at most [`MAX_AGE_DAYS`] old. A missing rate is an error, never 1.0.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How old a published rate may be for a date (a long weekend and holidays).
pub(crate) const MAX_AGE_DAYS: i64 = 7;

/// Sample rates written for the project (`catalog/fx/`).
pub(crate) const SAMPLE_DAILY_XML: &str =
    include_str!("../../catalog/fx/eurofxref-daily-sample.xml");
pub(crate) const SAMPLE_HISTORY_CSV: &str =
    include_str!("../../catalog/fx/eurofxref-hist-sample.csv");

/// Reference rates by day, then by currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FxRates {
    pub source: String,
    pub days: BTreeMap<NaiveDate, BTreeMap<String, Decimal>>,
}

/// The rate a document was converted with, stamped on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FxStamp {
    pub from: String,
    pub to: String,
    /// Units of `to` per 1 `from`.
    #[serde(with = "rust_decimal::serde::str")]
    #[schemars(with = "String")]
    pub rate: Decimal,
    /// The publication day of the rate.
    #[serde(with = "crate::time::date")]
    #[schemars(with = "String")]
    pub date: NaiveDate,
    pub source: String,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    for quote in ['\'', '"'] {
        let key = format!("{name}={quote}");
        if let Some(i) = tag.find(&key) {
            let rest = tag.get(i.saturating_add(key.len())..).unwrap_or_default();
            return rest.find(quote).map(|j| &rest[..j]);
        }
    }
    None
}

fn parse_rate(text: &str, at: &str) -> Result<Decimal> {
    let rate = crate::num::parse_exact(text)
        .map_err(|e| Error::Fx(format!("{at}: not a decimal rate: {e}")))?;
    if rate <= Decimal::ZERO {
        return Err(Error::Fx(format!("{at}: rate `{text}` must be above zero")));
    }
    if rate > crate::num::MAX_PRICE {
        return Err(Error::Fx(format!(
            "{at}: rate `{text}` must be at most {}",
            crate::num::MAX_PRICE
        )));
    }
    Ok(rate)
}

fn parse_date(text: &str, at: &str) -> Result<NaiveDate> {
    crate::time::parse_date(text.trim()).map_err(|e| Error::Fx(format!("{at}: {e}")))
}

impl FxRates {
    /// Parses the ECB daily (or 90-day) XML: every `<Cube time=...>` with its currency cubes.
    pub fn from_ecb_xml(text: &str, source: &str) -> Result<FxRates> {
        let mut out = FxRates {
            source: source.into(),
            days: BTreeMap::new(),
        };
        let mut day: Option<NaiveDate> = None;
        for (n, tag) in text.split('<').skip(1).enumerate() {
            let tag = tag.split('>').next().unwrap_or("");
            if !tag.starts_with("Cube") {
                continue;
            }
            let at = format!("XML Cube element {}", n.saturating_add(1));
            if let Some(t) = attr(tag, "time") {
                let d = parse_date(t, &at)?;
                out.days.entry(d).or_default();
                day = Some(d);
            } else if let (Some(cur), Some(rate)) = (attr(tag, "currency"), attr(tag, "rate")) {
                let d = day.ok_or_else(|| {
                    Error::Fx(format!(
                        "{at}: a rate for {cur} comes before any time='...' cube"
                    ))
                })?;
                out.days
                    .entry(d)
                    .or_default()
                    .insert(cur.to_string(), parse_rate(rate, &format!("{at} ({cur})"))?);
            }
        }
        if out.days.is_empty() {
            return Err(Error::Fx(
                "no <Cube time='YYYY-MM-DD'> element: not an ECB rates file".into(),
            ));
        }
        Ok(out)
    }

    /// Parses the ECB history CSV (`Date,USD,JPY,...,` with a trailing comma; `N/A` cells).
    pub fn from_ecb_csv(text: &str, source: &str) -> Result<FxRates> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines.next().ok_or_else(|| Error::Fx("empty CSV".into()))?;
        let cols: Vec<&str> = header.split(',').map(str::trim).collect();
        if cols.first() != Some(&"Date") {
            return Err(Error::Fx(format!(
                "the CSV header must start with `Date`, found `{}`",
                cols.first().unwrap_or(&"")
            )));
        }
        let mut out = FxRates {
            source: source.into(),
            days: BTreeMap::new(),
        };
        for (n, line) in lines.enumerate() {
            let at = format!("CSV line {}", n.saturating_add(2));
            let cells: Vec<&str> = line.split(',').collect();
            let date = parse_date(cells[0], &at)?;
            let day = out.days.entry(date).or_default();
            for (i, cell) in cells.iter().enumerate().skip(1) {
                let cur = cols.get(i).copied().unwrap_or("");
                let cell = cell.trim();
                if cur.is_empty() && cell.is_empty() {
                    continue; // the trailing comma
                }
                if cur.is_empty() {
                    return Err(Error::Fx(format!(
                        "{at}: more cells than the header has currencies"
                    )));
                }
                if cell == "N/A" || cell.is_empty() {
                    continue;
                }
                day.insert(cur.to_string(), parse_rate(cell, &format!("{at} ({cur})"))?);
            }
        }
        Ok(out)
    }

    /// The sample rates shipped with the engine: the history CSV and the daily XML together.
    pub fn sample() -> Result<FxRates> {
        let mut rates =
            FxRates::from_ecb_csv(SAMPLE_HISTORY_CSV, "ECB euro reference rates (sample)")?;
        let daily = FxRates::from_ecb_xml(SAMPLE_DAILY_XML, "ECB euro reference rates (sample)")?;
        for (d, r) in daily.days {
            rates.days.entry(d).or_default().extend(r);
        }
        Ok(rates)
    }

    /// The stamp for converting EUR into `to` on `date`: the rate of that day, or the latest
    /// published before it, at most [`MAX_AGE_DAYS`] old.
    pub fn stamp(&self, to: &str, date: NaiveDate) -> Result<FxStamp> {
        let oldest = date
            .checked_sub_signed(chrono::Duration::days(MAX_AGE_DAYS))
            .unwrap_or(date);
        let found = self
            .days
            .range(oldest..=date)
            .rev()
            .find_map(|(d, r)| r.get(to).map(|rate| (*d, *rate)));
        let (day, rate) = found.ok_or_else(|| {
            Error::Fx(format!(
                "no EUR/{to} reference rate published from {oldest} to {date} in {}",
                self.source
            ))
        })?;
        Ok(FxStamp {
            from: "EUR".into(),
            to: to.into(),
            rate,
            date: day,
            source: self.source.clone(),
        })
    }
}

impl FxRates {
    /// The stamp for converting `from` into `to` on `date` through EUR (ECB reference rates are
    /// all against EUR): `to`'s rate over `from`'s, both of one publication day, the latest
    /// that quotes both, at most [`MAX_AGE_DAYS`] old, to [`CROSS_DP`] decimal places.
    pub fn cross(&self, from: &str, to: &str, date: NaiveDate) -> Result<FxStamp> {
        if from == "EUR" {
            return self.stamp(to, date);
        }
        let oldest = date
            .checked_sub_signed(chrono::Duration::days(MAX_AGE_DAYS))
            .unwrap_or(date);
        let of = |r: &BTreeMap<String, Decimal>, c: &str| {
            if c == "EUR" {
                Some(Decimal::ONE)
            } else {
                r.get(c).copied()
            }
        };
        let found = self
            .days
            .range(oldest..=date)
            .rev()
            .find_map(|(d, r)| Some((*d, of(r, from)?, of(r, to)?)));
        let (day, rf, rt) = found.ok_or_else(|| {
            Error::Fx(format!(
                "no EUR/{from} and EUR/{to} reference rates published on one day from {oldest} to {date} in {}",
                self.source
            ))
        })?;
        // Both rates are above zero and at most 10^9: the quotient is in range.
        let rate = crate::num::Arith::over(rt, rf)
            .map(|r| r.round_dp(CROSS_DP).normalize())
            .ok_or_else(|| Error::Fx(format!("the {from}/{to} cross rate is out of range")))?;
        Ok(FxStamp {
            from: from.into(),
            to: to.into(),
            rate,
            date: day,
            source: format!("{} (cross rate through EUR)", self.source),
        })
    }
}

/// Decimal places of a cross rate: an error below a cent on 10^8 of an amount.
pub const CROSS_DP: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_xml() {
        let x = r#"<gesmes:Envelope><Cube><Cube time='2026-01-30'><Cube currency='USD' rate='1.0850'/><Cube currency="JPY" rate="162.45"/></Cube></Cube></gesmes:Envelope>"#;
        let r = FxRates::from_ecb_xml(x, "test").unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 1, 30).unwrap();
        assert_eq!(r.days[&d]["USD"].to_string(), "1.0850");
        assert_eq!(r.days[&d]["JPY"].to_string(), "162.45");
    }

    #[test]
    fn history_csv_with_trailing_comma_and_na() {
        let c = "Date,USD,JPY,CYP,\n2026-01-30,1.0850,162.45,N/A,\n2026-01-29,1.0841,N/A,N/A,\n";
        let r = FxRates::from_ecb_csv(c, "test").unwrap();
        let d29 = NaiveDate::from_ymd_opt(2026, 1, 29).unwrap();
        assert_eq!(r.days[&d29].len(), 1);
        // Saturday 31 January takes Friday's rate; JPY on the 29th is missing, so the 30th is
        // too new for a date of the 29th: an error.
        let sat = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(r.stamp("USD", sat).unwrap().date.to_string(), "2026-01-30");
        let e = r.stamp("JPY", d29).unwrap_err().to_string();
        assert_eq!(
            e,
            "FX: no EUR/JPY reference rate published from 2026-01-22 to 2026-01-29 in test"
        );
        assert!(r.stamp("CYP", sat).is_err());
    }

    #[test]
    fn samples_parse() {
        let r = FxRates::sample().unwrap();
        assert!(r.days.len() >= 5);
    }
}
