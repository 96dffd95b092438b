//! The pipeline's two ends around the database: a checked chunk's rows prepared (records of
//! the sender's units only), and the chunk stored with each record's write isolated.

use std::collections::HashMap;

use chrono::Utc;

use super::{Answered, Checked, Fate, IngestError, PreparedChunk};
use crate::access::Principal;
use crate::metrics::{Metrics, Outcome};
use crate::pipeline;
use crate::service::AppState;
use crate::store::audit::{self, AuditEntry};
use crate::store::ingest::{store_all, PreparedRecord, Stored};
use crate::store::StoreError;

/// Where an item of a prepared chunk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// Not a record.
    NotARecord,
    /// Refused for its unit.
    Refused,
    /// A record to store: the next of the chunk's rows.
    Record,
}

/// Prepares the rows of a checked chunk's records: those of units outside `principal`'s
/// units are refused; the others become rows (without the result's text unless
/// `keep_result`), and their validated form is dropped here, on the blocking pool.
pub(super) fn prepare<A>(
    checked: Vec<Checked<A>>,
    profile_id: &str,
    principal: &Principal,
    keep_result: bool,
) -> PreparedChunk<A> {
    let mut chunk = PreparedChunk {
        items: Vec::with_capacity(checked.len()),
        records: Vec::with_capacity(checked.len()),
        refused: 0,
    };
    for Checked { answer, record } in checked {
        let slot = match record {
            None => Slot::NotARecord,
            Some(validated) if !principal.allows_unit(&validated.record.unit) => {
                chunk.refused += 1;
                Slot::Refused
            }
            Some(validated) => {
                let mut rows = pipeline::prepare(&validated, profile_id);
                if !keep_result {
                    rows.result_tail = String::new();
                }
                chunk.records.push(rows);
                Slot::Record
            }
        };
        chunk.items.push((answer, slot));
    }
    chunk
}

/// What storing a chunk did.
pub(super) struct Writes {
    /// For each of the chunk's rows, in order, what storing it did.
    pub results: Vec<Result<Stored, IngestError>>,
    /// Whether the database could be reached (false: nothing of the chunk was stored).
    pub reached: bool,
}

/// Stores a chunk's rows in one transaction with its audit row; if that fails for a reason
/// other than the database being unreachable, stores them one by one, so one bad write
/// fails only its own record. Records refused for their unit get an audit row of their
/// own. With `unavailable` (the database was found unreachable for an earlier chunk),
/// nothing is tried.
pub(super) fn store_chunk<A>(
    state: &AppState,
    chunk: &PreparedChunk<A>,
    entry: &AuditEntry,
    unavailable: bool,
) -> Writes {
    let unreached = |records: &[PreparedRecord]| Writes {
        results: records
            .iter()
            .map(|_| Err(IngestError::Unavailable))
            .collect(),
        reached: false,
    };
    if unavailable {
        if chunk.refused > 0 {
            tracing::warn!(
                refused = chunk.refused,
                "refused records could not be audited: database unavailable"
            );
        }
        return unreached(&chunk.records);
    }
    let received_at = Utc::now().timestamp_micros();
    if chunk.refused > 0 {
        let refusal = AuditEntry {
            status: 403,
            record_count: chunk.refused,
            ..entry.clone()
        };
        let audited = state
            .pool
            .get()
            .map_err(StoreError::from)
            .and_then(|mut conn| audit::record(&mut conn, &refusal, received_at));
        if let Err(error) = audited {
            tracing::warn!(error = %error.causes(), "refused records could not be audited");
        }
    }
    let records = &chunk.records;
    if records.is_empty() {
        return Writes {
            results: Vec::new(),
            reached: true,
        };
    }
    let mut conn = match state.pool.get() {
        Ok(conn) => conn,
        Err(error) => {
            let error = StoreError::from(error);
            tracing::warn!(error = %error.causes(), "database unavailable for an ingest chunk");
            return unreached(records);
        }
    };
    let results = match store_all(&mut conn, records, received_at, Some(entry)) {
        Ok(stored) => stored.into_iter().map(Ok).collect(),
        Err(error) if error.is_unavailable() => {
            tracing::warn!(error = %error.causes(), "database unavailable for an ingest chunk");
            return unreached(records);
        }
        Err(error) => {
            tracing::warn!(
                error = %error.causes(),
                records = records.len(),
                "an ingest chunk could not be stored whole: storing its records one by one"
            );
            records
                .iter()
                .map(|record| {
                    store_all(
                        &mut conn,
                        std::slice::from_ref(record),
                        received_at,
                        Some(entry),
                    )
                    .map(|mut stored| stored.remove(0))
                    .map_err(IngestError::from)
                })
                .collect()
        }
    };
    Writes {
        results,
        reached: true,
    }
}

/// Counts what became of a stored chunk's items in the service's metrics, by format and
/// sending system (items that are no record, or were refused for their unit, have no
/// sending system read: `unknown`), and the rules fired on the records newly stored.
pub(super) fn count<F: super::Format>(
    metrics: &Metrics,
    chunk: &PreparedChunk<F::Answer>,
    writes: &Writes,
) {
    // Tallied first: a counter is looked up once per chunk, not once per record.
    let mut tally: HashMap<(&str, Outcome), u64> = HashMap::new();
    for (answer, slot) in &chunk.items {
        match slot {
            Slot::NotARecord => *tally.entry(("unknown", F::no_record(answer))).or_default() += 1,
            Slot::Refused => *tally.entry(("unknown", Outcome::Refused)).or_default() += 1,
            Slot::Record => {}
        }
    }
    let mut fired: HashMap<&'static str, u64> = HashMap::new();
    for (record, result) in chunk.records.iter().zip(&writes.results) {
        let outcome = match result {
            Ok(stored) => Outcome::of(stored.outcome),
            Err(_) => Outcome::NotStored,
        };
        *tally.entry((record.source.as_str(), outcome)).or_default() += 1;
        if !matches!(outcome, Outcome::Duplicate | Outcome::NotStored) {
            for rule in &record.rules {
                *fired.entry(rule).or_default() += 1;
            }
        }
    }
    for ((source, outcome), n) in tally {
        metrics.records(F::NAME, source, outcome, n);
    }
    for (rule, n) in fired {
        metrics.rule_fired(rule, n);
    }
}

/// Each item of a stored chunk with what became of it, in order.
pub(super) fn answered<A>(chunk: PreparedChunk<A>, writes: Writes) -> Vec<Answered<A>> {
    let mut rows = chunk.records.into_iter().zip(writes.results);
    chunk
        .items
        .into_iter()
        .map(|(answer, slot)| {
            let fate = match slot {
                Slot::NotARecord => Fate::NotARecord,
                Slot::Refused => Fate::Refused,
                Slot::Record => match rows.next() {
                    Some((rows, Ok(stored))) => Fate::Stored {
                        stored,
                        result: rows.result_tail,
                    },
                    Some((_, Err(error))) => Fate::NotStored(error),
                    // Every record has its result: never answer one as stored without it.
                    None => Fate::NotStored(IngestError::Internal),
                },
            };
            Answered { answer, fate }
        })
        .collect()
}
