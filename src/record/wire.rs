//! The canonical demographic record as it arrives on the wire (API.md).
//!
//! Everything but the envelope is optional: absence is what the service measures, so the
//! shape is lenient (unknown fields are ignored) while the values are checked by the rules.
//! Closed vocabularies (`null_flavor`, `reported_by`, `english_proficiency`) are enums: a
//! value outside them is a contract error (422), not a data-quality finding.

use serde::{Deserialize, Serialize};
use validator::Validate;

/// One demographic record for one patient in one unit. The envelope fields are
/// optional here only so that every missing one is reported at once; `Record::parse`
/// requires them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
pub struct RecordWire {
    /// The sending system, e.g. `epic-prod`.
    #[serde(default)]
    #[validate(
        required(message = "required"),
        length(min = 1, max = 128, message = "must be 1 to 128 characters")
    )]
    pub source: Option<String>,
    /// The patient's identifier in the source system. PHI: never logged.
    #[serde(default)]
    #[validate(
        required(message = "required"),
        length(min = 1, max = 128, message = "must be 1 to 128 characters")
    )]
    pub patient_id: Option<String>,
    /// The hospital unit, e.g. `ED`.
    #[serde(default)]
    #[validate(
        required(message = "required"),
        length(min = 1, max = 64, message = "must be 1 to 64 characters")
    )]
    pub unit: Option<String>,
    /// When the demographics were collected (RFC 3339).
    #[serde(default)]
    #[validate(
        required(message = "required"),
        length(min = 1, max = 64, message = "must be an RFC 3339 timestamp")
    )]
    pub recorded_at: Option<String>,
    /// Birth date, `YYYY-MM-DD`; checked by the rules, not rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// The patient's race.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race: Option<CodedAnswer>,
    /// The patient's ethnicity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<CodedAnswer>,
    /// The patient's language need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageWire>,
    /// The patient's caregivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caregivers: Option<Vec<CaregiverWire>>,
    /// Sexual orientation, gender identity and pronouns (optional PHEC domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sogi: Option<SogiWire>,
    /// The patient's functional limitations (optional PHEC domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disability: Option<DisabilityWire>,
    /// Social-needs screening (optional PHEC domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdoh: Option<SdohWire>,
}

/// Sexual orientation, gender identity and pronouns: asked of adolescents, self-reported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SogiWire {
    /// Sexual orientation (US Core value set: SNOMED CT, or OTH/UNK/ASKU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sexual_orientation: Option<CodedAnswer>,
    /// Gender identity (SNOMED CT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender_identity: Option<CodedAnswer>,
    /// Pronouns (LOINC answers of 90778-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pronouns: Option<CodedAnswer>,
    /// Who gave the answers; SOGI is self-report only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_by: Option<ReportedBy>,
}

/// Functional limitations, as the six HHS (ACS) disability questions: `true` means
/// serious difficulty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DisabilityWire {
    /// Deaf or serious difficulty hearing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hearing: Option<bool>,
    /// Blind or serious difficulty seeing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vision: Option<bool>,
    /// Serious difficulty concentrating, remembering or making decisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cognition: Option<bool>,
    /// Serious difficulty walking or climbing stairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobility: Option<bool>,
    /// Difficulty dressing or bathing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_care: Option<bool>,
    /// Difficulty doing errands alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub independent_living: Option<bool>,
    /// Why the questions have no answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_flavor: Option<NullFlavor>,
}

impl DisabilityWire {
    /// Whether any of the six questions is answered.
    pub fn any_answered(&self) -> bool {
        [
            self.hearing,
            self.vision,
            self.cognition,
            self.mobility,
            self.self_care,
            self.independent_living,
        ]
        .iter()
        .any(Option::is_some)
    }
}

/// A health-related social needs domain a screening can find (CMS AHC HRSN core domains).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocialNeed {
    /// Food insecurity.
    FoodInsecurity,
    /// Housing instability or quality.
    HousingInstability,
    /// Transportation needs.
    Transportation,
    /// Utility difficulties.
    Utilities,
    /// Interpersonal safety.
    InterpersonalSafety,
}

/// A social-needs screening.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SdohWire {
    /// When the screening was done, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screened_on: Option<String>,
    /// The domains that screened positive (empty: screened, no need found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive: Option<Vec<SocialNeed>>,
    /// Why there is no screening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_flavor: Option<NullFlavor>,
}

/// A race or ethnicity answer: CDCREC codes, or a null value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodedAnswer {
    /// The codes chosen (CDCREC unless `system` says otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<CodeWire>,
    /// Why there are no codes: declined, unknown or not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_flavor: Option<NullFlavor>,
    /// Free text as the family gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Who gave the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_by: Option<ReportedBy>,
}

/// One coded value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeWire {
    /// The code, e.g. `2106-3`.
    pub code: String,
    /// The code system URI or OID; CDCREC when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The display text the sender shows; checked against the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// HL7 v3 NullFlavor values the framework distinguishes (IOM: keep them apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NullFlavor {
    /// Asked, declined to answer.
    #[serde(rename = "ASKU")]
    Asku,
    /// Asked, answer unknown.
    #[serde(rename = "UNK")]
    Unk,
    /// Not yet asked.
    #[serde(rename = "NASK")]
    Nask,
}

/// Who gave an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportedBy {
    /// The patient.
    #[serde(rename = "self")]
    SelfReport,
    /// A parent or other caregiver.
    Caregiver,
    /// Staff guessed by looking: discouraged.
    StaffObserved,
    /// Not known.
    Unknown,
}

/// How well a person speaks English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnglishProficiency {
    /// Very well.
    VeryWell,
    /// Well.
    Well,
    /// Not well.
    NotWell,
    /// Not at all.
    NotAtAll,
}

/// Language need: two questions (which language, interpreter or not) and more.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LanguageWire {
    /// Preferred spoken language for health care, a BCP 47 tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred: Option<String>,
    /// Preferred written language, a BCP 47 tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// Self-rated English proficiency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub english_proficiency: Option<EnglishProficiency>,
    /// Whether an interpreter is wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter_needed: Option<bool>,
    /// Why there is no preferred language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_flavor: Option<NullFlavor>,
}

/// A parent, guardian or other caregiver of the patient.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaregiverWire {
    /// Relationship to the patient, HL7 v2 table 0063 (MTH, FTH, GRD, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    /// Whether this caregiver is a legal guardian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_guardian: Option<bool>,
    /// The caregiver's language need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageWire>,
    /// The caregiver's race.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race: Option<CodedAnswer>,
    /// The caregiver's ethnicity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<CodedAnswer>,
    /// The caregiver's functional limitations (e.g. a deaf parent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disability: Option<DisabilityWire>,
}
