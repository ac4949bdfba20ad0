//! The values the store reads and writes. Plain data; the domain's enums where a column holds one.

use domain::{AssignmentStatus, CaseStatus, Channel, Connection, InstitutionKind, Proceeding, Role,
    SubmissionKind};

#[derive(Debug, Clone, PartialEq)]
pub struct Institution {
    pub id: i64,
    pub code: String,
    pub name_bg: String,
    pub name_en: String,
    pub kind: InstitutionKind,
    pub connection: Connection,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub webhook_url: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewInstitution {
    pub code: String,
    pub name_bg: String,
    pub name_en: String,
    pub kind: InstitutionKind,
    pub connection: Connection,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub webhook_url: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub parent_id: Option<i64>,
    pub name_bg: String,
    pub name_en: String,
    pub submission_kind: SubmissionKind,
    /// A deadline rule overriding the submission kind's, e.g. `working_days:14`.
    pub deadline_rule: Option<String>,
    pub active: bool,
    /// The institutions a new case in this category is assigned to.
    pub institutions: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCategory {
    pub code: String,
    pub parent_id: Option<i64>,
    pub name_bg: String,
    pub name_en: String,
    pub submission_kind: SubmissionKind,
    pub deadline_rule: Option<String>,
    pub institutions: Vec<i64>,
}

#[derive(Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub institution_id: Option<i64>,
    pub active: bool,
    /// An argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("institution_id", &self.institution_id)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub institution_id: Option<i64>,
    pub password_hash: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser").field("username", &self.username).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCitizen {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub consent_contact: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Citizen {
    pub id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub consent_contact: bool,
}

/// A case to register. The caller resolves the category's institutions and computes deadlines.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    /// The reference prefix, e.g. `PLV`.
    pub prefix: String,
    /// The year the reference number counts in.
    pub year: i32,
    pub channel: Channel,
    pub category_id: i64,
    pub submission_kind: SubmissionKind,
    pub proceeding: Proceeding,
    pub description: String,
    pub address: Option<String>,
    pub district: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub citizen: Option<NewCitizen>,
    /// The date the case was received, ISO `YYYY-MM-DD`; deadlines count from it.
    pub received_on: String,
    pub assignments: Vec<NewAssignment>,
    /// The staff member who registered it; `None` for the portal and the API.
    pub actor_user_id: Option<i64>,
    /// A secret the citizen uses with the reference to follow the case.
    pub tracking_code: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAssignment {
    pub institution_id: i64,
    /// ISO date of the legal deadline.
    pub deadline: String,
}

/// What the writer acknowledges for a durable new case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseCreated {
    pub id: i64,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: i64,
    pub reference: String,
    pub channel: Channel,
    pub category_id: i64,
    pub submission_kind: SubmissionKind,
    pub proceeding: Proceeding,
    pub description: String,
    pub address: Option<String>,
    pub district: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub citizen: Option<Citizen>,
    pub status: CaseStatus,
    pub received_on: String,
    pub tracking_code: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub assignments: Vec<Assignment>,
}

impl Case {
    pub fn institution_ids(&self) -> Vec<i64> {
        self.assignments.iter().map(|a| a.institution_id).collect()
    }
}

/// A case with its whole history, oldest event first: what staff read.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseWithHistory {
    pub case: Case,
    pub history: Vec<CaseEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub id: i64,
    pub case_id: i64,
    pub institution_id: i64,
    pub status: AssignmentStatus,
    pub deadline: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One row of a case list.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSummary {
    pub id: i64,
    pub reference: String,
    pub channel: Channel,
    pub category_id: i64,
    pub status: CaseStatus,
    pub received_on: String,
    pub created_at: i64,
    /// The earliest deadline among open assignments, if any.
    pub next_deadline: Option<String>,
}

/// Filters for listing cases; every field narrows the list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub category_id: Option<i64>,
    pub institution_id: Option<i64>,
    /// Only cases with an open assignment whose deadline is before this ISO date.
    pub overdue_on: Option<String>,
    /// Words that must appear in the description, address or reference (case-insensitive).
    pub text: Option<String>,
    /// Created at or after, Unix ms.
    pub created_from: Option<i64>,
    /// Created before, Unix ms.
    pub created_to: Option<i64>,
    /// Confines the list to one institution's cases (an officer's scope).
    pub scope_institution: Option<i64>,
    /// Cursor: only cases with an id below this one.
    pub before_id: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    pub institution_id: Option<i64>,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub kind: String,
    /// Whether the citizen may see it.
    pub public: bool,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCaseEvent {
    pub case_id: i64,
    pub institution_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub kind: String,
    pub public: bool,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentChange {
    pub case_id: i64,
    pub institution_id: i64,
    pub to: AssignmentStatus,
    pub actor_user_id: Option<i64>,
    /// Required when declining; shown to the citizen.
    pub reason: Option<String>,
    /// When forwarding: the institution that takes over, and its deadline.
    pub forward_to: Option<NewAssignment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAssignmentOnCase {
    pub case_id: i64,
    pub assignment: NewAssignment,
    pub actor_user_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAttachment {
    pub case_id: i64,
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub public: bool,
    pub actor_user_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: i64,
    pub case_id: i64,
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub public: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CitizenCases {
    pub citizen: Citizen,
    pub cases: Vec<CaseSummary>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub cases: i64,
    pub open_assignments: i64,
    pub institutions: i64,
    pub users: i64,
}

/// A validated set of rows to import; institutions first, then categories (which name their
/// institutions by code), then users (who may name an institution by code).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportBatch {
    pub institutions: Vec<NewInstitution>,
    pub categories: Vec<ImportCategory>,
    pub users: Vec<ImportUser>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportCategory {
    pub code: String,
    pub parent_code: Option<String>,
    pub name_bg: String,
    pub name_en: String,
    pub submission_kind: SubmissionKind,
    pub deadline_rule: Option<String>,
    pub institution_codes: Vec<String>,
}

#[derive(Clone, PartialEq)]
pub struct ImportUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub institution_code: Option<String>,
    pub password_hash: String,
}

impl std::fmt::Debug for ImportUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportUser").field("username", &self.username).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub institutions: usize,
    pub categories: usize,
    pub users: usize,
}
