//! HL7 v2 ADT in, ACK out: the parser ([`parse`]), the mapping onto the canonical record
//! ([`map`]) and the ACK ([`ack`]). [`check_message`] takes one message to its validated
//! record and what its ACK says; storing it is the ingest pipeline's work
//! (`crate::ingest::hl7`, shared by `POST /hl7v2` and MLLP).

pub mod ack;
pub mod map;
pub mod parse;

#[cfg(test)]
mod fuzz_tests;

use chrono::{DateTime, Utc};

use crate::catalog::Severity;
use crate::engine::RecordStatus;
use crate::pipeline::{self, Validated};
use crate::record::Rejection;
use crate::rules::Context;
use ack::{AckCode, AckError};
use parse::Message;

/// One message, checked: what its ACK says before storing, and its validated record.
#[derive(Debug)]
pub struct CheckedMessage {
    /// The parsed message (absent when it could not be parsed).
    pub message: Option<Message>,
    /// AA / AE / AR.
    pub code: AckCode,
    /// ERR segments.
    pub errors: Vec<AckError>,
    /// The validated record to store (absent for AR).
    pub validated: Option<Validated>,
}

impl CheckedMessage {
    /// The ACK text.
    pub fn ack(&self, now: DateTime<Utc>) -> String {
        ack::build(self.message.as_ref(), self.code, &self.errors, now)
    }

    fn rejected(message: Option<Message>, location: &str, code: &str, text: String) -> Self {
        CheckedMessage {
            message,
            code: AckCode::Rejected,
            errors: vec![AckError {
                location: location.into(),
                severity: Severity::Error,
                code: code.into(),
                message: text,
            }],
            validated: None,
        }
    }

    /// The answer to a message that holds no HL7 message at all.
    pub fn no_message() -> Self {
        Self::rejected(
            None,
            "MSH^1",
            "NO_MESSAGE",
            "the body holds no HL7 message".into(),
        )
    }

    /// Answers AR with `code`: the record is refused, not stored (its unit is outside the
    /// sender's units).
    pub fn refuse(&mut self, code: &str, text: &str) {
        self.code = AckCode::Rejected;
        self.errors = vec![AckError {
            location: "PV1^1^3".into(),
            severity: Severity::Error,
            code: code.into(),
            message: text.into(),
        }];
    }

    /// Answers AE with `code` in front of the findings: the record was valid but could not
    /// be stored.
    pub fn not_stored(&mut self, code: &str, text: &str) {
        self.code = AckCode::Error;
        self.errors.insert(
            0,
            AckError {
                location: "MSH^1".into(),
                severity: Severity::Error,
                code: code.into(),
                message: text.into(),
            },
        );
    }
}

/// Checks every message of a body (a body without any is answered `NO_MESSAGE`).
pub fn check_body(
    body: &str,
    settings: &map::MapSettings,
    ctx: &Context<'_>,
) -> Vec<CheckedMessage> {
    let messages = parse::split_messages(body);
    if messages.is_empty() {
        return vec![CheckedMessage::no_message()];
    }
    messages
        .into_iter()
        .map(|text| check_message(text, settings, ctx))
        .collect()
}

/// Checks one message: parses it, maps it onto the canonical record and validates that.
pub fn check_message(text: &str, settings: &map::MapSettings, ctx: &Context<'_>) -> CheckedMessage {
    let message = match Message::parse(text) {
        Ok(message) => message,
        Err(error) => {
            return CheckedMessage::rejected(None, "MSH^1", "UNPARSEABLE", error.to_string())
        }
    };
    let wire = match map::to_record(&message, settings) {
        Ok(wire) => wire,
        Err(map::Unsupported(why)) => {
            return CheckedMessage::rejected(Some(message), "MSH^1^9", "UNSUPPORTED", why)
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
            return CheckedMessage {
                message: Some(message),
                code: AckCode::Rejected,
                errors,
                validated: None,
            };
        }
        Err(Rejection::Malformed(field)) => {
            return CheckedMessage::rejected(Some(message), "PID^1", "UNPARSEABLE", field.message)
        }
    };
    let errors = validated
        .verdict
        .findings
        .iter()
        .map(|f| AckError {
            location: ack::location(&f.path),
            severity: f.severity,
            code: f.rule.id.into(),
            message: f.message.clone(),
        })
        .collect();
    let code = if validated.verdict.status == RecordStatus::Invalid {
        AckCode::Error
    } else {
        AckCode::Accepted
    };
    CheckedMessage {
        message: Some(message),
        code,
        errors,
        validated: Some(validated),
    }
}
