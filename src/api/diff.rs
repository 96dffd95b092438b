//! `GET /v1/reports/diff`: what changed since a day, per unit and rule (findings new,
//! resolved, persisting) and per unit and domain (the rate then and now), JSON or CSV.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::reports::wants_csv;
use super::ApiError;
use crate::report::diff;
use crate::result::timestamp;
use crate::service::{AppState, Caller};
use crate::store::aggregates::GroupBy;
use crate::store::trend::{day_of, MICROS_PER_DAY};

/// How far back `from` goes by default: 30 days before today.
pub const DEFAULT_DAYS: i64 = 30;

/// The earliest `from`: 1900-01-01 (days since 1970-01-01).
const EARLIEST_DAY: i64 = -25_567;

/// Query of the diff.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// `from`: a date (its first instant, UTC) or an RFC 3339 instant that is the start of a
/// UTC day; the day (since the epoch).
fn from_day(text: &str, today: i64) -> Result<i64, ApiError> {
    let day = if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        date.signed_duration_since(NaiveDate::default()).num_days()
    } else {
        let at = DateTime::parse_from_rfc3339(text)
            .map_err(|_| {
                ApiError::field(
                    "from",
                    "must be a date (YYYY-MM-DD) or an RFC 3339 timestamp",
                )
            })?
            .with_timezone(&Utc)
            .timestamp_micros();
        if at.rem_euclid(MICROS_PER_DAY) != 0 {
            return Err(ApiError::field(
                "from",
                "the diff compares states at the start of a UTC day: give a date (YYYY-MM-DD) or a midnight UTC instant",
            ));
        }
        day_of(at)
    };
    if day > today {
        return Err(ApiError::field("from", "must not be after today (UTC)"));
    }
    // 1900-01-01: a year 0 or -2026 parses, and means nothing here.
    if day < EARLIEST_DAY {
        return Err(ApiError::field("from", "must be 1900-01-01 or later"));
    }
    Ok(day)
}

/// `GET /v1/reports/diff?from=&unit=`, over the key's units (another unit asked for by
/// name is 403).
pub async fn diff(
    req: HttpRequest,
    query: web::Query<DiffQuery>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = wants_csv(&req, query.format.as_deref())?;
    if query.to.is_some() {
        return Err(ApiError::field(
            "to",
            "the diff compares a past day with the current state: omit to (two past instants cannot be compared yet)",
        ));
    }
    let now = Utc::now();
    let today = day_of(now.timestamp_micros());
    let from = match query.from.as_deref() {
        Some(text) => from_day(text, today)?,
        None => today - DEFAULT_DAYS,
    };
    if let Some(unit) = &query.unit {
        caller
            .check_unit(&state, unit, crate::store::audit::Action::Read)
            .await?;
    }
    let scope = caller.principal.units.list().map(<[String]>::to_vec);
    let unit = query.unit.clone();
    let (then, current, changes) = state
        .with_db(move |conn| {
            let (unit, scope) = (unit.as_deref(), scope.as_deref());
            let (current, mut then) =
                crate::store::trend::now_and_as_of(conn, &[from], unit, scope, GroupBy::Unit)?;
            let then = then.pop().unwrap_or_default();
            let changes = crate::store::findings::since(conn, from, unit, scope)?;
            Ok::<_, crate::store::StoreError>((then, current, changes))
        })
        .await?;
    let from_text =
        timestamp(DateTime::from_timestamp(from.saturating_mul(86_400), 0).unwrap_or_default());
    let report = diff::build(
        then,
        current,
        changes,
        &state.profile,
        timestamp(now),
        from_text,
    );
    tracing::info!(units = report.units.len(), "diff report");
    if csv {
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(diff::csv(&report)))
    } else {
        Ok(HttpResponse::Ok().json(report))
    }
}
