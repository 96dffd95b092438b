//! `GET /openapi.json`: the contract as OpenAPI 3.1. The JSON Schemas in `schemas/` are the
//! single source of truth for bodies: they are embedded here as components (OpenAPI 3.1
//! speaks JSON Schema 2020-12), so the document, the files and the tests cannot drift.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use serde_json::{json, Value};

/// The schema files, by component name.
pub const SCHEMAS: [(&str, &str); 14] = [
    ("Key", include_str!("../../schemas/key.schema.json")),
    (
        "KeyRequest",
        include_str!("../../schemas/key-request.schema.json"),
    ),
    (
        "AuditPage",
        include_str!("../../schemas/audit-page.schema.json"),
    ),
    ("Record", include_str!("../../schemas/record.schema.json")),
    ("Result", include_str!("../../schemas/result.schema.json")),
    (
        "CompletenessReport",
        include_str!("../../schemas/completeness-report.schema.json"),
    ),
    ("Trend", include_str!("../../schemas/trend.schema.json")),
    ("Diff", include_str!("../../schemas/diff.schema.json")),
    ("Alerts", include_str!("../../schemas/alerts.schema.json")),
    (
        "Distribution",
        include_str!("../../schemas/distribution.schema.json"),
    ),
    ("Error", include_str!("../../schemas/error.schema.json")),
    (
        "BatchLine",
        include_str!("../../schemas/batch-line.schema.json"),
    ),
    (
        "RecordsPage",
        include_str!("../../schemas/records-page.schema.json"),
    ),
    (
        "Framework",
        include_str!("../../schemas/framework.schema.json"),
    ),
];

/// Every route the service serves, as `(method, path)`; tests check the router against it.
/// The one table is [`super::access::ROUTES`], which also says who may call each.
pub fn routes() -> impl Iterator<Item = (&'static str, &'static str)> {
    super::access::ROUTES.iter().map(|r| (r.method, r.path))
}

fn schema(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_body(name: &str) -> Value {
    json!({"content": {"application/json": {"schema": schema(name)}}})
}

fn fhir_body() -> Value {
    json!({"required": true, "content": {"application/fhir+json": {"schema": {"type": "object", "required": ["resourceType"]}}}})
}

fn fhir_outcome(description: &str) -> Value {
    json!({"description": format!("OperationOutcome: {description}"), "content": {"application/fhir+json": {"schema": {
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array", "minItems": 1}}
    }}}})
}

fn errors(codes: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for code in codes {
        out.insert(
            (*code).into(),
            json!({"description": "error envelope", "content": {"application/json": {"schema": schema("Error")}}}),
        );
    }
    Value::Object(out)
}

fn responses(ok: &str, ok_body: Value, error_codes: &[&str]) -> Value {
    let mut all = errors(error_codes);
    let mut ok_response = ok_body;
    ok_response["description"] = json!("success");
    all[ok] = ok_response;
    all
}

fn html() -> Value {
    json!({"content": {"text/html": {"schema": {"type": "string"}}}})
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// The distribution and the alerts.
fn signal_paths() -> Value {
    json!({
            "/v1/reports/distribution": {"get": {
                "summary": "The share of each race category, Other Race, ethnicity, preferred language, and of declined, unknown, not asked and missing answers, by unit (JSON, or CSV with Accept: text/csv)",
                "operationId": "distributionReport",
                "parameters": [
                    query("unit", "only this unit", json!({"type": "string"})),
                    query("domain", "only this domain", json!({"enum": ["race", "ethnicity", "language"]})),
                    query("format", "json or csv (overrides Accept)", json!({"enum": ["json", "csv"]}))
                ],
                "responses": responses("200", json!({"content": {
                    "application/json": {"schema": schema("Distribution")},
                    "text/csv": {"schema": {"type": "string"}}
                }}), &["403", "406", "422", "503"])
            }},
            "/v1/alerts": {"get": {
                "summary": "Unit and domain pairs below their warn or fail threshold, since when (JSON, or CSV with Accept: text/csv)",
                "operationId": "alerts",
                "parameters": [
                    query("unit", "only this unit", json!({"type": "string"})),
                    query("domain", "only this domain (or real_complete)", json!({"type": "string"})),
                    query("level", "only this level", json!({"enum": ["warn", "fail"]})),
                    query("format", "json or csv (overrides Accept)", json!({"enum": ["json", "csv"]}))
                ],
                "responses": responses("200", json!({"content": {
                    "application/json": {"schema": schema("Alerts")},
                    "text/csv": {"schema": {"type": "string"}}
                }}), &["403", "406", "422", "503"])
            }}
    })
}

/// The dashboard's pages (HTML; `src/pages/`).
fn dashboard_paths() -> Value {
    json!({
            "/dashboard": {"get": {
                "summary": "Dashboard (HTML): the heat map, alerts and top rules; for the feedback role, its units' work lists. Takes the session cookie of /dashboard/sign-in or this header; without either, 303 to the sign-in form",
                "operationId": "dashboard",
                "tags": ["dashboard"],
                "responses": responses("200", html(), &["303", "503"])
            }},
            "/dashboard/sign-in": {
                "get": {
                    "summary": "Dashboard sign-in form (HTML)",
                    "operationId": "dashboardSignInForm",
                    "tags": ["dashboard"],
                    "responses": responses("200", html(), &[])
                },
                "post": {
                    "summary": "Sign in with an API key (form field `key`): 303 to /dashboard with an HttpOnly, SameSite=Strict session cookie; 401 or 403 re-shows the form",
                    "operationId": "dashboardSignIn",
                    "tags": ["dashboard"],
                    "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}}}}},
                    "responses": responses("303", json!({}), &["401", "403", "413", "415", "422", "503"])
                }
            },
            "/dashboard/sign-out": {"post": {
                "summary": "End the dashboard session: 303 to the sign-in form, cookie cleared",
                "operationId": "dashboardSignOut",
                "tags": ["dashboard"],
                "responses": responses("303", json!({}), &["503"])
            }},
            "/dashboard/trend": {"get": {
                "summary": "Dashboard (HTML): one domain's rate per unit over the last 12 periods, chart and table",
                "operationId": "dashboardTrend",
                "tags": ["dashboard"],
                "parameters": [
                    query("domain", "a completeness domain or real_complete (default)", json!({"type": "string"})),
                    query("period", "day, week or month (default)", json!({"enum": ["day", "week", "month"]}))
                ],
                "responses": responses("200", html(), &["422", "503"])
            }},
            "/dashboard/units/{unit}": {"get": {
                "summary": "Dashboard (HTML): one unit's domains, trend, alerts and top rules",
                "operationId": "dashboardUnit",
                "tags": ["dashboard"],
                "parameters": [{"name": "unit", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": responses("200", html(), &["404", "503"])
            }},
            "/dashboard/records": {"get": {
                "summary": "Dashboard (HTML): the records behind a report cell, or a unit's work list, with each finding's hint; the filters of GET /v1/records",
                "operationId": "dashboardRecords",
                "tags": ["dashboard"],
                "parameters": [
                    query("unit", "only this unit", json!({"type": "string"})),
                    query("status", "record status (complete, incomplete, invalid; several separated by commas), or with domain the domain's status", json!({"type": "string"})),
                    query("domain", "a domain (with status)", json!({"type": "string"})),
                    query("rule", "only records on which this rule fired", json!({"type": "string"})),
                    query("source", "only this sending system", json!({"type": "string"})),
                    query("limit", "page size, 1 to 500 (default 50)", json!({"type": "integer", "minimum": 1, "maximum": 500})),
                    query("cursor", "the next page's cursor", json!({"type": "string"}))
                ],
                "responses": responses("200", html(), &["422", "503"])
            }},
            "/dashboard/dashboard.css": {"get": {
                "summary": "The dashboard's stylesheet",
                "operationId": "dashboardStylesheet",
                "tags": ["dashboard"],
                "responses": responses("200", json!({"content": {"text/css": {"schema": {"type": "string"}}}}), &[])
            }}
    })
}

fn build() -> Value {
    let mut components = serde_json::Map::new();
    for (name, text) in SCHEMAS {
        let schema: Value = serde_json::from_str(text).expect("schema files are JSON");
        components.insert(name.into(), schema);
    }
    let record_body =
        json!({"required": true, "content": {"application/json": {"schema": schema("Record")}}});
    let stored = {
        let mut r = responses(
            "201",
            json_body("Result"),
            &["400", "413", "415", "422", "503"],
        );
        r["200"] = json!({"description": "replaced, duplicate or historical", "content": {"application/json": {"schema": schema("Result")}}});
        r
    };
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "real-dq",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Race, ethnicity and language (REaL) data quality for pediatric health records: validation against the PHEC REaL rules, storage, and completeness by unit."
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": {
            "/v1/validate": {"post": {
                "summary": "Validate one record; store nothing",
                "operationId": "validateRecord",
                "requestBody": record_body,
                "responses": responses("200", json_body("Result"), &["400", "413", "415", "422"])
            }},
            "/v1/records": {
                "post": {
                    "summary": "Validate and store one record",
                    "operationId": "storeRecord",
                    "requestBody": record_body,
                    "responses": stored
                },
                "get": {
                    "summary": "Current results, filtered and cursor-paged: the drill-down from a report cell (unit, domain, status) to its records. JSON, or with Accept: text/csv a work list of one row per finding with its staff hint (the next page's cursor in X-Next-Cursor)",
                    "operationId": "listRecords",
                    "parameters": [
                        query("unit", "only this unit", json!({"type": "string"})),
                        query("domain", "only records whose domain has `status` (a report cell); status is then required", json!({"enum": ["race", "ethnicity", "language", "interpreter", "caregivers", "caregiver_language", "sogi", "disability", "sdoh"]})),
                        query("status", "without domain: the record status (complete, incomplete, invalid); with domain: the domain status (complete, declined, unknown, not_asked, missing, invalid; not_required for the caregiver domains)", json!({"type": "string"})),
                        query("rule", "only records on which this rule fired", json!({"type": "string"})),
                        query("source", "only records of this sending system", json!({"type": "string"})),
                        query("finding", "a diff cell's findings, with rule and since: new, resolved or persisting (GET /v1/reports/diff)", json!({"enum": ["new", "resolved", "persisting"]})),
                        query("since", "the diff's from, a date (with finding)", json!({"type": "string", "format": "date"})),
                        query("reported_by", "only patients whose race and ethnicity were reported by this (not_kept: stored before it was kept)", json!({"enum": ["self", "caregiver", "staff_observed", "unknown", "mixed", "not_recorded", "not_kept"]})),
                        query("limit", "page size, 1 to 500 (default 50)", json!({"type": "integer", "minimum": 1, "maximum": 500})),
                        query("cursor", "next_cursor of the previous page", json!({"type": "string"})),
                        query("format", "json or csv (overrides Accept)", json!({"enum": ["json", "csv"]}))
                    ],
                    "responses": responses("200", json!({"content": {
                        "application/json": {"schema": schema("RecordsPage")},
                        "text/csv": {"schema": {"type": "string"}}
                    }}), &["406", "422", "503"])
                }
            },
            "/v1/records/batch": {"post": {
                "summary": "Validate and store NDJSON records, one answer line per input line",
                "operationId": "storeBatch",
                "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": schema("Record")}}},
                "responses": responses("200", json!({"content": {"application/x-ndjson": {"schema": schema("BatchLine")}}}), &["413", "415"])
            }},
            "/v1/records/{id}": {"get": {
                "summary": "A stored record's latest result",
                "operationId": "getRecord",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                "responses": responses("200", json_body("Result"), &["404", "503"])
            }},
            "/v1/reports/completeness": {"get": {
                "summary": "Completeness by unit (JSON, or CSV with Accept: text/csv)",
                "operationId": "completenessReport",
                "parameters": [
                    query("unit", "only this unit", json!({"type": "string"})),
                    query("from", "recorded_at from (inclusive, RFC 3339)", json!({"type": "string", "format": "date-time"})),
                    query("to", "recorded_at to (exclusive, RFC 3339)", json!({"type": "string", "format": "date-time"})),
                    query("group_by", "group patients by unit (default), source, or who reported race and ethnicity (reported_by); other than unit, the answer lists groups instead of units", json!({"enum": ["unit", "source", "reported_by"]})),
                    query("format", "json or csv (overrides Accept)", json!({"enum": ["json", "csv"]}))
                ],
                "responses": responses("200", json!({"content": {
                    "application/json": {"schema": schema("CompletenessReport")},
                    "text/csv": {"schema": {"type": "string"}}
                }}), &["406", "422", "503"])
            }},
            "/v1/reports/trend": {"get": {
                "summary": "Completeness by unit as of the end of each day, week or month (JSON, or CSV with Accept: text/csv)",
                "operationId": "trendReport",
                "parameters": [
                    query("unit", "only this unit", json!({"type": "string"})),
                    query("domain", "only this domain (or real_complete)", json!({"type": "string"})),
                    query("period", "day, week (ISO, from Monday) or month (default), UTC", json!({"enum": ["day", "week", "month"]})),
                    query("from", "the first period is the one holding this date or instant (default: 12 periods back)", json!({"type": "string"})),
                    query("to", "the last period is the one holding the instant before this date or instant (exclusive; default now)", json!({"type": "string"})),
                    query("group_by", "group patients by unit (default), source, or who reported race and ethnicity (reported_by); other than unit, the answer lists groups instead of units", json!({"enum": ["unit", "source", "reported_by"]})),
                    query("format", "json or csv (overrides Accept)", json!({"enum": ["json", "csv"]}))
                ],
                "responses": responses("200", json!({"content": {
                    "application/json": {"schema": schema("Trend")},
                    "text/csv": {"schema": {"type": "string"}}
                }}), &["403", "406", "422", "503"])
            }},
            "/v1/reports/diff": {"get": {
                "summary": "What changed since the start of a UTC day: per unit and rule the findings new, resolved and persisting, per unit and domain the rate then and now (JSON, or CSV unit,rule,new,resolved,persisting with Accept: text/csv)",
                "operationId": "diffReport",
                "parameters": [
                    query("from", "a date, or an RFC 3339 instant at midnight UTC: the state compared with (default: 30 days before today)", json!({"type": "string"})),
                    query("to", "not taken yet: the diff compares with the current state", json!({"type": "string"})),
                    query("unit", "only this unit", json!({"type": "string"})),
                    query("format", "json or csv (overrides Accept)", json!({"enum": ["json", "csv"]}))
                ],
                "responses": responses("200", json!({"content": {
                    "application/json": {"schema": schema("Diff")},
                    "text/csv": {"schema": {"type": "string"}}
                }}), &["403", "406", "422", "503"])
            }},
            "/v1/framework": {"get": {
                "summary": "Active profile, rule catalog, code-set versions",
                "operationId": "framework",
                "responses": responses("200", json_body("Framework"), &[])
            }},
            "/v1/keys": {
                "get": {
                    "summary": "API keys (never the keys themselves)",
                    "operationId": "listKeys",
                    "responses": responses("200", json!({"content": {"application/json": {"schema": {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": schema("Key")}}}}}}), &["503"])
                },
                "post": {
                    "summary": "Create an API key; the answer shows it, this once",
                    "operationId": "createKey",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": schema("KeyRequest")}}},
                    "responses": responses("201", json!({"content": {"application/json": {"schema": {"allOf": [schema("Key"), {"required": ["key"]}]}}}}), &["409", "413", "415", "422", "503"])
                }
            },
            "/v1/keys/{name}": {"delete": {
                "summary": "Revoke an API key (it stays listed; its name stays taken)",
                "operationId": "revokeKey",
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": responses("200", json_body("Key"), &["404", "503"])
            }},
            "/v1/audit": {"get": {
                "summary": "The audit log, in time order, cursor-paged (JSON, or CSV with Accept: text/csv)",
                "operationId": "auditLog",
                "parameters": [
                    query("from", "from this date (00:00 UTC) or RFC 3339 instant, inclusive", json!({"type": "string"})),
                    query("to", "to this date or instant, exclusive", json!({"type": "string"})),
                    query("key", "only this key's rows (its name)", json!({"type": "string"})),
                    query("action", "only this action", json!({"enum": ["create", "read", "update", "delete", "execute", "C", "R", "U", "D", "E"]})),
                    query("limit", "page size, 1 to 1000 (default 100)", json!({"type": "integer", "minimum": 1, "maximum": 1000})),
                    query("cursor", "next_cursor of the previous page", json!({"type": "string"})),
                    query("format", "json or csv (overrides Accept)", json!({"enum": ["json", "csv"]}))
                ],
                "responses": responses("200", json!({"content": {
                    "application/json": {"schema": schema("AuditPage")},
                    "text/csv": {"schema": {"type": "string"}}
                }}), &["406", "422", "503"])
            }},
            "/metrics": {"get": {
                "summary": "Operational metrics in the Prometheus text format: records by format, source and outcome; rules fired; request latency by route; the database pool; ingest lines in flight (docs/deployment.md, Monitoring)",
                "operationId": "metrics",
                "responses": responses("200", json!({"content": {"text/plain": {"schema": {"type": "string"}}}}), &[])
            }},
            "/healthz": {"get": {"summary": "Liveness", "operationId": "healthz", "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"summary": "Readiness: the database answers", "operationId": "readyz", "responses": responses("200", json!({}), &["503"])}},
            "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
            "/fhir/Patient": {"post": {
                "summary": "Validate and store one FHIR R4 US Core Patient; answered with an OperationOutcome (docs/mapping.md). Headers X-Unit and X-Source set unit and source.",
                "operationId": "fhirStorePatient",
                "requestBody": fhir_body(),
                "responses": {
                    "201": fhir_outcome("stored: a new patient and unit (Location: /v1/records/{id})"),
                    "200": fhir_outcome("stored: a replacement, history or duplicate"),
                    "400": fhir_outcome("not JSON"),
                    "413": fhir_outcome("too large"),
                    "415": fhir_outcome("not application/fhir+json"),
                    "422": fhir_outcome("not a Patient, or no identifier"),
                    "503": fhir_outcome("database unavailable")
                }
            }},
            "/fhir/Patient/$validate": {"post": {
                "summary": "Validate one FHIR Patient (or a Parameters resource wrapping one); store nothing",
                "operationId": "fhirValidatePatient",
                "requestBody": fhir_body(),
                "responses": {
                    "200": fhir_outcome("one issue per finding"),
                    "400": fhir_outcome("not JSON"),
                    "422": fhir_outcome("not a Patient")
                }
            }},
            "/fhir/Patient/$import": {"post": {
                "summary": "FHIR Bulk NDJSON (one resource a line, as a Bulk Data $export writes it): each Patient validated and stored with the RelatedPerson lines right after it as caregivers; one answer line per input line: its status, the stored record's location and its OperationOutcome",
                "operationId": "fhirBulkImport",
                "requestBody": {"required": true, "content": {"application/fhir+ndjson": {"schema": {"type": "object", "required": ["resourceType"]}}}},
                "responses": responses("200", json!({"content": {"application/fhir+ndjson": {"schema": {"type": "object", "required": ["line", "status", "outcome"], "properties": {"line": {"type": "integer", "minimum": 1}, "status": {"type": "string"}, "location": {"type": "string"}, "outcome": {"type": "object"}}}}}}), &["413", "415"])
            }},
            "/fhir": {"post": {
                "summary": "A Bundle (batch, transaction, collection, searchset or message) of Patients and their RelatedPerson caregivers; answered with a batch-response (transaction-response) Bundle, one entry per input entry. A transaction is all or nothing: 422 and nothing stored when an entry cannot be processed",
                "operationId": "fhirBundle",
                "requestBody": fhir_body(),
                "responses": {
                    "200": {"description": "batch-response Bundle", "content": {"application/fhir+json": {"schema": {"type": "object", "required": ["resourceType", "type", "entry"]}}}},
                    "400": fhir_outcome("not JSON"),
                    "422": fhir_outcome("not a Bundle of a supported type, or a transaction with an entry that cannot be processed (nothing stored)")
                }
            }},
            "/hl7v2": {"post": {
                "summary": "One or more HL7 v2 ADT messages (A01, A04, A05, A06, A07, A08, A28, A31); one ACK per message (MSA AA, AE with an ERR per finding, or AR). Also over MLLP with serve --mllp.",
                "operationId": "hl7v2",
                "requestBody": {"required": true, "content": {"x-application/hl7-v2+er7": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}}},
                "responses": {
                    "200": {"description": "ACKs", "content": {"x-application/hl7-v2+er7": {"schema": {"type": "string"}}}},
                    "413": {"description": "error envelope", "content": {"application/json": {"schema": schema("Error")}}},
                    "415": {"description": "error envelope", "content": {"application/json": {"schema": schema("Error")}}},
                    "503": {"description": "error envelope", "content": {"application/json": {"schema": schema("Error")}}}
                }
            }}
        },
        "components": {"schemas": Value::Object(components)}
    });
    for more in [signal_paths(), dashboard_paths()] {
        if let (Some(paths), Value::Object(more)) = (document["paths"].as_object_mut(), more) {
            paths.extend(more);
        }
    }
    document
}

/// Adds the access table to every operation: `security` (none for the public ones),
/// `x-roles`, and the 401 and 403 answers of a keyed operation.
fn with_access(mut document: Value) -> Value {
    use super::access::{Access, ROUTES};
    for route in ROUTES {
        let operation = &mut document["paths"][route.path][route.method];
        assert!(
            operation.is_object(),
            "{} {} is in the route table but not in the document",
            route.method,
            route.path
        );
        match route.access {
            Access::Public => operation["security"] = json!([]),
            Access::Roles(roles) => {
                operation["security"] = json!([{"apiKey": []}]);
                operation["x-roles"] = json!(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>());
                let error = json!({"description": "error envelope", "content": {"application/json": {"schema": schema("Error")}}});
                let mut unauthorized = error.clone();
                unauthorized["description"] =
                    json!("no key, or an unknown, expired or revoked one (error envelope)");
                let mut forbidden = error;
                forbidden["description"] = json!(
                    "the key's role may not call this, or the record's unit is outside its units (error envelope)"
                );
                operation["responses"]["401"] = unauthorized;
                operation["responses"]["403"] = forbidden;
            }
        }
    }
    document["components"]["securitySchemes"] = json!({"apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`rdq_...`) created with `real-dq keys create` or POST /v1/keys. Each operation's `x-roles` lists the roles that may call it."
    }});
    document["security"] = json!([{"apiKey": []}]);
    document
}

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| with_access(build()));

/// The OpenAPI document.
pub fn document() -> &'static Value {
    &DOCUMENT
}

/// `GET /openapi.json`.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
