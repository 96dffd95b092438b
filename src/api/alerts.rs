//! `GET /v1/alerts`: the unit and domain pairs below their warn or fail threshold, since
//! when and for how long, JSON or CSV. It evaluates first (as the alert watcher does), so
//! the list is never behind the completeness report.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::reports::wants_csv;
use super::ApiError;
use crate::report::alerts::{self, Alert};
use crate::result::timestamp;
use crate::service::{AppState, Caller};
use crate::store::audit::Action;

/// Query of the alerts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    unit: Option<String>,
    domain: Option<String>,
    level: Option<String>,
    format: Option<String>,
}

/// The answer.
#[derive(Debug, Serialize)]
struct AlertList {
    generated_at: String,
    profile: String,
    alerts: Vec<Alert>,
}

/// `GET /v1/alerts?unit=&domain=&level=warn|fail`, over the key's units (another unit asked
/// for by name is 403).
pub async fn list(
    req: HttpRequest,
    query: web::Query<AlertsQuery>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = wants_csv(&req, query.format.as_deref())?;
    if let Some(unit) = &query.unit {
        caller.check_unit(&state, unit, Action::Read).await?;
    }
    let domain = query
        .domain
        .as_deref()
        .map(|name| {
            crate::report::trend::domain_named(name).ok_or_else(|| {
                ApiError::field("domain", "must be a completeness domain or real_complete")
            })
        })
        .transpose()?;
    let level = match query.level.as_deref() {
        None => None,
        Some(level @ ("warn" | "fail")) => Some(level.to_string()),
        Some(_) => return Err(ApiError::field("level", "must be warn or fail")),
    };
    let (profile, announce) = (state.profile.clone(), state.alerts.webhook.is_some());
    let now = Utc::now();
    let evaluation = state
        .with_db(move |conn| crate::alerts::evaluate(conn, &profile, now, announce))
        .await?;
    if evaluation.announced > 0 {
        state.alerts.wake.notify_one();
    }
    let scope = caller.principal.units.list();
    let alerts: Vec<Alert> = alerts::list(
        &evaluation.verdicts,
        &evaluation.states,
        now.timestamp_micros(),
    )
    .into_iter()
    .filter(|a| scope.is_none_or(|units| units.contains(&a.unit)))
    .filter(|a| query.unit.as_ref().is_none_or(|u| *u == a.unit))
    .filter(|a| domain.is_none_or(|d| d == a.domain))
    .filter(|a| level.as_ref().is_none_or(|l| l == a.level))
    .collect();
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(alerts::csv(&alerts)));
    }
    Ok(HttpResponse::Ok().json(AlertList {
        generated_at: timestamp(now),
        profile: state.profile.id(),
        alerts,
    }))
}
