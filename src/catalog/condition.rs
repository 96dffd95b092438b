//! What kind of problem a rule finds, in the words of HL7 v2 table 0357 (message error
//! condition codes): the ERR-3 of an ACK naming a finding.

use serde::Serialize;

/// What kind of problem a rule finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// A value the profile requires is absent (table 0357 `101`, required field missing).
    Missing,
    /// A value is not of its type, e.g. a date that is not one (`102`, data type error).
    Malformed,
    /// A code is not in its table or value set (`103`, table value not found).
    NotInTable,
    /// Anything else: a null value, a conflict between values, advice (`0`, message
    /// accepted). The finding's severity still says how serious it is.
    Advisory,
}

impl Condition {
    /// The table 0357 code and its name.
    pub fn hl7_code(self) -> (&'static str, &'static str) {
        match self {
            Condition::Missing => ("101", "Required field missing"),
            Condition::Malformed => ("102", "Data type error"),
            Condition::NotInTable => ("103", "Table value not found"),
            Condition::Advisory => ("0", "Message accepted"),
        }
    }
}
