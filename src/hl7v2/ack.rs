//! HL7 ACKs: MSA `AA` (accepted, no error finding), `AE` (stored, with error findings) or
//! `AR` (unparseable, unsupported or not a record), and one ERR segment per finding with
//! the rule ID and the HL7 location of the field.

use chrono::{DateTime, Utc};

use super::parse::{Delimiters, Message};
use crate::catalog::Severity;

/// MSA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// Accepted.
    Accepted,
    /// Accepted with errors (stored with error findings).
    Error,
    /// Rejected.
    Rejected,
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
    /// ERR-4: E, W or I.
    pub severity: Severity,
    /// ERR-5.1: the rule ID (or a real-dq error code).
    pub code: String,
    /// ERR-5.2: what is wrong.
    pub message: String,
}

/// Builds an ACK answering `original` (when it could be parsed).
pub fn build(
    original: Option<&Message>,
    code: AckCode,
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
    let mut out = format!(
        "MSH{f}{encoding}{f}REALDQ{f}REALDQ{f}{}{f}{}{f}{}{f}{f}ACK{c}{trigger}{c}ACK{f}{}{f}P{f}{version}\r",
        field(3),
        field(4),
        now.format("%Y%m%d%H%M%S+0000"),
        ack_control_id(&control, now),
    );
    out.push_str(&format!("MSA{f}{}{f}{}\r", code.as_str(), control));
    for error in errors {
        let severity = match error.severity {
            Severity::Error => "E",
            Severity::Warning => "W",
            Severity::Info => "I",
        };
        // HL7 table 0357.
        let hl7_code = match error.code.as_str() {
            "UNSUPPORTED" => format!("200{c}Unsupported message type{c}HL70357"),
            "REQUIRED_FIELD" => format!("101{c}Required field missing{c}HL70357"),
            // Table 0357 has no code for authorisation: a local code says what it is.
            "FORBIDDEN_UNIT" => format!("FORBIDDEN_UNIT{c}Unit outside the sender's key{c}REALDQ"),
            _ if code == AckCode::Rejected => format!("100{c}Segment sequence error{c}HL70357"),
            _ => format!("207{c}Application internal error{c}HL70357"),
        };
        out.push_str(&format!(
            "ERR{f}{f}{}{f}{}{f}{}{f}{}{c}{}{c}REALDQ\r",
            error.location.replace('^', &c.to_string()),
            hl7_code,
            severity,
            escaper.escape(&error.code),
            escaper.escape(&error.message),
        ));
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
            severity: Severity::Error,
            code: "RACE_CODE_INVALID".into(),
            message: "code | bad".into(),
        }];
        let ack = build(Some(&message), AckCode::Error, &errors, now);
        let segments: Vec<&str> = ack.split('\r').filter(|s| !s.is_empty()).collect();
        assert_eq!(
            segments[0],
            "MSH|^~\\&|REALDQ|REALDQ|EPIC|HOSP|20261122100000+0000||ACK^A08^ACK|ACKC42|P|2.5.1"
        );
        assert_eq!(segments[1], "MSA|AE|C42");
        assert_eq!(
            segments[2],
            "ERR||PID^1^10^1|207^Application internal error^HL70357|E|RACE_CODE_INVALID^code \\F\\ bad^REALDQ"
        );
        let parsed = Message::parse(&ack).unwrap();
        assert_eq!(parsed.segment("MSA").unwrap().field(1), "AE");
    }
}
