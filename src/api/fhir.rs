//! FHIR R4: `POST /fhir/Patient` (store), `POST /fhir/Patient/$validate` (no store) and
//! `POST /fhir` (a Bundle of Patients and RelatedPersons: [`super::fhir_bundle`]). Every
//! answer, errors included, is an `OperationOutcome` (or a `batch-response` Bundle of them)
//! in `application/fhir+json`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;

use super::auth::unit_forbidden;
use super::body::{read_limited, require_content_type};
use super::ApiError;
use crate::fhir::model::{self, Resource};
use crate::fhir::{self, operation_outcome, patient::Envelope};
use crate::pipeline;
use crate::result::{timestamp, StoreOutcome};
use crate::service::{AppState, Caller};
use crate::store::audit::Action;
use crate::store::ingest::store_all;

/// The FHIR JSON media type.
pub const FHIR_JSON: &str = "application/fhir+json";
const FHIR_TYPES: &[&str] = &[FHIR_JSON, "application/json", "application/json+fhir"];

pub(super) fn respond(status: StatusCode, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(FHIR_JSON)
        .body(body.to_string())
}

/// A transport error (413, 415, 503, ...) as an OperationOutcome.
pub(super) fn transport(error: &ApiError) -> HttpResponse {
    let code = match error.status_code().as_u16() {
        413 => "too-costly",
        415 => "not-supported",
        503 => "transient",
        _ => "exception",
    };
    let body = error.body();
    respond(
        error.status_code(),
        &operation_outcome::error(code, &format!("{}: {}", body.code, body.message), None),
    )
}

/// The request's envelope: `X-Source`, `X-Unit`, the key's name as the default source, the
/// time of receipt.
pub(super) fn envelope(req: &HttpRequest, caller: &Caller) -> Envelope {
    use super::hl7::header_value;
    Envelope {
        source: header_value(req, "x-source"),
        default_source: Some(caller.principal.name.to_string()),
        unit: header_value(req, "x-unit"),
        received_at: timestamp(Utc::now()),
    }
}

/// Reads a FHIR body; `Err` is the response to send.
pub(super) async fn read_body(
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
            &operation_outcome::error("invalid", &why, None),
        )
    })
}

/// Reads and checks one Patient (`store`: to store it, else to validate only). `Err` is the
/// response to send.
async fn check_request(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    caller: &Caller,
    store: bool,
) -> Result<fhir::CheckedPatient, HttpResponse> {
    let resource = read_resource(req, payload, state.limits.max_record_bytes).await?;
    // `$validate` may wrap the resource in a Parameters resource.
    let resource = if store {
        resource
    } else {
        resource.unwrap_parameters()
    };
    let ctx = state.context(Utc::now());
    Ok(fhir::check_patient(
        &resource,
        &[],
        &state.fhir,
        &envelope(req, caller),
        &ctx,
    ))
}

/// `POST /fhir/Patient/$validate`: validate, store nothing.
pub async fn validate(
    req: HttpRequest,
    payload: web::Payload,
    caller: Caller,
    state: web::Data<AppState>,
) -> HttpResponse {
    match check_request(&req, payload, &state, &caller, false).await {
        Ok(checked) => respond(
            StatusCode::from_u16(checked.status).unwrap_or(StatusCode::OK),
            &checked.operation_outcome,
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
    let checked = match check_request(&req, payload, &state, &caller, true).await {
        Ok(checked) => checked,
        Err(response) => return response,
    };
    let Some(validated) = checked.validated else {
        return respond(StatusCode::UNPROCESSABLE_ENTITY, &checked.operation_outcome);
    };
    if !caller.principal.allows_unit(&validated.record.unit) {
        super::auth::audit_refused(&state, &caller, Action::Create, 1).await;
        return unit_forbidden().error_response();
    }
    // FHIR answers with the OperationOutcome, not with the result.
    let prepared = pipeline::prepare(&validated, &state.profile_id);
    drop(validated);
    let (source, rules) = (prepared.source.clone(), prepared.rules.clone());
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
    state
        .metrics
        .stored("fhir", &source, stored.outcome, &rules);
    tracing::info!(record_id = %stored.id, outcome = stored.outcome.as_str(), "fhir patient stored");
    let status = if stored.outcome == StoreOutcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    HttpResponse::build(status)
        .content_type(FHIR_JSON)
        .insert_header(("Location", format!("/v1/records/{}", stored.id)))
        .body(checked.operation_outcome)
}
