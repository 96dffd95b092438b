//! `GET /dashboard`: the unit × domain heat map, the alerts and the top rules (report and
//! admin); the feedback role gets its units' work lists.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::views::{Cell, HeatRow, Nav, Overview, RuleRow, WorkLists};
use super::{encode, json_number, percent, render, sees_aggregates};
use crate::report::completeness::{CompletenessReport, DomainCounts, RealComplete};
use crate::result::timestamp;
use crate::service::{AppState, Caller};
use crate::store::aggregates::{self, Window};

/// Whether the page was asked with a session cookie (not an `Authorization` header).
pub(super) fn by_session(req: &HttpRequest) -> bool {
    !req.headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
}

/// A heat-map cell of a domain.
pub(super) fn domain_cell(
    unit: Option<&str>,
    domain: &'static str,
    counts: &DomainCounts,
    patients: i64,
) -> Cell {
    let denominator = counts.eligible.unwrap_or(patients);
    let href = match unit {
        Some(unit) => format!(
            "/dashboard/records?unit={}&domain={domain}&status=incomplete",
            encode(unit)
        ),
        None => format!("/dashboard/records?domain={domain}&status=incomplete"),
    };
    cell(
        domain,
        counts.rate,
        counts.threshold,
        format!("{} of {denominator}", counts.complete + counts.declined),
        href,
    )
}

/// The `real_complete` cell.
pub(super) fn real_cell(unit: Option<&str>, real: &RealComplete, patients: i64) -> Cell {
    let href = match unit {
        Some(unit) => format!(
            "/dashboard/records?unit={}&status=incomplete,invalid",
            encode(unit)
        ),
        None => "/dashboard/records?status=incomplete,invalid".into(),
    };
    cell(
        "real_complete",
        real.rate,
        real.threshold,
        format!("{} of {patients}", real.count),
        href,
    )
}

fn cell(
    domain: &'static str,
    rate: Option<f64>,
    threshold: Option<&'static str>,
    counts: String,
    href: String,
) -> Cell {
    Cell {
        domain,
        rate: rate.map(json_number).unwrap_or_default(),
        shown: percent(rate),
        level: threshold.unwrap_or("none"),
        counts,
        href,
    }
}

fn heat_rows(report: &CompletenessReport) -> (Vec<&'static str>, Vec<HeatRow>, HeatRow) {
    let mut columns: Vec<&'static str> = report.total.domains.keys().copied().collect();
    columns.push("real_complete");
    let rows = report
        .units
        .iter()
        .map(|u| {
            let mut cells: Vec<Cell> = u
                .domains
                .iter()
                .map(|(d, c)| domain_cell(Some(&u.unit), d, c, u.patients))
                .collect();
            cells.push(real_cell(Some(&u.unit), &u.real_complete, u.patients));
            HeatRow {
                unit: u.unit.clone(),
                href: format!("/dashboard/units/{}", encode(&u.unit)),
                patients: u.patients,
                cells,
            }
        })
        .collect();
    let total = &report.total;
    let mut cells: Vec<Cell> = total
        .domains
        .iter()
        .map(|(d, c)| domain_cell(None, d, c, total.patients))
        .collect();
    cells.push(real_cell(None, &total.real_complete, total.patients));
    let total = HeatRow {
        unit: String::new(),
        href: String::new(),
        patients: total.patients,
        cells,
    };
    (columns, rows, total)
}

/// Rule rows, most frequent first, linking to their records (within `unit` when given).
pub(super) fn rule_rows(rules: Vec<(String, i64)>, unit: Option<&str>) -> Vec<RuleRow> {
    rules
        .into_iter()
        .map(|(rule, count)| {
            let hint = crate::catalog::by_id(&rule)
                .map(|r| r.hint.to_string())
                .unwrap_or_default();
            let href = match unit {
                Some(unit) => format!(
                    "/dashboard/records?unit={}&rule={}",
                    encode(unit),
                    encode(&rule)
                ),
                None => format!("/dashboard/records?rule={}", encode(&rule)),
            };
            RuleRow {
                rule,
                count,
                hint,
                href,
            }
        })
        .collect()
}

/// `GET /dashboard`.
pub async fn overview(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::error::PageError> {
    let nav = Nav::of(&caller.principal, by_session(&req));
    let scope = caller.principal.units.list().map(<[String]>::to_vec);
    if !sees_aggregates(&caller.principal) {
        let units: Vec<String> = match &scope {
            Some(units) => units.clone(),
            None => {
                let counts = state
                    .with_db(|conn| aggregates::counts(conn, Window::default(), None, None))
                    .await?;
                let units: std::collections::BTreeSet<String> =
                    counts.groups.into_iter().map(|g| g.unit).collect();
                units.into_iter().collect()
            }
        };
        let units = units
            .into_iter()
            .map(|u| {
                let href = format!(
                    "/dashboard/records?unit={}&status=incomplete,invalid",
                    encode(&u)
                );
                (u, href)
            })
            .collect();
        return render(&WorkLists { nav, units }, 200);
    }
    let (profile, announce) = (state.profile.clone(), state.alerts.webhook.is_some());
    let now = Utc::now();
    let (counts, evaluation) = state
        .with_db(move |conn| {
            let counts = aggregates::counts(conn, Window::default(), None, scope.as_deref())?;
            let evaluation = crate::alerts::evaluate(conn, &profile, now, announce)?;
            Ok((counts, evaluation))
        })
        .await?;
    if evaluation.announced > 0 {
        state.alerts.wake.notify_one();
    }
    let mut by_rule: std::collections::BTreeMap<String, i64> = Default::default();
    for (_, rule, count) in &counts.rules {
        *by_rule.entry(rule.clone()).or_default() += count;
    }
    let mut rules: Vec<(String, i64)> = by_rule.into_iter().collect();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rules.truncate(crate::report::completeness::TOP_RULES);
    let report = crate::report::build(counts, &state.profile, timestamp(now), None, None);
    let alerts = crate::report::alerts::list(
        &evaluation.verdicts,
        &evaluation.states,
        now.timestamp_micros(),
    )
    .into_iter()
    .filter(|a| caller.principal.allows_unit(&a.unit))
    .collect();
    let (columns, rows, total) = heat_rows(&report);
    render(
        &Overview {
            nav,
            profile: report.profile.clone(),
            generated_at: report.generated_at.clone(),
            columns,
            rows,
            total,
            alerts,
            top_rules: rule_rows(rules, None),
        },
        200,
    )
}
