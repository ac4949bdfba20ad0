//! Statutory deadlines: how a period counted from a start date ends on the working-day calendar.
//!
//! Periods in days and months follow the general Bulgarian rule (ГПК чл. 60, applied in
//! administrative proceedings through АПК): the start day is not counted; a period in days ends
//! on the day `n` days later; a period in months ends on the same-numbered day of the last month,
//! or on that month's last day when it is shorter; and a period ending on a non-working day ends
//! on the next working day. EU Regulation 1182/71 (which governs the GDPR's "one month") gives
//! the same result. Periods in working days count only working days after the start day.

use std::fmt;

use crate::{date::Date, holidays::Calendar};

/// How a period is counted from its start date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineRule {
    /// `n` working days after the start day; ends on the `n`-th working day.
    WorkingDays(u32),
    /// `n` calendar days after the start day, moved to the next working day if that is not one.
    CalendarDays(u32),
    /// The same day `n` months later (clamped to the month end), moved to the next working day
    /// if that is not one.
    Months(u32),
}

/// A named statutory period with its legal basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline {
    pub rule: DeadlineRule,
    /// The provision, in Bulgarian citation form.
    pub legal_basis: &'static str,
    /// A short English description.
    pub description: &'static str,
}

impl DeadlineRule {
    /// The last day of the period started on `start` (the day of receipt or registration), or
    /// `None` if it would end after [`Date::MAX`].
    pub fn due(self, calendar: &Calendar, start: Date) -> Option<Date> {
        match self {
            DeadlineRule::WorkingDays(count) => calendar.add_working_days(start, count),
            DeadlineRule::CalendarDays(count) => {
                calendar.working_day_on_or_after(start.add_days(i64::from(count))?)
            }
            DeadlineRule::Months(count) => {
                let months = i32::try_from(count).ok()?;
                calendar.working_day_on_or_after(start.add_months(months)?)
            }
        }
    }
}

impl Deadline {
    /// Decision on a proposal or a signal: two months from receipt.
    pub const APK_DECISION: Deadline = Deadline {
        rule: DeadlineRule::Months(2),
        legal_basis: "АПК чл. 118, ал. 1; чл. 122",
        description: "decision on a proposal or signal",
    };

    /// Decision on a proposal when the higher body has extended the period: up to six months.
    pub const APK_DECISION_EXTENDED: Deadline = Deadline {
        rule: DeadlineRule::Months(6),
        legal_basis: "АПК чл. 118, ал. 2",
        description: "decision on a proposal, extended for further study",
    };

    /// Notifying the submitter of the decision: seven days from the decision.
    pub const APK_NOTIFICATION: Deadline = Deadline {
        rule: DeadlineRule::CalendarDays(7),
        legal_basis: "АПК чл. 118, ал. 1; чл. 123, ал. 1",
        description: "notification of the decision to the submitter",
    };

    /// Forwarding to the competent body: seven days from receipt. The article still needs
    /// checking against the official text (civic reference, section 5).
    pub const APK_FORWARDING: Deadline = Deadline {
        rule: DeadlineRule::CalendarDays(7),
        legal_basis: "АПК чл. 112–113 [verify]",
        description: "forwarding to the competent body",
    };

    /// Decision on a request for access to public information: fourteen days from registration.
    pub const ZDOI_ACCESS: Deadline = Deadline {
        rule: DeadlineRule::CalendarDays(14),
        legal_basis: "ЗДОИ чл. 28, ал. 1",
        description: "decision on access to public information",
    };

    /// Answer to a data subject's access request: one month from receipt.
    pub const GDPR_ACCESS: Deadline = Deadline {
        rule: DeadlineRule::Months(1),
        legal_basis: "GDPR art. 12(3)",
        description: "answer to a data subject access request",
    };

    /// Answer to a data subject's request when extended for complexity or volume: one month plus
    /// two further months.
    pub const GDPR_ACCESS_EXTENDED: Deadline = Deadline {
        rule: DeadlineRule::Months(3),
        legal_basis: "GDPR art. 12(3)",
        description: "answer to a data subject access request, extended",
    };

    /// Every preset, for configuration lookups and documentation.
    pub const ALL: [Deadline; 7] = [
        Deadline::APK_DECISION,
        Deadline::APK_DECISION_EXTENDED,
        Deadline::APK_NOTIFICATION,
        Deadline::APK_FORWARDING,
        Deadline::ZDOI_ACCESS,
        Deadline::GDPR_ACCESS,
        Deadline::GDPR_ACCESS_EXTENDED,
    ];

    /// The last day of this period started on `start`; see [`DeadlineRule::due`].
    pub fn due(&self, calendar: &Calendar, start: Date) -> Option<Date> {
        self.rule.due(calendar, start)
    }
}

/// `5 working days`, `7 days`, `2 months`.
impl fmt::Display for DeadlineRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (count, unit) = match *self {
            DeadlineRule::WorkingDays(count) => (count, "working day"),
            DeadlineRule::CalendarDays(count) => (count, "day"),
            DeadlineRule::Months(count) => (count, "month"),
        };
        let plural = if count == 1 { "" } else { "s" };
        write!(f, "{count} {unit}{plural}")
    }
}

#[cfg(test)]
mod tests;
