//! Checks shared by the race and the ethnicity answer: the null value, each code's system,
//! shape, check digit and membership, display text and duplicates. The question-specific
//! rules live in `race.rs` and `ethnicity.rs`.

use crate::codesets::cdcrec::{Cdcrec, CodeProblem, Concept};
use crate::record::wire::{CodedAnswer, NullFlavor};

use crate::catalog::{self, Domain, Finding, Rule};

/// The rules one question uses for the checks they share.
pub struct AnswerRules {
    /// No codes and no null value.
    pub missing: &'static Rule,
    /// UNK.
    pub unknown: &'static Rule,
    /// NASK.
    pub not_asked: &'static Rule,
    /// ASKU.
    pub declined: &'static Rule,
    /// Text only, which no map knows.
    pub text_only: &'static Rule,
    /// A null value together with codes.
    pub null_with_values: &'static Rule,
    /// Malformed, bad check digit, unknown code or system.
    pub invalid: &'static Rule,
    /// The display names another concept.
    pub display_mismatch: &'static Rule,
    /// The same code twice.
    pub duplicate: &'static Rule,
}

/// Race's shared rules.
pub static RACE: AnswerRules = AnswerRules {
    missing: &catalog::RACE_MISSING,
    unknown: &catalog::RACE_UNKNOWN,
    not_asked: &catalog::RACE_NOT_ASKED,
    declined: &catalog::RACE_DECLINED,
    text_only: &catalog::RACE_TEXT_ONLY,
    null_with_values: &catalog::RACE_NULL_WITH_VALUES,
    invalid: &catalog::RACE_CODE_INVALID,
    display_mismatch: &catalog::RACE_DISPLAY_MISMATCH,
    duplicate: &catalog::RACE_DUPLICATE_CODE,
};

/// Ethnicity's shared rules.
pub static ETHNICITY: AnswerRules = AnswerRules {
    missing: &catalog::ETHNICITY_MISSING,
    unknown: &catalog::ETHNICITY_UNKNOWN,
    not_asked: &catalog::ETHNICITY_NOT_ASKED,
    declined: &catalog::ETHNICITY_DECLINED,
    text_only: &catalog::ETHNICITY_TEXT_ONLY,
    null_with_values: &catalog::ETHNICITY_NULL_WITH_VALUES,
    invalid: &catalog::ETHNICITY_CODE_INVALID,
    display_mismatch: &catalog::ETHNICITY_DISPLAY_MISMATCH,
    duplicate: &catalog::ETHNICITY_DUPLICATE_CODE,
};

/// A code of the answer that is a CDCREC concept, with its index in `codes`.
pub struct Resolved<'c> {
    /// Position in `codes[]`.
    pub index: usize,
    /// The concept.
    pub concept: &'c Concept,
}

impl Resolved<'_> {
    /// This code's path under the answer at `prefix`.
    pub fn path<'p>(&self, prefix: &'p str) -> CodePath<'p> {
        CodePath {
            prefix,
            index: self.index,
        }
    }
}

/// `prefix.codes[index]`: a code's path, formatted only when a finding names it (most
/// codes are valid, and formatting every path cost a few percent of judging).
#[derive(Debug, Clone, Copy)]
pub struct CodePath<'p> {
    /// The answer's path, e.g. `race`.
    pub prefix: &'p str,
    /// Position in `codes[]`.
    pub index: usize,
}

impl std::fmt::Display for CodePath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.codes[{}]", self.prefix, self.index)
    }
}

/// Where the answer sits and what to count findings against.
pub struct Place<'p> {
    /// Path prefix, e.g. `race` or `caregivers[0].race`.
    pub prefix: &'p str,
    /// The domain findings count against.
    pub domain: Domain,
    /// Whether missing/null rules apply (the patient's answers; not the caregivers').
    pub completeness: bool,
}

/// Runs the shared checks and returns the codes that resolved to concepts, in order,
/// duplicates removed. Codes with problems get an `invalid` finding and are left out.
pub fn check_answer<'c>(
    answer: Option<&CodedAnswer>,
    rules: &AnswerRules,
    cdcrec: &'c Cdcrec,
    place: &Place<'_>,
    out: &mut Vec<Finding>,
) -> Vec<Resolved<'c>> {
    let push = |out: &mut Vec<Finding>, finding: Finding| out.push(finding.in_domain(place.domain));
    let prefix = place.prefix;
    let codes = answer.map(|a| a.codes.as_slice()).unwrap_or_default();
    let null_flavor = answer.and_then(|a| a.null_flavor);
    match (null_flavor, codes.is_empty()) {
        (Some(_), false) => push(
            out,
            Finding::new(
                rules.null_with_values,
                format!("{prefix}.null_flavor"),
                "a null value is recorded together with codes; keep one or the other",
            ),
        ),
        (Some(flavor), true) if place.completeness => {
            let rule = match flavor {
                NullFlavor::Asku => rules.declined,
                NullFlavor::Unk => rules.unknown,
                NullFlavor::Nask => rules.not_asked,
            };
            push(
                out,
                Finding::new(
                    rule,
                    format!("{prefix}.null_flavor"),
                    super::null_message(prefix, flavor),
                ),
            );
        }
        // Text that the map pre-pass could not code: heard, but not coded. The text itself
        // is the family's words and is not repeated.
        (None, true) if place.completeness && answer.is_some_and(|a| a.text.is_some()) => push(
            out,
            Finding::new(
                rules.text_only,
                format!("{prefix}.text"),
                format!("{prefix} holds only a text, which no code map turns into a code"),
            ),
        ),
        (None, true) if place.completeness => push(
            out,
            Finding::new(
                rules.missing,
                prefix.to_string(),
                format!("{prefix} holds no codes and no null value saying why"),
            ),
        ),
        _ => {}
    }
    let mut resolved: Vec<Resolved<'c>> = Vec::with_capacity(codes.len());
    for (index, code) in codes.iter().enumerate() {
        let path = CodePath { prefix, index };
        if !Cdcrec::accepts_system(code.system.as_deref()) {
            push(
                out,
                Finding::new(
                    rules.invalid,
                    format!("{path}.system"),
                    "the code system is not CDCREC (urn:oid:2.16.840.1.113883.6.238 or an accepted alias)",
                ),
            );
            continue;
        }
        let concept = match cdcrec.lookup(code.code.trim()) {
            Ok(concept) => concept,
            Err(problem) => {
                let message = match problem {
                    CodeProblem::Malformed => "the code is not of the CDCREC form dddd-d",
                    CodeProblem::CheckDigit => "the code fails its mod-10 check digit",
                    CodeProblem::Unknown => "the code is not in the CDC Race & Ethnicity Code Set",
                };
                push(
                    out,
                    Finding::new(rules.invalid, format!("{path}.code"), message),
                );
                continue;
            }
        };
        if resolved.iter().any(|r| r.concept.code == concept.code) {
            push(
                out,
                Finding::new(
                    rules.duplicate,
                    path.to_string(),
                    format!("code {} is recorded more than once", concept.code),
                ),
            );
            continue;
        }
        if let Some(display) = code.display.as_deref() {
            if let Some(named) = display_names_other(cdcrec, display, concept) {
                push(
                    out,
                    Finding::new(
                        rules.display_mismatch,
                        format!("{path}.display"),
                        format!(
                            "code {} is \"{}\" but the display names {} \"{}\"",
                            concept.code, concept.display, named.code, named.display
                        ),
                    ),
                );
            }
        }
        resolved.push(Resolved { index, concept });
    }
    resolved
}

/// The other concept a display names, when it names one and not the code's own.
fn display_names_other<'c>(
    cdcrec: &'c Cdcrec,
    display: &str,
    concept: &Concept,
) -> Option<&'c Concept> {
    let mut named = cdcrec.by_display(display).peekable();
    named.peek()?;
    let mut others = Vec::new();
    for candidate in named {
        if candidate.code == concept.code {
            return None;
        }
        others.push(candidate);
    }
    others.into_iter().next()
}
