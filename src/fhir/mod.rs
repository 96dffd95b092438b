//! FHIR R4 in: US Core Patient resources (alone, or in a Bundle with RelatedPerson
//! caregivers) mapped onto the canonical record ([`patient`]) and answered with an
//! `OperationOutcome` ([`outcome`]).

pub mod outcome;
pub mod patient;

#[cfg(test)]
mod fuzz_tests;

use std::collections::HashMap;

use serde_json::Value;

use crate::pipeline;
use crate::record::Rejection;
use crate::rules::Context;
use crate::store::ingest::PreparedRecord;
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
    resource: &Value,
    related: &[&Value],
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
    match pipeline::validate_wire(mapped.record.clone(), ctx) {
        Ok(validated) => Judged {
            status: 200,
            outcome: outcome::from_findings(&validated.outcome.findings, &mapped.provenance),
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
                        outcome::expression(&f.path, &mapped.provenance),
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

fn entries_of(bundle: &Value) -> &[Value] {
    bundle
        .get("entry")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn resource(entry: &Value) -> &Value {
    static NULL: Value = Value::Null;
    entry.get("resource").unwrap_or(&NULL)
}

fn kind(resource: &Value) -> &str {
    resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// How a Bundle's entries refer to each other: each RelatedPerson's Patient entry.
#[derive(Debug, Default)]
pub struct Links {
    /// RelatedPerson entry index → its Patient's entry index.
    owner: HashMap<usize, usize>,
    /// Patient entry index → its RelatedPerson entry indexes.
    related: HashMap<usize, Vec<usize>>,
}

impl Links {
    /// Links every RelatedPerson to the Patient entry its `patient.reference` names
    /// (`Patient/{id}`, the entry's `fullUrl`, or an absolute URL ending in `Patient/{id}`).
    pub fn of(bundle: &Value) -> Links {
        let entries = entries_of(bundle);
        let mut patients: HashMap<&str, usize> = HashMap::new();
        let mut ids: Vec<(String, usize)> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            if kind(resource(e)) != "Patient" {
                continue;
            }
            if let Some(url) = e.get("fullUrl").and_then(Value::as_str) {
                patients.insert(url, i);
            }
            if let Some(id) = e.pointer("/resource/id").and_then(Value::as_str) {
                ids.push((format!("Patient/{id}"), i));
            }
        }
        let by_id: HashMap<&str, usize> = ids.iter().map(|(r, i)| (r.as_str(), *i)).collect();
        let mut links = Links::default();
        for (i, e) in entries.iter().enumerate() {
            let r = resource(e);
            if kind(r) != "RelatedPerson" {
                continue;
            }
            let Some(reference) = patient::related_patient(r) else {
                continue;
            };
            let owner = patients
                .get(reference)
                .or_else(|| by_id.get(reference))
                .or_else(|| {
                    // An absolute reference (`https://host/fhir/Patient/7`) names `Patient/7`.
                    let at = reference.rfind("Patient/")?;
                    by_id.get(&reference[at..])
                })
                .copied();
            if let Some(owner) = owner {
                links.owner.insert(i, owner);
                links.related.entry(owner).or_default().push(i);
            }
        }
        links
    }
}

/// Judges the entries `range` of a Bundle (already checked to be one of [`BUNDLE_TYPES`]).
pub fn judge_entries(
    bundle: &Value,
    links: &Links,
    range: std::ops::Range<usize>,
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
    profile_id: &str,
) -> Vec<Entry> {
    let entries = entries_of(bundle);
    range
        .filter_map(|i| entries.get(i).map(|e| (i, e)))
        .map(|(i, e)| {
            let r = resource(e);
            match kind(r) {
                "Patient" => {
                    let related: Vec<&Value> = links
                        .related
                        .get(&i)
                        .map(|rs| rs.iter().map(|k| resource(&entries[*k])).collect())
                        .unwrap_or_default();
                    Entry::Patient(Box::new(judge_patient(
                        r, &related, settings, envelope, ctx, profile_id, true,
                    )))
                }
                "RelatedPerson" => match links.owner.get(&i) {
                    Some(owner) => Entry::Caregiver(*owner),
                    None => Entry::Orphan,
                },
                other => Entry::Ignored(other.chars().take(40).collect()),
            }
        })
        .collect()
}

/// How many entries a Bundle has.
pub fn entry_count(bundle: &Value) -> usize {
    entries_of(bundle).len()
}

/// Judges every entry of a Bundle.
pub fn judge_bundle(
    bundle: &Value,
    settings: &FhirSettings,
    envelope: &Envelope,
    ctx: &Context<'_>,
    profile_id: &str,
) -> Vec<Entry> {
    let links = Links::of(bundle);
    judge_entries(
        bundle,
        &links,
        0..entry_count(bundle),
        settings,
        envelope,
        ctx,
        profile_id,
    )
}
