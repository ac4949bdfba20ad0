//! Callbacks still owed to citizens: cases whose history has a `callback_due` event and no
//! later `callback_done` or `callback_failed`, and that are not resolved. The server books them
//! with the phone switch again when it starts, so a restart loses none. Queries are written once
//! and expanded for both backends, as in `queries`.
//!
//! The phone number is personal data: it goes to the switch, never to a log.

use crate::{Backend, Error, Store};

/// A callback owed on a case.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingCallback {
    pub case_id: i64,
    /// The citizen's number, as stored (normalised).
    pub phone: String,
    /// When the request was noted (Unix milliseconds).
    pub requested_at: i64,
    /// The case's description, in the language the caller used.
    pub description: String,
    /// The case's category code.
    pub category: String,
}

macro_rules! callback_queries {
    ($backend:ident, $pool:ty) => {
        pub(crate) mod $backend {
            use super::PendingCallback;
            use crate::Error;

            pub(crate) async fn pending(pool: &$pool) -> Result<Vec<PendingCallback>, Error> {
                let rows = sqlx::query_as::<_, PendingCallback>(
                    "SELECT c.id AS case_id, z.phone AS phone, e.at AS requested_at, c.description AS description, \
                     k.code AS category \
                     FROM case_events e \
                     JOIN cases c ON c.id = e.case_id \
                     JOIN categories k ON k.id = c.category_id \
                     JOIN citizens z ON z.id = c.citizen_id \
                     WHERE e.kind = 'callback_due' AND z.phone IS NOT NULL AND c.status <> 'resolved' \
                     AND NOT EXISTS (SELECT 1 FROM case_events f WHERE f.case_id = e.case_id \
                         AND f.kind IN ('callback_done', 'callback_failed') AND f.id > e.id) \
                     AND NOT EXISTS (SELECT 1 FROM case_events g WHERE g.case_id = e.case_id \
                         AND g.kind = 'callback_due' AND g.id > e.id) \
                     ORDER BY e.id",
                )
                .fetch_all(pool)
                .await?;
                Ok(rows)
            }
        }
    };
}

callback_queries!(sqlite, sqlx::SqlitePool);
callback_queries!(postgres, sqlx::PgPool);

impl Store {
    /// Callbacks owed to citizens, oldest request first (see the module docs).
    pub async fn pending_callbacks(&self) -> Result<Vec<PendingCallback>, Error> {
        dispatch!(self, crate::callbacks, |q, pool| q::pending(pool).await)
    }
}
