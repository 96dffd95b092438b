//! Race rules (domain `race`).

use serde_json::json;

use super::*;
use crate::catalog::QuestionFormat;
use crate::profile::Profile;

fn race_codes(codes: Value) -> Record {
    edited(|r| r["race"]["codes"] = codes)
}

fn race_null(flavor: &str) -> Record {
    edited(|r| r["race"] = json!({"null_flavor": flavor, "reported_by": "caregiver"}))
}

fn race_absent() -> Record {
    without("/race")
}

fn race_text(text: &str) -> Record {
    edited(|r| r["race"] = json!({"codes": [], "text": text, "reported_by": "caregiver"}))
}

fn race_text_unmapped() -> Record {
    race_text("Martian")
}

fn race_text_mapped() -> Record {
    race_text("Asian")
}

fn race_unknown() -> Record {
    race_null("UNK")
}

fn race_not_asked() -> Record {
    race_null("NASK")
}

fn race_declined() -> Record {
    race_null("ASKU")
}

fn bad_check_digit() -> Record {
    race_codes(json!([{"code": "2106-3"}, {"code": "2028-8"}]))
}

fn abstract_root() -> Record {
    race_codes(json!([{"code": "1000-9"}]))
}

fn null_with_codes() -> Record {
    edited(|r| r["race"]["null_flavor"] = json!("UNK"))
}

fn korean_without_asian() -> Record {
    race_codes(json!([{"code": "2106-3"}, {"code": "2040-4"}]))
}

fn other_race_only() -> Record {
    race_codes(json!([{"code": "2131-1"}]))
}

fn other_race_and_white() -> Record {
    race_codes(json!([{"code": "2131-1"}, {"code": "2106-3"}]))
}

fn hispanic_in_race() -> Record {
    race_codes(json!([{"code": "2106-3"}, {"code": "2135-2"}]))
}

fn asian_shown_as_aian() -> Record {
    race_codes(json!([
        {"code": "2106-3"},
        {"code": "2028-9", "display": "American Indian or Alaska Native"}
    ]))
}

fn asian_shown_as_free_text() -> Record {
    race_codes(json!([{"code": "2106-3"}, {"code": "2028-9", "display": "Asian (per mom)"}]))
}

fn white_twice() -> Record {
    race_codes(json!([{"code": "2106-3"}, {"code": "2028-9"}, {"code": "2106-3"}]))
}

/// Firing records and their silent neighbours, checked by the catalog-coverage test.
pub(super) const CASES: &[Case] = &[
    Case {
        rule: "RACE_TEXT_ONLY",
        fires: race_text_unmapped,
        at: &["race.text"],
        domain: Domain::Race,
        neighbour: race_text_mapped,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_MISSING",
        fires: race_absent,
        at: &["race"],
        domain: Domain::Race,
        neighbour: race_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_UNKNOWN",
        fires: race_unknown,
        at: &["race.null_flavor"],
        domain: Domain::Race,
        neighbour: race_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_NOT_ASKED",
        fires: race_not_asked,
        at: &["race.null_flavor"],
        domain: Domain::Race,
        neighbour: race_unknown,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_DECLINED",
        fires: race_declined,
        at: &["race.null_flavor"],
        domain: Domain::Race,
        neighbour: race_not_asked,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_CODE_INVALID",
        fires: bad_check_digit,
        at: &["race.codes[1].code"],
        domain: Domain::Race,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_ABSTRACT_CODE",
        fires: abstract_root,
        at: &["race.codes[0]"],
        domain: Domain::Race,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_NULL_WITH_VALUES",
        fires: null_with_codes,
        at: &["race.null_flavor"],
        domain: Domain::Race,
        neighbour: race_unknown,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_DETAILED_WITHOUT_CATEGORY",
        fires: korean_without_asian,
        at: &["race.codes[1]"],
        domain: Domain::Race,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_OTHER_ONLY",
        fires: other_race_only,
        at: &["race.codes"],
        domain: Domain::Race,
        neighbour: other_race_and_white,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_HISPANIC_AS_RACE",
        fires: hispanic_in_race,
        at: &["race.codes[1]"],
        domain: Domain::Race,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_DISPLAY_MISMATCH",
        fires: asian_shown_as_aian,
        at: &["race.codes[1].display"],
        domain: Domain::Race,
        neighbour: asian_shown_as_free_text,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RACE_DUPLICATE_CODE",
        fires: white_twice,
        at: &["race.codes[2]"],
        domain: Domain::Race,
        neighbour: base,
        profile: Profile::phec_real,
    },
];

// --- missing and null values -------------------------------------------------------------

#[test]
fn absent_race_is_flagged_as_missing() {
    assert_fires_at(&race_absent(), "RACE_MISSING", &["race"]);
}

#[test]
fn race_with_empty_codes_and_no_null_value_is_flagged_as_missing() {
    let record = edited(|r| r["race"] = json!({"codes": [], "reported_by": "caregiver"}));
    assert_fires_at(&record, "RACE_MISSING", &["race"]);
}

#[test]
fn race_sent_as_json_null_is_flagged_as_missing() {
    assert_fires_at(
        &edited(|r| r["race"] = Value::Null),
        "RACE_MISSING",
        &["race"],
    );
}

#[test]
fn declined_race_is_not_flagged_as_missing() {
    assert_silent(&race_declined(), "RACE_MISSING");
}

#[test]
fn race_recorded_as_unknown_is_flagged() {
    assert_fires_at(&race_unknown(), "RACE_UNKNOWN", &["race.null_flavor"]);
}

#[test]
fn race_recorded_as_declined_is_not_flagged_as_unknown() {
    assert_silent(&race_declined(), "RACE_UNKNOWN");
}

#[test]
fn race_recorded_as_not_asked_is_flagged() {
    assert_fires_at(&race_not_asked(), "RACE_NOT_ASKED", &["race.null_flavor"]);
}

#[test]
fn race_recorded_as_unknown_is_not_flagged_as_not_asked() {
    assert_silent(&race_unknown(), "RACE_NOT_ASKED");
}

#[test]
fn declined_race_is_reported_as_info() {
    assert_fires_at(&race_declined(), "RACE_DECLINED", &["race.null_flavor"]);
    let finding = &findings_of(&race_declined(), "RACE_DECLINED")[0];
    assert_eq!(finding.severity, Severity::Info);
}

#[test]
fn race_not_asked_is_not_reported_as_declined() {
    assert_silent(&race_not_asked(), "RACE_DECLINED");
}

#[test]
fn a_null_value_together_with_race_codes_is_an_error() {
    assert_fires_at(
        &null_with_codes(),
        "RACE_NULL_WITH_VALUES",
        &["race.null_flavor"],
    );
    // The contradiction is one finding, not also "unknown".
    assert_silent(&null_with_codes(), "RACE_UNKNOWN");
}

#[test]
fn a_null_value_alone_is_not_a_null_with_values_error() {
    assert_silent(&race_unknown(), "RACE_NULL_WITH_VALUES");
}

// --- code validity -------------------------------------------------------------------------

#[test]
fn race_code_failing_its_check_digit_is_invalid() {
    assert_fires_at(
        &bad_check_digit(),
        "RACE_CODE_INVALID",
        &["race.codes[1].code"],
    );
}

#[test]
fn race_code_with_its_check_digit_is_valid() {
    assert_silent(&base(), "RACE_CODE_INVALID");
}

#[test]
fn malformed_race_code_is_invalid() {
    let record = race_codes(json!([{"code": "Wht"}, {"code": "2106-3"}]));
    assert_fires_at(&record, "RACE_CODE_INVALID", &["race.codes[0].code"]);
}

#[test]
fn well_formed_race_code_outside_cdcrec_is_invalid() {
    // 0000-0 passes the check digit but is no concept.
    let record = race_codes(json!([{"code": "2106-3"}, {"code": "0000-0"}]));
    assert_fires_at(&record, "RACE_CODE_INVALID", &["race.codes[1].code"]);
}

#[test]
fn race_code_with_surrounding_spaces_is_valid() {
    assert_silent(
        &race_codes(json!([{"code": " 2106-3 "}])),
        "RACE_CODE_INVALID",
    );
}

#[test]
fn non_hispanic_ethnicity_code_in_race_is_invalid() {
    let record = race_codes(json!([{"code": "2106-3"}, {"code": "2186-5"}]));
    assert_fires_at(&record, "RACE_CODE_INVALID", &["race.codes[1].code"]);
    assert_silent(&record, "RACE_HISPANIC_AS_RACE");
}

#[test]
fn race_code_under_a_foreign_system_is_invalid() {
    let record = race_codes(json!([{"code": "2106-3", "system": "http://loinc.org"}]));
    assert_fires_at(&record, "RACE_CODE_INVALID", &["race.codes[0].system"]);
}

#[test]
fn race_code_under_an_accepted_alias_system_is_valid() {
    for system in [
        "urn:oid:2.16.840.1.113883.6.238",
        "2.16.840.1.113883.6.238",
        "http://terminology.hl7.org/CodeSystem/v3-Race",
        "urn:oid:2.16.840.1.113883.5.104",
    ] {
        let record = race_codes(json!([
            {"code": "2106-3", "system": system},
            {"code": "2040-4", "system": system},
            {"code": "2028-9", "system": system}
        ]));
        assert_silent(&record, "RACE_CODE_INVALID");
        assert_eq!(outcome(&record).status, RecordStatus::Complete, "{system}");
    }
}

#[test]
fn abstract_race_root_used_as_a_value_is_an_error() {
    assert_fires_at(&abstract_root(), "RACE_ABSTRACT_CODE", &["race.codes[0]"]);
    assert_silent(&abstract_root(), "RACE_CODE_INVALID");
}

#[test]
fn race_category_is_not_an_abstract_code() {
    assert_silent(&base(), "RACE_ABSTRACT_CODE");
}

// --- OMB categories -------------------------------------------------------------------------

#[test]
fn detailed_code_without_its_category_is_flagged() {
    assert_fires_at(
        &korean_without_asian(),
        "RACE_DETAILED_WITHOUT_CATEGORY",
        &["race.codes[1]"],
    );
}

#[test]
fn detailed_code_with_its_category_is_not_flagged() {
    assert_silent(&base(), "RACE_DETAILED_WITHOUT_CATEGORY");
}

#[test]
fn detailed_code_several_levels_down_needs_its_omb_category_not_its_parent() {
    // 2080-0 Samoan sits under 2078-4 Polynesian, under 2076-8 NHPI.
    let with_parent_only = race_codes(json!([{"code": "2078-4"}, {"code": "2080-0"}]));
    assert_fires_at(
        &with_parent_only,
        "RACE_DETAILED_WITHOUT_CATEGORY",
        &["race.codes[0]", "race.codes[1]"],
    );
    let with_category = race_codes(json!([{"code": "2080-0"}, {"code": "2076-8"}]));
    assert_silent(&with_category, "RACE_DETAILED_WITHOUT_CATEGORY");
}

#[test]
fn mena_code_without_white_is_flagged_under_omb_1997() {
    // OMB 1997 files Middle Eastern or North African under White (SPD-15 moves it out).
    let record = race_codes(json!([{"code": "2119-6"}]));
    assert_fires_at(
        &record,
        "RACE_DETAILED_WITHOUT_CATEGORY",
        &["race.codes[0]"],
    );
}

#[test]
fn only_other_race_is_flagged() {
    assert_fires_at(&other_race_only(), "RACE_OTHER_ONLY", &["race.codes"]);
}

#[test]
fn other_race_together_with_an_omb_category_is_not_flagged() {
    assert_silent(&other_race_and_white(), "RACE_OTHER_ONLY");
}

#[test]
fn hispanic_code_in_race_is_an_error_in_the_two_question_format() {
    assert_fires_at(
        &hispanic_in_race(),
        "RACE_HISPANIC_AS_RACE",
        &["race.codes[1]"],
    );
    let detailed = race_codes(json!([{"code": "2148-5"}]));
    assert_fires_at(&detailed, "RACE_HISPANIC_AS_RACE", &["race.codes[0]"]);
}

#[test]
fn race_without_hispanic_codes_is_not_flagged_as_hispanic() {
    assert_silent(&base(), "RACE_HISPANIC_AS_RACE");
}

#[test]
fn hispanic_code_in_race_is_accepted_in_the_spd15_combined_format() {
    let profile = Profile {
        question_format: QuestionFormat::Spd15,
        ..Profile::phec_real()
    };
    let outcome = outcome_under(&hispanic_in_race(), &profile);
    assert!(
        outcome
            .findings
            .iter()
            .all(|f| f.rule.id != "RACE_HISPANIC_AS_RACE" && f.rule.id != "RACE_CODE_INVALID"),
        "{:?}",
        describe(&outcome)
    );
}

// --- display and duplicates ----------------------------------------------------------------

#[test]
fn display_naming_another_concept_is_flagged() {
    assert_fires_at(
        &asian_shown_as_aian(),
        "RACE_DISPLAY_MISMATCH",
        &["race.codes[1].display"],
    );
}

#[test]
fn display_in_free_text_is_not_flagged() {
    assert_silent(&asian_shown_as_free_text(), "RACE_DISPLAY_MISMATCH");
}

#[test]
fn display_matching_the_code_ignoring_case_is_not_flagged() {
    let record = race_codes(json!([
        {"code": "2106-3", "display": " white "},
        {"code": "2040-4", "display": "KOREAN"},
        {"code": "2028-9", "display": "asian"}
    ]));
    assert_silent(&record, "RACE_DISPLAY_MISMATCH");
}

#[test]
fn display_shared_by_two_concepts_is_not_flagged_for_either() {
    // "Dominican" is both 2069-3 (race, under Black) and 2184-0 (ethnicity).
    let record = race_codes(json!([
        {"code": "2054-5"},
        {"code": "2069-3", "display": "Dominican"}
    ]));
    assert_silent(&record, "RACE_DISPLAY_MISMATCH");
}

#[test]
fn the_same_race_code_twice_is_reported_at_the_repeat() {
    assert_fires_at(&white_twice(), "RACE_DUPLICATE_CODE", &["race.codes[2]"]);
}

#[test]
fn distinct_race_codes_are_not_duplicates() {
    assert_silent(&base(), "RACE_DUPLICATE_CODE");
}

#[test]
fn the_same_code_under_two_accepted_systems_is_a_duplicate() {
    let record = race_codes(json!([
        {"code": "2106-3"},
        {"code": "2106-3", "system": "http://terminology.hl7.org/CodeSystem/v3-Race"}
    ]));
    assert_fires_at(&record, "RACE_DUPLICATE_CODE", &["race.codes[1]"]);
}

#[test]
fn race_findings_carry_domain_race() {
    for record in [
        race_absent(),
        bad_check_digit(),
        korean_without_asian(),
        white_twice(),
    ] {
        let outcome = outcome(&record);
        for finding in outcome
            .findings
            .iter()
            .filter(|f| f.rule.id.starts_with("RACE_"))
        {
            assert_eq!(finding.domain, Domain::Race, "{}", finding.rule.id);
        }
    }
}

#[test]
fn a_text_only_race_goes_through_the_maps() {
    let profile = Profile::phec_real();
    let outcome = outcome_under(&race_text("Asian"), &profile);
    let rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.id).collect();
    assert!(rules.contains(&"CODE_MAPPED"), "{rules:?}");
    assert!(!rules.contains(&"RACE_MISSING"), "{rules:?}");
    assert!(!rules.contains(&"RACE_TEXT_ONLY"), "{rules:?}");
    let unmapped = outcome_under(&race_text_unmapped(), &profile);
    let rules: Vec<&str> = unmapped.findings.iter().map(|f| f.rule.id).collect();
    assert!(rules.contains(&"RACE_TEXT_ONLY"), "{rules:?}");
    assert!(!rules.contains(&"RACE_MISSING"), "{rules:?}");
}
