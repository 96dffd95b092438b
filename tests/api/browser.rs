//! The dashboard in a real browser: Debian's Chromium, driven through its WebDriver
//! (`chromedriver`, the W3C protocol spoken here over HTTP with reqwest). A test seeds a
//! server, signs in, checks that the heat map's cells, the alerts and the trend's points
//! equal the JSON API, follows a cell to its records, signs out, and saves screenshots
//! under `target/screenshots/`. Built only with `REALDQ_TEST_CHROMEDRIVER` (the path of
//! `chromedriver`; `.ci/run` installs it): otherwise the tests show as ignored.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{bare_record, keyed_client, Db, TestApp};

/// W3C WebDriver's element key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one headless Chromium session; both end when dropped.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    async fn start() -> Browser {
        let Some(path) = option_env!("REALDQ_TEST_CHROMEDRIVER") else {
            panic!("built without REALDQ_TEST_CHROMEDRIVER: the browser tests are ignored then");
        };
        let port = free_port();
        let driver = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {path}: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let start = Instant::now();
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if ready.is_some() {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            http,
        };
        let created = browser
            .call(
                "POST",
                "/session",
                json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": "/usr/bin/chromium",
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--disable-dev-shm-usage", "--window-size=1280,900"]
                    }
                }}}),
            )
            .await;
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        browser
    }

    async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(
            answer["value"]["error"].is_null(),
            "WebDriver {method} {path}: {answer}"
        );
        answer["value"].clone()
    }

    fn at(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    async fn go(&self, url: &str) {
        self.call("POST", &self.at("/url"), json!({"url": url}))
            .await;
    }

    async fn url(&self) -> String {
        self.call("GET", &self.at("/url"), json!({}))
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        self.call(
            "POST",
            &self.at("/elements"),
            json!({"using": "css selector", "value": css}),
        )
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[ELEMENT].as_str().unwrap().to_string())
        .collect()
    }

    /// The first element matching `css`, waiting up to 5 s for it (a click's navigation
    /// may still be loading).
    async fn find(&self, css: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(first) = self.find_all(css).await.into_iter().next() {
                return first;
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "no element {css} on {}",
                self.url().await
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits up to 5 s for the address to end with `path`.
    async fn wait_for(&self, path: &str) {
        let start = Instant::now();
        while !self.url().await.ends_with(path) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "still on {}, not {path}",
                self.url().await
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn within(&self, element: &str, css: &str) -> Vec<String> {
        self.call(
            "POST",
            &self.at(&format!("/element/{element}/elements")),
            json!({"using": "css selector", "value": css}),
        )
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[ELEMENT].as_str().unwrap().to_string())
        .collect()
    }

    async fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.call(
            "GET",
            &self.at(&format!("/element/{element}/attribute/{name}")),
            json!({}),
        )
        .await
        .as_str()
        .map(str::to_string)
    }

    async fn text(&self, element: &str) -> String {
        self.call(
            "GET",
            &self.at(&format!("/element/{element}/text")),
            json!({}),
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }

    async fn type_into(&self, element: &str, text: &str) {
        self.call(
            "POST",
            &self.at(&format!("/element/{element}/value")),
            json!({"text": text}),
        )
        .await;
    }

    async fn click(&self, element: &str) {
        self.call(
            "POST",
            &self.at(&format!("/element/{element}/click")),
            json!({}),
        )
        .await;
    }

    async fn press(&self, key: &str) {
        self.call(
            "POST",
            &self.at("/actions"),
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
                {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}
            ]}]}),
        )
        .await;
    }

    async fn active(&self) -> String {
        self.call("GET", &self.at("/element/active"), json!({}))
            .await[ELEMENT]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            &self.at("/window/rect"),
            json!({"width": width, "height": height}),
        )
        .await;
    }

    async fn cookies(&self) -> Value {
        self.call("GET", &self.at("/cookie"), json!({})).await
    }

    /// Saves a screenshot as `target/screenshots/{name}.png`.
    async fn screenshot(&self, name: &str) {
        let png = self.call("GET", &self.at("/screenshot"), json!({})).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    async fn sign_in(&self, app: &TestApp, key: &str) {
        self.go(&app.url("/dashboard/sign-in")).await;
        let field = self.find("#key").await;
        self.type_into(&field, key).await;
        let button = self.find("#sign-in").await;
        self.click(&button).await;
    }
}

/// A rate as the page writes it.
fn shown(rate: &Value) -> String {
    rate.as_f64()
        .map_or("–".into(), |r| format!("{:.2}%", r * 100.0))
}

/// 600 synthetic records over 6 units and 6 months, and a unit failing everything.
async fn seed(app: &TestApp) {
    let mut generator = real_dq::synthetic::Generator::new(11);
    let mut lines: String = (0..600)
        .map(|i| format!("{}\n", generator.record(i)))
        .collect();
    for n in 0..3 {
        lines.push_str(&format!("{}\n", bare_record(&format!("B{n}"), "Triage")));
    }
    let answers = app.batch(&lines).await;
    assert!(answers.iter().all(|a| a["result"].is_object()));
}

async fn dashboard_case(db: Db, label: &str) {
    let app = TestApp::builder(db).start().await;
    seed(&app).await;
    let report_key = app.create_key("quality-lead", "report", &[]).await;
    let as_report = keyed_client(&report_key);
    let api = |path: &str| {
        let (client, url) = (as_report.clone(), app.url(path));
        async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let browser = Browser::start().await;

    // Without a session: to the sign-in form; a wrong key is refused there.
    browser.go(&app.url("/dashboard")).await;
    browser.wait_for("/dashboard/sign-in").await;
    browser.screenshot(&format!("{label}-sign-in")).await;
    browser
        .sign_in(&app, &format!("rdq_{}", "W".repeat(40)))
        .await;
    let error = browser.find("#sign-in-error").await;
    assert!(browser.text(&error).await.contains("not valid"));

    browser.sign_in(&app, &report_key).await;
    browser.wait_for("/dashboard").await;
    let cookies = browser.cookies().await;
    let session = cookies
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "realdq_session")
        .expect("the session cookie");
    assert_eq!(session["httpOnly"], true);
    assert_eq!(session["sameSite"], "Strict");
    assert_eq!(session["path"], "/dashboard");

    // Every heat-map cell equals the completeness report.
    let report = api("/v1/reports/completeness").await;
    let rows = browser.find_all("#heatmap tbody tr").await;
    let units = report["units"].as_array().unwrap();
    assert_eq!(rows.len(), units.len());
    let mut checked = 0;
    for (row, unit) in rows.iter().zip(units) {
        assert_eq!(
            browser.attribute(row, "data-unit").await.as_deref(),
            unit["unit"].as_str()
        );
        for cell in browser.within(row, "td.cell").await {
            let domain = browser.attribute(&cell, "data-domain").await.unwrap();
            let counts = if domain == "real_complete" {
                &unit["real_complete"]
            } else {
                &unit["domains"][&domain]
            };
            let rate = browser.attribute(&cell, "data-rate").await.unwrap();
            let expected = if counts["rate"].is_null() {
                String::new()
            } else {
                counts["rate"].to_string()
            };
            assert_eq!(rate, expected, "{} {domain}", unit["unit"]);
            // The rate, then the level in words for screen readers.
            let text = browser.text(&cell).await;
            assert_eq!(
                text.lines().next().unwrap_or(""),
                shown(&counts["rate"]),
                "{} {domain}",
                unit["unit"]
            );
            if let Some(threshold) = counts["threshold"].as_str() {
                assert!(text.contains(&format!("({threshold})")), "{text}");
            }
            if let Some(threshold) = counts["threshold"].as_str() {
                assert_eq!(
                    browser.attribute(&cell, "data-threshold").await.as_deref(),
                    Some(threshold)
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 6 * 7, "{checked} cells");

    // The alerts table equals GET /v1/alerts.
    let alerts = api("/v1/alerts").await;
    let listed: Vec<(String, String)> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["unit"].as_str().unwrap().to_string(),
                a["domain"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(listed.iter().any(|(u, _)| u == "Triage"));
    let mut shown_alerts = Vec::new();
    for row in browser.find_all("#alerts tbody tr").await {
        shown_alerts.push((
            browser.attribute(&row, "data-unit").await.unwrap(),
            browser.attribute(&row, "data-domain").await.unwrap(),
        ));
    }
    assert_eq!(shown_alerts, listed);
    browser
        .screenshot(&format!("{label}-overview-laptop"))
        .await;

    // Keyboard: the first Tab reaches the skip link.
    browser.press("\u{E004}").await;
    let focused = browser.active().await;
    assert_eq!(
        browser
            .attribute(&focused, "href")
            .await
            .as_deref()
            .map(|h| h.ends_with("#main")),
        Some(true)
    );

    // A cell to its records: the Triage unit's race cell.
    let cell = browser
        .find("#heatmap tbody tr[data-unit=\"Triage\"] td[data-domain=\"race\"] a")
        .await;
    browser.click(&cell).await;
    browser
        .wait_for("/dashboard/records?unit=Triage&domain=race&status=incomplete")
        .await;
    let page = api("/v1/records?unit=Triage&domain=race&status=incomplete").await;
    let expected: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(expected.len(), 3);
    let mut ids = Vec::new();
    for row in browser.find_all("#records tbody tr").await {
        ids.push(browser.attribute(&row, "data-record").await.unwrap());
    }
    assert_eq!(ids, expected);
    let body = browser.text(&browser.find("main").await).await;
    assert!(!body.contains("B0"), "the report role sees no patient id");
    let hint = real_dq::catalog::by_id("RACE_MISSING").unwrap().hint;
    assert!(body.contains(hint), "each finding's hint");

    // The trend's points equal GET /v1/reports/trend.
    browser
        .go(&app.url("/dashboard/trend?domain=race&period=month"))
        .await;
    let trend = api("/v1/reports/trend?domain=race&period=month").await;
    let periods = trend["periods"].as_array().unwrap();
    let mut points = 0;
    for row in browser.find_all("#trend-table tbody tr").await {
        let unit = browser.attribute(&row, "data-series").await.unwrap();
        let cells = browser.within(&row, "td").await;
        assert_eq!(cells.len(), periods.len());
        for (cell, period) in cells.iter().zip(periods) {
            let rate = period["units"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["unit"] == unit.as_str())
                .map(|u| u["domains"]["race"]["rate"].clone())
                .unwrap_or(Value::Null);
            let expected = if rate.is_null() {
                String::new()
            } else {
                rate.to_string()
            };
            assert_eq!(
                browser.attribute(cell, "data-rate").await.unwrap(),
                expected,
                "{unit} {}",
                period["period"]
            );
            points += usize::from(!rate.is_null());
        }
    }
    assert!(points > 6, "{points} points");
    assert_eq!(browser.find_all("svg circle").await.len(), points);
    browser.screenshot(&format!("{label}-trend")).await;

    // A unit page, on a tablet.
    browser.resize(820, 1180).await;
    browser.go(&app.url("/dashboard/units/ED")).await;
    browser.find("#domains").await;
    browser.screenshot(&format!("{label}-unit-tablet")).await;

    // Signing out ends the session.
    let sign_out = browser.find("header form button").await;
    browser.click(&sign_out).await;
    browser.wait_for("/dashboard/sign-in").await;
    browser.go(&app.url("/dashboard")).await;
    assert!(browser.url().await.ends_with("/dashboard/sign-in"));

    // Registration staff: their unit's work list, with patient ids and what to ask.
    let desk = app.create_key("triage-desk", "feedback", &["Triage"]).await;
    browser.sign_in(&app, &desk).await;
    browser.wait_for("/dashboard").await;
    let link = browser.find("ul.units a").await;
    assert_eq!(browser.text(&link).await, "Triage");
    browser.click(&link).await;
    browser.find("#records").await;
    let rows = browser.find_all("#records tbody tr").await;
    assert_eq!(rows.len(), 3);
    let body = browser.text(&browser.find("main").await).await;
    for n in 0..3 {
        assert!(body.contains(&format!("B{n}")), "patient ids: {body}");
    }
    assert!(body.contains(hint));
    browser
        .screenshot(&format!("{label}-work-list-tablet"))
        .await;
    // The unit pages are the report role's.
    browser.go(&app.url("/dashboard/units/Triage")).await;
    let refused = browser.text(&browser.find("body").await).await;
    assert!(refused.contains("403 Forbidden"), "{refused}");
    browser.call("DELETE", &browser.at(""), json!({})).await;
}

#[actix_web::test]
#[cfg_attr(
    not(realdq_browser),
    ignore = "REALDQ_TEST_CHROMEDRIVER was not set when the tests were built"
)]
async fn the_dashboard_signs_in_and_equals_the_json_api_sqlite() {
    dashboard_case(Db::Sqlite, "sqlite").await;
}

#[actix_web::test]
#[cfg_attr(
    any(not(realdq_browser), not(realdq_postgres)),
    ignore = "REALDQ_TEST_CHROMEDRIVER or REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
)]
async fn the_dashboard_signs_in_and_equals_the_json_api_postgres() {
    dashboard_case(Db::Postgres, "postgres").await;
}
