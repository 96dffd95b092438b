//! Persistence: the record history, the current state per `(source, patient_id, unit)`,
//! and the per-domain and per-rule rows the completeness report aggregates in SQL.

pub mod aggregates;
pub mod alerts;
pub mod audit;
pub mod codec;
pub mod connection;
pub mod counts;
pub mod distribution;
mod error;
pub mod findings;
pub mod ingest;
pub mod keys;
pub mod models;
mod open;
pub mod outcome;
pub mod purge;
pub mod queries;
pub mod rebuild;
pub mod revalidate;
pub mod schema;
pub mod sessions;
pub mod trend;
mod write;

pub use connection::{Backend, DbConnection, DbPool, PoolEvents};
pub use error::{Causes, StoreError};
pub use open::{open, open_counted};
pub use outcome::StoreOutcome;

/// Microseconds since the Unix epoch, as the store keeps time.
pub fn micros(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_micros()
}
