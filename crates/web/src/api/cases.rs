//! Cases: registration, reading, listing, history, assignments, attachments, citizen look-up.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use calendar::{Date, Timestamp};
use domain::{AssignmentStatus, CaseStatus, Channel, Staff};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Page, optional_text, required_text, trimmed};
use crate::attachments::{attachment_path, sniff_content_type, write_durably};
use crate::auth::{Auth, hex};
use crate::register::{CitizenDetails, Location, Registration, deadline_for, register, today};
use crate::{AppState, Error};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LocationInput {
    address: Option<String>,
    district: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CitizenInput {
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    #[serde(default)]
    consent_contact: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseInput {
    /// Category code.
    category: String,
    description: String,
    channel: String,
    /// Overrides the category's submission kind (an agent reclassifies).
    submission_kind: Option<String>,
    location: Option<LocationInput>,
    /// Absent or null: an anonymous submission.
    citizen: Option<CitizenInput>,
    /// Defaults to today; agents may back-date a written submission received earlier.
    received_on: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct AssignmentDto {
    institution_id: i64,
    status: &'static str,
    deadline: String,
    /// Working days left until the deadline; negative when overdue.
    working_days_left: i64,
}

#[derive(Serialize)]
pub(crate) struct CitizenDto {
    id: i64,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    consent_contact: bool,
}

#[derive(Serialize)]
pub(crate) struct LocationDto {
    address: Option<String>,
    district: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
}

#[derive(Serialize)]
pub(crate) struct EventDto {
    id: i64,
    at: i64,
    kind: String,
    public: bool,
    institution_id: Option<i64>,
    actor_user_id: Option<i64>,
    body: String,
}

#[derive(Serialize)]
pub(crate) struct CaseDto {
    id: i64,
    reference: String,
    /// Given once, on registration: with the reference it lets the citizen follow the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    tracking_code: Option<String>,
    channel: &'static str,
    category_id: i64,
    submission_kind: &'static str,
    proceeding: &'static str,
    status: &'static str,
    description: String,
    location: LocationDto,
    citizen: Option<CitizenDto>,
    received_on: String,
    created_at: i64,
    assignments: Vec<AssignmentDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<EventDto>>,
}

fn assignment_dto(calendar: &calendar::Calendar, today: Date, a: &store::Assignment) -> AssignmentDto {
    let left = a
        .deadline
        .parse::<Date>()
        .map(|deadline| calendar.working_days_between(today, deadline))
        .unwrap_or(0);
    AssignmentDto {
        institution_id: a.institution_id,
        status: a.status.as_str(),
        deadline: a.deadline.clone(),
        working_days_left: if a.status.is_closed() { 0 } else { left },
    }
}

fn case_dto(state: &AppState, case: store::Case, history: Option<Vec<store::CaseEvent>>) -> CaseDto {
    let today = today();
    CaseDto {
        id: case.id,
        reference: case.reference,
        tracking_code: None,
        channel: case.channel.as_str(),
        category_id: case.category_id,
        submission_kind: case.submission_kind.as_str(),
        proceeding: case.proceeding.as_str(),
        status: case.status.as_str(),
        description: case.description,
        location: LocationDto {
            address: case.address,
            district: case.district,
            lat: case.latitude,
            lon: case.longitude,
        },
        citizen: case.citizen.map(|c| CitizenDto {
            id: c.id,
            name: c.name,
            phone: c.phone,
            email: c.email,
            consent_contact: c.consent_contact,
        }),
        received_on: case.received_on,
        created_at: case.created_at,
        assignments: case
            .assignments
            .iter()
            .map(|a| assignment_dto(&state.config.calendar, today, a))
            .collect(),
        history: history.map(|events| {
            events
                .into_iter()
                .map(|e| EventDto {
                    id: e.id,
                    at: e.at,
                    kind: e.kind,
                    public: e.public,
                    institution_id: e.institution_id,
                    actor_user_id: e.actor_user_id,
                    body: e.body,
                })
                .collect()
        }),
    }
}

/// Reads a case the staff member may see; others get 404 so that references cannot be probed.
async fn visible_case(state: &AppState, staff: &Staff, reference: &str) -> Result<store::Case, Error> {
    let reference = canonical_reference(reference)?;
    let case = state.store.case_by_reference(&reference).await?.ok_or(Error::NotFound)?;
    check_visible(staff, &case)?;
    Ok(case)
}

/// A reference from a path in its stored form; 404 if it is not one.
fn canonical_reference(text: &str) -> Result<String, Error> {
    let reference = domain::Reference::parse(text).map_err(|_| Error::NotFound)?;
    Ok(reference.to_string())
}

/// 404 for a case the staff member may not see, the same answer as for no case at all.
fn check_visible(staff: &Staff, case: &store::Case) -> Result<(), Error> {
    if !staff.may_see(&case.institution_ids()) {
        return Err(Error::NotFound);
    }
    Ok(())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Auth(staff): Auth,
    body: Result<Json<CaseInput>, JsonRejection>,
) -> Result<(StatusCode, Json<CaseDto>), Error> {
    let input = body?.0;
    let channel = Channel::parse(input.channel.trim())
        .ok_or_else(|| Error::invalid("channel", "use phone, portal, email, walk_in, api or open311"))?;
    let registration = Registration {
        category: input.category,
        description: input.description,
        channel,
        submission_kind: input.submission_kind,
        location: input.location.map(|l| Location { address: l.address, district: l.district, lat: l.lat, lon: l.lon }),
        citizen: input.citizen.map(|c| CitizenDetails {
            name: c.name,
            phone: c.phone,
            email: c.email,
            consent_contact: c.consent_contact,
        }),
        received_on: input.received_on,
        actor_user_id: Some(staff.user_id),
    };
    let registered = register(&state, registration).await?;
    // Built from what was committed, without reading it back: the writer acknowledged it durable.
    let today = today();
    let now = store::now();
    let location = registered.location;
    let dto = CaseDto {
        id: registered.created.id,
        reference: registered.created.reference,
        tracking_code: Some(registered.tracking_code),
        channel: channel.as_str(),
        category_id: registered.category.id,
        submission_kind: registered.submission_kind.as_str(),
        proceeding: registered.proceeding.as_str(),
        status: CaseStatus::New.as_str(),
        description: registered.description,
        location: LocationDto {
            address: location.address,
            district: location.district,
            lat: location.lat,
            lon: location.lon,
        },
        citizen: None,
        received_on: registered.received_on.to_string(),
        created_at: now,
        assignments: registered
            .assignments
            .iter()
            .map(|a| {
                let deadline: Option<Date> = a.deadline.parse().ok();
                AssignmentDto {
                    institution_id: a.institution_id,
                    status: AssignmentStatus::New.as_str(),
                    deadline: a.deadline.clone(),
                    working_days_left: deadline
                        .map(|d| state.config.calendar.working_days_between(today, d))
                        .unwrap_or(0),
                }
            })
            .collect(),
        history: None,
    };
    Ok((StatusCode::CREATED, Json(dto)))
}

pub(crate) async fn read(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<CaseDto>, Error> {
    let Path(reference) = path?;
    // The case and its history in one store call (one statement), not `visible_case` and then
    // `case_events`: reading a case is the busiest request staff make.
    let reference = canonical_reference(&reference)?;
    let found = state.store.case_with_history(&reference).await?.ok_or(Error::NotFound)?;
    check_visible(&staff, &found.case)?;
    Ok(Json(case_dto(&state, found.case, Some(found.history))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    status: Option<String>,
    category: Option<String>,
    institution: Option<String>,
    overdue: Option<bool>,
    q: Option<String>,
    /// Created on or after this date (YYYY-MM-DD, Sofia time).
    from: Option<String>,
    /// Created on or before this date.
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub(crate) struct CaseSummaryDto {
    id: i64,
    reference: String,
    channel: &'static str,
    category_id: i64,
    status: &'static str,
    received_on: String,
    created_at: i64,
    next_deadline: Option<String>,
}

fn summary_dto(s: store::CaseSummary) -> CaseSummaryDto {
    CaseSummaryDto {
        id: s.id,
        reference: s.reference,
        channel: s.channel.as_str(),
        category_id: s.category_id,
        status: s.status.as_str(),
        received_on: s.received_on,
        created_at: s.created_at,
        next_deadline: s.next_deadline,
    }
}

fn sofia_midnight(field: &'static str, text: &str, days_after: i64) -> Result<i64, Error> {
    let date: Date = text.trim().parse().map_err(|_| Error::invalid(field, "use YYYY-MM-DD"))?;
    let date = date.add_days(days_after).ok_or_else(|| Error::invalid(field, "out of range"))?;
    let midnight = calendar::Time::new(0, 0).map_err(|_| Error::Internal("midnight".into()))?;
    Ok(Timestamp::from_sofia(date, midnight).earliest().unix_millis())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Auth(staff): Auth,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<CaseSummaryDto>>, Error> {
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(Error::invalid("limit", "must be between 1 and 500"));
    }
    let status = match trimmed(query.status) {
        None => None,
        Some(text) => Some(
            CaseStatus::parse(&text).ok_or_else(|| Error::invalid("status", "use new, in_progress or resolved"))?,
        ),
    };
    let category_id = match trimmed(query.category) {
        None => None,
        Some(code) => Some(
            state.store.category_by_code(&code).await?.ok_or_else(|| Error::invalid("category", "no such category"))?.id,
        ),
    };
    let institution_id = match trimmed(query.institution) {
        None => None,
        Some(code) => Some(
            state
                .store
                .institution_by_code(&code)
                .await?
                .ok_or_else(|| Error::invalid("institution", "no such institution"))?
                .id,
        ),
    };
    let before_id = match trimmed(query.cursor) {
        None => None,
        Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| Error::invalid("cursor", "not a cursor"))?),
    };
    let filter = store::CaseFilter {
        status,
        category_id,
        institution_id,
        overdue_on: query.overdue.filter(|o| *o).map(|_| today().to_string()),
        text: optional_text("q", query.q, 200)?,
        created_from: trimmed(query.from).map(|d| sofia_midnight("from", &d, 0)).transpose()?,
        created_to: trimmed(query.to).map(|d| sofia_midnight("to", &d, 1)).transpose()?,
        scope_institution: staff.institution_scope(),
        before_id,
        limit,
    };
    let items = state.store.list_cases(&filter).await?;
    let next_cursor =
        if items.len() as i64 == limit { items.last().map(|last| last.id.to_string()) } else { None };
    Ok(Json(Page { items: items.into_iter().map(summary_dto).collect(), next_cursor }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventInput {
    /// `public_update` (the citizen sees it) or `note` (staff only).
    kind: String,
    body: String,
    /// The institution the update is from (officers: always their own).
    institution: Option<String>,
}

pub(crate) async fn add_event(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<EventInput>, JsonRejection>,
) -> Result<(StatusCode, Json<EventDto>), Error> {
    let Path(reference) = path?;
    let input = body?.0;
    let case = visible_case(&state, &staff, &reference).await?;
    let public = match input.kind.trim() {
        "public_update" => true,
        "note" => false,
        _ => return Err(Error::invalid("kind", "use public_update or note")),
    };
    let text = required_text("body", &input.body, 10_000)?;
    let institution_id = match (staff.institution_scope(), trimmed(input.institution)) {
        (Some(own), _) => Some(own),
        (None, None) => None,
        (None, Some(code)) => {
            let institution = state
                .store
                .institution_by_code(&code)
                .await?
                .ok_or_else(|| Error::invalid("institution", "no such institution"))?;
            Some(institution.id)
        }
    };
    let event = state
        .store
        .add_case_event(&store::NewCaseEvent {
            case_id: case.id,
            institution_id,
            actor_user_id: Some(staff.user_id),
            kind: if public { "public_update".into() } else { "note".into() },
            public,
            body: text,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(EventDto {
            id: event.id,
            at: event.at,
            kind: event.kind,
            public: event.public,
            institution_id: event.institution_id,
            actor_user_id: event.actor_user_id,
            body: event.body,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignmentInput {
    status: String,
    reason: Option<String>,
    /// When forwarding: the code of the institution that takes over.
    forward_to: Option<String>,
}

pub(crate) async fn change_assignment(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<AssignmentInput>, JsonRejection>,
) -> Result<Json<CaseDto>, Error> {
    let Path((reference, institution_code)) = path?;
    let input = body?.0;
    let case = visible_case(&state, &staff, &reference).await?;
    let institution =
        state.store.institution_by_code(&institution_code).await?.ok_or(Error::NotFound)?;
    if !staff.may_work_on(institution.id) {
        return Err(Error::Forbidden);
    }
    let to = AssignmentStatus::parse(input.status.trim())
        .ok_or_else(|| Error::invalid("status", "unknown assignment status"))?;
    let forward_to = match trimmed(input.forward_to) {
        None => None,
        Some(code) => {
            let target = state
                .store
                .institution_by_code(&code)
                .await?
                .ok_or_else(|| Error::invalid("forward_to", "no such institution"))?;
            // АПК: the competent body gets 7 days to be reached; its own period runs from receipt,
            // which is today.
            let category = state.store.category(case.category_id).await?.ok_or(Error::NotFound)?;
            let deadline = deadline_for(&state, &category, case.submission_kind, today())?;
            Some(store::NewAssignment { institution_id: target.id, deadline })
        }
    };
    let reason = optional_text("reason", input.reason, 2_000)?;
    let case = state
        .store
        .change_assignment(&store::AssignmentChange {
            case_id: case.id,
            institution_id: institution.id,
            to,
            actor_user_id: Some(staff.user_id),
            reason,
            forward_to,
        })
        .await?;
    Ok(Json(case_dto(&state, case, None)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddAssignmentInput {
    institution: String,
}

pub(crate) async fn add_assignment(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<AddAssignmentInput>, JsonRejection>,
) -> Result<(StatusCode, Json<CaseDto>), Error> {
    let Path(reference) = path?;
    let input = body?.0;
    let case = visible_case(&state, &staff, &reference).await?;
    let institution = state
        .store
        .institution_by_code(input.institution.trim())
        .await?
        .ok_or_else(|| Error::invalid("institution", "no such institution"))?;
    let category = state.store.category(case.category_id).await?.ok_or(Error::NotFound)?;
    let deadline = deadline_for(&state, &category, case.submission_kind, today())?;
    let case = state
        .store
        .add_assignment(&store::NewAssignmentOnCase {
            case_id: case.id,
            assignment: store::NewAssignment { institution_id: institution.id, deadline },
            actor_user_id: Some(staff.user_id),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(case_dto(&state, case, None))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadQuery {
    filename: Option<String>,
    #[serde(default)]
    public: bool,
}

#[derive(Serialize)]
pub(crate) struct AttachmentDto {
    id: i64,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    public: bool,
    created_at: i64,
}

fn attachment_dto(a: store::Attachment) -> AttachmentDto {
    AttachmentDto {
        id: a.id,
        filename: a.filename,
        content_type: a.content_type,
        size: a.size,
        sha256: a.sha256,
        public: a.public,
        created_at: a.created_at,
    }
}

pub(crate) async fn upload_attachment(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<AttachmentDto>), Error> {
    let Path(reference) = path?;
    let Query(query) = query?;
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE { Error::TooLarge } else { Error::BadRequest(rejection.body_text()) }
    })?;
    let case = visible_case(&state, &staff, &reference).await?;
    if bytes.is_empty() {
        return Err(Error::invalid("body", "the file is empty"));
    }
    let content_type = sniff_content_type(&bytes).ok_or(Error::UnsupportedMedia)?;
    let filename = optional_text("filename", query.filename, 200)?
        .map(|name| name.replace(['/', '\\', '\0'], "_"))
        .unwrap_or_else(|| "attachment".to_owned());
    let sha256 = hex(&Sha256::digest(&bytes));
    let size = bytes.len() as i64;
    write_durably(attachment_path(&state, &sha256), bytes)
        .await
        .map_err(|err| Error::Internal(format!("store attachment: {err}")))?;
    let attachment = state
        .store
        .add_attachment(&store::NewAttachment {
            case_id: case.id,
            sha256,
            filename,
            content_type: content_type.to_owned(),
            size,
            public: query.public,
            actor_user_id: Some(staff.user_id),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(attachment_dto(attachment))))
}

pub(crate) async fn list_attachments(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<AttachmentDto>>, Error> {
    let Path(reference) = path?;
    let case = visible_case(&state, &staff, &reference).await?;
    let attachments = state.store.attachments(case.id).await?;
    Ok(Json(attachments.into_iter().map(attachment_dto).collect()))
}

pub(crate) async fn download_attachment(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, Error> {
    let Path(id) = path?;
    let attachment = state.store.attachment(id).await?.ok_or(Error::NotFound)?;
    let case = state
        .store
        .case_by_id(store::CaseCreated { id: attachment.case_id, reference: String::new() })
        .await?
        .ok_or(Error::NotFound)?;
    if !staff.may_see(&case.institution_ids()) {
        return Err(Error::NotFound);
    }
    let bytes = tokio::fs::read(attachment_path(&state, &attachment.sha256))
        .await
        .map_err(|err| Error::Internal(format!("read attachment: {err}")))?;
    let mut headers = HeaderMap::new();
    if let Ok(value) = attachment.content_type.parse() {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_DISPOSITION, header::HeaderValue::from_static("attachment"));
    Ok((headers, bytes).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhoneQuery {
    phone: String,
}

#[derive(Serialize)]
pub(crate) struct CitizenCasesDto {
    citizen: CitizenDto,
    cases: Vec<CaseSummaryDto>,
}

/// The agent's screen pop: who is calling, and their earlier cases.
pub(crate) async fn citizens_by_phone(
    State(state): State<AppState>,
    Auth(staff): Auth,
    query: Result<Query<PhoneQuery>, QueryRejection>,
) -> Result<Json<Vec<CitizenCasesDto>>, Error> {
    if staff.institution_scope().is_some() {
        return Err(Error::Forbidden);
    }
    let Query(query) = query?;
    let phone =
        domain::normalize_phone(&query.phone).ok_or_else(|| Error::invalid("phone", "not a phone number"))?;
    let found = state.store.citizens_by_phone(&phone).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|f| CitizenCasesDto {
                citizen: CitizenDto {
                    id: f.citizen.id,
                    name: f.citizen.name,
                    phone: f.citizen.phone,
                    email: f.citizen.email,
                    consent_contact: f.citizen.consent_contact,
                },
                cases: f.cases.into_iter().map(summary_dto).collect(),
            })
            .collect(),
    ))
}
