//! The test harness: the real server on port 0 over a fresh database per test, SQLite
//! always and PostgreSQL when `REALDQ_TEST_POSTGRES_URL` is set (a database is created per
//! test and dropped afterwards). Without the variable at build time the PostgreSQL tests
//! are compiled as ignored (`cfg(realdq_postgres)`, see `build.rs`), so they never count
//! as passed; `.ci/run` sets it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Datelike;
use diesel::RunQueryDsl;
use real_dq::config::Settings;
use real_dq::ingest::mllp::AllowList;
use real_dq::profile::Profile;
use real_dq::startup::Application;
use serde_json::{json, Value};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server of `REALDQ_TEST_POSTGRES_URL`.
    Postgres,
}

/// Runs a test body on both backends: `both!(name, |app| async move { ... })` makes
/// `name::sqlite` and `name::postgres`; `both!(name, |settings| ..., |app| ...)` adjusts
/// the settings first.
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:expr) => {
        $crate::both!(
            $name,
            |_settings: &mut real_dq::config::Settings| {},
            |$app| $body
        );
    };
    ($name:ident, $adjust:expr, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[actix_web::test]
            async fn sqlite() {
                let $app = $crate::helpers::TestApp::builder($crate::helpers::Db::Sqlite)
                    .settings($adjust)
                    .start()
                    .await;
                $body.await;
            }

            #[actix_web::test]
            #[cfg_attr(
                not(realdq_postgres),
                ignore = "REALDQ_TEST_POSTGRES_URL was not set when the tests were built"
            )]
            async fn postgres() {
                let $app = $crate::helpers::TestApp::builder($crate::helpers::Db::Postgres)
                    .settings($adjust)
                    .start()
                    .await;
                $body.await;
            }
        }
    };
}

/// A running server and what it needs to be cleaned up.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The MLLP listener, when the builder turned it on (see [`TestApp::mllp_address`]).
    mllp: Option<SocketAddr>,
    /// The keyless metrics listener (`REALDQ_METRICS_BIND`), when the settings turned it on.
    pub metrics_address: Option<String>,
    /// An HTTP client that sends the admin key.
    pub client: reqwest::Client,
    /// The admin key the server was started with (`REALDQ_ADMIN_KEY`).
    pub admin_key: String,
    /// The database URL the server uses.
    pub database_url: String,
    _guard: DbGuard,
}

enum DbGuard {
    None,
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { admin_url, name } = self {
            if let Ok(mut conn) = real_dq::store::connection::establish_postgres(admin_url) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn);
            }
        }
    }
}

/// The PostgreSQL server for tests (`REALDQ_TEST_POSTGRES_URL`). Only PostgreSQL tests ask,
/// and they are ignored unless the variable was set at build time: its absence now means
/// the test binary runs in another environment than it was built in, a failure.
pub fn postgres_url() -> String {
    std::env::var("REALDQ_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect(
            "REALDQ_TEST_POSTGRES_URL is unset, but the tests were built with it: \
             set it when running them too",
        )
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh database: `(url, guard)`.
fn fresh_database(db: Db) -> (String, DbGuard) {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = dir.path().join("real-dq.db").display().to_string();
            (url, DbGuard::Sqlite(dir))
        }
        Db::Postgres => {
            let admin_url = postgres_url();
            let name = format!(
                "realdq_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                uuid::Uuid::new_v4().simple()
            );
            let mut conn = real_dq::store::connection::establish_postgres(&admin_url)
                .expect("REALDQ_TEST_POSTGRES_URL must reach a PostgreSQL server");
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create test database");
            let url = with_database(&admin_url, &name);
            (url, DbGuard::Postgres { admin_url, name })
        }
    }
}

/// The same server URL with another database name.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Starts a [`TestApp`]: `TestApp::builder(db).settings(|s| ...).mllp().start().await`.
#[must_use = "the server starts only with `start`"]
pub struct TestAppBuilder<'a> {
    db: Db,
    url: Option<String>,
    profile: Profile,
    adjustments: Vec<Adjustment<'a>>,
}

/// A change to the settings a [`TestAppBuilder`] starts the server with.
type Adjustment<'a> = Box<dyn FnOnce(&mut Settings) + 'a>;

impl<'a> TestAppBuilder<'a> {
    /// Adjusts the settings (after the database and admin key are set; in call order).
    pub fn settings(mut self, adjust: impl FnOnce(&mut Settings) + 'a) -> Self {
        self.adjustments.push(Box::new(adjust));
        self
    }

    /// Judges records under `profile` instead of the shipped one.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self
    }

    /// Serves an existing database that the caller owns, on the builder's backend, instead
    /// of a fresh one; the admin key is derived from the database name, so every start over
    /// one database has the same.
    pub fn url(mut self, url: &str) -> Self {
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        assert_eq!(
            postgres,
            self.db == Db::Postgres,
            "a {:?} URL, not {url}",
            self.db
        );
        self.url = Some(url.to_string());
        self
    }

    /// Turns the MLLP listener on, on port 0, with the default peer allow-list.
    pub fn mllp(self) -> Self {
        self.settings(|s| s.hl7.mllp = Some("127.0.0.1:0".into()))
    }

    /// Turns the MLLP listener on, admitting only the peers of `allow`
    /// (`REALDQ_MLLP_ALLOW` syntax).
    pub fn mllp_allowing(self, allow: &str) -> Self {
        let allow = AllowList::parse(allow).expect("a valid allow-list");
        self.mllp().settings(|s| s.hl7.mllp_allow = allow)
    }

    /// Serves HTTPS (and MLLP over TLS) with the certificate and key in these PEM files.
    pub fn tls(self, cert: &Path, key: &Path) -> Self {
        let (cert, key) = (cert.to_path_buf(), key.to_path_buf());
        self.settings(|s| {
            s.tls.tls_cert = Some(cert);
            s.tls.tls_key = Some(key);
        })
    }

    /// Starts the server. A PostgreSQL test runs only when `REALDQ_TEST_POSTGRES_URL` was
    /// set at build time (else it is ignored), so an unset variable here is a failure, not
    /// a skip.
    pub async fn start(self) -> TestApp {
        let (url, admin_key, guard) = match self.url {
            Some(url) => {
                let admin_key = stable_admin_key(&url);
                (url, admin_key, DbGuard::None)
            }
            None => {
                let (url, guard) = fresh_database(self.db);
                (url, real_dq::access::key::generate(), guard)
            }
        };
        let mut settings = Settings::for_database(&url);
        settings.access.admin_key = Some(admin_key.clone());
        for adjust in self.adjustments {
            adjust(&mut settings);
        }
        let app = Application::build(&settings, self.profile).expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let mllp = app.mllp_address();
        let metrics_address = app.metrics_address().map(str::to_string);
        actix_web::rt::spawn(app.run());
        TestApp {
            address,
            mllp,
            metrics_address,
            client: keyed_client(&admin_key),
            admin_key,
            database_url: url,
            _guard: guard,
        }
    }
}

/// The same admin key on every start over one database, whatever the route to it
/// (`REALDQ_ADMIN_KEY` creates it the first time only).
fn stable_admin_key(url: &str) -> String {
    let database = url.rsplit('/').next().unwrap_or(url);
    let database = database.split('?').next().unwrap_or(database);
    format!("rdq_{}", real_dq::access::key::hash(database))
}

impl TestApp {
    /// How to start a server on `db`: a fresh database, the shipped profile and default
    /// settings unless the builder says otherwise.
    pub fn builder<'a>(db: Db) -> TestAppBuilder<'a> {
        TestAppBuilder {
            db,
            url: None,
            profile: Profile::phec_real(),
            adjustments: Vec::new(),
        }
    }

    /// The MLLP listener's address; panics when the builder did not turn it on.
    pub fn mllp_address(&self) -> SocketAddr {
        self.mllp.expect("the MLLP listener is on")
    }

    /// A client sending `key` (`None`: no Authorization header at all).
    pub fn client_for(&self, key: Option<&str>) -> reqwest::Client {
        match key {
            Some(key) => keyed_client(key),
            // Redirects are answers to check, not to follow (the dashboard's sign-in).
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
        }
    }

    /// Creates a key over HTTP as the admin; returns the key.
    pub async fn create_key(&self, name: &str, role: &str, units: &[&str]) -> String {
        self.create_key_with(json!({"name": name, "role": role, "units": units}))
            .await
    }

    /// Creates a key from a `POST /v1/keys` body; returns the key.
    pub async fn create_key_with(&self, body: Value) -> String {
        let response = self.post_json("/v1/keys", &body).await;
        let status = response.status().as_u16();
        let created: Value = response.json().await.expect("JSON body");
        assert_eq!(status, 201, "POST /v1/keys answered {created}");
        created["key"]
            .as_str()
            .expect("the key is shown")
            .to_string()
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// POSTs a JSON value.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs raw bytes with a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// GETs a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// GETs a path and parses JSON, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status().as_u16(), status, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// Stores a record, asserting the status; returns the result.
    pub async fn store(&self, record: &Value, status: u16) -> Value {
        let response = self.post_json("/v1/records", record).await;
        let got = response.status().as_u16();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(got, status, "POST /v1/records answered {body}");
        body
    }

    /// Posts an NDJSON batch; returns the answer lines.
    pub async fn batch(&self, lines: &str) -> Vec<Value> {
        let response = self
            .post_raw(
                "/v1/records/batch",
                "application/x-ndjson",
                lines.to_string(),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let text = response.text().await.expect("body");
        text.lines()
            .map(|l| serde_json::from_str(l).expect("each answer line is JSON"))
            .collect()
    }

    /// The completeness report.
    pub async fn report(&self, query: &str) -> Value {
        self.get_json(&format!("/v1/reports/completeness{query}"), 200)
            .await
    }
}

/// A client that sends `Authorization: Bearer <key>` on every request.
pub fn keyed_client(key: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {key}")).expect("a header value"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// A complete record for a 7-year-old in `unit`, as API.md's example but with the Asian
/// category recorded (so it has no warning).
pub fn complete_record(patient_id: &str, unit: &str) -> Value {
    json!({
        "source": "epic-prod",
        "patient_id": patient_id,
        "unit": unit,
        "recorded_at": days_ago(2),
        "birth_date": birth_date_for_age(7),
        "race": {
            "codes": [{"code": "2106-3"}, {"code": "2028-9"}, {"code": "2040-4", "display": "Korean"}],
            "null_flavor": null,
            "text": "White, Korean",
            "reported_by": "caregiver"
        },
        "ethnicity": {"codes": [{"code": "2186-5"}], "null_flavor": null, "reported_by": "caregiver"},
        "language": {
            "preferred": "es", "written": "es", "english_proficiency": "not_well",
            "interpreter_needed": true, "null_flavor": null
        },
        "caregivers": [
            {"relationship": "MTH", "legal_guardian": true,
             "language": {"preferred": "es", "interpreter_needed": true}}
        ]
    })
}

/// A record with only the envelope: everything missing.
pub fn bare_record(patient_id: &str, unit: &str) -> Value {
    json!({
        "source": "epic-prod",
        "patient_id": patient_id,
        "unit": unit,
        "recorded_at": days_ago(2)
    })
}

/// An RFC 3339 time `days` days before now (records stay recent whenever tests run).
pub fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::TimeDelta::days(days))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A birth date giving `years` of age today (a little after the birthday).
pub fn birth_date_for_age(years: i32) -> String {
    let today = chrono::Utc::now().date_naive() - chrono::TimeDelta::days(30);
    let date = today
        .with_year(today.year() - years)
        .unwrap_or_else(|| today - chrono::TimeDelta::days(365 * i64::from(years)));
    date.format("%Y-%m-%d").to_string()
}

/// The rule IDs of a result's findings.
pub fn rules_of(result: &Value) -> Vec<String> {
    result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("rule").to_string())
        .collect()
}

/// The shipped profile with edits to its JSON document (parsed and checked like a file).
pub fn profile_with(edit: impl FnOnce(&mut Value)) -> Profile {
    let mut document: Value =
        serde_json::from_str(include_str!("../../schemas/profiles/phec-real.json"))
            .expect("the shipped profile is JSON");
    edit(&mut document);
    Profile::from_json(&document.to_string()).expect("the edited profile is valid")
}
