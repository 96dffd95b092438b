//! `GET /v1/framework` and the catalog against RULES.md.

use std::collections::BTreeSet;

use serde_json::json;

use crate::both;
use crate::helpers::{profile_with, Db, TestApp};

/// Rule IDs listed in RULES.md's catalog tables, expanding `X_MISSING / _UNKNOWN` shorthands.
fn rules_in_spec(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut in_catalog = false;
    for line in text.lines() {
        if line.starts_with("## 4.") {
            in_catalog = true;
        } else if line.starts_with("## ") {
            in_catalog = false;
        }
        if !in_catalog || !line.starts_with('|') {
            continue;
        }
        let cell = line.split('|').nth(1).unwrap_or("").trim();
        let mut base = String::new();
        for part in cell.split('/').map(str::trim) {
            if let Some(suffix) = part.strip_prefix('_') {
                ids.insert(format!("{base}_{suffix}"));
            } else if part.chars().all(|c| c.is_ascii_uppercase() || c == '_') && part.contains('_')
            {
                base = part
                    .rsplit_once('_')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or_default();
                ids.insert(part.to_string());
            }
        }
    }
    ids
}

#[test]
fn every_rule_of_rules_md_is_in_the_catalog() {
    let mut specs = vec![format!("{}/docs/spec/RULES.md", env!("CARGO_MANIFEST_DIR"))];
    // Where the shared spec sits beside the project (CI), check it too, so a rule added
    // upstream without code fails here.
    let shared = format!("{}/../shared/spec/RULES.md", env!("CARGO_MANIFEST_DIR"));
    if std::path::Path::new(&shared).exists() {
        specs.push(shared);
    }
    let catalog: BTreeSet<String> = real_dq::catalog::ALL
        .iter()
        .map(|r| r.id.to_string())
        .collect();
    for spec in specs {
        let listed = rules_in_spec(&std::fs::read_to_string(&spec).expect("RULES.md"));
        assert!(listed.len() >= 45, "{spec}: parsed {} rules", listed.len());
        let lacking: Vec<&String> = listed.difference(&catalog).collect();
        assert!(
            lacking.is_empty(),
            "{spec} lists rules the code lacks: {lacking:?}"
        );
    }
}

both!(
    the_framework_serves_profile_catalog_and_code_sets,
    |app| async move {
        let framework = app.get_json("/v1/framework", 200).await;
        assert_eq!(framework["profile"]["id"], "phec-real@1");
        assert_eq!(framework["profile"]["self_report_age"], 12);
        assert_eq!(framework["profile"]["question_format"], "omb1997");
        let rules = framework["rules"].as_array().unwrap();
        assert_eq!(rules.len(), real_dq::catalog::ALL.len());
        let race_missing = rules.iter().find(|r| r["id"] == "RACE_MISSING").unwrap();
        assert_eq!(race_missing["severity"], "warning");
        assert_eq!(race_missing["domain"], "race");
        assert!(!race_missing["hint"].as_str().unwrap().is_empty());
        assert_eq!(framework["code_sets"]["cdcrec"]["concepts"], 966);
        assert_eq!(framework["code_sets"]["bcp47"]["version"], "2025-08-25");
    }
);

both!(
    the_framework_shows_which_rules_are_off_under_the_active_profile,
    |app| async move {
        let framework = app.get_json("/v1/framework", 200).await;
        let severity = |id: &str| {
            framework["rules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id)
                .map(|r| (r["severity"].clone(), r["default_severity"].clone()))
                .unwrap()
        };
        // Under the default OMB 1997 profile the SPD-15 rule is off.
        assert_eq!(
            severity("RACE_ETHNICITY_MISSING"),
            (json!("off"), json!("warning"))
        );
        assert_eq!(
            severity("RACE_MISSING"),
            (json!("warning"), json!("warning"))
        );
        assert_eq!(
            framework["profile"]["code_maps"]["builtin"],
            json!(["iso-639-2", "v3-rolecode"])
        );
    }
);

#[actix_web::test]
async fn an_spd15_profile_turns_the_two_question_rules_off_in_the_framework() {
    let profile = profile_with(|p| {
        p["question_format"] = json!("spd15");
        p["severity"] = json!({"CODE_MAPPED": "off"});
    });
    let app = TestApp::builder(Db::Sqlite).profile(profile).start().await;
    let framework = app.get_json("/v1/framework", 200).await;
    let rules = framework["rules"].as_array().unwrap();
    let severity = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["severity"].clone();
    for id in [
        "RACE_MISSING",
        "RACE_HISPANIC_AS_RACE",
        "ETHNICITY_MISSING",
        "ETHNICITY_RACE_CODE",
        "CODE_MAPPED",
    ] {
        assert_eq!(severity(id), "off", "{id}");
    }
    assert_eq!(severity("RACE_ETHNICITY_MISSING"), "warning");
    assert_eq!(framework["profile"]["question_format"], "spd15");
}
