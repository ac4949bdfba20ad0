//! Which legal deadline applies to a case, and the text form categories store it in.

use calendar::DeadlineRule;

use crate::SubmissionKind;

/// The deadline rule of a submission kind when its category sets none.
///
/// Proposals and signals: a decision within two months (АПК art. 118(1), 122). Complaints are
/// handled as signals. Information requests follow the 14-day period of the Access to Public
/// Information Act (ЗДОИ art. 28(1)). Service requests get 14 days as a municipal service
/// standard, not a statutory one; a category can set its own.
pub fn default_deadline(kind: SubmissionKind) -> DeadlineRule {
    match kind {
        SubmissionKind::Proposal | SubmissionKind::Signal | SubmissionKind::Complaint => {
            DeadlineRule::Months(2)
        }
        SubmissionKind::InformationRequest | SubmissionKind::ServiceRequest => {
            DeadlineRule::CalendarDays(14)
        }
    }
}

/// Parses the stored form of a rule: `months:2`, `days:14` or `working_days:7`.
pub fn parse_deadline_rule(text: &str) -> Option<DeadlineRule> {
    let (unit, count) = text.trim().split_once(':')?;
    let count: u32 = count.trim().parse().ok()?;
    if count == 0 || count > 3660 {
        return None;
    }
    match unit.trim() {
        "months" if count <= 120 => Some(DeadlineRule::Months(count)),
        "days" => Some(DeadlineRule::CalendarDays(count)),
        "working_days" => Some(DeadlineRule::WorkingDays(count)),
        _ => None,
    }
}

/// The stored form of a rule; the inverse of [`parse_deadline_rule`].
pub fn format_deadline_rule(rule: DeadlineRule) -> String {
    match rule {
        DeadlineRule::Months(n) => format!("months:{n}"),
        DeadlineRule::CalendarDays(n) => format!("days:{n}"),
        DeadlineRule::WorkingDays(n) => format!("working_days:{n}"),
    }
}
