//! Bodies larger than one chunk (`api::stages::CHUNK`): judged and stored in overlapping
//! stages, answered in order, every item stored once, links across chunks kept.

use serde_json::{json, Value};

use crate::both;

fn adt(index: usize) -> String {
    format!(
        "MSH|^~\\&|EPIC|HOSP|RDQ|RDQ|20261120140300||ADT^A04^ADT_A01|S{index}|P|2.5.1\r\
         PID|1||BIG-{index}^^^HOSP^MR||||20190402|F||2106-3^White^CDCREC|||||es|||||||N^Not Hispanic^HL70189\r\
         PV1|1|O|BIG\r"
    )
}

both!(
    an_hl7_body_of_several_chunks_is_answered_in_order,
    |app| async move {
        let count = 3 * real_dq::api::stages::CHUNK + 17;
        let mut body: String = (0..count).map(adt).collect();
        // One broken message in the middle chunk, one duplicate in the last.
        body.push_str("PID|no header\r");
        body.push_str(&adt(5));
        let response = app
            .post_raw("/hl7v2", "x-application/hl7-v2+er7", body)
            .await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let controls: Vec<&str> = text
            .split('\r')
            .filter(|s| s.starts_with("MSA|"))
            .map(|s| s.split('|').nth(2).unwrap_or(""))
            .collect();
        assert_eq!(controls.len(), count + 1, "one ACK per message");
        for (index, control) in controls.iter().take(count).enumerate() {
            assert_eq!(*control, format!("S{index}"));
        }
        let report = app.report("?unit=BIG").await;
        assert_eq!(report["total"]["patients"], count);
    }
);

both!(
    a_fhir_bundle_of_several_chunks_links_across_chunks,
    |app| async move {
        let count = 2 * real_dq::api::stages::CHUNK + 3;
        let mut entries: Vec<Value> = (0..count)
        .map(|i| {
            json!({"fullUrl": format!("urn:uuid:p{i}"), "resource": {
                "resourceType": "Patient",
                "id": format!("p{i}"),
                "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": format!("F-{i}")}],
                "meta": {"lastUpdated": "2026-11-20T14:03:00Z"},
                "birthDate": "2019-04-02",
                "managingOrganization": {"display": "BIGF"}
            }})
        })
        .collect();
        // The first patient's mother, last in the Bundle (another chunk).
        entries.push(json!({"resource": {
            "resourceType": "RelatedPerson",
            "patient": {"reference": "urn:uuid:p0"},
            "relationship": [{"coding": [{"code": "MTH"}]}]
        }}));
        let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": entries});
        let response = app
            .post_raw("/fhir", "application/fhir+json", bundle.to_string())
            .await;
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        let statuses: Vec<&str> = answer["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["response"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses.len(), count + 1);
        assert!(
            statuses[..count].iter().all(|s| *s == "201 Created"),
            "{statuses:?}"
        );
        assert_eq!(statuses[count], "200 OK");
        let first = answer["entry"][0]["response"]["location"].as_str().unwrap();
        let result = app.get_json(first, 200).await;
        let rules: Vec<&str> = result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert!(!rules.contains(&"CAREGIVER_MISSING"), "{rules:?}");
        let last = answer["entry"][count - 1]["response"]["location"]
            .as_str()
            .unwrap();
        let result = app.get_json(last, 200).await;
        assert!(result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "CAREGIVER_MISSING"));
        assert_eq!(app.report("?unit=BIGF").await["total"]["patients"], count);
    }
);
