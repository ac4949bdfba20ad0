//! Connections to the SQLite file for the case reads, run on the calling thread.
//!
//! sqlx gives every SQLite connection a thread of its own: each statement is a hand-off to that
//! thread and back, two wake-ups through the kernel. Reading a case is one indexed statement (a
//! case with its assignments and history, see `queries::case_sql`) of some tens of
//! microseconds from the page cache, and the hand-offs cost more than the statement: `perf`
//! under `civicline bench cases` put half the process's time in futex wake-ups and context
//! switches. These connections are rusqlite's, and a read runs where it is asked for, like any
//! other short computation of a request; no thread waits for another.
//!
//! The trade: on a cold page cache the read waits for the disk on the runtime's thread. SQLite is
//! a local file, a case is a few pages, and a read that finds nothing cached is the exception
//! after the first minutes. PostgreSQL keeps its pool and its asynchronous reads.
//!
//! A connection is taken for one statement and put back: one per thread reading at that moment,
//! no more than the runtime's threads. Each has its own page cache, so the few that exist stay
//! warm. `query_only` makes sure nothing here writes. The file is not mapped into memory: an I/O
//! error on a mapped page kills the process (SIGBUS) instead of failing the one request, and
//! nothing read from disk may bring the process down.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::Error;

/// Connections kept between reads; more are opened when more threads read at once.
const KEEP: usize = 8;
/// Page cache per connection, in KiB: at most this much memory for each thread that reads.
/// `civicline bench cases` (about 100,000 cases, 60 MB) read 21,600-24,100 cases a second with
/// 32 MiB and 23,600-27,000 with 128 MiB, whose cache held the whole file.
const CACHE_KIB: i64 = 128 * 1024;

pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Opens the first connection, so that a file that cannot be read fails at start (the
    /// database exists and is migrated).
    pub(crate) fn open(path: &Path) -> Result<Readers, Error> {
        let readers = Readers { path: path.to_owned(), idle: Mutex::new(Vec::new()) };
        let first = readers.connect()?;
        readers.give_back(first);
        Ok(readers)
    }

    fn connect(&self) -> Result<Connection, Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(Error::connect)?;
        // WAL readers are not blocked by the writer; a short wait covers the rare recovery.
        conn.busy_timeout(Duration::from_millis(500)).map_err(Error::connect)?;
        conn.pragma_update(None, "query_only", true).map_err(Error::connect)?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB).map_err(Error::connect)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < KEEP {
            idle.push(conn);
        }
    }

    /// Runs `read` on a connection, on this thread.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        let idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let result = read(&conn);
        self.give_back(conn);
        result
    }
}
