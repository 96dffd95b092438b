//! Who reaches which operation: the one route table. The authentication middleware
//! ([`super::auth`]) enforces it, `/openapi.json` publishes it (`security` and `x-roles`
//! on each operation), and a test walks the document against a table of its own. A route
//! registered in the router but missing here is refused to every key, admin included, so
//! nothing ships unprotected by mistake.

use crate::access::Role;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No key needed: liveness, readiness and the contract only.
    Public,
    /// A valid key of one of these roles.
    Roles(&'static [Role]),
}

/// One operation: method (lower case, as OpenAPI writes it), route pattern, access.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `get`, `post`, `delete`.
    pub method: &'static str,
    /// The route pattern as registered (`/v1/records/{id}`).
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

const INGEST: &[Role] = &[Role::Ingest, Role::Admin];
const VALIDATE: &[Role] = &[Role::Ingest, Role::Feedback, Role::Admin];
const RECORD_LIST: &[Role] = &[Role::Feedback, Role::Report, Role::Admin];
const RECORD_READ: &[Role] = &[Role::Feedback, Role::Admin];
const AGGREGATES: &[Role] = &[Role::Report, Role::Admin];
const PAGES: &[Role] = &[Role::Feedback, Role::Report, Role::Admin];
const EVERY_ROLE: &[Role] = &[Role::Ingest, Role::Feedback, Role::Report, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];

const fn route(method: &'static str, path: &'static str, access: Access) -> Route {
    Route {
        method,
        path,
        access,
    }
}

/// Every operation the service serves.
pub const ROUTES: &[Route] = &[
    route("post", "/v1/validate", Access::Roles(VALIDATE)),
    route("post", "/v1/records", Access::Roles(INGEST)),
    route("post", "/v1/records/batch", Access::Roles(INGEST)),
    route("get", "/v1/records", Access::Roles(RECORD_LIST)),
    route("get", "/v1/records/{id}", Access::Roles(RECORD_READ)),
    route("get", "/v1/reports/completeness", Access::Roles(AGGREGATES)),
    route("get", "/v1/reports/trend", Access::Roles(AGGREGATES)),
    route("get", "/v1/reports/diff", Access::Roles(AGGREGATES)),
    route("get", "/v1/reports/distribution", Access::Roles(AGGREGATES)),
    route("get", "/v1/alerts", Access::Roles(AGGREGATES)),
    // The catalog of rules and hints holds no PHI; every role's work needs it.
    route("get", "/v1/framework", Access::Roles(EVERY_ROLE)),
    route("post", "/fhir/Patient", Access::Roles(INGEST)),
    route("post", "/fhir/Patient/$validate", Access::Roles(VALIDATE)),
    route("post", "/fhir/Patient/$import", Access::Roles(INGEST)),
    route("post", "/fhir", Access::Roles(INGEST)),
    route("post", "/hl7v2", Access::Roles(INGEST)),
    route("get", "/v1/keys", Access::Roles(ADMIN)),
    route("post", "/v1/keys", Access::Roles(ADMIN)),
    route("delete", "/v1/keys/{name}", Access::Roles(ADMIN)),
    route("get", "/v1/audit", Access::Roles(ADMIN)),
    // Operational counters: no PHI, but what flows through the service is the
    // administrator's to see (a scraper on a private network may use REALDQ_METRICS_BIND).
    route("get", "/metrics", Access::Roles(ADMIN)),
    // The dashboard's pages: the same roles as the API they show. The sign-in form and the
    // stylesheet hold no data and must be reachable before signing in.
    route("get", "/dashboard", Access::Roles(PAGES)),
    route("get", "/dashboard/sign-in", Access::Public),
    route("post", "/dashboard/sign-in", Access::Public),
    route("post", "/dashboard/sign-out", Access::Roles(PAGES)),
    route("get", "/dashboard/trend", Access::Roles(AGGREGATES)),
    route("get", "/dashboard/units/{unit}", Access::Roles(AGGREGATES)),
    route("get", "/dashboard/records", Access::Roles(RECORD_LIST)),
    route("get", "/dashboard/dashboard.css", Access::Public),
    route("get", "/healthz", Access::Public),
    route("get", "/readyz", Access::Public),
    route("get", "/openapi.json", Access::Public),
];

/// What the table says of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No key needed.
    Public,
    /// A key of one of these roles.
    Roles(&'static [Role]),
    /// A known resource asked with another method, or no route at all: any valid key, then
    /// the router's 405 or 404 (a caller without a key learns nothing of the routes).
    AnyKey,
    /// A route the router serves but the table does not list: refused to every key.
    Unlisted,
}

/// The decision for `method` on the matched route `pattern` (`None`: no route matched).
pub fn decide(method: &str, pattern: Option<&str>) -> Decision {
    let Some(pattern) = pattern else {
        return Decision::AnyKey;
    };
    let mut known = false;
    for route in ROUTES.iter().filter(|r| r.path == pattern) {
        known = true;
        if route.method.eq_ignore_ascii_case(method) {
            return match route.access {
                Access::Public => Decision::Public,
                Access::Roles(roles) => Decision::Roles(roles),
            };
        }
    }
    if known {
        // HEAD and OPTIONS on a public resource stay public (the router answers 405).
        let public = ROUTES
            .iter()
            .any(|r| r.path == pattern && r.access == Access::Public);
        if public {
            Decision::Public
        } else {
            Decision::AnyKey
        }
    } else {
        Decision::Unlisted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_routes_are_decided_by_the_table() {
        assert_eq!(decide("POST", Some("/v1/records")), Decision::Roles(INGEST));
        assert_eq!(decide("GET", Some("/healthz")), Decision::Public);
        assert_eq!(
            decide("DELETE", Some("/v1/keys/{name}")),
            Decision::Roles(ADMIN)
        );
    }

    #[test]
    fn an_unlisted_route_is_refused_and_an_unknown_path_needs_a_key() {
        assert_eq!(decide("GET", Some("/v1/secret")), Decision::Unlisted);
        assert_eq!(decide("GET", None), Decision::AnyKey);
        assert_eq!(decide("PUT", Some("/v1/records")), Decision::AnyKey);
        assert_eq!(decide("POST", Some("/healthz")), Decision::Public);
    }

    #[test]
    fn only_health_the_contract_and_the_dashboards_sign_in_are_public() {
        let public: Vec<&str> = ROUTES
            .iter()
            .filter(|r| r.access == Access::Public)
            .map(|r| r.path)
            .collect();
        assert_eq!(
            public,
            [
                "/dashboard/sign-in",
                "/dashboard/sign-in",
                "/dashboard/dashboard.css",
                "/healthz",
                "/readyz",
                "/openapi.json"
            ]
        );
    }
}
