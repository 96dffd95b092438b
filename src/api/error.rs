//! The one error envelope every non-2xx response carries (API.md "Errors"), extractor
//! errors included: `{"error": {"code", "message", "details"}}`.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::ingest::lines::LineError;
use crate::ingest::IngestError;
use crate::record::{FieldError, Rejection};
use crate::store::StoreError;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not JSON.
    #[error("malformed JSON")]
    InvalidJson(Vec<FieldError>),
    /// 422: JSON, but not acceptable; the failing fields are listed.
    #[error("validation failed")]
    Validation(&'static str, Vec<FieldError>),
    /// 401: no key, or one that is unknown, expired or revoked (which of these is not said).
    #[error("unauthorized")]
    Unauthorized,
    /// 403: the key's role or units do not reach this.
    #[error("forbidden")]
    Forbidden(String),
    /// 404.
    #[error("not found")]
    NotFound(&'static str),
    /// 409: the thing exists already.
    #[error("conflict")]
    Conflict(&'static str),
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 406: no acceptable representation.
    #[error("not acceptable")]
    NotAcceptable(&'static str),
    /// 413.
    #[error("payload too large")]
    PayloadTooLarge(String),
    /// 415.
    #[error("unsupported media type")]
    UnsupportedMediaType(&'static str),
    /// 503: the database cannot be reached; retry later.
    #[error("service unavailable")]
    Unavailable,
    /// 500: the cause is logged once, never sent.
    #[error("internal error")]
    Internal,
}

/// The inner error object, also used per line in batch answers.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    /// Machine-readable code.
    pub code: &'static str,
    /// Human-readable summary.
    pub message: String,
    /// The failing fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: &'a ErrorBody,
}

impl ApiError {
    /// The error object of this error.
    pub fn body(&self) -> ErrorBody {
        let (code, message, details) = match self {
            ApiError::InvalidJson(details) => (
                "invalid_json",
                "body is not valid JSON".into(),
                details.clone(),
            ),
            ApiError::Validation(message, details) => {
                ("validation_failed", (*message).into(), details.clone())
            }
            ApiError::Unauthorized => (
                "unauthorized",
                "a valid API key is required: Authorization: Bearer <key>".into(),
                vec![],
            ),
            ApiError::Forbidden(why) => ("forbidden", why.clone(), vec![]),
            ApiError::NotFound(what) => ("not_found", format!("{what} not found"), vec![]),
            ApiError::Conflict(what) => ("conflict", format!("{what} exists already"), vec![]),
            ApiError::MethodNotAllowed => (
                "method_not_allowed",
                "method not allowed on this resource".into(),
                vec![],
            ),
            ApiError::NotAcceptable(message) => ("not_acceptable", (*message).into(), vec![]),
            ApiError::PayloadTooLarge(message) => ("payload_too_large", message.clone(), vec![]),
            ApiError::UnsupportedMediaType(expected) => (
                "unsupported_media_type",
                format!("Content-Type must be {expected}"),
                vec![],
            ),
            ApiError::Unavailable => (
                "service_unavailable",
                "the database is unavailable; retry later".into(),
                vec![],
            ),
            ApiError::Internal => ("internal", "internal error".into(), vec![]),
        };
        ErrorBody {
            code,
            message,
            details,
        }
    }

    /// A 422 for one field.
    pub fn field(path: &str, message: &str) -> Self {
        ApiError::Validation("invalid request", vec![FieldError::new(path, message)])
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(..) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"real-dq\""));
            }
            _ => {}
        }
        response.json(Envelope {
            error: &self.body(),
        })
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::Malformed(error) => ApiError::InvalidJson(vec![error]),
            Rejection::Invalid(details) => ApiError::Validation("record rejected", details),
        }
    }
}

/// The one place a store error met by a handler loses its cause: the cause is logged here,
/// once (a warning when the database cannot be reached, an error otherwise), and the
/// answer says only 503 or 500.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound("record"),
            StoreError::Duplicate(what) => ApiError::Conflict(what),
            // Concurrent writers kept colliding after retries: transient, retry later.
            StoreError::Conflict(_) => ApiError::Unavailable,
            error if error.is_unavailable() => {
                tracing::warn!(error = %error.causes(), "database unavailable");
                ApiError::Unavailable
            }
            error => {
                tracing::error!(error = %error.causes(), "database error");
                ApiError::Internal
            }
        }
    }
}

/// The ingest pipeline's errors: their causes were logged where they happened.
impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Unavailable => ApiError::Unavailable,
            IngestError::Internal => ApiError::Internal,
        }
    }
}

/// Why a batch line is not a record.
impl From<LineError> for ApiError {
    fn from(error: LineError) -> Self {
        match error {
            LineError::Rejected(rejection) => rejection.into(),
            LineError::TooLarge(why) => ApiError::PayloadTooLarge(why),
            LineError::Unreadable => ApiError::InvalidJson(Vec::new()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        tracing::error!("blocking task was cancelled");
        ApiError::Internal
    }
}

/// Query-string extractor errors: 422 naming the parameter.
pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::Validation(
        "invalid query string",
        vec![FieldError::new("query", error.to_string())],
    )
    .into()
}

/// Path extractor errors: nothing at that address.
pub fn path_error(
    _error: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::NotFound("resource").into()
}
