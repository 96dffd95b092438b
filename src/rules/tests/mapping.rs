//! Local code maps: every class of entry in the default profile's maps (ISO 639-2/B and /T
//! codes, ISO English names, the profile's own language names, legacy race and ethnicity
//! letters, free text), per-source maps, and what stays invalid.

use serde_json::json;

use super::*;
use crate::codemap::FieldMaps;
use crate::profile::Profile;

fn preferred(tag: &str) -> Record {
    edited(|r| r["language"]["preferred"] = json!(tag))
}

fn race_codes(codes: Value) -> Record {
    edited(|r| r["race"]["codes"] = codes)
}

fn german_as_iso_639_2b() -> Record {
    preferred("ger")
}

/// The mapped findings as `(path, domain, message)`.
fn mapped(record: &Record, profile: &Profile) -> Vec<(String, Domain, String)> {
    outcome_under(record, profile)
        .findings
        .into_iter()
        .filter(|f| f.rule.id == "CODE_MAPPED")
        .map(|f| (f.path, f.domain, f.message))
        .collect()
}

pub(super) const CASES: &[Case] = &[Case {
    rule: "CODE_MAPPED",
    fires: german_as_iso_639_2b,
    at: &["language.preferred"],
    domain: Domain::Language,
    neighbour: base,
    profile: Profile::phec_real,
}];

#[test]
fn iso_639_2_bibliographic_and_terminologic_codes_map_to_bcp_47() {
    let profile = Profile::phec_real();
    for (code, target) in [
        ("ger", "de"),
        ("deu", "de"),
        ("chi", "zh"),
        ("fre", "fr"),
        ("eng", "en"),
    ] {
        let record = preferred(code);
        let found = mapped(&record, &profile);
        assert_eq!(found.len(), 1, "{code}: {found:?}");
        assert_eq!(found[0].0, "language.preferred");
        assert_eq!(found[0].1, Domain::Language);
        assert!(
            found[0]
                .2
                .contains(&format!("\"{code}\" was mapped to {target}")),
            "{}",
            found[0].2
        );
        // Validated as its target: no invalid tag, and the language domain is complete.
        assert_silent(&record, "LANGUAGE_CODE_INVALID");
        assert_eq!(
            outcome(&record).domains.get(Domain::Language),
            Some(DomainStatus::Complete)
        );
    }
}

#[test]
fn a_mapped_language_is_judged_as_its_target() {
    // eng → en: English with an interpreter is the English/interpreter conflict.
    assert_fires_at(
        &preferred("eng"),
        "INTERPRETER_ENGLISH_CONFLICT",
        &["language.interpreter_needed"],
    );
    // chi → zh, a macrolanguage too broad to book an interpreter for.
    assert_fires_in(
        &preferred("chi"),
        "LANGUAGE_TOO_BROAD_FOR_INTERPRETER",
        &["language.preferred"],
        Domain::Interpreter,
    );
}

#[test]
fn iso_english_names_and_the_profiles_own_names_map_case_insensitively() {
    let profile = Profile::phec_real();
    for (name, target) in [
        ("Spanish", "es"),
        ("SPANISH", "es"),
        ("Haitian Creole", "ht"),
        ("Vietnamese", "vi"),
        ("Mandarin", "cmn"),
        ("cantonese", "yue"),
        ("American Sign Language", "ase"),
    ] {
        let found = mapped(&preferred(name), &profile);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert!(found[0]
            .2
            .ends_with(&format!("mapped to {target} by the profile's language map")));
        assert_silent(&preferred(name), "LANGUAGE_CODE_INVALID");
    }
}

#[test]
fn written_and_caregiver_languages_are_mapped_where_they_are() {
    let record = edited(|r| {
        r["language"]["written"] = json!("spa");
        r["caregivers"][0]["language"]["preferred"] = json!("vie");
    });
    let found = mapped(&record, &Profile::phec_real());
    let at: Vec<(&str, Domain)> = found.iter().map(|(p, d, _)| (p.as_str(), *d)).collect();
    assert_eq!(
        at,
        [
            ("language.written", Domain::Language),
            (
                "caregivers[0].language.preferred",
                Domain::CaregiverLanguage
            ),
        ]
    );
    assert_silent(&record, "WRITTEN_LANGUAGE_CODE_INVALID");
    assert_silent(&record, "LANGUAGE_CODE_INVALID");
}

#[test]
fn legacy_race_letters_map_to_cdcrec_and_roll_up() {
    let profile = Profile::phec_real();
    for (letter, category) in [
        ("W", "2106-3"),
        ("C", "2106-3"),
        ("B", "2054-5"),
        ("A", "2028-9"),
        ("I", "1002-5"),
        ("P", "2076-8"),
    ] {
        let record = race_codes(json!([{"code": letter, "system": "urn:oid:1.2.3.4.5"}]));
        let found = mapped(&record, &profile);
        assert_eq!(found.len(), 1, "{letter}: {found:?}");
        assert_eq!(found[0].0, "race.codes[0].code");
        assert_eq!(found[0].1, Domain::Race);
        assert_silent(&record, "RACE_CODE_INVALID");
        assert_eq!(outcome(&record).omb_1997.race, [category], "{letter}");
    }
}

#[test]
fn free_text_and_the_legacy_h_are_mapped_then_judged_as_hispanic() {
    // Mapped to 2135-2, then validated as it: Hispanic in the race question (OMB 1997).
    for text in ["H", "Hispanic", "latino"] {
        let record = race_codes(json!([{"code": text}, {"code": "2106-3"}]));
        assert_fires_at(&record, "RACE_HISPANIC_AS_RACE", &["race.codes[0]"]);
        assert_silent(&record, "RACE_CODE_INVALID");
    }
}

#[test]
fn legacy_ethnicity_letters_map_to_cdcrec() {
    let not_hispanic = edited(|r| r["ethnicity"]["codes"] = json!([{"code": "N"}]));
    assert_eq!(outcome(&not_hispanic).omb_1997.ethnicity, Some("2186-5"));
    assert_eq!(
        mapped(&not_hispanic, &Profile::phec_real())[0].1,
        Domain::Ethnicity
    );
    let hispanic = edited(|r| r["ethnicity"]["codes"] = json!([{"code": "H"}]));
    assert_eq!(outcome(&hispanic).omb_1997.ethnicity, Some("2135-2"));
    assert_silent(&hispanic, "ETHNICITY_CODE_INVALID");
}

#[test]
fn caregiver_race_codes_are_mapped_against_the_caregivers() {
    let record = edited(|r| r["caregivers"][0]["race"] = json!({"codes": [{"code": "B"}]}));
    let found = mapped(&record, &Profile::phec_real());
    assert_eq!(found[0].0, "caregivers[0].race.codes[0].code");
    assert_eq!(found[0].1, Domain::Caregivers);
    assert_silent(&record, "RACE_CODE_INVALID");
}

#[test]
fn an_unmapped_local_code_stays_invalid_and_is_not_reported_as_mapped() {
    let record = race_codes(json!([{"code": "U"}, {"code": "2106-3"}]));
    assert_fires_at(&record, "RACE_CODE_INVALID", &["race.codes[0].code"]);
    assert!(mapped(&record, &Profile::phec_real()).is_empty());
    assert_fires_at(
        &preferred("Klingonese"),
        "LANGUAGE_CODE_INVALID",
        &["language.preferred"],
    );
}

#[test]
fn standard_codes_are_never_rewritten() {
    assert!(mapped(&base(), &Profile::phec_real()).is_empty());
    // `ASL` is Asilulu in the IANA registry: a valid tag, so no map may claim it.
    assert!(mapped(&preferred("asl"), &Profile::phec_real()).is_empty());
}

#[test]
fn a_source_map_applies_to_that_source_only() {
    let mut profile = Profile::phec_real();
    profile.code_maps.by_source.insert(
        "epic-test".into(),
        FieldMaps {
            race: [("1".to_string(), "2054-5".to_string())].into(),
            ..FieldMaps::default()
        },
    );
    let profile = Profile::from_json(&serde_json::to_string(&profile).unwrap()).unwrap();
    let ours = race_codes(json!([{"code": "1"}]));
    assert_eq!(outcome_under(&ours, &profile).omb_1997.race, ["2054-5"]);
    let theirs = edited(|r| {
        r["source"] = json!("cerner-test");
        r["race"]["codes"] = json!([{"code": "1"}]);
    });
    assert_fires_under(
        &theirs,
        &profile,
        "RACE_CODE_INVALID",
        &["race.codes[0].code"],
        Domain::Race,
    );
}

#[test]
fn a_profile_without_maps_maps_nothing() {
    let mut document: Value =
        serde_json::from_str(&serde_json::to_string(&Profile::phec_real()).unwrap()).unwrap();
    document.as_object_mut().unwrap().remove("code_maps");
    let profile = Profile::from_json(&document.to_string()).unwrap();
    assert!(profile.maps().is_empty());
    assert_fires_under(
        &preferred("ger"),
        &profile,
        "LANGUAGE_CODE_INVALID",
        &["language.preferred"],
        Domain::Language,
    );
}

/// Every entry of the shipped profile's maps (and of the built-in ISO 639-2 map) is
/// applied by the engine: the record carries `CODE_MAPPED` naming the target, and the field
/// is no longer invalid.
#[test]
fn every_entry_of_the_default_maps_maps_to_its_target() {
    let profile = Profile::phec_real();
    let maps = &profile.code_maps;
    let mut cases: Vec<(&str, String, String)> = Vec::new();
    for (from, to) in &maps.race {
        cases.push(("race", from.clone(), to.clone()));
    }
    for (from, to) in &maps.ethnicity {
        cases.push(("ethnicity", from.clone(), to.clone()));
    }
    for (from, to) in &maps.language {
        cases.push(("language", from.clone(), to.clone()));
    }
    for (from, to) in crate::codemap::iso_639_2() {
        // Names and codes that are themselves registered tags are left alone by design.
        if CodeSets::get().languages.check(&from).is_err() {
            cases.push(("language", from, to));
        }
    }
    assert!(cases.len() > 400, "{} entries", cases.len());
    for (field, from, to) in cases {
        let record = match field {
            "language" => preferred(&from),
            "race" => race_codes(json!([{"code": from}])),
            _ => edited(|r| r["ethnicity"]["codes"] = json!([{"code": from}])),
        };
        let found = mapped(&record, &profile);
        assert_eq!(found.len(), 1, "{field} {from:?}: {found:?}");
        assert!(
            found[0].2.contains(&format!("was mapped to {to} ")),
            "{field} {from:?}: {}",
            found[0].2
        );
        let invalid = match field {
            "language" => "LANGUAGE_CODE_INVALID",
            "race" => "RACE_CODE_INVALID",
            _ => "ETHNICITY_CODE_INVALID",
        };
        assert_silent(&record, invalid);
    }
}

#[test]
fn a_relationship_written_as_a_word_maps_to_table_0063() {
    let profile = Profile::phec_real();
    for (word, code) in [
        ("Mother", "MTH"),
        ("FATHER", "FTH"),
        (" grandmother ", "GRP"),
    ] {
        let record = edited(|r| r["caregivers"][0]["relationship"] = json!(word));
        let found = mapped(&record, &profile);
        assert_eq!(found.len(), 1, "{word}: {found:?}");
        assert_eq!(found[0].0, "caregivers[0].relationship");
        assert_eq!(found[0].1, Domain::Caregivers);
        assert!(
            found[0].2.contains(&format!("was mapped to {code}")),
            "{found:?}"
        );
        let outcome = outcome_under(&record, &profile);
        assert!(
            outcome
                .findings
                .iter()
                .all(|f| f.rule.id != "CAREGIVER_RELATIONSHIP_INVALID"),
            "{word}"
        );
    }
    // A word no map knows stays invalid.
    let record = edited(|r| r["caregivers"][0]["relationship"] = json!("Neighbour"));
    assert!(mapped(&record, &profile).is_empty());
    assert!(outcome_under(&record, &profile)
        .findings
        .iter()
        .any(|f| f.rule.id == "CAREGIVER_RELATIONSHIP_INVALID"));
}

#[test]
fn a_relationship_map_must_turn_a_word_into_a_table_0063_code() {
    for (from, to, ok) in [
        ("Mom", "MTH", true),
        ("MTH", "FTH", false),
        ("mth", "FTH", false),
        ("Mom", "Mother", false),
        ("Mom", "mth", false),
    ] {
        let json = serde_json::to_string(&{
            let mut profile = serde_json::to_value(Profile::phec_real()).unwrap();
            profile["code_maps"]["relationship"] = json!({ from: to });
            profile
        })
        .unwrap();
        assert_eq!(Profile::from_json(&json).is_ok(), ok, "{from} -> {to}");
    }
}

#[test]
fn a_legacy_letter_whose_own_text_agrees_is_no_display_mismatch() {
    let profile = Profile::phec_real();
    let rules = |codes: Value| -> Vec<&'static str> {
        outcome_under(&race_codes(codes), &profile)
            .findings
            .iter()
            .map(|f| f.rule.id)
            .collect()
    };
    let agrees = rules(json!([{"code": "B", "display": "Black"}]));
    assert!(agrees.contains(&"CODE_MAPPED"), "{agrees:?}");
    assert!(!agrees.contains(&"RACE_DISPLAY_MISMATCH"), "{agrees:?}");
    // A text that names another category still disagrees.
    let disagrees = rules(json!([{"code": "B", "display": "White"}]));
    assert!(
        disagrees.contains(&"RACE_DISPLAY_MISMATCH"),
        "{disagrees:?}"
    );
}
