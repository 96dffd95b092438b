//! FHIR R4: `POST /fhir/Patient` (store), `POST /fhir/Patient/$validate` (no store) and
//! `POST /fhir` (a Bundle of Patients and RelatedPersons). Every answer, errors included,
//! is an `OperationOutcome` (or a `batch-response` Bundle of them) in `application/fhir+json`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;

use super::body::{read_limited, require_content_type};
use std::sync::Arc;

use super::auth::{unit_forbidden, Caller};
use super::{stages, ApiError, AppState};
use crate::access::Principal;
use crate::fhir::model::{self, Resource};
use crate::fhir::{self, outcome, patient::Envelope, Entry};
use crate::result::{timestamp, StoreOutcome};
use crate::store::audit::Action;
use crate::store::ingest::{store_all, Stored};

/// The FHIR JSON media type.
pub const FHIR_JSON: &str = "application/fhir+json";
const FHIR_TYPES: &[&str] = &[FHIR_JSON, "application/json", "application/json+fhir"];
/// Largest Bundle body.
const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

fn respond(status: StatusCode, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(FHIR_JSON)
        .body(body.to_string())
}

/// A transport error (413, 415, 503, ...) as an OperationOutcome.
fn transport(error: &ApiError) -> HttpResponse {
    let code = match error.status_code().as_u16() {
        413 => "too-costly",
        415 => "not-supported",
        503 => "transient",
        _ => "exception",
    };
    let body = error.body();
    respond(
        error.status_code(),
        &outcome::error(code, &format!("{}: {}", body.code, body.message), None),
    )
}

/// The request's envelope: `X-Source`, `X-Unit`, the key's name as the default source, the
/// time of receipt.
fn envelope(req: &HttpRequest, caller: &Caller) -> Envelope {
    use super::hl7::header_value;
    Envelope {
        source: header_value(req, "x-source"),
        default_source: Some(caller.principal.name.to_string()),
        unit: header_value(req, "x-unit"),
        received_at: timestamp(Utc::now()),
    }
}

/// The answer to a Patient of a unit outside the key's units.
fn forbidden_outcome() -> String {
    outcome::error(
        "forbidden",
        "the Patient's unit is outside this key's units",
        None,
    )
}

/// Marks the Patients of units outside the key's units as refused (403, nothing stored);
/// how many.
fn refuse_other_units(entries: &mut [Entry], principal: &Principal) -> usize {
    let mut refused = 0;
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
                refused += 1;
            }
        }
    }
    refused
}

/// Reads a FHIR body; `Err` is the response to send.
async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, HttpResponse> {
    require_content_type(req, FHIR_TYPES, FHIR_JSON).map_err(|e| transport(&e))?;
    read_limited(req, payload, limit)
        .await
        .map_err(|e| transport(&e))
}

/// Reads a resource; `Err` is the response to send (400 when it is not JSON).
async fn read_resource(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Resource, HttpResponse> {
    let body = read_body(req, payload, limit).await?;
    model::read(&body).map_err(|model::NotJson(why)| {
        respond(
            StatusCode::BAD_REQUEST,
            &outcome::error("invalid", &why, None),
        )
    })
}

/// Reads and judges one Patient; `store` prepares its rows. `Err` is the response to send.
async fn judge_request(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    caller: &Caller,
    store: bool,
) -> Result<fhir::Judged, HttpResponse> {
    let resource = read_resource(req, payload, state.limits.max_record_bytes).await?;
    // `$validate` may wrap the resource in a Parameters resource.
    let resource = if store {
        resource
    } else {
        resource.unwrap_parameters()
    };
    let ctx = state.context(Utc::now());
    Ok(fhir::judge_patient(
        &resource,
        &[],
        &state.fhir,
        &envelope(req, caller),
        &ctx,
        &state.profile_id,
        store,
    ))
}

/// `POST /fhir/Patient/$validate`: validate, store nothing.
pub async fn validate(
    req: HttpRequest,
    payload: web::Payload,
    caller: Caller,
    state: web::Data<AppState>,
) -> HttpResponse {
    match judge_request(&req, payload, &state, &caller, false).await {
        Ok(judged) => respond(
            StatusCode::from_u16(judged.status).unwrap_or(StatusCode::OK),
            &judged.outcome,
        ),
        Err(response) => response,
    }
}

/// `POST /fhir/Patient`: validate and store (201 new, 200 otherwise, 422 not a record,
/// 403 in the error envelope for a unit outside the key's units).
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    caller: Caller,
    state: web::Data<AppState>,
) -> HttpResponse {
    let judged = match judge_request(&req, payload, &state, &caller, true).await {
        Ok(judged) => judged,
        Err(response) => return response,
    };
    let Some(prepared) = judged.prepared else {
        return respond(StatusCode::UNPROCESSABLE_ENTITY, &judged.outcome);
    };
    if !caller.principal.allows_unit(&prepared.unit) {
        super::auth::audit_refused(&state, &caller, Action::Create, 1).await;
        return unit_forbidden().error_response();
    }
    let received_at = Utc::now().timestamp_micros();
    let entry = caller.audit(Action::Create, 201);
    let stored = match state
        .with_db(move |conn| {
            store_all(
                conn,
                std::slice::from_ref(&prepared),
                received_at,
                Some(&entry),
            )
        })
        .await
    {
        Ok(mut stored) => stored.remove(0),
        Err(error) => return transport(&error),
    };
    tracing::info!(record_id = %stored.id, outcome = stored.outcome.as_str(), "fhir patient stored");
    let status = if stored.outcome == StoreOutcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    HttpResponse::build(status)
        .content_type(FHIR_JSON)
        .insert_header(("Location", format!("/v1/records/{}", stored.id)))
        .body(judged.outcome)
}

/// `POST /fhir`: a Bundle (batch, transaction, collection or searchset); the answer is a
/// `batch-response` Bundle with one entry per input entry, in order.
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
    let parsed = web::block(move || fhir::ParsedBundle::parse(&body)).await;
    let bundle = match parsed {
        Ok(Ok(bundle)) => bundle,
        Err(error) => return transport(&ApiError::from(error)),
        Ok(Err(fhir::bundle::BundleError::NotJson(why))) => {
            return respond(
                StatusCode::BAD_REQUEST,
                &outcome::error("invalid", &why, None),
            )
        }
        Ok(Err(fhir::bundle::BundleError::NotABundle)) => {
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
    let envelope = envelope(&req, &caller);
    if kind == "transaction" {
        return transaction(&state, bundle, envelope, &caller).await;
    }
    let count = bundle.entries.len();
    let bundle = Arc::new(bundle);
    let worker = state.clone();
    let principal = caller.principal.clone();
    let judge: stages::Judge<Entry> = Arc::new(move |chunk| {
        let start = chunk * stages::CHUNK;
        let mut entries = judge_range(
            &worker,
            &bundle,
            start..(start + stages::CHUNK).min(count),
            &envelope,
        );
        refuse_other_units(&mut entries, &principal);
        entries
    });
    let audit = caller.audit(Action::Create, 200);
    match stages::run(&state, count.div_ceil(stages::CHUNK), judge, &audit).await {
        Ok((entries, stored)) => {
            let refused = entries
                .iter()
                .filter(|e| matches!(e, Entry::Patient(j) if j.status == 403))
                .count();
            super::auth::audit_refused(&state, &caller, Action::Create, refused).await;
            answer("batch-response", &entries, &stored)
        }
        Err(error) => transport(&error),
    }
}

/// Judges the entries `range` of a Bundle under the service's settings and profile.
fn judge_range(
    state: &AppState,
    bundle: &fhir::ParsedBundle,
    range: std::ops::Range<usize>,
    envelope: &Envelope,
) -> Vec<Entry> {
    let ctx = state.context(Utc::now());
    fhir::judge_entries(
        bundle,
        range,
        &state.fhir,
        envelope,
        &ctx,
        &state.profile_id,
    )
}

/// A `transaction` Bundle is all or nothing: every entry is judged first; if any cannot be
/// processed (a Patient that is not a record, a RelatedPerson whose Patient is not in the
/// Bundle) the answer is 422 with an OperationOutcome locating each problem and nothing is
/// stored; otherwise every Patient is stored in one database transaction.
async fn transaction(
    state: &web::Data<AppState>,
    bundle: fhir::ParsedBundle,
    envelope: Envelope,
    caller: &Caller,
) -> HttpResponse {
    let count = bundle.entries.len();
    let worker = state.clone();
    let judged = web::block(move || judge_range(&worker, &bundle, 0..count, &envelope)).await;
    let mut entries = match judged {
        Ok(entries) => entries,
        Err(error) => return transport(&ApiError::from(error)),
    };
    // A Patient of another unit sinks the transaction: 403, every such entry located.
    let refused = refuse_other_units(&mut entries, &caller.principal);
    if refused > 0 {
        super::auth::audit_refused(state, caller, Action::Create, refused).await;
        let failures: Vec<(usize, String)> = entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| match entry {
                Entry::Patient(judged) if judged.status == 403 => {
                    Some((index, judged.outcome.clone()))
                }
                _ => None,
            })
            .collect();
        return respond(
            StatusCode::FORBIDDEN,
            &outcome::transaction_failed(&failures),
        );
    }
    let failures: Vec<(usize, String)> = entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| match entry {
            Entry::Patient(judged) if judged.prepared.is_none() => {
                Some((index, judged.outcome.clone()))
            }
            Entry::Orphan => Some((index, orphan())),
            _ => None,
        })
        .collect();
    if !failures.is_empty() {
        tracing::info!(
            entries = count,
            failed = failures.len(),
            "fhir transaction refused"
        );
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            &outcome::transaction_failed(&failures),
        );
    }
    match stages::store_together(state, &mut entries, &caller.audit(Action::Create, 200)).await {
        Ok(stored) => answer("transaction-response", &entries, &stored),
        Err(error) => transport(&error),
    }
}

/// The answer to an entry that is a RelatedPerson of no Patient in the Bundle.
fn orphan() -> String {
    outcome::error(
        "invalid",
        "RelatedPerson.patient does not reference a Patient of this Bundle",
        Some("RelatedPerson.patient"),
    )
}

/// The response Bundle: one entry per input entry, in order, assembled as text around the
/// outcomes (which are JSON text already).
fn answer(response_type: &str, entries: &[Entry], stored: &[Option<Stored>]) -> HttpResponse {
    let response_entries: Vec<String> = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| match entry {
            Entry::Patient(judged) => match stored.get(index).and_then(Option::as_ref) {
                Some(stored) => format!(
                    r#"{{"response":{{"status":"{}","location":"/v1/records/{}","outcome":{}}}}}"#,
                    if stored.outcome == StoreOutcome::Created {
                        "201 Created"
                    } else {
                        "200 OK"
                    },
                    stored.id,
                    judged.outcome
                ),
                None if judged.status == 403 => entry_response("403 Forbidden", &judged.outcome),
                None => entry_response("422 Unprocessable Entity", &judged.outcome),
            },
            Entry::Caregiver(owner) => entry_response(
                "200 OK",
                &outcome::information(&format!("recorded as a caregiver of entry {owner}")),
            ),
            Entry::Orphan => entry_response("422 Unprocessable Entity", &orphan()),
            Entry::Ignored(kind) => entry_response(
                "200 OK",
                &outcome::information(&format!(
                    "{} ignored: real-dq reads Patient and RelatedPerson",
                    if kind.is_empty() {
                        "an entry without a resource"
                    } else {
                        kind
                    }
                )),
            ),
        })
        .collect();
    tracing::info!(
        entries = response_entries.len(),
        stored = stored.iter().flatten().count(),
        "fhir bundle processed"
    );
    let body = format!(
        r#"{{"resourceType":"Bundle","type":"{response_type}","entry":[{}]}}"#,
        response_entries.join(",")
    );
    respond(StatusCode::OK, &body)
}

fn entry_response(status: &str, outcome: &str) -> String {
    format!(r#"{{"response":{{"status":"{status}","outcome":{outcome}}}}}"#)
}
