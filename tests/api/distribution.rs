//! `GET /v1/reports/distribution`: the share of each answer by unit, kept as records
//! arrive (a replaced record's answers leave the counts), JSON and CSV, errors and access.

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, days_ago, TestApp};

/// `(value, patients, share)` of a domain of a unit's (or the total's) distribution.
fn shares(unit: &Value, domain: &str) -> Vec<(String, i64, f64)> {
    unit["domains"][domain]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["value"].as_str().unwrap().to_string(),
                s["patients"].as_i64().unwrap(),
                s["share"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn v(value: &str, patients: i64, share: f64) -> (String, i64, f64) {
    (value.to_string(), patients, share)
}

async fn seed(app: &TestApp) {
    // Asian and White (Korean): two categories; Not Hispanic; Spanish.
    app.store(&complete_record("P1", "ED"), 201).await;
    let mut other = complete_record("P2", "ED");
    other["race"] = json!({"codes": [{"code": "2131-1"}], "reported_by": "caregiver"});
    other["ethnicity"] = json!({"codes": [{"code": "2135-2"}], "reported_by": "caregiver"});
    other["language"]["preferred"] = json!("en-US");
    other["language"]["written"] = json!("en");
    app.store(&other, 201).await;
    let mut declined = complete_record("P3", "ED");
    declined["race"] = json!({"null_flavor": "ASKU", "reported_by": "caregiver"});
    declined["ethnicity"] = json!({"null_flavor": "UNK", "reported_by": "caregiver"});
    declined["language"] = json!({"null_flavor": "NASK"});
    app.store(&declined, 201).await;
    app.store(&bare_record("P4", "ED"), 201).await;
    app.store(&complete_record("N1", "NICU"), 201).await;
}

both!(
    the_distribution_counts_each_answer_of_each_unit,
    |app| async move {
        seed(&app).await;
        let all = app.get_json("/v1/reports/distribution", 200).await;
        let ed = &all["units"][0];
        assert_eq!(ed["unit"], "ED");
        assert_eq!(ed["described"], 4);
        assert_eq!(
            shares(ed, "race"),
            [
                v("2028-9", 1, 0.25),
                v("2106-3", 1, 0.25),
                v("2131-1", 1, 0.25),
                v("multiple", 1, 0.25),
                v("declined", 1, 0.25),
                v("missing", 1, 0.25),
            ]
        );
        assert_eq!(ed["domains"]["race"][0]["label"], "Asian");
        assert_eq!(ed["domains"]["race"][2]["label"], "Other Race");
        assert_eq!(ed["domains"]["race"][4]["answered"], false);
        assert_eq!(
            shares(ed, "ethnicity"),
            [
                v("2135-2", 1, 0.25),
                v("2186-5", 1, 0.25),
                v("unknown", 1, 0.25),
                v("missing", 1, 0.25),
            ]
        );
        assert_eq!(
            shares(ed, "language"),
            [
                v("en", 1, 0.25),
                v("es", 1, 0.25),
                v("not_asked", 1, 0.25),
                v("missing", 1, 0.25),
            ]
        );
        assert_eq!(ed["domains"]["language"][1]["label"], "Spanish");
        // Each patient has one ethnicity and one language answer: they add up.
        for domain in ["ethnicity", "language"] {
            let sum: i64 = shares(ed, domain).iter().map(|s| s.1).sum();
            assert_eq!(sum, 4, "{domain}");
        }
        assert_eq!(all["total"]["described"], 5);
        assert!(all["total"].get("unit").is_none());
        let total_es = shares(&all["total"], "language")
            .into_iter()
            .find(|s| s.0 == "es")
            .unwrap();
        assert_eq!(total_es, v("es", 2, 0.4));

        // A newer record replaces P2's answers: Other Race leaves the counts.
        let mut black = complete_record("P2", "ED");
        black["recorded_at"] = json!(days_ago(1));
        black["race"] = json!({"codes": [{"code": "2054-5"}], "reported_by": "caregiver"});
        app.store(&black, 200).await;
        let ed = app
            .get_json("/v1/reports/distribution?unit=ED&domain=race", 200)
            .await;
        assert_eq!(ed["units"].as_array().unwrap().len(), 1);
        assert_eq!(
            shares(&ed["units"][0], "race"),
            [
                v("2028-9", 1, 0.25),
                v("2054-5", 1, 0.25),
                v("2106-3", 1, 0.25),
                v("multiple", 1, 0.25),
                v("declined", 1, 0.25),
                v("missing", 1, 0.25),
            ]
        );
        assert!(ed["units"][0]["domains"].get("language").is_none());

        // CSV.
        let csv = app
            .get("/v1/reports/distribution?unit=NICU&domain=ethnicity&format=csv")
            .await;
        assert_eq!(csv.status().as_u16(), 200);
        assert_eq!(
            csv.text().await.unwrap(),
            "unit,domain,value,label,answered,patients,described,share\n\
             NICU,ethnicity,2186-5,Not Hispanic or Latino,true,1,1,1.0000\n\
             ,ethnicity,2186-5,Not Hispanic or Latino,true,1,1,1.0000\n"
        );
    }
);

both!(
    the_distribution_refuses_bad_parameters_and_other_units,
    |app| async move {
        seed(&app).await;
        for (query, field) in [("domain=caregivers", "domain"), ("format=xml", "format")] {
            let response = app.get(&format!("/v1/reports/distribution?{query}")).await;
            assert_eq!(response.status().as_u16(), 422, "{query}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["details"][0]["path"], field, "{query}");
        }
        let key = app.create_key("nicu-quality", "report", &["NICU"]).await;
        let client = app.client_for(Some(&key));
        let mine: Value = client
            .get(app.url("/v1/reports/distribution"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(mine["units"].as_array().unwrap().len(), 1);
        assert_eq!(mine["units"][0]["unit"], "NICU");
        assert_eq!(mine["total"]["described"], 1);
        let other = client
            .get(app.url("/v1/reports/distribution?unit=ED"))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status().as_u16(), 403);
    }
);

/// Every kept counter, sorted: `(table, unit, key, patients)` without the zeros.
fn kept(conn: &mut real_dq::store::DbConnection) -> Vec<(String, String, String, i64)> {
    use diesel::prelude::*;
    use real_dq::store::schema::{answer_counts, report_counts, rule_counts};
    let mut all: Vec<(String, String, String, i64)> = Vec::new();
    let answers: Vec<(String, String, i64)> = answer_counts::table
        .select((
            answer_counts::unit,
            answer_counts::answer,
            answer_counts::patients,
        ))
        .load(conn)
        .unwrap();
    all.extend(
        answers
            .into_iter()
            .map(|(u, a, n)| ("answer".into(), u, a, n)),
    );
    let rules: Vec<(String, String, String, String, i64)> = rule_counts::table
        .select((
            rule_counts::unit,
            rule_counts::source,
            rule_counts::reported_by,
            rule_counts::rule,
            rule_counts::patients,
        ))
        .load(conn)
        .unwrap();
    all.extend(
        rules
            .into_iter()
            .map(|(u, s, by, r, n)| ("rule".into(), u, format!("{s} {by} {r}"), n)),
    );
    type Group = (String, String, String, bool, String, String, String, i64);
    let groups: Vec<Group> = report_counts::table
        .select((
            report_counts::unit,
            report_counts::source,
            report_counts::reported_by,
            report_counts::real_complete,
            report_counts::race,
            report_counts::language,
            report_counts::optional_domains,
            report_counts::patients,
        ))
        .load(conn)
        .unwrap();
    let mut merged: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for (u, source, by, complete, race, language, optional, n) in groups {
        *merged
            .entry((
                u,
                format!("{source} {by} {complete} {race} {language} {optional}"),
            ))
            .or_default() += n;
    }
    all.extend(
        merged
            .into_iter()
            .map(|((u, k), n)| ("group".into(), u, k, n)),
    );
    all.retain(|row| row.3 != 0);
    all.sort();
    all
}

both!(
    the_kept_counts_equal_a_recount_from_the_current_states,
    |app| async move {
        // Patients coming back: replaced, historical and duplicate records.
        // Three batches, so that later ones replace states stored by earlier ones.
        let mut generator = real_dq::synthetic::Generator::new(3);
        let mut outcomes = std::collections::BTreeSet::new();
        for round in 0..3 {
            let mut lines = String::new();
            for i in 0..250 {
                let mut record = generator.record((i * 3 + round) % 250);
                record["recorded_at"] = json!(days_ago(1 + ((i * 7 + round * 50) % 300) as i64));
                lines.push_str(&format!("{record}\n"));
            }
            for answer in app.batch(&lines).await {
                outcomes.insert(
                    answer["result"]["outcome"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                );
            }
        }
        assert!(
            outcomes.contains("replaced") && outcomes.contains("historical"),
            "{outcomes:?}"
        );
        let manager = real_dq::store::connection::Manager::new(&app.database_url);
        let mut conn = manager.connect().expect("the test connects");
        let before = kept(&mut conn);
        assert!(before.iter().any(|r| r.0 == "answer"));
        real_dq::store::counts::rebuild(&mut conn).unwrap();
        assert_eq!(kept(&mut conn), before);
    }
);
