//! `GET /v1/reports/distribution?unit=&domain=`: the share of each race category, Other
//! Race, ethnicity, preferred language, and of declined, unknown, not asked and missing
//! answers, by unit; JSON or CSV.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::reports::wants_csv;
use super::ApiError;
use crate::report::distribution::{self, DOMAINS};
use crate::result::timestamp;
use crate::service::{AppState, Caller};
use crate::store::audit::Action;

/// Query of the distribution.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributionQuery {
    unit: Option<String>,
    domain: Option<String>,
    format: Option<String>,
}

/// `GET /v1/reports/distribution`, over the key's units (another unit asked for by name
/// is 403).
pub async fn distribution(
    req: HttpRequest,
    query: web::Query<DistributionQuery>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = wants_csv(&req, query.format.as_deref())?;
    let domain = match query.domain.as_deref() {
        None => None,
        Some(name) => Some(
            DOMAINS
                .iter()
                .copied()
                .find(|d| *d == name)
                .ok_or_else(|| ApiError::field("domain", "must be race, ethnicity or language"))?,
        ),
    };
    if let Some(unit) = &query.unit {
        caller.check_unit(&state, unit, Action::Read).await?;
    }
    let scope = caller.principal.units.list().map(<[String]>::to_vec);
    let unit = query.unit.clone();
    let rows = state
        .with_db(move |conn| {
            crate::store::distribution::answer_counts(conn, unit.as_deref(), scope.as_deref())
        })
        .await?;
    let built = distribution::build(rows, domain, timestamp(Utc::now()));
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(distribution::csv(&built)));
    }
    Ok(HttpResponse::Ok().json(built))
}
