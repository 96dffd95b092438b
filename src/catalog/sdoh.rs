//! Social-needs screening rules (domain `sdoh`, optional).

use super::{Condition, Domain, Rule, Severity, BOTH};

/// SDOH required and no screening recorded.
pub static SDOH_MISSING: Rule = Rule {
    id: "SDOH_MISSING",
    severity: Severity::Warning,
    domain: Domain::Sdoh,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when the profile requires the sdoh domain and no social-needs screening (date and findings) is recorded, nor a null value saying why.",
    why: "Food, housing and transportation needs drive pediatric outcomes; without screening data, disparities cannot be told apart from unmet social needs.",
    source: "CMS AHC HRSN screening tool; PHEC",
    hint: "No social-needs screening is recorded. Offer the family the screening questions about food, housing, transportation, utilities and safety.",
};

/// Screening recorded as declined.
pub static SDOH_DECLINED: Rule = Rule {
    id: "SDOH_DECLINED",
    severity: Severity::Info,
    domain: Domain::Sdoh,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the social-needs screening is recorded as declined (NullFlavor ASKU).",
    why: "Declining counts as complete but is reported separately, so decline rates by unit can be watched.",
    source: "IOM 2009",
    hint: "The family chose not to do the social-needs screening. It can be offered again at a later visit.",
};

/// Screening recorded as not yet done.
pub static SDOH_NOT_ASKED: Rule = Rule {
    id: "SDOH_NOT_ASKED",
    severity: Severity::Warning,
    domain: Domain::Sdoh,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the social-needs screening is recorded as not yet done (NullFlavor NASK) or unknown (UNK).",
    why: "The screening still has to be offered before needs can be met or measured.",
    source: "IOM 2009",
    hint: "The social-needs screening has not been done yet. Offer it at this visit.",
};

/// Findings without a screening date.
pub static SDOH_SCREENING_DATE_MISSING: Rule = Rule {
    id: "SDOH_SCREENING_DATE_MISSING",
    severity: Severity::Warning,
    domain: Domain::Sdoh,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when screening findings are recorded without the date of the screening.",
    why: "Needs change; without a date nobody can tell whether the screening is current or due again.",
    source: "CMS AHC HRSN screening tool",
    hint: "The screening results have no date. Record when the screening was done.",
};

/// Screening date not a date, or after the record.
pub static SDOH_SCREENING_DATE_INVALID: Rule = Rule {
    id: "SDOH_SCREENING_DATE_INVALID",
    severity: Severity::Error,
    domain: Domain::Sdoh,
    condition: Condition::Malformed,
    formats: BOTH,
    description: "Fires when the screening date is not a YYYY-MM-DD date or is after the date the record was collected.",
    why: "An impossible date makes the screening useless for tracking whether it is current.",
    source: "real-dq data integrity",
    hint: "The screening date is not a valid date or lies in the future. Correct the date of the screening.",
};

/// Screening older than the re-screen interval.
pub static SDOH_SCREENING_STALE: Rule = Rule {
    id: "SDOH_SCREENING_STALE",
    severity: Severity::Info,
    domain: Domain::Sdoh,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the social-needs screening is older than the profile's re-screen interval (default 12 months).",
    why: "Social needs change quickly; an old screening can hide a new need.",
    source: "CMS AHC HRSN screening tool",
    hint: "The social-needs screening is more than a year old. Offer the screening again at this visit.",
};
