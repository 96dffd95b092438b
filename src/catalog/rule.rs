//! One catalogued rule: its ID, default severity and domain, the question formats it applies
//! in, and the words that explain it to integrators and staff.

use super::{Condition, Domain, QuestionFormat, Severity};

/// One catalogued rule.
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rule {
    /// Stable public ID in `SCREAMING_SNAKE_CASE`, e.g. `RACE_MISSING`; never renamed.
    pub id: &'static str,
    /// Default severity; a profile may override it.
    pub severity: Severity,
    /// Default domain; language rules found on a caregiver are re-homed to
    /// `caregiver_language` at run time.
    pub domain: Domain,
    /// What kind of problem it finds (HL7 table 0357, the ERR-3 of an ACK).
    pub condition: Condition,
    /// The question formats (profile `question_format`) the rule applies in.
    pub formats: &'static [QuestionFormat],
    /// When the rule fires, for integrators: one sentence starting "Fires when".
    pub description: &'static str,
    /// Why it matters for measuring health equity, in one or two sentences.
    pub why: &'static str,
    /// The standard behind the rule, e.g. "OMB 1997", "CDCREC", "US Core us-core-23".
    pub source: &'static str,
    /// Plain language for registration staff at the desk: what to ask or fix.
    pub hint: &'static str,
}

/// A rule of both question formats.
pub const BOTH: &[QuestionFormat] = &[QuestionFormat::Omb1997, QuestionFormat::Spd15];
/// A rule of the OMB 1997 two-question format only: SPD-15 asks one combined question.
pub const OMB1997_ONLY: &[QuestionFormat] = &[QuestionFormat::Omb1997];
/// A rule of the SPD-15 combined question only.
pub const SPD15_ONLY: &[QuestionFormat] = &[QuestionFormat::Spd15];

impl Rule {
    /// Whether the rule applies under a question format.
    pub fn applies_in(&self, format: QuestionFormat) -> bool {
        self.formats.contains(&format)
    }
}
