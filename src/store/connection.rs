//! Database connections: one `MultiConnection` over SQLite (the embedded default, WAL mode)
//! and PostgreSQL, chosen by the URL's scheme, pooled with r2d2, migrated at start.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::StoreError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; every query in the store runs on it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL.
    Pg(PgConnection),
    /// SQLite.
    Sqlite(SqliteConnection),
}

/// The concrete connection under a `DbConnection`, or under a transaction begun on one:
/// what the write path's backend-specific statements run on.
pub enum Conn<'c> {
    /// PostgreSQL.
    Pg(&'c mut PgConnection),
    /// SQLite.
    Sqlite(&'c mut SqliteConnection),
}

impl Conn<'_> {
    /// The same connection, borrowed again (to match on it without giving it up).
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::Pg(c) => Conn::Pg(c),
            Conn::Sqlite(c) => Conn::Sqlite(c),
        }
    }
}

impl DbConnection {
    /// The concrete connection.
    pub fn concrete(&mut self) -> Conn<'_> {
        match self {
            DbConnection::Pg(c) => Conn::Pg(c),
            DbConnection::Sqlite(c) => Conn::Sqlite(c),
        }
    }

    /// Runs `write` in a transaction meant to write: committed if it returns `Ok`, rolled
    /// back otherwise. On SQLite it begins `IMMEDIATE`, taking the write lock first (and
    /// waiting for it up to `busy_timeout`): a deferred transaction that reads and then
    /// writes fails at once with "database is locked" when another connection has written
    /// since its read, which no timeout can wait out. On PostgreSQL a plain transaction.
    pub fn write_transaction<T, E>(
        &mut self,
        write: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let DbConnection::Sqlite(c) = self else {
            return self.transaction(write);
        };
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
        match write(self) {
            Ok(value) => {
                <Self as Connection>::TransactionManager::commit_transaction(self)?;
                Ok(value)
            }
            Err(error) => {
                // The caller's error says what went wrong; a connection whose rollback
                // failed is still in a transaction, and the pool drops it (`has_broken`).
                let _ = <Self as Connection>::TransactionManager::rollback_transaction(self);
                Err(error)
            }
        }
    }
}

/// Runs the same diesel expression on the concrete connection of either backend, for SQL
/// that `MultiBackend` cannot express (multi-row inserts).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::DbConnection::Pg($c) => $body,
            $crate::store::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Runs the same diesel expression on the concrete connection of a [`Conn`].
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn.reborrow() {
            $crate::store::connection::Conn::Pg($c) => $body,
            $crate::store::connection::Conn::Sqlite($c) => $body,
        }
    };
}

/// The connection pool.
pub type DbPool = Pool<Manager>;
/// A connection checked out of the pool.
pub type PooledDb = PooledConnection<Manager>;

/// Which backend a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// Anything else: a file path (or `sqlite://path`).
    Sqlite,
}

impl Backend {
    /// The backend of a database URL.
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Opens one PostgreSQL connection: every connection to PostgreSQL, the service's and the
/// tests', goes through here.
///
/// libpq (bundled) uses the vendored OpenSSL for TLS, and OpenSSL's first initialisation
/// decides whether it frees its global state from an `atexit` handler. libpq asks for that
/// handler; while it runs at process exit, threads still closing pooled TLS connections free
/// the same state again ("double free or corruption" seen once at the end of the test run).
/// `openssl_sys::init` initialises first and without the handler, so the process's memory
/// is released by the kernel instead.
pub fn establish_postgres(url: &str) -> diesel::ConnectionResult<PgConnection> {
    openssl_sys::init();
    PgConnection::establish(url)
}

/// Opens connections for the pool, by the URL's scheme (never by trial and error).
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl Manager {
    /// A manager for `url`.
    pub fn new(url: &str) -> Self {
        let backend = Backend::of(url);
        let url = match backend {
            Backend::Sqlite => url.strip_prefix("sqlite://").unwrap_or(url).to_string(),
            Backend::Postgres => url.to_string(),
        };
        Manager { url, backend }
    }

    /// Opens one connection.
    pub fn connect(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = establish_postgres(&self.url)?;
                // Plan each execution with its parameters: a generic plan made while a
                // table was empty would scan it ever after.
                conn.batch_execute("SET plan_cache_mode = force_custom_plan;")
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Pg(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url)?;
                // 4 KiB pages: the random writes of current states (a patient's place in
                // the key order is anyone's guess) dirty a quarter of the bytes of 16 KiB
                // pages; at 200 units the rate was the same and the file 19% smaller
                // (docs/performance.md). Files created with other sizes keep theirs. WAL: readers never block the writer. NORMAL: durable
                // at checkpoints, the documented WAL setting. A 64 MiB page cache keeps a
                // batch chunk's pages in memory. Checkpoints run on a thread of their own
                // (`spawn_checkpointer`); the automatic one is only a safety net. The busy
                // timeout comes first: switching a new file to WAL takes a lock, and two
                // connections opening it at once must wait for each other, not fail.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 15000; PRAGMA page_size = 4096; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; \
                     PRAGMA wal_autocheckpoint = 20000;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        Manager::connect(self).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(r2d2::Error::QueryError)
    }

    /// A connection left inside a transaction (a rollback that failed), or whose
    /// transaction state is broken, is dropped instead of going back to the pool.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::connection::TransactionManager;
        std::thread::panicking()
            || <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(
                conn,
            )
            .transaction_depth()
            .map_or(true, |depth| depth.is_some())
    }
}

/// Applies pending migrations for the connection's backend.
pub fn migrate(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let applied = match conn {
        DbConnection::Pg(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(StoreError::Migration)
}

/// Copies the WAL back into the SQLite database file every second from a thread of its
/// own, so that the writer's commits never pay for it. Stops when the file is gone.
fn spawn_checkpointer(manager: &Manager) {
    let manager = manager.clone();
    let path = std::path::PathBuf::from(&manager.url);
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let Ok(mut conn) = manager.connect() else {
                return;
            };
            let mut failures = 0;
            while path.exists() && failures < 5 {
                std::thread::sleep(Duration::from_millis(500));
                match conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                    Ok(()) => failures = 0,
                    Err(error) => {
                        failures += 1;
                        tracing::warn!(error = %error, "WAL checkpoint failed");
                    }
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(error = %error, "no checkpoint thread; SQLite checkpoints automatically");
    }
}

/// What the pool's checkouts cost: counted as they happen, read by the service's metrics.
#[derive(Debug, Default)]
pub struct PoolEvents {
    /// Connections taken from the pool.
    pub checkouts: AtomicU64,
    /// Microseconds spent waiting for them.
    pub wait_micros: AtomicU64,
    /// Waits that timed out.
    pub timeouts: AtomicU64,
}

impl r2d2::HandleEvent for PoolEventsHandler {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        self.0.checkouts.fetch_add(1, Ordering::Relaxed);
        let waited = u64::try_from(event.duration().as_micros()).unwrap_or(u64::MAX);
        self.0.wait_micros.fetch_add(waited, Ordering::Relaxed);
    }

    fn handle_timeout(&self, event: r2d2::event::TimeoutEvent) {
        self.0.timeouts.fetch_add(1, Ordering::Relaxed);
        let waited = u64::try_from(event.timeout().as_micros()).unwrap_or(u64::MAX);
        self.0.wait_micros.fetch_add(waited, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct PoolEventsHandler(Arc<PoolEvents>);

/// The pool over a migrated database (`open.rs` connects, migrates and recounts first).
pub fn pool(
    manager: Manager,
    pool_size: u32,
    events: Arc<PoolEvents>,
) -> Result<DbPool, StoreError> {
    let size = match manager.backend {
        Backend::Sqlite => {
            spawn_checkpointer(&manager);
            pool_size.clamp(1, 8)
        }
        Backend::Postgres => pool_size.max(1),
    };
    Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(true)
        .event_handler(Box::new(PoolEventsHandler(events)))
        .build(manager)
        .map_err(StoreError::Pool)
}
