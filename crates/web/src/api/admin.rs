//! Institutions, categories and users: read by all staff, changed by admins.

use axum::Json;
use axum::extract::{Path, State};
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::StatusCode;
use domain::{Connection, Contacts, InstitutionKind, Role, Staff, SubmissionKind};
use serde::{Deserialize, Serialize};

use super::{optional_text, required_text};
use crate::auth::Auth;
use crate::{AppState, Error};

fn require_admin(staff: &Staff) -> Result<(), Error> {
    if staff.is_admin() { Ok(()) } else { Err(Error::Forbidden) }
}

fn valid_code(field: &'static str, code: &str) -> Result<String, Error> {
    let code = code.trim();
    if domain::is_valid_code(code) {
        Ok(code.to_owned())
    } else {
        Err(Error::invalid(field, "use 1 to 64 lower-case letters, digits, '-' or '_'"))
    }
}

#[derive(Serialize)]
pub(crate) struct InstitutionDto {
    id: i64,
    code: String,
    name_bg: String,
    name_en: String,
    kind: &'static str,
    connection: &'static str,
    email: Option<String>,
    phone: Option<String>,
    webhook_url: Option<String>,
    active: bool,
}

impl From<store::Institution> for InstitutionDto {
    fn from(i: store::Institution) -> InstitutionDto {
        InstitutionDto {
            id: i.id,
            code: i.code,
            name_bg: i.name_bg,
            name_en: i.name_en,
            kind: i.kind.as_str(),
            connection: i.connection.as_str(),
            email: i.email,
            phone: i.phone,
            webhook_url: i.webhook_url,
            active: i.active,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstitutionInput {
    code: String,
    name_bg: String,
    name_en: String,
    kind: String,
    connection: String,
    email: Option<String>,
    phone: Option<String>,
    webhook_url: Option<String>,
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

impl InstitutionInput {
    fn validate(self) -> Result<store::NewInstitution, Error> {
        let kind = InstitutionKind::parse(self.kind.trim())
            .ok_or_else(|| Error::invalid("kind", "unknown institution kind"))?;
        let connection = Connection::parse(self.connection.trim())
            .ok_or_else(|| Error::invalid("connection", "use listed, email, workspace or api"))?;
        let email = optional_text("email", self.email, 254)?;
        let phone = optional_text("phone", self.phone, 40)?;
        let webhook_url = optional_text("webhook_url", self.webhook_url, 2000)?;
        let Contacts { email, phone, webhook_url } =
            Contacts::check(connection, email.as_deref(), phone.as_deref(), webhook_url.as_deref())
                .map_err(|err| Error::invalid(err.field, err.message))?;
        Ok(store::NewInstitution {
            code: valid_code("code", &self.code)?,
            name_bg: required_text("name_bg", &self.name_bg, 200)?,
            name_en: required_text("name_en", &self.name_en, 200)?,
            kind,
            connection,
            email,
            phone,
            webhook_url,
            active: self.active,
        })
    }
}

pub(crate) async fn list_institutions(
    State(state): State<AppState>,
    Auth(_staff): Auth,
) -> Result<Json<Vec<InstitutionDto>>, Error> {
    let institutions = state.store.institutions().await?;
    Ok(Json(institutions.into_iter().map(InstitutionDto::from).collect()))
}

pub(crate) async fn create_institution(
    State(state): State<AppState>,
    Auth(staff): Auth,
    body: Result<Json<InstitutionInput>, JsonRejection>,
) -> Result<(StatusCode, Json<InstitutionDto>), Error> {
    require_admin(&staff)?;
    let new = body?.0.validate()?;
    let institution = state.store.create_institution(&new).await?;
    tracing::info!(institution.id = institution.id, "institution created");
    Ok((StatusCode::CREATED, Json(institution.into())))
}

pub(crate) async fn update_institution(
    State(state): State<AppState>,
    Auth(staff): Auth,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<InstitutionInput>, JsonRejection>,
) -> Result<Json<InstitutionDto>, Error> {
    require_admin(&staff)?;
    let Path(code) = path?;
    let new = body?.0.validate()?;
    let existing = state.store.institution_by_code(&code).await?.ok_or(Error::NotFound)?;
    let institution = state.store.update_institution(existing.id, &new).await?;
    Ok(Json(institution.into()))
}

#[derive(Serialize)]
pub(crate) struct CategoryDto {
    id: i64,
    code: String,
    parent_id: Option<i64>,
    name_bg: String,
    name_en: String,
    submission_kind: &'static str,
    deadline_rule: String,
    institutions: Vec<i64>,
    active: bool,
}

impl From<store::Category> for CategoryDto {
    fn from(c: store::Category) -> CategoryDto {
        let rule = c
            .deadline_rule
            .clone()
            .unwrap_or_else(|| domain::format_deadline_rule(domain::default_deadline(c.submission_kind)));
        CategoryDto {
            id: c.id,
            code: c.code,
            parent_id: c.parent_id,
            name_bg: c.name_bg,
            name_en: c.name_en,
            submission_kind: c.submission_kind.as_str(),
            deadline_rule: rule,
            institutions: c.institutions,
            active: c.active,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategoryInput {
    code: String,
    parent: Option<String>,
    name_bg: String,
    name_en: String,
    submission_kind: String,
    deadline_rule: Option<String>,
    /// Institution codes.
    institutions: Vec<String>,
}

pub(crate) async fn list_categories(
    State(state): State<AppState>,
    Auth(_staff): Auth,
) -> Result<Json<Vec<CategoryDto>>, Error> {
    let categories = state.store.categories().await?;
    Ok(Json(categories.into_iter().map(CategoryDto::from).collect()))
}

pub(crate) async fn create_category(
    State(state): State<AppState>,
    Auth(staff): Auth,
    body: Result<Json<CategoryInput>, JsonRejection>,
) -> Result<(StatusCode, Json<CategoryDto>), Error> {
    require_admin(&staff)?;
    let input = body?.0;
    let submission_kind = SubmissionKind::parse(input.submission_kind.trim())
        .ok_or_else(|| Error::invalid("submission_kind", "unknown submission kind"))?;
    let deadline_rule = match super::trimmed(input.deadline_rule) {
        None => None,
        Some(rule) => {
            let parsed = domain::parse_deadline_rule(&rule).ok_or_else(|| {
                Error::invalid("deadline_rule", "use months:N, days:N or working_days:N")
            })?;
            Some(domain::format_deadline_rule(parsed))
        }
    };
    let parent_id = match super::trimmed(input.parent) {
        None => None,
        Some(code) => Some(
            state
                .store
                .category_by_code(&code)
                .await?
                .ok_or_else(|| Error::invalid("parent", "no such category"))?
                .id,
        ),
    };
    if input.institutions.is_empty() {
        return Err(Error::invalid("institutions", "a category routes to at least one institution"));
    }
    let mut institutions = Vec::new();
    for code in &input.institutions {
        let institution = state
            .store
            .institution_by_code(code.trim())
            .await?
            .ok_or_else(|| Error::invalid("institutions", format!("no institution {code:?}")))?;
        institutions.push(institution.id);
    }
    let new = store::NewCategory {
        code: valid_code("code", &input.code)?,
        parent_id,
        name_bg: required_text("name_bg", &input.name_bg, 200)?,
        name_en: required_text("name_en", &input.name_en, 200)?,
        submission_kind,
        deadline_rule,
        institutions,
    };
    let category = state.store.create_category(&new).await?;
    Ok((StatusCode::CREATED, Json(category.into())))
}

#[derive(Serialize)]
pub(crate) struct UserDto {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    institution_id: Option<i64>,
    active: bool,
}

impl From<&store::User> for UserDto {
    fn from(u: &store::User) -> UserDto {
        UserDto {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str(),
            institution_id: u.institution_id,
            active: u.active,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserInput {
    username: String,
    display_name: String,
    password: String,
    role: String,
    /// Institution code; required for officers.
    institution: Option<String>,
}

pub(crate) async fn me(State(state): State<AppState>, Auth(staff): Auth) -> Result<Json<UserDto>, Error> {
    let users = state.store.users().await?;
    let user = users.iter().find(|u| u.id == staff.user_id).ok_or(Error::Unauthenticated)?;
    Ok(Json(UserDto::from(user)))
}

pub(crate) async fn list_users(
    State(state): State<AppState>,
    Auth(staff): Auth,
) -> Result<Json<Vec<UserDto>>, Error> {
    require_admin(&staff)?;
    let users = state.store.users().await?;
    Ok(Json(users.iter().map(UserDto::from).collect()))
}

pub(crate) async fn create_user(
    State(state): State<AppState>,
    Auth(staff): Auth,
    body: Result<Json<UserInput>, JsonRejection>,
) -> Result<(StatusCode, Json<UserDto>), Error> {
    require_admin(&staff)?;
    let input = body?.0;
    let role = Role::parse(input.role.trim())
        .ok_or_else(|| Error::invalid("role", "use agent, supervisor, officer or admin"))?;
    let institution_id = match super::trimmed(input.institution) {
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
    if role == Role::Officer && institution_id.is_none() {
        return Err(Error::invalid("institution", "an officer belongs to an institution"));
    }
    if !domain::is_long_enough_password(&input.password) {
        return Err(Error::invalid("password", "must be at least 10 characters"));
    }
    let username = valid_code("username", &input.username)?;
    let password = input.password;
    let password_hash = tokio::task::spawn_blocking(move || crate::hash_password(&password))
        .await
        .map_err(|err| Error::Internal(format!("hash password: {err}")))??;
    let new = store::NewUser {
        username,
        display_name: required_text("display_name", &input.display_name, 200)?,
        role,
        institution_id,
        password_hash,
    };
    let user = state.store.create_user(&new).await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(&user))))
}
