//! What each page shows, as the templates (`templates/dashboard/`) take it. askama checks
//! the templates against these types at compile time and escapes every value.

use askama::Template;

/// The templates' filters.
mod filters {
    /// An RFC 3339 instant as `YYYY-MM-DD HH:MM UTC` (to the minute); anything else as it is.
    #[askama::filter_fn]
    pub fn when(value: impl std::fmt::Display, _: &dyn askama::Values) -> askama::Result<String> {
        let text = value.to_string();
        Ok(chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| {
                t.with_timezone(&chrono::Utc)
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string()
            })
            .unwrap_or(text))
    }
}

use super::charts::Chart;
use crate::access::Principal;
use crate::report::alerts::Alert;

/// The header's navigation: who is signed in and what they may open.
#[derive(Debug, Clone)]
pub struct Nav {
    /// The key's name.
    pub name: String,
    /// Its role.
    pub role: &'static str,
    /// Whether the aggregate pages are open to it.
    pub aggregates: bool,
    /// Whether it came with a session cookie (a sign-out button) rather than a header.
    pub session: bool,
}

impl Nav {
    /// The navigation of `principal`.
    pub fn of(principal: &Principal, session: bool) -> Nav {
        Nav {
            name: principal.name.to_string(),
            role: principal.role.as_str(),
            aggregates: super::sees_aggregates(principal),
            session,
        }
    }
}

/// An error, as a page.
#[derive(Template)]
#[template(path = "dashboard/error.html")]
pub struct ErrorPage {
    /// HTTP status.
    pub status: u16,
    /// Its reason phrase.
    pub reason: &'static str,
    /// What went wrong.
    pub message: String,
    /// `(field, what is wrong)`.
    pub fields: Vec<(String, String)>,
}

/// `GET /dashboard/sign-in`.
#[derive(Template)]
#[template(path = "dashboard/sign_in.html")]
pub struct SignIn {
    /// Why the last try failed.
    pub error: Option<&'static str>,
}

/// A cell of the heat map.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Domain or `real_complete`.
    pub domain: &'static str,
    /// The rate as the JSON API gives it (empty without one).
    pub rate: String,
    /// As shown.
    pub shown: String,
    /// `pass`, `warn`, `fail` or `none`.
    pub level: &'static str,
    /// Complete (with declined) over the denominator, e.g. `40 of 52`.
    pub counts: String,
    /// The records behind it (those left to ask).
    pub href: String,
}

/// A row of the heat map.
#[derive(Debug, Clone)]
pub struct HeatRow {
    /// Unit (empty for the total).
    pub unit: String,
    /// Its page.
    pub href: String,
    /// Patients.
    pub patients: i64,
    /// One per column.
    pub cells: Vec<Cell>,
}

/// A rule and how many patients it fired on.
#[derive(Debug, Clone)]
pub struct RuleRow {
    /// Rule ID.
    pub rule: String,
    /// Patients.
    pub count: i64,
    /// What to ask or fix.
    pub hint: String,
    /// The records behind it.
    pub href: String,
}

/// `GET /dashboard` for the report and admin roles.
#[derive(Template)]
#[template(path = "dashboard/overview.html")]
pub struct Overview {
    /// Header.
    pub nav: Nav,
    /// Profile.
    pub profile: String,
    /// When.
    pub generated_at: String,
    /// Column names.
    pub columns: Vec<&'static str>,
    /// A row per unit.
    pub rows: Vec<HeatRow>,
    /// All units.
    pub total: HeatRow,
    /// Pairs below a threshold.
    pub alerts: Vec<Alert>,
    /// The most frequent rules over the units shown.
    pub top_rules: Vec<RuleRow>,
}

/// `GET /dashboard` for the feedback role: its units' work lists.
#[derive(Template)]
#[template(path = "dashboard/work_lists.html")]
pub struct WorkLists {
    /// Header.
    pub nav: Nav,
    /// `(unit, work list link)`.
    pub units: Vec<(String, String)>,
}

/// A status count of a unit's domain, with its records.
#[derive(Debug, Clone)]
pub struct StatusCell {
    /// How many.
    pub count: i64,
    /// The records (none for a count of 0).
    pub href: Option<String>,
}

/// A domain row of the unit page.
#[derive(Debug, Clone)]
pub struct DomainRow {
    /// Domain.
    pub domain: &'static str,
    /// The denominator.
    pub patients: i64,
    /// complete, declined, unknown, not_asked, missing, invalid.
    pub statuses: Vec<StatusCell>,
    /// The cell.
    pub cell: Cell,
}

/// A row of a chart's table: a series' rates per period.
#[derive(Debug, Clone)]
pub struct SeriesRow {
    /// Series name.
    pub name: String,
    /// `(rate as JSON, as shown)` per period.
    pub rates: Vec<(String, String)>,
}

/// `GET /dashboard/units/{unit}`.
#[derive(Template)]
#[template(path = "dashboard/unit.html")]
pub struct UnitPage {
    /// Header.
    pub nav: Nav,
    /// Unit.
    pub unit: String,
    /// Patients.
    pub patients: i64,
    /// Domains.
    pub domains: Vec<DomainRow>,
    /// REaL complete.
    pub real_complete: Cell,
    /// The unit's trend by domain.
    pub chart: Chart,
    /// Periods of the chart.
    pub periods: Vec<String>,
    /// The chart's numbers.
    pub table: Vec<SeriesRow>,
    /// Alerts of the unit.
    pub alerts: Vec<Alert>,
    /// Top rules of the unit.
    pub top_rules: Vec<RuleRow>,
    /// Its work list.
    pub work_list: String,
}

/// `GET /dashboard/trend`.
#[derive(Template)]
#[template(path = "dashboard/trend.html")]
pub struct TrendPage {
    /// Header.
    pub nav: Nav,
    /// The domain shown.
    pub domain: &'static str,
    /// Every domain that can be chosen.
    pub domains: Vec<&'static str>,
    /// `day`, `week` or `month`.
    pub period: &'static str,
    /// The chart, a line per unit.
    pub chart: Chart,
    /// Periods.
    pub periods: Vec<String>,
    /// Its numbers.
    pub table: Vec<SeriesRow>,
}

/// A finding on the records page.
#[derive(Debug, Clone)]
pub struct FindingRow {
    /// Rule ID.
    pub rule: String,
    /// error, warning or info.
    pub severity: String,
    /// What is wrong (empty for the report role).
    pub message: String,
    /// What to ask the family.
    pub hint: String,
}

/// A record on the records page.
#[derive(Debug, Clone)]
pub struct RecordRow {
    /// Patient id (empty for the report role).
    pub patient_id: String,
    /// Record UUID.
    pub id: String,
    /// Unit.
    pub unit: String,
    /// When recorded (empty for the report role).
    pub recorded_at: String,
    /// complete, incomplete or invalid.
    pub status: String,
    /// Its findings.
    pub findings: Vec<FindingRow>,
}

/// `GET /dashboard/records`: the drill-down and the registration work list.
#[derive(Template)]
#[template(path = "dashboard/records.html")]
pub struct RecordsPage {
    /// Header.
    pub nav: Nav,
    /// What is listed, in words.
    pub title: String,
    /// Whether patient ids are shown.
    pub identifiers: bool,
    /// The records.
    pub records: Vec<RecordRow>,
    /// The next page.
    pub next: Option<String>,
}
