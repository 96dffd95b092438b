//! `GET /v1/reports/completeness`: counts, rates, thresholds, windows, CSV.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, days_ago, TestApp};

/// Ten ED patients: 8 complete, 1 declined race, 1 with nothing; two NICU patients, one
/// with an invalid race code.
async fn seed(app: &TestApp) {
    for i in 0..8 {
        app.store(&complete_record(&format!("ED-{i}"), "ED"), 201)
            .await;
    }
    let mut declined = complete_record("ED-8", "ED");
    declined["race"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
    app.store(&declined, 201).await;
    app.store(&bare_record("ED-9", "ED"), 201).await;
    app.store(&complete_record("NICU-0", "NICU"), 201).await;
    let mut invalid = complete_record("NICU-1", "NICU");
    invalid["race"]["codes"] = json!([{"code": "9999-9"}]);
    app.store(&invalid, 201).await;
}

both!(
    completeness_counts_rates_and_thresholds_by_unit,
    |app| async move {
        seed(&app).await;
        let report = app.report("").await;
        assert_eq!(report["profile"], "phec-real@1");
        let units: Vec<&str> = report["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["unit"].as_str().unwrap())
            .collect();
        assert_eq!(units, ["ED", "NICU"]);
        let ed = &report["units"][0];
        assert_eq!(ed["patients"], 10);
        assert_eq!(
            ed["domains"]["race"],
            json!({"complete": 8, "declined": 1, "unknown": 0, "not_asked": 0, "missing": 1, "invalid": 0, "rate": 0.9, "threshold": "pass"})
        );
        assert_eq!(ed["domains"]["language"]["rate"], 0.9);
        assert_eq!(
            ed["real_complete"],
            json!({"count": 9, "rate": 0.9, "threshold": "pass"})
        );
        let nicu = &report["units"][1];
        assert_eq!(nicu["domains"]["race"]["invalid"], 1);
        assert_eq!(nicu["domains"]["race"]["rate"], 0.5);
        assert_eq!(nicu["domains"]["race"]["threshold"], "fail");
        assert_eq!(nicu["real_complete"]["count"], 1);
        assert!(nicu["top_rules"]
            .as_array()
            .unwrap()
            .contains(&json!({"rule": "RACE_CODE_INVALID", "count": 1})));
        assert_eq!(report["total"]["patients"], 12);
        assert_eq!(report["total"]["domains"]["race"]["complete"], 9);
        assert_eq!(report["total"]["real_complete"]["count"], 10);
        // 10/12 = 0.8333: above fail (0.80), below warn (0.90).
        assert_eq!(report["total"]["real_complete"]["threshold"], "warn");
        let top: Vec<&str> = ed["top_rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rule"].as_str().unwrap())
            .collect();
        assert!(top.contains(&"RACE_DECLINED"), "{top:?}");
    }
);

both!(the_report_window_selects_by_recorded_at, |app| async move {
    let mut old = complete_record("OLD", "ED");
    old["recorded_at"] = json!(days_ago(40));
    app.store(&old, 201).await;
    app.store(&complete_record("NEW", "ED"), 201).await;
    let from = days_ago(10);
    let recent = app.report(&format!("?from={from}")).await;
    assert_eq!(recent["total"]["patients"], 1);
    assert_eq!(recent["from"].as_str().unwrap(), from);
    let earlier = app.report(&format!("?to={from}")).await;
    assert_eq!(earlier["total"]["patients"], 1);
    let none = app
        .report(&format!("?from={}&to={}", days_ago(100), days_ago(50)))
        .await;
    assert_eq!(none["total"]["patients"], 0);
    assert_eq!(none["units"], json!([]));
    assert_eq!(none["total"]["real_complete"]["rate"], Value::Null);
});

both!(the_report_filters_by_unit, |app| async move {
    seed(&app).await;
    let report = app.report("?unit=NICU").await;
    assert_eq!(report["units"].as_array().unwrap().len(), 1);
    assert_eq!(report["total"]["patients"], 2);
});

both!(the_report_is_csv_when_asked, |app| async move {
    seed(&app).await;
    let response = app
        .client
        .get(app.url("/v1/reports/completeness"))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = response.text().await.unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "unit,domain,patients,complete,declined,unknown,not_asked,missing,invalid,rate,threshold"
    );
    assert_eq!(rows.len(), 1 + 2 * 6);
    assert_eq!(rows[1], "ED,race,10,8,1,0,0,1,0,0.9000,pass");
    assert!(rows.contains(&"NICU,race,2,1,0,0,0,0,1,0.5000,fail"));
    let by_query = app
        .get("/v1/reports/completeness?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(by_query.lines().count(), rows.len());
});

both!(
    a_unit_name_with_a_comma_is_quoted_in_csv,
    |app| async move {
        app.store(&complete_record("A", "Peds, 4th floor"), 201)
            .await;
        let text = app
            .get("/v1/reports/completeness?format=csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(text
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("\"Peds, 4th floor\",race,1,"));
    }
);

both!(bad_report_parameters_are_rejected, |app| async move {
    for (query, field) in [
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("format=xml", "format"),
    ] {
        let response = app.get(&format!("/v1/reports/completeness?{query}")).await;
        assert_eq!(response.status().as_u16(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["details"][0]["path"], field);
    }
    let response = app
        .get(&format!(
            "/v1/reports/completeness?from={}&to={}",
            days_ago(1),
            days_ago(2)
        ))
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let response = app
        .client
        .get(app.url("/v1/reports/completeness"))
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 406);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_acceptable");
});

both!(
    the_caregiver_domains_count_only_the_patients_they_are_required_of,
    |app| async move {
        // A child with everything recorded, and an adult without any caregiver.
        app.store(&complete_record("CHILD-1", "MIXED"), 201).await;
        let mut adult = complete_record("ADULT-1", "MIXED");
        adult["birth_date"] = json!(crate::helpers::birth_date_for_age(40));
        adult.as_object_mut().unwrap().remove("caregivers");
        app.store(&adult, 201).await;
        let report = app.report("").await;
        let unit = report["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == "MIXED")
            .unwrap();
        assert_eq!(unit["patients"], 2);
        for domain in ["caregivers", "caregiver_language"] {
            let counts = &unit["domains"][domain];
            assert_eq!(counts["eligible"], 1, "{domain}: {counts}");
            assert_eq!(counts["missing"], 0, "{domain}: {counts}");
            assert_eq!(counts["rate"], 1.0, "{domain}: {counts}");
        }
        // The other domains count both patients.
        assert!(unit["domains"]["race"].get("eligible").is_none());
        assert_eq!(unit["domains"]["race"]["complete"], 2);
    }
);
