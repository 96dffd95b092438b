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
pub use bundle::{EntryKind, ParsedBundle};
use model::Resource;
use patient::{Envelope, FhirSettings};

/// A Patient judged: its HTTP status, OperationOutcome and (when stored) rows.
#[derive(Debug)]
pub struct Judged {
    /// 200 when it validated (the store may make it 201), 422 when it is not a record.
    pub status: u16,
    /// The OperationOutcome's JSON text.
    pub outcome: String,
    /// The rows to store (absent when not a record, or when only validating); without
    /// `result_tail`, which FHIR does not answer with.
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
            prepared: store.then(|| {
                // FHIR answers with the OperationOutcome, never with the result: its text
                // is not kept (a Bundle may hold thousands of these at once).
                let mut prepared = pipeline::prepare(&validated, profile_id);
                prepared.result_tail = String::new();
                prepared
            }),
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
/// caregivers, each resource read from the body only now. `store` prepares the rows of each
/// Patient that is a record.
pub fn judge_entries<B: AsRef<[u8]>>(
    bundle: &ParsedBundle<B>,
    range: std::ops::Range<usize>,
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
    profile_id: &str,
    store: bool,
) -> Vec<Entry> {
    range
        .filter(|i| *i < bundle.len())
        .map(|i| match bundle.kind_of(i) {
            EntryKind::Patient => {
                let related: Vec<Resource> = bundle
                    .related
                    .get(&i)
                    .map(|rs| rs.iter().map(|k| bundle.entry(*k).resource).collect())
                    .unwrap_or_default();
                let related: Vec<&Resource> = related.iter().collect();
                Entry::Patient(Box::new(judge_patient(
                    &bundle.entry(i).resource,
                    &related,
                    settings,
                    envelope,
                    ctx,
                    profile_id,
                    store,
                )))
            }
            EntryKind::RelatedPerson => match bundle.owner.get(&i) {
                Some(owner) => Entry::Caregiver(*owner),
                None => Entry::Orphan,
            },
            EntryKind::Other => Entry::Ignored(bundle.entry(i).kind().chars().take(40).collect()),
        })
        .collect()
}

/// Judges every entry of a Bundle given as JSON text, preparing the rows of its records.
pub fn judge_bundle(
    body: &[u8],
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
    profile_id: &str,
) -> Result<Vec<Entry>, bundle::BundleError> {
    let bundle = ParsedBundle::parse(body)?;
    Ok(judge_entries(
        &bundle,
        0..bundle.len(),
        settings,
        envelope,
        ctx,
        profile_id,
        true,
    ))
}
