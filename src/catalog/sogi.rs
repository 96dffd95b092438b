//! Sexual orientation and gender identity rules (domain `sogi`, optional).

use super::{Condition, Domain, Rule, Severity, BOTH};

/// SOGI required and not recorded for an adolescent.
pub static SOGI_MISSING: Rule = Rule {
    id: "SOGI_MISSING",
    severity: Severity::Warning,
    domain: Domain::Sogi,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when the profile requires the sogi domain, the patient has reached the profile's SOGI age (default 12) and neither sexual orientation nor gender identity is recorded, nor a null value saying why.",
    why: "Sexual and gender minority youth face documented disparities in mental health and care; they cannot be measured when SOGI is never asked.",
    source: "PHEC; USCDI v3 (SOGI); The Joint Commission",
    hint: "Sexual orientation and gender identity are not recorded. Offer the adolescent the questions in private, without the parent present; they may choose not to answer.",
};

/// A SOGI answer recorded as declined.
pub static SOGI_DECLINED: Rule = Rule {
    id: "SOGI_DECLINED",
    severity: Severity::Info,
    domain: Domain::Sogi,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when sexual orientation, gender identity or pronouns are recorded as declined (NullFlavor ASKU).",
    why: "Declining is a valid answer and counts as complete; a high rate can show the questions are asked without privacy.",
    source: "IOM 2009; US Core",
    hint: "The adolescent chose not to answer, which is their right. The questions can be offered again, in private, at a later visit.",
};

/// A SOGI answer recorded as unknown.
pub static SOGI_UNKNOWN: Rule = Rule {
    id: "SOGI_UNKNOWN",
    severity: Severity::Warning,
    domain: Domain::Sogi,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when sexual orientation, gender identity or pronouns are recorded as unknown (NullFlavor UNK).",
    why: "Unknown looks filled in but leaves the patient out of SOGI-stratified measures.",
    source: "IOM 2009; US Core",
    hint: "This answer is marked unknown. Offer the question to the adolescent again, in private; if they prefer not to answer, record 'declined'.",
};

/// A SOGI answer recorded as not yet asked.
pub static SOGI_NOT_ASKED: Rule = Rule {
    id: "SOGI_NOT_ASKED",
    severity: Severity::Warning,
    domain: Domain::Sogi,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when sexual orientation, gender identity or pronouns are recorded as not yet asked (NullFlavor NASK).",
    why: "The question still has to be asked; until then the patient is missing from SOGI-stratified measures.",
    source: "IOM 2009; US Core",
    hint: "This question has not been asked yet. At this visit, offer it to the adolescent in private.",
};

/// A SOGI code outside its value set.
pub static SOGI_CODE_INVALID: Rule = Rule {
    id: "SOGI_CODE_INVALID",
    severity: Severity::Error,
    domain: Domain::Sogi,
    condition: Condition::NotInTable,
    formats: BOTH,
    description: "Fires when a sexual orientation code is not in the US Core sexual orientation value set, a pronoun code is not in the HL7 pronouns value set, or a gender identity code is not a well-formed SNOMED CT identifier.",
    why: "Codes outside the value sets cannot be counted or exchanged through US Core, so the answer is lost to measurement.",
    source: "US Core 6.1 (us-core-sexual-orientation); HL7 pronouns value set; SNOMED CT",
    hint: "A SOGI answer has a code the system does not recognise. Pick the answer again from the list; this is usually an interface problem to report.",
};

/// SOGI recorded for a child younger than the profile's SOGI age.
pub static SOGI_UNDER_AGE: Rule = Rule {
    id: "SOGI_UNDER_AGE",
    severity: Severity::Warning,
    domain: Domain::Sogi,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when sexual orientation or gender identity is recorded for a patient younger than the profile's SOGI age (default 12).",
    why: "SOGI is asked of adolescents in their own words; an answer recorded for a young child was almost certainly given or assumed by someone else.",
    source: "PHEC; AAP guidance on adolescent confidentiality",
    hint: "Sexual orientation or gender identity is recorded for a young child. Check where the answer came from; these questions are asked of adolescents themselves.",
};

/// SOGI reported by someone other than the patient.
pub static SOGI_REPORTED_BY_PROXY: Rule = Rule {
    id: "SOGI_REPORTED_BY_PROXY",
    severity: Severity::Warning,
    domain: Domain::Sogi,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when SOGI answers are recorded as reported by a caregiver or observed by staff instead of by the patient.",
    why: "Only the person can say their sexual orientation and gender identity; proxy answers are unreliable and can put the adolescent at risk.",
    source: "PHEC; USCDI v3 (SOGI)",
    hint: "These answers were given by a parent or guessed by staff. Offer the questions to the adolescent directly and in private, and record their own answer.",
};
