//! The REaL rules: one small function per check, grouped by PHEC domain.
//!
//! Every rule is declared once in the [`catalog`](crate::catalog) (ID, default severity,
//! domain, description, staff hint); the functions in the domain modules only decide
//! *whether* it fires and *where*, and push a [`Finding`](crate::catalog::Finding).

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

use crate::codesets::CodeSets;
use crate::profile::Profile;
use crate::record::wire::NullFlavor;

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

/// A finding's message for a null value: what the record holds, in words and code
/// (`race is recorded as unknown (UNK)`), never the catalog's description of the rule.
pub fn null_message(what: &str, flavor: NullFlavor) -> String {
    let (words, code) = match flavor {
        NullFlavor::Asku => (
            "declined: asked, and the family chose not to answer",
            "ASKU",
        ),
        NullFlavor::Unk => ("unknown", "UNK"),
        NullFlavor::Nask => ("not asked", "NASK"),
    };
    format!("{what} is recorded as {words} ({code})")
}

#[cfg(test)]
mod tests;
