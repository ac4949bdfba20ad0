//! Call detail records written by the phone switch's event consumer and listed for
//! supervisors. Queries are written once and expanded for both backends, as in `queries`.
//!
//! The caller's number is personal data: it is stored so that supervisors can call back and
//! agents can find earlier cases, and never logged.

use crate::{Backend, Error, Store};

/// One leg of a call as the switch reported it when it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallRecord {
    /// The switch's call id (`c17`); shared by the caller leg and the agent legs of one call.
    pub call_ref: String,
    /// `caller` or `agent`.
    pub leg: String,
    /// The agent's SIP user name.
    pub agent: Option<String>,
    /// The caller's number.
    pub caller: Option<String>,
    /// The last queue the call waited in.
    pub queue: Option<String>,
    /// Unix milliseconds.
    pub started_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: i64,
    pub wait_ms: i64,
    pub talk_ms: i64,
    /// How the leg ended (`answered`, `abandoned`, `voicemail`, ...).
    pub outcome: String,
}

/// A stored call detail record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CallRecord {
    pub id: i64,
    pub call_ref: String,
    pub leg: String,
    pub agent: Option<String>,
    pub caller: Option<String>,
    pub queue: Option<String>,
    pub started_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: i64,
    pub wait_ms: i64,
    pub talk_ms: i64,
    pub outcome: String,
}

/// Which records to list, newest first. `None` means no restriction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    /// Started at or after (Unix ms).
    pub from: Option<i64>,
    /// Started before (Unix ms).
    pub to: Option<i64>,
    pub queue: Option<String>,
    pub agent: Option<String>,
    pub outcome: Option<String>,
    pub leg: Option<String>,
    /// Only records with an id below this (the cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: i64,
}

macro_rules! call_queries {
    ($backend:ident, $pool:ty) => {
        pub(crate) mod $backend {
            use super::{CallFilter, CallRecord, NewCallRecord};
            use crate::Error;

            type Pool = $pool;

            pub(crate) async fn insert(pool: &Pool, new: &NewCallRecord) -> Result<i64, Error> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO calls (call_ref, leg, agent, caller, queue, started_at, answered_at, \
                     ended_at, wait_ms, talk_ms, outcome) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(&new.call_ref)
                .bind(&new.leg)
                .bind(&new.agent)
                .bind(&new.caller)
                .bind(&new.queue)
                .bind(new.started_at)
                .bind(new.answered_at)
                .bind(new.ended_at)
                .bind(new.wait_ms)
                .bind(new.talk_ms)
                .bind(&new.outcome)
                .fetch_one(pool)
                .await?;
                Ok(id)
            }

            pub(crate) async fn list(pool: &Pool, filter: &CallFilter) -> Result<Vec<CallRecord>, Error> {
                let mut conditions: Vec<String> = Vec::new();
                let mut next = 1;
                let mut placeholder = || {
                    let text = format!("${next}");
                    next += 1;
                    text
                };
                if filter.from.is_some() {
                    conditions.push(format!("started_at >= {}", placeholder()));
                }
                if filter.to.is_some() {
                    conditions.push(format!("started_at < {}", placeholder()));
                }
                for (column, value) in [
                    ("queue", &filter.queue),
                    ("agent", &filter.agent),
                    ("outcome", &filter.outcome),
                    ("leg", &filter.leg),
                ] {
                    if value.is_some() {
                        conditions.push(format!("{column} = {}", placeholder()));
                    }
                }
                if filter.before_id.is_some() {
                    conditions.push(format!("id < {}", placeholder()));
                }
                let limit = placeholder();
                let where_clause = if conditions.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", conditions.join(" AND "))
                };
                let sql = format!(
                    "SELECT id, call_ref, leg, agent, caller, queue, started_at, answered_at, ended_at, \
                     wait_ms, talk_ms, outcome FROM calls {where_clause} ORDER BY id DESC LIMIT {limit}"
                );
                let mut query = sqlx::query_as::<_, CallRecord>(&sql);
                for bound in [filter.from, filter.to].into_iter().flatten() {
                    query = query.bind(bound);
                }
                for value in [&filter.queue, &filter.agent, &filter.outcome, &filter.leg]
                    .into_iter()
                    .flatten()
                {
                    query = query.bind(value.clone());
                }
                if let Some(before) = filter.before_id {
                    query = query.bind(before);
                }
                query = query.bind(filter.limit.clamp(1, 1000));
                Ok(query.fetch_all(pool).await?)
            }
        }
    };
}

call_queries!(sqlite, sqlx::SqlitePool);
call_queries!(postgres, sqlx::PgPool);


impl Store {
    /// Stores one call detail record; returns its id.
    pub async fn insert_call_record(&self, new: &NewCallRecord) -> Result<i64, Error> {
        dispatch!(self, self, |q, pool| q::insert(pool, new).await)
    }

    /// Call detail records, newest first.
    pub async fn call_records(&self, filter: &CallFilter) -> Result<Vec<CallRecord>, Error> {
        dispatch!(self, self, |q, pool| q::list(pool, filter).await)
    }
}

#[cfg(test)]
mod tests;
