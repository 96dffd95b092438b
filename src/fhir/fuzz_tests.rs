//! Property tests: arbitrary JSON, random bytes and every truncation of real US Core
//! examples never panic the FHIR mapping or the OperationOutcome.

use proptest::prelude::*;
use serde_json::Value;

use serde::Deserialize;

use super::model::{self, Node, Resource};
use super::patient::{Envelope, FhirSettings};
use super::{check_bundle, check_patient};
use crate::codesets::CodeSets;
use crate::profile::Profile;
use crate::rules::Context;

const SAMPLES: [&str; 3] = [
    include_str!("../../tests/fixtures/fhir-uscore/v9-patient-example.json"),
    include_str!("../../tests/fixtures/fhir-uscore/patient-child-example.json"),
    include_str!("../../tests/fixtures/fhir-uscore/v9-patient-infant-example.json"),
];

fn check(value: &Value) {
    let text = value.to_string();
    let resource: Resource = model::read(text.as_bytes()).expect("JSON text reads");
    // The one-pass read and the read through a tree agree.
    let through_tree = Node::<Resource>::deserialize(value)
        .expect("a tree reads")
        .0;
    assert_eq!(format!("{resource:?}"), format!("{through_tree:?}"));
    let resource = &resource;
    let profile = Profile::phec_real();
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now: chrono::Utc::now(),
    };
    let envelope = Envelope {
        received_at: "2026-11-22T00:00:00Z".into(),
        ..Envelope::default()
    };
    let settings = FhirSettings::default();
    let checked = check_patient(resource, &[], &settings, &envelope, &ctx);
    let outcome: Value =
        serde_json::from_str(&checked.operation_outcome).expect("the outcome is JSON");
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert!(!outcome["issue"].as_array().unwrap().is_empty());
    let bundle = serde_json::json!({"resourceType": "Bundle", "type": "batch",
        "entry": [{"resource": value}, {"resource": value}]});
    let body = bundle.to_string();
    let checked = check_bundle(body.as_bytes(), &settings, &envelope, &ctx);
    assert_eq!(checked.map(|entries| entries.len()), Ok(2));
}

/// JSON values shaped a little like FHIR: the keys the mapping reads, nested anyhow.
fn fhirish() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("resourceType"),
        Just("extension"),
        Just("url"),
        Just("valueCoding"),
        Just("code"),
        Just("system"),
        Just("communication"),
        Just("language"),
        Just("coding"),
        Just("preferred"),
        Just("identifier"),
        Just("value"),
        Just("birthDate"),
        Just("meta"),
        Just("lastUpdated"),
        Just("managingOrganization"),
        Just("patient"),
        Just("reference"),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("Patient".to_string()),
            Just("ombCategory".to_string()),
            Just("http://hl7.org/fhir/us/core/StructureDefinition/us-core-race".to_string()),
            Just("2106-3".to_string()),
            Just("UNK".to_string()),
            "[a-z0-9-]{0,8}",
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::vec((key.clone(), inner), 0..6).prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_json_never_panics(mut value in fhirish()) {
        check(&value);
        // And the same as a Patient, so the mapping goes deep.
        if let Value::Object(map) = &mut value {
            map.insert("resourceType".into(), "Patient".into());
        }
        check(&value);
    }

    #[test]
    fn random_bytes_are_not_json_or_are_checked(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        // The typed read takes what a JSON parser takes (and, in elements it skips, a
        // little more: see `model::read`).
        let tree = serde_json::from_slice::<Value>(&bytes);
        let typed = model::read::<Resource>(&bytes);
        let bundle = super::ParsedBundle::parse(&bytes);
        if tree.is_ok() {
            prop_assert!(typed.is_ok());
            prop_assert!(!matches!(bundle, Err(super::bundle::BundleError::NotJson(_))));
        }
        if typed.is_err() {
            prop_assert!(matches!(bundle, Err(super::bundle::BundleError::NotJson(_))));
        }
        if let Ok(value) = tree {
            check(&value);
        }
    }
}

#[test]
fn every_truncation_of_a_us_core_example_is_handled() {
    for sample in SAMPLES {
        let cuts: Vec<usize> = sample.char_indices().map(|(i, _)| i).step_by(7).collect();
        for cut in cuts {
            if let Ok(value) = serde_json::from_str::<Value>(&sample[..cut]) {
                check(&value);
            }
        }
        check(&serde_json::from_str(sample).unwrap());
    }
}
