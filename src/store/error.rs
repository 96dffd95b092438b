//! What can go wrong in the store, with the underlying error kept as the source, and sorted
//! by its kind: a database that cannot be reached now (retry later) is told apart from a
//! write that failed, by diesel's error kind, never by searching the message.
//!
//! No error here carries PHI: diesel shows a database error by its message alone (never
//! PostgreSQL's DETAIL, which quotes key values), and no statement's parameters are ever
//! part of an error. So an error and its causes ([`StoreError::causes`]) may be logged.

use std::error::Error as StdError;
use std::ffi::{c_int, CStr};
use std::fmt;

use diesel::result::{ConnectionError, DatabaseErrorKind, Error as DieselError};

use super::codec::CorruptValue;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached now: PostgreSQL closed the connection or could not be
    /// sent the command, or SQLite stayed busy or locked past its busy timeout. Retry later.
    #[error("database unavailable")]
    Unavailable(#[source] DieselError),
    /// No pooled connection could be had in time: the database is down, or every connection
    /// is busy. Retry later.
    #[error("no database connection available")]
    Pool(#[source] diesel::r2d2::PoolError),
    /// Connecting at start failed.
    #[error("cannot connect to the database")]
    Connect(#[source] ConnectionError),
    /// Migrations failed.
    #[error("migration failed")]
    Migration(#[source] Box<dyn StdError + Send + Sync>),
    /// A concurrent writer won a race (a unique key, a serialisation failure) even after
    /// retries.
    #[error("conflicting concurrent write")]
    Conflict(#[source] DieselError),
    /// No such row.
    #[error("not found")]
    NotFound,
    /// A row with this unique name exists already.
    #[error("{0} exists already")]
    Duplicate(&'static str),
    /// A stored body or result cannot be read back.
    #[error(transparent)]
    Corrupt(#[from] CorruptValue),
    /// Any other database error.
    #[error("database error")]
    Database(#[source] DieselError),
}

impl StoreError {
    /// Whether the database could not be reached (now, or at start): the work may succeed
    /// if tried again later, and nothing of it was done.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Pool(_) | StoreError::Connect(_)
        )
    }

    /// This error and its causes, outermost first (`database error: <the database's
    /// message>`): what a log line records of it.
    pub fn causes(&self) -> Causes<'_> {
        Causes(self)
    }
}

/// An error and its chain of sources, displayed as `error: source: source ...`.
pub struct Causes<'a>(&'a (dyn StdError + 'static));

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure,
                _,
            ) => StoreError::Conflict(error),
            error if unreachable(&error) => StoreError::Unavailable(error),
            error => StoreError::Database(error),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        StoreError::Pool(error)
    }
}

impl From<ConnectionError> for StoreError {
    fn from(error: ConnectionError) -> Self {
        StoreError::Connect(error)
    }
}

/// Whether a database error says the database cannot be reached now, by its kind: a
/// PostgreSQL connection that closed or could not be sent the command, or a busy or locked
/// SQLite database. A failed commit is judged by why the commit failed.
fn unreachable(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        DieselError::DatabaseError(_, info) => sqlite_busy(info.message()),
        DieselError::RollbackErrorOnCommit { commit_error, .. } => unreachable(commit_error),
        _ => false,
    }
}

/// Whether a message is SQLite's for a busy or locked database (`SQLITE_BUSY`,
/// `SQLITE_LOCKED`). diesel gives these no error kind of its own (it maps only constraint
/// codes; they come as `Unknown`), so they are recognised by their message, which diesel
/// takes from `sqlite3_errmsg`: for these codes, SQLite's fixed text for the code. The text
/// is asked of the SQLite linked in (`sqlite3_errstr`), not written here, so that it
/// cannot drift from it.
fn sqlite_busy(message: &str) -> bool {
    [libsqlite3_sys::SQLITE_BUSY, libsqlite3_sys::SQLITE_LOCKED]
        .into_iter()
        .any(|code| sqlite_text(code) == message.as_bytes())
}

/// SQLite's English text for a result code.
fn sqlite_text(code: c_int) -> &'static [u8] {
    // SAFETY: `sqlite3_errstr` takes any code, needs no connection nor initialisation, and
    // returns a pointer to a static, NUL-terminated string that is never freed.
    unsafe { CStr::from_ptr(libsqlite3_sys::sqlite3_errstr(code)) }.to_bytes()
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};

    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_string()))
    }

    #[test]
    fn a_closed_postgresql_connection_is_unavailable_and_keeps_its_cause() {
        let closed = database_error(
            DatabaseErrorKind::ClosedConnection,
            "server closed the connection unexpectedly",
        );
        let error = StoreError::from(closed);
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        assert!(error.is_unavailable());
        let source = error.source().expect("the diesel error is kept");
        assert!(matches!(
            source.downcast_ref::<DieselError>(),
            Some(DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection,
                _
            ))
        ));
        assert_eq!(
            error.causes().to_string(),
            "database unavailable: server closed the connection unexpectedly"
        );
    }

    #[test]
    fn a_command_that_cannot_be_sent_is_unavailable() {
        let error = StoreError::from(database_error(
            DatabaseErrorKind::UnableToSendCommand,
            "no connection to the server",
        ));
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    }

    #[test]
    fn a_message_that_only_mentions_a_connection_is_a_database_error() {
        let error = StoreError::from(database_error(
            DatabaseErrorKind::Unknown,
            "relation \"connection\" does not exist",
        ));
        assert!(matches!(error, StoreError::Database(_)), "{error:?}");
        assert!(!error.is_unavailable());
    }

    #[test]
    fn unique_violations_and_serialisation_failures_are_conflicts() {
        for kind in [
            DatabaseErrorKind::UniqueViolation,
            DatabaseErrorKind::SerializationFailure,
        ] {
            let error = StoreError::from(database_error(kind, "duplicate key value"));
            assert!(matches!(error, StoreError::Conflict(_)), "{error:?}");
        }
    }

    #[test]
    fn a_busy_sqlite_database_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db").display().to_string();
        let mut holder = SqliteConnection::establish(&path).unwrap();
        holder
            .batch_execute("CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            .unwrap();
        let mut other = SqliteConnection::establish(&path).unwrap();
        let busy = other
            .batch_execute("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE;")
            .unwrap_err();
        let error = StoreError::from(busy);
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        assert_eq!(
            error.causes().to_string(),
            format!(
                "database unavailable: {}",
                String::from_utf8_lossy(sqlite_text(libsqlite3_sys::SQLITE_BUSY))
            )
        );
    }

    #[test]
    #[cfg_attr(
        not(realdq_postgres),
        ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
    )]
    fn a_postgresql_session_ended_by_the_server_is_unavailable() {
        use diesel::RunQueryDsl;
        let url = std::env::var("REALDQ_TEST_POSTGRES_URL").expect("the test database");
        let mut conn = crate::store::connection::establish_postgres(&url).unwrap();
        // The server ends this very session under its query (as a restart would), and the
        // next command finds no connection.
        let ended = diesel::sql_query("SELECT pg_terminate_backend(pg_backend_pid())")
            .execute(&mut conn)
            .unwrap_err();
        let after = diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .unwrap_err();
        for error in [ended, after] {
            let error = StoreError::from(error);
            assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        }
    }

    #[test]
    fn a_pool_timeout_is_unavailable() {
        let manager = super::super::connection::Manager::new("/nonexistent/dir/db.sqlite");
        let pool = diesel::r2d2::Pool::builder()
            .connection_timeout(std::time::Duration::from_millis(50))
            .build_unchecked(manager);
        let Err(error) = pool.get() else {
            panic!("a pool over a database that cannot be opened hands out no connection");
        };
        let error = StoreError::from(error);
        assert!(error.is_unavailable());
        assert!(error
            .causes()
            .to_string()
            .starts_with("no database connection available: timed out waiting for connection"));
    }
}
