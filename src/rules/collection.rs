//! Reporter, age and re-collection rules (domain `collection`, no status): who answered,
//! whether the child is old enough to answer for themself, and whether the data are stale.

use chrono::{Datelike, Months, NaiveDate, TimeDelta};

use crate::record::wire::{CodedAnswer, NullFlavor, ReportedBy};
use crate::record::{BirthDate, Record};

use super::Context;
use crate::catalog::{self, Finding};

/// Whole years between `birth` and `on` (negative if `on` is before `birth`).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// The valid birth date of the record, if any.
pub fn birth_date(record: &Record) -> Option<NaiveDate> {
    match record.birth_date {
        BirthDate::Date(date) if date <= record.recorded_on => Some(date),
        _ => None,
    }
}

/// Runs the collection rules.
pub fn check(record: &Record, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    dates(record, ctx, out);
    let birth = birth_date(record);
    for (field, answer) in [("race", &record.race), ("ethnicity", &record.ethnicity)] {
        if let Some(answer) = answer {
            reporter(field, answer, birth, record.recorded_on, ctx, out);
        }
    }
}

fn dates(record: &Record, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    match record.birth_date {
        BirthDate::Missing => out.push(Finding::new(
            &catalog::BIRTH_DATE_MISSING,
            "birth_date",
            "no birth date is recorded; the age rules did not run",
        )),
        BirthDate::Unparseable => out.push(Finding::new(
            &catalog::BIRTH_DATE_INVALID,
            "birth_date",
            "the birth date is not a calendar date of the form YYYY-MM-DD",
        )),
        BirthDate::Date(date) if date > record.recorded_on => out.push(Finding::new(
            &catalog::BIRTH_DATE_INVALID,
            "birth_date",
            "the birth date is after recorded_at",
        )),
        BirthDate::Date(_) => {}
    }
    let tolerance = TimeDelta::minutes(ctx.profile.future_tolerance_minutes);
    if record.recorded_at > ctx.now + tolerance {
        out.push(Finding::new(
            &catalog::RECORDED_AT_IN_FUTURE,
            "recorded_at",
            format!(
                "recorded_at is more than {} minutes in the future",
                ctx.profile.future_tolerance_minutes
            ),
        ));
    }
    let due = ctx
        .now
        .checked_sub_months(Months::new(ctx.profile.recollection_months));
    if due.is_some_and(|due| record.recorded_at < due) {
        out.push(Finding::new(
            &catalog::RECOLLECTION_DUE,
            "recorded_at",
            format!(
                "the demographics are older than {} months",
                ctx.profile.recollection_months
            ),
        ));
    }
}

fn reporter(
    field: &str,
    answer: &CodedAnswer,
    birth: Option<NaiveDate>,
    recorded_on: NaiveDate,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    let answered = !answer.codes.is_empty() || answer.null_flavor.is_some();
    if !answered || answer.null_flavor == Some(NullFlavor::Nask) {
        return;
    }
    let path = format!("{field}.reported_by");
    let self_report_age = i32::try_from(ctx.profile.self_report_age).unwrap_or(i32::MAX);
    let age_then = birth.map(|b| age_on(b, recorded_on));
    let age_now = birth.map(|b| age_on(b, ctx.now.date_naive()));
    match answer.reported_by {
        None | Some(ReportedBy::Unknown) => out.push(Finding::new(
            &catalog::REPORTER_MISSING,
            path,
            format!("who reported the {field} is not recorded"),
        )),
        Some(ReportedBy::StaffObserved) => out.push(Finding::new(
            &catalog::REPORTED_BY_STAFF_OBSERVATION,
            path,
            format!("the {field} was recorded by staff observation, not reported"),
        )),
        Some(ReportedBy::SelfReport) => {
            if age_then.is_some_and(|age| age < self_report_age) {
                out.push(Finding::new(
                    &catalog::SELF_REPORT_UNDER_AGE,
                    path,
                    format!(
                        "self-reported by a patient younger than the self-report age ({self_report_age})"
                    ),
                ));
            }
        }
        Some(ReportedBy::Caregiver) => {
            let reached = age_then.is_some_and(|age| age < self_report_age)
                && age_now.is_some_and(|age| age >= self_report_age);
            if reached {
                out.push(Finding::new(
                    &catalog::SELF_REPORT_AGE_REACHED,
                    path,
                    format!(
                        "reported by a caregiver; the patient has since reached the self-report age ({self_report_age})"
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_whole_years_around_the_birthday() {
        let birth = NaiveDate::from_ymd_opt(2014, 6, 15).unwrap();
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 6, 14).unwrap()),
            11
        );
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()),
            12
        );
        let leap = NaiveDate::from_ymd_opt(2012, 2, 29).unwrap();
        assert_eq!(
            age_on(leap, NaiveDate::from_ymd_opt(2030, 2, 28).unwrap()),
            17
        );
        assert_eq!(
            age_on(leap, NaiveDate::from_ymd_opt(2030, 3, 1).unwrap()),
            18
        );
    }
}
