//! The optional PHEC domains: sogi, disability, sdoh.
//!
//! Their rules run on whatever data is sent; a domain gets a status only when the profile
//! requires it somewhere (and, for sogi, only from the profile's SOGI age), and its MISSING
//! rule fires only where the profile requires it for the record at hand.

use serde_json::json;

use super::*;
use crate::codesets::sogi::{is_sctid, NULL_FLAVOR, SNOMED};
use crate::profile::{Profile, RequiredDomains};

const LOINC: &str = "http://loinc.org";
/// Heterosexual state (US Core sexual orientation).
const HETEROSEXUAL: &str = "20430005";
/// Identifies as female gender (SNOMED CT).
const IDENTIFIES_AS_FEMALE: &str = "446141000124107";
/// she/her/her/hers/herself (HL7 pronouns).
const SHE_HER: &str = "LA29519-8";

// ---------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------

/// The base record made a 15-year-old (born 2011-03-01, collected 2026-11-20).
fn teen_json() -> Value {
    let mut json = base_json();
    json["birth_date"] = json!("2011-03-01");
    json
}

/// The 15-year-old with one edit.
fn teen_edited(edit: impl FnOnce(&mut Value)) -> Record {
    let mut json = teen_json();
    edit(&mut json);
    parse(&json)
}

fn teen() -> Record {
    parse(&teen_json())
}

/// A complete self-reported SOGI answer: orientation, identity and pronouns all coded.
fn sogi_complete() -> Value {
    json!({
        "sexual_orientation": {"codes": [{"code": HETEROSEXUAL, "system": SNOMED}]},
        "gender_identity": {"codes": [{"code": IDENTIFIES_AS_FEMALE, "system": SNOMED}]},
        "pronouns": {"codes": [{"code": SHE_HER, "system": LOINC}]},
        "reported_by": "self"
    })
}

/// A screening done on the day of the record, no need found.
fn sdoh_current() -> Value {
    json!({"screened_on": "2026-11-20", "positive": []})
}

fn teen_with_sogi() -> Record {
    teen_edited(|r| r["sogi"] = sogi_complete())
}

fn teen_with_sogi_edit(edit: impl FnOnce(&mut Value)) -> Record {
    teen_edited(|r| {
        let mut sogi = sogi_complete();
        edit(&mut sogi);
        r["sogi"] = sogi;
    })
}

fn sogi_orientation_declined() -> Record {
    teen_edited(|r| r["sogi"] = json!({"sexual_orientation": {"null_flavor": "ASKU"}}))
}

fn sogi_orientation_unknown() -> Record {
    teen_edited(|r| r["sogi"] = json!({"sexual_orientation": {"null_flavor": "UNK"}}))
}

fn sogi_identity_unknown() -> Record {
    teen_edited(|r| r["sogi"] = json!({"gender_identity": {"null_flavor": "UNK"}}))
}

fn sogi_identity_declined() -> Record {
    teen_edited(|r| r["sogi"] = json!({"gender_identity": {"null_flavor": "ASKU"}}))
}

fn sogi_pronouns_not_asked() -> Record {
    teen_with_sogi_edit(|s| s["pronouns"] = json!({"null_flavor": "NASK"}))
}

fn sogi_orientation_bad_check_digit() -> Record {
    teen_with_sogi_edit(|s| {
        s["sexual_orientation"]["codes"][0]["code"] = json!("20430004");
    })
}

fn child_with_sogi() -> Record {
    edited(|r| r["sogi"] = json!({"sexual_orientation": {"codes": [{"code": HETEROSEXUAL}]}}))
}

fn teen_with_orientation_only() -> Record {
    teen_edited(|r| r["sogi"] = json!({"sexual_orientation": {"codes": [{"code": HETEROSEXUAL}]}}))
}

fn sogi_by_caregiver() -> Record {
    teen_with_sogi_edit(|s| s["reported_by"] = json!("caregiver"))
}

fn with_disability(disability: Value) -> Record {
    edited(|r| r["disability"] = disability)
}

fn disability_no_limitation() -> Record {
    with_disability(json!({"hearing": false}))
}

fn disability_declined() -> Record {
    with_disability(json!({"null_flavor": "ASKU"}))
}

fn disability_unknown() -> Record {
    with_disability(json!({"null_flavor": "UNK"}))
}

fn disability_not_asked() -> Record {
    with_disability(json!({"null_flavor": "NASK"}))
}

fn disability_answered_and_not_asked() -> Record {
    with_disability(json!({"vision": false, "null_flavor": "NASK"}))
}

/// A deaf patient with Spanish and an interpreter.
fn deaf_patient_spanish() -> Record {
    with_disability(json!({"hearing": true}))
}

/// A deaf patient with American Sign Language and an interpreter.
fn deaf_patient_asl() -> Record {
    edited(|r| {
        r["disability"] = json!({"hearing": true});
        r["language"]["preferred"] = json!("ase");
    })
}

/// A deaf mother with Spanish and an interpreter.
fn deaf_caregiver_spanish() -> Record {
    edited(|r| r["caregivers"][0]["disability"] = json!({"hearing": true}))
}

/// A deaf mother with American Sign Language and an interpreter.
fn deaf_caregiver_asl() -> Record {
    edited(|r| {
        r["caregivers"][0]["disability"] = json!({"hearing": true});
        r["caregivers"][0]["language"]["preferred"] = json!("ase");
    })
}

fn with_sdoh(sdoh: Value) -> Record {
    edited(|r| r["sdoh"] = sdoh)
}

fn sdoh_screened_today() -> Record {
    with_sdoh(sdoh_current())
}

fn sdoh_declined() -> Record {
    with_sdoh(json!({"null_flavor": "ASKU"}))
}

fn sdoh_not_asked() -> Record {
    with_sdoh(json!({"null_flavor": "NASK"}))
}

fn sdoh_positive_undated() -> Record {
    with_sdoh(json!({"positive": ["food_insecurity"]}))
}

fn sdoh_positive_dated() -> Record {
    with_sdoh(json!({"screened_on": "2026-11-01", "positive": ["food_insecurity"]}))
}

fn sdoh_screened_tomorrow() -> Record {
    with_sdoh(json!({"screened_on": "2026-11-21", "positive": []}))
}

/// Screened 2025-10-20: 13 months before the record.
fn sdoh_thirteen_months_old() -> Record {
    with_sdoh(json!({"screened_on": "2025-10-20", "positive": []}))
}

/// Screened 2025-11-20: exactly 12 months before the record, still current.
fn sdoh_twelve_months_old() -> Record {
    with_sdoh(json!({"screened_on": "2025-11-20", "positive": []}))
}

// ---------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------

/// The default profile, additionally requiring `extra` for every patient.
fn requiring(extra: &[Domain]) -> Profile {
    let default = Profile::phec_real();
    let mut all = default.required_domains.all.clone();
    all.extend_from_slice(extra);
    Profile {
        required_domains: RequiredDomains {
            all,
            minors: default.required_domains.minors.clone(),
        },
        ..default
    }
}

fn sogi_required() -> Profile {
    requiring(&[Domain::Sogi])
}

fn disability_required() -> Profile {
    requiring(&[Domain::Disability])
}

fn sdoh_required() -> Profile {
    requiring(&[Domain::Sdoh])
}

fn all_optional_required() -> Profile {
    requiring(&Domain::OPTIONAL_DOMAINS)
}

/// The default profile document with one edit, parsed like a loaded profile.
fn profile_document(edit: impl FnOnce(&mut Value)) -> Profile {
    let mut document: Value = serde_json::to_value(Profile::phec_real()).unwrap();
    edit(&mut document);
    Profile::from_json(&document.to_string()).expect("a valid profile")
}

// ---------------------------------------------------------------------------------------
// One case per rule
// ---------------------------------------------------------------------------------------

pub(super) const CASES: &[Case] = &[
    // SOGI
    Case {
        rule: "SOGI_MISSING",
        fires: teen,
        at: &["sogi"],
        domain: Domain::Sogi,
        neighbour: teen_with_sogi,
        profile: sogi_required,
    },
    Case {
        rule: "SOGI_DECLINED",
        fires: sogi_orientation_declined,
        at: &["sogi.sexual_orientation.null_flavor"],
        domain: Domain::Sogi,
        neighbour: sogi_orientation_unknown,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SOGI_UNKNOWN",
        fires: sogi_identity_unknown,
        at: &["sogi.gender_identity.null_flavor"],
        domain: Domain::Sogi,
        neighbour: sogi_identity_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SOGI_NOT_ASKED",
        fires: sogi_pronouns_not_asked,
        at: &["sogi.pronouns.null_flavor"],
        domain: Domain::Sogi,
        neighbour: teen_with_sogi,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SOGI_CODE_INVALID",
        fires: sogi_orientation_bad_check_digit,
        at: &["sogi.sexual_orientation.codes[0].code"],
        domain: Domain::Sogi,
        neighbour: teen_with_sogi,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SOGI_UNDER_AGE",
        fires: child_with_sogi,
        at: &["sogi"],
        domain: Domain::Sogi,
        neighbour: teen_with_orientation_only,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SOGI_REPORTED_BY_PROXY",
        fires: sogi_by_caregiver,
        at: &["sogi.reported_by"],
        domain: Domain::Sogi,
        neighbour: teen_with_sogi,
        profile: Profile::phec_real,
    },
    // Disability
    Case {
        rule: "DISABILITY_MISSING",
        fires: base,
        at: &["disability"],
        domain: Domain::Disability,
        neighbour: disability_no_limitation,
        profile: disability_required,
    },
    Case {
        rule: "DISABILITY_DECLINED",
        fires: disability_declined,
        at: &["disability.null_flavor"],
        domain: Domain::Disability,
        neighbour: disability_unknown,
        profile: Profile::phec_real,
    },
    Case {
        rule: "DISABILITY_UNKNOWN",
        fires: disability_unknown,
        at: &["disability.null_flavor"],
        domain: Domain::Disability,
        neighbour: disability_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "DISABILITY_NOT_ASKED",
        fires: disability_not_asked,
        at: &["disability.null_flavor"],
        domain: Domain::Disability,
        neighbour: disability_answered_and_not_asked,
        profile: Profile::phec_real,
    },
    Case {
        rule: "DISABILITY_INTERPRETER_MISMATCH",
        fires: deaf_patient_spanish,
        at: &["disability.hearing"],
        domain: Domain::Interpreter,
        neighbour: deaf_patient_asl,
        profile: Profile::phec_real,
    },
    Case {
        rule: "CAREGIVER_DISABILITY_INTERPRETER_MISMATCH",
        fires: deaf_caregiver_spanish,
        at: &["caregivers[0].disability.hearing"],
        domain: Domain::CaregiverLanguage,
        neighbour: deaf_caregiver_asl,
        profile: Profile::phec_real,
    },
    // Social-needs screening
    Case {
        rule: "SDOH_MISSING",
        fires: base,
        at: &["sdoh"],
        domain: Domain::Sdoh,
        neighbour: sdoh_screened_today,
        profile: sdoh_required,
    },
    Case {
        rule: "SDOH_DECLINED",
        fires: sdoh_declined,
        at: &["sdoh.null_flavor"],
        domain: Domain::Sdoh,
        neighbour: sdoh_not_asked,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SDOH_NOT_ASKED",
        fires: sdoh_not_asked,
        at: &["sdoh.null_flavor"],
        domain: Domain::Sdoh,
        neighbour: sdoh_declined,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SDOH_SCREENING_DATE_MISSING",
        fires: sdoh_positive_undated,
        at: &["sdoh.screened_on"],
        domain: Domain::Sdoh,
        neighbour: sdoh_positive_dated,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SDOH_SCREENING_DATE_INVALID",
        fires: sdoh_screened_tomorrow,
        at: &["sdoh.screened_on"],
        domain: Domain::Sdoh,
        neighbour: sdoh_screened_today,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SDOH_SCREENING_STALE",
        fires: sdoh_thirteen_months_old,
        at: &["sdoh.screened_on"],
        domain: Domain::Sdoh,
        neighbour: sdoh_twelve_months_old,
        profile: Profile::phec_real,
    },
];

// ---------------------------------------------------------------------------------------
// Behaviour
// ---------------------------------------------------------------------------------------

/// The domains an outcome reports a status for, in order.
fn reported(outcome: &Verdict) -> Vec<Domain> {
    outcome.domains.0.iter().map(|(d, _)| *d).collect()
}

/// The rule IDs of an outcome that belong to the optional domains' rules.
fn optional_rules(outcome: &Verdict) -> Vec<&'static str> {
    let ids: BTreeSet<&str> = CASES.iter().map(|c| c.rule).collect();
    outcome
        .findings
        .iter()
        .map(|f| f.rule.id)
        .filter(|id| ids.contains(id))
        .collect()
}

#[test]
fn the_cases_cover_the_nineteen_optional_rules_once_each() {
    let ids: BTreeSet<&str> = CASES.iter().map(|c| c.rule).collect();
    assert_eq!(ids.len(), 19);
    assert_eq!(CASES.len(), 19);
    for case in CASES {
        let rule = catalog::by_id(case.rule).expect("catalogued");
        assert_eq!(rule.domain, case.domain, "{}", case.rule);
    }
}

#[test]
fn the_test_codes_are_what_they_claim() {
    for code in [HETEROSEXUAL, IDENTIFIES_AS_FEMALE] {
        assert!(is_sctid(code), "{code}");
    }
    let codes = CodeSets::get();
    assert!(codes
        .sogi
        .sexual_orientation
        .contains(Some(SNOMED), HETEROSEXUAL));
    assert!(codes.sogi.pronouns.contains(Some(LOINC), SHE_HER));
    assert!(!is_sctid("20430004"));
    assert_eq!(
        outcome(&teen()).domains,
        outcome(&base()).domains,
        "the teen differs from the base only in age"
    );
}

#[test]
fn optional_domains_have_no_status_under_the_default_profile_even_with_data() {
    let profile = Profile::phec_real();
    for domain in Domain::OPTIONAL_DOMAINS {
        assert!(!profile.requires_anywhere(domain), "{}", domain.as_str());
    }
    let complete = teen_edited(|r| {
        r["sogi"] = sogi_complete();
        r["disability"] = json!({"hearing": false, "vision": false});
        r["sdoh"] = sdoh_current();
    });
    let nulls = teen_edited(|r| {
        r["sogi"] = json!({"sexual_orientation": {"null_flavor": "UNK"}});
        r["disability"] = json!({"null_flavor": "NASK"});
        r["sdoh"] = json!({"null_flavor": "NASK"});
    });
    for record in [teen(), base(), complete, nulls.clone()] {
        let outcome = outcome(&record);
        assert_eq!(reported(&outcome), Domain::STATUS_DOMAINS);
        assert_eq!(outcome.domains.get(Domain::Sogi), None);
        assert_eq!(outcome.domains.get(Domain::Disability), None);
        assert_eq!(outcome.domains.get(Domain::Sdoh), None);
        assert_eq!(
            outcome.status,
            RecordStatus::Complete,
            "{:?}",
            describe(&outcome)
        );
        assert!(outcome.real_complete);
        for rule in ["SOGI_MISSING", "DISABILITY_MISSING", "SDOH_MISSING"] {
            assert_silent(&record, rule);
        }
    }
    // The rules still run on the data that is sent.
    assert_eq!(
        optional_rules(&outcome(&nulls)),
        ["SOGI_UNKNOWN", "DISABILITY_NOT_ASKED", "SDOH_NOT_ASKED"]
    );
}

#[test]
fn the_status_of_a_required_optional_domain_follows_the_core_domains() {
    let profile = all_optional_required();
    let record = teen_edited(|r| {
        r["sogi"] = sogi_complete();
        r["disability"] = json!({"hearing": false});
        r["sdoh"] = sdoh_current();
    });
    let outcome = outcome_under(&record, &profile);
    let mut expected = Domain::STATUS_DOMAINS.to_vec();
    expected.extend(Domain::OPTIONAL_DOMAINS);
    assert_eq!(reported(&outcome), expected);
    for (domain, status) in &outcome.domains.0 {
        assert_eq!(*status, DomainStatus::Complete, "{}", domain.as_str());
    }
    assert_eq!(outcome.status, RecordStatus::Complete);
    assert!(outcome.real_complete);
    assert_eq!(optional_rules(&outcome), Vec::<&str>::new());
}

#[test]
fn a_required_sogi_gives_a_teen_a_status_and_a_child_none() {
    let profile = sogi_required();
    assert!(profile.requires_anywhere(Domain::Sogi));

    let teen = outcome_under(&teen(), &profile);
    assert_eq!(teen.domains.get(Domain::Sogi), Some(DomainStatus::Missing));
    assert_eq!(teen.status, RecordStatus::Incomplete);
    assert!(teen.real_complete);
    assert_fires_under(
        &self::teen(),
        &profile,
        "SOGI_MISSING",
        &["sogi"],
        Domain::Sogi,
    );

    let answered = outcome_under(&teen_with_sogi(), &profile);
    assert_eq!(
        answered.domains.get(Domain::Sogi),
        Some(DomainStatus::Complete)
    );
    assert_eq!(answered.status, RecordStatus::Complete);

    // The 7-year-old: below the SOGI age, no status, no finding, and still complete.
    let child = outcome_under(&base(), &profile);
    assert_eq!(child.domains.get(Domain::Sogi), None);
    assert_eq!(reported(&child), Domain::STATUS_DOMAINS);
    assert_eq!(child.status, RecordStatus::Complete);
    assert!(child.real_complete);
    assert_silent_under(&base(), &profile, "SOGI_MISSING");
}

#[test]
fn the_sogi_age_is_reached_on_the_twelfth_birthday() {
    let profile = sogi_required();
    // Collected 2026-11-20: born 2014-11-20 is 12 that day, born 2014-11-21 is still 11.
    let twelve = edited(|r| r["birth_date"] = json!("2014-11-20"));
    let eleven = edited(|r| r["birth_date"] = json!("2014-11-21"));
    assert_eq!(
        outcome_under(&twelve, &profile).domains.get(Domain::Sogi),
        Some(DomainStatus::Missing)
    );
    assert_fires_under(&twelve, &profile, "SOGI_MISSING", &["sogi"], Domain::Sogi);
    assert_eq!(
        outcome_under(&eleven, &profile).domains.get(Domain::Sogi),
        None
    );
    assert_silent_under(&eleven, &profile, "SOGI_MISSING");
    assert_eq!(
        outcome_under(&eleven, &profile).status,
        RecordStatus::Complete
    );
}

#[test]
fn without_a_birth_date_sogi_has_no_status_and_no_age_findings() {
    let profile = sogi_required();
    let unknown_age = teen_edited(|r| {
        remove(r, "/birth_date");
        r["sogi"] = sogi_complete();
    });
    let outcome = outcome_under(&unknown_age, &profile);
    assert_eq!(outcome.domains.get(Domain::Sogi), None);
    assert_silent_under(&unknown_age, &profile, "SOGI_UNDER_AGE");
    assert_silent_under(&without("/birth_date"), &profile, "SOGI_MISSING");
}

#[test]
fn a_missing_required_optional_domain_makes_the_record_incomplete_not_real_incomplete() {
    for (profile, domain, rule) in [
        (sogi_required(), Domain::Sogi, "SOGI_MISSING"),
        (
            disability_required(),
            Domain::Disability,
            "DISABILITY_MISSING",
        ),
        (sdoh_required(), Domain::Sdoh, "SDOH_MISSING"),
    ] {
        let outcome = outcome_under(&teen(), &profile);
        assert_eq!(outcome.domains.get(domain), Some(DomainStatus::Missing));
        assert_eq!(outcome.status, RecordStatus::Incomplete, "{rule}");
        assert!(outcome.real_complete, "{rule}");
        for core in Domain::STATUS_DOMAINS {
            assert_eq!(outcome.domains.get(core), Some(DomainStatus::Complete));
        }
        assert_eq!(optional_rules(&outcome), [rule]);
        let finding = outcome.findings.iter().find(|f| f.rule.id == rule).unwrap();
        assert_eq!(finding.severity, Severity::Warning);
        assert_eq!(finding.domain, domain);
    }
}

#[test]
fn a_required_optional_domain_is_judged_by_its_null_value() {
    let profile = all_optional_required();
    let cases = [
        ("ASKU", DomainStatus::Declined, RecordStatus::Complete),
        ("UNK", DomainStatus::Unknown, RecordStatus::Incomplete),
        ("NASK", DomainStatus::NotAsked, RecordStatus::Incomplete),
    ];
    for (flavor, status, record_status) in cases {
        let record = teen_edited(|r| {
            r["sogi"] = json!({
                "sexual_orientation": {"null_flavor": flavor},
                "gender_identity": {"null_flavor": flavor}
            });
            r["disability"] = json!({"null_flavor": flavor});
            r["sdoh"] = json!({"null_flavor": flavor});
        });
        let outcome = outcome_under(&record, &profile);
        assert_eq!(outcome.domains.get(Domain::Sogi), Some(status), "{flavor}");
        assert_eq!(outcome.domains.get(Domain::Disability), Some(status));
        assert_eq!(outcome.domains.get(Domain::Sdoh), Some(status));
        assert_eq!(outcome.status, record_status, "{flavor}");
        assert!(outcome.real_complete, "{flavor}");
        for rule in ["SOGI_MISSING", "DISABILITY_MISSING", "SDOH_MISSING"] {
            assert_silent_under(&record, &profile, rule);
        }
    }
}

#[test]
fn an_error_in_an_optional_domain_makes_it_and_the_record_invalid() {
    let profile = sogi_required();
    let record = sogi_orientation_bad_check_digit();
    let outcome = outcome_under(&record, &profile);
    assert_eq!(
        outcome.domains.get(Domain::Sogi),
        Some(DomainStatus::Invalid)
    );
    for core in Domain::STATUS_DOMAINS {
        assert_eq!(outcome.domains.get(core), Some(DomainStatus::Complete));
    }
    assert_eq!(outcome.status, RecordStatus::Invalid);
    assert!(!outcome.real_complete, "an error finding anywhere");
    let finding = outcome
        .findings
        .iter()
        .find(|f| f.rule.id == "SOGI_CODE_INVALID")
        .expect("SOGI_CODE_INVALID");
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(finding.domain, Domain::Sogi);

    // Under the default profile the rule still runs: no sogi status, but an invalid record.
    let default = self::outcome(&record);
    assert_eq!(default.domains.get(Domain::Sogi), None);
    assert_eq!(default.status, RecordStatus::Invalid);

    // The same for a screening dated after the record.
    let sdoh = outcome_under(&sdoh_screened_tomorrow(), &sdoh_required());
    assert_eq!(sdoh.domains.get(Domain::Sdoh), Some(DomainStatus::Invalid));
    assert_eq!(sdoh.status, RecordStatus::Invalid);
}

#[test]
fn sogi_codes_are_checked_per_question() {
    let record = teen_edited(|r| {
        r["sogi"] = json!({
            "sexual_orientation": {"codes": [
                {"code": HETEROSEXUAL, "system": SNOMED},
                {"code": "OTH", "system": NULL_FLAVOR},
                {"code": "UNK", "system": SNOMED}
            ]},
            "gender_identity": {"codes": [
                {"code": IDENTIFIES_AS_FEMALE},
                {"code": "446141000124108", "system": SNOMED},
                {"code": "OTH", "system": NULL_FLAVOR}
            ]},
            "pronouns": {"codes": [
                {"code": "LA29518-0", "system": LOINC},
                {"code": "LA29520-6"},
                {"code": "LA29518-0", "system": SNOMED},
                {"code": "LA12345-6", "system": LOINC}
            ]},
            "reported_by": "self"
        });
    });
    assert_fires_at(
        &record,
        "SOGI_CODE_INVALID",
        &[
            "sogi.sexual_orientation.codes[2].code",
            "sogi.gender_identity.codes[1].code",
            "sogi.pronouns.codes[2].code",
            "sogi.pronouns.codes[3].code",
        ],
    );
    // A sexual orientation code is not a gender identity answer's only valid form: any
    // well-formed SNOMED CT identifier is accepted there.
    let orientation_as_identity = teen_with_sogi_edit(|s| {
        s["gender_identity"]["codes"][0]["code"] = json!(HETEROSEXUAL);
    });
    assert_silent(&orientation_as_identity, "SOGI_CODE_INVALID");
    // A gender identity code is not in the sexual orientation value set.
    let identity_as_orientation = teen_with_sogi_edit(|s| {
        s["sexual_orientation"]["codes"][0]["code"] = json!(IDENTIFIES_AS_FEMALE);
    });
    assert_fires_at(
        &identity_as_orientation,
        "SOGI_CODE_INVALID",
        &["sogi.sexual_orientation.codes[0].code"],
    );
}

#[test]
fn unk_and_asku_sent_as_codes_count_as_unknown_and_declined() {
    let profile = sogi_required();
    let as_codes = |code: &'static str| {
        teen_edited(move |r| {
            r["sogi"] = json!({
                "sexual_orientation": {"codes": [{"code": code, "system": NULL_FLAVOR}]},
                "gender_identity": {"codes": [{"code": code, "system": NULL_FLAVOR}]}
            });
        })
    };
    let unknown = as_codes("UNK");
    assert_fires_under(
        &unknown,
        &profile,
        "SOGI_UNKNOWN",
        &[
            "sogi.sexual_orientation.codes[0]",
            "sogi.gender_identity.codes[0]",
        ],
        Domain::Sogi,
    );
    assert_silent_under(&unknown, &profile, "SOGI_CODE_INVALID");
    assert_silent_under(&unknown, &profile, "SOGI_MISSING");
    let outcome = outcome_under(&unknown, &profile);
    assert_eq!(
        outcome.domains.get(Domain::Sogi),
        Some(DomainStatus::Unknown)
    );
    assert_eq!(outcome.status, RecordStatus::Incomplete);

    let declined = as_codes("ASKU");
    assert_fires_under(
        &declined,
        &profile,
        "SOGI_DECLINED",
        &[
            "sogi.sexual_orientation.codes[0]",
            "sogi.gender_identity.codes[0]",
        ],
        Domain::Sogi,
    );
    assert_silent_under(&declined, &profile, "SOGI_CODE_INVALID");
    let outcome = outcome_under(&declined, &profile);
    assert_eq!(
        outcome.domains.get(Domain::Sogi),
        Some(DomainStatus::Declined)
    );
    assert_eq!(outcome.status, RecordStatus::Complete);

    // Without a system they are read the same way.
    let no_system = teen_edited(|r| {
        r["sogi"] = json!({
            "sexual_orientation": {"codes": [{"code": "ASKU"}]},
            "gender_identity": {"null_flavor": "ASKU"}
        });
    });
    assert_fires_under(
        &no_system,
        &profile,
        "SOGI_DECLINED",
        &[
            "sogi.sexual_orientation.codes[0]",
            "sogi.gender_identity.null_flavor",
        ],
        Domain::Sogi,
    );
    assert_eq!(
        outcome_under(&no_system, &profile)
            .domains
            .get(Domain::Sogi),
        Some(DomainStatus::Declined)
    );

    // OTH is an answer, not a null value.
    let other = teen_with_sogi_edit(|s| {
        s["sexual_orientation"]["codes"][0] = json!({"code": "OTH", "system": NULL_FLAVOR});
    });
    let outcome = outcome_under(&other, &profile);
    assert_eq!(
        outcome.domains.get(Domain::Sogi),
        Some(DomainStatus::Complete)
    );
    assert_eq!(optional_rules(&outcome), Vec::<&str>::new());
}

#[test]
fn the_sogi_status_is_the_worse_of_orientation_and_identity() {
    let profile = sogi_required();
    let record = teen_edited(|r| {
        r["sogi"] = json!({
            "sexual_orientation": {"null_flavor": "ASKU"},
            "gender_identity": {"null_flavor": "NASK"}
        });
    });
    let outcome = outcome_under(&record, &profile);
    assert_eq!(
        outcome.domains.get(Domain::Sogi),
        Some(DomainStatus::NotAsked)
    );
    assert_eq!(outcome.status, RecordStatus::Incomplete);
    assert_eq!(
        optional_rules(&outcome),
        ["SOGI_DECLINED", "SOGI_NOT_ASKED"]
    );
    // Pronouns do not count toward the status.
    let no_pronouns = teen_with_sogi_edit(|s| {
        s.as_object_mut().unwrap().remove("pronouns");
    });
    let outcome = outcome_under(&no_pronouns, &profile);
    assert_eq!(
        outcome.domains.get(Domain::Sogi),
        Some(DomainStatus::Complete)
    );
    assert_silent_under(&no_pronouns, &profile, "SOGI_MISSING");
}

#[test]
fn sogi_is_self_report_only() {
    assert_fires_at(
        &teen_with_sogi_edit(|s| s["reported_by"] = json!("staff_observed")),
        "SOGI_REPORTED_BY_PROXY",
        &["sogi.reported_by"],
    );
    for reporter in ["self", "unknown"] {
        assert_silent(
            &teen_with_sogi_edit(|s| s["reported_by"] = json!(reporter)),
            "SOGI_REPORTED_BY_PROXY",
        );
    }
    assert_silent(
        &teen_with_sogi_edit(|s| {
            s.as_object_mut().unwrap().remove("reported_by");
        }),
        "SOGI_REPORTED_BY_PROXY",
    );
    // A caregiver reporting that the adolescent declined gives no answer by proxy.
    let declined_via_parent = teen_edited(|r| {
        r["sogi"] = json!({
            "sexual_orientation": {"null_flavor": "ASKU"},
            "reported_by": "caregiver"
        });
    });
    assert_silent(&declined_via_parent, "SOGI_REPORTED_BY_PROXY");
}

#[test]
fn sogi_min_age_moves_the_sogi_age() {
    let sixteen = Profile {
        sogi_min_age: 16,
        ..sogi_required()
    };
    // The 15-year-old is now under age: recording SOGI fires, not recording it does not.
    assert_fires_under(
        &teen_with_sogi(),
        &sixteen,
        "SOGI_UNDER_AGE",
        &["sogi"],
        Domain::Sogi,
    );
    assert!(findings_of(&teen_with_sogi(), "SOGI_UNDER_AGE").is_empty());
    let message = &outcome_under(&teen_with_sogi(), &sixteen)
        .findings
        .into_iter()
        .find(|f| f.rule.id == "SOGI_UNDER_AGE")
        .unwrap()
        .message;
    assert!(message.contains("16"), "{message}");
    assert_silent_under(&teen(), &sixteen, "SOGI_MISSING");
    assert_eq!(
        outcome_under(&teen(), &sixteen).domains.get(Domain::Sogi),
        None
    );
    assert_eq!(
        outcome_under(&teen(), &sixteen).status,
        RecordStatus::Complete
    );

    // Lowered to 7, the base child is of age.
    let seven = Profile {
        sogi_min_age: 7,
        ..sogi_required()
    };
    assert_silent_under(&child_with_sogi(), &seven, "SOGI_UNDER_AGE");
    assert_fires_under(&base(), &seven, "SOGI_MISSING", &["sogi"], Domain::Sogi);

    // The knob is read from a profile document, and defaults to 12.
    assert_eq!(Profile::phec_real().sogi_min_age, 12);
    let loaded = profile_document(|d| d["sogi_min_age"] = json!(16));
    assert_eq!(loaded.sogi_min_age, 16);
    assert_fires_under(
        &teen_with_sogi(),
        &loaded,
        "SOGI_UNDER_AGE",
        &["sogi"],
        Domain::Sogi,
    );
    let defaulted = profile_document(|d| {
        d.as_object_mut().unwrap().remove("sogi_min_age");
    });
    assert_eq!(defaulted.sogi_min_age, 12);
}

#[test]
fn sdoh_rescreen_months_moves_the_stale_threshold() {
    let two_years = Profile {
        sdoh_rescreen_months: 24,
        ..Profile::phec_real()
    };
    assert_silent_under(
        &sdoh_thirteen_months_old(),
        &two_years,
        "SDOH_SCREENING_STALE",
    );
    let old = with_sdoh(json!({"screened_on": "2024-11-19", "positive": []}));
    assert_fires_under(
        &old,
        &two_years,
        "SDOH_SCREENING_STALE",
        &["sdoh.screened_on"],
        Domain::Sdoh,
    );
    let message = &findings_of(&sdoh_thirteen_months_old(), "SDOH_SCREENING_STALE")[0].message;
    assert!(message.contains("12 months"), "{message}");

    let six_months = profile_document(|d| d["sdoh_rescreen_months"] = json!(6));
    assert_eq!(six_months.sdoh_rescreen_months, 6);
    let seven_months_old = with_sdoh(json!({"screened_on": "2026-04-19", "positive": []}));
    assert_fires_under(
        &seven_months_old,
        &six_months,
        "SDOH_SCREENING_STALE",
        &["sdoh.screened_on"],
        Domain::Sdoh,
    );
    assert_silent(&seven_months_old, "SDOH_SCREENING_STALE");
    assert_eq!(Profile::phec_real().sdoh_rescreen_months, 12);

    // Stale is info: the screening still counts as complete.
    let outcome = outcome_under(&sdoh_thirteen_months_old(), &sdoh_required());
    assert_eq!(
        outcome.domains.get(Domain::Sdoh),
        Some(DomainStatus::Complete)
    );
    assert_eq!(outcome.status, RecordStatus::Complete);
}

#[test]
fn sdoh_dates_are_checked_for_shape_and_order() {
    for bad in ["20/11/2026", "2026-02-30", "yesterday", "2026-11-21"] {
        let record = with_sdoh(json!({"screened_on": bad, "positive": []}));
        assert_fires_at(
            &record,
            "SDOH_SCREENING_DATE_INVALID",
            &["sdoh.screened_on"],
        );
        assert_silent(&record, "SDOH_SCREENING_STALE");
    }
    // A date with no findings is a screening that found nothing: no finding at all.
    let screened_only = with_sdoh(json!({"screened_on": "2026-11-01"}));
    assert_eq!(optional_rules(&outcome(&screened_only)), Vec::<&str>::new());
    // An empty findings list is still findings without a date.
    assert_fires_at(
        &with_sdoh(json!({"positive": []})),
        "SDOH_SCREENING_DATE_MISSING",
        &["sdoh.screened_on"],
    );
    // A blank date is no date.
    assert_fires_at(
        &with_sdoh(json!({"screened_on": "  ", "positive": ["housing_instability"]})),
        "SDOH_SCREENING_DATE_MISSING",
        &["sdoh.screened_on"],
    );
}

#[test]
fn an_unknown_screening_is_reported_as_not_done() {
    let unknown = with_sdoh(json!({"null_flavor": "UNK"}));
    assert_fires_at(&unknown, "SDOH_NOT_ASKED", &["sdoh.null_flavor"]);
    let outcome = outcome_under(&unknown, &sdoh_required());
    assert_eq!(
        outcome.domains.get(Domain::Sdoh),
        Some(DomainStatus::Unknown)
    );
    assert_eq!(outcome.status, RecordStatus::Incomplete);
}

#[test]
fn an_empty_optional_answer_is_missing_where_required() {
    let record = teen_edited(|r| {
        r["sogi"] = json!({});
        r["disability"] = json!({});
        r["sdoh"] = json!({});
    });
    let profile = all_optional_required();
    let outcome = outcome_under(&record, &profile);
    assert_eq!(
        optional_rules(&outcome),
        ["SOGI_MISSING", "DISABILITY_MISSING", "SDOH_MISSING"]
    );
    for domain in Domain::OPTIONAL_DOMAINS {
        assert_eq!(outcome.domains.get(domain), Some(DomainStatus::Missing));
    }
    // Not required: empty answers are no finding.
    assert_eq!(optional_rules(&self::outcome(&record)), Vec::<&str>::new());
}

#[test]
fn a_per_unit_requirement_fires_sdoh_missing_only_in_that_unit() {
    let default = Profile::phec_real();
    let mut ed = default.required_domains.clone();
    ed.all.push(Domain::Sdoh);
    let profile = Profile {
        required_domains_by_unit: [("ED".to_string(), ed)].into(),
        ..default
    };
    assert!(profile.requires_anywhere(Domain::Sdoh));

    let in_ed = edited(|r| r["unit"] = json!("ED"));
    assert_fires_under(&in_ed, &profile, "SDOH_MISSING", &["sdoh"], Domain::Sdoh);
    let ed_outcome = outcome_under(&in_ed, &profile);
    assert_eq!(
        ed_outcome.domains.get(Domain::Sdoh),
        Some(DomainStatus::Missing)
    );
    assert_eq!(ed_outcome.status, RecordStatus::Incomplete);
    assert!(ed_outcome.real_complete);

    // PEDS: the domain has a status (it is required somewhere) but is not required here.
    assert_silent_under(&base(), &profile, "SDOH_MISSING");
    let peds = outcome_under(&base(), &profile);
    assert_eq!(peds.domains.get(Domain::Sdoh), Some(DomainStatus::Missing));
    assert_eq!(peds.status, RecordStatus::Complete);
    assert_eq!(peds.domains.get(Domain::Sogi), None);
    assert_eq!(peds.domains.get(Domain::Disability), None);

    // Screened in the ED: complete.
    let screened = edited(|r| {
        r["unit"] = json!("ED");
        r["sdoh"] = sdoh_current();
    });
    assert_eq!(
        outcome_under(&screened, &profile).status,
        RecordStatus::Complete
    );
}

#[test]
fn a_minors_requirement_spares_adults() {
    let default = Profile::phec_real();
    let mut minors = default.required_domains.minors.clone();
    minors.push(Domain::Disability);
    let profile = Profile {
        required_domains: RequiredDomains {
            all: default.required_domains.all.clone(),
            minors,
        },
        ..default
    };
    assert_fires_under(
        &base(),
        &profile,
        "DISABILITY_MISSING",
        &["disability"],
        Domain::Disability,
    );
    let adult = edited(|r| r["birth_date"] = json!("1990-01-01"));
    assert_silent_under(&adult, &profile, "DISABILITY_MISSING");
    assert_eq!(
        outcome_under(&adult, &profile)
            .domains
            .get(Domain::Disability),
        Some(DomainStatus::Missing)
    );
    assert_eq!(
        outcome_under(&adult, &profile).status,
        RecordStatus::Complete
    );
}

#[test]
fn a_deaf_person_needing_an_interpreter_needs_a_sign_language() {
    // Not deaf, no interpreter, no language, or a sign language: silent.
    for record in [
        with_disability(json!({"hearing": false})),
        with_disability(json!({"vision": true})),
        edited(|r| {
            r["disability"] = json!({"hearing": true});
            r["language"]["interpreter_needed"] = json!(false);
        }),
        edited(|r| {
            r["disability"] = json!({"hearing": true});
            remove(r, "/language/preferred");
        }),
        edited(|r| {
            r["disability"] = json!({"hearing": true});
            r["language"]["preferred"] = json!("American Sign Language");
        }),
        edited(|r| {
            r["disability"] = json!({"hearing": true});
            r["language"]["preferred"] = json!("sgn");
        }),
    ] {
        assert_silent(&record, "DISABILITY_INTERPRETER_MISMATCH");
    }
    // A deaf mother does not make the patient's Spanish a mismatch, and vice versa.
    assert_silent(&deaf_caregiver_spanish(), "DISABILITY_INTERPRETER_MISMATCH");
    assert_silent(
        &deaf_patient_spanish(),
        "CAREGIVER_DISABILITY_INTERPRETER_MISMATCH",
    );
    // The second caregiver is named by index; the first, hearing, is not.
    let father = edited(|r| {
        r["caregivers"].as_array_mut().unwrap().push(json!({
            "relationship": "FTH",
            "legal_guardian": true,
            "language": {"preferred": "vi", "interpreter_needed": true},
            "disability": {"hearing": true}
        }));
    });
    assert_fires_at(
        &father,
        "CAREGIVER_DISABILITY_INTERPRETER_MISMATCH",
        &["caregivers[1].disability.hearing"],
    );
    let message = &findings_of(&father, "CAREGIVER_DISABILITY_INTERPRETER_MISMATCH")[0].message;
    assert!(message.contains("vi"), "{message}");
    // Warnings only: the record stays complete.
    assert_eq!(
        outcome(&deaf_patient_spanish()).status,
        RecordStatus::Complete
    );
    assert_eq!(outcome(&father).status, RecordStatus::Complete);
}

#[test]
fn answered_disability_questions_are_complete_whatever_the_answer() {
    let profile = disability_required();
    for disability in [
        json!({"hearing": false}),
        json!({"mobility": true}),
        json!({"independent_living": false, "self_care": true}),
        json!({"cognition": false, "null_flavor": "UNK"}),
    ] {
        let record = with_disability(disability.clone());
        let outcome = outcome_under(&record, &profile);
        assert_eq!(
            outcome.domains.get(Domain::Disability),
            Some(DomainStatus::Complete),
            "{disability}"
        );
        assert_eq!(optional_rules(&outcome), Vec::<&str>::new(), "{disability}");
    }
}

#[test]
fn severity_overrides_apply_to_optional_rules() {
    let mut profile = sogi_required();
    profile
        .severity
        .insert("SOGI_MISSING".into(), crate::profile::SeverityOverride::Off);
    profile.severity.insert(
        "SDOH_SCREENING_DATE_INVALID".into(),
        crate::profile::SeverityOverride::Warning,
    );
    assert_silent_under(&teen(), &profile, "SOGI_MISSING");
    // Off silences the finding, not the requirement.
    assert_eq!(
        outcome_under(&teen(), &profile).status,
        RecordStatus::Incomplete
    );
    let outcome = outcome_under(&sdoh_screened_tomorrow(), &profile);
    assert_eq!(outcome.status, RecordStatus::Complete);
    assert_eq!(
        outcome
            .findings
            .iter()
            .find(|f| f.rule.id == "SDOH_SCREENING_DATE_INVALID")
            .map(|f| f.severity),
        Some(Severity::Warning)
    );
}

/// The catalog: SOGI_MISSING fires when "neither sexual orientation nor gender identity is
/// recorded, nor a null value saying why". The engine fires it whenever either one is
/// missing (src/rules/sogi.rs: `orientation.max(identity) == Missing`), so this fails.
#[test]
fn sogi_missing_is_silent_when_either_question_is_answered() {
    let profile = sogi_required();
    assert_silent_under(&teen_with_orientation_only(), &profile, "SOGI_MISSING");
    assert_silent_under(&sogi_orientation_declined(), &profile, "SOGI_MISSING");
    assert_silent_under(&sogi_identity_unknown(), &profile, "SOGI_MISSING");
}

#[test]
fn only_real_orientation_or_identity_codes_count_as_sogi_data() {
    // Pronouns alone, or UNK in code form, are not SOGI answers for a young child.
    let pronouns_only = edited(|r| {
        r["sogi"] =
            json!({"pronouns": {"codes": [{"system": "http://loinc.org", "code": "LA29519-8"}]}});
    });
    assert_silent(&pronouns_only, "SOGI_UNDER_AGE");
    let unknown_as_code = edited(|r| {
        r["sogi"] = json!({
            "sexual_orientation": {"codes": [{"system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "UNK"}]},
            "reported_by": "caregiver"
        });
    });
    assert_silent(&unknown_as_code, "SOGI_UNDER_AGE");
    assert_silent(&unknown_as_code, "SOGI_REPORTED_BY_PROXY");
    // The pronoun value set has no null-flavor codes.
    let pronoun_unk = teen_edited(|r| {
        r["sogi"] = json!({"pronouns": {"codes": [{"code": "UNK"}]}});
    });
    assert_fires_at(
        &pronoun_unk,
        "SOGI_CODE_INVALID",
        &["sogi.pronouns.codes[0].code"],
    );
    // OTH without a system is accepted for gender identity as for sexual orientation.
    let other = teen_edited(|r| {
        r["sogi"] = json!({"gender_identity": {"codes": [{"code": "OTH"}]}});
    });
    assert_silent(&other, "SOGI_CODE_INVALID");
}

#[test]
fn a_screening_date_must_be_strictly_yyyy_mm_dd() {
    for text in ["2026-1-5", "+2026-01-05", "05/01/2026"] {
        let record = with_sdoh(json!({"screened_on": text, "positive": []}));
        assert_fires_at(
            &record,
            "SDOH_SCREENING_DATE_INVALID",
            &["sdoh.screened_on"],
        );
    }
    assert_silent(
        &with_sdoh(json!({"screened_on": "2026-01-05", "positive": []})),
        "SDOH_SCREENING_DATE_INVALID",
    );
}
