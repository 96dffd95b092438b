//! Code-map rules: a local code the profile mapped to a standard one.

use super::{Condition, Domain, Rule, Severity, BOTH};

/// A local code mapped to a standard one by the profile's code maps.
pub static CODE_MAPPED: Rule = Rule {
    id: "CODE_MAPPED",
    severity: Severity::Info,
    domain: Domain::Collection,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when a race, ethnicity or language value is not a standard code but the profile's code maps turn it into one (e.g. ISO 639-2 `ger` to BCP 47 `de`, legacy race `W` to CDCREC 2106-3); the value is validated as its target. Counts against the domain of the field it was found in.",
    why: "Local and legacy codes cannot be compared across hospitals or reported to OMB and US Core; mapping keeps the record measurable today, and reporting it shows the interface team which feeds still send local codes.",
    source: "US Core (CDCREC, BCP 47); ISO 639-2",
    hint: "Nothing to ask the family: this answer was sent as a local code and translated automatically. If it looks wrong, tell your EHR support team.",
};
