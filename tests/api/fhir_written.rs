//! FHIR feeds as files: the public Synthea Bulk export through `$import`, and the FHIR
//! samples written for real-dq (tests/fixtures/fhir-written, provenance in
//! tests/fixtures/SOURCES.md): a Bulk NDJSON export with Patients and their RelatedPersons,
//! and a `message` Bundle. Each line or entry has its expected answer and, for the stored
//! Patients, the exact findings, on SQLite and PostgreSQL.

use serde_json::{json, Value};

use crate::both;
use crate::fhir::{findings_of, import, line_statuses, post, statuses, validate, SYNTHEA_NDJSON};
use crate::helpers::TestApp;

const BULK_EXPORT: &str = include_str!("../fixtures/fhir-written/bulk-export-01.ndjson");
const MESSAGE_ADMIT: &str = include_str!("../fixtures/fhir-written/message-admit-01.json");

/// What one stored Patient must be.
struct Stored {
    patient_id: &'static str,
    race: &'static [&'static str],
    ethnicity: Option<&'static str>,
    /// Every domain's status.
    domains: &'static [(&'static str, &'static str)],
    /// Every finding, as (rule, path), in the result's order.
    findings: &'static [(&'static str, &'static str)],
}

/// One line of a Bulk file: its number, its status, and for a stored Patient the record.
struct BulkLine {
    line: u64,
    status: &'static str,
    stored: Option<Stored>,
}

const REPORTERS: [(&str, &str); 2] = [
    ("REPORTER_MISSING", "race.reported_by"),
    ("REPORTER_MISSING", "ethnicity.reported_by"),
];

/// bulk-export-01.ndjson, line by line.
const BULK_EXPORT_LINES: &[BulkLine] = &[
    // A child: Black (detailed African), not Hispanic, English, no interpreter; the mother
    // (v3 MTH) speaks English but her interpreter need is not sent.
    BulkLine {
        line: 1,
        status: "201 Created",
        stored: Some(Stored {
            patient_id: "W-1001",
            race: &["2054-5"],
            ethnicity: Some("2186-5"),
            domains: &[
                ("race", "complete"),
                ("ethnicity", "complete"),
                ("language", "complete"),
                ("interpreter", "complete"),
                ("caregivers", "complete"),
                ("caregiver_language", "missing"),
            ],
            findings: &[
                (
                    "INTERPRETER_NEED_MISSING",
                    "caregivers[0].language.interpreter_needed",
                ),
                ("CAREGIVER_NO_LEGAL_GUARDIAN", "caregivers"),
                REPORTERS[0],
                REPORTERS[1],
            ],
        }),
    },
    BulkLine {
        line: 2,
        status: "200 OK",
        stored: None,
    },
    // An infant: race sent as the text "Asian" only (mapped by the default race map),
    // Hispanic, Spanish with an interpreter; a foster father (v3 FTHFOST) and a
    // grandmother (v3 GRMTH), both mapped to table 0063.
    BulkLine {
        line: 3,
        status: "201 Created",
        stored: Some(Stored {
            patient_id: "W-1002",
            race: &["2028-9"],
            ethnicity: Some("2135-2"),
            domains: &[
                ("race", "complete"),
                ("ethnicity", "complete"),
                ("language", "complete"),
                ("interpreter", "complete"),
                ("caregivers", "complete"),
                ("caregiver_language", "missing"),
            ],
            findings: &[
                ("CODE_MAPPED", "race.text"),
                ("CODE_MAPPED", "caregivers[0].relationship"),
                ("CODE_MAPPED", "caregivers[1].relationship"),
                ("GRANULAR_ETHNICITY_MISSING", "ethnicity.codes"),
                (
                    "INTERPRETER_NEED_MISSING",
                    "caregivers[0].language.interpreter_needed",
                ),
                (
                    "INTERPRETER_NEED_MISSING",
                    "caregivers[1].language.interpreter_needed",
                ),
                ("CAREGIVER_NO_LEGAL_GUARDIAN", "caregivers"),
                REPORTERS[0],
                REPORTERS[1],
            ],
        }),
    },
    BulkLine {
        line: 4,
        status: "200 OK",
        stored: None,
    },
    BulkLine {
        line: 5,
        status: "200 OK",
        stored: None,
    },
    // An Observation: ignored.
    BulkLine {
        line: 6,
        status: "200 OK",
        stored: None,
    },
    // An adult whose wife is an emergency contact (v2-0131 `C`): no caregiver-language or
    // guardian findings, and the caregiver domains count only the patients they are
    // required of.
    BulkLine {
        line: 7,
        status: "201 Created",
        stored: Some(Stored {
            patient_id: "W-1003",
            race: &["2106-3"],
            ethnicity: Some("2186-5"),
            domains: &[
                ("race", "complete"),
                ("ethnicity", "complete"),
                ("language", "complete"),
                ("interpreter", "complete"),
                ("caregivers", "complete"),
                ("caregiver_language", "complete"),
            ],
            findings: &[
                ("CODE_MAPPED", "caregivers[0].relationship"),
                ("GRANULAR_ETHNICITY_MISSING", "ethnicity.codes"),
                REPORTERS[0],
                REPORTERS[1],
            ],
        }),
    },
    BulkLine {
        line: 8,
        status: "200 OK",
        stored: None,
    },
    // A RelatedPerson of a Patient on no line before it.
    BulkLine {
        line: 9,
        status: "422 Unprocessable Entity",
        stored: None,
    },
    // A child: race as a text no map knows ("Mixed"), no ethnicity, language as text only
    // ("English", mapped); a caregiver without any relationship.
    BulkLine {
        line: 10,
        status: "201 Created",
        stored: Some(Stored {
            patient_id: "W-1004",
            race: &[],
            ethnicity: None,
            domains: &[
                ("race", "missing"),
                ("ethnicity", "missing"),
                ("language", "complete"),
                ("interpreter", "complete"),
                ("caregivers", "complete"),
                ("caregiver_language", "missing"),
            ],
            findings: &[
                ("CODE_MAPPED", "language.preferred"),
                ("RACE_TEXT_ONLY", "race.text"),
                ("ETHNICITY_MISSING", "ethnicity"),
                (
                    "CAREGIVER_RELATIONSHIP_MISSING",
                    "caregivers[0].relationship",
                ),
                (
                    "INTERPRETER_NEED_MISSING",
                    "caregivers[0].language.interpreter_needed",
                ),
                ("CAREGIVER_NO_LEGAL_GUARDIAN", "caregivers"),
            ],
        }),
    },
    BulkLine {
        line: 11,
        status: "200 OK",
        stored: None,
    },
];

/// Asserts a stored result is `expected`, finding for finding.
fn assert_stored(result: &Value, expected: &Stored) {
    let who = expected.patient_id;
    assert_eq!(result["patient_id"], who);
    assert_eq!(result["omb_1997"]["race"], json!(expected.race), "{who}");
    assert_eq!(
        result["omb_1997"]["ethnicity"],
        json!(expected.ethnicity),
        "{who}"
    );
    let domains: serde_json::Map<String, Value> = expected
        .domains
        .iter()
        .map(|(domain, status)| (domain.to_string(), json!(status)))
        .collect();
    let stored: serde_json::Map<String, Value> = result["domains"]
        .as_object()
        .expect("domains")
        .iter()
        .filter(|(_, status)| *status != "not_required" && *status != "not_applicable")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(stored, domains, "{who}: domains");
    let findings: Vec<(String, String)> = result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let wanted: Vec<(String, String)> = expected
        .findings
        .iter()
        .map(|(rule, path)| (rule.to_string(), path.to_string()))
        .collect();
    assert_eq!(findings, wanted, "{who}: findings");
}

fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

both!(
    the_written_bulk_export_is_answered_and_stored_line_by_line,
    |app| async move {
        let answers = import(&app, &lines_of(BULK_EXPORT)).await;
        let expected: Vec<(u64, String)> = BULK_EXPORT_LINES
            .iter()
            .map(|l| (l.line, l.status.to_string()))
            .collect();
        assert_eq!(line_statuses(&answers), expected);
        for (answer, line) in answers.iter().zip(BULK_EXPORT_LINES) {
            match &line.stored {
                Some(stored) => {
                    let location = answer["location"]
                        .as_str()
                        .expect("a stored line's location");
                    let result = app.get_json(location, 200).await;
                    assert_stored(&result, stored);
                    // The line's OperationOutcome names each finding of the record.
                    let rules: Vec<&str> = answer["outcome"]["issue"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|i| i["details"]["coding"][0]["code"].as_str())
                        .collect();
                    let wanted: Vec<&str> = stored.findings.iter().map(|(r, _)| *r).collect();
                    assert_eq!(rules, wanted, "line {}", line.line);
                }
                None => assert!(answer.get("location").is_none(), "{answer}"),
            }
        }
        // The orphan says what is wrong and where.
        assert_eq!(
            answers[8]["outcome"]["issue"][0]["expression"],
            json!(["RelatedPerson.patient"])
        );
        // The adult is not counted in the caregiver domains; the three children are.
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 4);
        let caregivers = &report["units"][0]["domains"]["caregivers"];
        assert_eq!(caregivers["eligible"], 3, "{caregivers}");
        assert_eq!(caregivers["complete"], 3, "{caregivers}");
        // Posted again, nothing new is stored.
        let again = import(&app, &lines_of(BULK_EXPORT)).await;
        assert_eq!(again[0]["status"], "200 OK");
        let page = app.get_json("/v1/records?limit=50", 200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 4);
    }
);

both!(
    the_written_message_bundle_is_answered_entry_by_entry,
    |app| async move {
        let bundle: Value = serde_json::from_str(MESSAGE_ADMIT).unwrap();
        assert_eq!(bundle["type"], "message");
        let answer = post(&app, "/fhir", &bundle).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(
            statuses(&answer.body),
            ["200 OK", "201 Created", "200 OK", "200 OK"]
        );
        let diagnostics = |i: usize| {
            answer.body["entry"][i]["response"]["outcome"]["issue"][0]["diagnostics"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert!(diagnostics(0).starts_with("MessageHeader ignored"));
        assert!(diagnostics(2).contains("caregiver of entry 1"));
        assert!(diagnostics(3).starts_with("Encounter ignored"));
        let location = answer.body["entry"][1]["response"]["location"]
            .as_str()
            .unwrap();
        let result = app.get_json(location, 200).await;
        // A newborn, American Indian and White, not Hispanic, English; the mother (linked
        // by the Patient's fullUrl) speaks Navajo, her interpreter need not sent. The
        // source is the Patient's meta.source.
        assert_stored(
            &result,
            &Stored {
                patient_id: "W-2001",
                race: &["1002-5", "2106-3"],
                ethnicity: Some("2186-5"),
                domains: &[
                    ("race", "complete"),
                    ("ethnicity", "complete"),
                    ("language", "complete"),
                    ("interpreter", "complete"),
                    ("caregivers", "complete"),
                    ("caregiver_language", "missing"),
                ],
                findings: &[
                    ("GRANULAR_ETHNICITY_MISSING", "ethnicity.codes"),
                    (
                        "INTERPRETER_NEED_MISSING",
                        "caregivers[0].language.interpreter_needed",
                    ),
                    ("CAREGIVER_NO_LEGAL_GUARDIAN", "caregivers"),
                    REPORTERS[0],
                    REPORTERS[1],
                ],
            },
        );
        assert_eq!(result["source"], "https://ehr.example.org/fhir");
    }
);

/// Checks each Synthea line through `$validate`; returns the findings it gives.
async fn validated(app: &TestApp, line: &str) -> Vec<Value> {
    let resource: Value = serde_json::from_str(line).unwrap();
    let outcome = validate(app, &resource).await;
    outcome["issue"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["details"]["coding"][0]["code"].as_str())
        .map(|rule| json!(rule))
        .collect()
}

both!(
    the_public_synthea_bulk_export_imports_as_each_patient_validates,
    |app| async move {
        // Patient.000.ndjson of a Bulk Data $export (smart-on-fhir sample datasets).
        let lines = lines_of(SYNTHEA_NDJSON);
        assert_eq!(lines.len(), 50);
        let answers = import(&app, &lines).await;
        assert_eq!(answers.len(), 50);
        for (answer, line) in answers.iter().zip(&lines) {
            assert_eq!(answer["status"], "201 Created", "{answer}");
            let result = app
                .get_json(answer["location"].as_str().unwrap(), 200)
                .await;
            let resource: Value = serde_json::from_str(line).unwrap();
            assert_eq!(result["patient_id"], resource["id"]);
            // The stored findings are what $validate says of the same resource.
            let rules: Vec<Value> = findings_of(&result)
                .into_iter()
                .map(|f| f["rule"].clone())
                .collect();
            assert_eq!(rules, validated(&app, line).await, "{}", resource["id"]);
        }
        // The counts the manifest gives (see fhir::synthea_patients_map_exactly_to_their_manifest).
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 50);
        let domains = &report["units"][0]["domains"];
        assert_eq!(domains["race"]["complete"], 47);
        assert_eq!(domains["race"]["unknown"], 3);
        assert_eq!(domains["ethnicity"]["complete"], 50);
        assert_eq!(domains["language"]["complete"], 50);
        assert_eq!(domains["interpreter"]["missing"], 50);
    }
);

both!(
    an_export_in_separate_files_imports_after_real_dq_interleave,
    |app| async move {
        // The written export split as `$export` writes it: Patients (and the Observation)
        // in one file, RelatedPersons in another, in their order.
        let dir = tempfile::tempdir().unwrap();
        let (related, patients): (Vec<&str>, Vec<&str>) = BULK_EXPORT
            .lines()
            .partition(|l| l.contains(r#""resourceType":"RelatedPerson""#));
        let patient_file = dir.path().join("Patient.000.ndjson");
        let related_file = dir.path().join("RelatedPerson.000.ndjson");
        std::fs::write(&patient_file, patients.join("\n") + "\n").unwrap();
        std::fs::write(&related_file, related.join("\n") + "\n").unwrap();
        // Imported as they are, every RelatedPerson is an orphan.
        let separate = import(
            &app,
            &lines_of(&std::fs::read_to_string(&related_file).unwrap()),
        )
        .await;
        assert!(separate
            .iter()
            .all(|a| a["status"] == "422 Unprocessable Entity"));
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_real-dq"))
            .arg("interleave")
            .arg("--related")
            .arg(&related_file)
            .arg(&patient_file)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains("5 RelatedPerson lines placed after their Patient; 1 at the end"),
            "{stderr}"
        );
        let joined = String::from_utf8(output.stdout).unwrap();
        let answers = import(&app, &lines_of(&joined)).await;
        // The same answers as the interleaved file, but the orphan comes last.
        let mut statuses: Vec<String> = answers
            .iter()
            .map(|a| a["status"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(statuses.pop().unwrap(), "422 Unprocessable Entity");
        let expected: Vec<String> = BULK_EXPORT_LINES
            .iter()
            .filter(|l| l.line != 9)
            .map(|l| l.status.to_string())
            .collect();
        assert_eq!(statuses, expected);
        for answer in &answers {
            if let Some(location) = answer["location"].as_str() {
                let result = app.get_json(location, 200).await;
                let expected = BULK_EXPORT_LINES
                    .iter()
                    .filter_map(|l| l.stored.as_ref())
                    .find(|s| result["patient_id"] == s.patient_id)
                    .expect("a Patient of the file");
                assert_stored(&result, expected);
            }
        }
    }
);
