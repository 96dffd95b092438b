//! Social-needs screening (domain `sdoh`, optional): a dated screening and what it found.

use chrono::{Months, NaiveDate};

use crate::record::wire::{NullFlavor, SdohWire};

use super::Context;
use crate::catalog::{self, DomainStatus, Finding, Rule};

/// Checks the screening against the date the record was collected; `required` is whether
/// the profile requires the domain for this patient.
pub fn check(
    answer: Option<&SdohWire>,
    recorded_on: NaiveDate,
    required: bool,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) -> DomainStatus {
    let empty = SdohWire::default();
    let answer = answer.unwrap_or(&empty);
    let screened_on = answer
        .screened_on
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if let Some(text) = screened_on {
        // Strictly YYYY-MM-DD: chrono alone would also take `2026-1-5` or `+2026-01-05`.
        let shaped = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
        let parsed = crate::record::parse_date(text).filter(|_| shaped);
        match parsed.ok_or(()) {
            Ok(date) if date <= recorded_on => {
                let months = ctx.profile.sdoh_rescreen_months;
                let due = date.checked_add_months(Months::new(months));
                if due.is_some_and(|due| due < recorded_on) {
                    out.push(Finding::new(
                        &catalog::SDOH_SCREENING_STALE,
                        "sdoh.screened_on",
                        format!("the screening is more than {months} months old"),
                    ));
                }
            }
            Ok(_) => out.push(Finding::new(
                &catalog::SDOH_SCREENING_DATE_INVALID,
                "sdoh.screened_on",
                "the screening date is after the date the record was collected",
            )),
            Err(_) => out.push(Finding::new(
                &catalog::SDOH_SCREENING_DATE_INVALID,
                "sdoh.screened_on",
                "the screening date is not a YYYY-MM-DD date",
            )),
        }
        return DomainStatus::Complete;
    }
    if answer.positive.is_some() {
        out.push(Finding::new(
            &catalog::SDOH_SCREENING_DATE_MISSING,
            "sdoh.screened_on",
            "screening findings are recorded without the screening date",
        ));
        return DomainStatus::Complete;
    }
    if let Some(flavor) = answer.null_flavor {
        let rule: &'static Rule = match flavor {
            NullFlavor::Asku => &catalog::SDOH_DECLINED,
            NullFlavor::Unk | NullFlavor::Nask => &catalog::SDOH_NOT_ASKED,
        };
        out.push(Finding::new(
            rule,
            "sdoh.null_flavor",
            super::null_message("the social needs screening", flavor),
        ));
        return DomainStatus::of_null(flavor);
    }
    if required {
        out.push(Finding::new(
            &catalog::SDOH_MISSING,
            "sdoh",
            "no social-needs screening is recorded",
        ));
    }
    DomainStatus::Missing
}
