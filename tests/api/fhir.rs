//! FHIR R4 over HTTP: the conformance corpus (tests/fixtures/fhir-synthea, fhir-uscore).
//!
//! `POST /fhir/Patient`, `POST /fhir/Patient/$validate` and `POST /fhir` through the real
//! server on SQLite and PostgreSQL: the 50 Synthea pediatric Patients against their
//! manifest, the US Core examples against a table read from each file, Bundles with
//! RelatedPerson caregivers, and the OperationOutcome contract (rule ID in
//! `details.coding`, FHIRPath in `expression`).
//!
//! The API never returns the canonical record a Patient was mapped to, so the mapped
//! language tag cannot be read back. What is observable is asserted instead: the language
//! domain is complete with no language finding (a registered tag was mapped), the issue
//! `expression` names the `communication` element it came from, derived variants with
//! interpreter-needed yes/no tell English from non-English (INTERPRETER_ENGLISH_CONFLICT,
//! NON_ENGLISH_NO_INTERPRETER) and name `zh` (LANGUAGE_TOO_BROAD_FOR_INTERPRETER), and the
//! whole result equals `POST /v1/validate` of the canonical record built from the manifest.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{birth_date_for_age, rules_of, TestApp};

const FHIR_JSON: &str = "application/fhir+json";
const RULE_SYSTEM: &str = "urn:real-dq:rule";
const US_CORE_RACE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
const US_CORE_ETHNICITY: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";
const US_CORE_INTERPRETER: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-interpreter-needed";
const CDCREC: &str = "urn:oid:2.16.840.1.113883.6.238";
const SNOMED: &str = "http://snomed.info/sct";

pub(crate) const SYNTHEA_NDJSON: &str =
    include_str!("../fixtures/fhir-synthea/synthea_pediatric_patients_50.ndjson");
const SYNTHEA_MANIFEST: &str =
    include_str!("../fixtures/fhir-synthea/synthea_pediatric_patients_50.manifest.csv");

// ---------------------------------------------------------------------------------------
// Plumbing
// ---------------------------------------------------------------------------------------

/// One FHIR answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    location: Option<String>,
    content_type: String,
    pub(crate) body: Value,
}

/// POSTs `body` as `application/fhir+json` with extra headers; the answer must be JSON.
async fn post_with(
    app: &TestApp,
    path: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", FHIR_JSON);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.body(body).send().await.expect("request sent");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_string())
    };
    let location = header("location");
    let content_type = header("content-type").unwrap_or_default();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("POST {path} answered {status} with non-JSON {text:?}: {e}"));
    Answer {
        status,
        location,
        content_type,
        body,
    }
}

pub(crate) async fn post(app: &TestApp, path: &str, resource: &Value) -> Answer {
    post_with(app, path, resource.to_string(), &[]).await
}

/// `$validate`: 200 and an OperationOutcome.
pub(crate) async fn validate(app: &TestApp, resource: &Value) -> Value {
    let answer = post(app, "/fhir/Patient/$validate", resource).await;
    assert_eq!(answer.status, 200, "$validate answered {}", answer.body);
    assert_fhir(&answer);
    assert_well_formed(&answer.body);
    answer.body
}

/// `POST /fhir/Patient` with `headers`, asserting `status`; returns the OperationOutcome and
/// the stored result read back through the Location header.
async fn store(
    app: &TestApp,
    resource: &Value,
    headers: &[(&str, &str)],
    status: u16,
) -> (Value, Value, String) {
    let answer = post_with(app, "/fhir/Patient", resource.to_string(), headers).await;
    assert_eq!(
        answer.status, status,
        "POST /fhir/Patient answered {}",
        answer.body
    );
    assert_fhir(&answer);
    assert_well_formed(&answer.body);
    let location = answer.location.expect("a stored Patient has a Location");
    let id = location
        .strip_prefix("/v1/records/")
        .unwrap_or_else(|| panic!("Location {location} is not /v1/records/{{id}}"));
    uuid::Uuid::parse_str(id).expect("the Location ends in a record UUID");
    let result = app.get_json(&location, 200).await;
    assert_eq!(result["id"], id);
    (answer.body, result, location)
}

fn assert_fhir(answer: &Answer) {
    assert!(
        answer.content_type.starts_with(FHIR_JSON),
        "content type {}",
        answer.content_type
    );
}

/// The `response.status` of each entry of a response Bundle.
pub(crate) fn statuses(bundle: &Value) -> Vec<&str> {
    bundle["entry"]
        .as_array()
        .expect("a Bundle's entries")
        .iter()
        .map(|e| e["response"]["status"].as_str().expect("a status"))
        .collect()
}

fn issues(outcome: &Value) -> &[Value] {
    assert_eq!(outcome["resourceType"], "OperationOutcome", "{outcome}");
    outcome["issue"].as_array().expect("issue[]").as_slice()
}

/// The rule ID of an issue (`details.coding[0].code`).
fn rule_of(issue: &Value) -> Option<&str> {
    issue
        .pointer("/details/coding/0/code")
        .and_then(Value::as_str)
}

/// The issue of `rule` (the first, when several).
fn issue<'a>(outcome: &'a Value, rule: &str) -> Option<&'a Value> {
    issues(outcome).iter().find(|i| rule_of(i) == Some(rule))
}

fn expression(issue: &Value) -> &str {
    issue["expression"][0].as_str().expect("expression[0]")
}

/// Every issue has a FHIR severity and issue type; rule issues carry the rule system and
/// one FHIRPath expression.
fn assert_well_formed(outcome: &Value) {
    let issues = issues(outcome);
    assert!(!issues.is_empty(), "FHIR requires at least one issue");
    for issue in issues {
        let severity = issue["severity"].as_str().expect("severity");
        assert!(
            ["fatal", "error", "warning", "information"].contains(&severity),
            "{issue}"
        );
        let code = issue["code"].as_str().expect("code");
        assert!(
            [
                "invalid",
                "required",
                "incomplete",
                "code-invalid",
                "business-rule",
                "informational",
                "not-supported",
                "too-costly",
                "transient",
                "exception",
            ]
            .contains(&code),
            "{issue}"
        );
        if let Some(coding) = issue.pointer("/details/coding") {
            let coding = coding.as_array().expect("coding[]");
            assert_eq!(coding.len(), 1, "{issue}");
            assert_eq!(coding[0]["system"], RULE_SYSTEM, "{issue}");
            let rule = coding[0]["code"].as_str().expect("rule code");
            assert!(
                !rule.is_empty() && rule.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{issue}"
            );
            let expressions = issue["expression"].as_array().expect("expression[]");
            assert_eq!(expressions.len(), 1, "{issue}");
            let path = expressions[0].as_str().expect("a FHIRPath string");
            assert!(
                path.starts_with("Patient") || path.starts_with("RelatedPerson"),
                "{issue}"
            );
        }
    }
}

/// The issue type a rule must have (the brief's contract for the rules these tests meet).
fn expected_issue_code(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "RACE_MISSING"
        | "ETHNICITY_MISSING"
        | "LANGUAGE_MISSING"
        | "INTERPRETER_NEED_MISSING"
        | "CAREGIVER_MISSING"
        | "GRANULAR_ETHNICITY_MISSING"
        | "REPORTER_MISSING" => "required",
        "RACE_UNKNOWN" | "ETHNICITY_UNKNOWN" | "RACE_DECLINED" | "RACE_NOT_ASKED" => "incomplete",
        "RACE_CODE_INVALID" | "ETHNICITY_CODE_INVALID" | "LANGUAGE_CODE_INVALID" => "code-invalid",
        "NON_ENGLISH_NO_INTERPRETER"
        | "INTERPRETER_ENGLISH_CONFLICT"
        | "LANGUAGE_TOO_BROAD_FOR_INTERPRETER"
        | "CAREGIVER_NO_LEGAL_GUARDIAN" => "business-rule",
        _ => return None,
    })
}

/// The FHIRPath prefix a finding at canonical `path` must point into.
fn expected_expression_prefix(path: &str) -> String {
    let extension = |url: &str| format!("Patient.extension.where(url='{url}')");
    if path.starts_with("race") {
        extension(US_CORE_RACE)
    } else if path.starts_with("ethnicity") {
        extension(US_CORE_ETHNICITY)
    } else if path.starts_with("language.interpreter_needed") {
        "Patient.extension.where(url='".into()
    } else if path.starts_with("language") {
        "Patient.communication".into()
    } else if path.starts_with("caregivers") {
        "RelatedPerson".into()
    } else if path.starts_with("birth_date") {
        "Patient.birthDate".into()
    } else {
        "Patient".into()
    }
}

/// The OperationOutcome says what the stored result says: one issue per finding, in order,
/// with its rule, severity, message, hint, issue type and element.
fn assert_outcome_matches(outcome: &Value, result: &Value) {
    let findings = result["findings"].as_array().expect("findings");
    let issues = issues(outcome);
    if findings.is_empty() {
        assert_eq!(issues.len(), 1, "{outcome}");
        assert_eq!(issues[0]["severity"], "information");
        assert_eq!(issues[0]["code"], "informational");
        return;
    }
    assert_eq!(issues.len(), findings.len(), "{outcome} vs {result}");
    for (issue, finding) in issues.iter().zip(findings) {
        let rule = finding["rule"].as_str().unwrap();
        assert_eq!(rule_of(issue), Some(rule), "{issue} vs {finding}");
        let severity = match finding["severity"].as_str().unwrap() {
            "info" => "information",
            other => other,
        };
        assert_eq!(issue["severity"], severity, "{issue}");
        assert_eq!(issue["details"]["text"], finding["message"], "{issue}");
        assert_eq!(issue["diagnostics"], finding["hint"], "{issue}");
        if let Some(code) = expected_issue_code(rule) {
            assert_eq!(issue["code"], code, "{issue}");
        }
        let path = finding["path"].as_str().unwrap();
        let prefix = expected_expression_prefix(path);
        assert!(
            expression(issue).starts_with(&prefix),
            "{rule} at {path}: expression {} should start with {prefix}",
            expression(issue)
        );
    }
}

/// Rule IDs of the findings counted against `domain`.
fn rules_in(result: &Value, domain: &str) -> Vec<String> {
    result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["domain"] == domain)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn has_rule(result: &Value, rule: &str) -> bool {
    rules_of(result).iter().any(|r| r == rule)
}

/// The findings with the time-independent fields (for comparing two results).
pub(crate) fn findings_of(result: &Value) -> Vec<Value> {
    result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            json!({
                "rule": f["rule"], "severity": f["severity"], "domain": f["domain"],
                "path": f["path"], "message": f["message"]
            })
        })
        .collect()
}

/// Age in whole years today of a `YYYY-MM-DD` birth date.
fn age_today(birth_date: &str) -> i32 {
    use chrono::Datelike;
    let birth = chrono::NaiveDate::parse_from_str(birth_date, "%Y-%m-%d").expect("a date");
    let today = chrono::Utc::now().date_naive();
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// The resource with an interpreter-needed extension (SNOMED yes/no) appended.
fn with_interpreter(resource: &Value, needed: bool) -> Value {
    let mut variant = resource.clone();
    let code = if needed { "373066001" } else { "373067005" };
    variant["extension"]
        .as_array_mut()
        .expect("extension[]")
        .push(json!({"url": US_CORE_INTERPRETER, "valueCoding": {"system": SNOMED, "code": code}}));
    variant
}

/// A US Core Patient built in code: a minor with complete race, ethnicity and language.
fn patient(id: &str, mrn: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "id": id,
        "identifier": [{
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
            "system": "urn:example:mrn",
            "value": mrn
        }],
        "birthDate": birth_date_for_age(7),
        "extension": [
            {"url": US_CORE_RACE, "extension": [
                {"url": "ombCategory", "valueCoding": {"system": CDCREC, "code": "2028-9", "display": "Asian"}},
                {"url": "detailed", "valueCoding": {"system": CDCREC, "code": "2047-9", "display": "Vietnamese"}},
                {"url": "text", "valueString": "Vietnamese"}
            ]},
            {"url": US_CORE_ETHNICITY, "extension": [
                {"url": "ombCategory", "valueCoding": {"system": CDCREC, "code": "2186-5", "display": "Not Hispanic or Latino"}},
                {"url": "text", "valueString": "Not Hispanic or Latino"}
            ]},
            {"url": US_CORE_INTERPRETER, "valueCoding": {"system": SNOMED, "code": "373066001"}}
        ],
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "vi"}]}, "preferred": true}
        ]
    })
}

fn mother_of(reference: &str) -> Value {
    json!({
        "resourceType": "RelatedPerson",
        "id": "mother",
        "patient": {"reference": reference},
        "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH"}]}],
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "vi"}]}, "preferred": true}
        ]
    })
}

// ---------------------------------------------------------------------------------------
// 1. Synthea: 50 pediatric Patients against their manifest
// ---------------------------------------------------------------------------------------

/// A race or ethnicity answer of the manifest: an OMB code, or a null flavor.
#[derive(Debug, Clone, PartialEq)]
enum Answered {
    Code { system: String, code: String },
    Null(String),
}

impl Answered {
    fn parse(cell: &str) -> Answered {
        let (system, code) = cell.split_once('|').expect("system|code");
        if system.ends_with("NullFlavor") {
            Answered::Null(code.to_string())
        } else {
            Answered::Code {
                system: format!("urn:oid:{system}"),
                code: code.to_string(),
            }
        }
    }

    /// The canonical `CodedAnswer`.
    fn canonical(&self, text: &str) -> Value {
        match self {
            Answered::Code { system, code } => {
                json!({"codes": [{"code": code, "system": system}], "text": text})
            }
            Answered::Null(flavor) => json!({"null_flavor": flavor, "text": text}),
        }
    }
}

#[derive(Debug)]
struct ManifestRow {
    id: String,
    birth_date: String,
    race: Answered,
    race_detailed: String,
    race_text: String,
    ethnicity: Answered,
    ethnicity_detailed: String,
    ethnicity_text: String,
    /// BCP 47 tags, `true` for the preferred one.
    languages: Vec<(String, bool)>,
}

impl ManifestRow {
    /// The language the mapping must pick (the preferred, else the first) and its index.
    fn expected_language(&self) -> (usize, &str) {
        let index = self
            .languages
            .iter()
            .position(|(_, preferred)| *preferred)
            .unwrap_or(0);
        (index, &self.languages[index].0)
    }
}

fn manifest() -> Vec<ManifestRow> {
    let mut reader = csv::ReaderBuilder::new().from_reader(SYNTHEA_MANIFEST.as_bytes());
    let headers = reader.headers().expect("a header row").clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .unwrap_or_else(|| panic!("manifest column {name} in {headers:?}"))
    };
    let (id, birth, race, race_detailed, race_text) = (
        column("id"),
        column("birthDate"),
        column("race_omb(system|code)"),
        column("race_detailed"),
        column("race_text"),
    );
    let (eth, eth_detailed, eth_text, languages) = (
        column("eth_omb(system|code)"),
        column("eth_detailed"),
        column("eth_text"),
        column("languages(bcp47,*=preferred)"),
    );
    reader
        .records()
        .map(|row| {
            let row = row.expect("a CSV row");
            let cell = |i: usize| row.get(i).unwrap_or("").trim().to_string();
            let languages = cell(languages)
                .split([';', ' ', '|'])
                .filter(|t| !t.is_empty())
                .map(
                    |t| match t.strip_suffix('*').or_else(|| t.strip_prefix('*')) {
                        Some(tag) => (tag.to_string(), true),
                        None => (t.to_string(), false),
                    },
                )
                .collect();
            ManifestRow {
                id: cell(id),
                birth_date: cell(birth),
                race: Answered::parse(&cell(race)),
                race_detailed: cell(race_detailed),
                race_text: cell(race_text),
                ethnicity: Answered::parse(&cell(eth)),
                ethnicity_detailed: cell(eth_detailed),
                ethnicity_text: cell(eth_text),
                languages,
            }
        })
        .collect()
}

fn synthea_patients() -> Vec<Value> {
    SYNTHEA_NDJSON
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("each NDJSON line is a JSON resource"))
        .collect()
}

both!(
    synthea_patients_map_exactly_to_their_manifest,
    |app| async move {
        let rows = manifest();
        let patients = synthea_patients();
        assert_eq!(rows.len(), 50, "50 manifest rows");
        assert_eq!(patients.len(), 50, "50 Patients");
        let mut unknown_race = Vec::new();
        for (row, resource) in rows.iter().zip(&patients) {
            assert_eq!(
                resource["id"],
                row.id.as_str(),
                "manifest and NDJSON in the same order"
            );
            assert!(
                row.race_detailed.is_empty() && row.ethnicity_detailed.is_empty(),
                "the corpus has OMB categories only"
            );
            let who = &row.id;
            let (outcome, result, _) = store(&app, resource, &[], 201).await;
            assert_outcome_matches(&outcome, &result);

            // The envelope: the MR identifier (the resource id in Synthea), default unit and source.
            assert_eq!(result["patient_id"], row.id.as_str(), "{who}");
            assert_eq!(result["unit"], "UNASSIGNED", "{who}");
            // No X-Source, no meta.source: the key's name.
            assert_eq!(result["source"], "admin", "{who}");

            // Race: exactly the manifest's OMB category, or unknown for UNK.
            match &row.race {
                Answered::Code { code, .. } => {
                    assert_eq!(result["omb_1997"]["race"], json!([code]), "{who}");
                    assert_eq!(result["domains"]["race"], "complete", "{who}");
                    assert_eq!(rules_in(&result, "race"), Vec::<String>::new(), "{who}");
                }
                Answered::Null(flavor) => {
                    assert_eq!(flavor, "UNK", "{who}");
                    assert_eq!(row.race_text, "Other", "{who}");
                    unknown_race.push(row.id.clone());
                    assert_eq!(result["omb_1997"]["race"], json!([]), "{who}");
                    assert_eq!(result["domains"]["race"], "unknown", "{who}");
                    assert_eq!(rules_in(&result, "race"), ["RACE_UNKNOWN"], "{who}");
                    let issue = issue(&outcome, "RACE_UNKNOWN").expect("a RACE_UNKNOWN issue");
                    assert_eq!(issue["severity"], "warning");
                    assert_eq!(issue["code"], "incomplete");
                    assert_eq!(
                        expression(issue),
                        format!("Patient.extension.where(url='{US_CORE_RACE}')")
                    );
                }
            }
            // Ethnicity: exactly the manifest's category; only categories, so the IOM advice.
            let Answered::Code { code: eth, .. } = &row.ethnicity else {
                panic!("{who}: the corpus has no null ethnicity");
            };
            assert_eq!(result["omb_1997"]["ethnicity"], eth.as_str(), "{who}");
            assert_eq!(result["domains"]["ethnicity"], "complete", "{who}");
            assert_eq!(
                rules_in(&result, "ethnicity"),
                ["GRANULAR_ETHNICITY_MISSING"],
                "{who}"
            );
            assert!(!has_rule(&result, "RACE_HISPANIC_AS_RACE"));
            // Language: a registered tag was mapped (no finding at all on the language);
            // Synthea sends no interpreter need.
            assert_eq!(result["domains"]["language"], "complete", "{who}");
            assert_eq!(rules_in(&result, "language"), Vec::<String>::new(), "{who}");
            assert_eq!(result["domains"]["interpreter"], "missing", "{who}");
            assert_eq!(
                rules_in(&result, "interpreter"),
                ["INTERPRETER_NEED_MISSING"],
                "{who}"
            );
            let need = issue(&outcome, "INTERPRETER_NEED_MISSING").unwrap();
            assert_eq!(
                expression(need),
                format!("Patient.extension.where(url='{US_CORE_INTERPRETER}')")
            );
            // Minors without a RelatedPerson have no caregiver; adults need none.
            let minor = age_today(&row.birth_date) < 18;
            assert_eq!(has_rule(&result, "CAREGIVER_MISSING"), minor, "{who}");
            assert_eq!(result["status"], "incomplete", "{who}");
            assert_eq!(result["real_complete"], false, "{who}");

            // The same answers sent as a canonical record built from the manifest validate
            // to the same result, finding for finding.
            let (index, tag) = row.expected_language();
            let canonical = json!({
                "source": "admin",
                "patient_id": row.id,
                "unit": "UNASSIGNED",
                "recorded_at": result["recorded_at"],
                "birth_date": row.birth_date,
                "race": row.race.canonical(&row.race_text),
                "ethnicity": row.ethnicity.canonical(&row.ethnicity_text),
                "language": {"preferred": tag}
            });
            let response = app.post_json("/v1/validate", &canonical).await;
            assert_eq!(response.status().as_u16(), 200, "{who}");
            let expected: Value = response.json().await.unwrap();
            assert_eq!(findings_of(&result), findings_of(&expected), "{who}");
            for key in ["status", "domains", "real_complete", "omb_1997", "spd15"] {
                assert_eq!(result[key], expected[key], "{who}: {key}");
            }

            // The mapped language, as far as the rules can tell it: with an interpreter
            // needed, English conflicts and zh is too broad; with none, non-English is noted.
            let primary = tag.split('-').next().unwrap().to_ascii_lowercase();
            let needed = validate(&app, &with_interpreter(resource, true)).await;
            assert_eq!(
                issue(&needed, "INTERPRETER_ENGLISH_CONFLICT").is_some(),
                primary == "en",
                "{who}: {tag} with an interpreter: {needed}"
            );
            match issue(&needed, "LANGUAGE_TOO_BROAD_FOR_INTERPRETER") {
                Some(broad) => {
                    assert_eq!(primary, "zh", "{who}: only zh is too broad");
                    let text = broad["details"]["text"].as_str().unwrap();
                    assert!(text.starts_with("zh is a macrolanguage"), "{text}");
                    assert_eq!(
                        expression(broad),
                        format!("Patient.communication[{index}].language")
                    );
                }
                None => assert_ne!(primary, "zh", "{who}: zh needs a specific interpreter"),
            }
            assert!(issue(&needed, "INTERPRETER_NEED_MISSING").is_none());
            let not_needed = validate(&app, &with_interpreter(resource, false)).await;
            match issue(&not_needed, "NON_ENGLISH_NO_INTERPRETER") {
                Some(noted) => {
                    assert_ne!(primary, "en", "{who}");
                    assert_eq!(noted["severity"], "information");
                    assert_eq!(
                        expression(noted),
                        format!("Patient.extension.where(url='{US_CORE_INTERPRETER}')")
                    );
                }
                None => assert_eq!(primary, "en", "{who}: {tag} is not English: {not_needed}"),
            }
        }
        assert_eq!(unknown_race.len(), 3, "3 patients have race UNK");

        // The work lists and the report agree with the manifest.
        let page = app
            .get_json("/v1/records?rule=RACE_UNKNOWN&limit=500", 200)
            .await;
        let mut listed: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["patient_id"].as_str().unwrap().to_string())
            .collect();
        listed.sort();
        unknown_race.sort();
        assert_eq!(listed, unknown_race);
        for rule in [
            "LANGUAGE_CODE_INVALID",
            "LANGUAGE_MISSING",
            "RACE_CODE_INVALID",
        ] {
            let page = app
                .get_json(&format!("/v1/records?rule={rule}&limit=500"), 200)
                .await;
            assert_eq!(page["items"], json!([]), "{rule}");
        }
        let page = app
            .get_json("/v1/records?rule=INTERPRETER_NEED_MISSING&limit=500", 200)
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 50);
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 50);
        let domains = &report["units"][0]["domains"];
        assert_eq!(report["units"][0]["unit"], "UNASSIGNED");
        assert_eq!(domains["race"]["complete"], 47);
        assert_eq!(domains["race"]["unknown"], 3);
        assert_eq!(domains["ethnicity"]["complete"], 50);
        assert_eq!(domains["language"]["complete"], 50);
        assert_eq!(domains["interpreter"]["missing"], 50);
    }
);

// ---------------------------------------------------------------------------------------
// 2. US Core examples
// ---------------------------------------------------------------------------------------

/// What each US Core example says, read from the file itself.
struct UsCore {
    file: &'static str,
    json: &'static str,
    /// The MR identifier's value (the first identifier when none is typed MR).
    patient_id: &'static str,
    birth_date: &'static str,
    /// OMB 1997 race categories, in code order.
    race: &'static [&'static str],
    /// OMB ethnicity.
    ethnicity: &'static str,
    /// Whether a `detailed` race or ethnicity is sent.
    detailed: bool,
    /// The preferred `communication.language`.
    language: Option<&'static str>,
    /// us-core-interpreter-needed.
    interpreter: Option<bool>,
}

/// One row of the table: the file (embedded) and what it says.
macro_rules! uscore {
    ($file:literal, $patient_id:literal, $birth:literal, $race:expr, $eth:expr, $detailed:literal, $language:expr, $interpreter:expr) => {
        UsCore {
            file: $file,
            json: include_str!(concat!("../fixtures/fhir-uscore/", $file)),
            patient_id: $patient_id,
            birth_date: $birth,
            race: $race,
            ethnicity: $eth,
            detailed: $detailed,
            language: $language,
            interpreter: $interpreter,
        }
    };
}

const MULTI: &[&str] = &["1002-5", "2028-9", "2106-3"];
const ASIAN: &[&str] = &["2028-9"];
const ASIAN_WHITE: &[&str] = &["2028-9", "2106-3"];
const WHITE: &[&str] = &["2106-3"];
const HISPANIC: &str = "2135-2";
const NOT_HISPANIC: &str = "2186-5";

/// Read from the files: MULTI = White + AIAN + Asian ombCategory (with detailed Shoshone,
/// Filipino, and ethnicity detailed Dominican, Mexican); only v9-patient-example has a
/// `communication` (es, preferred) and us-core-interpreter-needed (373066001, yes).
#[rustfmt::skip]
const US_CORE: [UsCore; 9] = [
    //      file                                        patient_id  birthDate     race         ethnicity     detailed language    interpreter
    uscore!("patient-example.json",                     "1032702",  "1987-02-20", MULTI,       HISPANIC,     true,    None,       None),
    uscore!("patient-child-example.json",               "1032704",  "2016-01-15", ASIAN,       NOT_HISPANIC, false,   None,       None),
    uscore!("patient-infant-example.json",              "1032703",  "2020-06-02", ASIAN,       NOT_HISPANIC, false,   None,       None),
    uscore!("patient-deceased-example.json",            "55555555", "1937-10-21", ASIAN_WHITE, NOT_HISPANIC, false,   None,       None),
    uscore!("patient-example-targeted-provenance.json", "1032702",  "1987-02-20", WHITE,       HISPANIC,     false,   None,       None),
    uscore!("v9-patient-example.json",                  "1032702",  "1987-02-20", MULTI,       HISPANIC,     true,    Some("es"), Some(true)),
    uscore!("v9-patient-child-example.json",            "1032704",  "2016-01-15", ASIAN,       NOT_HISPANIC, false,   None,       None),
    uscore!("v9-patient-infant-example.json",           "1032703",  "2020-06-02", ASIAN,       NOT_HISPANIC, false,   None,       None),
    uscore!("v9-patient-deceased-example.json",         "55555555", "1937-10-21", ASIAN_WHITE, NOT_HISPANIC, false,   None,       None),
];

both!(
    us_core_examples_validate_and_store_as_the_files_say,
    |app| async move {
        for example in &US_CORE {
            let file = example.file;
            let resource: Value = serde_json::from_str(example.json).expect("the example is JSON");
            assert_eq!(resource["birthDate"], example.birth_date, "{file}");

            let outcome = validate(&app, &resource).await;
            // Each example in its own unit: several share an MRN.
            let unit = file.trim_end_matches(".json");
            let (stored_outcome, result, _) =
                store(&app, &resource, &[("X-Unit", unit)], 201).await;
            assert_eq!(outcome, stored_outcome, "{file}: $validate and store agree");
            assert_outcome_matches(&outcome, &result);

            assert_eq!(result["patient_id"], example.patient_id, "{file}");
            assert_eq!(result["unit"], unit, "{file}");
            assert_eq!(result["omb_1997"]["race"], json!(example.race), "{file}");
            assert_eq!(result["omb_1997"]["ethnicity"], example.ethnicity, "{file}");
            assert_eq!(result["domains"]["race"], "complete", "{file}");
            assert_eq!(result["domains"]["ethnicity"], "complete", "{file}");
            assert_eq!(rules_in(&result, "race"), Vec::<String>::new(), "{file}");
            assert_eq!(
                has_rule(&result, "GRANULAR_ETHNICITY_MISSING"),
                !example.detailed,
                "{file}"
            );
            assert_ne!(result["status"], "invalid", "{file}: {result}");

            match example.language {
                Some(_) => {
                    assert_eq!(result["domains"]["language"], "complete", "{file}");
                    assert_eq!(
                        rules_in(&result, "language"),
                        Vec::<String>::new(),
                        "{file}"
                    );
                }
                None => {
                    assert_eq!(result["domains"]["language"], "missing", "{file}");
                    assert_eq!(
                        rules_in(&result, "language"),
                        ["LANGUAGE_MISSING"],
                        "{file}"
                    );
                    let missing = issue(&outcome, "LANGUAGE_MISSING").unwrap();
                    assert_eq!(missing["code"], "required");
                    assert_eq!(expression(missing), "Patient.communication");
                }
            }
            match example.interpreter {
                Some(_) => {
                    assert_eq!(result["domains"]["interpreter"], "complete", "{file}");
                }
                None => {
                    assert_eq!(result["domains"]["interpreter"], "missing", "{file}");
                    assert_eq!(
                        rules_in(&result, "interpreter"),
                        ["INTERPRETER_NEED_MISSING"],
                        "{file}"
                    );
                }
            }
            let minor = age_today(example.birth_date) < 18;
            assert_eq!(has_rule(&result, "CAREGIVER_MISSING"), minor, "{file}");

            if let (Some(language), Some(true)) = (example.language, example.interpreter) {
                // Spanish with an interpreter: no conflict; the same without one is noted as
                // non-English (so the mapped tag is not English).
                assert_ne!(language, "en");
                assert!(issue(&outcome, "INTERPRETER_ENGLISH_CONFLICT").is_none());
                assert!(issue(&outcome, "LANGUAGE_TOO_BROAD_FOR_INTERPRETER").is_none());
                let mut no = resource.clone();
                for extension in no["extension"].as_array_mut().unwrap() {
                    if extension["url"] == US_CORE_INTERPRETER {
                        extension["valueCoding"]["code"] = json!("373067005");
                    }
                }
                let not_needed = validate(&app, &no).await;
                let noted = issue(&not_needed, "NON_ENGLISH_NO_INTERPRETER")
                    .expect("Spanish without an interpreter is noted");
                assert_eq!(
                    expression(noted),
                    format!("Patient.extension.where(url='{US_CORE_INTERPRETER}')")
                );
                // Adult, every REaL domain answered, no error: complete.
                assert!(!minor);
                assert_eq!(result["status"], "complete", "{file}: {result}");
                assert_eq!(result["real_complete"], true, "{file}");
            }
        }
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 9);
    }
);

both!(
    us_core_examples_sharing_an_mrn_in_one_unit_are_one_patient,
    |app| async move {
        let example: Value = serde_json::from_str(US_CORE[0].json).unwrap();
        let provenance: Value = serde_json::from_str(US_CORE[4].json).unwrap();
        let (_, first, first_location) = store(&app, &example, &[], 201).await;
        // Same MRN, source and unit, received later: 200, and it is the current state.
        let (_, second, second_location) = store(&app, &provenance, &[], 200).await;
        assert_ne!(first_location, second_location);
        assert_eq!(first["patient_id"], second["patient_id"]);
        let page = app.get_json("/v1/records", 200).await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["omb_1997"]["race"], json!(["2106-3"]));
    }
);

// ---------------------------------------------------------------------------------------
// 3. Bundles, errors and the OperationOutcome contract
// ---------------------------------------------------------------------------------------

both!(
    a_message_bundle_is_read_like_a_collection,
    |app| async move {
        // A FHIR message (Bundle.type `message`): its MessageHeader first, then resources.
        let bundle = json!({
            "resourceType": "Bundle",
            "type": "message",
            "timestamp": "2026-11-20T14:03:00Z",
            "entry": [
                {"fullUrl": "urn:uuid:0d6f1a52-0000-4000-8000-000000000001",
                 "resource": {"resourceType": "MessageHeader",
                              "eventCoding": {"system": "http://example.org/events", "code": "admit"},
                              "source": {"endpoint": "http://example.org/ehr"},
                              "focus": [{"reference": "urn:uuid:0d6f1a52-0000-4000-8000-000000000002"}]}},
                {"fullUrl": "urn:uuid:0d6f1a52-0000-4000-8000-000000000002",
                 "resource": patient("pm", "MRN-M")},
                {"resource": mother_of("urn:uuid:0d6f1a52-0000-4000-8000-000000000002")}
            ]
        });
        let answer = post(&app, "/fhir", &bundle).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["type"], "batch-response");
        assert_eq!(statuses(&answer.body), ["200 OK", "201 Created", "200 OK"]);
        let header = &answer.body["entry"][0]["response"]["outcome"]["issue"][0];
        assert!(header["diagnostics"]
            .as_str()
            .unwrap()
            .contains("MessageHeader"));
        let page = app.get_json("/v1/records", 200).await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["patient_id"], "MRN-M");
        assert_eq!(items[0]["domains"]["caregivers"], "complete");
    }
);

both!(
    a_batch_bundle_answers_every_entry_in_order,
    |app| async move {
        let bundle = json!({
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [
                {"fullUrl": "urn:uuid:6f1c0c2e-0000-4000-8000-00000000000a", "resource": patient("pa", "MRN-A"),
                 "request": {"method": "POST", "url": "Patient"}},
                {"fullUrl": "urn:uuid:6f1c0c2e-0000-4000-8000-00000000000b", "resource": patient("pb", "MRN-B"),
                 "request": {"method": "POST", "url": "Patient"}},
                {"resource": mother_of("Patient/pa")},
                {"resource": mother_of("Patient/nobody")},
                {"resource": {"resourceType": "Observation", "status": "final",
                              "code": {"text": "weight"}, "subject": {"reference": "Patient/pa"}}}
            ]
        });
        let answer = post(&app, "/fhir", &bundle).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_fhir(&answer);
        assert_eq!(answer.body["resourceType"], "Bundle");
        assert_eq!(answer.body["type"], "batch-response");
        let entries = answer.body["entry"].as_array().unwrap();
        assert_eq!(
            statuses(&answer.body),
            [
                "201 Created",
                "201 Created",
                "200 OK",
                "422 Unprocessable Entity",
                "200 OK"
            ]
        );
        for entry in entries {
            assert_well_formed(&entry["response"]["outcome"]);
        }
        // The caregiver entry names its Patient entry; the orphan points at its reference.
        let caregiver = &entries[2]["response"]["outcome"]["issue"][0];
        assert_eq!(caregiver["severity"], "information");
        assert!(caregiver["diagnostics"]
            .as_str()
            .unwrap()
            .contains("entry 0"));
        let orphan = &entries[3]["response"]["outcome"]["issue"][0];
        assert_eq!(orphan["severity"], "error");
        assert_eq!(orphan["code"], "invalid");
        assert_eq!(orphan["expression"], json!(["RelatedPerson.patient"]));
        let ignored = &entries[4]["response"]["outcome"]["issue"][0];
        assert_eq!(ignored["severity"], "information");
        assert!(ignored["diagnostics"]
            .as_str()
            .unwrap()
            .contains("Observation"));
        assert!(entries[2]["response"].get("location").is_none());

        // Patient A has its mother as caregiver; B has none.
        let location_a = entries[0]["response"]["location"].as_str().unwrap();
        let location_b = entries[1]["response"]["location"].as_str().unwrap();
        assert_ne!(location_a, location_b);
        let a = app.get_json(location_a, 200).await;
        let b = app.get_json(location_b, 200).await;
        assert_outcome_matches(&entries[0]["response"]["outcome"], &a);
        assert_outcome_matches(&entries[1]["response"]["outcome"], &b);
        assert_eq!(a["patient_id"], "MRN-A");
        assert_eq!(b["patient_id"], "MRN-B");
        assert!(!has_rule(&a, "CAREGIVER_MISSING"), "{a}");
        assert_eq!(a["domains"]["caregivers"], "complete");
        assert!(
            !has_rule(&a, "CAREGIVER_RELATIONSHIP_INVALID"),
            "MTH is table 0063"
        );
        // The mother's language (vi) was mapped and is valid; RelatedPerson carries no
        // interpreter need, so that is what the caregiver language lacks.
        let caregiver_paths: Vec<(&str, &str)> = a["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["domain"] == "caregiver_language")
            .map(|f| (f["rule"].as_str().unwrap(), f["path"].as_str().unwrap()))
            .collect();
        assert_eq!(
            caregiver_paths,
            [(
                "INTERPRETER_NEED_MISSING",
                "caregivers[0].language.interpreter_needed"
            )]
        );
        assert_eq!(a["domains"]["caregiver_language"], "missing");
        let caregiver_issue = issues(&entries[0]["response"]["outcome"])
            .iter()
            .filter(|i| rule_of(i) == Some("INTERPRETER_NEED_MISSING"))
            .map(expression)
            .collect::<Vec<_>>();
        assert_eq!(
            caregiver_issue,
            ["RelatedPerson"],
            "the caregiver issue points at the RelatedPerson"
        );
        assert!(has_rule(&b, "CAREGIVER_MISSING"));
        assert_eq!(b["domains"]["caregivers"], "missing");
        // The patients' own answers are complete.
        for result in [&a, &b] {
            for domain in ["race", "ethnicity", "language", "interpreter"] {
                assert_eq!(result["domains"][domain], "complete", "{domain}: {result}");
            }
            assert_eq!(result["omb_1997"]["race"], json!(["2028-9"]));
            assert_eq!(result["omb_1997"]["ethnicity"], "2186-5");
        }
        let page = app.get_json("/v1/records", 200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 2);

        // The same Bundle again: nothing new.
        let again = post(&app, "/fhir", &bundle).await;
        let answered = statuses(&again.body);
        assert_eq!(answered[..2], ["200 OK", "200 OK"]);
    }
);

both!(
    a_related_person_may_reference_the_patient_by_full_url,
    |app| async move {
        for kind in ["transaction", "collection", "searchset"] {
            let full_url = format!("urn:uuid:00000000-0000-4000-8000-{:0>12}", kind.len());
            let mrn = format!("MRN-{kind}");
            let bundle = json!({
                "resourceType": "Bundle",
                "type": kind,
                "entry": [
                    {"resource": mother_of(&full_url)},
                    {"fullUrl": full_url, "resource": patient("x", &mrn)}
                ]
            });
            let answer = post(&app, "/fhir", &bundle).await;
            assert_eq!(answer.status, 200, "{kind}: {}", answer.body);
            let entries = answer.body["entry"].as_array().unwrap();
            assert_eq!(entries.len(), 2);
            assert_eq!(entries[0]["response"]["status"], "200 OK", "{kind}");
            assert_eq!(entries[1]["response"]["status"], "201 Created", "{kind}");
            let result = app
                .get_json(entries[1]["response"]["location"].as_str().unwrap(), 200)
                .await;
            assert!(!has_rule(&result, "CAREGIVER_MISSING"), "{kind}: {result}");
        }
    }
);

both!(
    bundles_and_bodies_that_are_not_read_get_an_operation_outcome,
    |app| async move {
        // A document Bundle is not a batch of Patients.
        let document = json!({"resourceType": "Bundle", "type": "document",
                              "entry": [{"resource": patient("pa", "MRN-A")}]});
        let answer = post(&app, "/fhir", &document).await;
        assert_eq!(answer.status, 422);
        assert_fhir(&answer);
        assert_well_formed(&answer.body);
        assert_eq!(answer.body["issue"][0]["severity"], "error");
        assert_eq!(
            answer.body["issue"][0]["expression"],
            json!(["Bundle.type"])
        );
        // A Patient to /fhir is not a Bundle.
        let answer = post(&app, "/fhir", &patient("pa", "MRN-A")).await;
        assert_eq!(answer.status, 422);
        assert_eq!(answer.body["issue"][0]["code"], "invalid");

        // Not JSON: 400 on every endpoint.
        for path in ["/fhir/Patient", "/fhir/Patient/$validate", "/fhir"] {
            let answer = post_with(&app, path, "{\"resourceType\": \"Patient\",", &[]).await;
            assert_eq!(answer.status, 400, "{path}: {}", answer.body);
            assert_fhir(&answer);
            assert_well_formed(&answer.body);
            assert_eq!(answer.body["issue"][0]["severity"], "error");
            assert_eq!(answer.body["issue"][0]["code"], "invalid");
        }
        // Not a FHIR media type: 415.
        let response = app
            .post_raw(
                "/fhir/Patient",
                "text/plain",
                patient("pa", "MRN-A").to_string(),
            )
            .await;
        assert_eq!(response.status().as_u16(), 415);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["issue"][0]["code"], "not-supported");

        // An Observation is not a Patient: 422 with an `invalid` issue, nothing stored.
        let observation = json!({"resourceType": "Observation", "status": "final",
                                 "code": {"text": "weight"}});
        for path in ["/fhir/Patient", "/fhir/Patient/$validate"] {
            let answer = post(&app, path, &observation).await;
            assert_eq!(answer.status, 422, "{path}");
            assert_fhir(&answer);
            assert_well_formed(&answer.body);
            assert!(answer.location.is_none());
            let issue = &answer.body["issue"][0];
            assert_eq!(issue["severity"], "error");
            assert_eq!(issue["code"], "invalid");
            assert!(issue["diagnostics"]
                .as_str()
                .unwrap()
                .contains("Observation"));
        }
        // A Patient with no identifier and no id cannot be a record: `required`.
        let mut anonymous = patient("pa", "MRN-A");
        let object = anonymous.as_object_mut().unwrap();
        object.remove("identifier");
        object.remove("id");
        let answer = post(&app, "/fhir/Patient", &anonymous).await;
        assert_eq!(answer.status, 422, "{}", answer.body);
        let issue = &answer.body["issue"][0];
        assert_eq!(issue["code"], "required");
        assert_eq!(issue["expression"], json!(["Patient.identifier"]));
        let page = app.get_json("/v1/records", 200).await;
        assert_eq!(page["items"], json!([]));
    }
);

both!(
    unknown_extensions_and_elements_are_ignored,
    |app| async move {
        let first = synthea_patients().remove(0);
        for base in [first, patient("pa", "MRN-A")] {
            let mut extended = base.clone();
            extended["extension"].as_array_mut().unwrap().push(json!(
                {"url": "http://example.org/fhir/StructureDefinition/favourite-colour",
                 "valueString": "green"}
            ));
            // An unknown sub-extension inside us-core-race, after the known ones.
            extended["extension"][0]["extension"]
                .as_array_mut()
                .unwrap()
                .push(json!({"url": "http://example.org/unknown-part", "valueString": "x"}));
            extended["unknownElement"] = json!({"deeply": ["nested", 1, true]});
            extended["_birthDate"] = json!({"id": "bd"});
            let plain = validate(&app, &base).await;
            let with_unknowns = validate(&app, &extended).await;
            assert_eq!(plain, with_unknowns);
        }
    }
);

both!(
    validate_accepts_a_parameters_wrapper_and_stores_nothing,
    |app| async move {
        let resource = patient("pa", "MRN-A");
        let bare = validate(&app, &resource).await;
        let wrapped = json!({"resourceType": "Parameters",
                             "parameter": [{"name": "mode", "valueCode": "create"},
                                           {"name": "resource", "resource": resource}]});
        assert_eq!(validate(&app, &wrapped).await, bare);
        let page = app.get_json("/v1/records", 200).await;
        assert_eq!(page["items"], json!([]));
    }
);

both!(headers_set_the_unit_and_source, |app| async move {
    let mut resource = patient("pa", "MRN-A");
    resource["managingOrganization"] = json!({"reference": "Organization/1", "display": "PEDS"});
    let (_, result, _) = store(
        &app,
        &resource,
        &[("X-Unit", "NICU"), ("X-Source", "epic-fhir")],
        201,
    )
    .await;
    assert_eq!(result["unit"], "NICU");
    assert_eq!(result["source"], "epic-fhir");
    // Without the header, the managing organization's display is the unit.
    let (_, result, _) = store(&app, &resource, &[], 201).await;
    assert_eq!(result["unit"], "PEDS");
    // Without X-Source or meta.source, the source is the name of the key that posted it.
    assert_eq!(result["source"], "admin");
    let report = app.report("?unit=NICU").await;
    assert_eq!(report["total"]["patients"], 1);
});

both!(reposting_the_same_patient_answers_200, |app| async move {
    // With meta.lastUpdated the resource is the same record: same Location.
    let mut dated = patient("pa", "MRN-A");
    dated["meta"] = json!({"lastUpdated": crate::helpers::days_ago(1)});
    let (_, _, first) = store(&app, &dated, &[], 201).await;
    let (_, _, second) = store(&app, &dated, &[], 200).await;
    assert_eq!(first, second, "an identical dated resource is a duplicate");
    // Without it, each post is received at another time; still one patient.
    let undated = patient("pb", "MRN-B");
    store(&app, &undated, &[], 201).await;
    store(&app, &undated, &[], 200).await;
    let page = app.get_json("/v1/records", 200).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let report = app.report("").await;
    assert_eq!(report["total"]["patients"], 2);
});

both!(
    an_invalid_race_code_points_at_its_coding,
    |app| async move {
        let mut resource = patient("pa", "MRN-A");
        // us-core-race: [text, ombCategory 2028-9, detailed 2047-8 (bad check digit)].
        resource["extension"][0]["extension"] = json!([
            {"url": "text", "valueString": "Vietnamese"},
            {"url": "ombCategory", "valueCoding": {"system": CDCREC, "code": "2028-9"}},
            {"url": "detailed", "valueCoding": {"system": CDCREC, "code": "2047-8"}}
        ]);
        let outcome = validate(&app, &resource).await;
        let invalid = issue(&outcome, "RACE_CODE_INVALID").expect("a RACE_CODE_INVALID issue");
        assert_eq!(
            invalid["details"]["coding"],
            json!([{"system": RULE_SYSTEM, "code": "RACE_CODE_INVALID"}])
        );
        assert_eq!(invalid["severity"], "error");
        assert_eq!(invalid["code"], "code-invalid");
        assert_eq!(
            invalid["expression"],
            json!([format!(
                "Patient.extension.where(url='{US_CORE_RACE}').extension[2].valueCoding"
            )])
        );
        // Stored, the record is invalid in the race domain, and says so the same way.
        let (stored, result, _) = store(&app, &resource, &[], 201).await;
        assert_eq!(stored, outcome);
        assert_outcome_matches(&stored, &result);
        assert_eq!(result["status"], "invalid");
        assert_eq!(result["domains"]["race"], "invalid");
        let finding = result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "RACE_CODE_INVALID")
            .unwrap();
        assert_eq!(finding["path"], "race.codes[1].code");
        // An ethnicity code in the wrong question is reported on its own coding too.
        let mut swapped = patient("pa", "MRN-A");
        swapped["extension"][1]["extension"] = json!([
            {"url": "ombCategory", "valueCoding": {"system": CDCREC, "code": "2186-5"}},
            {"url": "ombCategory", "valueCoding": {"system": CDCREC, "code": "2106-3"}}
        ]);
        let outcome = validate(&app, &swapped).await;
        let race_code = issue(&outcome, "ETHNICITY_RACE_CODE").expect("ETHNICITY_RACE_CODE");
        assert_eq!(
            expression(race_code),
            format!("Patient.extension.where(url='{US_CORE_ETHNICITY}').extension[1].valueCoding")
        );
    }
);

both!(a_transaction_is_all_or_nothing, |app| async move {
    // Entry 1 has no identifier and no id (not a record); entry 2 is a RelatedPerson of a
    // Patient that is not in the Bundle. The good Patient of entry 0 is not stored either.
    let mut nameless = patient("", "");
    nameless.as_object_mut().unwrap().remove("identifier");
    nameless.as_object_mut().unwrap().remove("id");
    let failing = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": patient("t1", "MRN-T1")},
        {"resource": nameless},
        {"resource": mother_of("Patient/elsewhere")}
    ]});
    let answer = post(&app, "/fhir", &failing).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_fhir(&answer);
    assert_eq!(answer.body["resourceType"], "OperationOutcome");
    let located: Vec<&str> = issues(&answer.body).iter().map(expression).collect();
    assert_eq!(
        located,
        [
            "Bundle.entry[1].resource.identifier",
            "Bundle.entry[2].resource.patient"
        ],
        "{}",
        answer.body
    );
    assert!(issues(&answer.body)
        .iter()
        .all(|i| i["severity"] == "error"));
    let page = app.get_json("/v1/records", 200).await;
    assert_eq!(
        page["items"],
        json!([]),
        "nothing of a failed transaction is stored"
    );

    // The same Patient with its mother and without the bad entries: all stored.
    let good = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": patient("t1", "MRN-T1")},
        {"resource": mother_of("Patient/t1")}
    ]});
    let answer = post(&app, "/fhir", &good).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["type"], "transaction-response");
    let answered = statuses(&answer.body);
    assert_eq!(answered, ["201 Created", "200 OK"]);
    let location = answer.body["entry"][0]["response"]["location"]
        .as_str()
        .unwrap();
    let result = app.get_json(location, 200).await;
    assert_eq!(result["patient_id"], "MRN-T1");
    assert!(!has_rule(&result, "CAREGIVER_MISSING"), "{result}");

    // A batch with the same bad entries still stores its good one.
    let batch = json!({"resourceType": "Bundle", "type": "batch",
            "entry": failing["entry"].clone()});
    let answer = post(&app, "/fhir", &batch).await;
    assert_eq!(answer.status, 200);
    let answered = statuses(&answer.body);
    assert_eq!(
        answered,
        [
            "200 OK",
            "422 Unprocessable Entity",
            "422 Unprocessable Entity"
        ]
    );
});

both!(
    a_large_transaction_is_stored_in_passes_that_see_each_other,
    |app| async move {
        // 2,100 Patients cross the store's 2,000-record pass inside the one transaction;
        // the last entry is the first patient again, with another birth date.
        let mut entries: Vec<Value> = (0..2100)
            .map(|i| json!({"resource": patient(&format!("p{i}"), &format!("MRN-L{i}"))}))
            .collect();
        let mut again = patient("p0-again", "MRN-L0");
        again["birthDate"] = json!(birth_date_for_age(8));
        entries[2099] = json!({"resource": again});
        let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": entries});
        let answer = post(&app, "/fhir", &bundle).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let answered = answer.body["entry"].as_array().unwrap();
        assert_eq!(answered.len(), 2100);
        assert_eq!(answered[0]["response"]["status"], "201 Created");
        assert_eq!(answered[2098]["response"]["status"], "201 Created");
        assert_eq!(answered[2099]["response"]["status"], "200 OK");
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 2099);
        let latest = app
            .get_json(
                answered[2099]["response"]["location"].as_str().unwrap(),
                200,
            )
            .await;
        assert_eq!(latest["patient_id"], "MRN-L0");
    }
);

both!(
    a_batch_entry_whose_write_fails_gets_its_own_error_and_a_transaction_stores_nothing,
    |app| async move {
        // The database refuses one patient's row. In a batch Bundle the chunk's
        // transaction fails, its Patients are stored one by one, and only that entry says
        // so; a transaction Bundle is all or nothing, and stores none of its Patients.
        crate::stages::refuse_writes_of(&app, "MRN-POISON");
        let batch = json!({"resourceType": "Bundle", "type": "batch", "entry": [
            {"resource": patient("w1", "MRN-W1")},
            {"resource": patient("w2", "MRN-POISON")},
            {"resource": patient("w3", "MRN-W3")}
        ]});
        let answer = post(&app, "/fhir", &batch).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(
            statuses(&answer.body),
            ["201 Created", "500 Internal Server Error", "201 Created"]
        );
        let failed = &answer.body["entry"][1]["response"]["outcome"];
        assert_eq!(failed["resourceType"], "OperationOutcome");
        assert_eq!(failed["issue"][0]["code"], "exception", "{failed}");
        assert!(!failed.to_string().contains("MRN-POISON"), "{failed}");
        assert_eq!(app.report("").await["total"]["patients"], 2);

        let transaction = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"resource": patient("t4", "MRN-T4")},
            {"resource": patient("t5", "MRN-POISON")}
        ]});
        let answer = post(&app, "/fhir", &transaction).await;
        assert_eq!(answer.status, 500, "{}", answer.body);
        assert_eq!(answer.body["resourceType"], "OperationOutcome");
        assert_eq!(
            app.report("").await["total"]["patients"],
            2,
            "nothing of the transaction is stored"
        );

        crate::stages::allow_writes(&app);
        let answer = post(&app, "/fhir", &transaction).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(statuses(&answer.body), ["201 Created", "201 Created"]);
        assert_eq!(app.report("").await["total"]["patients"], 4);
    }
);

// ---------------------------------------------------------------------------------------
// 5. FHIR Bulk NDJSON (`POST /fhir/Patient/$import`)
// ---------------------------------------------------------------------------------------

const FHIR_NDJSON: &str = "application/fhir+ndjson";

/// Posts a Bulk NDJSON body; asserts 200 and the media type; returns the answer lines.
pub(crate) async fn import(app: &TestApp, lines: &[String]) -> Vec<Value> {
    let body = lines.join("\n") + "\n";
    let response = app
        .post_raw("/fhir/Patient/$import", FHIR_NDJSON, body)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with(FHIR_NDJSON));
    let text = response.text().await.unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("each answer line is JSON"))
        .collect()
}

pub(crate) fn line_statuses(answers: &[Value]) -> Vec<(u64, String)> {
    answers
        .iter()
        .map(|a| {
            (
                a["line"].as_u64().unwrap(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

both!(
    a_bulk_ndjson_file_is_answered_line_by_line,
    |app| async move {
        let lines = vec![
            patient("b1", "MRN-B1").to_string(),
            mother_of("Patient/b1").to_string(),
            String::new(),
            patient("b2", "MRN-B2").to_string(),
            json!({"resourceType": "Observation", "status": "final", "code": {"text": "weight"}})
                .to_string(),
            mother_of("Patient/b1").to_string(),
            "not json".to_string(),
            "[1, 2]".to_string(),
            // No identifier and no id: not a record.
            json!({"resourceType": "Patient", "birthDate": "2019-01-01"}).to_string(),
            // A lone surrogate in an element real-dq does not read: read leniently, stored.
            r#"{"resourceType": "Patient", "identifier": [{"value": "MRN-B4"}], "name": [{"text": "\ud800"}]}"#.to_string(),
        ];
        let answers = import(&app, &lines).await;
        assert_eq!(
            line_statuses(&answers),
            [
                (1, "201 Created".to_string()),
                (2, "200 OK".to_string()),
                (4, "201 Created".to_string()),
                (5, "200 OK".to_string()),
                (6, "422 Unprocessable Entity".to_string()),
                (7, "400 Bad Request".to_string()),
                (8, "422 Unprocessable Entity".to_string()),
                (9, "422 Unprocessable Entity".to_string()),
                (10, "201 Created".to_string()),
            ]
        );
        for answer in &answers {
            assert_eq!(
                answer["outcome"]["resourceType"], "OperationOutcome",
                "{answer}"
            );
        }
        assert!(answers[1]["outcome"]["issue"][0]["diagnostics"]
            .as_str()
            .unwrap()
            .contains("line 1"));
        assert_eq!(
            answers[4]["outcome"]["issue"][0]["expression"],
            json!(["RelatedPerson.patient"])
        );
        // The first Patient has its mother as caregiver; the second has none.
        let first = app
            .get_json(answers[0]["location"].as_str().unwrap(), 200)
            .await;
        let second = app
            .get_json(answers[2]["location"].as_str().unwrap(), 200)
            .await;
        assert_eq!(first["patient_id"], "MRN-B1");
        assert_eq!(first["domains"]["caregivers"], "complete");
        assert!(has_rule(&second, "CAREGIVER_MISSING"), "{second}");
        // Posting the same file again stores nothing new.
        let again = import(&app, &lines).await;
        assert_eq!(again[0]["status"], "200 OK");
        let page = app.get_json("/v1/records", 200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 3);
    }
);

both!(
    a_patient_and_its_related_persons_are_never_split_between_chunks,
    |settings: &mut real_dq::config::Settings| settings.batch_chunk = 2,
    |app| async move {
        let mut lines = vec![patient("c1", "MRN-C1").to_string()];
        for n in 0..3 {
            let mut person = mother_of("Patient/c1");
            person["id"] = json!(format!("m{n}"));
            lines.push(person.to_string());
        }
        lines.push(patient("c2", "MRN-C2").to_string());
        let answers = import(&app, &lines).await;
        let statuses: Vec<String> = line_statuses(&answers)
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(
            statuses,
            ["201 Created", "200 OK", "200 OK", "200 OK", "201 Created"]
        );
        let first = app
            .get_json(answers[0]["location"].as_str().unwrap(), 200)
            .await;
        assert_eq!(first["domains"]["caregivers"], "complete");
        assert!(!has_rule(&first, "CAREGIVER_MISSING"), "{first}");
    }
);

both!(a_bulk_import_wants_its_media_type, |app| async move {
    let response = app
        .post_raw(
            "/fhir/Patient/$import",
            "application/fhir+json",
            patient("d1", "MRN-D1").to_string(),
        )
        .await;
    assert_eq!(response.status().as_u16(), 415);
    let page = app.get_json("/v1/records", 200).await;
    assert!(page["items"].as_array().unwrap().is_empty());
});

both!(
    a_patient_sent_again_without_last_updated_is_a_duplicate,
    |app| async move {
        // No meta.lastUpdated: real-dq takes the time of receipt, which differs each time.
        let resource = patient("r1", "MRN-R1");
        assert!(resource.get("meta").is_none());
        let (_, first, first_location) = store(&app, &resource, &[], 201).await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let (_, _, second_location) = store(&app, &resource, &[], 200).await;
        assert_eq!(
            first_location, second_location,
            "the same record, not a new version"
        );
        // Through a Bundle and Bulk NDJSON too.
        let bundle = json!({"resourceType": "Bundle", "type": "batch",
                            "entry": [{"resource": resource.clone()}]});
        let answer = post(&app, "/fhir", &bundle).await;
        assert_eq!(
            answer.body["entry"][0]["response"]["location"],
            json!(first_location)
        );
        let lines = import(&app, &[resource.to_string()]).await;
        assert_eq!(lines[0]["location"], json!(first_location));
        let page = app.get_json("/v1/records", 200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["items"][0]["id"], first["id"]);
        // A change is a new version.
        let mut changed = resource.clone();
        changed["birthDate"] = json!(birth_date_for_age(8));
        let (_, _, third_location) = store(&app, &changed, &[], 200).await;
        assert_ne!(third_location, first_location);
    }
);
