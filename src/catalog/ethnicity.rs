//! Ethnicity rules (domain `ethnicity`) and the IOM granular-ethnicity rule.

use super::{Condition, Domain, Rule, Severity, BOTH, OMB1997_ONLY};

/// No ethnicity codes and no null value.
pub static ETHNICITY_MISSING: Rule = Rule {
    id: "ETHNICITY_MISSING",
    severity: Severity::Warning,
    domain: Domain::Ethnicity,
    condition: Condition::Missing,
    formats: OMB1997_ONLY,
    description: "Fires when the record has no ethnicity codes and no null value saying why ethnicity is absent.",
    why: "Without ethnicity the patient cannot be counted in Hispanic or Latino measures, so disparities stay invisible.",
    source: "OMB 1997",
    hint: "Ethnicity is not recorded. Ask: 'Is your child Hispanic or Latino?' If yes, also ask which group, for example Mexican, Puerto Rican or Cuban.",
};

/// Ethnicity sent as text only, which no code map knows.
pub static ETHNICITY_TEXT_ONLY: Rule = Rule {
    id: "ETHNICITY_TEXT_ONLY",
    severity: Severity::Warning,
    domain: Domain::Ethnicity,
    condition: Condition::Missing,
    formats: OMB1997_ONLY,
    description: "Fires when ethnicity is recorded as text only (no code, no null value) and no code map turns the text into a CDCREC code.",
    why: "Free text cannot be counted as Hispanic or Latino or not; the family's answer was heard but not coded.",
    source: "OMB 1997; US Core us-core-ethnicity",
    hint: "Ethnicity was written in words but not picked from the list. Ask again whether the child is Hispanic or Latino and choose the answer.",
};

/// Ethnicity recorded as unknown (UNK).
pub static ETHNICITY_UNKNOWN: Rule = Rule {
    id: "ETHNICITY_UNKNOWN",
    severity: Severity::Warning,
    domain: Domain::Ethnicity,
    condition: Condition::Advisory,
    formats: OMB1997_ONLY,
    description: "Fires when ethnicity is recorded as unknown (NullFlavor UNK or HL7 v2 table 0189 U).",
    why: "Unknown is not an answer: the field looks filled, yet the patient is left out of ethnicity measures. IOM asks to keep unknown, declined and not asked distinct.",
    source: "IOM 2009",
    hint: "Ethnicity is marked unknown. Ask again: 'Is your child Hispanic or Latino?' If the family would rather not answer, record 'declined' instead of 'unknown'.",
};

/// Ethnicity recorded as not asked (NASK).
pub static ETHNICITY_NOT_ASKED: Rule = Rule {
    id: "ETHNICITY_NOT_ASKED",
    severity: Severity::Warning,
    domain: Domain::Ethnicity,
    condition: Condition::Advisory,
    formats: OMB1997_ONLY,
    description: "Fires when ethnicity is recorded as not yet asked (NullFlavor NASK).",
    why: "The question still has to be asked; until it is, the patient is missing from ethnicity measures.",
    source: "IOM 2009",
    hint: "Ethnicity has not been asked yet. At this visit, ask: 'Is your child Hispanic or Latino?' If yes, also ask which group, for example Mexican or Puerto Rican.",
};

/// Ethnicity recorded as declined (ASKU).
pub static ETHNICITY_DECLINED: Rule = Rule {
    id: "ETHNICITY_DECLINED",
    severity: Severity::Info,
    domain: Domain::Ethnicity,
    condition: Condition::Advisory,
    formats: OMB1997_ONLY,
    description: "Fires when ethnicity is recorded as declined: the person was asked and chose not to answer (NullFlavor ASKU).",
    why: "Declining is a valid answer and counts as complete, but it is reported separately because high decline rates can show a problem with how the question is asked.",
    source: "IOM 2009",
    hint: "The family chose not to share ethnicity, which is their right. You may offer the question again at a later visit.",
};

/// An ethnicity code that is malformed, fails its check digit, is unknown or not an
/// ethnicity concept.
pub static ETHNICITY_CODE_INVALID: Rule = Rule {
    id: "ETHNICITY_CODE_INVALID",
    severity: Severity::Error,
    domain: Domain::Ethnicity,
    condition: Condition::NotInTable,
    formats: BOTH,
    description: "Fires when an ethnicity code is malformed, fails its check digit, is not in the CDC Race & Ethnicity Code Set, or is not an ethnicity concept.",
    why: "An invalid code cannot be rolled up to Hispanic or Not Hispanic, so the patient's ethnicity is lost to every report.",
    source: "CDCREC",
    hint: "The ethnicity entry is not a valid choice. Ask: 'Is your child Hispanic or Latino?' and pick the answer from the list.",
};

/// The abstract root 2133-7 used as a value.
pub static ETHNICITY_ABSTRACT_CODE: Rule = Rule {
    id: "ETHNICITY_ABSTRACT_CODE",
    severity: Severity::Error,
    domain: Domain::Ethnicity,
    condition: Condition::NotInTable,
    formats: BOTH,
    description: "Fires when the abstract root concept 2133-7 (Ethnicity) is used as an ethnicity value.",
    why: "2133-7 is the heading of the ethnicity hierarchy, not an answer: it carries no information and cannot be reported.",
    source: "CDCREC",
    hint: "The heading 'Ethnicity' was selected instead of an answer. Ask: 'Is your child Hispanic or Latino?' and choose the answer.",
};

/// A null value together with ethnicity codes.
pub static ETHNICITY_NULL_WITH_VALUES: Rule = Rule {
    id: "ETHNICITY_NULL_WITH_VALUES",
    severity: Severity::Error,
    domain: Domain::Ethnicity,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when a null value (unknown, declined or not asked) is recorded together with ethnicity codes.",
    why: "The record contradicts itself, so reports cannot tell whether the patient answered; US Core forbids the combination.",
    source: "US Core us-core-23",
    hint: "Ethnicity has both an answer and 'unknown', 'declined' or 'not asked'. Check with the family which is right and keep only that.",
};

/// Both 2135-2 Hispanic and 2186-5 Not Hispanic.
pub static ETHNICITY_CONFLICT: Rule = Rule {
    id: "ETHNICITY_CONFLICT",
    severity: Severity::Error,
    domain: Domain::Ethnicity,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when both 2135-2 Hispanic or Latino and 2186-5 Not Hispanic or Latino are recorded.",
    why: "The two OMB ethnicity categories exclude each other, so the patient cannot be counted in either.",
    source: "OMB 1997",
    hint: "Ethnicity says both 'Hispanic or Latino' and 'Not Hispanic or Latino'. Ask the family which is right and keep only that one.",
};

/// 2186-5 Not Hispanic together with a Hispanic detailed code.
pub static ETHNICITY_DETAILED_CONFLICT: Rule = Rule {
    id: "ETHNICITY_DETAILED_CONFLICT",
    severity: Severity::Error,
    domain: Domain::Ethnicity,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when 2186-5 Not Hispanic or Latino is recorded together with a Hispanic detailed code (e.g. 2148-5 Mexican).",
    why: "Every Hispanic detailed code rolls up to Hispanic or Latino, so the record contradicts itself and the roll-up is wrong.",
    source: "CDCREC",
    hint: "Ethnicity says 'Not Hispanic or Latino' but also a Hispanic group (for example Mexican). Ask the family which is right and correct it.",
};

/// A Hispanic detailed code without 2135-2.
pub static ETHNICITY_DETAILED_WITHOUT_CATEGORY: Rule = Rule {
    id: "ETHNICITY_DETAILED_WITHOUT_CATEGORY",
    severity: Severity::Warning,
    domain: Domain::Ethnicity,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when a Hispanic detailed code is recorded without the category 2135-2 Hispanic or Latino.",
    why: "Reports count OMB categories; without the category a detailed answer can be missed or rolled up differently by each receiving system.",
    source: "OMB 1997",
    hint: "A Hispanic group (for example Puerto Rican) was picked without 'Hispanic or Latino'. Also select 'Hispanic or Latino'; there is no need to ask the family again.",
};

/// A race code in the ethnicity field.
pub static ETHNICITY_RACE_CODE: Rule = Rule {
    id: "ETHNICITY_RACE_CODE",
    severity: Severity::Error,
    domain: Domain::Ethnicity,
    condition: Condition::NotInTable,
    formats: OMB1997_ONLY,
    description: "Fires when a race code is recorded in the ethnicity field.",
    why: "Race and ethnicity are separate questions under OMB 1997; a race in the ethnicity field leaves ethnicity unanswered and may drop the race from race counts.",
    source: "OMB 1997",
    hint: "A race was entered in the ethnicity question. Move it to the race question, then ask 'Is your child Hispanic or Latino?' and record that answer as ethnicity.",
};

/// Display text naming a different CDCREC concept than the code.
pub static ETHNICITY_DISPLAY_MISMATCH: Rule = Rule {
    id: "ETHNICITY_DISPLAY_MISMATCH",
    severity: Severity::Warning,
    domain: Domain::Ethnicity,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the display text sent with an ethnicity code names a different CDCREC concept than the code (e.g. 2186-5 sent as \"Hispanic or Latino\").",
    why: "Staff see one ethnicity on screen while reports count another, so one of them is wrong and the patient may be counted in the wrong group.",
    source: "CDCREC",
    hint: "The ethnicity shown on screen does not match what is stored. Confirm with the family whether the child is Hispanic or Latino and select it again from the list.",
};

/// The same ethnicity code twice.
pub static ETHNICITY_DUPLICATE_CODE: Rule = Rule {
    id: "ETHNICITY_DUPLICATE_CODE",
    severity: Severity::Info,
    domain: Domain::Ethnicity,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the same ethnicity code appears more than once on the record.",
    why: "Duplicates can distort counts in systems that count entries rather than distinct ethnicities.",
    source: "CDCREC",
    hint: "The same ethnicity is entered twice. Remove the extra entry; there is no need to ask the family.",
};

/// Only category codes: no detailed race or ethnicity code at all.
pub static GRANULAR_ETHNICITY_MISSING: Rule = Rule {
    id: "GRANULAR_ETHNICITY_MISSING",
    severity: Severity::Info,
    domain: Domain::Ethnicity,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when race or ethnicity category codes are recorded but no detailed race or ethnicity code at all.",
    why: "Broad categories hide large differences between groups within them, such as among Asian or Hispanic subgroups; IOM recommends also collecting granular ethnicity.",
    source: "IOM 2009",
    hint: "Only broad groups are recorded. If the family is willing, ask: 'What is your child's ancestry or ethnic background?' and pick the closest match, for example Vietnamese, Nigerian or Mexican.",
};
