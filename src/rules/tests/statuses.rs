//! Domain statuses, record status and `real_complete` (RULES.md §2).

use super::*;
use crate::profile::RequiredDomains;

fn status_of(record: &Record, domain: Domain) -> DomainStatus {
    outcome(record)
        .domains
        .get(domain)
        .unwrap_or_else(|| panic!("no status for {}", domain.as_str()))
}

fn assert_status(record: &Record, domain: Domain, expected: DomainStatus) {
    let outcome = outcome(record);
    assert_eq!(
        outcome.domains.get(domain),
        Some(expected),
        "{}; findings: {:?}",
        domain.as_str(),
        describe(&outcome)
    );
}

fn null_answer(flavor: &str) -> Value {
    json!({"null_flavor": flavor, "reported_by": "caregiver"})
}

// --- race and ethnicity -----------------------------------------------------------------------

#[test]
fn race_statuses_follow_the_answer() {
    let cases = [
        (base(), DomainStatus::Complete),
        (
            edited(|r| r["race"] = null_answer("ASKU")),
            DomainStatus::Declined,
        ),
        (
            edited(|r| r["race"] = null_answer("UNK")),
            DomainStatus::Unknown,
        ),
        (
            edited(|r| r["race"] = null_answer("NASK")),
            DomainStatus::NotAsked,
        ),
        (without("/race"), DomainStatus::Missing),
        (
            edited(|r| r["race"]["codes"] = json!([])),
            DomainStatus::Missing,
        ),
        (
            edited(|r| r["race"]["codes"][0]["code"] = json!("2106-4")),
            DomainStatus::Invalid,
        ),
        (
            edited(|r| r["race"]["null_flavor"] = json!("ASKU")),
            DomainStatus::Invalid,
        ),
        (
            edited(|r| r["race"]["codes"][0]["code"] = json!("1000-9")),
            DomainStatus::Invalid,
        ),
    ];
    for (i, (record, expected)) in cases.iter().enumerate() {
        assert_eq!(status_of(record, Domain::Race), *expected, "case {i}");
    }
}

#[test]
fn race_with_only_warnings_is_still_complete() {
    let korean_only = edited(|r| r["race"]["codes"] = json!([{"code": "2040-4"}]));
    assert_status(&korean_only, Domain::Race, DomainStatus::Complete);
    let other_only = edited(|r| r["race"]["codes"] = json!([{"code": "2131-1"}]));
    assert_status(&other_only, Domain::Race, DomainStatus::Complete);
}

#[test]
fn ethnicity_statuses_follow_the_answer() {
    let cases = [
        (base(), DomainStatus::Complete),
        (
            edited(|r| r["ethnicity"] = null_answer("ASKU")),
            DomainStatus::Declined,
        ),
        (
            edited(|r| r["ethnicity"] = null_answer("UNK")),
            DomainStatus::Unknown,
        ),
        (
            edited(|r| r["ethnicity"] = null_answer("NASK")),
            DomainStatus::NotAsked,
        ),
        (without("/ethnicity"), DomainStatus::Missing),
        (
            edited(|r| r["ethnicity"]["codes"] = json!([{"code": "2135-2"}, {"code": "2186-5"}])),
            DomainStatus::Invalid,
        ),
        (
            edited(|r| r["ethnicity"]["codes"] = json!([{"code": "2106-3"}])),
            DomainStatus::Invalid,
        ),
    ];
    for (i, (record, expected)) in cases.iter().enumerate() {
        assert_eq!(status_of(record, Domain::Ethnicity), *expected, "case {i}");
    }
}

#[test]
fn an_error_in_race_does_not_invalidate_ethnicity() {
    let record = edited(|r| r["race"]["codes"][0]["code"] = json!("2106-4"));
    assert_status(&record, Domain::Race, DomainStatus::Invalid);
    assert_status(&record, Domain::Ethnicity, DomainStatus::Complete);
}

// --- language and interpreter ------------------------------------------------------------------

#[test]
fn language_statuses_follow_the_answer() {
    let language = |value: Value| edited(|r| r["language"] = value);
    let cases = [
        (base(), DomainStatus::Complete),
        (
            language(json!({"null_flavor": "ASKU", "interpreter_needed": true})),
            DomainStatus::Declined,
        ),
        (
            language(json!({"null_flavor": "UNK", "interpreter_needed": true})),
            DomainStatus::Unknown,
        ),
        (
            language(json!({"preferred": "und", "interpreter_needed": true})),
            DomainStatus::Unknown,
        ),
        (
            language(json!({"null_flavor": "NASK", "interpreter_needed": true})),
            DomainStatus::NotAsked,
        ),
        (without("/language"), DomainStatus::Missing),
        (
            language(json!({"interpreter_needed": true})),
            DomainStatus::Missing,
        ),
        (
            language(json!({"preferred": "", "interpreter_needed": true})),
            DomainStatus::Missing,
        ),
        (
            language(json!({"preferred": "es_MX", "interpreter_needed": true})),
            DomainStatus::Invalid,
        ),
        (
            language(json!({"preferred": "es", "written": "x", "interpreter_needed": true})),
            DomainStatus::Invalid,
        ),
    ];
    for (i, (record, expected)) in cases.iter().enumerate() {
        assert_eq!(status_of(record, Domain::Language), *expected, "case {i}");
    }
}

#[test]
fn interpreter_status_is_complete_when_the_need_is_recorded_either_way() {
    assert_status(&base(), Domain::Interpreter, DomainStatus::Complete);
    let not_needed = edited(|r| r["language"]["interpreter_needed"] = json!(false));
    assert_status(&not_needed, Domain::Interpreter, DomainStatus::Complete);
}

#[test]
fn interpreter_status_is_missing_when_the_need_is_not_recorded() {
    assert_status(
        &without("/language/interpreter_needed"),
        Domain::Interpreter,
        DomainStatus::Missing,
    );
    let null = edited(|r| r["language"]["interpreter_needed"] = Value::Null);
    assert_status(&null, Domain::Interpreter, DomainStatus::Missing);
    assert_status(
        &without("/language"),
        Domain::Interpreter,
        DomainStatus::Missing,
    );
}

#[test]
fn interpreter_need_is_a_second_question_independent_of_the_language_status() {
    // Language declined, interpreter need answered: each domain keeps its own status.
    let record = edited(|r| {
        r["language"] = json!({"null_flavor": "ASKU", "interpreter_needed": false});
    });
    assert_status(&record, Domain::Language, DomainStatus::Declined);
    assert_status(&record, Domain::Interpreter, DomainStatus::Complete);
    // An invalid language tag does not make the interpreter need invalid.
    let invalid = edited(|r| r["language"]["preferred"] = json!("es_MX"));
    assert_status(&invalid, Domain::Language, DomainStatus::Invalid);
    assert_status(&invalid, Domain::Interpreter, DomainStatus::Complete);
}

#[test]
fn interpreter_warnings_leave_the_interpreter_status_complete() {
    let too_broad = edited(|r| r["language"]["preferred"] = json!("zh"));
    assert_status(&too_broad, Domain::Interpreter, DomainStatus::Complete);
    let english = edited(|r| r["language"]["preferred"] = json!("en"));
    assert_status(&english, Domain::Interpreter, DomainStatus::Complete);
}

// --- caregivers ----------------------------------------------------------------------------------

#[test]
fn caregivers_statuses_follow_the_caregivers() {
    assert_status(&base(), Domain::Caregivers, DomainStatus::Complete);
    assert_status(
        &without("/caregivers"),
        Domain::Caregivers,
        DomainStatus::Missing,
    );
    let empty = edited(|r| r["caregivers"] = json!([]));
    assert_status(&empty, Domain::Caregivers, DomainStatus::Missing);
    let bad_relationship = edited(|r| r["caregivers"][0]["relationship"] = json!("NEIGHBOUR"));
    assert_status(&bad_relationship, Domain::Caregivers, DomainStatus::Invalid);
    let bad_race = edited(|r| {
        r["caregivers"][0]["race"] = json!({"codes": [{"code": "9999-9"}]});
    });
    assert_status(&bad_race, Domain::Caregivers, DomainStatus::Invalid);
    let no_guardian = edited(|r| r["caregivers"][0]["legal_guardian"] = json!(false));
    assert_status(&no_guardian, Domain::Caregivers, DomainStatus::Complete);
}

#[test]
fn caregiver_language_statuses_follow_the_caregivers_answers() {
    let cg = |value: Value| edited(|r| r["caregivers"][0]["language"] = value);
    let cases = [
        (base(), DomainStatus::Complete),
        (
            cg(json!({"null_flavor": "ASKU", "interpreter_needed": true})),
            DomainStatus::Declined,
        ),
        (
            cg(json!({"null_flavor": "UNK", "interpreter_needed": true})),
            DomainStatus::Unknown,
        ),
        (
            cg(json!({"null_flavor": "NASK", "interpreter_needed": true})),
            DomainStatus::NotAsked,
        ),
        (cg(json!({"preferred": "es"})), DomainStatus::Missing),
        (cg(Value::Null), DomainStatus::Missing),
        (without("/caregivers"), DomainStatus::Missing),
        (
            cg(json!({"preferred": "xx-XX-XX", "interpreter_needed": true})),
            DomainStatus::Invalid,
        ),
    ];
    for (i, (record, expected)) in cases.iter().enumerate() {
        assert_eq!(
            status_of(record, Domain::CaregiverLanguage),
            *expected,
            "case {i}"
        );
    }
}

#[test]
fn caregiver_language_status_is_the_worst_of_the_caregivers() {
    let record = |second: Value| {
        edited(|r| {
            r["caregivers"].as_array_mut().unwrap().push(json!({
                "relationship": "FTH",
                "language": second
            }));
        })
    };
    let declined = record(json!({"null_flavor": "ASKU", "interpreter_needed": false}));
    assert_status(&declined, Domain::CaregiverLanguage, DomainStatus::Declined);
    let unknown = record(json!({"null_flavor": "UNK", "interpreter_needed": false}));
    assert_status(&unknown, Domain::CaregiverLanguage, DomainStatus::Unknown);
    let missing = record(Value::Null);
    assert_status(&missing, Domain::CaregiverLanguage, DomainStatus::Missing);
}

// --- record status -----------------------------------------------------------------------------

#[test]
fn record_with_every_required_domain_complete_is_complete() {
    assert_eq!(outcome(&base()).status, RecordStatus::Complete);
}

#[test]
fn declined_answers_count_as_complete() {
    let record = edited(|r| {
        r["race"] = null_answer("ASKU");
        r["ethnicity"] = null_answer("ASKU");
        r["language"] = json!({"null_flavor": "ASKU", "interpreter_needed": false});
        r["caregivers"][0]["language"] =
            json!({"null_flavor": "ASKU", "interpreter_needed": false});
    });
    let outcome = outcome(&record);
    assert_eq!(
        outcome.status,
        RecordStatus::Complete,
        "{:?}",
        describe(&outcome)
    );
    assert!(outcome.real_complete);
    assert!(outcome
        .findings
        .iter()
        .all(|f| f.severity == Severity::Info));
}

#[test]
fn record_with_a_required_domain_unknown_or_not_asked_or_missing_is_incomplete() {
    for record in [
        edited(|r| r["race"] = null_answer("UNK")),
        edited(|r| r["ethnicity"] = null_answer("NASK")),
        without("/language"),
        without("/language/interpreter_needed"),
        without("/caregivers"),
        edited(|r| remove(r, "/caregivers/0/language")),
    ] {
        let outcome = outcome(&record);
        assert_eq!(
            outcome.status,
            RecordStatus::Incomplete,
            "{:?}",
            describe(&outcome)
        );
        assert!(!outcome.real_complete);
    }
}

#[test]
fn record_with_any_error_is_invalid_even_if_every_domain_is_complete() {
    let record = edited(|r| r["recorded_at"] = json!("2026-12-01T00:00:00Z"));
    let outcome = outcome(&record);
    assert!(outcome.domains.0.iter().all(|(_, s)| s.is_complete()));
    assert_eq!(outcome.status, RecordStatus::Invalid);
    assert!(!outcome.real_complete);
}

#[test]
fn record_with_an_error_and_a_missing_domain_is_invalid_not_incomplete() {
    let record = edited(|r| {
        remove(r, "/language");
        r["race"]["codes"][0]["code"] = json!("2106-4");
    });
    assert_eq!(outcome(&record).status, RecordStatus::Invalid);
}

#[test]
fn warnings_alone_do_not_make_a_record_incomplete() {
    let record = edited(|r| r["race"]["codes"] = json!([{"code": "2040-4"}]));
    let outcome = outcome(&record);
    assert!(outcome
        .findings
        .iter()
        .any(|f| f.severity == Severity::Warning));
    assert_eq!(outcome.status, RecordStatus::Complete);
    assert!(outcome.real_complete);
}

#[test]
fn adult_without_caregivers_is_complete() {
    let record = edited(|r| {
        r["birth_date"] = json!("2008-01-01");
        remove(r, "/caregivers");
    });
    let outcome = outcome(&record);
    assert_eq!(
        outcome.domains.get(Domain::Caregivers),
        Some(DomainStatus::Missing)
    );
    assert_eq!(
        outcome.status,
        RecordStatus::Complete,
        "{:?}",
        describe(&outcome)
    );
    assert!(outcome.real_complete);
}

#[test]
fn patient_of_unknown_age_needs_caregivers_like_a_minor() {
    let record = edited(|r| {
        remove(r, "/birth_date");
        remove(r, "/caregivers");
    });
    assert_eq!(outcome(&record).status, RecordStatus::Incomplete);
}

#[test]
fn optional_domains_are_not_required_by_a_profile_that_drops_them() {
    let profile = Profile {
        required_domains: RequiredDomains {
            all: vec![Domain::Race, Domain::Ethnicity],
            minors: vec![],
        },
        ..Profile::phec_real()
    };
    let record = without("/language");
    assert_eq!(
        outcome_under(&record, &profile).status,
        RecordStatus::Complete
    );
    assert_eq!(outcome(&record).status, RecordStatus::Incomplete);
}

// --- real_complete -------------------------------------------------------------------------------

#[test]
fn real_complete_holds_for_the_base_record() {
    assert!(outcome(&base()).real_complete);
}

#[test]
fn real_complete_fails_on_an_error_finding() {
    let record = edited(|r| r["birth_date"] = json!("2019-13-01"));
    assert!(!outcome(&record).real_complete);
}

#[test]
fn real_complete_needs_the_caregivers_language_for_a_minor() {
    let record = edited(|r| remove(r, "/caregivers/0/language/interpreter_needed"));
    let outcome = outcome(&record);
    assert_eq!(
        outcome.domains.get(Domain::CaregiverLanguage),
        Some(DomainStatus::Missing)
    );
    assert!(!outcome.real_complete);
}

#[test]
fn real_complete_does_not_count_the_caregivers_domain_itself() {
    // Only a profile that requires caregivers but not their language can tell the two apart.
    let profile = Profile {
        required_domains: RequiredDomains {
            all: vec![
                Domain::Race,
                Domain::Ethnicity,
                Domain::Language,
                Domain::Interpreter,
            ],
            minors: vec![Domain::Caregivers],
        },
        ..Profile::phec_real()
    };
    let outcome = outcome_under(&without("/caregivers"), &profile);
    assert_eq!(outcome.status, RecordStatus::Incomplete);
    assert!(outcome.real_complete);
}

#[test]
fn real_complete_fails_when_a_patient_domain_is_unknown() {
    let record = edited(|r| r["race"] = null_answer("UNK"));
    assert!(!outcome(&record).real_complete);
}
