//! The REaL rules: one small function per check, grouped by PHEC domain.
//!
//! Every rule is declared once in [`catalog`] (ID, default severity, domain, description,
//! staff hint); the functions in the domain modules only decide *whether* it fires and
//! *where*, and push a [`Finding`].

pub mod caregivers;
pub mod catalog;
pub mod codes;
pub mod collection;
pub mod combined;
pub mod disability;
pub mod docs;
pub mod ethnicity;
pub mod language;
pub mod mapping;
pub mod race;
pub mod rollup;
pub mod sdoh;
pub mod sogi;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::codesets::CodeSets;
use crate::profile::Profile;
use crate::record::wire::NullFlavor;

pub use catalog::Rule;

/// How serious a finding is (RULES.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Advisory.
    Info,
    /// Something must be collected or reviewed.
    Warning,
    /// The data is wrong and must be corrected.
    Error,
}

impl Severity {
    /// The wire name (`error`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

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

/// One rule that fired on one record, at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The catalogued rule.
    pub rule: &'static Rule,
    /// The severity in force (the profile may override the rule's default).
    pub severity: Severity,
    /// The domain it counts against (language rules on caregivers count against
    /// `caregiver_language`, not `language`).
    pub domain: Domain,
    /// Where in the canonical record, e.g. `race.codes[1]`.
    pub path: String,
    /// What is wrong, for integrators; may quote codes, never PHI.
    pub message: String,
}

impl Finding {
    /// A finding of `rule` at `path` with the rule's default severity and domain.
    pub fn new(rule: &'static Rule, path: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            domain: rule.domain,
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same finding counted against another domain.
    pub fn in_domain(mut self, domain: Domain) -> Self {
        self.domain = domain;
        self
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

/// What every rule may look at besides the record: the code sets, the profile and the
/// time of validation (passed in, so the engine never reads a clock).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Code sets.
    pub codes: &'a CodeSets,
    /// The active profile.
    pub profile: &'a Profile,
    /// The time of validation.
    pub now: DateTime<Utc>,
}

#[cfg(test)]
mod tests;
