//! Unit tests for every rule: one record that fires it and one close neighbour that doesn't.
//!
//! Every record is built from JSON through [`Record::from_json`], so the tests exercise the
//! parse as well as the engine. Each test starts from [`base`], a complete record of a
//! 7-year-old, and changes one thing. Each domain file also lists its firing/neighbour pairs
//! in a `CASES` table; [`every_catalogued_rule_has_a_firing_case_and_a_silent_neighbour`]
//! runs them all and checks that together they cover exactly `catalog::ALL`, so a new rule
//! without tests fails the build's tests.

mod caregivers;
mod collection;
mod ethnicity;
mod language;
mod mapping;
mod optional;
mod profiles;
mod race;
mod rollup;
mod spd15;
mod statuses;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::catalog::{self, Domain, DomainStatus, Finding, Severity};
use crate::codesets::CodeSets;
use crate::engine::{validate, RecordStatus, Verdict};
use crate::profile::Profile;
use crate::record::Record;
use crate::rules::Context;

/// The fixed time of validation: the day after the base record was collected.
pub(super) const NOW: &str = "2026-11-21T00:00:00Z";

/// A complete record of a 7-year-old (born 2019-04-02, collected 2026-11-20): White and
/// Korean with its category Asian, not Hispanic, both reported by a caregiver; Spanish with
/// an interpreter; the mother, legal guardian, also Spanish with an interpreter.
pub(super) fn base_json() -> Value {
    json!({
        "source": "epic-test",
        "patient_id": "TEST-0001",
        "unit": "PEDS",
        "recorded_at": "2026-11-20T14:03:00Z",
        "birth_date": "2019-04-02",
        "race": {
            "codes": [
                {"code": "2106-3", "display": "White"},
                {"code": "2040-4", "display": "Korean"},
                {"code": "2028-9", "display": "Asian"}
            ],
            "reported_by": "caregiver"
        },
        "ethnicity": {
            "codes": [{"code": "2186-5", "display": "Not Hispanic or Latino"}],
            "reported_by": "caregiver"
        },
        "language": {
            "preferred": "es",
            "interpreter_needed": true,
            "english_proficiency": "not_well"
        },
        "caregivers": [{
            "relationship": "MTH",
            "legal_guardian": true,
            "language": {"preferred": "es", "interpreter_needed": true}
        }]
    })
}

/// The fixed `now`.
pub(super) fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .expect("NOW is RFC 3339")
        .with_timezone(&Utc)
}

/// Parses a JSON record the way the API does; panics if the envelope is rejected.
pub(super) fn parse(json: &Value) -> Record {
    let bytes = serde_json::to_vec(json).expect("a JSON value serialises");
    match Record::from_json(&bytes) {
        Ok((record, _wire)) => record,
        Err(rejection) => panic!("test record rejected: {rejection:?}\n{json:#}"),
    }
}

/// The base record.
pub(super) fn base() -> Record {
    parse(&base_json())
}

/// The base record with one edit applied to its JSON.
pub(super) fn edited(edit: impl FnOnce(&mut Value)) -> Record {
    let mut json = base_json();
    edit(&mut json);
    parse(&json)
}

/// The base record with the field at a JSON pointer (e.g. `/language/interpreter_needed`)
/// removed.
pub(super) fn without(pointer: &str) -> Record {
    edited(|json| remove(json, pointer))
}

/// Removes the field at a JSON pointer; panics if it is not there.
pub(super) fn remove(json: &mut Value, pointer: &str) {
    let (parent, field) = pointer.rsplit_once('/').expect("a JSON pointer");
    let parent = json
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent}"));
    assert!(parent.remove(field).is_some(), "no field at {pointer}");
}

/// Validates under a profile at the fixed `now`.
pub(super) fn outcome_under(record: &Record, profile: &Profile) -> Verdict {
    let ctx = Context {
        codes: CodeSets::get(),
        profile,
        now: now(),
    };
    validate(record, &ctx)
}

/// Validates under the default `phec-real` profile at the fixed `now`.
pub(super) fn outcome(record: &Record) -> Verdict {
    outcome_under(record, &Profile::phec_real())
}

/// The IDs of the rules that fired, in check order (once per finding).
pub(super) fn rules_fired(record: &Record) -> Vec<&'static str> {
    outcome(record).findings.iter().map(|f| f.rule.id).collect()
}

/// The paths at which `rule` fired, in check order.
pub(super) fn fired_at(record: &Record, rule: &str) -> Vec<String> {
    findings_of(record, rule)
        .into_iter()
        .map(|f| f.path)
        .collect()
}

/// The findings of `rule`.
pub(super) fn findings_of(record: &Record, rule: &str) -> Vec<Finding> {
    assert!(catalog::by_id(rule).is_some(), "{rule} is not catalogued");
    outcome(record)
        .findings
        .into_iter()
        .filter(|f| f.rule.id == rule)
        .collect()
}

/// Every finding as `RULE@path (domain, severity)`, for failure messages.
pub(super) fn describe(outcome: &Verdict) -> Vec<String> {
    outcome
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}@{} ({}, {})",
                f.rule.id,
                f.path,
                f.domain.as_str(),
                f.severity.as_str()
            )
        })
        .collect()
}

/// Asserts that `rule` fired exactly at `paths`, each time counted against `domain` with
/// the rule's default severity.
pub(super) fn assert_fires_in(record: &Record, rule: &str, paths: &[&str], domain: Domain) {
    assert_fires_under(record, &Profile::phec_real(), rule, paths, domain);
}

/// [`assert_fires_in`] under a profile.
pub(super) fn assert_fires_under(
    record: &Record,
    profile: &Profile,
    rule: &str,
    paths: &[&str],
    domain: Domain,
) {
    let outcome = outcome_under(record, profile);
    let found: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.rule.id == rule)
        .collect();
    let at: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        at,
        paths,
        "{rule} fired at the wrong paths; findings: {:?}",
        describe(&outcome)
    );
    let default = catalog::by_id(rule).expect("catalogued rule");
    for finding in found {
        assert_eq!(finding.domain, domain, "{rule}@{} domain", finding.path);
        assert_eq!(
            finding.severity, default.severity,
            "{rule}@{} severity",
            finding.path
        );
        assert!(!finding.message.is_empty(), "{rule} has an empty message");
    }
}

/// Asserts that `rule` fired exactly at `paths`, in the rule's catalogued domain.
pub(super) fn assert_fires_at(record: &Record, rule: &str, paths: &[&str]) {
    let domain = catalog::by_id(rule).expect("catalogued rule").domain;
    assert_fires_in(record, rule, paths, domain);
}

/// Asserts that `rule` did not fire anywhere on the record.
pub(super) fn assert_silent(record: &Record, rule: &str) {
    assert_silent_under(record, &Profile::phec_real(), rule);
}

/// [`assert_silent`] under a profile.
pub(super) fn assert_silent_under(record: &Record, profile: &Profile, rule: &str) {
    assert!(catalog::by_id(rule).is_some(), "{rule} is not catalogued");
    let outcome = outcome_under(record, profile);
    assert!(
        outcome.findings.iter().all(|f| f.rule.id != rule),
        "{rule} fired; findings: {:?}",
        describe(&outcome)
    );
}

/// One rule's firing record and its close neighbour that must stay silent.
pub(super) struct Case {
    /// The rule ID.
    pub rule: &'static str,
    /// A record that fires it.
    pub fires: fn() -> Record,
    /// The exact paths it fires at.
    pub at: &'static [&'static str],
    /// The domain the findings count against.
    pub domain: Domain,
    /// A record one change away that does not fire it.
    pub neighbour: fn() -> Record,
    /// The profile both are validated under.
    pub profile: fn() -> Profile,
}

fn all_cases() -> Vec<&'static Case> {
    [
        race::CASES,
        ethnicity::CASES,
        language::CASES,
        caregivers::CASES,
        collection::CASES,
        mapping::CASES,
        optional::CASES,
        spd15::CASES,
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn every_catalogued_rule_has_a_firing_case_and_a_silent_neighbour() {
    let cases = all_cases();
    let exercised: BTreeSet<&str> = cases.iter().map(|c| c.rule).collect();
    let catalogued: BTreeSet<&str> = catalog::ALL.iter().map(|r| r.id).collect();
    let untested: Vec<_> = catalogued.difference(&exercised).collect();
    let unknown: Vec<_> = exercised.difference(&catalogued).collect();
    assert!(untested.is_empty(), "rules without tests: {untested:?}");
    assert!(
        unknown.is_empty(),
        "tests for uncatalogued rules: {unknown:?}"
    );
    assert_eq!(exercised, catalogued);
    for case in cases {
        let profile = (case.profile)();
        assert_fires_under(&(case.fires)(), &profile, case.rule, case.at, case.domain);
        assert_silent_under(&(case.neighbour)(), &profile, case.rule);
    }
}

#[test]
fn the_base_record_parses_with_every_field() {
    let record = base();
    assert_eq!(record.recorded_at.to_rfc3339(), "2026-11-20T14:03:00+00:00");
    assert_eq!(
        record.birth_date,
        crate::record::BirthDate::Date(chrono::NaiveDate::from_ymd_opt(2019, 4, 2).unwrap())
    );
    let race = record.race.as_ref().expect("race");
    let codes: Vec<&str> = race.codes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["2106-3", "2040-4", "2028-9"]);
    assert_eq!(record.caregivers.len(), 1);
    assert_eq!(record.caregivers[0].relationship.as_deref(), Some("MTH"));
}

#[test]
fn the_base_record_is_complete_with_no_findings_at_all() {
    let outcome = outcome(&base());
    assert_eq!(outcome.status, RecordStatus::Complete);
    assert!(outcome.real_complete);
    // Not even an info finding: every code has its category and a correct display, the
    // interpreter need matches the language, and both answers name their reporter.
    assert_eq!(describe(&outcome), Vec::<String>::new());
    assert_eq!(rules_fired(&base()), Vec::<&str>::new());
    for (domain, status) in &outcome.domains.0 {
        assert_eq!(*status, DomainStatus::Complete, "{}", domain.as_str());
    }
    let reported: Vec<Domain> = outcome.domains.0.iter().map(|(d, _)| *d).collect();
    assert_eq!(reported, Domain::STATUS_DOMAINS);
}

#[test]
fn helpers_report_rules_and_paths_in_check_order() {
    let record = edited(|r| {
        r["race"]["codes"] = json!([{"code": "2040-4"}, {"code": "2040-4"}]);
    });
    assert_eq!(
        rules_fired(&record),
        ["RACE_DUPLICATE_CODE", "RACE_DETAILED_WITHOUT_CATEGORY"]
    );
    assert_eq!(fired_at(&record, "RACE_DUPLICATE_CODE"), ["race.codes[1]"]);
    assert_eq!(
        fired_at(&record, "RACE_DETAILED_WITHOUT_CATEGORY"),
        ["race.codes[0]"]
    );
    assert!(fired_at(&record, "RACE_MISSING").is_empty());
}

#[test]
fn without_removes_exactly_one_field() {
    let record = without("/language/interpreter_needed");
    let language = record.language.as_ref().expect("language kept");
    assert_eq!(language.interpreter_needed, None);
    assert_eq!(language.preferred.as_deref(), Some("es"));
}
