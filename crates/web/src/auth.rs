//! Staff authentication: argon2id passwords, opaque session tokens, and the `Auth` extractor.
//!
//! A token is 32 random bytes shown to the client once; only its SHA-256 is stored. It travels
//! as `Authorization: Bearer …` (API clients) or in the `civicline_session` cookie (the browser,
//! `HttpOnly` and `SameSite=Strict`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use domain::Staff;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{AppState, Error};

pub(crate) const COOKIE_NAME: &str = "civicline_session";

/// Hashes a password with argon2id and a random salt, as a PHC string. Slow by design: call it
/// off the async runtime (`spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| Error::Internal(format!("hash password: {err}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a password nobody knows, verified for unknown users so that the answer takes as
/// long as for a wrong password (no user enumeration by timing).
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no such user").unwrap_or_default())
}

pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut acc, b| {
        let _ = write!(acc, "{b:02x}");
        acc
    })
}

pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex(&buf)
}

/// The authenticated staff member of a request.
pub(crate) struct Auth(pub(crate) Staff);

impl FromRequestParts<AppState> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, Error> {
        let token = bearer_token(&parts.headers)
            .or_else(|| cookie_token(&parts.headers))
            .ok_or(Error::Unauthenticated)?;
        let user = state
            .store
            .session_user(&token_hash(&token))
            .await?
            .ok_or(Error::Unauthenticated)?;
        Ok(Auth(Staff { user_id: user.id, role: user.role, institution_id: user.institution_id }))
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_owned())
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(|cookies| {
        cookies.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE_NAME).then(|| value.to_owned())
        })
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub(crate) struct LoginResponse {
    token: String,
    expires_at: i64,
    user: crate::api::UserDto,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Error> {
    let Json(request) = body?;
    let user = state.store.user_by_username(request.username.trim()).await?;
    let (hash, user) = match user {
        Some(user) if user.active => (user.password_hash.clone(), Some(user)),
        _ => (dummy_hash().to_owned(), None),
    };
    let password = request.password;
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|err| Error::Internal(format!("verify password: {err}")))?;
    let Some(user) = user.filter(|_| verified) else {
        return Err(Error::Unauthenticated);
    };
    let token = random_token(32);
    let expires_at = store::now() + state.config.session_ttl_seconds * 1000;
    state.store.create_session(&token_hash(&token), user.id, expires_at).await?;
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        state.config.session_ttl_seconds
    );
    let mut response =
        Json(LoginResponse { token, expires_at, user: crate::api::UserDto::from(&user) }).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}

pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Error> {
    let token = bearer_token(&headers).or_else(|| cookie_token(&headers)).ok_or(Error::Unauthenticated)?;
    state.store.delete_session(&token_hash(&token)).await?;
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    let expired = format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}
