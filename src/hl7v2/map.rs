//! HL7 v2 → canonical record (`docs/mapping.md`): PID-3 identifier, PID-7 birth date,
//! PID-10 race, PID-15 language, PID-22 ethnicity, PV1-3 unit, NK1 caregivers, MSH-3/4
//! source, EVN-2 (else MSH-7) collection time. Codes go through as sent; the engine and
//! the profile's code maps judge them. A coded field whose code is empty (or, for a
//! language, not shaped like one) goes through on its text, so that the maps can rescue it.
//!
//! Every message type that carries a PID is read: every ADT trigger, and orders, results,
//! immunisations, scheduling, documents and the rest (the PID of their first patient group,
//! with the NK1 and PV1 of that group). What a message holds to validate decides what
//! happens: registration and update events (`REGISTRATION_EVENTS`) are always validated,
//! so that a blank race at the desk is flagged; any other message whose PID carries no
//! demographics (birth date, race, ethnicity, language) and no NK1, such as a merge or a
//! discharge with a bare PID, is acknowledged with nothing stored, so that it never
//! replaces a patient's state with an empty one.

use crate::record::wire::{CaregiverWire, CodeWire, CodedAnswer, LanguageWire, NullFlavor};
use crate::record::RecordWire;

use super::ack::AckCode;
use super::parse::{Message, Segment};

/// ADT events whose PID is validated even when it is empty: admit, register, pre-admit,
/// update, add and update person, and the two patient-class changes (A06 outpatient to
/// inpatient, A07 back). An empty race there is what registration must fix.
pub const REGISTRATION_EVENTS: [&str; 8] = ["A01", "A04", "A05", "A06", "A07", "A08", "A28", "A31"];

/// The source of a message whose MSH-3 and MSH-4 are empty and whose sender gives none
/// (over MLLP; over HTTP the key's name is used), as FHIR's is `fhir`.
pub const DEFAULT_SOURCE: &str = "hl7v2";

/// Where the mapping takes what the message does not say, and how a message with error
/// findings is answered.
#[derive(Debug, Clone)]
pub struct MapSettings {
    /// PV1-3 component naming the unit (1 = point of care, 4 = facility, ...).
    pub unit_component: usize,
    /// The unit when PV1-3 has none.
    pub default_unit: String,
    /// The source whatever MSH-3/MSH-4 say (the `X-Source` header over HTTP).
    pub source_override: Option<String>,
    /// The source when MSH-3 and MSH-4 are empty (over HTTP, the key's name; else
    /// [`DEFAULT_SOURCE`]).
    pub default_source: Option<String>,
    /// MSA-1 of a stored message with error findings (`REALDQ_HL7_ACK_ON_ERROR_FINDINGS`):
    /// `AA` by default, `AE` for sites that want those messages marked failed.
    pub ack_on_error_findings: AckCode,
}

impl Default for MapSettings {
    fn default() -> Self {
        MapSettings {
            unit_component: 1,
            default_unit: "UNASSIGNED".into(),
            source_override: None,
            default_source: None,
            ack_on_error_findings: AckCode::Accepted,
        }
    }
}

/// What a message gives to validate.
#[derive(Debug, Clone)]
pub enum Mapped {
    /// A patient's demographics.
    Record(Box<RecordWire>),
    /// Nothing (why, for MSA-3): acknowledged AA, nothing stored.
    Nothing(String),
}

/// Why a message is answered AR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// The message type and trigger (`ADT`, `A04`) from MSH-9.
pub fn message_type(message: &Message) -> (String, String) {
    let msh9 = message.segment("MSH").map_or("", |m| m.field(9));
    (message.component(msh9, 1), message.component(msh9, 2))
}

/// Maps a message to the canonical wire record, or says why there is nothing to validate.
pub fn to_record(message: &Message, settings: &MapSettings) -> Result<Mapped, Unsupported> {
    let (kind, trigger) = message_type(message);
    let name = format!("{kind} {trigger}");
    if kind.is_empty() {
        return Err(Unsupported("MSH-9 names no message type".into()));
    }
    if kind == "ACK" {
        return Err(Unsupported(
            "an ACK answers a message; it carries nothing to validate".into(),
        ));
    }
    let msh = message
        .segment("MSH")
        .expect("parsed messages start with MSH");
    let Some(group) = patient_group(message) else {
        return if kind == "ADT" {
            Ok(Mapped::Nothing(format!(
                "nothing stored: {name} carries no PID segment"
            )))
        } else {
            Err(Unsupported(format!(
                "{name} carries no PID segment: nothing real-dq can take"
            )))
        };
    };
    let pid = group[0];
    let nk1s: Vec<&Segment> = group.iter().copied().filter(|s| s.id == "NK1").collect();
    let registration = kind == "ADT" && REGISTRATION_EVENTS.contains(&trigger.as_str());
    // Any letter or digit in PID-7, -10, -15 or -22, in whichever component.
    let demographics = [7, 10, 15, 22]
        .iter()
        .any(|n| pid.field(*n).chars().any(char::is_alphanumeric));
    if !registration && !demographics && nk1s.is_empty() {
        return Ok(Mapped::Nothing(format!(
            "nothing stored: the PID of {name} carries no demographics (birth date, race, \
             ethnicity, language) and the message no NK1"
        )));
    }
    let application = message.component(msh.field(3), 1);
    let facility = message.component(msh.field(4), 1);
    let source = match (application.is_empty(), facility.is_empty()) {
        (false, false) => format!("{application}@{facility}"),
        (false, true) => application,
        (true, false) => facility,
        (true, true) => settings
            .default_source
            .clone()
            .unwrap_or_else(|| DEFAULT_SOURCE.into()),
    };
    let source = settings.source_override.clone().unwrap_or(source);
    let identifiers = message.repetitions(pid.field(3));
    let identifier = identifiers
        .iter()
        .find(|cx| message.component(cx, 5) == "MR")
        .or(identifiers.first())
        .map(|cx| message.component(cx, 1))
        .unwrap_or_default();
    let unit = group
        .iter()
        .find(|s| s.id == "PV1")
        .map(|pv1| message.component(pv1.field(3), settings.unit_component))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| settings.default_unit.clone());
    // EVN-2 when it is a usable time, else MSH-7.
    let evn = message
        .segment("EVN")
        .map(|evn| message.component(evn.field(2), 1))
        .filter(|t| timestamp(t).is_some());
    let event_time = evn.unwrap_or_else(|| message.component(msh.field(7), 1));
    let caregivers: Vec<CaregiverWire> = nk1s
        .iter()
        .map(|nk1| CaregiverWire {
            // NK1-3's code, else its text (`^Mother`), for the rules to judge.
            relationship: non_empty(message.component(nk1.field(3), 1))
                .or_else(|| non_empty(message.component(nk1.field(3), 2))),
            legal_guardian: None,
            language: language(message, nk1.field(20)),
            race: coded(message, nk1.field(35), Table::Race),
            ethnicity: coded(message, nk1.field(28), Table::Ethnicity),
            disability: None,
        })
        .collect();
    Ok(Mapped::Record(Box::new(RecordWire {
        source: non_empty(source),
        patient_id: non_empty(identifier),
        unit: Some(unit),
        recorded_at: non_empty(timestamp(&event_time).unwrap_or(event_time)),
        birth_date: non_empty(date(&message.component(pid.field(7), 1))),
        race: coded(message, pid.field(10), Table::Race),
        ethnicity: coded(message, pid.field(22), Table::Ethnicity),
        language: language(message, pid.field(15)),
        caregivers: (!caregivers.is_empty()).then_some(caregivers),
        sogi: None,
        disability: None,
        sdoh: None,
    })))
}

/// The first patient's segments: its PID and what follows up to the next PID.
fn patient_group(message: &Message) -> Option<Vec<&Segment>> {
    let start = message.segments.iter().position(|s| s.id == "PID")?;
    let group = message.segments[start..]
        .iter()
        .enumerate()
        .take_while(|(i, s)| *i == 0 || s.id != "PID")
        .map(|(_, s)| s)
        .collect();
    Some(group)
}

fn non_empty(text: String) -> Option<String> {
    (!text.trim().is_empty()).then_some(text)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    /// HL7 table 0005 (CDCREC codes).
    Race,
    /// HL7 table 0189 (H, N, U) or CDCREC.
    Ethnicity,
}

/// A repeating CWE of race or ethnicity codes.
fn coded(message: &Message, field: &str, table: Table) -> Option<CodedAnswer> {
    let mut answer = CodedAnswer::default();
    for cwe in message.repetitions(field) {
        let mut code = message.component(cwe, 1);
        let mut display = message.component(cwe, 2);
        let system = message.component(cwe, 3);
        // Code and display swapped (`White^2106-3`): the code is the one shaped like one.
        if !looks_like_code(&code) && looks_like_code(&display) {
            std::mem::swap(&mut code, &mut display);
        }
        if code.is_empty() {
            // An alternate code (CWE-4), else the text (CWE-2, CWE-5 alternate text, CWE-9
            // original text), for the profile's maps to rescue.
            code = [4, 2, 5, 9]
                .into_iter()
                .map(|n| message.component(cwe, n))
                .find(|value| !value.is_empty())
                .unwrap_or_default();
            if code.is_empty() {
                continue;
            }
            if display == code {
                display.clear();
            }
        }
        let null = match (table, code.to_ascii_uppercase().as_str()) {
            (Table::Ethnicity, "U") => Some(NullFlavor::Unk),
            (_, "UNK") => Some(NullFlavor::Unk),
            (_, "ASKU") => Some(NullFlavor::Asku),
            (_, "NASK") => Some(NullFlavor::Nask),
            _ => None,
        };
        if let Some(null) = null {
            answer.null_flavor = Some(null);
            continue;
        }
        if table == Table::Ethnicity && is_table_0189(&system) {
            code = match code.to_ascii_uppercase().as_str() {
                "H" => "2135-2".into(),
                "N" => "2186-5".into(),
                _ => code,
            };
        }
        answer.codes.push(CodeWire {
            system: cdcrec_or(&system),
            code,
            display: non_empty(display),
        });
    }
    (!answer.codes.is_empty() || answer.null_flavor.is_some()).then_some(answer)
}

fn is_table_0189(system: &str) -> bool {
    system.is_empty() || system.eq_ignore_ascii_case("HL70189")
}

/// `None` (CDCREC) for the names interface engines give CDCREC and HL7 tables 0005/0189
/// (and their common misspellings such as `HL7000`); any other system as sent.
fn cdcrec_or(system: &str) -> Option<String> {
    let upper = system.trim().to_ascii_uppercase();
    let cdcrec = upper.is_empty()
        || upper.starts_with("HL7")
        || upper == "CDCREC"
        || upper.ends_with("2.16.840.1.113883.6.238");
    (!cdcrec).then(|| system.trim().to_string())
}

fn looks_like_code(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 6 && bytes[4] == b'-' && text.chars().filter(char::is_ascii_digit).count() == 5
}

/// A CWE language (PID-15, NK1-20): the code as sent, else its text.
fn language(message: &Message, field: &str) -> Option<LanguageWire> {
    let first = message.repetitions(field).into_iter().next()?;
    let code = message.component(first, 1);
    let text = message.component(first, 2);
    // A null value in code form (`UNK^Unknown^NULLFL`) is not a language: `unk` would be
    // a registered tag (Enawené-Nawé).
    let null = match code.to_ascii_uppercase().as_str() {
        "UNK" => Some(NullFlavor::Unk),
        "ASKU" => Some(NullFlavor::Asku),
        "NASK" => Some(NullFlavor::Nask),
        _ => None,
    };
    if null.is_some() {
        return Some(LanguageWire {
            null_flavor: null,
            ..LanguageWire::default()
        });
    }
    // A code that cannot be a language tag (`E^ENGLISH`, a local `1^Spanish`) gives way to
    // its text, which the maps know by name.
    let tag = if looks_like_tag(&code) || text.is_empty() {
        if code.is_empty() {
            text
        } else {
            code
        }
    } else {
        text
    };
    non_empty(tag).map(|tag| LanguageWire {
        preferred: Some(tag),
        ..LanguageWire::default()
    })
}

/// Whether a value has the shape of a BCP 47 tag or an ISO 639 code: a primary subtag of
/// two or three letters (or `x`/`i` for private and grandfathered tags), then subtags.
fn looks_like_tag(code: &str) -> bool {
    let mut subtags = code.split(['-', '_']);
    let primary = subtags.next().unwrap_or("");
    let primary_ok = (2..=3).contains(&primary.len())
        || primary.eq_ignore_ascii_case("x")
        || primary.eq_ignore_ascii_case("i");
    primary_ok
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// `YYYYMMDD...` → `YYYY-MM-DD`; other text as sent (the rules flag it).
fn date(ts: &str) -> String {
    let digits: String = ts.chars().take(8).collect();
    if digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit()) {
        format!("{}-{}-{}", &digits[..4], &digits[4..6], &digits[6..8])
    } else {
        ts.to_string()
    }
}

/// An HL7 DTM (`YYYYMMDDHHMM[SS[.S]][+ZZZZ]`) as RFC 3339; without an offset it is read as
/// UTC. `None` when it is not a DTM down to the minute.
pub fn timestamp(ts: &str) -> Option<String> {
    let ts = ts.trim();
    let (body, offset) = match ts.find(['+', '-']) {
        Some(at) => (&ts[..at], &ts[at..]),
        None => (ts, ""),
    };
    let body = body.split('.').next().unwrap_or(body);
    // Day precision and more (`YYYYMMDD[HH[MM[SS]]]`); missing parts are zero.
    if body.len() < 8 || body.len() % 2 == 1 || !body.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let part = |at: usize| body.get(at..at + 2).unwrap_or("00");
    let (hour, minute, seconds) = (part(8), part(10), part(12));
    let offset = match offset.len() {
        0 => "Z".to_string(),
        5 if offset[1..].chars().all(|c| c.is_ascii_digit()) => {
            format!("{}:{}", &offset[..3], &offset[3..])
        }
        _ => return None,
    };
    Some(format!(
        "{}-{}-{}T{hour}:{minute}:{seconds}{offset}",
        &body[..4],
        &body[4..6],
        &body[6..8],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Message {
        Message::parse(text).unwrap()
    }

    fn to_record(message: &Message, settings: &MapSettings) -> Result<RecordWire, Unsupported> {
        match super::to_record(message, settings)? {
            Mapped::Record(record) => Ok(*record),
            Mapped::Nothing(why) => Err(Unsupported(why)),
        }
    }

    const ADT: &str = "MSH|^~\\&|EPIC|PEDS_HOSP|REALDQ|REALDQ|20261120140300-0500||ADT^A04^ADT_A01|MSG1|P|2.5.1\rEVN|A04|20261120140000-0500\rPID|1||X9^^^HOSP^PI~MRN123^^^HOSP^MR||DOE^JANE||20190402|F||White^2106-3^CDCREC~2028-9^Asian^HL70005|||||spa^Spanish^HL70296|||||||H^Hispanic^HL70189\rNK1|1|DOE^MARIA|MTH^Mother^HL70063|||||||||||||||||vie||||||||H|||||||2054-5^Black^CDCREC\rPV1|1|O|PEDS^101^A^CHILDRENS\r";

    #[test]
    fn an_adt_maps_onto_the_canonical_record() {
        let record = to_record(&parse(ADT), &MapSettings::default()).unwrap();
        assert_eq!(record.source.as_deref(), Some("EPIC@PEDS_HOSP"));
        assert_eq!(record.patient_id.as_deref(), Some("MRN123"));
        assert_eq!(record.unit.as_deref(), Some("PEDS"));
        assert_eq!(
            record.recorded_at.as_deref(),
            Some("2026-11-20T14:00:00-05:00")
        );
        assert_eq!(record.birth_date.as_deref(), Some("2019-04-02"));
        let race = record.race.unwrap();
        let codes: Vec<&str> = race.codes.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["2106-3", "2028-9"]);
        assert!(race.codes.iter().all(|c| c.system.is_none()));
        assert_eq!(record.ethnicity.unwrap().codes[0].code, "2135-2");
        assert_eq!(record.language.unwrap().preferred.as_deref(), Some("spa"));
        let caregiver = &record.caregivers.unwrap()[0];
        assert_eq!(caregiver.relationship.as_deref(), Some("MTH"));
        assert_eq!(
            caregiver.language.as_ref().unwrap().preferred.as_deref(),
            Some("vie")
        );
        assert_eq!(caregiver.race.as_ref().unwrap().codes[0].code, "2054-5");
        assert_eq!(
            caregiver.ethnicity.as_ref().unwrap().codes[0].code,
            "2135-2"
        );
    }

    #[test]
    fn the_unit_component_is_configurable() {
        let settings = MapSettings {
            source_override: None,
            default_source: None,
            unit_component: 4,
            ..MapSettings::default()
        };
        let record = to_record(&parse(ADT), &settings).unwrap();
        assert_eq!(record.unit.as_deref(), Some("CHILDRENS"));
        let no_pv1 = ADT.split("\rPV1").next().unwrap();
        let record = to_record(&parse(no_pv1), &MapSettings::default()).unwrap();
        assert_eq!(record.unit.as_deref(), Some("UNASSIGNED"));
    }

    #[test]
    fn unknown_ethnicity_and_null_codes_become_null_values() {
        let text = ADT.replace("H^Hispanic^HL70189", "U^Unknown^HL70189");
        let record = to_record(&parse(&text), &MapSettings::default()).unwrap();
        let ethnicity = record.ethnicity.unwrap();
        assert!(ethnicity.codes.is_empty());
        assert_eq!(ethnicity.null_flavor, Some(NullFlavor::Unk));
        let text = ADT.replace(
            "White^2106-3^CDCREC~2028-9^Asian^HL70005",
            "ASKU^Declined^NULLFL",
        );
        let race = to_record(&parse(&text), &MapSettings::default())
            .unwrap()
            .race
            .unwrap();
        assert_eq!(race.null_flavor, Some(NullFlavor::Asku));
    }

    #[test]
    fn every_message_with_a_pid_is_read() {
        for kind in [
            "ADT^A03",
            "ADT^A40^ADT_A39",
            "ORU^R01",
            "VXU^V04",
            "SIU^S12",
            "MDM^T02",
        ] {
            let text = ADT.replace("ADT^A04^ADT_A01", kind);
            let record = to_record(&parse(&text), &MapSettings::default())
                .unwrap_or_else(|e| panic!("{kind}: {e:?}"));
            assert_eq!(record.patient_id.as_deref(), Some("MRN123"), "{kind}");
        }
    }

    #[test]
    fn a_message_without_demographics_is_nothing_to_validate_unless_it_registers() {
        let bare = ADT
            .split("\rNK1")
            .next()
            .unwrap()
            .replace("||20190402|F||White^2106-3^CDCREC~2028-9^Asian^HL70005|||||spa^Spanish^HL70296|||||||H^Hispanic^HL70189", "");
        for kind in ["ADT^A40^ADT_A39", "ADT^A03", "ORU^R01"] {
            let text = bare.replace("ADT^A04^ADT_A01", kind);
            let mapped = super::to_record(&parse(&text), &MapSettings::default()).unwrap();
            let Mapped::Nothing(why) = mapped else {
                panic!("{kind}: {mapped:?}");
            };
            assert!(why.starts_with("nothing stored"), "{why}");
        }
        // A registration is validated however empty it is.
        assert!(to_record(&parse(&bare), &MapSettings::default()).is_ok());
        // An ADT without a PID is nothing to validate; another message without one is AR.
        let no_pid = ADT.split("\rPID").next().unwrap();
        assert!(matches!(
            super::to_record(&parse(no_pid), &MapSettings::default()),
            Ok(Mapped::Nothing(_))
        ));
        let query = no_pid.replace("ADT^A04^ADT_A01", "QBP^Q22");
        assert!(super::to_record(&parse(&query), &MapSettings::default()).is_err());
        let ack = no_pid.replace("ADT^A04^ADT_A01", "ACK^A04");
        assert!(super::to_record(&parse(&ack), &MapSettings::default()).is_err());
    }

    #[test]
    fn only_the_first_patients_segments_are_read() {
        let text = format!(
            "{ADT}PID|1||OTHER^^^HOSP^MR||ROE^JOHN||20000101|M||2054-5\rNK1|1|ROE^ANN|SIS\rPV1|1|I|ICU\r"
        );
        let record = to_record(&parse(&text), &MapSettings::default()).unwrap();
        assert_eq!(record.patient_id.as_deref(), Some("MRN123"));
        assert_eq!(record.unit.as_deref(), Some("PEDS"));
        assert_eq!(record.caregivers.unwrap().len(), 1);
    }

    #[test]
    fn a_message_without_sender_gets_the_default_source() {
        let text = ADT.replace("|EPIC|PEDS_HOSP|", "|||");
        let record = to_record(&parse(&text), &MapSettings::default()).unwrap();
        assert_eq!(record.source.as_deref(), Some(DEFAULT_SOURCE));
    }

    #[test]
    fn a_code_left_empty_goes_through_on_its_text() {
        let text = ADT
            .replace(
                "White^2106-3^CDCREC~2028-9^Asian^HL70005",
                "^Black or African American^HL70005~^^^^Asian",
            )
            .replace("spa^Spanish^HL70296", "E^ENGLISH^LOCAL")
            .replace("H^Hispanic^HL70189", "^Hispanic or Latino^HL70189");
        let record = to_record(&parse(&text), &MapSettings::default()).unwrap();
        let race: Vec<(String, Option<String>)> = record
            .race
            .unwrap()
            .codes
            .into_iter()
            .map(|c| (c.code, c.display))
            .collect();
        assert_eq!(
            race,
            [
                ("Black or African American".to_string(), None),
                ("Asian".to_string(), None)
            ]
        );
        assert_eq!(
            record.language.unwrap().preferred.as_deref(),
            Some("ENGLISH")
        );
        assert_eq!(
            record.ethnicity.unwrap().codes[0].code,
            "Hispanic or Latino"
        );
        // A code shaped like a language tag stays the code.
        for (field, tag) in [
            ("spa^Spanish", "spa"),
            ("en-US^English", "en-US"),
            ("^Spanish", "Spanish"),
            ("1^Spanish", "Spanish"),
            ("ENGLISH", "ENGLISH"),
        ] {
            let text = ADT.replace("spa^Spanish^HL70296", field);
            let record = to_record(&parse(&text), &MapSettings::default()).unwrap();
            assert_eq!(
                record.language.unwrap().preferred.as_deref(),
                Some(tag),
                "{field}"
            );
        }
    }

    #[test]
    fn hl7_timestamps_become_rfc_3339() {
        assert_eq!(
            timestamp("202611201403").as_deref(),
            Some("2026-11-20T14:03:00Z")
        );
        assert_eq!(
            timestamp("20261120140305.123+0215").as_deref(),
            Some("2026-11-20T14:03:05+02:15")
        );
        assert_eq!(
            timestamp("20261120").as_deref(),
            Some("2026-11-20T00:00:00Z")
        );
        assert_eq!(
            timestamp("2026112014").as_deref(),
            Some("2026-11-20T14:00:00Z")
        );
        assert_eq!(timestamp("2026112"), None);
        assert_eq!(timestamp("2026112014ab"), None);
        assert_eq!(timestamp("202611201403+02"), None);
    }
}
