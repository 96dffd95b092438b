//! The HTTP API (API.md): routes, handlers per resource, the error envelope, OpenAPI.

pub mod access;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod body;
pub mod diff;
pub mod distribution;
pub mod error;
pub mod fhir;
pub mod fhir_bulk;
pub mod fhir_bundle;
pub mod framework;
pub mod health;
pub mod hl7;
pub mod keys;
pub mod metrics;
pub mod openapi;
pub mod records;
pub mod reports;
pub mod spool;
pub mod trend;

use actix_web::web;

use crate::service::AppState;
use crate::store::audit::AuditEntry;
pub use error::ApiError;

/// The HTTP layer's ways to the store: blocking work off the async workers, its errors
/// answered as [`ApiError`]s.
impl AppState {
    /// Writes one audit row on its own (refusals; reads write theirs with the read).
    pub async fn audit(&self, entry: AuditEntry) -> Result<(), ApiError> {
        let at = chrono::Utc::now().timestamp_micros();
        self.with_db(move |conn| crate::store::audit::record(conn, &entry, at))
            .await
    }

    /// Writes one audit row on its own, best effort (refusals that are answered whatever
    /// happens to their row): a row the store cannot take is logged under `failure`, once,
    /// with its cause.
    pub async fn audit_best_effort(&self, entry: AuditEntry, failure: &'static str) {
        let (pool, status) = (self.pool.clone(), entry.status);
        let at = chrono::Utc::now().timestamp_micros();
        let span = tracing::Span::current();
        let written = web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            crate::store::audit::record(&mut conn, &entry, at)
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(status, error = %error.causes(), "{failure}"),
            Err(_) => tracing::error!("blocking task was cancelled"),
        }
    }

    /// Runs blocking database work off the async workers, keeping the tracing span.
    pub async fn with_db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut crate::store::DbConnection) -> Result<T, crate::store::StoreError>
            + Send
            + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        web::block(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
        .map_err(ApiError::from)
    }
}

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .service(
            web::resource("/v1/validate")
                .post(records::validate)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/records/batch")
                .post(batch::ingest)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/records")
                .post(records::create)
                .get(records::list)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/records/{id}")
                .get(records::get)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/reports/completeness")
                .get(reports::completeness)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/reports/trend")
                .get(trend::trend)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/reports/diff")
                .get(diff::diff)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/reports/distribution")
                .get(distribution::distribution)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/alerts")
                .get(alerts::list)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/metrics")
                .get(metrics::metrics)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/framework")
                .get(framework::framework)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/fhir/Patient/$import")
                .post(fhir_bulk::import)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/fhir/Patient/$validate")
                .post(fhir::validate)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/fhir/Patient")
                .post(fhir::create)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/fhir")
                .post(fhir_bundle::bundle)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/hl7v2")
                .post(hl7::ingest)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/keys")
                .get(keys::list)
                .post(keys::create)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/keys/{name}")
                .delete(keys::revoke)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/v1/audit")
                .get(audit::list)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/healthz")
                .get(health::healthz)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/readyz")
                .get(health::readyz)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/openapi.json")
                .get(openapi::openapi)
                .default_service(web::to(method_not_allowed)),
        );
}

pub(crate) async fn method_not_allowed() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// Anything else: 404 in the envelope.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("resource"))
}
