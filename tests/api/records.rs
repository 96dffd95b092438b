//! `POST /v1/records`, `GET /v1/records/{id}`, `GET /v1/records`: storage, identity,
//! replacement, idempotency and work lists.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, days_ago};

both!(
    a_new_record_is_created_and_can_be_read_back,
    |app| async move {
        let stored = app.store(&complete_record("MRN-1", "ED"), 201).await;
        assert_eq!(stored["outcome"], "created");
        let id = stored["id"].as_str().expect("stored records have an id");
        let read = app.get_json(&format!("/v1/records/{id}"), 200).await;
        assert_eq!(read["id"], id);
        assert_eq!(read["status"], stored["status"]);
        assert_eq!(read["findings"], stored["findings"]);
        assert!(read.get("outcome").is_none());
    }
);

both!(reposting_the_same_record_is_idempotent, |app| async move {
    let record = complete_record("MRN-1", "ED");
    let first = app.store(&record, 201).await;
    let second = app.store(&record, 200).await;
    assert_eq!(second["outcome"], "duplicate");
    assert_eq!(second["id"], first["id"]);
    // The same content with recorded_at in another offset is the same record.
    let mut shifted = record.clone();
    let at = chrono::DateTime::parse_from_rfc3339(record["recorded_at"].as_str().unwrap()).unwrap();
    shifted["recorded_at"] = json!(at
        .with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap())
        .to_rfc3339());
    let third = app.store(&shifted, 200).await;
    assert_eq!(third["outcome"], "duplicate");
    let report = app.report("").await;
    assert_eq!(report["total"]["patients"], 1, "no double counting");
    let page = app.get_json("/v1/records", 200).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
});

both!(
    a_newer_record_replaces_the_current_state,
    |app| async move {
        let mut old = bare_record("MRN-1", "ED");
        old["recorded_at"] = json!(days_ago(10));
        let first = app.store(&old, 201).await;
        assert_eq!(first["status"], "incomplete");
        let newer = complete_record("MRN-1", "ED");
        let second = app.store(&newer, 200).await;
        assert_eq!(second["outcome"], "replaced");
        assert_ne!(second["id"], first["id"]);
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 1);
        assert_eq!(report["units"][0]["domains"]["race"]["complete"], 1);
        assert_eq!(report["units"][0]["domains"]["race"]["missing"], 0);
        // History is kept: the old record is still readable.
        let old_id = first["id"].as_str().unwrap();
        let read = app.get_json(&format!("/v1/records/{old_id}"), 200).await;
        assert_eq!(read["status"], "incomplete");
    }
);

both!(an_older_record_is_kept_in_history_only, |app| async move {
    let current = complete_record("MRN-1", "ED");
    let first = app.store(&current, 201).await;
    let mut older = bare_record("MRN-1", "ED");
    older["recorded_at"] = json!(days_ago(30));
    let second = app.store(&older, 200).await;
    assert_eq!(second["outcome"], "historical");
    let read = app
        .get_json(
            &format!("/v1/records/{}", second["id"].as_str().unwrap()),
            200,
        )
        .await;
    assert_eq!(read["status"], "incomplete");
    let page = app.get_json("/v1/records", 200).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], first["id"]);
    let report = app.report("").await;
    assert_eq!(report["units"][0]["domains"]["race"]["complete"], 1);
});

both!(
    an_equal_recorded_at_with_other_content_does_not_replace,
    |app| async move {
        let current = complete_record("MRN-1", "ED");
        let first = app.store(&current, 201).await;
        let mut same_time = bare_record("MRN-1", "ED");
        same_time["recorded_at"] = current["recorded_at"].clone();
        let second = app.store(&same_time, 200).await;
        assert_eq!(second["outcome"], "historical");
        let page = app.get_json("/v1/records", 200).await;
        assert_eq!(page["items"][0]["id"], first["id"]);
    }
);

both!(
    the_same_patient_in_two_units_is_two_patients,
    |app| async move {
        app.store(&complete_record("MRN-1", "ED"), 201).await;
        app.store(&complete_record("MRN-1", "NICU"), 201).await;
        let report = app.report("").await;
        assert_eq!(report["total"]["patients"], 2);
    }
);

both!(an_unknown_record_id_is_not_found, |app| async move {
    let response = app
        .get(&format!("/v1/records/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(response.status().as_u16(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let response = app.get("/v1/records/not-a-uuid").await;
    assert_eq!(response.status().as_u16(), 404);
});

both!(
    the_work_list_filters_by_unit_status_and_rule,
    |app| async move {
        app.store(&complete_record("MRN-1", "ED"), 201).await;
        app.store(&bare_record("MRN-2", "ED"), 201).await;
        app.store(&bare_record("MRN-3", "NICU"), 201).await;
        let mut invalid = complete_record("MRN-4", "ED");
        invalid["race"]["codes"] = json!([{"code": "2106-4"}]);
        app.store(&invalid, 201).await;

        let ids = |page: &Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["patient_id"].as_str().unwrap().to_string())
                .collect()
        };
        let ed = app.get_json("/v1/records?unit=ED", 200).await;
        assert_eq!(ids(&ed), ["MRN-1", "MRN-2", "MRN-4"]);
        let incomplete = app.get_json("/v1/records?status=incomplete", 200).await;
        assert_eq!(ids(&incomplete), ["MRN-2", "MRN-3"]);
        let ed_incomplete = app
            .get_json("/v1/records?unit=ED&status=incomplete", 200)
            .await;
        assert_eq!(ids(&ed_incomplete), ["MRN-2"]);
        let bad_code = app
            .get_json("/v1/records?rule=RACE_CODE_INVALID", 200)
            .await;
        assert_eq!(ids(&bad_code), ["MRN-4"]);
        let caregiver = app
            .get_json("/v1/records?rule=CAREGIVER_MISSING&unit=NICU", 200)
            .await;
        assert_eq!(ids(&caregiver), ["MRN-3"]);
    }
);

both!(the_work_list_pages_with_a_cursor, |app| async move {
    for i in 0..7 {
        app.store(&bare_record(&format!("MRN-{i}"), "ED"), 201)
            .await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/records?limit=3".to_string();
    let mut pages = 0;
    loop {
        let page = app.get_json(&path, 200).await;
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["patient_id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/records?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).map(|i| format!("MRN-{i}")).collect();
    assert_eq!(seen, expected);
});

both!(
    bad_list_parameters_are_rejected_with_the_parameter_named,
    |app| async move {
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("status=done", "status"),
            ("rule=NOT_A_RULE", "rule"),
            ("cursor=zzz", "cursor"),
        ] {
            let response = app.get(&format!("/v1/records?{query}")).await;
            assert_eq!(response.status().as_u16(), 422, "{query}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "validation_failed");
            assert_eq!(body["error"]["details"][0]["path"], field, "{query}");
        }
        let response = app.get("/v1/records?limit=abc").await;
        assert_eq!(response.status().as_u16(), 422);
        let response = app.get("/v1/records?colour=blue").await;
        assert_eq!(response.status().as_u16(), 422);
    }
);

both!(
    a_cursor_naming_a_record_no_longer_stored_is_refused_with_the_cursor_named,
    |app| async move {
        // A cursor is a record's UUID; its page starts after that record's patient. A
        // record purged since (here: one never stored) cannot place the page: the answer
        // names the cursor instead of starting the list again or ending it.
        app.store(&bare_record("MRN-1", "ED"), 201).await;
        use base64::Engine as _;
        let gone = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(uuid::Uuid::now_v7().to_string());
        let response = app.get(&format!("/v1/records?cursor={gone}")).await;
        assert_eq!(response.status().as_u16(), 422);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["details"][0]["path"], "cursor", "{body}");
    }
);
