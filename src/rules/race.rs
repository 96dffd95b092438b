//! Race rules (domain `race`): OMB 1997 two-question format unless the profile says SPD-15.

use crate::catalog::{self, Finding, QuestionFormat};
use crate::codesets::cdcrec::{Concept, Kind, Level, Spd15Category, MENA, OTHER_RACE};
use crate::record::wire::CodedAnswer;

use super::codes::{self, Place};
use super::Context;

/// Checks a race answer and returns the race concepts it validly holds, in order.
pub fn check<'c>(
    answer: Option<&CodedAnswer>,
    ctx: &Context<'c>,
    place: &Place<'_>,
    out: &mut Vec<Finding>,
) -> Vec<&'c Concept> {
    let resolved = codes::check_answer(answer, &codes::RACE, &ctx.codes.cdcrec, place, out);
    let mut races = Vec::with_capacity(resolved.len());
    for code in &resolved {
        let path = code.path(place.prefix);
        let concept = code.concept;
        match (concept.kind, concept.level) {
            (Kind::Race, Level::Root) => out.push(
                Finding::new(
                    &catalog::RACE_ABSTRACT_CODE,
                    path.to_string(),
                    "1000-9 Race is the root of the code set, not an answer",
                )
                .in_domain(place.domain),
            ),
            (Kind::Race, _) => races.push(concept),
            (Kind::Ethnicity, _) if concept.is_hispanic() => {
                if ctx.profile.question_format == QuestionFormat::Omb1997 {
                    out.push(
                        Finding::new(
                            &catalog::RACE_HISPANIC_AS_RACE,
                            path.to_string(),
                            format!(
                                "{} {} is an ethnicity, asked in the ethnicity question",
                                concept.code, concept.display
                            ),
                        )
                        .in_domain(place.domain),
                    );
                } else {
                    races.push(concept);
                }
            }
            (Kind::Ethnicity, _) => out.push(
                Finding::new(
                    &catalog::RACE_CODE_INVALID,
                    format!("{path}.code"),
                    format!("{} {} is not a race concept", concept.code, concept.display),
                )
                .in_domain(place.domain),
            ),
        }
    }
    detailed_without_category(&races, place, &resolved_paths(&resolved), omb_category, out);
    if !races.is_empty() && races.iter().all(|c| c.code == OTHER_RACE) {
        out.push(
            Finding::new(
                &catalog::RACE_OTHER_ONLY,
                format!("{}.codes", place.prefix),
                "only 2131-1 Other Race is recorded, which no OMB category reports",
            )
            .in_domain(place.domain),
        );
    }
    races
}

/// The OMB 1997 category a detailed race needs beside it.
pub fn omb_category(concept: &Concept) -> Option<&str> {
    concept.omb_category.as_deref()
}

/// The SPD-15 category a detailed race needs beside it: Middle Eastern or North African
/// (2118-8) for the MENA concepts, which SPD-15 moves out of White; OMB's otherwise.
pub fn spd15_category(concept: &Concept) -> Option<&str> {
    match concept.spd15 {
        Some(Spd15Category::MiddleEasternOrNorthAfrican) if concept.code == MENA => None,
        Some(Spd15Category::MiddleEasternOrNorthAfrican) => Some(MENA),
        _ => concept.omb_category.as_deref(),
    }
}

/// Positions and codes of resolved codes, to name a concept's path.
pub fn resolved_paths<'c>(resolved: &[codes::Resolved<'c>]) -> Vec<(usize, &'c str)> {
    resolved
        .iter()
        .map(|r| (r.index, r.concept.code.as_str()))
        .collect()
}

/// RACE_DETAILED_WITHOUT_CATEGORY: a detailed race whose category (by `category_of`:
/// OMB 1997 or SPD-15) is not recorded.
pub fn detailed_without_category(
    races: &[&Concept],
    place: &Place<'_>,
    indexed: &[(usize, &str)],
    category_of: fn(&Concept) -> Option<&str>,
    out: &mut Vec<Finding>,
) {
    for concept in races {
        if concept.level != Level::Detailed || concept.kind != Kind::Race {
            continue;
        }
        let Some(category) = category_of(concept) else {
            continue;
        };
        if category == concept.code {
            continue;
        }
        if races.iter().any(|c| c.code == category) {
            continue;
        }
        let index = indexed
            .iter()
            .find(|(_, code)| *code == concept.code)
            .map_or(0, |(i, _)| *i);
        out.push(
            Finding::new(
                &catalog::RACE_DETAILED_WITHOUT_CATEGORY,
                format!("{}.codes[{index}]", place.prefix),
                format!(
                    "{} {} is recorded without its category {}",
                    concept.code, concept.display, category
                ),
            )
            .in_domain(place.domain),
        );
    }
}
