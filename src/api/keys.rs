//! `/v1/keys` (admin): create a key (shown once), list keys, revoke one. The same as the
//! `real-dq keys` command; every change is audited in its own transaction.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::auth::KeyCache;
use super::body::{read_limited, require_content_type};
use super::ApiError;
use crate::access::{self, key, Role};
use crate::result::timestamp;
use crate::service::{AppState, Caller};
use crate::store::audit::{Action, AuditEntry};
use crate::store::keys::{self, KeyRow, NewKey};

/// A key as the API shows it (never the key, never its hash).
#[derive(Debug, Serialize)]
pub struct KeySummary {
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: String,
    /// Empty: every unit.
    pub units: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, if it expires.
    pub expires_at: Option<String>,
    /// RFC 3339, to within the key cache's lifetime.
    pub last_used_at: Option<String>,
    /// RFC 3339, if revoked.
    pub revoked_at: Option<String>,
    /// Neither revoked nor expired.
    pub active: bool,
}

fn instant(micros: i64) -> String {
    timestamp(DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default())
}

impl KeySummary {
    /// The summary of a stored key at `now`.
    pub fn of(row: &KeyRow, now: i64) -> KeySummary {
        KeySummary {
            name: row.name.clone(),
            role: row.role.clone(),
            units: row.unit_list(),
            created_at: instant(row.created_at),
            expires_at: row.expires_at.map(instant),
            last_used_at: row.last_used_at.map(instant),
            revoked_at: row.revoked_at.map(instant),
            active: row.is_active(now),
        }
    }
}

/// Body of `POST /v1/keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    name: String,
    role: String,
    #[serde(default)]
    units: Vec<String>,
    expires: Option<String>,
}

/// A key to create, checked: what both the API and the command line store.
pub fn new_key(
    name: &str,
    role: &str,
    units: Vec<String>,
    expires: Option<&str>,
) -> Result<(String, NewKey), ApiError> {
    access::check_key_name(name).map_err(|why| ApiError::field("name", why))?;
    let role = Role::parse(role)
        .ok_or_else(|| ApiError::field("role", "must be ingest, feedback, report or admin"))?;
    if units.iter().any(|u| u.trim().is_empty() || u.len() > 64) {
        return Err(ApiError::field("units", "each unit has 1 to 64 characters"));
    }
    let expires_at = expires
        .map(|text| access::parse_expiry(text).map_err(|why| ApiError::field("expires", why)))
        .transpose()?
        .map(|t| t.timestamp_micros());
    let units = access::Units::from_list(units)
        .list()
        .map(<[String]>::to_vec)
        .unwrap_or_default();
    let secret = key::generate();
    let new = NewKey {
        name: name.to_string(),
        role: role.as_str(),
        units,
        key_hash: key::hash(&secret),
        expires_at,
    };
    Ok((secret, new))
}

/// `POST /v1/keys`: 201 with the key, shown this once.
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    caller: Caller,
    state: web::Data<AppState>,
    cache: web::Data<KeyCache>,
) -> Result<HttpResponse, ApiError> {
    require_content_type(&req, &["application/json"], "application/json")?;
    let body = read_limited(&req, payload, 64 * 1024).await?;
    let request: CreateKey = serde_json::from_slice(&body)
        .map_err(|e| ApiError::field("body", &format!("not a key request: {e}")))?;
    let (secret, new) = new_key(
        &request.name,
        &request.role,
        request.units,
        request.expires.as_deref(),
    )?;
    let audit = AuditEntry {
        target: Some(new.name.clone()),
        ..caller.audit(Action::Create, 201)
    };
    let now = Utc::now().timestamp_micros();
    let row = state
        .with_db(move |conn| keys::create(conn, &new, &audit, now))
        .await?;
    cache.clear();
    tracing::info!(role = %row.role, "api key created");
    let mut body = serde_json::to_value(KeySummary::of(&row, now)).expect("serialises");
    body["key"] = serde_json::Value::String(secret);
    Ok(HttpResponse::Created().json(body))
}

/// `GET /v1/keys`.
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = state.with_db(keys::list).await?;
    let now = Utc::now().timestamp_micros();
    let items: Vec<KeySummary> = rows.iter().map(|row| KeySummary::of(row, now)).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `DELETE /v1/keys/{name}`: revokes the key (it stays listed, and its name reserved).
pub async fn revoke(
    name: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
    cache: web::Data<KeyCache>,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    let audit = AuditEntry {
        target: Some(name.clone()),
        ..caller.audit(Action::Update, 200)
    };
    let now = Utc::now().timestamp_micros();
    let row = state
        .with_db(move |conn| keys::revoke(conn, &name, &audit, now))
        .await
        .map_err(|error| match error {
            ApiError::NotFound(_) => ApiError::NotFound("key"),
            other => other,
        })?;
    cache.clear();
    tracing::info!(role = %row.role, "api key revoked");
    Ok(HttpResponse::Ok().json(KeySummary::of(&row, now)))
}
