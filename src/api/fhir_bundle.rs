//! `POST /fhir`: a Bundle (batch, transaction, collection or searchset) in; a
//! `batch-response` (or `transaction-response`) Bundle out, one entry per input entry, in
//! order.
//!
//! Memory is bounded by the body, not by its number of entries. The Bundle is read into a
//! compact index (a dozen bytes an entry: [`crate::fhir::bundle`]); its entries are read,
//! checked, stored and answered a chunk at a time by the ingest pipeline
//! ([`crate::ingest::fhir`]); each chunk's answers are written out as text and dropped, and
//! the response streams them as the client reads (while it does not read, at most
//! [`PIECES_IN_FLIGHT`] chunks wait). A `transaction` is stored in one database
//! transaction, so every record it stores is held at once: it may hold at most
//! `REALDQ_FHIR_MAX_TRANSACTION_ENTRIES` entries (413 beyond, before anything is checked).
//! It is checked once to keep the rows and find what fails, and, once stored, again a chunk
//! at a time to write the answer, so the outcomes are never all held.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::{stream, StreamExt};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::auth::audit_refused;
use super::fhir::{envelope, read_body, respond, transport, FHIR_JSON};
use super::ApiError;
use crate::fhir::bundle::BundleError;
use crate::fhir::patient::Envelope;
use crate::fhir::{self, operation_outcome, ParsedBundle};
use crate::ingest::fhir::{self as ingest, Bundle, TransactionChecked};
use crate::ingest::{IngestError, Sender};
use crate::service::{AppState, Caller};
use crate::store::audit::Action;

/// Largest Bundle body.
const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

/// Most RelatedPersons attached to one Patient of a Bundle (413 beyond, before anything is
/// checked): a Patient is checked with all of them as one record, in one chunk however
/// small `REALDQ_BATCH_CHUNK` is.
pub const MAX_RELATED: usize = 100;

/// Chunks of answers written but not yet sent: the work waits while the client does not
/// read.
pub const PIECES_IN_FLIGHT: usize = 1;

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
                &operation_outcome::error("invalid", &why, None),
            )
        }
        Ok(Err(BundleError::NotABundle)) => {
            return respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                &operation_outcome::error("invalid", "POST /fhir takes a Bundle", None),
            )
        }
    };
    let kind = bundle.kind.as_str();
    if !fhir::BUNDLE_TYPES.contains(&kind) {
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            &operation_outcome::error(
                "not-supported",
                &format!(
                    "Bundle.type must be one of {}",
                    fhir::BUNDLE_TYPES.join(", ")
                ),
                Some("Bundle.type"),
            ),
        );
    }
    // Each Patient is checked with its caregivers as one record: bounded, as a record is.
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
    let sender = Sender::of(&caller);
    let work = async move { ingest::answer_batch(&state, bundle, envelope, &sender, pieces).await };
    actix_web::rt::spawn(work.instrument(tracing::Span::current()));
    stream_answer(answer).await
}

/// The response: its status waits for the first piece (an error before anything was
/// stored is the whole answer); then the pieces as they come. An error after the first
/// piece fails the transfer, so a cut answer never passes for a whole one.
async fn stream_answer(
    mut answer: mpsc::Receiver<Result<web::Bytes, IngestError>>,
) -> HttpResponse {
    let first = match answer.recv().await {
        Some(Ok(first)) => first,
        Some(Err(error)) => return transport(&error.into()),
        None => return transport(&ApiError::Internal),
    };
    let rest = stream::unfold(answer, |mut answer| async move {
        let piece = answer.recv().await?;
        Some((
            piece.map_err(|error| actix_web::Error::from(ApiError::from(error))),
            answer,
        ))
    });
    HttpResponse::Ok()
        .content_type(FHIR_JSON)
        .streaming(stream::once(async move { Ok::<_, actix_web::Error>(first) }).chain(rest))
}

/// A `transaction` Bundle is all or nothing: every entry is checked first; if any cannot be
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
    // One time for both checks, so that the answer says what was stored.
    let now = Utc::now();
    let principal = caller.principal.clone();
    let checked =
        ingest::check_transaction(&state, bundle.clone(), envelope.clone(), now, principal).await;
    let rows = match checked {
        Ok(TransactionChecked::Ready(rows)) => rows,
        Ok(TransactionChecked::Forbidden(refused, issues)) => {
            audit_refused(&state, &caller, Action::Create, refused).await;
            return respond(
                StatusCode::FORBIDDEN,
                &operation_outcome::with_issues(&issues),
            );
        }
        Ok(TransactionChecked::Failed(failed, issues)) => {
            tracing::info!(entries = count, failed, "fhir transaction refused");
            return respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                &operation_outcome::with_issues(&issues),
            );
        }
        Err(error) => return transport(&error.into()),
    };
    let stored = match ingest::store_transaction(&state, rows, &Sender::of(&caller)).await {
        Ok(stored) => stored,
        Err(error) => return transport(&error.into()),
    };
    let (pieces, answer) = mpsc::channel(PIECES_IN_FLIGHT);
    let work = async move {
        ingest::answer_transaction(&state, bundle, envelope, now, stored, pieces).await;
    };
    actix_web::rt::spawn(work.instrument(tracing::Span::current()));
    stream_answer(answer).await
}
