//! Opening hours of a phone line or office: a weekly schedule in Sofia local time, closed on
//! holidays, with per-date exceptions, parsed from a compact text form.
//!
//! The text form is a `;`-separated list of entries, each a day selector followed by `closed` or
//! by `,`-separated `HH:MM-HH:MM` intervals (an interval may end at `24:00`):
//!
//! ```text
//! mon-fri 08:30-12:00, 13:00-17:30; sat 09:00-13:00; 2025-12-23 10:00-12:00; 2025-12-29 closed
//! ```
//!
//! A day selector is a `,`-separated list of days (`mon` .. `sun`, or full English names) and
//! day ranges (`mon-fri`, which may wrap: `fri-mon`), or a single `YYYY-MM-DD` date. Days not
//! mentioned are closed. Case is ignored.
//!
//! Which intervals apply on a date:
//! 1. a date entry, if there is one (even on a holiday);
//! 2. otherwise nothing on a holiday, a day off in lieu or a decreed day off;
//! 3. otherwise, on a weekend day the calendar makes a working day (a working Saturday), the
//!    Monday schedule, as the administration works a full day;
//! 4. otherwise the weekly schedule for that weekday (so ordinary weekends use `sat`/`sun`).

use std::{fmt, str::FromStr};

use crate::{
    date::{Date, DateError, Weekday},
    holidays::{Calendar, DayOff},
    time::{LocalResult, Time, TimeError, Timestamp},
};

/// How far ahead [`OpeningHours::next_opening`] looks, in days.
const HORIZON_DAYS: i64 = 400;
const MINUTES_PER_DAY: u16 = 1440;

/// An opening interval `[start, end)` within one day, in minutes since local midnight.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    /// `0..1440`.
    start: u16,
    /// `start + 1..=1440`; 1440 is the following midnight.
    end: u16,
}

/// A weekly schedule with per-date exceptions; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    /// Indexed by [`Weekday::days_from_monday`]; each list sorted and non-overlapping.
    weekly: [Vec<Interval>; 7],
    /// Sorted by date, one entry per date; each list sorted and non-overlapping.
    exceptions: Vec<(Date, Vec<Interval>)>,
}

/// Why opening-hours text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoursError {
    /// The text has no entries.
    Empty,
    /// An entry has a day selector but neither intervals nor `closed`.
    MissingHours(String),
    /// A day name is not recognised.
    UnknownDay(String),
    /// A date selector is not a valid date.
    Date { text: String, error: DateError },
    /// An interval is not of the form `HH:MM-HH:MM`.
    Interval(String),
    /// A time in an interval is invalid.
    Time { text: String, error: TimeError },
    /// An interval does not end after it starts.
    EmptyInterval(String),
    /// Two intervals of one day overlap.
    Overlap { day: String },
    /// A weekday is given more than once.
    DuplicateDay(Weekday),
    /// A date is given more than once.
    DuplicateDate(Date),
}

impl fmt::Display for HoursError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HoursError::Empty => write!(f, "opening hours are empty"),
            HoursError::MissingHours(days) => {
                write!(f, "`{days}` needs opening intervals or `closed`")
            }
            HoursError::UnknownDay(day) => write!(f, "unknown day `{day}`"),
            HoursError::Date { text, error } => write!(f, "invalid date `{text}`: {error}"),
            HoursError::Interval(text) => {
                write!(f, "`{text}` is not an interval like 08:30-17:30")
            }
            HoursError::Time { text, error } => write!(f, "invalid time `{text}`: {error}"),
            HoursError::EmptyInterval(text) => {
                write!(f, "interval `{text}` does not end after it starts")
            }
            HoursError::Overlap { day } => write!(f, "intervals overlap on {day}"),
            HoursError::DuplicateDay(day) => {
                write!(f, "{} is given more than once", day.short_name())
            }
            HoursError::DuplicateDate(date) => write!(f, "{date} is given more than once"),
        }
    }
}

impl std::error::Error for HoursError {}

impl Interval {
    /// Minutes since local midnight when the interval opens, `0..1440`.
    pub const fn start_minutes(self) -> u16 {
        self.start
    }

    /// Minutes since local midnight when the interval closes, up to 1440 (the next midnight).
    pub const fn end_minutes(self) -> u16 {
        self.end
    }

    const fn contains(self, minute: u16) -> bool {
        self.start <= minute && minute < self.end
    }
}

impl OpeningHours {
    /// Parses the compact text form described in the module documentation.
    pub fn parse(text: &str) -> Result<OpeningHours, HoursError> {
        let mut weekly: [Option<Vec<Interval>>; 7] = Default::default();
        let mut exceptions: Vec<(Date, Vec<Interval>)> = Vec::new();
        let mut entries = 0;
        for entry in text
            .split(';')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            entries += 1;
            let (selector, hours) = split_entry(entry);
            let intervals = parse_intervals(hours, selector)?;
            match parse_selector(selector)? {
                Selector::Date(date) => {
                    if exceptions.iter().any(|(day, _)| *day == date) {
                        return Err(HoursError::DuplicateDate(date));
                    }
                    exceptions.push((date, intervals));
                }
                Selector::Weekdays(days) => {
                    for day in days {
                        let slot = &mut weekly[usize::from(day.days_from_monday())];
                        if slot.is_some() {
                            return Err(HoursError::DuplicateDay(day));
                        }
                        *slot = Some(intervals.clone());
                    }
                }
            }
        }
        if entries == 0 {
            return Err(HoursError::Empty);
        }
        exceptions.sort_by_key(|(date, _)| *date);
        Ok(OpeningHours {
            weekly: weekly.map(Option::unwrap_or_default),
            exceptions,
        })
    }

    /// The intervals that apply on `date`; see the module documentation for the order of rules.
    pub fn intervals_on(&self, calendar: &Calendar, date: Date) -> &[Interval] {
        if let Ok(index) = self.exceptions.binary_search_by_key(&date, |(day, _)| *day) {
            return &self.exceptions[index].1;
        }
        let weekday = date.weekday();
        match calendar.day_off(date) {
            Some(DayOff::Weekend) => &self.weekly[usize::from(weekday.days_from_monday())],
            Some(DayOff::Holiday(_) | DayOff::InLieuOf(_) | DayOff::Decreed) => &[],
            None if weekday.is_weekend() => {
                &self.weekly[usize::from(Weekday::Monday.days_from_monday())]
            }
            None => &self.weekly[usize::from(weekday.days_from_monday())],
        }
    }

    /// Whether the line is open at `now`.
    pub fn is_open(&self, calendar: &Calendar, now: Timestamp) -> bool {
        let local = now.to_sofia();
        let minute = local.time.minutes_since_midnight();
        self.intervals_on(calendar, local.date)
            .iter()
            .any(|interval| interval.contains(minute))
    }

    /// The earliest instant at or after `now` at which the line is open: `now` itself when it is
    /// open, `None` when it stays closed for the next 400 days.
    pub fn next_opening(&self, calendar: &Calendar, now: Timestamp) -> Option<Timestamp> {
        if self.is_open(calendar, now) {
            return Some(now);
        }
        let today = now.to_sofia().date;
        for offset in 0..=HORIZON_DAYS {
            let date = today.add_days(offset)?;
            // A Sofia reading may denote two instants (autumn) or none (spring), so in the
            // repeated hour a later interval can open before an earlier one opens again, and an
            // interval inside the skipped hour never opens: take the earliest checked candidate.
            let opening = self
                .intervals_on(calendar, date)
                .iter()
                .flat_map(|interval| {
                    match Timestamp::from_sofia(date, Time::from_minutes_unchecked(interval.start))
                    {
                        LocalResult::Single(instant) => [Some(instant), None],
                        LocalResult::Ambiguous { earlier, later } => [Some(earlier), Some(later)],
                        LocalResult::Skipped { transition } => [Some(transition), None],
                    }
                })
                .flatten()
                .filter(|&instant| instant > now && self.is_open(calendar, instant))
                .min();
            if opening.is_some() {
                return opening;
            }
        }
        None
    }
}

impl FromStr for OpeningHours {
    type Err = HoursError;

    fn from_str(text: &str) -> Result<OpeningHours, HoursError> {
        OpeningHours::parse(text)
    }
}

/// The canonical text form, which parses back to an equal value: runs of consecutive weekdays
/// with equal hours are joined (`mon-fri`), closed weekdays are left out, dates come last.
impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries: Vec<String> = Vec::new();
        let mut first = 0;
        while first < 7 {
            let mut last = first;
            while last + 1 < 7 && self.weekly[last + 1] == self.weekly[first] {
                last += 1;
            }
            if !self.weekly[first].is_empty() {
                let first_day = Weekday::ALL[first].short_name();
                let days = if first == last {
                    first_day.to_owned()
                } else {
                    format!("{first_day}-{}", Weekday::ALL[last].short_name())
                };
                entries.push(format!("{days} {}", IntervalList(&self.weekly[first])));
            }
            first = last + 1;
        }
        if entries.is_empty() {
            entries.push("mon-sun closed".to_owned());
        }
        for (date, intervals) in &self.exceptions {
            entries.push(format!("{date} {}", IntervalList(intervals)));
        }
        write!(f, "{}", entries.join("; "))
    }
}

/// `08:30-17:30`, with `24:00` for an interval running to midnight.
impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let start = Time::from_minutes_unchecked(self.start);
        if self.end == MINUTES_PER_DAY {
            return write!(f, "{start}-24:00");
        }
        write!(f, "{start}-{}", Time::from_minutes_unchecked(self.end))
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `closed` or `08:30-12:00, 13:00-17:30`.
struct IntervalList<'a>(&'a [Interval]);

impl fmt::Display for IntervalList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return write!(f, "closed");
        }
        let texts: Vec<String> = self.0.iter().map(Interval::to_string).collect();
        write!(f, "{}", texts.join(", "))
    }
}

/// Splits an entry before its first word that starts with a digit or is `closed` (the first
/// word always belongs to the selector, so a date selector stays whole).
fn split_entry(entry: &str) -> (&str, &str) {
    let mut search_from = 0;
    while let Some(offset) = entry[search_from..].find(char::is_whitespace) {
        let at = search_from + offset;
        let rest = entry[at..].trim_start();
        let is_hours = rest.starts_with(|c: char| c.is_ascii_digit())
            || rest
                .get(..6)
                .is_some_and(|word| word.eq_ignore_ascii_case("closed"));
        if is_hours {
            return (entry[..at].trim_end(), rest);
        }
        search_from = at + entry[at..].chars().next().map_or(1, char::len_utf8);
    }
    (entry, "")
}

enum Selector {
    Date(Date),
    Weekdays(Vec<Weekday>),
}

fn parse_selector(text: &str) -> Result<Selector, HoursError> {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        let date = text.parse::<Date>().map_err(|error| HoursError::Date {
            text: text.to_owned(),
            error,
        })?;
        return Ok(Selector::Date(date));
    }
    let mut days = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let (first, last) = match part.split_once('-') {
            Some((first, last)) => (parse_weekday(first)?, parse_weekday(last)?),
            None => {
                let day = parse_weekday(part)?;
                (day, day)
            }
        };
        let first_index = first.days_from_monday();
        let span = (last.days_from_monday() + 7 - first_index) % 7;
        for step in 0..=span {
            let day = Weekday::from_days_from_monday(first_index + step);
            if days.contains(&day) {
                return Err(HoursError::DuplicateDay(day));
            }
            days.push(day);
        }
    }
    Ok(Selector::Weekdays(days))
}

fn parse_weekday(text: &str) -> Result<Weekday, HoursError> {
    let text = text.trim();
    Weekday::from_name(text).ok_or_else(|| HoursError::UnknownDay(text.to_owned()))
}

/// Parses `closed` or a list of intervals; `day` names the entry in overlap errors.
fn parse_intervals(text: &str, day: &str) -> Result<Vec<Interval>, HoursError> {
    if text.is_empty() {
        return Err(HoursError::MissingHours(day.to_owned()));
    }
    if text.eq_ignore_ascii_case("closed") {
        return Ok(Vec::new());
    }
    let mut intervals = text
        .split(',')
        .map(|part| parse_interval(part.trim()))
        .collect::<Result<Vec<Interval>, HoursError>>()?;
    intervals.sort();
    if intervals.windows(2).any(|pair| pair[0].end > pair[1].start) {
        return Err(HoursError::Overlap {
            day: day.to_owned(),
        });
    }
    Ok(intervals)
}

fn parse_interval(text: &str) -> Result<Interval, HoursError> {
    let Some((start, end)) = text.split_once('-') else {
        return Err(HoursError::Interval(text.to_owned()));
    };
    let start = parse_minutes(start.trim())?;
    let end = if end.trim() == "24:00" {
        MINUTES_PER_DAY
    } else {
        parse_minutes(end.trim())?
    };
    if end <= start {
        return Err(HoursError::EmptyInterval(text.to_owned()));
    }
    Ok(Interval { start, end })
}

fn parse_minutes(text: &str) -> Result<u16, HoursError> {
    let time = text.parse::<Time>().map_err(|error| HoursError::Time {
        text: text.to_owned(),
        error,
    })?;
    Ok(time.minutes_since_midnight())
}

#[cfg(test)]
mod tests;
