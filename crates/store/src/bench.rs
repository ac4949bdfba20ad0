//! Baselines for `civicline bench`: what the database does without civicline in the way.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

use crate::Error;

/// Runs `count` single-row INSERT transactions, one after another, on a new SQLite file with the
/// store's durability settings (WAL, synchronous=FULL), and returns the time they took.
pub async fn raw_sqlite_transactions(path: &Path, count: usize) -> Result<Duration, Error> {
    let _ = std::fs::remove_file(path);
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await
        .map_err(Error::from_connect)?;
    sqlx::query("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").execute(&mut conn).await?;
    let started = Instant::now();
    for i in 0..count {
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO rows (body) VALUES ($1)").bind(format!("row {i}")).execute(&mut *tx).await?;
        tx.commit().await?;
    }
    let elapsed = started.elapsed();
    conn.close().await?;
    let _ = std::fs::remove_file(path);
    Ok(elapsed)
}
