//! The two stages of the NDJSON batch, for bodies that arrive whole (HL7 v2 messages, FHIR
//! Bundles): chunk N+1 is judged on the blocking pool while chunk N's rows are stored and
//! its answers handed on, so validation and the database work at once even on a single
//! connection. A chunk's judgements go to the caller with what storing them did and are
//! dropped there: at most two chunks are held, whatever the size of the body.

use std::future::Future;
use std::sync::Arc;

use actix_web::web;
use chrono::Utc;
use futures_util::future::join;

use super::{ApiError, AppState};
use crate::store::audit::AuditEntry;
use crate::store::ingest::{store_all, PreparedRecord, Stored};

/// Items per chunk, as `REALDQ_BATCH_CHUNK`'s default for NDJSON. Measured: chunks of 250
/// made HL7 and FHIR ingest 30-60% slower than 1,000 (more transactions, and on SQLite more
/// writers waiting on each other); 2,000 was as fast or faster again.
pub const CHUNK: usize = 2000;

/// Something judged that may carry rows to store.
pub trait Judgement {
    /// Takes the rows to store, if any.
    fn take_prepared(&mut self) -> Option<PreparedRecord>;
}

impl Judgement for crate::hl7v2::Judged {
    fn take_prepared(&mut self) -> Option<PreparedRecord> {
        self.prepared.take()
    }
}

impl Judgement for crate::fhir::Entry {
    fn take_prepared(&mut self) -> Option<PreparedRecord> {
        match self {
            crate::fhir::Entry::Patient(judged) => judged.prepared.take(),
            _ => None,
        }
    }
}

/// A function judging chunk `k` of `chunks`.
pub type Judge<J> = Arc<dyn Fn(usize) -> Vec<J> + Send + Sync>;

/// What storing a chunk did: for each judgement, in order, what storing it did (`None`:
/// nothing to store); or why nothing of the chunk was stored.
pub type ChunkStored = Result<Vec<Option<Stored>>, ApiError>;

/// Judges `chunks` chunks and stores their rows in order, each chunk's transaction with its
/// audit row, handing each chunk's judgements and what storing them did to `emit` as soon
/// as it is stored. Once the database is found unavailable, later chunks are judged but no
/// longer stored (their `ChunkStored` says so). Stops at the first error `emit` returns, or
/// when judging fails.
pub async fn run<J, E, F>(
    state: &AppState,
    chunks: usize,
    judge: Judge<J>,
    audit: &AuditEntry,
    mut emit: E,
) -> Result<(), ApiError>
where
    J: Judgement + Send + 'static,
    E: FnMut(Vec<J>, ChunkStored) -> F,
    F: Future<Output = Result<(), ApiError>>,
{
    let mut pending: Option<Vec<J>> = None;
    let mut unavailable = false;
    for chunk in 0..=chunks {
        let previous = pending.take();
        let finish = async {
            let Some(mut judged) = previous else {
                return Ok(());
            };
            let stored = if unavailable {
                Err(ApiError::Unavailable)
            } else {
                store_judged(state, &mut judged, audit).await
            };
            unavailable |= matches!(stored, Err(ApiError::Unavailable));
            emit(judged, stored).await
        };
        if chunk < chunks {
            let judge = judge.clone();
            let (next, done) = join(web::block(move || judge(chunk)), finish).await;
            done?;
            pending = Some(next?);
        } else {
            finish.await?;
        }
    }
    Ok(())
}

/// Stores the rows of every judgement in one database transaction (all or nothing); what
/// storing each did, aligned with `judged`.
pub async fn store_judged<J: Judgement>(
    state: &AppState,
    judged: &mut [J],
    audit: &AuditEntry,
) -> ChunkStored {
    let rows: Vec<(usize, PreparedRecord)> = judged
        .iter_mut()
        .enumerate()
        .filter_map(|(index, item)| item.take_prepared().map(|rows| (index, rows)))
        .collect();
    let mut stored: Vec<Option<Stored>> = (0..judged.len()).map(|_| None).collect();
    for (index, record) in store_rows(state, rows, audit).await? {
        stored[index] = Some(record);
    }
    Ok(stored)
}

/// Stores `rows` in one database transaction; what storing each did, with its index.
pub async fn store_rows<I: Send + 'static>(
    state: &AppState,
    rows: Vec<(I, PreparedRecord)>,
    audit: &AuditEntry,
) -> Result<Vec<(I, Stored)>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let (indexes, prepared): (Vec<I>, Vec<PreparedRecord>) = rows.into_iter().unzip();
    let received_at = Utc::now().timestamp_micros();
    let audit = audit.clone();
    let stored = state
        .with_db(move |conn| store_all(conn, &prepared, received_at, Some(&audit)))
        .await?;
    Ok(indexes.into_iter().zip(stored).collect())
}
