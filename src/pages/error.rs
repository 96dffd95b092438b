//! A page's error as a page: the API's error (status, code, message, fields) in HTML, with
//! the pages' headers, so that registration staff see what went wrong rather than JSON.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use super::views::ErrorPage;
use crate::api::ApiError;

/// An error of a dashboard page.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError(error)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        page_for(&self.0)
    }
}

/// The page of an API error: its status and headers (`Retry-After`), its text in HTML.
pub fn page_for(error: &ApiError) -> HttpResponse {
    let status = error.status_code();
    let body = error.body();
    let page = ErrorPage {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("Error"),
        message: body.message,
        fields: body
            .details
            .into_iter()
            .map(|d| (d.path, d.message))
            .collect(),
    };
    let mut response = match super::render(&page, status.as_u16()) {
        Ok(response) => response,
        Err(_) => return error.error_response(),
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    response
}

/// A form that cannot be read (the sign-in form's): 413 when too large, 415 when not
/// `application/x-www-form-urlencoded`, else 422 naming the `key` field; as a page.
pub fn form_error(
    error: actix_web::error::UrlencodedError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError;
    let error = match error {
        UrlencodedError::Overflow { .. } => {
            ApiError::PayloadTooLarge("the form is larger than 4 KiB".into())
        }
        UrlencodedError::ContentType => {
            ApiError::UnsupportedMediaType("application/x-www-form-urlencoded")
        }
        _ => ApiError::field("key", "the form must carry the API key in its `key` field"),
    };
    PageError(error).into()
}
