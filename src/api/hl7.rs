//! `POST /hl7v2`: one or more HL7 v2 messages (or a batch file) in, one ACK per message out (HL7 over
//! HTTP: the status is 200 and the ACK carries the verdict; only transport problems, such
//! as a body over the limit or an unreachable database, get an HTTP error). The messages
//! go through the ingest pipeline ([`crate::ingest::hl7`]), as MLLP's do.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use super::body::{read_limited, require_content_type};
use super::ApiError;
use crate::ingest;
use crate::service::{AppState, Caller};

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
    // Bytes: each message is decoded in the character set its MSH-18 declares.
    let body = read_limited(&req, payload, limit).await?.to_vec();
    let mut settings = (*state.hl7).clone();
    settings.source_override = header_value(&req, "x-source");
    settings.default_source = Some(caller.principal.name.to_string());
    let sender = ingest::Sender::of(&caller);
    let acks = ingest::hl7::process(&state, body, &sender, Arc::new(settings)).await?;
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
