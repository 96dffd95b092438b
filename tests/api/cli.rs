//! The command line: `validate`, `migrate`, `--help`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::helpers::{bare_record, complete_record};

/// The shipped default profile document, to edit in a test.
fn shipped_profile() -> Value {
    let path = format!(
        "{}/schemas/profiles/phec-real.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `real-dq validate - [extra]` with `input` on standard input.
fn validate_stdin(input: &[u8], extra: &[&std::ffi::OsStr]) -> std::process::Output {
    let mut child = real_dq()
        .args(["validate", "-"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn real_dq() -> Command {
    Command::new(env!("CARGO_BIN_EXE_real-dq"))
}

#[test]
fn validate_reads_ndjson_from_stdin_and_exits_1_when_a_record_is_invalid() {
    let mut invalid = complete_record("C", "ED");
    invalid["ethnicity"]["codes"] = json!([{"code": "2135-2"}, {"code": "2186-5"}]);
    let input = format!(
        "{}\n{}\n\n{}\n",
        complete_record("A", "ED"),
        bare_record("B", "ED"),
        invalid
    );
    let output = validate_stdin(input.as_bytes(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let results: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["complete", "incomplete", "invalid"]);
}

#[test]
fn validate_reads_one_pretty_printed_record_from_a_file_and_exits_0_when_valid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&bare_record("B", "ED")).unwrap(),
    )
    .unwrap();
    let output = real_dq().arg("validate").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["status"], "incomplete");
}

#[test]
fn validate_reports_rejected_lines_and_exits_1() {
    let output = validate_stdin(b"{\"source\": \"x\"}\nnot json\n", &[]);
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["error"]["code"], "validation_failed");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["error"]["code"], "invalid_json");
}

#[test]
fn migrate_creates_the_sqlite_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let output = real_dq()
        .arg("migrate")
        .env("REALDQ_DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(db.exists());
    let again = real_dq()
        .arg("migrate")
        .env("REALDQ_DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(again.status.success(), "migrations are idempotent");
}

#[test]
fn serve_help_documents_every_setting_with_its_variable() {
    let output = real_dq().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for variable in [
        "REALDQ_BIND",
        "REALDQ_DATABASE_URL",
        "REALDQ_DB_POOL_SIZE",
        "REALDQ_MAX_RECORD_BYTES",
        "REALDQ_MAX_BATCH_BYTES",
        "REALDQ_BATCH_CHUNK",
        "REALDQ_FHIR_MAX_TRANSACTION_ENTRIES",
        "REALDQ_WORKERS",
        "REALDQ_LOG_FORMAT",
        "REALDQ_PROFILE",
    ] {
        assert!(help.contains(variable), "--help names {variable}");
    }
}

#[test]
fn a_bad_setting_stops_the_service_naming_it() {
    let output = real_dq()
        .arg("serve")
        .env("REALDQ_DB_POOL_SIZE", "lots")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("pool-size") || stderr.contains("REALDQ_DB_POOL_SIZE"),
        "{stderr}"
    );
}

#[test]
fn a_bad_profile_stops_the_service_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    let mut profile = shipped_profile();
    profile["thresholds"]["fail_below"] = json!(0.95);
    std::fs::write(&path, profile.to_string()).unwrap();
    let output = real_dq()
        .arg("serve")
        .env("REALDQ_PROFILE", &path)
        .env("REALDQ_DATABASE_URL", dir.path().join("x.db"))
        .env("REALDQ_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("profile field `thresholds.fail_below`"),
        "{stderr}"
    );
}

#[test]
fn validate_applies_the_profile_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    let mut profile = shipped_profile();
    profile["name"] = json!("children-hospital-x");
    profile["version"] = json!(3);
    profile["severity"] = json!({"RACE_HISPANIC_AS_RACE": "warning"});
    std::fs::write(&path, profile.to_string()).unwrap();
    let mut record = complete_record("A", "ED");
    record["race"]["codes"] = json!([{"code": "2106-3"}, {"code": "2135-2"}]);
    let output = validate_stdin(
        record.to_string().as_bytes(),
        &["--profile".as_ref(), path.as_os_str()],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "the override makes the record valid"
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["profile"], "children-hospital-x@3");
    assert_eq!(result["findings"][0]["severity"], "warning");
}
