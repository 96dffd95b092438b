//! `GET /dashboard/units/{unit}`: one unit's domains with every status count linking to its
//! records, its trend by domain, its alerts and top rules.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::overview::{by_session, domain_cell, real_cell, rule_rows};
use super::trend::{drawn, recent, series};
use super::views::{DomainRow, Nav, StatusCell, UnitPage};
use super::{encode, render};
use crate::api::ApiError;
use crate::catalog::DomainStatus;
use crate::report::trend::Period;
use crate::result::timestamp;
use crate::service::{AppState, Caller};
use crate::store::aggregates::{self, Window};
use crate::store::audit::Action;

/// `GET /dashboard/units/{unit}`.
pub async fn unit(
    req: HttpRequest,
    path: web::Path<String>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::error::PageError> {
    let unit = path.into_inner();
    caller.check_unit(&state, &unit, Action::Read).await?;
    let (profile, announce) = (state.profile.clone(), state.alerts.webhook.is_some());
    let now = Utc::now();
    let asked = unit.clone();
    let (counts, evaluation) = state
        .with_db(move |conn| {
            let counts = aggregates::counts(conn, Window::default(), Some(&asked), None)?;
            let evaluation = crate::alerts::evaluate(conn, &profile, now, announce)?;
            Ok((counts, evaluation))
        })
        .await?;
    let report = crate::report::build(counts, &state.profile, timestamp(now), None, None);
    let Some(found) = report.units.into_iter().find(|u| u.unit == unit) else {
        return Err(ApiError::NotFound("unit").into());
    };
    let encoded = encode(&unit);
    let domains = found
        .domains
        .iter()
        .map(|(domain, counts)| DomainRow {
            domain,
            patients: counts.eligible.unwrap_or(found.patients),
            statuses: DomainStatus::ALL
                .iter()
                .map(|s| {
                    let count = counts.get(*s);
                    StatusCell {
                        count,
                        href: (count > 0).then(|| {
                            format!(
                                "/dashboard/records?unit={encoded}&domain={domain}&status={}",
                                s.as_str()
                            )
                        }),
                    }
                })
                .collect(),
            cell: domain_cell(Some(&unit), domain, counts, found.patients),
        })
        .collect();
    let trend = recent(&state, Period::Month, Some(unit.clone()), None, None).await?;
    let mut names: Vec<&'static str> = found.domains.keys().copied().collect();
    names.push("real_complete");
    let series = names
        .iter()
        .map(|domain| series(&trend, domain.to_string(), &unit, domain))
        .collect();
    let (chart, periods, table) = drawn(
        &format!("{unit}: rate per domain at the end of each month"),
        &trend,
        series,
        None,
    );
    let alerts = crate::report::alerts::list(
        &evaluation.verdicts,
        &evaluation.states,
        now.timestamp_micros(),
    )
    .into_iter()
    .filter(|a| a.unit == unit)
    .collect();
    let top_rules = rule_rows(
        found
            .top_rules
            .iter()
            .map(|r| (r.rule.clone(), r.count))
            .collect(),
        Some(&unit),
    );
    render(
        &UnitPage {
            nav: Nav::of(&caller.principal, by_session(&req)),
            patients: found.patients,
            real_complete: real_cell(Some(&unit), &found.real_complete, found.patients),
            domains,
            chart,
            periods,
            table,
            alerts,
            top_rules,
            work_list: format!("/dashboard/records?unit={encoded}&status=incomplete,invalid"),
            unit,
        },
        200,
    )
}
