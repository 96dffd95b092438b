//! Caregiver rules (domain `caregivers`), and the caregivers' language need (domain
//! `caregiver_language`): for a toddler, the parent's language is the one that matters.

use crate::codesets::cdcrec::Concept;
use crate::record::wire::CaregiverWire;

use super::codes::Place;
use super::language::{self, LanguagePlace};
use super::{combined, ethnicity, race, Context};
use crate::catalog::{self, Domain, DomainStatus, Finding, QuestionFormat};

/// The statuses the caregivers support, before error findings turn them `invalid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaregiverStatus {
    /// Of the caregivers domain.
    pub caregivers: DomainStatus,
    /// Of the caregivers' language need.
    pub caregiver_language: DomainStatus,
}

/// Checks the caregivers. `minor` is `None` when the age is unknown: a pediatric record
/// of unknown age is treated as a minor's. `language_required` says whether the profile
/// requires the caregivers' language for this patient (for minors, by default): an adult's
/// next of kin (a spouse) gets no language or guardian findings, only a check of the codes
/// sent.
pub fn check(
    caregivers: &[CaregiverWire],
    minor: Option<bool>,
    language_required: bool,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) -> CaregiverStatus {
    if caregivers.is_empty() {
        if minor != Some(false) {
            out.push(Finding::new(
                &catalog::CAREGIVER_MISSING,
                "caregivers",
                match minor {
                    Some(_) => "the patient is a minor and no caregiver is recorded",
                    None => "no caregiver is recorded and the age is unknown (treated as a minor)",
                },
            ));
        }
        return CaregiverStatus {
            caregivers: DomainStatus::Missing,
            caregiver_language: DomainStatus::Missing,
        };
    }
    let mut caregiver_language = DomainStatus::Complete;
    for (index, caregiver) in caregivers.iter().enumerate() {
        relationship(caregiver, index, ctx, out);
        codes(caregiver, index, ctx, out);
        if !language_required {
            continue;
        }
        let prefix = format!("caregivers[{index}].language");
        let place = LanguagePlace {
            prefix: &prefix,
            language_domain: Domain::CaregiverLanguage,
            interpreter_domain: Domain::CaregiverLanguage,
        };
        let status = language::check(caregiver.language.as_ref(), ctx, &place, out);
        caregiver_language = caregiver_language
            .max(status.language)
            .max(status.interpreter);
    }
    if minor != Some(false) && !caregivers.iter().any(|c| c.legal_guardian == Some(true)) {
        out.push(Finding::new(
            &catalog::CAREGIVER_NO_LEGAL_GUARDIAN,
            "caregivers",
            "caregivers are recorded but none is marked as legal guardian",
        ));
    }
    CaregiverStatus {
        caregivers: DomainStatus::Complete,
        caregiver_language,
    }
}

fn relationship(
    caregiver: &CaregiverWire,
    index: usize,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    // A blank relationship is absent (RULES.md §2), like an omitted one: missing, not
    // invalid.
    let Some(code) = caregiver
        .relationship
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    else {
        out.push(Finding::new(
            &catalog::CAREGIVER_RELATIONSHIP_MISSING,
            format!("caregivers[{index}].relationship"),
            format!("caregiver {} has no relationship to the patient", index + 1),
        ));
        return;
    };
    let known = ctx.codes.relationships.contains(code.trim())
        || ctx
            .codes
            .relationships
            .contains(code.trim().to_ascii_uppercase().as_str());
    if !known {
        let shown: String = code.chars().take(20).collect();
        out.push(Finding::new(
            &catalog::CAREGIVER_RELATIONSHIP_INVALID,
            format!("caregivers[{index}].relationship"),
            format!("\"{shown}\" is not a relationship code of HL7 v2 table 0063"),
        ));
    }
}

/// A caregiver's own race and ethnicity, when sent, are checked code by code; their
/// absence is not a finding (caregiver race is never required).
fn codes(caregiver: &CaregiverWire, index: usize, ctx: &Context<'_>, out: &mut Vec<Finding>) {
    if caregiver.race.is_none() && caregiver.ethnicity.is_none() {
        return;
    }
    let race_prefix = format!("caregivers[{index}].race");
    let ethnicity_prefix = format!("caregivers[{index}].ethnicity");
    let place = |prefix| Place {
        prefix,
        domain: Domain::Caregivers,
        completeness: false,
    };
    if ctx.profile.question_format == QuestionFormat::Spd15 {
        combined::check(
            caregiver.race.as_ref(),
            caregiver.ethnicity.as_ref(),
            &place(&race_prefix),
            &place(&ethnicity_prefix),
            ctx,
            out,
        );
        return;
    }
    let _: Vec<&Concept> = race::check(caregiver.race.as_ref(), ctx, &place(&race_prefix), out);
    let _: Vec<&Concept> = ethnicity::check(
        caregiver.ethnicity.as_ref(),
        ctx,
        &place(&ethnicity_prefix),
        out,
    );
}
