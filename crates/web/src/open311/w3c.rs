//! W3C date and time (the ISO 8601 profile GeoReport v2 uses): reading what clients send and
//! writing Sofia local time with its offset.

use calendar::{Date, Time, Timestamp};

const MILLIS_PER_MINUTE: i64 = 60_000;
const MILLIS_PER_DAY: i64 = 86_400_000;

/// Writes an instant as Sofia local time to the second, e.g. `2026-03-30T04:00:00+03:00`.
pub(crate) fn format(millis: i64) -> Option<String> {
    let whole_seconds = millis - millis.rem_euclid(1000);
    Timestamp::from_unix_millis(whole_seconds).map(|it| it.to_sofia().to_string())
}

/// The last second of a Sofia day, e.g. `2026-06-01T23:59:59+03:00`: when a deadline date ends.
pub(crate) fn end_of_day(date: Date) -> Option<String> {
    let last_minute = Time::new(23, 59).ok()?;
    let start = Timestamp::from_sofia(date, last_minute).earliest();
    format(start.unix_millis() + 59_000)
}

/// Reads a W3C date or date-time into Unix milliseconds.
///
/// Accepts `YYYY-MM-DD` (Sofia midnight), and `YYYY-MM-DDThh:mm`, with optional `:ss` and
/// fraction, followed by `Z`, `±hh:mm` or `±hhmm`; without an offset the time is read as Sofia
/// local time. A space where the offset's `+` should be is read as `+`: an unencoded `+` in a
/// query string arrives as a space.
pub(crate) fn parse(text: &str) -> Option<i64> {
    let text = text.trim_start();
    let (date_part, rest) = match text.split_once(['T', 't']) {
        Some((date, rest)) => (date, Some(rest)),
        None => (text.trim_end(), None),
    };
    let date = parse_date(date_part)?;
    let Some(rest) = rest else {
        let midnight = Time::new(0, 0).ok()?;
        return Some(Timestamp::from_sofia(date, midnight).earliest().unix_millis());
    };
    let rest = rest.trim_end();
    let (clock, offset) = split_offset(rest)?;
    let (hour, minute, second, millis) = parse_clock(clock)?;
    let local_millis = date.days_since_epoch() * MILLIS_PER_DAY
        + i64::from(hour) * 60 * MILLIS_PER_MINUTE
        + i64::from(minute) * MILLIS_PER_MINUTE
        + i64::from(second) * 1000
        + millis;
    let instant = match offset {
        Some(offset_minutes) => local_millis - offset_minutes * MILLIS_PER_MINUTE,
        None => {
            let time = Time::new(hour, minute).ok()?;
            let start = Timestamp::from_sofia(date, time).earliest().unix_millis();
            start + i64::from(second) * 1000 + millis
        }
    };
    Timestamp::from_unix_millis(instant).map(Timestamp::unix_millis)
}

fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    Date::new(digits(year)? as i32, digits(month)? as u8, digits(day)? as u8).ok()
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits `10:00:00+02:00` into the clock and the offset in minutes (`None`: no offset given).
fn split_offset(text: &str) -> Option<(&str, Option<i64>)> {
    if let Some(clock) = text.strip_suffix(['Z', 'z']) {
        return Some((clock, Some(0)));
    }
    let Some(sign_at) = text.rfind(['+', '-', ' ']) else {
        return Some((text, None));
    };
    let (clock, offset) = text.split_at(sign_at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let offset = &offset[1..];
    let (hours, minutes) = match offset.split_once(':') {
        Some((hours, minutes)) => (hours, minutes),
        None if offset.len() == 4 => offset.split_at(2),
        None if offset.len() == 2 => (offset, "00"),
        None => return None,
    };
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes) = (digits(hours)?, digits(minutes)?);
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some((clock, Some(sign * i64::from(hours * 60 + minutes))))
}

fn parse_clock(text: &str) -> Option<(u8, u8, u8, i64)> {
    let (clock, fraction) = match text.split_once(['.', ',']) {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    let mut parts = clock.split(':');
    let hour = parts.next()?;
    let minute = parts.next()?;
    let second = parts.next();
    if parts.next().is_some() || hour.len() != 2 || minute.len() != 2 {
        return None;
    }
    let second = match second {
        Some(second) if second.len() == 2 => digits(second)?,
        Some(_) => return None,
        None if fraction.is_some() => return None,
        None => 0,
    };
    let millis = match fraction {
        None => 0,
        Some(fraction) => {
            if fraction.is_empty() || fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let padded = format!("{fraction:0<3}");
            i64::from(digits(&padded[..3])?)
        }
    };
    let (hour, minute) = (digits(hour)?, digits(minute)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some((hour as u8, minute as u8, second as u8, millis))
}
