//! The validation result as it goes out on the wire (API.md "Validation result").

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::catalog::{Domain, Finding, Severity};
use crate::codesets::cdcrec::Spd15Category;
use crate::engine::{DomainStatuses, RecordStatus, Verdict};
use crate::record::Record;
use crate::rules::rollup::Omb1997;

pub use crate::store::StoreOutcome;

/// One finding on the wire.
#[derive(Debug, Clone, Serialize)]
pub struct FindingWire<'a> {
    /// Stable rule ID.
    pub rule: &'static str,
    /// Severity in force.
    pub severity: Severity,
    /// Domain it counts against.
    pub domain: Domain,
    /// JSON path in the record.
    pub path: &'a str,
    /// For integrators.
    pub message: &'a str,
    /// For registration staff.
    pub hint: &'static str,
}

impl<'a> From<&'a Finding> for FindingWire<'a> {
    fn from(finding: &'a Finding) -> Self {
        FindingWire {
            rule: finding.rule.id,
            severity: finding.severity,
            domain: finding.domain,
            path: &finding.path,
            message: &finding.message,
            hint: finding.rule.hint,
        }
    }
}

/// One validation result.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationResult<'a> {
    /// The stored record's ID (absent from `/v1/validate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// What storing did (absent from `/v1/validate` and from stored copies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<StoreOutcome>,
    /// Sending system.
    pub source: &'a str,
    /// Patient identifier (PHI: returned to the caller, never logged).
    pub patient_id: &'a str,
    /// Unit.
    pub unit: &'a str,
    /// When the data were collected, normalised to UTC.
    pub recorded_at: String,
    /// Record status.
    pub status: RecordStatus,
    /// Profile `name@version`.
    pub profile: &'a str,
    /// When the engine ran.
    pub validated_at: String,
    /// Domain statuses.
    pub domains: &'a DomainStatuses,
    /// Required REaL domains complete and no error.
    pub real_complete: bool,
    /// Findings.
    pub findings: Vec<FindingWire<'a>>,
    /// OMB 1997 roll-up.
    pub omb_1997: &'a Omb1997,
    /// SPD-15 roll-up.
    pub spd15: &'a [Spd15Category],
}

impl<'a> ValidationResult<'a> {
    /// The result of `verdict` for `record`, validated under `profile` at `now`.
    pub fn new(
        record: &'a Record,
        verdict: &'a Verdict,
        profile: &'a str,
        now: DateTime<Utc>,
    ) -> Self {
        ValidationResult {
            id: None,
            outcome: None,
            source: &record.source,
            patient_id: &record.patient_id,
            unit: &record.unit,
            recorded_at: timestamp(record.recorded_at),
            status: verdict.status,
            profile,
            validated_at: timestamp(now),
            domains: &verdict.domains,
            real_complete: verdict.real_complete,
            findings: verdict.findings.iter().map(FindingWire::from).collect(),
            omb_1997: &verdict.omb_1997,
            spd15: &verdict.spd15,
        }
    }

    /// The JSON text of the result.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a result always serialises")
    }
}

/// The JSON of a stored result: `tail` is the result serialised without `id` and
/// `outcome` (`{"source":...}`); the identity is spliced in front, so a result is
/// serialised once however many copies (stored, answered) are needed.
pub fn with_identity(tail: &str, id: &str, outcome: Option<StoreOutcome>) -> String {
    let rest = tail.strip_prefix('{').unwrap_or(tail);
    match outcome {
        Some(outcome) => format!(
            "{{\"id\":\"{id}\",\"outcome\":\"{}\",{rest}",
            outcome.as_str()
        ),
        None => format!("{{\"id\":\"{id}\",{rest}"),
    }
}

/// RFC 3339 in UTC with at most microsecond precision, as results show times.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
