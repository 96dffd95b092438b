//! The canonical record: its wire shape ([`wire`]) and its parse into the domain type the
//! engine validates ([`Record`]). Parsing checks only the envelope; everything else is
//! left for the rules to judge, because absence and bad codes are what the service measures.

pub mod wire;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use validator::Validate;

pub use wire::RecordWire;
use wire::{CaregiverWire, CodedAnswer, DisabilityWire, LanguageWire, SdohWire, SogiWire};

/// One failing field of a rejected record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// JSON path of the field, e.g. `recorded_at` or `race.codes[0].code`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Why a document is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Not JSON at all (400 `invalid_json`).
    Malformed(FieldError),
    /// JSON, but not a valid record (422 `validation_failed`).
    Invalid(Vec<FieldError>),
}

/// The birth date as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BirthDate {
    /// Not sent.
    Missing,
    /// Sent but not a `YYYY-MM-DD` date.
    Unparseable,
    /// A calendar date.
    Date(NaiveDate),
}

/// A record whose envelope is valid; the domain type the engine takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The sending system.
    pub source: String,
    /// The patient's identifier (PHI).
    pub patient_id: String,
    /// The hospital unit.
    pub unit: String,
    /// When the demographics were collected.
    pub recorded_at: DateTime<Utc>,
    /// The calendar date of collection where it happened (the sender's offset): ages and
    /// birth dates are judged on it, not on the UTC date.
    pub recorded_on: NaiveDate,
    /// `recorded_at` as RFC 3339 in the sender's offset.
    pub recorded_at_local: DateTime<FixedOffset>,
    /// The birth date.
    pub birth_date: BirthDate,
    /// Race answer.
    pub race: Option<CodedAnswer>,
    /// Ethnicity answer.
    pub ethnicity: Option<CodedAnswer>,
    /// Language need.
    pub language: Option<LanguageWire>,
    /// Caregivers.
    pub caregivers: Vec<CaregiverWire>,
    /// Sexual orientation, gender identity and pronouns.
    pub sogi: Option<SogiWire>,
    /// Functional limitations.
    pub disability: Option<DisabilityWire>,
    /// Social-needs screening.
    pub sdoh: Option<SdohWire>,
}

impl Record {
    /// Parses a JSON document into a record and its wire form, or says why not.
    pub fn from_json(bytes: &[u8]) -> Result<(Record, RecordWire), Rejection> {
        // Fast path: most records are well-formed; only a failure is parsed again, with
        // path tracking, to name the failing field.
        let wire: RecordWire = match serde_json::from_slice(bytes) {
            Ok(wire) => wire,
            Err(_) => return Err(Self::explain(bytes)),
        };
        let record = Record::parse(wire.clone()).map_err(Rejection::Invalid)?;
        Ok((record, wire))
    }

    /// Why `bytes` is not a record: the failing field's path and message.
    fn explain(bytes: &[u8]) -> Rejection {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let parsed: Result<RecordWire, _> = serde_path_to_error::deserialize(&mut deserializer);
        match parsed {
            Err(e) if e.inner().is_data() => Rejection::Invalid(vec![json_error(&e)]),
            Err(e) => Rejection::Malformed(json_error(&e)),
            Ok(_) => match deserializer.end() {
                Err(e) => Rejection::Malformed(FieldError::new("", syntax_message(&e))),
                Ok(()) => Rejection::Malformed(FieldError::new("", "malformed JSON")),
            },
        }
    }

    /// Checks the envelope of a wire record and converts it.
    pub fn parse(wire: RecordWire) -> Result<Record, Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(invalid) = wire.validate() {
            for (field, field_errors) in invalid.field_errors() {
                for error in field_errors {
                    let message = error.message.as_deref().unwrap_or("is invalid").to_string();
                    errors.push(FieldError::new(field.to_string(), message));
                }
            }
        }
        for (field, value) in [
            ("source", &wire.source),
            ("patient_id", &wire.patient_id),
            ("unit", &wire.unit),
        ] {
            let Some(value) = value else { continue };
            if value.trim() != value || value.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    field,
                    "must not have surrounding spaces or control characters",
                ));
            }
        }
        let recorded_at = DateTime::parse_from_rfc3339(wire.recorded_at.as_deref().unwrap_or(""))
            .map_err(|_| {
                FieldError::new(
                    "recorded_at",
                    "must be an RFC 3339 timestamp, e.g. 2026-11-20T14:03:00Z",
                )
            });
        let recorded_at = match recorded_at {
            Ok(t) => Some(t),
            Err(e) => {
                if !errors.iter().any(|f| f.path == "recorded_at") {
                    errors.push(e);
                }
                None
            }
        };
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        let Some(recorded_at) = recorded_at.filter(|_| errors.is_empty()) else {
            return Err(errors);
        };
        let birth_date = match wire.birth_date.as_deref().map(str::trim) {
            None | Some("") => BirthDate::Missing,
            Some(text) => parse_date(text).map_or(BirthDate::Unparseable, BirthDate::Date),
        };
        Ok(Record {
            recorded_at: recorded_at.with_timezone(&Utc),
            recorded_on: recorded_at.date_naive(),
            recorded_at_local: recorded_at,
            source: wire.source.unwrap_or_default(),
            patient_id: wire.patient_id.unwrap_or_default(),
            unit: wire.unit.unwrap_or_default(),
            birth_date,
            race: wire.race,
            ethnicity: wire.ethnicity,
            language: wire.language,
            caregivers: wire.caregivers.unwrap_or_default(),
            sogi: wire.sogi,
            disability: wire.disability,
            sdoh: wire.sdoh,
        })
    }
}

/// Turns a serde error into the failing field's path and a message without the value.
fn json_error(error: &serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let path = error.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let inner = error.inner();
    let message = match inner.classify() {
        serde_json::error::Category::Data => data_message(&inner.to_string()),
        _ => return FieldError::new("", syntax_message(inner)),
    };
    // A missing field is reported by serde at the parent; name the field itself.
    if let Some(field) = message.strip_prefix("missing field ") {
        let field = field.trim_matches('`');
        let full = if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return FieldError::new(full, "required");
    }
    FieldError::new(path, message)
}

fn syntax_message(error: &serde_json::Error) -> String {
    format!(
        "malformed JSON at line {} column {}",
        error.line(),
        error.column()
    )
}

/// serde's message without the value it quotes (which may be PHI: a patient id sent as a
/// number, a name where an object was expected) and without its " at line L column C".
fn data_message(text: &str) -> String {
    let text = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => text,
    };
    let expected = text.split_once(", expected ").map(|(_, expected)| expected);
    let kind = [
        ("invalid type", "wrong type"),
        ("invalid value", "invalid value"),
        ("unknown variant", "unknown value"),
        ("invalid length", "wrong number of items"),
    ]
    .into_iter()
    .find(|(prefix, _)| text.starts_with(prefix));
    match (kind, expected) {
        (Some((_, what)), Some(expected)) => format!("{what}, expected {expected}"),
        (Some((_, what)), None) => what.to_string(),
        (None, _) => text.to_string(),
    }
}

/// A date as `%Y-%m-%d` reads it. The usual `YYYY-MM-DD` is read directly (chrono parses
/// its format string on every call, a few percent of judging a record); anything else,
/// such as `2026-1-5`, goes to chrono, so what is accepted does not change.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        if let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) {
            return NaiveDate::from_ymd_opt(y as i32, m, d);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_name_the_field_but_never_quote_the_value() {
        let bytes = br#"{"source":"s","patient_id":9876543,"unit":"u","recorded_at":"2026-01-01T00:00:00Z"}"#;
        let Err(Rejection::Invalid(errors)) = Record::from_json(bytes) else {
            panic!("a numeric patient_id is rejected");
        };
        assert_eq!(errors[0].path, "patient_id");
        assert!(
            !errors[0].message.contains("9876543"),
            "{}",
            errors[0].message
        );
        assert!(
            errors[0].message.contains("expected a string"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn an_unknown_enum_value_is_named_as_such_without_echoing_it() {
        let bytes = br#"{"source":"s","patient_id":"p","unit":"u","recorded_at":"2026-01-01T00:00:00Z","race":{"reported_by":"Jane Doe"}}"#;
        let Err(Rejection::Invalid(errors)) = Record::from_json(bytes) else {
            panic!("an unknown reporter is rejected");
        };
        assert_eq!(errors[0].path, "race.reported_by");
        assert!(!errors[0].message.contains("Jane"), "{}", errors[0].message);
        assert!(
            errors[0].message.starts_with("unknown value, expected"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn parse_date_reads_what_chrono_reads() {
        for text in [
            "2026-01-05",
            "2024-02-29",
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "0000-01-01",
            "9999-12-31",
            "2026-1-5",
            "2026-01-5",
            "+2026-01-05",
            "2026-01-05 ",
            " 2026-01-05",
            "2026/01/05",
            "20260105",
            "2026-01-0x",
            "2026-01-32",
            "",
            "२०२६-01-05",
        ] {
            assert_eq!(
                super::parse_date(text),
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
                "{text:?}"
            );
        }
    }
}
