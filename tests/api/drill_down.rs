//! The drill-down (`GET /v1/records?unit=&domain=&status=&rule=&source=`): from any cell of
//! the completeness report to the records behind it, as JSON and as a CSV work list with
//! each finding's staff hint; the `report` role gets it without patient ids.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::TestApp;

/// Every record of every page of `query` (JSON), following the cursors.
async fn all_items(app: &TestApp, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/records?{query}&limit=100&cursor={c}"),
            None => format!("/v1/records?{query}&limit=100"),
        };
        let page = app.get_json(&path, 200).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return items,
        }
    }
}

/// 400 synthetic records of two sending systems.
async fn seed(app: &TestApp) {
    let mut generator = real_dq::synthetic::Generator::new(5);
    let lines: String = (0..400)
        .map(|i| {
            let mut record = generator.record(i);
            if i % 3 == 0 {
                record["source"] = json!("lab-feed");
            }
            format!("{record}\n")
        })
        .collect();
    let answers = app.batch(&lines).await;
    assert!(answers.iter().all(|a| a["result"].is_object()));
}

both!(
    every_report_cell_drills_down_to_exactly_its_records,
    |app| async move {
        seed(&app).await;
        let report = app.report("").await;
        let mut cells = 0;
        for unit in report["units"].as_array().unwrap() {
            let name = unit["unit"].as_str().unwrap();
            for (domain, counts) in unit["domains"].as_object().unwrap() {
                for status in [
                    "complete",
                    "declined",
                    "unknown",
                    "not_asked",
                    "missing",
                    "invalid",
                ] {
                    let expected = counts[status].as_u64().unwrap_or(0);
                    if expected == 0 {
                        continue;
                    }
                    cells += 1;
                    let items = all_items(
                        &app,
                        &format!("unit={name}&domain={domain}&status={status}"),
                    )
                    .await;
                    assert_eq!(items.len() as u64, expected, "{name} {domain} {status}");
                    for item in &items {
                        assert_eq!(item["unit"], name);
                        assert_eq!(item["domains"][domain], status, "{item}");
                    }
                }
                // The heat map's cell: every patient the rate leaves out.
                let denominator = counts["eligible"]
                    .as_u64()
                    .unwrap_or(unit["patients"].as_u64().unwrap());
                let done =
                    counts["complete"].as_u64().unwrap() + counts["declined"].as_u64().unwrap();
                let left = all_items(
                    &app,
                    &format!("unit={name}&domain={domain}&status=incomplete"),
                )
                .await;
                assert_eq!(
                    left.len() as u64,
                    denominator - done,
                    "{name} {domain} incomplete"
                );
                for item in &left {
                    let status = item["domains"][domain].as_str().unwrap_or("");
                    assert!(
                        !["complete", "declined", "not_required", ""].contains(&status),
                        "{name} {domain}: {item}"
                    );
                }
            }
        }
        assert!(cells > 30, "{cells} cells");
        // Several record statuses at once: the registration work list.
        let to_fix = all_items(&app, "status=incomplete,invalid").await;
        let complete = all_items(&app, "status=complete").await;
        assert_eq!(to_fix.len() + complete.len(), 400);
        assert!(to_fix.iter().all(|i| i["status"] != "complete"));
        // By sending system.
        let lab = all_items(&app, "source=lab-feed").await;
        assert_eq!(lab.len(), 134);
        assert!(lab.iter().all(|i| i["source"] == "lab-feed"));
        let both_filters = all_items(&app, "source=lab-feed&domain=race&status=missing").await;
        assert!(both_filters
            .iter()
            .all(|i| i["source"] == "lab-feed" && i["domains"]["race"] == "missing"));
    }
);

both!(a_domain_filter_is_checked, |app| async move {
    for (query, field) in [
        ("domain=race", "status"),
        ("domain=race&status=pending", "status"),
        ("status=complete,pending", "status"),
        ("domain=height&status=missing", "domain"),
        ("domain=race&status=not_required", "status"),
    ] {
        let response = app.get(&format!("/v1/records?{query}")).await;
        assert_eq!(response.status().as_u16(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["error"]["details"][0]["path"], field,
            "{query}: {body}"
        );
    }
    let caregivers = app
        .get("/v1/records?domain=caregivers&status=not_required")
        .await;
    assert_eq!(caregivers.status().as_u16(), 200);
});

/// CSV rows (header first) of a work list page.
async fn csv_rows(client: &reqwest::Client, url: String) -> (Vec<Vec<String>>, Option<String>) {
    let response = client
        .get(url)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let next = response
        .headers()
        .get("x-next-cursor")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = vec![reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect()];
    rows.extend(
        reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect()),
    );
    (rows, next)
}

both!(
    the_work_list_is_a_csv_with_each_findings_hint,
    |app| async move {
        seed(&app).await;
        let query = "unit=ED&domain=race&status=missing&limit=5";
        let json = app.get_json(&format!("/v1/records?{query}"), 200).await;
        let (rows, next) = csv_rows(&app.client, app.url(&format!("/v1/records?{query}"))).await;
        assert_eq!(
            rows[0],
            [
                "record_id",
                "source",
                "patient_id",
                "unit",
                "recorded_at",
                "status",
                "rule",
                "severity",
                "domain",
                "path",
                "message",
                "hint"
            ]
        );
        // One row per finding, in the items' order, with the finding's own words.
        let expected: Vec<Vec<String>> = json["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|item| {
                item["findings"].as_array().unwrap().iter().map(move |f| {
                    [
                        &item["id"],
                        &item["source"],
                        &item["patient_id"],
                        &item["unit"],
                        &item["recorded_at"],
                        &item["status"],
                        &f["rule"],
                        &f["severity"],
                        &f["domain"],
                        &f["path"],
                        &f["message"],
                        &f["hint"],
                    ]
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
                })
            })
            .collect();
        assert_eq!(rows[1..], expected[..]);
        assert!(rows.iter().skip(1).any(|r| r[6] == "RACE_MISSING"));
        assert_eq!(next.as_deref(), json["next_cursor"].as_str());

        // The report role: no patient id, no message or path; the rules with their hints.
        let key = app.create_key("quality", "report", &[]).await;
        let (rows, _) = csv_rows(
            &app.client_for(Some(&key)),
            app.url(&format!("/v1/records?{query}")),
        )
        .await;
        assert!(rows.len() > 1);
        for row in &rows[1..] {
            assert_eq!(row[2], "", "{row:?}");
            assert_eq!((row[9].as_str(), row[10].as_str()), ("", ""), "{row:?}");
            if !row[6].is_empty() {
                let rule = real_dq::catalog::by_id(&row[6]).unwrap();
                assert_eq!(row[11], rule.hint);
            }
        }
        assert!(rows.iter().any(|r| r[6] == "RACE_MISSING"));
    }
);

both!(
    csv_cells_from_feeds_are_never_spreadsheet_formulas,
    |app| async move {
        let mut record = crate::helpers::bare_record("=HYPERLINK(\"http://x\")", "ED");
        record["source"] = json!("+cmd");
        app.store(&record, 201).await;
        let (rows, _) = csv_rows(&app.client, app.url("/v1/records?unit=ED")).await;
        assert!(rows.len() > 1);
        for row in &rows[1..] {
            assert_eq!(row[1], "'+cmd");
            assert_eq!(row[2], "'=HYPERLINK(\"http://x\")");
        }
    }
);
