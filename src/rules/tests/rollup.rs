//! OMB 1997 and SPD-15 (2024) roll-ups returned on every record.

use super::*;
use crate::catalog::QuestionFormat;
use crate::codesets::cdcrec::Spd15Category::{self, *};

fn with_codes(race: Value, ethnicity: Value) -> Record {
    edited(|r| {
        r["race"]["codes"] = race;
        r["ethnicity"]["codes"] = ethnicity;
    })
}

fn race_only(race: Value) -> Record {
    edited(|r| r["race"]["codes"] = race)
}

fn omb(record: &Record) -> (Vec<&'static str>, Option<&'static str>) {
    let omb = outcome(record).omb_1997;
    (omb.race, omb.ethnicity)
}

fn spd15(record: &Record) -> Vec<Spd15Category> {
    outcome(record).spd15
}

fn spd15_wire(record: &Record) -> Value {
    serde_json::to_value(outcome(record).spd15).expect("SPD-15 categories serialise")
}

#[test]
fn base_record_rolls_up_to_asian_and_white_not_hispanic() {
    assert_eq!(omb(&base()), (vec!["2028-9", "2106-3"], Some("2186-5")));
    assert_eq!(spd15(&base()), [Asian, White]);
    assert_eq!(spd15_wire(&base()), json!(["asian", "white"]));
}

#[test]
fn detailed_race_codes_roll_up_to_their_omb_category() {
    // Korean → Asian, African American → Black, Samoan (two levels down) → NHPI.
    let record = race_only(json!([{"code": "2040-4"}, {"code": "2058-6"}, {"code": "2080-0"}]));
    assert_eq!(omb(&record).0, ["2028-9", "2054-5", "2076-8"]);
    assert_eq!(
        spd15(&record),
        [
            Asian,
            BlackOrAfricanAmerican,
            NativeHawaiianOrPacificIslander
        ]
    );
}

#[test]
fn all_five_omb_categories_are_listed_once_in_code_order() {
    let record = race_only(json!([
        {"code": "2106-3"}, {"code": "2076-8"}, {"code": "2054-5"},
        {"code": "2028-9"}, {"code": "1002-5"}, {"code": "2040-4"}
    ]));
    assert_eq!(
        omb(&record).0,
        ["1002-5", "2028-9", "2054-5", "2076-8", "2106-3"]
    );
    assert_eq!(
        spd15_wire(&record),
        json!([
            "american_indian_or_alaska_native",
            "asian",
            "black_or_african_american",
            "native_hawaiian_or_pacific_islander",
            "white"
        ])
    );
}

#[test]
fn mena_codes_are_white_under_omb_1997_and_mena_under_spd15() {
    for code in ["2118-8", "2129-5"] {
        let record = race_only(json!([{"code": code}]));
        assert_eq!(omb(&record).0, ["2106-3"], "{code}");
        assert_eq!(spd15(&record), [MiddleEasternOrNorthAfrican], "{code}");
    }
}

#[test]
fn a_mena_descendant_moves_from_white_to_middle_eastern_or_north_african() {
    // 2119-6 Assyrian sits under 2118-8 Middle Eastern or North African, filed under White.
    let assyrian = race_only(json!([{"code": "2119-6"}]));
    assert_eq!(omb(&assyrian).0, ["2106-3"]);
    assert_eq!(spd15(&assyrian), [MiddleEasternOrNorthAfrican]);
    assert_eq!(
        spd15_wire(&assyrian),
        json!(["middle_eastern_or_north_african"])
    );
}

#[test]
fn white_recorded_with_a_mena_code_is_both_white_and_mena_under_spd15() {
    let record = race_only(json!([{"code": "2106-3"}, {"code": "2129-5"}]));
    assert_eq!(omb(&record).0, ["2106-3"]);
    assert_eq!(spd15(&record), [MiddleEasternOrNorthAfrican, White]);
}

#[test]
fn other_race_is_not_an_omb_race_category() {
    let other_only = race_only(json!([{"code": "2131-1"}]));
    assert_eq!(omb(&other_only).0, Vec::<&str>::new());
    assert_eq!(spd15(&other_only), Vec::<Spd15Category>::new());
    let with_white = race_only(json!([{"code": "2131-1"}, {"code": "2106-3"}]));
    assert_eq!(omb(&with_white).0, ["2106-3"]);
    assert_eq!(spd15(&with_white), [White]);
}

#[test]
fn hispanic_ethnicity_adds_hispanic_or_latino_to_spd15() {
    let record = with_codes(
        json!([{"code": "2106-3"}]),
        json!([{"code": "2135-2"}, {"code": "2148-5"}]),
    );
    assert_eq!(omb(&record), (vec!["2106-3"], Some("2135-2")));
    assert_eq!(spd15(&record), [HispanicOrLatino, White]);
}

#[test]
fn hispanic_detailed_ethnicity_alone_rolls_up_to_hispanic() {
    let record = with_codes(json!([{"code": "2106-3"}]), json!([{"code": "2182-4"}]));
    assert_eq!(omb(&record).1, Some("2135-2"));
    assert!(spd15(&record).contains(&HispanicOrLatino));
}

#[test]
fn not_hispanic_ethnicity_adds_nothing_to_spd15() {
    assert!(!spd15(&base()).contains(&HispanicOrLatino));
}

#[test]
fn conflicting_ethnicity_rolls_up_to_none() {
    let categories = with_codes(
        json!([{"code": "2106-3"}]),
        json!([{"code": "2135-2"}, {"code": "2186-5"}]),
    );
    assert_eq!(omb(&categories), (vec!["2106-3"], None));
    assert_eq!(spd15(&categories), [White]);
    let detailed = with_codes(
        json!([{"code": "2106-3"}]),
        json!([{"code": "2186-5"}, {"code": "2148-5"}]),
    );
    assert_eq!(omb(&detailed).1, None);
    assert!(!spd15(&detailed).contains(&HispanicOrLatino));
}

#[test]
fn unanswered_race_and_ethnicity_roll_up_to_nothing() {
    let record = edited(|r| {
        r["race"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
        remove(r, "/ethnicity");
    });
    assert_eq!(omb(&record), (vec![], None));
    assert_eq!(spd15(&record), Vec::<Spd15Category>::new());
}

#[test]
fn invalid_and_abstract_codes_do_not_roll_up() {
    let record = race_only(json!([{"code": "2054-6"}, {"code": "1000-9"}, {"code": "2106-3"}]));
    assert_eq!(omb(&record).0, ["2106-3"]);
    assert_eq!(spd15(&record), [White]);
}

#[test]
fn hispanic_in_race_is_not_rolled_up_in_the_two_question_format() {
    let record = with_codes(json!([{"code": "2135-2"}]), json!([]));
    assert_eq!(omb(&record), (vec![], None));
    assert_eq!(spd15(&record), Vec::<Spd15Category>::new());
}

#[test]
fn hispanic_in_the_spd15_combined_question_rolls_up_to_hispanic() {
    let profile = Profile {
        question_format: QuestionFormat::Spd15,
        ..Profile::phec_real()
    };
    let record = edited(|r| {
        r["race"]["codes"] = json!([{"code": "2106-3"}, {"code": "2148-5"}]);
        remove(r, "/ethnicity");
    });
    let outcome = outcome_under(&record, &profile);
    assert_eq!(outcome.omb_1997.race, ["2106-3"]);
    assert_eq!(outcome.omb_1997.ethnicity, Some("2135-2"));
    assert_eq!(outcome.spd15, [HispanicOrLatino, White]);
}

#[test]
fn omb_1997_rollup_serialises_as_the_api_shows_it() {
    let wire = serde_json::to_value(outcome(&base()).omb_1997).expect("serialises");
    assert_eq!(
        wire,
        json!({"race": ["2028-9", "2106-3"], "ethnicity": "2186-5"})
    );
}
