//! The extract formats `real-dq report` reads besides canonical NDJSON: FHIR Bulk NDJSON
//! (what a Bulk Data `$export` writes) and HL7 v2 files (messages one after another, or a
//! batch file). Each is cut into blocks at the boundaries that keep what belongs together
//! (a Patient and the RelatedPerson lines after it; a message) and mapped by the same code
//! as `POST /fhir/Patient/$import` and `POST /hl7v2` ([`crate::ingest::fhir_bulk`],
//! [`crate::hl7v2::check_message`]), so a report says what the service would after
//! taking the same file.

use crate::fhir::model::{self, Resource};
use crate::fhir::patient::{Envelope, FhirSettings};
use crate::hl7v2::ack::AckCode;
use crate::hl7v2::batch::Body;
use crate::hl7v2::map::MapSettings;
use crate::ingest::fhir_bulk::{BulkLine, FhirBulk};
use crate::ingest::lines::{Line, LineError};
use crate::ingest::Format;
use crate::pipeline::Validated;
use crate::rules::Context;
use bytes::Bytes;

/// What an extract holds, with the mapping settings its format needs.
#[derive(Debug, Clone, Default)]
pub enum Input {
    /// Canonical records, one a line (`POST /v1/records/batch`).
    #[default]
    Ndjson,
    /// FHIR Bulk NDJSON: one resource a line, a Patient's RelatedPersons right after it.
    FhirBulk(FhirSettings),
    /// HL7 v2 messages, or a batch file.
    Hl7(MapSettings),
}

/// The format an extract's first bytes show: HL7 v2 when it starts with an `MSH`, `FHS` or
/// `BHS` segment; FHIR when its first line is a JSON object with a `resourceType`;
/// canonical NDJSON otherwise.
pub fn sniff(head: &[u8]) -> Sniffed {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    if [b"MSH|", b"FHS|", b"BHS|"]
        .iter()
        .any(|segment| head.starts_with(*segment))
    {
        return Sniffed::Hl7;
    }
    let end = memchr::memchr(b'\n', head);
    let first = &head[..end.unwrap_or(head.len())];
    if !first.starts_with(b"{") {
        return Sniffed::Ndjson;
    }
    let fhir = match end {
        Some(_) => model::read::<Resource>(first).is_ok_and(|r| r.resource_type.get().is_some()),
        // A first line longer than the bytes read: a canonical record has no
        // `resourceType` anywhere, a FHIR resource has it (usually first).
        None => memchr::memmem::find(first, b"\"resourceType\"").is_some(),
    };
    if fhir {
        Sniffed::Fhir
    } else {
        Sniffed::Ndjson
    }
}

/// What [`sniff`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Canonical NDJSON.
    Ndjson,
    /// FHIR resources, one a line.
    Fhir,
    /// HL7 v2.
    Hl7,
}

/// The most bytes an HL7 v2 block may grow to without a message boundary in it.
pub const HL7_MAX_WITHOUT_BOUNDARY: usize = 64 * 1024 * 1024;

impl Input {
    /// Where to cut `data` (whole lines or more, not at the input's end) so that what
    /// belongs together stays in one block: the bytes before the cut form a block, the
    /// rest is carried to the next. `None`: no boundary yet, read on.
    pub fn cut(&self, data: &[u8]) -> Option<usize> {
        let after_last_line = memchr::memrchr(b'\n', data).map(|at| at + 1);
        match self {
            Input::Ndjson => after_last_line,
            Input::FhirBulk(_) => {
                let end = after_last_line?;
                Some(
                    last_patient_line(&data[..end])
                        .filter(|at| *at > 0)
                        .unwrap_or(end),
                )
            }
            Input::Hl7(_) => last_message_start(data).filter(|at| *at > 0),
        }
    }

    /// The noun of what is counted: lines, or messages.
    pub fn noun(&self) -> &'static str {
        match self {
            Input::Hl7(_) => "messages",
            _ => "lines",
        }
    }
}

/// Where the last Patient line of `data` (whole lines) starts.
fn last_patient_line(data: &[u8]) -> Option<usize> {
    let mut end = data.len();
    while end > 0 {
        let start = memchr::memrchr(b'\n', &data[..end - 1]).map_or(0, |at| at + 1);
        if crate::fhir::patient::is_patient_line(&data[start..end]) {
            return Some(start);
        }
        end = start;
    }
    None
}

/// Where the last `MSH` segment of `data` starts (at the start or after a CR or LF).
fn last_message_start(data: &[u8]) -> Option<usize> {
    memchr::memmem::rfind_iter(data, b"MSH|")
        .find(|at| *at == 0 || matches!(data[at - 1], b'\r' | b'\n'))
}

/// One item of a block: a validated record, or why the item is not one (an error code,
/// never a value), or nothing to count (a caregiver line, an ignored resource, a message
/// with nothing to store).
pub enum Item {
    /// A record.
    Record(Box<Validated>),
    /// Rejected, at this item number of the block, for this reason.
    Rejected(u64, String),
}

/// The items of a FHIR Bulk block: its lines grouped and checked as `$import` does.
/// Returns them with the number of lines (blank ones included).
pub fn fhir_items(
    data: &[u8],
    settings: &FhirSettings,
    max_line: usize,
    ctx: &Context<'_>,
) -> (u64, Vec<Item>) {
    let mut lines = Vec::new();
    let mut number = 0;
    for line in data.split(|b| *b == b'\n') {
        number += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.len() > max_line {
            lines.push(Line::Rejected {
                number,
                error: LineError::TooLarge(String::new()),
            });
        } else {
            lines.push(Line::Record {
                number,
                bytes: Bytes::copy_from_slice(line),
            });
        }
    }
    // The last split piece of data ending in `\n` is empty, not a line.
    if data.ends_with(b"\n") {
        number -= 1;
    }
    let format = FhirBulk {
        settings: std::sync::Arc::new(settings.clone()),
        envelope: Envelope {
            source: None,
            default_source: None,
            unit: None,
            received_at: ctx.now.to_rfc3339(),
        },
    };
    let items = format
        .check(lines, ctx)
        .into_iter()
        .filter_map(|checked| {
            let line = checked.answer.number;
            if let Some(record) = checked.record {
                return Some(Item::Record(Box::new(record)));
            }
            let reason = match checked.answer.kind {
                BulkLine::Patient(_) => "not_a_record".to_string(),
                BulkLine::Orphan => "related_person_without_its_patient".to_string(),
                // As a canonical line's (`judge::Judge::too_long`).
                BulkLine::Error(LineError::TooLarge(_)) => {
                    format!("payload_too_large: a line may be at most {max_line} bytes")
                }
                BulkLine::Error(_) => "invalid_json".to_string(),
                BulkLine::NotAResource => "not_a_resource".to_string(),
                BulkLine::Caregiver(_) | BulkLine::Ignored(_) => return None,
            };
            Some(Item::Rejected(line, reason))
        })
        .collect();
    (number, items)
}

/// The items of an HL7 v2 block: each message checked as `POST /hl7v2` does. Returns them
/// with the number of messages.
pub fn hl7_items(data: &[u8], settings: &MapSettings, ctx: &Context<'_>) -> (u64, Vec<Item>) {
    let split = Body::split(data);
    let mut items = Vec::new();
    for (number, span) in (1u64..).zip(&split.messages) {
        let mut message = crate::hl7v2::check_message(&data[span.clone()], settings, ctx);
        match message.validated.take() {
            Some(record) => items.push(Item::Record(Box::new(record))),
            None if message.code == AckCode::Rejected => {
                let code = message
                    .errors
                    .first()
                    .map_or("AR", |error| error.code.as_str());
                items.push(Item::Rejected(number, format!("hl7_rejected ({code})")));
            }
            // Acknowledged with nothing to store (a merge, a discharge without
            // demographics).
            None => {}
        }
    }
    (split.messages.len() as u64, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_told_by_the_first_bytes() {
        assert_eq!(sniff(b"MSH|^~\\&|A"), Sniffed::Hl7);
        assert_eq!(sniff(b"\xEF\xBB\xBF\r\nFHS|^~\\&|"), Sniffed::Hl7);
        assert_eq!(
            sniff(b"{\"resourceType\":\"Patient\",\"id\":\"1\"}\n{"),
            Sniffed::Fhir
        );
        assert_eq!(
            sniff(b"{\"source\":\"ehr\",\"patient_id\":\"1\"}\n"),
            Sniffed::Ndjson
        );
        assert_eq!(sniff(b""), Sniffed::Ndjson);
        // A first line longer than what was read.
        assert_eq!(
            sniff(b"{\"resourceType\":\"Patient\",\"name\":[{\"text\":\"xxxx"),
            Sniffed::Fhir
        );
        assert_eq!(
            sniff(b"{\"source\":\"ehr\",\"notes\":\"xxxx"),
            Sniffed::Ndjson
        );
    }

    #[test]
    fn fhir_blocks_are_cut_before_the_last_patient() {
        let input = Input::FhirBulk(FhirSettings::default());
        let data = concat!(
            "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n",
            "{\"resourceType\":\"RelatedPerson\",\"patient\":{\"reference\":\"Patient/a\"}}\n",
            "{\"resourceType\":\"Patient\",\"id\":\"b\"}\n",
            "{\"resourceType\":\"RelatedPerson\",\"patient\":{\"reference\":\"Patient/b\"}}\n",
            "{\"resourceType\":\"RelatedPe"
        );
        let cut = input.cut(data.as_bytes()).unwrap();
        assert!(data[cut..].starts_with("{\"resourceType\":\"Patient\",\"id\":\"b\"}"));
        // One Patient's group alone: cut at the last line end.
        let one = &data[..cut];
        assert_eq!(input.cut(one.as_bytes()), Some(one.len()));
    }

    #[test]
    fn hl7_blocks_are_cut_at_the_last_message() {
        let input = Input::Hl7(MapSettings::default());
        let data = b"MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\rPID|";
        assert_eq!(input.cut(data), Some(17));
        assert_eq!(input.cut(b"MSH|^~\\&|A\rPID|1\r"), None);
        // An MSH| inside a field is no boundary.
        assert_eq!(input.cut(b"MSH|^~\\&|A\rNTE|1||see MSH|x\r"), None);
    }
}
