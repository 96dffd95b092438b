//! The trend (API.md "Trend"): the completeness report as of the end of each day, week or
//! month, from the store's kept changes (`store::trend`). Each period's numbers are built
//! by the completeness report's own code, so a period that ends now equals the report.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::completeness::{self, DomainCounts, RealComplete, Total};
use crate::catalog::{Domain, DomainStatus};
use crate::profile::Profile;
use crate::store::aggregates::Tally;
use crate::store::trend::{first_day_of_month, month_of_day, MICROS_PER_DAY};

/// The most periods one trend answers (a daily trend of almost three years).
pub const MAX_PERIODS: usize = 1000;

/// How many periods a trend without `from` shows, ending with the one that holds `to`.
pub const DEFAULT_PERIODS: i64 = 12;

/// A trend's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// A UTC day.
    Day,
    /// An ISO week, Monday to Sunday (UTC).
    Week,
    /// A calendar month (UTC).
    Month,
}

impl Period {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// By name: `day`, `week` or `month`.
    pub fn named(name: &str) -> Option<Period> {
        match name {
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }

    /// The first day of the period that holds `day` (days since the epoch).
    pub fn start(self, day: i64) -> i64 {
        match self {
            Period::Day => day,
            // 1970-01-01 was a Thursday: its week began three days before.
            Period::Week => day - (day + 3).rem_euclid(7),
            Period::Month => first_day_of_month(month_of_day(day)),
        }
    }

    /// The first day of the period after the one that starts on `start`.
    pub fn next(self, start: i64) -> i64 {
        match self {
            Period::Day => start + 1,
            Period::Week => start + 7,
            Period::Month => first_day_of_month(month_of_day(start) + 1),
        }
    }

    /// The start of the period `n` periods before the one that starts on `start`.
    pub fn back(self, start: i64, n: i64) -> i64 {
        match self {
            Period::Day => start - n,
            Period::Week => start - 7 * n,
            Period::Month => first_day_of_month(month_of_day(start) - n),
        }
    }
}

/// The periods from the one holding `from` to the one holding the instant just before `to`
/// (microseconds; `to` exclusive), as their first days; `None` when there would be more
/// than [`MAX_PERIODS`].
pub fn periods(period: Period, from: i64, to: i64) -> Option<Vec<i64>> {
    let first = period.start(from.div_euclid(MICROS_PER_DAY));
    let last = period.start((to - 1).div_euclid(MICROS_PER_DAY));
    let mut starts = Vec::new();
    let mut start = first;
    while start <= last {
        if starts.len() == MAX_PERIODS {
            return None;
        }
        starts.push(start);
        start = period.next(start);
    }
    Some(starts)
}

/// A day as `YYYY-MM-DD`.
pub fn date(day: i64) -> String {
    NaiveDate::default()
        .checked_add_signed(chrono::TimeDelta::days(day))
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// One unit as of a period's end.
#[derive(Debug, Clone, Serialize)]
pub struct TrendUnit {
    /// Unit.
    pub unit: String,
    /// Patients (current states then).
    pub patients: i64,
    /// Counts per domain, in domain order.
    pub domains: BTreeMap<&'static str, DomainCounts>,
    /// REaL-complete patients.
    pub real_complete: RealComplete,
}

/// One period.
#[derive(Debug, Clone, Serialize)]
pub struct TrendPeriod {
    /// Its first day, `YYYY-MM-DD`.
    pub period: String,
    /// Its end (exclusive, RFC 3339): the counts are as of this instant.
    pub end: String,
    /// Per unit with patients then, by unit name.
    pub units: Vec<TrendUnit>,
    /// All units together.
    pub total: Total,
}

/// The trend.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    /// When it was generated.
    pub generated_at: String,
    /// Profile `name@version` (thresholds).
    pub profile: String,
    /// `day`, `week` or `month`.
    pub period: Period,
    /// The domain asked for, if one.
    pub domain: Option<&'static str>,
    /// The periods, oldest first.
    pub periods: Vec<TrendPeriod>,
}

/// A domain the trend can be limited to: a report domain or `real_complete`.
pub fn domain_named(name: &str) -> Option<&'static str> {
    if name == "real_complete" {
        return Some("real_complete");
    }
    Domain::from_name(name)
        .filter(|d| Domain::STATUS_DOMAINS.contains(d) || Domain::OPTIONAL_DOMAINS.contains(d))
        .map(Domain::as_str)
}

/// Builds the trend from each unit's tally as of each period's end (`tallies[i]` ends
/// period `starts[i]`), each period through the completeness report's own builder.
pub fn build(
    period: Period,
    starts: &[i64],
    tallies: Vec<BTreeMap<String, Tally>>,
    profile: &Profile,
    domain: Option<&'static str>,
    generated_at: String,
) -> Trend {
    let periods = starts
        .iter()
        .zip(tallies)
        .map(|(&start, tallies)| {
            let end = period.next(start);
            let report =
                completeness::from_tallies(tallies, &[], profile, String::new(), None, None);
            let keep = |domains: &mut BTreeMap<&'static str, DomainCounts>| {
                if let Some(domain) = domain {
                    domains.retain(|d, _| *d == domain);
                }
            };
            let mut total = report.total;
            keep(&mut total.domains);
            TrendPeriod {
                period: date(start),
                end: crate::result::timestamp(
                    DateTime::<Utc>::from_timestamp_micros(end.saturating_mul(MICROS_PER_DAY))
                        .unwrap_or_default(),
                ),
                units: report
                    .units
                    .into_iter()
                    .map(|mut u| {
                        keep(&mut u.domains);
                        TrendUnit {
                            unit: u.unit,
                            patients: u.patients,
                            domains: u.domains,
                            real_complete: u.real_complete,
                        }
                    })
                    .collect(),
                total,
            }
        })
        .collect();
    Trend {
        generated_at,
        profile: profile.id(),
        period,
        domain,
        periods,
    }
}

/// The trend's CSV: a row per period, unit and domain, the completeness report's CSV
/// columns (`report::csv::HEADER`) after `period`; `real_complete` is a row of its own,
/// its count under `complete`.
pub fn csv(trend: &Trend) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(std::iter::once("period").chain(super::csv::HEADER))
        .expect("writing to memory");
    let status_columns = DomainStatus::ALL.len();
    for period in &trend.periods {
        for unit in &period.units {
            let rows = super::csv::domain_rows(&unit.unit, unit.patients, &unit.domains);
            for row in rows {
                writer
                    .write_record(std::iter::once(period.period.clone()).chain(row))
                    .expect("writing to memory");
            }
            if trend.domain.is_none_or(|d| d == "real_complete") {
                let real = &unit.real_complete;
                let mut row = vec![
                    period.period.clone(),
                    super::csv::cell(&unit.unit).into_owned(),
                    "real_complete".to_string(),
                    unit.patients.to_string(),
                    real.count.to_string(),
                ];
                row.extend(std::iter::repeat_n(String::new(), status_columns - 1));
                row.push(super::csv::rate(real.rate));
                row.push(real.threshold.unwrap_or("").to_string());
                writer.write_record(&row).expect("writing to memory");
            }
        }
    }
    String::from_utf8(writer.into_inner().expect("flushing to memory")).expect("CSV is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> i64 {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .unwrap()
            .signed_duration_since(NaiveDate::default())
            .num_days()
    }

    #[test]
    fn periods_start_on_days_mondays_and_firsts_of_months() {
        // 2026-12-03 is a Thursday.
        let thursday = day("2026-12-03");
        assert_eq!(date(Period::Week.start(thursday)), "2026-11-30");
        assert_eq!(date(Period::Month.start(thursday)), "2026-12-01");
        assert_eq!(date(Period::Month.next(day("2026-12-01"))), "2027-01-01");
        assert_eq!(
            date(Period::Month.back(day("2026-12-01"), 11)),
            "2026-01-01"
        );
        assert_eq!(date(Period::Week.back(day("2026-11-30"), 1)), "2026-11-23");
        // Before 1970 too.
        assert_eq!(date(Period::Month.start(day("1969-11-20"))), "1969-11-01");
        assert_eq!(date(Period::Week.start(day("1969-12-31"))), "1969-12-29");
    }

    #[test]
    fn periods_run_from_the_one_holding_from_to_the_one_before_to() {
        let micros = |d: &str| day(d) * MICROS_PER_DAY;
        let months = periods(Period::Month, micros("2026-01-15"), micros("2026-04-01")).unwrap();
        let names: Vec<String> = months.into_iter().map(date).collect();
        assert_eq!(names, ["2026-01-01", "2026-02-01", "2026-03-01"]);
        let days = periods(Period::Day, micros("2026-01-01"), micros("2026-01-01") + 1).unwrap();
        assert_eq!(days.len(), 1);
        assert!(periods(Period::Day, micros("2020-01-01"), micros("2026-01-01")).is_none());
    }
}
