//! Logging with `tracing`. PHI never reaches a log line: handlers log record UUIDs, units,
//! counts and rule IDs, never patient ids, names, birth dates or bodies; the HTTP span
//! carries the method, the matched route pattern and the status, never the path or query
//! as sent, nor error texts (which may quote input).

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// Installs the global subscriber (`RUST_LOG` filters; default `info`). Idempotent.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// Records each request's latency (to its response's head) by method, route pattern and
/// status in the service's metrics, and answers with `X-Request-Id`, the id its log lines
/// carry.
pub async fn timed(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    let started = std::time::Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let metrics = request
        .app_data::<actix_web::web::Data<crate::service::AppState>>()
        .map(|state| std::sync::Arc::clone(&state.metrics));
    let request_id = request
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .copied();
    let outcome = next.call(request).await;
    let status = match &outcome {
        Ok(response) => response.status().as_u16(),
        Err(error) => error.as_response_error().status_code().as_u16(),
    };
    if let Some(metrics) = metrics {
        metrics.request(&method, &route, status, started.elapsed().as_secs_f64());
    }
    outcome.map(|mut response| {
        if let Some(id) = request_id {
            if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id.to_string()) {
                response.headers_mut().insert(
                    actix_web::http::header::HeaderName::from_static("x-request-id"),
                    value,
                );
            }
        }
        response
    })
}

/// The HTTP root span, PHI-free: method, matched route pattern (`/v1/records/{id}`, never
/// the path or query as sent), status and request id. No error text is recorded: error
/// messages may quote what a caller sent.
pub struct PhiSafeRootSpan;

impl tracing_actix_web::RootSpanBuilder for PhiSafeRootSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .copied();
        tracing::info_span!(
            "http",
            http.method = %request.method(),
            http.route = %route,
            http.status_code = tracing::field::Empty,
            request_id = %request_id.map(|id| id.to_string()).unwrap_or_default(),
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        span.record("http.status_code", status);
        if status >= 500 {
            span.in_scope(|| tracing::error!(status, "request failed"));
        }
    }
}
