//! Writing records: history row, idempotency, replacement of the current state, and the
//! report's counts.
//!
//! A patient in a unit is `(source, patient_id, unit)`. A newer `recorded_at` replaces the
//! current state; an older or equal one is kept in history only; the identical record
//! (same canonical content) is stored once, however often it is posted.
//!
//! The write path is the ingest hot path. A chunk is resolved in memory against two
//! set-based reads (stored records by `(recorded_at, content_hash)`, current states) and
//! written with a few statements per table (`write.rs` forks them by backend), then the
//! report's counts take the chunk's changes (`counts.rs`). On PostgreSQL the current-state
//! rows read are locked until commit, so concurrent writers of the same patient serialise;
//! a concurrent first insert of the same patient is a unique violation, and the chunk is
//! retried.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::audit::{AuditEntry, NewAuditRow};
use super::connection::{Conn, DbConnection};
use super::counts::{Deltas, Group};
use super::findings::{self, FindingChanges, Span};
use super::models::{NewCurrentState, NewRecord};
use super::schema::current_state;
use super::trend::{self, Timeline, TrendChanges, Version};
use super::write::{self, ContentKey};
use super::{StoreError, StoreOutcome};

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
    /// The first 16 bytes of the canonical record's SHA-256.
    pub content_hash: [u8; 16],
    /// When real-dq assigned `recorded_at` (the sender gave none): the same hash without
    /// it, so that a re-send of the current record's content is a duplicate.
    pub timeless_hash: Option<[u8; 16]>,
    /// Canonical record JSON, compressed (`codec::encode`).
    pub body: Vec<u8>,
    /// Result JSON (with `id`), compressed, as stored.
    pub result: Vec<u8>,
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
    /// The answers the distribution counts (`pipeline::answers`), space-separated.
    pub answers: String,
    /// Who reported its race and ethnicity (`pipeline::reported_by`).
    pub reported_by: &'static str,
}

impl PreparedRecord {
    fn content_key(&self) -> ContentKey {
        (self.recorded_at, self.content_hash)
    }

    /// The record as a version of its key's timeline.
    pub(super) fn version(&self) -> Version {
        Version {
            at: self.recorded_at,
            tag: self.tag(),
            combo: trend::code(&self.group()),
            rules: self.rules_text.clone(),
        }
    }

    /// The first bytes of its content hash: which record a timeline's version is.
    pub(super) fn tag(&self) -> [u8; 4] {
        let [a, b, c, d, ..] = self.content_hash;
        [a, b, c, d]
    }

    pub(super) fn group(&self) -> Group<'_> {
        let d = &self.domains;
        Group {
            unit: &self.unit,
            source: &self.source,
            reported_by: self.reported_by,
            real_complete: self.real_complete,
            race: d.race,
            ethnicity: d.ethnicity,
            language: d.language,
            interpreter: d.interpreter,
            caregivers: d.caregivers,
            caregiver_language: d.caregiver_language,
            optional_domains: &d.optional,
            profile: &self.profile,
        }
    }
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
    let write = |conn: &mut Conn<'_>| -> Result<Vec<Stored>, DieselError> {
        let mut stored = Vec::with_capacity(prepared.len());
        for pass in prepared.chunks(RECORDS_PER_PASS) {
            stored.extend(store_pass(conn, pass, received_at)?);
        }
        if let Some(row) = audit_row(&stored) {
            crate::on_conn!(conn, |c| crate::insert_audit_row!(c, &row))?;
        }
        Ok(stored)
    };
    if let DbConnection::Pg(c) = conn {
        let instants: Vec<i64> = prepared.iter().map(|r| r.recorded_at).collect();
        write::history_partitions(c, &instants)?;
    }
    let mut attempts = 0;
    loop {
        let outcome = match conn {
            DbConnection::Sqlite(c) => c.immediate_transaction(|c| write(&mut Conn::Sqlite(c))),
            DbConnection::Pg(c) => c.transaction(|c| write(&mut Conn::Pg(c))),
        };
        match outcome {
            Err(error) if attempts < RETRIES && is_transient(&error) => {
                attempts += 1;
                back_off(attempts);
            }
            other => return other.map_err(StoreError::from),
        }
    }
}

/// How many times a transaction that collided with a concurrent writer is tried again
/// before its records are answered "unavailable, retry later".
const RETRIES: u32 = 8;

/// Waits before the `attempt`-th retry: 1, 2, 4 … 128 ms, plus up to as much again at
/// random, so that writers that collided do not collide again in step (six concurrent
/// batches on the same patients on a loaded 2-core machine exhausted three immediate
/// retries).
fn back_off(attempt: u32) {
    let base_micros = 1000u64 << (attempt.saturating_sub(1)).min(7);
    let mut random = [0u8; 8];
    let jitter = match getrandom::fill(&mut random) {
        Ok(()) => u64::from_le_bytes(random) % base_micros,
        Err(_) => 0,
    };
    std::thread::sleep(std::time::Duration::from_micros(base_micros + jitter));
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

/// `(source, patient_id, unit)`.
type Key<'a> = (&'a str, &'a str, &'a str);

/// A stored current state: what the write path needs to replace it and uncount it.
#[derive(Debug, Queryable)]
pub(super) struct StateRow {
    pub source: String,
    pub patient_id: String,
    pub unit: String,
    pub record_id: String,
    pub recorded_at: i64,
    pub real_complete: bool,
    pub race: String,
    pub ethnicity: String,
    pub language: String,
    pub interpreter: String,
    pub caregivers: String,
    pub caregiver_language: String,
    pub rules: String,
    pub profile: String,
    pub optional_domains: String,
    /// The key's timeline (`trend::Timeline`), as kept.
    pub versions: Vec<u8>,
    /// The answers the distribution counts, space-separated (empty: stored before them).
    pub answers: String,
    /// Who reported race and ethnicity (empty: stored before it was kept).
    pub reported_by: String,
}

/// `StateRow`'s columns.
macro_rules! state_columns {
    () => {
        (
            current_state::source,
            current_state::patient_id,
            current_state::unit,
            current_state::record_id,
            current_state::recorded_at,
            current_state::real_complete,
            current_state::race,
            current_state::ethnicity,
            current_state::language,
            current_state::interpreter,
            current_state::caregivers,
            current_state::caregiver_language,
            current_state::rules,
            current_state::profile,
            current_state::optional_domains,
            current_state::versions,
            current_state::answers,
            current_state::reported_by,
        )
    };
}

impl StateRow {
    /// The key's timeline: as kept, or (a state from before timelines) the state alone.
    pub fn timeline(&self) -> Timeline {
        Timeline::read(
            &self.versions,
            Some(Version {
                at: self.recorded_at,
                tag: [0; 4],
                combo: trend::code(&self.group()),
                rules: self.rules.clone(),
            }),
        )
    }

    /// Up to `limit` states after the key `after` (none: from the first), in key order.
    pub fn page(
        conn: &mut DbConnection,
        after: Option<&(String, String, String)>,
        limit: i64,
    ) -> Result<Vec<StateRow>, DieselError> {
        let mut query = current_state::table
            .select(state_columns!())
            .order((
                current_state::source,
                current_state::patient_id,
                current_state::unit,
            ))
            .limit(limit)
            .into_boxed();
        if let Some((source, patient, unit)) = after {
            query = query.filter(
                current_state::source
                    .gt(source.clone())
                    .or(current_state::source.eq(source.clone()).and(
                        current_state::patient_id
                            .gt(patient.clone())
                            .or(current_state::patient_id
                                .eq(patient.clone())
                                .and(current_state::unit.gt(unit.clone()))),
                    )),
            );
        }
        query.load(conn)
    }

    /// The state of `record`'s key, whichever record it is.
    pub fn of_key(
        conn: &mut DbConnection,
        record: &PreparedRecord,
    ) -> Result<Option<StateRow>, DieselError> {
        current_state::table
            .filter(current_state::source.eq(&record.source))
            .filter(current_state::patient_id.eq(&record.patient_id))
            .filter(current_state::unit.eq(&record.unit))
            .select(state_columns!())
            .first(conn)
            .optional()
    }

    pub fn group(&self) -> Group<'_> {
        Group {
            unit: &self.unit,
            source: &self.source,
            reported_by: &self.reported_by,
            real_complete: self.real_complete,
            race: &self.race,
            ethnicity: &self.ethnicity,
            language: &self.language,
            interpreter: &self.interpreter,
            caregivers: &self.caregivers,
            caregiver_language: &self.caregiver_language,
            optional_domains: &self.optional_domains,
            profile: &self.profile,
        }
    }
}

/// The current state of one key while a pass is applied.
struct Slot<'s> {
    /// The current record in the database when the pass started, if any.
    in_db: Option<&'s LoadedState>,
    /// The pass's record that is current now, if the pass changed it.
    now: Option<usize>,
    /// The current `recorded_at`.
    recorded_at: i64,
}

/// A current state read for a pass, with, on PostgreSQL, where its row is (`ctid`, valid
/// while the row is locked) so that replacing it deletes by position.
pub(super) struct LoadedState {
    row: StateRow,
    ctid: Option<String>,
}

/// `StateRow` read by column name, with its `ctid` on PostgreSQL (empty on SQLite), as the
/// pass's look-up returns it on both backends.
#[derive(QueryableByName)]
struct StateByName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    source: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    patient_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    unit: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    record_id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    recorded_at: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    real_complete: bool,
    #[diesel(sql_type = diesel::sql_types::Text)]
    race: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    ethnicity: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    language: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    interpreter: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    caregivers: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    caregiver_language: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    rules: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    profile: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    optional_domains: String,
    #[diesel(sql_type = diesel::sql_types::Binary)]
    versions: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    answers: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    reported_by: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    ctid: String,
}

impl From<StateByName> for LoadedState {
    fn from(s: StateByName) -> Self {
        LoadedState {
            row: StateRow {
                source: s.source,
                patient_id: s.patient_id,
                unit: s.unit,
                record_id: s.record_id,
                recorded_at: s.recorded_at,
                real_complete: s.real_complete,
                race: s.race,
                ethnicity: s.ethnicity,
                language: s.language,
                interpreter: s.interpreter,
                caregivers: s.caregivers,
                caregiver_language: s.caregiver_language,
                rules: s.rules,
                profile: s.profile,
                optional_domains: s.optional_domains,
                versions: s.versions,
                answers: s.answers,
                reported_by: s.reported_by,
            },
            ctid: Some(s.ctid),
        }
    }
}

/// Reads the current states of the pass's keys, each by its primary key (locked until
/// commit on PostgreSQL), in one short statement: on SQLite the keys as one JSON array
/// walked by `json_each` (a statement naming a thousand patients as literals or binds was
/// parsed anew for every pass; a cached statement per key paid diesel's binding and row
/// decoding 2,000 times a pass), on PostgreSQL arrays of the keys, a primary-key probe
/// per key. (A filter `source IN (...) AND patient_id IN (...)` walked the index on its
/// source alone, reading every state of the source for every pass: the ingest rate fell as
/// the store grew.)
fn current_states(
    conn: &mut Conn<'_>,
    prepared: &[PreparedRecord],
) -> Result<Vec<LoadedState>, DieselError> {
    let mut keys: Vec<Key<'_>> = prepared
        .iter()
        .map(|r| (r.source.as_str(), r.patient_id.as_str(), r.unit.as_str()))
        .collect();
    // In key order, so that concurrent writers (PostgreSQL) lock rows in one order.
    keys.sort_unstable();
    keys.dedup();
    match conn.reborrow() {
        Conn::Sqlite(c) => {
            // SQLite walks the JSON array with `json_each` and probes the primary key once
            // per key.
            let keys = serde_json::to_string(&keys).expect("strings serialise");
            let found: Vec<StateByName> = diesel::sql_query(
                "SELECT s.source, s.patient_id, s.unit, s.record_id, s.recorded_at, \
                        s.real_complete, s.race, s.ethnicity, s.language, s.interpreter, \
                        s.caregivers, s.caregiver_language, s.rules, s.profile, \
                        s.optional_domains, s.versions, s.answers, s.reported_by, '' AS ctid \
                 FROM json_each(?) AS k CROSS JOIN current_state AS s \
                 WHERE s.source = k.value ->> 0 AND s.patient_id = k.value ->> 1 \
                   AND s.unit = k.value ->> 2",
            )
            .bind::<diesel::sql_types::Text, _>(keys)
            .load(c)?;
            Ok(found
                .into_iter()
                .map(|state| LoadedState {
                    ctid: None,
                    ..LoadedState::from(state)
                })
                .collect())
        }
        Conn::Pg(c) => {
            let sources: Vec<&str> = keys.iter().map(|k| k.0).collect();
            let patients: Vec<&str> = keys.iter().map(|k| k.1).collect();
            let units: Vec<&str> = keys.iter().map(|k| k.2).collect();
            // `LIMIT 1` keeps the sub-query a probe per key: without it the planner may
            // flatten it into a join over the whole table.
            let found: Vec<StateByName> = diesel::sql_query(
                "SELECT s.source, s.patient_id, s.unit, s.record_id, s.recorded_at, s.real_complete, \
                        s.race, s.ethnicity, s.language, s.interpreter, s.caregivers, \
                        s.caregiver_language, s.rules, s.profile, s.optional_domains, \
                        s.versions, s.answers, s.reported_by, s.ctid::text AS ctid \
                 FROM unnest($1::text[], $2::text[], $3::text[]) \
                      WITH ORDINALITY AS k(source, patient_id, unit, n) \
                 CROSS JOIN LATERAL (SELECT c.*, c.ctid FROM current_state c \
                     WHERE c.source = k.source AND c.patient_id = k.patient_id \
                       AND c.unit = k.unit \
                     LIMIT 1 FOR UPDATE) AS s \
                 ORDER BY k.n",
            )
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&sources)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&patients)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&units)
            .load(c)?;
            Ok(found.into_iter().map(LoadedState::from).collect())
        }
    }
}

/// Decides what each record of a pass does, given the records already stored and the
/// current state of its keys: the whole pass is resolved in memory, then written with a
/// few set-based statements. Returns what each record did and the indexes of the new ones.
fn plan<'a>(
    prepared: &'a [PreparedRecord],
    mut known: HashMap<ContentKey, String>,
    repeats: &HashMap<usize, String>,
    slots: &mut HashMap<Key<'a>, Slot<'_>>,
) -> (Vec<Stored>, Vec<usize>) {
    let mut stored = Vec::with_capacity(prepared.len());
    let mut new_records = Vec::with_capacity(prepared.len());
    for (index, record) in prepared.iter().enumerate() {
        if let Some(id) = known.get(&record.content_key()).or(repeats.get(&index)) {
            stored.push(Stored {
                id: id.clone(),
                outcome: StoreOutcome::Duplicate,
            });
            continue;
        }
        known.insert(record.content_key(), record.id.clone());
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

/// Stores one pass: look-ups, plan, then history, current states, findings and counts.
fn store_pass(
    conn: &mut Conn<'_>,
    prepared: &[PreparedRecord],
    received_at: i64,
) -> Result<Vec<Stored>, DieselError> {
    // 1. Which records are already stored (idempotency).
    let keys: Vec<ContentKey> = prepared.iter().map(PreparedRecord::content_key).collect();
    let known = write::known(conn, &keys)?;
    // 2. The current state of the pass's patients.
    let states = current_states(conn, prepared)?;
    let wanted: HashMap<Key<'_>, ()> = prepared
        .iter()
        .map(|r| {
            (
                (r.source.as_str(), r.patient_id.as_str(), r.unit.as_str()),
                (),
            )
        })
        .collect();
    let mut slots: HashMap<Key<'_>, Slot<'_>> = HashMap::new();
    for loaded in &states {
        let row = &loaded.row;
        let key = (
            row.source.as_str(),
            row.patient_id.as_str(),
            row.unit.as_str(),
        );
        if let Some((&key, ())) = wanted.get_key_value(&key) {
            slots.insert(
                key,
                Slot {
                    in_db: Some(loaded),
                    now: None,
                    recorded_at: row.recorded_at,
                },
            );
        }
    }
    // 3. Records whose time real-dq assigned and whose content is the current record's:
    //    re-sends, duplicates of it.
    let repeats = repeats(conn, prepared, &slots)?;
    // 4. Resolve the pass in memory.
    let (stored, new_records) = plan(prepared, known, &repeats, &mut slots);
    // 5. Each touched key's timeline takes its new versions; the trend counts what they
    //    change, late records included.
    //    The findings over time (the diff) count what changed in their spans.
    let mut trend = TrendChanges::default();
    let mut timelines: HashMap<Key<'_>, (Timeline, Vec<Span>)> = HashMap::new();
    for &index in &new_records {
        let record = &prepared[index];
        let key = (
            record.source.as_str(),
            record.patient_id.as_str(),
            record.unit.as_str(),
        );
        timelines
            .entry(key)
            .or_insert_with(|| {
                let timeline = match slots.get(&key).and_then(|s| s.in_db) {
                    Some(state) => state.row.timeline(),
                    None => Timeline::default(),
                };
                let spans = findings::spans(timeline.versions());
                (timeline, spans)
            })
            .0
            .insert((&record.unit, &record.source), record.version(), &mut trend);
    }
    let mut spans = FindingChanges::default();
    for (key, (timeline, before)) in &timelines {
        spans.replace(key.2, before, &findings::spans(timeline.versions()));
    }
    let versions: HashMap<Key<'_>, Vec<u8>> = timelines
        .iter()
        .map(|(key, (t, _))| (*key, t.write()))
        .collect();
    // 6. Write: history, then current states (with the rules fired), and the counts.
    let history: Vec<NewRecord<'_>> = new_records
        .iter()
        .map(|i| new_record(&prepared[*i], received_at))
        .collect();
    write::insert_history(conn, &history)?;
    let mut replaced = Vec::new();
    let mut replaced_at = Vec::new();
    let mut inserted = Vec::new();
    let mut late_only = Vec::new();
    let mut deltas = Deltas::default();
    // In key order, so that concurrent writers (PostgreSQL) take row locks in the same
    // order and cannot deadlock each other.
    let mut changed: Vec<(&Key<'_>, &Slot<'_>)> = slots.iter().collect();
    changed.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (key, slot) in changed {
        let Some(timeline) = versions.get(key) else {
            continue;
        };
        let Some(index) = slot.now else {
            // Only older records: the state stays, its timeline grows.
            if let Some(state) = slot.in_db {
                late_only.push((state, timeline.as_slice()));
            }
            continue;
        };
        let record = &prepared[index];
        let state = new_state(record, timeline);
        match slot.in_db {
            None => inserted.push(state),
            Some(stale) => {
                replaced.push(state);
                replaced_at.extend(stale.ctid.as_deref());
                deltas.add(stale.row.group(), stale.row.rules.split_whitespace(), -1);
                deltas.answers(&stale.row.unit, stale.row.answers.split_whitespace(), -1);
            }
        }
        deltas.add(record.group(), record.rules.iter().copied(), 1);
        deltas.answers(&record.unit, record.answers.split_whitespace(), 1);
    }
    write::write_states(conn, &replaced, &replaced_at, &inserted)?;
    let late_only: Vec<write::TimelineRow<'_>> = late_only
        .into_iter()
        .map(|(state, versions)| write::TimelineRow {
            source: &state.row.source,
            patient_id: &state.row.patient_id,
            unit: &state.row.unit,
            ctid: state.ctid.as_deref(),
            versions,
        })
        .collect();
    write::write_timelines(conn, &late_only)?;
    deltas.apply(conn)?;
    trend.apply(conn)?;
    spans.apply(conn)?;
    Ok(stored)
}

/// The records of a pass whose `recorded_at` real-dq assigned and whose content, but for
/// that time, is their key's current record in the database: index → that record's ID. The
/// current record's body is read and hashed without its time (only for such records: a FHIR
/// Patient without `meta.lastUpdated` whose patient is already stored).
fn repeats(
    conn: &mut Conn<'_>,
    prepared: &[PreparedRecord],
    slots: &HashMap<Key<'_>, Slot<'_>>,
) -> Result<HashMap<usize, String>, DieselError> {
    use super::schema::records;
    let mut repeats = HashMap::new();
    for (index, record) in prepared.iter().enumerate() {
        let Some(timeless) = record.timeless_hash else {
            continue;
        };
        let key = (
            record.source.as_str(),
            record.patient_id.as_str(),
            record.unit.as_str(),
        );
        let Some(current) = slots.get(&key).and_then(|slot| slot.in_db) else {
            continue;
        };
        let row = &current.row;
        let body: Option<Vec<u8>> = crate::on_conn!(conn, |c| records::table
            .filter(records::id.eq(&row.record_id))
            .filter(records::recorded_at.eq(row.recorded_at))
            .select(records::body)
            .first(c)
            .optional())?;
        let stored = body.and_then(|body| super::codec::decode(&body).ok());
        if stored.is_some_and(|json| super::codec::timeless_hash(&json) == timeless) {
            repeats.insert(index, row.record_id.clone());
        }
    }
    Ok(repeats)
}

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

fn new_state<'a>(record: &'a PreparedRecord, versions: &'a [u8]) -> NewCurrentState<'a> {
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
        versions,
        answers: &record.answers,
        reported_by: record.reported_by,
    }
}
