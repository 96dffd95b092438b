//! Synthetic records rendered in the formats EHRs send: HL7 v2 ADT^A08 messages and FHIR
//! R4 Bundles of US Core Patients with RelatedPerson caregivers, for interface tests, load
//! tests and the format benchmarks. Each renders what its format can carry (`docs/mapping.md`);
//! [`carried`] cuts a record down to what all three formats carry, so the same records
//! store the same thing whichever way they arrive.

use serde_json::{json, Value};

use crate::record::wire::{CodedAnswer, LanguageWire, NullFlavor};
use crate::record::RecordWire;

const CDCREC_OID: &str = "urn:oid:2.16.840.1.113883.6.238";
const NULL_FLAVOR: &str = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";

/// The record as all three formats carry it: HL7 v2 has no place for the interpreter need,
/// and neither HL7 v2 nor FHIR for who reported race or ethnicity, English proficiency,
/// the written language or a caregiver's legal guardianship.
pub fn carried(mut record: RecordWire) -> RecordWire {
    for answer in [record.race.as_mut(), record.ethnicity.as_mut()]
        .into_iter()
        .flatten()
    {
        answer.reported_by = None;
    }
    let plain = |language: &mut LanguageWire| {
        language.written = None;
        language.english_proficiency = None;
        language.interpreter_needed = None;
    };
    if let Some(language) = record.language.as_mut() {
        plain(language);
    }
    for caregiver in record.caregivers.iter_mut().flatten() {
        caregiver.legal_guardian = None;
        if let Some(language) = caregiver.language.as_mut() {
            plain(language);
        }
    }
    record
}

fn hl7_time(rfc3339: &str) -> String {
    let digits: String = rfc3339
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    format!("{digits}+0000")
}

fn hl7_codes(answer: Option<&CodedAnswer>) -> String {
    let Some(answer) = answer else {
        return String::new();
    };
    if let Some(null) = answer.null_flavor {
        return match null {
            NullFlavor::Asku => "ASKU^Declined^NULLFL",
            NullFlavor::Unk => "UNK^Unknown^NULLFL",
            NullFlavor::Nask => "NASK^Not asked^NULLFL",
        }
        .into();
    }
    answer
        .codes
        .iter()
        .map(|c| format!("{}^{}^CDCREC", c.code, c.display.as_deref().unwrap_or("")))
        .collect::<Vec<_>>()
        .join("~")
}

fn hl7_language(language: Option<&LanguageWire>) -> String {
    language
        .and_then(|l| l.preferred.as_deref())
        .map(|tag| format!("{tag}^^HL70296"))
        .unwrap_or_default()
}

fn segment(id: &str, fields: &[(usize, String)]) -> String {
    let last = fields.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let mut values = vec![String::new(); last + 1];
    values[0] = id.to_string();
    for (n, value) in fields {
        values[*n].clone_from(value);
    }
    values.join("|") + "\r"
}

/// An ADT^A08 message (MSH, EVN, PID, one NK1 per caregiver, PV1) with control ID
/// `M{index}`; segments end in CR.
pub fn hl7_message(record: &RecordWire, index: usize) -> String {
    let time = hl7_time(record.recorded_at.as_deref().unwrap_or(""));
    let mut out = format!(
        "MSH|^~\\&|{}|SYNTH|REALDQ|REALDQ|{time}||ADT^A08^ADT_A01|M{index}|P|2.5.1\rEVN|A08|{time}\r",
        record.source.as_deref().unwrap_or("")
    );
    out.push_str(&segment(
        "PID",
        &[
            (1, "1".into()),
            (
                3,
                format!("{}^^^SYNTH^MR", record.patient_id.as_deref().unwrap_or("")),
            ),
            (
                7,
                record.birth_date.as_deref().unwrap_or("").replace('-', ""),
            ),
            (10, hl7_codes(record.race.as_ref())),
            (15, hl7_language(record.language.as_ref())),
            (22, hl7_codes(record.ethnicity.as_ref())),
        ],
    ));
    for (k, caregiver) in record.caregivers.iter().flatten().enumerate() {
        out.push_str(&segment(
            "NK1",
            &[
                (1, (k + 1).to_string()),
                (3, caregiver.relationship.clone().unwrap_or_default()),
                (20, hl7_language(caregiver.language.as_ref())),
                (28, hl7_codes(caregiver.ethnicity.as_ref())),
                (35, hl7_codes(caregiver.race.as_ref())),
            ],
        ));
    }
    out.push_str(&segment(
        "PV1",
        &[
            (1, "1".into()),
            (2, "O".into()),
            (3, record.unit.clone().unwrap_or_default()),
        ],
    ));
    out
}

fn fhir_coded(url: &str, answer: Option<&CodedAnswer>) -> Option<Value> {
    let answer = answer?;
    let mut parts: Vec<Value> = answer
        .codes
        .iter()
        .map(|c| json!({"url": "ombCategory", "valueCoding": {"system": CDCREC_OID, "code": c.code, "display": c.display}}))
        .collect();
    if let Some(null) = answer.null_flavor {
        let code = match null {
            NullFlavor::Asku => "ASKU",
            NullFlavor::Unk => "UNK",
            NullFlavor::Nask => "NASK",
        };
        parts.push(
            json!({"url": "ombCategory", "valueCoding": {"system": NULL_FLAVOR, "code": code}}),
        );
    }
    if let Some(text) = &answer.text {
        parts.push(json!({"url": "text", "valueString": text}));
    }
    Some(json!({"url": url, "extension": parts}))
}

fn fhir_language(language: Option<&LanguageWire>) -> Vec<Value> {
    language
        .and_then(|l| l.preferred.as_deref())
        .map(|tag| vec![json!({"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": tag}]}, "preferred": true})])
        .unwrap_or_default()
}

fn fhir_extensions(
    race: Option<&CodedAnswer>,
    ethnicity: Option<&CodedAnswer>,
    language: Option<&LanguageWire>,
) -> Vec<Value> {
    let mut extensions: Vec<Value> = [
        fhir_coded(crate::fhir::patient::US_CORE_RACE, race),
        fhir_coded(crate::fhir::patient::US_CORE_ETHNICITY, ethnicity),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(need) = language.and_then(|l| l.interpreter_needed) {
        extensions
            .push(json!({"url": crate::fhir::patient::INTERPRETER_REQUIRED, "valueBoolean": need}));
    }
    extensions
}

/// Bundle entries for a record: its Patient (`id` `p{index}`) and a RelatedPerson for
/// each caregiver.
pub fn fhir_entries(record: &RecordWire, index: usize) -> Vec<Value> {
    let id = format!("p{index}");
    let mut entries = vec![json!({"fullUrl": format!("urn:uuid:{id}"), "resource": {
        "resourceType": "Patient",
        "id": id,
        "meta": {"lastUpdated": record.recorded_at, "source": record.source},
        "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": record.patient_id}],
        "birthDate": record.birth_date,
        "managingOrganization": {"display": record.unit},
        "extension": fhir_extensions(record.race.as_ref(), record.ethnicity.as_ref(), record.language.as_ref()),
        "communication": fhir_language(record.language.as_ref()),
    }})];
    for caregiver in record.caregivers.iter().flatten() {
        let mut relationship = vec![json!({"code": caregiver.relationship})];
        if caregiver.legal_guardian == Some(true) {
            relationship.push(json!({"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "GUARD"}));
        }
        entries.push(json!({"resource": {
            "resourceType": "RelatedPerson",
            "patient": {"reference": format!("Patient/{id}")},
            "relationship": [{"coding": relationship}],
            "extension": fhir_extensions(caregiver.race.as_ref(), caregiver.ethnicity.as_ref(), caregiver.language.as_ref()),
            "communication": fhir_language(caregiver.language.as_ref()),
        }}));
    }
    entries
}

/// A `batch` Bundle of `records`, the first numbered `first`.
pub fn fhir_bundle(records: &[RecordWire], first: usize) -> String {
    let entries: Vec<Value> = records
        .iter()
        .enumerate()
        .flat_map(|(i, r)| fhir_entries(r, first + i))
        .collect();
    json!({"resourceType": "Bundle", "type": "batch", "entry": entries}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::Generator;

    fn records(count: u64) -> Vec<RecordWire> {
        let mut generator = Generator::new(7);
        (0..count)
            .map(|i| serde_json::from_value(generator.record(i)).unwrap())
            .collect()
    }

    #[test]
    fn carried_drops_only_what_hl7_or_fhir_cannot_carry() {
        let all = records(200);
        let cut: Vec<RecordWire> = all.iter().cloned().map(carried).collect();
        assert!(all
            .iter()
            .any(|r| r.race.as_ref().is_some_and(|a| a.reported_by.is_some())));
        for (before, after) in all.iter().zip(&cut) {
            assert_eq!(before.patient_id, after.patient_id);
            assert_eq!(
                before.race.as_ref().map(|a| &a.codes),
                after.race.as_ref().map(|a| &a.codes)
            );
            assert!(after.race.as_ref().is_none_or(|a| a.reported_by.is_none()));
            assert!(after
                .language
                .as_ref()
                .is_none_or(|l| l.interpreter_needed.is_none() && l.english_proficiency.is_none()));
            assert!(after
                .caregivers
                .iter()
                .flatten()
                .all(|c| c.legal_guardian.is_none()));
        }
    }

    #[test]
    fn each_record_renders_one_message_and_its_entries() {
        let all = records(50);
        for (index, record) in all.iter().enumerate() {
            let message = hl7_message(record, index);
            assert!(message.starts_with("MSH|^~\\&|"));
            assert!(message.contains(&format!("|M{index}|P|2.5.1\r")));
            let caregivers = record.caregivers.as_ref().map_or(0, Vec::len);
            assert_eq!(message.matches("\rNK1|").count(), caregivers);
            assert_eq!(fhir_entries(record, index).len(), 1 + caregivers);
        }
        let bundle: Value = serde_json::from_str(&fhir_bundle(&all, 10)).unwrap();
        assert_eq!(bundle["entry"][0]["resource"]["id"], "p10");
    }
}
