//! SPD-15 mode against OMB 1997: the same records under both question formats, and which
//! findings change and why.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;
use crate::catalog::QuestionFormat;
use crate::catalog::Rule;
use crate::codesets::cdcrec::Spd15Category;
use crate::profile::Profile;

fn spd15_profile() -> Profile {
    Profile {
        question_format: QuestionFormat::Spd15,
        ..Profile::phec_real()
    }
}

fn nothing_selected() -> Record {
    edited(|r| {
        remove(r, "/race");
        remove(r, "/ethnicity");
    })
}

fn both_declined() -> Record {
    edited(|r| {
        r["race"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
        r["ethnicity"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
    })
}

pub(super) const CASES: &[Case] = &[Case {
    rule: "RACE_ETHNICITY_MISSING",
    fires: nothing_selected,
    at: &["race"],
    domain: Domain::Race,
    neighbour: both_declined,
    profile: spd15_profile,
}];

/// The rule IDs of an outcome, as a set.
fn rule_set(outcome: &Verdict) -> BTreeSet<&'static str> {
    outcome.findings.iter().map(|f| f.rule.id).collect()
}

/// One record judged under both formats.
struct Comparison {
    name: &'static str,
    edit: fn(&mut Value),
    /// Rules that fire under OMB 1997 only.
    omb_only: &'static [&'static str],
    /// Rules that fire under SPD-15 only.
    spd15_only: &'static [&'static str],
    /// Race and ethnicity statuses under SPD-15.
    spd15_statuses: (DomainStatus, DomainStatus),
    /// Why they differ.
    why: &'static str,
}

const COMPARISONS: &[Comparison] = &[
    Comparison {
        name: "the base record",
        edit: |_| {},
        omb_only: &[],
        spd15_only: &[],
        spd15_statuses: (DomainStatus::Complete, DomainStatus::Complete),
        why: "White, Korean and Asian with Not Hispanic answer both formats the same way",
    },
    Comparison {
        name: "Hispanic selected in the race list, no ethnicity field",
        edit: |r| {
            r["race"]["codes"] = json!([{"code": "2135-2"}, {"code": "2106-3"}]);
            remove(r, "/ethnicity");
        },
        omb_only: &["ETHNICITY_MISSING", "RACE_HISPANIC_AS_RACE"],
        spd15_only: &[],
        spd15_statuses: (DomainStatus::Complete, DomainStatus::Complete),
        why: "SPD-15 lists Hispanic or Latino among the race categories of one question",
    },
    Comparison {
        name: "a single selection: Hispanic or Latino only",
        edit: |r| {
            r["race"]["codes"] = json!([{"code": "2135-2"}]);
            remove(r, "/ethnicity");
        },
        omb_only: &["ETHNICITY_MISSING", "RACE_HISPANIC_AS_RACE"],
        spd15_only: &["GRANULAR_ETHNICITY_MISSING"],
        spd15_statuses: (DomainStatus::Complete, DomainStatus::Complete),
        why: "one selection answers the combined question (OMB 1997 still wants a race); \
              as a category with no detailed origin it is now judged by the IOM granularity rule",
    },
    Comparison {
        name: "Middle Eastern or North African without White",
        edit: |r| r["race"]["codes"] = json!([{"code": "2118-8"}]),
        omb_only: &["RACE_DETAILED_WITHOUT_CATEGORY"],
        spd15_only: &[],
        spd15_statuses: (DomainStatus::Complete, DomainStatus::Complete),
        why: "MENA is a category in SPD-15; in OMB 1997 it is a detail of White",
    },
    Comparison {
        name: "nothing selected",
        edit: |r| {
            remove(r, "/race");
            remove(r, "/ethnicity");
        },
        omb_only: &["ETHNICITY_MISSING", "RACE_MISSING"],
        spd15_only: &["RACE_ETHNICITY_MISSING"],
        spd15_statuses: (DomainStatus::Missing, DomainStatus::Missing),
        why: "two unanswered questions become one unanswered combined question",
    },
    Comparison {
        name: "only Not Hispanic or Latino",
        edit: |r| remove(r, "/race"),
        omb_only: &["RACE_MISSING"],
        spd15_only: &["RACE_ETHNICITY_MISSING"],
        spd15_statuses: (DomainStatus::Missing, DomainStatus::Missing),
        why: "Not Hispanic answers no SPD-15 category",
    },
    Comparison {
        name: "a race sent in the ethnicity field",
        edit: |r| {
            remove(r, "/race");
            r["ethnicity"]["codes"] = json!([{"code": "2054-5"}]);
        },
        omb_only: &["ETHNICITY_RACE_CODE", "RACE_MISSING"],
        spd15_only: &["GRANULAR_ETHNICITY_MISSING"],
        spd15_statuses: (DomainStatus::Complete, DomainStatus::Complete),
        why: "both fields carry the one combined answer; Black is accepted, and as a \
              category with no detail it is now judged by the IOM granularity rule",
    },
    Comparison {
        name: "races answered, ethnicity declined",
        edit: |r| r["ethnicity"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"}),
        omb_only: &["ETHNICITY_DECLINED"],
        spd15_only: &[],
        spd15_statuses: (DomainStatus::Complete, DomainStatus::Complete),
        why: "there is no separate ethnicity question to decline",
    },
    Comparison {
        name: "both declined",
        edit: |r| {
            r["race"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
            r["ethnicity"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
        },
        omb_only: &["ETHNICITY_DECLINED"],
        spd15_only: &[],
        spd15_statuses: (DomainStatus::Declined, DomainStatus::Declined),
        why: "one declined combined question, reported once",
    },
];

#[test]
fn spd15_and_omb_1997_differ_exactly_where_the_formats_do() {
    let omb = Profile::phec_real();
    let spd15 = spd15_profile();
    for case in COMPARISONS {
        let record = edited(case.edit);
        let under_omb = outcome_under(&record, &omb);
        let under_spd15 = outcome_under(&record, &spd15);
        let (a, b) = (rule_set(&under_omb), rule_set(&under_spd15));
        let omb_only: Vec<&str> = a.difference(&b).copied().collect();
        let spd15_only: Vec<&str> = b.difference(&a).copied().collect();
        assert_eq!(omb_only, case.omb_only, "{} ({})", case.name, case.why);
        assert_eq!(spd15_only, case.spd15_only, "{} ({})", case.name, case.why);
        assert_eq!(
            (
                under_spd15.domains.get(Domain::Race),
                under_spd15.domains.get(Domain::Ethnicity)
            ),
            (Some(case.spd15_statuses.0), Some(case.spd15_statuses.1)),
            "{}",
            case.name
        );
    }
}

#[test]
fn mena_rolls_up_to_its_own_spd15_category_and_to_white_in_omb_1997() {
    let record = edited(|r| r["race"]["codes"] = json!([{"code": "2118-8"}]));
    let outcome = outcome_under(&record, &spd15_profile());
    assert_eq!(outcome.spd15, [Spd15Category::MiddleEasternOrNorthAfrican]);
    assert_eq!(outcome.omb_1997.race, ["2106-3"]);
    assert_eq!(outcome.status, RecordStatus::Complete);
}

#[test]
fn a_mena_detail_needs_the_mena_category_not_white() {
    let lebanese = edited(|r| r["race"]["codes"] = json!([{"code": "2123-8"}, {"code": "2106-3"}]));
    let spd15 = findings_under(
        &lebanese,
        &spd15_profile(),
        "RACE_DETAILED_WITHOUT_CATEGORY",
    );
    assert_eq!(spd15.len(), 1);
    assert!(
        spd15[0].message.ends_with("without its category 2118-8"),
        "{}",
        spd15[0].message
    );
    // Under OMB 1997 White is its category, and White is there.
    assert!(findings_under(
        &lebanese,
        &Profile::phec_real(),
        "RACE_DETAILED_WITHOUT_CATEGORY"
    )
    .is_empty());
    let with_mena =
        edited(|r| r["race"]["codes"] = json!([{"code": "2123-8"}, {"code": "2118-8"}]));
    assert!(findings_under(
        &with_mena,
        &spd15_profile(),
        "RACE_DETAILED_WITHOUT_CATEGORY"
    )
    .is_empty());
}

#[test]
fn a_detailed_hispanic_origin_without_its_category_is_flagged_in_the_field_it_came_in() {
    let record = edited(|r| {
        r["race"]["codes"] = json!([{"code": "2148-5"}, {"code": "2106-3"}]);
        remove(r, "/ethnicity");
    });
    let found = findings_under(
        &record,
        &spd15_profile(),
        "ETHNICITY_DETAILED_WITHOUT_CATEGORY",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, "race.codes");
    assert_eq!(found[0].domain, Domain::Race);
}

#[test]
fn codes_are_still_checked_one_by_one_in_both_fields() {
    let record = edited(|r| {
        r["race"]["codes"] = json!([{"code": "2106-4"}]);
        r["ethnicity"]["codes"] = json!([{"code": "2135-2"}, {"code": "2135-2"}]);
    });
    let profile = spd15_profile();
    assert_fires_under(
        &record,
        &profile,
        "RACE_CODE_INVALID",
        &["race.codes[0].code"],
        Domain::Race,
    );
    assert_fires_under(
        &record,
        &profile,
        "ETHNICITY_DUPLICATE_CODE",
        &["ethnicity.codes[1]"],
        Domain::Ethnicity,
    );
    // Hispanic is a selection, so the combined answer is complete; the bad race code
    // still makes the race domain invalid.
    let outcome = outcome_under(&record, &profile);
    assert_eq!(
        outcome.domains.get(Domain::Race),
        Some(DomainStatus::Invalid)
    );
    assert_eq!(
        outcome.domains.get(Domain::Ethnicity),
        Some(DomainStatus::Complete)
    );
}

#[test]
fn caregiver_answers_follow_the_combined_question_too() {
    let record = edited(|r| {
        r["caregivers"][0]["race"] = json!({"codes": [{"code": "2135-2"}]});
        r["caregivers"][0]["ethnicity"] = json!({"codes": [{"code": "2106-3"}]});
    });
    let profile = spd15_profile();
    for rule in ["RACE_HISPANIC_AS_RACE", "ETHNICITY_RACE_CODE"] {
        assert_silent_under(&record, &profile, rule);
        assert!(
            rules_fired(&record).contains(&rule),
            "{rule} fires under OMB 1997"
        );
    }
}

/// Every record the catalog tests use, under each format: no rule fires outside the
/// formats the catalog says it applies in.
#[test]
fn no_rule_fires_outside_its_question_formats() {
    let records: Vec<Record> = super::all_cases()
        .into_iter()
        .flat_map(|case| [(case.fires)(), (case.neighbour)()])
        .chain(COMPARISONS.iter().map(|c| edited(c.edit)))
        .collect();
    for profile in [Profile::phec_real(), spd15_profile()] {
        let format = profile.question_format;
        for record in &records {
            for finding in outcome_under(record, &profile).findings {
                let rule: &Rule = finding.rule;
                assert!(
                    rule.applies_in(format),
                    "{} fired under {format:?} at {}",
                    rule.id,
                    finding.path
                );
            }
        }
    }
}

fn findings_under(record: &Record, profile: &Profile, rule: &str) -> Vec<Finding> {
    outcome_under(record, profile)
        .findings
        .into_iter()
        .filter(|f| f.rule.id == rule)
        .collect()
}

#[test]
fn text_only_under_the_combined_question_goes_through_the_maps_or_is_named() {
    let profile = spd15_profile();
    let text = |race: &str| {
        edited(|r| {
            r["race"] = json!({"codes": [], "text": race, "reported_by": "caregiver"});
            remove(r, "/ethnicity");
        })
    };
    let mapped = rule_set(&outcome_under(&text("Black or African American"), &profile));
    assert!(mapped.contains("CODE_MAPPED"), "{mapped:?}");
    assert!(!mapped.contains("RACE_ETHNICITY_MISSING"), "{mapped:?}");
    let unmapped = rule_set(&outcome_under(&text("Martian"), &profile));
    assert!(unmapped.contains("RACE_TEXT_ONLY"), "{unmapped:?}");
    assert!(!unmapped.contains("RACE_ETHNICITY_MISSING"), "{unmapped:?}");
}
