//! Ethnicity rules (domain `ethnicity`) and the IOM's granular-ethnicity advice.

use super::*;
use crate::profile::Profile;

fn ethnicity_codes(codes: Value) -> Record {
    edited(|r| r["ethnicity"]["codes"] = codes)
}

fn ethnicity_null(flavor: &str) -> Record {
    edited(|r| r["ethnicity"] = json!({"null_flavor": flavor, "reported_by": "caregiver"}))
}

fn ethnicity_absent() -> Record {
    without("/ethnicity")
}

fn ethnicity_text(text: &str) -> Record {
    edited(|r| r["ethnicity"] = json!({"codes": [], "text": text, "reported_by": "caregiver"}))
}

fn ethnicity_text_unmapped() -> Record {
    ethnicity_text("Martian")
}

fn ethnicity_text_mapped() -> Record {
    ethnicity_text("Hispanic or Latino")
}

fn ethnicity_unknown() -> Record {
    ethnicity_null("UNK")
}

fn ethnicity_not_asked() -> Record {
    ethnicity_null("NASK")
}

fn ethnicity_declined() -> Record {
    ethnicity_null("ASKU")
}

fn hispanic_mexican() -> Record {
    ethnicity_codes(json!([{"code": "2135-2"}, {"code": "2148-5"}]))
}

fn unknown_code() -> Record {
    ethnicity_codes(json!([{"code": "2186-6"}]))
}

fn abstract_root() -> Record {
    ethnicity_codes(json!([{"code": "2133-7"}]))
}

fn null_with_codes() -> Record {
    edited(|r| r["ethnicity"]["null_flavor"] = json!("ASKU"))
}

fn hispanic_and_not_hispanic() -> Record {
    ethnicity_codes(json!([{"code": "2135-2"}, {"code": "2186-5"}]))
}

fn hispanic_only() -> Record {
    ethnicity_codes(json!([{"code": "2135-2"}]))
}

fn not_hispanic_and_mexican() -> Record {
    ethnicity_codes(json!([{"code": "2186-5"}, {"code": "2148-5"}]))
}

fn mexican_without_hispanic() -> Record {
    ethnicity_codes(json!([{"code": "2148-5"}]))
}

fn white_in_ethnicity() -> Record {
    ethnicity_codes(json!([{"code": "2186-5"}, {"code": "2106-3"}]))
}

fn not_hispanic_shown_as_hispanic() -> Record {
    ethnicity_codes(json!([{"code": "2186-5", "display": "Hispanic or Latino"}]))
}

fn not_hispanic_twice() -> Record {
    ethnicity_codes(json!([{"code": "2186-5"}, {"code": "2186-5"}]))
}

fn categories_only() -> Record {
    edited(|r| r["race"]["codes"] = json!([{"code": "2106-3"}]))
}

fn categories_and_detailed_ethnicity() -> Record {
    edited(|r| {
        r["race"]["codes"] = json!([{"code": "2106-3"}]);
        r["ethnicity"]["codes"] = json!([{"code": "2135-2"}, {"code": "2182-4"}]);
    })
}

/// Firing records and their silent neighbours, checked by the catalog-coverage test.
pub(super) const CASES: &[Case] = &[
    Case {
        rule: "ETHNICITY_TEXT_ONLY",
        fires: ethnicity_text_unmapped,
        at: &["ethnicity.text"],
        domain: Domain::Ethnicity,
        neighbour: ethnicity_text_mapped,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_MISSING",
        fires: ethnicity_absent,
        at: &["ethnicity"],
        domain: Domain::Ethnicity,
        neighbour: ethnicity_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_UNKNOWN",
        fires: ethnicity_unknown,
        at: &["ethnicity.null_flavor"],
        domain: Domain::Ethnicity,
        neighbour: ethnicity_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_NOT_ASKED",
        fires: ethnicity_not_asked,
        at: &["ethnicity.null_flavor"],
        domain: Domain::Ethnicity,
        neighbour: ethnicity_unknown,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_DECLINED",
        fires: ethnicity_declined,
        at: &["ethnicity.null_flavor"],
        domain: Domain::Ethnicity,
        neighbour: ethnicity_not_asked,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_CODE_INVALID",
        fires: unknown_code,
        at: &["ethnicity.codes[0].code"],
        domain: Domain::Ethnicity,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_ABSTRACT_CODE",
        fires: abstract_root,
        at: &["ethnicity.codes[0]"],
        domain: Domain::Ethnicity,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_NULL_WITH_VALUES",
        fires: null_with_codes,
        at: &["ethnicity.null_flavor"],
        domain: Domain::Ethnicity,
        neighbour: ethnicity_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_CONFLICT",
        fires: hispanic_and_not_hispanic,
        at: &["ethnicity.codes"],
        domain: Domain::Ethnicity,
        neighbour: hispanic_only,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_DETAILED_CONFLICT",
        fires: not_hispanic_and_mexican,
        at: &["ethnicity.codes"],
        domain: Domain::Ethnicity,
        neighbour: hispanic_mexican,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_DETAILED_WITHOUT_CATEGORY",
        fires: mexican_without_hispanic,
        at: &["ethnicity.codes"],
        domain: Domain::Ethnicity,
        neighbour: hispanic_mexican,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_RACE_CODE",
        fires: white_in_ethnicity,
        at: &["ethnicity.codes[1]"],
        domain: Domain::Ethnicity,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_DISPLAY_MISMATCH",
        fires: not_hispanic_shown_as_hispanic,
        at: &["ethnicity.codes[0].display"],
        domain: Domain::Ethnicity,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ETHNICITY_DUPLICATE_CODE",
        fires: not_hispanic_twice,
        at: &["ethnicity.codes[1]"],
        domain: Domain::Ethnicity,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "GRANULAR_ETHNICITY_MISSING",
        fires: categories_only,
        at: &["ethnicity.codes"],
        domain: Domain::Ethnicity,
        neighbour: categories_and_detailed_ethnicity,
        profile: Profile::phec_real,
    },
];

// --- missing and null values -------------------------------------------------------------

#[test]
fn absent_ethnicity_is_flagged_as_missing() {
    assert_fires_at(&ethnicity_absent(), "ETHNICITY_MISSING", &["ethnicity"]);
}

#[test]
fn ethnicity_with_empty_codes_is_flagged_as_missing() {
    let record = edited(|r| r["ethnicity"]["codes"] = json!([]));
    assert_fires_at(&record, "ETHNICITY_MISSING", &["ethnicity"]);
}

#[test]
fn declined_ethnicity_is_not_flagged_as_missing() {
    assert_silent(&ethnicity_declined(), "ETHNICITY_MISSING");
}

#[test]
fn ethnicity_recorded_as_unknown_is_flagged() {
    assert_fires_at(
        &ethnicity_unknown(),
        "ETHNICITY_UNKNOWN",
        &["ethnicity.null_flavor"],
    );
}

#[test]
fn ethnicity_recorded_as_declined_is_not_flagged_as_unknown() {
    assert_silent(&ethnicity_declined(), "ETHNICITY_UNKNOWN");
}

#[test]
fn ethnicity_recorded_as_not_asked_is_flagged() {
    assert_fires_at(
        &ethnicity_not_asked(),
        "ETHNICITY_NOT_ASKED",
        &["ethnicity.null_flavor"],
    );
}

#[test]
fn ethnicity_recorded_as_unknown_is_not_flagged_as_not_asked() {
    assert_silent(&ethnicity_unknown(), "ETHNICITY_NOT_ASKED");
}

#[test]
fn declined_ethnicity_is_reported_as_info() {
    assert_fires_at(
        &ethnicity_declined(),
        "ETHNICITY_DECLINED",
        &["ethnicity.null_flavor"],
    );
}

#[test]
fn ethnicity_not_asked_is_not_reported_as_declined() {
    assert_silent(&ethnicity_not_asked(), "ETHNICITY_DECLINED");
}

#[test]
fn a_null_value_together_with_ethnicity_codes_is_an_error() {
    assert_fires_at(
        &null_with_codes(),
        "ETHNICITY_NULL_WITH_VALUES",
        &["ethnicity.null_flavor"],
    );
    assert_silent(&null_with_codes(), "ETHNICITY_DECLINED");
}

#[test]
fn a_null_value_alone_is_not_an_ethnicity_null_with_values_error() {
    assert_silent(&ethnicity_declined(), "ETHNICITY_NULL_WITH_VALUES");
}

// --- code validity -------------------------------------------------------------------------

#[test]
fn ethnicity_code_failing_its_check_digit_is_invalid() {
    assert_fires_at(
        &unknown_code(),
        "ETHNICITY_CODE_INVALID",
        &["ethnicity.codes[0].code"],
    );
}

#[test]
fn valid_ethnicity_code_is_not_invalid() {
    assert_silent(&base(), "ETHNICITY_CODE_INVALID");
}

#[test]
fn ethnicity_code_outside_cdcrec_is_invalid() {
    let record = ethnicity_codes(json!([{"code": "2186-5"}, {"code": "0000-0"}]));
    assert_fires_at(
        &record,
        "ETHNICITY_CODE_INVALID",
        &["ethnicity.codes[1].code"],
    );
}

#[test]
fn ethnicity_code_under_a_foreign_system_is_invalid() {
    let record = ethnicity_codes(json!([{"code": "2186-5", "system": "http://snomed.info/sct"}]));
    assert_fires_at(
        &record,
        "ETHNICITY_CODE_INVALID",
        &["ethnicity.codes[0].system"],
    );
}

#[test]
fn ethnicity_code_under_the_v3_ethnicity_system_is_valid() {
    let record = ethnicity_codes(json!([{
        "code": "2186-5",
        "system": "http://terminology.hl7.org/CodeSystem/v3-Ethnicity"
    }]));
    assert_silent(&record, "ETHNICITY_CODE_INVALID");
}

#[test]
fn abstract_ethnicity_root_used_as_a_value_is_an_error() {
    assert_fires_at(
        &abstract_root(),
        "ETHNICITY_ABSTRACT_CODE",
        &["ethnicity.codes[0]"],
    );
}

#[test]
fn ethnicity_category_is_not_an_abstract_code() {
    assert_silent(&hispanic_only(), "ETHNICITY_ABSTRACT_CODE");
}

#[test]
fn race_code_in_ethnicity_is_an_error() {
    assert_fires_at(
        &white_in_ethnicity(),
        "ETHNICITY_RACE_CODE",
        &["ethnicity.codes[1]"],
    );
    // One finding for one mistake: not also "invalid".
    assert_silent(&white_in_ethnicity(), "ETHNICITY_CODE_INVALID");
}

#[test]
fn ethnicity_codes_in_ethnicity_are_not_race_codes() {
    assert_silent(&hispanic_mexican(), "ETHNICITY_RACE_CODE");
}

// --- consistency -----------------------------------------------------------------------------

#[test]
fn hispanic_together_with_not_hispanic_is_a_conflict() {
    assert_fires_at(
        &hispanic_and_not_hispanic(),
        "ETHNICITY_CONFLICT",
        &["ethnicity.codes"],
    );
}

#[test]
fn hispanic_alone_is_not_a_conflict() {
    assert_silent(&hispanic_only(), "ETHNICITY_CONFLICT");
}

#[test]
fn not_hispanic_together_with_a_hispanic_detailed_code_is_a_conflict() {
    assert_fires_at(
        &not_hispanic_and_mexican(),
        "ETHNICITY_DETAILED_CONFLICT",
        &["ethnicity.codes"],
    );
    // The conflict is the finding; the missing category is not reported on top of it.
    assert_silent(
        &not_hispanic_and_mexican(),
        "ETHNICITY_DETAILED_WITHOUT_CATEGORY",
    );
}

#[test]
fn hispanic_together_with_a_hispanic_detailed_code_is_not_a_conflict() {
    assert_silent(&hispanic_mexican(), "ETHNICITY_DETAILED_CONFLICT");
}

#[test]
fn hispanic_detailed_code_without_its_category_is_flagged() {
    assert_fires_at(
        &mexican_without_hispanic(),
        "ETHNICITY_DETAILED_WITHOUT_CATEGORY",
        &["ethnicity.codes"],
    );
}

#[test]
fn hispanic_detailed_code_with_its_category_is_not_flagged() {
    assert_silent(&hispanic_mexican(), "ETHNICITY_DETAILED_WITHOUT_CATEGORY");
}

// --- display and duplicates ----------------------------------------------------------------

#[test]
fn ethnicity_display_naming_another_concept_is_flagged() {
    assert_fires_at(
        &not_hispanic_shown_as_hispanic(),
        "ETHNICITY_DISPLAY_MISMATCH",
        &["ethnicity.codes[0].display"],
    );
}

#[test]
fn ethnicity_display_naming_its_own_concept_is_not_flagged() {
    assert_silent(&base(), "ETHNICITY_DISPLAY_MISMATCH");
    let dominican = ethnicity_codes(json!([
        {"code": "2135-2"},
        {"code": "2184-0", "display": "Dominican"}
    ]));
    assert_silent(&dominican, "ETHNICITY_DISPLAY_MISMATCH");
}

#[test]
fn the_same_ethnicity_code_twice_is_reported_at_the_repeat() {
    assert_fires_at(
        &not_hispanic_twice(),
        "ETHNICITY_DUPLICATE_CODE",
        &["ethnicity.codes[1]"],
    );
}

#[test]
fn a_single_ethnicity_code_is_not_a_duplicate() {
    assert_silent(&base(), "ETHNICITY_DUPLICATE_CODE");
}

// --- granular ethnicity (IOM) ---------------------------------------------------------------

#[test]
fn categories_without_any_detailed_code_are_flagged_as_not_granular() {
    assert_fires_at(
        &categories_only(),
        "GRANULAR_ETHNICITY_MISSING",
        &["ethnicity.codes"],
    );
}

#[test]
fn a_detailed_ethnicity_code_is_granular_enough() {
    assert_silent(
        &categories_and_detailed_ethnicity(),
        "GRANULAR_ETHNICITY_MISSING",
    );
}

#[test]
fn a_detailed_race_code_is_granular_enough() {
    assert_silent(&base(), "GRANULAR_ETHNICITY_MISSING");
}

#[test]
fn granularity_is_not_asked_for_when_nothing_was_answered() {
    let record = edited(|r| {
        r["race"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
        r["ethnicity"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
    });
    assert_silent(&record, "GRANULAR_ETHNICITY_MISSING");
}

#[test]
fn a_text_only_ethnicity_goes_through_the_maps() {
    let profile = Profile::phec_real();
    let outcome = outcome_under(&ethnicity_text("Hispanic or Latino"), &profile);
    let rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.id).collect();
    assert!(rules.contains(&"CODE_MAPPED"), "{rules:?}");
    assert!(!rules.contains(&"ETHNICITY_MISSING"), "{rules:?}");
    assert!(!rules.contains(&"ETHNICITY_TEXT_ONLY"), "{rules:?}");
    let unmapped = outcome_under(&ethnicity_text_unmapped(), &profile);
    let rules: Vec<&str> = unmapped.findings.iter().map(|f| f.rule.id).collect();
    assert!(rules.contains(&"ETHNICITY_TEXT_ONLY"), "{rules:?}");
    assert!(!rules.contains(&"ETHNICITY_MISSING"), "{rules:?}");
}
