//! The case registry's vocabulary and rules: institutions, categories, citizens, cases,
//! assignments, history and who may see what.
//!
//! This crate is pure. It knows nothing about SQL, HTTP, JSON or SIP: `store` maps these types to
//! rows and `web` to DTOs, each by explicit conversion. Statutory deadlines are computed on the
//! working-day calendar of the `calendar` crate.

mod access;
mod case;
mod deadline;
mod institution;
mod names;
mod phone;
mod reference;

pub use access::{Role, Staff};
pub use case::{
    AssignmentStatus, CaseStatus, Channel, Proceeding, SubmissionKind, TransitionError,
    case_status,
};
pub use deadline::{default_deadline, format_deadline_rule, parse_deadline_rule};
pub use institution::{Connection, ContactError, Contacts, InstitutionKind};
pub use names::{MIN_PASSWORD_CHARS, is_long_enough_password, is_valid_code};
pub use phone::normalize_phone;
pub use reference::{ParseReferenceError, Reference};

/// Unix time in milliseconds; the only timestamp type the domain uses.
pub type Millis = i64;

#[cfg(test)]
mod tests;
