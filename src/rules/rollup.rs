//! OMB roll-ups returned on every result: OMB 1997 (race categories + ethnicity) and the
//! SPD-15 (2024) combined list, with MENA moved out of White.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::codesets::cdcrec::{Concept, Kind, Spd15Category, HISPANIC, NOT_HISPANIC};

/// The OMB 1997 roll-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Omb1997 {
    /// Distinct OMB race categories, in code order (Other Race is not one).
    pub race: Vec<&'static str>,
    /// `2135-2`, `2186-5`, or none when unanswered or contradictory.
    pub ethnicity: Option<&'static str>,
}

/// Rolls valid race and ethnicity concepts up to OMB 1997 categories.
pub fn omb_1997(races: &[&Concept], ethnicities: &[&Concept]) -> Omb1997 {
    let race: BTreeSet<&'static str> = races
        .iter()
        .filter(|c| c.kind == Kind::Race)
        .filter_map(|c| c.omb_category.as_deref())
        .filter_map(|code| {
            crate::codesets::cdcrec::OMB_RACE_CATEGORIES
                .iter()
                .find(|omb| **omb == code)
                .copied()
        })
        .collect();
    let hispanic = races.iter().chain(ethnicities).any(|c| c.is_hispanic());
    let not_hispanic = ethnicities.iter().any(|c| c.code == NOT_HISPANIC);
    let ethnicity = match (hispanic, not_hispanic) {
        (true, false) => Some(HISPANIC),
        (false, true) => Some(NOT_HISPANIC),
        _ => None,
    };
    Omb1997 {
        race: race.into_iter().collect(),
        ethnicity,
    }
}

/// The SPD-15 combined categories, in their canonical order.
pub fn spd15(races: &[&Concept], omb: &Omb1997) -> Vec<Spd15Category> {
    let mut categories: BTreeSet<Spd15Category> = races
        .iter()
        .filter(|c| c.kind == Kind::Race)
        .filter_map(|c| c.spd15)
        .collect();
    if omb.ethnicity == Some(HISPANIC) {
        categories.insert(Spd15Category::HispanicOrLatino);
    }
    categories.into_iter().collect()
}
