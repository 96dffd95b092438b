//! Logging with `tracing`. PHI never reaches a log line: handlers log record UUIDs, units,
//! counts and rule IDs, never patient ids, names, birth dates or bodies; the HTTP span
//! carries the method, route and status, and the query string only of PHI-free endpoints.

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
