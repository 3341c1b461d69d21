//! Time arithmetic of windows: moments, deadlines, `within` durations in
//! absolute time, and business days in a file's zone.

use jiff::civil::{Date, Weekday};
use jiff::{SignedDuration, Timestamp};

use crate::model::{Calendar, Duration};

/// A point on the evaluation's time line: an instant, and whether it is
/// "just after" it. A deadline passes just after its last instant, so an
/// event exactly at the deadline (at the instant itself) is on time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment {
    /// The instant.
    pub at: Timestamp,
    /// `false`: at the instant; `true`: just after it.
    pub after: bool,
}

impl Moment {
    /// Before everything.
    pub const MIN: Moment = Moment {
        at: Timestamp::MIN,
        after: false,
    };

    /// At an instant.
    pub fn at(at: Timestamp) -> Moment {
        Moment { at, after: false }
    }

    /// Just after an instant (a deadline passing).
    pub fn just_after(at: Timestamp) -> Moment {
        Moment { at, after: true }
    }

    /// True when this moment has come as of `t` (events at `t` included).
    pub fn reached_by(self, t: Timestamp) -> bool {
        self <= Moment::at(t)
    }
}

/// `t + d`, saturating at the ends of time.
pub fn add(t: Timestamp, d: Duration, cal: &Calendar) -> Timestamp {
    match d {
        Duration::Exact(d) => t.checked_add(d).unwrap_or(if d.is_negative() {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        }),
        Duration::BusinessDays(n) => step_business_days(t, n, cal),
    }
}

/// `t - d`, saturating at the ends of time.
pub fn sub(t: Timestamp, d: Duration, cal: &Calendar) -> Timestamp {
    match d {
        Duration::Exact(d) => t.checked_sub(d).unwrap_or(Timestamp::MIN),
        Duration::BusinessDays(n) => step_business_days(t, -n, cal),
    }
}

/// True for a Saturday, a Sunday or a holiday of the calendar.
pub fn is_business_day(d: Date, cal: &Calendar) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !cal.holidays.contains(&d)
}

/// Steps `n` business days (backwards when negative) in the calendar's zone,
/// keeping the local time of day. A time that falls in a DST gap moves
/// forward, as jiff's "compatible" rule does.
pub fn step_business_days(t: Timestamp, n: i64, cal: &Calendar) -> Timestamp {
    let zdt = t.to_zoned_datetime(cal.zone.tz.clone());
    let time = zdt.time();
    let mut date = zdt.date();
    let step = if n < 0 { -1 } else { 1 };
    let mut left = n.unsigned_abs();
    // Bounded: at most 10 000 years of days.
    let mut guard: u32 = 0;
    while left > 0 {
        let next = if step > 0 {
            date.tomorrow()
        } else {
            date.yesterday()
        };
        let Ok(next) = next else {
            return if step > 0 {
                Timestamp::MAX
            } else {
                Timestamp::MIN
            };
        };
        date = next;
        if is_business_day(date, cal) {
            left -= 1;
        }
        guard += 1;
        if guard > 3_660_000 {
            break;
        }
    }
    date.to_datetime(time)
        .to_zoned_datetime(cal.zone.tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(if step > 0 {
            Timestamp::MAX
        } else {
            Timestamp::MIN
        })
}

/// A duration as shown in explanations.
pub fn describe(d: Duration) -> String {
    d.to_string()
}

/// Zero.
pub const ZERO: SignedDuration = SignedDuration::ZERO;

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test code")]
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::Zone;

    fn cal(zone: &str, holidays: &[Date]) -> Calendar {
        Calendar {
            zone: Zone {
                name: zone.into(),
                tz: jiff::tz::TimeZone::get(zone).unwrap(),
            },
            holidays: holidays.iter().copied().collect::<BTreeSet<_>>(),
        }
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn friday_plus_one_business_day_is_monday_same_time() {
        let c = cal("Europe/Istanbul", &[]);
        // Friday 2025-05-23 10:00 +03:00.
        let t = step_business_days(ts("2025-05-23T07:00:00Z"), 1, &c);
        assert_eq!(t, ts("2025-05-26T07:00:00Z"));
    }

    #[test]
    fn holiday_monday_is_skipped() {
        let c = cal("Europe/Istanbul", &[jiff::civil::date(2025, 5, 26)]);
        let t = step_business_days(ts("2025-05-23T07:00:00Z"), 1, &c);
        assert_eq!(t, ts("2025-05-27T07:00:00Z"));
    }

    #[test]
    fn business_days_keep_local_time_across_dst() {
        // Friday 2025-03-28 10:00 in Berlin (+01:00); Monday 31st is +02:00.
        let c = cal("Europe/Berlin", &[]);
        let t = step_business_days(ts("2025-03-28T09:00:00Z"), 1, &c);
        assert_eq!(t, ts("2025-03-31T08:00:00Z"));
    }

    #[test]
    fn one_day_is_24_hours_across_dst() {
        // Saturday 2025-03-29 12:00 Berlin (+01:00) + 1 day = Sunday 13:00 local (+02:00).
        let c = cal("Europe/Berlin", &[]);
        let t = add(
            ts("2025-03-29T11:00:00Z"),
            Duration::Exact(SignedDuration::from_hours(24)),
            &c,
        );
        assert_eq!(t, ts("2025-03-30T11:00:00Z"));
        let local = t.to_zoned_datetime(c.zone.tz.clone());
        assert_eq!(local.hour(), 13);
    }

    #[test]
    fn business_days_backwards() {
        let c = cal("UTC", &[]);
        // Monday 2025-05-26 back one business day is Friday the 23rd.
        let t = step_business_days(ts("2025-05-26T10:00:00Z"), -1, &c);
        assert_eq!(t, ts("2025-05-23T10:00:00Z"));
    }

    #[test]
    fn moments_order_deadline_after_events_at_it() {
        let d = ts("2025-05-26T00:00:00Z");
        assert!(Moment::at(d) < Moment::just_after(d));
        assert!(Moment::at(d).reached_by(d));
        assert!(!Moment::just_after(d).reached_by(d));
        assert!(Moment::just_after(d).reached_by(ts("2025-05-26T00:00:00.000000001Z")));
    }

    #[test]
    fn saturates_at_end_of_time() {
        let c = cal("UTC", &[]);
        let t = add(
            Timestamp::MAX,
            Duration::Exact(SignedDuration::from_hours(1)),
            &c,
        );
        assert_eq!(t, Timestamp::MAX);
    }
}
