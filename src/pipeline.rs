//! From request bytes to a validated record and, when storing, to the rows the store
//! writes. Shared by the single-record, batch and CLI paths.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::catalog::{Domain, DomainStatus};
use crate::engine::{self, Verdict};
use crate::record::wire::ReportedBy;
use crate::record::{Record, RecordWire, Rejection};
use crate::result::{timestamp, ValidationResult};
use crate::rules::Context;
use crate::store::ingest::{DomainColumns, PreparedRecord};
use crate::store::{codec, micros};

/// A record that passed its envelope checks, and what the engine said of it.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The domain record.
    pub record: Record,
    /// Its canonical wire form (recorded_at normalised, unknown fields dropped).
    pub wire: RecordWire,
    /// The engine's verdict.
    pub verdict: Verdict,
    /// When it was validated.
    pub validated_at: DateTime<Utc>,
    /// Whether `recorded_at` is the time of receipt, because the sender gave none (a FHIR
    /// Patient without `meta.lastUpdated`): a re-send of the same content is then a
    /// duplicate of the current record, whatever the time it arrives.
    pub time_assigned: bool,
}

impl Validated {
    /// The result to send back, with the store's ID and outcome when stored.
    pub fn result<'a>(&'a self, profile: &'a str) -> ValidationResult<'a> {
        ValidationResult::new(&self.record, &self.verdict, profile, self.validated_at)
    }
}

/// Parses and validates one JSON record.
pub fn validate_json(bytes: &[u8], ctx: &Context<'_>) -> Result<Validated, Rejection> {
    let (record, wire) = Record::from_json(bytes)?;
    Ok(validate_parsed(record, wire, ctx))
}

/// Validates a wire record built by a mapping (FHIR, HL7 v2) rather than parsed from JSON.
pub fn validate_wire(wire: RecordWire, ctx: &Context<'_>) -> Result<Validated, Rejection> {
    let record = Record::parse(wire.clone()).map_err(Rejection::Invalid)?;
    Ok(validate_parsed(record, wire, ctx))
}

fn validate_parsed(record: Record, mut wire: RecordWire, ctx: &Context<'_>) -> Validated {
    wire.recorded_at = Some(
        record
            .recorded_at_local
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    );
    let verdict = engine::validate(&record, ctx);
    Validated {
        record,
        wire,
        verdict,
        validated_at: ctx.now,
        time_assigned: false,
    }
}

/// The rows to store for a validated record, under a fresh time-ordered ID.
pub fn prepare(validated: &Validated, profile: &str) -> PreparedRecord {
    prepare_as(validated, profile, Uuid::now_v7().to_string())
}

/// The rows of a validated record under a given ID (`real-dq revalidate` keeps the ID).
pub fn prepare_as(validated: &Validated, profile: &str, id: String) -> PreparedRecord {
    let body = serde_json::to_string(&validated.wire).expect("a record always serialises");
    // The same instant in another offset is the same record: hash it in UTC (the body
    // already is UTC when the sender used `Z` or `+00:00`, as most do).
    let digest = if validated
        .record
        .recorded_at_local
        .offset()
        .local_minus_utc()
        == 0
    {
        Sha256::digest(body.as_bytes())
    } else {
        let mut in_utc = validated.wire.clone();
        in_utc.recorded_at = Some(timestamp(validated.record.recorded_at));
        Sha256::digest(serde_json::to_vec(&in_utc).expect("a record always serialises"))
    };
    let mut content_hash = [0u8; 16];
    content_hash.copy_from_slice(&digest[..16]);
    let timeless_hash = validated.time_assigned.then(|| codec::timeless_hash(&body));
    let result_tail = validated.result(profile).to_json();
    let mut rules: Vec<&'static str> = validated
        .verdict
        .findings
        .iter()
        .map(|f| f.rule.id)
        .collect();
    rules.sort_unstable();
    rules.dedup();
    PreparedRecord {
        timeless_hash,
        result: codec::encode(&crate::result::with_identity(&result_tail, &id, None)),
        result_tail,
        id,
        source: validated.record.source.clone(),
        patient_id: validated.record.patient_id.clone(),
        unit: validated.record.unit.clone(),
        recorded_at: micros(validated.record.recorded_at),
        content_hash,
        body: codec::encode(&body),
        status: validated.verdict.status.as_str(),
        profile: profile.to_string(),
        real_complete: validated.verdict.real_complete,
        domains: domain_columns(&validated.verdict),
        answers: answers(validated).join(" "),
        reported_by: reported_by(validated),
        rules_text: rules.join(" "),
        rules,
    }
}

/// Code of CDCREC's "Other Race" (not an OMB category: its share is a quality signal).
pub const OTHER_RACE: &str = "2131-1";

/// What the patient's race, ethnicity and language answers were, as the distribution
/// counts them (`GET /v1/reports/distribution`): `*` (every state has it, so that the
/// count of states described is known), then per domain either the values (race: each
/// OMB 1997 category, `2131-1` Other Race, and `multiple` with two categories or more;
/// ethnicity: the OMB 1997 answer; language: the preferred language's primary subtag) or,
/// without one, the domain's status (declined, unknown, not_asked, missing, invalid).
pub fn answers(validated: &Validated) -> Vec<String> {
    let verdict = &validated.verdict;
    let status = |domain| {
        verdict
            .domains
            .get(domain)
            .map_or(DomainStatus::Missing.as_str(), DomainStatus::as_str)
    };
    let mut tags = vec!["*".to_string()];
    let omb = &verdict.omb_1997;
    let mut race: Vec<String> = omb.race.iter().map(|c| format!("race:{c}")).collect();
    let other = validated
        .record
        .race
        .as_ref()
        .is_some_and(|r| r.codes.iter().any(|c| c.code.trim() == OTHER_RACE));
    if omb.race.len() > 1 {
        race.push("race:multiple".into());
    }
    if other {
        race.push(format!("race:{OTHER_RACE}"));
    }
    if race.is_empty() {
        race.push(format!("race:{}", status(Domain::Race)));
    }
    tags.extend(race);
    tags.push(match omb.ethnicity {
        Some(code) => format!("ethnicity:{code}"),
        None => format!("ethnicity:{}", status(Domain::Ethnicity)),
    });
    let language = status(Domain::Language);
    let preferred = validated
        .record
        .language
        .as_ref()
        .and_then(|l| l.preferred.as_deref())
        .map(|tag| {
            tag.split(['-', '_'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        })
        .filter(|tag| !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_alphanumeric()));
    tags.push(match preferred {
        Some(tag) if language == DomainStatus::Complete.as_str() => format!("language:{tag}"),
        _ => format!("language:{language}"),
    });
    tags
}

/// Who reported the patient's race and ethnicity, as `group_by=reported_by` and the
/// drill-down's `reported_by=` group patients: the one `reported_by` the two answers give
/// (`self`, `caregiver`, `staff_observed`, `unknown`), `mixed` when they give two different
/// ones, `not_recorded` when neither gives one. (Language answers carry no reporter.)
pub fn reported_by(validated: &Validated) -> &'static str {
    let record = &validated.record;
    let mut said = [record.race.as_ref(), record.ethnicity.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|answer| answer.reported_by);
    let Some(first) = said.next() else {
        return REPORTERS[5];
    };
    if said.any(|other| other != first) {
        return REPORTERS[4];
    }
    match first {
        ReportedBy::SelfReport => REPORTERS[0],
        ReportedBy::Caregiver => REPORTERS[1],
        ReportedBy::StaffObserved => REPORTERS[2],
        ReportedBy::Unknown => REPORTERS[3],
    }
}

/// The values of [`reported_by`], in report order.
pub const REPORTERS: [&str; 6] = [
    "self",
    "caregiver",
    "staff_observed",
    "unknown",
    "mixed",
    "not_recorded",
];

/// The report column of a caregiver domain the profile does not require of a patient.
pub const NOT_REQUIRED: &str = "not_required";

fn domain_columns(verdict: &Verdict) -> DomainColumns {
    // A domain the profile does not require of this patient (the caregivers' of an adult)
    // is kept out of the report's counts of that domain.
    let status = |domain| {
        if !verdict.counted_in(domain) {
            return NOT_REQUIRED;
        }
        verdict
            .domains
            .get(domain)
            .map_or(DomainStatus::Missing.as_str(), DomainStatus::as_str)
    };
    DomainColumns {
        race: status(Domain::Race),
        ethnicity: status(Domain::Ethnicity),
        language: status(Domain::Language),
        interpreter: status(Domain::Interpreter),
        caregivers: status(Domain::Caregivers),
        caregiver_language: status(Domain::CaregiverLanguage),
        optional: verdict
            .domains
            .0
            .iter()
            .filter(|(domain, _)| Domain::OPTIONAL_DOMAINS.contains(domain))
            .map(|(domain, status)| format!("{}:{}", domain.as_str(), status.as_str()))
            .collect::<Vec<_>>()
            .join(" "),
    }
}
