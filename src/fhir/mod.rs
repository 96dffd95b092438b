//! FHIR R4 in: US Core Patient resources (alone, or in a Bundle with RelatedPerson
//! caregivers) mapped onto the canonical record ([`patient`]) and answered with an
//! `OperationOutcome` ([`outcome`]).

pub mod bundle;
pub mod lenient;
pub mod model;
pub mod outcome;
pub mod patient;

#[cfg(test)]
mod fuzz_tests;

use crate::pipeline;
use crate::record::Rejection;
use crate::rules::Context;
use crate::store::ingest::PreparedRecord;
pub use bundle::ParsedBundle;
use model::Resource;
use patient::{Envelope, FhirSettings};

/// A Patient judged: its HTTP status, OperationOutcome and (when stored) rows.
#[derive(Debug)]
pub struct Judged {
    /// 200 when it validated (the store may make it 201), 422 when it is not a record.
    pub status: u16,
    /// The OperationOutcome's JSON text.
    pub outcome: String,
    /// The rows to store (absent when not a record, or when only validating).
    pub prepared: Option<PreparedRecord>,
}

/// Validates one Patient (with its caregivers); `store` prepares rows too.
pub fn judge_patient(
    resource: &Resource,
    related: &[&Resource],
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
    profile_id: &str,
    store: bool,
) -> Judged {
    let mapped = match patient::to_record(resource, related, settings, envelope) {
        Ok(mapped) => mapped,
        Err(patient::NotAPatient(why)) => {
            return Judged {
                status: 422,
                outcome: outcome::error("invalid", &why, None),
                prepared: None,
            }
        }
    };
    let patient::MappedPatient { record, provenance } = mapped;
    match pipeline::validate_wire(record, ctx) {
        Ok(validated) => Judged {
            status: 200,
            outcome: outcome::from_findings(&validated.outcome.findings, &provenance),
            prepared: store.then(|| pipeline::prepare(&validated, profile_id)),
        },
        Err(Rejection::Invalid(fields)) => {
            let issues: Vec<(String, &'static str, String)> = fields
                .iter()
                .map(|f| {
                    (
                        format!("{}: {}", f.path, f.message),
                        if f.message == "required" {
                            "required"
                        } else {
                            "invalid"
                        },
                        outcome::expression(&f.path, &provenance),
                    )
                })
                .collect();
            Judged {
                status: 422,
                outcome: outcome::from_fields(&issues),
                prepared: None,
            }
        }
        Err(Rejection::Malformed(field)) => Judged {
            status: 422,
            outcome: outcome::error("invalid", &field.message, None),
            prepared: None,
        },
    }
}

/// Bundle types real-dq reads.
pub const BUNDLE_TYPES: [&str; 4] = ["batch", "transaction", "collection", "searchset"];

/// What one Bundle entry is.
#[derive(Debug)]
pub enum Entry {
    /// A Patient, judged.
    Patient(Box<Judged>),
    /// A RelatedPerson attached to the Patient entry at this index.
    Caregiver(usize),
    /// A RelatedPerson whose patient is not in the Bundle.
    Orphan,
    /// Any other resource: ignored.
    Ignored(String),
}

/// Judges the entries `range` of a parsed Bundle: each Patient with its RelatedPerson
/// caregivers.
pub fn judge_entries(
    bundle: &ParsedBundle,
    range: std::ops::Range<usize>,
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
    profile_id: &str,
) -> Vec<Entry> {
    range
        .filter(|i| *i < bundle.entries.len())
        .map(|i| match bundle.entries[i].kind() {
            "Patient" => {
                let related: Vec<&Resource> = bundle
                    .related
                    .get(&i)
                    .map(|rs| rs.iter().map(|k| &bundle.entries[*k].resource).collect())
                    .unwrap_or_default();
                Entry::Patient(Box::new(judge_patient(
                    &bundle.entries[i].resource,
                    &related,
                    settings,
                    envelope,
                    ctx,
                    profile_id,
                    true,
                )))
            }
            "RelatedPerson" => match bundle.owner.get(&i) {
                Some(owner) => Entry::Caregiver(*owner),
                None => Entry::Orphan,
            },
            other => Entry::Ignored(other.chars().take(40).collect()),
        })
        .collect()
}

/// Judges every entry of a Bundle given as JSON text.
pub fn judge_bundle(
    body: &[u8],
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
    profile_id: &str,
) -> Result<Vec<Entry>, bundle::BundleError> {
    let bundle = ParsedBundle::parse(body)?;
    let count = bundle.entries.len();
    Ok(judge_entries(
        &bundle,
        0..count,
        settings,
        envelope,
        ctx,
        profile_id,
    ))
}
