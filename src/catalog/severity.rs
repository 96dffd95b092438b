//! How serious a finding is: the severity a rule reports at by default and a profile may
//! override.

use serde::{Deserialize, Serialize};

/// How serious a finding is (RULES.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Advisory.
    Info,
    /// Something must be collected or reviewed.
    Warning,
    /// The data is wrong and must be corrected.
    Error,
}

impl Severity {
    /// The wire name (`error`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}
