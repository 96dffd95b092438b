//! Language-need rules: the preferred spoken language (BCP 47), the written language,
//! interpreter need and English proficiency. The same rules run for the patient (domains
//! `language` and `interpreter`) and for each caregiver (domain `caregiver_language`).

use crate::codesets::language::{CheckedTag, Scope, TagProblem};
use crate::record::wire::{EnglishProficiency, LanguageWire, NullFlavor};

use super::Context;
use crate::catalog::{self, Domain, DomainStatus, Finding, Rule};

/// Where a language answer sits and which domains its findings count against.
pub struct LanguagePlace<'p> {
    /// Path prefix, e.g. `language` or `caregivers[1].language`.
    pub prefix: &'p str,
    /// Domain of the language findings.
    pub language_domain: Domain,
    /// Domain of the interpreter findings.
    pub interpreter_domain: Domain,
}

impl LanguagePlace<'static> {
    /// The patient's own language need.
    pub const PATIENT: LanguagePlace<'static> = LanguagePlace {
        prefix: "language",
        language_domain: Domain::Language,
        interpreter_domain: Domain::Interpreter,
    };
}

/// The statuses the answer supports, before error findings turn them `invalid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanguageStatus {
    /// Of the preferred language.
    pub language: DomainStatus,
    /// Of the interpreter need.
    pub interpreter: DomainStatus,
}

/// Checks one language answer.
pub fn check(
    answer: Option<&LanguageWire>,
    ctx: &Context<'_>,
    place: &LanguagePlace<'_>,
    out: &mut Vec<Finding>,
) -> LanguageStatus {
    let empty = LanguageWire::default();
    let answer = answer.unwrap_or(&empty);
    let prefix = place.prefix;
    let lang = |rule: &'static Rule, field: &str, message: String| {
        Finding::new(rule, format!("{prefix}.{field}"), message).in_domain(place.language_domain)
    };
    let interp = |rule: &'static Rule, field: &str, message: String| {
        Finding::new(rule, format!("{prefix}.{field}"), message).in_domain(place.interpreter_domain)
    };

    let preferred = answer
        .preferred
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let mut language = DomainStatus::Complete;
    let mut checked: Option<CheckedTag> = None;
    match (preferred, answer.null_flavor) {
        (Some(tag), _) => match ctx.codes.languages.check(tag) {
            Ok(tag_info) if tag_info.language == "und" => {
                language = DomainStatus::Unknown;
                out.push(lang(
                    &catalog::LANGUAGE_UNKNOWN,
                    "preferred",
                    "und (undetermined) is recorded as the preferred language".into(),
                ));
            }
            Ok(tag_info) => {
                if let Some(deprecation) = &tag_info.deprecated {
                    out.push(lang(
                        &catalog::LANGUAGE_CODE_DEPRECATED,
                        "preferred",
                        deprecated_message(tag, deprecation.preferred.as_deref()),
                    ));
                }
                checked = Some(tag_info);
            }
            Err(problem) => out.push(lang(
                &catalog::LANGUAGE_CODE_INVALID,
                "preferred",
                invalid_message(tag, &problem),
            )),
        },
        (None, Some(flavor)) => {
            language = DomainStatus::of_null(flavor);
            let rule = match flavor {
                NullFlavor::Asku => &catalog::LANGUAGE_DECLINED,
                NullFlavor::Unk => &catalog::LANGUAGE_UNKNOWN,
                NullFlavor::Nask => &catalog::LANGUAGE_NOT_ASKED,
            };
            out.push(lang(
                rule,
                "null_flavor",
                super::null_message("the preferred language", flavor),
            ));
        }
        (None, None) => {
            language = DomainStatus::Missing;
            out.push(lang(
                &catalog::LANGUAGE_MISSING,
                "preferred",
                "no preferred spoken language for health care is recorded".into(),
            ));
        }
    }

    // Like `preferred`, a blank written language is absent (RULES.md §2), not invalid.
    let written = answer
        .written
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(tag) = written {
        match ctx.codes.languages.check(tag) {
            Ok(tag_info) => {
                if let Some(deprecation) = &tag_info.deprecated {
                    out.push(lang(
                        &catalog::LANGUAGE_CODE_DEPRECATED,
                        "written",
                        deprecated_message(tag, deprecation.preferred.as_deref()),
                    ));
                }
            }
            Err(problem) => out.push(lang(
                &catalog::WRITTEN_LANGUAGE_CODE_INVALID,
                "written",
                invalid_message(tag, &problem),
            )),
        }
    }

    let english = checked.as_ref().map(|t| t.language == "en");
    let interpreter = match answer.interpreter_needed {
        None => {
            out.push(interp(
                &catalog::INTERPRETER_NEED_MISSING,
                "interpreter_needed",
                "whether an interpreter is needed is not recorded".into(),
            ));
            DomainStatus::Missing
        }
        Some(true) => {
            if english == Some(true) {
                out.push(interp(
                    &catalog::INTERPRETER_ENGLISH_CONFLICT,
                    "interpreter_needed",
                    "an interpreter is needed but the preferred language is English".into(),
                ));
            }
            if let Some(tag) = checked.as_ref().filter(|t| too_broad(t, ctx)) {
                out.push(interp(
                    &catalog::LANGUAGE_TOO_BROAD_FOR_INTERPRETER,
                    "preferred",
                    format!(
                        "{} is a {} whose members need different interpreters",
                        tag.language,
                        if tag.scope == Scope::Collection {
                            "collection of languages"
                        } else {
                            "macrolanguage"
                        }
                    ),
                ));
            }
            DomainStatus::Complete
        }
        Some(false) => {
            let specific = checked
                .as_ref()
                .is_some_and(|t| t.scope != Scope::Special && t.scope != Scope::PrivateUse);
            if english == Some(false) && specific {
                out.push(interp(
                    &catalog::NON_ENGLISH_NO_INTERPRETER,
                    "interpreter_needed",
                    "the preferred language is not English and no interpreter is needed".into(),
                ));
            }
            DomainStatus::Complete
        }
    };

    let proficiency_conflict = match answer.english_proficiency {
        Some(EnglishProficiency::VeryWell) => answer.interpreter_needed == Some(true),
        Some(EnglishProficiency::NotAtAll) => english == Some(true),
        _ => false,
    };
    if proficiency_conflict {
        out.push(interp(
            &catalog::ENGLISH_PROFICIENCY_CONFLICT,
            "english_proficiency",
            "English proficiency contradicts the interpreter need or the preferred language".into(),
        ));
    }
    LanguageStatus {
        language,
        interpreter,
    }
}

fn too_broad(tag: &CheckedTag, ctx: &Context<'_>) -> bool {
    match tag.scope {
        Scope::Collection => true,
        Scope::Macrolanguage => ctx
            .profile
            .broad_macrolanguages
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&tag.language)),
        _ => false,
    }
}

fn deprecated_message(tag: &str, preferred: Option<&str>) -> String {
    match preferred {
        Some(preferred) => format!("{tag} is deprecated in the IANA registry; use {preferred}"),
        None => format!("{tag} is deprecated in the IANA registry"),
    }
}

fn invalid_message(tag: &str, problem: &TagProblem) -> String {
    // Language tags are short codes, not PHI; quoting them (bounded) helps integrators.
    let shown: String = tag.chars().take(35).collect();
    match problem {
        TagProblem::Malformed => format!("\"{shown}\" is not a well-formed BCP 47 language tag"),
        TagProblem::Unregistered(subtag) => {
            format!(
                "subtag \"{subtag}\" of \"{shown}\" is not in the IANA language subtag registry"
            )
        }
    }
}
