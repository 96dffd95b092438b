//! Liveness and readiness.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::ApiError;
use crate::service::AppState;
use crate::store::queries;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// How long readiness waits for a connection before answering 503.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /readyz`: the database answers; 503 (with Retry-After) when it does not.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get_timeout(READY_TIMEOUT)?;
        queries::ping(&mut conn)
    })
    .await?
    .map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"})))
}
