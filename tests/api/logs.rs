//! PHI stays out of logs: the real binary runs with debug logging while records (good,
//! bad, batched, rejected) go through it, and no patient id or birth date may appear.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{complete_record, keyed_client};

#[actix_web::test]
async fn no_patient_id_or_birth_date_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_real-dq"))
        .arg("serve")
        .env("REALDQ_DATABASE_URL", dir.path().join("phi.db"))
        .env("REALDQ_BIND", "127.0.0.1:0")
        .env("REALDQ_LOG_FORMAT", "json")
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    // Drained as it comes: a full pipe would block the server's logging.
    let mut stderr = child.stderr.take().unwrap();
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let address = first.trim().rsplit(' ').next().unwrap().to_string();
    assert!(address.starts_with("http://127.0.0.1:"), "{first}");
    // First start: the admin key is printed once on standard output, after the address.
    let (mut banner, mut key_line) = (String::new(), String::new());
    stdout.read_line(&mut banner).unwrap();
    stdout.read_line(&mut key_line).unwrap();
    assert!(banner.contains("first admin key"), "{banner}");
    let admin_key = key_line.trim().to_string();
    assert!(
        admin_key.starts_with("rdq_") && admin_key.len() == 44,
        "{key_line}"
    );
    let client = keyed_client(&admin_key);
    // Keys on every path: created over HTTP, used, refused (wrong role), unknown (401).
    let created: serde_json::Value = client
        .post(format!("{address}/v1/keys"))
        .json(&json!({"name": "logged-ingest", "role": "ingest"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ingest_key = created["key"].as_str().unwrap().to_string();
    let refused = keyed_client(&ingest_key)
        .get(format!("{address}/v1/records"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let unknown_key = format!("rdq_{}", "Z".repeat(40));
    let unknown = keyed_client(&unknown_key)
        .get(format!("{address}/v1/framework"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 401);

    let secret_ids = [
        "PHI-MRN-7319-ALPHA",
        "PHI-MRN-8842-BRAVO",
        "PHI-MRN-5521-CHARLIE",
        "PHI-MRN-6630-DELTA",
    ];
    let birth_dates = ["2015-03-17", "2018-09-29", "2020-01-08"];
    let (numeric_id, caregiver_name) = (918_273_645_u64, "Jane Q. Secretname");
    let mut good = complete_record(secret_ids[0], "ED");
    good["birth_date"] = json!(birth_dates[0]);
    let mut bad = complete_record(secret_ids[1], "ED");
    bad["birth_date"] = json!(birth_dates[1]);
    bad["race"]["codes"] = json!([{"code": "2135-2"}]);
    let mut rejected = complete_record(secret_ids[2], "ED");
    rejected["birth_date"] = json!(birth_dates[2]);
    rejected["recorded_at"] = json!("not a time");
    let post = |path: &str, body: String, content_type: &str| {
        client
            .post(format!("{address}{path}"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    for record in [&good, &bad, &rejected] {
        post("/v1/records", record.to_string(), "application/json")
            .await
            .unwrap();
        post("/v1/validate", record.to_string(), "application/json")
            .await
            .unwrap();
    }
    let mut batched = complete_record(secret_ids[3], "NICU");
    batched["birth_date"] = json!(birth_dates[2]);
    let batch = format!(
        "{batched}\n{good}\n{{\"patient_id\": \"{}\"\n",
        secret_ids[3]
    );
    let answer = post("/v1/records/batch", batch, "application/x-ndjson")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(answer.lines().count(), 3);
    // Wrongly typed PHI: serde would quote it in its messages.
    let mut typed = complete_record("x", "ED");
    typed["patient_id"] = json!(numeric_id);
    post("/v1/records", typed.to_string(), "application/json")
        .await
        .unwrap();
    let mut named = complete_record(secret_ids[0], "ED");
    named["caregivers"] = json!(caregiver_name);
    post("/v1/records", named.to_string(), "application/json")
        .await
        .unwrap();
    // PHI in a path or a query string.
    for path in [
        format!("/v1/records/{}", secret_ids[1]),
        format!("/v1/records?patient_id={}", secret_ids[2]),
    ] {
        let status = client
            .get(format!("{address}{path}"))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_client_error(), "{path}: {status}");
    }
    client
        .get(format!("{address}/v1/records?unit=ED"))
        .send()
        .await
        .unwrap();
    client
        .get(format!("{address}/v1/reports/completeness"))
        .send()
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap();
    let mut logs = stderr_reader.join().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    logs.push_str(&rest);
    child.wait().unwrap();

    assert!(logs.lines().count() > 10, "the service did log: {logs}");
    // No key, nor any part of one beyond the common `rdq_`.
    for key in [&admin_key, &ingest_key, &unknown_key] {
        assert!(!logs.contains(&key[4..12]), "a key appears in the logs");
    }
    assert!(logs.contains("record stored"), "handlers log their work");
    let numeric = numeric_id.to_string();
    for secret in secret_ids
        .iter()
        .chain(birth_dates.iter())
        .chain([&numeric.as_str(), &caregiver_name])
    {
        assert!(!logs.contains(secret), "PHI {secret} appears in the logs");
    }
}
