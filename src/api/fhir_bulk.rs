//! `POST /fhir/Patient/$import`: FHIR Bulk NDJSON in (one Patient, RelatedPerson or other
//! resource a line, as a Bulk Data `$export` writes it), one answer line per input line
//! out, streamed as the NDJSON batch is ([`crate::ingest::fhir_bulk`]): each line's HTTP
//! status, the stored record's location, and its OperationOutcome.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use super::batch::spooled;
use super::body::{content_length, require_content_type};
use super::ApiError;
use crate::ingest::fhir_bulk::{BulkLines, FhirBulk, Grouped};
use crate::ingest::lines::LineReader;
use crate::ingest::Sender;
use crate::service::{AppState, Caller};

/// The Bulk Data media type, answered with too.
pub const FHIR_NDJSON: &str = "application/fhir+ndjson";
const BULK_TYPES: &[&str] = &[FHIR_NDJSON, "application/ndjson", "application/x-ndjson"];

/// `POST /fhir/Patient/$import`.
pub async fn import(
    req: HttpRequest,
    payload: web::Payload,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_content_type(&req, BULK_TYPES, FHIR_NDJSON)?;
    let limits = state.limits;
    if content_length(&req).is_some_and(|length| length > limits.max_batch_bytes) {
        return Err(ApiError::PayloadTooLarge(format!(
            "an import may be at most {} bytes",
            limits.max_batch_bytes
        )));
    }
    let lines = LineReader::new(payload, limits.max_record_bytes, limits.max_batch_bytes);
    let format = FhirBulk {
        settings: Arc::clone(&state.fhir),
        envelope: super::fhir::envelope(&req, &caller),
    };
    Ok(spooled(
        state,
        Sender::of(&caller),
        Grouped::new(lines),
        Arc::new(format),
        BulkLines::default(),
        BulkLines::stopped_line,
        FHIR_NDJSON,
    ))
}
