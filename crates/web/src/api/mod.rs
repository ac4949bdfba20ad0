//! The REST API under `/api/v1`: routes, JSON shapes and their conversions.

mod admin;
mod calls;
mod cases;
mod open311_keys;
pub(crate) mod phone;
pub(crate) mod queues;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, get, post, put};
use serde::Serialize;

pub(crate) use admin::UserDto;

use crate::{AppState, MAX_JSON_BYTES, auth, openapi};

/// Every route of the API, relative to `/api/v1`. The OpenAPI document is checked against this
/// table, in both directions.
pub(crate) fn routes(state: &AppState) -> Vec<(&'static str, MethodRouter<AppState>)> {
    let attachment_limit = state.config.max_attachment_bytes;
    vec![
        ("/openapi.json", get(openapi::document)),
        ("/auth/login", post(auth::login)),
        ("/auth/logout", post(auth::logout)),
        ("/me", get(admin::me)),
        ("/cases", get(cases::list).post(cases::create)),
        ("/cases/{reference}", get(cases::read)),
        ("/cases/{reference}/events", post(cases::add_event)),
        ("/cases/{reference}/assignments", post(cases::add_assignment)),
        ("/cases/{reference}/assignments/{institution}", put(cases::change_assignment)),
        (
            "/cases/{reference}/attachments",
            get(cases::list_attachments)
                .post(cases::upload_attachment)
                .layer(DefaultBodyLimit::max(attachment_limit)),
        ),
        ("/attachments/{id}", get(cases::download_attachment)),
        ("/citizens", get(cases::citizens_by_phone)),
        ("/calls", get(calls::list)),
        ("/queues/live", get(queues::live)),
        ("/queues/live/events", get(queues::live_events)),
        ("/queues/stats", get(queues::stats)),
        ("/staffing/erlang-c", get(queues::erlang_c)),
        ("/agents/{agent}/state", put(phone::set_agent_state)),
        ("/agents/{agent}/transfer", post(phone::transfer)),
        ("/agents/{agent}/queues", put(phone::set_agent_queues)),
        ("/flags/{name}", put(phone::set_flag)),
        ("/institutions", get(admin::list_institutions).post(admin::create_institution)),
        ("/institutions/{code}", put(admin::update_institution)),
        ("/categories", get(admin::list_categories).post(admin::create_category)),
        ("/users", get(admin::list_users).post(admin::create_user)),
        ("/open311/keys", get(open311_keys::list_keys).post(open311_keys::issue_key)),
        ("/open311/keys/{id}", put(open311_keys::change_key)),
        ("/categories/{code}/attributes", get(open311_keys::list_attributes).put(open311_keys::set_attributes)),
    ]
}

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    routes(state)
        .into_iter()
        .fold(Router::new(), |router, (path, method_router)| router.route(path, method_router))
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .fallback(not_found)
}

async fn not_found() -> crate::Error {
    crate::Error::NotFound
}

/// A page of a list with the cursor for the next page.
#[derive(Serialize)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_cursor: Option<String>,
}

/// Trims an optional text field, treating blank as absent.
pub(crate) fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Checks a required text field's length in characters.
pub(crate) fn required_text(
    field: &'static str,
    text: &str,
    max_chars: usize,
) -> Result<String, crate::Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(crate::Error::invalid(field, "must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(crate::Error::invalid(field, format!("must be at most {max_chars} characters")));
    }
    Ok(text.to_owned())
}

pub(crate) fn optional_text(
    field: &'static str,
    text: Option<String>,
    max_chars: usize,
) -> Result<Option<String>, crate::Error> {
    trimmed(text).map(|t| required_text(field, &t, max_chars)).transpose()
}
