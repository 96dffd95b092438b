//! Writing records: history row, idempotency, and replacement of the current state.
//!
//! A patient in a unit is `(source, patient_id, unit)`. A newer `recorded_at` replaces the
//! current state; an older or equal one is kept in history only; the identical record
//! (same canonical content) is stored once, however often it is posted.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::connection::DbConnection;
use super::models::{NewCurrentDomain, NewCurrentFinding, NewCurrentState, NewRecord};
use super::schema::{current_domains, current_findings, current_state, records};
use super::StoreError;
use crate::on_backend;
use crate::result::StoreOutcome;

/// A validated record ready to store: everything the tables need, already serialised.
#[derive(Debug, Clone)]
pub struct PreparedRecord {
    /// New record UUID (used unless the record is a duplicate).
    pub id: String,
    /// Sending system.
    pub source: String,
    /// Patient identifier.
    pub patient_id: String,
    /// Unit.
    pub unit: String,
    /// Microseconds since the epoch.
    pub recorded_at: i64,
    /// SHA-256 of the canonical record.
    pub content_hash: String,
    /// Canonical record JSON.
    pub body: String,
    /// Result JSON (with `id`).
    pub result: String,
    /// Record status.
    pub status: &'static str,
    /// Profile ID.
    pub profile: String,
    /// Whether the REaL domains are complete.
    pub real_complete: bool,
    /// Domain statuses, by wire name.
    pub domains: Vec<(&'static str, &'static str)>,
    /// Distinct rule IDs that fired.
    pub rules: Vec<&'static str>,
}

/// What storing one record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The record's ID: the new one, or the existing one for a duplicate.
    pub id: String,
    /// What happened.
    pub outcome: StoreOutcome,
}

/// Stores records in one transaction, in order. A unique-key race with a concurrent
/// writer (PostgreSQL) retries the whole transaction.
pub fn store_all(
    conn: &mut DbConnection,
    prepared: &[PreparedRecord],
    received_at: i64,
) -> Result<Vec<Stored>, StoreError> {
    let mut attempts = 0;
    loop {
        let outcome = conn.transaction(|conn| {
            prepared
                .iter()
                .map(|record| store_one(conn, record, received_at))
                .collect::<Result<Vec<_>, DieselError>>()
        });
        match outcome {
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
                if attempts < 3 =>
            {
                attempts += 1;
            }
            other => return other.map_err(StoreError::from),
        }
    }
}

fn store_one(
    conn: &mut DbConnection,
    record: &PreparedRecord,
    received_at: i64,
) -> Result<Stored, DieselError> {
    let existing: Option<String> = records::table
        .filter(records::source.eq(&record.source))
        .filter(records::patient_id.eq(&record.patient_id))
        .filter(records::unit.eq(&record.unit))
        .filter(records::content_hash.eq(&record.content_hash))
        .select(records::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(Stored {
            id,
            outcome: StoreOutcome::Duplicate,
        });
    }
    diesel::insert_into(records::table)
        .values(NewRecord {
            id: &record.id,
            source: &record.source,
            patient_id: &record.patient_id,
            unit: &record.unit,
            recorded_at: record.recorded_at,
            content_hash: &record.content_hash,
            body: &record.body,
            result: &record.result,
            status: record.status,
            profile: &record.profile,
            received_at,
        })
        .execute(conn)?;
    let key = current_state::table
        .filter(current_state::source.eq(&record.source))
        .filter(current_state::patient_id.eq(&record.patient_id))
        .filter(current_state::unit.eq(&record.unit));
    let current: Option<(String, i64)> = key
        .select((current_state::record_id, current_state::recorded_at))
        .first(conn)
        .optional()?;
    let state = NewCurrentState {
        source: &record.source,
        patient_id: &record.patient_id,
        unit: &record.unit,
        record_id: &record.id,
        recorded_at: record.recorded_at,
        status: record.status,
        real_complete: record.real_complete,
    };
    let outcome = match current {
        None => {
            diesel::insert_into(current_state::table)
                .values(&state)
                .execute(conn)?;
            StoreOutcome::Created
        }
        Some((old_id, old_recorded_at)) if old_recorded_at < record.recorded_at => {
            diesel::update(key).set(&state).execute(conn)?;
            diesel::delete(current_domains::table.filter(current_domains::record_id.eq(&old_id)))
                .execute(conn)?;
            diesel::delete(current_findings::table.filter(current_findings::record_id.eq(&old_id)))
                .execute(conn)?;
            StoreOutcome::Replaced
        }
        Some(_) => {
            return Ok(Stored {
                id: record.id.clone(),
                outcome: StoreOutcome::Historical,
            })
        }
    };
    let domains: Vec<NewCurrentDomain<'_>> = record
        .domains
        .iter()
        .map(|(domain, status)| NewCurrentDomain {
            record_id: &record.id,
            unit: &record.unit,
            recorded_at: record.recorded_at,
            domain,
            status,
        })
        .collect();
    // Multi-row inserts are backend-specific SQL, which `MultiBackend` cannot express.
    on_backend!(conn, |c| diesel::insert_into(current_domains::table)
        .values(&domains)
        .execute(c))?;
    if !record.rules.is_empty() {
        let findings: Vec<NewCurrentFinding<'_>> = record
            .rules
            .iter()
            .map(|rule| NewCurrentFinding {
                record_id: &record.id,
                rule,
                unit: &record.unit,
                recorded_at: record.recorded_at,
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(current_findings::table)
            .values(&findings)
            .execute(c))?;
    }
    Ok(Stored {
        id: record.id.clone(),
        outcome,
    })
}
