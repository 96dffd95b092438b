//! The dashboard: HTML pages served by the service for the quality team and registration
//! staff, from compile-time-checked templates (askama, `templates/dashboard/`), with charts
//! drawn as SVG here ([`charts`]). No script and nothing fetched from elsewhere: the pages
//! work offline and under a strict Content-Security-Policy. Every number comes from the
//! same code as the JSON API (the completeness report, the trend, the alerts, the work
//! list), so the two always agree.
//!
//! Pages take a session cookie ([`session`]) or an `Authorization` header; the route
//! table ([`crate::api::access`]) lists each page with its roles, and unit limits apply
//! as in the API.

pub mod charts;
#[cfg(test)]
mod contrast;
pub mod error;
mod overview;
mod records;
pub mod session;
mod trend;
mod unit;
mod views;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::access::{Principal, Role};
use crate::api::{method_not_allowed, ApiError};

/// The stylesheet, vendored with the code.
const CSS: &str = include_str!("../../assets/dashboard.css");

/// Registers the pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(crate::api::auth::PageRefusals {
        sign_in: session::to_sign_in,
        refusal: error::page_for,
    }))
    // The sign-in form is the only form: a bad one is answered with a page naming its field.
    .app_data(
        web::FormConfig::default()
            .limit(4096)
            .error_handler(error::form_error),
    )
    .service(
        web::resource("/dashboard")
            .get(overview::overview)
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/dashboard/sign-in")
            .get(session::form)
            .post(session::sign_in)
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/dashboard/sign-out")
            .post(session::sign_out)
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/dashboard/trend")
            .get(trend::trend)
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/dashboard/units/{unit}")
            .get(unit::unit)
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/dashboard/records")
            .get(records::records)
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/dashboard/dashboard.css")
            .get(stylesheet)
            .default_service(web::to(method_not_allowed)),
    );
}

/// `GET /dashboard/dashboard.css`.
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(CSS)
}

/// A page's answer: the HTML and the headers every page carries.
fn render(page: &impl Template, status: u16) -> Result<HttpResponse, error::PageError> {
    let html = page.render().map_err(|error| {
        tracing::error!(%error, "a dashboard page could not be rendered");
        error::PageError(ApiError::Internal)
    })?;
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or_default();
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        // No address of a page leaves for another site; a form posted to this one still
        // carries its Origin (under `no-referrer` browsers send `Origin: null`).
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(html))
}

/// A rate as the JSON API writes it (serde_json's shortest form).
pub fn json_number(value: f64) -> String {
    serde_json::Value::from(value).to_string()
}

/// A rate as the pages show it: a percentage to two places, `–` without one.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or("–".into(), |r| format!("{:.2}%", r * 100.0))
}

/// Whether the principal sees the aggregate pages (the `report` and `admin` roles).
fn sees_aggregates(principal: &Principal) -> bool {
    matches!(principal.role, Role::Report | Role::Admin)
}

/// A query string value, percent-encoded.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
