//! `GET /v1/reports/completeness`: completeness by unit, JSON or CSV.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::ApiError;
use crate::report;
use crate::result::timestamp;
use crate::service::{AppState, Caller};
use crate::store::aggregates::{self, GroupBy, Window};

/// Query of the report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    group_by: Option<String>,
}

/// `group_by=unit|source|reported_by` (default unit).
pub fn group_by(value: Option<&str>) -> Result<GroupBy, ApiError> {
    match value {
        None => Ok(GroupBy::Unit),
        Some(name) => GroupBy::parse(name)
            .ok_or_else(|| ApiError::field("group_by", "must be unit, source or reported_by")),
    }
}

/// A report grouped by something other than unit, as JSON: its `units` are `groups`, each
/// named by `group` instead of `unit`, and `group_by` says by what. By unit, as it is.
pub fn grouped_json<T: serde::Serialize>(report: &T, group_by: GroupBy) -> HttpResponse {
    if group_by == GroupBy::Unit {
        return HttpResponse::Ok().json(report);
    }
    fn rename(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(name) = map.remove("unit") {
                    map.insert("group".into(), name);
                }
                if let Some(mut units) = map.remove("units") {
                    rename(&mut units);
                    map.insert("groups".into(), units);
                }
                map.values_mut().for_each(rename);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(rename),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(report).expect("reports serialise");
    rename(&mut value);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("group_by".into(), group_by.as_str().into());
    }
    HttpResponse::Ok().json(value)
}

/// A report's CSV grouped by something other than unit: the header's `unit` column is
/// named by `group_by`.
pub fn grouped_csv(csv: String, group_by: GroupBy) -> HttpResponse {
    let csv = match (group_by, csv.split_once('\n')) {
        (GroupBy::Unit, _) | (_, None) => csv,
        (_, Some((header, rest))) => {
            let header: Vec<&str> = header
                .split(',')
                .map(|c| if c == "unit" { group_by.as_str() } else { c })
                .collect();
            format!("{}\n{rest}", header.join(","))
        }
    };
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(csv)
}

fn parse_time(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::field(field, "must be an RFC 3339 timestamp"))
        })
        .transpose()
}

/// Whether the caller asked for CSV (`Accept: text/csv` or `?format=csv`).
pub fn wants_csv(req: &HttpRequest, format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        Some("csv") => return Ok(true),
        Some("json") => return Ok(false),
        Some(_) => return Err(ApiError::field("format", "must be json or csv")),
        None => {}
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*")
        .to_ascii_lowercase();
    let types: Vec<&str> = accept
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .collect();
    if types.contains(&"text/csv") {
        return Ok(!types.contains(&"application/json") || types[0] == "text/csv");
    }
    if types
        .iter()
        .any(|t| ["application/json", "*/*", "application/*", ""].contains(t))
    {
        return Ok(false);
    }
    Err(ApiError::NotAcceptable(
        "the report is available as application/json or text/csv",
    ))
}

/// `GET /v1/reports/completeness?unit=&from=&to=&group_by=`, over the key's units (another unit asked
/// for by name is 403).
pub async fn completeness(
    req: HttpRequest,
    query: web::Query<ReportQuery>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    if let Some(unit) = &query.unit {
        caller
            .check_unit(&state, unit, crate::store::audit::Action::Read)
            .await?;
    }
    let scope = caller.principal.units.list().map(<[String]>::to_vec);
    let csv = wants_csv(&req, query.format.as_deref())?;
    let group_by = group_by(query.group_by.as_deref())?;
    let from = parse_time("from", query.from.as_deref())?;
    let to = parse_time("to", query.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            return Err(ApiError::field("to", "must be after from"));
        }
    }
    let window = Window {
        from: from.map(|t| t.timestamp_micros()),
        to: to.map(|t| t.timestamp_micros()),
    };
    let unit = query.unit.clone();
    let counts = state
        .with_db(move |conn| {
            aggregates::counts_by(conn, window, unit.as_deref(), scope.as_deref(), group_by)
        })
        .await?;
    let report = report::build(
        counts,
        &state.profile,
        timestamp(Utc::now()),
        from.map(timestamp),
        to.map(timestamp),
    );
    tracing::info!(
        units = report.units.len(),
        patients = report.total.patients,
        "completeness report"
    );
    if csv {
        Ok(grouped_csv(report::csv::render(&report), group_by))
    } else {
        Ok(grouped_json(&report, group_by))
    }
}
