//! The patient's language-need rules (domains `language` and `interpreter`).

use super::*;
use crate::profile::Profile;

fn language(value: Value) -> Record {
    edited(|r| r["language"] = value)
}

fn language_absent() -> Record {
    without("/language")
}

fn language_null(flavor: &str) -> Record {
    language(json!({"null_flavor": flavor, "interpreter_needed": true}))
}

fn language_unknown() -> Record {
    language_null("UNK")
}

fn language_not_asked() -> Record {
    language_null("NASK")
}

fn language_declined() -> Record {
    language_null("ASKU")
}

fn preferred(tag: &str, interpreter_needed: bool) -> Record {
    language(json!({"preferred": tag, "interpreter_needed": interpreter_needed}))
}

fn unregistered_tag() -> Record {
    preferred("Espagnol", true)
}

fn underscore_tag() -> Record {
    preferred("es_MX", true)
}

fn regional_tag() -> Record {
    preferred("es-MX", true)
}

fn deprecated_hebrew() -> Record {
    preferred("iw", true)
}

fn hebrew() -> Record {
    preferred("he", true)
}

fn chinese_with_interpreter() -> Record {
    preferred("zh", true)
}

fn cantonese_with_interpreter() -> Record {
    preferred("yue", true)
}

fn interpreter_need_absent() -> Record {
    without("/language/interpreter_needed")
}

fn english_with_interpreter() -> Record {
    preferred("en", true)
}

fn english_without_interpreter() -> Record {
    preferred("en", false)
}

fn spanish_without_interpreter() -> Record {
    preferred("es", false)
}

fn very_well_with_interpreter() -> Record {
    edited(|r| r["language"]["english_proficiency"] = json!("very_well"))
}

fn well_with_interpreter() -> Record {
    edited(|r| r["language"]["english_proficiency"] = json!("well"))
}

fn written(tag: &str) -> Record {
    edited(|r| r["language"]["written"] = json!(tag))
}

fn written_invalid() -> Record {
    written("Espagnol")
}

fn written_spanish() -> Record {
    written("es")
}

/// Firing records and their silent neighbours, checked by the catalog-coverage test.
pub(super) const CASES: &[Case] = &[
    Case {
        rule: "LANGUAGE_MISSING",
        fires: language_absent,
        at: &["language.preferred"],
        domain: Domain::Language,
        neighbour: language_not_asked,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_UNKNOWN",
        fires: language_unknown,
        at: &["language.null_flavor"],
        domain: Domain::Language,
        neighbour: language_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_NOT_ASKED",
        fires: language_not_asked,
        at: &["language.null_flavor"],
        domain: Domain::Language,
        neighbour: language_unknown,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_DECLINED",
        fires: language_declined,
        at: &["language.null_flavor"],
        domain: Domain::Language,
        neighbour: language_unknown,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_CODE_INVALID",
        fires: underscore_tag,
        at: &["language.preferred"],
        domain: Domain::Language,
        neighbour: regional_tag,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_CODE_DEPRECATED",
        fires: deprecated_hebrew,
        at: &["language.preferred"],
        domain: Domain::Language,
        neighbour: hebrew,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
        fires: chinese_with_interpreter,
        at: &["language.preferred"],
        domain: Domain::Interpreter,
        neighbour: cantonese_with_interpreter,
        profile: Profile::phec_real,
    },
    Case {
        rule: "INTERPRETER_NEED_MISSING",
        fires: interpreter_need_absent,
        at: &["language.interpreter_needed"],
        domain: Domain::Interpreter,
        neighbour: spanish_without_interpreter,
        profile: Profile::phec_real,
    },
    Case {
        rule: "INTERPRETER_ENGLISH_CONFLICT",
        fires: english_with_interpreter,
        at: &["language.interpreter_needed"],
        domain: Domain::Interpreter,
        neighbour: english_without_interpreter,
        profile: Profile::phec_real,
    },
    Case {
        rule: "NON_ENGLISH_NO_INTERPRETER",
        fires: spanish_without_interpreter,
        at: &["language.interpreter_needed"],
        domain: Domain::Interpreter,
        neighbour: english_without_interpreter,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ENGLISH_PROFICIENCY_CONFLICT",
        fires: very_well_with_interpreter,
        at: &["language.english_proficiency"],
        domain: Domain::Interpreter,
        neighbour: well_with_interpreter,
        profile: Profile::phec_real,
    },
    Case {
        rule: "WRITTEN_LANGUAGE_CODE_INVALID",
        fires: written_invalid,
        at: &["language.written"],
        domain: Domain::Language,
        neighbour: written_spanish,
        profile: Profile::phec_real,
    },
];

// --- preferred language: missing and null values --------------------------------------

#[test]
fn absent_language_is_flagged_as_missing() {
    assert_fires_at(
        &language_absent(),
        "LANGUAGE_MISSING",
        &["language.preferred"],
    );
}

#[test]
fn blank_preferred_language_is_flagged_as_missing() {
    let record = edited(|r| r["language"]["preferred"] = json!("  "));
    assert_fires_at(&record, "LANGUAGE_MISSING", &["language.preferred"]);
    assert_silent(&record, "LANGUAGE_CODE_INVALID");
}

#[test]
fn language_not_asked_is_not_flagged_as_missing() {
    assert_silent(&language_not_asked(), "LANGUAGE_MISSING");
}

#[test]
fn language_recorded_as_unknown_is_flagged() {
    assert_fires_at(
        &language_unknown(),
        "LANGUAGE_UNKNOWN",
        &["language.null_flavor"],
    );
}

#[test]
fn undetermined_language_tag_is_flagged_as_unknown() {
    let record = preferred("und", true);
    assert_fires_at(&record, "LANGUAGE_UNKNOWN", &["language.preferred"]);
    assert_silent(&record, "LANGUAGE_CODE_INVALID");
}

#[test]
fn declined_language_is_not_flagged_as_unknown() {
    assert_silent(&language_declined(), "LANGUAGE_UNKNOWN");
}

#[test]
fn language_recorded_as_not_asked_is_flagged() {
    assert_fires_at(
        &language_not_asked(),
        "LANGUAGE_NOT_ASKED",
        &["language.null_flavor"],
    );
}

#[test]
fn unknown_language_is_not_flagged_as_not_asked() {
    assert_silent(&language_unknown(), "LANGUAGE_NOT_ASKED");
}

#[test]
fn declined_language_is_reported_as_info() {
    assert_fires_at(
        &language_declined(),
        "LANGUAGE_DECLINED",
        &["language.null_flavor"],
    );
}

#[test]
fn unknown_language_is_not_reported_as_declined() {
    assert_silent(&language_unknown(), "LANGUAGE_DECLINED");
}

// --- preferred language: the tag ----------------------------------------------------------

#[test]
fn malformed_language_tag_is_invalid() {
    assert_fires_at(
        &underscore_tag(),
        "LANGUAGE_CODE_INVALID",
        &["language.preferred"],
    );
}

#[test]
fn language_name_instead_of_a_tag_is_invalid() {
    assert_fires_at(
        &unregistered_tag(),
        "LANGUAGE_CODE_INVALID",
        &["language.preferred"],
    );
}

#[test]
fn unregistered_region_makes_the_tag_invalid() {
    // A common slip for en-GB: UK is not an ISO 3166 region code.
    let record = preferred("en-UK", false);
    assert_fires_at(&record, "LANGUAGE_CODE_INVALID", &["language.preferred"]);
}

#[test]
fn well_formed_registered_tags_are_valid() {
    for tag in ["es", "es-MX", "ES-mx", "zh-Hant-TW", "ase", "vi", "so"] {
        assert_silent(&preferred(tag, true), "LANGUAGE_CODE_INVALID");
    }
}

#[test]
fn deprecated_language_subtag_suggests_its_preferred_value() {
    assert_fires_at(
        &deprecated_hebrew(),
        "LANGUAGE_CODE_DEPRECATED",
        &["language.preferred"],
    );
    let message = &findings_of(&deprecated_hebrew(), "LANGUAGE_CODE_DEPRECATED")[0].message;
    assert!(message.contains("he"), "{message}");
}

#[test]
fn current_language_subtag_is_not_deprecated() {
    assert_silent(&hebrew(), "LANGUAGE_CODE_DEPRECATED");
}

#[test]
fn deprecated_written_language_is_reported_at_written() {
    assert_fires_at(
        &written("in"),
        "LANGUAGE_CODE_DEPRECATED",
        &["language.written"],
    );
}

// --- interpreter need -------------------------------------------------------------------------

#[test]
fn macrolanguage_too_broad_for_an_interpreter_is_flagged() {
    assert_fires_at(
        &chinese_with_interpreter(),
        "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
        &["language.preferred"],
    );
    let with_script = preferred("zh-Hant", true);
    assert_fires_at(
        &with_script,
        "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
        &["language.preferred"],
    );
}

#[test]
fn specific_member_language_is_not_too_broad() {
    assert_silent(
        &cantonese_with_interpreter(),
        "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
    );
    assert_silent(
        &preferred("cmn", true),
        "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
    );
}

#[test]
fn extlang_form_naming_the_member_language_is_not_too_broad() {
    // RFC 5646: zh-yue-HK is Cantonese (extlang yue, Preferred-Value yue), not "Chinese".
    for tag in ["zh-yue-HK", "zh-cmn-Hans-CN"] {
        assert_silent(&preferred(tag, true), "LANGUAGE_TOO_BROAD_FOR_INTERPRETER");
    }
}

#[test]
fn collection_of_sign_languages_is_too_broad_for_an_interpreter() {
    assert_fires_at(
        &preferred("sgn", true),
        "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
        &["language.preferred"],
    );
}

#[test]
fn a_specific_sign_language_is_not_too_broad() {
    assert_silent(
        &preferred("ase", true),
        "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
    );
}

#[test]
fn broad_language_without_an_interpreter_is_not_flagged_as_too_broad() {
    assert_silent(
        &preferred("zh", false),
        "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
    );
}

#[test]
fn macrolanguage_outside_the_profile_list_is_not_too_broad() {
    let arabic = preferred("ar", true);
    assert_silent(&arabic, "LANGUAGE_TOO_BROAD_FOR_INTERPRETER");
    let profile = Profile {
        broad_macrolanguages: vec!["zh".into(), "ar".into()],
        ..Profile::phec_real()
    };
    let outcome = outcome_under(&arabic, &profile);
    assert!(outcome
        .findings
        .iter()
        .any(|f| f.rule.id == "LANGUAGE_TOO_BROAD_FOR_INTERPRETER"));
}

#[test]
fn absent_interpreter_need_is_flagged() {
    assert_fires_at(
        &interpreter_need_absent(),
        "INTERPRETER_NEED_MISSING",
        &["language.interpreter_needed"],
    );
}

#[test]
fn interpreter_need_is_asked_even_when_the_language_is_missing() {
    assert_fires_at(
        &language_absent(),
        "INTERPRETER_NEED_MISSING",
        &["language.interpreter_needed"],
    );
}

#[test]
fn interpreter_not_needed_is_a_recorded_interpreter_need() {
    assert_silent(&spanish_without_interpreter(), "INTERPRETER_NEED_MISSING");
}

#[test]
fn interpreter_needed_with_english_preferred_is_a_conflict() {
    assert_fires_at(
        &english_with_interpreter(),
        "INTERPRETER_ENGLISH_CONFLICT",
        &["language.interpreter_needed"],
    );
    assert_fires_at(
        &preferred("en-US", true),
        "INTERPRETER_ENGLISH_CONFLICT",
        &["language.interpreter_needed"],
    );
}

#[test]
fn english_preferred_without_an_interpreter_is_not_a_conflict() {
    assert_silent(
        &english_without_interpreter(),
        "INTERPRETER_ENGLISH_CONFLICT",
    );
}

#[test]
fn non_english_language_without_an_interpreter_is_flagged_for_confirmation() {
    assert_fires_at(
        &spanish_without_interpreter(),
        "NON_ENGLISH_NO_INTERPRETER",
        &["language.interpreter_needed"],
    );
}

#[test]
fn english_language_without_an_interpreter_is_not_flagged_for_confirmation() {
    assert_silent(&english_without_interpreter(), "NON_ENGLISH_NO_INTERPRETER");
    assert_silent(&base(), "NON_ENGLISH_NO_INTERPRETER");
}

#[test]
fn multiple_languages_without_an_interpreter_are_not_flagged_for_confirmation() {
    assert_silent(&preferred("mul", false), "NON_ENGLISH_NO_INTERPRETER");
}

#[test]
fn very_good_english_with_an_interpreter_is_a_proficiency_conflict() {
    assert_fires_at(
        &very_well_with_interpreter(),
        "ENGLISH_PROFICIENCY_CONFLICT",
        &["language.english_proficiency"],
    );
}

#[test]
fn no_english_with_english_preferred_is_a_proficiency_conflict() {
    let record = language(json!({
        "preferred": "en",
        "interpreter_needed": false,
        "english_proficiency": "not_at_all"
    }));
    assert_fires_at(
        &record,
        "ENGLISH_PROFICIENCY_CONFLICT",
        &["language.english_proficiency"],
    );
}

#[test]
fn good_english_with_an_interpreter_is_not_a_proficiency_conflict() {
    assert_silent(&well_with_interpreter(), "ENGLISH_PROFICIENCY_CONFLICT");
    assert_silent(&base(), "ENGLISH_PROFICIENCY_CONFLICT");
}

// --- written language -------------------------------------------------------------------------

#[test]
fn invalid_written_language_is_an_error() {
    assert_fires_at(
        &written_invalid(),
        "WRITTEN_LANGUAGE_CODE_INVALID",
        &["language.written"],
    );
    // The written tag is its own question: the spoken one stays valid.
    assert_silent(&written_invalid(), "LANGUAGE_CODE_INVALID");
}

#[test]
fn valid_written_language_is_not_flagged() {
    assert_silent(&written_spanish(), "WRITTEN_LANGUAGE_CODE_INVALID");
}

#[test]
fn empty_written_language_counts_as_absent_not_invalid() {
    let record = written("");
    assert_silent(&record, "WRITTEN_LANGUAGE_CODE_INVALID");
    assert_eq!(outcome(&record).status, RecordStatus::Complete);
}

#[test]
fn patient_language_findings_count_against_language_and_interpreter() {
    let record = language(json!({"preferred": "es_MX"}));
    let outcome = outcome(&record);
    let domains: Vec<(&str, Domain)> = outcome
        .findings
        .iter()
        .map(|f| (f.rule.id, f.domain))
        .collect();
    assert_eq!(
        domains,
        [
            ("LANGUAGE_CODE_INVALID", Domain::Language),
            ("INTERPRETER_NEED_MISSING", Domain::Interpreter)
        ]
    );
}
