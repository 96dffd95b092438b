//! `GET /dashboard/trend?domain=&period=`: one domain's rate per unit over the last 12
//! periods, as `GET /v1/reports/trend` gives it, drawn and tabled.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::charts::{chart, Chart, Series};
use super::overview::by_session;
use super::views::{Nav, SeriesRow, TrendPage};
use super::{json_number, percent, render};
use crate::api::ApiError;
use crate::report::trend::{self, Period, Trend, DEFAULT_PERIODS};
use crate::result::timestamp;
use crate::service::{AppState, Caller};
use crate::store::trend::MICROS_PER_DAY;

/// The trend of the last [`DEFAULT_PERIODS`] periods ending now, as the API's default.
pub(super) async fn recent(
    state: &AppState,
    period: Period,
    unit: Option<String>,
    scope: Option<Vec<String>>,
    domain: Option<&'static str>,
) -> Result<Trend, ApiError> {
    let now = Utc::now();
    let to = now.timestamp_micros() + 1;
    let last = period.start((to - 1).div_euclid(MICROS_PER_DAY));
    let from = period.back(last, DEFAULT_PERIODS - 1) * MICROS_PER_DAY;
    let starts = trend::periods(period, from, to).unwrap_or_default();
    let ends: Vec<i64> = starts.iter().map(|s| period.next(*s)).collect();
    let counts = state
        .with_db(move |conn| {
            crate::store::trend::as_of(
                conn,
                &ends,
                unit.as_deref(),
                scope.as_deref(),
                crate::store::aggregates::GroupBy::Unit,
            )
        })
        .await?;
    Ok(trend::build(
        period,
        &starts,
        counts,
        &state.profile,
        domain,
        timestamp(now),
    ))
}

/// A domain's rate in a trend unit (`real_complete` included).
fn rate_of(unit: &trend::TrendUnit, domain: &str) -> Option<f64> {
    if domain == "real_complete" {
        return unit.real_complete.rate;
    }
    unit.domains.get(domain).and_then(|c| c.rate)
}

/// One unit's rate of one domain at the end of each period of `trend`, as a chart's series
/// named `name`.
pub(super) fn series(trend: &Trend, name: String, unit: &str, domain: &str) -> Series {
    Series {
        name,
        rates: trend
            .periods
            .iter()
            .map(|p| {
                p.units
                    .iter()
                    .find(|u| u.unit == unit)
                    .and_then(|u| rate_of(u, domain))
            })
            .collect(),
    }
}

/// The chart and its table of `series`.
pub(super) fn drawn(
    title: &str,
    trend: &Trend,
    series: Vec<Series>,
    thresholds: Option<(f64, f64)>,
) -> (Chart, Vec<String>, Vec<SeriesRow>) {
    let periods: Vec<String> = trend.periods.iter().map(|p| p.period.clone()).collect();
    let table = series
        .iter()
        .map(|s| SeriesRow {
            name: s.name.clone(),
            rates: s
                .rates
                .iter()
                .map(|r| (r.map(json_number).unwrap_or_default(), percent(*r)))
                .collect(),
        })
        .collect();
    let monthly = trend.period == Period::Month;
    (
        chart(title, monthly, &periods, &series, thresholds),
        periods,
        table,
    )
}

/// Query of the trend page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendPageQuery {
    domain: Option<String>,
    period: Option<String>,
}

/// `GET /dashboard/trend`.
pub async fn trend(
    req: HttpRequest,
    query: web::Query<TrendPageQuery>,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, super::error::PageError> {
    let query = query.into_inner();
    let domain = match query.domain.as_deref() {
        None => "real_complete",
        Some(name) => trend::domain_named(name).ok_or_else(|| {
            ApiError::field("domain", "must be a completeness domain or real_complete")
        })?,
    };
    let period = match query.period.as_deref() {
        None => Period::Month,
        Some(name) => Period::named(name)
            .ok_or_else(|| ApiError::field("period", "must be day, week or month"))?,
    };
    let scope = caller.principal.units.list().map(<[String]>::to_vec);
    let trend = recent(&state, period, None, scope, Some(domain)).await?;
    let mut units: Vec<String> = trend
        .periods
        .iter()
        .flat_map(|p| p.units.iter().map(|u| u.unit.clone()))
        .collect();
    units.sort();
    units.dedup();
    let series = units
        .iter()
        .map(|unit| series(&trend, unit.clone(), unit, domain))
        .collect();
    let t = state.profile.thresholds_for(None, domain);
    let (chart, periods, table) = drawn(
        &format!(
            "{domain}: rate per unit at the end of each {}",
            period.as_str()
        ),
        &trend,
        series,
        Some((t.warn_below, t.fail_below)),
    );
    let mut domains = crate::report::completeness::report_domains(&state.profile);
    domains.push("real_complete");
    render(
        &TrendPage {
            nav: Nav::of(&caller.principal, by_session(&req)),
            domain,
            domains,
            period: period.as_str(),
            chart,
            periods,
            table,
        },
        200,
    )
}
