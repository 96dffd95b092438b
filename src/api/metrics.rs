//! `GET /metrics`: the service's metrics in the Prometheus text format ([`crate::metrics`]),
//! for an admin key here, and for anyone who can reach `REALDQ_METRICS_BIND` when it is set.

use actix_web::{web, HttpResponse};

use crate::service::AppState;

/// `GET /metrics`.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(state.metrics.render(&state.pool))
}
