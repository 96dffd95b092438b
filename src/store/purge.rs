//! Retention: removing history rows that are no longer anyone's current state. Current
//! states, their findings, and so work lists and reports, are untouched. On PostgreSQL,
//! history is partitioned by month, and months wholly past go as partitions.

use diesel::prelude::*;

use super::audit::{AuditEntry, NewAuditRow};
use super::connection::DbConnection;
use super::schema::{current_state, records};
use super::StoreError;

/// Removes (or with `dry_run` counts) the history rows recorded before `before` that are
/// not a current state; the purge's audit row, with the count, is written in the same
/// transaction. How many.
pub fn history(
    conn: &mut DbConnection,
    before: i64,
    dry_run: bool,
    audit: &AuditEntry,
    now: i64,
) -> Result<usize, StoreError> {
    if dry_run {
        let current = current_state::table.select(current_state::record_id);
        let count: i64 = records::table
            .filter(records::recorded_at.lt(before))
            .filter(records::id.ne_all(current))
            .count()
            .get_result(conn)?;
        return Ok(usize::try_from(count).unwrap_or(usize::MAX));
    }
    audited(conn, audit, now, |conn| {
        if let DbConnection::Pg(c) = conn {
            // Whole months go as partitions (migration `partition_history`).
            #[derive(QueryableByName)]
            struct Removed {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                removed: i64,
            }
            let Removed { removed } =
                diesel::sql_query("SELECT realdq_purge_history($1) AS removed")
                    .bind::<diesel::sql_types::BigInt, _>(before)
                    .get_result(c)?;
            return Ok(usize::try_from(removed).unwrap_or(0));
        }
        let current = current_state::table.select(current_state::record_id);
        diesel::delete(
            records::table
                .filter(records::recorded_at.lt(before))
                .filter(records::id.ne_all(current)),
        )
        .execute(conn)
        .map_err(StoreError::from)
    })
}

/// Runs `remove` and writes the audit row with its count, in one transaction.
fn audited(
    conn: &mut DbConnection,
    audit: &AuditEntry,
    now: i64,
    remove: impl FnOnce(&mut DbConnection) -> Result<usize, StoreError>,
) -> Result<usize, StoreError> {
    conn.write_transaction(|conn| {
        let removed = remove(conn)?;
        let entry = AuditEntry {
            record_count: removed,
            ..audit.clone()
        };
        let row = NewAuditRow::new(&entry, now);
        crate::on_backend!(conn, |c| crate::insert_audit_row!(c, &row))?;
        Ok(removed)
    })
}

/// Removes (or counts) audit rows older than `before`; the purge itself is audited in the
/// same transaction, so the log always shows that it was cut and by how much.
pub fn audit_rows(
    conn: &mut DbConnection,
    before: i64,
    dry_run: bool,
    audit: &AuditEntry,
    now: i64,
) -> Result<usize, StoreError> {
    if dry_run {
        return super::audit::purge(conn, before, true);
    }
    audited(conn, audit, now, |conn| {
        super::audit::purge(conn, before, false)
    })
}
