//! The citizens' portal: server-rendered pages at `/` to submit and follow cases.
//!
//! Every page is plain HTML from askama templates with a small inline style sheet: no scripts,
//! no external fonts, no frameworks, so it works with JavaScript off and weighs a few kilobytes.
//! The only outside resource is the optional map on the submit form ([`map`]), whose tiles the
//! citizen's browser loads from the configured tile server.
//! Bulgarian is the default; `?lang=en` switches to English and a cookie remembers the choice.
//! All texts live in one table ([`i18n`]).
//!
//! Registration goes through the same path as the REST API ([`crate::register`]). Abuse
//! resistance: form posts are rate-limited per client address ([`limit`]), carry a honeypot
//! field, and have body size limits; a case is shown only for a matching reference and tracking
//! code, and every mismatch gets the same answer as an unknown reference.

mod form;
mod home;
mod i18n;
mod limit;
mod map;
mod submit;
mod track;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::InternalCause;
use i18n::{Lang, Strings};
use limit::RateLimiter;

/// The portal's settings, validated by the server's configuration stage.
#[derive(Debug, Clone)]
pub struct Config {
    /// The one phone number, as shown, e.g. `0800 11 032`.
    pub phone_number: String,
    /// The contact centre's opening hours on the Bulgarian calendar.
    pub hours: calendar::OpeningHours,
    /// A map tile server; when set, the submit form also asks for coordinates.
    pub tile_url: Option<String>,
    /// Form posts allowed per client address and minute.
    pub posts_per_minute: u32,
}

/// A portal configuration for tests elsewhere in the crate.
#[cfg(test)]
pub(crate) fn test_config() -> Config {
    Config {
        phone_number: "0800 11 032".into(),
        hours: calendar::OpeningHours::parse("mon-fri 08:30-17:30").unwrap_or_else(|err| panic!("{err}")),
        tile_url: None,
        posts_per_minute: 1000,
    }
}

/// The most photos one submission may carry.
pub(crate) const MAX_PHOTOS: usize = 3;
/// Room for the text fields of a form beside its files.
const FORM_TEXT_BYTES: usize = 256 * 1024;
const LANG_COOKIE: &str = "civicline_lang";

/// The portal's style sheet, inlined into every page.
pub(crate) const CSS: &str = include_str!("../../templates/portal/portal.css");

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let limiter = Arc::new(RateLimiter::per_minute(state.config.portal.posts_per_minute));
    let max_file = state.config.max_attachment_bytes;
    // A tile origin is checked to be a plain host name, so the first never fails; if it did, the
    // page would still carry the policy without the map.
    let csp = HeaderValue::from_str(&content_security_policy(state.config.portal.tile_url.as_deref()))
        .or_else(|_| HeaderValue::from_str(&content_security_policy(None)))
        .ok();
    Router::new()
        .route("/", get(home::page))
        .route(
            "/submit",
            get(submit::form).post(submit::post).layer(DefaultBodyLimit::max(
                MAX_PHOTOS.saturating_mul(max_file).saturating_add(FORM_TEXT_BYTES),
            )),
        )
        .route("/track", get(track::page))
        .route(
            "/track/info",
            post(track::info).layer(DefaultBodyLimit::max(max_file.saturating_add(FORM_TEXT_BYTES))),
        )
        .route("/track/confirm", post(track::confirm).layer(DefaultBodyLimit::max(FORM_TEXT_BYTES)))
        .route("/track/dispute", post(track::dispute).layer(DefaultBodyLimit::max(FORM_TEXT_BYTES)))
        .fallback(not_found)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let limiter = limiter.clone();
            async move { limit_posts(&limiter, request, next).await }
        }))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let csp = csp.clone();
            async move { page_headers(csp, request, next).await }
        }))
}

/// Refuses form posts beyond the per-address rate.
async fn limit_posts(limiter: &RateLimiter, request: Request, next: Next) -> Response {
    if request.method() == Method::POST {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        if !limiter.allow(peer, Instant::now()) {
            let lang = lang_of(request.headers(), request.uri());
            let t = lang.strings();
            let mut response = error_page(lang, request.uri(), StatusCode::TOO_MANY_REQUESTS, t.errors_heading, t.err_too_many, None);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return response;
        }
    }
    next.run(request).await
}

/// The style sheet's CSP hash, `sha256-…`.
fn css_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| format!("sha256-{}", base64(&Sha256::digest(CSS.as_bytes()))))
}

/// The portal's content security policy. Images come from the portal itself and, when a map
/// is configured, from the tile server's origin (the citizen's browser fetches the tiles).
fn content_security_policy(tile_url: Option<&str>) -> String {
    let img_src = match tile_url.and_then(map::tile_origin) {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    format!(
        "default-src 'none'; style-src '{}'; img-src {img_src}; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
        css_hash()
    )
}

/// Security headers on every portal response, and the language cookie when `?lang=` chose one.
async fn page_headers(csp: Option<HeaderValue>, request: Request, next: Next) -> Response {
    let chosen = query_param(request.uri(), "lang").and_then(|lang| Lang::parse(&lang));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(csp) = csp {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    // Case pages carry the tracking code: never store them anywhere.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(lang) = chosen {
        let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

async fn not_found(headers: HeaderMap, uri: Uri) -> Response {
    let lang = lang_of(&headers, &uri);
    let t = lang.strings();
    error_page(lang, &uri, StatusCode::NOT_FOUND, t.err_not_found_title, t.err_not_found_title, None)
}

/// The page's language: `?lang=`, else the cookie, else Bulgarian.
pub(crate) fn lang_of(headers: &HeaderMap, uri: &Uri) -> Lang {
    if let Some(lang) = query_param(uri, "lang").and_then(|lang| Lang::parse(&lang)) {
        return lang;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| Lang::parse(value))
        .unwrap_or(Lang::Bg)
}

/// One query parameter, percent-decoded.
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    query_pairs(uri).into_iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri).map(|query| query.0).unwrap_or_default()
}

/// The same page in the other language: the current path and query with `lang` replaced.
fn switch_href(uri: &Uri, to: Lang) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(uri)
        .into_iter()
        .filter(|(key, _)| key != "lang" && key != "done")
        .collect();
    pairs.push(("lang".into(), to.code().into()));
    let query: String = pairs
        .iter()
        .map(|(key, value)| format!("{}={}", url_encode(key), url_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    format!("{}?{query}", uri.path())
}

/// Percent-encodes everything but unreserved characters.
pub(crate) fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What every page's frame needs.
pub(crate) struct Layout {
    lang: &'static str,
    other_lang: &'static str,
    t: &'static Strings,
    title: String,
    page: &'static str,
    switch_href: String,
    has_errors: bool,
    css: &'static str,
}

impl Layout {
    pub(crate) fn new(lang: Lang, uri: &Uri, page: &'static str, title: &str, has_errors: bool) -> Layout {
        Layout {
            lang: lang.code(),
            other_lang: lang.other().code(),
            t: lang.strings(),
            title: title.to_owned(),
            page,
            switch_href: switch_href(uri, lang.other()),
            has_errors,
            css: CSS,
        }
    }
}

/// A problem with one form field, linked from the error summary.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    /// The id of the field (or fieldset) it concerns.
    pub(crate) id: &'static str,
    pub(crate) message: &'static str,
}

pub(crate) fn find_error<'a>(errors: &'a [FieldError], id: &str) -> Option<&'a str> {
    errors.iter().find(|error| error.id == id).map(|error| error.message)
}

/// Renders a template as an HTML response; a rendering failure is a logged 500.
pub(crate) fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
        }
        Err(err) => {
            let mut response =
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error; it has been logged").into_response();
            response.extensions_mut().insert(InternalCause(format!("render template: {err}")));
            response
        }
    }
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage {
    l: Layout,
    heading: &'static str,
    message: &'static str,
    with_phone: bool,
    phone: String,
    phone_href: String,
}

/// A page that explains a failure; `phone` adds "call us" with the number.
pub(crate) fn error_page(
    lang: Lang,
    uri: &Uri,
    status: StatusCode,
    heading: &'static str,
    message: &'static str,
    phone: Option<&str>,
) -> Response {
    let page = ErrorPage {
        l: Layout::new(lang, uri, "", heading, false),
        heading,
        message,
        with_phone: phone.is_some(),
        phone: phone.unwrap_or_default().to_owned(),
        phone_href: phone.map(phone_href).unwrap_or_default(),
    };
    render(status, &page)
}

/// A 500 page; the cause goes to the log once, through the logging middleware.
pub(crate) fn internal_error(state: &AppState, lang: Lang, uri: &Uri, cause: impl std::fmt::Display) -> Response {
    let t = lang.strings();
    let mut response = error_page(
        lang,
        uri,
        StatusCode::INTERNAL_SERVER_ERROR,
        t.errors_heading,
        t.err_generic,
        Some(&state.config.portal.phone_number),
    );
    response.extensions_mut().insert(InternalCause(cause.to_string()));
    response
}

/// The Unix epoch, checked at compile time.
const EPOCH: calendar::Timestamp = match calendar::Timestamp::from_unix_millis(0) {
    Some(epoch) => epoch,
    None => panic!("the epoch is a valid timestamp"),
};

/// The current time as a calendar timestamp.
pub(crate) fn now_timestamp() -> calendar::Timestamp {
    calendar::Timestamp::from_unix_millis(store::now()).unwrap_or(EPOCH)
}

/// `tel:` form of a number as shown: digits and a leading plus.
pub(crate) fn phone_href(shown: &str) -> String {
    shown.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

/// Standard base64 with padding, for the CSP hash.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
