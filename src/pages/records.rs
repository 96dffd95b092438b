//! `GET /dashboard/records`: the records behind a report cell, and each unit's registration
//! work list: each record's findings with what to ask the family. The same query, checks,
//! unit limits, redaction (the `report` role sees no patient id) and audit row as
//! `GET /v1/records`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::overview::by_session;
use super::views::{FindingRow, Nav, RecordRow, RecordsPage};
use super::{encode, render};
use crate::api::records::{fetch, rules_fired, ListPage, ListQuery};
use crate::api::ApiError;
use crate::service::{AppState, Caller};

/// What the query lists, in words.
fn title(query: &ListQuery) -> String {
    let mut parts = Vec::new();
    if let Some(unit) = &query.unit {
        parts.push(format!("unit {unit}"));
    }
    match (&query.domain, &query.status) {
        (Some(domain), Some(status)) => parts.push(format!("{domain} {status}")),
        (None, Some(status)) => parts.push(format!("records {}", status.replace(',', " or "))),
        _ => {}
    }
    if let Some(rule) = &query.rule {
        parts.push(format!("rule {rule}"));
    }
    if let Some(source) = &query.source {
        parts.push(format!("from {source}"));
    }
    if let (Some(finding), Some(since)) = (&query.finding, &query.since) {
        parts.push(format!("{finding} since {since}"));
    }
    if let Some(reporter) = &query.reported_by {
        parts.push(format!("reported by {}", reporter.replace('_', " ")));
    }
    if parts.is_empty() {
        "Records".into()
    } else {
        format!("Records: {}", parts.join(", "))
    }
}

/// The next page's link: the same filters after `cursor`.
fn next_link(query: &ListQuery, cursor: &str) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (name, value) in [
        ("unit", &query.unit),
        ("domain", &query.domain),
        ("status", &query.status),
        ("rule", &query.rule),
        ("source", &query.source),
        ("reported_by", &query.reported_by),
        ("finding", &query.finding),
        ("since", &query.since),
    ] {
        if let Some(value) = value {
            pairs.push((name, value.clone()));
        }
    }
    if let Some(limit) = query.limit {
        pairs.push(("limit", limit.to_string()));
    }
    pairs.push(("cursor", cursor.to_string()));
    let query: Vec<String> = pairs
        .into_iter()
        .map(|(name, value)| format!("{name}={}", encode(&value)))
        .collect();
    format!("/dashboard/records?{}", query.join("&"))
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// A record as the page shows it, from the API's item (full or redacted).
fn row(item: &Value, profile: &crate::profile::Profile) -> RecordRow {
    let findings = match item["findings"].as_array() {
        Some(findings) => findings
            .iter()
            .map(|f| FindingRow {
                rule: text(&f["rule"]),
                severity: text(&f["severity"]),
                message: text(&f["message"]),
                hint: text(&f["hint"]),
            })
            .collect(),
        None => rules_fired(item, profile)
            .map(|(rule, severity)| FindingRow {
                rule: rule.id.to_string(),
                severity: severity.to_string(),
                message: String::new(),
                hint: rule.hint.to_string(),
            })
            .collect(),
    };
    RecordRow {
        patient_id: text(&item["patient_id"]),
        id: text(&item["id"]),
        unit: text(&item["unit"]),
        recorded_at: text(&item["recorded_at"]),
        status: text(&item["status"]),
        findings,
    }
}

/// `GET /dashboard/records`.
pub async fn records(
    req: HttpRequest,
    query: web::Query<ListQuery>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::error::PageError> {
    let query = query.into_inner();
    if query.format.is_some() {
        return Err(ApiError::field(
            "format",
            "is not taken by the page: GET /v1/records gives JSON and CSV",
        )
        .into());
    }
    let title = title(&query);
    let echo = ListQuery {
        unit: query.unit.clone(),
        status: query.status.clone(),
        rule: query.rule.clone(),
        source: query.source.clone(),
        reported_by: query.reported_by.clone(),
        finding: query.finding.clone(),
        since: query.since.clone(),
        domain: query.domain.clone(),
        limit: query.limit,
        ..ListQuery::default()
    };
    let ListPage { rows, next_cursor } = fetch(&state, &caller, query).await?;
    let records = rows
        .iter()
        .map(|(_, _, item)| {
            row(
                &serde_json::from_str(item).unwrap_or_default(),
                &state.profile,
            )
        })
        .collect();
    render(
        &RecordsPage {
            nav: Nav::of(&caller.principal, by_session(&req)),
            title,
            identifiers: caller.principal.sees_identifiers(),
            records,
            next: next_cursor.map(|c| next_link(&echo, &c)),
        },
        200,
    )
}
