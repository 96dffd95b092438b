//! The PHEC domains a finding counts against, and the status of one domain on one record.

use serde::{Deserialize, Serialize};

use crate::record::wire::NullFlavor;

/// The domain a finding belongs to. All but `Collection` have a completeness status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// The patient's race.
    Race,
    /// The patient's ethnicity.
    Ethnicity,
    /// The patient's preferred spoken language for health care.
    Language,
    /// The patient's interpreter need.
    Interpreter,
    /// Who the patient's caregivers are.
    Caregivers,
    /// The caregivers' language and interpreter need.
    CaregiverLanguage,
    /// Sexual orientation, gender identity and pronouns (optional; adolescents, self-report).
    Sogi,
    /// Functional limitations of the patient (optional).
    Disability,
    /// Social-needs screening (optional).
    Sdoh,
    /// Reporter, age and dates: no completeness status.
    Collection,
}

impl Domain {
    /// The completeness domains, in report order.
    pub const STATUS_DOMAINS: [Domain; 6] = [
        Domain::Race,
        Domain::Ethnicity,
        Domain::Language,
        Domain::Interpreter,
        Domain::Caregivers,
        Domain::CaregiverLanguage,
    ];

    /// The optional PHEC domains: a status and report column only when a profile requires
    /// them.
    pub const OPTIONAL_DOMAINS: [Domain; 3] = [Domain::Sogi, Domain::Disability, Domain::Sdoh];

    /// The caregivers' domains, required of minors by default: the report counts them only
    /// over the patients they are required of, and shows that denominator (`eligible`).
    pub const CAREGIVER_DOMAINS: [Domain; 2] = [Domain::Caregivers, Domain::CaregiverLanguage];

    /// The domain of a wire name.
    pub fn from_name(name: &str) -> Option<Domain> {
        Domain::STATUS_DOMAINS
            .into_iter()
            .chain(Domain::OPTIONAL_DOMAINS)
            .find(|d| d.as_str() == name)
    }

    /// The wire name (`race`, `caregiver_language`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Race => "race",
            Domain::Ethnicity => "ethnicity",
            Domain::Language => "language",
            Domain::Interpreter => "interpreter",
            Domain::Caregivers => "caregivers",
            Domain::CaregiverLanguage => "caregiver_language",
            Domain::Sogi => "sogi",
            Domain::Disability => "disability",
            Domain::Sdoh => "sdoh",
            Domain::Collection => "collection",
        }
    }
}

/// The status of one completeness domain on one record (RULES.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainStatus {
    /// Valid, consistent value(s).
    Complete,
    /// Asked; the person declined to answer. Counts as complete.
    Declined,
    /// Asked; the answer is unknown.
    Unknown,
    /// Explicitly not yet asked.
    NotAsked,
    /// Absent or empty.
    Missing,
    /// Present but wrong: an error-level finding on this domain.
    Invalid,
}

impl DomainStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DomainStatus::Complete => "complete",
            DomainStatus::Declined => "declined",
            DomainStatus::Unknown => "unknown",
            DomainStatus::NotAsked => "not_asked",
            DomainStatus::Missing => "missing",
            DomainStatus::Invalid => "invalid",
        }
    }

    /// All statuses, in report order.
    pub const ALL: [DomainStatus; 6] = [
        DomainStatus::Complete,
        DomainStatus::Declined,
        DomainStatus::Unknown,
        DomainStatus::NotAsked,
        DomainStatus::Missing,
        DomainStatus::Invalid,
    ];

    /// Whether the status counts toward completeness (complete or declined).
    pub fn is_complete(self) -> bool {
        matches!(self, DomainStatus::Complete | DomainStatus::Declined)
    }

    /// The status a null value stands for.
    pub fn of_null(flavor: NullFlavor) -> Self {
        match flavor {
            NullFlavor::Asku => DomainStatus::Declined,
            NullFlavor::Unk => DomainStatus::Unknown,
            NullFlavor::Nask => DomainStatus::NotAsked,
        }
    }
}
