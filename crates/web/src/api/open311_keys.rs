//! Open311 administration: client API keys (issued and revoked by admins) and the service
//! attributes of categories (the extra fields an Open311 service definition asks for).
//!
//! A key is 24 random bytes shown once, on issue; only its SHA-256 is stored, with its first
//! characters so that admins can tell keys apart. Revoking keeps the row, so earlier requests
//! keep their client.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::Staff;
use serde::{Deserialize, Serialize};
use store::{AttributeDatatype, AttributeValue, CategoryAttribute};

use super::{optional_text, required_text};
use crate::auth::{Auth, random_token, token_hash};
use crate::{AppState, Error};

fn require_admin(staff: &Staff) -> Result<(), Error> {
    if staff.is_admin() { Ok(()) } else { Err(Error::Forbidden) }
}

#[derive(Serialize)]
pub(crate) struct KeyDto {
    id: i64,
    client_name: String,
    key_prefix: String,
    active: bool,
    created_at: i64,
    updated_at: i64,
    last_used_at: Option<i64>,
}

impl From<store::Open311Key> for KeyDto {
    fn from(key: store::Open311Key) -> KeyDto {
        KeyDto {
            id: key.id,
            client_name: key.client_name,
            key_prefix: key.key_prefix,
            active: key.active,
            created_at: key.created_at,
            updated_at: key.updated_at,
            last_used_at: key.last_used_at,
        }
    }
}

/// The answer to issuing a key: the only time the key itself is shown.
#[derive(Serialize)]
pub(crate) struct IssuedKeyDto {
    key: String,
    #[serde(flatten)]
    stored: KeyDto,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyInput {
    client_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyChange {
    active: bool,
}

pub(crate) async fn list_keys(State(state): State<AppState>, Auth(staff): Auth) -> Result<Json<Vec<KeyDto>>, Error> {
    require_admin(&staff)?;
    let keys = state.store.open311_keys().await?;
    Ok(Json(keys.into_iter().map(KeyDto::from).collect()))
}

pub(crate) async fn issue_key(
    State(state): State<AppState>,
    Auth(staff): Auth,
    body: Result<Json<KeyInput>, JsonRejection>,
) -> Result<(StatusCode, Json<IssuedKeyDto>), Error> {
    require_admin(&staff)?;
    let input = body?.0;
    let client_name = required_text("client_name", &input.client_name, 200)?;
    let key = random_token(24);
    let new = store::NewOpen311Key {
        client_name,
        key_hash: token_hash(&key),
        key_prefix: key[..8].to_owned(),
        created_by: Some(staff.user_id),
    };
    let stored = state.store.create_open311_key(&new).await?;
    tracing::info!(open311.key_id = stored.id, "open311 key issued");
    Ok((StatusCode::CREATED, Json(IssuedKeyDto { key, stored: stored.into() })))
}

pub(crate) async fn change_key(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<i64>, PathRejection>,
    body: Result<Json<KeyChange>, JsonRejection>,
) -> Result<Json<KeyDto>, Error> {
    require_admin(&staff)?;
    let Path(id) = path?;
    let change = body?.0;
    let key = state.store.set_open311_key_active(id, change.active).await?;
    tracing::info!(open311.key_id = key.id, open311.key_active = key.active, "open311 key changed");
    Ok(Json(key.into()))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttributeValueDto {
    key: String,
    name_bg: String,
    name_en: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttributeDto {
    code: String,
    /// string, number, datetime, text, singlevaluelist or multivaluelist.
    datatype: String,
    /// `false`: only text shown to the user.
    #[serde(default = "yes")]
    variable: bool,
    #[serde(default)]
    required: bool,
    /// Position in the form, from 1; defaults to the position in the list.
    order: Option<i64>,
    description_bg: String,
    description_en: String,
    datatype_description_bg: Option<String>,
    datatype_description_en: Option<String>,
    /// The options of a list attribute.
    #[serde(default)]
    values: Vec<AttributeValueDto>,
}

fn yes() -> bool {
    true
}

impl From<CategoryAttribute> for AttributeDto {
    fn from(attribute: CategoryAttribute) -> AttributeDto {
        AttributeDto {
            code: attribute.code,
            datatype: attribute.datatype.as_str().to_owned(),
            variable: attribute.variable,
            required: attribute.required,
            order: Some(attribute.order),
            description_bg: attribute.description_bg,
            description_en: attribute.description_en,
            datatype_description_bg: attribute.datatype_description_bg,
            datatype_description_en: attribute.datatype_description_en,
            values: attribute
                .values
                .into_iter()
                .map(|value| AttributeValueDto { key: value.key, name_bg: value.name_bg, name_en: value.name_en })
                .collect(),
        }
    }
}

fn valid_attribute_code(field: &'static str, code: &str) -> Result<String, Error> {
    let code = code.trim();
    let ok = (1..=64).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(code.to_owned()) } else { Err(Error::invalid(field, "use 1 to 64 letters, digits, '-' or '_'")) }
}

/// Checks a whole attribute list: codes and orders unique, list attributes with values and others
/// without.
fn validate_attributes(input: Vec<AttributeDto>) -> Result<Vec<CategoryAttribute>, Error> {
    if input.len() > 50 {
        return Err(Error::invalid("attributes", "at most 50 attributes per category"));
    }
    let mut attributes: Vec<CategoryAttribute> = Vec::with_capacity(input.len());
    for (index, attribute) in input.into_iter().enumerate() {
        let code = valid_attribute_code("code", &attribute.code)?;
        if attributes.iter().any(|a| a.code == code) {
            return Err(Error::invalid("code", format!("{code} appears twice")));
        }
        let datatype = AttributeDatatype::parse(attribute.datatype.trim()).ok_or_else(|| {
            Error::invalid("datatype", "use string, number, datetime, text, singlevaluelist or multivaluelist")
        })?;
        let order = attribute.order.unwrap_or(index as i64 + 1);
        if !(1..=1000).contains(&order) {
            return Err(Error::invalid("order", "must be from 1 to 1000"));
        }
        if attributes.iter().any(|a| a.order == order) {
            return Err(Error::invalid("order", format!("{order} appears twice")));
        }
        if datatype.is_list() == attribute.values.is_empty() {
            let message = if datatype.is_list() {
                "a list attribute needs values"
            } else {
                "only list attributes have values"
            };
            return Err(Error::invalid("values", message));
        }
        let mut values: Vec<AttributeValue> = Vec::with_capacity(attribute.values.len());
        for value in attribute.values {
            let key = required_text("values.key", &value.key, 100)?;
            if values.iter().any(|v| v.key == key) {
                return Err(Error::invalid("values.key", format!("{key} appears twice")));
            }
            values.push(AttributeValue {
                key,
                name_bg: required_text("values.name_bg", &value.name_bg, 200)?,
                name_en: required_text("values.name_en", &value.name_en, 200)?,
            });
        }
        attributes.push(CategoryAttribute {
            code,
            datatype,
            variable: attribute.variable,
            required: attribute.required && attribute.variable,
            order,
            description_bg: required_text("description_bg", &attribute.description_bg, 1000)?,
            description_en: required_text("description_en", &attribute.description_en, 1000)?,
            datatype_description_bg: optional_text("datatype_description_bg", attribute.datatype_description_bg, 500)?,
            datatype_description_en: optional_text("datatype_description_en", attribute.datatype_description_en, 500)?,
            values,
        });
    }
    attributes.sort_by_key(|a| a.order);
    Ok(attributes)
}

pub(crate) async fn list_attributes(
    State(state): State<AppState>,
    Auth(_staff): Auth,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<AttributeDto>>, Error> {
    let Path(code) = path?;
    let category = state.store.category_by_code(&code).await?.ok_or(Error::NotFound)?;
    let attributes = state.store.category_attributes(category.id).await?;
    Ok(Json(attributes.into_iter().map(AttributeDto::from).collect()))
}

/// Replaces all of a category's attributes.
pub(crate) async fn set_attributes(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Vec<AttributeDto>>, JsonRejection>,
) -> Result<Json<Vec<AttributeDto>>, Error> {
    require_admin(&staff)?;
    let Path(code) = path?;
    let attributes = validate_attributes(body?.0)?;
    let category = state.store.category_by_code(&code).await?.ok_or(Error::NotFound)?;
    let stored = state.store.set_category_attributes(category.id, &attributes).await?;
    Ok(Json(stored.into_iter().map(AttributeDto::from).collect()))
}
