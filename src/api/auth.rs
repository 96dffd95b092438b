//! Authentication: every request passes [`authenticate`], which looks its route up in the
//! route table ([`super::access`]), checks the `Authorization: Bearer` key against the
//! store through a short-lived cache ([`KeyCache`]), audits refusals, and hands the key's
//! [`Principal`] to the handler. It also sets the headers every response carries.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use chrono::Utc;

use super::access::{self, Decision};
use super::ApiError;
use crate::access::{key, session, Principal, Role, Units};
use crate::service::{AppState, Caller};
use crate::store::audit::{Action, AuditEntry};
use crate::store::keys::KeyRow;

/// How long a key looked up in the store is trusted without looking again: a revocation or
/// expiry made by another process (the `keys` command) takes effect within this time; one
/// made over HTTP by this process takes effect at once.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);

/// A key as the cache keeps it.
#[derive(Debug, Clone)]
struct CachedKey {
    principal: Principal,
    expires_at: Option<i64>,
    revoked: bool,
}

impl CachedKey {
    /// Neither revoked nor expired at `now` (microseconds): checked on every request, so an
    /// expiry takes effect at its instant, not a cache lifetime later.
    fn is_active(&self, now: i64) -> bool {
        !self.revoked && self.expires_at.is_none_or(|at| now < at)
    }
}

/// The SHA-256 of a key.
type KeyDigest = [u8; 32];

/// Keys looked up recently, by the SHA-256 of the key (unknown keys too, so that a client
/// repeating a bad key does not reach the store each time). The application registers one
/// as its own app data (`web::Data<KeyCache>`), beside the service's state.
#[derive(Debug, Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<KeyDigest, (Instant, Option<CachedKey>)>>,
}

impl KeyCache {
    fn fresh(&self, hash: &KeyDigest) -> Option<Option<CachedKey>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(hash)
            .filter(|(at, _)| at.elapsed() < KEY_CACHE_TTL)
            .map(|(_, key)| key.clone())
    }

    fn put(&self, hash: KeyDigest, key: Option<CachedKey>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < KEY_CACHE_TTL);
        }
        entries.insert(hash, (Instant::now(), key));
    }

    /// Forgets every key (after a key is created or revoked over HTTP).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// The principal of a stored key.
pub fn principal_of(row: &KeyRow) -> Option<Principal> {
    Some(Principal {
        name: row.name.as_str().into(),
        role: Role::parse(&row.role)?,
        units: Units::from_list(row.unit_list()),
    })
}

/// Why a request was refused before its handler.
enum Refusal {
    /// 401.
    Unauthenticated,
    /// 403, with the principal that was refused.
    Forbidden(Principal, String),
}

/// What a request shows to be let in: a bearer key, or (on the dashboard's pages only) a
/// session cookie.
#[derive(Debug, Clone, Copy)]
enum Credential<'a> {
    Key(&'a str),
    Session(&'a str),
}

impl<'a> Credential<'a> {
    fn of(req: &'a ServiceRequest) -> Option<Credential<'a>> {
        if let Some(token) = bearer(req) {
            return Some(Credential::Key(token));
        }
        if !session::covers(req.path()) {
            return None;
        }
        let cookies = req
            .headers()
            .get_all(header::COOKIE)
            .filter_map(|v| v.to_str().ok());
        session::token_of(cookies).map(Credential::Session)
    }

    /// The token, if it has the form of one (anything else is never looked up).
    fn token(self) -> Option<&'a str> {
        match self {
            Credential::Key(token) => key::check_form(token).ok().map(|()| token),
            Credential::Session(token) => session::check_form(token).then_some(token),
        }
    }
}

/// The principal a credential stands for, if it is valid now.
async fn principal_for(
    state: &AppState,
    keys: &KeyCache,
    credential: Credential<'_>,
) -> Result<Option<Principal>, ApiError> {
    let Some(token) = credential.token() else {
        return Ok(None);
    };
    let hash = key::digest(token);
    let cached = match keys.fresh(&hash) {
        Some(cached) => cached,
        None => {
            let lookup = key::to_hex(&hash);
            let now = Utc::now().timestamp_micros();
            let session = matches!(credential, Credential::Session(_));
            let row = state
                .with_db(move |conn| {
                    if session {
                        crate::store::sessions::key_of(conn, &lookup, now)
                    } else {
                        crate::store::keys::authenticate(conn, &lookup, now)
                    }
                })
                .await?;
            let cached = row.and_then(|row| {
                Some(CachedKey {
                    principal: principal_of(&row)?,
                    expires_at: row.expires_at,
                    revoked: row.revoked_at.is_some(),
                })
            });
            keys.put(hash, cached.clone());
            cached
        }
    };
    let now = Utc::now().timestamp_micros();
    Ok(cached.filter(|k| k.is_active(now)).map(|k| k.principal))
}

/// The principal of an API key given some other way than a header (the dashboard's
/// sign-in form), checked exactly as a bearer key is.
pub async fn key_principal(
    state: &AppState,
    keys: &KeyCache,
    token: &str,
) -> Result<Option<Principal>, ApiError> {
    principal_for(state, keys, Credential::Key(token)).await
}

fn bearer(req: &ServiceRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `METHOD /pattern` of a request: never the path as sent, which may hold ids.
pub fn route_label(method: &str, pattern: Option<&str>) -> String {
    format!("{method} {}", pattern.unwrap_or("(no route)"))
}

/// The client's address, for the audit log.
pub fn peer(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}

/// The middleware: route table, key, role; refusals answered (and audited) here. A public
/// route, or a key found in the cache whose role the route allows, goes straight to the
/// handler without an allocation of its own; a key to look up in the store, or a refusal,
/// takes the asynchronous path.
pub struct Authenticate;

impl<S, B> Transform<S, ServiceRequest> for Authenticate
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = AuthenticateService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(AuthenticateService {
            service: Rc::new(service),
        }))
    }
}

/// The service [`Authenticate`] wraps around the application.
pub struct AuthenticateService<S> {
    service: Rc<S>,
}

type Answer<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

fn public<B>(response: Result<ServiceResponse<B>, actix_web::Error>) -> Answer<B> {
    let mut response = response?;
    common_headers(&mut response, false);
    Ok(response.map_into_left_body())
}

fn keyed<B>(response: Result<ServiceResponse<B>, actix_web::Error>) -> Answer<B> {
    let mut response = response?;
    common_headers(&mut response, true);
    Ok(response.map_into_left_body())
}

impl<S, B> Service<ServiceRequest> for AuthenticateService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    #[allow(clippy::type_complexity)]
    type Future = futures_util::future::Either<
        futures_util::future::Map<
            S::Future,
            fn(Result<ServiceResponse<B>, actix_web::Error>) -> Answer<B>,
        >,
        futures_util::future::LocalBoxFuture<'static, Answer<B>>,
    >;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        use futures_util::future::{Either, FutureExt};
        let pattern = req.match_pattern();
        let decision = access::decide(req.method().as_str(), pattern.as_deref());
        if decision == Decision::Public {
            return Either::Left(self.service.call(req).map(public::<B> as fn(_) -> _));
        }
        if let Some(principal) = cached_principal(&req, decision) {
            req.extensions_mut().insert(principal);
            return Either::Left(self.service.call(req).map(keyed::<B> as fn(_) -> _));
        }
        Either::Right(Box::pin(authenticate(self.service.clone(), req, decision)))
    }
}

/// The principal of a request whose key is in the cache, active, of a role the route allows.
fn cached_principal(req: &ServiceRequest, decision: Decision) -> Option<Principal> {
    let token = Credential::of(req)?.token()?;
    let keys = req.app_data::<web::Data<KeyCache>>()?;
    let cached = keys.fresh(&key::digest(token))??;
    let now = Utc::now().timestamp_micros();
    let active = cached.is_active(now);
    let allowed = match decision {
        Decision::Roles(roles) => roles.contains(&cached.principal.role),
        Decision::AnyKey => true,
        Decision::Public | Decision::Unlisted => false,
    };
    (active && allowed).then_some(cached.principal)
}

/// The asynchronous path: the key looked up in the store, or the request refused.
async fn authenticate<S, B>(service: Rc<S>, req: ServiceRequest, decision: Decision) -> Answer<B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("the application state is registered");
    let keys = req
        .app_data::<web::Data<KeyCache>>()
        .cloned()
        .expect("the key cache is registered");
    let principal = match Credential::of(&req) {
        None => Ok(None),
        Some(credential) => principal_for(&state, &keys, credential).await,
    };
    let refusal = match principal {
        Err(error) => return Ok(refuse(req, &error)),
        Ok(None) => Some(Refusal::Unauthenticated),
        Ok(Some(principal)) => match decision {
            Decision::Roles(roles) if !roles.contains(&principal.role) => {
                let why = format!(
                    "the {} role may not call this operation",
                    principal.role.as_str()
                );
                Some(Refusal::Forbidden(principal, why))
            }
            Decision::Unlisted => Some(Refusal::Forbidden(
                principal,
                "this operation is not in the route table".into(),
            )),
            _ => {
                req.extensions_mut().insert(principal);
                None
            }
        },
    };
    match refusal {
        None => keyed(service.call(req).await),
        Some(Refusal::Unauthenticated) => {
            audit_refusal(&state, &req, None, 401).await;
            if req.method() == actix_web::http::Method::GET {
                // A page: the browser goes to the sign-in form instead.
                if let Some(pages) = page_refusals(&req) {
                    let mut response = req.into_response((pages.sign_in)());
                    common_headers(&mut response, true);
                    return Ok(response.map_into_right_body());
                }
            }
            Ok(refuse(req, &ApiError::Unauthorized))
        }
        Some(Refusal::Forbidden(principal, why)) => {
            audit_refusal(&state, &req, Some(&principal), 403).await;
            Ok(refuse(req, &ApiError::Forbidden(why)))
        }
    }
}

/// How the dashboard's pages are refused: registered as app data by the pages
/// (`crate::pages::configure`), so that this layer answers a page with a page without
/// knowing the pages.
#[derive(Clone, Copy)]
pub struct PageRefusals {
    /// A page asked without a valid key or session: to the sign-in form.
    pub sign_in: fn() -> actix_web::HttpResponse,
    /// A page refused: the error as a page.
    pub refusal: fn(&ApiError) -> actix_web::HttpResponse,
}

/// The pages' refusals, when the request is for a page.
fn page_refusals(req: &ServiceRequest) -> Option<PageRefusals> {
    if !session::covers(req.path()) {
        return None;
    }
    req.app_data::<web::Data<PageRefusals>>()
        .map(|pages| *pages.get_ref())
}

fn refuse<B>(req: ServiceRequest, error: &ApiError) -> ServiceResponse<EitherBody<B>> {
    // A page is refused with a page.
    let answer = match page_refusals(&req) {
        Some(pages) => (pages.refusal)(error),
        None => error.error_response(),
    };
    let mut response = req.into_response(answer);
    common_headers(&mut response, true);
    response.map_into_right_body()
}

/// Writes the audit row of a refused request (best effort: a refusal is answered even when
/// the store cannot take its row, and that failure is logged).
async fn audit_refusal(
    state: &AppState,
    req: &ServiceRequest,
    principal: Option<&Principal>,
    status: u16,
) {
    let entry = AuditEntry {
        key_name: principal.map(|p| p.name.to_string()),
        role: principal.map(|p| p.role.as_str()),
        action: Action::Execute,
        route: route_label(req.method().as_str(), req.match_pattern().as_deref()),
        status,
        units: Vec::new(),
        record_count: 0,
        record_ids: Vec::new(),
        peer: peer(req.request()),
        target: None,
    };
    state
        .audit_best_effort(entry, "refusal could not be audited")
        .await;
}

/// `X-Content-Type-Options: nosniff` on every response; `Cache-Control: no-store` on every
/// response of a keyed route (they may carry PHI).
fn common_headers<B>(response: &mut ServiceResponse<B>, keyed: bool) {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if keyed {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The HTTP layer's check of a caller's units, answered as an [`ApiError`].
impl Caller {
    /// Refuses (403, audited) a request naming a unit outside the key's units.
    pub async fn check_unit(
        &self,
        state: &AppState,
        unit: &str,
        action: Action,
    ) -> Result<(), ApiError> {
        if self.principal.allows_unit(unit) {
            return Ok(());
        }
        state.audit(self.audit(action, 403)).await?;
        Err(unit_forbidden())
    }
}

/// Audits `count` records refused for their unit (best effort: the answers are sent even if
/// the row cannot be written, and that is logged).
pub async fn audit_refused(state: &AppState, caller: &Caller, action: Action, count: usize) {
    if count == 0 {
        return;
    }
    let entry = AuditEntry {
        record_count: count,
        ..caller.audit(action, 403)
    };
    state
        .audit_best_effort(entry, "refused records could not be audited")
        .await;
}

/// The 403 of a record in a unit the key does not reach.
pub fn unit_forbidden() -> ApiError {
    ApiError::Forbidden("the record's unit is outside this key's units".into())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = req.extensions().get::<Principal>().cloned();
        std::future::ready(
            principal
                .ok_or(ApiError::Unauthorized)
                .map(|principal| Caller {
                    principal,
                    route: route_label(req.method().as_str(), req.match_pattern().as_deref()),
                    peer: peer(req),
                }),
        )
    }
}
