//! `real-dq revalidate`: stored records re-run under the current profile. Every history
//! row gets the new result, status and profile; a row that is some patient's current state
//! also updates that state and its rule rows. IDs, bodies and hashes never change.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::ingest::PreparedRecord;
use super::schema::{current_findings, current_state, records};
use super::StoreError;

/// One stored record to re-run: its ID and canonical body.
#[derive(Debug, Clone, Queryable)]
pub struct StoredRecord {
    /// Record ID.
    pub id: String,
    /// Canonical record JSON.
    pub body: String,
    /// Its status before the re-run.
    pub status: String,
}

/// The next `limit` records after `after` (in ID order), of one unit or all.
pub fn page(
    conn: &mut DbConnection,
    after: Option<&str>,
    unit: Option<&str>,
    limit: i64,
) -> Result<Vec<StoredRecord>, StoreError> {
    let mut query = records::table
        .select((records::id, records::body, records::status))
        .order(records::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(records::id.gt(after.to_string()));
    }
    if let Some(unit) = unit {
        query = query.filter(records::unit.eq(unit.to_string()));
    }
    Ok(query.load(conn)?)
}

/// Writes the re-run results in one transaction; returns how many were current states.
pub fn rewrite(conn: &mut DbConnection, prepared: &[PreparedRecord]) -> Result<usize, StoreError> {
    conn.transaction::<_, StoreError, _>(|conn| {
        let mut current = 0;
        for record in prepared {
            diesel::update(records::table.filter(records::id.eq(&record.id)))
                .set((
                    records::result.eq(&record.result),
                    records::status.eq(record.status),
                    records::profile.eq(&record.profile),
                ))
                .execute(conn)?;
            let state: Option<(String, i64, String)> = current_state::table
                .filter(current_state::record_id.eq(&record.id))
                .select((
                    current_state::unit,
                    current_state::recorded_at,
                    current_state::rules,
                ))
                .first(conn)
                .optional()?;
            let Some((unit, recorded_at, old_rules)) = state else {
                continue;
            };
            current += 1;
            let domains = &record.domains;
            diesel::update(current_state::table.filter(current_state::record_id.eq(&record.id)))
                .set((
                    current_state::status.eq(record.status),
                    current_state::real_complete.eq(record.real_complete),
                    current_state::race.eq(domains.race),
                    current_state::ethnicity.eq(domains.ethnicity),
                    current_state::language.eq(domains.language),
                    current_state::interpreter.eq(domains.interpreter),
                    current_state::caregivers.eq(domains.caregivers),
                    current_state::caregiver_language.eq(domains.caregiver_language),
                    current_state::optional_domains.eq(&domains.optional),
                    current_state::rules.eq(&record.rules_text),
                    current_state::profile.eq(&record.profile),
                ))
                .execute(conn)?;
            for rule in old_rules.split_whitespace() {
                diesel::delete(
                    current_findings::table
                        .filter(current_findings::rule.eq(rule))
                        .filter(current_findings::unit.eq(&unit))
                        .filter(current_findings::recorded_at.eq(recorded_at))
                        .filter(current_findings::record_id.eq(&record.id)),
                )
                .execute(conn)?;
            }
            // One row per statement: `MultiConnection` has no batch insert, and a re-run
            // is not the hot path.
            for rule in &record.rules {
                diesel::insert_into(current_findings::table)
                    .values((
                        current_findings::rule.eq(*rule),
                        current_findings::unit.eq(&unit),
                        current_findings::recorded_at.eq(recorded_at),
                        current_findings::record_id.eq(&record.id),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(current)
    })
}
