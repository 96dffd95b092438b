//! `GET /v1/framework`: the active profile, the rule catalog and the code-set versions.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::catalog;
use crate::codesets::CodeSets;
use crate::profile::Profile;
use crate::service::AppState;

/// The framework document (also printed by `real-dq rules --json`).
pub fn document(profile: &Profile) -> Value {
    let codes = CodeSets::get();
    json!({
        "profile": {
            "name": profile.name,
            "version": profile.version,
            "id": profile.id(),
            "question_format": profile.question_format,
            "self_report_age": profile.self_report_age,
            "adult_age": profile.adult_age,
            "recollection_months": profile.recollection_months,
            "sogi_min_age": profile.sogi_min_age,
            "sdoh_rescreen_months": profile.sdoh_rescreen_months,
            "thresholds": profile.thresholds,
            "required_domains": profile.required_domains,
            "broad_macrolanguages": profile.broad_macrolanguages,
            "description": profile.description,
            "severity": profile.severity,
            "required_domains_by_unit": profile.required_domains_by_unit,
            "thresholds_by_unit": profile.thresholds_by_unit,
            "code_maps": profile.code_maps,
        },
        "rules": catalog::ALL.iter().map(|rule| rule_in_force(rule, profile)).collect::<Vec<_>>(),
        "code_sets": {
            "cdcrec": {
                "name": "CDC Race & Ethnicity Code Set (urn:oid:2.16.840.1.113883.6.238)",
                "version": "1.0 (US Core 3.1.1 CodeSystem)",
                "concepts": codes.cdcrec.len(),
                "source": "data/codesets/cdcrec_concepts.csv",
            },
            "bcp47": {
                "name": "IANA Language Subtag Registry",
                "version": codes.languages.file_date(),
                "concepts": codes.languages.language_count(),
                "source": "data/codesets/iana-language-subtag-registry.json",
            },
            "hl7_v2_0063": {
                "name": "HL7 v2 table 0063 Relationship",
                "version": codes.relationships_version,
                "concepts": codes.relationships.len(),
                "source": "data/codesets/CodeSystem-v2-0063.json",
            },
        },
    })
}

/// A catalogued rule as the profile runs it: the severity in force (`off` when turned
/// off) beside the default, and whether it applies under the profile's question format.
fn rule_in_force(rule: &catalog::Rule, profile: &Profile) -> Value {
    let mut value = serde_json::to_value(rule).expect("a rule serialises");
    let in_force = if rule.applies_in(profile.question_format) {
        profile
            .severity_of(rule, rule.severity)
            .map_or("off", |s| s.as_str())
    } else {
        "off"
    };
    value["default_severity"] = json!(rule.severity);
    value["severity"] = json!(in_force);
    value
}

/// `GET /v1/framework`.
pub async fn framework(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document(&state.profile))
}
