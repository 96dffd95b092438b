//! `/v1/validate` and `/v1/records`: one record validated, stored, read back, listed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use chrono::Utc;
use serde::Deserialize;

use super::body::{read_limited, require_content_type};
use super::ApiError;
use crate::access::Principal;
use crate::pipeline;
use crate::result::{with_identity, StoreOutcome};
use crate::service::{AppState, Caller};
use crate::store::audit::{self, Action};
use crate::store::ingest::store_all;
use crate::store::queries::{self, ListFilter, RedactedRow};

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
    tracing::info!(unit = %validated.record.unit, status = validated.verdict.status.as_str(),
        findings = validated.verdict.findings.len(), "record validated");
    Ok(HttpResponse::Ok().json(result))
}

/// `POST /v1/records`: validate and store one record (201 new, 200 otherwise; 403 for a
/// unit outside the key's units, audited, nothing stored).
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let validated = read_and_validate(&req, payload, &state).await?;
    caller
        .check_unit(&state, &validated.record.unit, Action::Create)
        .await?;
    let prepared = pipeline::prepare(&validated, &state.profile_id);
    let tail = prepared.result_tail.clone();
    let (source, rules) = (prepared.source.clone(), prepared.rules.clone());
    let received_at = Utc::now().timestamp_micros();
    let entry = caller.audit(Action::Create, 201);
    let stored = state
        .with_db(move |conn| {
            store_all(
                conn,
                std::slice::from_ref(&prepared),
                received_at,
                Some(&entry),
            )
        })
        .await?
        .remove(0);
    state
        .metrics
        .stored("json", &source, stored.outcome, &rules);
    let result = with_identity(&tail, &stored.id, Some(stored.outcome));
    tracing::info!(record_id = %stored.id, unit = %validated.record.unit,
        outcome = stored.outcome.as_str(), status = validated.verdict.status.as_str(), "record stored");
    let status = if stored.outcome == StoreOutcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status)
        .content_type("application/json")
        .body(result))
}

/// `GET /v1/records/{id}`: the stored record's latest result. A record of a unit outside
/// the key's units is 404, as if it did not exist. The read is audited before it is sent.
pub async fn get(
    id: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| ApiError::NotFound("record"))?
        .to_string();
    let result = state
        .with_db(move |conn| {
            let (result, unit) = queries::result_by_id(conn, &id)?;
            if !caller.principal.allows_unit(&unit) {
                // Answered as if absent; the audit log keeps the refusal.
                let refusal = caller.audit(Action::Read, 403);
                audit::record(conn, &refusal, Utc::now().timestamp_micros())?;
                return Err(crate::store::StoreError::NotFound);
            }
            let entry = caller
                .audit(Action::Read, 200)
                .touching(200, [(id.as_str(), unit.as_str())]);
            audit::record(conn, &entry, Utc::now().timestamp_micros())?;
            Ok(result)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(result))
}

/// Query of `GET /v1/records` (also the dashboard's records page).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this unit.
    pub unit: Option<String>,
    /// The record's status, or with `domain` the domain's.
    pub status: Option<String>,
    /// Only records on which this rule fired.
    pub rule: Option<String>,
    /// Only this sending system.
    pub source: Option<String>,
    /// Only patients whose race and ethnicity were reported by this (`group_by=reported_by`'s
    /// groups: `self`, `caregiver`, `staff_observed`, `unknown`, `mixed`, `not_recorded`,
    /// `not_kept`).
    pub reported_by: Option<String>,
    /// A domain (with `status`).
    pub domain: Option<String>,
    /// A diff cell's findings (with `rule` and `since`): `new`, `resolved` or `persisting`.
    pub finding: Option<String>,
    /// The diff's `from` (with `finding`): a date.
    pub since: Option<String>,
    /// Page size.
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// `json` or `csv`.
    pub format: Option<String>,
}

/// The diff's filter: `finding` (new, resolved, persisting) with `since` (a date) and `rule`.
fn finding_filter(query: &ListQuery) -> Result<Option<queries::Finding>, ApiError> {
    let (finding, since) = match (&query.finding, &query.since) {
        (None, None) => return Ok(None),
        (Some(f), Some(s)) => (f, s),
        (Some(_), None) => {
            return Err(ApiError::field(
                "since",
                "is required with finding: the diff's from, a date (YYYY-MM-DD)",
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::field(
                "finding",
                "is required with since: new, resolved or persisting",
            ))
        }
    };
    let since_kind = queries::Since::parse(finding)
        .ok_or_else(|| ApiError::field("finding", "must be new, resolved or persisting"))?;
    let day = chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d")
        .map_err(|_| ApiError::field("since", "must be a date (YYYY-MM-DD)"))?
        .signed_duration_since(chrono::NaiveDate::default())
        .num_days();
    let Some(rule) = query.rule.clone() else {
        return Err(ApiError::field(
            "rule",
            "is required with finding: the diff's findings are a rule's",
        ));
    };
    Ok(Some(queries::Finding {
        rule,
        day,
        since: since_kind,
    }))
}

/// The domain filter: `domain` with `status` (one of the domain statuses, `incomplete` for
/// any but complete and declined, or `not_required` for the caregiver domains).
fn domain_filter(
    domain: Option<&str>,
    status: Option<&str>,
) -> Result<Option<(String, String)>, ApiError> {
    use crate::catalog::{Domain, DomainStatus};
    let Some(domain) = domain else {
        return Ok(None);
    };
    let known = Domain::STATUS_DOMAINS
        .iter()
        .chain(Domain::OPTIONAL_DOMAINS.iter())
        .any(|d| d.as_str() == domain);
    if !known {
        return Err(ApiError::field(
            "domain",
            "is not a domain of the framework (race, ethnicity, language, interpreter, caregivers, caregiver_language, sogi, disability, sdoh)",
        ));
    }
    let Some(status) = status else {
        return Err(ApiError::field(
            "status",
            "is required with domain: the domain status of the report cell (complete, declined, unknown, not_asked, missing, invalid, or incomplete for all but complete and declined)",
        ));
    };
    let valid = DomainStatus::ALL.iter().any(|s| s.as_str() == status)
        || status == queries::INCOMPLETE
        || (status == crate::pipeline::NOT_REQUIRED
            && matches!(domain, "caregivers" | "caregiver_language"));
    if !valid {
        return Err(ApiError::field(
            "status",
            "with domain, must be a domain status: complete, declined, unknown, not_asked, missing, invalid or incomplete (not_required for the caregiver domains)",
        ));
    }
    Ok(Some((domain.to_string(), status.to_string())))
}

/// One page of the work list: `(record_id, unit, item JSON)` rows and the next page's
/// cursor.
pub struct ListPage {
    /// The rows.
    pub rows: Vec<(String, String, String)>,
    /// The next page's cursor, when there is one.
    pub next_cursor: Option<String>,
}

/// `GET /v1/records?unit=&status=&rule=&limit=&cursor=`: current results, cursor-paged,
/// within the key's units (another unit asked for by name is 403). The `report` role gets
/// each record without patient id, birth date or findings' text. The page's read is
/// audited before it is sent.
pub async fn list(
    req: HttpRequest,
    query: web::Query<ListQuery>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = super::reports::wants_csv(&req, query.format.as_deref())?;
    let ListPage { rows, next_cursor } = fetch(&state, &caller, query).await?;
    if csv {
        let mut response = HttpResponse::Ok();
        response.content_type("text/csv; charset=utf-8");
        if let Some(cursor) = &next_cursor {
            // CSV has no place for it: the next page's cursor travels in a header.
            response.insert_header(("X-Next-Cursor", cursor.as_str()));
        }
        return Ok(response.body(work_list_csv(&rows, &state.profile)));
    }
    let mut body =
        String::with_capacity(rows.iter().map(|(_, _, r)| r.len() + 1).sum::<usize>() + 64);
    body.push_str("{\"items\":[");
    for (i, (_, _, result)) in rows.iter().enumerate() {
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

/// Checks the query, reads the page within the caller's units and audits the read: what
/// `GET /v1/records` and the dashboard's records page show.
pub async fn fetch(
    state: &AppState,
    caller: &Caller,
    query: ListQuery,
) -> Result<ListPage, ApiError> {
    if let Some(unit) = &query.unit {
        caller.check_unit(state, unit, Action::Read).await?;
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field("limit", "must be between 1 and 500"));
    }
    let domain = domain_filter(query.domain.as_deref(), query.status.as_deref())?;
    let statuses = match (&domain, &query.status) {
        (None, Some(status)) => {
            let statuses: Vec<String> = status.split(',').map(str::to_string).collect();
            if !statuses
                .iter()
                .all(|s| ["complete", "incomplete", "invalid"].contains(&s.as_str()))
            {
                return Err(ApiError::field(
                    "status",
                    "must be complete, incomplete or invalid, or several of them separated by commas",
                ));
            }
            Some(statuses)
        }
        _ => None,
    };
    if let Some(rule) = &query.rule {
        if crate::catalog::by_id(rule).is_none() {
            return Err(ApiError::field("rule", "is not a rule ID of the catalog"));
        }
    }
    let reported_by =
        match query.reported_by.as_deref() {
            None => None,
            Some(crate::store::aggregates::REPORTER_NOT_KEPT) => Some(String::new()),
            Some(name) if crate::pipeline::REPORTERS.contains(&name) => Some(name.to_string()),
            Some(_) => return Err(ApiError::field(
                "reported_by",
                "must be self, caregiver, staff_observed, unknown, mixed, not_recorded or not_kept",
            )),
        };
    let finding = finding_filter(&query)?;
    let after_record = match &query.cursor {
        None => None,
        Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
            ApiError::field("cursor", "is not a cursor returned by this endpoint")
        })?),
    };
    let filter = ListFilter {
        unit: query.unit,
        units: caller.principal.units.list().map(<[String]>::to_vec),
        // With a domain, `status` is the domain's.
        status: statuses,
        rule: query.rule,
        source: query.source,
        reported_by,
        domain,
        finding,
        recorded_since: None,
        records: None,
        after: None,
        limit: limit + 1,
    };
    let caller = caller.clone();
    let (rows, more) = state
        .with_db(move |conn| {
            let mut filter = filter;
            if let Some(record_id) = &after_record {
                let Some(key) = queries::cursor_key(conn, record_id)? else {
                    return Ok(None);
                };
                filter.after = Some(key);
            }
            let mut items = page_items(conn, &filter, &caller.principal)?;
            let more = items.len() as i64 > limit;
            items.truncate(limit as usize);
            let entry = caller.audit(Action::Read, 200).touching(
                200,
                items
                    .iter()
                    .map(|(id, unit, _)| (id.as_str(), unit.as_str())),
            );
            audit::record(conn, &entry, Utc::now().timestamp_micros())?;
            Ok(Some((items, more)))
        })
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "cursor",
                "names a record that is no longer stored; list again without it",
            )
        })?;
    let next_cursor = if more {
        rows.last().map(|(id, _, _)| encode_cursor(id))
    } else {
        None
    };
    Ok(ListPage { rows, next_cursor })
}

/// The work list as CSV: one row per finding of each record (a record without findings
/// has one row with empty finding columns), with the staff hint of each. An item without
/// `patient_id` (the `report` role's) leaves that column empty; its findings are the rules
/// fired, with their severity under the profile and their hint, without message or path.
fn work_list_csv(rows: &[(String, String, String)], profile: &crate::profile::Profile) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record([
        "record_id",
        "source",
        "patient_id",
        "unit",
        "recorded_at",
        "status",
        "rule",
        "severity",
        "domain",
        "path",
        "message",
        "hint",
    ]);
    for (_, _, item) in rows {
        let item: serde_json::Value = serde_json::from_str(item).unwrap_or_default();
        let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
        let safe = |v: &serde_json::Value| crate::report::csv::cell(&text(v)).into_owned();
        let head = [
            text(&item["id"]),
            safe(&item["source"]),
            safe(&item["patient_id"]),
            safe(&item["unit"]),
            text(&item["recorded_at"]),
            text(&item["status"]),
        ];
        let mut findings: Vec<[String; 6]> = match item["findings"].as_array() {
            Some(findings) => findings
                .iter()
                .map(|f| {
                    [
                        text(&f["rule"]),
                        text(&f["severity"]),
                        text(&f["domain"]),
                        text(&f["path"]),
                        safe(&f["message"]),
                        text(&f["hint"]),
                    ]
                })
                .collect(),
            // The redacted item: the rules fired only.
            None => rules_fired(&item, profile)
                .map(|(rule, severity)| {
                    [
                        rule.id.to_string(),
                        severity.to_string(),
                        rule.domain.as_str().to_string(),
                        String::new(),
                        String::new(),
                        rule.hint.to_string(),
                    ]
                })
                .collect(),
        };
        if findings.is_empty() {
            findings.push(Default::default());
        }
        for finding in findings {
            let _ = writer.write_record(head.iter().chain(finding.iter()));
        }
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The rules a redacted item (the `report` role's) names, each with its severity under
/// `profile` (`off` when the profile turns it off).
pub fn rules_fired<'a>(
    item: &'a serde_json::Value,
    profile: &'a crate::profile::Profile,
) -> impl Iterator<Item = (&'static crate::catalog::Rule, &'static str)> + 'a {
    item["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| crate::catalog::by_id(r.as_str()?))
        .map(|rule| {
            let severity = profile
                .severity_of(rule, rule.severity)
                .map_or("off", |s| s.as_str());
            (rule, severity)
        })
}

/// A page of `(record_id, unit, item JSON)`: the stored result, or for the `report` role
/// the redacted item.
fn page_items(
    conn: &mut crate::store::DbConnection,
    filter: &ListFilter,
    principal: &Principal,
) -> Result<Vec<(String, String, String)>, crate::store::StoreError> {
    if principal.sees_identifiers() {
        return queries::list_current(conn, filter);
    }
    Ok(queries::list_current_redacted(conn, filter)?
        .into_iter()
        .map(|row| {
            let item = redacted_item(&row);
            (row.record_id, row.unit, item)
        })
        .collect())
}

/// A current record as the `report` role sees it: UUID, unit, statuses and rules only.
fn redacted_item(row: &RedactedRow) -> String {
    let mut domains = serde_json::Map::new();
    for (domain, status) in [
        ("race", &row.race),
        ("ethnicity", &row.ethnicity),
        ("language", &row.language),
        ("interpreter", &row.interpreter),
        ("caregivers", &row.caregivers),
        ("caregiver_language", &row.caregiver_language),
    ] {
        domains.insert(domain.into(), status.as_str().into());
    }
    for (domain, status) in row
        .optional_domains
        .split_whitespace()
        .filter_map(|pair| pair.split_once(':'))
    {
        domains.insert(domain.into(), status.into());
    }
    serde_json::json!({
        "id": row.record_id,
        "unit": row.unit,
        "status": row.status,
        "real_complete": row.real_complete,
        "domains": domains,
        "rules": row.rules.split_whitespace().collect::<Vec<_>>(),
    })
    .to_string()
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
