//! `POST /hl7v2`: one or more HL7 v2 ADT messages in, one ACK per message out (HL7 over
//! HTTP: the status is 200 and the ACK carries the verdict; only transport problems, such
//! as a body over the limit or an unreachable database, get an HTTP error).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::body::{read_limited, require_content_type};
use std::sync::Arc;

use super::auth::Caller;
use super::{stages, ApiError, AppState};
use crate::hl7v2;
use crate::hl7v2::ack::{AckCode, AckError};
use crate::rules::Severity;
use crate::store::audit::Action;

/// The HL7 v2 media type answers carry.
pub const HL7_MEDIA_TYPE: &str = "x-application/hl7-v2+er7";
const HL7_TYPES: &[&str] = &[
    HL7_MEDIA_TYPE,
    "application/hl7-v2",
    "application/hl7-v2+er7",
    "text/plain",
];
/// Largest HL7 body: a batch of messages, not a bulk load (use NDJSON for that).
const MAX_HL7_BYTES: usize = 16 * 1024 * 1024;

/// Judges and stores every message of a body under `settings` (the service's, with the
/// request's source); the ACKs, in order. A message for a unit outside the caller's units
/// is answered AR and not stored.
pub async fn process(
    state: &AppState,
    body: String,
    caller: &Caller,
    settings: Arc<hl7v2::map::MapSettings>,
) -> Result<String, ApiError> {
    let messages: Vec<String> = hl7v2::parse::split_messages(&body)
        .into_iter()
        .map(str::to_string)
        .collect();
    if messages.is_empty() {
        let ctx = state.context(Utc::now());
        let judged = hl7v2::judge_all("", &settings, &ctx, &state.profile_id);
        return Ok(judged.iter().map(|j| j.ack(Utc::now())).collect());
    }
    let messages = Arc::new(messages);
    let chunks = messages.len().div_ceil(stages::CHUNK);
    let worker = state.clone();
    let principal = caller.principal.clone();
    let judge: stages::Judge<hl7v2::Judged> = Arc::new(move |chunk| {
        let ctx = worker.context(Utc::now());
        let start = chunk * stages::CHUNK;
        let end = (start + stages::CHUNK).min(messages.len());
        messages[start..end]
            .iter()
            .map(|text| {
                let mut judged = hl7v2::judge(text, &settings, &ctx, &worker.profile_id);
                if judged
                    .prepared
                    .as_ref()
                    .is_some_and(|p| !principal.allows_unit(&p.unit))
                {
                    judged.prepared = None;
                    judged.code = AckCode::Rejected;
                    judged.errors = vec![AckError {
                        location: "PV1^1^3".into(),
                        severity: Severity::Error,
                        code: "FORBIDDEN_UNIT".into(),
                        message: "the message's unit is outside the sender's key's units".into(),
                    }];
                }
                judged
            })
            .collect()
    });
    let (mut acks, mut messages, mut stored, mut refused) = (String::new(), 0, 0, 0);
    stages::run(
        state,
        chunks,
        judge,
        &caller.audit(Action::Create, 200),
        |judged, chunk_stored| {
            // A chunk that could not be stored fails the request: only transport problems
            // get an HTTP error, and this is one.
            let result = chunk_stored.map(|chunk_stored| {
                let now = Utc::now();
                messages += judged.len();
                stored += chunk_stored.iter().flatten().count();
                refused += judged
                    .iter()
                    .filter(|j| j.errors.first().is_some_and(|e| e.code == "FORBIDDEN_UNIT"))
                    .count();
                acks.extend(judged.iter().map(|j| j.ack(now)));
            });
            std::future::ready(result)
        },
    )
    .await?;
    super::auth::audit_refused(state, caller, Action::Create, refused).await;
    tracing::info!(messages, stored, "hl7 v2 messages processed");
    Ok(acks)
}

/// `POST /hl7v2`. The source is `X-Source` when sent, else MSH-3/MSH-4, else the key's name.
pub async fn ingest(
    req: HttpRequest,
    payload: web::Payload,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_content_type(&req, HL7_TYPES, HL7_MEDIA_TYPE)?;
    let limit =
        MAX_HL7_BYTES.min(usize::try_from(state.limits.max_batch_bytes).unwrap_or(usize::MAX));
    let body = read_limited(&req, payload, limit).await?;
    // Interface engines send Latin-1 as often as UTF-8: undecodable bytes become U+FFFD.
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut settings = (*state.hl7).clone();
    settings.source_override = header_value(&req, "x-source");
    settings.default_source = Some(caller.principal.name.to_string());
    let acks = process(&state, body, &caller, Arc::new(settings)).await?;
    Ok(HttpResponse::Ok().content_type(HL7_MEDIA_TYPE).body(acks))
}

/// A request header's trimmed text, when present and not blank.
pub fn header_value(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}
