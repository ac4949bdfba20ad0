//! Orthodox Easter: the Julian computus (Meeus) converted to the Gregorian calendar.

use crate::date::{Date, days_from_civil};

/// The Gregorian date of Orthodox Easter Sunday in `year`, `None` outside `1..=9999`.
///
/// Meeus' Julian algorithm gives the date in the Julian calendar; the Julian calendar lags the
/// Gregorian one by `year / 100 - year / 400 - 2` days from March onwards (13 days for
/// 1900–2099), which is added. Both calendars are proleptic before 1582.
pub fn orthodox_easter(year: i32) -> Option<Date> {
    if !(1..=9999).contains(&year) {
        return None;
    }
    let a = year % 4;
    let b = year % 7;
    let c = year % 19;
    let d = (19 * c + 15) % 30;
    let e = (2 * a + 4 * b - d + 34) % 7;
    let month = (d + e + 114) / 31; // 3 or 4
    let day = (d + e + 114) % 31 + 1;
    let julian_lag = year / 100 - year / 400 - 2;
    // The Julian reading is a valid March or April label in the Gregorian calendar too, so the
    // Gregorian date is that label shifted by the lag.
    let days = days_from_civil(i64::from(year), month as u8, day as u8) + i64::from(julian_lag);
    Date::from_days_since_epoch(days)
}

#[cfg(test)]
mod tests;
