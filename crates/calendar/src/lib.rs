//! A pure Bulgarian working-day calendar: civil dates, Sofia local time, Orthodox Easter, public
//! holidays with the weekend rule and administrator overrides, statutory deadlines and opening
//! hours.
//!
//! The crate is sans-IO: it never reads the clock, files or the environment. The current time
//! arrives as a [`Timestamp`] argument and overrides arrive as values from configuration. It has
//! no dependencies.
//!
//! Users: the case registry (statutory deadlines on working days) and the IVR (is a line open
//! now, and when does it open next).

mod date;
mod deadline;
mod easter;
mod holidays;
mod hours;
mod time;

pub use date::{Date, DateError, Weekday};
pub use deadline::{Deadline, DeadlineRule};
pub use easter::orthodox_easter;
pub use holidays::{Calendar, DayOff, Holiday, OverrideError, Overrides};
pub use hours::{HoursError, Interval, OpeningHours};
pub use time::{LocalDateTime, LocalResult, Time, TimeError, Timestamp, UtcOffset};
