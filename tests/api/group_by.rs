//! Breakdowns beyond unit: `group_by=unit|source|reported_by` on the completeness report
//! and the trend, `reported_by=` on the drill-down, and the trend's kept rows equal to a
//! recount from the timelines (what a migration asks for when it starts).

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, days_ago, TestApp};

/// The four patients: two units, two sources, four reporters.
async fn seed(app: &TestApp) {
    // ED, epic-prod, race and ethnicity by the caregiver: `caregiver`.
    app.store(&complete_record("P1", "ED"), 201).await;
    // ED, lab: nothing at all, so no reporter: `not_recorded`.
    let mut bare = bare_record("P2", "ED");
    bare["source"] = json!("lab");
    app.store(&bare, 201).await;
    // NICU, epic-prod: race by the patient, ethnicity by the caregiver: `mixed`.
    let mut mixed = complete_record("P3", "NICU");
    mixed["race"]["reported_by"] = json!("self");
    app.store(&mixed, 201).await;
    // NICU, lab: race observed by staff, ethnicity without a reporter: `staff_observed`.
    let mut observed = complete_record("P4", "NICU");
    observed["source"] = json!("lab");
    observed["race"]["reported_by"] = json!("staff_observed");
    observed["ethnicity"]
        .as_object_mut()
        .unwrap()
        .remove("reported_by");
    app.store(&observed, 201).await;
}

/// `group → (patients, race complete, race missing)` of a report's groups.
fn groups(report: &Value, array: &str, name: &str) -> Vec<(String, i64, i64, i64)> {
    let mut rows: Vec<(String, i64, i64, i64)> = report[array]
        .as_array()
        .unwrap_or_else(|| panic!("{array} in {report}"))
        .iter()
        .map(|g| {
            (
                g[name].as_str().unwrap().to_string(),
                g["patients"].as_i64().unwrap(),
                g["domains"]["race"]["complete"].as_i64().unwrap(),
                g["domains"]["race"]["missing"].as_i64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn g(name: &str, patients: i64, complete: i64, missing: i64) -> (String, i64, i64, i64) {
    (name.to_string(), patients, complete, missing)
}

both!(
    the_report_groups_patients_by_unit_source_or_reporter,
    |app| async move {
        seed(&app).await;
        let by_unit = app.report("").await;
        assert_eq!(
            groups(&by_unit, "units", "unit"),
            [g("ED", 2, 1, 1), g("NICU", 2, 2, 0)]
        );
        assert!(by_unit.get("group_by").is_none() && by_unit.get("groups").is_none());
        let same = app
            .get_json("/v1/reports/completeness?group_by=unit", 200)
            .await;
        assert_eq!(same["units"], by_unit["units"]);

        let by_source = app
            .get_json("/v1/reports/completeness?group_by=source", 200)
            .await;
        assert_eq!(by_source["group_by"], "source");
        assert!(by_source.get("units").is_none());
        assert_eq!(
            groups(&by_source, "groups", "group"),
            [g("epic-prod", 2, 2, 0), g("lab", 2, 1, 1)]
        );
        let by_reporter = app
            .get_json("/v1/reports/completeness?group_by=reported_by", 200)
            .await;
        assert_eq!(
            groups(&by_reporter, "groups", "group"),
            [
                g("caregiver", 1, 1, 0),
                g("mixed", 1, 1, 0),
                g("not_recorded", 1, 0, 1),
                g("staff_observed", 1, 1, 0),
            ]
        );
        // Every grouping counts the same patients in all.
        for report in [&by_source, &by_reporter] {
            assert_eq!(report["total"], by_unit["total"]);
        }
        // A group's top rules are its patients' findings: the bare record's from lab.
        let lab = by_source["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"] == "lab")
            .unwrap();
        assert!(lab["top_rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "RACE_MISSING"));
        // A unit and a grouping together: the unit's patients by source.
        let ed = app
            .get_json("/v1/reports/completeness?unit=ED&group_by=source", 200)
            .await;
        assert_eq!(
            groups(&ed, "groups", "group"),
            [g("epic-prod", 1, 1, 0), g("lab", 1, 0, 1)]
        );
        // A window (a scan of the states) groups the same way.
        let windowed = app
            .get_json(
                &format!(
                    "/v1/reports/completeness?group_by=reported_by&from={}",
                    days_ago(30)
                ),
                200,
            )
            .await;
        assert_eq!(windowed["groups"], by_reporter["groups"]);
        // CSV: the first column is named by the grouping.
        let csv = app
            .client_for(Some(&app.admin_key))
            .get(app.url("/v1/reports/completeness?group_by=source&format=csv"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.starts_with("source,domain,patients,"), "{csv}");
        assert!(csv.contains("\nlab,race,2,1,0,0,0,1,0,"), "{csv}");
        // The answer matches its schema.
        crate::schemas::assert_valid("completeness-report", &by_source);
        crate::schemas::assert_valid("completeness-report", &by_unit);
    }
);

both!(the_trend_groups_as_the_report_does, |app| async move {
    seed(&app).await;
    for grouping in ["source", "reported_by"] {
        let report = app
            .get_json(
                &format!("/v1/reports/completeness?group_by={grouping}"),
                200,
            )
            .await;
        let trend = app
            .get_json(
                &format!("/v1/reports/trend?period=day&group_by={grouping}"),
                200,
            )
            .await;
        assert_eq!(trend["group_by"], grouping);
        let last = trend["periods"].as_array().unwrap().last().unwrap();
        assert_eq!(
            groups(last, "groups", "group"),
            groups(&report, "groups", "group"),
            "{grouping}"
        );
        crate::schemas::assert_valid("trend", &trend);
    }
    // Before the records' day, no group had patients.
    let trend = app
        .get_json(
            &format!(
                "/v1/reports/trend?period=day&group_by=source&from={}&to={}",
                &days_ago(5)[..10],
                &days_ago(3)[..10]
            ),
            200,
        )
        .await;
    for period in trend["periods"].as_array().unwrap() {
        assert!(groups(period, "groups", "group").iter().all(|g| g.1 == 0));
    }
    let csv = app
        .client_for(Some(&app.admin_key))
        .get(app.url("/v1/reports/trend?group_by=reported_by&format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("period,reported_by,domain,"), "{csv}");
});

both!(the_drill_down_takes_a_reporter, |app| async move {
    seed(&app).await;
    let ids = |page: &Value| -> Vec<String> {
        let mut ids: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["patient_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let mixed = app.get_json("/v1/records?reported_by=mixed", 200).await;
    assert_eq!(ids(&mixed), ["P3"]);
    let observed = app
        .get_json("/v1/records?reported_by=staff_observed&unit=NICU", 200)
        .await;
    assert_eq!(ids(&observed), ["P4"]);
    let none = app
        .get_json(
            "/v1/records?reported_by=not_recorded&domain=race&status=missing",
            200,
        )
        .await;
    assert_eq!(ids(&none), ["P2"]);
    let kept = app.get_json("/v1/records?reported_by=not_kept", 200).await;
    assert!(ids(&kept).is_empty());
    // Each group's drill-down holds exactly its report count.
    let report = app
        .get_json("/v1/reports/completeness?group_by=reported_by", 200)
        .await;
    for group in report["groups"].as_array().unwrap() {
        let name = group["group"].as_str().unwrap();
        let page = app
            .get_json(&format!("/v1/records?reported_by={name}"), 200)
            .await;
        assert_eq!(
            page["items"].as_array().unwrap().len() as i64,
            group["patients"].as_i64().unwrap(),
            "{name}"
        );
    }
    // Bad values name their field.
    for (query, field) in [
        ("/v1/records?reported_by=nurse", "reported_by"),
        ("/v1/reports/completeness?group_by=ward", "group_by"),
        ("/v1/reports/trend?group_by=", "group_by"),
    ] {
        let error = app.get_json(query, 422).await;
        assert_eq!(error["error"]["details"][0]["path"], field, "{query}");
    }
});

/// The trend's kept rows, net of zeros, sorted: `(table, period, unit, source, combo, n)`.
fn trend_rows(
    conn: &mut real_dq::store::DbConnection,
) -> Vec<(&'static str, i64, String, String, String, i64)> {
    use diesel::prelude::*;
    use real_dq::store::schema::{trend_days, trend_months};
    let days: Vec<(i64, String, String, String, i64)> = trend_days::table
        .select((
            trend_days::day,
            trend_days::unit,
            trend_days::source,
            trend_days::combo,
            trend_days::patients,
        ))
        .load(conn)
        .unwrap();
    let months: Vec<(i64, String, String, String, i64)> = trend_months::table
        .select((
            trend_months::month,
            trend_months::unit,
            trend_months::source,
            trend_months::combo,
            trend_months::patients,
        ))
        .load(conn)
        .unwrap();
    let mut rows: Vec<_> = days
        .into_iter()
        .map(|(p, u, s, c, n)| ("day", p, u, s, c, n))
        .chain(
            months
                .into_iter()
                .map(|(p, u, s, c, n)| ("month", p, u, s, c, n)),
        )
        .filter(|r| r.5 != 0)
        .collect();
    rows.sort();
    rows
}

both!(
    the_kept_trend_equals_a_recount_from_the_timelines,
    |app| async move {
        // Three sources, patients coming back out of time order: late records change
        // the past of their keys.
        let mut generator = real_dq::synthetic::Generator::new(5);
        for round in 0..3 {
            let mut lines = String::new();
            for i in 0..200 {
                let mut record = generator.record(((i * 3 + round) % 200) as u64);
                record["source"] = json!(["adt", "lab", "portal"][(i % 3) as usize]);
                record["recorded_at"] = json!(days_ago(1 + ((i * 13 + round * 97) % 400) as i64));
                lines.push_str(&format!("{record}\n"));
            }
            app.batch(&lines).await;
        }
        let manager = real_dq::store::connection::Manager::new(&app.database_url);
        let mut conn = manager.connect().expect("the test connects");
        let kept = trend_rows(&mut conn);
        assert!(kept.iter().any(|r| r.3 == "portal"));
        // What the migration does: empty the rows and ask for a recount.
        {
            use diesel::prelude::*;
            use real_dq::store::schema::{pending_rebuilds, trend_days, trend_months};
            diesel::delete(trend_days::table)
                .execute(&mut conn)
                .unwrap();
            diesel::delete(trend_months::table)
                .execute(&mut conn)
                .unwrap();
            diesel::insert_into(pending_rebuilds::table)
                .values(pending_rebuilds::name.eq("trend"))
                .execute(&mut conn)
                .unwrap();
        }
        assert!(trend_rows(&mut conn).is_empty());
        assert_eq!(real_dq::store::rebuild::pending(&mut conn).unwrap(), 1);
        assert_eq!(trend_rows(&mut conn), kept);
        // Done once: nothing is pending after it.
        assert_eq!(real_dq::store::rebuild::pending(&mut conn).unwrap(), 0);
    }
);
