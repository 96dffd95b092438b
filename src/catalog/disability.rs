//! Disability rules (domain `disability`, optional; `caregiver_language` for a caregiver's
//! interpreter mismatch).

use super::{Condition, Domain, Rule, Severity, BOTH};

/// Disability required and not recorded.
pub static DISABILITY_MISSING: Rule = Rule {
    id: "DISABILITY_MISSING",
    severity: Severity::Warning,
    domain: Domain::Disability,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when the profile requires the disability domain and none of the six functional-limitation questions is answered, and no null value says why.",
    why: "Children with disabilities face disparities in access and outcomes, and accommodations (interpreters, accessible rooms) cannot be planned for limitations nobody recorded.",
    source: "HHS 2011 data standards (ACA §4302); PHEC",
    hint: "Disability questions are not answered. Ask whether the child has serious difficulty hearing, seeing, concentrating or remembering, walking, dressing or bathing, or doing errands.",
};

/// Disability recorded as declined.
pub static DISABILITY_DECLINED: Rule = Rule {
    id: "DISABILITY_DECLINED",
    severity: Severity::Info,
    domain: Domain::Disability,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the disability questions are recorded as declined (NullFlavor ASKU).",
    why: "Declining counts as complete but is reported separately; a high rate can show the questions are asked in a way families find uncomfortable.",
    source: "IOM 2009",
    hint: "The family chose not to answer the disability questions. You may offer them again later and explain they help plan accommodations.",
};

/// Disability recorded as unknown.
pub static DISABILITY_UNKNOWN: Rule = Rule {
    id: "DISABILITY_UNKNOWN",
    severity: Severity::Warning,
    domain: Domain::Disability,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the disability questions are recorded as unknown (NullFlavor UNK).",
    why: "Unknown looks filled in but leaves the child out of disability-stratified measures.",
    source: "IOM 2009",
    hint: "The disability answers are marked unknown. Ask the family the six questions again; if they prefer not to answer, record 'declined'.",
};

/// Disability recorded as not yet asked.
pub static DISABILITY_NOT_ASKED: Rule = Rule {
    id: "DISABILITY_NOT_ASKED",
    severity: Severity::Warning,
    domain: Domain::Disability,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the disability questions are recorded as not yet asked (NullFlavor NASK).",
    why: "The questions still have to be asked before accommodations can be planned or disparities measured.",
    source: "IOM 2009",
    hint: "The disability questions have not been asked yet. Ask them at this visit.",
};

/// A deaf or hard-of-hearing patient booked for a spoken-language interpreter.
pub static DISABILITY_INTERPRETER_MISMATCH: Rule = Rule {
    id: "DISABILITY_INTERPRETER_MISMATCH",
    severity: Severity::Warning,
    domain: Domain::Interpreter,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the patient is recorded as deaf or having serious difficulty hearing and needing an interpreter, but the preferred language is not a sign language.",
    why: "A spoken-language interpreter cannot help a deaf patient; the mismatch means the wrong interpreter is booked and communication fails.",
    source: "ADA Title III; Section 1557 (ACA)",
    hint: "The patient has a hearing limitation and needs an interpreter, but the language recorded is a spoken one. Ask whether they use a sign language (for example American Sign Language) and record it.",
};

/// A deaf or hard-of-hearing caregiver booked for a spoken-language interpreter.
pub static CAREGIVER_DISABILITY_INTERPRETER_MISMATCH: Rule = Rule {
    id: "CAREGIVER_DISABILITY_INTERPRETER_MISMATCH",
    severity: Severity::Warning,
    domain: Domain::CaregiverLanguage,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when a caregiver is recorded as deaf or having serious difficulty hearing and needing an interpreter, but their preferred language is not a sign language.",
    why: "A deaf parent needs a sign-language interpreter to consent and to follow care instructions; booking a spoken-language interpreter leaves the family without one.",
    source: "ADA Title III; Section 1557 (ACA)",
    hint: "This caregiver has a hearing limitation and needs an interpreter, but a spoken language is recorded. Ask whether they use a sign language (for example American Sign Language) and record it.",
};
