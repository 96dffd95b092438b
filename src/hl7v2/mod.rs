//! HL7 v2 ADT in, ACK out: the parser ([`parse`]), the mapping onto the canonical record
//! ([`map`]) and the ACK ([`ack`]). [`prepare`] takes a body of one or more messages to
//! what the store writes and what each ACK says; HTTP (`POST /hl7v2`) and MLLP share it.

pub mod ack;
pub mod map;
pub mod parse;

#[cfg(test)]
mod fuzz_tests;

use chrono::{DateTime, Utc};

use crate::engine::RecordStatus;
use crate::pipeline;
use crate::record::Rejection;
use crate::rules::{Context, Severity};
use crate::store::ingest::PreparedRecord;
use ack::{AckCode, AckError};
use parse::Message;

/// One message of a body, judged: its ACK before storing, and the rows to store.
#[derive(Debug)]
pub struct Judged {
    /// The parsed message (absent when it could not be parsed).
    pub message: Option<Message>,
    /// AA / AE / AR.
    pub code: AckCode,
    /// ERR segments.
    pub errors: Vec<AckError>,
    /// The record to store (absent for AR).
    pub prepared: Option<PreparedRecord>,
}

impl Judged {
    /// The ACK text.
    pub fn ack(&self, now: DateTime<Utc>) -> String {
        ack::build(self.message.as_ref(), self.code, &self.errors, now)
    }

    fn rejected(message: Option<Message>, location: &str, code: &str, text: String) -> Self {
        Judged {
            message,
            code: AckCode::Rejected,
            errors: vec![AckError {
                location: location.into(),
                severity: Severity::Error,
                code: code.into(),
                message: text,
            }],
            prepared: None,
        }
    }
}

/// Judges every message of a body.
pub fn judge_all(
    body: &str,
    settings: &map::MapSettings,
    ctx: &Context<'_>,
    profile_id: &str,
) -> Vec<Judged> {
    let messages = parse::split_messages(body);
    if messages.is_empty() {
        return vec![Judged::rejected(
            None,
            "MSH^1",
            "NO_MESSAGE",
            "the body holds no HL7 message".into(),
        )];
    }
    messages
        .into_iter()
        .map(|text| judge(text, settings, ctx, profile_id))
        .collect()
}

/// Judges one message.
pub fn judge(
    text: &str,
    settings: &map::MapSettings,
    ctx: &Context<'_>,
    profile_id: &str,
) -> Judged {
    let message = match Message::parse(text) {
        Ok(message) => message,
        Err(error) => return Judged::rejected(None, "MSH^1", "UNPARSEABLE", error.to_string()),
    };
    let wire = match map::to_record(&message, settings) {
        Ok(wire) => wire,
        Err(map::Unsupported(why)) => {
            return Judged::rejected(Some(message), "MSH^1^9", "UNSUPPORTED", why)
        }
    };
    let validated = match pipeline::validate_wire(wire, ctx) {
        Ok(validated) => validated,
        Err(Rejection::Invalid(fields)) => {
            let errors = fields
                .into_iter()
                .map(|f| AckError {
                    location: ack::location(&f.path),
                    severity: Severity::Error,
                    code: "REQUIRED_FIELD".into(),
                    message: format!("{}: {}", f.path, f.message),
                })
                .collect();
            return Judged {
                message: Some(message),
                code: AckCode::Rejected,
                errors,
                prepared: None,
            };
        }
        Err(Rejection::Malformed(field)) => {
            return Judged::rejected(Some(message), "PID^1", "UNPARSEABLE", field.message)
        }
    };
    let errors = validated
        .outcome
        .findings
        .iter()
        .map(|f| AckError {
            location: ack::location(&f.path),
            severity: f.severity,
            code: f.rule.id.into(),
            message: f.message.clone(),
        })
        .collect();
    let code = if validated.outcome.status == RecordStatus::Invalid {
        AckCode::Error
    } else {
        AckCode::Accepted
    };
    Judged {
        message: Some(message),
        code,
        errors,
        prepared: Some(pipeline::prepare(&validated, profile_id)),
    }
}
