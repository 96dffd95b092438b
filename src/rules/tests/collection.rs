//! Reporter, age and re-collection rules (domain `collection`, no status).

use super::*;
use crate::profile::Profile;

fn reported_by(field: &str, reporter: &str) -> Record {
    edited(|r| r[field]["reported_by"] = json!(reporter))
}

fn race_reporter_absent() -> Record {
    without("/race/reported_by")
}

fn race_not_asked_without_reporter() -> Record {
    edited(|r| r["race"] = json!({"null_flavor": "NASK"}))
}

fn ethnicity_staff_observed() -> Record {
    reported_by("ethnicity", "staff_observed")
}

fn seven_year_old_self_report() -> Record {
    reported_by("race", "self")
}

/// 12 on the day of collection: old enough to answer for themself.
fn twelve_year_old_self_report() -> Record {
    edited(|r| {
        r["birth_date"] = json!("2014-11-20");
        r["race"]["reported_by"] = json!("self");
    })
}

/// 11 when a caregiver answered on 2026-11-20; 12 by `now`, the day after.
fn turned_twelve_since_caregiver_report() -> Record {
    edited(|r| r["birth_date"] = json!("2014-11-21"))
}

/// Still 11 at `now`.
fn still_eleven_after_caregiver_report() -> Record {
    edited(|r| r["birth_date"] = json!("2014-11-22"))
}

fn recorded_at(timestamp: &str) -> Record {
    edited(|r| r["recorded_at"] = json!(timestamp))
}

/// Collected a moment more than 24 months before `now`.
fn collected_over_two_years_ago() -> Record {
    recorded_at("2024-11-20T23:59:59Z")
}

/// Collected exactly 24 months before `now`.
fn collected_two_years_ago_to_the_second() -> Record {
    recorded_at("2024-11-21T00:00:00Z")
}

fn birth_date_absent() -> Record {
    without("/birth_date")
}

fn birth_date(text: &str) -> Record {
    edited(|r| r["birth_date"] = json!(text))
}

fn birth_date_not_a_date() -> Record {
    birth_date("2019-02-30")
}

fn born_on_the_day_of_collection() -> Record {
    birth_date("2026-11-20")
}

fn more_than_five_minutes_ahead() -> Record {
    recorded_at("2026-11-21T00:05:01Z")
}

fn five_minutes_ahead() -> Record {
    recorded_at("2026-11-21T00:05:00Z")
}

const C: Domain = Domain::Collection;

/// Firing records and their silent neighbours, checked by the catalog-coverage test.
pub(super) const CASES: &[Case] = &[
    Case {
        rule: "REPORTER_MISSING",
        fires: race_reporter_absent,
        at: &["race.reported_by"],
        domain: C,
        neighbour: race_not_asked_without_reporter,
        profile: Profile::phec_real,
    },
    Case {
        rule: "REPORTED_BY_STAFF_OBSERVATION",
        fires: ethnicity_staff_observed,
        at: &["ethnicity.reported_by"],
        domain: C,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SELF_REPORT_UNDER_AGE",
        fires: seven_year_old_self_report,
        at: &["race.reported_by"],
        domain: C,
        neighbour: twelve_year_old_self_report,
        profile: Profile::phec_real,
    },
    Case {
        rule: "SELF_REPORT_AGE_REACHED",
        fires: turned_twelve_since_caregiver_report,
        at: &["race.reported_by", "ethnicity.reported_by"],
        domain: C,
        neighbour: still_eleven_after_caregiver_report,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RECOLLECTION_DUE",
        fires: collected_over_two_years_ago,
        at: &["recorded_at"],
        domain: C,
        neighbour: collected_two_years_ago_to_the_second,
        profile: Profile::phec_real,
    },
    Case {
        rule: "BIRTH_DATE_MISSING",
        fires: birth_date_absent,
        at: &["birth_date"],
        domain: C,
        neighbour: base,
        profile: Profile::phec_real,
    },
    Case {
        rule: "BIRTH_DATE_INVALID",
        fires: birth_date_not_a_date,
        at: &["birth_date"],
        domain: C,
        neighbour: born_on_the_day_of_collection,
        profile: Profile::phec_real,
    },
    Case {
        rule: "RECORDED_AT_IN_FUTURE",
        fires: more_than_five_minutes_ahead,
        at: &["recorded_at"],
        domain: C,
        neighbour: five_minutes_ahead,
        profile: Profile::phec_real,
    },
];

// --- who reported ------------------------------------------------------------------------------

#[test]
fn race_without_a_reporter_is_flagged() {
    assert_fires_at(
        &race_reporter_absent(),
        "REPORTER_MISSING",
        &["race.reported_by"],
    );
}

#[test]
fn reporter_recorded_as_unknown_is_flagged_as_missing() {
    assert_fires_at(
        &reported_by("ethnicity", "unknown"),
        "REPORTER_MISSING",
        &["ethnicity.reported_by"],
    );
}

#[test]
fn declined_race_still_needs_a_reporter() {
    let record = edited(|r| r["race"] = json!({"null_flavor": "ASKU"}));
    assert_fires_at(&record, "REPORTER_MISSING", &["race.reported_by"]);
}

#[test]
fn race_not_yet_asked_needs_no_reporter() {
    assert_silent(&race_not_asked_without_reporter(), "REPORTER_MISSING");
}

#[test]
fn missing_race_needs_no_reporter() {
    assert_silent(&without("/race"), "REPORTER_MISSING");
}

#[test]
fn race_reported_by_a_caregiver_has_a_reporter() {
    assert_silent(&base(), "REPORTER_MISSING");
}

#[test]
fn ethnicity_recorded_by_staff_observation_is_flagged() {
    assert_fires_at(
        &ethnicity_staff_observed(),
        "REPORTED_BY_STAFF_OBSERVATION",
        &["ethnicity.reported_by"],
    );
}

#[test]
fn ethnicity_reported_by_a_caregiver_is_not_flagged_as_observed() {
    assert_silent(&base(), "REPORTED_BY_STAFF_OBSERVATION");
}

// --- self-report age ------------------------------------------------------------------------------

#[test]
fn self_report_by_a_seven_year_old_is_flagged() {
    assert_fires_at(
        &seven_year_old_self_report(),
        "SELF_REPORT_UNDER_AGE",
        &["race.reported_by"],
    );
}

#[test]
fn self_report_on_the_twelfth_birthday_is_not_flagged() {
    assert_silent(&twelve_year_old_self_report(), "SELF_REPORT_UNDER_AGE");
}

#[test]
fn self_report_age_comes_from_the_profile() {
    let profile = Profile {
        self_report_age: 7,
        ..Profile::phec_real()
    };
    let outcome = outcome_under(&seven_year_old_self_report(), &profile);
    assert!(
        outcome
            .findings
            .iter()
            .all(|f| f.rule.id != "SELF_REPORT_UNDER_AGE"),
        "{:?}",
        describe(&outcome)
    );
}

#[test]
fn self_report_without_a_birth_date_is_not_judged() {
    let record = edited(|r| {
        remove(r, "/birth_date");
        r["race"]["reported_by"] = json!("self");
    });
    assert_silent(&record, "SELF_REPORT_UNDER_AGE");
}

#[test]
fn caregiver_report_before_the_self_report_age_is_flagged_once_the_age_is_reached() {
    assert_fires_at(
        &turned_twelve_since_caregiver_report(),
        "SELF_REPORT_AGE_REACHED",
        &["race.reported_by", "ethnicity.reported_by"],
    );
}

#[test]
fn caregiver_report_for_a_child_still_under_the_self_report_age_is_not_flagged() {
    assert_silent(
        &still_eleven_after_caregiver_report(),
        "SELF_REPORT_AGE_REACHED",
    );
}

#[test]
fn caregiver_report_after_the_self_report_age_is_not_flagged_as_reached_since() {
    let record = edited(|r| r["birth_date"] = json!("2014-11-20"));
    assert_silent(&record, "SELF_REPORT_AGE_REACHED");
}

#[test]
fn self_report_is_not_flagged_as_reaching_the_age_since() {
    let record = edited(|r| {
        r["birth_date"] = json!("2014-11-21");
        r["race"]["reported_by"] = json!("self");
        r["ethnicity"]["reported_by"] = json!("self");
    });
    assert_silent(&record, "SELF_REPORT_AGE_REACHED");
}

// --- dates ---------------------------------------------------------------------------------------

#[test]
fn demographics_older_than_the_recollection_interval_are_due() {
    assert_fires_at(
        &collected_over_two_years_ago(),
        "RECOLLECTION_DUE",
        &["recorded_at"],
    );
}

#[test]
fn demographics_exactly_as_old_as_the_recollection_interval_are_not_due() {
    assert_silent(&collected_two_years_ago_to_the_second(), "RECOLLECTION_DUE");
    assert_silent(&base(), "RECOLLECTION_DUE");
}

#[test]
fn recollection_interval_comes_from_the_profile() {
    let profile = Profile {
        recollection_months: 12,
        ..Profile::phec_real()
    };
    let record = recorded_at("2025-11-20T00:00:00Z");
    let outcome = outcome_under(&record, &profile);
    assert!(outcome
        .findings
        .iter()
        .any(|f| f.rule.id == "RECOLLECTION_DUE"));
    assert_silent(&record, "RECOLLECTION_DUE");
}

#[test]
fn absent_birth_date_is_reported() {
    assert_fires_at(&birth_date_absent(), "BIRTH_DATE_MISSING", &["birth_date"]);
    assert_fires_at(&birth_date(" "), "BIRTH_DATE_MISSING", &["birth_date"]);
}

#[test]
fn present_birth_date_is_not_reported_missing() {
    assert_silent(&base(), "BIRTH_DATE_MISSING");
}

#[test]
fn impossible_calendar_date_is_an_invalid_birth_date() {
    assert_fires_at(
        &birth_date_not_a_date(),
        "BIRTH_DATE_INVALID",
        &["birth_date"],
    );
    assert_fires_at(
        &birth_date("04/02/2019"),
        "BIRTH_DATE_INVALID",
        &["birth_date"],
    );
    assert_silent(&birth_date_not_a_date(), "BIRTH_DATE_MISSING");
}

#[test]
fn birth_date_after_collection_is_invalid() {
    assert_fires_at(
        &birth_date("2026-11-21"),
        "BIRTH_DATE_INVALID",
        &["birth_date"],
    );
}

#[test]
fn birth_on_the_day_of_collection_is_valid() {
    assert_silent(&born_on_the_day_of_collection(), "BIRTH_DATE_INVALID");
}

#[test]
fn birth_on_the_local_day_of_collection_is_valid_east_of_utc() {
    // Born 2026-11-20, recorded 2026-11-20 01:00 local time at UTC+05:00 (= 11-19 20:00Z):
    // the birth date is not after recorded_at.
    let record = edited(|r| {
        r["recorded_at"] = json!("2026-11-20T01:00:00+05:00");
        r["birth_date"] = json!("2026-11-20");
    });
    assert_silent(&record, "BIRTH_DATE_INVALID");
}

#[test]
fn recorded_at_more_than_five_minutes_ahead_is_an_error() {
    assert_fires_at(
        &more_than_five_minutes_ahead(),
        "RECORDED_AT_IN_FUTURE",
        &["recorded_at"],
    );
}

#[test]
fn recorded_at_within_five_minutes_of_now_is_clock_skew() {
    assert_silent(&five_minutes_ahead(), "RECORDED_AT_IN_FUTURE");
}

#[test]
fn recorded_at_is_compared_in_utc_whatever_its_offset() {
    // 2026-11-20T20:00-05:00 is 2026-11-21T01:00Z: an hour ahead of `now`.
    let record = recorded_at("2026-11-20T20:00:00-05:00");
    assert_fires_at(&record, "RECORDED_AT_IN_FUTURE", &["recorded_at"]);
}

#[test]
fn collection_findings_have_no_status_domain() {
    let record = edited(|r| {
        r["recorded_at"] = json!("2026-12-01T00:00:00Z");
        r["birth_date"] = json!("2019-02-30");
    });
    let outcome = outcome(&record);
    assert!(outcome
        .findings
        .iter()
        .all(|f| f.domain == Domain::Collection));
    assert_eq!(outcome.status, RecordStatus::Invalid);
    assert!(outcome
        .domains
        .0
        .iter()
        .all(|(_, s)| *s == DomainStatus::Complete));
}
