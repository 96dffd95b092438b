//! FHIR R4 US Core Patient (and RelatedPerson) → canonical record (`docs/mapping.md`).
//! Lenient: unknown elements and extensions are ignored, and whatever is present but
//! wrong goes through for the rules to report, not for the parser to reject.

use super::model::{Communication, Resource};
use crate::record::wire::{CaregiverWire, CodeWire, CodedAnswer, LanguageWire, NullFlavor};
use crate::record::RecordWire;

/// US Core race extension.
pub const US_CORE_RACE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
/// US Core ethnicity extension.
pub const US_CORE_ETHNICITY: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";
/// US Core interpreter-needed extension.
pub const US_CORE_INTERPRETER: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-interpreter-needed";
/// The core extension for the same (older feeds).
pub const INTERPRETER_REQUIRED: &str =
    "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired";
const NULL_FLAVOR_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";
const DATA_ABSENT_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
const SNOMED: &str = "http://snomed.info/sct";

/// Where the unit comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitSource {
    /// `Patient.managingOrganization` (its display, else identifier value, else reference).
    ManagingOrganization,
    /// A `valueString`/`valueCode` extension on the Patient with this URL.
    Extension(String),
}

/// How FHIR resources map onto records.
#[derive(Debug, Clone)]
pub struct FhirSettings {
    /// Identifier system whose value is the `patient_id` (else the MR identifier, else the
    /// first, else `Patient.id`).
    pub identifier_system: Option<String>,
    /// Where the unit is read when no `X-Unit` header is sent.
    pub unit_source: UnitSource,
    /// The unit when none is found.
    pub default_unit: String,
}

impl Default for FhirSettings {
    fn default() -> Self {
        FhirSettings {
            identifier_system: None,
            unit_source: UnitSource::ManagingOrganization,
            default_unit: "UNASSIGNED".into(),
        }
    }
}

/// What the request adds: headers and the time of receipt.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// `X-Source` (else `meta.source`, else `default_source`, else `fhir`).
    pub source: Option<String>,
    /// The source when neither `X-Source` nor `meta.source` names one: the key's name.
    pub default_source: Option<String>,
    /// `X-Unit`, overriding the configured source.
    pub unit: Option<String>,
    /// RFC 3339 time used when `meta.lastUpdated` is absent.
    pub received_at: String,
}

/// Where each mapped value came from, kept as positions; the FHIRPaths of
/// `OperationOutcome.issue.expression` are written only for the values a finding names.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// For each race code, in order: the index of its sub-extension in us-core-race.
    pub race: Vec<usize>,
    /// The same for ethnicity codes in us-core-ethnicity.
    pub ethnicity: Vec<usize>,
    /// The index of the `communication` entry of the preferred language.
    pub language: Option<usize>,
    /// The URL of the extension the interpreter need came from.
    pub interpreter: Option<&'static str>,
}

impl Provenance {
    /// The FHIRPath of race (`US_CORE_RACE`) or ethnicity code `code` of `indexes`, else
    /// of the extension.
    pub fn coded_path(indexes: &[usize], url: &str, code: Option<usize>) -> String {
        match code.and_then(|c| indexes.get(c)) {
            Some(at) => format!("Patient.extension.where(url='{url}').extension[{at}].valueCoding"),
            None => format!("Patient.extension.where(url='{url}')"),
        }
    }

    /// The FHIRPath of the preferred language.
    pub fn language_path(&self) -> String {
        match self.language {
            Some(index) => format!("Patient.communication[{index}].language"),
            None => "Patient.communication".into(),
        }
    }

    /// The FHIRPath of the interpreter need.
    pub fn interpreter_path(&self) -> String {
        format!(
            "Patient.extension.where(url='{}')",
            self.interpreter.unwrap_or(US_CORE_INTERPRETER)
        )
    }
}

/// A Patient mapped onto the wire record.
#[derive(Debug, Clone)]
pub struct MappedPatient {
    /// The record.
    pub record: RecordWire,
    /// Where its values came from.
    pub provenance: Provenance,
    /// Whether `recorded_at` is the time of receipt (no `meta.lastUpdated`).
    pub time_assigned: bool,
}

/// Why a resource is not a Patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAPatient(pub String);

/// Maps a Patient resource (with its RelatedPerson caregivers, if any).
pub fn to_record(
    patient: &Resource,
    related: &[&Resource],
    settings: &FhirSettings,
    envelope: &Envelope,
) -> Result<MappedPatient, NotAPatient> {
    match patient.resource_type.get() {
        Some("Patient") => {}
        Some(other) => {
            return Err(NotAPatient(format!(
                "resourceType is {}, expected Patient",
                other.chars().take(40).collect::<String>()
            )))
        }
        None => return Err(NotAPatient("resourceType is missing".into())),
    }
    let mut provenance = Provenance::default();
    // `meta.source` is a URI of any length; one too long for `source` is not used.
    let source = envelope
        .source
        .clone()
        .or_else(|| {
            patient
                .meta
                .source
                .trimmed()
                .filter(|s| s.chars().count() <= 128)
        })
        .or_else(|| envelope.default_source.clone())
        .unwrap_or_else(|| "fhir".into());
    let unit = envelope
        .unit
        .clone()
        .or_else(|| unit_of(patient, &settings.unit_source))
        .unwrap_or_else(|| settings.default_unit.clone());
    let last_updated = patient.meta.last_updated.trimmed();
    let time_assigned = last_updated.is_none();
    let recorded_at = last_updated.unwrap_or_else(|| envelope.received_at.clone());
    let race = coded(patient, US_CORE_RACE, &mut provenance.race);
    let ethnicity = coded(patient, US_CORE_ETHNICITY, &mut provenance.ethnicity);
    let mut language = communication(patient).map(|(index, language)| {
        provenance.language = Some(index);
        language
    });
    if let Some((url, need)) = interpreter(patient) {
        provenance.interpreter = Some(url);
        language
            .get_or_insert_with(LanguageWire::default)
            .interpreter_needed = Some(need);
    }
    let caregivers: Vec<CaregiverWire> = related.iter().map(|r| caregiver(r)).collect();
    Ok(MappedPatient {
        time_assigned,
        record: RecordWire {
            source: Some(source),
            patient_id: patient_id(patient, settings),
            unit: Some(unit),
            recorded_at: Some(recorded_at),
            birth_date: patient.birth_date.trimmed(),
            race,
            ethnicity,
            language,
            caregivers: (!caregivers.is_empty()).then_some(caregivers),
            sogi: None,
            disability: None,
            sdoh: None,
        },
        provenance,
    })
}

fn patient_id(patient: &Resource, settings: &FhirSettings) -> Option<String> {
    let identifiers = &patient.identifier;
    let chosen = match settings.identifier_system.as_deref() {
        // A configured system that is absent is not silently replaced by another id.
        Some(system) => identifiers.iter().find(|i| i.system.get() == Some(system)),
        None => identifiers
            .iter()
            .find(|i| i.kind.coding.iter().any(|c| c.code.get() == Some("MR")))
            .or(identifiers.first()),
    };
    chosen
        .and_then(|i| i.value.trimmed())
        .or_else(|| match settings.identifier_system {
            Some(_) => None,
            None => patient.id.trimmed(),
        })
}

fn unit_of(patient: &Resource, source: &UnitSource) -> Option<String> {
    match source {
        UnitSource::ManagingOrganization => {
            let organization = &patient.managing_organization;
            organization
                .display
                .trimmed()
                .or_else(|| organization.identifier.value.trimmed())
                .or_else(|| organization.reference.trimmed())
        }
        UnitSource::Extension(url) => patient
            .extension(url)
            .and_then(|e| e.value_string.trimmed().or_else(|| e.value_code.trimmed())),
    }
}

/// The us-core-race / us-core-ethnicity extension as a coded answer.
fn coded(resource: &Resource, url: &str, indexes: &mut Vec<usize>) -> Option<CodedAnswer> {
    let extension = resource.extension(url)?;
    let mut answer = CodedAnswer::default();
    for (index, part) in extension.extension.iter().enumerate() {
        match part.url.get() {
            Some("ombCategory" | "detailed") => {
                let Some(coding) = &part.value_coding else {
                    continue;
                };
                let system = coding.system.trimmed();
                let code = coding.code.trimmed().unwrap_or_default();
                let null = match (system.as_deref(), code.as_str()) {
                    (Some(NULL_FLAVOR_SYSTEM) | None, "UNK") => Some(NullFlavor::Unk),
                    (Some(NULL_FLAVOR_SYSTEM) | None, "ASKU") => Some(NullFlavor::Asku),
                    (Some(NULL_FLAVOR_SYSTEM), "NASK") => Some(NullFlavor::Nask),
                    (Some(DATA_ABSENT_SYSTEM), "asked-declined") => Some(NullFlavor::Asku),
                    (Some(DATA_ABSENT_SYSTEM), "unknown" | "asked-unknown") => {
                        Some(NullFlavor::Unk)
                    }
                    (Some(DATA_ABSENT_SYSTEM), "not-asked") => Some(NullFlavor::Nask),
                    _ => None,
                };
                if let Some(null) = null {
                    answer.null_flavor = Some(null);
                    continue;
                }
                indexes.push(index);
                answer.codes.push(CodeWire {
                    code,
                    system,
                    display: coding.display.trimmed(),
                });
            }
            Some("text") => answer.text = part.value_string.trimmed(),
            _ => {}
        }
    }
    Some(answer)
}

/// The preferred `communication.language` (else the first) as a BCP 47 tag, with the
/// index of its entry.
fn communication(resource: &Resource) -> Option<(usize, LanguageWire)> {
    let entries = &resource.communication;
    let tag_of = |entry: &Communication| -> Option<String> {
        let language = &entry.language;
        let codings = &language.coding;
        let coding = codings
            .iter()
            .find(|c| c.system.get() == Some("urn:ietf:bcp:47"))
            .or(codings.first());
        coding
            .and_then(|c| c.code.trimmed())
            .or_else(|| language.text.trimmed())
    };
    // The preferred entry with a usable language, else the first entry with one.
    let (index, tag) = entries
        .iter()
        .enumerate()
        .filter(|(_, c)| c.preferred.0 == Some(true))
        .chain(entries.iter().enumerate())
        .find_map(|(i, c)| tag_of(c).map(|tag| (i, tag)))?;
    Some((
        index,
        LanguageWire {
            preferred: Some(tag),
            ..LanguageWire::default()
        },
    ))
}

/// us-core-interpreter-needed (SNOMED 373066001 yes / 373067005 no) or the core
/// patient-interpreterRequired boolean, with the URL of the extension it came from.
fn interpreter(resource: &Resource) -> Option<(&'static str, bool)> {
    for url in [US_CORE_INTERPRETER, INTERPRETER_REQUIRED] {
        let Some(extension) = resource.extension(url) else {
            continue;
        };
        let value = extension.value_boolean.0.or_else(|| {
            let coding = extension.value_coding.as_ref()?;
            match (coding.system.get(), coding.code.get()) {
                (Some(SNOMED) | None, Some("373066001")) => Some(true),
                (Some(SNOMED) | None, Some("373067005")) => Some(false),
                (_, Some("Y")) => Some(true),
                (_, Some("N")) => Some(false),
                _ => None,
            }
        });
        if let Some(value) = value {
            return Some((url, value));
        }
    }
    None
}

/// A RelatedPerson as a caregiver.
fn caregiver(related: &Resource) -> CaregiverWire {
    let (relationship, guardian) = relationship(related);
    let mut race_paths = Vec::new();
    let mut ethnicity_paths = Vec::new();
    let mut language = communication(related).map(|(_, language)| language);
    // The same interpreter extensions, on the RelatedPerson.
    if let Some((_, need)) = interpreter(related) {
        language
            .get_or_insert_with(LanguageWire::default)
            .interpreter_needed = Some(need);
    }
    CaregiverWire {
        relationship,
        legal_guardian: guardian.then_some(true),
        language,
        race: coded(related, US_CORE_RACE, &mut race_paths),
        ethnicity: coded(related, US_CORE_ETHNICITY, &mut ethnicity_paths),
        disability: None,
    }
}

/// The relationship as sent, for the profile's maps to bring to table 0063 (the default
/// profile's `v3-rolecode` map), and whether it names a legal guardian: the first coding of
/// table 0063, v3 RoleCode or no system, as sent (natural parents and `GUARD` translated
/// here); else a v2 table 0131 contact role that says something of the person (`C`
/// emergency contact, `E` employer, `O` other, `U` unknown; `N` next of kin does not, and
/// is skipped); else the text (`Mother`).
fn relationship(related: &Resource) -> (Option<String>, bool) {
    const ROLE_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
    const TABLE_0063: &str = "http://terminology.hl7.org/CodeSystem/v2-0063";
    const TABLE_0131: &str = "http://terminology.hl7.org/CodeSystem/v2-0131";
    let mut found: Option<String> = None;
    let mut contact: Option<String> = None;
    let mut guardian = false;
    for coding in related.relationship.iter().flat_map(|r| r.coding.iter()) {
        let Some(code) = coding.code.trimmed() else {
            continue;
        };
        let translated = match (coding.system.get(), code.as_str()) {
            (Some(ROLE_CODE), "NMTH" | "MTH") => Some("MTH".to_string()),
            (Some(ROLE_CODE), "NFTH" | "FTH") => Some("FTH".to_string()),
            (Some(ROLE_CODE), "GUARD" | "GRD") => {
                guardian = true;
                Some("GRD".to_string())
            }
            (Some(TABLE_0131), "C" | "E" | "O" | "U") => {
                contact.get_or_insert(code);
                None
            }
            (Some(ROLE_CODE), _) | (Some(TABLE_0063) | None, _) => Some(code),
            _ => None,
        };
        if found.is_none() {
            found = translated;
        }
    }
    let text = || related.relationship.iter().find_map(|r| r.text.trimmed());
    (found.or(contact).or_else(text), guardian)
}

/// The Patient a RelatedPerson belongs to: its `patient.reference`.
pub fn related_patient(related: &Resource) -> Option<&str> {
    related.patient.reference.get()
}

/// The Patient id a reference names: `Patient/{id}`, or a URL ending `/Patient/{id}`
/// (`None` for anything else, a versioned reference included).
pub fn referenced_patient_id(reference: &str) -> Option<&str> {
    let id = match reference.strip_prefix("Patient/") {
        Some(id) => id,
        None => &reference[reference.rfind("/Patient/")? + "/Patient/".len()..],
    };
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// Whether a line of FHIR NDJSON is a Patient, read as far as its `resourceType` (for
/// cutting a Bulk file between Patients without reading every line whole).
pub fn is_patient_line(line: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(rename = "resourceType", borrow, default)]
        resource_type: Option<std::borrow::Cow<'a, str>>,
    }
    serde_json::from_slice::<Head<'_>>(line.trim_ascii())
        .is_ok_and(|h| h.resource_type.as_deref() == Some("Patient"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::model;
    use serde_json::{json, Value};

    /// The record a resource maps to under the default settings.
    fn mapped(resource: &Value) -> RecordWire {
        to_record(&typed(resource), &[], &FhirSettings::default(), &envelope())
            .unwrap()
            .record
    }

    /// The resource as the service reads it: from its JSON text.
    fn typed(value: &Value) -> Resource {
        model::read(value.to_string().as_bytes()).unwrap()
    }

    fn envelope() -> Envelope {
        Envelope {
            source: None,
            default_source: None,
            unit: None,
            received_at: "2026-11-22T10:00:00Z".into(),
        }
    }

    fn patient() -> Value {
        json!({
            "resourceType": "Patient",
            "id": "p1",
            "meta": {"lastUpdated": "2026-11-20T14:03:00Z"},
            "identifier": [
                {"system": "urn:ssn", "value": "999"},
                {"type": {"coding": [{"code": "MR"}]}, "system": "urn:mrn", "value": "MRN-7"}
            ],
            "birthDate": "2019-04-02",
            "managingOrganization": {"reference": "Organization/1", "display": "PEDS"},
            "extension": [
                {"url": US_CORE_RACE, "extension": [
                    {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238", "code": "2106-3", "display": "White"}},
                    {"url": "detailed", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238", "code": "2108-9"}},
                    {"url": "text", "valueString": "White"}
                ]},
                {"url": US_CORE_ETHNICITY, "extension": [
                    {"url": "ombCategory", "valueCoding": {"system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "code": "ASKU"}}
                ]},
                {"url": US_CORE_INTERPRETER, "valueCoding": {"system": SNOMED, "code": "373066001"}},
                {"url": "http://example.org/unknown", "valueString": "ignored"}
            ],
            "communication": [
                {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en"}]}},
                {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}, "preferred": true}
            ]
        })
    }

    #[test]
    fn a_us_core_patient_maps_onto_the_record() {
        let mapped = to_record(
            &typed(&patient()),
            &[],
            &FhirSettings::default(),
            &envelope(),
        )
        .unwrap();
        let record = mapped.record;
        assert_eq!(record.patient_id.as_deref(), Some("MRN-7"));
        assert_eq!(record.unit.as_deref(), Some("PEDS"));
        assert_eq!(record.source.as_deref(), Some("fhir"));
        assert_eq!(record.recorded_at.as_deref(), Some("2026-11-20T14:03:00Z"));
        assert_eq!(record.birth_date.as_deref(), Some("2019-04-02"));
        let race = record.race.unwrap();
        assert_eq!(race.codes.len(), 2);
        assert_eq!(race.text.as_deref(), Some("White"));
        assert_eq!(
            record.ethnicity.unwrap().null_flavor,
            Some(NullFlavor::Asku)
        );
        let language = record.language.unwrap();
        assert_eq!(language.preferred.as_deref(), Some("es"));
        assert_eq!(language.interpreter_needed, Some(true));
        assert_eq!(
            Provenance::coded_path(&mapped.provenance.race, US_CORE_RACE, Some(1)),
            format!("Patient.extension.where(url='{US_CORE_RACE}').extension[1].valueCoding")
        );
        assert_eq!(
            mapped.provenance.language_path(),
            "Patient.communication[1].language"
        );
        assert_eq!(
            mapped.provenance.interpreter_path(),
            format!("Patient.extension.where(url='{US_CORE_INTERPRETER}')")
        );
    }

    #[test]
    fn identifier_system_and_unit_source_are_configurable() {
        let settings = FhirSettings {
            identifier_system: Some("urn:ssn".into()),
            unit_source: UnitSource::Extension("http://example.org/unknown".into()),
            default_unit: "X".into(),
        };
        let record = to_record(&typed(&patient()), &[], &settings, &envelope())
            .unwrap()
            .record;
        assert_eq!(record.patient_id.as_deref(), Some("999"));
        assert_eq!(record.unit.as_deref(), Some("ignored"));
        let header = Envelope {
            unit: Some("ED".into()),
            source: Some("epic".into()),
            ..envelope()
        };
        let record = to_record(&typed(&patient()), &[], &settings, &header)
            .unwrap()
            .record;
        assert_eq!(
            (record.unit.as_deref(), record.source.as_deref()),
            (Some("ED"), Some("epic"))
        );
        let missing = FhirSettings {
            identifier_system: Some("urn:none".into()),
            ..FhirSettings::default()
        };
        let record = to_record(&typed(&patient()), &[], &missing, &envelope())
            .unwrap()
            .record;
        assert_eq!(record.patient_id, None);
    }

    #[test]
    fn related_persons_become_caregivers() {
        let mother = json!({
            "resourceType": "RelatedPerson",
            "patient": {"reference": "Patient/p1"},
            "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH"}]}],
            "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "vi"}]}, "preferred": true}],
            "extension": [{"url": US_CORE_INTERPRETER, "valueCoding": {"system": SNOMED, "code": "373066001"}}]
        });
        let mother = typed(&mother);
        let record = to_record(
            &typed(&patient()),
            &[&mother],
            &FhirSettings::default(),
            &envelope(),
        )
        .unwrap()
        .record;
        let caregiver = &record.caregivers.unwrap()[0];
        assert_eq!(caregiver.relationship.as_deref(), Some("MTH"));
        assert_eq!(
            caregiver.language.as_ref().unwrap().preferred.as_deref(),
            Some("vi")
        );
        assert_eq!(related_patient(&mother), Some("Patient/p1"));
    }

    #[test]
    fn relationships_are_read_as_table_0063_codes() {
        let person = |codings: Value| json!({"resourceType": "RelatedPerson", "relationship": [{"coding": codings}]});
        let role = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
        let contact = "http://terminology.hl7.org/CodeSystem/v2-0131";
        let cases = [
            (
                json!([{"system": role, "code": "NMTH"}]),
                Some("MTH"),
                false,
            ),
            (
                json!([{"system": role, "code": "GUARD"}]),
                Some("GRD"),
                true,
            ),
            (
                json!([{"system": contact, "code": "N"}, {"system": role, "code": "FTH"}]),
                Some("FTH"),
                false,
            ),
            // A contact role says something only when nothing else does (C emergency
            // contact, mapped to EMC by the profile); N next of kin says nothing.
            (json!([{"system": contact, "code": "C"}]), Some("C"), false),
            (json!([{"system": contact, "code": "N"}]), None, false),
            (
                json!([{"system": contact, "code": "C"}, {"system": role, "code": "GRMTH"}]),
                Some("GRMTH"),
                false,
            ),
            (json!([{"code": "MTH"}]), Some("MTH"), false),
        ];
        for (codings, code, guardian) in cases {
            let (found, legal) = relationship(&typed(&person(codings.clone())));
            assert_eq!((found.as_deref(), legal), (code, guardian), "{codings}");
        }
        // Text only: the text, for the relationship map.
        let text = json!({"resourceType": "RelatedPerson", "relationship": [{"text": "Mother"}]});
        assert_eq!(relationship(&typed(&text)).0.as_deref(), Some("Mother"));
    }

    #[test]
    fn a_communication_without_a_language_gives_way_to_the_next() {
        let mut resource = patient();
        resource["communication"] = json!([
            {"language": {}, "preferred": true},
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "so"}]}}
        ]);
        let (index, language) = communication(&typed(&resource)).unwrap();
        assert_eq!(language.preferred.as_deref(), Some("so"));
        assert_eq!(index, 1);
    }

    #[test]
    fn a_meta_source_too_long_for_a_source_is_not_used() {
        let mut resource = patient();
        resource["meta"]["source"] = json!("urn:x:".repeat(40));
        let record = mapped(&resource);
        assert_eq!(record.source.as_deref(), Some("fhir"));
        resource["meta"]["source"] = json!("urn:epic:prod");
        let record = mapped(&resource);
        assert_eq!(record.source.as_deref(), Some("urn:epic:prod"));
    }

    #[test]
    fn another_resource_type_is_not_a_patient() {
        for resource in [
            json!({"resourceType": "Observation"}),
            json!({"id": "x"}),
            json!([1]),
        ] {
            assert!(to_record(
                &typed(&resource),
                &[],
                &FhirSettings::default(),
                &envelope()
            )
            .is_err());
        }
    }
}
