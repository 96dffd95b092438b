//! The completeness report's aggregates, computed in SQL over the current state so that
//! no report ever loads the records themselves.

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{current_domains, current_findings, current_state};
use super::StoreError;

/// The population: current records whose `recorded_at` is in `[from, to)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Inclusive lower bound, microseconds.
    pub from: Option<i64>,
    /// Exclusive upper bound, microseconds.
    pub to: Option<i64>,
}

/// Raw counts for the report.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// `(unit, real_complete, patients)`.
    pub patients: Vec<(String, bool, i64)>,
    /// `(unit, domain, status, patients)`.
    pub domains: Vec<(String, String, String, i64)>,
    /// `(unit, rule, patients)`.
    pub rules: Vec<(String, String, i64)>,
}

/// Counts patients by unit, by domain status and by rule.
pub fn counts(
    conn: &mut DbConnection,
    window: Window,
    unit: Option<&str>,
) -> Result<Counts, StoreError> {
    let mut patients = current_state::table
        .group_by((current_state::unit, current_state::real_complete))
        .select((
            current_state::unit,
            current_state::real_complete,
            count_star(),
        ))
        .into_boxed();
    let mut domains = current_domains::table
        .group_by((
            current_domains::unit,
            current_domains::domain,
            current_domains::status,
        ))
        .select((
            current_domains::unit,
            current_domains::domain,
            current_domains::status,
            count_star(),
        ))
        .into_boxed();
    let mut rules = current_findings::table
        .group_by((current_findings::unit, current_findings::rule))
        .select((current_findings::unit, current_findings::rule, count_star()))
        .into_boxed();
    if let Some(from) = window.from {
        patients = patients.filter(current_state::recorded_at.ge(from));
        domains = domains.filter(current_domains::recorded_at.ge(from));
        rules = rules.filter(current_findings::recorded_at.ge(from));
    }
    if let Some(to) = window.to {
        patients = patients.filter(current_state::recorded_at.lt(to));
        domains = domains.filter(current_domains::recorded_at.lt(to));
        rules = rules.filter(current_findings::recorded_at.lt(to));
    }
    if let Some(unit) = unit {
        patients = patients.filter(current_state::unit.eq(unit.to_string()));
        domains = domains.filter(current_domains::unit.eq(unit.to_string()));
        rules = rules.filter(current_findings::unit.eq(unit.to_string()));
    }
    Ok(Counts {
        patients: patients.load(conn)?,
        domains: domains.load(conn)?,
        rules: rules.load(conn)?,
    })
}
