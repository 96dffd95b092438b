//! `POST /v1/validate`: point-of-registration feedback, nothing stored.

use serde_json::json;

use crate::both;
use crate::helpers::{bare_record, complete_record, rules_of};

both!(a_complete_record_validates_as_complete, |app| async move {
    let response = app
        .post_json("/v1/validate", &complete_record("MRN-1", "ED"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let result: serde_json::Value = response.json().await.unwrap();
    assert_eq!(result["status"], "complete");
    assert_eq!(result["real_complete"], true);
    assert!(
        result.get("id").is_none(),
        "validate stores nothing, so no id"
    );
    assert_eq!(
        result["omb_1997"],
        json!({"race": ["2028-9", "2106-3"], "ethnicity": "2186-5"})
    );
    assert_eq!(result["spd15"], json!(["asian", "white"]));
    assert_eq!(result["profile"], "phec-real@1");
});

both!(validate_stores_nothing, |app| async move {
    let response = app
        .post_json("/v1/validate", &complete_record("MRN-1", "ED"))
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page = app.get_json("/v1/records", 200).await;
    assert_eq!(page["items"], json!([]));
    let report = app.report("").await;
    assert_eq!(report["total"]["patients"], 0);
});

both!(
    a_bare_record_lists_what_to_collect_with_hints,
    |app| async move {
        let response = app
            .post_json("/v1/validate", &bare_record("MRN-1", "ED"))
            .await;
        let result: serde_json::Value = response.json().await.unwrap();
        assert_eq!(result["status"], "incomplete");
        let rules = rules_of(&result);
        for rule in [
            "RACE_MISSING",
            "ETHNICITY_MISSING",
            "LANGUAGE_MISSING",
            "INTERPRETER_NEED_MISSING",
            "CAREGIVER_MISSING",
            "BIRTH_DATE_MISSING",
        ] {
            assert!(rules.contains(&rule.to_string()), "{rule} in {rules:?}");
        }
        for finding in result["findings"].as_array().unwrap() {
            assert!(!finding["hint"].as_str().unwrap().is_empty());
            assert!(!finding["message"].as_str().unwrap().is_empty());
        }
        assert_eq!(result["domains"]["race"], "missing");
    }
);

both!(
    hispanic_in_the_race_field_is_an_error_at_its_path,
    |app| async move {
        let mut record = complete_record("MRN-1", "ED");
        record["race"]["codes"] = json!([{"code": "2106-3"}, {"code": "2135-2"}]);
        let response = app.post_json("/v1/validate", &record).await;
        let result: serde_json::Value = response.json().await.unwrap();
        assert_eq!(result["status"], "invalid");
        assert_eq!(result["domains"]["race"], "invalid");
        let finding = result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "RACE_HISPANIC_AS_RACE")
            .expect("RACE_HISPANIC_AS_RACE fired");
        assert_eq!(finding["path"], "race.codes[1]");
        assert_eq!(finding["severity"], "error");
    }
);
