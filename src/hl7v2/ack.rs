//! HL7 ACKs: MSA `AA` (stored, or nothing to store; one ERR per finding at its severity),
//! `AE` (not stored: send it again; or, where `REALDQ_HL7_ACK_ON_ERROR_FINDINGS=AE`, stored
//! with error findings) or `AR` (never send this again: unparseable, or nothing real-dq can
//! take). Each ERR carries the HL7 location of the field (ERR-2), the table 0357 condition
//! (ERR-3), the severity (ERR-4) and the rule ID with its message (ERR-5).

use std::fmt::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::parse::{Delimiters, Message};
use crate::catalog::{Condition, Severity};

/// MSA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// Accepted: stored (with its findings in ERR segments), or nothing to store.
    Accepted,
    /// Application error: not stored, send it again (or, by choice, stored with error
    /// findings).
    Error,
    /// Rejected: never send it again.
    Rejected,
}

/// ERR-3: a condition of HL7 table 0357, or a local one where the table has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCondition {
    /// CWE-1.
    pub code: &'static str,
    /// CWE-2.
    pub text: &'static str,
    /// CWE-3: `HL70357`, or `REALDQ` for a local code.
    pub system: &'static str,
}

impl ErrorCondition {
    const fn hl7(code: &'static str, text: &'static str) -> Self {
        ErrorCondition {
            code,
            text,
            system: "HL70357",
        }
    }

    /// `0`: an advisory finding of a message accepted.
    pub const ACCEPTED: Self = Self::hl7("0", "Message accepted");
    /// `100`: the text is not a message (no MSH, unusable encoding characters).
    pub const SEGMENT_SEQUENCE: Self = Self::hl7("100", "Segment sequence error");
    /// `101`.
    pub const REQUIRED_FIELD: Self = Self::hl7("101", "Required field missing");
    /// `102`.
    pub const DATA_TYPE: Self = Self::hl7("102", "Data type error");
    /// `103`.
    pub const TABLE_VALUE: Self = Self::hl7("103", "Table value not found");
    /// `200`.
    pub const UNSUPPORTED_MESSAGE_TYPE: Self = Self::hl7("200", "Unsupported message type");
    /// `207`: the receiver's own failure (the message could not be stored), never a finding.
    pub const INTERNAL: Self = Self::hl7("207", "Application internal error");
    /// Table 0357 has no code for authorisation: a local code says what it is.
    pub const FORBIDDEN_UNIT: Self = ErrorCondition {
        code: "FORBIDDEN_UNIT",
        text: "Unit outside the sender's key",
        system: "REALDQ",
    };

    /// The condition of a finding: its rule's catalogued condition, except that an
    /// advisory (severity info) is `0`, whatever it is about.
    pub fn of(condition: Condition, severity: Severity) -> Self {
        if severity == Severity::Info {
            return Self::ACCEPTED;
        }
        let (code, text) = condition.hl7_code();
        Self::hl7(code, text)
    }
}

impl AckCode {
    /// `AA`, `AE` or `AR`.
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::Accepted => "AA",
            AckCode::Error => "AE",
            AckCode::Rejected => "AR",
        }
    }
}

/// One ERR segment's content.
#[derive(Debug, Clone)]
pub struct AckError {
    /// ERR-2, e.g. `PID^1^10^1`.
    pub location: String,
    /// ERR-3.
    pub condition: ErrorCondition,
    /// ERR-4: E, W or I.
    pub severity: Severity,
    /// ERR-5.1: the rule ID (or a real-dq error code).
    pub code: String,
    /// ERR-5.2: what is wrong.
    pub message: String,
}

/// Builds an ACK answering `original` (when it could be parsed), with MSA-3 `text` when
/// there is something to say beyond the ERR segments.
pub fn build(
    original: Option<&Message>,
    code: AckCode,
    text: Option<&str>,
    errors: &[AckError],
    now: DateTime<Utc>,
) -> String {
    let fallback;
    let message = match original {
        Some(m) => m,
        None => {
            fallback = Message {
                delimiters: Delimiters::default(),
                segments: Vec::new(),
            };
            &fallback
        }
    };
    let mut d = message.delimiters;
    // An answer always declares all four encoding characters.
    if d.escape.is_none() {
        d = if [d.field, d.component, d.repetition, d.subcomponent].contains(&'\\') {
            Delimiters::default()
        } else {
            Delimiters {
                escape: Some('\\'),
                ..d
            }
        };
    }
    let escaper = Message {
        delimiters: d,
        segments: Vec::new(),
    };
    let msh = message.segment("MSH");
    let field = |n: usize| msh.map_or(String::new(), |m| m.field(n).to_string());
    let trigger = message.component(&field(9), 2);
    let control = field(10);
    let version = Some(field(12))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "2.5.1".into());
    let encoding: String = [
        Some(d.component),
        Some(d.repetition),
        d.escape,
        Some(d.subcomponent),
    ]
    .into_iter()
    .flatten()
    .collect();
    let f = d.field;
    let c = d.component;
    let mut out = String::with_capacity(160 + errors.len() * 160);
    let _ = write!(
        out,
        "MSH{f}{encoding}{f}REALDQ{f}REALDQ{f}{}{f}{}{f}{:04}{:02}{:02}{:02}{:02}{:02}+0000{f}{f}ACK{c}{trigger}{c}ACK{f}{}{f}P{f}{version}\r",
        field(3),
        field(4),
        now.year(),
        now.month(),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        ack_control_id(&control, now),
    );
    let _ = write!(out, "MSA{f}{}{f}{}", code.as_str(), control);
    if let Some(text) = text {
        out.push(f);
        escaper.escape_into(text, &mut out);
    }
    out.push('\r');
    for error in errors {
        let severity = match error.severity {
            Severity::Error => "E",
            Severity::Warning => "W",
            Severity::Info => "I",
        };
        let condition = error.condition;
        let _ = write!(out, "ERR{f}{f}");
        out.extend(
            error
                .location
                .chars()
                .map(|ch| if ch == '^' { c } else { ch }),
        );
        let _ = write!(
            out,
            "{f}{}{c}{}{c}{}{f}{severity}{f}",
            condition.code, condition.text, condition.system
        );
        escaper.escape_into(&error.code, &mut out);
        out.push(c);
        escaper.escape_into(&error.message, &mut out);
        let _ = write!(out, "{c}REALDQ\r");
    }
    out
}

fn ack_control_id(control: &str, now: DateTime<Utc>) -> String {
    if control.is_empty() {
        format!("ACK{}", now.timestamp_micros())
    } else {
        format!("ACK{}", control.chars().take(17).collect::<String>())
    }
}

/// The HL7 location (ERL: segment^sequence^field^repetition) of a canonical record path.
pub fn location(path: &str) -> String {
    let index = |text: &str| -> Option<usize> {
        let start = text.find('[')? + 1;
        let end = text[start..].find(']')? + start;
        text[start..end].parse::<usize>().ok()
    };
    if path == "caregivers" {
        return "NK1^1".into();
    }
    if let Some(rest) = path.strip_prefix("caregivers[") {
        let k = rest
            .split(']')
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0)
            + 1;
        let tail = rest.split_once("].").map_or("", |(_, t)| t);
        let field = if tail.starts_with("language") {
            "20"
        } else if tail.starts_with("race") {
            "35"
        } else if tail.starts_with("ethnicity") {
            "28"
        } else if tail.starts_with("relationship") {
            "3"
        } else {
            return format!("NK1^{k}");
        };
        return match index(tail) {
            Some(i) => format!("NK1^{k}^{field}^{}", i + 1),
            None => format!("NK1^{k}^{field}"),
        };
    }
    let (field, repeating) = if path.starts_with("race") {
        ("10", true)
    } else if path.starts_with("ethnicity") {
        ("22", true)
    } else if path.starts_with("language") {
        ("15", false)
    } else if path.starts_with("birth_date") {
        ("7", false)
    } else if path.starts_with("patient_id") {
        ("3", false)
    } else if path.starts_with("recorded_at") {
        return "EVN^1^2".into();
    } else if path.starts_with("unit") {
        return "PV1^1^3".into();
    } else if path.starts_with("source") {
        return "MSH^1^3".into();
    } else {
        return "PID^1".into();
    };
    match index(path).filter(|_| repeating) {
        Some(i) => format!("PID^1^{field}^{}", i + 1),
        None => format!("PID^1^{field}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_hl7_locations() {
        assert_eq!(location("race.codes[1].code"), "PID^1^10^2");
        assert_eq!(location("ethnicity"), "PID^1^22");
        assert_eq!(location("language.preferred"), "PID^1^15");
        assert_eq!(location("birth_date"), "PID^1^7");
        assert_eq!(location("caregivers[1].language.preferred"), "NK1^2^20");
        assert_eq!(location("caregivers[0].race.codes[2]"), "NK1^1^35^3");
        assert_eq!(location("caregivers"), "NK1^1");
        assert_eq!(location("recorded_at"), "EVN^1^2");
        assert_eq!(location("collection"), "PID^1");
    }

    #[test]
    fn an_ack_answers_the_message_in_its_own_encoding() {
        let message =
            Message::parse("MSH|^~\\&|EPIC|HOSP|X|Y|20261120||ADT^A08^ADT_A01|C42|P|2.5.1\r")
                .unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let errors = [AckError {
            location: "PID^1^10^1".into(),
            condition: ErrorCondition::TABLE_VALUE,
            severity: Severity::Error,
            code: "RACE_CODE_INVALID".into(),
            message: "code | bad".into(),
        }];
        let ack = build(Some(&message), AckCode::Accepted, None, &errors, now);
        let segments: Vec<&str> = ack.split('\r').filter(|s| !s.is_empty()).collect();
        assert_eq!(
            segments[0],
            "MSH|^~\\&|REALDQ|REALDQ|EPIC|HOSP|20261122100000+0000||ACK^A08^ACK|ACKC42|P|2.5.1"
        );
        assert_eq!(segments[1], "MSA|AA|C42");
        assert_eq!(
            segments[2],
            "ERR||PID^1^10^1|103^Table value not found^HL70357|E|RACE_CODE_INVALID^code \\F\\ bad^REALDQ"
        );
        let parsed = Message::parse(&ack).unwrap();
        assert_eq!(parsed.segment("MSA").unwrap().field(1), "AA");
        let nothing = build(
            Some(&message),
            AckCode::Accepted,
            Some("nothing stored: no PID | demographics"),
            &[],
            now,
        );
        assert!(nothing.contains("\rMSA|AA|C42|nothing stored: no PID \\F\\ demographics\r"));
    }
}
