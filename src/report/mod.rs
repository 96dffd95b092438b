//! Completeness reports by unit, built from the store's SQL aggregates (never from the
//! records themselves), as JSON and CSV.

pub mod alerts;
pub mod completeness;
pub mod csv;
pub mod diff;
pub mod distribution;

pub use completeness::{build, CompletenessReport};
pub mod trend;
