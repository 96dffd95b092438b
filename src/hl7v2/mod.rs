//! HL7 v2 in, ACK out: the body's messages ([`batch`]), each decoded in its own character
//! set ([`charset`]), parsed ([`parse`]), mapped onto the canonical record ([`map`]) and
//! answered ([`ack`]). [`check_message`] takes one message to its validated record and
//! what its ACK says; storing it is the ingest pipeline's work (`crate::ingest::hl7`,
//! shared by `POST /hl7v2` and MLLP).

pub mod ack;
pub mod batch;
pub mod charset;
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
use ack::{AckCode, AckError, ErrorCondition};
use parse::Message;

/// One message, checked: what its ACK says before storing, and its validated record.
#[derive(Debug)]
pub struct CheckedMessage {
    /// The parsed message (absent when it could not be parsed).
    pub message: Option<Message>,
    /// AA / AE / AR.
    pub code: AckCode,
    /// MSA-3, when there is something to say beyond the ERR segments.
    pub text: Option<String>,
    /// ERR segments.
    pub errors: Vec<AckError>,
    /// The validated record to store (absent for AR).
    pub validated: Option<Validated>,
}

impl CheckedMessage {
    /// The ACK text.
    pub fn ack(&self, now: DateTime<Utc>) -> String {
        ack::build(
            self.message.as_ref(),
            self.code,
            self.text.as_deref(),
            &self.errors,
            now,
        )
    }

    fn rejected(
        message: Option<Message>,
        location: &str,
        condition: ErrorCondition,
        code: &str,
        text: String,
    ) -> Self {
        CheckedMessage {
            message,
            code: AckCode::Rejected,
            text: None,
            errors: vec![AckError {
                location: location.into(),
                condition,
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
            ErrorCondition::SEGMENT_SEQUENCE,
            "NO_MESSAGE",
            "the body holds no HL7 message".into(),
        )
    }

    /// Answers AR with `code`: the record is refused, not stored (its unit is outside the
    /// sender's units).
    pub fn refuse(&mut self, code: &str, text: &str) {
        self.code = AckCode::Rejected;
        self.text = None;
        self.errors = vec![AckError {
            location: "PV1^1^3".into(),
            condition: ErrorCondition::FORBIDDEN_UNIT,
            severity: Severity::Error,
            code: code.into(),
            message: text.into(),
        }];
    }

    /// Answers AE with `code` in front of the findings: the record was valid but could not
    /// be stored; the sender should send it again.
    pub fn not_stored(&mut self, code: &str, text: &str) {
        self.code = AckCode::Error;
        self.text = Some("not stored: send the message again".into());
        self.errors.insert(
            0,
            AckError {
                location: "MSH^1".into(),
                condition: ErrorCondition::INTERNAL,
                severity: Severity::Error,
                code: code.into(),
                message: text.into(),
            },
        );
    }
}

/// Checks every message of a body (a body without any is answered `NO_MESSAGE`).
pub fn check_body(
    body: &[u8],
    settings: &map::MapSettings,
    ctx: &Context<'_>,
) -> Vec<CheckedMessage> {
    let split = batch::Body::split(body);
    if split.messages.is_empty() {
        return vec![CheckedMessage::no_message()];
    }
    split
        .messages
        .into_iter()
        .map(|range| check_message(&body[range], settings, ctx))
        .collect()
}

/// Checks one message: decodes it in its character set, parses it, maps it onto the
/// canonical record and validates that.
pub fn check_message(raw: &[u8], settings: &map::MapSettings, ctx: &Context<'_>) -> CheckedMessage {
    let decoded = match charset::decode(raw) {
        Ok(decoded) => decoded,
        Err(charset::UnknownCharset(name)) => {
            let message = Message::parse(&String::from_utf8_lossy(raw)).ok();
            return CheckedMessage::rejected(
                message,
                "MSH^1^18",
                ErrorCondition::TABLE_VALUE,
                "UNSUPPORTED_CHARSET",
                format!(
                    "MSH-18 names the character set `{name}`, which real-dq does not read \
                     (it reads UTF-8, ASCII, the ISO 8859 parts, GB 18030, KS X 1001 and BIG-5)"
                ),
            );
        }
    };
    let message = match Message::parse(&decoded.text) {
        Ok(message) => message,
        Err(error) => {
            return CheckedMessage::rejected(
                None,
                "MSH^1",
                ErrorCondition::SEGMENT_SEQUENCE,
                "UNPARSEABLE",
                error.to_string(),
            )
        }
    };
    let wire = match map::to_record(&message, settings) {
        Ok(map::Mapped::Record(wire)) => *wire,
        Ok(map::Mapped::Nothing(why)) => {
            return CheckedMessage {
                message: Some(message),
                code: AckCode::Accepted,
                text: Some(why),
                errors: Vec::new(),
                validated: None,
            }
        }
        Err(map::Unsupported(why)) => {
            return CheckedMessage::rejected(
                Some(message),
                "MSH^1^9",
                ErrorCondition::UNSUPPORTED_MESSAGE_TYPE,
                "UNSUPPORTED",
                why,
            )
        }
    };
    if decoded.lossy {
        if let Some((location, field)) = undecodable_identity(&wire) {
            let declared = if decoded.declared.is_empty() {
                "none, so UTF-8".to_string()
            } else {
                format!("`{}`", decoded.declared)
            };
            return CheckedMessage::rejected(
                Some(message),
                location,
                ErrorCondition::DATA_TYPE,
                "UNDECODABLE",
                format!(
                    "{field} holds bytes that are not valid in the message's character set \
                     (MSH-18: {declared}): an identity is never built from a guess; declare \
                     the character set the sender writes in MSH-18"
                ),
            );
        }
    }
    let validated = match pipeline::validate_wire(wire, ctx) {
        Ok(validated) => validated,
        Err(Rejection::Invalid(fields)) => {
            let errors = fields
                .into_iter()
                .map(|f| AckError {
                    location: ack::location(&f.path),
                    condition: ErrorCondition::REQUIRED_FIELD,
                    severity: Severity::Error,
                    code: "REQUIRED_FIELD".into(),
                    message: format!("{}: {}", f.path, f.message),
                })
                .collect();
            return CheckedMessage {
                message: Some(message),
                code: AckCode::Rejected,
                text: None,
                errors,
                validated: None,
            };
        }
        Err(Rejection::Malformed(field)) => {
            return CheckedMessage::rejected(
                Some(message),
                "PID^1",
                ErrorCondition::DATA_TYPE,
                "UNPARSEABLE",
                field.message,
            )
        }
    };
    let errors = validated
        .verdict
        .findings
        .iter()
        .map(|f| AckError {
            location: ack::location(&f.path),
            condition: ErrorCondition::of(f.rule.condition, f.severity),
            severity: f.severity,
            code: f.rule.id.into(),
            message: f.message.clone(),
        })
        .collect();
    let code = if validated.verdict.status == RecordStatus::Invalid {
        settings.ack_on_error_findings
    } else {
        AckCode::Accepted
    };
    CheckedMessage {
        message: Some(message),
        code,
        text: None,
        errors,
        validated: Some(validated),
    }
}

/// The first identity field (location, name) that holds a character a lossy decode put
/// there.
fn undecodable_identity(wire: &crate::record::RecordWire) -> Option<(&'static str, &'static str)> {
    let lossy = |value: &Option<String>| value.as_deref().is_some_and(|v| v.contains('\u{fffd}'));
    if lossy(&wire.patient_id) {
        Some(("PID^1^3", "PID-3 (the patient identifier)"))
    } else if lossy(&wire.source) {
        Some((
            "MSH^1^3",
            "MSH-3/MSH-4 (the sending application and facility)",
        ))
    } else if lossy(&wire.unit) {
        Some(("PV1^1^3", "PV1-3 (the unit)"))
    } else {
        None
    }
}
