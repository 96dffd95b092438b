//! The rule catalog: every rule's stable ID, default severity, domain, description, source
//! and staff hint, in one place (RULES.md §4).
//!
//! `GET /v1/framework` and `docs/rules.md` are generated from [`ALL`], so this file is the
//! single source of truth for what a rule means. Rule IDs are a public contract that EHR
//! integrations and dashboards key on: add rules freely, never rename or remove one.

use super::{Domain, Severity};

/// One catalogued rule.
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rule {
    /// Stable public ID in `SCREAMING_SNAKE_CASE`, e.g. `RACE_MISSING`; never renamed.
    pub id: &'static str,
    /// Default severity; a profile may override it.
    pub severity: Severity,
    /// Default domain; language rules found on a caregiver are re-homed to
    /// `caregiver_language` at run time.
    pub domain: Domain,
    /// When the rule fires, for integrators: one sentence starting "Fires when".
    pub description: &'static str,
    /// Why it matters for measuring health equity, in one or two sentences.
    pub why: &'static str,
    /// The standard behind the rule, e.g. "OMB 1997", "CDCREC", "US Core us-core-23".
    pub source: &'static str,
    /// Plain language for registration staff at the desk: what to ask or fix.
    pub hint: &'static str,
}

// ---------------------------------------------------------------------------------------
// Race (domain `race`)
// ---------------------------------------------------------------------------------------

/// No race codes and no null value.
pub static RACE_MISSING: Rule = Rule {
    id: "RACE_MISSING",
    severity: Severity::Warning,
    domain: Domain::Race,
    description: "Fires when the record has no race codes and no null value saying why race is absent.",
    why: "Without race the patient cannot be counted in any race-stratified measure, so disparities in care and outcomes stay invisible.",
    source: "OMB 1997",
    hint: "Race is not recorded. Ask: 'Which race or races do you consider your child to be? You can choose more than one.' If the family prefers not to answer, record that they declined.",
};

/// Race recorded as unknown (UNK).
pub static RACE_UNKNOWN: Rule = Rule {
    id: "RACE_UNKNOWN",
    severity: Severity::Warning,
    domain: Domain::Race,
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
    description: "Fires when a null value (unknown, declined or not asked) is recorded together with race codes.",
    why: "The record contradicts itself, so reports cannot tell whether the patient answered; US Core forbids the combination.",
    source: "US Core us-core-23",
    hint: "Race has both an answer and 'unknown', 'declined' or 'not asked'. Check with the family which is right and keep only that.",
};

/// A detailed race code without its OMB category.
pub static RACE_DETAILED_WITHOUT_CATEGORY: Rule = Rule {
    id: "RACE_DETAILED_WITHOUT_CATEGORY",
    severity: Severity::Warning,
    domain: Domain::Race,
    description: "Fires when a detailed race code is recorded but its OMB category (e.g. Asian for 2040-4 Korean) is not also recorded.",
    why: "Reports count OMB categories; without the category a detailed answer can be missed or rolled up differently by each receiving system.",
    source: "OMB 1997",
    hint: "A specific race was picked without its main group (for example Korean without Asian). Also select the main group; there is no need to ask the family again.",
};

/// Only 2131-1 Other Race.
pub static RACE_OTHER_ONLY: Rule = Rule {
    id: "RACE_OTHER_ONLY",
    severity: Severity::Warning,
    domain: Domain::Race,
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
    description: "Fires when the same race code appears more than once on the record.",
    why: "Duplicates can inflate multiracial counts in systems that count entries rather than distinct races.",
    source: "CDCREC",
    hint: "The same race is entered twice. Remove the extra entry; there is no need to ask the family.",
};

// ---------------------------------------------------------------------------------------
// Ethnicity (domain `ethnicity`)
// ---------------------------------------------------------------------------------------

/// No ethnicity codes and no null value.
pub static ETHNICITY_MISSING: Rule = Rule {
    id: "ETHNICITY_MISSING",
    severity: Severity::Warning,
    domain: Domain::Ethnicity,
    description: "Fires when the record has no ethnicity codes and no null value saying why ethnicity is absent.",
    why: "Without ethnicity the patient cannot be counted in Hispanic or Latino measures, so disparities stay invisible.",
    source: "OMB 1997",
    hint: "Ethnicity is not recorded. Ask: 'Is your child Hispanic or Latino?' If yes, also ask which group, for example Mexican, Puerto Rican or Cuban.",
};

/// Ethnicity recorded as unknown (UNK).
pub static ETHNICITY_UNKNOWN: Rule = Rule {
    id: "ETHNICITY_UNKNOWN",
    severity: Severity::Warning,
    domain: Domain::Ethnicity,
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
    description: "Fires when race or ethnicity category codes are recorded but no detailed race or ethnicity code at all.",
    why: "Broad categories hide large differences between groups within them, such as among Asian or Hispanic subgroups; IOM recommends also collecting granular ethnicity.",
    source: "IOM 2009",
    hint: "Only broad groups are recorded. If the family is willing, ask: 'What is your child's ancestry or ethnic background?' and pick the closest match, for example Vietnamese, Nigerian or Mexican.",
};

// ---------------------------------------------------------------------------------------
// Language (domains `language` and `interpreter`; `caregiver_language` on caregivers)
// ---------------------------------------------------------------------------------------

/// Preferred spoken language absent.
pub static LANGUAGE_MISSING: Rule = Rule {
    id: "LANGUAGE_MISSING",
    severity: Severity::Warning,
    domain: Domain::Language,
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
    description: "Fires when a written language is recorded but is not a well-formed BCP 47 tag with subtags registered in the IANA registry.",
    why: "Written language decides which translated forms and instructions a family receives; an unrecognised code means they get none, or the wrong ones.",
    source: "BCP 47 / IANA registry",
    hint: "The language for written materials is not recognised. Ask: 'In which language would you like to get letters and instructions?' and pick it from the list.",
};

// ---------------------------------------------------------------------------------------
// Caregivers (domain `caregivers`)
// ---------------------------------------------------------------------------------------

/// A minor with no caregiver recorded.
pub static CAREGIVER_MISSING: Rule = Rule {
    id: "CAREGIVER_MISSING",
    severity: Severity::Warning,
    domain: Domain::Caregivers,
    description: "Fires when the patient is a minor and no caregiver is recorded.",
    why: "A child's care depends on the caregivers: their language and interpreter need decide how the family can talk with the care team, which is why PHEC makes caregivers a pediatric domain.",
    source: "PHEC (Tan-McGrory 2018)",
    hint: "No parent or guardian is recorded. Ask who the child's parents or guardians are, how each is related to the child, and which language each prefers for health care.",
};

/// Relationship not in HL7 v2 table 0063.
pub static CAREGIVER_RELATIONSHIP_INVALID: Rule = Rule {
    id: "CAREGIVER_RELATIONSHIP_INVALID",
    severity: Severity::Error,
    domain: Domain::Caregivers,
    description: "Fires when a caregiver's relationship to the patient is not a code in HL7 v2 table 0063.",
    why: "The relationship tells staff who speaks for the child; an unrecognised value cannot be used or reported.",
    source: "HL7 v2 table 0063",
    hint: "The caregiver's relationship to the child is not a valid choice. Ask how they are related (for example mother, father, grandparent, foster parent or guardian) and pick it from the list.",
};

/// Caregivers recorded, none marked legal guardian.
pub static CAREGIVER_NO_LEGAL_GUARDIAN: Rule = Rule {
    id: "CAREGIVER_NO_LEGAL_GUARDIAN",
    severity: Severity::Info,
    domain: Domain::Caregivers,
    description: "Fires when caregivers are recorded but none is marked as the legal guardian.",
    why: "Staff need to know who can consent for the child, and whose language and interpreter need apply to consent conversations.",
    source: "PHEC (Tan-McGrory 2018)",
    hint: "No one is marked as the child's legal guardian. Ask: 'Who is your child's legal guardian?' and mark that person.",
};

// ---------------------------------------------------------------------------------------
// Reporter, age and re-collection (domain `collection`)
// ---------------------------------------------------------------------------------------

/// Who reported race/ethnicity is not recorded.
pub static REPORTER_MISSING: Rule = Rule {
    id: "REPORTER_MISSING",
    severity: Severity::Info,
    domain: Domain::Collection,
    description: "Fires when who reported race and ethnicity (the patient, a caregiver or staff observation) is not recorded.",
    why: "Self-report is the standard; knowing who answered shows how reliable the data are and when a child should be asked again in their own words.",
    source: "PHEC (Tan-McGrory 2018)",
    hint: "It is not recorded who answered the race and ethnicity questions. Note whether the child, a parent or guardian, or staff gave the answers.",
};

/// Staff observation instead of self or caregiver report.
pub static REPORTED_BY_STAFF_OBSERVATION: Rule = Rule {
    id: "REPORTED_BY_STAFF_OBSERVATION",
    severity: Severity::Warning,
    domain: Domain::Collection,
    description: "Fires when race and ethnicity were recorded by staff observation instead of self or caregiver report.",
    why: "OMB and IOM call for self-identification; guesses from appearance or name are often wrong and bias disparity measures.",
    source: "OMB 1997",
    hint: "Race or ethnicity was filled in by staff, not by the family. Ask the family the questions directly and record their own answers; never guess from looks or names.",
};

/// Reported by a patient younger than the self-report age.
pub static SELF_REPORT_UNDER_AGE: Rule = Rule {
    id: "SELF_REPORT_UNDER_AGE",
    severity: Severity::Warning,
    domain: Domain::Collection,
    description: "Fires when race and ethnicity are recorded as reported by the patient, who is younger than the self-report age (default 12).",
    why: "Young children are not expected to answer for themselves: either a caregiver should report until the self-report age, or the reporter was recorded wrongly.",
    source: "PHEC (Tan-McGrory 2018)",
    hint: "The record says the child answered, but the child is young. Ask a parent or guardian to answer the race and ethnicity questions, or correct who answered.",
};

/// Collected by a caregiver before self-report age; the patient has reached it since.
pub static SELF_REPORT_AGE_REACHED: Rule = Rule {
    id: "SELF_REPORT_AGE_REACHED",
    severity: Severity::Warning,
    domain: Domain::Collection,
    description: "Fires when race and ethnicity were last collected from a caregiver before the patient reached the self-report age, and the patient has reached it since, so the patient should be asked.",
    why: "How young people identify can differ from how their parents describe them; PHEC recommends asking adolescents themselves once they reach the self-report age.",
    source: "PHEC (Tan-McGrory 2018)",
    hint: "The child is now old enough to answer for themself. Ask the child, in private if possible, how they describe their race and ethnicity, and update the record.",
};

/// Demographics older than the re-collection interval.
pub static RECOLLECTION_DUE: Rule = Rule {
    id: "RECOLLECTION_DUE",
    severity: Severity::Info,
    domain: Domain::Collection,
    description: "Fires when the demographics were last collected longer ago than the re-collection interval (default 24 months).",
    why: "REaL data go stale: families change, children grow and language needs shift, so PHEC recommends re-collecting across the lifespan.",
    source: "PHEC (Tan-McGrory 2018)",
    hint: "These answers are due for a check. Ask the family to confirm race, ethnicity, preferred language and whether they want an interpreter, and update anything that changed.",
};

/// No birth date: age rules cannot run.
pub static BIRTH_DATE_MISSING: Rule = Rule {
    id: "BIRTH_DATE_MISSING",
    severity: Severity::Info,
    domain: Domain::Collection,
    description: "Fires when the record has no birth date, so the age rules (minor, self-report age) cannot run.",
    why: "Age decides who should answer, the child or a caregiver, and whether caregiver data are required; without it those checks are skipped.",
    source: "real-dq data integrity (needed by the PHEC age rules)",
    hint: "The child's date of birth is missing. Ask for it and enter it.",
};

/// Birth date unparseable or after `recorded_at`.
pub static BIRTH_DATE_INVALID: Rule = Rule {
    id: "BIRTH_DATE_INVALID",
    severity: Severity::Error,
    domain: Domain::Collection,
    description: "Fires when the birth date cannot be parsed or is after the time the data were recorded.",
    why: "A wrong birth date makes every age rule wrong: who should answer, whether caregivers are required and when to ask again.",
    source: "real-dq data integrity",
    hint: "The date of birth is not valid (it may be in the future or badly typed). Check it with the family and correct it.",
};

/// `recorded_at` more than 5 minutes in the future.
pub static RECORDED_AT_IN_FUTURE: Rule = Rule {
    id: "RECORDED_AT_IN_FUTURE",
    severity: Severity::Error,
    domain: Domain::Collection,
    description: "Fires when the time the data were recorded is more than 5 minutes in the future.",
    why: "A future collection time breaks the age and re-collection checks, and usually means a wrong clock or date format in the sending system.",
    source: "real-dq data integrity",
    hint: "The date these answers were recorded is in the future. This is usually a system clock or interface problem; please report it to your EHR support team.",
};

// ---------------------------------------------------------------------------------------
// The catalog
// ---------------------------------------------------------------------------------------

/// Every rule, in catalog order (RULES.md §4): race, ethnicity, language, caregivers,
/// collection.
pub static ALL: &[&Rule] = &[
    // Race
    &RACE_MISSING,
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
    // Ethnicity
    &ETHNICITY_MISSING,
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
