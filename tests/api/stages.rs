//! Bodies larger than one chunk (`REALDQ_BATCH_CHUNK`): checked and stored in overlapping
//! stages by the ingest pipeline, answered in order, every item stored once, links across
//! chunks kept.

use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::TestApp;

/// Items per chunk by default.
const CHUNK: usize = real_dq::config::DEFAULT_BATCH_CHUNK as usize;

/// Makes the database itself refuse to write any record of `patient_id` (a trigger on the
/// history table), so that one record's write fails while the others of its chunk succeed.
pub fn refuse_writes_of(app: &TestApp, patient_id: &str) {
    let statements = if app.database_url.starts_with("postgres") {
        vec![
            format!(
                "CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.patient_id = '{patient_id}' THEN \
                 RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$"
            ),
            "CREATE TRIGGER refuse_write BEFORE INSERT ON records \
             FOR EACH ROW EXECUTE FUNCTION refuse_write()"
                .to_string(),
        ]
    } else {
        vec![format!(
            "CREATE TRIGGER refuse_write BEFORE INSERT ON records \
             WHEN NEW.patient_id = '{patient_id}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )]
    };
    let mut conn = real_dq::store::connection::Manager::new(&app.database_url)
        .connect()
        .expect("the test connects");
    for statement in statements {
        diesel::sql_query(statement)
            .execute(&mut conn)
            .expect("the trigger is created");
    }
}

/// Lets the database write every record again.
pub fn allow_writes(app: &TestApp) {
    let mut conn = real_dq::store::connection::Manager::new(&app.database_url)
        .connect()
        .expect("the test connects");
    diesel::sql_query("DROP TRIGGER refuse_write ON records")
        .execute(&mut conn)
        .or_else(|_| diesel::sql_query("DROP TRIGGER refuse_write").execute(&mut conn))
        .expect("the trigger is dropped");
}

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
        let count = 3 * CHUNK + 17;
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
        let count = 2 * CHUNK + 3;
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
        let count = 10 * CHUNK + 1_000;
        let chunk = CHUNK;
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
        let count = 3 * CHUNK + 7;
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

both!(
    hl7_messages_are_stored_in_chunks_of_batch_chunk_messages,
    |s: &mut real_dq::config::Settings| s.batch_chunk = 2,
    |app| async move {
        // Five messages in chunks of two: three chunks, the last one short.
        let body: String = (0..5).map(adt).collect();
        let response = app
            .post_raw("/hl7v2", "x-application/hl7-v2+er7", body)
            .await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let answered: Vec<(&str, &str)> = text
            .split('\r')
            .filter(|s| s.starts_with("MSA|"))
            .map(|s| {
                let fields: Vec<&str> = s.split('|').collect();
                (fields[1], fields[2])
            })
            .collect();
        assert_eq!(
            answered,
            [
                ("AA", "S0"),
                ("AA", "S1"),
                ("AA", "S2"),
                ("AA", "S3"),
                ("AA", "S4")
            ],
            "{text}"
        );
        assert_eq!(app.report("?unit=BIG").await["total"]["patients"], 5);
        // One audit row per chunk stored, each naming its records.
        let audit = app.get_json("/v1/audit?action=create&limit=100", 200).await;
        let counts: Vec<u64> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row["route"] == "POST /hl7v2")
            .map(|row| row["records"].as_u64().unwrap())
            .collect();
        assert_eq!(counts.iter().sum::<u64>(), 5, "{audit}");
        assert_eq!(counts.len(), 3, "{audit}");
    }
);

both!(
    fhir_entries_are_stored_in_chunks_of_batch_chunk_resources,
    |s: &mut real_dq::config::Settings| s.batch_chunk = 2,
    |app| async move {
        // Five Patients, then the first one's mother: four chunks (the first Patient reads
        // two resources, its mother included), the link kept across them.
        let mut entries: Vec<String> = (0..5).map(minimal).collect();
        entries[0] = r#"{"fullUrl":"urn:uuid:first","resource":{"resourceType":"Patient",
            "identifier":[{"value":"M-0"}]}}"#
            .into();
        entries.push(
            r#"{"resource":{"resourceType":"RelatedPerson","patient":{"reference":"urn:uuid:first"},
            "relationship":[{"coding":[{"code":"MTH"}]}]}}"#
                .into(),
        );
        let (status, text) = post_bundle(&app, bundle_of("batch", &entries)).await;
        assert_eq!(status, 200, "{text}");
        let answer: Answered = serde_json::from_str(&text).expect("a whole Bundle");
        let statuses: Vec<&str> = answer
            .entry
            .iter()
            .map(|e| e.response.status.as_str())
            .collect();
        assert_eq!(
            statuses,
            [
                "201 Created",
                "201 Created",
                "201 Created",
                "201 Created",
                "201 Created",
                "200 OK"
            ]
        );
        assert_eq!(app.report("").await["total"]["patients"], 5);
        let first = answer.entry[0].response.location.as_deref().unwrap();
        let result = app.get_json(first, 200).await;
        assert!(
            !result["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "CAREGIVER_MISSING"),
            "the mother in the last chunk is the first Patient's caregiver: {result}"
        );
        // A transaction is chunked the same way, and still stored whole.
        let entries: Vec<String> = (5..10).map(minimal).collect();
        let (status, text) = post_bundle(&app, bundle_of("transaction", &entries)).await;
        assert_eq!(status, 200, "{text}");
        let answer: Answered = serde_json::from_str(&text).expect("a whole Bundle");
        assert_eq!(answer.kind, "transaction-response");
        assert!(answer
            .entry
            .iter()
            .all(|e| e.response.status == "201 Created"));
        assert_eq!(app.report("").await["total"]["patients"], 10);
    }
);
