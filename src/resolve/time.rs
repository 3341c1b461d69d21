//! Written times → instants, in a file's zone (DST included).

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::{Offset, TimeZone};

/// The first instant of a local day (midnight, or the first valid time when
/// a DST change skips midnight).
pub fn day_start(date: Date, tz: &TimeZone) -> Result<Timestamp, String> {
    date.to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|e| e.to_string())
}

/// The last instant of a local day: one nanosecond before the next day starts.
pub fn day_end(date: Date, tz: &TimeZone) -> Result<Timestamp, String> {
    let next = date.tomorrow().map_err(|e| e.to_string())?;
    let start = day_start(next, tz)?;
    start
        .checked_sub(jiff::SignedDuration::from_nanos(1))
        .map_err(|e| e.to_string())
}

/// A local date-time in `tz`, or an absolute one when an offset is given.
/// A local time in a DST gap moves forward; in an overlap the earlier
/// instant is taken (jiff's "compatible" rule).
pub fn local_to_timestamp(
    date: Date,
    time: Time,
    offset_seconds: Option<i32>,
    tz: &TimeZone,
) -> Result<Timestamp, String> {
    let dt = date.to_datetime(time);
    match offset_seconds {
        Some(secs) => {
            let off = Offset::from_seconds(secs).map_err(|e| e.to_string())?;
            off.to_timestamp(dt).map_err(|e| e.to_string())
        }
        None => dt
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn end_of_day_is_last_nanosecond_in_zone() {
        let tz = TimeZone::get("Europe/Istanbul").unwrap();
        let end = day_end(jiff::civil::date(2025, 5, 25), &tz).unwrap();
        assert_eq!(end.to_string(), "2025-05-25T20:59:59.999999999Z");
    }

    #[test]
    fn day_start_across_dst_gap() {
        // America/Sao_Paulo skipped midnight on 2018-11-04: the day starts at 01:00.
        let tz = TimeZone::get("America/Sao_Paulo").unwrap();
        let start = day_start(jiff::civil::date(2018, 11, 4), &tz).unwrap();
        assert_eq!(start.to_string(), "2018-11-04T03:00:00Z");
    }

    #[test]
    fn local_time_in_gap_moves_forward() {
        let tz = TimeZone::get("Europe/Berlin").unwrap();
        let t = local_to_timestamp(
            jiff::civil::date(2025, 3, 30),
            jiff::civil::time(2, 30, 0, 0),
            None,
            &tz,
        )
        .unwrap();
        assert_eq!(t.to_string(), "2025-03-30T01:30:00Z");
    }
}

/// An RFC 3339 instant (`2025-05-23T18:00:00Z`, `…+03:00`): jiff's reading,
/// with offsets held to RFC 3339's range (hours 00–23, minutes 00–59; jiff
/// itself takes up to ±25:59).
pub fn rfc3339(text: &str) -> Option<Timestamp> {
    let t: Timestamp = text.parse().ok()?;
    offset_in_range(text).then_some(t)
}

/// False for a text ending in a numeric offset out of RFC 3339's range.
fn offset_in_range(text: &str) -> bool {
    let b = text.as_bytes();
    let Some(tail) = b.len().checked_sub(6).and_then(|at| b.get(at..)) else {
        return true;
    };
    match tail {
        [sign, h1, h2, b':', m1, m2]
            if (*sign == b'+' || *sign == b'-')
                && [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()) =>
        {
            let two = |a: u8, b: u8| u32::from(a - b'0') * 10 + u32::from(b - b'0');
            two(*h1, *h2) <= 23 && two(*m1, *m2) <= 59
        }
        _ => true,
    }
}

#[cfg(test)]
mod rfc3339_tests {
    use super::rfc3339;

    #[test]
    fn offsets_past_rfc_3339_range_are_refused() {
        assert!(rfc3339("2025-03-01T10:00:00+23:59").is_some());
        assert!(rfc3339("2025-03-01T10:00:00-03:30").is_some());
        assert!(rfc3339("2025-03-01T10:00:00Z").is_some());
        assert!(rfc3339("2025-03-01T10:00:00+24:00").is_none());
        assert!(rfc3339("2025-03-01T10:00:00+25:00").is_none());
        assert!(rfc3339("2025-03-01T10:00:00-25:59").is_none());
    }
}
