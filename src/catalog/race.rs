//! Race rules (domain `race`).

use super::{Condition, Domain, Rule, Severity, BOTH, OMB1997_ONLY, SPD15_ONLY};

/// No race codes and no null value.
pub static RACE_MISSING: Rule = Rule {
    id: "RACE_MISSING",
    severity: Severity::Warning,
    domain: Domain::Race,
    condition: Condition::Missing,
    formats: OMB1997_ONLY,
    description: "Fires when the record has no race codes and no null value saying why race is absent.",
    why: "Without race the patient cannot be counted in any race-stratified measure, so disparities in care and outcomes stay invisible.",
    source: "OMB 1997",
    hint: "Race is not recorded. Ask: 'Which race or races do you consider your child to be? You can choose more than one.' If the family prefers not to answer, record that they declined.",
};

/// Race sent as text only, which no code map knows.
pub static RACE_TEXT_ONLY: Rule = Rule {
    id: "RACE_TEXT_ONLY",
    severity: Severity::Warning,
    domain: Domain::Race,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when race (or, under SPD-15, race and ethnicity) is recorded as text only (no code, no null value) and no code map turns the text into a CDCREC code.",
    why: "Free text cannot be counted in any race category; the family's answer was heard but not coded.",
    source: "OMB 1997; US Core us-core-race",
    hint: "Race was written in words but not picked from the list. Read the family's answer back and choose the matching category (and detailed group if they gave one).",
};

/// Race recorded as unknown (UNK).
pub static RACE_UNKNOWN: Rule = Rule {
    id: "RACE_UNKNOWN",
    severity: Severity::Warning,
    domain: Domain::Race,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when race is recorded as unknown (NullFlavor UNK).",
    why: "Unknown is not an answer: the field looks filled, yet the patient is left out of race-stratified measures. IOM asks to keep unknown, declined and not asked distinct.",
    source: "IOM 2009",
    hint: "Race is marked unknown. Ask the family again which race or races they consider the child to be; if they would rather not answer, record 'declined' instead of 'unknown'.",
};

/// Race recorded as not asked (NASK).
pub static RACE_NOT_ASKED: Rule = Rule {
    id: "RACE_NOT_ASKED",
    severity: Severity::Warning,
    domain: Domain::Race,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when race is recorded as not yet asked (NullFlavor NASK).",
    why: "The question still has to be asked; until it is, the patient is missing from race-stratified measures.",
    source: "IOM 2009",
    hint: "Race has not been asked yet. At this visit, ask: 'Which race or races do you consider your child to be?' More than one can be chosen.",
};

/// Race recorded as declined (ASKU).
pub static RACE_DECLINED: Rule = Rule {
    id: "RACE_DECLINED",
    severity: Severity::Info,
    domain: Domain::Race,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when race is recorded as declined: the person was asked and chose not to answer (NullFlavor ASKU).",
    why: "Declining is a valid answer and counts as complete, but it is reported separately because high decline rates can show a problem with how the question is asked.",
    source: "IOM 2009",
    hint: "The family chose not to share race, which is their right. You may offer the question again at a later visit and explain it helps make sure all children get equal care.",
};

/// A race code that is malformed, fails its check digit, is unknown or not a race concept.
pub static RACE_CODE_INVALID: Rule = Rule {
    id: "RACE_CODE_INVALID",
    severity: Severity::Error,
    domain: Domain::Race,
    condition: Condition::NotInTable,
    formats: BOTH,
    description: "Fires when a race code is malformed, fails its check digit, is not in the CDC Race & Ethnicity Code Set, or is not a race concept.",
    why: "An invalid code cannot be rolled up to an OMB category, so the patient's race is lost to every report.",
    source: "CDCREC",
    hint: "The race entry is not a valid choice. Ask which race or races the family considers the child to be and pick them from the list instead of typing them.",
};

/// The abstract root 1000-9 used as a value.
pub static RACE_ABSTRACT_CODE: Rule = Rule {
    id: "RACE_ABSTRACT_CODE",
    severity: Severity::Error,
    domain: Domain::Race,
    condition: Condition::NotInTable,
    formats: BOTH,
    description: "Fires when the abstract root concept 1000-9 (Race) is used as a race value.",
    why: "1000-9 is the heading of the race hierarchy, not a race: it carries no information and cannot be reported.",
    source: "CDCREC",
    hint: "The heading 'Race' was selected instead of an answer. Ask which race or races the family considers the child to be and choose those.",
};

/// A null value together with race codes.
pub static RACE_NULL_WITH_VALUES: Rule = Rule {
    id: "RACE_NULL_WITH_VALUES",
    severity: Severity::Error,
    domain: Domain::Race,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when a null value (unknown, declined or not asked) is recorded together with race codes.",
    why: "The record contradicts itself, so reports cannot tell whether the patient answered; US Core forbids the combination.",
    source: "US Core us-core-23",
    hint: "Race has both an answer and 'unknown', 'declined' or 'not asked'. Check with the family which is right and keep only that.",
};

/// A detailed race code without its category (OMB 1997, or SPD-15 under the combined question).
pub static RACE_DETAILED_WITHOUT_CATEGORY: Rule = Rule {
    id: "RACE_DETAILED_WITHOUT_CATEGORY",
    severity: Severity::Warning,
    domain: Domain::Race,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when a detailed race code is recorded but its category (e.g. Asian for 2040-4 Korean) is not also recorded. Under SPD-15 the Middle Eastern or North African concepts need 2118-8 Middle Eastern or North African, not White.",
    why: "Reports count OMB categories; without the category a detailed answer can be missed or rolled up differently by each receiving system.",
    source: "OMB 1997; OMB SPD-15 (2024)",
    hint: "A specific race was picked without its main group (for example Korean without Asian). Also select the main group; there is no need to ask the family again.",
};

/// Only 2131-1 Other Race.
pub static RACE_OTHER_ONLY: Rule = Rule {
    id: "RACE_OTHER_ONLY",
    severity: Severity::Warning,
    domain: Domain::Race,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the only race recorded is 2131-1 Other Race, which is not reportable under OMB, so more detail should be asked for.",
    why: "Other Race is not an OMB category, so the patient drops out of OMB reports, and it often hides a group the code set could have captured.",
    source: "OMB 1997",
    hint: "Race is only 'Other'. Ask: 'Can you tell me more about your child's race or origin?' and look for the answer in the list; many groups, such as Haitian or Lebanese, are there.",
};

/// A Hispanic/Latino code in the race field (two-question format).
pub static RACE_HISPANIC_AS_RACE: Rule = Rule {
    id: "RACE_HISPANIC_AS_RACE",
    severity: Severity::Error,
    domain: Domain::Race,
    condition: Condition::NotInTable,
    formats: OMB1997_ONLY,
    description: "Fires when a Hispanic or Latino code is recorded in the race field under the two-question (OMB 1997) format.",
    why: "Under OMB 1997 Hispanic or Latino is an ethnicity asked separately; in the race field it hides the patient's race and undercounts Hispanic ethnicity. Profiles using the SPD-15 combined question accept it.",
    source: "OMB 1997",
    hint: "Hispanic or Latino is asked in the ethnicity question, not race. Move it there, then ask the race question separately, for example 'Which race or races do you consider your child to be?', and record that answer.",
};

/// Display text naming a different CDCREC concept than the code.
pub static RACE_DISPLAY_MISMATCH: Rule = Rule {
    id: "RACE_DISPLAY_MISMATCH",
    severity: Severity::Warning,
    domain: Domain::Race,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the display text sent with a race code names a different CDCREC concept than the code (e.g. 2028-9 sent as \"American Indian or Alaska Native\").",
    why: "Staff see one race on screen while reports count another, so one of them is wrong and the patient may be counted in the wrong group.",
    source: "CDCREC",
    hint: "The race shown on screen does not match what is stored. Confirm the child's race with the family and select it again from the list.",
};

/// The same race code twice.
pub static RACE_DUPLICATE_CODE: Rule = Rule {
    id: "RACE_DUPLICATE_CODE",
    severity: Severity::Info,
    domain: Domain::Race,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the same race code appears more than once on the record.",
    why: "Duplicates can inflate multiracial counts in systems that count entries rather than distinct races.",
    source: "CDCREC",
    hint: "The same race is entered twice. Remove the extra entry; there is no need to ask the family.",
};

/// SPD-15: the combined race and ethnicity answer is empty.
pub static RACE_ETHNICITY_MISSING: Rule = Rule {
    id: "RACE_ETHNICITY_MISSING",
    severity: Severity::Warning,
    domain: Domain::Race,
    condition: Condition::Missing,
    formats: SPD15_ONLY,
    description: "Fires, under the SPD-15 combined question, when the record has no race or ethnicity selection (no codes, or only 2186-5 Not Hispanic or Latino) and no null value saying why.",
    why: "SPD-15 asks race and ethnicity as one question; without a selection the patient is left out of every race- and ethnicity-stratified measure. 'Not Hispanic or Latino' alone answers no SPD-15 category.",
    source: "OMB SPD-15 (2024)",
    hint: "Race and ethnicity are not recorded. Ask: 'Which categories describe your child? You can choose more than one, for example Hispanic or Latino and White.' If the family prefers not to answer, record that they declined.",
};
