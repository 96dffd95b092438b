//! Access control, audit and retention (issue 9), through the real server on SQLite and
//! PostgreSQL: the route table walked from `/openapi.json`, unit limits on every path in
//! and out, the `report` role without identifiers, the audit rows each action leaves,
//! keys shown once and stored as hashes, headers, CORS, purge and the first admin key.

use std::collections::BTreeMap;

use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, keyed_client, Db, TestApp};
use crate::mllp::adt;

/// Who may call each operation: written here independently of the service's own table, so
/// a change to either shows up as a failure. Every operation of `/openapi.json` must be here.
const EXPECTED: &[(&str, &str, &[&str])] = &[
    ("post", "/v1/validate", &["ingest", "feedback", "admin"]),
    ("post", "/v1/records", &["ingest", "admin"]),
    ("post", "/v1/records/batch", &["ingest", "admin"]),
    ("get", "/v1/records", &["feedback", "report", "admin"]),
    ("get", "/v1/records/{id}", &["feedback", "admin"]),
    ("get", "/v1/reports/completeness", &["report", "admin"]),
    ("get", "/v1/reports/trend", &["report", "admin"]),
    ("get", "/v1/reports/diff", &["report", "admin"]),
    ("get", "/v1/reports/distribution", &["report", "admin"]),
    ("get", "/v1/alerts", &["report", "admin"]),
    (
        "get",
        "/v1/framework",
        &["ingest", "feedback", "report", "admin"],
    ),
    ("post", "/fhir/Patient", &["ingest", "admin"]),
    (
        "post",
        "/fhir/Patient/$validate",
        &["ingest", "feedback", "admin"],
    ),
    ("post", "/fhir/Patient/$import", &["ingest", "admin"]),
    ("post", "/fhir", &["ingest", "admin"]),
    ("post", "/hl7v2", &["ingest", "admin"]),
    ("get", "/v1/keys", &["admin"]),
    ("post", "/v1/keys", &["admin"]),
    ("delete", "/v1/keys/{name}", &["admin"]),
    ("get", "/v1/audit", &["admin"]),
    ("get", "/metrics", &["admin"]),
    ("get", "/dashboard", &["feedback", "report", "admin"]),
    ("get", "/dashboard/sign-in", &[]),
    ("post", "/dashboard/sign-in", &[]),
    (
        "post",
        "/dashboard/sign-out",
        &["feedback", "report", "admin"],
    ),
    ("get", "/dashboard/trend", &["report", "admin"]),
    ("get", "/dashboard/units/{unit}", &["report", "admin"]),
    (
        "get",
        "/dashboard/records",
        &["feedback", "report", "admin"],
    ),
    ("get", "/dashboard/dashboard.css", &[]),
    ("get", "/healthz", &[]),
    ("get", "/readyz", &[]),
    ("get", "/openapi.json", &[]),
];
const PUBLIC: &[&str] = &[
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/dashboard/sign-in",
    "/dashboard/dashboard.css",
];
const ROLES: [&str; 4] = ["ingest", "feedback", "report", "admin"];

/// A request of `method` on `path` with a body the operation takes.
fn request(
    client: &reqwest::Client,
    app: &TestApp,
    method: &str,
    path: &str,
) -> reqwest::RequestBuilder {
    let concrete = path
        .replace("{id}", &uuid::Uuid::now_v7().to_string())
        .replace("{name}", "no-such-key");
    let url = app.url(&concrete);
    let (content_type, body) = match path {
        "/v1/records/batch" => (
            "application/x-ndjson",
            format!("{}\n", bare_record("T", "ED")),
        ),
        "/fhir" => (
            "application/fhir+json",
            json!({"resourceType": "Bundle", "type": "batch", "entry": []}).to_string(),
        ),
        "/fhir/Patient" | "/fhir/Patient/$validate" => (
            "application/fhir+json",
            json!({"resourceType": "Patient"}).to_string(),
        ),
        "/fhir/Patient/$import" => (
            "application/fhir+ndjson",
            format!("{}\n", json!({"resourceType": "Patient"})),
        ),
        "/hl7v2" => ("x-application/hl7-v2+er7", adt("T1", "T-1")),
        "/dashboard/sign-in" => (
            "application/x-www-form-urlencoded",
            format!("key=rdq_{}", "B".repeat(40)),
        ),
        "/v1/keys" => (
            "application/json",
            json!({"name": format!("k-{}", uuid::Uuid::now_v7().simple()), "role": "report"})
                .to_string(),
        ),
        _ => ("application/json", bare_record("T", "ED").to_string()),
    };
    match method {
        "get" => client.get(url),
        "delete" => client.delete(url),
        _ => client
            .post(url)
            .header("content-type", content_type)
            .body(body),
    }
}

/// A request sent and its body read, for tests: any failure to talk is a test failure.
trait Fetch {
    /// The body as JSON.
    async fn json_body(self) -> Value;
    /// The body as text.
    async fn text_body(self) -> String;
}

impl Fetch for reqwest::RequestBuilder {
    async fn json_body(self) -> Value {
        self.send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("a JSON body")
    }

    async fn text_body(self) -> String {
        self.send()
            .await
            .expect("request sent")
            .text()
            .await
            .expect("a body")
    }
}

async fn status(builder: reqwest::RequestBuilder) -> u16 {
    builder
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}

both!(
    every_operation_answers_each_role_as_the_table_says,
    |app| async move {
        let document = app.get_json("/openapi.json", 200).await;
        let mut keys: BTreeMap<&str, String> = BTreeMap::new();
        for role in ROLES {
            keys.insert(
                role,
                app.create_key(&format!("table-{role}"), role, &[]).await,
            );
        }
        let revoked = app.create_key("table-revoked", "admin", &[]).await;
        let response = app
            .client
            .delete(app.url("/v1/keys/table-revoked"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let expired = app
            .create_key_with(
                json!({"name": "table-expired", "role": "admin", "expires": "2020-01-01"}),
            )
            .await;
        let anonymous = app.client_for(None);
        let unknown = keyed_client(&format!("rdq_{}", "A".repeat(40)));
        let malformed = keyed_client("not-a-key");
        let mut seen = 0;
        for (path, operations) in document["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                seen += 1;
                let Some((_, _, allowed)) =
                    EXPECTED.iter().find(|(m, p, _)| m == method && p == path)
                else {
                    panic!(
                        "{method} {path} is not in the test's access table: list it with its roles"
                    );
                };
                let declared: Vec<&str> = operation["x-roles"]
                    .as_array()
                    .map(|roles| roles.iter().map(|r| r.as_str().unwrap()).collect())
                    .unwrap_or_default();
                assert_eq!(&declared, allowed, "{method} {path}: x-roles");
                if PUBLIC.contains(&path.as_str()) {
                    assert_eq!(operation["security"], json!([]), "{method} {path}");
                    // Signing in with an unknown key re-shows the form with 401.
                    let expected = if method == "post" { 401 } else { 200 };
                    assert_eq!(
                        status(request(&anonymous, &app, method, path)).await,
                        expected,
                        "{method} {path} is public"
                    );
                    continue;
                }
                // A page asked without a valid key sends the browser to the sign-in form.
                let refused = if method == "get" && path.starts_with("/dashboard") {
                    303
                } else {
                    401
                };
                assert_eq!(
                    operation["security"],
                    json!([{"apiKey": []}]),
                    "{method} {path}"
                );
                assert!(
                    operation["responses"]["401"].is_object()
                        && operation["responses"]["403"].is_object()
                );
                for (who, client) in [
                    ("no key", &anonymous),
                    ("unknown key", &unknown),
                    ("malformed key", &malformed),
                ] {
                    assert_eq!(
                        status(request(client, &app, method, path)).await,
                        refused,
                        "{method} {path} with {who}"
                    );
                }
                for (who, key) in [("revoked", &revoked), ("expired", &expired)] {
                    let got = status(request(&keyed_client(key), &app, method, path)).await;
                    assert_eq!(got, refused, "{method} {path} with a {who} key");
                }
                for role in ROLES {
                    let got = status(request(&keyed_client(&keys[role]), &app, method, path)).await;
                    if allowed.contains(&role) {
                        assert!(got != 401 && got != 403, "{method} {path} as {role}: {got}");
                    } else {
                        assert_eq!(got, 403, "{method} {path} as {role}");
                    }
                }
            }
        }
        assert_eq!(
            seen,
            EXPECTED.len(),
            "every operation of the table is in the document"
        );
        // Unknown paths and methods tell a caller without a key nothing.
        assert_eq!(
            status(anonymous.get(app.url("/v1/nothing-here"))).await,
            401
        );
        assert_eq!(status(anonymous.put(app.url("/v1/records"))).await, 401);
        assert_eq!(
            status(app.client.get(app.url("/v1/nothing-here"))).await,
            404
        );
        // The 401 says how to authenticate, in the error envelope.
        let response = anonymous.get(app.url("/v1/records")).send().await.unwrap();
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"real-dq\""
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
        let body: Value = keyed_client(&keys["ingest"])
            .get(app.url("/v1/records"))
            .json_body()
            .await;
        assert_eq!(body["error"]["code"], "forbidden");
    }
);

/// Stores `record` as the admin; its result.
async fn store_as_admin(app: &TestApp, record: &Value) -> Value {
    app.store(record, 201).await
}

fn unit_hl7(control: &str, patient: &str, unit: &str) -> String {
    adt(control, patient).replace("PV1|1|O|PEDS", &format!("PV1|1|O|{unit}"))
}

fn fhir_patient(mrn: &str, unit: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{"system": "urn:example:mrn", "value": mrn}],
        "birthDate": crate::helpers::birth_date_for_age(7),
        "managingOrganization": {"display": unit}
    })
}

both!(
    a_unit_key_sees_and_writes_only_its_units,
    |app| async move {
        let ed = store_as_admin(&app, &complete_record("ED-1", "ED")).await;
        let nicu = store_as_admin(&app, &complete_record("NICU-1", "NICU")).await;
        let feedback = keyed_client(&app.create_key("ed-desk", "feedback", &["ED"]).await);
        let report = keyed_client(&app.create_key("ed-quality", "report", &["ED"]).await);
        let ingest = keyed_client(&app.create_key("ed-feed", "ingest", &["ED"]).await);

        // Reads: lists and reports are filtered; another unit by name is 403; a record of
        // another unit is 404, exactly as one that does not exist.
        let page: Value = feedback.get(app.url("/v1/records")).json_body().await;
        let units: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["unit"].as_str().unwrap())
            .collect();
        assert_eq!(units, ["ED"]);
        assert_eq!(
            status(feedback.get(app.url("/v1/records?unit=NICU"))).await,
            403
        );
        assert_eq!(
            status(feedback.get(app.url(&format!("/v1/records/{}", ed["id"].as_str().unwrap()))))
                .await,
            200
        );
        let hidden = feedback
            .get(app.url(&format!("/v1/records/{}", nicu["id"].as_str().unwrap())))
            .send()
            .await
            .unwrap();
        let missing = feedback
            .get(app.url(&format!("/v1/records/{}", uuid::Uuid::now_v7())))
            .send()
            .await
            .unwrap();
        assert_eq!(
            (hidden.status().as_u16(), missing.status().as_u16()),
            (404, 404)
        );
        assert_eq!(
            hidden.text().await.unwrap(),
            missing.text().await.unwrap(),
            "no hint that it exists"
        );
        let drill: Value = report
            .get(app.url("/v1/records?rule=INTERPRETER_NEED_MISSING"))
            .json_body()
            .await;
        assert!(drill["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["unit"] == "ED"));
        let completeness: Value = report
            .get(app.url("/v1/reports/completeness"))
            .json_body()
            .await;
        let report_units: Vec<&str> = completeness["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["unit"].as_str().unwrap())
            .collect();
        assert_eq!(report_units, ["ED"]);
        assert_eq!(completeness["total"]["patients"], 1);
        assert_eq!(
            status(report.get(app.url("/v1/reports/completeness?unit=NICU"))).await,
            403
        );
        let csv = report
            .get(app.url("/v1/reports/completeness"))
            .header("accept", "text/csv")
            .text_body()
            .await;
        assert!(!csv.contains("NICU"), "{csv}");

        // Writes: one record of another unit is 403; in a batch, a Bundle or an HL7 body that
        // line, entry or message is refused and the rest go on.
        let response = ingest
            .post(app.url("/v1/records"))
            .header("content-type", "application/json")
            .body(complete_record("NICU-2", "NICU").to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden");
        let batch = format!(
            "{}\n{}\n",
            complete_record("NICU-3", "NICU"),
            complete_record("ED-3", "ED")
        );
        let answers = ingest
            .post(app.url("/v1/records/batch"))
            .header("content-type", "application/x-ndjson")
            .body(batch)
            .text_body()
            .await;
        let answers: Vec<Value> = answers
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(answers[0]["error"]["code"], "forbidden", "{answers:?}");
        assert_eq!(answers[1]["result"]["unit"], "ED", "{answers:?}");
        assert!(!answers[0].to_string().contains("NICU-3"));
        let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
            {"resource": fhir_patient("NICU-4", "NICU")}, {"resource": fhir_patient("ED-4", "ED")}
        ]});
        let answer: Value = ingest
            .post(app.url("/fhir"))
            .header("content-type", "application/fhir+json")
            .body(bundle.to_string())
            .json_body()
            .await;
        let statuses: Vec<&str> = answer["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["response"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["403 Forbidden", "201 Created"], "{answer}");
        let transaction = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"resource": fhir_patient("ED-5", "ED")}, {"resource": fhir_patient("NICU-5", "NICU")}
        ]});
        let response = ingest
            .post(app.url("/fhir"))
            .header("content-type", "application/fhir+json")
            .body(transaction.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            403,
            "a transaction with another unit is refused whole"
        );
        let body = format!(
            "{}{}",
            unit_hl7("H1", "NICU-6", "NICU"),
            unit_hl7("H2", "ED-6", "ED")
        );
        let acks = ingest
            .post(app.url("/hl7v2"))
            .header("content-type", "x-application/hl7-v2+er7")
            .body(body)
            .text_body()
            .await;
        let msas: Vec<&str> = acks.split('\r').filter(|s| s.starts_with("MSA")).collect();
        assert_eq!(msas.len(), 2, "{acks}");
        assert!(msas[0].starts_with("MSA|AR|H1"), "{acks}");
        assert!(acks.contains("FORBIDDEN_UNIT"), "{acks}");
        assert!(
            msas[1].starts_with("MSA|AA|H2") || msas[1].starts_with("MSA|AE|H2"),
            "{acks}"
        );

        // Nothing of NICU was written by the ED key; everything of ED was.
        let totals = app.report("").await;
        let by_unit: BTreeMap<String, i64> = totals["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["unit"].as_str().unwrap().to_string(),
                    u["patients"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(by_unit["NICU"], 1, "{totals}");
        assert_eq!(by_unit["ED"], 4, "{totals}");
        // Every refusal is in the audit log, the hidden record's read included.
        let refusals: Vec<(String, String)> = audit_rows(&app)
            .await
            .iter()
            .map(summary)
            .filter(|s| s.2 == 403)
            .map(|s| (s.3, s.1))
            .collect();
        let expected: Vec<(String, String)> = [
            ("ed-desk", "GET /v1/records"),
            ("ed-desk", "GET /v1/records/{id}"),
            ("ed-quality", "GET /v1/reports/completeness"),
            ("ed-feed", "POST /v1/records"),
            ("ed-feed", "POST /v1/records/batch"),
            ("ed-feed", "POST /fhir"),
            ("ed-feed", "POST /fhir"),
            ("ed-feed", "POST /hl7v2"),
        ]
        .iter()
        .map(|(k, r)| (k.to_string(), r.to_string()))
        .collect();
        assert_eq!(refusals, expected);
    }
);

both!(
    the_report_role_never_sees_patient_ids_or_birth_dates,
    |app| async move {
        let mut record = complete_record("SECRET-MRN-4242", "ED");
        record["birth_date"] = json!("2019-04-02");
        store_as_admin(&app, &record).await;
        let mut bare = bare_record("SECRET-MRN-4343", "NICU");
        bare["birth_date"] = json!("2020-05-06");
        store_as_admin(&app, &bare).await;
        let report = keyed_client(&app.create_key("quality", "report", &[]).await);
        let mut bodies = Vec::new();
        for path in [
            "/v1/records",
            "/v1/records?unit=ED",
            "/v1/records?status=incomplete",
            "/v1/records?rule=RACE_MISSING&limit=1",
            "/v1/reports/completeness",
            "/v1/reports/completeness?format=csv",
            "/v1/framework",
        ] {
            let response = report.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{path}");
            bodies.push((path, response.text().await.unwrap()));
        }
        for (path, text) in [
            (
                "/v1/records/{id}",
                status_text(
                    &report,
                    &app,
                    "/v1/records/00000000-0000-7000-8000-000000000000",
                )
                .await,
            ),
            ("/v1/audit", status_text(&report, &app, "/v1/audit").await),
        ] {
            bodies.push((path, text));
        }
        for (path, body) in &bodies {
            for secret in [
                "patient_id",
                "birth_date",
                "SECRET-MRN",
                "2019-04-02",
                "2020-05-06",
            ] {
                assert!(!body.contains(secret), "{path} shows {secret}: {body}");
            }
        }
        // The drill-down still says which records, where, and what fired.
        let page: Value = serde_json::from_str(&bodies[0].1).unwrap();
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        for item in items {
            let keys: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                ["domains", "id", "real_complete", "rules", "status", "unit"],
                "{item}"
            );
        }
        let nicu = items.iter().find(|i| i["unit"] == "NICU").unwrap();
        assert_eq!(nicu["domains"]["race"], "missing");
        assert!(nicu["rules"]
            .as_array()
            .unwrap()
            .contains(&json!("RACE_MISSING")));
    }
);

async fn status_text(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    client.get(app.url(path)).text_body().await
}

/// The audit rows, oldest first.
async fn audit_rows(app: &TestApp) -> Vec<Value> {
    let page = app.get_json("/v1/audit?limit=1000", 200).await;
    page["items"].as_array().unwrap().clone()
}

/// `(action, route, status, key, records)` of a row.
fn summary(row: &Value) -> (String, String, i64, String, i64) {
    (
        row["action"].as_str().unwrap().to_string(),
        row["route"].as_str().unwrap().to_string(),
        row["status"].as_i64().unwrap(),
        row["key"].as_str().unwrap_or("-").to_string(),
        row["records"].as_i64().unwrap(),
    )
}

both!(each_audited_action_leaves_its_row, |app| async move {
    let before = audit_rows(&app).await;
    assert_eq!(
        before.len(),
        1,
        "the first admin key's creation: {before:?}"
    );
    assert_eq!(summary(&before[0]).1, "SERVE first admin key");

    let stored = store_as_admin(&app, &complete_record("A-1", "ED")).await;
    let id = stored["id"].as_str().unwrap().to_string();
    app.get_json(&format!("/v1/records/{id}"), 200).await;
    app.get_json("/v1/records?unit=ED", 200).await;
    let lines = app
        .batch(&format!(
            "{}\n{}\n",
            complete_record("A-2", "NICU"),
            complete_record("A-3", "NICU")
        ))
        .await;
    let batch_ids: Vec<&str> = lines
        .iter()
        .map(|l| l["result"]["id"].as_str().unwrap())
        .collect();
    let feedback = app.create_key("desk", "feedback", &[]).await;
    assert_eq!(
        status(app.client.delete(app.url("/v1/keys/desk"))).await,
        200
    );
    assert_eq!(
        status(app.client_for(None).get(app.url("/v1/records"))).await,
        401
    );
    assert_eq!(
        status(keyed_client(&feedback).get(app.url("/v1/records"))).await,
        401
    );
    let reporter = app.create_key("quality", "report", &[]).await;
    assert_eq!(
        status(
            keyed_client(&reporter)
                .post(app.url("/v1/records"))
                .header("content-type", "application/json")
                .body("{}")
        )
        .await,
        403
    );
    let ack = app
        .post_raw("/hl7v2", "x-application/hl7-v2+er7", adt("AU1", "A-4"))
        .await
        .text()
        .await
        .unwrap();
    assert!(ack.contains("MSA|AA|AU1"), "{ack}");
    // Validating stores and reads nothing: not audited.
    app.post_json("/v1/validate", &complete_record("A-5", "ED"))
        .await;

    let rows = audit_rows(&app).await;
    let got: Vec<_> = rows[1..].iter().map(summary).collect();
    let expected = vec![
        (
            "create".into(),
            "POST /v1/records".into(),
            201,
            "admin".into(),
            1,
        ),
        (
            "read".into(),
            "GET /v1/records/{id}".into(),
            200,
            "admin".into(),
            1,
        ),
        (
            "read".into(),
            "GET /v1/records".into(),
            200,
            "admin".into(),
            1,
        ),
        (
            "create".into(),
            "POST /v1/records/batch".into(),
            201,
            "admin".into(),
            2,
        ),
        (
            "create".into(),
            "POST /v1/keys".into(),
            201,
            "admin".into(),
            0,
        ),
        (
            "update".into(),
            "DELETE /v1/keys/{name}".into(),
            200,
            "admin".into(),
            0,
        ),
        (
            "execute".into(),
            "GET /v1/records".into(),
            401,
            "-".into(),
            0,
        ),
        (
            "execute".into(),
            "GET /v1/records".into(),
            401,
            "-".into(),
            0,
        ),
        (
            "create".into(),
            "POST /v1/keys".into(),
            201,
            "admin".into(),
            0,
        ),
        (
            "execute".into(),
            "POST /v1/records".into(),
            403,
            "quality".into(),
            0,
        ),
        (
            "create".into(),
            "POST /hl7v2".into(),
            201,
            "admin".into(),
            1,
        ),
    ];
    assert_eq!(got, expected);
    // Record UUIDs and units, never patient ids.
    assert_eq!(rows[1]["record_ids"], json!([id]));
    assert_eq!(rows[1]["units"], json!(["ED"]));
    assert_eq!(rows[2]["record_ids"], json!([id]));
    assert_eq!(rows[3]["record_ids"], json!([id]));
    assert_eq!(rows[4]["record_ids"], json!(batch_ids));
    assert_eq!(rows[4]["units"], json!(["NICU"]));
    assert_eq!(rows[7]["peer"], "127.0.0.1");
    // Key changes name the key they acted on; other rows name none.
    assert_eq!(rows[0]["target"], "admin");
    assert_eq!(rows[5]["target"], "desk");
    assert_eq!(rows[6]["target"], "desk");
    assert!(rows[1]["target"].is_null());
    let text = serde_json::to_string(&rows).unwrap();
    for secret in ["A-1", "A-2", "A-3", "A-4", "birth"] {
        assert!(
            !text.contains(&format!("\"{secret}")),
            "{secret} in the audit log"
        );
    }
    // Filters, paging and CSV.
    let reads = app.get_json("/v1/audit?action=read", 200).await;
    assert_eq!(reads["items"].as_array().unwrap().len(), 2);
    let by_key = app.get_json("/v1/audit?key=quality", 200).await;
    assert_eq!(by_key["items"].as_array().unwrap().len(), 1);
    let first = app.get_json("/v1/audit?limit=5", 200).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(&format!("/v1/audit?limit=100&cursor={cursor}"), 200)
        .await;
    assert_eq!(
        first["items"].as_array().unwrap().len() + second["items"].as_array().unwrap().len(),
        rows.len()
    );
    assert_eq!(second["items"][0]["id"], rows[5]["id"]);
    let future = app.get_json("/v1/audit?from=2999-01-01", 200).await;
    assert!(future["items"].as_array().unwrap().is_empty());
    let csv = app
        .client
        .get(app.url("/v1/audit?format=csv"))
        .text_body()
        .await;
    assert!(
        csv.starts_with(
            "id,at,key,role,action,route,status,units,records,record_ids,peer,target\n"
        ),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), rows.len() + 1);
    assert_eq!(
        status(app.client.get(app.url("/v1/audit?action=erase"))).await,
        422
    );
    // Append-only: the database itself refuses to change a row.
    let changed = with_connection(&app, |conn| {
        diesel::sql_query("UPDATE audit_log SET status = 200").execute(conn)
    });
    assert!(changed.is_err(), "an audit row was updated");
});

/// Runs `work` on a connection of the app's database.
fn with_connection<T>(
    app: &TestApp,
    work: impl FnOnce(&mut real_dq::store::DbConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    let manager = real_dq::store::connection::Manager::new(&app.database_url);
    let mut conn = manager.connect().expect("the test connects");
    work(&mut conn)
}

both!(
    a_refused_write_leaves_its_refusal_and_no_data,
    |app| async move {
        let ingest = keyed_client(&app.create_key("ed-feed", "ingest", &["ED"]).await);
        let response = ingest
            .post(app.url("/v1/records"))
            .header("content-type", "application/json")
            .body(complete_record("N-1", "NICU").to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403);
        let report = keyed_client(&app.create_key("no-writes", "report", &[]).await);
        let response = report
            .post(app.url("/v1/records/batch"))
            .header("content-type", "application/x-ndjson")
            .body(format!("{}\n", complete_record("N-2", "ED")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403);
        assert_eq!(
            app.report("").await["total"]["patients"],
            0,
            "nothing stored"
        );
        let stored: i64 = with_connection(&app, |conn| {
            use diesel::prelude::*;
            real_dq::store::schema::records::table
                .count()
                .get_result(conn)
        })
        .unwrap();
        assert_eq!(stored, 0);
        let refusals: Vec<_> = audit_rows(&app)
            .await
            .iter()
            .map(summary)
            .filter(|s| s.2 == 403)
            .collect();
        assert_eq!(
            refusals,
            vec![
                (
                    "create".into(),
                    "POST /v1/records".into(),
                    403,
                    "ed-feed".into(),
                    0
                ),
                (
                    "execute".into(),
                    "POST /v1/records/batch".into(),
                    403,
                    "no-writes".into(),
                    0
                ),
            ]
        );
    }
);

both!(
    keys_are_shown_once_and_stored_only_as_hashes,
    |app| async move {
        let response = app.post_json("/v1/keys", &json!({"name": "epic-feed", "role": "ingest", "units": ["ED", "NICU"], "expires": "2999-01-01"})).await;
        assert_eq!(response.status().as_u16(), 201);
        let created: Value = response.json().await.unwrap();
        let key = created["key"].as_str().unwrap().to_string();
        assert!(key.starts_with("rdq_") && key.len() == 44, "{key}");
        assert_eq!(created["units"], json!(["ED", "NICU"]));
        assert_eq!(created["expires_at"], "2999-01-01T00:00:00Z");
        let listed = app.client.get(app.url("/v1/keys")).text_body().await;
        assert!(!listed.contains(&key[4..]), "the list never shows a key");
        assert!(listed.contains("\"epic-feed\""));
        let hashes: Vec<(String, String)> = with_connection(&app, |conn| {
            use diesel::prelude::*;
            use real_dq::store::schema::api_keys;
            api_keys::table
                .select((api_keys::name, api_keys::key_hash))
                .load(conn)
        })
        .unwrap();
        let (_, hash) = hashes.iter().find(|(name, _)| name == "epic-feed").unwrap();
        assert_eq!(hash, &real_dq::access::key::hash(&key));
        // Used: last_used_at is set.
        keyed_client(&key)
            .get(app.url("/v1/framework"))
            .send()
            .await
            .unwrap();
        let listed: Value = app.get_json("/v1/keys", 200).await;
        let entry = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == "epic-feed")
            .unwrap()
            .clone();
        assert!(entry["last_used_at"].is_string(), "{entry}");
        assert_eq!(entry["active"], true);
        // Names are unique; bad requests name the field.
        let again = app
            .post_json("/v1/keys", &json!({"name": "epic-feed", "role": "ingest"}))
            .await;
        assert_eq!(again.status().as_u16(), 409);
        for (body, field) in [
            (json!({"name": "x", "role": "superuser"}), "role"),
            (json!({"name": "has space", "role": "ingest"}), "name"),
            (
                json!({"name": "y", "role": "ingest", "expires": "soon"}),
                "expires",
            ),
        ] {
            let response = app.post_json("/v1/keys", &body).await;
            assert_eq!(response.status().as_u16(), 422, "{body}");
            let error: Value = response.json().await.unwrap();
            assert_eq!(error["error"]["details"][0]["path"], field, "{error}");
        }
        assert_eq!(
            status(app.client.delete(app.url("/v1/keys/nobody"))).await,
            404
        );
        // The command line does the same on the same store.
        let output = real_dq_cli(
            &app,
            &[
                "keys", "create", "--name", "cli-made", "--role", "report", "--units", "ED",
            ],
        );
        assert!(output.status.success(), "{output:?}");
        let cli_key = String::from_utf8(output.stdout).unwrap().trim().to_string();
        assert!(cli_key.starts_with("rdq_"));
        assert_eq!(
            status(keyed_client(&cli_key).get(app.url("/v1/reports/completeness"))).await,
            200
        );
        let output = real_dq_cli(&app, &["keys", "list"]);
        let table = String::from_utf8(output.stdout).unwrap();
        assert!(
            table.contains("cli-made")
                && table.contains("report")
                && !table.contains(&cli_key[4..]),
            "{table}"
        );
        let output = real_dq_cli(
            &app,
            &["keys", "create", "--name", "cli-made", "--role", "report"],
        );
        assert!(!output.status.success(), "a taken name is refused");
        let output = real_dq_cli(&app, &["keys", "create", "--name", "z", "--role", "root"]);
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("--role"),
            "{output:?}"
        );
    }
);

/// Runs the real binary on the app's database.
pub(crate) fn real_dq_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_real-dq"))
        .args(args)
        .env("REALDQ_DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs")
}

both!(revoked_and_expired_keys_are_refused, |app| async move {
    // Revoked over HTTP: at once.
    let key = app.create_key("short-lived", "feedback", &[]).await;
    let client = keyed_client(&key);
    assert_eq!(status(client.get(app.url("/v1/records"))).await, 200);
    assert_eq!(
        status(app.client.delete(app.url("/v1/keys/short-lived"))).await,
        200
    );
    assert_eq!(status(client.get(app.url("/v1/records"))).await, 401);
    // Revoked by the command line (another process): within the cache's 5 seconds.
    let key = app.create_key("cli-revoked", "feedback", &[]).await;
    let client = keyed_client(&key);
    assert_eq!(status(client.get(app.url("/v1/records"))).await, 200);
    let output = real_dq_cli(&app, &["keys", "revoke", "cli-revoked"]);
    assert!(output.status.success(), "{output:?}");
    let started = std::time::Instant::now();
    loop {
        let got = status(client.get(app.url("/v1/records"))).await;
        if got == 401 {
            break;
        }
        assert_eq!(got, 200);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(7),
            "still accepted after 7 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    // Expiring: accepted before, refused after, at the instant it names.
    let soon = (chrono::Utc::now() + chrono::TimeDelta::seconds(2)).to_rfc3339();
    let key = app
        .create_key_with(json!({"name": "expiring", "role": "report", "expires": soon}))
        .await;
    let client = keyed_client(&key);
    assert_eq!(status(client.get(app.url("/v1/framework"))).await, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(status(client.get(app.url("/v1/framework"))).await, 401);
    let keys = app.get_json("/v1/keys", 200).await;
    let expiring = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "expiring")
        .unwrap()
        .clone();
    assert_eq!(expiring["active"], false);
});

both!(write_routes_require_their_content_type, |app| async move {
    for path in [
        "/v1/records",
        "/v1/records/batch",
        "/v1/validate",
        "/fhir",
        "/fhir/Patient",
        "/fhir/Patient/$import",
        "/hl7v2",
        "/v1/keys",
    ] {
        let body = match path {
            "/hl7v2" => adt("CT1", "CT-1"),
            "/v1/keys" => json!({"name": "ct", "role": "ingest"}).to_string(),
            _ => complete_record("CT-1", "ED").to_string(),
        };
        let response = app
            .client
            .post(app.url(path))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            415,
            "{path} without a Content-Type"
        );
        // What a cross-site form can send without a preflight.
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "text/plain")
            .body(body)
            .send()
            .await
            .unwrap();
        if path != "/hl7v2" {
            assert_eq!(response.status().as_u16(), 415, "{path} as text/plain");
        }
    }
    assert_eq!(
        app.report("").await["total"]["patients"],
        1,
        "only the HL7 text/plain message"
    );
});

both!(responses_carry_security_headers, |app| async move {
    let stored = store_as_admin(&app, &complete_record("H-1", "ED")).await;
    let keyed = [
        app.client.get(app.url("/v1/records")).send().await.unwrap(),
        app.client
            .get(app.url(&format!("/v1/records/{}", stored["id"].as_str().unwrap())))
            .send()
            .await
            .unwrap(),
        app.client
            .get(app.url("/v1/reports/completeness"))
            .send()
            .await
            .unwrap(),
        app.client_for(None)
            .get(app.url("/v1/records"))
            .send()
            .await
            .unwrap(),
        app.client.get(app.url("/v1/nothing")).send().await.unwrap(),
    ];
    for response in &keyed {
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{}",
            response.url()
        );
        assert_eq!(
            response.headers()["cache-control"],
            "no-store",
            "{}",
            response.url()
        );
    }
    let public = app
        .client_for(None)
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.headers()["x-content-type-options"], "nosniff");
    assert!(public
        .headers()
        .get("access-control-allow-origin")
        .is_none());
});

#[actix_web::test]
async fn cors_is_off_unless_origins_are_named() {
    let app = TestApp::builder(Db::Sqlite).start().await;
    let preflight = |app: &TestApp, origin: &str| {
        app.client_for(None)
            .request(reqwest::Method::OPTIONS, app.url("/v1/records"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let response = preflight(&app, "https://evil.example").await.unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    let response = app
        .client
        .get(app.url("/v1/records"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let app = TestApp::builder(Db::Sqlite)
        .settings(|s| {
            s.access.cors_origins = vec!["https://quality.example.org".into()];
        })
        .start()
        .await;
    let response = preflight(&app, "https://quality.example.org")
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://quality.example.org"
    );
    let response = preflight(&app, "https://evil.example").await.unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    // A key is still needed for the request itself.
    let response = app
        .client_for(None)
        .get(app.url("/v1/records"))
        .header("origin", "https://quality.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

both!(
    purge_keeps_every_current_state_and_report,
    |app| async move {
        // History: each patient replaced by a newer record; the older ones are purgeable.
        let mut ids = Vec::new();
        for (patient, unit) in [("P-1", "ED"), ("P-2", "NICU"), ("P-3", "ED")] {
            let mut old = bare_record(patient, unit);
            old["recorded_at"] = json!("2021-03-01T10:00:00Z");
            ids.push(
                app.store(&old, 201).await["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
            let mut newer = complete_record(patient, unit);
            newer["recorded_at"] = json!("2021-06-01T10:00:00Z");
            app.store(&newer, 200).await;
        }
        let mut only = bare_record("P-4", "PICU");
        only["recorded_at"] = json!("2021-03-01T10:00:00Z");
        app.store(&only, 201).await;
        let snapshot = |app: &TestApp| {
            let app_client = app.client.clone();
            let base = app.address.clone();
            async move {
                let mut out = Vec::new();
                for path in [
                    "/v1/records?limit=500",
                    "/v1/records?status=incomplete",
                    "/v1/reports/completeness",
                    "/v1/reports/completeness?format=csv",
                    "/v1/reports/trend?from=2021-01-01&to=2021-08-01",
                ] {
                    let text = app_client.get(format!("{base}{path}")).text_body().await;
                    out.push(strip_generated_at(&text));
                }
                out
            }
        };
        let before = snapshot(&app).await;
        let count = |app: &TestApp| {
            with_connection(app, |conn| {
                use diesel::prelude::*;
                real_dq::store::schema::records::table
                    .count()
                    .get_result::<i64>(conn)
            })
            .unwrap()
        };
        assert_eq!(count(&app), 7);
        let output = real_dq_cli(&app, &["purge", "--before", "2022-01-01", "--dry-run"]);
        assert!(output.status.success(), "{output:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("would remove 3 history records"),
            "{output:?}"
        );
        assert_eq!(count(&app), 7, "a dry run removes nothing");
        let output = real_dq_cli(&app, &["purge", "--before", "2022-01-01"]);
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("removed 3 history records"),
            "{output:?}"
        );
        assert_eq!(count(&app), 4, "the current state of every patient stays");
        for id in &ids {
            assert_eq!(
                app.get(&format!("/v1/records/{id}"))
                    .await
                    .status()
                    .as_u16(),
                404,
                "purged"
            );
        }
        assert_eq!(
            snapshot(&app).await,
            before,
            "work lists and reports are unchanged"
        );
        // The purge is audited; audit rows are purged separately, and that is audited too.
        let rows = audit_rows(&app).await;
        let purge = rows
            .iter()
            .map(summary)
            .find(|s| s.1 == "CLI purge history")
            .unwrap();
        assert_eq!(
            purge,
            (
                "delete".into(),
                "CLI purge history".into(),
                200,
                "-".into(),
                3
            )
        );
        let output = real_dq_cli(&app, &["purge", "--audit-before", "2999-01-01"]);
        assert!(output.status.success(), "{output:?}");
        let rows = audit_rows(&app).await;
        let kept: Vec<_> = rows
            .iter()
            .map(summary)
            .filter(|s| !s.1.starts_with("GET /v1/records"))
            .collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].1, "CLI purge audit");
        assert!(kept[0].4 > 10);
        let output = real_dq_cli(&app, &["purge"]);
        assert!(!output.status.success(), "purge needs a date");
    }
);

/// The report's `generated_at` changes each call: drop it to compare.
fn strip_generated_at(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut value) => {
            if let Some(object) = value.as_object_mut() {
                object.remove("generated_at");
            }
            value.to_string()
        }
        Err(_) => text
            .lines()
            .filter(|l| !l.contains("generated_at"))
            .collect(),
    }
}

#[test]
fn the_first_start_prints_an_admin_key_once() {
    use std::io::{BufRead, BufReader, Read};
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("first.db");
    let start = |extra: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_real-dq"));
        command
            .arg("serve")
            .env("REALDQ_DATABASE_URL", &database)
            .env("REALDQ_BIND", "127.0.0.1:0")
            .env_remove("REALDQ_ADMIN_KEY")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut address = String::new();
        stdout.read_line(&mut address).unwrap();
        // Whatever start prints comes right after the address line (flushed together).
        std::thread::sleep(std::time::Duration::from_millis(500));
        child.kill().unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        child.wait().unwrap();
        format!("{address}{rest}")
    };
    let first = start(&[]);
    assert!(first.contains("first admin key"), "{first}");
    let key = first.lines().nth(2).unwrap().trim().to_string();
    assert!(key.starts_with("rdq_") && key.len() == 44, "{first}");
    let second = start(&[]);
    assert!(
        !second.contains("admin key") && !second.contains("rdq_"),
        "{second}"
    );
    // An admin exists: REALDQ_ADMIN_KEY changes nothing, and nothing is printed.
    let given = format!("rdq_{}", "G".repeat(32));
    let third = start(&[("REALDQ_ADMIN_KEY", given.as_str())]);
    assert!(!third.contains("rdq_"), "{third}");
    // A given key must have the form; the message names the variable.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_real-dq"))
        .arg("serve")
        .env("REALDQ_DATABASE_URL", dir.path().join("other.db"))
        .env("REALDQ_BIND", "127.0.0.1:0")
        .env("REALDQ_ADMIN_KEY", "rdq_short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("REALDQ_ADMIN_KEY"),
        "{output:?}"
    );
}

#[actix_web::test]
async fn mllp_connections_are_audited() {
    let app = TestApp::builder(Db::Sqlite).mllp().start().await;
    let address = app.mllp_address();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    use tokio::io::AsyncWriteExt;
    stream
        .write_all(&crate::mllp::framed(&adt("M1", "M-1")))
        .await
        .unwrap();
    let ack = crate::mllp::read_frame(&mut stream).await;
    assert!(ack.contains("MSA|AA|M1"), "{ack}");
    drop(stream);
    let rows = audit_rows(&app).await;
    let got: Vec<_> = rows
        .iter()
        .map(summary)
        .filter(|s| s.1.starts_with("MLLP"))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "execute".into(),
                "MLLP connection".into(),
                200,
                "mllp".into(),
                0
            ),
            ("create".into(), "MLLP".into(), 201, "mllp".into(), 1),
        ]
    );
    assert!(rows
        .iter()
        .all(|r| r["route"] != "MLLP" || r["peer"] == "127.0.0.1"));
}
