//! `/v1/validate` and `/v1/records`: one record validated, stored, read back, listed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use chrono::Utc;
use serde::Deserialize;

use super::body::{read_limited, require_content_type};
use super::{ApiError, AppState};
use crate::pipeline;
use crate::result::{with_identity, StoreOutcome};
use crate::store::ingest::store_all;
use crate::store::queries::{self, ListFilter};

const JSON_TYPES: &[&str] = &["application/json"];

/// Reads one JSON record from the request and validates it.
async fn read_and_validate(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<pipeline::Validated, ApiError> {
    require_content_type(req, JSON_TYPES, "application/json")?;
    let body = read_limited(req, payload, state.limits.max_record_bytes).await?;
    Ok(pipeline::validate_json(&body, &state.context(Utc::now()))?)
}

/// `POST /v1/validate`: validate one record, store nothing.
pub async fn validate(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let validated = read_and_validate(&req, payload, &state).await?;
    let result = validated.result(&state.profile_id);
    tracing::info!(unit = %validated.record.unit, status = validated.outcome.status.as_str(),
        findings = validated.outcome.findings.len(), "record validated");
    Ok(HttpResponse::Ok().json(result))
}

/// `POST /v1/records`: validate and store one record (201 new, 200 otherwise).
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let validated = read_and_validate(&req, payload, &state).await?;
    let prepared = pipeline::prepare(&validated, &state.profile_id);
    let tail = prepared.result_tail.clone();
    let received_at = Utc::now().timestamp_micros();
    let stored = state
        .with_db(move |conn| store_all(conn, std::slice::from_ref(&prepared), received_at))
        .await?
        .remove(0);
    let result = with_identity(&tail, &stored.id, Some(stored.outcome));
    tracing::info!(record_id = %stored.id, unit = %validated.record.unit,
        outcome = stored.outcome.as_str(), status = validated.outcome.status.as_str(), "record stored");
    let status = if stored.outcome == StoreOutcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(result))
}

/// `GET /v1/records/{id}`: the stored record's latest result.
pub async fn get(
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| ApiError::NotFound("record"))?
        .to_string();
    let result = state
        .with_db(move |conn| queries::result_by_id(conn, &id))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(result))
}

/// Query of `GET /v1/records`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    unit: Option<String>,
    status: Option<String>,
    rule: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /v1/records?unit=&status=&rule=&limit=&cursor=`: current results, cursor-paged.
pub async fn list(
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 500"));
    }
    if let Some(status) = &query.status {
        if !["complete", "incomplete", "invalid"].contains(&status.as_str()) {
            return Err(ApiError::field(
                "status",
                "must be complete, incomplete or invalid",
            ));
        }
    }
    if let Some(rule) = &query.rule {
        if crate::rules::catalog::by_id(rule).is_none() {
            return Err(ApiError::field("rule", "is not a rule ID of the catalog"));
        }
    }
    let after = match &query.cursor {
        None => None,
        Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
            ApiError::field("cursor", "is not a cursor returned by this endpoint")
        })?),
    };
    let filter = ListFilter {
        unit: query.unit,
        status: query.status,
        rule: query.rule,
        after,
        limit: limit + 1,
    };
    let mut rows = state
        .with_db(move |conn| queries::list_current(conn, &filter))
        .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|(id, _)| encode_cursor(id))
    } else {
        None
    };
    let mut body = String::with_capacity(rows.iter().map(|(_, r)| r.len() + 1).sum::<usize>() + 64);
    body.push_str("{\"items\":[");
    for (i, (_, result)) in rows.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(result);
    }
    body.push_str("],\"next_cursor\":");
    body.push_str(&serde_json::to_string(&next_cursor).expect("string serialises"));
    body.push('}');
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

fn encode_cursor(record_id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(record_id)
}

fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let id = uuid::Uuid::parse_str(std::str::from_utf8(&bytes).ok()?).ok()?;
    Some(id.to_string())
}
