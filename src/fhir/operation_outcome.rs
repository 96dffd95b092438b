//! Findings as a FHIR `OperationOutcome`: one issue per finding, severity mapped
//! (error/warning/information), an issue type code, the rule ID in `details.coding`, the
//! staff hint in `diagnostics` and the FHIRPath of the element in `expression`.

use serde::Serialize;

use super::patient::Provenance;
use crate::catalog::{Finding, Severity};

/// The code system of real-dq's rule IDs in `details.coding`.
pub const RULE_SYSTEM: &str = "urn:real-dq:rule";

/// The issue type (`OperationOutcome.issue.code`) of a rule.
pub fn issue_code(rule: &str) -> &'static str {
    if rule.ends_with("_MISSING") {
        "required"
    } else if rule.ends_with("_UNKNOWN")
        || rule.ends_with("_NOT_ASKED")
        || rule.ends_with("_DECLINED")
    {
        "incomplete"
    } else if rule.ends_with("_CODE_INVALID")
        || rule.ends_with("_ABSTRACT_CODE")
        || rule.ends_with("_DISPLAY_MISMATCH")
        || rule == "LANGUAGE_CODE_DEPRECATED"
    {
        "code-invalid"
    } else if rule == "BIRTH_DATE_INVALID" {
        "invalid"
    } else {
        "business-rule"
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "information",
    }
}

/// The FHIRPath of a canonical record path, by where the mapping took the value from.
pub fn expression(path: &str, provenance: &Provenance) -> String {
    let index = |text: &str| -> Option<usize> {
        let start = text.find("codes[")? + 6;
        let end = text[start..].find(']')? + start;
        text[start..end].parse().ok()
    };
    if path.starts_with("race") {
        Provenance::coded_path(&provenance.race, super::patient::US_CORE_RACE, index(path))
    } else if path.starts_with("ethnicity") {
        Provenance::coded_path(
            &provenance.ethnicity,
            super::patient::US_CORE_ETHNICITY,
            index(path),
        )
    } else if path.starts_with("language.interpreter_needed") {
        provenance.interpreter_path()
    } else if path.starts_with("language") {
        provenance.language_path()
    } else if path.starts_with("birth_date") {
        "Patient.birthDate".into()
    } else if path.starts_with("patient_id") {
        "Patient.identifier".into()
    } else if path.starts_with("recorded_at") {
        "Patient.meta.lastUpdated".into()
    } else if path.starts_with("unit") {
        "Patient.managingOrganization".into()
    } else if path.starts_with("caregivers") {
        "RelatedPerson".into()
    } else {
        "Patient".into()
    }
}

/// An OperationOutcome, serialised straight from borrowed parts (no JSON tree).
#[derive(Serialize)]
struct OperationOutcome<'a> {
    #[serde(rename = "resourceType")]
    resource_type: &'static str,
    issue: Vec<Issue<'a>>,
}

#[derive(Serialize)]
struct Issue<'a> {
    severity: &'static str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Details<'a>>,
    diagnostics: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    expression: Vec<String>,
}

#[derive(Serialize)]
struct Details<'a> {
    coding: [Coding<'a>; 1],
    text: &'a str,
}

#[derive(Serialize)]
struct Coding<'a> {
    system: &'static str,
    code: &'a str,
}

fn render(issue: Vec<Issue<'_>>) -> String {
    serde_json::to_string(&OperationOutcome {
        resource_type: "OperationOutcome",
        issue,
    })
    .expect("an OperationOutcome always serialises")
}

/// One issue per finding; a single information issue when there is none (FHIR requires
/// at least one). The OperationOutcome's JSON text.
pub fn from_findings(findings: &[Finding], provenance: &Provenance) -> String {
    if findings.is_empty() {
        return information("no findings: the demographics are complete and consistent");
    }
    render(
        findings
            .iter()
            .map(|f| Issue {
                severity: severity(f.severity),
                code: issue_code(f.rule.id),
                details: Some(Details {
                    coding: [Coding {
                        system: RULE_SYSTEM,
                        code: f.rule.id,
                    }],
                    text: &f.message,
                }),
                diagnostics: f.rule.hint,
                expression: vec![expression(&f.path, provenance)],
            })
            .collect(),
    )
}

/// One error issue per failing field (`required` or `invalid`), each with its FHIRPath.
pub fn from_fields(fields: &[(String, &'static str, String)]) -> String {
    render(
        fields
            .iter()
            .map(|(diagnostics, code, expression)| Issue {
                severity: "error",
                code,
                details: None,
                diagnostics,
                expression: vec![expression.clone()],
            })
            .collect(),
    )
}

/// Why a `transaction` Bundle failed as a whole: every issue of every entry that could not
/// be processed (`(entry index, its OperationOutcome)`), each located inside the Bundle
/// (see [`locate_issues`]).
pub fn transaction_failed(failures: &[(usize, String)]) -> String {
    let mut issues = String::new();
    for (index, outcome) in failures {
        locate_issues(&mut issues, *index, outcome);
    }
    with_issues(&issues)
}

/// An OperationOutcome around `issues`, the text of JSON objects separated by commas.
pub fn with_issues(issues: &str) -> String {
    format!(r#"{{"resourceType":"OperationOutcome","issue":[{issues}]}}"#)
}

/// Appends to `issues` (JSON objects separated by commas) the issues of entry `index`'s
/// OperationOutcome, each located inside the Bundle: `Patient.identifier` of entry 3
/// becomes `Bundle.entry[3].resource.identifier`; an issue without a location gets
/// `Bundle.entry[3]`. One entry's outcome is read at a time, so a large transaction's
/// answer is built as text, without a tree of every issue.
pub fn locate_issues(issues: &mut String, index: usize, outcome: &str) {
    let entry = format!("Bundle.entry[{index}]");
    let parsed: serde_json::Value =
        serde_json::from_str(outcome).expect("real-dq's outcomes are JSON");
    for issue in parsed["issue"].as_array().into_iter().flatten() {
        let mut issue = issue.clone();
        let located: Vec<String> = issue["expression"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .map(|path| match path.split_once('.') {
                Some((_, rest)) => format!("{entry}.resource.{rest}"),
                None => format!("{entry}.resource"),
            })
            .collect();
        issue["expression"] = if located.is_empty() {
            serde_json::json!([entry])
        } else {
            serde_json::json!(located)
        };
        let text = issue["diagnostics"].as_str().unwrap_or_default();
        issue["diagnostics"] = format!("entry {index}: {text}").into();
        if !issues.is_empty() {
            issues.push(',');
        }
        issues.push_str(&issue.to_string());
    }
}

/// An OperationOutcome with one information issue.
pub fn information(text: &str) -> String {
    render(vec![Issue {
        severity: "information",
        code: "informational",
        details: None,
        diagnostics: text,
        expression: Vec::new(),
    }])
}

/// An OperationOutcome with one error issue (`code`: invalid, required, not-supported, ...).
pub fn error(code: &str, text: &str, expression: Option<&str>) -> String {
    render(vec![Issue {
        severity: "error",
        code,
        details: None,
        diagnostics: text,
        expression: expression.map(str::to_string).into_iter().collect(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_transaction_locates_each_issue_in_its_entry() {
        let missing_id = from_fields(&[(
            "patient_id: required".into(),
            "required",
            "Patient.identifier".into(),
        )]);
        let orphan = error("invalid", "no Patient", Some("RelatedPerson.patient"));
        let unlocated = error("invalid", "resourceType is missing", None);
        let outcome: serde_json::Value = serde_json::from_str(&transaction_failed(&[
            (1, missing_id),
            (4, orphan),
            (6, unlocated),
        ]))
        .unwrap();
        let issues = outcome["issue"].as_array().unwrap();
        let located: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| {
                (
                    i["expression"][0].as_str().unwrap(),
                    i["diagnostics"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            located,
            [
                (
                    "Bundle.entry[1].resource.identifier",
                    "entry 1: patient_id: required"
                ),
                ("Bundle.entry[4].resource.patient", "entry 4: no Patient"),
                ("Bundle.entry[6]", "entry 6: resourceType is missing"),
            ]
        );
        assert!(issues.iter().all(|i| i["severity"] == "error"));
    }
}
