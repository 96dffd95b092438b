//! The JSON Schemas in `schemas/` and `GET /openapi.json` kept in step with what the
//! service really accepts and answers: real requests and responses are validated.

use std::collections::BTreeSet;

use jsonschema::{Resource, Validator};
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, TestApp};

const FILES: [&str; 12] = [
    "record",
    "diff",
    "alerts",
    "distribution",
    "result",
    "completeness-report",
    "trend",
    "error",
    "batch-line",
    "records-page",
    "framework",
    "profile",
];

fn load(name: &str) -> Value {
    let path = format!("{}/schemas/{name}.schema.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file"))
        .expect("schema JSON")
}

/// A validator for one schema file, with every other file registered for `$ref`s.
fn validator(name: &str) -> Validator {
    let mut options = jsonschema::options().should_validate_formats(true);
    for file in FILES {
        let schema = load(file);
        let id = schema["$id"].as_str().expect("$id").to_string();
        options = options.with_resource(id, Resource::from_contents(schema).expect("resource"));
    }
    options.build(&load(name)).expect("schema compiles")
}

pub fn assert_valid(name: &str, instance: &Value) {
    let validator = validator(name);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{name}.schema.json rejects {instance}: {errors:?}"
    );
}

#[test]
fn every_schema_is_valid_json_schema_2020_12() {
    for file in FILES {
        let schema = load(file);
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{file}"
        );
        jsonschema::meta::validate(&schema).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

#[test]
fn the_profile_schema_accepts_the_shipped_profile_and_rejects_a_bad_one() {
    let validator = validator("profile");
    let path = format!(
        "{}/schemas/profiles/phec-real.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut profile: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(validator.is_valid(&profile));
    profile["severity"] = json!({"RACE_MISSING": "loud"});
    assert!(!validator.is_valid(&profile));
}

#[test]
fn the_record_schema_accepts_what_the_service_accepts_and_rejects_a_missing_envelope() {
    let validator = validator("record");
    assert!(validator.is_valid(&complete_record("MRN-1", "ED")));
    assert!(validator.is_valid(&bare_record("MRN-1", "ED")));
    for field in ["source", "patient_id", "unit", "recorded_at"] {
        let mut record = complete_record("MRN-1", "ED");
        record.as_object_mut().unwrap().remove(field);
        assert!(!validator.is_valid(&record), "without {field}");
    }
    let mut record = complete_record("MRN-1", "ED");
    record["race"]["null_flavor"] = json!("MAYBE");
    assert!(!validator.is_valid(&record));
}

#[test]
fn the_record_schema_and_the_service_agree_on_the_optional_domains() {
    let validator = validator("record");
    let mut record = complete_record("MRN-5", "ADOL");
    record["sogi"] = json!({
        "sexual_orientation": {"codes": [{"system": "http://snomed.info/sct", "code": "20430005"}]},
        "gender_identity": {"null_flavor": "ASKU"},
        "pronouns": {"codes": [{"system": "http://loinc.org", "code": "LA29520-6"}]},
        "reported_by": "self"
    });
    record["disability"] = json!({"hearing": true, "vision": false, "null_flavor": null});
    record["caregivers"][0]["disability"] = json!({"hearing": true});
    record["sdoh"] =
        json!({"screened_on": "2026-10-01", "positive": ["food_insecurity", "transportation"]});
    assert!(validator.is_valid(&record));
    let bytes = serde_json::to_vec(&record).unwrap();
    assert!(real_dq::record::Record::from_json(&bytes).is_ok());
    // A social need outside the closed vocabulary: refused by both.
    record["sdoh"]["positive"] = json!(["loneliness"]);
    assert!(!validator.is_valid(&record));
    let bytes = serde_json::to_vec(&record).unwrap();
    assert!(real_dq::record::Record::from_json(&bytes).is_err());
    record["sdoh"]["positive"] = json!([]);
    record["sogi"]["reported_by"] = json!("neighbour");
    assert!(!validator.is_valid(&record));
    let bytes = serde_json::to_vec(&record).unwrap();
    assert!(real_dq::record::Record::from_json(&bytes).is_err());
}

both!(responses_match_their_schemas, |app| async move {
    let app: TestApp = app;
    let validated: Value = app
        .post_json("/v1/validate", &complete_record("MRN-1", "ED"))
        .await
        .json()
        .await
        .unwrap();
    assert_valid("result", &validated);
    let stored = app.store(&bare_record("MRN-2", "ED"), 201).await;
    assert_valid("result", &stored);
    let mut invalid = complete_record("MRN-3", "NICU");
    invalid["race"]["codes"] = json!([{"code": "2135-2"}, {"code": "12"}]);
    invalid["caregivers"][0]["language"]["preferred"] = json!("Spanish");
    let stored = app.store(&invalid, 201).await;
    assert_valid("result", &stored);
    let read = app
        .get_json(
            &format!("/v1/records/{}", stored["id"].as_str().unwrap()),
            200,
        )
        .await;
    assert_valid("result", &read);
    assert_valid(
        "records-page",
        &app.get_json("/v1/records?limit=2", 200).await,
    );
    assert_valid("completeness-report", &app.report("").await);
    assert_valid(
        "trend",
        &app.get_json("/v1/reports/trend?period=week", 200).await,
    );
    assert_valid("alerts", &app.get_json("/v1/alerts", 200).await);
    assert_valid(
        "distribution",
        &app.get_json("/v1/reports/distribution", 200).await,
    );
    assert_valid("framework", &app.get_json("/v1/framework", 200).await);
    let answers = app
        .batch(&format!(
            "{}\nnot json\n{{}}\n",
            complete_record("MRN-4", "ED")
        ))
        .await;
    for answer in &answers {
        assert_valid("batch-line", answer);
    }
    for response in [
        app.post_raw("/v1/records", "application/json", "{").await,
        app.post_json("/v1/records", &json!({})).await,
        app.get("/nowhere").await,
        app.get(&format!("/v1/records/{}", uuid::Uuid::new_v4()))
            .await,
        app.post_raw("/v1/records", "text/plain", "x").await,
        app.get("/v1/records?limit=0").await,
        app.client
            .delete(app.url("/v1/records"))
            .send()
            .await
            .unwrap(),
        app.client.post(app.url("/healthz")).send().await.unwrap(),
        app.client
            .get(app.url("/v1/reports/completeness"))
            .header("accept", "application/xml")
            .send()
            .await
            .unwrap(),
    ] {
        let body: Value = response.json().await.unwrap();
        assert_valid("error", &body);
    }
});

both!(
    openapi_describes_every_route_and_embeds_the_schemas,
    |app| async move {
        let document = app.get_json("/openapi.json", 200).await;
        assert_eq!(document["openapi"], "3.1.0");
        let documented: BTreeSet<(String, String)> = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (m.clone(), path.clone()))
            })
            .collect();
        let served: BTreeSet<(String, String)> = real_dq::api::openapi::routes()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        assert_eq!(documented, served);
        for (method, path) in &served {
            let concrete = path
                .replace("{id}", &uuid::Uuid::new_v4().to_string())
                .replace("{name}", "no-such-key");
            let request = match method.as_str() {
                "get" => app.client.get(app.url(&concrete)),
                "delete" => app.client.delete(app.url(&concrete)),
                _ => app
                    .client
                    .post(app.url(&concrete))
                    .header("content-type", "application/json")
                    .body("{}"),
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is routed");
            assert!(
                !body.contains("resource not found") && status != 403,
                "{method} {path} is routed: {body}"
            );
        }
        for (name, file) in [
            ("Record", "record"),
            ("Result", "result"),
            ("CompletenessReport", "completeness-report"),
            ("Trend", "trend"),
            ("Alerts", "alerts"),
            ("Distribution", "distribution"),
            ("Error", "error"),
        ] {
            assert_eq!(
                document["components"]["schemas"][name],
                load(file),
                "{name} is the file's schema"
            );
        }
    }
);
