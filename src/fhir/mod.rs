//! FHIR R4 in: US Core Patient resources (alone, or in a Bundle with RelatedPerson
//! caregivers) mapped onto the canonical record ([`patient`]), validated, and answered with
//! an `OperationOutcome` ([`operation_outcome`]). What is checked here is stored by the
//! ingest pipeline (`crate::ingest::fhir`); this module knows nothing of storage.

pub mod bundle;
pub mod lenient;
pub mod model;
pub mod operation_outcome;
pub mod patient;

#[cfg(test)]
mod fuzz_tests;

use crate::pipeline::{self, Validated};
use crate::record::Rejection;
use crate::rules::Context;
pub use bundle::{EntryKind, ParsedBundle};
use model::Resource;
use patient::{Envelope, FhirSettings};

/// A Patient checked: its HTTP status, its OperationOutcome and, when it is a record, the
/// validated record.
#[derive(Debug)]
pub struct CheckedPatient {
    /// 200 when it validated (storing may make it 201), 422 when it is not a record.
    pub status: u16,
    /// The OperationOutcome's JSON text.
    pub operation_outcome: String,
    /// The validated record (absent when not a record).
    pub validated: Option<Validated>,
}

impl CheckedPatient {
    fn not_a_record(operation_outcome: String) -> Self {
        CheckedPatient {
            status: 422,
            operation_outcome,
            validated: None,
        }
    }
}

/// Checks one Patient (with its caregivers): maps it onto the canonical record and
/// validates that.
pub fn check_patient(
    resource: &Resource,
    related: &[&Resource],
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
) -> CheckedPatient {
    let mapped = match patient::to_record(resource, related, settings, envelope) {
        Ok(mapped) => mapped,
        Err(patient::NotAPatient(why)) => {
            return CheckedPatient::not_a_record(operation_outcome::error("invalid", &why, None))
        }
    };
    let patient::MappedPatient {
        record,
        provenance,
        time_assigned,
    } = mapped;
    match pipeline::validate_wire(record, ctx) {
        Ok(mut validated) => CheckedPatient {
            status: 200,
            operation_outcome: operation_outcome::from_findings(
                &validated.verdict.findings,
                &provenance,
            ),
            validated: Some({
                validated.time_assigned = time_assigned;
                validated
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
                        operation_outcome::expression(&f.path, &provenance),
                    )
                })
                .collect();
            CheckedPatient::not_a_record(operation_outcome::from_fields(&issues))
        }
        Err(Rejection::Malformed(field)) => {
            CheckedPatient::not_a_record(operation_outcome::error("invalid", &field.message, None))
        }
    }
}

/// Bundle types real-dq reads.
pub const BUNDLE_TYPES: [&str; 5] = ["batch", "transaction", "collection", "searchset", "message"];

/// What one Bundle entry is.
#[derive(Debug)]
pub enum Entry {
    /// A Patient, checked.
    Patient(Box<CheckedPatient>),
    /// A RelatedPerson attached to the Patient entry at this index.
    Caregiver(usize),
    /// A RelatedPerson whose patient is not in the Bundle.
    Orphan,
    /// Any other resource: ignored.
    Ignored(String),
}

/// Checks the entries `range` of a parsed Bundle: each Patient with its RelatedPerson
/// caregivers, each resource read from the body only now.
pub fn check_entries<B: AsRef<[u8]>>(
    bundle: &ParsedBundle<B>,
    range: std::ops::Range<usize>,
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
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
                Entry::Patient(Box::new(check_patient(
                    &bundle.entry(i).resource,
                    &related,
                    settings,
                    envelope,
                    ctx,
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

/// Checks every entry of a Bundle given as JSON text.
pub fn check_bundle(
    body: &[u8],
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
) -> Result<Vec<Entry>, bundle::BundleError> {
    let bundle = ParsedBundle::parse(body)?;
    Ok(check_entries(
        &bundle,
        0..bundle.len(),
        settings,
        envelope,
        ctx,
    ))
}
