//! The store's error type.

use std::fmt;

/// Why a storage operation failed.
#[derive(Debug)]
pub enum Error {
    /// The row does not exist.
    NotFound,
    /// A uniqueness or foreign-key constraint refused the write; names the constraint or column.
    Conflict(String),
    /// The change breaks a domain rule (e.g. an illegal status transition).
    Rule(String),
    /// The database could not be opened or reached.
    Connect(Cause),
    /// Any other database failure.
    Database(Cause),
}

/// The driver's error (sqlx's, or rusqlite's for the SQLite case reads).
pub(crate) type Cause = Box<dyn std::error::Error + Send + Sync>;

impl Error {
    pub(crate) fn from_connect(err: sqlx::Error) -> Error {
        Error::Connect(Box::new(err))
    }

    pub(crate) fn connect(err: rusqlite::Error) -> Error {
        Error::Connect(Box::new(err))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound => f.write_str("not found"),
            Error::Conflict(what) => write!(f, "conflicts with existing data: {what}"),
            Error::Rule(why) => f.write_str(why),
            Error::Connect(err) => write!(f, "cannot open database: {err}"),
            Error::Database(err) => write!(f, "database error: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect(err) | Error::Database(err) => Some(&**err),
            Error::NotFound | Error::Conflict(_) | Error::Rule(_) => None,
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Error {
        match &err {
            sqlx::Error::RowNotFound => Error::NotFound,
            sqlx::Error::Database(db) => {
                let message = db.message().to_owned();
                if db.is_unique_violation() || db.is_foreign_key_violation() {
                    let what = db.constraint().map(str::to_owned).unwrap_or(message);
                    return Error::Conflict(what);
                }
                Error::Database(Box::new(err))
            }
            _ => Error::Database(Box::new(err)),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Error {
        match err {
            rusqlite::Error::QueryReturnedNoRows => Error::NotFound,
            err => Error::Database(Box::new(err)),
        }
    }
}
