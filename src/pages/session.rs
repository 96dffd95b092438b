//! Signing in to the dashboard: a browser posts an API key once and gets a session token
//! in a cookie (`HttpOnly`, `SameSite=Strict`, `Path=/dashboard`, `Secure` over HTTPS) that
//! the pages accept instead of an `Authorization` header, for 8 hours or until signed out.
//! Only hashes are stored ([`crate::store::sessions`]); the key's own checks (role,
//! units, expiry, revocation) apply to every request of the session.
//!
//! Cross-site requests: the cookie is `SameSite=Strict`, it is accepted on `/dashboard`
//! pages only (never by the API), the pages only read, and the two forms that post
//! (sign-in, sign-out) refuse a browser request whose `Origin` (or `Sec-Fetch-Site`)
//! says it came from another site.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::views::SignIn;
use crate::access::session::{check_form, token_of, COOKIE, LIFETIME_SECONDS};
use crate::access::{key, Role};
use crate::api::auth::{key_principal, peer, KeyCache};
use crate::api::ApiError;
use crate::service::{AppState, Caller};
use crate::store::audit::{Action, AuditEntry};

/// A page asked without a session: to the sign-in form.
pub fn to_sign_in() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/dashboard/sign-in"))
        .finish()
}

/// Whether a browser's form post came from this site: its `Origin`, when sent (and not
/// `null`), names this host; else its `Sec-Fetch-Site`, when sent, is `same-origin` or
/// `none`. A client that
/// sends neither (not a browser) is not a cross-site threat.
fn same_site(req: &HttpRequest) -> bool {
    let host = req.connection_info().host().to_string();
    let text = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    // `Origin: null` (a privacy setting, a sandboxed frame) says nothing: the fetch
    // metadata then decides.
    if let Some(origin) = text(header::ORIGIN).filter(|o| o != "null") {
        let stripped = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        return stripped == Some(host.as_str());
    }
    match text(header::HeaderName::from_static("sec-fetch-site")) {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

fn cookie(req: &HttpRequest, value: &str, max_age: i64) -> String {
    let secure = if req.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{COOKIE}={value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    )
}

/// `GET /dashboard/sign-in`: the form.
pub async fn form() -> Result<HttpResponse, super::error::PageError> {
    super::render(&SignIn { error: None }, 200)
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    key: String,
}

/// `POST /dashboard/sign-in`: checks the key and starts a session. The key is never echoed.
pub async fn sign_in(
    req: HttpRequest,
    form: web::Form<SignInForm>,
    state: web::Data<AppState>,
    keys: web::Data<KeyCache>,
) -> Result<HttpResponse, super::error::PageError> {
    if !same_site(&req) {
        return Err(ApiError::Forbidden("a sign-in from another site is refused".into()).into());
    }
    let given = form.into_inner().key;
    let given = given.trim();
    // The key is checked as a bearer key is: its form, the store through the key cache,
    // expiry and revocation.
    let principal = key_principal(&state, &keys, given).await?;
    let Some(principal) = principal else {
        state
            .audit_best_effort(
                sign_in_audit(&req, None, 401),
                "a refused sign-in could not be audited",
            )
            .await;
        return super::render(
            &SignIn {
                error: Some("That key is not valid: it is unknown, expired or revoked."),
            },
            401,
        );
    };
    if principal.role == Role::Ingest {
        state
            .audit_best_effort(
                sign_in_audit(&req, Some(&principal), 403),
                "a refused sign-in could not be audited",
            )
            .await;
        return super::render(
            &SignIn {
                error: Some("An ingest key cannot open the dashboard: sign in with a feedback, report or admin key."),
            },
            403,
        );
    }
    let token = crate::access::session::generate();
    let token_hash = key::hash(&token);
    let key_hash = key::hash(given);
    let now = Utc::now().timestamp_micros();
    let expires = now + LIFETIME_SECONDS * 1_000_000;
    let audit = sign_in_audit(&req, Some(&principal), 303);
    state
        .with_db(move |conn| {
            crate::store::sessions::create(conn, &token_hash, &key_hash, now, expires)?;
            crate::store::audit::record(conn, &audit, now)
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/dashboard"))
        .insert_header((header::SET_COOKIE, cookie(&req, &token, LIFETIME_SECONDS)))
        .finish())
}

fn sign_in_audit(
    req: &HttpRequest,
    principal: Option<&crate::access::Principal>,
    status: u16,
) -> AuditEntry {
    AuditEntry {
        key_name: principal.map(|p| p.name.to_string()),
        role: principal.map(|p| p.role.as_str()),
        action: Action::Execute,
        route: "POST /dashboard/sign-in".into(),
        status,
        units: Vec::new(),
        record_count: 0,
        record_ids: Vec::new(),
        peer: peer(req),
        target: None,
    }
}

/// `POST /dashboard/sign-out`: ends the session and clears the cookie.
pub async fn sign_out(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    keys: web::Data<KeyCache>,
) -> Result<HttpResponse, super::error::PageError> {
    if !same_site(&req) {
        return Err(ApiError::Forbidden("a sign-out from another site is refused".into()).into());
    }
    let cookies = req
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok());
    let token = token_of(cookies)
        .filter(|t| check_form(t))
        .map(str::to_string);
    if let Some(token) = token {
        let token_hash = key::hash(&token);
        let audit = caller.audit(Action::Execute, 303);
        state
            .with_db(move |conn| {
                crate::store::sessions::delete(conn, &token_hash)?;
                crate::store::audit::record(conn, &audit, Utc::now().timestamp_micros())
            })
            .await?;
        keys.clear();
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/dashboard/sign-in"))
        .insert_header((header::SET_COOKIE, cookie(&req, "", 0)))
        .finish())
}
