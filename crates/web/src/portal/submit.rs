//! Submitting a case: choose a topic (with a server-side search), describe, locate, attach photos,
//! give contact details or stay anonymous. Registration is the REST API's own path.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use domain::{Channel, Proceeding};
use serde::Deserialize;

use super::form::{self, FormData, FormProblem, PhotoProblem};
use super::i18n::{DISTRICTS, Lang, date};
use super::map::{self, BLOCK, Block};
use super::{FieldError, Layout, MAX_PHOTOS, error_page, find_error, internal_error, render, url_encode};
use crate::register::{self, CitizenDetails, Location, Registration};
use crate::{AppState, Error};

pub(crate) struct CategoryOption {
    code: String,
    name: String,
    checked: bool,
}

pub(crate) struct DistrictOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// What the citizen typed, to show the form again.
#[derive(Debug, Default, Clone)]
pub(crate) struct SubmitValues {
    category: String,
    description: String,
    address: String,
    district: String,
    lat: String,
    lon: String,
    name: String,
    email: String,
    phone: String,
    consent: bool,
    anonymous: bool,
}

/// One tile of the map block: a submit button that reports where it was clicked.
pub(crate) struct MapTile {
    /// `map-<col>-<row>`; the click arrives as `<name>.x` and `<name>.y`.
    name: String,
    src: String,
    alt: &'static str,
}

/// The chosen point, in pixels from the block's top-left corner.
pub(crate) struct MapMarker {
    x: u32,
    y: u32,
}

/// The map pin: tiles row by row, the marker when the point is on them, the point as text.
pub(crate) struct MapView {
    tiles: Vec<MapTile>,
    marker: Option<MapMarker>,
    marked: Option<String>,
}

/// The block of tiles around Plovdiv's centre, when a usable tile server is configured.
fn map_block(state: &AppState) -> Option<(&str, Block)> {
    let template = state.config.portal.tile_url.as_deref()?;
    map::tile_origin(template)?;
    Some((template, Block::around(map::CENTRE.0, map::CENTRE.1)))
}

fn map_view(state: &AppState, lang: Lang, form: &SubmitValues) -> Option<MapView> {
    let (template, block) = map_block(state)?;
    let t = lang.strings();
    let mut tiles = Vec::new();
    for row in 0..BLOCK {
        for col in 0..BLOCK {
            let alt = match (col, row) {
                (0, 0) => t.map_alt_nw,
                (_, 0) => t.map_alt_ne,
                (0, _) => t.map_alt_sw,
                _ => t.map_alt_se,
            };
            tiles.push(MapTile {
                name: format!("map-{col}-{row}"),
                src: map::tile_src(template, map::ZOOM, block.x0 + col, block.y0 + row),
                alt,
            });
        }
    }
    let point = match (parse_degrees(&form.lat), parse_degrees(&form.lon)) {
        (Some(lat), Some(lon)) if (-85.0..=85.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => Some((lat, lon)),
        _ => None,
    };
    Some(MapView {
        tiles,
        marker: point.and_then(|(lat, lon)| block.pixel_of(lat, lon)).map(|(x, y)| MapMarker { x, y }),
        marked: point.map(|(lat, lon)| format!("{lat:.5}, {lon:.5}")),
    })
}

/// A click on the map: `Some(Some(place))`, or `Some(None)` for a click without a usable
/// pixel (a keyboard press sends 0, 0); `None` when the form was not sent by the map.
fn map_click(state: &AppState, form: &FormData) -> Option<Option<(f64, f64)>> {
    let (_, block) = map_block(state)?;
    for row in 0..BLOCK {
        for col in 0..BLOCK {
            let x = form.text(&format!("map-{col}-{row}.x"));
            if x.is_empty() {
                continue;
            }
            let y = form.text(&format!("map-{col}-{row}.y"));
            let place = match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(px), Ok(py)) if (px, py) != (0.0, 0.0) => block.click(col, row, px, py),
                _ => None,
            };
            return Some(place);
        }
    }
    None
}

#[derive(Template)]
#[template(path = "portal/submit.html")]
pub(crate) struct SubmitPage {
    l: Layout,
    q: String,
    searched: bool,
    no_match: bool,
    categories: Vec<CategoryOption>,
    districts: Vec<DistrictOption>,
    show_coordinates: bool,
    /// The map pin, when a tile server is configured.
    map: Option<MapView>,
    form: SubmitValues,
    errors: Vec<FieldError>,
}

impl SubmitPage {
    fn error(&self, id: &str) -> Option<&str> {
        find_error(&self.errors, id)
    }
}

#[derive(Template)]
#[template(path = "portal/submitted.html")]
pub(crate) struct SubmittedPage {
    l: Layout,
    reference: String,
    code: String,
    link: String,
    formal: bool,
    deadline: String,
    notify: bool,
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
    category: Option<String>,
}

/// Whether every word of the query occurs in the text. Words are cut to their first five letters,
/// a crude stem that lets Bulgarian inflections match (`осветлението` finds `осветление`).
pub(crate) fn matches_search(query: &str, texts: &[&str]) -> bool {
    let haystack = texts.iter().map(|text| text.to_lowercase()).collect::<Vec<_>>().join(" ");
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 2)
        .map(|word| word.to_lowercase().chars().take(5).collect())
        .collect();
    !words.is_empty() && words.iter().all(|word| haystack.contains(word.as_str()))
}

async fn submit_page(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    q: &str,
    form: SubmitValues,
    errors: Vec<FieldError>,
) -> Result<SubmitPage, Error> {
    let t = lang.strings();
    let all: Vec<store::Category> = state.store.categories().await?.into_iter().filter(|c| c.active).collect();
    let name = |c: &store::Category| if lang == Lang::Bg { c.name_bg.clone() } else { c.name_en.clone() };
    let searched = !q.trim().is_empty();
    let found: Vec<&store::Category> = all
        .iter()
        .filter(|c| !searched || matches_search(q, &[&c.name_bg, &c.name_en, &c.code]) || c.code == form.category)
        .collect();
    let no_match = searched && found.iter().all(|c| c.code == form.category);
    let shown: Vec<&store::Category> = if no_match { all.iter().collect() } else { found };
    let mut categories: Vec<CategoryOption> = shown
        .into_iter()
        .map(|c| CategoryOption { code: c.code.clone(), name: name(c), checked: c.code == form.category })
        .collect();
    categories.sort_by(|a, b| a.name.cmp(&b.name));
    let districts = DISTRICTS
        .iter()
        .map(|(bg, en)| DistrictOption {
            value: bg,
            label: if lang == Lang::Bg { bg } else { en },
            selected: form.district == *bg,
        })
        .collect();
    Ok(SubmitPage {
        l: Layout::new(lang, uri, "submit", t.submit_title, !errors.is_empty()),
        q: q.trim().to_owned(),
        searched,
        no_match,
        categories,
        districts,
        show_coordinates: state.config.portal.tile_url.is_some(),
        map: map_view(state, lang, &form),
        form,
        errors,
    })
}

pub(crate) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Response {
    let lang = super::lang_of(&headers, &uri);
    let (q, category) = match query {
        Ok(Query(query)) => (query.q.unwrap_or_default(), query.category.unwrap_or_default()),
        Err(_) => (String::new(), String::new()),
    };
    let values = SubmitValues { category, ..SubmitValues::default() };
    match submit_page(&state, lang, &uri, &q, values, Vec::new()).await {
        Ok(page) => render(StatusCode::OK, &page),
        Err(err) => internal_error(&state, lang, &uri, err),
    }
}

/// Maps a registration error's field onto the form's field and message.
fn field_error(lang: Lang, err: &Error) -> Option<FieldError> {
    let t = lang.strings();
    let Error::Invalid { field, message } = err else { return None };
    let (id, message) = match *field {
        "category" => ("category", t.err_category),
        "description" if message.contains("at most") => ("description", t.err_description_long),
        "description" => ("description", t.err_description),
        "location.address" => ("address", t.err_address),
        "location.district" => ("district", t.err_district),
        "location" | "location.lat" | "location.lon" => ("lat", t.err_coordinates),
        "citizen.name" => ("name", t.err_name),
        "citizen.email" => ("email", t.err_email),
        "citizen.phone" => ("phone", t.err_phone),
        _ => return None,
    };
    Some(FieldError { id, message })
}

fn parse_degrees(text: &str) -> Option<f64> {
    text.trim().replace(',', ".").parse::<f64>().ok().filter(|value| value.is_finite())
}

pub(crate) async fn post(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = super::lang_of(&headers, &uri);
    let t = lang.strings();
    let form = match multipart {
        Ok(multipart) => form::read(multipart, state.config.max_attachment_bytes, MAX_PHOTOS).await,
        Err(_) => Err(FormProblem::Malformed),
    };
    let form: FormData = match form {
        Ok(form) => form,
        Err(FormProblem::TooLarge) => {
            return error_page(lang, &uri, StatusCode::PAYLOAD_TOO_LARGE, t.errors_heading, t.err_too_large, None);
        }
        Err(FormProblem::Malformed) => {
            return error_page(lang, &uri, StatusCode::BAD_REQUEST, t.errors_heading, t.err_generic, Some(&state.config.portal.phone_number));
        }
    };
    let values = SubmitValues {
        category: form.text("category"),
        description: form.text("description"),
        address: form.text("address"),
        district: form.text("district"),
        lat: form.text("lat"),
        lon: form.text("lon"),
        name: form.text("name"),
        email: form.text("email"),
        phone: form.text("phone"),
        consent: form.text("consent") == "yes",
        anonymous: form.text("contact") == "anonymous",
    };
    let q = form.text("q");
    // A click on the map sets the place and shows the form again; it registers nothing.
    if let Some(place) = map_click(&state, &form) {
        let mut values = values;
        let mut errors = Vec::new();
        match place {
            Some((lat, lon)) => {
                values.lat = format!("{lat:.5}");
                values.lon = format!("{lon:.5}");
            }
            None => errors.push(FieldError { id: "lat", message: t.err_map_no_point }),
        }
        // File inputs cannot be filled in again: say so rather than lose photos silently.
        if !form.files_named("photos").is_empty() {
            errors.push(FieldError { id: "photos", message: t.err_map_photos });
        }
        return match submit_page(&state, lang, &uri, &q, values, errors).await {
            Ok(page) => render(StatusCode::OK, &page),
            Err(err) => internal_error(&state, lang, &uri, err),
        };
    }
    let mut errors: Vec<FieldError> = Vec::new();

    if values.category.is_empty() {
        errors.push(FieldError { id: "category", message: t.err_category });
    }
    if values.description.is_empty() {
        errors.push(FieldError { id: "description", message: t.err_description });
    } else if values.description.chars().count() > register::MAX_DESCRIPTION_CHARS {
        errors.push(FieldError { id: "description", message: t.err_description_long });
    }
    if !values.district.is_empty() && !DISTRICTS.iter().any(|(bg, _)| *bg == values.district) {
        errors.push(FieldError { id: "district", message: t.err_district });
    }
    let (lat, lon) = if state.config.portal.tile_url.is_some() {
        match (values.lat.is_empty(), values.lon.is_empty()) {
            (true, true) => (None, None),
            _ => match (parse_degrees(&values.lat), parse_degrees(&values.lon)) {
                (Some(lat), Some(lon)) => (Some(lat), Some(lon)),
                _ => {
                    errors.push(FieldError { id: "lat", message: t.err_coordinates });
                    (None, None)
                }
            },
        }
    } else {
        (None, None)
    };
    let citizen = if values.anonymous {
        None
    } else {
        let details = CitizenDetails {
            name: Some(values.name.clone()),
            phone: Some(values.phone.clone()),
            email: Some(values.email.clone()),
            consent_contact: values.consent,
        };
        match register::validate_citizen(Some(details.clone())) {
            Err(err) => errors.extend(field_error(lang, &err)),
            Ok(Some(checked)) if checked.name.is_some() && (checked.phone.is_some() || checked.email.is_some()) => {}
            Ok(_) => errors.push(FieldError { id: "name", message: t.err_contact }),
        }
        Some(details)
    };
    let mut photos = Vec::new();
    for bytes in form.files_named("photos") {
        match form::clean_photo(&bytes) {
            Ok(photo) => photos.push(photo),
            Err(PhotoProblem::Type) => errors.push(FieldError { id: "photos", message: t.err_photo_type }),
            Err(PhotoProblem::Broken) => errors.push(FieldError { id: "photos", message: t.err_photo_broken }),
        }
    }
    if !form.text("website").is_empty() {
        errors.push(FieldError { id: "website", message: t.err_honeypot });
    }
    errors.dedup_by_key(|error| error.id);

    let registration = Registration {
        category: values.category.clone(),
        description: values.description.clone(),
        channel: Channel::Portal,
        submission_kind: None,
        location: Some(Location {
            address: Some(values.address.clone()),
            district: Some(values.district.clone()),
            lat,
            lon,
        }),
        citizen,
        received_on: None,
        actor_user_id: None,
    };
    let registered = if errors.is_empty() {
        match register::register(&state, registration).await {
            Ok(registered) => Some(registered),
            Err(err) => match field_error(lang, &err) {
                Some(error) => {
                    errors.push(error);
                    None
                }
                None => return internal_error(&state, lang, &uri, err),
            },
        }
    } else {
        None
    };
    let Some(registered) = registered else {
        return match submit_page(&state, lang, &uri, &q, values, errors).await {
            Ok(page) => render(StatusCode::UNPROCESSABLE_ENTITY, &page),
            Err(err) => internal_error(&state, lang, &uri, err),
        };
    };

    let case_id = registered.created.id;
    for (index, photo) in photos.into_iter().enumerate() {
        let extension = if photo.content_type == "image/png" { "png" } else { "jpg" };
        let filename = format!("photo-{}.{extension}", index + 1);
        // The case is registered and durable; a photo that cannot be kept is logged, and the
        // citizen still gets the reference rather than an error that invites a second case.
        if let Err(err) = crate::attachments::save(&state, case_id, photo.bytes, photo.content_type, &filename, false).await {
            tracing::error!(case.id = case_id, error = %err, "portal photo not stored");
        }
    }
    if let Err(err) = state.store.set_case_language(case_id, lang.code(), store::now()).await {
        tracing::error!(case.id = case_id, error = %err, "case language not stored");
    }
    let reference = registered.created.reference.clone();
    let code = registered.tracking_code.clone();
    let notify = !values.anonymous && values.consent;
    let deadline = registered
        .assignments
        .iter()
        .filter_map(|a| a.deadline.parse::<calendar::Date>().ok())
        .max()
        .map(date)
        .unwrap_or_default();
    let page = SubmittedPage {
        l: Layout::new(lang, &uri, "submit", t.submitted_title, false),
        link: format!("/track?ref={}&code={}", url_encode(&reference), url_encode(&code)),
        reference,
        code,
        formal: registered.proceeding == Proceeding::Formal,
        deadline,
        notify,
    };
    render(StatusCode::OK, &page)
}
