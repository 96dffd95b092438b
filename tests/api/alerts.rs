//! `GET /v1/alerts` and the alert webhook: the pairs below a threshold equal the
//! completeness report's verdicts; one event per crossing, either way, signed, without
//! PHI, retried while the receiver fails, none while a pair stays where it is.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::both;
use crate::helpers::{bare_record, complete_record, Db, TestApp};

/// `(unit, domain, level, rate)` of every pair the report judges warn or fail.
fn below_in_report(report: &Value) -> BTreeSet<(String, String, String, String)> {
    let mut pairs = BTreeSet::new();
    for unit in report["units"].as_array().unwrap() {
        let name = unit["unit"].as_str().unwrap().to_string();
        let mut judged: Vec<(String, &Value)> = unit["domains"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(d, c)| (d.clone(), c))
            .collect();
        judged.push(("real_complete".into(), &unit["real_complete"]));
        for (domain, counts) in judged {
            let level = counts["threshold"].as_str().unwrap_or("pass");
            if level != "pass" {
                pairs.insert((
                    name.clone(),
                    domain,
                    level.to_string(),
                    counts["rate"].to_string(),
                ));
            }
        }
    }
    pairs
}

fn listed(alerts: &Value) -> BTreeSet<(String, String, String, String)> {
    alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["unit"].as_str().unwrap().to_string(),
                a["domain"].as_str().unwrap().to_string(),
                a["level"].as_str().unwrap().to_string(),
                a["rate"].to_string(),
            )
        })
        .collect()
}

fn recorded(mut record: Value, time: &str) -> Value {
    record["recorded_at"] = json!(time);
    record
}

both!(
    alerts_are_the_reports_pairs_below_a_threshold,
    |app| async move {
        for n in 0..10 {
            app.store(&complete_record(&format!("E{n}"), "ED"), 201)
                .await;
        }
        assert_eq!(app.get_json("/v1/alerts", 200).await["alerts"], json!([]));

        // One bare record in ED (1 of 11: race at 10/11 = 0.9091 passes), NICU bare only.
        app.store(&bare_record("E10", "ED"), 201).await;
        app.store(&bare_record("N1", "NICU"), 201).await;
        let mut second = complete_record("N2", "NICU");
        second["language"] = json!({"null_flavor": "UNK"});
        app.store(&second, 201).await;
        let alerts = app.get_json("/v1/alerts", 200).await;
        let report = app.report("").await;
        assert_eq!(listed(&alerts), below_in_report(&report), "{alerts}");
        assert!(listed(&alerts).iter().any(|(u, _, _, _)| u == "NICU"));
        let list = alerts["alerts"].as_array().unwrap();
        // Fail first, then by unit and domain.
        let order: Vec<(bool, String, String)> = list
            .iter()
            .map(|a| {
                (
                    a["level"] != "fail",
                    a["unit"].as_str().unwrap().to_string(),
                    a["domain"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        for alert in list {
            assert_eq!(alert["days_below"], 0, "{alert}");
            assert_eq!(alert["warn_below"], 0.9);
            assert_eq!(alert["fail_below"], 0.8);
            let time =
                |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
            assert!(time(&alert["since"]) <= time(&alerts["generated_at"]));
        }
        let nicu_race = list
            .iter()
            .find(|a| a["unit"] == "NICU" && a["domain"] == "race")
            .expect("NICU race is below");
        assert_eq!(nicu_race["level"], "fail");
        assert_eq!(nicu_race["rate"], 0.5);
        assert_eq!(nicu_race["patients"], 2);

        // Filters.
        let fails = app.get_json("/v1/alerts?level=fail", 200).await;
        assert!(fails["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["level"] == "fail"));
        assert!(!fails["alerts"].as_array().unwrap().is_empty());
        let one = app.get_json("/v1/alerts?unit=NICU&domain=race", 200).await;
        assert_eq!(one["alerts"].as_array().unwrap().len(), 1, "{one}");
        assert_eq!(one["alerts"][0], *nicu_race);

        // CSV.
        let csv = app.get("/v1/alerts?unit=NICU&domain=race&format=csv").await;
        assert_eq!(csv.status().as_u16(), 200);
        let text = csv.text().await.unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "unit,domain,level,rate,patients,warn_below,fail_below,since,level_since,days_below"
        );
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "NICU,race,fail,0.5000,2,0.9,0.8,{},{},0",
                nicu_race["since"].as_str().unwrap(),
                nicu_race["level_since"].as_str().unwrap()
            )
        );
        assert_eq!(lines.next(), None);

        // `since` holds while the pair stays below; the pair leaves the list when the
        // patient is complete again.
        let again = app.get_json("/v1/alerts", 200).await;
        let since = |a: &Value, unit: &str, domain: &str| {
            a["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["unit"] == unit && x["domain"] == domain)
                .map(|x| x["since"].clone())
        };
        assert_eq!(
            since(&again, "NICU", "race"),
            since(&alerts, "NICU", "race")
        );
        app.store(
            &recorded(complete_record("N1", "NICU"), &crate::helpers::days_ago(1)),
            200,
        )
        .await;
        let after = app.get_json("/v1/alerts", 200).await;
        assert_eq!(since(&after, "NICU", "race"), None, "{after}");
        assert_eq!(listed(&after), below_in_report(&app.report("").await));
    }
);

both!(alerts_refuse_bad_parameters_naming_them, |app| async move {
    for (query, field) in [
        ("level=pass", "level"),
        ("domain=height", "domain"),
        ("format=xml", "format"),
    ] {
        let response = app.get(&format!("/v1/alerts?{query}")).await;
        assert_eq!(response.status().as_u16(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["error"]["details"][0]["path"], field,
            "{query}: {body}"
        );
    }
});

both!(alerts_show_a_key_its_own_units_only, |app| async move {
    app.store(&bare_record("E1", "ED"), 201).await;
    app.store(&bare_record("N1", "NICU"), 201).await;
    let key = app.create_key("nicu-quality", "report", &["NICU"]).await;
    let client = app.client_for(Some(&key));
    let alerts: Value = client
        .get(app.url("/v1/alerts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let units: BTreeSet<&str> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["unit"].as_str().unwrap())
        .collect();
    assert_eq!(units, BTreeSet::from(["NICU"]), "{alerts}");
    let other = client
        .get(app.url("/v1/alerts?unit=ED"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 403);
    let ingest = app.create_key("feed", "ingest", &[]).await;
    let refused = app
        .client_for(Some(&ingest))
        .get(app.url("/v1/alerts"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let anonymous = app
        .client_for(None)
        .get(app.url("/v1/alerts"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
});

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    status: u16,
    event: String,
    delivery: String,
    signature: String,
    body: String,
}

/// A webhook receiver on loopback that answers 503 to its first `failures` requests and
/// 200 after, keeping every request.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<Received>>>) {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let kept = got.clone();
    let server = HttpServer::new(move || {
        let kept = kept.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: String| {
            let kept = kept.clone();
            async move {
                let header = |name: &str| {
                    req.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let mut got = kept.lock().unwrap();
                let status = if got.len() < failures { 503 } else { 200 };
                got.push(Received {
                    status,
                    event: header("x-realdq-event"),
                    delivery: header("x-realdq-delivery"),
                    signature: header("x-realdq-signature"),
                    body,
                });
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    (format!("http://{address}/hooks/real-dq?token=t0ken"), got)
}

/// Waits until `count` requests were answered 200 (at most 20 s), then returns them all.
async fn delivered(got: &Arc<Mutex<Vec<Received>>>, count: usize) -> Vec<Received> {
    let start = Instant::now();
    loop {
        let all = got.lock().unwrap().clone();
        if all.iter().filter(|r| r.status == 200).count() >= count
            || start.elapsed() > Duration::from_secs(20)
        {
            return all;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

fn hmac_hex(secret: &str, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

async fn webhook_case(db: Db) {
    let (url, got) = receiver(1).await;
    let secret = "s3cret-shared-with-the-receiver";
    let app = TestApp::builder(db)
        .settings(|s| {
            s.alerts.alert_webhook = Some(url.clone());
            s.alerts.alert_webhook_secret = Some(secret.into());
        })
        .start()
        .await;
    for n in 0..9 {
        app.store(&complete_record(&format!("E{n}"), "ED"), 201)
            .await;
    }
    // Everything passes: nothing to announce.
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    assert!(got.lock().unwrap().is_empty(), "{:?}", got.lock().unwrap());

    // One bare patient of ten: 0.9 passes race; two of eleven fail.
    let mut bare = bare_record("SECRET-MRN-1", "ED");
    bare["recorded_at"] = json!(crate::helpers::days_ago(3));
    app.store(&bare, 201).await;
    app.store(&bare_record("SECRET-MRN-2", "ED"), 201).await;
    let below = below_in_report(&app.report("").await);
    assert!(!below.is_empty());
    let all = delivered(&got, below.len()).await;
    // The first try was refused (503) and the same event came again.
    assert_eq!(all[0].status, 503);
    assert_eq!(all[1].delivery, all[0].delivery, "{all:?}");
    assert_eq!(all[1].body, all[0].body);
    let ok: Vec<&Received> = all.iter().filter(|r| r.status == 200).collect();
    let announced: BTreeSet<(String, String, String, String)> = ok
        .iter()
        .map(|r| {
            let event: Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(event["event"], "alert.raised", "{event}");
            assert_eq!(r.event, "alert.raised");
            assert_eq!(event["id"], r.delivery.as_str());
            assert_eq!(event["from"], "pass");
            assert_eq!(event["since"], event["at"]);
            assert_eq!(r.signature, hmac_hex(secret, &r.body));
            assert!(!r.body.contains("SECRET-MRN"), "no PHI: {}", r.body);
            (
                event["unit"].as_str().unwrap().to_string(),
                event["domain"].as_str().unwrap().to_string(),
                event["to"].as_str().unwrap().to_string(),
                event["rate"].to_string(),
            )
        })
        .collect();
    assert_eq!(announced, below);
    assert_eq!(ok.len(), below.len(), "one event per crossing: {all:?}");

    // Still at warn, at another rate (a tenth complete patient: 10/12): no repeat.
    app.store(&complete_record("E9", "ED"), 201).await;
    let levels =
        |pairs: &BTreeSet<(String, String, String, String)>| -> Vec<(String, String, String)> {
            pairs
                .iter()
                .map(|(u, d, l, _)| (u.clone(), d.clone(), l.clone()))
                .collect()
        };
    let warn_again = below_in_report(&app.report("").await);
    assert_ne!(warn_again, below, "the rates moved");
    assert_eq!(levels(&warn_again), levels(&below), "the levels did not");
    actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        got.lock().unwrap().len(),
        all.len(),
        "no repeat while below"
    );

    // Two more bare patients (10/14): warn to fail, one `alert.changed` per pair.
    for n in 3..=4 {
        app.store(&bare_record(&format!("SECRET-MRN-{n}"), "ED"), 201)
            .await;
    }
    let failing = below_in_report(&app.report("").await);
    assert!(
        failing.iter().all(|(_, _, l, _)| l == "fail"),
        "{failing:?}"
    );
    let all = delivered(&got, 2 * below.len()).await;
    let changed: BTreeSet<(String, String, String, String)> = all
        .iter()
        .filter(|r| r.status == 200 && r.event == "alert.changed")
        .map(|r| {
            let event: Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(event["from"], "warn");
            assert_ne!(
                event["since"], event["at"],
                "since: when it went below warn"
            );
            (
                event["unit"].as_str().unwrap().to_string(),
                event["domain"].as_str().unwrap().to_string(),
                event["to"].as_str().unwrap().to_string(),
                event["rate"].to_string(),
            )
        })
        .collect();
    assert_eq!(changed, failing);

    // All four complete again: one `alert.cleared` per pair.
    for n in 1..=4 {
        app.store(
            &recorded(
                complete_record(&format!("SECRET-MRN-{n}"), "ED"),
                &crate::helpers::days_ago(1),
            ),
            200,
        )
        .await;
    }
    assert!(below_in_report(&app.report("").await).is_empty());
    let all = delivered(&got, 3 * below.len()).await;
    let cleared: BTreeSet<(String, String)> = all
        .iter()
        .filter(|r| r.status == 200 && r.event == "alert.cleared")
        .map(|r| {
            let event: Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(event["from"], "fail");
            assert_eq!(event["to"], "pass");
            (
                event["unit"].as_str().unwrap().to_string(),
                event["domain"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = below
        .iter()
        .map(|(u, d, _, _)| (u.clone(), d.clone()))
        .collect();
    assert_eq!(cleared, expected);
    assert_eq!(
        all.iter().filter(|r| r.status == 200).count(),
        3 * below.len(),
        "{all:?}"
    );
    assert_eq!(app.get_json("/v1/alerts", 200).await["alerts"], json!([]));
}

#[actix_web::test]
async fn the_webhook_gets_each_crossing_once_retried_while_the_receiver_fails_sqlite() {
    webhook_case(Db::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    not(realdq_postgres),
    ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn the_webhook_gets_each_crossing_once_retried_while_the_receiver_fails_postgres() {
    webhook_case(Db::Postgres).await;
}
