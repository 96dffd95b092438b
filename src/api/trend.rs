//! `GET /v1/reports/trend`: the completeness report as of the end of each day, week or
//! month, JSON or CSV.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::reports::{group_by, grouped_csv, grouped_json, wants_csv};
use super::ApiError;
use crate::report::trend::{self, Period, DEFAULT_PERIODS};
use crate::result::timestamp;
use crate::service::{AppState, Caller};
use crate::store::trend::MICROS_PER_DAY;

/// Query of the trend.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendQuery {
    unit: Option<String>,
    domain: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    group_by: Option<String>,
}

/// A date (`YYYY-MM-DD`, its first instant, UTC) or an RFC 3339 instant, in microseconds.
fn instant(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(text) = value else {
        return Ok(None);
    };
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let day = date.signed_duration_since(NaiveDate::default()).num_days();
        return Ok(Some(day * MICROS_PER_DAY));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| Some(t.with_timezone(&Utc).timestamp_micros()))
        .map_err(|_| {
            ApiError::field(
                field,
                "must be a date (YYYY-MM-DD) or an RFC 3339 timestamp",
            )
        })
}

/// `GET /v1/reports/trend?unit=&domain=&period=&from=&to=&group_by=`, over the key's units (another
/// unit asked for by name is 403).
pub async fn trend(
    req: HttpRequest,
    query: web::Query<TrendQuery>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = wants_csv(&req, query.format.as_deref())?;
    let group_by = group_by(query.group_by.as_deref())?;
    let period = match query.period.as_deref() {
        None => Period::Month,
        Some(name) => Period::named(name)
            .ok_or_else(|| ApiError::field("period", "must be day, week or month"))?,
    };
    let domain = query
        .domain
        .as_deref()
        .map(|name| {
            trend::domain_named(name).ok_or_else(|| {
                ApiError::field("domain", "must be a completeness domain or real_complete")
            })
        })
        .transpose()?;
    let now = Utc::now();
    let to = instant("to", query.to.as_deref())?.unwrap_or(now.timestamp_micros() + 1);
    let from = match instant("from", query.from.as_deref())? {
        Some(from) => from,
        None => {
            let last = period.start((to - 1).div_euclid(MICROS_PER_DAY));
            period.back(last, DEFAULT_PERIODS - 1) * MICROS_PER_DAY
        }
    };
    if from >= to {
        return Err(ApiError::field("to", "must be after from"));
    }
    let starts = trend::periods(period, from, to).ok_or_else(|| {
        ApiError::field(
            "from",
            "asks for more than 1000 periods: narrow from and to, or choose a longer period",
        )
    })?;
    if let Some(unit) = &query.unit {
        caller
            .check_unit(&state, unit, crate::store::audit::Action::Read)
            .await?;
    }
    let scope = caller.principal.units.list().map(<[String]>::to_vec);
    let ends: Vec<i64> = starts.iter().map(|s| period.next(*s)).collect();
    let unit = query.unit.clone();
    let counts = state
        .with_db(move |conn| {
            crate::store::trend::as_of(conn, &ends, unit.as_deref(), scope.as_deref(), group_by)
        })
        .await?;
    let trend = trend::build(
        period,
        &starts,
        counts,
        &state.profile,
        domain,
        timestamp(now),
    );
    tracing::info!(periods = trend.periods.len(), "trend report");
    if csv {
        Ok(grouped_csv(trend::csv(&trend), group_by))
    } else {
        Ok(grouped_json(&trend, group_by))
    }
}
