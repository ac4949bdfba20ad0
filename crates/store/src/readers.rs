//! Connections to the SQLite file for single read statements, lent without sqlx's pool.
//!
//! sqlx's pool pings a connection every time it comes back. On SQLite each statement and each
//! ping is a hand-off to the connection's own thread and back, so for a read of one statement
//! (a case with its assignments and history, see `queries::case_sql`) the ping doubled the
//! context switches (`perf stat` under `civicline bench cases`: 4 per read through the pool, 2
//! through these). These connections are lent and taken back with no round trip.
//!
//! They run only single read statements, never a transaction, so a connection given back while
//! its statement still runs (the request was cancelled) needs no check: its thread finishes and
//! resets the statement before it takes the next one. `query_only` makes sure nothing here
//! writes. PostgreSQL keeps the pool, whose ping also resynchronises a connection after a
//! cancelled query.
//!
//! They do not read the file through a memory map, though `mmap_size` measured about a third
//! more reads per second with 40,000 cases and more: an I/O error on a mapped page kills the
//! process (SIGBUS) instead of failing the one request, and nothing read from disk may bring
//! the process down.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::Error;

/// Each one is a thread with its own page cache. More than the cores, so that a reader whose
/// thread waits for a core holds up only its own request; not many more, for each cache has to
/// warm up on its share of the reads: on 2 cores, `civicline bench cases` read about 12,500
/// cases a second with 2 readers, 14,000 to 17,000 with 4 and 13,000 to 14,500 with 8.
const READERS: usize = 4;

pub(crate) struct Readers {
    idle: Mutex<Vec<SqliteConnection>>,
    /// One permit per idle connection.
    permits: Semaphore,
}

impl Readers {
    /// Opens the connections with the store's own options (the database exists and is migrated).
    pub(crate) async fn open(options: &SqliteConnectOptions) -> Result<Readers, Error> {
        let options = options.clone().pragma("query_only", "ON");
        let mut idle = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            idle.push(options.connect().await.map_err(Error::from_connect)?);
        }
        Ok(Readers { idle: Mutex::new(idle), permits: Semaphore::new(READERS) })
    }

    /// Waits for a free connection.
    pub(crate) async fn lend(&self) -> Result<Lent<'_>, Error> {
        let closed = || Error::Rule("the store's read connections are closed".into());
        let permit = self.permits.acquire().await.map_err(|_| closed())?;
        let conn = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop().ok_or_else(closed)?;
        Ok(Lent { readers: self, conn: Some(conn), _permit: permit })
    }
}

/// A lent connection; dropping it gives it back.
pub(crate) struct Lent<'a> {
    readers: &'a Readers,
    /// Always `Some` until dropped.
    conn: Option<SqliteConnection>,
    // Released after `drop` has put the connection back, so a permit always finds one.
    _permit: SemaphorePermit<'a>,
}

impl Deref for Lent<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.conn.as_ref().expect("a lent connection is present until dropped")
    }
}

impl DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("a lent connection is present until dropped")
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.readers.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(conn);
        }
    }
}
