//! The validation profile: the institution-tunable settings of RULES.md §5. The default is
//! `phec-real`, version 1.

use serde::{Deserialize, Serialize};

use crate::rules::Domain;

/// The race/ethnicity question format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionFormat {
    /// OMB 1997: two questions, ethnicity then race.
    Omb1997,
    /// OMB SPD-15 (2024): one combined question.
    Spd15,
}

/// Completeness thresholds: a rate below `warn_below` warns, below `fail_below` fails.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Rates below this warn.
    pub warn_below: f64,
    /// Rates below this fail.
    pub fail_below: f64,
}

impl Thresholds {
    /// `pass`, `warn` or `fail` for a rate.
    pub fn judge(&self, rate: f64) -> &'static str {
        if rate < self.fail_below {
            "fail"
        } else if rate < self.warn_below {
            "warn"
        } else {
            "pass"
        }
    }
}

/// Domains a profile requires, for every patient and additionally for minors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequiredDomains {
    /// Required for every patient.
    pub all: Vec<Domain>,
    /// Required only while the patient is a minor (or of unknown age).
    pub minors: Vec<Domain>,
}

/// One validation profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The profile's name, e.g. `phec-real`.
    pub name: String,
    /// Its version; results keep the version they were validated with.
    pub version: u32,
    /// One or two race/ethnicity questions.
    pub question_format: QuestionFormat,
    /// The age from which a patient reports for themself.
    pub self_report_age: u32,
    /// The age from which a patient is an adult (no caregiver required).
    pub adult_age: u32,
    /// Months after which demographics should be collected again.
    pub recollection_months: u32,
    /// Completeness thresholds for reports.
    pub thresholds: Thresholds,
    /// Required domains.
    pub required_domains: RequiredDomains,
    /// Macrolanguages too broad to book an interpreter for (`zh`: Mandarin or Cantonese?).
    pub broad_macrolanguages: Vec<String>,
    /// How far in the future `recorded_at` may be (clock skew), in minutes.
    pub future_tolerance_minutes: i64,
}

impl Profile {
    /// The default PHEC REaL profile.
    pub fn phec_real() -> Self {
        Profile {
            name: "phec-real".into(),
            version: 1,
            question_format: QuestionFormat::Omb1997,
            self_report_age: 12,
            adult_age: 18,
            recollection_months: 24,
            thresholds: Thresholds {
                warn_below: 0.90,
                fail_below: 0.80,
            },
            required_domains: RequiredDomains {
                all: vec![
                    Domain::Race,
                    Domain::Ethnicity,
                    Domain::Language,
                    Domain::Interpreter,
                ],
                minors: vec![Domain::Caregivers, Domain::CaregiverLanguage],
            },
            broad_macrolanguages: vec!["zh".into()],
            future_tolerance_minutes: 5,
        }
    }

    /// `name@version`, as results and reports name it.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::phec_real()
    }
}
