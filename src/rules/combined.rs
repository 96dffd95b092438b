//! The SPD-15 combined race and ethnicity question (profile `question_format: spd15`).
//!
//! SPD-15 (OMB 2024) asks one question: "Hispanic or Latino" is one of seven categories,
//! beside the races, and Middle Eastern or North African is a category of its own. The
//! answer may arrive in `race`, in `ethnicity` or split over both (EHRs in transition still
//! send two fields); the codes of both make one answer. A single selection is complete.
//! The two-question rules that contradict this (`RACE_HISPANIC_AS_RACE`,
//! `ETHNICITY_RACE_CODE`, `RACE_MISSING`, `ETHNICITY_MISSING` and the ethnicity null rules)
//! never fire here; `RACE_ETHNICITY_MISSING` does instead.

use crate::codesets::cdcrec::{Concept, Kind, Level, NOT_HISPANIC, OTHER_RACE};
use crate::record::wire::{CodedAnswer, NullFlavor};

use super::codes::{self, Place, Resolved};
use super::{ethnicity, race, Context};
use crate::catalog::{self, DomainStatus, Finding};

/// What the combined answer holds.
pub struct Combined<'c> {
    /// Race concepts, from either field.
    pub races: Vec<&'c Concept>,
    /// Ethnicity concepts (Hispanic or Latino and below, or Not Hispanic), from either field.
    pub ethnicities: Vec<&'c Concept>,
    /// The status of the combined answer, before error findings turn it `invalid`; it is
    /// both the race and the ethnicity status.
    pub status: DomainStatus,
}

/// Checks the combined answer sent in `race` and `ethnicity` (the patient's, or a
/// caregiver's: completeness rules only run when `race_place.completeness` says so).
pub fn check<'c>(
    race_answer: Option<&CodedAnswer>,
    ethnicity_answer: Option<&CodedAnswer>,
    race_place: &Place<'_>,
    ethnicity_place: &Place<'_>,
    ctx: &Context<'c>,
    out: &mut Vec<Finding>,
) -> Combined<'c> {
    let cdcrec = &ctx.codes.cdcrec;
    let completeness = race_place.completeness;
    // The shared null rules are the two-question ones: the combined answer's are below.
    let race_place = &quiet(race_place);
    let ethnicity_place = &quiet(ethnicity_place);
    let in_race = codes::check_answer(race_answer, &codes::RACE, cdcrec, race_place, out);
    let in_ethnicity = codes::check_answer(
        ethnicity_answer,
        &codes::ETHNICITY,
        cdcrec,
        ethnicity_place,
        out,
    );
    let mut combined = Combined {
        races: Vec::new(),
        ethnicities: Vec::new(),
        status: DomainStatus::Missing,
    };
    sort(&in_race, race_place, &mut combined, out);
    sort(&in_ethnicity, ethnicity_place, &mut combined, out);

    race::detailed_without_category(
        &combined.races,
        race_place,
        &race::resolved_paths(&in_race),
        race::spd15_category,
        out,
    );
    let hispanic_in_race = in_race.iter().any(|r| r.concept.kind == Kind::Ethnicity);
    ethnicity::consistency(
        &combined.ethnicities,
        if hispanic_in_race {
            race_place
        } else {
            ethnicity_place
        },
        out,
    );

    let selected =
        !combined.races.is_empty() || combined.ethnicities.iter().any(|c| c.is_hispanic());
    if selected
        && !combined.races.is_empty()
        && combined.races.iter().all(|c| c.code == OTHER_RACE)
        && !combined.ethnicities.iter().any(|c| c.is_hispanic())
    {
        out.push(
            Finding::new(
                &catalog::RACE_OTHER_ONLY,
                format!("{}.codes", race_place.prefix),
                "only 2131-1 Other Race is selected, which no SPD-15 category reports",
            )
            .in_domain(race_place.domain),
        );
    }
    if !completeness {
        return combined;
    }
    let codes_sent = [race_answer, ethnicity_answer]
        .iter()
        .any(|a| a.is_some_and(|a| !a.codes.is_empty()));
    combined.status = if selected {
        DomainStatus::Complete
    } else if codes_sent {
        if combined.ethnicities.iter().any(|c| c.code == NOT_HISPANIC) {
            out.push(Finding::new(
                &catalog::RACE_ETHNICITY_MISSING,
                "race",
                "only 2186-5 Not Hispanic or Latino is recorded, which answers no SPD-15 category",
            ));
        }
        DomainStatus::Missing
    } else {
        unanswered(race_answer, ethnicity_answer, out)
    };
    combined
}

fn quiet<'p>(place: &Place<'p>) -> Place<'p> {
    Place {
        prefix: place.prefix,
        domain: place.domain,
        completeness: false,
    }
}

/// Files each resolved code of one field into the combined answer.
fn sort<'c>(
    resolved: &[Resolved<'c>],
    place: &Place<'_>,
    combined: &mut Combined<'c>,
    out: &mut Vec<Finding>,
) {
    for code in resolved {
        let concept = code.concept;
        if concept.level == Level::Root {
            let (rule, what) = match concept.kind {
                Kind::Race => (&catalog::RACE_ABSTRACT_CODE, "1000-9 Race"),
                Kind::Ethnicity => (&catalog::ETHNICITY_ABSTRACT_CODE, "2133-7 Ethnicity"),
            };
            out.push(
                Finding::new(
                    rule,
                    format!("{}.codes[{}]", place.prefix, code.index),
                    format!("{what} is the root of the code set, not an answer"),
                )
                .in_domain(place.domain),
            );
            continue;
        }
        let list = match concept.kind {
            Kind::Race => &mut combined.races,
            Kind::Ethnicity => &mut combined.ethnicities,
        };
        // The same code in both fields is one selection.
        if !list.iter().any(|c| c.code == concept.code) {
            list.push(concept);
        }
    }
}

/// No codes in either field: the null value of `race` (else of `ethnicity`) says why, or
/// RACE_ETHNICITY_MISSING fires.
fn unanswered(
    race_answer: Option<&CodedAnswer>,
    ethnicity_answer: Option<&CodedAnswer>,
    out: &mut Vec<Finding>,
) -> DomainStatus {
    let null = [("race", race_answer), ("ethnicity", ethnicity_answer)]
        .into_iter()
        .find_map(|(field, answer)| answer.and_then(|a| a.null_flavor).map(|n| (field, n)));
    match null {
        Some((field, flavor)) => {
            let rule = match flavor {
                NullFlavor::Asku => &catalog::RACE_DECLINED,
                NullFlavor::Unk => &catalog::RACE_UNKNOWN,
                NullFlavor::Nask => &catalog::RACE_NOT_ASKED,
            };
            out.push(Finding::new(
                rule,
                format!("{field}.null_flavor"),
                super::null_message(field, flavor),
            ));
            DomainStatus::of_null(flavor)
        }
        None => {
            // Text that the map pre-pass could not code: heard, but not coded.
            let text = [("race", race_answer), ("ethnicity", ethnicity_answer)]
                .into_iter()
                .find(|(_, answer)| answer.is_some_and(|a| a.text.is_some()));
            match text {
                Some((field, _)) => out.push(Finding::new(
                    &catalog::RACE_TEXT_ONLY,
                    format!("{field}.text"),
                    format!("{field} holds only a text, which no code map turns into a code"),
                )),
                None => out.push(Finding::new(
                    &catalog::RACE_ETHNICITY_MISSING,
                    "race",
                    "no race or ethnicity is selected and no null value says why",
                )),
            }
            DomainStatus::Missing
        }
    }
}
