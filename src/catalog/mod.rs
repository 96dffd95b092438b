//! The catalog: every rule's stable ID, default severity, domain, description, source and
//! staff hint in one place (RULES.md §4), and the vocabulary that rules, profiles, the engine
//! and reports share to speak about them.
//!
//! The vocabulary is what a [`Finding`] is made of, [`Severity`] and [`Domain`], the
//! [`DomainStatus`] a domain ends up with, and the [`QuestionFormat`] a profile asks race and
//! ethnicity in. The rules are declared one file per domain and listed in [`ALL`].
//!
//! `GET /v1/framework` and `docs/rules.md` ([`docs`]) are generated from [`ALL`], so this
//! module is the single source of truth for what a rule means. Rule IDs are a public contract
//! that EHR integrations and dashboards key on: add rules freely, never rename or remove one.
//!
//! The catalog imports neither the rules that decide when a finding fires nor the profile
//! that tunes them, so both can depend on it.

mod condition;
pub mod docs;
mod domain;
mod finding;
mod question;
mod rule;
mod severity;

mod caregivers;
mod collection;
mod disability;
mod ethnicity;
mod language;
mod mapping;
mod race;
mod sdoh;
mod sogi;

pub use condition::Condition;
pub use domain::{Domain, DomainStatus};
pub use finding::Finding;
pub use question::QuestionFormat;
pub use rule::{Rule, BOTH, OMB1997_ONLY, SPD15_ONLY};
pub use severity::Severity;

pub use caregivers::*;
pub use collection::*;
pub use disability::*;
pub use ethnicity::*;
pub use language::*;
pub use mapping::*;
pub use race::*;
pub use sdoh::*;
pub use sogi::*;

// ---------------------------------------------------------------------------------------
// The catalog
// ---------------------------------------------------------------------------------------

/// Every rule, in catalog order (RULES.md §4): race, ethnicity, language, caregivers,
/// collection.
pub static ALL: &[&Rule] = &[
    // Race
    &RACE_MISSING,
    &RACE_TEXT_ONLY,
    &RACE_UNKNOWN,
    &RACE_NOT_ASKED,
    &RACE_DECLINED,
    &RACE_CODE_INVALID,
    &RACE_ABSTRACT_CODE,
    &RACE_NULL_WITH_VALUES,
    &RACE_DETAILED_WITHOUT_CATEGORY,
    &RACE_OTHER_ONLY,
    &RACE_HISPANIC_AS_RACE,
    &RACE_DISPLAY_MISMATCH,
    &RACE_DUPLICATE_CODE,
    &RACE_ETHNICITY_MISSING,
    // Ethnicity
    &ETHNICITY_MISSING,
    &ETHNICITY_TEXT_ONLY,
    &ETHNICITY_UNKNOWN,
    &ETHNICITY_NOT_ASKED,
    &ETHNICITY_DECLINED,
    &ETHNICITY_CODE_INVALID,
    &ETHNICITY_ABSTRACT_CODE,
    &ETHNICITY_NULL_WITH_VALUES,
    &ETHNICITY_CONFLICT,
    &ETHNICITY_DETAILED_CONFLICT,
    &ETHNICITY_DETAILED_WITHOUT_CATEGORY,
    &ETHNICITY_RACE_CODE,
    &ETHNICITY_DISPLAY_MISMATCH,
    &ETHNICITY_DUPLICATE_CODE,
    &GRANULAR_ETHNICITY_MISSING,
    // Language
    &LANGUAGE_MISSING,
    &LANGUAGE_UNKNOWN,
    &LANGUAGE_NOT_ASKED,
    &LANGUAGE_DECLINED,
    &LANGUAGE_CODE_INVALID,
    &LANGUAGE_CODE_DEPRECATED,
    &LANGUAGE_TOO_BROAD_FOR_INTERPRETER,
    &INTERPRETER_NEED_MISSING,
    &INTERPRETER_ENGLISH_CONFLICT,
    &NON_ENGLISH_NO_INTERPRETER,
    &ENGLISH_PROFICIENCY_CONFLICT,
    &WRITTEN_LANGUAGE_CODE_INVALID,
    // Caregivers
    &CAREGIVER_MISSING,
    &CAREGIVER_RELATIONSHIP_INVALID,
    &CAREGIVER_RELATIONSHIP_MISSING,
    &CAREGIVER_NO_LEGAL_GUARDIAN,
    // Reporter, age and re-collection
    &REPORTER_MISSING,
    &REPORTED_BY_STAFF_OBSERVATION,
    &SELF_REPORT_UNDER_AGE,
    &SELF_REPORT_AGE_REACHED,
    &RECOLLECTION_DUE,
    &BIRTH_DATE_MISSING,
    &BIRTH_DATE_INVALID,
    &RECORDED_AT_IN_FUTURE,
    // Code maps
    &CODE_MAPPED,
    // Sexual orientation and gender identity (optional)
    &SOGI_MISSING,
    &SOGI_DECLINED,
    &SOGI_UNKNOWN,
    &SOGI_NOT_ASKED,
    &SOGI_CODE_INVALID,
    &SOGI_UNDER_AGE,
    &SOGI_REPORTED_BY_PROXY,
    // Disability (optional)
    &DISABILITY_MISSING,
    &DISABILITY_DECLINED,
    &DISABILITY_UNKNOWN,
    &DISABILITY_NOT_ASKED,
    &DISABILITY_INTERPRETER_MISMATCH,
    &CAREGIVER_DISABILITY_INTERPRETER_MISMATCH,
    // Social-needs screening (optional)
    &SDOH_MISSING,
    &SDOH_DECLINED,
    &SDOH_NOT_ASKED,
    &SDOH_SCREENING_DATE_MISSING,
    &SDOH_SCREENING_DATE_INVALID,
    &SDOH_SCREENING_STALE,
];

/// The catalogued rule with this ID, if any (IDs are case-sensitive).
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|rule| rule.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn ends_a_sentence(text: &str) -> bool {
        text.ends_with('.') || text.ends_with('?')
    }

    #[test]
    fn rule_ids_are_unique() {
        let mut seen = HashSet::new();
        for rule in ALL {
            assert!(seen.insert(rule.id), "duplicate rule ID {}", rule.id);
        }
    }

    #[test]
    fn every_rule_is_listed_once_by_address() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                assert!(!std::ptr::eq(*a, *b), "{} is listed twice", a.id);
            }
        }
    }

    #[test]
    fn every_id_is_screaming_snake_case() {
        for rule in ALL {
            let id = rule.id;
            let well_formed = !id.is_empty()
                && id.starts_with(|c: char| c.is_ascii_uppercase())
                && !id.ends_with('_')
                && !id.contains("__")
                && id
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            assert!(well_formed, "{id} is not SCREAMING_SNAKE_CASE");
        }
    }

    #[test]
    fn every_hint_and_description_is_a_finished_sentence() {
        for rule in ALL {
            for (field, text) in [
                ("hint", rule.hint),
                ("description", rule.description),
                ("why", rule.why),
            ] {
                assert!(!text.trim().is_empty(), "{} has an empty {field}", rule.id);
                assert!(
                    ends_a_sentence(text),
                    "{}'s {field} does not end with '.' or '?'",
                    rule.id
                );
            }
            assert!(!rule.source.trim().is_empty(), "{} has no source", rule.id);
        }
    }

    #[test]
    fn by_id_finds_every_rule_and_nothing_else() {
        for rule in ALL {
            let found = by_id(rule.id).expect("catalogued rule not found");
            assert!(
                std::ptr::eq(found, *rule),
                "{} found at another address",
                rule.id
            );
        }
        assert_eq!(by_id("NO_SUCH_RULE"), None);
        assert_eq!(by_id(""), None);
        assert_eq!(by_id("race_missing"), None);
    }

    #[test]
    fn by_id_returns_the_named_static() {
        assert!(std::ptr::eq(by_id("RACE_MISSING").unwrap(), &RACE_MISSING));
        assert_eq!(
            by_id("LANGUAGE_TOO_BROAD_FOR_INTERPRETER").map(|r| r.domain),
            Some(Domain::Interpreter)
        );
    }
}
