//! Disability (domain `disability`, optional): the six HHS functional-limitation questions
//! for the patient, and the interpreter a deaf patient or caregiver needs.

use crate::record::wire::{DisabilityWire, LanguageWire, NullFlavor};

use super::Context;
use crate::catalog::{self, DomainStatus, Finding, Rule};

/// Checks the patient's disability answers; `required` is whether the profile requires
/// the domain for this patient.
pub fn check(
    answer: Option<&DisabilityWire>,
    required: bool,
    out: &mut Vec<Finding>,
) -> DomainStatus {
    match answer {
        Some(answer) if answer.any_answered() => DomainStatus::Complete,
        Some(DisabilityWire {
            null_flavor: Some(flavor),
            ..
        }) => {
            let rule: &'static Rule = match flavor {
                NullFlavor::Asku => &catalog::DISABILITY_DECLINED,
                NullFlavor::Unk => &catalog::DISABILITY_UNKNOWN,
                NullFlavor::Nask => &catalog::DISABILITY_NOT_ASKED,
            };
            out.push(Finding::new(
                rule,
                "disability.null_flavor",
                super::null_message("disability", *flavor),
            ));
            DomainStatus::of_null(*flavor)
        }
        _ => {
            if required {
                out.push(Finding::new(
                    &catalog::DISABILITY_MISSING,
                    "disability",
                    "none of the six functional-limitation questions is answered",
                ));
            }
            DomainStatus::Missing
        }
    }
}

/// DISABILITY_INTERPRETER_MISMATCH (the patient, `prefix` `disability`) and
/// CAREGIVER_DISABILITY_INTERPRETER_MISMATCH (a caregiver): deaf or hard of hearing,
/// needing an interpreter, with a spoken preferred language.
pub fn interpreter_mismatch(
    disability: Option<&DisabilityWire>,
    language: Option<&LanguageWire>,
    prefix: &str,
    rule: &'static Rule,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    let deaf = disability.is_some_and(|d| d.hearing == Some(true));
    let Some(language) = language.filter(|l| deaf && l.interpreter_needed == Some(true)) else {
        return;
    };
    let Some(tag) = language.preferred.as_deref().map(str::trim) else {
        return;
    };
    let Ok(checked) = ctx.codes.languages.check(tag) else {
        return;
    };
    if ctx.codes.languages.is_sign_language(&checked.language) {
        return;
    }
    out.push(Finding::new(
        rule,
        format!("{prefix}.hearing"),
        format!("a hearing limitation and an interpreter need are recorded, but {} is a spoken language", checked.language),
    ));
}
