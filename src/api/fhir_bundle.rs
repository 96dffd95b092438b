//! `POST /fhir`: a Bundle (batch, transaction, collection or searchset) in; a
//! `batch-response` (or `transaction-response`) Bundle out, one entry per input entry, in
//! order.
//!
//! Memory is bounded by the body, not by its number of entries. The Bundle is read into a
//! compact index (a dozen bytes an entry: [`crate::fhir::bundle`]); its entries are read,
//! judged, stored and answered a chunk at a time ([`stages`]); each chunk's answers are
//! written out as text and dropped, and the response streams them as the client reads
//! (while it does not read, at most [`PIECES_IN_FLIGHT`] chunks wait). A `transaction` is
//! stored in one database transaction, so every record it stores is held at once: it may
//! hold at most `REALDQ_FHIR_MAX_TRANSACTION_ENTRIES` entries (413 beyond, before anything
//! is judged). It is judged once to keep the rows and find what fails, and, once stored,
//! again a chunk at a time to write the answer, so the outcomes are never all held.

use std::cell::Cell;
use std::fmt::Write;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use futures_util::{stream, StreamExt};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::auth::{audit_refused, Caller};
use super::fhir::{envelope, forbidden_outcome, read_body, respond, transport, FHIR_JSON};
use super::stages::{self, ChunkStored, CHUNK};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::fhir::bundle::BundleError;
use crate::fhir::patient::Envelope;
use crate::fhir::{self, outcome, Entry, ParsedBundle};
use crate::result::StoreOutcome;
use crate::store::audit::Action;
use crate::store::ingest::{PreparedRecord, Stored};

/// Largest Bundle body.
const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

/// Most RelatedPersons attached to one Patient of a Bundle (413 beyond, before anything is
/// judged): a Patient is judged with all of them as one record, and a chunk holds at most
/// [`CHUNK`] resources, caregivers included.
pub const MAX_RELATED: usize = 100;

/// Chunks of answers written but not yet sent: the work waits while the client does not
/// read.
pub const PIECES_IN_FLIGHT: usize = 1;

/// A Bundle's index over its body, shared by the stages.
type Bundle = Arc<ParsedBundle<web::Bytes>>;

/// The response's pieces: answer text, or the error that ends it.
type Pieces = mpsc::Sender<Result<web::Bytes, ApiError>>;

/// `POST /fhir`.
pub async fn bundle(
    req: HttpRequest,
    payload: web::Payload,
    caller: Caller,
    state: web::Data<AppState>,
) -> HttpResponse {
    let limit =
        MAX_BUNDLE_BYTES.min(usize::try_from(state.limits.max_batch_bytes).unwrap_or(usize::MAX));
    let body = match read_body(&req, payload, limit).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    // Read on the blocking pool: a Bundle may be tens of megabytes.
    let bundle = match web::block(move || ParsedBundle::parse(body)).await {
        Ok(Ok(bundle)) => Arc::new(bundle),
        Err(error) => return transport(&ApiError::from(error)),
        Ok(Err(BundleError::NotJson(why))) => {
            return respond(
                StatusCode::BAD_REQUEST,
                &outcome::error("invalid", &why, None),
            )
        }
        Ok(Err(BundleError::NotABundle)) => {
            return respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                &outcome::error("invalid", "POST /fhir takes a Bundle", None),
            )
        }
    };
    let kind = bundle.kind.as_str();
    if !fhir::BUNDLE_TYPES.contains(&kind) {
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            &outcome::error(
                "not-supported",
                &format!(
                    "Bundle.type must be one of {}",
                    fhir::BUNDLE_TYPES.join(", ")
                ),
                Some("Bundle.type"),
            ),
        );
    }
    // Each Patient is judged with its caregivers as one record: bounded, as a record is.
    if let Some((patient, count)) = bundle.most_related().filter(|(_, n)| *n > MAX_RELATED) {
        return transport(&ApiError::PayloadTooLarge(format!(
            "a Patient may have at most {MAX_RELATED} RelatedPersons in a Bundle, and the \
             Patient of entry {patient} has {count}"
        )));
    }
    let envelope = envelope(&req, &caller);
    if kind == "transaction" {
        return transaction(state, bundle, envelope, caller).await;
    }
    let (pieces, answer) = mpsc::channel(PIECES_IN_FLIGHT);
    let work = answer_batch(state, bundle, envelope, caller, pieces);
    actix_web::rt::spawn(work.instrument(tracing::Span::current()));
    stream_answer(answer).await
}

/// The response: its status waits for the first piece (an error before anything was
/// stored is the whole answer); then the pieces as they come. An error after the first
/// piece fails the transfer, so a cut answer never passes for a whole one.
async fn stream_answer(mut answer: mpsc::Receiver<Result<web::Bytes, ApiError>>) -> HttpResponse {
    let first = match answer.recv().await {
        Some(Ok(first)) => first,
        Some(Err(error)) => return transport(&error),
        None => return transport(&ApiError::Internal),
    };
    let rest = stream::unfold(answer, |mut answer| async move {
        let piece = answer.recv().await?;
        Some((piece.map_err(actix_web::Error::from), answer))
    });
    HttpResponse::Ok()
        .content_type(FHIR_JSON)
        .streaming(stream::once(async move { Ok::<_, actix_web::Error>(first) }).chain(rest))
}

/// What has been answered so far.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    entries: usize,
    stored: usize,
    refused: usize,
}

/// A `batch`, `collection` or `searchset` Bundle: each entry stands alone; chunks are
/// judged, stored and answered in turn.
async fn answer_batch(
    state: web::Data<AppState>,
    bundle: Bundle,
    envelope: Envelope,
    caller: Caller,
    pieces: Pieces,
) {
    let chunks = bundle.chunks(CHUNK);
    let chunk_count = chunks.len();
    let judge: stages::Judge<Entry> = {
        let (state, principal) = (state.clone(), caller.principal.clone());
        Arc::new(move |chunk| {
            let ctx = state.context(Utc::now());
            let range = chunks[chunk].clone();
            let mut entries = fhir::judge_entries(
                &bundle,
                range,
                &state.fhir,
                &envelope,
                &ctx,
                &state.profile_id,
                true,
            );
            refuse_other_units(&mut entries, &principal);
            entries
        })
    };
    let tally = Cell::new(Tally::default());
    let gone = Cell::new(false);
    let run = stages::run(
        &state,
        chunk_count,
        judge,
        &caller.audit(Action::Create, 200),
        |entries, stored| {
            let (pieces, gone, tally) = (pieces.clone(), &gone, &tally);
            async move {
                let mut counted = tally.get();
                if counted.entries == 0 {
                    // Until something was stored and answered, a chunk that cannot be
                    // stored fails the request whole (nothing of it was stored); later,
                    // its entries say so.
                    if let Err(error) = stored {
                        return Err(error);
                    }
                }
                let head = (counted.entries == 0).then(|| head("batch-response"));
                // Written on the blocking pool, and the chunk's judgements dropped there.
                let (text, counted) = web::block(move || {
                    let text = render(head, entries, &stored, &mut counted);
                    (text, counted)
                })
                .await?;
                tally.set(counted);
                if pieces.send(Ok(web::Bytes::from(text))).await.is_err() {
                    // The client went away: stop, as a batch does.
                    gone.set(true);
                    return Err(ApiError::Internal);
                }
                Ok(())
            }
        },
    )
    .await;
    let tally = tally.get();
    audit_refused(&state, &caller, Action::Create, tally.refused).await;
    let end = match run {
        Ok(()) => {
            tracing::info!(
                entries = tally.entries,
                stored = tally.stored,
                "fhir bundle processed"
            );
            let mut tail = if tally.entries == 0 {
                head("batch-response")
            } else {
                String::new()
            };
            tail.push_str("]}");
            Ok(web::Bytes::from(tail))
        }
        Err(_) if gone.get() => return,
        Err(error) => Err(error),
    };
    let _ = pieces.send(end).await;
}

/// The start of a response Bundle, up to its first entry.
fn head(response_type: &str) -> String {
    format!(r#"{{"resourceType":"Bundle","type":"{response_type}","entry":["#)
}

/// The answer text of a chunk of entries (after `head`, when given), counted in `tally`;
/// each entry is dropped once written, so its outcome and its answer are not both held for
/// the whole chunk.
fn render(
    head: Option<String>,
    entries: Vec<Entry>,
    stored: &ChunkStored,
    tally: &mut Tally,
) -> String {
    let size: usize = entries
        .iter()
        .map(|entry| match entry {
            Entry::Patient(judged) => judged.outcome.len() + 128,
            _ => 256,
        })
        .sum();
    let mut out = head.unwrap_or_default();
    out.reserve(size);
    for (offset, entry) in entries.into_iter().enumerate() {
        if tally.entries > 0 {
            out.push(',');
        }
        tally.entries += 1;
        let stored = match stored {
            Ok(stored) => Ok(stored.get(offset).and_then(Option::as_ref)),
            Err(error) => Err(error),
        };
        match entry {
            Entry::Patient(judged) => match (judged.status, stored) {
                (403, _) => {
                    tally.refused += 1;
                    entry_response(&mut out, "403 Forbidden", &judged.outcome);
                }
                (200, Ok(Some(stored))) => {
                    tally.stored += 1;
                    let status = if stored.outcome == StoreOutcome::Created {
                        "201 Created"
                    } else {
                        "200 OK"
                    };
                    let _ = write!(
                        out,
                        r#"{{"response":{{"status":"{status}","location":"/v1/records/{}","outcome":{}}}}}"#,
                        stored.id, judged.outcome
                    );
                }
                (200, Err(error)) => not_stored(&mut out, error),
                // Judged valid but with nothing stored: cannot happen; never answer it as
                // stored.
                (200, Ok(None)) => not_stored(&mut out, &ApiError::Internal),
                _ => entry_response(&mut out, "422 Unprocessable Entity", &judged.outcome),
            },
            Entry::Caregiver(owner) => entry_response(
                &mut out,
                "200 OK",
                &outcome::information(&format!("recorded as a caregiver of entry {owner}")),
            ),
            Entry::Orphan => entry_response(&mut out, "422 Unprocessable Entity", &orphan()),
            Entry::Ignored(kind) => entry_response(
                &mut out,
                "200 OK",
                &outcome::information(&format!(
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
    out
}

fn entry_response(out: &mut String, status: &str, outcome: &str) {
    let _ = write!(
        out,
        r#"{{"response":{{"status":"{status}","outcome":{outcome}}}}}"#
    );
}

/// The answer to a valid Patient whose chunk could not be stored.
fn not_stored(out: &mut String, error: &ApiError) {
    let status = error.status_code();
    let code = if status == StatusCode::SERVICE_UNAVAILABLE {
        "transient"
    } else {
        "exception"
    };
    let body = error.body();
    let outcome = outcome::error(
        code,
        &format!(
            "{}: {}; nothing of this entry was stored",
            body.code, body.message
        ),
        None,
    );
    let status = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default()
    );
    entry_response(out, &status, &outcome);
}

/// The answer to an entry that is a RelatedPerson of no Patient in the Bundle.
fn orphan() -> String {
    outcome::error(
        "invalid",
        "RelatedPerson.patient does not reference a Patient of this Bundle",
        Some("RelatedPerson.patient"),
    )
}

/// Marks the Patients of units outside the key's units as refused (403, nothing stored).
fn refuse_other_units(entries: &mut [Entry], principal: &Principal) {
    for entry in entries.iter_mut() {
        if let Entry::Patient(judged) = entry {
            if judged
                .prepared
                .as_ref()
                .is_some_and(|p| !principal.allows_unit(&p.unit))
            {
                judged.prepared = None;
                judged.status = 403;
                judged.outcome = forbidden_outcome();
            }
        }
    }
}

/// A judged `transaction`, before storing: the rows to store, and the located issues of
/// the entries that sink it.
#[derive(Default)]
struct Sorted {
    rows: Vec<(usize, PreparedRecord)>,
    /// Patients of units outside the key's units: how many, and their issues.
    forbidden: (usize, String),
    /// Entries that cannot be processed: how many, and their issues.
    failed: (usize, String),
}

/// A `transaction` Bundle is all or nothing: every entry is judged first; if any cannot be
/// processed (a Patient that is not a record, a RelatedPerson whose Patient is not in the
/// Bundle) the answer is 422 with an OperationOutcome locating each problem and nothing is
/// stored (403 when a Patient's unit is outside the key's units); otherwise every Patient
/// is stored in one database transaction.
async fn transaction(
    state: web::Data<AppState>,
    bundle: Bundle,
    envelope: Envelope,
    caller: Caller,
) -> HttpResponse {
    let (count, most) = (bundle.len(), state.limits.max_transaction_entries);
    if count > most {
        return transport(&ApiError::PayloadTooLarge(format!(
            "a transaction Bundle may hold at most {most} entries \
             (REALDQ_FHIR_MAX_TRANSACTION_ENTRIES) and this one holds {count}: send it as a \
             batch Bundle, or as several transactions"
        )));
    }
    // One time for both judgements, so that the answer says what was stored.
    let now = Utc::now();
    let sorted = {
        let (state, bundle, envelope) = (state.clone(), bundle.clone(), envelope.clone());
        let principal = caller.principal.clone();
        web::block(move || sort(&state, &bundle, &envelope, now, &principal)).await
    };
    let sorted = match sorted {
        Ok(sorted) => sorted,
        Err(error) => return transport(&ApiError::from(error)),
    };
    if sorted.forbidden.0 > 0 {
        audit_refused(&state, &caller, Action::Create, sorted.forbidden.0).await;
        return respond(
            StatusCode::FORBIDDEN,
            &outcome::with_issues(&sorted.forbidden.1),
        );
    }
    if sorted.failed.0 > 0 {
        tracing::info!(
            entries = count,
            failed = sorted.failed.0,
            "fhir transaction refused"
        );
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            &outcome::with_issues(&sorted.failed.1),
        );
    }
    let audit = caller.audit(Action::Create, 200);
    let stored = match stages::store_rows(&state, sorted.rows, &audit).await {
        Ok(stored) => stored,
        Err(error) => return transport(&error),
    };
    let (pieces, answer) = mpsc::channel(PIECES_IN_FLIGHT);
    let work = answer_transaction(state, bundle, envelope, now, stored, pieces);
    actix_web::rt::spawn(work.instrument(tracing::Span::current()));
    stream_answer(answer).await
}

/// Judges every entry of a transaction a chunk at a time, keeping only the rows to store
/// and the issues of the entries that sink it.
fn sort(
    state: &AppState,
    bundle: &ParsedBundle<web::Bytes>,
    envelope: &Envelope,
    now: DateTime<Utc>,
    principal: &Principal,
) -> Sorted {
    let ctx = state.context(now);
    let mut sorted = Sorted::default();
    for range in bundle.chunks(CHUNK) {
        let start = range.start;
        let entries = fhir::judge_entries(
            bundle,
            range,
            &state.fhir,
            envelope,
            &ctx,
            &state.profile_id,
            true,
        );
        for (index, entry) in (start..).zip(entries) {
            let (failed, answer) = match entry {
                Entry::Patient(judged) => match *judged {
                    fhir::Judged {
                        prepared: Some(rows),
                        ..
                    } if !principal.allows_unit(&rows.unit) => {
                        (&mut sorted.forbidden, forbidden_outcome())
                    }
                    fhir::Judged {
                        prepared: Some(rows),
                        ..
                    } => {
                        sorted.rows.push((index, compact(rows)));
                        continue;
                    }
                    fhir::Judged { outcome, .. } => (&mut sorted.failed, outcome),
                },
                Entry::Orphan => (&mut sorted.failed, orphan()),
                Entry::Caregiver(_) | Entry::Ignored(_) => continue,
            };
            failed.0 += 1;
            outcome::locate_issues(&mut failed.1, index, &answer);
        }
    }
    sorted
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

/// The answer to a stored transaction: its entries judged again (at the same time, so to
/// the same outcomes) a chunk at a time, with what storing each did.
async fn answer_transaction(
    state: web::Data<AppState>,
    bundle: Bundle,
    envelope: Envelope,
    now: DateTime<Utc>,
    stored: Vec<(usize, Stored)>,
    pieces: Pieces,
) {
    let (count, stored_count) = (bundle.len(), stored.len());
    let mut stored = stored.into_iter().peekable();
    let envelope = Arc::new(envelope);
    let mut tally = Tally::default();
    let chunks = bundle.chunks(CHUNK);
    let empty = chunks.is_empty().then_some(0..0);
    for range in chunks.into_iter().chain(empty) {
        let start = range.start;
        let chunk_stored: Vec<Option<Stored>> = range
            .clone()
            .map(|index| stored.next_if(|(at, _)| *at == index).map(|(_, s)| s))
            .collect();
        let (state, bundle, envelope) = (state.clone(), bundle.clone(), envelope.clone());
        let head = (start == 0).then(|| head("transaction-response"));
        let mut chunk_tally = tally;
        let rendered = web::block(move || {
            let ctx = state.context(now);
            let entries = fhir::judge_entries(
                &bundle,
                range,
                &state.fhir,
                &envelope,
                &ctx,
                &state.profile_id,
                false,
            );
            let text = render(head, entries, &Ok(chunk_stored), &mut chunk_tally);
            (text, chunk_tally)
        })
        .await;
        let piece = match rendered {
            Ok((text, chunk_tally)) => {
                tally = chunk_tally;
                Ok(web::Bytes::from(text))
            }
            Err(error) => Err(ApiError::from(error)),
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
    let _ = pieces.send(Ok(web::Bytes::from_static(b"]}"))).await;
}
