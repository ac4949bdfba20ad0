//! Following a case with its reference and tracking code: the public timeline, each institution's
//! part with its deadline, adding information, and confirming or disputing a resolution.
//!
//! A wrong code and an unknown reference get the same page and status, and the code is compared
//! in constant time (as fixed-length digests, so its length does not leak either).

use std::collections::HashMap;

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use calendar::{Date, Timestamp};
use domain::AssignmentStatus;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::form::{self, FormProblem, PhotoProblem};
use super::i18n::{self, Lang};
use super::{FieldError, Layout, error_page, find_error, internal_error, render, url_encode};
use crate::register::today;
use crate::{AppState, Error};

#[derive(Template)]
#[template(path = "portal/track.html")]
pub(crate) struct TrackPage {
    l: Layout,
    reference: String,
    code: String,
    errors: Vec<FieldError>,
}

pub(crate) struct PartRow {
    institution: String,
    status: &'static str,
    deadline: String,
    left: String,
}

pub(crate) struct EventRow {
    iso: String,
    when: String,
    text: String,
}

#[derive(Template)]
#[template(path = "portal/case.html")]
pub(crate) struct CasePage {
    l: Layout,
    reference: String,
    code: String,
    topic: String,
    received: String,
    status: &'static str,
    parts: Vec<PartRow>,
    events: Vec<EventRow>,
    can_resolve: bool,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
    info_message: String,
    reason: String,
}

impl CasePage {
    fn error(&self, id: &str) -> Option<&str> {
        find_error(&self.errors, id)
    }
}

/// What the citizen sent that is shown again, with its errors, when a form is refused.
#[derive(Default)]
pub(crate) struct Draft {
    errors: Vec<FieldError>,
    info_message: String,
    reason: String,
}

#[derive(Deserialize)]
pub(crate) struct TrackQuery {
    #[serde(rename = "ref")]
    reference: Option<String>,
    code: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ActionForm {
    #[serde(rename = "ref")]
    reference: String,
    code: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    website: String,
}

/// Compares two secrets in time independent of where they differ and of their lengths.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The case with this reference, if the code is its tracking code; otherwise `None`, the same
/// for an unknown reference, a malformed one or a wrong code.
pub(crate) async fn find_case(state: &AppState, reference: &str, code: &str) -> Result<Option<store::Case>, Error> {
    let case = match domain::Reference::parse(reference) {
        Ok(reference) => state.store.case_by_reference(&reference.to_string()).await?,
        Err(_) => None,
    };
    let code = code.trim().to_ascii_lowercase();
    // Compare against something even when there is no case, so both paths do the same work.
    let expected = case.as_ref().map(|c| c.tracking_code.as_str()).unwrap_or("0000000000000000");
    let matches = same_secret(expected, &code) && !code.is_empty();
    Ok(case.filter(|_| matches))
}

fn not_found(lang: Lang, uri: &Uri, reference: &str, code: &str) -> Response {
    let t = lang.strings();
    let page = TrackPage {
        l: Layout::new(lang, uri, "track", t.track_title, true),
        reference: reference.trim().to_owned(),
        code: code.trim().to_owned(),
        errors: vec![FieldError { id: "ref", message: t.track_not_found }],
    };
    render(StatusCode::NOT_FOUND, &page)
}

pub(crate) async fn case_page(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    case: &store::Case,
    code: &str,
    notice: Option<&'static str>,
    draft: Draft,
) -> Result<CasePage, Error> {
    let t = lang.strings();
    let Draft { errors, info_message, reason } = draft;
    let institutions: HashMap<i64, String> = state
        .store
        .institutions()
        .await?
        .into_iter()
        .map(|i| (i.id, if lang == Lang::Bg { i.name_bg } else { i.name_en }))
        .collect();
    let topic = state
        .store
        .category(case.category_id)
        .await?
        .map(|c| if lang == Lang::Bg { c.name_bg } else { c.name_en })
        .unwrap_or_default();
    let today = today();
    let parts = case
        .assignments
        .iter()
        .map(|a| {
            let deadline = a.deadline.parse::<Date>().ok();
            let left = match deadline {
                _ if a.status == AssignmentStatus::Done => t.done_label.to_owned(),
                _ if a.status.is_closed() => "—".to_owned(),
                Some(deadline) => i18n::working_days_left(lang, state.config.calendar.working_days_between(today, deadline)),
                None => "—".to_owned(),
            };
            PartRow {
                institution: institutions.get(&a.institution_id).cloned().unwrap_or_default(),
                status: i18n::assignment_status(lang, a.status),
                deadline: deadline.map(i18n::date).unwrap_or_else(|| a.deadline.clone()),
                left,
            }
        })
        .collect();
    let events = state
        .store
        .case_events(case.id)
        .await?
        .into_iter()
        .filter(|e| e.public)
        .map(|e| {
            let at = Timestamp::from_unix_millis(e.at);
            let institution = e.institution_id.and_then(|id| institutions.get(&id)).map(String::as_str);
            EventRow {
                iso: at.map(|at| at.to_string()).unwrap_or_default(),
                when: at.map(|at| i18n::date_time(&at.to_sofia())).unwrap_or_default(),
                text: i18n::event_text(lang, &e.kind, &e.body, institution),
            }
        })
        .collect();
    let received = case.received_on.parse::<Date>().map(i18n::date).unwrap_or_else(|_| case.received_on.clone());
    Ok(CasePage {
        l: Layout::new(lang, uri, "track", &format!("{} {}", t.case_title, case.reference), !errors.is_empty()),
        reference: case.reference.clone(),
        code: code.trim().to_ascii_lowercase(),
        topic,
        received,
        status: i18n::case_status(lang, case.status),
        parts,
        events,
        can_resolve: case.assignments.iter().any(|a| a.status == AssignmentStatus::Done),
        notice,
        errors,
        info_message,
        reason,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<TrackQuery>, QueryRejection>,
) -> Response {
    let lang = super::lang_of(&headers, &uri);
    let t = lang.strings();
    let query = query.map(|q| q.0).unwrap_or(TrackQuery { reference: None, code: None, done: None });
    let reference = query.reference.unwrap_or_default();
    let code = query.code.unwrap_or_default();
    if reference.trim().is_empty() && code.trim().is_empty() {
        let page = TrackPage { l: Layout::new(lang, &uri, "track", t.track_title, false), reference, code, errors: Vec::new() };
        return render(StatusCode::OK, &page);
    }
    let case = match find_case(&state, &reference, &code).await {
        Ok(Some(case)) => case,
        Ok(None) => return not_found(lang, &uri, &reference, &code),
        Err(err) => return internal_error(&state, lang, &uri, err),
    };
    let notice = match query.done.as_deref() {
        Some("info") => Some(t.notice_info),
        Some("confirmed") => Some(t.notice_confirmed),
        Some("disputed") => Some(t.notice_disputed),
        _ => None,
    };
    match case_page(&state, lang, &uri, &case, &code, notice, Draft::default()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => internal_error(&state, lang, &uri, err),
    }
}

/// After a change: back to the case page (post/redirect/get), with a notice.
fn see_case(lang: Lang, case: &store::Case, code: &str, done: &str) -> Response {
    let location = format!(
        "/track?ref={}&code={}&done={done}&lang={}#notice",
        url_encode(&case.reference),
        url_encode(&code.trim().to_ascii_lowercase()),
        lang.code()
    );
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn rerender(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    case: &store::Case,
    code: &str,
    draft: Draft,
) -> Response {
    match case_page(state, lang, uri, case, code, None, draft).await {
        Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(err) => internal_error(state, lang, uri, err),
    }
}

pub(crate) async fn info(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = super::lang_of(&headers, &uri);
    let t = lang.strings();
    let form = match multipart {
        Ok(multipart) => form::read(multipart, state.config.max_attachment_bytes, 1).await,
        Err(_) => Err(FormProblem::Malformed),
    };
    let form = match form {
        Ok(form) => form,
        Err(FormProblem::TooLarge) => {
            return error_page(lang, &uri, StatusCode::PAYLOAD_TOO_LARGE, t.errors_heading, t.err_too_large, None);
        }
        Err(FormProblem::Malformed) => {
            return error_page(lang, &uri, StatusCode::BAD_REQUEST, t.errors_heading, t.err_generic, Some(&state.config.portal.phone_number));
        }
    };
    let (reference, code) = (form.text("ref"), form.text("code"));
    let case = match find_case(&state, &reference, &code).await {
        Ok(Some(case)) => case,
        Ok(None) => return not_found(lang, &uri, &reference, &code),
        Err(err) => return internal_error(&state, lang, &uri, err),
    };
    let message = form.text("message");
    let mut errors = Vec::new();
    if message.is_empty() {
        errors.push(FieldError { id: "message", message: t.err_message });
    } else if message.chars().count() > crate::register::MAX_DESCRIPTION_CHARS {
        errors.push(FieldError { id: "message", message: t.err_description_long });
    }
    let photo = match form.files_named("photo").first() {
        None => None,
        Some(bytes) => match form::clean_photo(bytes) {
            Ok(photo) => Some(photo),
            Err(PhotoProblem::Type) => {
                errors.push(FieldError { id: "photo", message: t.err_photo_type });
                None
            }
            Err(PhotoProblem::Broken) => {
                errors.push(FieldError { id: "photo", message: t.err_photo_broken });
                None
            }
        },
    };
    if !form.text("website").is_empty() {
        errors.push(FieldError { id: "message", message: t.err_honeypot });
    }
    if !errors.is_empty() {
        return rerender(&state, lang, &uri, &case, &code, Draft { errors, info_message: message, reason: String::new() }).await;
    }
    let event = store::NewCaseEvent {
        case_id: case.id,
        institution_id: None,
        actor_user_id: None,
        kind: "citizen_message".into(),
        public: true,
        body: message,
    };
    if let Err(err) = state.store.add_case_event(&event).await {
        return internal_error(&state, lang, &uri, err);
    }
    if let Some(photo) = photo {
        let filename = if photo.content_type == "image/png" { "photo.png" } else { "photo.jpg" };
        if let Err(err) = crate::attachments::save(&state, case.id, photo.bytes, photo.content_type, filename, false).await {
            return internal_error(&state, lang, &uri, err);
        }
    }
    see_case(lang, &case, &code, "info")
}

async fn action_case(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Result<(store::Case, ActionForm), Response> {
    let t = lang.strings();
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(error_page(lang, uri, StatusCode::PAYLOAD_TOO_LARGE, t.errors_heading, t.err_too_large, None));
        }
        Err(_) => {
            return Err(error_page(lang, uri, StatusCode::BAD_REQUEST, t.errors_heading, t.err_generic, Some(&state.config.portal.phone_number)));
        }
    };
    if !form.website.is_empty() {
        return Err(error_page(lang, uri, StatusCode::UNPROCESSABLE_ENTITY, t.errors_heading, t.err_honeypot, None));
    }
    match find_case(state, &form.reference, &form.code).await {
        Ok(Some(case)) => Ok((case, form)),
        Ok(None) => Err(not_found(lang, uri, &form.reference, &form.code)),
        Err(err) => Err(internal_error(state, lang, uri, err)),
    }
}

pub(crate) async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let lang = super::lang_of(&headers, &uri);
    let (case, form) = match action_case(&state, lang, &uri, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !case.assignments.iter().any(|a| a.status == AssignmentStatus::Done) {
        return see_case(lang, &case, &form.code, "none");
    }
    let event = store::NewCaseEvent {
        case_id: case.id,
        institution_id: None,
        actor_user_id: None,
        kind: "citizen_confirmed".into(),
        public: true,
        body: "confirmed".into(),
    };
    if let Err(err) = state.store.add_case_event(&event).await {
        return internal_error(&state, lang, &uri, err);
    }
    see_case(lang, &case, &form.code, "confirmed")
}

pub(crate) async fn dispute(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Response {
    let lang = super::lang_of(&headers, &uri);
    let t = lang.strings();
    let (case, form) = match action_case(&state, lang, &uri, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2_000 {
        let errors = vec![FieldError { id: "reason", message: t.err_reason }];
        return rerender(&state, lang, &uri, &case, &form.code, Draft { errors, info_message: String::new(), reason }).await;
    }
    let done: Vec<i64> = case
        .assignments
        .iter()
        .filter(|a| a.status == AssignmentStatus::Done)
        .map(|a| a.institution_id)
        .collect();
    if done.is_empty() {
        return see_case(lang, &case, &form.code, "none");
    }
    let event = store::NewCaseEvent {
        case_id: case.id,
        institution_id: None,
        actor_user_id: None,
        kind: "citizen_disputed".into(),
        public: true,
        body: reason.clone(),
    };
    if let Err(err) = state.store.add_case_event(&event).await {
        return internal_error(&state, lang, &uri, err);
    }
    // Each finished part goes back to work, with the citizen's reason in its history.
    for institution_id in done {
        let change = store::AssignmentChange {
            case_id: case.id,
            institution_id,
            to: AssignmentStatus::InProgress,
            actor_user_id: None,
            reason: Some(reason.clone()),
            forward_to: None,
        };
        match state.store.change_assignment(&change).await {
            Ok(_) => {}
            // Someone changed it meanwhile (it is no longer done): nothing to reopen.
            Err(store::Error::Rule(_)) => {}
            Err(err) => return internal_error(&state, lang, &uri, err),
        }
    }
    see_case(lang, &case, &form.code, "disputed")
}
