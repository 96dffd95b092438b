//! Caregiver rules (domain `caregivers`) and the language rules run on each caregiver
//! (domain `caregiver_language`).

use super::*;
use crate::profile::Profile;

/// Born 2008-01-01: 18 when the base record was collected.
fn adult(edit: impl FnOnce(&mut Value)) -> Record {
    edited(|r| {
        r["birth_date"] = json!("2008-01-01");
        edit(r);
    })
}

fn add_caregiver(record: &mut Value, caregiver: Value) {
    record["caregivers"]
        .as_array_mut()
        .expect("caregivers array")
        .push(caregiver);
}

fn no_caregivers() -> Record {
    without("/caregivers")
}

fn adult_without_caregivers() -> Record {
    adult(|r| remove(r, "/caregivers"))
}

fn relationship(code: &str) -> Record {
    edited(|r| r["caregivers"][0]["relationship"] = json!(code))
}

fn relationship_mom() -> Record {
    relationship("NEIGHBOUR")
}

fn relationship_absent() -> Record {
    edited(|r| remove(r, "/caregivers/0/relationship"))
}

fn relationship_guardian() -> Record {
    relationship("GRD")
}

fn no_legal_guardian() -> Record {
    edited(|r| r["caregivers"][0]["legal_guardian"] = json!(false))
}

fn second_caregiver_is_legal_guardian() -> Record {
    edited(|r| {
        r["caregivers"][0]["legal_guardian"] = json!(false);
        add_caregiver(
            r,
            json!({
                "relationship": "FTH",
                "legal_guardian": true,
                "language": {"preferred": "es", "interpreter_needed": true}
            }),
        );
    })
}

// --- the caregiver's language ------------------------------------------------------------

fn caregiver_language(value: Value) -> Record {
    edited(|r| r["caregivers"][0]["language"] = value)
}

fn cg_language_absent() -> Record {
    edited(|r| remove(r, "/caregivers/0/language"))
}

fn cg_null(flavor: &str) -> Record {
    caregiver_language(json!({"null_flavor": flavor, "interpreter_needed": true}))
}

fn cg_unknown() -> Record {
    cg_null("UNK")
}

fn cg_not_asked() -> Record {
    cg_null("NASK")
}

fn cg_declined() -> Record {
    cg_null("ASKU")
}

fn cg_preferred(tag: &str, interpreter_needed: bool) -> Record {
    caregiver_language(json!({"preferred": tag, "interpreter_needed": interpreter_needed}))
}

fn cg_invalid_tag() -> Record {
    cg_preferred("Spanish language", true)
}

fn cg_deprecated() -> Record {
    cg_preferred("iw", true)
}

fn cg_hebrew() -> Record {
    cg_preferred("he", true)
}

fn cg_chinese() -> Record {
    cg_preferred("zh", true)
}

fn cg_mandarin() -> Record {
    cg_preferred("cmn", true)
}

fn cg_interpreter_absent() -> Record {
    caregiver_language(json!({"preferred": "es"}))
}

fn cg_english_with_interpreter() -> Record {
    cg_preferred("en", true)
}

fn cg_english_without_interpreter() -> Record {
    cg_preferred("en", false)
}

fn cg_spanish_without_interpreter() -> Record {
    cg_preferred("es", false)
}

fn cg_very_well_with_interpreter() -> Record {
    caregiver_language(json!({
        "preferred": "es", "interpreter_needed": true, "english_proficiency": "very_well"
    }))
}

fn cg_not_well_with_interpreter() -> Record {
    caregiver_language(json!({
        "preferred": "es", "interpreter_needed": true, "english_proficiency": "not_well"
    }))
}

fn cg_written_invalid() -> Record {
    caregiver_language(json!({"preferred": "es", "written": "es_419", "interpreter_needed": true}))
}

fn cg_written_valid() -> Record {
    caregiver_language(json!({"preferred": "es", "written": "es-419", "interpreter_needed": true}))
}

const CG: Domain = Domain::CaregiverLanguage;

/// Firing records and their silent neighbours, checked by the catalog-coverage test. The
/// language rules are catalogued under `language`/`interpreter`; they appear here a second
/// time because on a caregiver they must count against `caregiver_language`.
pub(super) const CASES: &[Case] = &[
    Case {
        rule: "CAREGIVER_MISSING",
        fires: no_caregivers,
        at: &["caregivers"],
        domain: Domain::Caregivers,
        neighbour: adult_without_caregivers,
        profile: Profile::phec_real,
    },
    Case {
        rule: "CAREGIVER_RELATIONSHIP_INVALID",
        fires: relationship_mom,
        at: &["caregivers[0].relationship"],
        domain: Domain::Caregivers,
        neighbour: relationship_guardian,
        profile: Profile::phec_real,
    },
    Case {
        rule: "CAREGIVER_RELATIONSHIP_MISSING",
        fires: relationship_absent,
        at: &["caregivers[0].relationship"],
        domain: Domain::Caregivers,
        neighbour: relationship_guardian,
        profile: Profile::phec_real,
    },
    Case {
        rule: "CAREGIVER_NO_LEGAL_GUARDIAN",
        fires: no_legal_guardian,
        at: &["caregivers"],
        domain: Domain::Caregivers,
        neighbour: second_caregiver_is_legal_guardian,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_MISSING",
        fires: cg_language_absent,
        at: &["caregivers[0].language.preferred"],
        domain: CG,
        neighbour: cg_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_UNKNOWN",
        fires: cg_unknown,
        at: &["caregivers[0].language.null_flavor"],
        domain: CG,
        neighbour: cg_not_asked,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_NOT_ASKED",
        fires: cg_not_asked,
        at: &["caregivers[0].language.null_flavor"],
        domain: CG,
        neighbour: cg_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_DECLINED",
        fires: cg_declined,
        at: &["caregivers[0].language.null_flavor"],
        domain: CG,
        neighbour: cg_unknown,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_CODE_INVALID",
        fires: cg_invalid_tag,
        at: &["caregivers[0].language.preferred"],
        domain: CG,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_CODE_DEPRECATED",
        fires: cg_deprecated,
        at: &["caregivers[0].language.preferred"],
        domain: CG,
        neighbour: cg_hebrew,
        profile: Profile::phec_real,
    },
    Case {
        rule: "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
        fires: cg_chinese,
        at: &["caregivers[0].language.preferred"],
        domain: CG,
        neighbour: cg_mandarin,
        profile: Profile::phec_real,
    },
    Case {
        rule: "INTERPRETER_NEED_MISSING",
        fires: cg_interpreter_absent,
        at: &["caregivers[0].language.interpreter_needed"],
        domain: CG,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "INTERPRETER_ENGLISH_CONFLICT",
        fires: cg_english_with_interpreter,
        at: &["caregivers[0].language.interpreter_needed"],
        domain: CG,
        neighbour: cg_english_without_interpreter,
        profile: Profile::phec_real,
    },
    Case {
        rule: "NON_ENGLISH_NO_INTERPRETER",
        fires: cg_spanish_without_interpreter,
        at: &["caregivers[0].language.interpreter_needed"],
        domain: CG,
        neighbour: cg_english_without_interpreter,
        profile: Profile::phec_real,
    },
    Case {
        rule: "ENGLISH_PROFICIENCY_CONFLICT",
        fires: cg_very_well_with_interpreter,
        at: &["caregivers[0].language.english_proficiency"],
        domain: CG,
        neighbour: cg_not_well_with_interpreter,
        profile: Profile::phec_real,
    },
    Case {
        rule: "WRITTEN_LANGUAGE_CODE_INVALID",
        fires: cg_written_invalid,
        at: &["caregivers[0].language.written"],
        domain: CG,
        neighbour: cg_written_valid,
        profile: Profile::phec_real,
    },
];

// --- who the caregivers are ------------------------------------------------------------------

#[test]
fn minor_without_caregivers_is_flagged() {
    assert_fires_at(&no_caregivers(), "CAREGIVER_MISSING", &["caregivers"]);
    let empty = edited(|r| r["caregivers"] = json!([]));
    assert_fires_at(&empty, "CAREGIVER_MISSING", &["caregivers"]);
    let null = edited(|r| r["caregivers"] = Value::Null);
    assert_fires_at(&null, "CAREGIVER_MISSING", &["caregivers"]);
}

#[test]
fn adult_without_caregivers_is_not_flagged() {
    assert_silent(&adult_without_caregivers(), "CAREGIVER_MISSING");
}

#[test]
fn seventeen_year_old_without_caregivers_is_still_a_minor() {
    let record = edited(|r| {
        r["birth_date"] = json!("2008-11-21");
        remove(r, "/caregivers");
    });
    assert_fires_at(&record, "CAREGIVER_MISSING", &["caregivers"]);
}

#[test]
fn patient_of_unknown_age_without_caregivers_is_treated_as_a_minor() {
    let record = edited(|r| {
        remove(r, "/birth_date");
        remove(r, "/caregivers");
    });
    assert_fires_at(&record, "CAREGIVER_MISSING", &["caregivers"]);
}

#[test]
fn minor_with_a_caregiver_is_not_flagged_as_missing_one() {
    assert_silent(&base(), "CAREGIVER_MISSING");
}

#[test]
fn relationship_outside_table_0063_is_an_error() {
    assert_fires_at(
        &relationship_mom(),
        "CAREGIVER_RELATIONSHIP_INVALID",
        &["caregivers[0].relationship"],
    );
}

#[test]
fn relationships_of_table_0063_are_valid_in_any_case() {
    for code in ["MTH", "FTH", "GRD", "CGV", "FCH", "mth"] {
        assert_silent(&relationship(code), "CAREGIVER_RELATIONSHIP_INVALID");
    }
}

#[test]
fn absent_relationship_is_missing_not_invalid() {
    for record in [relationship_absent(), relationship(""), relationship("  ")] {
        assert_silent(&record, "CAREGIVER_RELATIONSHIP_INVALID");
        assert_fires_at(
            &record,
            "CAREGIVER_RELATIONSHIP_MISSING",
            &["caregivers[0].relationship"],
        );
    }
}

#[test]
fn v3_role_codes_map_to_table_0063() {
    let profile = Profile::phec_real();
    for (code, target) in [
        ("PRN", "PAR"),
        ("GRMTH", "GRP"),
        ("NIECE", "EXF"),
        ("FTHFOST", "FTH"),
        ("C", "EMC"),
    ] {
        let outcome = outcome_under(&relationship(code), &profile);
        let rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.id).collect();
        assert!(
            !rules.contains(&"CAREGIVER_RELATIONSHIP_INVALID"),
            "{code}: {rules:?}"
        );
        assert!(
            outcome.findings.iter().any(|f| f.rule.id == "CODE_MAPPED"
                && f.message.contains(&format!("mapped to {target}"))),
            "{code}: {rules:?}"
        );
    }
}

#[test]
fn invalid_relationship_of_the_second_caregiver_points_at_it() {
    let record = edited(|r| {
        add_caregiver(
            r,
            json!({"relationship": "NEIGHBOUR", "legal_guardian": false}),
        );
    });
    assert_fires_at(
        &record,
        "CAREGIVER_RELATIONSHIP_INVALID",
        &["caregivers[1].relationship"],
    );
}

#[test]
fn caregivers_without_a_legal_guardian_are_flagged() {
    assert_fires_at(
        &no_legal_guardian(),
        "CAREGIVER_NO_LEGAL_GUARDIAN",
        &["caregivers"],
    );
    let unsaid = edited(|r| remove(r, "/caregivers/0/legal_guardian"));
    assert_fires_at(&unsaid, "CAREGIVER_NO_LEGAL_GUARDIAN", &["caregivers"]);
}

#[test]
fn one_legal_guardian_among_the_caregivers_is_enough() {
    assert_silent(
        &second_caregiver_is_legal_guardian(),
        "CAREGIVER_NO_LEGAL_GUARDIAN",
    );
    assert_silent(&base(), "CAREGIVER_NO_LEGAL_GUARDIAN");
}

#[test]
fn no_caregivers_is_not_also_flagged_as_no_legal_guardian() {
    assert_silent(&no_caregivers(), "CAREGIVER_NO_LEGAL_GUARDIAN");
}

#[test]
fn caregiver_race_codes_are_checked_and_count_against_caregivers() {
    let record = edited(|r| {
        r["caregivers"][0]["race"] = json!({"codes": [{"code": "2040-4"}, {"code": "2106-4"}]});
    });
    assert_fires_in(
        &record,
        "RACE_CODE_INVALID",
        &["caregivers[0].race.codes[1].code"],
        Domain::Caregivers,
    );
    assert_fires_in(
        &record,
        "RACE_DETAILED_WITHOUT_CATEGORY",
        &["caregivers[0].race.codes[0]"],
        Domain::Caregivers,
    );
}

#[test]
fn caregiver_race_and_ethnicity_are_never_required() {
    let record = edited(|r| {
        r["caregivers"][0]["race"] = json!({"null_flavor": "UNK"});
        r["caregivers"][0]["ethnicity"] = json!({"codes": []});
    });
    assert_eq!(rules_fired(&record), Vec::<&str>::new());
}

// --- the caregivers' language -----------------------------------------------------------------

#[test]
fn caregiver_language_rules_carry_domain_caregiver_language() {
    for case in CASES.iter().filter(|c| c.domain == CG) {
        let outcome = outcome(&(case.fires)());
        let on_caregiver: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| f.path.starts_with("caregivers[0].language"))
            .collect();
        assert!(!on_caregiver.is_empty(), "{} did not fire", case.rule);
        for finding in on_caregiver {
            assert_eq!(
                finding.domain,
                Domain::CaregiverLanguage,
                "{}@{}",
                finding.rule.id,
                finding.path
            );
        }
        // The patient's own language domains are left alone.
        for finding in &outcome.findings {
            assert!(
                finding.domain != Domain::Language && finding.domain != Domain::Interpreter,
                "{} counted against the patient: {:?}",
                case.rule,
                describe(&outcome)
            );
        }
    }
}

#[test]
fn every_language_rule_is_exercised_on_a_caregiver() {
    let on_caregiver: BTreeSet<&str> = CASES
        .iter()
        .filter(|c| c.domain == CG)
        .map(|c| c.rule)
        .collect();
    let language_rules: BTreeSet<&str> = catalog::ALL
        .iter()
        .filter(|r| matches!(r.domain, Domain::Language | Domain::Interpreter))
        // The deaf-patient rule has its own caregiver rule, in caregiver_language.
        .filter(|r| r.id != "DISABILITY_INTERPRETER_MISMATCH")
        .map(|r| r.id)
        .collect();
    assert_eq!(on_caregiver, language_rules);
}

#[test]
fn caregiver_without_a_language_is_flagged_at_the_caregiver() {
    assert_fires_in(
        &cg_language_absent(),
        "LANGUAGE_MISSING",
        &["caregivers[0].language.preferred"],
        CG,
    );
    assert_fires_in(
        &cg_language_absent(),
        "INTERPRETER_NEED_MISSING",
        &["caregivers[0].language.interpreter_needed"],
        CG,
    );
}

#[test]
fn invalid_language_of_the_second_caregiver_points_at_it() {
    let record = edited(|r| {
        add_caregiver(
            r,
            json!({
                "relationship": "FTH",
                "language": {"preferred": "klingon", "interpreter_needed": false}
            }),
        );
    });
    assert_fires_in(
        &record,
        "LANGUAGE_CODE_INVALID",
        &["caregivers[1].language.preferred"],
        CG,
    );
}

#[test]
fn caregiver_with_a_valid_language_is_not_flagged() {
    for rule in [
        "LANGUAGE_MISSING",
        "LANGUAGE_CODE_INVALID",
        "INTERPRETER_NEED_MISSING",
    ] {
        assert_silent(&base(), rule);
    }
}

#[test]
fn caregiver_language_findings_do_not_touch_the_patient_statuses() {
    let outcome = outcome(&cg_invalid_tag());
    assert_eq!(
        outcome.domains.get(Domain::Language),
        Some(DomainStatus::Complete)
    );
    assert_eq!(
        outcome.domains.get(Domain::Interpreter),
        Some(DomainStatus::Complete)
    );
    assert_eq!(
        outcome.domains.get(Domain::CaregiverLanguage),
        Some(DomainStatus::Invalid)
    );
}

#[test]
fn an_adults_next_of_kin_is_not_a_caregiver() {
    // 18 at collection, with a spouse recorded without a language or guardianship.
    let record = adult(|r| {
        r["caregivers"] = json!([{"relationship": "SPO"}]);
    });
    let verdict = outcome(&record);
    let at_caregivers: Vec<&str> = verdict
        .findings
        .iter()
        .filter(|f| f.path.starts_with("caregivers"))
        .map(|f| f.rule.id)
        .collect();
    assert!(at_caregivers.is_empty(), "{at_caregivers:?}");
    assert!(!verdict.required.contains(&Domain::Caregivers));
    assert!(!verdict.required.contains(&Domain::CaregiverLanguage));
    // The same caregiver of a minor is checked.
    let minor = edited(|r| r["caregivers"] = json!([{"relationship": "SPO"}]));
    let rules: Vec<&str> = outcome_of(&minor);
    assert!(rules.contains(&"LANGUAGE_MISSING"), "{rules:?}");
    assert!(rules.contains(&"CAREGIVER_NO_LEGAL_GUARDIAN"), "{rules:?}");
    assert!(outcome(&minor)
        .required
        .contains(&Domain::CaregiverLanguage));
}

fn outcome_of(record: &Record) -> Vec<&'static str> {
    outcome(record).findings.iter().map(|f| f.rule.id).collect()
}
