//! Ethnicity rules (domain `ethnicity`), and the IOM's granular-ethnicity advice.

use crate::codesets::cdcrec::{Concept, Kind, Level, HISPANIC, NOT_HISPANIC};
use crate::record::wire::CodedAnswer;

use super::codes::{self, Place};
use super::Context;
use crate::catalog::{self, Finding};

/// Checks an ethnicity answer and returns the ethnicity concepts it validly holds.
pub fn check<'c>(
    answer: Option<&CodedAnswer>,
    ctx: &Context<'c>,
    place: &Place<'_>,
    out: &mut Vec<Finding>,
) -> Vec<&'c Concept> {
    let resolved = codes::check_answer(answer, &codes::ETHNICITY, &ctx.codes.cdcrec, place, out);
    let mut ethnicities = Vec::with_capacity(resolved.len());
    for code in &resolved {
        let path = code.path(place.prefix);
        let concept = code.concept;
        let finding = match (concept.kind, concept.level) {
            (Kind::Race, _) => Finding::new(
                &catalog::ETHNICITY_RACE_CODE,
                path.to_string(),
                format!(
                    "{} {} is a race, asked in the race question",
                    concept.code, concept.display
                ),
            ),
            (Kind::Ethnicity, Level::Root) => Finding::new(
                &catalog::ETHNICITY_ABSTRACT_CODE,
                path.to_string(),
                "2133-7 Ethnicity is the root of the code set, not an answer",
            ),
            (Kind::Ethnicity, _) => {
                ethnicities.push(concept);
                continue;
            }
        };
        out.push(finding.in_domain(place.domain));
    }
    consistency(&ethnicities, place, out);
    ethnicities
}

/// ETHNICITY_CONFLICT, ETHNICITY_DETAILED_CONFLICT and ETHNICITY_DETAILED_WITHOUT_CATEGORY
/// over the ethnicity concepts of an answer (under SPD-15, of the combined answer).
pub fn consistency(ethnicities: &[&Concept], place: &Place<'_>, out: &mut Vec<Finding>) {
    let has = |code: &str| ethnicities.iter().any(|c| c.code == code);
    let path = || format!("{}.codes", place.prefix);
    let detailed_hispanic: Vec<&&Concept> = ethnicities
        .iter()
        .filter(|c| c.level == Level::Detailed && c.is_hispanic())
        .collect();
    if has(HISPANIC) && has(NOT_HISPANIC) {
        out.push(
            Finding::new(
                &catalog::ETHNICITY_CONFLICT,
                path(),
                "both 2135-2 Hispanic or Latino and 2186-5 Not Hispanic or Latino are recorded",
            )
            .in_domain(place.domain),
        );
    }
    if has(NOT_HISPANIC) && !detailed_hispanic.is_empty() {
        out.push(
            Finding::new(
                &catalog::ETHNICITY_DETAILED_CONFLICT,
                path(),
                format!(
                    "2186-5 Not Hispanic or Latino is recorded with {} {}",
                    detailed_hispanic[0].code, detailed_hispanic[0].display
                ),
            )
            .in_domain(place.domain),
        );
    } else if !has(HISPANIC) {
        if let Some(detailed) = detailed_hispanic.first() {
            out.push(
                Finding::new(
                    &catalog::ETHNICITY_DETAILED_WITHOUT_CATEGORY,
                    path(),
                    format!(
                        "{} {} is recorded without 2135-2 Hispanic or Latino",
                        detailed.code, detailed.display
                    ),
                )
                .in_domain(place.domain),
            );
        }
    }
}

/// GRANULAR_ETHNICITY_MISSING: categories recorded, but no detailed race or ethnicity.
pub fn granular(races: &[&Concept], ethnicities: &[&Concept], out: &mut Vec<Finding>) {
    let any_category = races.iter().chain(ethnicities).next().is_some();
    let any_detailed = races
        .iter()
        .chain(ethnicities)
        .any(|c| c.level == Level::Detailed);
    if any_category && !any_detailed {
        out.push(Finding::new(
            &catalog::GRANULAR_ETHNICITY_MISSING,
            "ethnicity.codes",
            "only OMB categories are recorded; no detailed race or ethnicity",
        ));
    }
}
