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
