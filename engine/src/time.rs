//! Time: strict UTC instants, billing periods and calendar facts (hours and days of a month).
//!
//! Every computation is in UTC. A timestamp without an offset is an error, never a guess.

use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, TimeZone, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Parses an RFC 3339 timestamp that carries an offset (`Z` or `+01:00`) and converts it to UTC.
pub fn parse_instant(text: &str) -> std::result::Result<DateTime<Utc>, String> {
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(e) => {
            // Tell the common mistake apart from other malformations: with a `Z`, it would read.
            let no_offset = DateTime::parse_from_rfc3339(&format!("{text}Z")).is_ok();
            if no_offset {
                Err(format!(
                    "timestamp `{text}` has no UTC offset (write `{text}Z` for UTC)"
                ))
            } else {
                Err(format!("`{text}` is not an RFC 3339 timestamp: {e}"))
            }
        }
    }
}

/// Parses a calendar date, exactly `YYYY-MM-DD`, a day that exists. Every date the engine reads
/// comes through here. It is chrono's RFC 3339 reader at midnight UTC: chrono's general date
/// reader would also take spaces between the parts, and carries a format interpreter that
/// the calculator's WebAssembly does without.
pub fn parse_date(text: &str) -> std::result::Result<NaiveDate, String> {
    DateTime::parse_from_rfc3339(&format!("{text}T00:00:00Z"))
        .map(|t| t.date_naive())
        .map_err(|e| format!("`{text}` is not a YYYY-MM-DD date: {e}"))
}

/// Serde helpers for a date (`YYYY-MM-DD`), read by [`parse_date`].
pub mod date {
    use super::*;

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> std::result::Result<S::Ok, S::Error> {
        d.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<NaiveDate, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_date(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde helpers for an optional date (`YYYY-MM-DD`), read by [`parse_date`].
pub mod date_option {
    use super::*;

    pub fn serialize<S: Serializer>(
        d: &Option<NaiveDate>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        d.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<NaiveDate>, D::Error> {
        <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?
            .map(|text| parse_date(&text))
            .transpose()
            .map_err(serde::de::Error::custom)
    }
}

/// Formats an instant the one canonical way: RFC 3339, UTC, `Z`, whole seconds unless a
/// fraction is present.
pub fn format_instant(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Serde helpers for a strict instant (offset required, stored as UTC).
pub mod instant {
    use super::*;

    pub fn serialize<S: Serializer>(
        t: &DateTime<Utc>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&format_instant(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_instant(&text).map_err(serde::de::Error::custom)
    }
}

/// Serde helpers for an optional strict instant.
pub mod instant_option {
    use super::*;

    pub fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::instant::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<DateTime<Utc>>, D::Error> {
        let text = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
        text.map(|t| parse_instant(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A half-open interval of time `[start, end)` in UTC. A billing period is usually one calendar
/// month; a segment is the part of a period in which one catalog version is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The longest period a `START/END` may name: a leap year.
pub const MAX_PERIOD_DAYS: i64 = 366;

impl Period {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self> {
        if start >= end {
            return Err(Error::Period(format!(
                "the period {} .. {} is empty: its end must come after its start",
                format_instant(&start),
                format_instant(&end)
            )));
        }
        Ok(Period { start, end })
    }

    /// The calendar month `year-month` in UTC.
    pub fn month(year: i32, month: u32) -> Result<Self> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)
            .ok_or_else(|| Error::Period(format!("{year:04}-{month:02} is not a month")))?;
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .ok_or_else(|| Error::Period(format!("{year:04}-{month:02} is out of range")))?;
        Period::new(midnight(first), midnight(next))
    }

    /// Parses `YYYY-MM` (a calendar month) or `START/END` (two RFC 3339 instants, at most
    /// [`MAX_PERIOD_DAYS`] apart).
    pub fn parse(text: &str) -> Result<Self> {
        if let Some((a, b)) = text.split_once('/') {
            let start = parse_instant(a).map_err(Error::Period)?;
            let end = parse_instant(b).map_err(Error::Period)?;
            // Rating works per hour and per month of the period: a period of centuries from
            // one request would be minutes of work and gigabytes.
            let days = end.signed_duration_since(start).num_days();
            if days > MAX_PERIOD_DAYS {
                return Err(Error::Period(format!(
                    "`{text}` is {days} days long; a period is at most {MAX_PERIOD_DAYS} days"
                )));
            }
            return Period::new(start, end);
        }
        let bad = || {
            Error::Period(format!(
                "`{text}` is neither YYYY-MM nor START/END in RFC 3339"
            ))
        };
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Period::month(year, month)
    }

    /// The calendar month that contains `t`.
    pub fn month_of(t: DateTime<Utc>) -> Self {
        // A valid instant always has a valid month; fall back to a one-second period defensively.
        Period::month(t.year(), t.month()).unwrap_or(Period {
            start: t,
            end: t.checked_add_signed(Duration::seconds(1)).unwrap_or(t),
        })
    }

    /// Whether this period is exactly one calendar month.
    pub fn is_calendar_month(&self) -> bool {
        Period::month_of(self.start) == *self
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn intersect(&self, other: &Period) -> Option<Period> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start < end).then_some(Period { start, end })
    }

    /// Whole hours in the period (rounded down).
    pub fn hours(&self) -> i64 {
        self.end.signed_duration_since(self.start).num_hours()
    }

    /// The canonical text: `YYYY-MM` for a calendar month, `START/END` otherwise.
    pub fn label(&self) -> String {
        if self.is_calendar_month() {
            format!("{:04}-{:02}", self.start.year(), self.start.month())
        } else {
            format!(
                "{}/{}",
                format_instant(&self.start),
                format_instant(&self.end)
            )
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Period::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Period {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Period".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A calendar month `YYYY-MM` (UTC) or `START/END` with two RFC 3339 instants.",
            "pattern": "^([0-9]{4}-[0-9]{2}|[^/]+/[^/]+)$"
        })
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The last instant of a period (one nanosecond before its end).
pub(crate) fn last_instant(p: &Period) -> DateTime<Utc> {
    p.end
        .checked_sub_signed(Duration::nanoseconds(1))
        .unwrap_or(p.end)
}

/// Days in the calendar month containing `t` (28..31).
pub(crate) fn days_in_month(t: DateTime<Utc>) -> i64 {
    let m = Period::month_of(t);
    m.end.signed_duration_since(m.start).num_days()
}

/// Hours in the calendar month containing `t` (672..744).
pub(crate) fn hours_in_month(t: DateTime<Utc>) -> i64 {
    days_in_month(t).saturating_mul(24)
}

/// A clock hour in nanoseconds.
pub(crate) const HOUR_NS: i128 = 3_600_000_000_000;

/// Euclidean division and remainder of nanosecond counts, in 64 bits when both sides fit (every
/// instant from 1678 to 2262): a 128-bit division is a slow library call, and metering divides
/// every run by the hour. The same results as `div_euclid` and `rem_euclid` for every input.
pub(crate) trait FloorDiv {
    fn floor_div(self, d: Self) -> Self;
    fn floor_rem(self, d: Self) -> Self;
}

impl FloorDiv for i128 {
    #[inline]
    fn floor_div(self, d: i128) -> i128 {
        match (i64::try_from(self), i64::try_from(d)) {
            (Ok(a), Ok(b)) if b > 0 => i128::from(a.div_euclid(b)),
            _ => self.div_euclid(d),
        }
    }
    #[inline]
    fn floor_rem(self, d: i128) -> i128 {
        match (i64::try_from(self), i64::try_from(d)) {
            (Ok(a), Ok(b)) if b > 0 => i128::from(a.rem_euclid(b)),
            _ => self.rem_euclid(d),
        }
    }
}

/// Nanoseconds since the Unix epoch: the integer time line the granularity rules work on.
pub(crate) fn nanos(t: DateTime<Utc>) -> i128 {
    // Within chrono's range this is under 1e28: no overflow in i128.
    i128::from(t.timestamp())
        .saturating_mul(1_000_000_000)
        .saturating_add(i128::from(t.timestamp_subsec_nanos()))
}

/// The inverse of [`nanos`].
pub(crate) fn from_nanos(n: i128) -> DateTime<Utc> {
    let secs = n.floor_div(1_000_000_000);
    let sub = n.floor_rem(1_000_000_000);
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    let sub = u32::try_from(sub).unwrap_or(0);
    Utc.timestamp_opt(secs, sub)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_required() {
        assert!(parse_instant("2026-01-04T09:40:00Z").is_ok());
        assert_eq!(
            parse_instant("2026-01-04T10:40:00+01:00").unwrap(),
            parse_instant("2026-01-04T09:40:00Z").unwrap()
        );
        let e = parse_instant("2026-01-04T09:40:00").unwrap_err();
        assert!(e.contains("has no UTC offset"), "{e}");
        // A fraction too; anything else malformed is told as such.
        let e = parse_instant("2026-01-04T09:40:00.250").unwrap_err();
        assert!(e.contains("has no UTC offset"), "{e}");
        let e = parse_instant("2026-01-04 09:40").unwrap_err();
        assert_eq!(
            e,
            "`2026-01-04 09:40` is not an RFC 3339 timestamp: premature end of input"
        );
    }

    #[test]
    fn dates_are_exactly_year_month_day() {
        assert_eq!(
            parse_date("2026-02-28").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        for (text, why) in [
            ("2026-02-29", "input is out of range"),
            ("2026-2-28", "input contains invalid characters"),
            ("2026-02-28 ", "input contains invalid characters"),
            ("2026-02-28T00:00:00Z", "trailing input"),
            ("28/02/2026", "input contains invalid characters"),
            ("", "premature end of input"),
        ] {
            assert_eq!(
                parse_date(text).unwrap_err(),
                format!("`{text}` is not a YYYY-MM-DD date: {why}")
            );
        }
        // Through serde too, and written back the same way.
        let d: NaiveDate = date::deserialize(serde_json::json!("2026-01-31")).unwrap();
        assert_eq!(
            date::serialize(&d, serde_json::value::Serializer).unwrap(),
            "2026-01-31"
        );
        let none: Option<NaiveDate> = date_option::deserialize(serde_json::Value::Null).unwrap();
        assert_eq!(none, None);
        let e = date::deserialize(serde_json::json!("31/01/2026")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`31/01/2026` is not a YYYY-MM-DD date"),
            "{e}"
        );
    }

    #[test]
    fn months_and_hours() {
        let feb = Period::parse("2026-02").unwrap();
        assert_eq!(feb.hours(), 672);
        assert_eq!(hours_in_month(feb.start), 672);
        assert_eq!(days_in_month(Period::parse("2028-02").unwrap().start), 29);
        assert_eq!(Period::parse("2026-01").unwrap().hours(), 744);
        assert_eq!(feb.label(), "2026-02");
        assert!(Period::parse("2026-13").is_err());
        assert!(Period::parse("2026-01-02T00:00:00Z/2026-01-01T00:00:00Z").is_err());
        assert!(Period::parse("2028-01-01T00:00:00Z/2029-01-01T00:00:00Z").is_ok());
        assert_eq!(
            Period::parse("2026-01-01T00:00:00Z/9999-12-31T00:00:00Z")
                .unwrap_err()
                .to_string(),
            "period: `2026-01-01T00:00:00Z/9999-12-31T00:00:00Z` is 2912442 days long; a period is at most 366 days"
        );
    }

    #[test]
    fn floor_division_matches_euclid_on_both_paths() {
        let big = i128::from(i64::MAX) * 3;
        for n in [0, 1, -1, 3_599_999_999_999, -3_600_000_000_001, big, -big] {
            for d in [1, 7, HOUR_NS, -HOUR_NS, big] {
                assert_eq!(n.floor_div(d), n.div_euclid(d), "{n} / {d}");
                assert_eq!(n.floor_rem(d), n.rem_euclid(d), "{n} % {d}");
            }
        }
    }

    #[test]
    fn nanos_round_trip() {
        let t = parse_instant("2026-01-04T09:40:00.25Z").unwrap();
        assert_eq!(from_nanos(nanos(t)), t);
    }
}
