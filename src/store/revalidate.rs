//! `real-dq revalidate`: stored records re-run under the current profile. Every history
//! row gets the new result, status and profile; a row that is some patient's current state
//! also updates that state and its rule rows, and each record's version on its key's
//! timeline is re-judged where it stands in time (the trend). IDs, bodies and hashes never change.

use diesel::prelude::*;

use super::codec;
use super::connection::DbConnection;
use super::counts::Deltas;
use super::findings::{self, FindingChanges};
use super::ingest::{PreparedRecord, StateRow};
use super::schema::{current_state, records};
use super::trend::{self, TrendChanges};
use super::StoreError;

/// One stored record to re-run: its ID and canonical body.
#[derive(Debug, Clone)]
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
    let rows: Vec<(String, Vec<u8>, String)> = query.load(conn)?;
    rows.into_iter()
        .map(|(id, body, status)| {
            let body = codec::decode(&body)?;
            Ok(StoredRecord { id, body, status })
        })
        .collect()
}

/// Writes the re-run results in one transaction; returns how many were current states.
pub fn rewrite(conn: &mut DbConnection, prepared: &[PreparedRecord]) -> Result<usize, StoreError> {
    conn.write_transaction::<_, StoreError>(|conn| {
        let mut replaced = Vec::new();
        let mut trend = TrendChanges::default();
        let mut spans = FindingChanges::default();
        for record in prepared {
            diesel::update(records::table.filter(records::id.eq(&record.id)))
                .set((
                    records::result.eq(&record.result),
                    records::status.eq(record.status),
                    records::profile.eq(&record.profile),
                ))
                .execute(conn)?;
            // The key's timeline re-judges the record where it stands in time (the trend);
            // the current record also updates the state itself.
            let Some(old) = StateRow::of_key(conn, record)? else {
                continue;
            };
            let mut timeline = old.timeline();
            let before = findings::spans(timeline.versions());
            let combo = trend::code(&record.group());
            // A state without a kept timeline is its own one version: only its record is it.
            let lone = old.versions.is_empty();
            let rejudged = (!lone || old.record_id == record.id)
                && timeline.rejudge(
                    (&record.unit, &record.source),
                    record.recorded_at,
                    record.tag(),
                    (&combo, &record.rules_text),
                    &mut trend,
                );
            if rejudged {
                let after = findings::spans(timeline.versions());
                spans.replace(&record.unit, &before, &after);
            }
            let key = current_state::table
                .filter(current_state::source.eq(&record.source))
                .filter(current_state::patient_id.eq(&record.patient_id))
                .filter(current_state::unit.eq(&record.unit));
            if old.record_id != record.id {
                if rejudged {
                    diesel::update(key)
                        .set(current_state::versions.eq(timeline.write()))
                        .execute(conn)?;
                }
                continue;
            }
            let domains = &record.domains;
            diesel::update(key)
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
                    current_state::versions.eq(timeline.write()),
                    current_state::answers.eq(&record.answers),
                    current_state::reported_by.eq(record.reported_by),
                ))
                .execute(conn)?;
            replaced.push((record, old));
        }
        // The report's counts follow the states.
        let mut deltas = Deltas::default();
        for (record, old) in &replaced {
            deltas.add(old.group(), old.rules.split_whitespace(), -1);
            deltas.answers(&old.unit, old.answers.split_whitespace(), -1);
            deltas.add(record.group(), record.rules.iter().copied(), 1);
            deltas.answers(&record.unit, record.answers.split_whitespace(), 1);
        }
        deltas.apply(&mut conn.concrete())?;
        trend.apply(&mut conn.concrete())?;
        spans.apply(&mut conn.concrete())?;
        Ok(replaced.len())
    })
}
