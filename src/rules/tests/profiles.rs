//! The profile's knobs as the engine applies them: severity overrides (including `off`)
//! and per-unit required domains.

use serde_json::json;

use super::*;
use crate::catalog::{DomainStatus, Severity};
use crate::engine::RecordStatus;
use crate::profile::{Profile, RequiredDomains, SeverityOverride};

#[test]
fn a_severity_override_changes_the_status_it_leads_to() {
    let record = edited(|r| r["race"]["codes"] = json!([{"code": "2106-3"}, {"code": "2135-2"}]));
    assert_eq!(outcome(&record).status, RecordStatus::Invalid);
    let mut profile = Profile::phec_real();
    profile
        .severity
        .insert("RACE_HISPANIC_AS_RACE".into(), SeverityOverride::Warning);
    let outcome = outcome_under(&record, &profile);
    let finding = outcome
        .findings
        .iter()
        .find(|f| f.rule.id == "RACE_HISPANIC_AS_RACE")
        .expect("still reported");
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(outcome.status, RecordStatus::Complete);
    assert_eq!(
        outcome.domains.get(Domain::Race),
        Some(DomainStatus::Complete)
    );
}

#[test]
fn a_rule_turned_off_is_not_reported() {
    let record = without("/language/interpreter_needed");
    assert!(rules_fired(&record).contains(&"INTERPRETER_NEED_MISSING"));
    let mut profile = Profile::phec_real();
    profile
        .severity
        .insert("INTERPRETER_NEED_MISSING".into(), SeverityOverride::Off);
    let outcome = outcome_under(&record, &profile);
    assert!(outcome
        .findings
        .iter()
        .all(|f| f.rule.id != "INTERPRETER_NEED_MISSING"));
    // The domain status still says what the data says.
    assert_eq!(
        outcome.domains.get(Domain::Interpreter),
        Some(DomainStatus::Missing)
    );
}

#[test]
fn a_unit_can_defer_caregiver_data() {
    let record = without("/caregivers");
    assert_eq!(outcome(&record).status, RecordStatus::Incomplete);
    let mut profile = Profile::phec_real();
    let unit = record.unit.clone();
    profile.required_domains_by_unit.insert(
        unit,
        RequiredDomains {
            all: vec![
                Domain::Race,
                Domain::Ethnicity,
                Domain::Language,
                Domain::Interpreter,
            ],
            minors: vec![],
        },
    );
    assert_eq!(
        outcome_under(&record, &profile).status,
        RecordStatus::Complete
    );
    let elsewhere = edited(|r| {
        remove(r, "/caregivers");
        r["unit"] = json!("NICU-other");
    });
    assert_eq!(
        outcome_under(&elsewhere, &profile).status,
        RecordStatus::Incomplete
    );
}

#[test]
fn the_adult_age_decides_who_needs_caregivers() {
    // A 16-year-old (born 2010-06-01) without caregivers.
    let record = edited(|r| {
        r["birth_date"] = json!("2010-06-01");
        remove(r, "/caregivers");
    });
    assert_fires_at(&record, "CAREGIVER_MISSING", &["caregivers"]);
    let profile = Profile {
        adult_age: 16,
        ..Profile::phec_real()
    };
    assert_silent_under(&record, &profile, "CAREGIVER_MISSING");
    assert_eq!(
        outcome_under(&record, &profile).status,
        RecordStatus::Complete
    );
}

#[test]
fn the_future_tolerance_absorbs_clock_skew_up_to_its_minutes() {
    // Three minutes after the fixed `now`.
    let record = edited(|r| r["recorded_at"] = json!("2026-11-21T00:03:00Z"));
    assert_silent(&record, "RECORDED_AT_IN_FUTURE");
    let strict = Profile {
        future_tolerance_minutes: 1,
        ..Profile::phec_real()
    };
    assert_fires_under(
        &record,
        &strict,
        "RECORDED_AT_IN_FUTURE",
        &["recorded_at"],
        Domain::Collection,
    );
}
