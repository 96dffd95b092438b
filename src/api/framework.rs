//! `GET /v1/framework`: the active profile, the rule catalog and the code-set versions.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::AppState;
use crate::codesets::CodeSets;
use crate::profile::Profile;
use crate::rules::catalog;

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
            "thresholds": profile.thresholds,
            "required_domains": profile.required_domains,
            "broad_macrolanguages": profile.broad_macrolanguages,
            "description": profile.description,
            "severity": profile.severity,
            "required_domains_by_unit": profile.required_domains_by_unit,
            "thresholds_by_unit": profile.thresholds_by_unit,
        },
        "rules": catalog::ALL,
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

/// `GET /v1/framework`.
pub async fn framework(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document(&state.profile))
}
