//! Language-need rules (domains `language` and `interpreter`; `caregiver_language` when found on a caregiver).

use super::{Condition, Domain, Rule, Severity, BOTH};

/// Preferred spoken language absent.
pub static LANGUAGE_MISSING: Rule = Rule {
    id: "LANGUAGE_MISSING",
    severity: Severity::Warning,
    domain: Domain::Language,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when the preferred spoken language for health care is absent.",
    why: "Preferred language is the basis for offering interpreters and translated materials; without it, language barriers cannot be found or measured.",
    source: "IOM 2009",
    hint: "Preferred language is not recorded. Ask: 'Which language do you prefer to use when talking with the doctor or nurse?' Ask it for the child and for each parent or guardian.",
};

/// Preferred spoken language recorded as unknown.
pub static LANGUAGE_UNKNOWN: Rule = Rule {
    id: "LANGUAGE_UNKNOWN",
    severity: Severity::Warning,
    domain: Domain::Language,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the preferred spoken language for health care is recorded as unknown.",
    why: "An unknown language means no one can tell whether an interpreter is needed, and the person drops out of language measures.",
    source: "IOM 2009",
    hint: "Preferred language is marked unknown. Ask: 'Which language do you prefer to use when talking with the doctor or nurse?' If they would rather not say, record 'declined'.",
};

/// Preferred spoken language recorded as not asked (NASK).
pub static LANGUAGE_NOT_ASKED: Rule = Rule {
    id: "LANGUAGE_NOT_ASKED",
    severity: Severity::Warning,
    domain: Domain::Language,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the preferred spoken language for health care is recorded as not yet asked (NullFlavor NASK).",
    why: "The question still has to be asked; until it is, a need for an interpreter can go unnoticed.",
    source: "IOM 2009",
    hint: "Preferred language has not been asked yet. Ask: 'Which language do you prefer to use when talking with the doctor or nurse?' Ask it for the child and for each parent or guardian.",
};

/// Preferred spoken language recorded as declined.
pub static LANGUAGE_DECLINED: Rule = Rule {
    id: "LANGUAGE_DECLINED",
    severity: Severity::Info,
    domain: Domain::Language,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the preferred spoken language for health care is recorded as declined.",
    why: "Declining is a valid answer and counts as complete, but it is reported separately because the person may still need language help.",
    source: "IOM 2009",
    hint: "The person chose not to share a preferred language. Respect that, but if they seem to have trouble with English, offer an interpreter anyway.",
};

/// Not a well-formed BCP 47 tag, or a subtag not in the IANA registry.
pub static LANGUAGE_CODE_INVALID: Rule = Rule {
    id: "LANGUAGE_CODE_INVALID",
    severity: Severity::Error,
    domain: Domain::Language,
    condition: Condition::NotInTable,
    formats: BOTH,
    description: "Fires when a language code is not a well-formed BCP 47 tag or contains a subtag that is not in the IANA language subtag registry.",
    why: "An unrecognised language cannot be matched to an interpreter or counted, so the person's language need is effectively lost.",
    source: "BCP 47 / IANA registry",
    hint: "The language entry is not recognised. Ask which language the person prefers and pick it from the list instead of typing it.",
};

/// A subtag the IANA registry marks deprecated.
pub static LANGUAGE_CODE_DEPRECATED: Rule = Rule {
    id: "LANGUAGE_CODE_DEPRECATED",
    severity: Severity::Info,
    domain: Domain::Language,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the IANA registry marks a language subtag as deprecated (e.g. iw, in), so its preferred value should be used instead.",
    why: "Deprecated codes split one language across two codes (iw and he for Hebrew), so counts and interpreter matching can miss people.",
    source: "BCP 47 / IANA registry",
    hint: "The language is stored with an old code. Select the language again from the list so it is saved with the current code; there is no need to ask the family.",
};

/// Interpreter needed, but the tag is a collection or an ambiguous macrolanguage.
pub static LANGUAGE_TOO_BROAD_FOR_INTERPRETER: Rule = Rule {
    id: "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
    severity: Severity::Warning,
    domain: Domain::Interpreter,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when an interpreter is needed and the language tag is a collection (such as sgn, sign languages) or a macrolanguage whose members need different interpreters (by default zh: Mandarin or Cantonese?).",
    why: "Interpreters are booked for one specific language; 'Chinese' or 'sign language' does not say whom to send, so the visit may start without the right interpreter.",
    source: "BCP 47 / IANA registry",
    hint: "The language is too general to book an interpreter. Ask which one exactly, for example Mandarin or Cantonese, or which sign language, such as American Sign Language.",
};

/// Interpreter need not recorded.
pub static INTERPRETER_NEED_MISSING: Rule = Rule {
    id: "INTERPRETER_NEED_MISSING",
    severity: Severity::Warning,
    domain: Domain::Interpreter,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when whether an interpreter is needed is not recorded; language need is two questions: which language, and whether an interpreter is wanted.",
    why: "Preferred language alone does not tell staff to book an interpreter, and families with limited English who get no interpreter face more errors and worse outcomes.",
    source: "IOM 2009",
    hint: "Ask: 'Would you like an interpreter for your child's visits?' Language need is two questions: which language, and whether an interpreter is wanted.",
};

/// Interpreter needed but English preferred.
pub static INTERPRETER_ENGLISH_CONFLICT: Rule = Rule {
    id: "INTERPRETER_ENGLISH_CONFLICT",
    severity: Severity::Warning,
    domain: Domain::Interpreter,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when an interpreter is recorded as needed but the preferred language is English.",
    why: "One of the two answers is wrong: either an interpreter is booked for nothing, or the real language is missing and the right interpreter will not come.",
    source: "IOM 2009",
    hint: "The record says English is preferred but an interpreter is needed. Ask: 'Which language should the interpreter speak?' and correct whichever answer is wrong.",
};

/// Preferred language not English and interpreter not needed: confirm.
pub static NON_ENGLISH_NO_INTERPRETER: Rule = Rule {
    id: "NON_ENGLISH_NO_INTERPRETER",
    severity: Severity::Info,
    domain: Domain::Interpreter,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the preferred language is not English and an interpreter is recorded as not needed, so the answer should be confirmed.",
    why: "Many bilingual families need no interpreter, but this combination is also a common data-entry default; confirming it avoids missing families who need language help.",
    source: "IOM 2009",
    hint: "The preferred language is not English and no interpreter is recorded. Confirm: 'Would you like an interpreter for your child's visits?' If not, nothing needs to change.",
};

/// English proficiency contradicting interpreter need or preferred language.
pub static ENGLISH_PROFICIENCY_CONFLICT: Rule = Rule {
    id: "ENGLISH_PROFICIENCY_CONFLICT",
    severity: Severity::Warning,
    domain: Domain::Interpreter,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when English proficiency is recorded as very well while an interpreter is needed, or as not at all while English is the preferred language.",
    why: "English proficiency is the usual screen for limited English proficiency; when it contradicts the other answers, none of the language-need data can be trusted.",
    source: "IOM 2009",
    hint: "The answers about English do not fit together. Ask again: 'How well do you speak English: very well, well, not well, or not at all?' and check the interpreter answer.",
};

/// Written language present and invalid.
pub static WRITTEN_LANGUAGE_CODE_INVALID: Rule = Rule {
    id: "WRITTEN_LANGUAGE_CODE_INVALID",
    severity: Severity::Error,
    domain: Domain::Language,
    condition: Condition::NotInTable,
    formats: BOTH,
    description: "Fires when a written language is recorded but is not a well-formed BCP 47 tag with subtags registered in the IANA registry.",
    why: "Written language decides which translated forms and instructions a family receives; an unrecognised code means they get none, or the wrong ones.",
    source: "BCP 47 / IANA registry",
    hint: "The language for written materials is not recognised. Ask: 'In which language would you like to get letters and instructions?' and pick it from the list.",
};
