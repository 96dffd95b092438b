//! Persistence: the record history, the current state per `(source, patient_id, unit)`,
//! and the per-domain and per-rule rows the completeness report aggregates in SQL.

pub mod aggregates;
pub mod audit;
pub mod codec;
pub mod connection;
pub mod counts;
pub mod ingest;
pub mod keys;
pub mod models;
pub mod outcome;
pub mod purge;
pub mod queries;
pub mod revalidate;
pub mod schema;
mod write;

pub use connection::{open, Backend, DbConnection, DbPool};
pub use outcome::StoreOutcome;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (pool timeout, connection refused).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Connecting at start failed.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A concurrent writer won a race twice in a row.
    #[error("conflicting concurrent write")]
    Conflict,
    /// No such row.
    #[error("not found")]
    NotFound,
    /// A row with this unique name exists already.
    #[error("{0} exists already")]
    Duplicate(&'static str),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
}

impl From<diesel::result::Error> for StoreError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => StoreError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => StoreError::Conflict,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                StoreError::Unavailable(info.message().to_string())
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                StoreError::Conflict
            }
            other => {
                let text = other.to_string();
                // SQLite reports a locked database, PostgreSQL a dropped link, as plain errors.
                if text.contains("database is locked")
                    || text.contains("server closed the connection")
                    || text.contains("connection")
                {
                    StoreError::Unavailable(text)
                } else {
                    StoreError::Database(text)
                }
            }
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

/// Microseconds since the Unix epoch, as the store keeps time.
pub fn micros(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_micros()
}
