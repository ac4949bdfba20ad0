//! Civil dates in the proleptic Gregorian calendar, weekdays and ISO `YYYY-MM-DD` text.
//!
//! Conversions to and from a day count use Howard Hinnant's `days_from_civil` and
//! `civil_from_days` algorithms (<https://howardhinnant.github.io/date_algorithms.html>).

use std::{fmt, str::FromStr};

/// A civil date (year, month, day) in the proleptic Gregorian calendar.
///
/// The year is limited to `1..=9999` so that every date has a four-digit ISO form. Arithmetic that
/// would leave this range returns `None` instead of panicking.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived `Ord` compares year, then month, then day.
    year: i16,
    month: u8,
    day: u8,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

/// Why a date could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    /// The text is not of the form `YYYY-MM-DD`.
    Format,
    /// The year is outside `1..=9999`.
    Year(i32),
    /// The month is outside `1..=12`.
    Month(u8),
    /// The day does not exist in that month.
    Day { year: i32, month: u8, day: u8 },
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::Format => write!(f, "date must look like YYYY-MM-DD"),
            DateError::Year(year) => write!(f, "year {year} is outside 1..=9999"),
            DateError::Month(month) => write!(f, "month {month} is outside 1..=12"),
            DateError::Day { year, month, day } => {
                write!(f, "day {day} does not exist in {year:04}-{month:02}")
            }
        }
    }
}

impl std::error::Error for DateError {}

impl Date {
    /// 0001-01-01, the first representable date.
    pub const MIN: Date = Date {
        year: 1,
        month: 1,
        day: 1,
    };
    /// 9999-12-31, the last representable date.
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// Builds a date, checking the year range, the month and the day of the month.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=9999).contains(&year) {
            return Err(DateError::Year(year));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::Month(month));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Day { year, month, day });
        }
        Ok(Date::from_ymd_unchecked(year, month, day))
    }

    /// Builds a date the caller knows to be valid (crate-internal tables and arithmetic).
    pub(crate) const fn from_ymd_unchecked(year: i32, month: u8, day: u8) -> Date {
        debug_assert!(1 <= year && year <= 9999);
        debug_assert!(1 <= month && month <= 12);
        debug_assert!(1 <= day && day <= 31);
        Date {
            year: year as i16,
            month,
            day,
        }
    }

    /// The date `days` days after 1970-01-01 (negative: before), if it is within range.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        if !(Date::MIN.days_since_epoch()..=Date::MAX.days_since_epoch()).contains(&days) {
            return None;
        }
        let (year, month, day) = civil_from_days(days);
        Some(Date::from_ymd_unchecked(year as i32, month, day))
    }

    /// Days since 1970-01-01; negative for earlier dates.
    pub const fn days_since_epoch(self) -> i64 {
        days_from_civil(self.year as i64, self.month, self.day)
    }

    pub const fn year(self) -> i32 {
        self.year as i32
    }

    /// The month, `1..=12`.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, `1..=31`.
    pub const fn day(self) -> u8 {
        self.day
    }

    pub const fn weekday(self) -> Weekday {
        weekday_from_days(self.days_since_epoch())
    }

    /// Saturday or Sunday.
    pub const fn is_weekend(self) -> bool {
        self.weekday().is_weekend()
    }

    /// The date `days` days later (earlier if negative), if it is within range.
    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_days_since_epoch(self.days_since_epoch().checked_add(days)?)
    }

    /// The same day `months` months later (earlier if negative), clamped to the end of a shorter
    /// month: 2025-01-31 plus one month is 2025-02-28.
    pub fn add_months(self, months: i32) -> Option<Date> {
        let month_index = i64::from(self.year) * 12 + i64::from(self.month) - 1 + i64::from(months);
        let year = i32::try_from(month_index.div_euclid(12)).ok()?;
        let month = (month_index.rem_euclid(12) + 1) as u8;
        if !(1..=9999).contains(&year) {
            return None;
        }
        let day = self.day.min(days_in_month(year, month));
        Some(Date::from_ymd_unchecked(year, month, day))
    }

    /// The last day of this date's month.
    pub fn last_day_of_month(self) -> Date {
        Date::from_ymd_unchecked(
            self.year(),
            self.month,
            days_in_month(self.year(), self.month),
        )
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// Parses exactly `YYYY-MM-DD` (ASCII digits, no sign, no surrounding spaces).
    fn from_str(text: &str) -> Result<Date, DateError> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(DateError::Format);
        }
        let year = parse_digits(&bytes[0..4]).ok_or(DateError::Format)?;
        let month = parse_digits(&bytes[5..7]).ok_or(DateError::Format)?;
        let day = parse_digits(&bytes[8..10]).ok_or(DateError::Format)?;
        Date::new(year as i32, month as u8, day as u8)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Debug output is the ISO form, which keeps snapshots short.
impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Weekday {
    /// Monday first, as in Bulgaria and ISO 8601.
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// 0 for Monday up to 6 for Sunday.
    pub const fn days_from_monday(self) -> u8 {
        self as u8
    }

    /// The three-letter lowercase English abbreviation used in opening-hours text: `mon`.
    pub const fn short_name(self) -> &'static str {
        match self {
            Weekday::Monday => "mon",
            Weekday::Tuesday => "tue",
            Weekday::Wednesday => "wed",
            Weekday::Thursday => "thu",
            Weekday::Friday => "fri",
            Weekday::Saturday => "sat",
            Weekday::Sunday => "sun",
        }
    }

    /// The lowercase English name: `monday`.
    pub const fn name(self) -> &'static str {
        match self {
            Weekday::Monday => "monday",
            Weekday::Tuesday => "tuesday",
            Weekday::Wednesday => "wednesday",
            Weekday::Thursday => "thursday",
            Weekday::Friday => "friday",
            Weekday::Saturday => "saturday",
            Weekday::Sunday => "sunday",
        }
    }

    /// Parses a short name (`mon`) or full English name (`monday`), ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Weekday> {
        Weekday::ALL.into_iter().find(|weekday| {
            weekday.short_name().eq_ignore_ascii_case(name)
                || weekday.name().eq_ignore_ascii_case(name)
        })
    }

    /// Saturday or Sunday.
    pub const fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }

    pub(crate) const fn from_days_from_monday(index: u8) -> Weekday {
        Weekday::ALL[(index % 7) as usize]
    }
}

pub(crate) const fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Hinnant's `days_from_civil`: days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) const fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    // Years start on 1 March, so January and February belong to the previous year.
    let march_year = if month <= 2 { year - 1 } else { year };
    let era = march_year.div_euclid(400);
    let year_of_era = march_year - era * 400; // [0, 399]
    let month_from_march = (month as i64 + 9) % 12; // March is 0
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1; // [0, 365]
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Hinnant's `civil_from_days`: the inverse of [`days_from_civil`].
pub(crate) const fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let days_since_0000_03_01 = days + 719_468;
    let era = days_since_0000_03_01.div_euclid(146_097);
    let day_of_era = days_since_0000_03_01 - era * 146_097; // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // [0, 11]
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u8;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month as u8, day)
}

/// 1970-01-01 was a Thursday.
pub(crate) const fn weekday_from_days(days: i64) -> Weekday {
    Weekday::from_days_from_monday((days + 3).rem_euclid(7) as u8)
}

/// Parses a run of ASCII digits; `None` for anything else (signs and spaces included).
pub(crate) fn parse_digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 9 {
        return None;
    }
    bytes.iter().try_fold(0u32, |acc, &byte| {
        byte.is_ascii_digit()
            .then(|| acc * 10 + u32::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests;
