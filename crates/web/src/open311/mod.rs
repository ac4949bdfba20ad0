//! Open311 GeoReport v2 at `/open311/v2/`: discovery, the service list and definitions, creating
//! service requests (with a client API key), querying them, and tokens; XML and JSON.
//!
//! Services are the active categories; their attributes are the categories' extra fields.
//! A reported request becomes a case like any other, through [`crate::register`], with channel
//! `open311`; its id is the case reference. Extensions: `page`/`page_size` (or `limit`/`offset`),
//! `updated_after`/`updated_before`, and `extensions=true` (attributes, extended attributes,
//! notes). GET calls are keyless and public, so they show no personal data (see [`privacy`]).
//! `jurisdiction_id` is accepted and ignored: one server, one jurisdiction.

mod format;
mod privacy;
mod view;
mod w3c;

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Form, OriginalUri, Path, Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, HOST};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use domain::{CaseStatus, Channel};
use store::{AttributeDatatype, CaseAttribute, CategoryAttribute};

use self::format::{Failure, Format, Node, respond, split_format};
use crate::auth::{random_token, token_hash};
use crate::register::{CitizenDetails, Location, Registration, register};
use crate::{AppState, Error};

/// The spec's longest description, in characters.
const MAX_DESCRIPTION_CHARS: usize = 4_000;
/// The most requests one GET answers (the spec's default volume).
const MAX_PAGE_SIZE: i64 = 1_000;
/// The widest window of `start_date`..`end_date`, and the default look-back.
const MAX_WINDOW_MILLIS: i64 = 90 * 86_400_000;
const MAX_BODY_BYTES: usize = 64 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/{file}", get(get_resource).post(post_resource))
        .route("/services/{file}", get(service_definition))
        .route("/requests/{file}", get(request_by_id))
        .route("/tokens/{file}", get(token))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .fallback(not_found)
}

/// The language of names and texts: `?lang=bg|en`, else `Accept-Language`, else Bulgarian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Bg,
    En,
}

impl Lang {
    pub(crate) fn pick<'a>(self, bg: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Bg => bg,
            Lang::En => en,
        }
    }

    fn choose(params: &Params, headers: &HeaderMap) -> Result<Lang, Failure> {
        if let Some(lang) = params.get("lang") {
            return match lang.to_ascii_lowercase().as_str() {
                "bg" => Ok(Lang::Bg),
                "en" => Ok(Lang::En),
                _ => Err(Failure::bad_request("lang: use bg or en")),
            };
        }
        let accepted = headers.get(ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok()).unwrap_or("");
        let mut best: Option<(f32, Lang)> = None;
        for entry in accepted.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .find_map(|part| part.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("bg") => Lang::Bg,
                Some("en") => Lang::En,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        Ok(best.map_or(Lang::Bg, |(_, lang)| lang))
    }
}

/// Query or form parameters. Empty values count as absent, as the spec requires.
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .find(|value| !value.is_empty())
    }

    /// Every value of a parameter that may be repeated and comma-separated.
    fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

fn query_params(query: Result<Query<Vec<(String, String)>>, QueryRejection>) -> Result<Params, Failure> {
    query.map(|Query(pairs)| Params(pairs)).map_err(|rejection| Failure::bad_request(rejection.body_text()))
}

async fn not_found(uri: OriginalUri) -> Response {
    let format = if uri.path().ends_with(".json") { Format::Json } else { Format::Xml };
    Failure::not_found("no such resource").into_response(format)
}

/// The path's file name without its extension, and the format the extension asks for; a bad
/// path is answered in XML, the spec's default.
fn file_and_format(path: Result<Path<String>, PathRejection>) -> Result<(String, Format), Failure> {
    let Path(file) = path.map_err(|rejection| Failure::bad_request(rejection.body_text()))?;
    let (stem, format) = split_format(&file)?;
    Ok((stem.to_owned(), format))
}

/// `GET /discovery`, `/services` and `/requests`, by the file name.
async fn get_resource(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (file, format) = match file_and_format(path) {
        Ok(split) => split,
        Err(failure) => return failure.into_response(Format::Xml),
    };
    let stem = file.as_str();
    let answer = async {
        let params = query_params(query)?;
        let lang = Lang::choose(&params, &headers)?;
        match stem {
            "discovery" => discovery(&state, &headers, lang, format).await,
            "services" => services(&state, lang, format).await,
            "requests" => requests(&state, &params, lang, format).await,
            _ => Err(Failure::not_found(format!("no resource {stem:?}"))),
        }
    };
    answer.await.unwrap_or_else(|failure| failure.into_response(format))
}

/// `POST /requests`: the only call that needs an API key.
async fn post_resource(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let (file, format) = match file_and_format(path) {
        Ok(split) => split,
        Err(failure) => return failure.into_response(Format::Xml),
    };
    let stem = file.as_str();
    let answer = async {
        if stem != "requests" {
            return Err(Failure::new(StatusCode::METHOD_NOT_ALLOWED, format!("{stem} cannot be posted to")));
        }
        let Params(mut pairs) = query_params(query)?;
        let Form(body) = form.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large")
            } else {
                Failure::bad_request("send the fields as application/x-www-form-urlencoded")
            }
        })?;
        // The body wins over the query string (the spec puts api_key in the body, Swagger in the
        // query: both are accepted).
        pairs.extend(body);
        let params = Params(pairs);
        let lang = Lang::choose(&params, &headers)?;
        create_request(&state, &params, lang, format).await
    };
    answer.await.unwrap_or_else(|failure| failure.into_response(format))
}

async fn service_definition(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (file, format) = match file_and_format(path) {
        Ok(split) => split,
        Err(failure) => return failure.into_response(Format::Xml),
    };
    let code = file.as_str();
    let answer = async {
        let params = query_params(query)?;
        let lang = Lang::choose(&params, &headers)?;
        let category = active_category(&state, code).await?;
        let attributes = state.store.category_attributes(category.id).await?;
        let node = view::definition_node(&category.code, &attributes, lang);
        Ok::<_, Failure>(respond(format, StatusCode::OK, "service_definition", &node))
    };
    answer.await.unwrap_or_else(|failure| failure.into_response(format))
}

async fn request_by_id(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (file, format) = match file_and_format(path) {
        Ok(split) => split,
        Err(failure) => return failure.into_response(Format::Xml),
    };
    let id = file.as_str();
    let answer = async {
        let params = query_params(query)?;
        let lang = Lang::choose(&params, &headers)?;
        let missing = || Failure::not_found(format!("service_request_id {id} was not found"));
        let reference = domain::Reference::parse(id).map_err(|_| missing())?.to_string();
        let filter = store::Open311Filter { references: Some(vec![reference]), limit: 1, ..Default::default() };
        let found = state.store.open311_requests(&filter).await?;
        if found.is_empty() {
            return Err(missing());
        }
        let node = request_list(&state, &found, lang, extensions_wanted(&params)?).await?;
        Ok(respond(format, StatusCode::OK, "service_requests", &node))
    };
    answer.await.unwrap_or_else(|failure| failure.into_response(format))
}

async fn token(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let (file, format) = match file_and_format(path) {
        Ok(split) => split,
        Err(failure) => return failure.into_response(Format::Xml),
    };
    let token = file.as_str();
    let answer = async {
        let reference = state
            .store
            .open311_reference_by_token(token)
            .await?
            .ok_or_else(|| Failure::not_found(format!("token {token} was not found")))?;
        let node = Node::List {
            item: "request",
            items: vec![Node::object(vec![
                ("service_request_id", Node::text(reference)),
                ("token", Node::text(token)),
            ])],
        };
        Ok::<_, Failure>(respond(format, StatusCode::OK, "service_requests", &node))
    };
    answer.await.unwrap_or_else(|failure| failure.into_response(format))
}

async fn active_category(state: &AppState, code: &str) -> Result<store::Category, Failure> {
    state
        .store
        .category_by_code(code)
        .await?
        .filter(|category| category.active)
        .ok_or_else(|| Failure::not_found(format!("service_code {code} was not found")))
}

async fn discovery(state: &AppState, headers: &HeaderMap, lang: Lang, format: Format) -> Result<Response, Failure> {
    let changeset = w3c::format(state.store.open311_changeset().await?).unwrap_or_default();
    let host = headers.get(HOST).and_then(|value| value.to_str().ok());
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
    let url = match host {
        Some(host) => format!("{}://{host}/open311/v2", if https { "https" } else { "http" }),
        None => "/open311/v2".to_owned(),
    };
    let endpoint = Node::object(vec![
        ("specification", Node::text("http://wiki.open311.org/GeoReport_v2")),
        ("url", Node::text(url)),
        ("changeset", Node::text(changeset.clone())),
        ("type", Node::text("production")),
        (
            "formats",
            Node::List { item: "format", items: vec![Node::text("text/xml"), Node::text("application/json")] },
        ),
    ]);
    let node = Node::object(vec![
        ("changeset", Node::text(changeset)),
        (
            "contact",
            Node::text(lang.pick(
                "Контактен център на Община Пловдив (civicline)",
                "Plovdiv Municipality contact centre (civicline)",
            )),
        ),
        (
            "key_service",
            Node::text(lang.pick(
                "API ключ за подаване на сигнали се издава от администратор на civicline",
                "API keys for reporting are issued by a civicline administrator",
            )),
        ),
        ("endpoints", Node::List { item: "endpoint", items: vec![endpoint] }),
    ]);
    Ok(respond(format, StatusCode::OK, "discovery", &node))
}

async fn services(state: &AppState, lang: Lang, format: Format) -> Result<Response, Failure> {
    let categories = state.store.categories().await?;
    let with_attributes = state.store.categories_with_attributes().await?;
    let items = categories
        .iter()
        .filter(|category| category.active)
        .map(|category| {
            let parent = category.parent_id.and_then(|id| categories.iter().find(|c| c.id == id));
            view::service_node(category, parent, with_attributes.contains(&category.id), lang)
        })
        .collect();
    Ok(respond(format, StatusCode::OK, "services", &Node::List { item: "service", items }))
}

fn extensions_wanted(params: &Params) -> Result<bool, Failure> {
    match params.get("extensions").map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(Failure::bad_request("extensions: use true or false")),
    }
}

fn datetime_param(params: &Params, name: &str, errors: &mut Vec<String>) -> Option<i64> {
    let text = params.get(name)?;
    let parsed = w3c::parse(text);
    if parsed.is_none() {
        errors.push(format!("{name}: use a W3C date and time such as 2026-01-31T00:00:00+02:00"));
    }
    parsed
}

fn count_param(params: &Params, name: &str, range: std::ops::RangeInclusive<i64>, errors: &mut Vec<String>) -> Option<i64> {
    let text = params.get(name)?;
    match text.parse::<i64>() {
        Ok(count) if range.contains(&count) => Some(count),
        _ => {
            errors.push(format!("{name}: use a whole number from {} to {}", range.start(), range.end()));
            None
        }
    }
}

/// Reads the filters of GET requests, reporting every bad one at once.
fn request_filter(params: &Params, categories: &[store::Category], now: i64) -> Result<store::Open311Filter, Failure> {
    let mut errors = Vec::new();
    let ids = params.list("service_request_id");
    if ids.len() > MAX_PAGE_SIZE as usize {
        errors.push(format!("service_request_id: at most {MAX_PAGE_SIZE} ids at once"));
    }
    // An id that is not a reference matches nothing.
    let references: Vec<String> = ids
        .iter()
        .filter_map(|id| domain::Reference::parse(id).ok())
        .map(|reference| reference.to_string())
        .collect();
    let codes = params.list("service_code");
    let category_ids = (!codes.is_empty()).then(|| {
        categories.iter().filter(|c| codes.contains(&c.code)).map(|c| c.id).collect::<Vec<_>>()
    });
    let mut statuses = Vec::new();
    for status in params.list("status") {
        match status.to_ascii_lowercase().as_str() {
            "open" => statuses.extend([CaseStatus::New, CaseStatus::InProgress]),
            "closed" => statuses.push(CaseStatus::Resolved),
            _ => errors.push(format!("status: {status:?} is neither open nor closed")),
        }
    }
    let start = datetime_param(params, "start_date", &mut errors);
    let end = datetime_param(params, "end_date", &mut errors);
    let updated_after = datetime_param(params, "updated_after", &mut errors);
    let updated_before = datetime_param(params, "updated_before", &mut errors);
    let (requested_from, requested_to) = match (start, end) {
        (Some(start), Some(end)) if end < start => {
            errors.push("end_date is before start_date".into());
            (None, None)
        }
        (Some(start), Some(end)) if end - start > MAX_WINDOW_MILLIS => {
            errors.push("start_date and end_date may be at most 90 days apart".into());
            (None, None)
        }
        (Some(start), Some(end)) => (Some(start), Some(end)),
        (Some(start), None) => (Some(start), Some(start + MAX_WINDOW_MILLIS)),
        (None, Some(end)) => (Some(end - MAX_WINDOW_MILLIS), Some(end)),
        // A change feed reaches back as far as it likes; a plain query sees the last 90 days.
        (None, None) if updated_after.is_some() || updated_before.is_some() => (None, None),
        (None, None) => (Some(now - MAX_WINDOW_MILLIS), None),
    };
    if let (Some(after), Some(before)) = (updated_after, updated_before)
        && before < after
    {
        errors.push("updated_before is before updated_after".into());
    }
    let page_size = count_param(params, "page_size", 1..=MAX_PAGE_SIZE, &mut errors);
    let limit = count_param(params, "limit", 1..=MAX_PAGE_SIZE, &mut errors);
    let page = count_param(params, "page", 1..=1_000_000, &mut errors);
    let offset = count_param(params, "offset", 0..=1_000_000_000, &mut errors);
    if page.is_some() && offset.is_some() {
        errors.push("page and offset cannot be combined".into());
    }
    if !errors.is_empty() {
        return Err(Failure::many(errors));
    }
    let size = page_size.or(limit).unwrap_or(MAX_PAGE_SIZE);
    Ok(store::Open311Filter {
        references: (!ids.is_empty()).then_some(references),
        category_ids,
        statuses: (!statuses.is_empty()).then_some(statuses),
        requested_from,
        requested_to,
        updated_from: updated_after,
        updated_to: updated_before,
        offset: offset.unwrap_or((page.unwrap_or(1) - 1) * size),
        limit: size,
    })
}

async fn requests(state: &AppState, params: &Params, lang: Lang, format: Format) -> Result<Response, Failure> {
    let categories = state.store.categories().await?;
    let filter = request_filter(params, &categories, store::now())?;
    let extensions = extensions_wanted(params)?;
    let found = state.store.open311_requests(&filter).await?;
    let node = request_list(state, &found, lang, extensions).await?;
    Ok(respond(format, StatusCode::OK, "service_requests", &node))
}

async fn request_list(
    state: &AppState,
    found: &[store::Open311Request],
    lang: Lang,
    extensions: bool,
) -> Result<Node, Failure> {
    let categories: HashMap<i64, store::Category> =
        state.store.categories().await?.into_iter().map(|c| (c.id, c)).collect();
    let institutions: HashMap<i64, store::Institution> =
        state.store.institutions().await?.into_iter().map(|i| (i.id, i)).collect();
    let events = if extensions {
        let ids: Vec<i64> = found.iter().map(|request| request.case_id).collect();
        Some(state.store.open311_public_events(&ids).await?)
    } else {
        None
    };
    let context = view::Context { lang, categories: &categories, institutions: &institutions };
    let items =
        found.iter().map(|request| view::request_node(&context, request, events.as_deref())).collect();
    Ok(Node::List { item: "request", items })
}

/// `attribute[code]=value` and, for a multivaluelist, `attribute[code][]=value`, by code in the
/// order first seen.
fn submitted_attributes(params: &Params) -> Vec<(String, Vec<String>)> {
    let mut submitted: Vec<(String, Vec<String>)> = Vec::new();
    for (key, value) in &params.0 {
        let Some(inner) = key.strip_prefix("attribute[") else { continue };
        let code = inner.strip_suffix("][]").or_else(|| inner.strip_suffix(']'));
        let Some(code) = code.filter(|code| !code.is_empty() && !code.contains(['[', ']'])) else { continue };
        let value = value.trim();
        let at = match submitted.iter().position(|(seen, _)| seen == code) {
            Some(at) => at,
            None => {
                submitted.push((code.to_owned(), Vec::new()));
                submitted.len() - 1
            }
        };
        if !value.is_empty() {
            submitted[at].1.push(value.to_owned());
        }
    }
    submitted
}

/// Checks submitted attributes against the service definition; answers them in form order.
fn check_attributes(
    definitions: &[CategoryAttribute],
    submitted: &[(String, Vec<String>)],
    errors: &mut Vec<String>,
) -> Vec<CaseAttribute> {
    for (code, _) in submitted {
        if !definitions.iter().any(|d| d.variable && &d.code == code) {
            errors.push(format!("attribute[{code}] is not an attribute of this service"));
        }
    }
    let mut accepted = Vec::new();
    for definition in definitions.iter().filter(|d| d.variable) {
        let code = &definition.code;
        let values: &[String] = submitted
            .iter()
            .find(|(seen, _)| seen == code)
            .map_or(&[], |(_, values)| values.as_slice());
        if values.is_empty() {
            if definition.required {
                errors.push(format!("attribute[{code}] is required"));
            }
            continue;
        }
        if definition.datatype != AttributeDatatype::MultiValueList && values.len() > 1 {
            errors.push(format!("attribute[{code}] takes one value"));
            continue;
        }
        let mut seen: Vec<&String> = Vec::new();
        for value in values {
            let problem = match definition.datatype {
                AttributeDatatype::String if value.contains(['\n', '\r']) => Some("must be one line"),
                AttributeDatatype::String if value.chars().count() > 500 => Some("must be at most 500 characters"),
                AttributeDatatype::Text if value.chars().count() > MAX_DESCRIPTION_CHARS => {
                    Some("must be at most 4000 characters")
                }
                AttributeDatatype::Number if !value.parse::<f64>().is_ok_and(f64::is_finite) => Some("must be a number"),
                AttributeDatatype::Datetime if w3c::parse(value).is_none() => {
                    Some("must be a W3C date and time such as 2026-01-31T10:00:00+02:00")
                }
                AttributeDatatype::SingleValueList | AttributeDatatype::MultiValueList
                    if !definition.values.iter().any(|option| &option.key == value) =>
                {
                    Some("is not one of the listed values")
                }
                _ => None,
            };
            if let Some(problem) = problem {
                errors.push(format!("attribute[{code}] {problem}"));
            } else if !seen.contains(&value) {
                seen.push(value);
                accepted.push(CaseAttribute { code: code.clone(), value: value.clone() });
            }
        }
    }
    accepted
}

fn optional_field<'a>(params: &'a Params, name: &str, max_chars: usize, errors: &mut Vec<String>) -> Option<&'a str> {
    let value = params.get(name)?;
    if value.chars().count() > max_chars {
        errors.push(format!("{name}: must be at most {max_chars} characters"));
    }
    Some(value)
}

/// An error of the shared registration, named with the Open311 field.
fn registration_failure(err: Error) -> Failure {
    match err {
        Error::Invalid { field, message } => {
            let field = match field {
                "location.lat" => "lat",
                "location.lon" => "long",
                "location.address" => "address_string",
                "citizen.name" => "first_name and last_name",
                "citizen.phone" => "phone",
                "citizen.email" => "email",
                "category" => "service_code",
                other => other,
            };
            Failure::bad_request(format!("{field}: {message}"))
        }
        Error::NotFound => Failure::not_found("not found"),
        Error::Internal(cause) => Failure::internal(cause),
        Error::BadRequest(message) | Error::Rule(message) | Error::Conflict(message) => Failure::bad_request(message),
        other => Failure::bad_request(other.to_string()),
    }
}

async fn create_request(state: &AppState, params: &Params, lang: Lang, format: Format) -> Result<Response, Failure> {
    let forbidden = |why: &str| Failure::new(StatusCode::FORBIDDEN, why);
    let api_key = params.get("api_key").ok_or_else(|| forbidden("api_key is missing"))?;
    let key = state
        .store
        .open311_key_by_hash(&token_hash(api_key))
        .await?
        .filter(|key| key.active)
        .ok_or_else(|| forbidden("api_key is not valid"))?;
    let code = params.get("service_code").ok_or_else(|| Failure::bad_request("service_code is required"))?;
    let category = active_category(state, code).await?;

    let mut errors = Vec::new();
    let (lat, lon) = match (params.get("lat"), params.get("long")) {
        (None, None) => (None, None),
        (Some(lat), Some(lon)) => match (lat.parse::<f64>(), lon.parse::<f64>()) {
            (Ok(lat), Ok(lon)) => (Some(lat), Some(lon)),
            _ => {
                errors.push("lat and long: use decimal degrees (WGS84)".to_owned());
                (None, None)
            }
        },
        _ => {
            errors.push("lat and long: send both".to_owned());
            (None, None)
        }
    };
    let address_string = optional_field(params, "address_string", 500, &mut errors);
    let address_id = optional_field(params, "address_id", 200, &mut errors);
    if errors.is_empty() && lat.is_none() && address_string.is_none() && address_id.is_none() {
        errors.push("a location is required: lat and long, address_string or address_id".to_owned());
    }
    let description = optional_field(params, "description", MAX_DESCRIPTION_CHARS, &mut errors);
    let media_url = optional_field(params, "media_url", 2_000, &mut errors);
    if let Some(url) = media_url {
        let is_url = (url.starts_with("https://") || url.starts_with("http://")) && !url.contains(char::is_whitespace);
        if !is_url {
            errors.push("media_url: must be an http or https URL".to_owned());
        }
    }
    let device_id = optional_field(params, "device_id", 200, &mut errors);
    let account_id = optional_field(params, "account_id", 200, &mut errors);
    let first_name = optional_field(params, "first_name", 100, &mut errors);
    let last_name = optional_field(params, "last_name", 100, &mut errors);
    let email = optional_field(params, "email", 254, &mut errors);
    let phone = optional_field(params, "phone", 40, &mut errors);
    let definitions = state.store.category_attributes(category.id).await?;
    let attributes = check_attributes(&definitions, &submitted_attributes(params), &mut errors);
    if !errors.is_empty() {
        return Err(Failure::many(errors));
    }

    let name = [first_name, last_name].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let registration = Registration {
        category: category.code.clone(),
        // A description is optional in Open311 but not in the registry: the service names it.
        description: description.map_or_else(|| category.name_bg.clone(), str::to_owned),
        channel: Channel::Open311,
        submission_kind: None,
        location: Some(Location {
            address: address_string.map(str::to_owned),
            district: None,
            lat,
            lon,
        }),
        citizen: Some(CitizenDetails {
            name: (!name.is_empty()).then_some(name),
            phone: phone.map(str::to_owned),
            email: email.map(str::to_owned),
            consent_contact: false,
        }),
        received_on: None,
        actor_user_id: None,
    };
    let registered = register(state, registration).await.map_err(registration_failure)?;
    let reference = registered.created.reference.clone();
    let token = random_token(16);
    let details = store::NewOpen311Request {
        case_id: registered.created.id,
        key_id: key.id,
        token,
        address_id: address_id.map(str::to_owned),
        media_url: media_url.map(str::to_owned),
        device_id: device_id.map(str::to_owned),
        account_id: account_id.map(str::to_owned),
        attributes,
    };
    record_details(state, &key, &definitions, &details).await;

    let deadline = registered.assignments.iter().map(|a| a.deadline.clone()).min().unwrap_or_default();
    let notice = match lang {
        Lang::Bg => format!("Регистрирано под номер {reference}. Срок за отговор: {deadline}."),
        Lang::En => format!("Registered as {reference}. Answer due by {deadline}."),
    };
    let node = Node::List {
        item: "request",
        items: vec![Node::object(vec![
            ("service_request_id", Node::text(reference)),
            ("service_notice", Node::text(notice)),
            ("account_id", Node::optional_text(account_id)),
        ])],
    };
    Ok(respond(format, StatusCode::OK, "service_requests", &node))
}

/// Stores what the client sent beyond the case, and tells staff in the case's internal history
/// which client reported it and the attribute answers.
///
/// The case is already durable when this runs, so a failure here is logged and the request still
/// succeeds: answering an error would make the client report the same problem twice.
async fn record_details(
    state: &AppState,
    key: &store::Open311Key,
    definitions: &[CategoryAttribute],
    details: &store::NewOpen311Request,
) {
    if let Err(err) = state.store.record_open311_request(details).await {
        tracing::error!(case.id = details.case_id, error = %err, "open311 request details not recorded");
        return;
    }
    let mut body = format!("Open311: {}", key.client_name);
    if let Some(url) = &details.media_url {
        body.push_str(&format!("\nmedia_url: {url}"));
    }
    for attribute in &details.attributes {
        let question = definitions
            .iter()
            .find(|d| d.code == attribute.code)
            .map_or(attribute.code.as_str(), |d| d.description_bg.as_str());
        body.push_str(&format!("\n{question}: {}", attribute.value));
    }
    let note = store::NewCaseEvent {
        case_id: details.case_id,
        institution_id: None,
        actor_user_id: None,
        kind: "note".into(),
        public: false,
        body,
    };
    if let Err(err) = state.store.add_case_event(&note).await {
        tracing::error!(case.id = details.case_id, error = %err, "open311 note not recorded");
    }
}

#[cfg(test)]
mod tests;
