//! The Bulgarian working-day calendar: Labour Code art. 154 holidays, the weekend rule and
//! administrator overrides.
//!
//! Statutory rules (Кодекс на труда, чл. 154):
//! - fixed holidays: 1 Jan, 3 Mar, 1 May, 6 May, 24 May, 6 Sep, 22 Sep, 24, 25 and 26 Dec;
//! - Good Friday, Holy Saturday, Easter Sunday and Easter Monday (Orthodox Easter);
//! - art. 154(2), in force since 2017: when holidays other than the Easter ones fall on a
//!   Saturday or Sunday, the first one or two working days after them are days off;
//! - 1 Nov (National Awakeners' Day) is a working day except in education, so it is not listed.
//!
//! Council of Ministers decisions add non-working days or make a Saturday working; they come from
//! configuration as [`Overrides`]. Years before 2017 get today's list without the weekend rule,
//! which is only an approximation of the law then in force.

use std::fmt;

use crate::{date::Date, easter::orthodox_easter};

/// The first year of the weekend rule of art. 154(2) (ДВ 105/2016).
const WEEKEND_RULE_SINCE: i32 = 2017;

/// A public holiday of Labour Code art. 154(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holiday {
    /// 1 January.
    NewYear,
    /// 3 March.
    Liberation,
    /// 1 May.
    Labour,
    /// 6 May.
    StGeorge,
    /// 24 May.
    CyrilAndMethodius,
    /// 6 September.
    Unification,
    /// 22 September.
    Independence,
    /// 24 December.
    ChristmasEve,
    /// 25 December.
    Christmas,
    /// 26 December.
    SecondDayOfChristmas,
    GoodFriday,
    HolySaturday,
    Easter,
    EasterMonday,
}

/// Why a day is not a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayOff {
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A public holiday, on whatever day of the week it falls.
    Holiday(Holiday),
    /// A day off in lieu of a holiday that fell on a weekend (art. 154(2)).
    InLieuOf(Holiday),
    /// An extra non-working day from the overrides (a Council of Ministers decision).
    Decreed,
}

/// Per-date changes to the statutory calendar, usually from Council of Ministers decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overrides {
    /// Dates that are not working days although the statutory rules make them working days.
    pub days_off: Vec<Date>,
    /// Dates that are working days although the statutory rules make them days off (a working
    /// Saturday).
    pub working_days: Vec<Date>,
}

/// Why [`Overrides`] were rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideError {
    /// The date is listed both as a day off and as a working day.
    Conflict(Date),
    /// A day-off override for a date the statutory rules already make a day off.
    AlreadyDayOff(Date),
    /// A working-day override for a date the statutory rules already make a working day.
    AlreadyWorkingDay(Date),
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverrideError::Conflict(date) => {
                write!(f, "{date} is listed both as a day off and as a working day")
            }
            OverrideError::AlreadyDayOff(date) => write!(f, "{date} is already a day off"),
            OverrideError::AlreadyWorkingDay(date) => {
                write!(f, "{date} is already a working day")
            }
        }
    }
}

impl std::error::Error for OverrideError {}

/// A working-day calendar: the Bulgarian statutory rules plus overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// Sorted, without duplicates.
    extra_days_off: Vec<Date>,
    /// Sorted, without duplicates.
    extra_working_days: Vec<Date>,
}

impl Calendar {
    /// The statutory Bulgarian calendar without overrides.
    pub fn bulgaria() -> Calendar {
        Calendar {
            extra_days_off: Vec::new(),
            extra_working_days: Vec::new(),
        }
    }

    /// This calendar with `overrides` added. Each override must change the statutory answer for
    /// its date, which catches typos in configuration.
    pub fn with_overrides(self, overrides: &Overrides) -> Result<Calendar, OverrideError> {
        let mut calendar = self;
        for &date in &overrides.days_off {
            if overrides.working_days.contains(&date) || calendar.extra_working_days.contains(&date)
            {
                return Err(OverrideError::Conflict(date));
            }
            if statutory_day_off(date).is_some() {
                return Err(OverrideError::AlreadyDayOff(date));
            }
            calendar.extra_days_off.push(date);
        }
        for &date in &overrides.working_days {
            if calendar.extra_days_off.contains(&date) {
                return Err(OverrideError::Conflict(date));
            }
            if statutory_day_off(date).is_none() {
                return Err(OverrideError::AlreadyWorkingDay(date));
            }
            calendar.extra_working_days.push(date);
        }
        calendar.extra_days_off.sort();
        calendar.extra_days_off.dedup();
        calendar.extra_working_days.sort();
        calendar.extra_working_days.dedup();
        Ok(calendar)
    }

    /// Why `date` is not a working day, or `None` for a working day.
    pub fn day_off(&self, date: Date) -> Option<DayOff> {
        if self.extra_days_off.binary_search(&date).is_ok() {
            return Some(DayOff::Decreed);
        }
        if self.extra_working_days.binary_search(&date).is_ok() {
            return None;
        }
        statutory_day_off(date)
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        self.day_off(date).is_none()
    }

    /// The Bulgarian and English names of the holiday or other non-weekend day off on `date`.
    pub fn holiday_name(&self, date: Date) -> Option<(&'static str, &'static str)> {
        match self.day_off(date)? {
            DayOff::Weekend => None,
            day_off => Some((day_off.name_bg(), day_off.name_en())),
        }
    }

    /// The first working day strictly after `date`, `None` past [`Date::MAX`].
    pub fn next_working_day(&self, date: Date) -> Option<Date> {
        self.working_day_on_or_after(date.add_days(1)?)
    }

    /// `date` itself if it is a working day, otherwise the next working day.
    pub fn working_day_on_or_after(&self, date: Date) -> Option<Date> {
        let mut day = date;
        while !self.is_working_day(day) {
            day = day.add_days(1)?;
        }
        Some(day)
    }

    /// The `count`-th working day after `date` (`date` itself for zero), not counting `date`.
    pub fn add_working_days(&self, date: Date, count: u32) -> Option<Date> {
        let mut day = date;
        for _ in 0..count {
            day = self.next_working_day(day)?;
        }
        Some(day)
    }

    /// Working days in `(from, to]` when `to` is later, minus the working days in `(to, from]`
    /// when `to` is earlier. With `from` = today and `to` = a deadline, this is "working days
    /// left": 0 on the deadline itself and negative once it has passed.
    pub fn working_days_between(&self, from: Date, to: Date) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        // Count weekdays in (from, to], then correct by the days whose status differs from the
        // plain Monday-to-Friday rule, year by year.
        let first = from.days_since_epoch() + 1;
        let last = to.days_since_epoch();
        let mut count = weekdays_up_to(last) - weekdays_up_to(first - 1);
        for year in from.year()..=to.year() {
            for date in self.exceptions_to_weekday_rule(year) {
                let days = date.days_since_epoch();
                if days < first || days > last {
                    continue;
                }
                count += if date.is_weekend() { 1 } else { -1 };
            }
        }
        count
    }

    /// The days off in `year` other than ordinary weekends, in date order: holidays (also those
    /// on a weekend), days off in lieu and decreed days, without days made working by overrides.
    pub fn days_off(&self, year: i32) -> Vec<(Date, DayOff)> {
        let mut days = statutory_days_off(year);
        days.extend(
            self.extra_days_off
                .iter()
                .filter(|date| date.year() == year)
                .map(|&date| (date, DayOff::Decreed)),
        );
        days.retain(|(date, _)| self.extra_working_days.binary_search(date).is_err());
        days.sort_by_key(|(date, _)| *date);
        days.dedup_by_key(|(date, _)| *date);
        days
    }

    /// The dates of [`Calendar::days_off`].
    pub fn non_working_days(&self, year: i32) -> Vec<Date> {
        self.days_off(year)
            .into_iter()
            .map(|(date, _)| date)
            .collect()
    }

    /// Dates in `year` where this calendar departs from "Monday to Friday are working days":
    /// weekdays off and working weekend days.
    fn exceptions_to_weekday_rule(&self, year: i32) -> Vec<Date> {
        let mut dates: Vec<Date> = self
            .days_off(year)
            .into_iter()
            .map(|(date, _)| date)
            .filter(|date| !date.is_weekend())
            .collect();
        dates.extend(
            self.extra_working_days
                .iter()
                .filter(|date| date.year() == year && date.is_weekend()),
        );
        dates
    }
}

impl Holiday {
    /// The fixed-date holidays in calendar order, with month and day.
    const FIXED: [(u8, u8, Holiday); 10] = [
        (1, 1, Holiday::NewYear),
        (3, 3, Holiday::Liberation),
        (5, 1, Holiday::Labour),
        (5, 6, Holiday::StGeorge),
        (5, 24, Holiday::CyrilAndMethodius),
        (9, 6, Holiday::Unification),
        (9, 22, Holiday::Independence),
        (12, 24, Holiday::ChristmasEve),
        (12, 25, Holiday::Christmas),
        (12, 26, Holiday::SecondDayOfChristmas),
    ];

    /// The name in Bulgarian, as in the Labour Code.
    pub const fn name_bg(self) -> &'static str {
        match self {
            Holiday::NewYear => "Нова година",
            Holiday::Liberation => "Ден на Освобождението на България от османско иго",
            Holiday::Labour => "Ден на труда и на международната работническа солидарност",
            Holiday::StGeorge => "Гергьовден, Ден на храбростта и Българската армия",
            Holiday::CyrilAndMethodius => {
                "Ден на светите братя Кирил и Методий, на българската азбука, просвета и култура и на славянската книжовност"
            }
            Holiday::Unification => "Ден на Съединението",
            Holiday::Independence => "Ден на Независимостта на България",
            Holiday::ChristmasEve => "Бъдни вечер",
            Holiday::Christmas => "Рождество Христово",
            Holiday::SecondDayOfChristmas => "Рождество Христово (втори ден)",
            Holiday::GoodFriday => "Велики петък",
            Holiday::HolySaturday => "Велика събота",
            Holiday::Easter => "Великден",
            Holiday::EasterMonday => "Великден (втори ден)",
        }
    }

    pub const fn name_en(self) -> &'static str {
        match self {
            Holiday::NewYear => "New Year's Day",
            Holiday::Liberation => "Liberation Day",
            Holiday::Labour => "Labour Day",
            Holiday::StGeorge => "St George's Day",
            Holiday::CyrilAndMethodius => "Saints Cyril and Methodius Day",
            Holiday::Unification => "Unification Day",
            Holiday::Independence => "Independence Day",
            Holiday::ChristmasEve => "Christmas Eve",
            Holiday::Christmas => "Christmas Day",
            Holiday::SecondDayOfChristmas => "Second Day of Christmas",
            Holiday::GoodFriday => "Good Friday",
            Holiday::HolySaturday => "Holy Saturday",
            Holiday::Easter => "Easter Sunday",
            Holiday::EasterMonday => "Easter Monday",
        }
    }

    /// Whether the weekend rule of art. 154(2) applies: it excludes the Easter holidays.
    pub const fn moves_off_weekend(self) -> bool {
        !matches!(
            self,
            Holiday::GoodFriday | Holiday::HolySaturday | Holiday::Easter | Holiday::EasterMonday
        )
    }
}

impl DayOff {
    pub const fn name_bg(self) -> &'static str {
        match self {
            DayOff::Weekend => "почивен ден",
            DayOff::Holiday(holiday) => holiday.name_bg(),
            DayOff::InLieuOf(_) => "почивен ден по чл. 154, ал. 2 от Кодекса на труда",
            DayOff::Decreed => "неработен ден по решение на Министерския съвет",
        }
    }

    pub const fn name_en(self) -> &'static str {
        match self {
            DayOff::Weekend => "weekend",
            DayOff::Holiday(holiday) => holiday.name_en(),
            DayOff::InLieuOf(_) => "day off in lieu of a weekend holiday",
            DayOff::Decreed => "non-working day by Council of Ministers decision",
        }
    }
}

/// The statutory answer for one date, ignoring overrides.
fn statutory_day_off(date: Date) -> Option<DayOff> {
    let holiday = statutory_days_off(date.year())
        .into_iter()
        .find(|(day, _)| *day == date);
    if let Some((_, day_off)) = holiday {
        return Some(day_off);
    }
    date.is_weekend().then_some(DayOff::Weekend)
}

/// Holidays and days off in lieu in `year`, in date order; a date carrying two holidays (1 May
/// 2027 is also Holy Saturday) appears twice, the fixed-date holiday first.
fn statutory_days_off(year: i32) -> Vec<(Date, DayOff)> {
    let mut days: Vec<(Date, DayOff)> = Holiday::FIXED
        .iter()
        .map(|&(month, day, holiday)| {
            (
                Date::from_ymd_unchecked(year, month, day),
                DayOff::Holiday(holiday),
            )
        })
        .collect();
    if let Some(easter) = orthodox_easter(year) {
        let easter_days = [
            (-2, Holiday::GoodFriday),
            (-1, Holiday::HolySaturday),
            (0, Holiday::Easter),
            (1, Holiday::EasterMonday),
        ];
        for (offset, holiday) in easter_days {
            if let Some(date) = easter.add_days(offset) {
                days.push((date, DayOff::Holiday(holiday)));
            }
        }
    }
    days.sort_by_key(|(date, _)| *date);
    if year < WEEKEND_RULE_SINCE {
        return days;
    }

    let holiday_dates: Vec<Date> = days.iter().map(|(date, _)| *date).collect();
    let mut in_lieu: Vec<(Date, DayOff)> = Vec::new();
    for &(date, day_off) in &days {
        let DayOff::Holiday(holiday) = day_off else {
            continue;
        };
        if !holiday.moves_off_weekend() || !date.is_weekend() {
            continue;
        }
        // The next Monday-to-Friday day that is neither a holiday nor already taken in lieu.
        let mut candidate = date;
        let found = loop {
            let Some(next) = candidate.add_days(1) else {
                break None;
            };
            candidate = next;
            let taken = holiday_dates.contains(&candidate)
                || in_lieu.iter().any(|(day, _)| *day == candidate);
            if !candidate.is_weekend() && !taken {
                break Some(candidate);
            }
        };
        if let Some(day) = found {
            in_lieu.push((day, DayOff::InLieuOf(holiday)));
        }
    }
    days.extend(in_lieu);
    days.sort_by_key(|(date, _)| *date);
    days
}

/// Monday-to-Friday days in `(-inf, days]`, offset by a constant: only differences are meaningful.
fn weekdays_up_to(days: i64) -> i64 {
    // Shift so that day 0 is a Monday: 1970-01-05 is days 4.
    let from_monday = days - 4;
    let weeks = from_monday.div_euclid(7);
    let rest = from_monday.rem_euclid(7); // 0 = Monday .. 6 = Sunday
    weeks * 5 + (rest + 1).min(5)
}

#[cfg(test)]
mod tests;
