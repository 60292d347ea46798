//! Time granularity: how a span of time becomes a whole number of billing units.
//!
//! A run is turned into a [`UnitSpan`]: `count` units of `unit` nanoseconds laid end to end from
//! `origin`. Each unit belongs to the period (or price segment) that contains its start, so a run
//! that crosses a boundary is never counted twice, and the units of all segments add up to the
//! units of the run.
//!
//! - `elapsed`: ceil(duration / unit) units from the start of the run;
//! - `clock`: every clock unit the run touches, from the unit containing the start to the unit
//!   containing the end;
//! - a run minimum raises the count to ceil(minimum / unit).
// Integer time arithmetic: instants are nanoseconds in i128 within chrono's range (under 1e28
// in magnitude), units and hours are positive constants of at least one second. Sums and
// differences of a few such values stay far inside i128 (1.7e38), so these cannot overflow.
#![allow(clippy::arithmetic_side_effects)]

use crate::catalog::TimeRounding;
use crate::time::{FloorDiv, Period};

const NANOS_PER_SECOND: i128 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitSpan {
    /// Start of unit 0, in nanoseconds since the epoch.
    pub origin: i128,
    /// Length of one unit, in nanoseconds.
    pub unit: i128,
    /// Number of units due.
    pub count: i128,
}

fn ceil_div(a: i128, b: i128) -> i128 {
    -((-a).floor_div(b))
}

impl UnitSpan {
    /// The units of a run from `start` to `end` (nanoseconds), with a minimum in seconds.
    pub fn of_run(
        start: i128,
        end: i128,
        unit_seconds: i64,
        rounding: TimeRounding,
        minimum_seconds: u32,
    ) -> Self {
        let unit = i128::from(unit_seconds) * NANOS_PER_SECOND;
        let end = end.max(start);
        let (origin, count) = match rounding {
            TimeRounding::Elapsed => (start, ceil_div(end - start, unit)),
            TimeRounding::Clock => {
                let origin = start.floor_div(unit) * unit;
                let last = ceil_div(end, unit) * unit;
                // A run of zero length still touches the unit it sits in.
                (origin, (last - origin).floor_div(unit).max(1))
            }
        };
        let minimum = ceil_div(i128::from(minimum_seconds) * NANOS_PER_SECOND, unit);
        UnitSpan {
            origin,
            unit,
            count: count.max(minimum),
        }
    }

    /// How many of the span's units start inside `window` (`[start, end)`).
    pub fn count_in(&self, window: &Period) -> i128 {
        self.count_between(
            crate::time::nanos(window.start),
            crate::time::nanos(window.end),
        )
    }

    /// [`UnitSpan::count_in`] for a window given in nanoseconds.
    pub fn count_between(&self, a: i128, b: i128) -> i128 {
        let lo = ceil_div(a - self.origin, self.unit).clamp(0, self.count);
        let hi = ceil_div(b - self.origin, self.unit).clamp(0, self.count);
        (hi - lo).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{nanos, parse_instant};

    fn n(s: &str) -> i128 {
        nanos(parse_instant(s).unwrap())
    }

    fn month() -> Period {
        Period::parse("2026-01").unwrap()
    }

    #[test]
    fn seed_example_10_12_to_11_47() {
        let (a, b) = (n("2026-01-05T10:12:00Z"), n("2026-01-05T11:47:00Z"));
        assert_eq!(
            UnitSpan::of_run(a, b, 1, TimeRounding::Elapsed, 0).count,
            5700
        );
        assert_eq!(
            UnitSpan::of_run(a, b, 60, TimeRounding::Elapsed, 0).count,
            95
        );
        assert_eq!(
            UnitSpan::of_run(a, b, 3600, TimeRounding::Elapsed, 0).count,
            2
        );
        // 10:00 and 11:00 are touched.
        assert_eq!(
            UnitSpan::of_run(a, b, 3600, TimeRounding::Clock, 0).count,
            2
        );
    }

    #[test]
    fn guide_example_clock_vs_elapsed() {
        let (a, b) = (n("2026-01-04T09:40:00Z"), n("2026-01-12T16:30:00Z"));
        assert_eq!(
            UnitSpan::of_run(a, b, 3600, TimeRounding::Clock, 0).count,
            200
        );
        assert_eq!(
            UnitSpan::of_run(a, b, 3600, TimeRounding::Elapsed, 0).count,
            199
        );
    }

    #[test]
    fn minimum_applies_per_run() {
        let a = n("2026-01-05T10:00:00Z");
        let s = UnitSpan::of_run(a, a + 20 * NANOS_PER_SECOND, 1, TimeRounding::Elapsed, 60);
        assert_eq!(s.count, 60);
        let s = UnitSpan::of_run(
            a,
            a + 20 * NANOS_PER_SECOND,
            3600,
            TimeRounding::Elapsed,
            60,
        );
        assert_eq!(s.count, 1);
    }

    #[test]
    fn units_split_across_windows_add_up() {
        let (a, b) = (n("2025-12-31T23:30:00Z"), n("2026-01-01T02:00:00Z"));
        let s = UnitSpan::of_run(a, b, 3600, TimeRounding::Elapsed, 0);
        assert_eq!(s.count, 3);
        // Units start at 23:30 (December), 00:30 and 01:30 (January).
        assert_eq!(s.count_in(&month()), 2);
        assert_eq!(s.count_in(&Period::parse("2025-12").unwrap()), 1);
        let c = UnitSpan::of_run(a, b, 3600, TimeRounding::Clock, 0);
        assert_eq!((c.count, c.count_in(&month())), (3, 2));
    }
}
