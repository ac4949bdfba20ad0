//! Durable storage of the case registry on embedded SQLite or on PostgreSQL.
//!
//! [`Store`] is a concrete facade over an enum of backends. Every query is written once, in
//! [`queries`], and compiled for each backend by a macro, so the two cannot drift apart; the
//! contract suite in `tests/it` runs against both. Case creation goes through a group-commit
//! writer ([`writer`]): concurrent creations share one transaction and one fsync, which keeps
//! every acknowledged case durable without paying a disk flush per case. A case is read in one
//! statement, with its assignments and history folded in as JSON, and on SQLite through
//! connections of its own ([`readers`]).
//!
//! The store knows nothing about HTTP or SIP. Rows are converted to and from `domain` types here
//! and nowhere else.

pub mod bench;
mod cache;
mod error;
mod migrate;
mod queries;
mod readers;
mod types;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use error::Error;
pub use types::*;

/// Where the data lives.
#[derive(Clone)]
pub enum Location {
    /// An SQLite file, created if missing.
    SqliteFile(std::path::PathBuf),
    /// A PostgreSQL URL (`postgres://…`).
    Postgres(String),
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::SqliteFile(path) => write!(f, "SqliteFile({})", path.display()),
            // The URL may carry a password.
            Location::Postgres(_) => f.write_str("Postgres(..)"),
        }
    }
}

#[derive(Clone)]
enum Backend {
    /// The pool, and the connections that serve the case reads (see `readers.rs`).
    Sqlite(SqlitePool, Arc<readers::Readers>),
    Postgres(PgPool),
}

/// The case registry's storage. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    writer: writer::Writer,
    cache: std::sync::Arc<cache::Caches>,
}

/// Runs `$body` with `$q` bound to the backend's query module and `$pool` to its pool. The
/// module holding the `sqlite` and `postgres` query modules defaults to `crate::queries`; an area
/// with its own queries names it (`dispatch!(self, self, |q, pool| …)`).
macro_rules! dispatch {
    ($store:expr, |$q:ident, $pool:ident| $body:expr) => {
        dispatch!($store, crate::queries, |$q, $pool| $body)
    };
    ($store:expr, $($module:tt)::+, |$q:ident, $pool:ident| $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($pool, _) => {
                use $($module)::+::sqlite as $q;
                $body
            }
            Backend::Postgres($pool) => {
                use $($module)::+::postgres as $q;
                $body
            }
        }
    };
}

/// Runs a case read: on SQLite `$sqlite` on one of the `readers`, on this thread (see
/// `readers.rs`); on PostgreSQL `$postgres` with `$conn` a connection from the pool.
macro_rules! read_case {
    ($store:expr, |$conn:ident| sqlite: $sqlite:expr, postgres: $postgres:expr) => {
        match &$store.backend {
            Backend::Sqlite(_, readers) => readers.read(|$conn| $sqlite),
            Backend::Postgres(pool) => {
                let mut pooled = pool.acquire().await?;
                let $conn = &mut *pooled;
                $postgres
            }
        }
    };
}

// Areas that add their own `impl Store` blocks; declared after `dispatch!` so they can use it.
pub mod acd_log;
pub mod callbacks;
pub mod calls;
mod open311;
mod outbox;

pub use outbox::{ClaimedNotification, NOTIFIED_EVENT_KINDS, NotificationChannel, NotificationOutcome,
    OutboxRow};
pub use open311::{AttributeDatatype, AttributeValue, CaseAttribute, CategoryAttribute, NewOpen311Key,
    NewOpen311Request, Open311Filter, Open311Key, Open311Request, PublicEvent};

impl Store {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(location: &Location) -> Result<Store, Error> {
        let backend = match location {
            Location::SqliteFile(path) => {
                let pool = open_sqlite(path).await?;
                migrate::sqlite(&pool).await?;
                let readers = readers::Readers::open(path)?;
                Backend::Sqlite(pool, Arc::new(readers))
            }
            Location::Postgres(url) => {
                let pool = open_postgres(url).await?;
                migrate::postgres(&pool).await?;
                Backend::Postgres(pool)
            }
        };
        let writer = match &backend {
            Backend::Sqlite(pool, _) => writer::Writer::sqlite(pool.clone()).await?,
            Backend::Postgres(pool) => writer::Writer::postgres(pool.clone()).await?,
        };
        Ok(Store { backend, writer, cache: std::sync::Arc::new(cache::Caches::new()) })
    }

    /// Which backend this store runs on: `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(..) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), Error> {
        dispatch!(self, |q, pool| q::ping(pool).await)
    }

    // Institutions.

    pub async fn create_institution(&self, new: &NewInstitution) -> Result<Institution, Error> {
        dispatch!(self, |q, pool| q::create_institution(pool, new, now()).await)
    }

    pub async fn update_institution(
        &self,
        id: i64,
        new: &NewInstitution,
    ) -> Result<Institution, Error> {
        dispatch!(self, |q, pool| q::update_institution(pool, id, new, now()).await)
    }

    pub async fn institutions(&self) -> Result<Vec<Institution>, Error> {
        dispatch!(self, |q, pool| q::institutions(pool).await)
    }

    pub async fn institution(&self, id: i64) -> Result<Option<Institution>, Error> {
        dispatch!(self, |q, pool| q::institution(pool, id).await)
    }

    pub async fn institution_by_code(&self, code: &str) -> Result<Option<Institution>, Error> {
        dispatch!(self, |q, pool| q::institution_by_code(pool, code).await)
    }

    // Categories.

    pub async fn create_category(&self, new: &NewCategory) -> Result<Category, Error> {
        self.cache.forget_categories();
        dispatch!(self, |q, pool| q::create_category(pool, new, now()).await)
    }

    pub async fn categories(&self) -> Result<Vec<Category>, Error> {
        dispatch!(self, |q, pool| q::categories(pool).await)
    }

    pub async fn category(&self, id: i64) -> Result<Option<Category>, Error> {
        dispatch!(self, |q, pool| q::category(pool, id).await)
    }

    /// A category by code; cached for a few seconds (see `cache.rs`).
    pub async fn category_by_code(&self, code: &str) -> Result<Option<Category>, Error> {
        if let Some(category) = self.cache.category(code) {
            return Ok(Some(category));
        }
        let category = dispatch!(self, |q, pool| q::category_by_code(pool, code).await)?;
        if let Some(category) = &category {
            self.cache.put_category(code, category.clone());
        }
        Ok(category)
    }

    // Users and sessions.

    pub async fn create_user(&self, new: &NewUser) -> Result<User, Error> {
        dispatch!(self, |q, pool| q::create_user(pool, new, now()).await)
    }

    pub async fn users(&self) -> Result<Vec<User>, Error> {
        dispatch!(self, |q, pool| q::users(pool).await)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, Error> {
        dispatch!(self, |q, pool| q::user_by_username(pool, username).await)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> Result<(), Error> {
        dispatch!(self, |q, pool| q::create_session(pool, token_hash, user_id, now(), expires_at)
            .await)
    }

    /// The active user behind an unexpired session token hash.
    /// Cached for a few seconds (see `cache.rs`): a session ended on another node, or expired,
    /// may be honoured here for that long.
    pub async fn session_user(&self, token_hash: &str) -> Result<Option<User>, Error> {
        if let Some(user) = self.cache.session(token_hash) {
            return Ok(Some(user));
        }
        let user = dispatch!(self, |q, pool| q::session_user(pool, token_hash, now()).await)?;
        if let Some(user) = &user {
            self.cache.put_session(token_hash, user.clone());
        }
        Ok(user)
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), Error> {
        self.cache.forget_session(token_hash);
        dispatch!(self, |q, pool| q::delete_session(pool, token_hash).await)
    }

    // Cases.

    /// Registers a case. When this returns `Ok`, the case is committed and flushed to disk.
    pub async fn create_case(&self, new: NewCase) -> Result<Case, Error> {
        let id = self.writer.create_case(new).await?;
        self.case_by_id(id).await?.ok_or(Error::NotFound)
    }

    /// Registers a case and returns only its id and reference (no read back).
    pub async fn create_case_fast(&self, new: NewCase) -> Result<CaseCreated, Error> {
        let id = self.writer.create_case(new).await?;
        Ok(id)
    }

    pub async fn case_by_reference(&self, reference: &str) -> Result<Option<Case>, Error> {
        read_case!(self, |conn|
            sqlite: queries::sqlite_reads::case_by_reference(conn, reference),
            postgres: queries::postgres::case_by_reference(conn, reference).await)
    }

    pub async fn case_by_id(&self, created: CaseCreated) -> Result<Option<Case>, Error> {
        read_case!(self, |conn|
            sqlite: queries::sqlite_reads::case_by_id(conn, created.id),
            postgres: queries::postgres::case_by_id(conn, created.id).await)
    }

    /// A case with its history, read in one statement (so it is also one consistent snapshot).
    pub async fn case_with_history(&self, reference: &str) -> Result<Option<CaseWithHistory>, Error> {
        read_case!(self, |conn|
            sqlite: queries::sqlite_reads::case_with_history(conn, reference),
            postgres: queries::postgres::case_with_history(conn, reference).await)
    }

    pub async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>, Error> {
        dispatch!(self, |q, pool| q::list_cases(pool, filter).await)
    }

    pub async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>, Error> {
        dispatch!(self, |q, pool| q::case_events(pool, case_id).await)
    }

    /// Appends a public update or an internal note to a case's history.
    pub async fn add_case_event(&self, event: &NewCaseEvent) -> Result<CaseEvent, Error> {
        dispatch!(self, |q, pool| q::add_case_event(pool, event, now()).await)
    }

    /// Changes one institution's assignment status, checking the transition rules, and records it.
    pub async fn change_assignment(&self, change: &AssignmentChange) -> Result<Case, Error> {
        dispatch!(self, |q, pool| q::change_assignment(pool, change, now()).await)
    }

    /// Adds an institution to a live case.
    pub async fn add_assignment(&self, add: &NewAssignmentOnCase) -> Result<Case, Error> {
        dispatch!(self, |q, pool| q::add_assignment(pool, add, now()).await)
    }

    pub async fn add_attachment(&self, new: &NewAttachment) -> Result<Attachment, Error> {
        dispatch!(self, |q, pool| q::add_attachment(pool, new, now()).await)
    }

    pub async fn attachments(&self, case_id: i64) -> Result<Vec<Attachment>, Error> {
        dispatch!(self, |q, pool| q::attachments(pool, case_id).await)
    }

    pub async fn attachment(&self, id: i64) -> Result<Option<Attachment>, Error> {
        dispatch!(self, |q, pool| q::attachment(pool, id).await)
    }

    // Citizens.

    /// Citizens with this phone number, each with their cases, newest first.
    pub async fn citizens_by_phone(&self, phone: &str) -> Result<Vec<CitizenCases>, Error> {
        dispatch!(self, |q, pool| q::citizens_by_phone(pool, phone).await)
    }

    /// Counts for the Prometheus endpoint.
    pub async fn counts(&self) -> Result<Counts, Error> {
        dispatch!(self, |q, pool| q::counts(pool).await)
    }

    /// Whether the database holds no institutions yet (a fresh install).
    pub async fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.institutions().await?.is_empty())
    }

    /// Imports institutions, categories and users in one transaction: all or nothing.
    pub async fn import(&self, batch: &ImportBatch) -> Result<ImportSummary, Error> {
        self.cache.forget_categories();
        self.cache.forget_users();
        dispatch!(self, |q, pool| q::import(pool, batch, now()).await)
    }
}

async fn open_sqlite(path: &Path) -> Result<SqlitePool, Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: in WAL mode every commit is fsynced, so an acknowledged case survives power loss.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("cache_size", "-32768");
    SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        // No ping before handing out a connection: the database is a file in this process, so a
        // connection cannot go stale, and each ping is a round trip to the connection's thread.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(Error::from_connect)
}

async fn open_postgres(url: &str) -> Result<PgPool, Error> {
    let options = PgConnectOptions::from_str(url).map_err(Error::from_connect)?;
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        // The pool pings every connection it takes back; pinging again before lending it is one
        // more round trip per query. Only a connection that has sat idle (when a restart or a
        // network cut may have broken it) is pinged; a failed ping makes the pool take another.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= Duration::from_secs(1) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(Error::from_connect)
}

/// The current Unix time in milliseconds.
pub fn now() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
