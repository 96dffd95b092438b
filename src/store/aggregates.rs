//! The completeness report's aggregates, computed in SQL over the current state so that
//! no report ever loads the records themselves: one grouped scan of `current_state` (by
//! unit and the six domain statuses) and one of `current_findings` (by unit and rule).

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{current_state, report_counts, rule_counts};
use super::StoreError;

/// The population: current records whose `recorded_at` is in `[from, to)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Inclusive lower bound, microseconds.
    pub from: Option<i64>,
    /// Exclusive upper bound, microseconds.
    pub to: Option<i64>,
}

/// Patients of one unit sharing one combination of statuses.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct StatusGroup {
    /// Unit.
    pub unit: String,
    /// REaL complete.
    pub real_complete: bool,
    /// Race status.
    pub race: String,
    /// Ethnicity status.
    pub ethnicity: String,
    /// Language status.
    pub language: String,
    /// Interpreter status.
    pub interpreter: String,
    /// Caregivers status.
    pub caregivers: String,
    /// Caregiver language status.
    pub caregiver_language: String,
    /// Optional domains' statuses, `domain:status` space-separated.
    pub optional_domains: String,
    /// The profile the records were validated with.
    pub profile: String,
    /// How many patients.
    pub patients: i64,
}

impl StatusGroup {
    /// The group as the write path counts it.
    pub fn group(&self) -> super::counts::Group<'_> {
        super::counts::Group {
            unit: &self.unit,
            real_complete: self.real_complete,
            race: &self.race,
            ethnicity: &self.ethnicity,
            language: &self.language,
            interpreter: &self.interpreter,
            caregivers: &self.caregivers,
            caregiver_language: &self.caregiver_language,
            optional_domains: &self.optional_domains,
            profile: &self.profile,
        }
    }

    /// `(domain, status)` pairs of the group, in domain order.
    pub fn statuses(&self) -> [(&'static str, &str); 6] {
        [
            ("race", &self.race),
            ("ethnicity", &self.ethnicity),
            ("language", &self.language),
            ("interpreter", &self.interpreter),
            ("caregivers", &self.caregivers),
            ("caregiver_language", &self.caregiver_language),
        ]
    }

    /// `(domain, status)` pairs of the optional domains the group has a status in.
    pub fn optional_statuses(&self) -> impl Iterator<Item = (&str, &str)> {
        self.optional_domains
            .split_whitespace()
            .filter_map(|pair| pair.split_once(':'))
    }
}

/// One unit's patients as the report counts them: how many, how many REaL complete, and
/// per domain how many in each status (`DomainStatus::ALL` order). Groups add up into a
/// tally; a tally is all a report of the unit needs but its rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Patients.
    pub patients: i64,
    /// REaL-complete patients.
    pub real_complete: i64,
    /// Patients by domain and status.
    pub statuses: std::collections::BTreeMap<&'static str, [i64; 6]>,
}

/// A status's place in `DomainStatus::ALL`; none for a status the report does not count
/// (`not_required`).
pub fn status_index(status: &str) -> Option<usize> {
    crate::catalog::DomainStatus::ALL
        .iter()
        .position(|s| s.as_str() == status)
}

/// A domain's name as a `'static` string; none for a name that is no domain.
pub fn domain_name(domain: &str) -> Option<&'static str> {
    crate::catalog::Domain::from_name(domain).map(crate::catalog::Domain::as_str)
}

impl Tally {
    /// Adds `patients` (negative: removes) of a group: REaL complete or not, and its
    /// `(domain, status index)` pairs.
    pub fn add(
        &mut self,
        real_complete: bool,
        statuses: impl Iterator<Item = (&'static str, usize)>,
        patients: i64,
    ) {
        self.patients += patients;
        if real_complete {
            self.real_complete += patients;
        }
        for (domain, status) in statuses {
            self.statuses.entry(domain).or_default()[status] += patients;
        }
    }

    /// Adds a stored group.
    pub fn add_group(&mut self, group: &StatusGroup) {
        let statuses = group
            .statuses()
            .into_iter()
            .chain(group.optional_statuses())
            .filter_map(|(d, s)| Some((domain_name(d)?, status_index(s)?)));
        self.add(group.real_complete, statuses, group.patients);
    }
}

/// Raw counts for the report.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Patients by unit and statuses.
    pub groups: Vec<StatusGroup>,
    /// `(unit, rule, patients)`.
    pub rules: Vec<(String, String, i64)>,
}

/// Counts patients by unit and statuses, and by rule; `scope`, when given, limits the units.
/// Without a window, the counts kept up to date as records arrive (`counts.rs`): a few rows
/// per unit, whatever the number of patients. With one, a scan of the current states
/// whose `recorded_at` falls in it.
pub fn counts(
    conn: &mut DbConnection,
    window: Window,
    unit: Option<&str>,
    scope: Option<&[String]>,
) -> Result<Counts, StoreError> {
    if window.from.is_none() && window.to.is_none() {
        return kept_counts(conn, unit, scope);
    }
    scanned_counts(conn, window, unit, scope)
}

/// The report from the kept counts.
fn kept_counts(
    conn: &mut DbConnection,
    unit: Option<&str>,
    scope: Option<&[String]>,
) -> Result<Counts, StoreError> {
    let mut rules = rule_counts::table
        .filter(rule_counts::patients.gt(0))
        .select((rule_counts::unit, rule_counts::rule, rule_counts::patients))
        .into_boxed();
    if let Some(unit) = unit {
        rules = rules.filter(rule_counts::unit.eq(unit.to_string()));
    }
    if let Some(scope) = scope {
        rules = rules.filter(rule_counts::unit.eq_any(scope.to_vec()));
    }
    Ok(Counts {
        groups: kept_groups(conn, unit, scope)?,
        rules: rules.load(conn)?,
    })
}

/// Patients by unit and statuses now, as kept (`report_counts`): the report's groups, and
/// the trend's starting point.
/// The kept counts' groups (no rules): what the alerts and the trend need of them.
pub fn kept_groups(
    conn: &mut DbConnection,
    unit: Option<&str>,
    scope: Option<&[String]>,
) -> Result<Vec<StatusGroup>, StoreError> {
    let mut groups = report_counts::table
        .filter(report_counts::patients.gt(0))
        .select((
            report_counts::unit,
            report_counts::real_complete,
            report_counts::race,
            report_counts::ethnicity,
            report_counts::language,
            report_counts::interpreter,
            report_counts::caregivers,
            report_counts::caregiver_language,
            report_counts::optional_domains,
            report_counts::profile,
            report_counts::patients,
        ))
        .into_boxed();
    if let Some(unit) = unit {
        groups = groups.filter(report_counts::unit.eq(unit.to_string()));
    }
    if let Some(scope) = scope {
        groups = groups.filter(report_counts::unit.eq_any(scope.to_vec()));
    }
    Ok(groups.load(conn)?)
}

/// The report from a scan of the current states in a window.
fn scanned_counts(
    conn: &mut DbConnection,
    window: Window,
    unit: Option<&str>,
    scope: Option<&[String]>,
) -> Result<Counts, StoreError> {
    let columns = (
        current_state::unit,
        current_state::real_complete,
        current_state::race,
        current_state::ethnicity,
        current_state::language,
        current_state::interpreter,
        current_state::caregivers,
        current_state::caregiver_language,
        current_state::optional_domains,
        current_state::profile,
    );
    let mut groups = current_state::table
        .group_by(columns)
        .select((columns, count_star()))
        .into_boxed();
    // The rules fired are a space-separated list on each state: counted here.
    let mut rules = current_state::table
        .select((current_state::unit, current_state::rules))
        .filter(current_state::rules.ne(""))
        .into_boxed();
    if let Some(from) = window.from {
        groups = groups.filter(current_state::recorded_at.ge(from));
        rules = rules.filter(current_state::recorded_at.ge(from));
    }
    if let Some(to) = window.to {
        groups = groups.filter(current_state::recorded_at.lt(to));
        rules = rules.filter(current_state::recorded_at.lt(to));
    }
    if let Some(unit) = unit {
        groups = groups.filter(current_state::unit.eq(unit.to_string()));
        rules = rules.filter(current_state::unit.eq(unit.to_string()));
    }
    if let Some(scope) = scope {
        groups = groups.filter(current_state::unit.eq_any(scope.to_vec()));
        rules = rules.filter(current_state::unit.eq_any(scope.to_vec()));
    }
    type Row = (
        (
            String,
            bool,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        ),
        i64,
    );
    let rows: Vec<Row> = groups.load(conn)?;
    let groups = rows
        .into_iter()
        .map(
            |(
                (
                    unit,
                    real_complete,
                    race,
                    ethnicity,
                    language,
                    interpreter,
                    caregivers,
                    caregiver_language,
                    optional_domains,
                    profile,
                ),
                patients,
            )| {
                StatusGroup {
                    unit,
                    real_complete,
                    race,
                    ethnicity,
                    language,
                    interpreter,
                    caregivers,
                    caregiver_language,
                    optional_domains,
                    profile,
                    patients,
                }
            },
        )
        .collect();
    let mut by_rule: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for (unit, fired) in rules.load::<(String, String)>(conn)? {
        for rule in fired.split_whitespace() {
            *by_rule.entry((unit.clone(), rule.to_string())).or_default() += 1;
        }
    }
    Ok(Counts {
        groups,
        rules: by_rule
            .into_iter()
            .map(|((unit, rule), patients)| (unit, rule, patients))
            .collect(),
    })
}
