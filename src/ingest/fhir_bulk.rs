//! FHIR Bulk NDJSON (`POST /fhir/Patient/$import`): one resource a line, as a Bulk Data
//! `$export` writes it, streamed through the pipeline like an NDJSON batch and answered a
//! line at a time.
//!
//! A Patient line is a record. The RelatedPerson lines right after it that name it
//! (`patient.reference` `Patient/{id}`) are its caregivers, checked with it as a Bundle's
//! are: a Patient and its RelatedPersons are never split between chunks ([`Grouped`] holds
//! the last Patient of a chunk back until the lines after it are read). A RelatedPerson
//! anywhere else is answered 422 (it names no Patient line before it), any other resource
//! is answered as ignored, and a line that is not a resource with its error; no line ever
//! sinks another.

use bytes::Bytes;
use serde::Deserialize;

use super::lines::{Line, LineError};
use super::{Checked, Format, Source};
use crate::fhir::patient::{Envelope, FhirSettings};
use crate::fhir::{self, operation_outcome, Entry, ParsedBundle};
use crate::rules::Context;

/// What one line is answered with, besides what storing did.
#[derive(Debug)]
pub struct BulkAnswer {
    /// Its 1-based line number.
    pub number: u64,
    /// What it was found to be.
    pub kind: BulkLine,
}

/// What a line was found to be.
#[derive(Debug)]
pub enum BulkLine {
    /// A resource of a Patient's group: the Patient (a record, or why not) or one of its
    /// RelatedPersons (naming the Patient's line) or another resource.
    Entry(Entry, Vec<u64>),
    /// A RelatedPerson that follows no line of the Patient it names.
    Orphan,
    /// Not a resource: too long, unreadable, not JSON.
    Error(LineError),
    /// JSON, but not a FHIR resource (no `resourceType`).
    NotAResource,
}

/// The fields of a line that decide how it groups.
#[derive(Debug, Default, Deserialize)]
struct Head {
    #[serde(rename = "resourceType", default)]
    resource_type: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    patient: Option<Reference>,
}

#[derive(Debug, Default, Deserialize)]
struct Reference {
    #[serde(default)]
    reference: Option<String>,
}

fn head(bytes: &[u8]) -> Option<Head> {
    serde_json::from_slice::<Head>(bytes).ok()
}

fn is_patient(line: &Line) -> bool {
    match line {
        Line::Record { bytes, .. } => {
            head(bytes).and_then(|h| h.resource_type).as_deref() == Some("Patient")
        }
        Line::Rejected { .. } => false,
    }
}

/// Whether `reference` names the Patient `id` (`Patient/{id}`, or a URL ending so).
fn names(reference: &str, id: &str) -> bool {
    reference
        .strip_suffix(id)
        .is_some_and(|rest| rest == "Patient/" || rest.ends_with("/Patient/"))
}

/// The most RelatedPerson lines read with one Patient, as in a Bundle.
pub const MAX_RELATED: usize = 100;

/// Lines in chunks that never split a Patient from the RelatedPerson lines after it.
pub struct Grouped<S> {
    inner: S,
    held: Vec<Line>,
    done: bool,
}

impl<S> Grouped<S> {
    /// Groups the chunks of `inner`.
    pub fn new(inner: S) -> Self {
        Grouped {
            inner,
            held: Vec::new(),
            done: false,
        }
    }
}

impl<S: Source<Chunk = Vec<Line>>> Source for Grouped<S> {
    type Chunk = Vec<Line>;

    async fn next_chunk(&mut self, items: usize) -> Option<Vec<Line>> {
        let mut chunk = std::mem::take(&mut self.held);
        loop {
            if !self.done {
                match self.inner.next_chunk(items).await {
                    Some(more) => chunk.extend(more),
                    None => self.done = true,
                }
            }
            if chunk.is_empty() {
                return None;
            }
            if self.done {
                return Some(chunk);
            }
            match chunk.iter().rposition(is_patient) {
                // One Patient's group so far: read on, up to the most RelatedPersons a
                // Patient may have (beyond, the rest are answered as following none).
                Some(0) if chunk.len() <= MAX_RELATED => continue,
                // Hold the last Patient and what follows it back for the next chunk.
                Some(cut) if cut > 0 => {
                    self.held = chunk.split_off(cut);
                    return Some(chunk);
                }
                _ => return Some(chunk),
            }
        }
    }
}

/// The FHIR Bulk format: each line a resource, mapped under the service's settings and
/// the request's envelope.
pub struct FhirBulk {
    /// The service's FHIR settings.
    pub settings: std::sync::Arc<FhirSettings>,
    /// The request's source, unit and time of receipt.
    pub envelope: Envelope,
}

impl Format for FhirBulk {
    type Chunk = Vec<Line>;
    type Answer = BulkAnswer;
    const ANSWERS_WITH_RESULT: bool = false;

    fn check(&self, lines: Vec<Line>, ctx: &Context<'_>) -> Vec<Checked<BulkAnswer>> {
        let mut out = Vec::with_capacity(lines.len());
        let mut group: Vec<(u64, Bytes)> = Vec::new();
        let mut patient_id: Option<String> = None;
        for line in lines {
            let (number, bytes) = match line {
                Line::Rejected { number, error } => {
                    self.flush(&mut group, ctx, &mut out);
                    patient_id = None;
                    out.push(Checked::answer_only(BulkAnswer {
                        number,
                        kind: BulkLine::Error(error),
                    }));
                    continue;
                }
                Line::Record { number, bytes } => (number, bytes),
            };
            let Some(head) = head(&bytes).filter(|h| h.resource_type.is_some()) else {
                self.flush(&mut group, ctx, &mut out);
                patient_id = None;
                if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
                    // JSON whose head the strict reader refused (a lone surrogate in some
                    // element, say) or without `resourceType`: read alone, by the lenient
                    // reader a Bundle's entries go through.
                    group.push((number, bytes));
                    self.flush(&mut group, ctx, &mut out);
                } else {
                    out.push(Checked::answer_only(BulkAnswer {
                        number,
                        kind: BulkLine::Error(LineError::Rejected(
                            crate::record::Rejection::Malformed(crate::record::FieldError::new(
                                "",
                                "the line is not JSON",
                            )),
                        )),
                    }));
                }
                continue;
            };
            match head.resource_type.as_deref() {
                Some("Patient") => {
                    self.flush(&mut group, ctx, &mut out);
                    patient_id = head.id.clone();
                    group.push((number, bytes));
                }
                Some("RelatedPerson") => {
                    let follows = match (&patient_id, head.patient.and_then(|p| p.reference)) {
                        (Some(id), Some(reference)) => names(&reference, id),
                        _ => false,
                    };
                    if follows && !group.is_empty() {
                        group.push((number, bytes));
                    } else {
                        out.push(Checked::answer_only(BulkAnswer {
                            number,
                            kind: BulkLine::Orphan,
                        }));
                    }
                }
                Some(other) => out.push(Checked::answer_only(BulkAnswer {
                    number,
                    kind: BulkLine::Entry(Entry::Ignored(other.to_string()), Vec::new()),
                })),
                None => unreachable!("filtered above"),
            }
        }
        self.flush(&mut group, ctx, &mut out);
        // Lines of a group come out in group order; answers go in line order.
        out.sort_by_key(|checked| checked.answer.number);
        out
    }
}

impl FhirBulk {
    /// Checks a Patient's group (its line and its RelatedPersons' lines) as a Bundle's
    /// entries are checked.
    fn flush(
        &self,
        group: &mut Vec<(u64, Bytes)>,
        ctx: &Context<'_>,
        out: &mut Vec<Checked<BulkAnswer>>,
    ) {
        if group.is_empty() {
            return;
        }
        let numbers: Vec<u64> = group.iter().map(|(n, _)| *n).collect();
        let mut body =
            Vec::with_capacity(group.iter().map(|(_, b)| b.len() + 16).sum::<usize>() + 64);
        body.extend_from_slice(br#"{"resourceType":"Bundle","type":"collection","entry":["#);
        for (i, (_, bytes)) in group.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(br#"{"resource":"#);
            body.extend_from_slice(bytes);
            body.push(b'}');
        }
        body.extend_from_slice(b"]}");
        group.clear();
        let bundle = match ParsedBundle::parse(Bytes::from(body)) {
            Ok(bundle) => bundle,
            Err(_) => {
                // Each line was JSON on its own: this cannot happen; answer each as not JSON
                // rather than panic.
                for number in numbers {
                    out.push(Checked::answer_only(BulkAnswer {
                        number,
                        kind: BulkLine::NotAResource,
                    }));
                }
                return;
            }
        };
        let entries = fhir::check_entries(
            &bundle,
            0..numbers.len(),
            &self.settings,
            &self.envelope,
            ctx,
        );
        for (number, mut entry) in numbers.iter().copied().zip(entries) {
            let record = match &mut entry {
                Entry::Patient(patient) => patient.validated.take(),
                _ => None,
            };
            out.push(Checked {
                answer: BulkAnswer {
                    number,
                    kind: BulkLine::Entry(entry, numbers.clone()),
                },
                record,
            });
        }
    }
}

/// The OperationOutcome of a RelatedPerson that follows no line of its Patient.
pub fn orphan_outcome() -> String {
    operation_outcome::error(
        "invalid",
        "the RelatedPerson follows no line of the Patient it names: in Bulk NDJSON a Patient's \
         RelatedPersons come on the lines right after it",
        Some("RelatedPerson.patient"),
    )
}

/// Writes the answer lines of stored chunks: one JSON object a line, `line`, `status`,
/// `location` when stored, and the `outcome` (an OperationOutcome); knows the last line
/// answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct BulkLines {
    last: u64,
}

impl super::Render for BulkLines {
    type Answer = BulkAnswer;

    fn render(
        &mut self,
        chunk: Vec<super::Answered<BulkAnswer>>,
    ) -> Result<String, super::IngestError> {
        use super::Fate;
        use std::fmt::Write;
        let mut out = String::with_capacity(chunk.len() * 400);
        let (mut stored, mut failed) = (0usize, 0usize);
        for super::Answered { answer, fate } in chunk {
            let number = answer.number;
            self.last = number;
            let line = |out: &mut String, status: &str, outcome: &str| {
                let _ = writeln!(
                    out,
                    r#"{{"line":{number},"status":"{status}","outcome":{outcome}}}"#
                );
            };
            match (answer.kind, fate) {
                (BulkLine::Entry(Entry::Patient(_), _), Fate::Refused) => {
                    failed += 1;
                    line(&mut out, "403 Forbidden", &super::fhir::forbidden_outcome());
                }
                (
                    BulkLine::Entry(Entry::Patient(patient), _),
                    Fate::Stored { stored: what, .. },
                ) => {
                    stored += 1;
                    let status = super::fhir::stored_status(what.outcome);
                    let _ = writeln!(
                        out,
                        r#"{{"line":{number},"status":"{status}","location":"/v1/records/{}","outcome":{}}}"#,
                        what.id, patient.operation_outcome
                    );
                }
                (BulkLine::Entry(Entry::Patient(_), _), Fate::NotStored(error)) => {
                    failed += 1;
                    let (status, outcome) = super::fhir::not_stored_outcome(error, "line");
                    line(&mut out, status, &outcome);
                }
                (BulkLine::Entry(Entry::Patient(patient), _), Fate::NotARecord) => {
                    failed += 1;
                    line(
                        &mut out,
                        "422 Unprocessable Entity",
                        &patient.operation_outcome,
                    );
                }
                (BulkLine::Entry(Entry::Caregiver(owner), numbers), _) => {
                    let of = numbers.get(owner).copied().unwrap_or_default();
                    line(
                        &mut out,
                        "200 OK",
                        &operation_outcome::information(&format!(
                            "recorded as a caregiver of the Patient of line {of}"
                        )),
                    );
                }
                (BulkLine::Entry(Entry::Ignored(kind), _), _) if kind.is_empty() => {
                    failed += 1;
                    line(&mut out, "422 Unprocessable Entity", &not_a_resource());
                }
                (BulkLine::Entry(Entry::Ignored(kind), _), _) => line(
                    &mut out,
                    "200 OK",
                    &operation_outcome::information(&format!(
                        "{kind} ignored: real-dq reads Patient and RelatedPerson"
                    )),
                ),
                (BulkLine::Entry(Entry::Orphan, _) | BulkLine::Orphan, _) => {
                    failed += 1;
                    line(&mut out, "422 Unprocessable Entity", &orphan_outcome());
                }
                (BulkLine::NotAResource, _) => {
                    failed += 1;
                    line(&mut out, "422 Unprocessable Entity", &not_a_resource());
                }
                (BulkLine::Error(error), _) => {
                    failed += 1;
                    let (status, code, text) = match error {
                        LineError::TooLarge(why) => ("413 Payload Too Large", "too-costly", why),
                        LineError::Unreadable => (
                            "400 Bad Request",
                            "incomplete",
                            "the body could not be read from this line on".to_string(),
                        ),
                        LineError::Rejected(rejection) => {
                            ("400 Bad Request", "structure", rejection_text(rejection))
                        }
                    };
                    line(
                        &mut out,
                        status,
                        &operation_outcome::error(code, &text, None),
                    );
                }
            }
        }
        tracing::info!(stored, rejected = failed, "fhir bulk chunk processed");
        Ok(out)
    }
}

impl BulkLines {
    /// The line that ends an import stopped after an internal failure, right after the
    /// last line answered (posting the lines from there again is safe).
    pub fn stopped_line(&self) -> Bytes {
        let outcome = operation_outcome::error(
            "exception",
            "the import stopped at this line after an internal error: this line and the ones \
             after it were not answered; post them again",
            None,
        );
        Bytes::from(format!(
            "{{\"line\":{},\"status\":\"500 Internal Server Error\",\"outcome\":{outcome}}}\n",
            self.last + 1
        ))
    }
}

/// The OperationOutcome of a line that is JSON but no FHIR resource.
fn not_a_resource() -> String {
    operation_outcome::error(
        "structure",
        "the line is JSON but not a FHIR resource (no resourceType)",
        None,
    )
}

fn rejection_text(rejection: crate::record::Rejection) -> String {
    match rejection {
        crate::record::Rejection::Malformed(field) => field.message,
        crate::record::Rejection::Invalid(fields) => fields
            .into_iter()
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect::<Vec<_>>()
            .join("; "),
    }
}
