//! Every SQL statement of the store, written once and compiled for each backend.
//!
//! `backend_queries!` expands the same functions into `sqlite` and `postgres` modules with
//! concrete pool and connection types. The SQL is portable: `$n` placeholders (SQLite accepts
//! them), `RETURNING`, `ON CONFLICT`, BIGINT timestamps and ISO date text. The one difference,
//! the names of the JSON functions that fold a case's children into its row, is a macro
//! argument.

use domain::{AssignmentStatus, CaseStatus, Channel, Connection, InstitutionKind, Proceeding, Role,
    SubmissionKind};

use crate::Error;
use crate::types::*;

#[derive(sqlx::FromRow)]
struct InstitutionRow {
    id: i64,
    code: String,
    name_bg: String,
    name_en: String,
    kind: String,
    connection: String,
    email: Option<String>,
    phone: Option<String>,
    webhook_url: Option<String>,
    active: bool,
}

impl InstitutionRow {
    fn into_institution(self) -> Result<Institution, Error> {
        Ok(Institution {
            id: self.id,
            code: self.code,
            name_bg: self.name_bg,
            name_en: self.name_en,
            kind: parse_column(InstitutionKind::parse, &self.kind, "institutions.kind")?,
            connection: parse_column(Connection::parse, &self.connection, "institutions.connection")?,
            email: self.email,
            phone: self.phone,
            webhook_url: self.webhook_url,
            active: self.active,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    id: i64,
    code: String,
    parent_id: Option<i64>,
    name_bg: String,
    name_en: String,
    submission_kind: String,
    deadline_rule: Option<String>,
    active: bool,
}

impl CategoryRow {
    fn into_category(self, institutions: Vec<i64>) -> Result<Category, Error> {
        Ok(Category {
            id: self.id,
            code: self.code,
            parent_id: self.parent_id,
            name_bg: self.name_bg,
            name_en: self.name_en,
            submission_kind: parse_column(
                SubmissionKind::parse,
                &self.submission_kind,
                "categories.submission_kind",
            )?,
            deadline_rule: self.deadline_rule,
            active: self.active,
            institutions,
        })
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    institution_id: Option<i64>,
    active: bool,
    password_hash: String,
}

impl UserRow {
    fn into_user(self) -> Result<User, Error> {
        Ok(User {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role: parse_column(Role::parse, &self.role, "users.role")?,
            institution_id: self.institution_id,
            active: self.active,
            password_hash: self.password_hash,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CitizenRow {
    id: i64,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    consent_contact: bool,
}

impl CitizenRow {
    fn into_citizen(self) -> Citizen {
        Citizen {
            id: self.id,
            name: self.name,
            phone: self.phone,
            email: self.email,
            consent_contact: self.consent_contact,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    reference: String,
    channel: String,
    category_id: i64,
    submission_kind: String,
    proceeding: String,
    description: String,
    address: Option<String>,
    district: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    citizen_id: Option<i64>,
    status: String,
    received_on: String,
    tracking_code: String,
    created_at: i64,
    updated_at: i64,
}

impl CaseRow {
    fn into_case(self, citizen: Option<Citizen>, assignments: Vec<Assignment>) -> Result<Case, Error> {
        Ok(Case {
            id: self.id,
            reference: self.reference,
            channel: parse_column(Channel::parse, &self.channel, "cases.channel")?,
            category_id: self.category_id,
            submission_kind: parse_column(
                SubmissionKind::parse,
                &self.submission_kind,
                "cases.submission_kind",
            )?,
            proceeding: parse_column(Proceeding::parse, &self.proceeding, "cases.proceeding")?,
            description: self.description,
            address: self.address,
            district: self.district,
            latitude: self.latitude,
            longitude: self.longitude,
            citizen,
            status: parse_column(CaseStatus::parse, &self.status, "cases.status")?,
            received_on: self.received_on,
            tracking_code: self.tracking_code,
            created_at: self.created_at,
            updated_at: self.updated_at,
            assignments,
        })
    }
}

/// One case in one row (see [`case_sql`]): the case, its citizen joined, and its assignments and
/// (when asked for) its history as JSON arrays.
#[derive(sqlx::FromRow)]
struct CaseViewRow {
    #[sqlx(flatten)]
    case: CaseRow,
    citizen_name: Option<String>,
    citizen_phone: Option<String>,
    citizen_email: Option<String>,
    citizen_consent: Option<bool>,
    /// A JSON array of [`AssignmentJson`] arrays, by id.
    assignments: String,
    /// A JSON array of [`EventJson`] arrays, by id; NULL when the history was not asked for.
    history: Option<String>,
}

/// A case, and its history when the statement reads it.
type CaseView = (Case, Option<Vec<CaseEvent>>);

/// An assignment as [`case_sql`] puts it in JSON: `ASSIGNMENT_COLUMNS` in order.
type AssignmentJson = (i64, i64, i64, String, String, i64, i64);

/// A history event as [`case_sql`] puts it in JSON: `EVENT_COLUMNS` in order, with `public` as 0
/// or 1 (SQLite's boolean column is an integer, so both backends write a number).
type EventJson = (i64, i64, Option<i64>, i64, Option<i64>, String, i64, String);

impl CaseViewRow {
    fn into_case(self) -> Result<CaseView, Error> {
        let CaseViewRow {
            case,
            citizen_name,
            citizen_phone,
            citizen_email,
            citizen_consent,
            assignments,
            history,
        } = self;
        let citizen = case.citizen_id.map(|id| Citizen {
            id,
            name: citizen_name,
            phone: citizen_phone,
            email: citizen_email,
            consent_contact: citizen_consent.unwrap_or(false),
        });
        let assignments: Vec<AssignmentJson> =
            serde_json::from_str(&assignments).map_err(|err| unreadable_json("assignments", &err))?;
        let assignments = assignments
            .into_iter()
            .map(|(id, case_id, institution_id, status, deadline, created_at, updated_at)| {
                AssignmentRow { id, case_id, institution_id, status, deadline, created_at, updated_at }
                    .into_assignment()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let history = match history {
            None => None,
            Some(json) => {
                let events: Vec<EventJson> =
                    serde_json::from_str(&json).map_err(|err| unreadable_json("case_events", &err))?;
                let events = events
                    .into_iter()
                    .map(|(id, case_id, institution_id, at, actor_user_id, kind, public, body)| CaseEvent {
                        id,
                        case_id,
                        institution_id,
                        at,
                        actor_user_id,
                        kind,
                        public: public != 0,
                        body,
                    })
                    .collect();
                Some(events)
            }
        };
        Ok((case.into_case(citizen, assignments)?, history))
    }
}

fn unreadable_json(table: &str, err: &serde_json::Error) -> Error {
    Error::Rule(format!("unreadable {table} JSON from the database: {err}"))
}

#[derive(sqlx::FromRow)]
struct CaseSummaryRow {
    id: i64,
    reference: String,
    channel: String,
    category_id: i64,
    status: String,
    received_on: String,
    created_at: i64,
    next_deadline: Option<String>,
}

impl CaseSummaryRow {
    fn into_summary(self) -> Result<CaseSummary, Error> {
        Ok(CaseSummary {
            id: self.id,
            reference: self.reference,
            channel: parse_column(Channel::parse, &self.channel, "cases.channel")?,
            category_id: self.category_id,
            status: parse_column(CaseStatus::parse, &self.status, "cases.status")?,
            received_on: self.received_on,
            created_at: self.created_at,
            next_deadline: self.next_deadline,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AssignmentRow {
    id: i64,
    case_id: i64,
    institution_id: i64,
    status: String,
    deadline: String,
    created_at: i64,
    updated_at: i64,
}

impl AssignmentRow {
    pub(crate) fn into_assignment(self) -> Result<Assignment, Error> {
        Ok(Assignment {
            id: self.id,
            case_id: self.case_id,
            institution_id: self.institution_id,
            status: parse_column(AssignmentStatus::parse, &self.status, "assignments.status")?,
            deadline: self.deadline,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CaseEventRow {
    id: i64,
    case_id: i64,
    institution_id: Option<i64>,
    at: i64,
    actor_user_id: Option<i64>,
    kind: String,
    public: bool,
    body: String,
}

impl CaseEventRow {
    fn into_event(self) -> CaseEvent {
        CaseEvent {
            id: self.id,
            case_id: self.case_id,
            institution_id: self.institution_id,
            at: self.at,
            actor_user_id: self.actor_user_id,
            kind: self.kind,
            public: self.public,
            body: self.body,
        }
    }
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: i64,
    case_id: i64,
    sha256: String,
    filename: String,
    content_type: String,
    size: i64,
    public: bool,
    created_at: i64,
}

impl AttachmentRow {
    fn into_attachment(self) -> Attachment {
        Attachment {
            id: self.id,
            case_id: self.case_id,
            sha256: self.sha256,
            filename: self.filename,
            content_type: self.content_type,
            size: self.size,
            public: self.public,
            created_at: self.created_at,
        }
    }
}

pub(crate) fn parse_column<T>(parse: fn(&str) -> Option<T>, text: &str, column: &str) -> Result<T, Error> {
    parse(text).ok_or_else(|| Error::Rule(format!("unknown value {text:?} in column {column}")))
}

/// The lower-cased text that the case list's text filter searches.
fn search_text(reference: &str, description: &str, address: Option<&str>) -> String {
    let mut text = format!("{reference} {description}");
    if let Some(address) = address {
        text.push(' ');
        text.push_str(address);
    }
    text.to_lowercase()
}

/// A LIKE pattern matching `needle` anywhere, with the wildcards in it escaped.
fn like_pattern(needle: &str) -> String {
    let mut pattern = String::from("%");
    for ch in needle.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

const CASE_COLUMNS: &str = "id, reference, channel, category_id, submission_kind, proceeding, \
    description, address, district, latitude, longitude, citizen_id, status, received_on, \
    tracking_code, created_at, updated_at";
const INSTITUTION_COLUMNS: &str =
    "id, code, name_bg, name_en, kind, connection, email, phone, webhook_url, active";
const USER_COLUMNS: &str =
    "id, username, display_name, role, institution_id, active, password_hash";
pub(crate) const ASSIGNMENT_COLUMNS: &str =
    "id, case_id, institution_id, status, deadline, created_at, updated_at";
const EVENT_COLUMNS: &str = "id, case_id, institution_id, at, actor_user_id, kind, public, body";
const ATTACHMENT_COLUMNS: &str =
    "id, case_id, sha256, filename, content_type, size, public, created_at";

/// The SELECT that reads one case in one row ([`CaseViewRow`]): the case, its citizen joined,
/// its assignments and, with `history`, its events as JSON arrays built by correlated
/// subqueries. One statement instead of one per table: each statement costs a round trip to
/// PostgreSQL, or on SQLite a hand-off to the connection's thread and back, and those hand-offs,
/// not the lookups, were most of a case read's time. `json_agg` and `json_array` name the
/// backend's aggregate and array constructor; `condition` is on `c`, with the key as `$1`.
fn case_sql(json_agg: &str, json_array: &str, condition: &str, history: bool) -> String {
    // The one boolean column, `case_events.public`, goes into JSON as a number on both backends.
    let qualified = |columns: &str, table: &str| -> String {
        columns
            .split(", ")
            .map(|column| match column {
                "public" => format!("CASE WHEN {table}.public THEN 1 ELSE 0 END"),
                _ => format!("{table}.{column}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    // COALESCE: PostgreSQL's aggregate of no rows is NULL, SQLite's is `[]`.
    let assignments = format!(
        "(SELECT CAST(COALESCE({json_agg}({json_array}({}) ORDER BY a.id), '[]') AS TEXT) \
         FROM assignments a WHERE a.case_id = c.id)",
        qualified(ASSIGNMENT_COLUMNS, "a")
    );
    let history = if history {
        format!(
            "(SELECT CAST(COALESCE({json_agg}({json_array}({}) ORDER BY e.id), '[]') AS TEXT) \
             FROM case_events e WHERE e.case_id = c.id)",
            qualified(EVENT_COLUMNS, "e")
        )
    } else {
        "NULL".to_owned()
    };
    format!(
        "SELECT {}, z.name AS citizen_name, z.phone AS citizen_phone, z.email AS citizen_email, \
         z.consent_contact AS citizen_consent, {assignments} AS assignments, {history} AS history \
         FROM cases c LEFT JOIN citizens z ON z.id = c.citizen_id WHERE c.{condition}",
        qualified(CASE_COLUMNS, "c")
    )
}

/// `$json_agg` and `$json_array` name the backend's JSON aggregate and array constructor, the
/// only SQL the backends do not share (see [`case_sql`]).
macro_rules! backend_queries {
    ($module:ident, $db:ty, $pool:ty, $conn:ty, $json_agg:literal, $json_array:literal) => {
        pub(crate) mod $module {
            use std::sync::LazyLock;

            use super::*;

            type Pool = $pool;
            type Conn = $conn;

            // Built once: the case reads are on the hot path.
            pub(crate) static CASE_BY_ID: LazyLock<String> =
                LazyLock::new(|| case_sql($json_agg, $json_array, "id = $1", false));
            pub(crate) static CASE_BY_REFERENCE: LazyLock<String> =
                LazyLock::new(|| case_sql($json_agg, $json_array, "reference = $1", false));
            pub(crate) static CASE_WITH_HISTORY_BY_REFERENCE: LazyLock<String> =
                LazyLock::new(|| case_sql($json_agg, $json_array, "reference = $1", true));

            pub(crate) async fn ping(pool: &Pool) -> Result<(), Error> {
                sqlx::query("SELECT 1").execute(pool).await?;
                Ok(())
            }

            pub(crate) async fn create_institution(
                pool: &Pool,
                new: &NewInstitution,
                now: i64,
            ) -> Result<Institution, Error> {
                let mut conn = pool.acquire().await?;
                let id = upsert_institution(&mut conn, new, now, false).await?;
                institution_in(&mut conn, id).await?.ok_or(Error::NotFound)
            }

            async fn upsert_institution(
                conn: &mut Conn,
                new: &NewInstitution,
                now: i64,
                upsert: bool,
            ) -> Result<i64, Error> {
                let conflict = if upsert {
                    " ON CONFLICT (code) DO UPDATE SET name_bg = excluded.name_bg, \
                     name_en = excluded.name_en, kind = excluded.kind, \
                     connection = excluded.connection, email = excluded.email, \
                     phone = excluded.phone, webhook_url = excluded.webhook_url, \
                     active = excluded.active, updated_at = excluded.updated_at"
                } else {
                    ""
                };
                let sql = format!(
                    "INSERT INTO institutions (code, name_bg, name_en, kind, connection, email, \
                     phone, webhook_url, active, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10){conflict} RETURNING id"
                );
                let id: i64 = sqlx::query_scalar(&sql)
                    .bind(&new.code)
                    .bind(&new.name_bg)
                    .bind(&new.name_en)
                    .bind(new.kind.as_str())
                    .bind(new.connection.as_str())
                    .bind(&new.email)
                    .bind(&new.phone)
                    .bind(&new.webhook_url)
                    .bind(new.active)
                    .bind(now)
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(id)
            }

            pub(crate) async fn update_institution(
                pool: &Pool,
                id: i64,
                new: &NewInstitution,
                now: i64,
            ) -> Result<Institution, Error> {
                let mut conn = pool.acquire().await?;
                let updated = sqlx::query(
                    "UPDATE institutions SET code = $2, name_bg = $3, name_en = $4, kind = $5, \
                     connection = $6, email = $7, phone = $8, webhook_url = $9, active = $10, \
                     updated_at = $11 WHERE id = $1",
                )
                .bind(id)
                .bind(&new.code)
                .bind(&new.name_bg)
                .bind(&new.name_en)
                .bind(new.kind.as_str())
                .bind(new.connection.as_str())
                .bind(&new.email)
                .bind(&new.phone)
                .bind(&new.webhook_url)
                .bind(new.active)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                institution_in(&mut conn, id).await?.ok_or(Error::NotFound)
            }

            async fn institution_in(conn: &mut Conn, id: i64) -> Result<Option<Institution>, Error> {
                let sql = format!("SELECT {INSTITUTION_COLUMNS} FROM institutions WHERE id = $1");
                let row: Option<InstitutionRow> =
                    sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await?;
                row.map(InstitutionRow::into_institution).transpose()
            }

            pub(crate) async fn institution(pool: &Pool, id: i64) -> Result<Option<Institution>, Error> {
                let mut conn = pool.acquire().await?;
                institution_in(&mut conn, id).await
            }

            pub(crate) async fn institution_by_code(
                pool: &Pool,
                code: &str,
            ) -> Result<Option<Institution>, Error> {
                let sql = format!("SELECT {INSTITUTION_COLUMNS} FROM institutions WHERE code = $1");
                let row: Option<InstitutionRow> =
                    sqlx::query_as(&sql).bind(code).fetch_optional(pool).await?;
                row.map(InstitutionRow::into_institution).transpose()
            }

            pub(crate) async fn institutions(pool: &Pool) -> Result<Vec<Institution>, Error> {
                let sql = format!("SELECT {INSTITUTION_COLUMNS} FROM institutions ORDER BY id");
                let rows: Vec<InstitutionRow> = sqlx::query_as(&sql).fetch_all(pool).await?;
                rows.into_iter().map(InstitutionRow::into_institution).collect()
            }

            pub(crate) async fn create_category(
                pool: &Pool,
                new: &NewCategory,
                now: i64,
            ) -> Result<Category, Error> {
                let mut tx = pool.begin().await?;
                let id = upsert_category(&mut tx, new, now, false).await?;
                tx.commit().await?;
                let mut conn = pool.acquire().await?;
                category_in(&mut conn, "id = $1", id).await?.ok_or(Error::NotFound)
            }

            async fn upsert_category(
                conn: &mut Conn,
                new: &NewCategory,
                now: i64,
                upsert: bool,
            ) -> Result<i64, Error> {
                let conflict = if upsert {
                    " ON CONFLICT (code) DO UPDATE SET parent_id = excluded.parent_id, \
                     name_bg = excluded.name_bg, name_en = excluded.name_en, \
                     submission_kind = excluded.submission_kind, \
                     deadline_rule = excluded.deadline_rule"
                } else {
                    ""
                };
                let sql = format!(
                    "INSERT INTO categories (code, parent_id, name_bg, name_en, submission_kind, \
                     deadline_rule, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)\
                     {conflict} RETURNING id"
                );
                let id: i64 = sqlx::query_scalar(&sql)
                    .bind(&new.code)
                    .bind(new.parent_id)
                    .bind(&new.name_bg)
                    .bind(&new.name_en)
                    .bind(new.submission_kind.as_str())
                    .bind(&new.deadline_rule)
                    .bind(now)
                    .fetch_one(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM category_institutions WHERE category_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                for institution_id in &new.institutions {
                    sqlx::query(
                        "INSERT INTO category_institutions (category_id, institution_id) \
                         VALUES ($1, $2)",
                    )
                    .bind(id)
                    .bind(institution_id)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(id)
            }

            async fn category_in<K>(conn: &mut Conn, condition: &str, key: K) -> Result<Option<Category>, Error>
            where
                K: for<'q> sqlx::Encode<'q, $db> + sqlx::Type<$db> + Send + 'static,
            {
                let sql = format!(
                    "SELECT id, code, parent_id, name_bg, name_en, submission_kind, deadline_rule, \
                     active FROM categories WHERE {condition}"
                );
                let row: Option<CategoryRow> =
                    sqlx::query_as(&sql).bind(key).fetch_optional(&mut *conn).await?;
                let Some(row) = row else { return Ok(None) };
                let institutions: Vec<i64> = sqlx::query_scalar(
                    "SELECT institution_id FROM category_institutions WHERE category_id = $1 \
                     ORDER BY institution_id",
                )
                .bind(row.id)
                .fetch_all(&mut *conn)
                .await?;
                row.into_category(institutions).map(Some)
            }

            pub(crate) async fn category(pool: &Pool, id: i64) -> Result<Option<Category>, Error> {
                let mut conn = pool.acquire().await?;
                category_in(&mut conn, "id = $1", id).await
            }

            pub(crate) async fn category_by_code(pool: &Pool, code: &str) -> Result<Option<Category>, Error> {
                let mut conn = pool.acquire().await?;
                category_in(&mut conn, "code = $1", code.to_owned()).await
            }

            pub(crate) async fn categories(pool: &Pool) -> Result<Vec<Category>, Error> {
                let rows: Vec<CategoryRow> = sqlx::query_as(
                    "SELECT id, code, parent_id, name_bg, name_en, submission_kind, deadline_rule, \
                     active FROM categories ORDER BY id",
                )
                .fetch_all(pool)
                .await?;
                let links: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT category_id, institution_id FROM category_institutions \
                     ORDER BY category_id, institution_id",
                )
                .fetch_all(pool)
                .await?;
                rows.into_iter()
                    .map(|row| {
                        let institutions = links
                            .iter()
                            .filter(|(category, _)| *category == row.id)
                            .map(|(_, institution)| *institution)
                            .collect();
                        row.into_category(institutions)
                    })
                    .collect()
            }

            pub(crate) async fn create_user(pool: &Pool, new: &NewUser, now: i64) -> Result<User, Error> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (username, display_name, password_hash, role, \
                     institution_id, active, created_at) VALUES ($1, $2, $3, $4, $5, TRUE, $6) \
                     RETURNING id",
                )
                .bind(&new.username)
                .bind(&new.display_name)
                .bind(&new.password_hash)
                .bind(new.role.as_str())
                .bind(new.institution_id)
                .bind(now)
                .fetch_one(pool)
                .await?;
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
                let row: UserRow = sqlx::query_as(&sql).bind(id).fetch_one(pool).await?;
                row.into_user()
            }

            pub(crate) async fn users(pool: &Pool) -> Result<Vec<User>, Error> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
                let rows: Vec<UserRow> = sqlx::query_as(&sql).fetch_all(pool).await?;
                rows.into_iter().map(UserRow::into_user).collect()
            }

            pub(crate) async fn user_by_username(pool: &Pool, username: &str) -> Result<Option<User>, Error> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
                let row: Option<UserRow> =
                    sqlx::query_as(&sql).bind(username).fetch_optional(pool).await?;
                row.map(UserRow::into_user).transpose()
            }

            pub(crate) async fn create_session(
                pool: &Pool,
                token_hash: &str,
                user_id: i64,
                now: i64,
                expires_at: i64,
            ) -> Result<(), Error> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(user_id)
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub(crate) async fn session_user(
                pool: &Pool,
                token_hash: &str,
                now: i64,
            ) -> Result<Option<User>, Error> {
                let sql = format!(
                    "SELECT {} FROM users u JOIN sessions s ON s.user_id = u.id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active",
                    USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
                );
                let row: Option<UserRow> =
                    sqlx::query_as(&sql).bind(token_hash).bind(now).fetch_optional(pool).await?;
                row.map(UserRow::into_user).transpose()
            }

            pub(crate) async fn delete_session(pool: &Pool, token_hash: &str) -> Result<(), Error> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            /// Inserts one case with its citizen, assignments and first history event, allocating
            /// the next reference number in the same transaction (so a rollback frees nothing and
            /// numbers stay gapless).
            pub(crate) async fn insert_case(
                conn: &mut Conn,
                new: &NewCase,
                now: i64,
            ) -> Result<CaseCreated, Error> {
                let seq: i64 = sqlx::query_scalar(
                    "INSERT INTO reference_counters (prefix, year, last) VALUES ($1, $2, 1) \
                     ON CONFLICT (prefix, year) DO UPDATE SET last = reference_counters.last + 1 \
                     RETURNING last",
                )
                .bind(&new.prefix)
                .bind(i64::from(new.year))
                .fetch_one(&mut *conn)
                .await?;
                let reference = domain::Reference {
                    prefix: new.prefix.clone(),
                    year: new.year,
                    seq: u32::try_from(seq).map_err(|_| Error::Rule("reference numbers exhausted".into()))?,
                }
                .to_string();
                let citizen_id: Option<i64> = match &new.citizen {
                    None => None,
                    Some(citizen) => Some(
                        sqlx::query_scalar(
                            "INSERT INTO citizens (name, phone, email, consent_contact, created_at) \
                             VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        )
                        .bind(&citizen.name)
                        .bind(&citizen.phone)
                        .bind(&citizen.email)
                        .bind(citizen.consent_contact)
                        .bind(now)
                        .fetch_one(&mut *conn)
                        .await?,
                    ),
                };
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO cases (reference, channel, category_id, submission_kind, \
                     proceeding, description, search_text, address, district, latitude, \
                     longitude, citizen_id, status, received_on, tracking_code, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                     $14, $15, $16, $16) RETURNING id",
                )
                .bind(&reference)
                .bind(new.channel.as_str())
                .bind(new.category_id)
                .bind(new.submission_kind.as_str())
                .bind(new.proceeding.as_str())
                .bind(&new.description)
                .bind(search_text(&reference, &new.description, new.address.as_deref()))
                .bind(&new.address)
                .bind(&new.district)
                .bind(new.latitude)
                .bind(new.longitude)
                .bind(citizen_id)
                .bind(CaseStatus::New.as_str())
                .bind(&new.received_on)
                .bind(&new.tracking_code)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?;
                for assignment in &new.assignments {
                    sqlx::query(
                        "INSERT INTO assignments (case_id, institution_id, status, deadline, \
                         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                    )
                    .bind(id)
                    .bind(assignment.institution_id)
                    .bind(AssignmentStatus::New.as_str())
                    .bind(&assignment.deadline)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                sqlx::query(
                    "INSERT INTO case_events (case_id, institution_id, at, actor_user_id, kind, \
                     public, body) VALUES ($1, NULL, $2, $3, 'registered', TRUE, $4)",
                )
                .bind(id)
                .bind(now)
                .bind(new.actor_user_id)
                .bind(format!("registered as {reference} via {}", new.channel.as_str()))
                .execute(&mut *conn)
                .await?;
                Ok(CaseCreated { id, reference })
            }

            /// Inserts a whole batch of cases with a handful of multi-row statements: one
            /// counter update per reference series, one INSERT for the cases, one for their
            /// assignments and one for their first history events (citizens, which have no key to
            /// match returned ids on, one by one). Same rows as [`insert_case`] for each case.
            pub(crate) async fn insert_case_batch(
                conn: &mut Conn,
                batch: &[&NewCase],
                now: i64,
            ) -> Result<Vec<CaseCreated>, Error> {
                // Reserve a block of numbers per (prefix, year), in arrival order.
                let mut series: Vec<((String, i32), i64)> = Vec::new();
                for new in batch {
                    let key = (new.prefix.clone(), new.year);
                    match series.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, count)) => *count += 1,
                        None => series.push((key, 1)),
                    }
                }
                let mut next_seq: Vec<((String, i32), i64)> = Vec::with_capacity(series.len());
                for ((prefix, year), count) in &series {
                    let last: i64 = sqlx::query_scalar(
                        "INSERT INTO reference_counters (prefix, year, last) VALUES ($1, $2, $3) \
                         ON CONFLICT (prefix, year) DO UPDATE SET last = reference_counters.last + $3 \
                         RETURNING last",
                    )
                    .bind(prefix)
                    .bind(i64::from(*year))
                    .bind(*count)
                    .fetch_one(&mut *conn)
                    .await?;
                    next_seq.push(((prefix.clone(), *year), last - count + 1));
                }
                let mut references = Vec::with_capacity(batch.len());
                for new in batch {
                    let slot = next_seq
                        .iter_mut()
                        .find(|(k, _)| k.0 == new.prefix && k.1 == new.year)
                        .ok_or_else(|| Error::Rule("reference series missing".into()))?;
                    let seq = u32::try_from(slot.1).map_err(|_| Error::Rule("reference numbers exhausted".into()))?;
                    slot.1 += 1;
                    references.push(
                        domain::Reference { prefix: new.prefix.clone(), year: new.year, seq }.to_string(),
                    );
                }
                // The batch's citizens in one statement, not one round trip each. RETURNING gives
                // no order, so ids are matched back by content: rows alike in every column are
                // interchangeable, whichever case gets which.
                type CitizenKey = (Option<String>, Option<String>, Option<String>, bool);
                let key = |c: &NewCitizen| -> CitizenKey {
                    (c.name.clone(), c.phone.clone(), c.email.clone(), c.consent_contact)
                };
                let citizens: Vec<&NewCitizen> = batch.iter().filter_map(|new| new.citizen.as_ref()).collect();
                let mut citizen_rows: std::collections::HashMap<CitizenKey, Vec<i64>> = std::collections::HashMap::new();
                for chunk in citizens.chunks(1000) {
                    let mut builder = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO citizens (name, phone, email, consent_contact, created_at) ",
                    );
                    builder.push_values(chunk, |mut row, citizen| {
                        row.push_bind(citizen.name.clone())
                            .push_bind(citizen.phone.clone())
                            .push_bind(citizen.email.clone())
                            .push_bind(citizen.consent_contact)
                            .push_bind(now);
                    });
                    builder.push(" RETURNING id, name, phone, email, consent_contact");
                    let rows: Vec<(i64, Option<String>, Option<String>, Option<String>, bool)> =
                        builder.build_query_as().fetch_all(&mut *conn).await?;
                    for (id, name, phone, email, consent) in rows {
                        citizen_rows.entry((name, phone, email, consent)).or_default().push(id);
                    }
                }
                let mut citizen_ids: Vec<Option<i64>> = Vec::with_capacity(batch.len());
                for new in batch {
                    citizen_ids.push(match &new.citizen {
                        None => None,
                        Some(citizen) => Some(
                            citizen_rows
                                .get_mut(&key(citizen))
                                .and_then(Vec::pop)
                                .ok_or_else(|| Error::Rule("citizen insert lost a row".into()))?,
                        ),
                    });
                }
                // Rows come back from RETURNING in no guaranteed order: match them by reference.
                let mut ids: std::collections::HashMap<String, i64> = std::collections::HashMap::with_capacity(batch.len());
                for chunk in (0..batch.len()).collect::<Vec<_>>().chunks(1000) {
                    let mut builder = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO cases (reference, channel, category_id, submission_kind, \
                         proceeding, description, search_text, address, district, latitude, \
                         longitude, citizen_id, status, received_on, tracking_code, created_at, \
                         updated_at) ",
                    );
                    builder.push_values(chunk, |mut row, index| {
                        let new = batch[*index];
                        let reference = &references[*index];
                        row.push_bind(reference.clone())
                            .push_bind(new.channel.as_str())
                            .push_bind(new.category_id)
                            .push_bind(new.submission_kind.as_str())
                            .push_bind(new.proceeding.as_str())
                            .push_bind(new.description.clone())
                            .push_bind(search_text(reference, &new.description, new.address.as_deref()))
                            .push_bind(new.address.clone())
                            .push_bind(new.district.clone())
                            .push_bind(new.latitude)
                            .push_bind(new.longitude)
                            .push_bind(citizen_ids[*index])
                            .push_bind(CaseStatus::New.as_str())
                            .push_bind(new.received_on.clone())
                            .push_bind(new.tracking_code.clone())
                            .push_bind(now)
                            .push_bind(now);
                    });
                    builder.push(" RETURNING id, reference");
                    let rows: Vec<(i64, String)> = builder.build_query_as().fetch_all(&mut *conn).await?;
                    for (id, reference) in rows {
                        ids.insert(reference, id);
                    }
                }
                let mut created = Vec::with_capacity(batch.len());
                for reference in &references {
                    let id = *ids.get(reference).ok_or_else(|| Error::Rule("case insert lost a row".into()))?;
                    created.push(CaseCreated { id, reference: reference.clone() });
                }
                let assignments: Vec<(i64, &NewAssignment)> = batch
                    .iter()
                    .zip(&created)
                    .flat_map(|(new, created)| new.assignments.iter().map(move |a| (created.id, a)))
                    .collect();
                for chunk in assignments.chunks(1000) {
                    let mut builder = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO assignments (case_id, institution_id, status, deadline, \
                         created_at, updated_at) ",
                    );
                    builder.push_values(chunk, |mut row, (case_id, assignment)| {
                        row.push_bind(*case_id)
                            .push_bind(assignment.institution_id)
                            .push_bind(AssignmentStatus::New.as_str())
                            .push_bind(assignment.deadline.clone())
                            .push_bind(now)
                            .push_bind(now);
                    });
                    builder.build().execute(&mut *conn).await?;
                }
                for chunk in batch.iter().zip(&created).collect::<Vec<_>>().chunks(1000) {
                    let mut builder = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO case_events (case_id, institution_id, at, actor_user_id, kind, \
                         public, body) ",
                    );
                    builder.push_values(chunk, |mut row, (new, created)| {
                        row.push_bind(created.id)
                            .push_bind(None::<i64>)
                            .push_bind(now)
                            .push_bind(new.actor_user_id)
                            .push_bind("registered")
                            .push_bind(true)
                            .push_bind(format!("registered as {} via {}", created.reference, new.channel.as_str()));
                    });
                    builder.build().execute(&mut *conn).await?;
                }
                Ok(created)
            }

            /// The case that `sql` (one of the `CASE_*` statements) finds by `key`, and its
            /// history if the statement reads it.
            async fn case_where<K>(
                conn: &mut Conn,
                sql: &str,
                key: K,
            ) -> Result<Option<CaseView>, Error>
            where
                K: for<'q> sqlx::Encode<'q, $db> + sqlx::Type<$db> + Send + 'static,
            {
                let row: Option<CaseViewRow> = sqlx::query_as(sql).bind(key).fetch_optional(&mut *conn).await?;
                row.map(CaseViewRow::into_case).transpose()
            }

            #[allow(dead_code, reason = "SQLite reads cases on the readers' own connections: `sqlite_reads`")]
            pub(crate) async fn case_by_reference(conn: &mut Conn, reference: &str) -> Result<Option<Case>, Error> {
                let found = case_where(conn, &CASE_BY_REFERENCE, reference.to_owned()).await?;
                Ok(found.map(|(case, _)| case))
            }

            #[allow(dead_code, reason = "SQLite reads cases on the readers' own connections: `sqlite_reads`")]
            pub(crate) async fn case_by_id(conn: &mut Conn, id: i64) -> Result<Option<Case>, Error> {
                let found = case_where(conn, &CASE_BY_ID, id).await?;
                Ok(found.map(|(case, _)| case))
            }

            #[allow(dead_code, reason = "SQLite reads cases on the readers' own connections: `sqlite_reads`")]
            pub(crate) async fn case_with_history(
                conn: &mut Conn,
                reference: &str,
            ) -> Result<Option<CaseWithHistory>, Error> {
                let found = case_where(conn, &CASE_WITH_HISTORY_BY_REFERENCE, reference.to_owned()).await?;
                Ok(found.map(|(case, history)| CaseWithHistory { case, history: history.unwrap_or_default() }))
            }

            pub(crate) async fn list_cases(pool: &Pool, filter: &CaseFilter) -> Result<Vec<CaseSummary>, Error> {
                let mut conditions: Vec<String> = Vec::new();
                let mut next = 0;
                let mut param = || {
                    next += 1;
                    format!("${next}")
                };
                if filter.status.is_some() {
                    conditions.push(format!("c.status = {}", param()));
                }
                if filter.category_id.is_some() {
                    conditions.push(format!("c.category_id = {}", param()));
                }
                if filter.institution_id.is_some() {
                    conditions.push(format!(
                        "EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.institution_id = {})",
                        param()
                    ));
                }
                if filter.scope_institution.is_some() {
                    conditions.push(format!(
                        "EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id AND a.institution_id = {})",
                        param()
                    ));
                }
                if filter.overdue_on.is_some() {
                    conditions.push(format!(
                        "EXISTS (SELECT 1 FROM assignments a WHERE a.case_id = c.id \
                         AND a.status IN ('new', 'accepted', 'in_progress') AND a.deadline < {})",
                        param()
                    ));
                }
                if filter.text.is_some() {
                    conditions.push(format!("c.search_text LIKE {} ESCAPE '\\'", param()));
                }
                if filter.created_from.is_some() {
                    conditions.push(format!("c.created_at >= {}", param()));
                }
                if filter.created_to.is_some() {
                    conditions.push(format!("c.created_at < {}", param()));
                }
                if filter.before_id.is_some() {
                    conditions.push(format!("c.id < {}", param()));
                }
                let limit = param();
                let where_clause = if conditions.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", conditions.join(" AND "))
                };
                let sql = format!(
                    "SELECT c.id, c.reference, c.channel, c.category_id, c.status, c.received_on, \
                     c.created_at, (SELECT MIN(a.deadline) FROM assignments a WHERE a.case_id = c.id \
                     AND a.status IN ('new', 'accepted', 'in_progress')) AS next_deadline \
                     FROM cases c {where_clause} ORDER BY c.id DESC LIMIT {limit}"
                );
                let mut query = sqlx::query_as::<_, CaseSummaryRow>(&sql);
                if let Some(status) = filter.status {
                    query = query.bind(status.as_str());
                }
                if let Some(category_id) = filter.category_id {
                    query = query.bind(category_id);
                }
                if let Some(institution_id) = filter.institution_id {
                    query = query.bind(institution_id);
                }
                if let Some(scope) = filter.scope_institution {
                    query = query.bind(scope);
                }
                if let Some(overdue_on) = &filter.overdue_on {
                    query = query.bind(overdue_on.clone());
                }
                if let Some(text) = &filter.text {
                    query = query.bind(like_pattern(text));
                }
                if let Some(from) = filter.created_from {
                    query = query.bind(from);
                }
                if let Some(to) = filter.created_to {
                    query = query.bind(to);
                }
                if let Some(before_id) = filter.before_id {
                    query = query.bind(before_id);
                }
                query = query.bind(filter.limit.clamp(1, 500));
                let rows = query.fetch_all(pool).await?;
                rows.into_iter().map(CaseSummaryRow::into_summary).collect()
            }

            pub(crate) async fn case_events(pool: &Pool, case_id: i64) -> Result<Vec<CaseEvent>, Error> {
                let sql = format!("SELECT {EVENT_COLUMNS} FROM case_events WHERE case_id = $1 ORDER BY id");
                let rows: Vec<CaseEventRow> = sqlx::query_as(&sql).bind(case_id).fetch_all(pool).await?;
                Ok(rows.into_iter().map(CaseEventRow::into_event).collect())
            }

            async fn insert_event(conn: &mut Conn, event: &NewCaseEvent, now: i64) -> Result<CaseEvent, Error> {
                let sql = format!(
                    "INSERT INTO case_events (case_id, institution_id, at, actor_user_id, kind, public, \
                     body) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {EVENT_COLUMNS}"
                );
                let row: CaseEventRow = sqlx::query_as(&sql)
                    .bind(event.case_id)
                    .bind(event.institution_id)
                    .bind(now)
                    .bind(event.actor_user_id)
                    .bind(&event.kind)
                    .bind(event.public)
                    .bind(&event.body)
                    .fetch_one(&mut *conn)
                    .await?;
                sqlx::query("UPDATE cases SET updated_at = $2 WHERE id = $1")
                    .bind(event.case_id)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                Ok(row.into_event())
            }

            pub(crate) async fn add_case_event(
                pool: &Pool,
                event: &NewCaseEvent,
                now: i64,
            ) -> Result<CaseEvent, Error> {
                let mut tx = pool.begin().await?;
                let event = insert_event(&mut tx, event, now).await?;
                tx.commit().await?;
                Ok(event)
            }

            /// Re-derives and stores the case's status from its assignments.
            async fn refresh_status(conn: &mut Conn, case_id: i64, now: i64) -> Result<(), Error> {
                let statuses: Vec<String> =
                    sqlx::query_scalar("SELECT status FROM assignments WHERE case_id = $1")
                        .bind(case_id)
                        .fetch_all(&mut *conn)
                        .await?;
                let statuses = statuses
                    .iter()
                    .map(|s| parse_column(AssignmentStatus::parse, s, "assignments.status"))
                    .collect::<Result<Vec<_>, _>>()?;
                let status = domain::case_status(&statuses);
                sqlx::query("UPDATE cases SET status = $2, updated_at = $3 WHERE id = $1")
                    .bind(case_id)
                    .bind(status.as_str())
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn insert_assignment(
                conn: &mut Conn,
                case_id: i64,
                assignment: &NewAssignment,
                actor_user_id: Option<i64>,
                now: i64,
            ) -> Result<(), Error> {
                sqlx::query(
                    "INSERT INTO assignments (case_id, institution_id, status, deadline, created_at, \
                     updated_at) VALUES ($1, $2, 'new', $3, $4, $4)",
                )
                .bind(case_id)
                .bind(assignment.institution_id)
                .bind(&assignment.deadline)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                let event = NewCaseEvent {
                    case_id,
                    institution_id: Some(assignment.institution_id),
                    actor_user_id,
                    kind: "assigned".into(),
                    public: true,
                    body: format!("assigned, deadline {}", assignment.deadline),
                };
                insert_event(conn, &event, now).await?;
                Ok(())
            }

            pub(crate) async fn change_assignment(
                pool: &Pool,
                change: &AssignmentChange,
                now: i64,
            ) -> Result<Case, Error> {
                let mut tx = pool.begin().await?;
                // Lock the case row first so that concurrent changes to one case serialise.
                let locked = sqlx::query("UPDATE cases SET updated_at = $2 WHERE id = $1")
                    .bind(change.case_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                if locked.rows_affected() == 0 {
                    return Err(Error::NotFound);
                }
                let current: Option<String> = sqlx::query_scalar(
                    "SELECT status FROM assignments WHERE case_id = $1 AND institution_id = $2",
                )
                .bind(change.case_id)
                .bind(change.institution_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(current) = current else { return Err(Error::NotFound) };
                let current = parse_column(AssignmentStatus::parse, &current, "assignments.status")?;
                current.transition(change.to).map_err(|err| Error::Rule(err.to_string()))?;
                let reason = change.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
                if change.to == AssignmentStatus::Declined && reason.is_none() {
                    return Err(Error::Rule("declining needs a reason".into()));
                }
                if (change.to == AssignmentStatus::Forwarded) != change.forward_to.is_some() {
                    return Err(Error::Rule("forwarding needs the institution that takes over".into()));
                }
                sqlx::query(
                    "UPDATE assignments SET status = $3, updated_at = $4 \
                     WHERE case_id = $1 AND institution_id = $2",
                )
                .bind(change.case_id)
                .bind(change.institution_id)
                .bind(change.to.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let mut body = format!("{} -> {}", current.as_str(), change.to.as_str());
                if let Some(reason) = reason {
                    body.push_str(": ");
                    body.push_str(reason);
                }
                let event = NewCaseEvent {
                    case_id: change.case_id,
                    institution_id: Some(change.institution_id),
                    actor_user_id: change.actor_user_id,
                    kind: "status".into(),
                    public: true,
                    body,
                };
                insert_event(&mut tx, &event, now).await?;
                if let Some(forward_to) = &change.forward_to {
                    insert_assignment(&mut tx, change.case_id, forward_to, change.actor_user_id, now)
                        .await?;
                }
                refresh_status(&mut tx, change.case_id, now).await?;
                let (case, _) = case_where(&mut *tx, &CASE_BY_ID, change.case_id).await?.ok_or(Error::NotFound)?;
                tx.commit().await?;
                Ok(case)
            }

            pub(crate) async fn add_assignment(
                pool: &Pool,
                add: &NewAssignmentOnCase,
                now: i64,
            ) -> Result<Case, Error> {
                let mut tx = pool.begin().await?;
                insert_assignment(&mut tx, add.case_id, &add.assignment, add.actor_user_id, now).await?;
                refresh_status(&mut tx, add.case_id, now).await?;
                let (case, _) = case_where(&mut *tx, &CASE_BY_ID, add.case_id).await?.ok_or(Error::NotFound)?;
                tx.commit().await?;
                Ok(case)
            }

            pub(crate) async fn add_attachment(
                pool: &Pool,
                new: &NewAttachment,
                now: i64,
            ) -> Result<Attachment, Error> {
                let mut tx = pool.begin().await?;
                let sql = format!(
                    "INSERT INTO attachments (case_id, sha256, filename, content_type, size, public, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ATTACHMENT_COLUMNS}"
                );
                let row: AttachmentRow = sqlx::query_as(&sql)
                    .bind(new.case_id)
                    .bind(&new.sha256)
                    .bind(&new.filename)
                    .bind(&new.content_type)
                    .bind(new.size)
                    .bind(new.public)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                let event = NewCaseEvent {
                    case_id: new.case_id,
                    institution_id: None,
                    actor_user_id: new.actor_user_id,
                    kind: "attachment".into(),
                    public: new.public,
                    body: format!("attachment {} ({} bytes)", row.id, new.size),
                };
                insert_event(&mut tx, &event, now).await?;
                tx.commit().await?;
                Ok(row.into_attachment())
            }

            pub(crate) async fn attachments(pool: &Pool, case_id: i64) -> Result<Vec<Attachment>, Error> {
                let sql = format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE case_id = $1 ORDER BY id");
                let rows: Vec<AttachmentRow> = sqlx::query_as(&sql).bind(case_id).fetch_all(pool).await?;
                Ok(rows.into_iter().map(AttachmentRow::into_attachment).collect())
            }

            pub(crate) async fn attachment(pool: &Pool, id: i64) -> Result<Option<Attachment>, Error> {
                let sql = format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1");
                let row: Option<AttachmentRow> = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?;
                Ok(row.map(AttachmentRow::into_attachment))
            }

            pub(crate) async fn citizens_by_phone(pool: &Pool, phone: &str) -> Result<Vec<CitizenCases>, Error> {
                let citizens: Vec<CitizenRow> = sqlx::query_as(
                    "SELECT id, name, phone, email, consent_contact FROM citizens WHERE phone = $1 \
                     ORDER BY id DESC LIMIT 50",
                )
                .bind(phone)
                .fetch_all(pool)
                .await?;
                let mut found = Vec::with_capacity(citizens.len());
                for citizen in citizens {
                    let rows: Vec<CaseSummaryRow> = sqlx::query_as(
                        "SELECT c.id, c.reference, c.channel, c.category_id, c.status, c.received_on, \
                         c.created_at, (SELECT MIN(a.deadline) FROM assignments a WHERE a.case_id = c.id \
                         AND a.status IN ('new', 'accepted', 'in_progress')) AS next_deadline \
                         FROM cases c WHERE c.citizen_id = $1 ORDER BY c.id DESC LIMIT 20",
                    )
                    .bind(citizen.id)
                    .fetch_all(pool)
                    .await?;
                    let cases = rows.into_iter().map(CaseSummaryRow::into_summary).collect::<Result<_, _>>()?;
                    found.push(CitizenCases { citizen: citizen.into_citizen(), cases });
                }
                Ok(found)
            }

            pub(crate) async fn counts(pool: &Pool) -> Result<Counts, Error> {
                let (cases, open_assignments, institutions, users): (i64, i64, i64, i64) = sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM cases), \
                     (SELECT COUNT(*) FROM assignments WHERE status IN ('new', 'accepted', 'in_progress')), \
                     (SELECT COUNT(*) FROM institutions), (SELECT COUNT(*) FROM users)",
                )
                .fetch_one(pool)
                .await?;
                Ok(Counts { cases, open_assignments, institutions, users })
            }

            pub(crate) async fn import(pool: &Pool, batch: &ImportBatch, now: i64) -> Result<ImportSummary, Error> {
                let mut tx = pool.begin().await?;
                for institution in &batch.institutions {
                    upsert_institution(&mut tx, institution, now, true).await?;
                }
                for category in &batch.categories {
                    let parent_id = match &category.parent_code {
                        None => None,
                        Some(code) => Some(id_by_code(&mut tx, "categories", code).await?),
                    };
                    let mut institutions = Vec::new();
                    for code in &category.institution_codes {
                        institutions.push(id_by_code(&mut tx, "institutions", code).await?);
                    }
                    let new = NewCategory {
                        code: category.code.clone(),
                        parent_id,
                        name_bg: category.name_bg.clone(),
                        name_en: category.name_en.clone(),
                        submission_kind: category.submission_kind,
                        deadline_rule: category.deadline_rule.clone(),
                        institutions,
                    };
                    upsert_category(&mut tx, &new, now, true).await?;
                }
                for user in &batch.users {
                    let institution_id = match &user.institution_code {
                        None => None,
                        Some(code) => Some(id_by_code(&mut tx, "institutions", code).await?),
                    };
                    sqlx::query(
                        "INSERT INTO users (username, display_name, password_hash, role, institution_id, \
                         active, created_at) VALUES ($1, $2, $3, $4, $5, TRUE, $6) \
                         ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, \
                         password_hash = excluded.password_hash, role = excluded.role, \
                         institution_id = excluded.institution_id",
                    )
                    .bind(&user.username)
                    .bind(&user.display_name)
                    .bind(&user.password_hash)
                    .bind(user.role.as_str())
                    .bind(institution_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(ImportSummary {
                    institutions: batch.institutions.len(),
                    categories: batch.categories.len(),
                    users: batch.users.len(),
                })
            }

            async fn id_by_code(conn: &mut Conn, table: &str, code: &str) -> Result<i64, Error> {
                let sql = format!("SELECT id FROM {table} WHERE code = $1");
                let id: Option<i64> = sqlx::query_scalar(&sql).bind(code).fetch_optional(&mut *conn).await?;
                id.ok_or_else(|| Error::Rule(format!("unknown code {code:?} in {table}")))
            }
        }
    };
}

backend_queries!(sqlite, sqlx::Sqlite, sqlx::SqlitePool, sqlx::SqliteConnection, "json_group_array", "json_array");
backend_queries!(postgres, sqlx::Postgres, sqlx::PgPool, sqlx::PgConnection, "json_agg", "json_build_array");

/// The SQLite case reads, on the synchronous connections of [`crate::readers`]: the statements
/// of `sqlite` above, decoded into the same [`CaseViewRow`].
pub(crate) mod sqlite_reads {
    use rusqlite::{Connection, OptionalExtension, Row, ToSql};

    use super::*;

    pub(crate) fn case_by_reference(conn: &Connection, reference: &str) -> Result<Option<Case>, Error> {
        Ok(case_where(conn, &sqlite::CASE_BY_REFERENCE, &reference)?.map(|(case, _)| case))
    }

    pub(crate) fn case_by_id(conn: &Connection, id: i64) -> Result<Option<Case>, Error> {
        Ok(case_where(conn, &sqlite::CASE_BY_ID, &id)?.map(|(case, _)| case))
    }

    pub(crate) fn case_with_history(conn: &Connection, reference: &str) -> Result<Option<CaseWithHistory>, Error> {
        let found = case_where(conn, &sqlite::CASE_WITH_HISTORY_BY_REFERENCE, &reference)?;
        Ok(found.map(|(case, history)| CaseWithHistory { case, history: history.unwrap_or_default() }))
    }

    fn case_where(
        conn: &Connection,
        sql: &str,
        key: &dyn ToSql,
    ) -> Result<Option<CaseView>, Error> {
        // Cached: the statement is prepared once per connection.
        let mut statement = conn.prepare_cached(sql)?;
        let row = statement.query_row([key], view_row).optional()?;
        row.map(CaseViewRow::into_case).transpose()
    }

    /// The columns in `case_sql`'s order: `CASE_COLUMNS`, the citizen's four, assignments,
    /// history.
    fn view_row(row: &Row<'_>) -> rusqlite::Result<CaseViewRow> {
        Ok(CaseViewRow {
            case: CaseRow {
                id: row.get(0)?,
                reference: row.get(1)?,
                channel: row.get(2)?,
                category_id: row.get(3)?,
                submission_kind: row.get(4)?,
                proceeding: row.get(5)?,
                description: row.get(6)?,
                address: row.get(7)?,
                district: row.get(8)?,
                latitude: row.get(9)?,
                longitude: row.get(10)?,
                citizen_id: row.get(11)?,
                status: row.get(12)?,
                received_on: row.get(13)?,
                tracking_code: row.get(14)?,
                created_at: row.get(15)?,
                updated_at: row.get(16)?,
            },
            citizen_name: row.get(17)?,
            citizen_phone: row.get(18)?,
            citizen_email: row.get(19)?,
            citizen_consent: row.get(20)?,
            assignments: row.get(21)?,
            history: row.get(22)?,
        })
    }
}
