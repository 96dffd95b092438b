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

/// What a report groups patients by (`group_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// Their unit.
    #[default]
    Unit,
    /// The system that sent their records.
    Source,
    /// Who reported their race and ethnicity (`pipeline::reported_by`).
    ReportedBy,
}

/// The group of a state stored before its reporter was kept (until `real-dq revalidate`).
pub const REPORTER_NOT_KEPT: &str = "not_kept";

impl GroupBy {
    /// Reads `unit`, `source` or `reported_by`.
    pub fn parse(name: &str) -> Option<GroupBy> {
        match name {
            "unit" => Some(GroupBy::Unit),
            "source" => Some(GroupBy::Source),
            "reported_by" => Some(GroupBy::ReportedBy),
            _ => None,
        }
    }

    /// Its name, as the query and the CSV's first column give it.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Unit => "unit",
            GroupBy::Source => "source",
            GroupBy::ReportedBy => "reported_by",
        }
    }

    /// The group of patients of `unit` from `source` reported by `reported_by`.
    pub fn key<'a>(self, unit: &'a str, source: &'a str, reported_by: &'a str) -> &'a str {
        match self {
            GroupBy::Unit => unit,
            GroupBy::Source => source,
            GroupBy::ReportedBy if reported_by.is_empty() => REPORTER_NOT_KEPT,
            GroupBy::ReportedBy => reported_by,
        }
    }
}

/// Patients of one unit, source and reporter sharing one combination of statuses.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct StatusGroup {
    /// Unit (or, once [`Counts::grouped`], the group).
    pub unit: String,
    /// Sending system.
    pub source: String,
    /// Who reported race and ethnicity (empty: not kept).
    pub reported_by: String,
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
            source: &self.source,
            reported_by: &self.reported_by,
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
    /// Patients by unit (or group), source, reporter and statuses.
    pub groups: Vec<StatusGroup>,
    /// `(unit or group, rule, patients)`.
    pub rules: Vec<(String, String, i64)>,
}

impl Counts {
    /// The counts by `group_by`: each group's `unit` is its group, and the rules are
    /// added up by group.
    pub fn grouped(self, group_by: GroupBy, rules: Vec<RuleRow>) -> Counts {
        let groups = self
            .groups
            .into_iter()
            .map(|mut g| {
                g.unit = group_by.key(&g.unit, &g.source, &g.reported_by).to_string();
                g
            })
            .collect();
        let mut by_rule: std::collections::BTreeMap<(String, String), i64> = Default::default();
        for (unit, source, reported_by, rule, patients) in rules {
            let key = group_by.key(&unit, &source, &reported_by).to_string();
            *by_rule.entry((key, rule)).or_default() += patients;
        }
        Counts {
            groups,
            rules: by_rule
                .into_iter()
                .map(|((group, rule), patients)| (group, rule, patients))
                .collect(),
        }
    }
}

/// A rule's count: `(unit, source, reported_by, rule, patients)`.
pub type RuleRow = (String, String, String, String, i64);

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
    counts_by(conn, window, unit, scope, GroupBy::Unit)
}

/// [`counts`] by `group_by`: unit, source or reporter (the same rows, added up by another
/// of their columns).
pub fn counts_by(
    conn: &mut DbConnection,
    window: Window,
    unit: Option<&str>,
    scope: Option<&[String]>,
    group_by: GroupBy,
) -> Result<Counts, StoreError> {
    let (groups, rules) = if window.from.is_none() && window.to.is_none() {
        kept_counts(conn, unit, scope)?
    } else {
        scanned_counts(conn, window, unit, scope)?
    };
    Ok(Counts {
        groups,
        rules: Vec::new(),
    }
    .grouped(group_by, rules))
}

/// The report from the kept counts.
fn kept_counts(
    conn: &mut DbConnection,
    unit: Option<&str>,
    scope: Option<&[String]>,
) -> Result<(Vec<StatusGroup>, Vec<RuleRow>), StoreError> {
    Ok((
        kept_groups(conn, unit, scope)?,
        kept_rules(conn, unit, scope)?,
    ))
}

/// The kept rule counts (no groups): what the diff needs of them.
pub fn kept_rules(
    conn: &mut DbConnection,
    unit: Option<&str>,
    scope: Option<&[String]>,
) -> Result<Vec<RuleRow>, StoreError> {
    let mut rules = rule_counts::table
        .filter(rule_counts::patients.gt(0))
        .select((
            rule_counts::unit,
            rule_counts::source,
            rule_counts::reported_by,
            rule_counts::rule,
            rule_counts::patients,
        ))
        .into_boxed();
    if let Some(unit) = unit {
        rules = rules.filter(rule_counts::unit.eq(unit.to_string()));
    }
    if let Some(scope) = scope {
        rules = rules.filter(rule_counts::unit.eq_any(scope.to_vec()));
    }
    Ok(rules.load(conn)?)
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
            report_counts::source,
            report_counts::reported_by,
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
) -> Result<(Vec<StatusGroup>, Vec<RuleRow>), StoreError> {
    let columns = (
        current_state::unit,
        current_state::source,
        current_state::reported_by,
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
        .select((
            current_state::unit,
            current_state::source,
            current_state::reported_by,
            current_state::rules,
        ))
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
            String,
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
                    source,
                    reported_by,
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
                    source,
                    reported_by,
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
    type Key = (String, String, String, String);
    let mut by_rule: std::collections::BTreeMap<Key, i64> = Default::default();
    for (unit, source, reported_by, fired) in
        rules.load::<(String, String, String, String)>(conn)?
    {
        for rule in fired.split_whitespace() {
            let key = (
                unit.clone(),
                source.clone(),
                reported_by.clone(),
                rule.into(),
            );
            *by_rule.entry(key).or_default() += 1;
        }
    }
    let rules = by_rule
        .into_iter()
        .map(|((unit, source, reported_by, rule), patients)| {
            (unit, source, reported_by, rule, patients)
        })
        .collect();
    Ok((groups, rules))
}
