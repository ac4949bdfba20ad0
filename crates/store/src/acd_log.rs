//! The ACD's append-only event log, persisted by the server from the phone switch, and read back
//! in time ranges for queue statistics. Queries are written once and expanded for both backends,
//! as in `calls`.
//!
//! The store does not interpret the entries: `body` is the acd crate's text encoding, `kind`
//! and `queue` are copies of what it says, kept in columns so that readers can filter. Entries
//! are only ever inserted.

use crate::{Backend, Error, Store};

/// One start of the phone switch.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AcdRun {
    /// Unix milliseconds of the run's ACD time zero; identifies the run.
    pub started_at: i64,
    /// The queue names in ACD queue-id order, as a JSON array.
    pub queues: String,
}

/// One log entry to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAcdEvent {
    /// The run ([`AcdRun::started_at`]); recorded before its entries.
    pub run_started_at: i64,
    /// When it happened, Unix milliseconds.
    pub at: i64,
    /// `in`, `timeout`, `out` or `fact`.
    pub kind: String,
    /// The queue name a fact is about, if one.
    pub queue: Option<String>,
    /// The encoded entry.
    pub body: String,
}

/// A stored log entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AcdEvent {
    pub id: i64,
    pub run_started_at: i64,
    pub at: i64,
    pub kind: String,
    pub queue: Option<String>,
    pub body: String,
}

/// Which entries to read, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcdLogFilter {
    /// At or after (Unix ms).
    pub from: i64,
    /// Before (Unix ms).
    pub to: i64,
    /// Only this kind (`fact` for statistics).
    pub kind: Option<String>,
    /// Only entries with an id above this (the last id of the previous page).
    pub after_id: i64,
    pub limit: i64,
}

macro_rules! acd_log_queries {
    ($backend:ident, $pool:ty) => {
        pub(crate) mod $backend {
            use super::{AcdEvent, AcdLogFilter, AcdRun, NewAcdEvent};
            use crate::Error;

            type Pool = $pool;

            pub(crate) async fn record_run(pool: &Pool, run: &AcdRun) -> Result<(), Error> {
                sqlx::query(
                    "INSERT INTO acd_runs (started_at, queues) VALUES ($1, $2) \
                     ON CONFLICT (started_at) DO NOTHING",
                )
                .bind(run.started_at)
                .bind(&run.queues)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub(crate) async fn runs(pool: &Pool) -> Result<Vec<AcdRun>, Error> {
                Ok(sqlx::query_as::<_, AcdRun>("SELECT started_at, queues FROM acd_runs ORDER BY started_at")
                    .fetch_all(pool)
                    .await?)
            }

            pub(crate) async fn insert(pool: &Pool, events: &[NewAcdEvent]) -> Result<(), Error> {
                let mut tx = pool.begin().await?;
                for event in events {
                    sqlx::query(
                        "INSERT INTO acd_log (run_started_at, at, kind, queue, body) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(event.run_started_at)
                    .bind(event.at)
                    .bind(&event.kind)
                    .bind(&event.queue)
                    .bind(&event.body)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            pub(crate) async fn list(pool: &Pool, filter: &AcdLogFilter) -> Result<Vec<AcdEvent>, Error> {
                let kind = if filter.kind.is_some() { "AND kind = $5 " } else { "" };
                let sql = format!(
                    "SELECT id, run_started_at, at, kind, queue, body FROM acd_log \
                     WHERE at >= $1 AND at < $2 AND id > $3 {kind}ORDER BY id LIMIT $4"
                );
                let mut query = sqlx::query_as::<_, AcdEvent>(&sql)
                    .bind(filter.from)
                    .bind(filter.to)
                    .bind(filter.after_id)
                    .bind(filter.limit.clamp(1, 100_000));
                if let Some(kind) = &filter.kind {
                    query = query.bind(kind.clone());
                }
                Ok(query.fetch_all(pool).await?)
            }
        }
    };
}

acd_log_queries!(sqlite, sqlx::SqlitePool);
acd_log_queries!(postgres, sqlx::PgPool);


impl Store {
    /// Records a run of the switch; recording the same run again changes nothing.
    pub async fn record_acd_run(&self, run: &AcdRun) -> Result<(), Error> {
        dispatch!(self, self, |q, pool| q::record_run(pool, run).await)
    }

    /// Every recorded run, oldest first.
    pub async fn acd_runs(&self) -> Result<Vec<AcdRun>, Error> {
        dispatch!(self, self, |q, pool| q::runs(pool).await)
    }

    /// Appends log entries in one transaction (one fsync for the batch); all or none.
    pub async fn insert_acd_events(&self, events: &[NewAcdEvent]) -> Result<(), Error> {
        if events.is_empty() {
            return Ok(());
        }
        dispatch!(self, self, |q, pool| q::insert(pool, events).await)
    }

    /// Log entries in a time range, oldest first, a page at a time.
    pub async fn acd_events(&self, filter: &AcdLogFilter) -> Result<Vec<AcdEvent>, Error> {
        dispatch!(self, self, |q, pool| q::list(pool, filter).await)
    }
}
