//! `real-dq generate --format ndjson|hl7v2|fhir`: the synthetic records in each format are
//! accepted by the real server, and race and ethnicity, which all three formats carry,
//! come out the same in the completeness report whichever way they were sent.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{Db, TestApp};

const RECORDS: usize = 40;

fn generate(format: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_real-dq"))
        .args([
            "generate",
            "--records",
            "40",
            "--seed",
            "3",
            "--format",
            format,
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "generate --format {format}");
    String::from_utf8(output.stdout).unwrap()
}

/// The race and ethnicity columns of the report's total.
fn race_and_ethnicity(report: &Value) -> (Value, Value, Value) {
    let total = &report["total"];
    (
        total["patients"].clone(),
        total["domains"]["race"].clone(),
        total["domains"]["ethnicity"].clone(),
    )
}

async fn each_format_is_accepted_and_stores_the_same_race_and_ethnicity(db: Db) {
    let json = TestApp::builder(db).start().await;
    let lines = json.batch(&generate("ndjson")).await;
    assert_eq!(lines.len(), RECORDS);
    assert!(lines.iter().all(|l| l["result"]["id"].is_string()));

    let hl7 = TestApp::builder(db).start().await;
    let response = hl7
        .post_raw("/hl7v2", "x-application/hl7-v2+er7", generate("hl7v2"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let acks = response.text().await.unwrap();
    let msa: Vec<&str> = acks
        .split(['\r', '\n'])
        .filter(|s| s.starts_with("MSA|"))
        .collect();
    assert_eq!(msa.len(), RECORDS, "{acks}");
    for (index, segment) in msa.iter().enumerate() {
        let fields: Vec<&str> = segment.split('|').collect();
        assert!(matches!(fields[1], "AA" | "AE"), "{segment}");
        assert_eq!(fields[2], format!("M{index}"));
    }

    let fhir = TestApp::builder(db).start().await;
    let response = fhir
        .post_raw("/fhir", "application/fhir+json", generate("fhir"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let bundle: Value = response.json().await.unwrap();
    let entries = bundle["entry"].as_array().unwrap();
    let stored = entries
        .iter()
        .filter(|e| e["response"]["location"].is_string())
        .count();
    assert_eq!(stored, RECORDS);
    assert!(entries.len() > RECORDS, "caregivers come as RelatedPersons");
    assert!(entries
        .iter()
        .all(|e| e["response"]["status"] != "422 Unprocessable Entity"));

    let expected = race_and_ethnicity(&json.report("").await);
    assert_eq!(expected.0, RECORDS);
    assert_eq!(race_and_ethnicity(&hl7.report("").await), expected);
    assert_eq!(race_and_ethnicity(&fhir.report("").await), expected);
}

#[actix_web::test]
async fn sqlite() {
    each_format_is_accepted_and_stores_the_same_race_and_ethnicity(Db::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    not(realdq_postgres),
    ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn postgres() {
    each_format_is_accepted_and_stores_the_same_race_and_ethnicity(Db::Postgres).await;
}
