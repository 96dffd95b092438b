//! Bodies larger than one chunk (`api::stages::CHUNK`): judged and stored in overlapping
//! stages, answered in order, every item stored once, links across chunks kept.

use serde_json::{json, Value};

use crate::both;

fn adt(index: usize) -> String {
    format!(
        "MSH|^~\\&|EPIC|HOSP|RDQ|RDQ|20261120140300||ADT^A04^ADT_A01|S{index}|P|2.5.1\r\
         PID|1||BIG-{index}^^^HOSP^MR||||20190402|F||2106-3^White^CDCREC|||||es|||||||N^Not Hispanic^HL70189\r\
         PV1|1|O|BIG\r"
    )
}

both!(
    an_hl7_body_of_several_chunks_is_answered_in_order,
    |app| async move {
        let count = 3 * real_dq::api::stages::CHUNK + 17;
        let mut body: String = (0..count).map(adt).collect();
        // One broken message in the middle chunk, one duplicate in the last.
        body.push_str("PID|no header\r");
        body.push_str(&adt(5));
        let response = app
            .post_raw("/hl7v2", "x-application/hl7-v2+er7", body)
            .await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let controls: Vec<&str> = text
            .split('\r')
            .filter(|s| s.starts_with("MSA|"))
            .map(|s| s.split('|').nth(2).unwrap_or(""))
            .collect();
        assert_eq!(controls.len(), count + 1, "one ACK per message");
        for (index, control) in controls.iter().take(count).enumerate() {
            assert_eq!(*control, format!("S{index}"));
        }
        let report = app.report("?unit=BIG").await;
        assert_eq!(report["total"]["patients"], count);
    }
);

both!(
    a_fhir_bundle_of_several_chunks_links_across_chunks,
    |app| async move {
        let count = 2 * real_dq::api::stages::CHUNK + 3;
        let mut entries: Vec<Value> = (0..count)
        .map(|i| {
            json!({"fullUrl": format!("urn:uuid:p{i}"), "resource": {
                "resourceType": "Patient",
                "id": format!("p{i}"),
                "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": format!("F-{i}")}],
                "meta": {"lastUpdated": "2026-11-20T14:03:00Z"},
                "birthDate": "2019-04-02",
                "managingOrganization": {"display": "BIGF"}
            }})
        })
        .collect();
        // The first patient's mother, last in the Bundle (another chunk).
        entries.push(json!({"resource": {
            "resourceType": "RelatedPerson",
            "patient": {"reference": "urn:uuid:p0"},
            "relationship": [{"coding": [{"code": "MTH"}]}]
        }}));
        let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
        let response = app
            .post_raw("/fhir", "application/fhir+json", bundle.to_string())
            .await;
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        let statuses: Vec<&str> = answer["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["response"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses.len(), count + 1);
        assert!(
            statuses[..count].iter().all(|s| *s == "201 Created"),
            "{statuses:?}"
        );
        assert_eq!(statuses[count], "200 OK");
        let first = answer["entry"][0]["response"]["location"].as_str().unwrap();
        let result = app.get_json(first, 200).await;
        let rules: Vec<&str> = result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert!(!rules.contains(&"CAREGIVER_MISSING"), "{rules:?}");
        let last = answer["entry"][count - 1]["response"]["location"]
            .as_str()
            .unwrap();
        let result = app.get_json(last, 200).await;
        assert!(result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "CAREGIVER_MISSING"));
        assert_eq!(app.report("?unit=BIGF").await["total"]["patients"], count);
    }
);

/// A minimal Patient entry: an identifier, nothing else (so every REaL domain is missing).
fn minimal(i: usize) -> String {
    format!(r#"{{"resource":{{"resourceType":"Patient","identifier":[{{"value":"M-{i}"}}]}}}}"#)
}

fn bundle_of(kind: &str, entries: &[String]) -> String {
    format!(
        r#"{{"resourceType":"Bundle","type":"{kind}","entry":[{}]}}"#,
        entries.join(",")
    )
}

/// A response Bundle, read without building a tree of its outcomes.
#[derive(serde::Deserialize)]
struct Answered {
    #[serde(rename = "resourceType")]
    resource_type: String,
    #[serde(rename = "type")]
    kind: String,
    entry: Vec<AnsweredEntry>,
}

#[derive(serde::Deserialize)]
struct AnsweredEntry {
    response: EntryResponse,
}

#[derive(serde::Deserialize)]
struct EntryResponse {
    status: String,
    location: Option<String>,
    outcome: OutcomeHead,
}

#[derive(serde::Deserialize)]
struct OutcomeHead {
    #[serde(rename = "resourceType")]
    resource_type: String,
    issue: Vec<serde::de::IgnoredAny>,
}

async fn post_bundle(app: &crate::helpers::TestApp, body: String) -> (u16, String) {
    let response = app.post_raw("/fhir", "application/fhir+json", body).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

both!(
    a_large_bundle_of_minimal_patients_is_answered_entry_by_entry,
    |app| async move {
        // Ten chunks and a half of Patients, with odd entries on either side of chunk
        // boundaries: each must be answered in its place.
        let count = 10 * real_dq::api::stages::CHUNK + 1_000;
        let chunk = real_dq::api::stages::CHUNK;
        let mut entries: Vec<String> = (0..count).map(minimal).collect();
        entries[chunk - 1] = r#"{"resource":{"resourceType":"Patient"}}"#.into();
        entries[chunk] = r#"{"resource":{"resourceType":"Observation"}}"#.into();
        entries[2 * chunk + 1] = r#"{"resource":{"resourceType":"RelatedPerson",
            "patient":{"reference":"Patient/elsewhere"}}}"#
            .into();
        let odd = [chunk - 1, chunk, 2 * chunk + 1];
        let (status, text) = post_bundle(&app, bundle_of("batch", &entries)).await;
        assert_eq!(status, 200, "{}", &text[..text.len().min(500)]);
        let answer: Answered = serde_json::from_str(&text).expect("a whole Bundle");
        assert_eq!(answer.resource_type, "Bundle");
        assert_eq!(answer.kind, "batch-response");
        assert_eq!(answer.entry.len(), count, "every entry is answered");
        let mut locations = std::collections::HashSet::new();
        for (i, entry) in answer.entry.iter().enumerate() {
            let response = &entry.response;
            assert_eq!(response.outcome.resource_type, "OperationOutcome");
            assert!(!response.outcome.issue.is_empty(), "entry {i}");
            let expected = match i {
                i if i == chunk - 1 || i == 2 * chunk + 1 => "422 Unprocessable Entity",
                i if i == chunk => "200 OK",
                _ => "201 Created",
            };
            assert_eq!(response.status, expected, "entry {i}");
            if !odd.contains(&i) {
                let location = response
                    .location
                    .clone()
                    .expect("a stored Patient's location");
                assert!(
                    locations.insert(location),
                    "entry {i}: a location of its own"
                );
            }
        }
        assert_eq!(app.report("").await["total"]["patients"], count - odd.len());
        // Answers are in order: the last one names the last Patient.
        let last = answer.entry[count - 1]
            .response
            .location
            .as_deref()
            .unwrap();
        let result = app.get_json(last, 200).await;
        assert_eq!(result["patient_id"], format!("M-{}", count - 1));
    }
);

both!(
    a_large_transaction_of_minimal_patients_is_stored_and_answered_whole,
    |app| async move {
        let count = 3 * real_dq::api::stages::CHUNK + 7;
        let entries: Vec<String> = (0..count).map(minimal).collect();
        let (status, text) = post_bundle(&app, bundle_of("transaction", &entries)).await;
        assert_eq!(status, 200, "{}", &text[..text.len().min(500)]);
        let answer: Answered = serde_json::from_str(&text).expect("a whole Bundle");
        assert_eq!(answer.kind, "transaction-response");
        assert_eq!(answer.entry.len(), count);
        assert!(answer
            .entry
            .iter()
            .all(|e| e.response.status == "201 Created" && e.response.location.is_some()));
        let result = app
            .get_json(
                answer.entry[count - 1]
                    .response
                    .location
                    .as_deref()
                    .unwrap(),
                200,
            )
            .await;
        assert_eq!(result["patient_id"], format!("M-{}", count - 1));
        assert_eq!(app.report("").await["total"]["patients"], count);
    }
);

#[actix_web::test]
async fn a_transaction_over_its_entry_limit_is_413_naming_the_limit_and_stores_nothing() {
    let app = crate::helpers::TestApp::builder(crate::helpers::Db::Sqlite)
        .settings(|s| s.fhir.fhir_max_transaction_entries = 50)
        .start()
        .await;
    let entries: Vec<String> = (0..51).map(minimal).collect();
    let (status, text) = post_bundle(&app, bundle_of("transaction", &entries)).await;
    assert_eq!(status, 413, "{text}");
    let outcome: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["code"], "too-costly");
    let diagnostics = outcome["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains("at most 50 entries")
            && diagnostics.contains("REALDQ_FHIR_MAX_TRANSACTION_ENTRIES")
            && diagnostics.contains("holds 51"),
        "{diagnostics}"
    );
    assert_eq!(app.report("").await["total"]["patients"], 0);
    // At the limit, and as a batch of any size, it goes through.
    let (status, _) = post_bundle(&app, bundle_of("transaction", &entries[..50])).await;
    assert_eq!(status, 200);
    let (status, _) = post_bundle(&app, bundle_of("batch", &entries)).await;
    assert_eq!(status, 200);
    assert_eq!(app.report("").await["total"]["patients"], 51);
}

#[actix_web::test]
async fn a_patient_with_more_related_persons_than_a_record_holds_is_413_naming_the_limit() {
    let app = crate::helpers::TestApp::builder(crate::helpers::Db::Sqlite)
        .start()
        .await;
    let most = real_dq::api::fhir_bundle::MAX_RELATED;
    let bundle = |related: usize| {
        let mut entries = vec![
            r#"{"resource":{"resourceType":"Patient","id":"p","identifier":[{"value":"C-1"}]}}"#
                .to_string(),
        ];
        entries.extend((0..related).map(|_| {
            r#"{"resource":{"resourceType":"RelatedPerson","patient":{"reference":"Patient/p"},
                "relationship":[{"coding":[{"code":"MTH"}]}]}}"#
                .to_string()
        }));
        bundle_of("batch", &entries)
    };
    let (status, text) = post_bundle(&app, bundle(most + 1)).await;
    assert_eq!(status, 413, "{text}");
    let outcome: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(outcome["issue"][0]["code"], "too-costly");
    let diagnostics = outcome["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.contains(&format!("at most {most} RelatedPersons"))
            && diagnostics.contains(&format!("entry 0 has {}", most + 1)),
        "{diagnostics}"
    );
    assert_eq!(app.report("").await["total"]["patients"], 0);
    // At the limit, the Patient is stored with every caregiver.
    let (status, text) = post_bundle(&app, bundle(most)).await;
    assert_eq!(status, 200);
    let answer: Answered = serde_json::from_str(&text).unwrap();
    assert_eq!(answer.entry.len(), most + 1);
    assert_eq!(answer.entry[0].response.status, "201 Created");
    assert!(answer.entry[1..]
        .iter()
        .all(|e| e.response.status == "200 OK"));
    let result = app
        .get_json(answer.entry[0].response.location.as_deref().unwrap(), 200)
        .await;
    assert!(
        !result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "CAREGIVER_MISSING"),
        "{result}"
    );
}
