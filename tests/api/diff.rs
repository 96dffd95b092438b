//! `GET /v1/reports/diff`: findings new, resolved and persisting since a day (late records
//! and findings that went and came back included), rates then and now equal to the trend's
//! and the report's, the drill-down to each cell's records, CSV, errors, and the kept
//! counts equal to a recount from the timelines.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, days_ago, TestApp};

const FROM: &str = "2025-06-01";

fn at(mut record: Value, time: &str) -> Value {
    record["recorded_at"] = json!(time);
    record
}

fn bare(patient: &str, time: &str) -> Value {
    at(bare_record(patient, "ED"), time)
}

fn complete(patient: &str, time: &str) -> Value {
    at(complete_record(patient, "ED"), time)
}

/// Seven patients of the ED around 2025-06-01 (RACE_MISSING is the finding followed).
async fn seed(app: &TestApp) {
    let (may, june, july) = (
        "2025-05-10T12:00:00Z",
        "2025-06-10T12:00:00Z",
        "2025-07-01T12:00:00Z",
    );
    // P1: missing in May, complete in July: resolved.
    app.store(&bare("P1", may), 201).await;
    app.store(&complete("P1", july), 200).await;
    // P2: missing since May: persisting.
    app.store(&bare("P2", may), 201).await;
    // P3: complete in May, missing in July: new.
    app.store(&complete("P3", may), 201).await;
    app.store(&bare("P3", july), 200).await;
    // P4: first seen in July, missing: new.
    app.store(&bare("P4", july), 201).await;
    // P5: missing in May, complete in June, missing again in July: resolved and new.
    app.store(&bare("P5", may), 201).await;
    app.store(&complete("P5", june), 200).await;
    app.store(&bare("P5", july), 200).await;
    // P6: missing in July; a record posted late says complete in May: new.
    app.store(&bare("P6", july), 201).await;
    let late = app.store(&complete("P6", may), 200).await;
    assert_eq!(late["outcome"], "historical", "{late}");
    // P7: complete in July; a late record says missing in May: resolved.
    app.store(&complete("P7", july), 201).await;
    app.store(&bare("P7", may), 200).await;
}

/// The ED's RACE_MISSING row of a diff.
fn race_missing(diff: &Value) -> Value {
    diff["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == "ED")
        .and_then(|u| {
            u["rules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["rule"] == "RACE_MISSING")
                .cloned()
        })
        .unwrap_or_else(|| panic!("no ED RACE_MISSING in {diff}"))
}

/// The patients of a drill-down, sorted.
async fn patients(app: &TestApp, query: &str) -> Vec<String> {
    let page = app.get_json(&format!("/v1/records?{query}"), 200).await;
    let mut ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["patient_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

both!(
    the_diff_counts_each_finding_new_resolved_or_persisting,
    |app| async move {
        seed(&app).await;
        let diff = app
            .get_json(&format!("/v1/reports/diff?from={FROM}"), 200)
            .await;
        assert_eq!(diff["from"], "2025-06-01T00:00:00Z");
        let row = race_missing(&diff);
        assert_eq!(
            (
                &row["new"],
                &row["resolved"],
                &row["persisting"],
                &row["from"],
                &row["to"]
            ),
            (&json!(4), &json!(3), &json!(1), &json!(4), &json!(5)),
            "{row}"
        );
        let total = diff["total"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == "RACE_MISSING")
            .unwrap();
        assert_eq!(total, &row);
        // Each cell's records, through the drill-down.
        let cell =
            |finding: &str| format!("unit=ED&rule=RACE_MISSING&finding={finding}&since={FROM}");
        assert_eq!(patients(&app, &cell("new")).await, ["P3", "P4", "P5", "P6"]);
        assert_eq!(patients(&app, &cell("resolved")).await, ["P1", "P5", "P7"]);
        assert_eq!(patients(&app, &cell("persisting")).await, ["P2"]);
        // Rates then equal the trend's as of the day, rates now the report's.
        let ed = diff["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == "ED")
            .unwrap();
        let trend = app
            .get_json(
                "/v1/reports/trend?period=day&from=2025-05-31&to=2025-06-01&unit=ED",
                200,
            )
            .await;
        let then = &trend["periods"][0]["units"][0];
        let now = &app.report("?unit=ED").await["units"][0];
        assert_eq!(ed["patients"], json!({"from": 6, "to": 7}));
        for domain in ["race", "ethnicity", "language"] {
            assert_eq!(
                ed["domains"][domain]["from"],
                then["domains"][domain]["rate"]
            );
            assert_eq!(ed["domains"][domain]["to"], now["domains"][domain]["rate"]);
            assert_eq!(
                ed["domains"][domain]["threshold_to"],
                now["domains"][domain]["threshold"]
            );
        }
        assert_eq!(ed["real_complete"]["to"], now["real_complete"]["rate"]);
        let (a, b) = (
            ed["domains"]["race"]["from"].as_f64().unwrap(),
            ed["domains"]["race"]["to"].as_f64().unwrap(),
        );
        assert!((ed["domains"]["race"]["change"].as_f64().unwrap() - (b - a)).abs() < 1e-4);
        crate::schemas::assert_valid("diff", &diff);
        // CSV.
        let csv = app
            .client_for(Some(&app.admin_key))
            .get(app.url(&format!("/v1/reports/diff?from={FROM}&format=csv")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            csv.starts_with("unit,rule,new,resolved,persisting\n"),
            "{csv}"
        );
        assert!(csv.contains("\nED,RACE_MISSING,4,3,1\n"), "{csv}");
        // The same day as a midnight instant.
        let again = app
            .get_json("/v1/reports/diff?from=2025-06-01T00:00:00Z&unit=ED", 200)
            .await;
        assert_eq!(race_missing(&again), row);
    }
);

both!(bad_diff_queries_name_their_field, |app| async move {
    let tomorrow = (chrono::Utc::now() + chrono::TimeDelta::days(2))
        .format("%Y-%m-%d")
        .to_string();
    for (query, field) in [
        ("/v1/reports/diff?from=2025-06-01&to=2025-07-01", "to"),
        ("/v1/reports/diff?from=2025-06-01T10:00:00Z", "from"),
        ("/v1/reports/diff?from=June", "from"),
        ("/v1/reports/diff?from=-2026-01-01", "from"),
        ("/v1/reports/diff?from=1899-12-31", "from"),
        (&format!("/v1/reports/diff?from={tomorrow}"), "from"),
        ("/v1/reports/diff?format=xml", "format"),
        ("/v1/records?finding=new&rule=RACE_MISSING", "since"),
        ("/v1/records?since=2025-06-01", "finding"),
        ("/v1/records?finding=new&since=2025-06-01", "rule"),
        (
            "/v1/records?finding=old&since=2025-06-01&rule=RACE_MISSING",
            "finding",
        ),
        (
            "/v1/records?finding=new&since=yesterday&rule=RACE_MISSING",
            "since",
        ),
    ] {
        let error = app.get_json(query, 422).await;
        assert_eq!(error["error"]["details"][0]["path"], field, "{query}");
    }
    // Without from: the last 30 days.
    let diff = app.get_json("/v1/reports/diff", 200).await;
    assert_eq!(&diff["from"].as_str().unwrap()[..10], &days_ago(30)[..10]);
    // A key limited to a unit sees only it; naming another is 403.
    let key = app.create_key("icu-report", "report", &["ICU"]).await;
    let client = crate::helpers::keyed_client(&key);
    let other = client
        .get(app.url("/v1/reports/diff?unit=ED"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 403);
});

both!(
    every_diff_cell_drills_down_to_exactly_its_count,
    |app| async move {
        // Patients coming back out of time order over a year, in two units.
        let mut generator = real_dq::synthetic::Generator::new(11);
        for round in 0..3u64 {
            let mut lines = String::new();
            for i in 0..120u64 {
                let mut record = generator.record((i * 5 + round) % 120);
                record["unit"] = json!(["ED", "NICU"][(i % 2) as usize]);
                record["recorded_at"] = json!(days_ago(1 + ((i * 17 + round * 131) % 360) as i64));
                lines.push_str(&format!("{record}\n"));
            }
            app.batch(&lines).await;
        }
        let since = &days_ago(120)[..10];
        let diff = app
            .get_json(&format!("/v1/reports/diff?from={since}"), 200)
            .await;
        let mut cells = 0;
        for unit in diff["units"].as_array().unwrap() {
            let name = unit["unit"].as_str().unwrap();
            for rule in unit["rules"].as_array().unwrap() {
                let id = rule["rule"].as_str().unwrap();
                for finding in ["new", "resolved", "persisting"] {
                    let listed = patients(
                        &app,
                        &format!("unit={name}&rule={id}&finding={finding}&since={since}&limit=500"),
                    )
                    .await;
                    assert_eq!(
                        listed.len() as i64,
                        rule[finding].as_i64().unwrap(),
                        "{name} {id} {finding}"
                    );
                    cells += 1;
                }
                assert_eq!(
                    rule["from"].as_i64().unwrap(),
                    rule["persisting"].as_i64().unwrap() + rule["resolved"].as_i64().unwrap()
                );
            }
        }
        assert!(cells > 20, "{cells} cells");
        // The kept rows equal a recount from the timelines.
        let manager = real_dq::store::connection::Manager::new(&app.database_url);
        let mut conn = manager.connect().expect("the test connects");
        let kept = finding_rows(&mut conn);
        assert!(!kept.is_empty());
        {
            use diesel::prelude::*;
            use real_dq::store::schema::pending_rebuilds;
            diesel::insert_into(pending_rebuilds::table)
                .values(pending_rebuilds::name.eq("findings"))
                .execute(&mut conn)
                .unwrap();
        }
        assert_eq!(real_dq::store::rebuild::pending(&mut conn).unwrap(), 1);
        assert_eq!(finding_rows(&mut conn), kept);
    }
);

/// The kept findings rows, net of zeros, sorted.
fn finding_rows(
    conn: &mut real_dq::store::DbConnection,
) -> Vec<(&'static str, i64, String, String, i64, i64)> {
    use diesel::prelude::*;
    use real_dq::store::schema::{finding_days, finding_months};
    let days: Vec<(i64, String, String, i64, i64)> = finding_days::table
        .select((
            finding_days::day,
            finding_days::unit,
            finding_days::rule,
            finding_days::net,
            finding_days::open_now,
        ))
        .load(conn)
        .unwrap();
    let months: Vec<(i64, String, String, i64, i64)> = finding_months::table
        .select((
            finding_months::month,
            finding_months::unit,
            finding_months::rule,
            finding_months::net,
            finding_months::open_now,
        ))
        .load(conn)
        .unwrap();
    let mut rows: Vec<_> = days
        .into_iter()
        .map(|(p, u, r, k, n)| ("day", p, u, r, k, n))
        .chain(
            months
                .into_iter()
                .map(|(p, u, r, k, n)| ("month", p, u, r, k, n)),
        )
        .filter(|r| (r.4, r.5) != (0, 0))
        .collect();
    rows.sort();
    rows
}
