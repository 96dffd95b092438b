//! Writing records: history row, idempotency, and replacement of the current state.
//!
//! A patient in a unit is `(source, patient_id, unit)`. A newer `recorded_at` replaces the
//! current state; an older or equal one is kept in history only; the identical record
//! (same canonical content) is stored once, however often it is posted.
//!
//! The write path is the ingest hot path. A chunk is resolved in memory against two
//! set-based reads (stored hashes, current states) and written with multi-row
//! statements; it runs on the concrete connection of each backend (where diesel can insert
//! many rows at once) rather than through `MultiBackend`, one macro keeping it one piece
//! of code. On PostgreSQL the current-state rows read are locked until commit, so
//! concurrent writers of the same patient serialise; a concurrent first insert of the same
//! patient is a unique violation, and the chunk is retried.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{PgConnection, SqliteConnection};

use super::audit::{AuditEntry, NewAuditRow};
use super::connection::DbConnection;
use super::models::{NewCurrentFinding, NewCurrentState, NewRecord};
use super::schema::{current_findings, current_state, records};
use super::StoreError;
use crate::result::StoreOutcome;

/// The six completeness statuses of a record, by wire name, in column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainColumns {
    /// Race.
    pub race: &'static str,
    /// Ethnicity.
    pub ethnicity: &'static str,
    /// Language.
    pub language: &'static str,
    /// Interpreter need.
    pub interpreter: &'static str,
    /// Caregivers.
    pub caregivers: &'static str,
    /// Caregivers' language.
    pub caregiver_language: &'static str,
    /// The optional domains the profile requires, `domain:status` space-separated.
    pub optional: String,
}

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
    /// Result JSON (with `id`), as stored.
    pub result: String,
    /// Result JSON without `id` and `outcome`, to answer with (see `result::with_identity`).
    pub result_tail: String,
    /// Record status.
    pub status: &'static str,
    /// Profile ID.
    pub profile: String,
    /// Whether the REaL domains are complete.
    pub real_complete: bool,
    /// Domain statuses.
    pub domains: DomainColumns,
    /// Distinct rule IDs that fired.
    pub rules: Vec<&'static str>,
    /// The same, space-separated (kept on the current state).
    pub rules_text: String,
}

/// What storing one record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The record's ID: the new one, or the existing one for a duplicate.
    pub id: String,
    /// What happened.
    pub outcome: StoreOutcome,
}

/// Records written per pass inside the one transaction: each pass's look-ups bind its
/// distinct sources and patient IDs, and an unbounded pass (a FHIR transaction Bundle of
/// 40,000 Patients from as many sources) would pass SQLite's 32,766 bound values.
const RECORDS_PER_PASS: usize = 2000;

/// Stores records in one transaction, in order (in passes of [`RECORDS_PER_PASS`], each
/// seeing what the earlier ones wrote). A unique-key race with a concurrent writer
/// (PostgreSQL) retries the whole transaction. `audit`, when given, is written in the same
/// transaction, naming the records written.
pub fn store_all(
    conn: &mut DbConnection,
    prepared: &[PreparedRecord],
    received_at: i64,
    audit: Option<&AuditEntry>,
) -> Result<Vec<Stored>, StoreError> {
    fn in_passes(
        prepared: &[PreparedRecord],
        mut store: impl FnMut(&[PreparedRecord]) -> Result<Vec<Stored>, DieselError>,
    ) -> Result<Vec<Stored>, DieselError> {
        let mut stored = Vec::with_capacity(prepared.len());
        for pass in prepared.chunks(RECORDS_PER_PASS) {
            stored.extend(store(pass)?);
        }
        Ok(stored)
    }
    // The audit row names what was written, so it is built once the rows are. A transaction
    // of duplicates only wrote nothing, and leaves no row (the answers name existing records).
    let audit_row = |stored: &[Stored]| {
        let wrote = stored.iter().any(|s| s.outcome != StoreOutcome::Duplicate);
        audit.filter(|_| wrote).map(|entry| {
            let status = if stored.iter().any(|s| s.outcome == StoreOutcome::Created) {
                201
            } else {
                200
            };
            let touched = stored
                .iter()
                .zip(prepared)
                .map(|(s, p)| (s.id.as_str(), p.unit.as_str()));
            NewAuditRow::new(&entry.touching(status, touched), received_at)
        })
    };
    let mut attempts = 0;
    loop {
        let outcome = match conn {
            DbConnection::Pg(c) => c.transaction(|c| {
                let stored = in_passes(prepared, |pass| store_chunk_pg(c, pass, received_at))?;
                if let Some(row) = audit_row(&stored) {
                    crate::insert_audit_row!(c, &row)?;
                }
                Ok(stored)
            }),
            DbConnection::Sqlite(c) => c.immediate_transaction(|c| {
                let stored = in_passes(prepared, |pass| store_chunk_sqlite(c, pass, received_at))?;
                if let Some(row) = audit_row(&stored) {
                    crate::insert_audit_row!(c, &row)?;
                }
                Ok(stored)
            }),
        };
        match outcome {
            Err(error) if attempts < 3 && is_transient(&error) => {
                attempts += 1;
            }
            other => return other.map_err(StoreError::from),
        }
    }
}

/// Whether a failed transaction is worth retrying: a concurrent writer created the same
/// patient first, or PostgreSQL chose this transaction as a serialisation or deadlock victim.
fn is_transient(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
        | DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

/// Rows per multi-row statement: at 14 columns, 14,000 bound values (SQLite allows 32,766,
/// PostgreSQL 65,535).
const ROWS_PER_STATEMENT: usize = 1000;

/// `(source, patient_id, unit)`.
type Key<'a> = (&'a str, &'a str, &'a str);

/// The current record of a key in the database when the chunk started.
struct Stale {
    /// Its ID.
    record_id: String,
    /// Its `recorded_at`.
    recorded_at: i64,
    /// The rules fired on it, space-separated.
    rules: String,
}

/// The current state of one key while a chunk is applied.
struct Slot {
    /// The current record in the database when the chunk started, if any.
    in_db: Option<Stale>,
    /// The chunk's record that is current now, if the chunk changed it.
    now: Option<usize>,
    /// The current `recorded_at`.
    recorded_at: i64,
}

/// Decides what each record of a chunk does, given the hashes already stored and the
/// current state of its keys: the whole chunk is resolved in memory, then written with a
/// few set-based statements.
fn plan<'a>(
    prepared: &'a [PreparedRecord],
    mut known: HashMap<String, String>,
    slots: &mut HashMap<Key<'a>, Slot>,
) -> (Vec<Stored>, Vec<usize>) {
    let mut stored = Vec::with_capacity(prepared.len());
    let mut new_records = Vec::with_capacity(prepared.len());
    for (index, record) in prepared.iter().enumerate() {
        if let Some(id) = known.get(&record.content_hash) {
            stored.push(Stored {
                id: id.clone(),
                outcome: StoreOutcome::Duplicate,
            });
            continue;
        }
        known.insert(record.content_hash.clone(), record.id.clone());
        new_records.push(index);
        let key = (
            record.source.as_str(),
            record.patient_id.as_str(),
            record.unit.as_str(),
        );
        let outcome = match slots.get_mut(&key) {
            None => {
                slots.insert(
                    key,
                    Slot {
                        in_db: None,
                        now: Some(index),
                        recorded_at: record.recorded_at,
                    },
                );
                StoreOutcome::Created
            }
            Some(slot) if slot.recorded_at < record.recorded_at => {
                slot.now = Some(index);
                slot.recorded_at = record.recorded_at;
                StoreOutcome::Replaced
            }
            Some(_) => StoreOutcome::Historical,
        };
        stored.push(Stored {
            id: record.id.clone(),
            outcome,
        });
    }
    (stored, new_records)
}

/// Defines `$name(conn: &mut $conn, ...)`: the chunk write path for one backend.
/// `$lock` (PostgreSQL: `for_update`) locks the current-state rows the chunk reads.
macro_rules! store_chunk_on {
    ($name:ident, $conn:ty $(, $lock:ident)?) => {
        fn $name(
            conn: &mut $conn,
            prepared: &[PreparedRecord],
            received_at: i64,
        ) -> Result<Vec<Stored>, DieselError> {
            // 1. Which records are already stored (idempotency).
            let mut known: HashMap<String, String> = HashMap::new();
            let hashes: Vec<&str> = prepared.iter().map(|r| r.content_hash.as_str()).collect();
            for group in hashes.chunks(ROWS_PER_STATEMENT) {
                let rows: Vec<(String, String)> = records::table
                    .filter(records::content_hash.eq_any(group))
                    .select((records::content_hash, records::id))
                    .load(conn)?;
                known.extend(rows);
            }
            // 2. The current state of the chunk's patients.
            let mut slots: HashMap<Key<'_>, Slot> = HashMap::new();
            let keys: HashMap<Key<'_>, usize> = prepared
                .iter()
                .enumerate()
                .map(|(i, r)| ((r.source.as_str(), r.patient_id.as_str(), r.unit.as_str()), i))
                .collect();
            let mut patients: Vec<&str> = prepared.iter().map(|r| r.patient_id.as_str()).collect();
            patients.sort_unstable();
            patients.dedup();
            // Both leading key columns, so the look-up walks the primary key.
            let mut sources: Vec<&str> = prepared.iter().map(|r| r.source.as_str()).collect();
            sources.sort_unstable();
            sources.dedup();
            for group in patients.chunks(ROWS_PER_STATEMENT) {
                let rows: Vec<(String, String, String, String, i64, String)> = current_state::table
                    .filter(current_state::source.eq_any(&sources))
                    .filter(current_state::patient_id.eq_any(group))
                    .select((
                        current_state::source,
                        current_state::patient_id,
                        current_state::unit,
                        current_state::record_id,
                        current_state::recorded_at,
                        current_state::rules,
                    ))
                    $(.$lock())?
                    .load(conn)?;
                for (source, patient_id, unit, record_id, recorded_at, rules) in rows {
                    let Some(&index) = keys.get(&(source.as_str(), patient_id.as_str(), unit.as_str()))
                    else {
                        continue;
                    };
                    let record = &prepared[index];
                    let key = (record.source.as_str(), record.patient_id.as_str(), record.unit.as_str());
                    let stale = Stale { record_id, recorded_at, rules };
                    slots.insert(key, Slot { in_db: Some(stale), now: None, recorded_at });
                }
            }
            // 3. Resolve the chunk in memory.
            let (stored, new_records) = plan(prepared, known, &mut slots);
            // 4. Write: history, then current state, then its findings.
            let rows: Vec<NewRecord<'_>> = new_records
                .iter()
                .map(|i| new_record(&prepared[*i], received_at))
                .collect();
            for group in rows.chunks(ROWS_PER_STATEMENT) {
                // Tuples of `column.eq(value)`, not the derived `Insertable`: only they let
                // diesel send SQLite one multi-row INSERT instead of a row-by-row loop.
                let values: Vec<_> = group
                    .iter()
                    .map(|r| {
                        (
                            records::id.eq(r.id),
                            records::source.eq(r.source),
                            records::patient_id.eq(r.patient_id),
                            records::unit.eq(r.unit),
                            records::recorded_at.eq(r.recorded_at),
                            records::content_hash.eq(r.content_hash),
                            records::body.eq(r.body),
                            records::result.eq(r.result),
                            records::status.eq(r.status),
                            records::profile.eq(r.profile),
                            records::received_at.eq(r.received_at),
                        )
                    })
                    .collect();
                diesel::insert_into(records::table).values(values).execute(conn)?;
            }
            let mut inserted = Vec::new();
            let mut stale_findings = Vec::new();
            let mut current = Vec::new();
            // In key order, so that concurrent writers (PostgreSQL) take row locks in the
            // same order and cannot deadlock each other.
            let mut changed: Vec<(&Key<'_>, &Slot)> = slots.iter().collect();
            changed.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (_, slot) in changed {
                let Some(index) = slot.now else { continue };
                let state = new_state(&prepared[index]);
                match &slot.in_db {
                    None => inserted.push(state),
                    Some(stale) => {
                        let updated = diesel::update(
                            current_state::table
                                .filter(current_state::source.eq(state.source))
                                .filter(current_state::patient_id.eq(state.patient_id))
                                .filter(current_state::unit.eq(state.unit)),
                        )
                        .set(&state)
                        .execute(conn)?;
                        debug_assert_eq!(updated, 1);
                        let unit = state.unit;
                        stale_findings.extend(stale.rules.split_whitespace().map(|rule| {
                            (rule, unit, stale.recorded_at, stale.record_id.as_str())
                        }));
                    }
                }
                current.push(index);
            }
            for group in inserted.chunks(ROWS_PER_STATEMENT) {
                let values: Vec<_> = group
                    .iter()
                    .map(|r| {
                        (
                            current_state::source.eq(r.source),
                            current_state::patient_id.eq(r.patient_id),
                            current_state::unit.eq(r.unit),
                            current_state::record_id.eq(r.record_id),
                            current_state::recorded_at.eq(r.recorded_at),
                            current_state::status.eq(r.status),
                            current_state::real_complete.eq(r.real_complete),
                            current_state::race.eq(r.race),
                            current_state::ethnicity.eq(r.ethnicity),
                            current_state::language.eq(r.language),
                            current_state::interpreter.eq(r.interpreter),
                            current_state::caregivers.eq(r.caregivers),
                            current_state::caregiver_language.eq(r.caregiver_language),
                            current_state::rules.eq(r.rules),
                            current_state::profile.eq(r.profile),
                            current_state::optional_domains.eq(r.optional_domains),
                        )
                    })
                    .collect();
                diesel::insert_into(current_state::table).values(values).execute(conn)?;
            }
            // The replaced records' findings, each by its full key.
            for (rule, unit, recorded_at, record_id) in stale_findings {
                diesel::delete(
                    current_findings::table
                        .filter(current_findings::rule.eq(rule))
                        .filter(current_findings::unit.eq(unit))
                        .filter(current_findings::recorded_at.eq(recorded_at))
                        .filter(current_findings::record_id.eq(record_id)),
                )
                .execute(conn)?;
            }
            current.sort_unstable();
            let findings: Vec<NewCurrentFinding<'_>> = current
                .iter()
                .flat_map(|i| new_findings(&prepared[*i]))
                .collect();
            for group in findings.chunks(ROWS_PER_STATEMENT) {
                let values: Vec<_> = group
                    .iter()
                    .map(|r| {
                        (
                            current_findings::rule.eq(r.rule),
                            current_findings::unit.eq(r.unit),
                            current_findings::recorded_at.eq(r.recorded_at),
                            current_findings::record_id.eq(r.record_id),
                        )
                    })
                    .collect();
                diesel::insert_into(current_findings::table).values(values).execute(conn)?;
            }
            Ok(stored)
        }
    };
}

store_chunk_on!(store_chunk_pg, PgConnection, for_update);
store_chunk_on!(store_chunk_sqlite, SqliteConnection);

fn new_record(record: &PreparedRecord, received_at: i64) -> NewRecord<'_> {
    NewRecord {
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
    }
}

fn new_state(record: &PreparedRecord) -> NewCurrentState<'_> {
    let domains = &record.domains;
    NewCurrentState {
        source: &record.source,
        patient_id: &record.patient_id,
        unit: &record.unit,
        record_id: &record.id,
        recorded_at: record.recorded_at,
        status: record.status,
        real_complete: record.real_complete,
        race: domains.race,
        ethnicity: domains.ethnicity,
        language: domains.language,
        interpreter: domains.interpreter,
        caregivers: domains.caregivers,
        caregiver_language: domains.caregiver_language,
        rules: &record.rules_text,
        profile: &record.profile,
        optional_domains: &domains.optional,
    }
}

fn new_findings(record: &PreparedRecord) -> Vec<NewCurrentFinding<'_>> {
    record
        .rules
        .iter()
        .map(|rule| NewCurrentFinding {
            record_id: &record.id,
            rule,
            unit: &record.unit,
            recorded_at: record.recorded_at,
        })
        .collect()
}
