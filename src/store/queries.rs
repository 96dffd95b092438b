//! Reading stored results: one by ID, and filtered, cursor-paged lists of current results.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{current_findings, current_state, records};
use super::StoreError;

/// The stored result JSON of a record.
pub fn result_by_id(conn: &mut DbConnection, id: &str) -> Result<String, StoreError> {
    records::table
        .filter(records::id.eq(id))
        .select(records::result)
        .first(conn)
        .map_err(StoreError::from)
}

/// Filters of the work list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this unit.
    pub unit: Option<String>,
    /// Only this record status.
    pub status: Option<String>,
    /// Only records on which this rule fired.
    pub rule: Option<String>,
    /// Only records after this record ID (the cursor).
    pub after: Option<String>,
    /// At most this many.
    pub limit: i64,
}

/// Current results matching the filter, in record-ID order (time-ordered UUID v7):
/// `(record_id, result JSON)`.
pub fn list_current(
    conn: &mut DbConnection,
    filter: &ListFilter,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut query = current_state::table
        .inner_join(records::table)
        .select((current_state::record_id, records::result))
        .order(current_state::record_id.asc())
        .limit(filter.limit)
        .into_boxed();
    if let Some(unit) = &filter.unit {
        query = query.filter(current_state::unit.eq(unit.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(current_state::status.eq(status.clone()));
    }
    if let Some(after) = &filter.after {
        query = query.filter(current_state::record_id.gt(after.clone()));
    }
    if let Some(rule) = &filter.rule {
        let with_rule = current_findings::table
            .filter(current_findings::rule.eq(rule.clone()))
            .select(current_findings::record_id);
        query = query.filter(current_state::record_id.eq_any(with_rule));
    }
    query.load(conn).map_err(StoreError::from)
}

/// Whether the database answers.
pub fn ping(conn: &mut DbConnection) -> Result<(), StoreError> {
    diesel::sql_query("SELECT 1")
        .execute(conn)
        .map(|_| ())
        .map_err(StoreError::from)
}
