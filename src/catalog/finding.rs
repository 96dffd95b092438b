//! A finding: one catalogued rule that fired on one record, with the severity and domain it
//! counts at and where in the record it was found.

use super::{Domain, Rule, Severity};

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
