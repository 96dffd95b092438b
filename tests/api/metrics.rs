//! `GET /metrics`: what flows through the service, in the Prometheus text format, counted
//! exactly; an admin key on the main address, none on `REALDQ_METRICS_BIND`; no PHI.

use serde_json::json;

use crate::both;
use crate::helpers::{bare_record, complete_record, TestApp};

/// The scrape's text (200, the text format's media type).
async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.unwrap()
}

/// The value of the sample whose name and labels are exactly `series`
/// (`name{a="x",b="y"}`, labels in the exporter's order), if it is there.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == series).then(|| value.parse().unwrap())
        })
}

both!(
    ingest_is_counted_by_format_source_and_outcome,
    |app| async move {
        // One batch: two new patients, the first again (a duplicate), a line that is no
        // record; then one record alone.
        let first = complete_record("M1", "ED");
        let lines = format!(
            "{}\n{}\n{}\n{{not json\n",
            first,
            bare_record("M2", "ED"),
            first
        );
        let answers = app.batch(&lines).await;
        assert_eq!(answers.len(), 4);
        app.store(&complete_record("M3", "NICU"), 201).await;
        let text = scrape(&app).await;
        let records = |format: &str, source: &str, outcome: &str| {
            value(
                &text,
                &format!(
                    "realdq_records_total{{format=\"{format}\",source=\"{source}\",outcome=\"{outcome}\"}}"
                ),
            )
        };
        let source = first["source"].as_str().unwrap();
        assert_eq!(records("ndjson", source, "created"), Some(2.0), "{text}");
        assert_eq!(records("ndjson", source, "duplicate"), Some(1.0), "{text}");
        assert_eq!(
            records("ndjson", "unknown", "rejected"),
            Some(1.0),
            "{text}"
        );
        assert_eq!(records("json", source, "created"), Some(1.0), "{text}");
        // The rules fired on the three stored records, counted once per record.
        let bare = app.store(&bare_record("X", "ED"), 201).await;
        let text = scrape(&app).await;
        for rule in crate::helpers::rules_of(&bare) {
            let fired = value(
                &text,
                &format!("realdq_rule_fired_total{{rule=\"{rule}\"}}"),
            );
            assert!(fired.unwrap_or(0.0) >= 2.0, "{rule}: {fired:?}\n{text}");
        }
        // Latency by route pattern, the batch's included; the pool's state.
        assert_eq!(
            value(
                &text,
                "realdq_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/records/batch\",status=\"200\"}"
            ),
            Some(1.0),
            "{text}"
        );
        assert!(value(&text, "realdq_db_pool_checkouts_total").unwrap() > 0.0);
        assert!(
            text.contains("realdq_db_pool_connections{state=\"idle\"}"),
            "{text}"
        );
        assert_eq!(
            value(&text, "realdq_batch_lines_in_flight"),
            Some(0.0),
            "{text}"
        );
        // Never a patient id.
        for id in ["M1", "M2", "M3"] {
            assert!(!text.contains(&format!("\"{id}\"")), "{id} in {text}");
        }
    }
);

both!(metrics_need_an_admin_key, |app| async move {
    let anonymous = app
        .client_for(None)
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let key = app.create_key("reporter", "report", &[]).await;
    let report = app
        .client_for(Some(&key))
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status().as_u16(), 403);
});

both!(every_answer_carries_its_request_id, |app| async move {
    let first = app.get("/v1/framework").await;
    let second = app.get("/v1/framework").await;
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(!id(&first).is_empty());
    assert_ne!(id(&first), id(&second));
    // Errors too.
    let missing = app
        .client_for(None)
        .get(app.url("/v1/records"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 401);
    assert!(missing.headers().contains_key("x-request-id"));
});

both!(
    the_metrics_address_serves_metrics_without_a_key_and_nothing_else,
    |settings: &mut real_dq::config::Settings| settings.metrics_bind = Some("127.0.0.1:0".into()),
    |app| async move {
        app.store(&json!(complete_record("S1", "ED")), 201).await;
        let address = app
            .metrics_address
            .clone()
            .expect("the metrics listener is on");
        let client = app.client_for(None);
        let response = client
            .get(format!("http://{address}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let text = response.text().await.unwrap();
        assert!(
            text.contains("realdq_records_total{format=\"json\""),
            "{text}"
        );
        for path in ["/v1/records", "/v1/keys", "/"] {
            let other = client
                .get(format!("http://{address}{path}"))
                .send()
                .await
                .unwrap();
            assert_eq!(other.status().as_u16(), 404, "{path}");
        }
        let post = client
            .post(format!("http://{address}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status().as_u16(), 405);
    }
);

both!(items_that_are_no_record_are_told_apart, |app| async move {
    // The written Bulk export: 4 Patients, 5 caregivers with them, an Observation, an
    // orphan RelatedPerson.
    let lines: Vec<String> = include_str!("../fixtures/fhir-written/bulk-export-01.ndjson")
        .lines()
        .map(str::to_string)
        .collect();
    crate::fhir::import(&app, &lines).await;
    // An A40 merge: acknowledged, nothing to store.
    let merge = include_bytes!("../fixtures/hl7v2-written/ADT-A40-01.hl7").to_vec();
    let response = app
        .post_raw("/hl7v2", "x-application/hl7-v2+er7", merge)
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let text = scrape(&app).await;
    let bulk = |source: &str, outcome: &str| {
        value(
                &text,
                &format!(
                    "realdq_records_total{{format=\"fhir-bulk\",source=\"{source}\",outcome=\"{outcome}\"}}"
                ),
            )
    };
    assert_eq!(
        bulk("https://ehr.example.org/fhir", "created"),
        Some(4.0),
        "{text}"
    );
    assert_eq!(bulk("unknown", "attached"), Some(5.0), "{text}");
    assert_eq!(bulk("unknown", "ignored"), Some(1.0), "{text}");
    assert_eq!(bulk("unknown", "rejected"), Some(1.0), "{text}");
    assert_eq!(
        value(
            &text,
            "realdq_records_total{format=\"hl7v2\",source=\"unknown\",outcome=\"ignored\"}"
        ),
        Some(1.0),
        "{text}"
    );
});
