//! FHIR Bundles: the entries of a parsed Bundle ([`crate::fhir::bundle`]) checked, stored
//! and answered a chunk at a time, as `batch-response` (or `transaction-response`) entries,
//! one per input entry, in order. A chunk holds at most `REALDQ_BATCH_CHUNK` resources read
//! (a Patient with its RelatedPersons counts them all), and at least one entry.
//!
//! A `batch` (or `collection`, `searchset`) Bundle goes through the pipeline: each entry
//! stands alone, and a Patient whose write fails is answered with its own error. A
//! `transaction` is all or nothing, by FHIR's rules: every entry is checked first, and
//! either every Patient is stored in one database transaction or nothing is
//! ([`check_transaction`], [`store_transaction`], [`answer_transaction`]).

use std::fmt::Write;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::{blocking, Answered, Checked, Fate, Format, IngestError, Render, Sender, Source};
use crate::access::Principal;
use crate::fhir::patient::{Envelope, FhirSettings};
use crate::fhir::{self, operation_outcome, Entry, ParsedBundle};
use crate::pipeline;
use crate::result::StoreOutcome;
use crate::service::AppState;
use crate::store::ingest::{store_all, PreparedRecord, Stored};
use crate::store::StoreError;

/// A Bundle's index over its body, shared by the stages.
pub type Bundle = Arc<ParsedBundle<Bytes>>;

/// Where a Bundle's answer goes, a piece at a time: answer text, or the error that ends it.
pub type Pieces = mpsc::Sender<Result<Bytes, IngestError>>;

/// The answer to a Patient of a unit outside the key's units.
pub fn forbidden_outcome() -> String {
    operation_outcome::error(
        "forbidden",
        "the Patient's unit is outside this key's units",
        None,
    )
}

/// The entries of a Bundle, handed out in chunks of at most so many resources read.
struct Entries {
    bundle: Bundle,
    chunks: Option<std::vec::IntoIter<Range<usize>>>,
}

impl Source for Entries {
    type Chunk = Range<usize>;

    fn next_chunk(&mut self, items: usize) -> impl Future<Output = Option<Range<usize>>> {
        let bundle = &self.bundle;
        let chunks = self
            .chunks
            .get_or_insert_with(|| bundle.chunks(items).into_iter());
        std::future::ready(chunks.next())
    }
}

/// The FHIR format: entries of one Bundle, mapped under the service's settings and the
/// request's envelope.
struct BundleEntries {
    bundle: Bundle,
    settings: Arc<FhirSettings>,
    envelope: Envelope,
}

impl Format for BundleEntries {
    type Chunk = Range<usize>;
    type Answer = Entry;
    const ANSWERS_WITH_RESULT: bool = false;
    const NAME: &'static str = "fhir";

    fn no_record(entry: &Entry) -> crate::metrics::Outcome {
        use crate::metrics::Outcome;
        match entry {
            Entry::Caregiver(_) => Outcome::Attached,
            Entry::Ignored(kind) if !kind.is_empty() => Outcome::Ignored,
            _ => Outcome::Rejected,
        }
    }

    fn check(&self, range: Range<usize>, ctx: &crate::rules::Context<'_>) -> Vec<Checked<Entry>> {
        fhir::check_entries(&self.bundle, range, &self.settings, &self.envelope, ctx)
            .into_iter()
            .map(|mut entry| {
                let record = match &mut entry {
                    Entry::Patient(patient) => patient.validated.take(),
                    _ => None,
                };
                Checked {
                    answer: entry,
                    record,
                }
            })
            .collect()
    }
}

/// Writes response entries after the start of the response Bundle; counts what was
/// answered.
#[derive(Debug, Clone, Copy)]
struct ResponseEntries {
    response_type: &'static str,
    entries: usize,
    stored: usize,
}

impl ResponseEntries {
    fn new(response_type: &'static str) -> Self {
        ResponseEntries {
            response_type,
            entries: 0,
            stored: 0,
        }
    }

    /// The end of the response Bundle (its start too, when no entry was answered).
    fn tail(&self) -> Bytes {
        let mut tail = if self.entries == 0 {
            head(self.response_type)
        } else {
            String::new()
        };
        tail.push_str("]}");
        Bytes::from(tail)
    }
}

impl Render for ResponseEntries {
    type Answer = Entry;

    fn render(&mut self, chunk: Vec<Answered<Entry>>) -> Result<String, IngestError> {
        if self.entries == 0 && nothing_reached(&chunk) {
            // Nothing is answered yet and the database could not be reached: the request
            // fails whole (nothing of it was stored); later, its entries say so.
            return Err(IngestError::Unavailable);
        }
        let size: usize = chunk
            .iter()
            .map(|item| match &item.answer {
                Entry::Patient(patient) => patient.operation_outcome.len() + 128,
                _ => 256,
            })
            .sum();
        let mut out = if self.entries == 0 {
            head(self.response_type)
        } else {
            String::new()
        };
        out.reserve(size);
        // Each entry is dropped once written, so its outcome and its answer are not both
        // held for the whole chunk.
        for Answered { answer, fate } in chunk {
            if self.entries > 0 {
                out.push(',');
            }
            self.entries += 1;
            match (answer, fate) {
                (Entry::Patient(_), Fate::Refused) => {
                    entry_response(&mut out, "403 Forbidden", &forbidden_outcome());
                }
                (Entry::Patient(patient), Fate::Stored { stored, .. }) => {
                    self.stored += 1;
                    let status = stored_status(stored.outcome);
                    let _ = write!(
                        out,
                        r#"{{"response":{{"status":"{status}","location":"/v1/records/{}","outcome":{}}}}}"#,
                        stored.id, patient.operation_outcome
                    );
                }
                (Entry::Patient(_), Fate::NotStored(error)) => not_stored(&mut out, error),
                (Entry::Patient(patient), Fate::NotARecord) => entry_response(
                    &mut out,
                    "422 Unprocessable Entity",
                    &patient.operation_outcome,
                ),
                (Entry::Caregiver(owner), _) => entry_response(
                    &mut out,
                    "200 OK",
                    &operation_outcome::information(&format!(
                        "recorded as a caregiver of entry {owner}"
                    )),
                ),
                (Entry::Orphan, _) => {
                    entry_response(&mut out, "422 Unprocessable Entity", &orphan())
                }
                (Entry::Ignored(kind), _) => entry_response(
                    &mut out,
                    "200 OK",
                    &operation_outcome::information(&format!(
                        "{} ignored: real-dq reads Patient and RelatedPerson",
                        if kind.is_empty() {
                            "an entry without a resource"
                        } else {
                            &kind
                        }
                    )),
                ),
            }
        }
        Ok(out)
    }
}

/// Whether a chunk had records to store and the database could not be reached for any.
fn nothing_reached(chunk: &[Answered<Entry>]) -> bool {
    let mut records = chunk
        .iter()
        .filter(|item| matches!(item.fate, Fate::Stored { .. } | Fate::NotStored(_)))
        .peekable();
    records.peek().is_some()
        && records.all(|item| matches!(item.fate, Fate::NotStored(IngestError::Unavailable)))
}

/// The start of a response Bundle, up to its first entry.
fn head(response_type: &str) -> String {
    format!(r#"{{"resourceType":"Bundle","type":"{response_type}","entry":["#)
}

fn entry_response(out: &mut String, status: &str, outcome: &str) {
    let _ = write!(
        out,
        r#"{{"response":{{"status":"{status}","outcome":{outcome}}}}}"#
    );
}

/// The HTTP status of a stored Patient: 201 when it created its patient, else 200.
pub(super) fn stored_status(outcome: StoreOutcome) -> &'static str {
    if outcome == StoreOutcome::Created {
        "201 Created"
    } else {
        "200 OK"
    }
}

/// The answer to a valid Patient that could not be stored. The diagnostics name the error
/// as the API's error envelope does (its code, then its message).
fn not_stored(out: &mut String, error: IngestError) {
    let (status, outcome) = not_stored_outcome(error, "entry");
    entry_response(out, status, &outcome);
}

/// The status and OperationOutcome of a Patient that could not be stored (`what`: "entry",
/// "line").
pub(super) fn not_stored_outcome(error: IngestError, what: &str) -> (&'static str, String) {
    let (status, code, diagnostics) = match error {
        IngestError::Unavailable => (
            "503 Service Unavailable",
            "transient",
            "service_unavailable: the database is unavailable; retry later",
        ),
        IngestError::Internal => (
            "500 Internal Server Error",
            "exception",
            "internal: internal error",
        ),
    };
    let outcome = operation_outcome::error(
        code,
        &format!("{diagnostics}; nothing of this {what} was stored"),
        None,
    );
    (status, outcome)
}

/// The answer to an entry that is a RelatedPerson of no Patient in the Bundle.
fn orphan() -> String {
    operation_outcome::error(
        "invalid",
        "RelatedPerson.patient does not reference a Patient of this Bundle",
        Some("RelatedPerson.patient"),
    )
}

/// Answers a `batch`, `collection` or `searchset` Bundle through the pipeline, its
/// `batch-response` sent to `pieces` a chunk at a time. An error before anything was
/// answered is the whole answer; after, it ends the pieces (and so fails the transfer).
pub async fn answer_batch(
    state: &AppState,
    bundle: Bundle,
    envelope: Envelope,
    sender: &Sender,
    pieces: Pieces,
) {
    let entries = Entries {
        bundle: bundle.clone(),
        chunks: None,
    };
    let format = Arc::new(BundleEntries {
        bundle,
        settings: state.fhir.clone(),
        envelope,
    });
    let emit = |text: String| {
        let pieces = pieces.clone();
        async move {
            // An error here means the client went away: stop, as a batch does.
            pieces
                .send(Ok(Bytes::from(text)))
                .await
                .map_err(|_| IngestError::Internal)
        }
    };
    let renderer = ResponseEntries::new("batch-response");
    let (answered, ended) = super::run(state, sender, entries, format, renderer, emit).await;
    let end = match ended {
        Ok(()) => {
            tracing::info!(
                entries = answered.entries,
                stored = answered.stored,
                "fhir bundle processed"
            );
            Ok(answered.tail())
        }
        Err(error) => Err(error),
    };
    // Nobody reads any more when the client went away: nothing to tell.
    let _ = pieces.send(end).await;
}

/// A `transaction` Bundle checked before storing.
pub enum TransactionChecked {
    /// Patients of units outside the key's units: how many, and their located issues.
    Forbidden(usize, String),
    /// Entries that cannot be processed: how many, and their located issues.
    Failed(usize, String),
    /// Every entry can be processed: the rows of its Patients, by entry index.
    Ready(TransactionRows),
}

/// The rows of a transaction's Patients, by entry index: all held at once until stored.
pub struct TransactionRows(Vec<(usize, PreparedRecord)>);

/// Checks every entry of a transaction a chunk at a time (on the blocking pool), keeping
/// only the rows to store and the issues of the entries that sink it.
pub async fn check_transaction(
    state: &AppState,
    bundle: Bundle,
    envelope: Envelope,
    now: DateTime<Utc>,
    principal: Principal,
) -> Result<TransactionChecked, IngestError> {
    let state = state.clone();
    blocking(move || {
        let ctx = state.context(now);
        let (mut rows, mut forbidden, mut failed) =
            (Vec::new(), (0, String::new()), (0, String::new()));
        for range in bundle.chunks(state.limits.batch_chunk.max(1)) {
            let start = range.start;
            let entries = fhir::check_entries(&bundle, range, &state.fhir, &envelope, &ctx);
            for (index, entry) in (start..).zip(entries) {
                let (sink, answer) = match entry {
                    Entry::Patient(patient) => match patient.validated {
                        Some(validated) if !principal.allows_unit(&validated.record.unit) => {
                            (&mut forbidden, forbidden_outcome())
                        }
                        Some(validated) => {
                            let mut prepared = pipeline::prepare(&validated, &state.profile_id);
                            prepared.result_tail = String::new();
                            rows.push((index, compact(prepared)));
                            continue;
                        }
                        None => (&mut failed, patient.operation_outcome),
                    },
                    Entry::Orphan => (&mut failed, orphan()),
                    Entry::Caregiver(_) | Entry::Ignored(_) => continue,
                };
                sink.0 += 1;
                operation_outcome::locate_issues(&mut sink.1, index, &answer);
            }
        }
        if forbidden.0 > 0 {
            TransactionChecked::Forbidden(forbidden.0, forbidden.1)
        } else if failed.0 > 0 {
            TransactionChecked::Failed(failed.0, failed.1)
        } else {
            TransactionChecked::Ready(TransactionRows(rows))
        }
    })
    .await
}

/// The rows without the spare capacity their text was built with: a transaction holds
/// all of them at once.
fn compact(mut rows: PreparedRecord) -> PreparedRecord {
    rows.id.shrink_to_fit();
    rows.rules_text.shrink_to_fit();
    rows.body.shrink_to_fit();
    rows.result.shrink_to_fit();
    rows.rules.shrink_to_fit();
    rows
}

/// Stores a transaction's rows in one database transaction, with its audit row: all or
/// nothing. What storing each did, by entry index.
pub async fn store_transaction(
    state: &AppState,
    rows: TransactionRows,
    sender: &Sender,
) -> Result<Vec<(usize, Stored)>, IngestError> {
    if rows.0.is_empty() {
        return Ok(Vec::new());
    }
    let (indexes, prepared): (Vec<usize>, Vec<PreparedRecord>) = rows.0.into_iter().unzip();
    let received_at = Utc::now().timestamp_micros();
    let (pool, audit) = (state.pool.clone(), sender.audit.clone());
    let stored = blocking(move || -> Result<_, StoreError> {
        let mut conn = pool.get()?;
        store_all(&mut conn, &prepared, received_at, Some(&audit))
    })
    .await??;
    Ok(indexes.into_iter().zip(stored).collect())
}

/// The answer to a stored transaction, sent to `pieces`: its entries checked again (at the
/// same time, so to the same outcomes) a chunk at a time, with what storing each did.
pub async fn answer_transaction(
    state: &AppState,
    bundle: Bundle,
    envelope: Envelope,
    now: DateTime<Utc>,
    stored: Vec<(usize, Stored)>,
    pieces: Pieces,
) {
    let (count, stored_count) = (bundle.len(), stored.len());
    let mut stored = stored.into_iter().peekable();
    let envelope = Arc::new(envelope);
    let mut renderer = ResponseEntries::new("transaction-response");
    for range in bundle.chunks(state.limits.batch_chunk.max(1)) {
        let fates: Vec<Option<Stored>> = range
            .clone()
            .map(|index| stored.next_if(|(at, _)| *at == index).map(|(_, s)| s))
            .collect();
        let (state, bundle, envelope) = (state.clone(), bundle.clone(), envelope.clone());
        let mut next = renderer;
        let rendered = blocking(move || {
            let ctx = state.context(now);
            let entries = fhir::check_entries(&bundle, range, &state.fhir, &envelope, &ctx);
            let chunk = entries
                .into_iter()
                .zip(fates)
                .map(|(answer, stored)| Answered {
                    answer,
                    fate: match stored {
                        Some(stored) => Fate::Stored {
                            stored,
                            result: String::new(),
                        },
                        None => Fate::NotARecord,
                    },
                })
                .collect();
            next.render(chunk).map(|text| (text, next))
        })
        .await;
        let piece = match rendered.and_then(|rendered| rendered) {
            Ok((text, next)) => {
                renderer = next;
                Ok(Bytes::from(text))
            }
            Err(error) => Err(error),
        };
        let failed = piece.is_err();
        if pieces.send(piece).await.is_err() || failed {
            return;
        }
    }
    tracing::info!(
        entries = count,
        stored = stored_count,
        "fhir transaction processed"
    );
    let _ = pieces.send(Ok(renderer.tail())).await;
}
