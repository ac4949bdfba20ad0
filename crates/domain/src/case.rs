//! Cases and their assignments: channels, submission kinds, statuses and the legal transitions.
//!
//! A case has one assignment per institution. Each assignment has its own status and deadline;
//! the case's status is derived from them, never stored independently of them.

use std::fmt;

/// How a case reached the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Phone,
    Portal,
    Email,
    WalkIn,
    Api,
    Open311,
}

/// What the citizen submitted; decides the legal regime and so the deadline rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionKind {
    /// A question answered from knowledge or by a department.
    InformationRequest,
    /// АПК art. 107(2): a proposal to improve the administration's work.
    Proposal,
    /// АПК art. 107(3): a signal about an unlawful or inexpedient act or omission.
    Signal,
    /// A complaint about a service.
    Complaint,
    /// A request for a municipal service (a street light out, bulky waste).
    ServiceRequest,
}

/// Whether a case opens formal proceedings.
///
/// Under АПК art. 111(4) no proceedings are opened on anonymous submissions: they are registered
/// and may still lead to work (a pothole gets fixed), but as information only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proceeding {
    Formal,
    InformationOnly,
}

impl Proceeding {
    /// The proceeding a submission opens, given whether the submitter identified themselves.
    pub fn for_submitter(identified: bool) -> Proceeding {
        if identified { Proceeding::Formal } else { Proceeding::InformationOnly }
    }
}

/// The status of one institution's part of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssignmentStatus {
    New,
    Accepted,
    InProgress,
    Done,
    /// Not competent; the reason is recorded in the history.
    Declined,
    /// Sent on to another institution, which gets its own assignment.
    Forwarded,
}

/// The status of a case as a whole, derived from its assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    /// No institution has accepted yet.
    New,
    /// At least one live assignment is being worked on.
    InProgress,
    /// Every live assignment is done.
    Resolved,
}

/// A status change that the rules forbid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    pub from: AssignmentStatus,
    pub to: AssignmentStatus,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an assignment cannot go from {} to {}", self.from.as_str(), self.to.as_str())
    }
}

impl std::error::Error for TransitionError {}

macro_rules! string_enum {
    ($ty:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),* }
            }

            pub fn parse(text: &str) -> Option<$ty> {
                match text { $($text => Some($ty::$variant),)* _ => None }
            }
        }
    };
}

string_enum!(Channel {
    Phone => "phone", Portal => "portal", Email => "email", WalkIn => "walk_in", Api => "api",
    Open311 => "open311",
});
string_enum!(SubmissionKind {
    InformationRequest => "information_request", Proposal => "proposal", Signal => "signal",
    Complaint => "complaint", ServiceRequest => "service_request",
});
string_enum!(Proceeding { Formal => "formal", InformationOnly => "information_only" });
string_enum!(AssignmentStatus {
    New => "new", Accepted => "accepted", InProgress => "in_progress", Done => "done",
    Declined => "declined", Forwarded => "forwarded",
});
string_enum!(CaseStatus { New => "new", InProgress => "in_progress", Resolved => "resolved" });

impl AssignmentStatus {
    /// A live assignment still counts towards the case's resolution.
    pub fn is_live(self) -> bool {
        !matches!(self, AssignmentStatus::Declined | AssignmentStatus::Forwarded)
    }

    /// Whether the institution's work on this part has ended.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            AssignmentStatus::Done | AssignmentStatus::Declined | AssignmentStatus::Forwarded
        )
    }

    /// Checks a status change. Done may be reopened (a citizen disputes the resolution); declined
    /// and forwarded are final because the work moved elsewhere.
    pub fn transition(self, to: AssignmentStatus) -> Result<AssignmentStatus, TransitionError> {
        use AssignmentStatus::*;
        let allowed = matches!(
            (self, to),
            (New, Accepted | InProgress | Done | Declined | Forwarded)
                | (Accepted, InProgress | Done | Declined | Forwarded)
                | (InProgress, Done | Declined | Forwarded)
                | (Done, InProgress)
        );
        if allowed { Ok(to) } else { Err(TransitionError { from: self, to }) }
    }
}

/// Derives a case's status from its assignments' statuses.
pub fn case_status(assignments: &[AssignmentStatus]) -> CaseStatus {
    let live: Vec<AssignmentStatus> =
        assignments.iter().copied().filter(|status| status.is_live()).collect();
    if !live.is_empty() && live.iter().all(|status| *status == AssignmentStatus::Done) {
        return CaseStatus::Resolved;
    }
    if live.iter().all(|status| *status == AssignmentStatus::New) {
        return CaseStatus::New;
    }
    CaseStatus::InProgress
}
