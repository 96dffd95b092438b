//! Caregiver rules (domain `caregivers`).

use super::{Condition, Domain, Rule, Severity, BOTH};

/// A minor with no caregiver recorded.
pub static CAREGIVER_MISSING: Rule = Rule {
    id: "CAREGIVER_MISSING",
    severity: Severity::Warning,
    domain: Domain::Caregivers,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when the patient is a minor and no caregiver is recorded.",
    why: "A child's care depends on the caregivers: their language and interpreter need decide how the family can talk with the care team, which is why PHEC makes caregivers a pediatric domain.",
    source: "PHEC (Tan-McGrory 2018)",
    hint: "No parent or guardian is recorded. Ask who the child's parents or guardians are, how each is related to the child, and which language each prefers for health care.",
};

/// Relationship not in HL7 v2 table 0063.
pub static CAREGIVER_RELATIONSHIP_INVALID: Rule = Rule {
    id: "CAREGIVER_RELATIONSHIP_INVALID",
    severity: Severity::Error,
    domain: Domain::Caregivers,
    condition: Condition::NotInTable,
    formats: BOTH,
    description: "Fires when a caregiver's relationship to the patient is not a code in HL7 v2 table 0063.",
    why: "The relationship tells staff who speaks for the child; an unrecognised value cannot be used or reported.",
    source: "HL7 v2 table 0063",
    hint: "The caregiver's relationship to the child is not a valid choice. Ask how they are related (for example mother, father, grandparent, foster parent or guardian) and pick it from the list.",
};

/// A caregiver without a relationship.
pub static CAREGIVER_RELATIONSHIP_MISSING: Rule = Rule {
    id: "CAREGIVER_RELATIONSHIP_MISSING",
    severity: Severity::Warning,
    domain: Domain::Caregivers,
    condition: Condition::Missing,
    formats: BOTH,
    description: "Fires when a caregiver is recorded without any relationship to the patient.",
    why: "A person with no stated relationship may not be the one who speaks for the child, so their language cannot stand in for the family's.",
    source: "HL7 v2 table 0063",
    hint: "A caregiver is recorded without saying how they are related to the child. Ask who they are to the child (mother, father, grandparent, guardian, ...) and record it.",
};

/// Caregivers recorded, none marked legal guardian.
pub static CAREGIVER_NO_LEGAL_GUARDIAN: Rule = Rule {
    id: "CAREGIVER_NO_LEGAL_GUARDIAN",
    severity: Severity::Info,
    domain: Domain::Caregivers,
    condition: Condition::Advisory,
    formats: BOTH,
    description: "Fires when caregivers are recorded but none is marked as the legal guardian.",
    why: "Staff need to know who can consent for the child, and whose language and interpreter need apply to consent conversations.",
    source: "PHEC (Tan-McGrory 2018)",
    hint: "No one is marked as the child's legal guardian. Ask: 'Who is your child's legal guardian?' and mark that person.",
};
