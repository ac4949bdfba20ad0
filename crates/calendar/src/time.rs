//! Time of day, Unix-millisecond timestamps and their conversion to and from Sofia local time.
//!
//! Europe/Sofia is UTC+2 (EET) and UTC+3 (EEST) in EU summer time, which runs from the last
//! Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC. The rule is hand-coded and
//! applied to every year, including years before Bulgaria adopted it (1997); historical
//! transitions are not modelled.

use std::{fmt, str::FromStr};

use crate::date::{Date, civil_from_days, days_from_civil, parse_digits};

const MILLIS_PER_MINUTE: i64 = 60_000;
const MILLIS_PER_HOUR: i64 = 3_600_000;
const MILLIS_PER_DAY: i64 = 86_400_000;

/// A time of day in minutes, `00:00..=23:59`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time {
    hour: u8,
    minute: u8,
}

/// Why a time of day could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// The text is not of the form `HH:MM`.
    Format,
    /// The hour is outside `0..=23`.
    Hour(u8),
    /// The minute is outside `0..=59`.
    Minute(u8),
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Format => write!(f, "time must look like HH:MM"),
            TimeError::Hour(hour) => write!(f, "hour {hour} is outside 0..=23"),
            TimeError::Minute(minute) => write!(f, "minute {minute} is outside 0..=59"),
        }
    }
}

impl std::error::Error for TimeError {}

impl Time {
    pub const MIDNIGHT: Time = Time { hour: 0, minute: 0 };

    pub fn new(hour: u8, minute: u8) -> Result<Time, TimeError> {
        if hour > 23 {
            return Err(TimeError::Hour(hour));
        }
        if minute > 59 {
            return Err(TimeError::Minute(minute));
        }
        Ok(Time { hour, minute })
    }

    /// `minutes` must be below 1440.
    pub(crate) const fn from_minutes_unchecked(minutes: u16) -> Time {
        debug_assert!(minutes < 1440);
        Time {
            hour: (minutes / 60) as u8,
            minute: (minutes % 60) as u8,
        }
    }

    pub const fn hour(self) -> u8 {
        self.hour
    }

    pub const fn minute(self) -> u8 {
        self.minute
    }

    /// Minutes since midnight, `0..1440`.
    pub const fn minutes_since_midnight(self) -> u16 {
        self.hour as u16 * 60 + self.minute as u16
    }
}

impl FromStr for Time {
    type Err = TimeError;

    /// Parses exactly `HH:MM` with two digits each.
    fn from_str(text: &str) -> Result<Time, TimeError> {
        let bytes = text.as_bytes();
        if bytes.len() != 5 || bytes[2] != b':' {
            return Err(TimeError::Format);
        }
        let hour = parse_digits(&bytes[0..2]).ok_or(TimeError::Format)?;
        let minute = parse_digits(&bytes[3..5]).ok_or(TimeError::Format)?;
        Time::new(hour as u8, minute as u8)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl fmt::Debug for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// An instant as Unix time in milliseconds.
///
/// The range is limited so that the Sofia local date of every timestamp is a valid [`Date`]:
/// from local 0001-01-01 00:00 to local 9999-12-31 23:59:59.999.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// The UTC offset in force in Sofia at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UtcOffset {
    /// Eastern European Time, UTC+2 (winter).
    Eet,
    /// Eastern European Summer Time, UTC+3.
    Eest,
}

/// A Sofia wall-clock reading of a [`Timestamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalDateTime {
    pub date: Date,
    pub time: Time,
    /// `0..=59`.
    pub second: u8,
    /// `0..=999`.
    pub millisecond: u16,
    pub offset: UtcOffset,
}

/// The instants a Sofia wall-clock reading denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalResult {
    /// An ordinary reading: exactly one instant.
    Single(Timestamp),
    /// The hour repeated when summer time ends (03:00 to 03:59 on the last Sunday of October).
    Ambiguous {
        earlier: Timestamp,
        later: Timestamp,
    },
    /// The hour skipped when summer time starts (03:00 to 03:59 on the last Sunday of March);
    /// `transition` is the instant the clocks jumped from 03:00 to 04:00.
    Skipped { transition: Timestamp },
}

impl Timestamp {
    /// Local 0001-01-01 00:00:00.000 (UTC+2).
    pub const MIN: Timestamp =
        Timestamp(days_from_civil(1, 1, 1) * MILLIS_PER_DAY - 2 * MILLIS_PER_HOUR);
    /// Local 9999-12-31 23:59:59.999 (UTC+2).
    pub const MAX: Timestamp = Timestamp(
        days_from_civil(9999, 12, 31) * MILLIS_PER_DAY + MILLIS_PER_DAY - 1 - 2 * MILLIS_PER_HOUR,
    );

    /// Wraps Unix milliseconds, if within [`Timestamp::MIN`]..=[`Timestamp::MAX`].
    pub const fn from_unix_millis(millis: i64) -> Option<Timestamp> {
        if millis < Timestamp::MIN.0 || millis > Timestamp::MAX.0 {
            return None;
        }
        Some(Timestamp(millis))
    }

    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// The instant of a UTC date and time of day, if within range.
    pub const fn from_utc(date: Date, time: Time) -> Option<Timestamp> {
        let millis = date.days_since_epoch() * MILLIS_PER_DAY
            + time.minutes_since_midnight() as i64 * MILLIS_PER_MINUTE;
        Timestamp::from_unix_millis(millis)
    }

    /// This instant plus `millis` (minus if negative), if within range.
    pub fn add_millis(self, millis: i64) -> Option<Timestamp> {
        Timestamp::from_unix_millis(self.0.checked_add(millis)?)
    }

    /// The UTC offset in force in Sofia at this instant.
    pub fn sofia_offset(self) -> UtcOffset {
        let (utc_year, _, _) = civil_from_days(self.0.div_euclid(MILLIS_PER_DAY));
        let summer = summer_time_start_millis(utc_year) <= self.0
            && self.0 < summer_time_end_millis(utc_year);
        if summer {
            UtcOffset::Eest
        } else {
            UtcOffset::Eet
        }
    }

    /// The Sofia wall-clock reading of this instant.
    pub fn to_sofia(self) -> LocalDateTime {
        let offset = self.sofia_offset();
        let local_millis = self.0 + i64::from(offset.minutes()) * MILLIS_PER_MINUTE;
        let days = local_millis.div_euclid(MILLIS_PER_DAY);
        let millis_of_day = local_millis.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        // The range of `Timestamp` keeps the local date within `Date`'s range.
        let date = Date::from_ymd_unchecked(year as i32, month, day);
        let minutes = (millis_of_day / MILLIS_PER_MINUTE) as u16;
        LocalDateTime {
            date,
            time: Time::from_minutes_unchecked(minutes),
            second: (millis_of_day % MILLIS_PER_MINUTE / 1000) as u8,
            millisecond: (millis_of_day % 1000) as u16,
            offset,
        }
    }

    /// The instants at which Sofia clocks show `date` and `time`.
    pub fn from_sofia(date: Date, time: Time) -> LocalResult {
        let local_millis = date.days_since_epoch() * MILLIS_PER_DAY
            + i64::from(time.minutes_since_midnight()) * MILLIS_PER_MINUTE;
        // Every valid reading is within range for at least one offset (see `Timestamp::MIN`).
        let candidate = |offset: UtcOffset| {
            let millis = local_millis - i64::from(offset.minutes()) * MILLIS_PER_MINUTE;
            Timestamp::from_unix_millis(millis).filter(|it| it.sofia_offset() == offset)
        };
        match (candidate(UtcOffset::Eest), candidate(UtcOffset::Eet)) {
            (Some(earlier), Some(later)) => LocalResult::Ambiguous { earlier, later },
            (Some(single), None) | (None, Some(single)) => LocalResult::Single(single),
            (None, None) => {
                let transition = summer_time_start_millis(i64::from(date.year()));
                LocalResult::Skipped {
                    transition: Timestamp(transition),
                }
            }
        }
    }
}

impl LocalResult {
    /// The earliest instant at which the clocks show this reading or a later one: the only
    /// instant, the earlier of two, or the jump for a skipped reading.
    pub fn earliest(self) -> Timestamp {
        match self {
            LocalResult::Single(it) => it,
            LocalResult::Ambiguous { earlier, .. } => earlier,
            LocalResult::Skipped { transition } => transition,
        }
    }
}

impl UtcOffset {
    /// Minutes east of UTC: 120 or 180.
    pub const fn minutes(self) -> i16 {
        match self {
            UtcOffset::Eet => 120,
            UtcOffset::Eest => 180,
        }
    }
}

/// RFC 3339 in UTC: `2025-03-30T01:00:00Z`, with `.mmm` only when the milliseconds are not zero.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.0.div_euclid(MILLIS_PER_DAY));
        let millis_of_day = self.0.rem_euclid(MILLIS_PER_DAY);
        write!(f, "{year:04}-{month:02}-{day:02}T")?;
        write_clock(f, millis_of_day)?;
        write!(f, "Z")
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// RFC 3339 with the offset: `2025-03-30T04:00:00+03:00`.
impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis_of_day = i64::from(self.time.minutes_since_midnight()) * MILLIS_PER_MINUTE
            + i64::from(self.second) * 1000
            + i64::from(self.millisecond);
        write!(f, "{}T", self.date)?;
        write_clock(f, millis_of_day)?;
        write!(f, "+{:02}:00", self.offset.minutes() / 60)
    }
}

fn write_clock(f: &mut fmt::Formatter<'_>, millis_of_day: i64) -> fmt::Result {
    let hour = millis_of_day / MILLIS_PER_HOUR;
    let minute = millis_of_day % MILLIS_PER_HOUR / MILLIS_PER_MINUTE;
    let second = millis_of_day % MILLIS_PER_MINUTE / 1000;
    let millisecond = millis_of_day % 1000;
    write!(f, "{hour:02}:{minute:02}:{second:02}")?;
    if millisecond != 0 {
        write!(f, ".{millisecond:03}")?;
    }
    Ok(())
}

/// Last Sunday of March, 01:00 UTC.
fn summer_time_start_millis(year: i64) -> i64 {
    last_sunday_days(year, 3) * MILLIS_PER_DAY + MILLIS_PER_HOUR
}

/// Last Sunday of October, 01:00 UTC.
fn summer_time_end_millis(year: i64) -> i64 {
    last_sunday_days(year, 10) * MILLIS_PER_DAY + MILLIS_PER_HOUR
}

/// Days since the epoch of the last Sunday of a 31-day month.
fn last_sunday_days(year: i64, month: u8) -> i64 {
    let last_day = days_from_civil(year, month, 31);
    // Days from Monday: Sunday is 6, so going back `(index + 1) % 7` days lands on a Sunday.
    let days_from_monday = (last_day + 3).rem_euclid(7);
    last_day - (days_from_monday + 1) % 7
}

#[cfg(test)]
mod tests;
