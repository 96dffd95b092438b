//! Reporter, age and re-collection rules (domain `collection`).

use super::{Condition, Domain, Rule, Severity, BOTH};

/// Who reported race/ethnicity is not recorded.
pub static REPORTER_MISSING: Rule = Rule {
    id: "REPORTER_MISSING",
    severity: Severity::Info,
    domain: Domain::Collection,
    condition: Condition::Missing,
    formats: BOTH,
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
    condition: Condition::Advisory,
    formats: BOTH,
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
    condition: Condition::Advisory,
    formats: BOTH,
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
    condition: Condition::Advisory,
    formats: BOTH,
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
    condition: Condition::Advisory,
    formats: BOTH,
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
    condition: Condition::Missing,
    formats: BOTH,
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
    condition: Condition::Malformed,
    formats: BOTH,
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
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when the time the data were recorded is more than 5 minutes in the future.",
    why: "A future collection time breaks the age and re-collection checks, and usually means a wrong clock or date format in the sending system.",
    source: "real-dq data integrity",
    hint: "The date these answers were recorded is in the future. This is usually a system clock or interface problem; please report it to your EHR support team.",
};
