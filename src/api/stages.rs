//! The two stages of the NDJSON batch, for bodies that arrive whole (HL7 v2 messages, FHIR
//! Bundles): chunk N+1 is judged on the blocking pool while chunk N's rows are stored, so
//! validation and the database work at once even on a single connection.

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

/// Judges `chunks` chunks and stores their rows in order, each chunk's transaction with its
/// audit row; every judgement with what storing it did (`None`: nothing to store).
pub async fn run<J: Judgement + Send + 'static>(
    state: &AppState,
    chunks: usize,
    judge: Judge<J>,
    audit: &AuditEntry,
) -> Result<(Vec<J>, Vec<Option<Stored>>), ApiError> {
    let mut judged: Vec<J> = Vec::new();
    let mut stored: Vec<Option<Stored>> = Vec::new();
    let mut pending: Vec<(usize, PreparedRecord)> = Vec::new();
    for chunk in 0..=chunks {
        let rows = std::mem::take(&mut pending);
        let store = store_rows(state, rows, audit);
        let (next, done) = if chunk < chunks {
            let judge = judge.clone();
            let (next, done) = join(web::block(move || judge(chunk)), store).await;
            (Some(next?), done)
        } else {
            (None, store.await)
        };
        for (index, record) in done? {
            stored[index] = Some(record);
        }
        for mut item in next.into_iter().flatten() {
            let index = judged.len();
            if let Some(rows) = item.take_prepared() {
                pending.push((index, rows));
            }
            judged.push(item);
            stored.push(None);
        }
    }
    Ok((judged, stored))
}

/// Stores the rows of every judgement in one database transaction (all or nothing); what
/// storing each did, aligned with `judged`.
pub async fn store_together<J: Judgement>(
    state: &AppState,
    judged: &mut [J],
    audit: &AuditEntry,
) -> Result<Vec<Option<Stored>>, ApiError> {
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

async fn store_rows(
    state: &AppState,
    rows: Vec<(usize, PreparedRecord)>,
    audit: &AuditEntry,
) -> Result<Vec<(usize, Stored)>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let (indexes, prepared): (Vec<usize>, Vec<PreparedRecord>) = rows.into_iter().unzip();
    let received_at = Utc::now().timestamp_micros();
    let audit = audit.clone();
    let stored = state
        .with_db(move |conn| store_all(conn, &prepared, received_at, Some(&audit)))
        .await?;
    Ok(indexes.into_iter().zip(stored).collect())
}
