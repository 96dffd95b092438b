//! Building and running the application: database, migrations, HTTP server, and the MLLP
//! listener (both over TLS when it is configured).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use tracing_actix_web::TracingLogger;

use crate::api::{self, auth::KeyCache};
use crate::config::Settings;
use crate::ingest::mllp::Admission;
use crate::profile::Profile;
use crate::service::{AppState, Limits};
use crate::store::{self, DbPool};
use crate::telemetry::PhiSafeRootSpan;

/// A built application: bound, migrated, ready to run.
pub struct Application {
    port: u16,
    address: String,
    server: Server,
    pool: DbPool,
    first_admin_key: Option<String>,
    mllp: Option<(TcpListener, AppState, Admission)>,
    metrics: Option<(Server, String)>,
    https: bool,
    alerting: AppState,
}

impl Application {
    /// Opens (and migrates) the database, binds the listener and builds the server.
    pub fn build(settings: &Settings, profile: Profile) -> anyhow::Result<Application> {
        // TLS files are checked before anything is opened or bound: a half or broken TLS
        // configuration must never leave a plain-text listener behind.
        let tls = crate::tls::load(&settings.tls)?;
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let pool = store::open_counted(
            &settings.database.database_url,
            settings.database.pool_size,
            Arc::clone(&metrics.pool_events),
        )?;
        let first_admin_key = bootstrap_admin(&pool, settings.access.admin_key.as_deref())?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot bind REALDQ_BIND={}: {e}", settings.bind))?;
        let local = listener.local_addr()?;
        let profile_id: Arc<str> = profile.id().into();
        let state = AppState {
            pool: pool.clone(),
            profile: Arc::new(profile),
            profile_id,
            limits: Limits {
                max_record_bytes: settings.max_record_bytes,
                max_batch_bytes: settings.max_batch_bytes,
                batch_chunk: settings.batch_chunk as usize,
                max_transaction_entries: settings.fhir.fhir_max_transaction_entries as usize,
            },
            hl7: Arc::new(settings.hl7.map_settings()),
            fhir: Arc::new(
                settings
                    .fhir
                    .mapping
                    .map_settings(&settings.hl7.units.hl7_default_unit),
            ),
            metrics,
            alerts: Arc::new(crate::alerts::Alerts::new(settings.alerts.webhook()?)),
        };
        let alerting = state.clone();
        let mllp = match &settings.hl7.mllp {
            Some(address) => {
                let listener = TcpListener::bind(address)
                    .map_err(|e| anyhow::anyhow!("cannot bind REALDQ_MLLP={address}: {e}"))?;
                listener.set_nonblocking(true)?;
                let admission = Admission {
                    allow: settings.hl7.mllp_allow.clone(),
                    tls: tls
                        .clone()
                        .map(|config| tokio_rustls::TlsAcceptor::from(Arc::new(config))),
                };
                Some((listener, state.clone(), admission))
            }
            None => None,
        };
        let metrics = match &settings.metrics_bind {
            Some(address) => Some(metrics_server(address, state.clone())?),
            None => None,
        };
        let data = web::Data::new(state);
        let keys = web::Data::new(KeyCache::default());
        let origins = settings.access.cors_origins.clone();
        let https = tls.is_some();
        // The same application with or without CORS: without origins there is no CORS layer
        // at all, not a disabled one.
        macro_rules! run {
            ($($cors:expr)?) => {{
                let (data, keys) = (data.clone(), keys.clone());
                let _origins = origins.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .wrap(api::auth::Authenticate)
                        $(.wrap($cors(&_origins)))?
                        .wrap(actix_web::middleware::from_fn(crate::telemetry::timed))
                        .wrap(TracingLogger::<PhiSafeRootSpan>::new())
                        .app_data(data.clone())
                        .app_data(keys.clone())
                        .configure(api::configure)
                        .configure(crate::pages::configure)
                        .default_service(web::to(api::not_found))
                });
                let mut server = match tls {
                    Some(config) => server.listen_rustls_0_23(listener, config)?,
                    None => server.listen(listener)?,
                };
                if let Some(workers) = settings.workers {
                    server = server.workers(workers.max(1));
                }
                server.run()
            }};
        }
        let server = if origins.is_empty() {
            run!()
        } else {
            run!(cors)
        };
        Ok(Application {
            port: local.port(),
            address: local.to_string(),
            server,
            pool,
            mllp,
            metrics,
            first_admin_key,
            https,
            alerting,
        })
    }

    /// The admin key generated at this start (first start, no keys): to print once.
    pub fn take_first_admin_key(&mut self) -> Option<String> {
        self.first_admin_key.take()
    }

    /// The MLLP listener's bound address, when `--mllp` is on.
    pub fn mllp_address(&self) -> Option<std::net::SocketAddr> {
        self.mllp.as_ref().and_then(|(l, _, _)| l.local_addr().ok())
    }

    /// Whether HTTP is served over TLS (HTTPS only).
    pub fn https(&self) -> bool {
        self.https
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bound address, e.g. `127.0.0.1:8080`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The database pool (tests use it to inspect the store).
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// The keyless metrics listener's bound address, when `REALDQ_METRICS_BIND` is set.
    pub fn metrics_address(&self) -> Option<&str> {
        self.metrics.as_ref().map(|(_, address)| address.as_str())
    }

    /// Runs until stopped.
    pub async fn run(self) -> std::io::Result<()> {
        if let Some((listener, state, admission)) = self.mllp {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            actix_web::rt::spawn(crate::ingest::mllp::serve(listener, state, admission));
        }
        if let Some((server, _)) = self.metrics {
            actix_web::rt::spawn(server);
        }
        actix_web::rt::spawn(crate::alerts::watch::watch(self.alerting.clone()));
        actix_web::rt::spawn(crate::alerts::webhook::deliver(self.alerting));
        self.server.await
    }
}

/// The keyless metrics listener: `GET /metrics` and nothing else (404 for any other path,
/// 405 for another method), one worker.
fn metrics_server(address: &str, state: AppState) -> anyhow::Result<(Server, String)> {
    let listener = TcpListener::bind(address)
        .map_err(|e| anyhow::anyhow!("cannot bind REALDQ_METRICS_BIND={address}: {e}"))?;
    let bound = listener.local_addr()?.to_string();
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .service(
                web::resource("/metrics")
                    .get(api::metrics::metrics)
                    .default_service(web::to(api::method_not_allowed)),
            )
            .default_service(web::to(api::not_found))
    })
    .workers(1)
    .listen(listener)?
    .run();
    Ok((server, bound))
}

/// CORS for the configured origins only (none: the middleware is off and no CORS header is
/// ever sent). Preflights are answered before authentication: they carry no key.
fn cors(origins: &[String]) -> actix_cors::Cors {
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .allowed_methods(["GET", "POST", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
        ])
        .allowed_header("x-source")
        .allowed_header("x-unit")
        .max_age(600)
}

/// Makes sure an admin can get in: `REALDQ_ADMIN_KEY` becomes the admin key when no active
/// admin key exists; otherwise, on first start with no keys at all, an admin key is
/// generated and returned (to be printed once, never logged).
fn bootstrap_admin(pool: &DbPool, given: Option<&str>) -> anyhow::Result<Option<String>> {
    use crate::access::key;
    use crate::store::audit::{Action, AuditEntry};
    use crate::store::keys::{self, NewKey};
    if let Some(given) = given {
        // The value is never echoed: it may be a real secret mistyped.
        key::check_form(given).map_err(|why| anyhow::anyhow!("REALDQ_ADMIN_KEY: {why}"))?;
    }
    let mut conn = pool.get()?;
    let now = chrono::Utc::now().timestamp_micros();
    let (secret, generated) = match given {
        Some(given) => {
            if keys::has_active_admin(&mut conn, now)? {
                return Ok(None);
            }
            if keys::hash_exists(&mut conn, &key::hash(given))? {
                anyhow::bail!(
                    "REALDQ_ADMIN_KEY names a key that was revoked or has expired; set a new one"
                );
            }
            (given.to_string(), false)
        }
        None if keys::count(&mut conn)? == 0 => (key::generate(), true),
        None => return Ok(None),
    };
    let taken: Vec<String> = keys::list(&mut conn)?.into_iter().map(|k| k.name).collect();
    let name = std::iter::once("admin".to_string())
        .chain((2..).map(|n| format!("admin-{n}")))
        .find(|name| !taken.contains(name))
        .expect("some name is free");
    let audit = AuditEntry {
        key_name: None,
        role: None,
        action: Action::Create,
        route: "SERVE first admin key".into(),
        status: 201,
        units: Vec::new(),
        record_count: 0,
        record_ids: Vec::new(),
        peer: None,
        target: Some(name.clone()),
    };
    let new = NewKey {
        name,
        role: "admin",
        units: Vec::new(),
        key_hash: key::hash(&secret),
        expires_at: None,
    };
    keys::create(&mut conn, &new, &audit, now)?;
    tracing::info!(generated, "admin key created");
    Ok(generated.then_some(secret))
}
