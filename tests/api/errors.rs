//! Every error code in its envelope, with the failing field, and nothing stored.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{complete_record, TestApp};

async fn error_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert!(response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = response.json().await.expect("error bodies are JSON");
    assert!(body["error"]["code"].is_string(), "envelope: {body}");
    assert!(body["error"]["message"].is_string(), "envelope: {body}");
    body["error"].clone()
}

async fn nothing_stored(app: &TestApp) {
    let page = app.get_json("/v1/records", 200).await;
    assert_eq!(
        page["items"],
        json!([]),
        "a rejected record must not be stored"
    );
}

both!(malformed_json_is_400_invalid_json, |app| async move {
    let response = app
        .post_raw("/v1/records", "application/json", "{\"source\": ")
        .await;
    let error = error_of(response, 400).await;
    assert_eq!(error["code"], "invalid_json");
    nothing_stored(&app).await;
});

both!(
    a_missing_envelope_lists_every_missing_field,
    |app| async move {
        let response = app
            .post_json("/v1/records", &json!({"race": {"codes": []}}))
            .await;
        let error = error_of(response, 422).await;
        assert_eq!(error["code"], "validation_failed");
        let paths: Vec<&str> = error["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["patient_id", "recorded_at", "source", "unit"]);
        nothing_stored(&app).await;
    }
);

both!(
    a_bad_timestamp_is_422_naming_recorded_at,
    |app| async move {
        let mut record = complete_record("MRN-1", "ED");
        record["recorded_at"] = json!("20/11/2026");
        let error = error_of(app.post_json("/v1/records", &record).await, 422).await;
        assert_eq!(error["details"][0]["path"], "recorded_at");
        nothing_stored(&app).await;
    }
);

both!(
    a_wrongly_typed_field_is_422_with_its_path,
    |app| async move {
        let mut record = complete_record("MRN-1", "ED");
        record["race"]["codes"][1]["code"] = json!(2028);
        let error = error_of(app.post_json("/v1/records", &record).await, 422).await;
        assert_eq!(error["details"][0]["path"], "race.codes[1].code");
        let mut record = complete_record("MRN-1", "ED");
        record["language"]["english_proficiency"] = json!("fluent");
        let error = error_of(app.post_json("/v1/records", &record).await, 422).await;
        assert_eq!(error["details"][0]["path"], "language.english_proficiency");
        let error = error_of(app.post_json("/v1/records", &json!([1, 2])).await, 422).await;
        assert_eq!(error["code"], "validation_failed");
        nothing_stored(&app).await;
    }
);

both!(an_unknown_route_is_404_in_the_envelope, |app| async move {
    let error = error_of(app.get("/v2/nothing").await, 404).await;
    assert_eq!(error["code"], "not_found");
});

both!(a_wrong_method_is_405_in_the_envelope, |app| async move {
    let response = app
        .client
        .delete(app.url("/v1/records"))
        .send()
        .await
        .unwrap();
    let error = error_of(response, 405).await;
    assert_eq!(error["code"], "method_not_allowed");
});

both!(a_record_over_the_size_limit_is_413, |app| async move {
    let mut record = complete_record("MRN-1", "ED");
    record["race"]["text"] = json!("x".repeat(300 * 1024));
    let error = error_of(app.post_json("/v1/records", &record).await, 413).await;
    assert_eq!(error["code"], "payload_too_large");
    nothing_stored(&app).await;
});

both!(a_non_json_content_type_is_415, |app| async move {
    let body = complete_record("MRN-1", "ED").to_string();
    let response = app.post_raw("/v1/records", "text/xml", body.clone()).await;
    let error = error_of(response, 415).await;
    assert_eq!(error["code"], "unsupported_media_type");
    let response = app
        .post_raw("/v1/records/batch", "application/json", body)
        .await;
    assert_eq!(
        error_of(response, 415).await["code"],
        "unsupported_media_type"
    );
    nothing_stored(&app).await;
});

#[actix_web::test]
async fn a_batch_over_its_cap_is_413_before_reading() {
    let small = TestApp::builder(crate::helpers::Db::Sqlite)
        .settings(|s| s.max_batch_bytes = 1000)
        .start()
        .await;
    let body = format!("{}\n", complete_record("MRN-1", "ED")).repeat(5);
    let response = small
        .post_raw("/v1/records/batch", "application/x-ndjson", body)
        .await;
    let error = error_of(response, 413).await;
    assert_eq!(error["code"], "payload_too_large");
}
