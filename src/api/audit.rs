//! `GET /v1/audit` (admin): the audit log, filtered and cursor-paged, as JSON or CSV.
//! Nothing in the API changes or deletes an audit row.

use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reports::wants_csv;
use super::ApiError;
use crate::result::timestamp;
use crate::service::AppState;
use crate::store::audit::{self, Action, AuditFilter, AuditRow};

/// Query of `GET /v1/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    from: Option<String>,
    to: Option<String>,
    key: Option<String>,
    action: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
    format: Option<String>,
}

/// An audit row as the API shows it.
#[derive(Debug, Serialize)]
struct AuditItem {
    id: String,
    at: String,
    key: Option<String>,
    role: Option<String>,
    action: &'static str,
    route: String,
    status: i32,
    units: Vec<String>,
    records: i64,
    record_ids: Vec<String>,
    peer: Option<String>,
    target: Option<String>,
}

impl From<AuditRow> for AuditItem {
    fn from(row: AuditRow) -> Self {
        AuditItem {
            at: timestamp(DateTime::<Utc>::from_timestamp_micros(row.at).unwrap_or_default()),
            action: Action::parse(&row.action).map_or("unknown", Action::word),
            units: row.units.split_whitespace().map(str::to_string).collect(),
            record_ids: row
                .record_ids
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            id: row.id,
            key: row.key_name,
            role: row.role,
            route: row.route,
            status: row.status,
            records: row.record_count,
            peer: row.peer,
            target: row.target,
        }
    }
}

/// A date (00:00 UTC) or an RFC 3339 instant, in microseconds.
fn instant(field: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.map(|text| {
        crate::access::parse_expiry(text)
            .map(|t| t.timestamp_micros())
            .map_err(|_| {
                ApiError::field(field, "must be a date (YYYY-MM-DD) or an RFC 3339 instant")
            })
    })
    .transpose()
}

/// `GET /v1/audit?from=&to=&key=&action=&limit=&cursor=`.
pub async fn list(
    req: HttpRequest,
    query: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = wants_csv(&req, query.format.as_deref())?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 1000"));
    }
    let action = query
        .action
        .as_deref()
        .map(|text| {
            Action::parse(text).ok_or_else(|| {
                ApiError::field("action", "must be create, read, update, delete or execute")
            })
        })
        .transpose()?;
    let after = query
        .cursor
        .as_deref()
        .map(|cursor| {
            decode_cursor(cursor).ok_or_else(|| {
                ApiError::field("cursor", "is not a cursor returned by this endpoint")
            })
        })
        .transpose()?;
    let filter = AuditFilter {
        from: instant("from", query.from.as_deref())?,
        to: instant("to", query.to.as_deref())?,
        key: query.key,
        action,
        after,
        limit: limit + 1,
    };
    let mut rows = state
        .with_db(move |conn| audit::list(conn, &filter))
        .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|row| encode_cursor(row.at, &row.id))
    } else {
        None
    };
    let items: Vec<AuditItem> = rows.into_iter().map(AuditItem::from).collect();
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(render_csv(&items)));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "next_cursor": next_cursor})))
}

/// A cursor: the last row's `at` and UUID, opaque to clients.
fn encode_cursor(at: i64, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{at}/{id}"))
}

fn decode_cursor(cursor: &str) -> Option<(i64, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let (at, id) = std::str::from_utf8(&bytes).ok()?.split_once('/')?;
    let id = uuid::Uuid::parse_str(id).ok()?;
    Some((at.parse().ok()?, id.to_string()))
}

fn render_csv(items: &[AuditItem]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record([
        "id",
        "at",
        "key",
        "role",
        "action",
        "route",
        "status",
        "units",
        "records",
        "record_ids",
        "peer",
        "target",
    ]);
    // Key names, units and targets come from callers: written so a spreadsheet never
    // runs them (`report::csv::cell`).
    use crate::report::csv::cell;
    for item in items {
        let _ = writer.write_record([
            item.id.as_str(),
            &item.at,
            &cell(item.key.as_deref().unwrap_or("")),
            item.role.as_deref().unwrap_or(""),
            item.action,
            &item.route,
            &item.status.to_string(),
            &cell(&item.units.join(" ")),
            &item.records.to_string(),
            &item.record_ids.join(" "),
            item.peer.as_deref().unwrap_or(""),
            &cell(item.target.as_deref().unwrap_or("")),
        ]);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
