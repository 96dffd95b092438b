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

use super::lines::{Line, LineError};
use super::{Checked, Format, Source};
use crate::fhir::model::{self, Resource};
use crate::fhir::patient::{Envelope, FhirSettings};
use crate::fhir::{self, operation_outcome, CheckedPatient};
use crate::record::{FieldError, Rejection};
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
    /// A Patient, checked with the RelatedPersons after it (a record, or why not).
    Patient(Box<CheckedPatient>),
    /// A RelatedPerson recorded as a caregiver of the Patient on this line.
    Caregiver(u64),
    /// A resource real-dq does not read, of this type.
    Ignored(String),
    /// A RelatedPerson that follows no line of the Patient it names.
    Orphan,
    /// Not a resource: too long, unreadable, not JSON.
    Error(LineError),
    /// JSON, but not a FHIR resource (no `resourceType`).
    NotAResource,
}

fn is_patient(line: &Line) -> bool {
    match line {
        Line::Record { bytes, .. } => crate::fhir::patient::is_patient_line(bytes),
        Line::Rejected { .. } => false,
    }
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

/// The Patient being read and the RelatedPerson lines after it that name it, each read
/// once into the typed model.
#[derive(Default)]
struct Group {
    patient: Option<(u64, Resource)>,
    related: Vec<(u64, Resource)>,
}

impl Group {
    /// Whether `person` names the Patient being read.
    fn owns(&self, person: &Resource) -> bool {
        let Some((_, patient)) = &self.patient else {
            return false;
        };
        match (patient.id.get(), person.patient.reference.get()) {
            (Some(id), Some(reference)) => {
                crate::fhir::patient::referenced_patient_id(reference) == Some(id)
            }
            _ => false,
        }
    }
}

impl Format for FhirBulk {
    type Chunk = Vec<Line>;
    type Answer = BulkAnswer;
    const ANSWERS_WITH_RESULT: bool = false;
    const NAME: &'static str = "fhir-bulk";

    fn no_record(answer: &BulkAnswer) -> crate::metrics::Outcome {
        use crate::metrics::Outcome;
        match answer.kind {
            BulkLine::Caregiver(_) => Outcome::Attached,
            BulkLine::Ignored(_) => Outcome::Ignored,
            _ => Outcome::Rejected,
        }
    }

    fn check(&self, lines: Vec<Line>, ctx: &Context<'_>) -> Vec<Checked<BulkAnswer>> {
        let mut out = Vec::with_capacity(lines.len());
        let mut group = Group::default();
        let answer = |number, kind| Checked::answer_only(BulkAnswer { number, kind });
        for line in lines {
            let (number, bytes) = match line {
                Line::Rejected { number, error } => {
                    self.flush(&mut group, ctx, &mut out);
                    out.push(answer(number, BulkLine::Error(error)));
                    continue;
                }
                Line::Record { number, bytes } => (number, bytes),
            };
            // Read once, by the lenient reader a Bundle's entries go through: an element
            // real-dq does not read (a lone surrogate in a name, say) does not matter.
            let resource: Resource = match model::read(&bytes) {
                Ok(resource) => resource,
                Err(model::NotJson(why)) => {
                    self.flush(&mut group, ctx, &mut out);
                    let why = why.replacen("the body", "the line", 1);
                    out.push(answer(
                        number,
                        BulkLine::Error(LineError::Rejected(Rejection::Malformed(
                            FieldError::new("", why),
                        ))),
                    ));
                    continue;
                }
            };
            match resource.resource_type.get() {
                Some("Patient") => {
                    self.flush(&mut group, ctx, &mut out);
                    group.patient = Some((number, resource));
                }
                Some("RelatedPerson") if group.owns(&resource) => {
                    group.related.push((number, resource));
                }
                Some("RelatedPerson") => out.push(answer(number, BulkLine::Orphan)),
                Some(other) => out.push(answer(
                    number,
                    BulkLine::Ignored(other.chars().take(40).collect()),
                )),
                None => {
                    self.flush(&mut group, ctx, &mut out);
                    out.push(answer(number, BulkLine::NotAResource));
                }
            }
        }
        self.flush(&mut group, ctx, &mut out);
        // A group's RelatedPersons are answered after the lines between them: answers go
        // in line order.
        out.sort_by_key(|checked| checked.answer.number);
        out
    }
}

impl FhirBulk {
    /// Checks a Patient with its RelatedPersons, as a Bundle's entries are checked.
    fn flush(&self, group: &mut Group, ctx: &Context<'_>, out: &mut Vec<Checked<BulkAnswer>>) {
        let Group { patient, related } = std::mem::take(group);
        let Some((number, patient)) = patient else {
            return;
        };
        let caregivers: Vec<&Resource> = related.iter().map(|(_, r)| r).collect();
        let mut checked =
            fhir::check_patient(&patient, &caregivers, &self.settings, &self.envelope, ctx);
        let record = checked.validated.take();
        out.push(Checked {
            answer: BulkAnswer {
                number,
                kind: BulkLine::Patient(Box::new(checked)),
            },
            record,
        });
        out.extend(related.into_iter().map(|(line, _)| {
            Checked::answer_only(BulkAnswer {
                number: line,
                kind: BulkLine::Caregiver(number),
            })
        }));
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
                (BulkLine::Patient(_), Fate::Refused) => {
                    failed += 1;
                    line(&mut out, "403 Forbidden", &super::fhir::forbidden_outcome());
                }
                (BulkLine::Patient(patient), Fate::Stored { stored: what, .. }) => {
                    stored += 1;
                    let status = super::fhir::stored_status(what.outcome);
                    let _ = writeln!(
                        out,
                        r#"{{"line":{number},"status":"{status}","location":"/v1/records/{}","outcome":{}}}"#,
                        what.id, patient.operation_outcome
                    );
                }
                (BulkLine::Patient(_), Fate::NotStored(error)) => {
                    failed += 1;
                    let (status, outcome) = super::fhir::not_stored_outcome(error, "line");
                    line(&mut out, status, &outcome);
                }
                (BulkLine::Patient(patient), Fate::NotARecord) => {
                    failed += 1;
                    line(
                        &mut out,
                        "422 Unprocessable Entity",
                        &patient.operation_outcome,
                    );
                }
                (BulkLine::Caregiver(of), _) => {
                    line(
                        &mut out,
                        "200 OK",
                        &operation_outcome::information(&format!(
                            "recorded as a caregiver of the Patient of line {of}"
                        )),
                    );
                }
                (BulkLine::Ignored(kind), _) => line(
                    &mut out,
                    "200 OK",
                    &operation_outcome::information(&format!(
                        "{kind} ignored: real-dq reads Patient and RelatedPerson"
                    )),
                ),
                (BulkLine::Orphan, _) => {
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
