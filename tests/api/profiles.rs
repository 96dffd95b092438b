//! Profiles end to end: code maps, SPD-15, the optional domains in results and reports,
//! and `real-dq revalidate`, through the real server on SQLite and PostgreSQL.

use std::process::Command;

use serde_json::{json, Value};

use crate::both;
use crate::helpers::{birth_date_for_age, complete_record, profile_with, rules_of, Db, TestApp};

/// Runs a scenario on SQLite and on PostgreSQL (when configured) under a profile.
macro_rules! both_under {
    ($name:ident, $profile:expr, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let $app = TestApp::builder(Db::Sqlite).profile($profile).start().await;
                $body.await;
            }

            #[actix_web::test]
            #[cfg_attr(
                not(realdq_postgres),
                ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
            )]
            async fn postgres() {
                let $app = TestApp::builder(Db::Postgres)
                    .profile($profile)
                    .start()
                    .await;
                $body.await;
            }
        }
    };
}

fn spd15() -> real_dq::profile::Profile {
    profile_with(|p| p["question_format"] = json!("spd15"))
}

/// Requires SOGI and SDOH everywhere, disability in the NICU.
fn optional_domains_required() -> real_dq::profile::Profile {
    profile_with(|p| {
        p["required_domains"]["all"] =
            json!(["race", "ethnicity", "language", "interpreter", "sdoh"]);
        p["required_domains"]["minors"] = json!(["caregivers", "caregiver_language", "sogi"]);
        p["required_domains_by_unit"] = json!({"NICU": {
            "all": ["race", "ethnicity", "language", "interpreter", "disability"],
            "minors": ["caregivers", "caregiver_language"]
        }});
    })
}

fn hispanic_in_race(patient_id: &str, unit: &str) -> Value {
    let mut record = complete_record(patient_id, unit);
    record["race"]["codes"] = json!([{"code": "2135-2"}, {"code": "2106-3"}, {"code": "2148-5"}]);
    record.as_object_mut().unwrap().remove("ethnicity");
    record
}

fn teenager(patient_id: &str, unit: &str) -> Value {
    let mut record = complete_record(patient_id, unit);
    record["birth_date"] = json!(birth_date_for_age(15));
    record
}

both!(local_codes_are_mapped_and_reported, |app| async move {
    let mut record = complete_record("MAP-1", "PEDS");
    record["race"]["codes"] = json!([{"code": "W"}, {"code": "2028-9"}, {"code": "2040-4"}]);
    record["language"]["preferred"] = json!("spa");
    record["caregivers"][0]["language"]["preferred"] = json!("Spanish");
    let result = app.store(&record, 201).await;
    let mapped: Vec<(&str, &str)> = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "CODE_MAPPED")
        .map(|f| (f["path"].as_str().unwrap(), f["domain"].as_str().unwrap()))
        .collect();
    assert_eq!(
        mapped,
        [
            ("race.codes[0].code", "race"),
            ("language.preferred", "language"),
            ("caregivers[0].language.preferred", "caregiver_language"),
        ]
    );
    assert_eq!(result["status"], "complete", "{result:#}");
    assert_eq!(result["omb_1997"]["race"], json!(["2028-9", "2106-3"]));
    assert!(!rules_of(&result).contains(&"RACE_CODE_INVALID".to_string()));
});

both_under!(
    spd15_accepts_the_combined_answer,
    spd15(),
    |app| async move {
        let result = app.store(&hispanic_in_race("SPD-1", "PEDS"), 201).await;
        assert_eq!(result["profile"], "phec-real@1");
        assert_eq!(result["status"], "complete", "{result:#}");
        assert_eq!(result["domains"]["ethnicity"], "complete");
        assert!(!rules_of(&result).contains(&"RACE_HISPANIC_AS_RACE".to_string()));
        assert_eq!(result["spd15"], json!(["hispanic_or_latino", "white"]));
        let mut empty = complete_record("SPD-2", "PEDS");
        empty.as_object_mut().unwrap().remove("race");
        empty.as_object_mut().unwrap().remove("ethnicity");
        let result = app.store(&empty, 201).await;
        assert!(rules_of(&result).contains(&"RACE_ETHNICITY_MISSING".to_string()));
        assert!(!rules_of(&result).contains(&"RACE_MISSING".to_string()));
    }
);

both!(
    optional_domains_stay_out_of_results_and_reports_by_default,
    |app| async move {
        let mut record = teenager("OPT-0", "PEDS");
        record["sdoh"] = json!({"screened_on": "2026-01-01", "positive": ["food_insecurity"]});
        let result = app.store(&record, 201).await;
        let domains: Vec<&String> = result["domains"].as_object().unwrap().keys().collect();
        assert_eq!(domains.len(), 6, "{domains:?}");
        let report = app.report("").await;
        assert!(report["total"]["domains"].get("sdoh").is_none());
        assert!(report["total"]["domains"].get("sogi").is_none());
    }
);

both_under!(
    required_optional_domains_get_statuses_and_report_columns,
    optional_domains_required(),
    |app| async move {
        // A 15-year-old with SOGI and a screening; a 7-year-old with neither.
        let mut teen = teenager("OPT-1", "PEDS");
        teen["sogi"] = json!({
            "sexual_orientation": {"codes": [{"system": "http://snomed.info/sct", "code": "20430005"}]},
            "gender_identity": {"null_flavor": "ASKU"},
            "reported_by": "self"
        });
        teen["sdoh"] = json!({"screened_on": birth_date_for_age(0), "positive": []});
        let result = app.store(&teen, 201).await;
        // One answer and one declined: declined, which counts as complete.
        assert_eq!(result["domains"]["sogi"], "declined", "{result:#}");
        assert_eq!(result["domains"]["sdoh"], "complete");
        // Disability is required in the NICU only: a status everywhere, a finding only there.
        assert_eq!(result["domains"]["disability"], "missing");
        assert!(!rules_of(&result).contains(&"DISABILITY_MISSING".to_string()));
        assert_eq!(result["status"], "complete", "{result:#}");
        let child = app.store(&complete_record("OPT-2", "PEDS"), 201).await;
        assert!(child["domains"].get("sogi").is_none(), "{child:#}");
        assert_eq!(child["domains"]["sdoh"], "missing");
        assert_eq!(child["status"], "incomplete");
        assert_eq!(child["real_complete"], true);
        assert!(rules_of(&child).contains(&"SDOH_MISSING".to_string()));
        // The NICU requires disability instead.
        let nicu = app.store(&complete_record("OPT-3", "NICU"), 201).await;
        assert_eq!(nicu["domains"]["disability"], "missing");
        assert!(rules_of(&nicu).contains(&"DISABILITY_MISSING".to_string()));

        let report = app.report("").await;
        let peds = report["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == "PEDS")
            .unwrap();
        assert_eq!(peds["patients"], 2);
        assert_eq!(peds["domains"]["sogi"]["eligible"], 1);
        assert_eq!(peds["domains"]["sogi"]["declined"], 1);
        assert_eq!(peds["domains"]["sogi"]["rate"], 1.0);
        assert_eq!(peds["domains"]["sdoh"]["eligible"], 2);
        assert_eq!(peds["domains"]["sdoh"]["rate"], 0.5);
        assert_eq!(report["total"]["domains"]["disability"]["eligible"], 3);
        assert_eq!(report["validated_with"], json!({"phec-real@1": 3}));
        let csv = app
            .get("/v1/reports/completeness?format=csv")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            csv.lines()
                .any(|l| l.starts_with("PEDS,sogi,1,0,1,0,0,0,0,1.0000,pass")),
            "{csv}"
        );
        assert!(
            csv.lines().any(|l| l.starts_with("PEDS,sdoh,2,1,")),
            "{csv}"
        );
    }
);

fn real_dq() -> Command {
    Command::new(env!("CARGO_BIN_EXE_real-dq"))
}

/// Runs `real-dq revalidate` against the app's database under a profile document.
fn revalidate(app: &TestApp, profile: &Value, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile.json");
    std::fs::write(&path, profile.to_string()).unwrap();
    let output = real_dq()
        .arg("revalidate")
        .args(extra)
        .arg("--profile")
        .arg(&path)
        .env("REALDQ_DATABASE_URL", &app.database_url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn spd15_version_2() -> Value {
    let mut document: Value =
        serde_json::from_str(include_str!("../../schemas/profiles/phec-real.json")).unwrap();
    document["version"] = json!(2);
    document["question_format"] = json!("spd15");
    document
}

both!(
    revalidate_reruns_stored_records_under_the_new_profile,
    |app| async move {
        let first = app.store(&hispanic_in_race("REV-1", "PEDS"), 201).await;
        assert!(rules_of(&first).contains(&"RACE_HISPANIC_AS_RACE".to_string()));
        app.store(&hispanic_in_race("REV-2", "ED"), 201).await;
        let report = app.report("").await;
        assert_eq!(report["validated_with"], json!({"phec-real@1": 2}));

        // Only the PEDS unit first.
        let summary = revalidate(&app, &spd15_version_2(), &["--unit", "PEDS"]);
        assert_eq!(
            summary.trim(),
            "revalidated 1 records under phec-real@2 (1 current); status changed on 1"
        );
        let id = first["id"].as_str().unwrap();
        let rerun = app.get_json(&format!("/v1/records/{id}"), 200).await;
        assert_eq!(rerun["id"], first["id"]);
        assert_eq!(rerun["profile"], "phec-real@2");
        assert_eq!(rerun["status"], "complete", "{rerun:#}");
        assert!(!rules_of(&rerun).contains(&"RACE_HISPANIC_AS_RACE".to_string()));
        let report = app.report("").await;
        assert_eq!(
            report["validated_with"],
            json!({"phec-real@1": 1, "phec-real@2": 1})
        );
        let peds = report["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit"] == "PEDS")
            .unwrap();
        assert_eq!(peds["domains"]["ethnicity"]["complete"], 1);
        assert!(peds["top_rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["rule"] != "RACE_HISPANIC_AS_RACE"));
        // The work list follows the re-run: no PEDS record is listed for the old rule.
        let listed = app
            .get_json("/v1/records?rule=RACE_HISPANIC_AS_RACE", 200)
            .await;
        let units: Vec<&str> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["unit"].as_str().unwrap())
            .collect();
        assert_eq!(units, ["ED"]);

        // Then everything; running it twice changes nothing more.
        let summary = revalidate(&app, &spd15_version_2(), &[]);
        assert!(
            summary.starts_with("revalidated 2 records under phec-real@2 (2 current)"),
            "{summary}"
        );
        let again = revalidate(&app, &spd15_version_2(), &[]);
        assert!(again.trim().ends_with("status changed on 0"), "{again}");
        assert_eq!(
            app.report("").await["validated_with"],
            json!({"phec-real@2": 2})
        );
    }
);

both!(
    revalidate_keeps_the_original_local_codes,
    |app| async move {
        let mut record = complete_record("REV-3", "PEDS");
        record["language"]["preferred"] = json!("ger");
        let stored = app.store(&record, 201).await;
        assert_eq!(stored["domains"]["language"], "complete");
        // A profile without the maps sees the original code again: the body kept it.
        let mut document = spd15_version_2();
        document["question_format"] = json!("omb1997");
        document.as_object_mut().unwrap().remove("code_maps");
        revalidate(&app, &document, &[]);
        let id = stored["id"].as_str().unwrap();
        let rerun = app.get_json(&format!("/v1/records/{id}"), 200).await;
        assert_eq!(rerun["domains"]["language"], "invalid", "{rerun:#}");
        assert!(rules_of(&rerun).contains(&"LANGUAGE_CODE_INVALID".to_string()));
    }
);

both!(
    revalidate_rejudges_the_trend_where_each_version_stands,
    |app| async move {
        let mut january = hispanic_in_race("REV-4", "PEDS");
        january["recorded_at"] = json!("2025-01-10T12:00:00Z");
        app.store(&january, 201).await;
        let mut march = hispanic_in_race("REV-4", "PEDS");
        march["recorded_at"] = json!("2025-03-10T12:00:00Z");
        march["language"]["preferred"] = json!("en");
        app.store(&march, 200).await;
        let ethnicity = |trend: &Value| -> Vec<i64> {
            trend["periods"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    p["units"][0]["domains"]["ethnicity"]["complete"]
                        .as_i64()
                        .unwrap()
                })
                .collect()
        };
        let query = "/v1/reports/trend?from=2025-01-01&to=2025-04-01";
        let before = app.get_json(query, 200).await;
        assert_eq!(ethnicity(&before), [0, 0, 0], "{before:#}");
        revalidate(&app, &spd15_version_2(), &[]);
        // Both versions are re-judged: January and February count the January record's
        // new statuses, March the March record's.
        let after = app.get_json(query, 200).await;
        assert_eq!(ethnicity(&after), [1, 1, 1], "{after:#}");
        let now = app.get_json("/v1/reports/trend?period=day", 200).await;
        let last = now["periods"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["total"], app.report("").await["total"]);
    }
);
