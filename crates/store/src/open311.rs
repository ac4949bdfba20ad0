//! Open311 GeoReport v2 storage: client API keys, service attributes, the attribute values and
//! Open311 fields of reported cases, and the public view of cases that GET requests reads.
//!
//! The case itself is registered like any other (through the group-commit writer); what an
//! Open311 client sent beyond it is recorded afterwards by [`Store::record_open311_request`].
//! Queries are written once and expanded for both backends, as in `queries`.

use domain::{CaseStatus, Channel};

use crate::queries::{ASSIGNMENT_COLUMNS, AssignmentRow, parse_column};
use crate::types::Assignment;
use crate::{Backend, Error, Store};

/// An Open311 client's API key, without the key (only its hash is stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Key {
    pub id: i64,
    pub client_name: String,
    /// The key's first characters, to tell keys apart.
    pub key_prefix: String,
    pub active: bool,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Clone, PartialEq)]
pub struct NewOpen311Key {
    pub client_name: String,
    /// Hex SHA-256 of the key.
    pub key_hash: String,
    pub key_prefix: String,
    pub created_by: Option<i64>,
}

impl std::fmt::Debug for NewOpen311Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOpen311Key").field("client_name", &self.client_name).finish_non_exhaustive()
    }
}

/// The kind of input a service attribute asks for (GeoReport v2 `datatype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeDatatype {
    /// One line of text.
    String,
    Number,
    /// An ISO 8601 date and time.
    Datetime,
    /// Text that may span lines.
    Text,
    /// One key of the attribute's values.
    SingleValueList,
    /// Any number of keys of the attribute's values.
    MultiValueList,
}

impl AttributeDatatype {
    pub const ALL: [AttributeDatatype; 6] = [
        AttributeDatatype::String,
        AttributeDatatype::Number,
        AttributeDatatype::Datetime,
        AttributeDatatype::Text,
        AttributeDatatype::SingleValueList,
        AttributeDatatype::MultiValueList,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttributeDatatype::String => "string",
            AttributeDatatype::Number => "number",
            AttributeDatatype::Datetime => "datetime",
            AttributeDatatype::Text => "text",
            AttributeDatatype::SingleValueList => "singlevaluelist",
            AttributeDatatype::MultiValueList => "multivaluelist",
        }
    }

    pub fn parse(text: &str) -> Option<AttributeDatatype> {
        AttributeDatatype::ALL.into_iter().find(|datatype| datatype.as_str() == text)
    }

    /// Whether the attribute offers a list of values.
    pub fn is_list(self) -> bool {
        matches!(self, AttributeDatatype::SingleValueList | AttributeDatatype::MultiValueList)
    }
}

/// An extra field a category asks for, shown in its Open311 service definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryAttribute {
    pub code: String,
    pub datatype: AttributeDatatype,
    /// `false`: only text shown to the user, no input.
    pub variable: bool,
    pub required: bool,
    /// The position in the form; positive and unique within the category.
    pub order: i64,
    pub description_bg: String,
    pub description_en: String,
    pub datatype_description_bg: Option<String>,
    pub datatype_description_en: Option<String>,
    /// The options of a list attribute, in order.
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttributeValue {
    pub key: String,
    pub name_bg: String,
    pub name_en: String,
}

/// One submitted attribute value of a case; a multivaluelist gives one per value.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseAttribute {
    pub code: String,
    pub value: String,
}

/// What an Open311 client sent beyond the case itself.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOpen311Request {
    pub case_id: i64,
    pub key_id: i64,
    pub token: String,
    pub address_id: Option<String>,
    pub media_url: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub attributes: Vec<CaseAttribute>,
}

/// Which cases GET requests returns; every field narrows the list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Open311Filter {
    /// Case references; when set, the other filters are not applied (as the spec says).
    pub references: Option<Vec<String>>,
    pub category_ids: Option<Vec<i64>>,
    pub statuses: Option<Vec<CaseStatus>>,
    /// Registered at or after, Unix ms.
    pub requested_from: Option<i64>,
    /// Registered at or before, Unix ms.
    pub requested_to: Option<i64>,
    /// Last changed at or after, Unix ms.
    pub updated_from: Option<i64>,
    /// Last changed at or before, Unix ms.
    pub updated_to: Option<i64>,
    pub offset: i64,
    pub limit: i64,
}

/// A case as GET requests sees it. Holds no personal data: no citizen, no device or account id.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Request {
    pub case_id: i64,
    pub reference: String,
    pub channel: Channel,
    pub category_id: i64,
    pub status: CaseStatus,
    pub description: String,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set for cases an Open311 client reported.
    pub token: Option<String>,
    pub address_id: Option<String>,
    pub media_url: Option<String>,
    pub assignments: Vec<Assignment>,
    pub attributes: Vec<CaseAttribute>,
    /// The text of the newest public update, if any.
    pub last_public_update: Option<String>,
}

/// A public history event, for the `notes` of the Open311 extensions.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicEvent {
    pub case_id: i64,
    pub at: i64,
    pub kind: String,
    pub institution_id: Option<i64>,
    pub body: String,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    client_name: String,
    key_prefix: String,
    active: bool,
    created_by: Option<i64>,
    created_at: i64,
    updated_at: i64,
    last_used_at: Option<i64>,
}

impl KeyRow {
    fn into_key(self) -> Open311Key {
        Open311Key {
            id: self.id,
            client_name: self.client_name,
            key_prefix: self.key_prefix,
            active: self.active,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_used_at: self.last_used_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct AttributeRow {
    id: i64,
    code: String,
    datatype: String,
    variable: bool,
    required: bool,
    position: i64,
    description_bg: String,
    description_en: String,
    datatype_description_bg: Option<String>,
    datatype_description_en: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ValueRow {
    attribute_id: i64,
    value_key: String,
    name_bg: String,
    name_en: String,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: i64,
    reference: String,
    channel: String,
    category_id: i64,
    status: String,
    description: String,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    created_at: i64,
    updated_at: i64,
    token: Option<String>,
    address_id: Option<String>,
    media_url: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CaseAttributeRow {
    case_id: i64,
    code: String,
    value: String,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    case_id: i64,
    at: i64,
    kind: String,
    institution_id: Option<i64>,
    body: String,
}

fn attributes_from_rows(rows: Vec<AttributeRow>, values: Vec<ValueRow>) -> Result<Vec<CategoryAttribute>, Error> {
    rows.into_iter()
        .map(|row| {
            let datatype = parse_column(AttributeDatatype::parse, &row.datatype, "category_attributes.datatype")?;
            Ok(CategoryAttribute {
                code: row.code,
                datatype,
                variable: row.variable,
                required: row.required,
                order: row.position,
                description_bg: row.description_bg,
                description_en: row.description_en,
                datatype_description_bg: row.datatype_description_bg,
                datatype_description_en: row.datatype_description_en,
                values: values
                    .iter()
                    .filter(|value| value.attribute_id == row.id)
                    .map(|value| AttributeValue {
                        key: value.value_key.clone(),
                        name_bg: value.name_bg.clone(),
                        name_en: value.name_en.clone(),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// `$first, $first+1, …` for `count` values, for an `IN (…)` list.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

const KEY_COLUMNS: &str =
    "id, client_name, key_prefix, active, created_by, created_at, updated_at, last_used_at";
const ATTRIBUTE_COLUMNS: &str = "id, code, datatype, variable, required, position, description_bg, \
    description_en, datatype_description_bg, datatype_description_en";

macro_rules! open311_queries {
    ($module:ident, $pool:ty, $conn:ty) => {
        pub(crate) mod $module {
            use super::*;

            type Pool = $pool;
            type Conn = $conn;

            pub(crate) async fn create_key(pool: &Pool, new: &NewOpen311Key, now: i64) -> Result<Open311Key, Error> {
                let sql = format!(
                    "INSERT INTO open311_keys (client_name, key_hash, key_prefix, active, created_by, \
                     created_at, updated_at) VALUES ($1, $2, $3, TRUE, $4, $5, $5) RETURNING {KEY_COLUMNS}"
                );
                let row: KeyRow = sqlx::query_as(&sql)
                    .bind(&new.client_name)
                    .bind(&new.key_hash)
                    .bind(&new.key_prefix)
                    .bind(new.created_by)
                    .bind(now)
                    .fetch_one(pool)
                    .await?;
                Ok(row.into_key())
            }

            pub(crate) async fn keys(pool: &Pool) -> Result<Vec<Open311Key>, Error> {
                let sql = format!("SELECT {KEY_COLUMNS} FROM open311_keys ORDER BY id");
                let rows: Vec<KeyRow> = sqlx::query_as(&sql).fetch_all(pool).await?;
                Ok(rows.into_iter().map(KeyRow::into_key).collect())
            }

            pub(crate) async fn key_by_hash(pool: &Pool, key_hash: &str) -> Result<Option<Open311Key>, Error> {
                let sql = format!("SELECT {KEY_COLUMNS} FROM open311_keys WHERE key_hash = $1");
                let row: Option<KeyRow> = sqlx::query_as(&sql).bind(key_hash).fetch_optional(pool).await?;
                Ok(row.map(KeyRow::into_key))
            }

            pub(crate) async fn set_key_active(
                pool: &Pool,
                id: i64,
                active: bool,
                now: i64,
            ) -> Result<Open311Key, Error> {
                let sql = format!(
                    "UPDATE open311_keys SET active = $2, updated_at = $3 WHERE id = $1 RETURNING {KEY_COLUMNS}"
                );
                let row: Option<KeyRow> =
                    sqlx::query_as(&sql).bind(id).bind(active).bind(now).fetch_optional(pool).await?;
                row.map(KeyRow::into_key).ok_or(Error::NotFound)
            }

            async fn attributes_in(conn: &mut Conn, category_id: i64) -> Result<Vec<CategoryAttribute>, Error> {
                let sql = format!(
                    "SELECT {ATTRIBUTE_COLUMNS} FROM category_attributes WHERE category_id = $1 \
                     ORDER BY position, id"
                );
                let rows: Vec<AttributeRow> =
                    sqlx::query_as(&sql).bind(category_id).fetch_all(&mut *conn).await?;
                let values: Vec<ValueRow> = sqlx::query_as(
                    "SELECT v.attribute_id, v.value_key, v.name_bg, v.name_en \
                     FROM category_attribute_values v JOIN category_attributes a ON a.id = v.attribute_id \
                     WHERE a.category_id = $1 ORDER BY v.attribute_id, v.position",
                )
                .bind(category_id)
                .fetch_all(&mut *conn)
                .await?;
                attributes_from_rows(rows, values)
            }

            pub(crate) async fn attributes(pool: &Pool, category_id: i64) -> Result<Vec<CategoryAttribute>, Error> {
                let mut conn = pool.acquire().await?;
                attributes_in(&mut conn, category_id).await
            }

            pub(crate) async fn categories_with_attributes(pool: &Pool) -> Result<Vec<i64>, Error> {
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT DISTINCT category_id FROM category_attributes ORDER BY category_id",
                )
                .fetch_all(pool)
                .await?;
                Ok(ids)
            }

            pub(crate) async fn set_attributes(
                pool: &Pool,
                category_id: i64,
                attributes: &[CategoryAttribute],
                now: i64,
            ) -> Result<Vec<CategoryAttribute>, Error> {
                let mut tx = pool.begin().await?;
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM categories WHERE id = $1")
                    .bind(category_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err(Error::NotFound);
                }
                sqlx::query(
                    "DELETE FROM category_attribute_values WHERE attribute_id IN \
                     (SELECT id FROM category_attributes WHERE category_id = $1)",
                )
                .bind(category_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM category_attributes WHERE category_id = $1")
                    .bind(category_id)
                    .execute(&mut *tx)
                    .await?;
                for attribute in attributes {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO category_attributes (category_id, code, datatype, variable, required, \
                         position, description_bg, description_en, datatype_description_bg, \
                         datatype_description_en, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    )
                    .bind(category_id)
                    .bind(&attribute.code)
                    .bind(attribute.datatype.as_str())
                    .bind(attribute.variable)
                    .bind(attribute.required)
                    .bind(attribute.order)
                    .bind(&attribute.description_bg)
                    .bind(&attribute.description_en)
                    .bind(&attribute.datatype_description_bg)
                    .bind(&attribute.datatype_description_en)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    for (position, value) in attribute.values.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO category_attribute_values (attribute_id, value_key, name_bg, \
                             name_en, position) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(id)
                        .bind(&value.key)
                        .bind(&value.name_bg)
                        .bind(&value.name_en)
                        .bind(position as i64)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                // The changeset must move even when every attribute was removed.
                sqlx::query(
                    "INSERT INTO open311_changes (name, changed_at) VALUES ('services', $1) \
                     ON CONFLICT (name) DO UPDATE SET changed_at = excluded.changed_at",
                )
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let stored = attributes_in(&mut tx, category_id).await?;
                tx.commit().await?;
                Ok(stored)
            }

            pub(crate) async fn changeset(pool: &Pool) -> Result<i64, Error> {
                let (categories, attributes): (Option<i64>, Option<i64>) = sqlx::query_as(
                    "SELECT (SELECT MAX(created_at) FROM categories), \
                     (SELECT MAX(changed_at) FROM open311_changes)",
                )
                .fetch_one(pool)
                .await?;
                Ok(categories.unwrap_or(0).max(attributes.unwrap_or(0)))
            }

            pub(crate) async fn record_request(
                pool: &Pool,
                new: &NewOpen311Request,
                now: i64,
            ) -> Result<(), Error> {
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "INSERT INTO open311_requests (case_id, key_id, token, address_id, media_url, \
                     device_id, account_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(new.case_id)
                .bind(new.key_id)
                .bind(&new.token)
                .bind(&new.address_id)
                .bind(&new.media_url)
                .bind(&new.device_id)
                .bind(&new.account_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                for (position, attribute) in new.attributes.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO case_attributes (case_id, code, position, value) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(new.case_id)
                    .bind(&attribute.code)
                    .bind(position as i64)
                    .bind(&attribute.value)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("UPDATE open311_keys SET last_used_at = $2 WHERE id = $1")
                    .bind(new.key_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            pub(crate) async fn reference_by_token(pool: &Pool, token: &str) -> Result<Option<String>, Error> {
                let reference: Option<String> = sqlx::query_scalar(
                    "SELECT c.reference FROM open311_requests r JOIN cases c ON c.id = r.case_id \
                     WHERE r.token = $1",
                )
                .bind(token)
                .fetch_optional(pool)
                .await?;
                Ok(reference)
            }

            pub(crate) async fn requests(pool: &Pool, filter: &Open311Filter) -> Result<Vec<Open311Request>, Error> {
                let mut conditions: Vec<String> = Vec::new();
                let mut next = 1;
                let mut list = |count: usize| {
                    let text = placeholders(next, count);
                    next += count;
                    text
                };
                let everything = Open311Filter::default();
                // The spec: service_request_id overrides every other filter.
                let narrowing = if filter.references.is_some() {
                    Open311Filter { references: filter.references.clone(), ..everything }
                } else {
                    filter.clone()
                };
                if let Some(references) = &narrowing.references {
                    if references.is_empty() {
                        return Ok(Vec::new());
                    }
                    conditions.push(format!("c.reference IN ({})", list(references.len())));
                }
                if let Some(ids) = &narrowing.category_ids {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    conditions.push(format!("c.category_id IN ({})", list(ids.len())));
                }
                if let Some(statuses) = &narrowing.statuses {
                    if statuses.is_empty() {
                        return Ok(Vec::new());
                    }
                    conditions.push(format!("c.status IN ({})", list(statuses.len())));
                }
                if narrowing.requested_from.is_some() {
                    conditions.push(format!("c.created_at >= {}", list(1)));
                }
                if narrowing.requested_to.is_some() {
                    conditions.push(format!("c.created_at <= {}", list(1)));
                }
                if narrowing.updated_from.is_some() {
                    conditions.push(format!("c.updated_at >= {}", list(1)));
                }
                if narrowing.updated_to.is_some() {
                    conditions.push(format!("c.updated_at <= {}", list(1)));
                }
                let limit = list(1);
                let offset = list(1);
                let where_clause = if conditions.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", conditions.join(" AND "))
                };
                let sql = format!(
                    "SELECT c.id, c.reference, c.channel, c.category_id, c.status, c.description, \
                     c.address, c.latitude, c.longitude, c.created_at, c.updated_at, r.token, \
                     r.address_id, r.media_url FROM cases c LEFT JOIN open311_requests r ON r.case_id = c.id \
                     {where_clause} ORDER BY c.created_at DESC, c.id DESC LIMIT {limit} OFFSET {offset}"
                );
                let mut query = sqlx::query_as::<_, RequestRow>(&sql);
                for reference in narrowing.references.iter().flatten() {
                    query = query.bind(reference.clone());
                }
                for id in narrowing.category_ids.iter().flatten() {
                    query = query.bind(*id);
                }
                for status in narrowing.statuses.iter().flatten() {
                    query = query.bind(status.as_str());
                }
                for bound in [
                    narrowing.requested_from,
                    narrowing.requested_to,
                    narrowing.updated_from,
                    narrowing.updated_to,
                ]
                .into_iter()
                .flatten()
                {
                    query = query.bind(bound);
                }
                query = query.bind(filter.limit.clamp(1, 1000)).bind(filter.offset.max(0));
                let rows = query.fetch_all(pool).await?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
                let in_ids = placeholders(1, ids.len());

                let sql = format!(
                    "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE case_id IN ({in_ids}) \
                     ORDER BY case_id, id"
                );
                let mut query = sqlx::query_as::<_, AssignmentRow>(&sql);
                for id in &ids {
                    query = query.bind(*id);
                }
                let assignments = query
                    .fetch_all(pool)
                    .await?
                    .into_iter()
                    .map(AssignmentRow::into_assignment)
                    .collect::<Result<Vec<Assignment>, Error>>()?;

                let sql = format!(
                    "SELECT case_id, code, value FROM case_attributes WHERE case_id IN ({in_ids}) \
                     ORDER BY case_id, position"
                );
                let mut query = sqlx::query_as::<_, CaseAttributeRow>(&sql);
                for id in &ids {
                    query = query.bind(*id);
                }
                let attributes = query.fetch_all(pool).await?;

                let sql = format!(
                    "SELECT case_id, at, kind, institution_id, body FROM case_events \
                     WHERE case_id IN ({in_ids}) AND public AND kind = 'public_update' ORDER BY case_id, id"
                );
                let mut query = sqlx::query_as::<_, EventRow>(&sql);
                for id in &ids {
                    query = query.bind(*id);
                }
                let updates = query.fetch_all(pool).await?;

                rows.into_iter()
                    .map(|row| {
                        let case_assignments: Vec<Assignment> =
                            assignments.iter().filter(|a| a.case_id == row.id).cloned().collect();
                        Ok(Open311Request {
                            case_id: row.id,
                            channel: parse_column(Channel::parse, &row.channel, "cases.channel")?,
                            status: parse_column(CaseStatus::parse, &row.status, "cases.status")?,
                            reference: row.reference,
                            category_id: row.category_id,
                            description: row.description,
                            address: row.address,
                            latitude: row.latitude,
                            longitude: row.longitude,
                            created_at: row.created_at,
                            updated_at: row.updated_at,
                            token: row.token,
                            address_id: row.address_id,
                            media_url: row.media_url,
                            assignments: case_assignments,
                            attributes: attributes
                                .iter()
                                .filter(|a| a.case_id == row.id)
                                .map(|a| CaseAttribute { code: a.code.clone(), value: a.value.clone() })
                                .collect(),
                            last_public_update: updates
                                .iter()
                                .filter(|e| e.case_id == row.id)
                                .next_back()
                                .map(|e| e.body.clone()),
                        })
                    })
                    .collect()
            }

            pub(crate) async fn public_events(pool: &Pool, case_ids: &[i64]) -> Result<Vec<PublicEvent>, Error> {
                if case_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT case_id, at, kind, institution_id, body FROM case_events \
                     WHERE case_id IN ({}) AND public ORDER BY case_id, id",
                    placeholders(1, case_ids.len())
                );
                let mut query = sqlx::query_as::<_, EventRow>(&sql);
                for id in case_ids {
                    query = query.bind(*id);
                }
                let rows = query.fetch_all(pool).await?;
                Ok(rows
                    .into_iter()
                    .map(|row| PublicEvent {
                        case_id: row.case_id,
                        at: row.at,
                        kind: row.kind,
                        institution_id: row.institution_id,
                        body: row.body,
                    })
                    .collect())
            }
        }
    };
}

open311_queries!(sqlite, sqlx::SqlitePool, sqlx::SqliteConnection);
open311_queries!(postgres, sqlx::PgPool, sqlx::PgConnection);


impl Store {
    /// Issues an Open311 API key; the caller keeps the key and passes its hash.
    pub async fn create_open311_key(&self, new: &NewOpen311Key) -> Result<Open311Key, Error> {
        dispatch!(self, self, |q, pool| q::create_key(pool, new, crate::now()).await)
    }

    pub async fn open311_keys(&self) -> Result<Vec<Open311Key>, Error> {
        dispatch!(self, self, |q, pool| q::keys(pool).await)
    }

    /// The key with this hash, active or not.
    pub async fn open311_key_by_hash(&self, key_hash: &str) -> Result<Option<Open311Key>, Error> {
        dispatch!(self, self, |q, pool| q::key_by_hash(pool, key_hash).await)
    }

    /// Enables or revokes a key. Revoked keys stay, so that earlier requests keep their client.
    pub async fn set_open311_key_active(&self, id: i64, active: bool) -> Result<Open311Key, Error> {
        dispatch!(self, self, |q, pool| q::set_key_active(pool, id, active, crate::now()).await)
    }

    /// A category's attributes in form order, each with its values.
    pub async fn category_attributes(&self, category_id: i64) -> Result<Vec<CategoryAttribute>, Error> {
        dispatch!(self, self, |q, pool| q::attributes(pool, category_id).await)
    }

    /// The ids of the categories that define at least one attribute.
    pub async fn categories_with_attributes(&self) -> Result<Vec<i64>, Error> {
        dispatch!(self, self, |q, pool| q::categories_with_attributes(pool).await)
    }

    /// Replaces all of a category's attributes in one transaction; answers what is stored.
    pub async fn set_category_attributes(
        &self,
        category_id: i64,
        attributes: &[CategoryAttribute],
    ) -> Result<Vec<CategoryAttribute>, Error> {
        dispatch!(self, self, |q, pool| q::set_attributes(pool, category_id, attributes, crate::now()).await)
    }

    /// When the service list or a service definition last changed, Unix ms (0 when never).
    pub async fn open311_changeset(&self) -> Result<i64, Error> {
        dispatch!(self, self, |q, pool| q::changeset(pool).await)
    }

    /// Records what an Open311 client sent with a registered case, and when the key was used.
    pub async fn record_open311_request(&self, new: &NewOpen311Request) -> Result<(), Error> {
        dispatch!(self, self, |q, pool| q::record_request(pool, new, crate::now()).await)
    }

    /// The reference of the case an Open311 token stands for.
    pub async fn open311_reference_by_token(&self, token: &str) -> Result<Option<String>, Error> {
        dispatch!(self, self, |q, pool| q::reference_by_token(pool, token).await)
    }

    /// Cases for GET requests, newest first.
    pub async fn open311_requests(&self, filter: &Open311Filter) -> Result<Vec<Open311Request>, Error> {
        dispatch!(self, self, |q, pool| q::requests(pool, filter).await)
    }

    /// The public history of these cases, oldest first within each case.
    pub async fn open311_public_events(&self, case_ids: &[i64]) -> Result<Vec<PublicEvent>, Error> {
        dispatch!(self, self, |q, pool| q::public_events(pool, case_ids).await)
    }
}
