//! `GET /v1/reports/trend`: each period's counts as of its end, late records changing the
//! past, equality with the completeness report, CSV, errors and access.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, TestApp};

fn at(record: &mut Value, time: &str) {
    record["recorded_at"] = json!(time);
}

fn complete_at(patient: &str, time: &str) -> Value {
    let mut r = complete_record(patient, "ED");
    at(&mut r, time);
    r
}

fn bare_at(patient: &str, time: &str) -> Value {
    let mut r = bare_record(patient, "ED");
    at(&mut r, time);
    r
}

fn declined_at(patient: &str, time: &str) -> Value {
    let mut r = complete_at(patient, time);
    r["race"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
    r
}

/// `(period, patients, race complete, declined, missing)` of the ED unit per period (a
/// period without ED patients shows zeros).
async fn ed_race(app: &TestApp, query: &str) -> Vec<(String, i64, i64, i64, i64)> {
    let trend = app
        .get_json(&format!("/v1/reports/trend?{query}"), 200)
        .await;
    trend["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let ed = p["units"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["unit"] == "ED");
            let n = |f: &str| ed.map_or(0, |u| u["domains"]["race"][f].as_i64().unwrap());
            (
                p["period"].as_str().unwrap().to_string(),
                ed.map_or(0, |u| u["patients"].as_i64().unwrap()),
                n("complete"),
                n("declined"),
                n("missing"),
            )
        })
        .collect()
}

fn row(period: &str, counts: (i64, i64, i64, i64)) -> (String, i64, i64, i64, i64) {
    (period.to_string(), counts.0, counts.1, counts.2, counts.3)
}

both!(
    each_period_counts_each_patients_state_as_of_its_end,
    |app| async move {
        app.store(&complete_at("P1", "2025-01-10T12:00:00Z"), 201)
            .await;
        app.store(&bare_at("P1", "2025-03-10T12:00:00Z"), 200).await;
        app.store(&bare_at("P2", "2025-02-15T12:00:00Z"), 201).await;
        let months = "period=month&from=2025-01-01&to=2025-05-01";
        assert_eq!(
            ed_race(&app, months).await,
            [
                row("2025-01-01", (1, 1, 0, 0)),
                row("2025-02-01", (2, 1, 0, 1)),
                row("2025-03-01", (2, 0, 0, 2)),
                row("2025-04-01", (2, 0, 0, 2)),
            ]
        );

        // Posted late: P1's race declined on 20 February, between its two records. It
        // changes February (and only February); the current state stays the March record.
        let late = app
            .store(&declined_at("P1", "2025-02-20T09:00:00Z"), 200)
            .await;
        assert_eq!(late["outcome"], "historical", "{late}");
        // P2 complete in early January, before its bare February record.
        app.store(&complete_at("P2", "2025-01-05T08:00:00Z"), 200)
            .await;
        assert_eq!(
            ed_race(&app, months).await,
            [
                row("2025-01-01", (2, 2, 0, 0)),
                row("2025-02-01", (2, 0, 1, 1)),
                row("2025-03-01", (2, 0, 0, 2)),
                row("2025-04-01", (2, 0, 0, 2)),
            ]
        );
        // Weeks end inside months: the days' changes, not the months'.
        assert_eq!(
            ed_race(&app, "period=week&from=2025-02-10&to=2025-02-24").await,
            [
                row("2025-02-10", (2, 1, 0, 1)),
                row("2025-02-17", (2, 0, 1, 1)),
            ]
        );
        assert_eq!(
            ed_race(
                &app,
                "period=day&from=2025-02-19T00:00:00Z&to=2025-02-21T00:00:00Z"
            )
            .await,
            [
                row("2025-02-19", (2, 1, 0, 1)),
                row("2025-02-20", (2, 0, 1, 1)),
            ]
        );
        // Re-posting changes nothing; the same time again is history only.
        app.store(&declined_at("P1", "2025-02-20T09:00:00Z"), 200)
            .await;
        app.store(&bare_at("P1", "2025-02-20T09:00:00Z"), 200).await;
        assert_eq!(
            ed_race(&app, "period=week&from=2025-02-17&to=2025-02-24").await,
            [row("2025-02-17", (2, 0, 1, 1))]
        );
        // Now: both records of March and February are current; the report agrees.
        let report = app.report("").await;
        assert_eq!(report["units"][0]["domains"]["race"]["missing"], 2);
    }
);

both!(
    the_period_that_ends_now_equals_the_completeness_report,
    |app| async move {
        let mut lines = String::new();
        for i in 0..30 {
            let unit = ["ED", "NICU", "=CARDIO"][i % 3];
            let record = match i % 4 {
                0 => bare_record(&format!("P{i}"), unit),
                1 => {
                    let mut r = complete_record(&format!("P{i}"), unit);
                    r["race"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
                    r
                }
                2 => {
                    let mut r = complete_record(&format!("P{i}"), unit);
                    r["race"]["codes"] = json!([{"code": "9999-9"}]);
                    r
                }
                _ => complete_record(&format!("P{i}"), unit),
            };
            lines.push_str(&record.to_string());
            lines.push('\n');
        }
        app.batch(&lines).await;
        let report = app.report("").await;
        for period in ["day", "week", "month"] {
            let trend = app
                .get_json(&format!("/v1/reports/trend?period={period}"), 200)
                .await;
            let periods = trend["periods"].as_array().unwrap();
            assert_eq!(periods.len(), 12, "{period}");
            let last = periods.last().unwrap();
            let units = last["units"].as_array().unwrap();
            assert_eq!(units.len(), report["units"].as_array().unwrap().len());
            for (unit, reported) in units.iter().zip(report["units"].as_array().unwrap()) {
                assert_eq!(unit["unit"], reported["unit"]);
                assert_eq!(unit["patients"], reported["patients"]);
                assert_eq!(unit["domains"], reported["domains"], "{period}");
                assert_eq!(unit["real_complete"], reported["real_complete"]);
            }
            assert_eq!(last["total"], report["total"], "{period}");
        }
    }
);

async fn csv_rows(app: &TestApp, query: &str) -> Vec<Vec<String>> {
    let response = app.get(&format!("/v1/reports/trend?{query}")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = response.text().await.unwrap();
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

both!(
    the_trend_is_a_csv_of_periods_units_and_domains,
    |app| async move {
        app.store(&complete_at("P1", "2025-01-10T12:00:00Z"), 201)
            .await;
        app.store(&bare_at("P2", "2025-02-15T12:00:00Z"), 201).await;
        let response = app
            .get("/v1/reports/trend?from=2025-01-01&to=2025-03-01&format=csv")
            .await;
        let text = response.text().await.unwrap();
        assert_eq!(
        text.lines().next().unwrap(),
        "period,unit,domain,patients,complete,declined,unknown,not_asked,missing,invalid,rate,threshold"
    );
        let race = csv_rows(&app, "from=2025-01-01&to=2025-03-01&domain=race&format=csv").await;
        assert_eq!(
            race,
            [
                [
                    "2025-01-01",
                    "ED",
                    "race",
                    "1",
                    "1",
                    "0",
                    "0",
                    "0",
                    "0",
                    "0",
                    "1.0000",
                    "pass"
                ],
                [
                    "2025-02-01",
                    "ED",
                    "race",
                    "2",
                    "1",
                    "0",
                    "0",
                    "0",
                    "1",
                    "0",
                    "0.5000",
                    "fail"
                ],
            ]
        );
        let real = csv_rows(
            &app,
            "from=2025-02-01&to=2025-03-01&domain=real_complete&format=csv",
        )
        .await;
        assert_eq!(
            real,
            [[
                "2025-02-01",
                "ED",
                "real_complete",
                "2",
                "1",
                "",
                "",
                "",
                "",
                "",
                "0.5000",
                "fail"
            ]]
        );
        let all = csv_rows(&app, "from=2025-02-01&to=2025-03-01&format=csv").await;
        let domains: Vec<&str> = all.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(
            domains,
            [
                "race",
                "ethnicity",
                "language",
                "interpreter",
                "caregivers",
                "caregiver_language",
                "real_complete"
            ]
        );
    }
);

both!(a_bad_trend_query_names_its_field, |app| async move {
    for (query, field) in [
        ("period=year", "period"),
        ("domain=height", "domain"),
        ("from=yesterday", "from"),
        ("to=2025-13-01", "to"),
        ("from=2025-02-01&to=2025-01-01", "to"),
        ("from=2025-02-01&to=2025-02-01", "to"),
        ("period=day&from=2020-01-01&to=2025-01-01", "from"),
        ("format=xml", "format"),
    ] {
        let response = app.get(&format!("/v1/reports/trend?{query}")).await;
        assert_eq!(response.status().as_u16(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["error"]["details"][0]["path"], field,
            "{query}: {body}"
        );
    }
});

both!(the_trend_shows_a_key_its_own_units_only, |app| async move {
    app.store(&complete_at("P1", "2025-01-10T12:00:00Z"), 201)
        .await;
    let mut nicu = complete_record("N1", "NICU");
    at(&mut nicu, "2025-01-11T12:00:00Z");
    app.store(&nicu, 201).await;
    let query = "/v1/reports/trend?from=2025-01-01&to=2025-02-01";
    let key = app.create_key("nicu-quality", "report", &["NICU"]).await;
    let client = app.client_for(Some(&key));
    let trend: Value = client
        .get(app.url(query))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let units = &trend["periods"][0]["units"];
    assert_eq!(units.as_array().unwrap().len(), 1, "{trend}");
    assert_eq!(units[0]["unit"], "NICU");
    assert_eq!(trend["periods"][0]["total"]["patients"], 1);
    let other = client
        .get(app.url(&format!("{query}&unit=ED")))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 403);
    let ingest = app.create_key("feed", "ingest", &[]).await;
    let refused = app
        .client_for(Some(&ingest))
        .get(app.url(query))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let nobody = app
        .client_for(None)
        .get(app.url(query))
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status().as_u16(), 401);
});
