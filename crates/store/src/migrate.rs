//! Schema migrations, embedded in the binary and applied in order, each in its own transaction.
//!
//! A small runner of our own instead of `sqlx::migrate!`: that macro needs sqlx's `macros`
//! feature, and the list below is the whole mechanism.

use sqlx::{PgPool, SqlitePool};

use crate::Error;

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_cases.sql")),
    (2, include_str!("../migrations/sqlite/0002_portal.sql")),
    (3, include_str!("../migrations/sqlite/0003_open311.sql")),
    (4, include_str!("../migrations/sqlite/0004_calls.sql")),
    (5, include_str!("../migrations/sqlite/0005_acd.sql")),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_cases.sql")),
    (2, include_str!("../migrations/postgres/0002_portal.sql")),
    (3, include_str!("../migrations/postgres/0003_open311.sql")),
    (4, include_str!("../migrations/postgres/0004_calls.sql")),
    (5, include_str!("../migrations/postgres/0005_acd.sql")),
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations \
    (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";

macro_rules! migrate_with {
    ($pool:expr, $migrations:expr) => {{
        sqlx::query(CREATE_TABLE).execute($pool).await?;
        for (version, sql) in $migrations {
            let mut tx = $pool.begin().await?;
            let applied: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if applied.is_some() {
                continue;
            }
            tracing::info!(migration.version = version, "applying migration");
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(crate::now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }};
}

pub(crate) async fn sqlite(pool: &SqlitePool) -> Result<(), Error> {
    migrate_with!(pool, SQLITE)
}

pub(crate) async fn postgres(pool: &PgPool) -> Result<(), Error> {
    // Two nodes starting at once must not both migrate.
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock(7215)").execute(&mut *conn).await?;
    let result: Result<(), Error> = migrate_with!(pool, POSTGRES);
    sqlx::query("SELECT pg_advisory_unlock(7215)").execute(&mut *conn).await?;
    result
}
