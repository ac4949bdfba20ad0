//! The one error type of the HTTP layer and its stable codes.
//!
//! Every error answer has the shape `{"error": {"code": "...", "message": "..."}}`. Codes are a
//! contract, listed in `docs/api-design.md`; messages are for people and may change. Internal
//! causes never reach the client: they travel in a response extension to the logging middleware,
//! which logs them once.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a request failed.
#[derive(Debug)]
pub enum Error {
    /// No or an invalid session token.
    Unauthenticated,
    /// Authenticated, but the role or institution does not allow it.
    Forbidden,
    /// The resource does not exist, or the caller may not know that it does.
    NotFound,
    /// The body is not valid JSON, or has unknown, missing or mistyped fields.
    BadRequest(String),
    /// A field's value is not acceptable; names the field.
    Invalid { field: &'static str, message: String },
    /// The change conflicts with existing data (a duplicate code).
    Conflict(String),
    /// The change breaks a rule of the case workflow.
    Rule(String),
    /// The body is larger than allowed.
    TooLarge,
    /// The attachment's content is not an allowed type.
    UnsupportedMedia,
    /// A part of the system this needs is not running (the phone switch is off).
    Unavailable,
    /// Anything else; the cause is logged, not shown.
    Internal(String),
}

/// The cause of a 500, carried to the logging middleware.
#[derive(Clone)]
pub(crate) struct InternalCause(pub(crate) String);

impl Error {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Error {
        Error::Invalid { field, message: message.into() }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::BadRequest(_) => "bad_request",
            Error::Invalid { .. } => "invalid_field",
            Error::Conflict(_) => "conflict",
            Error::Rule(_) => "rule_violation",
            Error::TooLarge => "too_large",
            Error::UnsupportedMedia => "unsupported_media_type",
            Error::Unavailable => "unavailable",
            Error::Internal(_) => "internal",
        }
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            Error::Unauthenticated => StatusCode::UNAUTHORIZED,
            Error::Forbidden => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Invalid { .. } | Error::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> String {
        match self {
            Error::Unauthenticated => "log in first".into(),
            Error::Forbidden => "not allowed for your role or institution".into(),
            Error::NotFound => "not found".into(),
            Error::BadRequest(message) | Error::Conflict(message) | Error::Rule(message) => {
                message.clone()
            }
            Error::Invalid { field, message } => format!("{field}: {message}"),
            Error::TooLarge => "the body is too large".into(),
            Error::UnsupportedMedia => "this type of file is not accepted".into(),
            Error::Unavailable => "the phone switch is not running".into(),
            Error::Internal(_) => "internal error; it has been logged".into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for Error {}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code(), "message": self.message()}});
        if let Error::Invalid { field, .. } = &self {
            body["error"]["field"] = json!(field);
        }
        let mut response = (self.status_code(), Json(body)).into_response();
        if let Error::Internal(cause) = self {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}

impl From<store::Error> for Error {
    fn from(err: store::Error) -> Error {
        match err {
            store::Error::NotFound => Error::NotFound,
            store::Error::Conflict(what) => Error::Conflict(format!("conflicts with existing data ({what})")),
            store::Error::Rule(why) => Error::Rule(why),
            store::Error::Connect(_) | store::Error::Database(_) => Error::Internal(err.to_string()),
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for Error {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Error {
        use axum::extract::rejection::JsonRejection;
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Error::TooLarge;
        }
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Error::BadRequest("send Content-Type: application/json".into())
            }
            other => Error::BadRequest(other.body_text()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for Error {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Error {
        Error::BadRequest(rejection.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for Error {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Error {
        Error::BadRequest(rejection.body_text())
    }
}
