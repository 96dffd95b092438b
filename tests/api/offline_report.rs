//! `real-dq report`: the same extract posted to the service as a batch and read by the
//! command line gives the same completeness report, JSON and CSV, byte for byte but for
//! `generated_at`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::helpers::{Db, TestApp};

/// Synthetic records with fewer patients than records, so that many are recorded again
/// (newer, older or at the same instant, in the same unit or another), plus identical
/// records, a tie with other content, blank, CRLF and rejected lines.
fn extract() -> String {
    let mut generator = real_dq::synthetic::Generator::new(11);
    let mut records: Vec<Value> = (0..1500)
        .map(|index| {
            let mut record = generator.record(index);
            record["patient_id"] = json!(format!("SYN-{:05}", index % 500));
            record
        })
        .collect();
    // The identical record again, and again at the very end.
    records.push(records[10].clone());
    // The same instant, other content: the first stays.
    let mut tie = records[20].clone();
    tie["race"] = Value::Null;
    tie["language"] = Value::Null;
    records.push(tie);
    // An older record: history only.
    let mut older = records[30].clone();
    older["recorded_at"] = json!("2025-01-01T00:00:00Z");
    older["ethnicity"] = Value::Null;
    records.push(older);
    // A newer one, in another offset.
    let mut newer = records[40].clone();
    newer["recorded_at"] = json!("2026-11-30T09:00:00-05:00");
    newer["caregivers"] = json!([]);
    records.push(newer);
    let mut lines: Vec<String> = records.iter().map(Value::to_string).collect();
    lines.push(String::new());
    lines.push("{not json".into());
    lines.push(json!({"source": "synthetic", "unit": "ED"}).to_string());
    lines[7].push('\r');
    lines.push(records[10].to_string());
    lines.join("\n") + "\n"
}

/// Runs the built binary's `report` on `input` (standard input) with `args`.
async fn offline(input: &str, args: &[&str]) -> (String, String) {
    let (input, args) = (
        input.to_string(),
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    );
    actix_web::rt::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_real-dq"))
            .args(["report", "-"])
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(output.status.success(), "report failed: {stderr}");
        (String::from_utf8(output.stdout).unwrap(), stderr)
    })
    .await
    .unwrap()
}

/// The report's JSON text with its `generated_at` value blanked.
fn without_generated_at(text: &str) -> String {
    let report: Value = serde_json::from_str(text).expect("a JSON report");
    let at = report["generated_at"].as_str().expect("generated_at");
    let stamped = format!("\"generated_at\":\"{at}\"");
    assert!(text.contains(&stamped), "{text}");
    text.replacen(&stamped, "\"generated_at\":\"\"", 1)
}

async fn service_text(app: &TestApp, query: &str, accept: &str) -> String {
    let response = app
        .client
        .get(app.url(&format!("/v1/reports/completeness{query}")))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.text().await.unwrap()
}

async fn the_command_line_report_equals_the_services(app: TestApp) {
    let input = extract();
    let answers = app.batch(&input).await;
    let outcomes = |outcome: &str| {
        answers
            .iter()
            .filter(|a| a["result"]["outcome"] == outcome)
            .count()
    };
    // The extract does exercise every store outcome.
    for outcome in ["created", "replaced", "historical", "duplicate"] {
        assert!(outcomes(outcome) > 0, "no {outcome} record");
    }
    let rejected = answers.iter().filter(|a| a["error"].is_object()).count();
    assert_eq!(rejected, 2);

    let service = service_text(&app, "", "application/json").await;
    let (cli, stderr) = offline(&input, &[]).await;
    assert_eq!(
        without_generated_at(cli.trim_end()),
        without_generated_at(&service)
    );
    let report: Value = serde_json::from_str(&service).unwrap();
    assert!(report["total"]["patients"].as_i64().unwrap() > 400);
    // The summary counts lines and names rejected ones, without their content.
    assert!(
        stderr.contains(&format!("{} lines read", input.lines().count())),
        "{stderr}"
    );
    assert!(stderr.contains("2 rejected"), "{stderr}");
    assert!(stderr.contains(": invalid_json"), "{stderr}");
    assert!(
        !stderr.contains("SYN-"),
        "no patient id on stderr: {stderr}"
    );

    let service = service_text(&app, "", "text/csv").await;
    let (cli, _) = offline(&input, &["--format", "csv"]).await;
    assert_eq!(cli, service);

    let window = "from=2026-03-01T00:00:00Z&to=2026-09-01T00:00:00%2B02:00";
    let service = service_text(&app, &format!("?unit=NICU&{window}"), "application/json").await;
    let (cli, _) = offline(
        &input,
        &[
            "--unit",
            "NICU",
            "--from",
            "2026-03-01T00:00:00Z",
            "--to",
            "2026-09-01T00:00:00+02:00",
        ],
    )
    .await;
    assert_eq!(
        without_generated_at(cli.trim_end()),
        without_generated_at(&service)
    );
    let report: Value = serde_json::from_str(&service).unwrap();
    assert_eq!(report["units"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn the_command_line_report_equals_the_services_on_sqlite() {
    // Small chunks, so that patients recorded again span several transactions.
    let app = TestApp::builder(Db::Sqlite)
        .settings(|settings| settings.batch_chunk = 300)
        .start()
        .await;
    the_command_line_report_equals_the_services(app).await;
}

#[actix_web::test]
#[cfg_attr(
    not(realdq_postgres),
    ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn the_command_line_report_equals_the_services_on_postgres() {
    let app = TestApp::builder(Db::Postgres)
        .settings(|settings| settings.batch_chunk = 300)
        .start()
        .await;
    the_command_line_report_equals_the_services(app).await;
}

/// `count` synthetic records (a third of them new versions of earlier patients), cut down
/// to what FHIR and HL7 v2 carry.
fn carried_records(count: usize) -> Vec<real_dq::record::RecordWire> {
    let mut generator = real_dq::synthetic::Generator::new(23);
    (0..count as u64)
        .map(|index| {
            let mut record = generator.record(index);
            record["patient_id"] = json!(format!("SYN-{:05}", index % (count as u64 * 2 / 3)));
            let wire = serde_json::from_value(record).unwrap();
            real_dq::synthetic::render::carried(wire)
        })
        .collect()
}

crate::both!(
    the_command_line_report_of_a_fhir_bulk_file_equals_the_services,
    |app| async move {
        // Several 1 MiB blocks, so Patients and their RelatedPersons meet block ends.
        let mut lines: Vec<String> = carried_records(3000)
            .iter()
            .enumerate()
            .flat_map(|(i, record)| real_dq::synthetic::render::fhir_entries(record, i))
            .map(|entry| entry["resource"].to_string())
            .collect();
        // Between two Patients' groups (a line that is not JSON ends a group).
        let at = (10..)
            .find(|i| lines[*i].contains(r#""resourceType":"Patient""#))
            .unwrap();
        lines.insert(at, "{not json".into());
        lines.push(
            json!({"resourceType": "RelatedPerson", "patient": {"reference": "Patient/nobody"}})
                .to_string(),
        );
        assert!(lines.iter().map(String::len).sum::<usize>() > 3 << 20);
        let input = lines.join("\n") + "\n";
        let answers = crate::fhir::import(&app, &lines).await;
        let failed = answers
            .iter()
            .filter(|a| a["status"].as_str().unwrap() >= "400")
            .count();
        assert_eq!(failed, 2);
        let service = service_text(&app, "", "application/json").await;
        let (cli, stderr) = offline(&input, &[]).await;
        assert_eq!(
            without_generated_at(cli.trim_end()),
            without_generated_at(&service)
        );
        assert!(
            stderr.contains("3000 records judged, 2 rejected"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("line {}: invalid_json", at + 1)),
            "{stderr}"
        );
        assert!(
            stderr.contains("related_person_without_its_patient"),
            "{stderr}"
        );
        assert!(!stderr.contains("SYN-"), "{stderr}");
        // Patients recorded again in the same unit are counted once.
        let report: Value = serde_json::from_str(&service).unwrap();
        let patients = report["total"]["patients"].as_i64().unwrap();
        assert!((2000..3000).contains(&patients), "{patients}");
    }
);

crate::both!(
    the_command_line_report_of_an_hl7_file_equals_the_services,
    |app| async move {
        let mut messages: Vec<String> = carried_records(8000)
            .iter()
            .enumerate()
            .map(|(i, record)| real_dq::synthetic::render::hl7_message(record, i))
            .collect();
        // A query: no PID, answered AR.
        messages.insert(
            5,
            "MSH|^~\\&|Q|H|real-dq|H|20261120140300||QBP^Q22^QBP_Q21|Q1|P|2.5.1\rQPD|IHE PDQ Query|Q1\r"
                .into(),
        );
        let input = messages.concat();
        assert!(input.len() > 1 << 20);
        let response = app
            .client
            .post(app.url("/hl7v2"))
            .header("content-type", "x-application/hl7-v2+er7")
            .body(input.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let acks = response.text().await.unwrap();
        assert_eq!(acks.matches("MSA|AA|").count(), 8000, "{}", &acks[..2000]);
        assert_eq!(acks.matches("MSA|AR|").count(), 1);
        let service = service_text(&app, "", "application/json").await;
        let (cli, stderr) = offline(&input, &[]).await;
        assert_eq!(
            without_generated_at(cli.trim_end()),
            without_generated_at(&service)
        );
        assert!(
            stderr.contains(
                "8001 messages read, 8000 records judged, 1 rejected (message 6: hl7_rejected"
            ),
            "{stderr}"
        );
        let (csv, _) = offline(&input, &["--format", "csv", "--input-format", "hl7v2"]).await;
        assert_eq!(csv, service_text(&app, "", "text/csv").await);
    }
);
