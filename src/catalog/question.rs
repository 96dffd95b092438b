//! The race/ethnicity question format a profile asks in, and so the rules that apply.

use serde::{Deserialize, Serialize};

/// The race/ethnicity question format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionFormat {
    /// OMB 1997: two questions, ethnicity then race.
    Omb1997,
    /// OMB SPD-15 (2024): one combined question.
    Spd15,
}
