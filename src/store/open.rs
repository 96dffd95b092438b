//! Opening the store: connect, apply the migrations, do the recounts they ask for
//! (`rebuild.rs`), then build the pool. Apart from `connection.rs` so that the connection
//! layer imports nothing above it.

use std::sync::Arc;

use super::connection::{self, migrate, DbPool, Manager, PoolEvents};
use super::StoreError;

/// Connects, migrates, recounts what the migrations ask for, and builds the pool. Fails
/// when the database cannot be reached.
pub fn open(url: &str, pool_size: u32) -> Result<DbPool, StoreError> {
    open_counted(url, pool_size, Arc::new(PoolEvents::default()))
}

/// [`open`], counting the pool's checkouts into `events`.
pub fn open_counted(
    url: &str,
    pool_size: u32,
    events: Arc<PoolEvents>,
) -> Result<DbPool, StoreError> {
    let manager = Manager::new(url);
    let mut conn = manager.connect()?;
    migrate(&mut conn)?;
    super::rebuild::pending(&mut conn)?;
    drop(conn);
    connection::pool(manager, pool_size, events)
}
