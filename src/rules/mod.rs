//! The REaL rules: one small function per check, grouped by PHEC domain.
//!
//! Every rule is declared once in the [`catalog`](crate::catalog) (ID, default severity,
//! domain, description, staff hint); the functions in the domain modules only decide
//! *whether* it fires and *where*, and push a [`Finding`].

pub mod caregivers;
pub mod codes;
pub mod collection;
pub mod combined;
pub mod disability;
pub mod ethnicity;
pub mod language;
pub mod mapping;
pub mod race;
pub mod rollup;
pub mod sdoh;
pub mod sogi;

use chrono::{DateTime, Utc};

use crate::catalog::{Domain, Rule, Severity};
use crate::codesets::CodeSets;
use crate::profile::Profile;

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
